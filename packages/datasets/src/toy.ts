import { Generator, Tensor, ValueError, getBackend, type DType } from '@tsgrad/core';

/** Options every generator takes. */
export interface DatasetOptions {
  /** Number of samples. */
  n?: number;
  /** Seeds a fresh Generator: the same seed gives the same data on every backend. */
  seed?: number;
  /** Backend for the tensors (the current one by default). */
  backend?: string;
  /** Float dtype of the inputs (float32 by default). */
  dtype?: 'float32' | 'float64';
}

/** A classification set: inputs, int32 labels and the same labels as a float column. */
export interface ClassificationData {
  /** Inputs, [n, features]. */
  x: Tensor;
  /** Class labels 0/1 as int32, [n] (for cross-entropy and accuracy). */
  y: Tensor;
  /** The labels as a float column [n, 1] (for BCE / a single-output network). */
  yFloat: Tensor;
}

export function checkCount(op: string, n: unknown, min = 1): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min) {
    throw new ValueError(`${op}: n must be an integer >= ${min}, got ${String(n)}.`);
  }
  return n;
}

function checkNumber(op: string, name: string, v: unknown, test: (v: number) => boolean, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !test(v)) {
    throw new ValueError(`${op}: ${name} must be ${what}, got ${String(v)}.`);
  }
  return v;
}

function floatArray(dtype: 'float32' | 'float64', n: number): Float32Array | Float64Array {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

function checkDType(op: string, dtype: unknown): 'float32' | 'float64' {
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new ValueError(`${op}: dtype must be "float32" or "float64", got ${JSON.stringify(dtype)}.`);
  }
  return dtype;
}

function classification(features: Float32Array | Float64Array, labels: Int32Array, d: number, options: DatasetOptions): ClassificationData {
  const backend = getBackend(options.backend);
  const n = labels.length;
  const dtype: DType = features instanceof Float64Array ? 'float64' : 'float32';
  const yf = floatArray(dtype as 'float32' | 'float64', n);
  for (let i = 0; i < n; i++) yf[i] = labels[i];
  return {
    x: Tensor.fromValues(features, [n, d], dtype, backend),
    y: Tensor.fromValues(labels, [n], 'int32', backend),
    yFloat: Tensor.fromValues(yf, [n, 1], dtype, backend),
  };
}

/** Labels with floor(n/2) zeros and ceil(n/2) ones, in a seeded random order. */
function balancedLabels(n: number, gen: Generator): Int32Array {
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = i < Math.floor(n / 2) ? 0 : 1;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(gen.nextDouble() * (i + 1));
    const t = labels[i];
    labels[i] = labels[j];
    labels[j] = t;
  }
  return labels;
}

/**
 * The lecture's parity problem: images of `pixels` values in [-1, 1], label 1 when the number of
 * pixels > 0 is odd, 0 when even. Binary images hold ±1, greyscale ones any non-zero value in
 * [-1, 1]. Classes are balanced (floor(n/2) even, the rest odd) and, within a class, images are
 * uniform: a random image of the wrong parity gets one random pixel's sign flipped.
 */
