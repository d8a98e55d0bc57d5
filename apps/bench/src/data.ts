/**
 * The workloads' data and initial weights, generated once from a small seeded PRNG so that
 * every implementation starts from the same numbers and trains the same problem.
 */

/** mulberry32: a tiny seeded PRNG, enough for benchmark data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(r: () => number): number {
  const u = 1 - r();
  const v = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A dense layer's parameters: weight [out, in] row-major (PyTorch's layout) and bias [out]. */
export interface LayerInit {
  readonly inF: number;
  readonly outF: number;
  readonly weight: Float32Array;
  readonly bias: Float32Array;
}

/** PyTorch's Linear init: W and b from U(±1/√in). */
export function initLayers(sizes: readonly number[], seed: number): LayerInit[] {
  const r = rng(seed);
  const layers: LayerInit[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const inF = sizes[l];
    const outF = sizes[l + 1];
    const bound = 1 / Math.sqrt(inF);
    const weight = new Float32Array(outF * inF).map(() => (2 * r() - 1) * bound);
    const bias = new Float32Array(outF).map(() => (2 * r() - 1) * bound);
    layers.push({ inF, outF, weight, bias });
  }
  return layers;
}

/** W [out,in] -> Wᵀ [in,out] (TensorFlow.js and jax-js keep the kernel as [in, out]). */
export function transposed(l: LayerInit): Float32Array {
  const t = new Float32Array(l.inF * l.outF);
  for (let o = 0; o < l.outF; o++) for (let i = 0; i < l.inF; i++) t[i * l.outF + o] = l.weight[o * l.inF + i];
  return t;
}

/** The lecture's practice problem: x ~ U(-15, 15), y = 8x² + 7x + 3 + N(0, 1), 1000 points. */
export interface RegressionData {
  readonly n: number;
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly sizes: readonly number[];
  readonly layers: LayerInit[];
  readonly lr: number;
}

export function regressionData(n = 1000, seed = 1): RegressionData {
  const r = rng(seed);
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = -15 + 30 * r();
    x[i] = v;
    y[i] = 8 * v * v + 7 * v + 3 + gaussian(r);
  }
  const sizes = [1, 10, 6, 1];
  return { n, x, y, sizes, layers: initLayers(sizes, seed + 100), lr: 0.001 };
}

/** A kernel-bound classifier: 784-256-128-10 MLP, cross-entropy, random inputs and labels. */
export interface MlpData {
  readonly batch: number;
  readonly x: Float32Array;
  /** Class indices. */
  readonly labels: Int32Array;
  /** The same labels one-hot, [batch, classes]. */
  readonly oneHot: Float32Array;
  readonly sizes: readonly number[];
  readonly layers: LayerInit[];
  readonly lr: number;
}

export function mlpData(batch = 64, seed = 2): MlpData {
  const r = rng(seed);
  const sizes = [784, 256, 128, 10];
  const classes = sizes[sizes.length - 1];
  const x = new Float32Array(batch * sizes[0]).map(() => r());
  const labels = new Int32Array(batch).map(() => Math.floor(r() * classes));
  const oneHot = new Float32Array(batch * classes);
  labels.forEach((c, i) => (oneHot[i * classes + c] = 1));
  return { batch, x, labels, oneHot, sizes, layers: initLayers(sizes, seed + 100), lr: 0.01 };
}

/** A conv layer's parameters in PyTorch's layout: weight [outC, inC, k, k] row-major, bias [outC]. */
export interface ConvInit {
  readonly inC: number;
  readonly outC: number;
  readonly k: number;
  readonly weight: Float32Array;
  readonly bias: Float32Array;
}

/**
 * The MNIST example's CNN (apps/examples/src/mnist-model.ts) on a batch of fixed random 28x28
 * images: Conv2d(1,16,3,pad 1)-BatchNorm2d-ReLU-MaxPool2d(2)-Conv2d(16,32,3,pad 1)-BatchNorm2d-
 * ReLU-MaxPool2d(2)-Flatten-Linear(1568,128)-ReLU-Linear(128,10), Adam.
 */
export interface CnnData {
  readonly batch: number;
  /** [batch, 1, 28, 28] (NCHW), pixels in [0, 1). */
  readonly x: Float32Array;
  /** Class indices. */
  readonly labels: Int32Array;
  /** The same labels one-hot, [batch, 10]. */
  readonly oneHot: Float32Array;
  readonly convs: ConvInit[];
  /** Linear(1568, 128) (inputs in NCHW flatten order: c·49 + h·7 + w) and Linear(128, 10). */
  readonly dense: LayerInit[];
  readonly lr: number;
}

/** PyTorch's Conv2d init: weight and bias from U(±1/√(inC·k·k)). */
function initConv(inC: number, outC: number, k: number, r: () => number): ConvInit {
  const bound = 1 / Math.sqrt(inC * k * k);
  const weight = new Float32Array(outC * inC * k * k).map(() => (2 * r() - 1) * bound);
  const bias = new Float32Array(outC).map(() => (2 * r() - 1) * bound);
  return { inC, outC, k, weight, bias };
}

export function cnnData(batch = 64, seed = 3): CnnData {
  const r = rng(seed);
  const classes = 10;
  const x = new Float32Array(batch * 28 * 28).map(() => r());
  const labels = new Int32Array(batch).map(() => Math.floor(r() * classes));
  const oneHot = new Float32Array(batch * classes);
  labels.forEach((c, i) => (oneHot[i * classes + c] = 1));
  const convs = [initConv(1, 16, 3, r), initConv(16, 32, 3, r)];
  return { batch, x, labels, oneHot, convs, dense: initLayers([32 * 7 * 7, 128, 10], seed + 100), lr: 1e-3 };
}

/** NCHW [n, c, h, w] → NHWC [n, h, w, c] (TensorFlow.js's image layout). */
export function toNhwc(x: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) out[((b * h + i) * w + j) * c + ch] = x[((b * c + ch) * h + i) * w + j];
  return out;
}

/** A conv weight [outC, inC, k, k] → TensorFlow.js's kernel layout [k, k, inC, outC]. */
export function convKernelHwio(l: ConvInit): Float32Array {
  const { inC, outC, k } = l;
  const out = new Float32Array(l.weight.length);
  for (let o = 0; o < outC; o++)
    for (let i = 0; i < inC; i++)
      for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) out[((a * k + b) * inC + i) * outC + o] = l.weight[((o * inC + i) * k + a) * k + b];
  return out;
}

/**
 * The first dense layer's kernel for an NHWC flatten: TensorFlow.js flattens [h, w, c] where
 * PyTorch flattens [c, h, w], so input row (h·W + w)·C + c of the [in, out] kernel takes
 * PyTorch's column c·H·W + h·W + w.
 */
export function denseKernelAfterNhwcFlatten(l: LayerInit, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(l.inF * l.outF);
  for (let o = 0; o < l.outF; o++)
    for (let ch = 0; ch < c; ch++)
      for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) out[((i * w + j) * c + ch) * l.outF + o] = l.weight[o * l.inF + (ch * h + i) * w + j];
  return out;
}
