import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PlotClient, startServer } from '../src/index.js';
import { serve, servers, tempDir } from './servers.js';

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('dashboard server: validation', () => {
  it('answers malformed JSON with 400, an oversized body with 413, unknown fields with a message', async () => {
    const s = await serve({ maxBodyBytes: 10_000 });
    const api = `${s.url}/api/envs/main`;
    const bad = await post(api, '{"messages": [');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/malformed JSON/);
    const big = await post(api, JSON.stringify({ messages: [{ type: 'line', win: 'w', name: 'y', y: new Array(5000).fill(1) }] }));
    expect(big.status).toBe(413);
    const unknownTop = await post(api, JSON.stringify({ messages: [], extra: 1 }));
    expect(unknownTop.status).toBe(400);
    expect(((await unknownTop.json()) as { error: string }).error).toMatch(/unknown field "extra"/);
    const unknownField = await post(api, JSON.stringify({ messages: [{ type: 'text', win: 't', text: 'x', html: true }] }));
    expect(unknownField.status).toBe(400);
    expect(((await unknownField.json()) as { error: string }).error).toMatch(/messages\[0\]: text has unknown field "html"/);
    const form = await fetch(api, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"messages":[]}' });
    expect(form.status).toBe(415);
    const badEnv = await post(`${s.url}/api/envs/..%2Fetc`, '{"messages":[]}');
    expect(badEnv.status).toBe(400);
    // Nothing refused above reached the environment.
    expect(s.envs.size).toBe(0);
  });

  it('refuses requests addressed to a non-loopback Host when there is no token', async () => {
    const s = await serve();
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const r = request({ host: '127.0.0.1', port: s.port, path: '/api/envs', headers: { host: 'evil.example:8097' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      r.on('error', reject);
      r.end();
    });
    expect(status).toBe(403);
  });
});

describe('dashboard server: token', () => {
  it('refuses to bind beyond loopback without a token', async () => {
    await expect(startServer({ host: '0.0.0.0', port: 0 })).rejects.toThrow(/requires|give a token/);
  });

  it('with a token, every request must carry it (header, query or the cookie the page gets)', async () => {
    const token = 'secret-token-123';
    const s = await serve({ host: '0.0.0.0', token });
    expect((await fetch(`${s.url}/api/envs`)).status).toBe(401);
    expect((await fetch(`${s.url}/`)).status).toBe(401);
    expect((await fetch(`${s.url}/api/envs`, { headers: { authorization: 'Bearer wrong-token-123' } })).status).toBe(401);
    expect((await fetch(`${s.url}/api/envs`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const page = await fetch(`${s.url}/?token=${token}`);
    expect(page.status).toBe(200);
    const cookie = page.headers.get('set-cookie')!.split(';')[0]!;
    expect((await fetch(`${s.url}/api/envs`, { headers: { cookie } })).status).toBe(200);
    const logs: string[] = [];
    const noToken = new PlotClient({ url: s.url, token: '', log: (l) => logs.push(l) });
    noToken.text('t', { text: 'x' });
    await noToken.flush();
    expect(s.envs.size).toBe(0);
    expect(logs.join()).toMatch(/401/);
    const client = new PlotClient({ url: s.url, token });
    client.text('t', { text: 'x' });
    await client.flush();
    expect(s.envs.get('main')?.windows.has('t')).toBe(true);
  });
});

describe('dashboard server: load and order', () => {
  it('50 clients appending 1000 points each lose no point and keep each window in order', async () => {
    const s = await serve();
    const clients = Array.from({ length: 50 }, () => new PlotClient({ url: s.url, env: 'load' }));
    // Each client appends to its own window and to one shared window under its own trace.
    await Promise.all(
      clients.map(async (c, k) => {
        for (let i = 0; i < 1000; i++) {
          c.append(`w${k}`, [i], { x: [i] });
          c.append('shared', [k * 1000 + i], { name: `c${k}` });
          if (i % 100 === 0) await new Promise((r) => setImmediate(r));
        }
        await c.flush();
        expect(c.dropped).toBe(0);
      }),
    );
    const env = s.envs.get('load')!;
    const expected = Array.from({ length: 1000 }, (_, i) => i);
    for (let k = 0; k < 50; k++) {
      expect(env.windows.get(`w${k}`)!.traces.get('y')!.all()).toEqual({ x: expected, y: expected });
      expect(env.windows.get('shared')!.traces.get(`c${k}`)!.all().y).toEqual(expected.map((i) => k * 1000 + i));
    }
  });
});

describe('PlotClient.append with window options', () => {
  it('a live line window takes its title and axis titles from the first append', async () => {
    const s = await serve();
    const c = new PlotClient({ url: s.url, env: 'axes' });
    for (let epoch = 0; epoch < 5; epoch++) {
      c.append('loss', [10 - epoch], { x: [epoch], name: 'L1 loss', ...(epoch === 0 ? { opts: { title: 'L1 loss per epoch', xlabel: 'epoch', ylabel: 'L1 loss' } } : {}) });
    }
    await c.flush();
    const w = s.envs.get('axes')!.windows.get('loss')!;
    expect(w.opts).toMatchObject({ title: 'L1 loss per epoch', xlabel: 'epoch', ylabel: 'L1 loss' });
    expect(w.traces.get('L1 loss')!.all()).toEqual({ x: [0, 1, 2, 3, 4], y: [10, 9, 8, 7, 6] });
    const spec = JSON.stringify(w.toSpec());
    expect(spec).toContain('"title":"epoch"');
    expect(spec).toContain('"title":"L1 loss"');
  });
});

describe('PlotClient without a dashboard', () => {
  it('says once that none is running and lets the program go on', async () => {
    const s = await serve();
    const url = s.url;
    await s.close();
    servers.length = 0;
    const logs: string[] = [];
    const c = new PlotClient({ url, log: (l) => logs.push(l), retryMs: 0 });
    for (let i = 0; i < 20; i++) {
      c.append('loss', [i]);
      await c.flush();
    }
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/no dashboard at http:\/\/127\.0\.0\.1:\d+.*training goes on/);
    expect(c.dropped).toBe(20);
  });
});

describe('dashboard server: persistence', () => {
  it('saves environments on disk and has them again after a restart', async () => {
    const dir = await tempDir();
    const s1 = await serve({ dir });
    const c = new PlotClient({ url: s1.url, env: 'run1' });
    c.line('loss', { y: [3, 2, 1], opts: { title: 'loss' } });
    c.append('loss', [0.5]);
    c.text('notes', { text: 'hello' });
    await c.flush();
    await s1.close();
    servers.length = 0;
    // The appends are in the environment's log (no snapshot yet: the log is small).
    expect(await readdir(dir)).toEqual(['run1.0.jsonl']);
    const s2 = await serve({ dir });
    const w = s2.envs.get('run1')!.windows.get('loss')!;
    expect(w.traces.get('y')!.all()).toEqual({ x: [0, 1, 2, 3], y: [3, 2, 1, 0.5] });
    expect(w.opts.title).toBe('loss');
    const listed = (await (await fetch(`${s2.url}/api/envs`)).json()) as { envs: string[] };
    expect(listed.envs).toEqual(['run1']);
  });
});
