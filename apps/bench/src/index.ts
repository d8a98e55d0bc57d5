/**
 * tsgrad's benchmark against its peers, every implementation in one process, interleaved:
 *   node dist/index.js [--workload regression|mlp|cnn|all] [--rounds 9] [--steps N] [--warmup N] [--only name,...] [--tfjs-cpu]
 * Prints, per workload, the median time per training step over the rounds, the ratio to the
 * hand-fused loop, and the loss after the same number of steps (every implementation trains).
 * The CNN workload (`pnpm bench:cnn`) has no hand-fused loop: it prints samples/s and each
 * implementation's speed relative to TensorFlow.js on tfjs-backend-wasm instead; TensorFlow.js on
 * tfjs-backend-cpu takes tens of seconds per CNN step, so it joins that workload only with
 * --tfjs-cpu.
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { cnnData, mlpData, regressionData } from './data.js';
import { handFusedMlp, handFusedRegression } from './handfused.js';
import { tsgradCnn, tsgradCoreRegression, tsgradModuleMlp, tsgradModuleRegression } from './tsgrad.js';
import { tfCnn, tfMlp, tfRegression } from './tfjs.js';
import { jaxCnn, jaxMlp, jaxRegression } from './jax.js';
import type { Runner } from './runner.js';

interface Options {
  workload: string;
  rounds: number;
  steps?: number;
  warmup?: number;
  only?: string[];
  /** Add TensorFlow.js on tfjs-backend-cpu to the CNN workload (tens of seconds per step). */
  tfjsCpu?: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { workload: 'all', rounds: 9 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--workload') o.workload = v;
    else if (a === '--rounds') o.rounds = Number(v);
    else if (a === '--steps') o.steps = Number(v);
    else if (a === '--warmup') o.warmup = Number(v);
    else if (a === '--only') o.only = v.split(',').map((s) => s.trim().toLowerCase());
    else if (a === '--tfjs-cpu') {
      o.tfjsCpu = true;
      continue;
    }
    else if (a === '--help' || a === '-h') {
      console.log('node dist/index.js [--workload regression|mlp|cnn|all] [--rounds 9] [--steps N] [--warmup N] [--only substring,...] [--tfjs-cpu]');
      process.exit(0);
    } else continue;
    i++;
  }
  return o;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

interface Row {
  name: string;
  msPerStep: number;
  spread: [number, number];
  loss: number;
  error?: string;
}

/** How a workload's table compares: to its first row (the hand-fused loop), or in samples/s against the row whose name contains `name`. */
type Baseline = { kind: 'first' } | { kind: 'samples'; batch: number; name: string; label: string };

async function run(title: string, makers: (() => Runner)[], stepsPerRound: number, warmup: number, rounds: number, only?: string[], baseline: Baseline = { kind: 'first' }): Promise<Row[]> {
  const runners: (Runner | { name: string; error: string })[] = [];
  for (const make of makers) {
    try {
      const r = make();
      const isBase = r.name.toLowerCase().startsWith('hand') || (baseline.kind === 'samples' && r.name.includes(baseline.name));
      if (only && !isBase && !only.some((s) => r.name.toLowerCase().includes(s))) continue;
      if (r.enter) await r.enter();
      runners.push(r);
    } catch (e) {
      runners.push({ name: String(make.name), error: (e as Error).message });
    }
  }
  const times = new Map<Runner, number[]>();
  const failed = new Map<Runner, string>();
  // Warm-up (JIT compilation, jit tracing, buffer pools), then rounds in turn so that machine noise hits all alike.
  for (const r of runners) {
    if ('error' in r) continue;
    try {
      if (r.enter) await r.enter();
      await r.steps(warmup);
      times.set(r, []);
    } catch (e) {
      failed.set(r, (e as Error).message);
    }
  }
  for (let round = 0; round < rounds; round++) {
    for (const r of times.keys()) {
      if (r.enter) await r.enter();
      const t0 = performance.now();
      await r.steps(stepsPerRound);
      (times.get(r) as number[]).push((performance.now() - t0) / stepsPerRound);
    }
  }
  const rows: Row[] = [];
  for (const r of runners) {
    if ('error' in r) {
      rows.push({ name: r.name, msPerStep: NaN, spread: [NaN, NaN], loss: NaN, error: r.error });
      continue;
    }
    const t = times.get(r);
    if (!t) {
      rows.push({ name: r.name, msPerStep: NaN, spread: [NaN, NaN], loss: NaN, error: failed.get(r) });
      continue;
    }
    if (r.enter) await r.enter();
    const loss = await r.loss();
    rows.push({ name: r.name, msPerStep: median(t), spread: [Math.min(...t), Math.max(...t)], loss });
    r.dispose?.();
  }
  const total = warmup + rounds * stepsPerRound;
  console.log(`\n## ${title}\n`);
  console.log(`${rounds} rounds of ${stepsPerRound} steps after ${warmup} warm-up steps; loss after ${total} steps.\n`);
  if (baseline.kind === 'samples') {
    printSamples(rows, baseline);
    return rows;
  }
  const base = rows[0].msPerStep;
  console.log('| implementation | ms/step (median) | min..max | x hand-fused | final loss |');
  console.log('|---|---:|---:|---:|---:|');
  for (const row of rows) {
    if (row.error !== undefined) console.log(`| ${row.name} | failed: ${row.error} | | | |`);
    else
      console.log(
        `| ${row.name} | ${row.msPerStep.toFixed(4)} | ${row.spread[0].toFixed(4)}..${row.spread[1].toFixed(4)} | ${(row.msPerStep / base).toFixed(2)} | ${row.loss.toFixed(3)} |`,
      );
  }
  return rows;
}

