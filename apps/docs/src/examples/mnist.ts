/**
 * The MNIST example in the browser: apps/examples' CNN (`mnistModel`, the same module the Node
 * program trains) trained with Adam, a one-cycle schedule and cross-entropy on the subset of real
 * digits the site ships (scripts/mnist-subset.mjs writes it at build time: 2,000 training and 500
 * held-out test digits), then used to classify digits the reader draws. The loop yields to the
 * browser after every step so the page stays responsive and the progress redraws.
 */
import { nn, noGrad, optim, tensor, tidy, type Tensor } from 'tsgrad';
import { PIXELS, SIDE, digitBatch, mnistModel, mnistStep, type Digits } from '../../../examples/src/mnist-model.js';

export { mnistModel, SIDE, PIXELS, type Digits };

export interface Subset {
  readonly train: Digits;
  readonly test: Digits;
}

/** Reads the subset's bytes (format: scripts/mnist-subset.mjs). */
export function decodeSubset(bytes: Uint8Array): Subset {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (bytes.byteLength < 16 || magic !== 'TSGM' || view.getUint32(4, true) !== 1) {
    throw new Error(`mnist subset: not a version-1 "TSGM" file (${bytes.byteLength} bytes, magic "${magic}"); rebuild the site (scripts/mnist-subset.mjs)`);
  }
  const trainCount = view.getUint32(8, true);
  const testCount = view.getUint32(12, true);
  const n = trainCount + testCount;
  if (bytes.byteLength !== 16 + n * (1 + PIXELS)) {
    throw new Error(`mnist subset: ${n} digits need ${16 + n * (1 + PIXELS)} bytes, the file has ${bytes.byteLength}; rebuild the site`);
  }
  const part = (from: number, count: number): Digits => {
    const labels = Int32Array.from(bytes.subarray(16 + from, 16 + from + count));
    const raw = bytes.subarray(16 + n + from * PIXELS, 16 + n + (from + count) * PIXELS);
    const images = new Float32Array(raw.length);
    for (let i = 0; i < raw.length; i++) images[i] = raw[i]! / 255;
    return { images, labels, count };
  };
  return { train: part(0, trainCount), test: part(trainCount, testCount) };
}

/** Fetches the subset that the build put next to the page (same origin; nothing from the network). */
export async function loadSubset(url: string): Promise<Subset> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`mnist subset: ${url} answered ${response.status}`);
  return decodeSubset(new Uint8Array(await response.arrayBuffer()));
}

/** A shuffled 0..n-1 (Fisher-Yates). */
function shuffled(n: number): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

/** The fraction of the first `count` digits of `d` that `model` (in eval mode) classifies right. */
export function accuracy(model: nn.Module, d: Digits, backend: string, count = d.count, batchSize = 250): number {
  const order = Int32Array.from({ length: count }, (_, i) => i);
  model.eval();
  let right = 0;
  for (let from = 0; from < count; from += batchSize) {
    const to = Math.min(count, from + batchSize);
    const predicted = tidy(() => noGrad(() => {
      const { x } = digitBatch(d, order, from, to, backend);
      return Array.from((model.call(x) as Tensor).argmax(1).dataSync() as ArrayLike<number>);
    }));
    predicted.forEach((p, i) => { if (p === d.labels[from + i]) right++; });
  }
  return right / count;
}

export interface MnistProgress {
  epoch: number;
  /** Steps done, and how many the run has. */
  step: number;
  steps: number;
  /** Every step's training loss so far. */
  losses: readonly number[];
  /** Set after an epoch: that epoch's mean loss and the test accuracy. */
  epochResult?: { loss: number; accuracy: number };
}

export interface MnistPageOptions {
  backend: string;
  epochs?: number;
  batchSize?: number;
  /** The one-cycle schedule's peak learning rate (the Node example's 3e-3). */
  maxLr?: number;
  /** Stop after this many steps in all (tests: SwiftShader computes WebGL on the CPU). */
  maxSteps?: number;
  /** Evaluate on the first `testCount` test digits only. */
  testCount?: number;
  onProgress?: (progress: MnistProgress) => Promise<void> | void;
}

/** Trains `mnistModel()` on the subset; returns it in eval mode with its losses and test accuracy. */
export async function trainMnistInPage(data: Subset, options: MnistPageOptions): Promise<{ model: nn.Sequential; losses: number[]; accuracy: number; steps: number }> {
  const { backend, epochs = 3, batchSize = 64, maxLr = 3e-3 } = options;
  const testCount = Math.min(options.testCount ?? data.test.count, data.test.count);
  const stepsPerEpoch = Math.ceil(data.train.count / batchSize);
  const steps = Math.min(epochs * stepsPerEpoch, options.maxSteps ?? Infinity);
  const model = mnistModel().to(backend);
  const optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const scheduler = new optim.OneCycleLR(optimizer, { maxLr, totalSteps: steps });
  const lossFunc = new nn.CrossEntropyLoss();
  const losses: number[] = [];
  let testAccuracy = NaN;
  for (let epoch = 0; losses.length < steps; epoch++) {
    model.train();
    const order = shuffled(data.train.count);
    const first = losses.length;
    for (let s = 0; s < stepsPerEpoch && losses.length < steps; s++) {
      const loss = mnistStep(model, optimizer, lossFunc, data.train, order, s * batchSize, Math.min(data.train.count, (s + 1) * batchSize), backend);
      scheduler.step();
      losses.push(loss);
      await options.onProgress?.({ epoch, step: losses.length, steps, losses });
      await nextTask();
    }
    testAccuracy = accuracy(model, data.test, backend, testCount);
    const epochLosses = losses.slice(first);
    const epochResult = { loss: epochLosses.reduce((a, b) => a + b, 0) / epochLosses.length, accuracy: testAccuracy };
    await options.onProgress?.({ epoch, step: losses.length, steps, losses, epochResult });
    await nextTask();
  }
  model.eval();
  return { model, losses, accuracy: testAccuracy, steps };
}

/** The 10 class probabilities (softmax of the scores) that `model` gives one 28x28 image. */
export function classify(model: nn.Module, pixels: Float32Array, backend: string): number[] {
  if (pixels.length !== PIXELS) throw new Error(`classify: a 28x28 image has ${PIXELS} pixels, got ${pixels.length}`);
  model.eval();
  return tidy(() => noGrad(() => {
    const x = tensor(pixels, { backend, dtype: 'float32' }).reshape([1, 1, SIDE, SIDE]);
    return Array.from((model.call(x) as Tensor).softmax(1).dataSync() as ArrayLike<number>);
  }));
}

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
