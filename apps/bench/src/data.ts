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
