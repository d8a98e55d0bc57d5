/**
 * The lecture's hard cases for a linear classifier: parity, the ring and three modes. Each is
 * trained with a linear classifier and with a small MLP; the table of test accuracies shows that
 * only the non-linear model can separate them.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { TrainingMonitor, bar, heatmap, savePng, saveSvg, type PlotWindow } from '@tsgrad/plot';
import { datasets, linspace, manualSeed, nn, noGrad, optim, stack, tidy, type Tensor } from 'tsgrad';

type Problem = 'parity' | 'ring' | 'threeModes';
type ModelKind = 'linear' | 'mlp';

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
  /** Called after each epoch (0-based) with the epoch's mean training loss. */
  onEpoch?: (epoch: number, loss: number) => void;
}

const PARITY_PIXELS = 6;

function data(problem: Problem, n: number, seed: number): datasets.ClassificationData {
  if (problem === 'parity') return datasets.parity({ n, pixels: PARITY_PIXELS, seed });
  if (problem === 'ring') return datasets.ring({ n, seed });
  return datasets.threeModes({ n, seed });
}

function makeModel(kind: ModelKind, features: number): nn.Sequential {
  // Two logits and cross-entropy for both, so only the hidden layers differ.
  if (kind === 'linear') return new nn.Sequential(new nn.Linear(features, 2));
  return new nn.Sequential(new nn.Linear(features, 64), new nn.Tanh(), new nn.Linear(64, 64), new nn.Tanh(), new nn.Linear(64, 2));
}

function accuracy(model: nn.Module & { call(x: Tensor): Tensor }, x: Tensor, y: Tensor): number {
  return tidy(() => noGrad(() => model.call(x).argmax(1).eq(y).cast('float32').mean().item()));
}

export function trainClassifier(problem: Problem, kind: ModelKind, options: TrainOptions = {}): ClassifierResult {
  const seed = options.seed ?? 0;
  manualSeed(seed);
  const train = data(problem, 2000, seed);
  const test = data(problem, 1000, seed + 1000);
  const model = makeModel(kind, train.x.shape[1]);
  const lossFunc = new nn.CrossEntropyLoss();
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });
  const loader = new datasets.DataLoader({ x: train.x, y: train.y }, { batchSize: 200, shuffle: true, seed });
  const epochs = options.epochs ?? 150;
  for (let epoch = 0; epoch < epochs; epoch++) {
    let sum = 0;
    let batches = 0;
    for (const batch of loader) {
      sum += tidy(() => {
        optimizer.zeroGrad();
        const loss = lossFunc.call(model.call(batch.x), batch.y);
        loss.backward();
        optimizer.step();
        return loss.item();
      });
      batches++;
    }
    options.onEpoch?.(epoch, sum / batches);
  }
  return { problem, model: kind, trainAccuracy: accuracy(model, train.x, train.y), testAccuracy: accuracy(model, test.x, test.y), net: model, test };
}

export function runClassifiers(options: TrainOptions & { progress?: (problem: Problem, kind: ModelKind) => TrainOptions['onEpoch'] } = {}): ClassifierResult[] {
  const results: ClassifierResult[] = [];
  for (const problem of ['parity', 'ring', 'threeModes'] as const) {
    for (const kind of ['linear', 'mlp'] as const) results.push(trainClassifier(problem, kind, { ...options, onEpoch: options.progress?.(problem, kind) ?? options.onEpoch }));
  }
  return results;
}

const PROBLEM_NAMES: Record<Problem, string> = { parity: `parity (${PARITY_PIXELS} pixels)`, ring: 'ring 1 <= |x| <= 2', threeModes: 'three modes' };
const MODEL_NAMES: Record<ModelKind, string> = { linear: 'linear classifier', mlp: 'MLP (64-64 tanh)' };

/**
 * The probability of class 1 over a grid covering a 2-D problem's test points, with the points
 * on top: where the model puts its boundary. All surfaces share one colour scale, 0 to 1.
 */
export function decisionSurface(r: ClassifierResult, size = 60): PlotWindow {
  const xs = r.test.x;
  const [lo0, hi0, lo1, hi1] = tidy(() => [xs.slice([0, 0], [xs.shape[0], 1]).min().item(), xs.slice([0, 0], [xs.shape[0], 1]).max().item(), xs.slice([0, 1], [xs.shape[0], 1]).min().item(), xs.slice([0, 1], [xs.shape[0], 1]).max().item()]);
  const gx = Array.from({ length: size }, (_, i) => lo0 + ((hi0 - lo0) * i) / (size - 1));
  const gy = Array.from({ length: size }, (_, i) => lo1 + ((hi1 - lo1) * i) / (size - 1));
  const z = tidy(() =>
    noGrad(() => {
      const a = linspace(lo0, hi0, size).reshape([1, size]).expand([size, size]);
      const b = linspace(lo1, hi1, size).reshape([size, 1]).expand([size, size]);
      const grid = stack([a.reshape([size * size]), b.reshape([size * size])], 1).cast(xs.dtype);
      const p = r.net.call(grid).softmax(1).slice([0, 1], [size * size, 1]).reshape([size, size]);
      return p.toArray() as number[][];
    }),
  );
  const px = tidy(() => Array.from(xs.slice([0, 0], [xs.shape[0], 1]).dataSync(), Number));
  const py = tidy(() => Array.from(xs.slice([0, 1], [xs.shape[0], 1]).dataSync(), Number));
  const labels = Array.from(r.test.y.dataSync(), Number);
  return heatmap({
    z,
    x: gx,
    y: gy,
    points: { x: px, y: py, labels },
    opts: { title: `${PROBLEM_NAMES[r.problem]}: ${MODEL_NAMES[r.model]} (test ${(100 * r.testAccuracy).toFixed(1)}%), P(class 1)`, xlabel: 'x₁', ylabel: 'x₂' },
  });
}

/** Test accuracy of every model on every problem, as grouped bars. */
export function accuracyChart(results: readonly ClassifierResult[]): PlotWindow {
  const problems = ['parity', 'ring', 'threeModes'] as const;
  const values = problems.map((p) => (['linear', 'mlp'] as const).map((k) => 100 * (results.find((r) => r.problem === p && r.model === k)?.testAccuracy ?? 0)));
  return bar({ values, categories: problems.map((p) => PROBLEM_NAMES[p]), legend: [MODEL_NAMES.linear, MODEL_NAMES.mlp], opts: { title: 'test accuracy (%) on the hard cases; chance is 50%', ylabel: 'test accuracy (%)' } });
}

/** Writes the accuracy chart and the 2-D problems' decision surfaces as SVG and PNG into `dir`. */
export async function writeClassifierPlots(dir: string, results: readonly ClassifierResult[]): Promise<string[]> {
  const windows: [string, PlotWindow][] = [['classifiers-accuracy', accuracyChart(results)]];
  for (const r of results) if (r.problem !== 'parity') windows.push([`classifiers-${r.problem}-${r.model}`, decisionSurface(r)]);
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
  const header = ['problem', 'linear classifier', 'MLP (64-64 tanh)'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { epochs: { type: 'string', default: '150' }, seed: { type: 'string', default: '0' }, out: { type: 'string', default: 'out' } } });
  const epochs = Number(values.epochs);
  const seed = Number(values.seed);
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs must be a positive integer, got ${values.epochs}`);
  console.log(`classifiers: 3 problems x 2 models, ${epochs} epochs each (Adam, cross-entropy, batches of 200)`);
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
