/**
 * The lecture's hard cases for a linear classifier: parity, the ring and three modes. Each is
 * trained with a linear classifier and with a small MLP; the table of test accuracies shows that
 * only the non-linear model can separate them.
 */
import { parseArgs } from 'node:util';
import { datasets, manualSeed, nn, noGrad, optim, tidy, type Tensor } from 'tsgrad';

type Problem = 'parity' | 'ring' | 'threeModes';
type ModelKind = 'linear' | 'mlp';

export interface ClassifierResult {
  problem: Problem;
  model: ModelKind;
  trainAccuracy: number;
  testAccuracy: number;
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

export function trainClassifier(problem: Problem, kind: ModelKind, options: { epochs?: number; seed?: number } = {}): ClassifierResult {
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
    for (const batch of loader) {
      tidy(() => {
        optimizer.zeroGrad();
        lossFunc.call(model.call(batch.x), batch.y).backward();
        optimizer.step();
      });
    }
  }
  return { problem, model: kind, trainAccuracy: accuracy(model, train.x, train.y), testAccuracy: accuracy(model, test.x, test.y) };
}

export function runClassifiers(options: { epochs?: number; seed?: number } = {}): ClassifierResult[] {
  const results: ClassifierResult[] = [];
  for (const problem of ['parity', 'ring', 'threeModes'] as const) {
    for (const kind of ['linear', 'mlp'] as const) results.push(trainClassifier(problem, kind, options));
  }
  return results;
}

export function formatTable(results: readonly ClassifierResult[]): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const names: Record<Problem, string> = { parity: `parity (${PARITY_PIXELS} pixels)`, ring: 'ring 1 <= |x| <= 2', threeModes: 'three modes' };
  const rows = (['parity', 'ring', 'threeModes'] as const).map((p) => {
    const lin = results.find((r) => r.problem === p && r.model === 'linear');
    const mlp = results.find((r) => r.problem === p && r.model === 'mlp');
    return [names[p], lin ? pct(lin.testAccuracy) : '-', mlp ? pct(mlp.testAccuracy) : '-'];
  });
  const header = ['problem', 'linear classifier', 'MLP (64-64 tanh)'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function main(): void {
  const { values } = parseArgs({ options: { epochs: { type: 'string', default: '150' }, seed: { type: 'string', default: '0' } } });
  const epochs = Number(values.epochs);
  const seed = Number(values.seed);
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs must be a positive integer, got ${values.epochs}`);
  console.log('Test accuracy of each model on the hard cases for a linear classifier (chance is 50%):\n');
  console.log(formatTable(runClassifiers({ epochs, seed })));
}

if (import.meta.url === `file://${process.argv[1]}`) main();
