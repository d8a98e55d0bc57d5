#!/usr/bin/env node
// Append cost of the dashboard server against what it already stores: 1k vs 1M stored points.
//
//   pnpm exec tsc -b packages/plot && node packages/plot/scripts/append-bench.mjs [--clients 8] [--appends 300] [--server path/to/server.js]
//
// For each size, a server on a temp directory is filled (then restarted, its log compacted), and
// `clients` concurrent clients each send `appends` one-point appends, one request at a time; every
// answer means the point is fsync'ed. Reported: appends per second, latency (p50/p99/max), the
// longest event-loop stall, and bytes written per append (log, snapshot). A last run appends big
// batches to the 1M store until it compacts, while the small clients keep going: the latency they
// see while a 1M-point snapshot is written. Ratios compare 1M to 1k.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '8' },
    appends: { type: 'string', default: '300' },
    server: { type: 'string', default: new URL('../dist/server.js', import.meta.url).pathname },
  },
});
const clients = Number(values.clients);
const appends = Number(values.appends);
const { startServer } = await import(values.server);

const post = async (url, messages, retry = true) => {
  let r;
  try {
    r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages }) });
  } catch (e) {
    // A kept-alive socket the server closed as it was reused (undici): send once more.
    if (retry && e.cause?.code === 'ECONNRESET') return post(url, messages, false);
    throw e;
  }
  await r.text();
  if (r.status !== 200) throw new Error(`answered ${r.status}`);
};
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const stats = (s) => ({ ...(s.storage ?? {}) });

async function fill(dir, stored) {
  let s = await startServer({ port: 0, dir, maxBodyBytes: 1 << 30, log: () => undefined });
  const chunk = 100_000;
  for (let i = 0; i < stored; i += chunk) {
    const n = Math.min(chunk, stored - i);
    await post(`${s.url}/api/envs/bench`, [{ type: 'line', win: 'w', name: 'stored', x: Array.from({ length: n }, (_, j) => i + j), y: Array.from({ length: n }, (_, j) => Math.sin(i + j)), update: 'append' }]);
  }
  await s.close();
  return s;
}

async function appendRun(s, { extra } = {}) {
  const lat = [];
  const h = monitorEventLoopDelay({ resolution: 5 });
  const before = stats(s);
  h.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let done = false;
  const big = extra ? extra(() => done) : Promise.resolve();
  await Promise.all(
    Array.from({ length: clients }, async (_, k) => {
      for (let i = 0; i < appends; i++) {
        const t = performance.now();
        await post(`${s.url}/api/envs/bench`, [{ type: 'line', win: 'w', name: `c${k}`, y: [i * 0.001], x: [i], update: 'append' }]);
        lat.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  done = true;
  await big;
  const cpu = process.cpuUsage(cpu0);
  h.disable();
  const after = stats(s);
  lat.sort((a, b) => a - b);
  const n = clients * appends;
  return {
    appendsPerSec: Math.round(n / seconds),
    // CPU time of the process (server and clients) per append: less at the mercy of other load than wall time.
    cpuMsPerAppend: +((cpu.user + cpu.system) / 1000 / n).toFixed(3),
    p50ms: +pct(lat, 50).toFixed(2),
    p99ms: +pct(lat, 99).toFixed(2),
    maxMs: +lat[lat.length - 1].toFixed(1),
    loopStallMs: +(h.max / 1e6).toFixed(1),
    logBytesPerAppend: after.logBytes === undefined ? 'n/a' : +((after.logBytes - before.logBytes) / n).toFixed(1),
    snapshotBytesPerAppend: after.snapshotBytes === undefined ? 'n/a' : +((after.snapshotBytes - before.snapshotBytes) / n).toFixed(1),
    compactions: after.compactions === undefined ? 'n/a' : after.compactions - before.compactions,
  };
}

// Warm-up (JIT, sockets) on a throwaway server, so the first size measured is not penalised.
{
  const dir = await mkdtemp(join(tmpdir(), 'tsgrad-plot-bench-'));
  const s = await startServer({ port: 0, dir, log: () => undefined });
  await appendRun(s);
  await s.close();
  await rm(dir, { recursive: true, force: true });
}

const results = {};
for (const [label, stored] of [['1k', 1_000], ['1M', 1_000_000]]) {
  const dir = await mkdtemp(join(tmpdir(), 'tsgrad-plot-bench-'));
  try {
    await fill(dir, stored);
    // Restart twice: the first folds the fill's log into a snapshot, the second starts clean.
    let s = await startServer({ port: 0, dir, log: () => undefined });
    await post(`${s.url}/api/envs/bench`, [{ type: 'text', win: 'note', text: 'warm-up' }]);
    await s.close();
    const t = performance.now();
    s = await startServer({ port: 0, dir, log: () => undefined });
    const loadMs = Math.round(performance.now() - t);
    results[label] = { stored, loadMs, ...(await appendRun(s)) };
    if (stored === 1_000_000) {
      // Big batches until a compaction of the 1M-point environment has run, under the same small appends.
      results['1M, compacting'] = {
        stored,
        ...(await appendRun(s, {
          extra: async (finished) => {
            const start = s.storage?.compactions ?? 0;
            for (let b = 0; !finished() || (s.storage && s.storage.compactions === start); b++) {
              if (s.storage && s.storage.compactions > start) break;
              await post(`${s.url}/api/envs/bench`, [{ type: 'line', win: 'big', name: 'b', y: Array.from({ length: 10_000 }, (_, j) => Math.cos(j + b)), update: 'append' }]);
              if (!s.storage && finished()) break;
            }
          },
        })),
      };
    }
    await s.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
console.table(results);
const r = (k) => +(results['1M'][k] / results['1k'][k]).toFixed(2);
console.log(`1M / 1k: throughput ${r('appendsPerSec')}, CPU per append ${r('cpuMsPerAppend')}, p50 latency ${r('p50ms')}, p99 latency ${r('p99ms')}, bytes per append ${results['1k'].logBytesPerAppend === 'n/a' ? 'not counted' : results['1M'].logBytesPerAppend === results['1k'].logBytesPerAppend ? 'equal' : 'differ'}`);
