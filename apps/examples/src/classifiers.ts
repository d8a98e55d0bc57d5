/**
 * The lecture's hard cases for a linear classifier, in the terminal: parity, the ring and three
 * modes, each trained with a linear classifier and with a small MLP (the program of
 * `hard-cases.ts`, which the docs site runs too), with a progress bar per model, the table of
 * test accuracies, and the decision surfaces written as SVG and PNG.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { TrainingMonitor, bar, heatmap, savePng, saveSvg, type PlotWindow } from '@tsgrad/plot';
import { linspace, noGrad, stack, tidy, type datasets, type nn } from 'tsgrad';
import { DEFAULT_EPOCHS, MODEL_NAMES, PROBLEMS, hardCase, type ModelKind, type Problem } from './hard-cases.js';

export { PROBLEMS, MODEL_NAMES, hardCase, type ModelKind, type Problem } from './hard-cases.js';

export interface ClassifierResult {
  problem: Problem;
  model: ModelKind;
  trainAccuracy: number;
  testAccuracy: number;
  /** The trained model (for the decision-surface plots). */
  net: nn.Sequential;
  /** The test set the accuracy was measured on. */
  test: datasets.ClassificationData;
}

export interface TrainOptions {
  epochs?: number;
  seed?: number;
  /** Called after each epoch (0-based) with the epoch's training loss. */
  onEpoch?: (epoch: number, loss: number) => void;
}

export function trainClassifier(problem: Problem, kind: ModelKind, options: TrainOptions = {}): ClassifierResult {
  const hc = hardCase(problem, kind, options.seed ?? 0);
  const epochs = options.epochs ?? DEFAULT_EPOCHS;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const loss = hc.step();
    options.onEpoch?.(epoch, loss);
  }
  return { problem, model: kind, trainAccuracy: hc.trainAccuracy(), testAccuracy: hc.testAccuracy(), net: hc.model, test: hc.test };
}

export function runClassifiers(options: TrainOptions & { progress?: (problem: Problem, kind: ModelKind) => TrainOptions['onEpoch'] } = {}): ClassifierResult[] {
  const results: ClassifierResult[] = [];
  for (const { id: problem } of PROBLEMS) {
    for (const kind of ['linear', 'mlp'] as const) results.push(trainClassifier(problem, kind, { ...options, onEpoch: options.progress?.(problem, kind) ?? options.onEpoch }));
  }
  return results;
}

const PROBLEM_NAMES = Object.fromEntries(PROBLEMS.map((p) => [p.id, p.title])) as Record<Problem, string>;

/**
 * The probability of class 1 over a grid covering a 2-D problem's test points, with the points
 * on top: where the model puts its boundary. All surfaces share one colour scale, 0 to 1.
 */
export function decisionSurface(r: ClassifierResult, size = 60): PlotWindow {
  const extent = PROBLEMS.find((p) => p.id === r.problem)!.extent;
  const axis = Array.from({ length: size }, (_, i) => -extent + (2 * extent * i) / (size - 1));
  const z = tidy(() =>
    noGrad(() => {
      const a = linspace(-extent, extent, size).reshape([1, size]).expand([size, size]);
      const b = linspace(-extent, extent, size).reshape([size, 1]).expand([size, size]);
      const grid = stack([a.reshape([size * size]), b.reshape([size * size])], 1).cast(r.test.x.dtype);
      return r.net.call(grid).softmax(1).slice([0, 1], [size * size, 1]).reshape([size, size]).toArray() as number[][];
    }),
  );
  const xs = r.test.x.dataSync();
  const n = r.test.x.shape[0];
  const labels = Array.from(r.test.y.dataSync(), (l) => `class ${l}`);
  const w = heatmap({
    z,
    x: axis,
    y: axis,
    points: { x: Array.from({ length: n }, (_, i) => xs[2 * i]!), y: Array.from({ length: n }, (_, i) => xs[2 * i + 1]!), labels },
    opts: { title: `${PROBLEM_NAMES[r.problem]}: ${MODEL_NAMES[r.model]} (test ${(100 * r.testAccuracy).toFixed(1)}%), P(class 1)`, xlabel: 'x₁', ylabel: 'x₂' },
  });
  return w;
}

/** Test accuracy of every model on every problem, as grouped bars. */
export function accuracyChart(results: readonly ClassifierResult[]): PlotWindow {
  const problems = ['parity', 'ring', 'threeModes'] as const;
  const values = problems.map((p) => (['linear', 'mlp'] as const).map((k) => 100 * (results.find((r) => r.problem === p && r.model === k)?.testAccuracy ?? 0)));
  return bar({ values, categories: problems.map((p) => PROBLEM_NAMES[p]), legend: [MODEL_NAMES.linear, MODEL_NAMES.mlp], opts: { title: 'test accuracy (%) on the hard cases; chance is 50%', ylabel: 'test accuracy (%)' } });
}

/** Writes the accuracy chart and every model's decision surface as SVG and PNG into `dir`. */
export async function writeClassifierPlots(dir: string, results: readonly ClassifierResult[]): Promise<string[]> {
  const windows: [string, PlotWindow][] = [['classifiers-accuracy', accuracyChart(results)]];
  for (const r of results) windows.push([`classifiers-${r.problem}-${r.model}`, decisionSurface(r)]);
  const files: string[] = [];
  for (const [name, w] of windows) files.push(await saveSvg(w, join(dir, `${name}.svg`)), await savePng(w, join(dir, `${name}.png`)));
  return files;
}

export function formatTable(results: readonly ClassifierResult[]): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const rows = (['parity', 'ring', 'threeModes'] as const).map((p) => {
    const lin = results.find((r) => r.problem === p && r.model === 'linear');
    const mlp = results.find((r) => r.problem === p && r.model === 'mlp');
    return [PROBLEM_NAMES[p], lin ? pct(lin.testAccuracy) : '-', mlp ? pct(mlp.testAccuracy) : '-'];
  });
  const header = ['problem', MODEL_NAMES.linear, MODEL_NAMES.mlp];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { epochs: { type: 'string', default: String(DEFAULT_EPOCHS) }, seed: { type: 'string', default: '0' }, out: { type: 'string', default: 'out' } } });
  const epochs = Number(values.epochs);
  const seed = Number(values.seed);
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs must be a positive integer, got ${values.epochs}`);
  console.log(`classifiers: 3 problems x 2 models, ${epochs} epochs each (Adam, cross-entropy, full batch of 1000 points; accuracy on 500 others)`);
  let monitor: TrainingMonitor | undefined;
  const results = runClassifiers({
    epochs,
    seed,
    progress: (problem, kind) => {
      monitor?.stop();
      console.log(`\n${PROBLEM_NAMES[problem]}, ${MODEL_NAMES[kind]}:`);
      monitor = new TrainingMonitor({ total: epochs, label: 'loss', stepName: 'epoch', zeroBased: true, height: 6 });
      return (epoch, loss) => monitor!.update(loss, epoch);
    },
  });
  monitor?.stop();
  console.log('\nTest accuracy of each model on the hard cases for a linear classifier (chance is 50%):\n');
  console.log(formatTable(results));
  const files = await writeClassifierPlots(values.out, results);
  console.log(`\nplots: ${files.join(', ')}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
