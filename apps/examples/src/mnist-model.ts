/**
 * The MNIST example's CNN, in a module without Node imports so the docs site trains the same
 * model in the browser (apps/docs/src/examples/mnist.ts) as `src/mnist.ts` does in Node.
 */
import { nn, tensor, tidy, type Tensor } from 'tsgrad';

/** Pixels per side. */
export const SIDE = 28;
export const PIXELS = SIDE * SIDE;

export interface Digits {
  /** Row-major pixels, `count * 784` values in [0, 1]. */
  readonly images: Float32Array;
  /** The class of each digit, 0-9. */
  readonly labels: Int32Array;
  readonly count: number;
}


/**
 * The model: two blocks of Conv2d-BatchNorm2d-ReLU-MaxPool2d, then two Linear layers.
 * Input [N, 1, 28, 28] float32 (pixels in [0, 1]) -> 16x14x14 -> 32x7x7 -> 128 -> [N, 10] class
 * scores (logits). The PyTorch twin is reference/mnist_reference.py's `model()`.
 */
export function mnistModel(): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(1, 16, 3, { padding: 1 }),
    new nn.BatchNorm2d(16),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(16, 32, 3, { padding: 1 }),
    new nn.BatchNorm2d(32),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(32 * 7 * 7, 128),
    new nn.ReLU(),
    new nn.Linear(128, 10),
  );
}

/**
 * Digits order[from..to) of `d` as a batch: x [n, 1, 28, 28] float32 and y [n] int32 class
 * indices, on `backend` (the current one when undefined).
 */
export function digitBatch(d: Digits, order: ArrayLike<number>, from: number, to: number, backend?: string): { x: Tensor; y: Tensor } {
  const n = to - from;
  const pixels = new Float32Array(n * PIXELS);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = order[from + i]!;
    pixels.set(d.images.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
    labels[i] = d.labels[k]!;
  }
  const opts = backend ? { backend } : {};
  return { x: tensor(pixels, { ...opts, dtype: 'float32' }).reshape([n, 1, SIDE, SIDE]), y: tensor(labels, { ...opts, dtype: 'int32' }) };
}

/** One training step on digits order[from..to), PyTorch's zero_grad/forward/backward/step; returns the batch loss. */
export function mnistStep(
  model: nn.Module,
  optimizer: { zeroGrad(): void; step(): void },
  lossFunc: { call(input: Tensor, target: Tensor): Tensor },
  d: Digits,
  order: ArrayLike<number>,
  from: number,
  to: number,
  backend?: string,
): number {
  return tidy(() => {
    const { x, y } = digitBatch(d, order, from, to, backend);
    optimizer.zeroGrad();
    const loss = lossFunc.call(model.call(x) as Tensor, y);
    loss.backward();
    optimizer.step();
    return loss.item();
  });
}
