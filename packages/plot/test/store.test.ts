import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serve, servers, tempDir as tempDirWith } from './servers.js';
import { startServer, type PlotServer } from '../src/index.js';
import { EnvStore } from '../src/store.js';
import { Env } from '../src/window.js';

async function restart(s: PlotServer, opts: Parameters<typeof startServer>[0]): Promise<PlotServer> {
  await s.close();
  servers.splice(servers.indexOf(s), 1);
  return serve(opts);
}
const tempDir = () => tempDirWith('tsgrad-plot-store-');
const post = (url: string, messages: unknown[]) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages }) });
const appendMsg = (y: number[], x?: number[], win = 'w', name = 'y') => ({ type: 'line', win, name, y, ...(x ? { x } : {}), update: 'append' });
const points = (s: PlotServer, env: string, win = 'w', name = 'y') => s.envs.get(env)?.windows.get(win)?.traces.get(name)?.all();

describe('plot store: an append is answered once it is on disk', () => {
  it('the log holds the appended line when the answer arrives (no timer, no close needed)', async () => {
    const dir = await tempDir();
    const s = await serve({ dir });
    const res = await post(`${s.url}/api/envs/run`, [appendMsg([1, 2], [10, 11])]);
    expect(res.status).toBe(200);
    // Read straight from disk, while the server still runs: the record is there, whole.
    const log = await readFile(join(dir, 'run.0.jsonl'), 'utf8');
    expect(log.endsWith('\n')).toBe(true);
    expect(JSON.parse(log)).toEqual({ m: [appendMsg([1, 2], [10, 11])] });
    expect(s.storage).toMatchObject({ appends: 1, commits: 1, logBytes: Buffer.byteLength(log), snapshotBytes: 0 });
  });

  it('a burst of appends shares one fsync (group commit), in order', async () => {
    const dir = await tempDir();
    const envs = new Map<string, Env>();
    const store = await EnvStore.open(dir, envs, { log: () => undefined });
    const env = new Env('b');
    envs.set('b', env);
    const done: Promise<void>[] = [];
    for (let i = 0; i < 100; i++) {
      const m = appendMsg([i]) as Parameters<Env['apply']>[0];
      env.apply(m);
      done.push(store.append('b', [m]));
    }
    await Promise.all(done);
    expect(store.stats.appends).toBe(100);
    expect(store.stats.commits).toBe(1);
    await store.close();
    const again = new Map<string, Env>();
    await (await EnvStore.open(dir, again, { log: () => undefined })).close();
    expect(again.get('b')!.windows.get('w')!.traces.get('y')!.all().y).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('a partly applied request (409) still saves what it applied', async () => {
    const dir = await tempDir();
    const s = await serve({ dir });
    const res = await post(`${s.url}/api/envs/run`, [appendMsg([5]), { type: 'scatter', win: 'w', name: 'y', x: [1], y: [1], update: 'append' }]);
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: string }).error).toMatch(/applied 1 of 2 messages/);
    const s2 = await restart(s, { dir });
    expect(points(s2, 'run')).toEqual({ x: [0], y: [5] });
  });
});

describe('plot store: a save that fails', () => {
  it('is answered 503 naming the directory, not 200', async () => {
    const dir = await tempDir();
    const logs: string[] = [];
    const s = await serve({ dir, log: (l) => logs.push(l) });
    await rm(dir, { recursive: true, force: true });
    const res = await post(`${s.url}/api/envs/lost`, [appendMsg([1])]);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toMatch(/could not save to .*tsgrad-plot-store-.*ENOENT.*the change is not saved/);
    expect(logs.join('\n')).toMatch(/could not save/);
  });
});