export function parity(options: DatasetOptions & { pixels?: number; kind?: 'binary' | 'greyscale' } = {}): ClassificationData {
  const op = 'parity';
  const n = checkCount(op, options.n ?? 1000, 2);
  const pixels = checkNumber(op, 'pixels', options.pixels ?? 8, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  const kind = options.kind ?? 'binary';
  if (kind !== 'binary' && kind !== 'greyscale') throw new ValueError(`${op}: kind must be "binary" or "greyscale", got ${JSON.stringify(kind)}.`);
  const gen = new Generator(options.seed ?? 0);
  const labels = balancedLabels(n, gen);
  const x = floatArray(checkDType(op, options.dtype ?? 'float32'), n * pixels);
  for (let i = 0; i < n; i++) {
    let positives = 0;
    for (let j = 0; j < pixels; j++) {
      const sign = gen.nextDouble() < 0.5 ? -1 : 1;
      // 1 - u lies in (0, 1], so no pixel is exactly 0 and a sign flip always changes the count.
      const magnitude = kind === 'binary' ? 1 : 1 - gen.nextDouble();
      x[i * pixels + j] = sign * magnitude;
      if (sign > 0) positives++;
    }
    if (positives % 2 !== labels[i]) {
      const j = Math.floor(gen.nextDouble() * pixels);
      x[i * pixels + j] = -x[i * pixels + j];
    }
  }
  return classification(x, labels, pixels, options);
}

/** Draws uniform points in the square [-half, half]² until `accept` says yes. */
function rejection(gen: Generator, half: number, accept: (a: number, b: number) => boolean): [number, number] {
  for (;;) {
    const a = (2 * gen.nextDouble() - 1) * half;
    const b = (2 * gen.nextDouble() - 1) * half;
    if (accept(a, b)) return [a, b];
  }
}

/**
 * The ring: 2-D points in [-extent, extent]², label 1 when 1 <= ||x|| <= 2, else 0. Each label
 * gets half the points (sampled uniformly within its region), so both are well represented.
 */
export function ring(options: DatasetOptions & { extent?: number } = {}): ClassificationData {
  const op = 'ring';
  const n = checkCount(op, options.n ?? 1000, 2);
  const extent = checkNumber(op, 'extent', options.extent ?? 3, (v) => v > 2, 'a number > 2 (the ring reaches radius 2)');
  const gen = new Generator(options.seed ?? 0);
  const labels = balancedLabels(n, gen);
  const x = floatArray(checkDType(op, options.dtype ?? 'float32'), n * 2);
  const inRing = (a: number, b: number) => {
    const r = Math.hypot(a, b);
    return r >= 1 && r <= 2;
  };
  for (let i = 0; i < n; i++) {
    const want = labels[i] === 1;
    for (;;) {
      const [a, b] = rejection(gen, extent, () => true);
      // Decide on the stored (possibly float32-rounded) values so the label matches the data.
      x[2 * i] = a;
      x[2 * i + 1] = b;
      if (inRing(x[2 * i], x[2 * i + 1]) === want) break;
    }
  }
  return classification(x, labels, 2, options);
}

/** The centres of threeModes' blobs: radius 1.5, at 90°, 210° and 330°. */
export const THREE_MODES_CENTERS: readonly (readonly [number, number])[] = [90, 210, 330].map((deg) => {
  const a = (deg * Math.PI) / 180;
  return [1.5 * Math.cos(a), 1.5 * Math.sin(a)] as const;
});

/**
 * Three modes against the rest: class 1 is three Gaussian blobs (std `std`, truncated at 3·std
 * from their centres THREE_MODES_CENTERS), class 0 is uniform over the rest of [-3, 3]² (every
 * point farther than 3·std from every centre). Half the points in each class.
 */
export function threeModes(options: DatasetOptions & { std?: number } = {}): ClassificationData {
  const op = 'threeModes';
  const n = checkCount(op, options.n ?? 1000, 2);
  const std = checkNumber(op, 'std', options.std ?? 0.3, (v) => v > 0 && v <= 0.4, 'in (0, 0.4] so the blobs stay apart and inside the square');
  const gen = new Generator(options.seed ?? 0);
  const labels = balancedLabels(n, gen);
  const x = floatArray(checkDType(op, options.dtype ?? 'float32'), n * 2);
  const radius = 3 * std;
  const nearest = (a: number, b: number) => Math.min(...THREE_MODES_CENTERS.map(([cx, cy]) => Math.hypot(a - cx, b - cy)));
  for (let i = 0; i < n; i++) {
    for (;;) {
      let a: number;
      let b: number;
      if (labels[i] === 1) {
        const [cx, cy] = THREE_MODES_CENTERS[Math.floor(gen.nextDouble() * 3)];
        a = cx + std * gen.nextNormal();
        b = cy + std * gen.nextNormal();
      } else {
        [a, b] = rejection(gen, 3, () => true);
      }
      x[2 * i] = a;
      x[2 * i + 1] = b;
      if ((nearest(x[2 * i], x[2 * i + 1]) <= radius) === (labels[i] === 1)) break;
    }
  }
  return classification(x, labels, 2, options);
}

/** XOR: uniform points in [-1, 1]², label 1 when the two coordinates have opposite signs. */
export function xor(options: DatasetOptions = {}): ClassificationData {
  const op = 'xor';
  const n = checkCount(op, options.n ?? 1000);
  const gen = new Generator(options.seed ?? 0);
  const x = floatArray(checkDType(op, options.dtype ?? 'float32'), n * 2);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    // Redraw exact zeros: a point on an axis has no sign and so no label.
    do {
      x[2 * i] = 2 * gen.nextDouble() - 1;
      x[2 * i + 1] = 2 * gen.nextDouble() - 1;
    } while (x[2 * i] === 0 || x[2 * i + 1] === 0);
    labels[i] = x[2 * i] > 0 !== x[2 * i + 1] > 0 ? 1 : 0;
  }
  return classification(x, labels, 2, options);
}

