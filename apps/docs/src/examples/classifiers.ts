/**
 * The lecture's hard cases for a linear classifier: parity, the ring and three modes. Each is
 * trained with a linear classifier and with a small MLP on the page's backend (full batch, Adam,
 * cross-entropy); the decision surface (P(class 1) over a grid) shows why only the MLP fits.
 */
import { datasets, manualSeed, nn, noGrad, optim, tensor, tidy, type Tensor } from 'tsgrad';
import { heatmap, type VegaLiteSpec } from '@tsgrad/plot/browser';

export type Problem = 'parity' | 'ring' | 'threeModes';
export type ModelKind = 'linear' | 'mlp';

export const PROBLEMS: readonly { id: Problem; title: string; extent: number }[] = [
  // Two pixels, so the images are points in the plane: class 1 when exactly one pixel is > 0.
  { id: 'parity', title: 'parity (2 greyscale pixels)', extent: 1 },
  { id: 'ring', title: 'ring: class 1 when 1 <= |x| <= 2', extent: 3 },
  { id: 'threeModes', title: 'three modes against the rest', extent: 3 },
];

function data(problem: Problem, n: number, seed: number): datasets.ClassificationData {
  if (problem === 'parity') return datasets.parity({ n, pixels: 2, kind: 'greyscale', seed });
  if (problem === 'ring') return datasets.ring({ n, seed });
  return datasets.threeModes({ n, seed });
}

function makeModel(kind: ModelKind): nn.Sequential {
  // Two logits and cross-entropy for both, so only the hidden layers differ.
  if (kind === 'linear') return new nn.Sequential(new nn.Linear(2, 2));
  return new nn.Sequential(new nn.Linear(2, 32), new nn.Tanh(), new nn.Linear(32, 32), new nn.Tanh(), new nn.Linear(32, 2));
}

function accuracy(model: nn.Sequential, x: Tensor, y: Tensor): number {
  return tidy(() => noGrad(() => model.call(x).argmax(1).eq(y).cast('float32').mean().item()));
}

export interface ClassifierResult {
  problem: Problem;
  model: ModelKind;
  trainAccuracy: number;
  testAccuracy: number;
  /** The decision surface with the test points on it. */
  spec: VegaLiteSpec;
}

/** P(class 1) on a `size` × `size` grid over [-extent, extent]², rows along y. */
function surface(model: nn.Sequential, extent: number, size: number): { axis: number[]; z: number[][] } {
  const axis = Array.from({ length: size }, (_, i) => -extent + (2 * extent * i) / (size - 1));
  const grid = axis.flatMap((y) => axis.flatMap((x) => [x, y]));
  const p = tidy(() => noGrad(() => model.call(tensor(grid).reshape([size * size, 2])).softmax(1).dataSync()));
  return { axis, z: axis.map((_, r) => axis.map((_, c) => p[2 * (r * size + c) + 1]!)) };
}

/** Lets the browser paint and handle input between chunks of training. */
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export async function trainClassifier(problem: Problem, kind: ModelKind, options: { epochs?: number; seed?: number; title?: string } = {}): Promise<ClassifierResult> {
  const seed = options.seed ?? 0;
  manualSeed(seed);
  const train = data(problem, 1000, seed);
  const test = data(problem, 500, seed + 1000);
  const model = makeModel(kind);
  const lossFunc = new nn.CrossEntropyLoss();
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.03 });
  const epochs = options.epochs ?? 200;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    tidy(() => {
      optimizer.zeroGrad();
      lossFunc.call(model.call(train.x), train.y).backward();
      optimizer.step();
    });
    if (epoch % 25 === 0) await nextTask();
  }
  const extent = PROBLEMS.find((p) => p.id === problem)!.extent;
  const { axis, z } = surface(model, extent, 41);
  const xs = test.x.dataSync();
  const labels = Array.from(test.y.dataSync(), (l) => `class ${l}`);
  const shown = 300; // enough points to see the classes without hiding the surface
  const spec = heatmap({
    z,
    x: axis,
    y: axis,
    points: { x: Array.from({ length: shown }, (_, i) => xs[2 * i]!), y: Array.from({ length: shown }, (_, i) => xs[2 * i + 1]!), labels: labels.slice(0, shown) },
    opts: { title: options.title ?? `${kind === 'linear' ? 'linear classifier' : 'MLP (32-32 tanh)'}: P(class 1)`, xlabel: 'x₁', ylabel: 'x₂', width: 240, height: 240 },
  }).toSpec();
  // One colour scale for every surface, P(class 1) from 0 to 1, so that equal colours mean equal
  // probabilities across the two classifiers and the three problems.
  const layers = (spec as { layer?: { encoding: { color: { scale: Record<string, unknown> } } }[] }).layer;
  if (layers?.[0]) layers[0].encoding.color.scale = { scheme: 'viridis', domain: [0, 1] };
  const result = { problem, model: kind, trainAccuracy: accuracy(model, train.x, train.y), testAccuracy: accuracy(model, test.x, test.y), spec };
  for (const t of [train.x, train.y, train.yFloat, test.x, test.y, test.yFloat, ...model.parameters()]) t.dispose();
  return result;
}