describe('plot store: loading after a kill', () => {
  it('drops a torn last line (a write cut short), keeps every whole one, and appends after it', async () => {
    const dir = await tempDir();
    const log = join(dir, 'run.0.jsonl');
    const whole = `${JSON.stringify({ m: [appendMsg([1], [0])] })}\n${JSON.stringify({ m: [appendMsg([2], [1])] })}\n`;
    await writeFile(log, `${whole}{"m":[{"type":"line","win":"w","na`);
    const logs: string[] = [];
    const s = await serve({ dir, log: (l) => logs.push(l) });
    expect(points(s, 'run')).toEqual({ x: [0, 1], y: [1, 2] });
    expect(logs.join('\n')).toMatch(/ends in an unfinished record \(\d+ bytes/);
    expect(await readFile(log, 'utf8')).toBe(whole);
    expect((await post(`${s.url}/api/envs/run`, [appendMsg([3], [2])])).status).toBe(200);
    const s2 = await restart(s, { dir });
    expect(points(s2, 'run')).toEqual({ x: [0, 1, 2], y: [1, 2, 3] });
  });

  it('skips a corrupt line in the middle with a message instead of failing the load', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'run.0.jsonl'), `${JSON.stringify({ m: [appendMsg([1], [0])] })}\nnot json\n${JSON.stringify({ m: [appendMsg([2], [1])] })}\n`);
    const logs: string[] = [];
    const s = await serve({ dir, log: (l) => logs.push(l) });
    expect(points(s, 'run')).toEqual({ x: [0, 1], y: [1, 2] });
    expect(logs.join('\n')).toMatch(/run\.0\.jsonl: line 2 is not a record/);
  });

  it('replays snapshot + newer logs in order, ignores and deletes logs the snapshot covers and stray temp files', async () => {
    const dir = await tempDir();
    // As a compaction killed after its rename, before deleting the log it folded in: the snapshot
    // (generation 1) already holds log 0's points, and log 1 holds what came after.
    await writeFile(join(dir, 'run.json'), JSON.stringify({ format: 'tsgrad-plot-env', version: 2, env: 'run', log: 1, messages: [{ type: 'line', win: 'w', name: 'y', x: [0, 1], y: [1, 2] }] }));
    await writeFile(join(dir, 'run.0.jsonl'), `${JSON.stringify({ m: [appendMsg([1], [0])] })}\n${JSON.stringify({ m: [appendMsg([2], [1])] })}\n`);
    await writeFile(join(dir, 'run.1.jsonl'), `${JSON.stringify({ m: [appendMsg([3], [2])] })}\n`);
    await writeFile(join(dir, 'run.json.123.4.tmp'), '{"format":"tsgrad-plot-env","messa');
    const s = await serve({ dir });
    expect(points(s, 'run')).toEqual({ x: [0, 1, 2], y: [1, 2, 3] });
    expect((await readdir(dir)).sort()).toEqual(['run.1.jsonl', 'run.json']);
  });

  it('tells apart environments whose names differ by a dotted suffix (a, a.1, a.json)', async () => {
    const dir = await tempDir();
    const s = await serve({ dir, compactAfterBytes: 100 });
    for (const [i, env] of ['a', 'a.1', 'a.json', 'a.1.0'].entries()) {
      for (let k = 0; k < 3; k++) expect((await post(`${s.url}/api/envs/${env}`, [appendMsg([i, i, i, i, i])])).status).toBe(200);
    }
    const s2 = await restart(s, { dir });
    expect([...s2.envs.keys()].sort()).toEqual(['a', 'a.1', 'a.1.0', 'a.json']);
    for (const [i, env] of ['a', 'a.1', 'a.json', 'a.1.0'].entries()) expect(points(s2, env)!.y).toEqual(new Array(15).fill(i));
  });

  it('loads the version 1 format (a snapshot with no log) written by earlier releases', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'old.json'), JSON.stringify({ format: 'tsgrad-plot-env', version: 1, env: 'old', messages: [{ type: 'line', win: 'w', name: 'y', x: [0], y: [7] }] }));
    const s = await serve({ dir });
    expect((await post(`${s.url}/api/envs/old`, [appendMsg([8])])).status).toBe(200);
    const s2 = await restart(s, { dir });
    expect(points(s2, 'old')).toEqual({ x: [0, 1], y: [7, 8] });
  });
});