/** The table of a samples/s workload, then the best tsgrad row over the baseline's samples/s. */
function printSamples(rows: Row[], b: { batch: number; name: string; label: string }): void {
  const perSecond = (r: Row) => (1000 * b.batch) / r.msPerStep;
  const base = rows.find((r) => r.name.includes(b.name) && r.error === undefined);
  console.log(`| implementation | ms/step (median) | min..max | samples/s | x ${b.label} | final loss |`);
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    if (row.error !== undefined) console.log(`| ${row.name} | failed: ${row.error} | | | | |`);
    else {
      const ratio = base ? (perSecond(row) / perSecond(base)).toFixed(2) : 'n/a';
      console.log(`| ${row.name} | ${row.msPerStep.toFixed(2)} | ${row.spread[0].toFixed(2)}..${row.spread[1].toFixed(2)} | ${perSecond(row).toFixed(0)} | ${ratio} | ${row.loss.toFixed(4)} |`);
    }
  }
  const ours = rows.filter((r) => r.name.startsWith('tsgrad') && r.error === undefined).sort((p, q) => p.msPerStep - q.msPerStep)[0];
  if (ours && base) console.log(`\nBest tsgrad (${ours.name}) / ${b.label}: ${(perSecond(ours) / perSecond(base)).toFixed(2)}x the samples/s.`);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} logical cores`);
  if (o.workload === 'all' || o.workload === 'regression') {
    const d = regressionData();
    await run(
      'Regression: 1000x1, Linear(1,10) ReLU Linear(10,6) ReLU Linear(6,1), L1, SGD lr 0.001, full batch',
      [
        () => handFusedRegression(d),
        () => tsgradCoreRegression(d),
        () => tsgradModuleRegression(d),
        () => tsgradCoreRegression(d, 'wasm'),
        () => tsgradModuleRegression(d, 'wasm'),
        () => tfRegression('cpu', d),
        () => tfRegression('wasm', d),
        () => jaxRegression(d),
      ],
      o.steps ?? 100,
      o.warmup ?? 100,
      o.rounds,
      o.only,
    );
  }
  if (o.workload === 'all' || o.workload === 'mlp') {
    const d = mlpData();
    await run(
      'MLP: 784-256-128-10, ReLU, softmax cross-entropy, batch 64 of random data, SGD lr 0.01',
      [() => handFusedMlp(d), () => tsgradModuleMlp(d), () => tsgradModuleMlp(d, 'wasm'), () => tfMlp('cpu', d), () => tfMlp('wasm', d), () => jaxMlp(d)],
      o.steps ?? 10,
      o.warmup ?? 10,
      o.rounds,
      o.only,
    );
  }
  // Not part of 'all' (it takes minutes): --workload cnn, or `pnpm bench:cnn`.
  if (o.workload === 'cnn') {
    const d = cnnData();
    await run(
      'CNN: the MNIST example\'s model (Conv2d-BatchNorm2d-ReLU-MaxPool2d x2, Linear 1568-128-10), batch 64 of 1x28x28 random data, softmax cross-entropy, Adam lr 1e-3',
      [() => tsgradCnn(d), () => tsgradCnn(d, 'wasm'), ...(o.tfjsCpu ? [() => tfCnn('cpu', d)] : []), () => tfCnn('wasm', d), () => jaxCnn(d)],
      o.steps ?? 3,
      o.warmup ?? 3,
      o.rounds,
      o.only,
      { kind: 'samples', batch: d.batch, name: 'tfjs-backend-wasm', label: 'tfjs-wasm' },
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