/**
 * Two interleaving half circles (scikit-learn's make_moons, with random angles): label 0 on
 * (cos t, sin t), label 1 on (1 - cos t, 0.5 - sin t), t uniform in [0, π], plus Gaussian noise
 * of std `noise`. Half the points on each moon.
 */
export function twoMoons(options: DatasetOptions & { noise?: number } = {}): ClassificationData {
  const op = 'twoMoons';
  const n = checkCount(op, options.n ?? 1000, 2);
  const noise = checkNumber(op, 'noise', options.noise ?? 0.1, (v) => v >= 0, 'a number >= 0');
  const gen = new Generator(options.seed ?? 0);
  const labels = balancedLabels(n, gen);
  const x = floatArray(checkDType(op, options.dtype ?? 'float32'), n * 2);
  for (let i = 0; i < n; i++) {
    const t = Math.PI * gen.nextDouble();
    const [a, b] = labels[i] === 0 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
    x[2 * i] = a + (noise > 0 ? noise * gen.nextNormal() : 0);
    x[2 * i + 1] = b + (noise > 0 ? noise * gen.nextNormal() : 0);
  }
  return classification(x, labels, 2, options);
}

/**
 * Two interleaved spirals: with s uniform in (0, 1], class k sits at radius s and angle
 * 2π·turns·s + kπ, plus Gaussian noise of std `noise`. Half the points on each arm.
 */
export function spirals(options: DatasetOptions & { turns?: number; noise?: number } = {}): ClassificationData {
  const op = 'spirals';
  const n = checkCount(op, options.n ?? 1000, 2);
  const turns = checkNumber(op, 'turns', options.turns ?? 1.5, (v) => v > 0, 'a number > 0');
  const noise = checkNumber(op, 'noise', options.noise ?? 0, (v) => v >= 0, 'a number >= 0');
  const gen = new Generator(options.seed ?? 0);
  const labels = balancedLabels(n, gen);
  const x = floatArray(checkDType(op, options.dtype ?? 'float32'), n * 2);
  for (let i = 0; i < n; i++) {
    const s = 1 - gen.nextDouble();
    const angle = 2 * Math.PI * turns * s + labels[i] * Math.PI;
    x[2 * i] = s * Math.cos(angle) + (noise > 0 ? noise * gen.nextNormal() : 0);
    x[2 * i + 1] = s * Math.sin(angle) + (noise > 0 ? noise * gen.nextNormal() : 0);
  }
  return classification(x, labels, 2, options);
}

/** The practice program's regression data. */
export interface RegressionData {
  /** Inputs [n, 1]. */
  x: Tensor;
  /** Noisy targets y = 8x² + 7x + 3 + noise, [n, 1]. */
  y: Tensor;
  /** The noiseless targets 8x² + 7x + 3, [n, 1]. */
  yClean: Tensor;
}

/**
 * The lecture's practice data: x uniform in [low, high), y = 8x² + 7x + 3 plus N(0, noiseStd²)
 * noise; all [n, 1].
 */
export function quadratic(options: DatasetOptions & { low?: number; high?: number; noiseStd?: number } = {}): RegressionData {
  const op = 'quadratic';
  const n = checkCount(op, options.n ?? 1000);
  const low = checkNumber(op, 'low', options.low ?? -15, () => true, 'a finite number');
  const high = checkNumber(op, 'high', options.high ?? 15, (v) => v > low, `a finite number above low (${low})`);
  const noiseStd = checkNumber(op, 'noiseStd', options.noiseStd ?? 1, (v) => v >= 0, 'a number >= 0');
  const dtype = checkDType(op, options.dtype ?? 'float32');
  const gen = new Generator(options.seed ?? 0);
  const x = floatArray(dtype, n);
  const y = floatArray(dtype, n);
  const clean = floatArray(dtype, n);
  for (let i = 0; i < n; i++) x[i] = low + (high - low) * gen.nextDouble();
  for (let i = 0; i < n; i++) {
    const v = x[i];
    clean[i] = 8 * v * v + 7 * v + 3;
    y[i] = clean[i] + noiseStd * gen.nextNormal();
  }
  const backend = getBackend(options.backend);
  return {
    x: Tensor.fromValues(x, [n, 1], dtype, backend),
    y: Tensor.fromValues(y, [n, 1], dtype, backend),
    yClean: Tensor.fromValues(clean, [n, 1], dtype, backend),
  };
}