describe('plot store: compaction', () => {
  it('folds the log into a snapshot in the background; the state after a restart is the same', async () => {
    const dir = await tempDir();
    const s = await serve({ dir, compactAfterBytes: 2000 });
    const expected: number[] = [];
    for (let i = 0; i < 60; i++) {
      const ys = Array.from({ length: 20 }, (_, j) => i * 20 + j);
      expected.push(...ys);
      expect((await post(`${s.url}/api/envs/c`, [appendMsg(ys)])).status).toBe(200);
    }
    expect(s.storage.compactions).toBeGreaterThan(0);
    const s2 = await restart(s, { dir, compactAfterBytes: 2000 });
    expect(points(s2, 'c')!.y).toEqual(expected);
    const files = await readdir(dir);
    expect(files).toContain('c.json');
    // At most the log being written and one not yet covered by a finished snapshot.
    expect(files.filter((f) => f.endsWith('.jsonl')).length).toBeLessThanOrEqual(2);
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('bytes written per append do not depend on how much is stored (1k vs 1M points)', async () => {
    // Each append writes its own log line and nothing else; before, every save rewrote the whole
    // environment (about 14 MB per save at 1M points).
    const perAppend = async (stored: number) => {
      const dir = await tempDir();
      let s = await serve({ dir, maxBodyBytes: 64 << 20 });
      const ys = Array.from({ length: stored }, (_, i) => i % 1000);
      expect((await post(`${s.url}/api/envs/big`, [{ type: 'line', win: 'w', name: 'y', y: ys }])).status).toBe(200);
      s = await restart(s, { dir }); // a fresh server over the stored points (and a fresh count)
      expect(s.envs.get('big')!.windows.get('w')!.traces.get('y')!.length).toBe(stored);
      for (let i = 0; i < 50; i++) expect((await post(`${s.url}/api/envs/big`, [appendMsg([0.5], [-1])])).status).toBe(200);
      return { log: s.storage.logBytes / 50, snapshot: s.storage.snapshotBytes / 50 };
    };
    const small = await perAppend(1_000);
    const large = await perAppend(1_000_000);
    expect(large).toEqual(small);
    // One line: {"m":[<the message>]} and a newline.
    expect(small).toEqual({ log: JSON.stringify({ m: [appendMsg([0.5], [-1])] }).length + 1, snapshot: 0 });
  }, 60_000);
});

describe('plot store: what was acknowledged loads again', () => {
  it('a text window appended past the 1 MiB one message may carry is whole after compaction and a restart', async () => {
    const dir = await tempDir();
    const s = await serve({ dir, compactAfterBytes: 1000 });
    const pieces = ['a'.repeat(700_000), `b${'\n'.repeat(3)}${'c'.repeat(600_000)}`, 'd'.repeat(1 << 20)];
    for (const [i, text] of pieces.entries()) {
      expect((await post(`${s.url}/api/envs/t`, [{ type: 'text', win: 'log', text, ...(i ? { update: 'append' } : {}) }])).status).toBe(200);
    }
    // Closing waits for the compaction the last append started.
    const s2 = await restart(s, { dir, compactAfterBytes: 1000 });
    // At least one compaction ran (how many depends on whether one finished before the next append).
    expect(s.storage.compactions).toBeGreaterThanOrEqual(1);
    // The snapshot holds the window (every log was folded into it), saved as messages under the limit.
    expect((await readdir(dir)).sort()).toEqual(['t.json']);
    const msgs = s2.envs.get('t')!.windows.get('log')!.toMessages() as { text: string }[];
    expect(msgs.length).toBeGreaterThan(1);
    for (const m of msgs) expect(m.text.length).toBeLessThanOrEqual(1 << 20);
    expect(msgs.map((m) => m.text).join('\n')).toBe(pieces.join('\n'));
  });
});

describe('plot store: deletion', () => {
  it('DELETE is answered once durable; an environment created again afterwards keeps only its new points', async () => {
    const dir = await tempDir();
    const s = await serve({ dir, compactAfterBytes: 200 });
    for (let i = 0; i < 10; i++) await post(`${s.url}/api/envs/d`, [appendMsg([i, i, i])]);
    expect((await post(`${s.url}/api/envs/keep`, [appendMsg([1])])).status).toBe(200);
    expect((await fetch(`${s.url}/api/envs/d`, { method: 'DELETE' })).status).toBe(200);
    expect((await readdir(dir)).filter((f) => f.startsWith('d.'))).toEqual([]);
    const s2 = await restart(s, { dir, compactAfterBytes: 200 });
    expect([...s2.envs.keys()]).toEqual(['keep']);
    expect((await fetch(`${s2.url}/api/envs/keep`, { method: 'DELETE' })).status).toBe(200);
    expect((await post(`${s2.url}/api/envs/keep`, [appendMsg([2])])).status).toBe(200);
    const s3 = await restart(s2, { dir });
    expect(points(s3, 'keep')).toEqual({ x: [0], y: [2] });
  });

  it('a deletion killed after its tombstone was written stays deleted', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'gone.json'), JSON.stringify({ format: 'tsgrad-plot-env', version: 2, env: 'gone', log: 3, deleted: true, messages: [] }));
    await writeFile(join(dir, 'gone.2.jsonl'), `${JSON.stringify({ m: [appendMsg([1])] })}\n`);
    const s = await serve({ dir });
    expect(s.envs.has('gone')).toBe(false);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('plot server: body limit', () => {
  it('refuses a chunked upload with 413 as soon as it passes the limit, before the body ends', async () => {
    const s = await serve({ maxBodyBytes: 10_000 });
    const chunk = `${' '.repeat(3999)}\n`;
    let sent = 0;
    const answer = await new Promise<{ status: number; body: string; sentBeforeAnswer: number }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: s.port, method: 'POST', path: '/api/envs/main', headers: { 'content-type': 'application/json', host: '127.0.0.1' } });
      req.on('response', (res) => {
        const got = sent;
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body, sentBeforeAnswer: got });
          req.destroy();
        });
      });
      req.on('error', (e) => (sent >= 100 ? undefined : reject(e)));
      req.write('{"messages":[');
      // 4 kB every 20 ms, up to 400 kB (then the body ends): far more than the limit.
      const pump = () => {
        if (req.destroyed) return;
        if (sent >= 100) return void req.end(']}');
        req.write(chunk);
        sent++;
        setTimeout(pump, 20);
      };
      pump();
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error).toMatch(/request body of at least \d+ bytes is over the 10000-byte limit; send fewer points per request/);
    // Passing 10 kB takes 3 chunks; the answer came long before the 100 the client had to send.
    expect(answer.sentBeforeAnswer).toBeLessThan(20);
    expect(s.envs.size).toBe(0);
  });
});
