/**
 * The lecture's hard cases for a linear classifier, as one program that the terminal example
 * (`classifiers.ts`) and the docs site both run: the same data, models, loss, optimizer and
 * epochs. Browser-safe (no Node imports). Each problem lives in the plane, so its decision
 * surface can be drawn:
 * - parity of 2 greyscale pixels: class 1 when exactly one pixel is bright (XOR of the signs);
 * - the ring: class 1 when 1 <= |x| <= 2;
 * - three modes against the rest.
 * Each is fitted by a linear classifier and by a 32-32 tanh MLP, both with two logits,
 * cross-entropy and Adam (lr 0.03) on the full batch of 1000 points for 200 epochs; accuracy is
 * measured on 500 other points.
 */
import { datasets, manualSeed, nn, noGrad, optim, tidy, type Tensor } from 'tsgrad';

export type Problem = 'parity' | 'ring' | 'threeModes';
export type ModelKind = 'linear' | 'mlp';

export const PROBLEMS: readonly { id: Problem; title: string; extent: number }[] = [
  { id: 'parity', title: 'parity (2 greyscale pixels)', extent: 1 },
  { id: 'ring', title: 'ring: class 1 when 1 <= |x| <= 2', extent: 3 },
  { id: 'threeModes', title: 'three modes against the rest', extent: 3 },
];
export const MODEL_NAMES: Record<ModelKind, string> = { linear: 'linear classifier', mlp: 'MLP (32-32 tanh)' };
export const DEFAULT_EPOCHS = 200;
export const TRAIN_POINTS = 1000;
export const TEST_POINTS = 500;

export function problemData(problem: Problem, n: number, seed: number): datasets.ClassificationData {
  if (problem === 'parity') return datasets.parity({ n, pixels: 2, kind: 'greyscale', seed });
  if (problem === 'ring') return datasets.ring({ n, seed });
  return datasets.threeModes({ n, seed });
}

export function makeModel(kind: ModelKind): nn.Sequential {
  // Two logits and cross-entropy for both, so only the hidden layers differ.
  if (kind === 'linear') return new nn.Sequential(new nn.Linear(2, 2));
  return new nn.Sequential(new nn.Linear(2, 32), new nn.Tanh(), new nn.Linear(32, 32), new nn.Tanh(), new nn.Linear(32, 2));
}

export function accuracy(model: nn.Sequential, x: Tensor, y: Tensor): number {
  return tidy(() => noGrad(() => model.call(x).argmax(1).eq(y).cast('float32').mean().item()));
}

/** One model on one problem, ready to train: call `step()` once per epoch. */
export interface HardCase {
  readonly problem: Problem;
  readonly kind: ModelKind;
  readonly model: nn.Sequential;
  readonly train: datasets.ClassificationData;
  readonly test: datasets.ClassificationData;
  /** One epoch (one full-batch step); returns its loss. */
  step(): number;
  trainAccuracy(): number;
  testAccuracy(): number;
  /** Frees the data and the model. */
  dispose(): void;
}

/** The data, model, loss and optimizer of one hard case, seeded. */
export function hardCase(problem: Problem, kind: ModelKind, seed = 0): HardCase {
  manualSeed(seed);
  const train = problemData(problem, TRAIN_POINTS, seed);
  const test = problemData(problem, TEST_POINTS, seed + 1000);
  const model = makeModel(kind);
  const lossFunc = new nn.CrossEntropyLoss();
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.03 });
  return {
    problem,
    kind,
    model,
    train,
    test,
    step: () =>
      tidy(() => {
        optimizer.zeroGrad();
        const loss = lossFunc.call(model.call(train.x), train.y);
        loss.backward();
        optimizer.step();
        return loss.item();
      }),
    trainAccuracy: () => accuracy(model, train.x, train.y),
    testAccuracy: () => accuracy(model, test.x, test.y),
    dispose: () => {
      for (const t of [train.x, train.y, train.yFloat, test.x, test.y, test.yFloat, ...model.parameters()]) t.dispose();
    },
  };
}
