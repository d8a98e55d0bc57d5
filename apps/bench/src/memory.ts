/**
 * Memory in a training loop (issue 8): the lecture's regression (Sequential 1-10-6-1, L1Loss,
 * SGD) for many steps on tsgrad's cpu, wasm and tfjs (tfjs-backend-cpu) backends, in three loops:
 *   tidy           each step in tidy(), as the README writes it;
 *   tidy+schedule  the same with an LR schedule that changes the learning rate every step;
 *   no-tidy        a loop written as in PyTorch: no tidy(), no dispose(), no await.
 * Each (backend, loop) runs in its own child process (RSS is per process), fully synchronously;
 * live buffers (memory()), RSS, array-buffer and heap bytes are sampled every `--every` steps.
 * Growth per 1,000 steps is the least-squares slope over the samples after the first quarter.
 *
 *   node dist/memory.js [--steps 10000] [--every 500] [--backends cpu,wasm,tfjs] [--loops tidy,tidy+schedule,no-tidy]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { keep, memory, setBackend, tensor, tidy } from '@tsgrad/core';
import '@tsgrad/backend-cpu';
import '@tsgrad/backend-wasm';
import { registerTfjsBackend, type TfjsModule } from '@tsgrad/backend-tfjs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { SGD, ExponentialLR } from '@tsgrad/optimizers';
import { L1Loss } from '@tsgrad/losses';
import { regressionData } from './data.js';
import { moduleModel } from './tsgrad.js';

registerTfjsBackend('tfjs', tf as unknown as TfjsModule, { backendName: 'cpu' });

const LOOPS = ['tidy', 'tidy+schedule', 'no-tidy'] as const;
type Loop = (typeof LOOPS)[number];

interface Sample {
  step: number;
  buffers: number;
  rssMB: number;
  arrayBuffersMB: number;
  heapMB: number;
}
interface ChildResult {
  backend: string;
  loop: Loop;
  samples: Sample[];
  /** Live buffers once the event loop has turned after the last step (finalizers ran). */
  buffersAfterIdle: number;
  warnings: string[];
  finalLoss: number;
}

/** A full collection before each sample (the child runs with --expose-gc): what is measured is what is still held, not garbage waiting. It is synchronous: no finalizer runs. */
const collect = (globalThis as { gc?: () => void }).gc ?? (() => {});

function sample(step: number): Sample {
  collect();
  const m = process.memoryUsage();
  return { step, buffers: memory().buffers, rssMB: m.rss / 2 ** 20, arrayBuffersMB: m.arrayBuffers / 2 ** 20, heapMB: m.heapUsed / 2 ** 20 };
}

async function child(backend: string, loop: Loop, steps: number, every: number): Promise<ChildResult> {
  const warnings: string[] = [];
  const warn = console.warn;
  // Only tsgrad's own warnings (tfjs prints a banner through console.warn too).
  console.warn = (...args: unknown[]) => {
    const text = args.join(' ');
    if (text.startsWith('tsgrad:')) warnings.push(text);
  };
  setBackend(backend);
  const d = regressionData();
  const x = keep(tensor(d.x, { shape: [d.n, 1] }));
  const y = keep(tensor(d.y, { shape: [d.n, 1] }));
  const model = moduleModel(d.layers);
  const optimizer = new SGD(model.parameters(), { lr: d.lr });
  const scheduler = loop === 'tidy+schedule' ? new ExponentialLR(optimizer, { gamma: 0.9999 }) : undefined;
  const lossFunc = new L1Loss();
  const step = () => {
    const output = model.call(x);
    optimizer.zeroGrad();
    const loss = lossFunc.call(output, y);
    loss.backward();
    optimizer.step();
    scheduler?.step();
  };
  const samples: Sample[] = [sample(0)];
  // The loop itself is synchronous in every variant: sampling reads counters, it never awaits.
  for (let s = 1; s <= steps; s++) {
    if (loop === 'no-tidy') step();
    else tidy(step);
    if (s % every === 0) samples.push(sample(s));
  }
  const finalLoss = tidy(() => lossFunc.call(model.call(x), y).item());
  for (let i = 0; i < 20; i++) {
    collect();
    await new Promise((r) => setTimeout(r, 5));
  }
  console.warn = warn;
  return { backend, loop, samples, buffersAfterIdle: memory().buffers, warnings, finalLoss };
}

/** Least-squares slope of `value` against step, per 1,000 steps, over the samples after the first quarter. */
function growthPer1000(samples: readonly Sample[], value: (s: Sample) => number): number {
  const pts = samples.filter((s) => s.step >= samples[samples.length - 1].step / 4);
  const n = pts.length;
  const mx = pts.reduce((a, s) => a + s.step, 0) / n;
  const my = pts.reduce((a, s) => a + value(s), 0) / n;
  let num = 0;
  let den = 0;
  for (const s of pts) {
    num += (s.step - mx) * (value(s) - my);
    den += (s.step - mx) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 1000;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const steps = Number(arg('--steps', '10000'));
  const every = Number(arg('--every', '500'));
  const childSpec = arg('--child', '');
  if (childSpec) {
    const [backend, loop] = childSpec.split(':') as [string, Loop];
    process.stdout.write(JSON.stringify(await child(backend, loop, steps, every)));
    return;
  }
  const backends = arg('--backends', 'cpu,wasm,tfjs').split(',');
  const loops = arg('--loops', LOOPS.join(',')).split(',') as Loop[];
  const self = fileURLToPath(import.meta.url);
  console.log(`memory: the lecture's regression, ${steps} steps, sampled every ${every}; growth per 1,000 steps (slope after the first quarter)\n`);
  console.log('| backend | loop | live buffers / 1k steps | RSS MB / 1k steps | array buffers MB / 1k | heap MB / 1k | buffers at end (after idle) | RSS at end MB | warning |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---|');
  for (const backend of backends) {
    for (const loop of loops) {
      const r = spawnSync(process.execPath, ['--expose-gc', self, '--child', `${backend}:${loop}`, '--steps', String(steps), '--every', String(every)], {
        encoding: 'utf8',
        maxBuffer: 64 * 2 ** 20,
      });
      if (r.status !== 0) {
        console.log(`| ${backend} | ${loop} | failed: ${(r.stderr || r.stdout).split('\n').slice(-3).join(' ')} |`);
        continue;
      }
      const res = JSON.parse(r.stdout) as ChildResult;
      const last = res.samples[res.samples.length - 1];
      const f = (v: number, digits = 2) => v.toFixed(digits);
      console.log(
        `| ${backend} | ${loop} | ${f(growthPer1000(res.samples, (s) => s.buffers), 0)} | ${f(growthPer1000(res.samples, (s) => s.rssMB))} | ` +
          `${f(growthPer1000(res.samples, (s) => s.arrayBuffersMB))} | ${f(growthPer1000(res.samples, (s) => s.heapMB))} | ` +
          `${last.buffers} (${res.buffersAfterIdle}) | ${f(last.rssMB, 0)} | ${res.warnings.length > 0 ? `yes: "${res.warnings[0].slice(0, 70)}..."` : 'no'} |`,
      );
    }
  }
}

await main();
