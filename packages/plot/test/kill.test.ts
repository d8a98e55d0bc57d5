import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

// The server runs in its own process, from the build (`pnpm exec tsc -b packages/plot` first;
// `pnpm test` builds), so that it can be killed with SIGKILL in the middle of anything.
const built = join(import.meta.dirname, '..', 'dist', 'server.js');

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function startChild(dir: string, stderr: string[]): Promise<{ child: ChildProcess; url: string }> {
  // A small compaction threshold, so kills also land in the middle of compactions.
  const child = spawn(process.execPath, ['--input-type=module', '-e', `
    const { startServer } = await import(${JSON.stringify(built)});
    const s = await startServer({ port: 0, dir: ${JSON.stringify(dir)}, compactAfterBytes: 4096, log: (l) => console.error(l) });
    console.log(s.url);`], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening: ${stderr.join('')}`)));
  });
  return { child, url };
}

// mulberry32: a seeded generator, so a failing run can be repeated (TSGRAD_KILL_SEED).
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ENVS = ['e0', 'e1'];
const CLIENTS = 6;
const BATCH = 25;

describe('plot server under kill -9', () => {
  it('20 kills under load from concurrent clients lose no acknowledged point', async () => {
    await readFile(built).catch(() => {
      throw new Error(`${built} is missing: build the package first (pnpm exec tsc -b packages/plot)`);
    });
    const seed = Number(process.env.TSGRAD_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const rand = random(seed);
    const dir = await mkdtemp(join(tmpdir(), 'tsgrad-plot-kill-'));
    dirs.push(dir);
    // Per trace: the x values acknowledged, in order; per trace, at most one batch was in flight.
    const acked = new Map<string, { env: string; xs: number[] }>();
    const stderr: string[] = [];
    let acknowledged = 0;

    const check = async (url: string, round: number) => {
      for (const env of ENVS) {
        const traces = new Map<string, number[]>();
        const res = await fetch(`${url}/api/envs/${env}/windows/w`);
        if (res.status === 200) {
          const { messages } = (await res.json()) as { messages: { name: string; x: number[] }[] };
          for (const m of messages) traces.set(m.name, m.x);
        }
        for (const [name, a] of acked) {
          if (a.env !== env) continue;
          const stored = traces.get(name) ?? [];
          const context = `seed ${seed}, after kill ${round}, trace ${env}/${name}`;
          // Every acknowledged point, in order; beyond them at most the batch that was in flight.
          expect(stored.slice(0, a.xs.length), context).toEqual(a.xs);
          expect([0, BATCH], context).toContain(stored.length - a.xs.length);
          // What survived unacknowledged is kept (it is on disk): acknowledged from now on.
          a.xs = stored;
        }
      }
    };

    for (let round = 0; round <= 20; round++) {
      const { child, url } = await startChild(dir, stderr);
      await check(url, round);
      if (round === 20) break;
      const killAfter = 50 + rand() * 250;
      let dead = false;
      const client = async (k: number) => {
        const env = ENVS[k % ENVS.length]!;
        const name = `r${round}c${k}`;
        const entry = { env, xs: [] as number[] };
        acked.set(name, entry);
        for (let i = 0; !dead; i++) {
          const xs = Array.from({ length: BATCH }, (_, j) => i * BATCH + j);
          try {
            const res = await fetch(`${url}/api/envs/${env}`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ messages: [{ type: 'line', win: 'w', name, x: xs, y: xs.map((v) => v * 0.5), update: 'append' }] }),
              signal: AbortSignal.timeout(5000),
            });
            await res.text();
            if (res.status !== 200) throw new Error(`answered ${res.status}`);
          } catch {
            return; // the server is gone: this batch is not acknowledged
          }
          entry.xs.push(...xs);
          acknowledged += BATCH;
        }
      };
      const load = Array.from({ length: CLIENTS }, (_, k) => client(k));
      await new Promise((r) => setTimeout(r, killAfter));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      dead = true;
      await exited;
      await Promise.all(load);
    }
    // The load was real: thousands of points acknowledged (tens of kB of log, so compactions ran).
    expect(acknowledged, `seed ${seed}`).toBeGreaterThan(2000);
    expect((await readdir(dir)).some((f) => f.endsWith('.json')), `seed ${seed}`).toBe(true);
    expect(stderr.join('')).not.toMatch(/could not load|not a record|could not be applied/);
  }, 60_000);
});
