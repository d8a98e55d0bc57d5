import { backendFor, checkRequiresGrad } from './creation.js';
import { isFloat, typedArrayFor, type DType } from './dtype.js';
import { DTypeError, ValueError } from './errors.js';
import { assertFinite, assertInteger, assertOptions, assertTensorOptions, describe } from './validate.js';
import { assertShape, sizeOf, type Shape } from './shape.js';
import { Tensor } from './tensor.js';

/**
 * A seeded generator (xoshiro128**, seeded through splitmix32). Numbers are drawn in
 * JavaScript and then uploaded, so a seed gives the same values on every backend.
 */
export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal: number | null = null;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  manualSeed(seed: number): this {
    if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new ValueError(`manualSeed: the seed must be a finite number, got ${seed}.`);
    let x = (Math.trunc(seed) ^ Math.trunc(seed / 2 ** 32)) >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    this.spareNormal = null;
    return this;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  nextDouble(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A standard normal draw (Box-Muller, pairs cached). */
  nextNormal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.nextDouble();
    const v = this.nextDouble();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The generator the factories use unless given one; seeded with 0 until manualSeed(). */
export const defaultGenerator = new Generator(0);

/** Seeds the default generator (PyTorch's torch.manual_seed). */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}

export interface RandomOptions {
  dtype?: DType;
  generator?: Generator;
  requiresGrad?: boolean;
  backend?: string;
}

function checkOptions(op: string, options: RandomOptions): Generator {
  assertTensorOptions(op, options);
  const gen = options.generator ?? defaultGenerator;
  if (!(gen instanceof Generator)) throw new ValueError(`${op}: options.generator must be a Generator, got ${describe(gen)}; make one with new Generator(seed).`);
  return gen;
}

function make(op: string, shape: Shape, options: RandomOptions, fill: (gen: Generator) => number, defaultDType: DType = 'float32'): Tensor {
  assertShape(op, shape);
  const gen = checkOptions(op, options);
  const dtype = options.dtype ?? defaultDType;
  // Drawing floats into an int or bool tensor would truncate them silently (PyTorch refuses too).
  if (defaultDType !== 'int32' && !isFloat(dtype)) {
    throw new DTypeError(`${op}: draws real numbers, so dtype must be float32 or float64, got ${dtype}; use randint for integers.`);
  }
  checkRequiresGrad(op, dtype, options.requiresGrad);
  const backend = backendFor(op, options.backend);
  const values = typedArrayFor(dtype, sizeOf(shape));
  for (let i = 0; i < values.length; i++) values[i] = fill(gen);
  const t = Tensor.fromValues(values, shape, dtype, backend);
  if (options.requiresGrad) t.requiresGrad_();
  return t;
}

/** Uniform values in [low, high). */
export function uniform(shape: Shape, low = 0, high = 1, options: RandomOptions = {}): Tensor {
  assertFinite('uniform', 'low', low);
  assertFinite('uniform', 'high', high);
  if (!(high >= low)) throw new ValueError(`uniform: high (${high}) must not be below low (${low}).`);
  return make('uniform', shape, options, (g) => low + (high - low) * g.nextDouble());
}

/** Normal values with the given mean and standard deviation. */
export function normal(shape: Shape, options: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  assertOptions('normal', options);
  const mean = options.mean ?? 0;
  const std = options.std ?? 1;
  assertFinite('normal', 'options.mean', mean);
  assertFinite('normal', 'options.std', std);
  if (!(std >= 0)) throw new ValueError(`normal: std must be >= 0, got ${std}.`);
  return make('normal', shape, options, (g) => mean + std * g.nextNormal());
}

/** randint and randperm draw int32: a dtype option would be ignored, so any other is refused. */
function intOnly(op: string, options: unknown): void {
  assertOptions(op, options);
  const dtype = (options as { dtype?: unknown } | undefined)?.dtype;
  if (dtype !== undefined && dtype !== 'int32') throw new DTypeError(`${op}: draws int32 values, so dtype ${JSON.stringify(dtype)} is not available; cast the result with .cast(...).`);
  checkRequiresGrad(op, 'int32', (options as { requiresGrad?: boolean } | undefined)?.requiresGrad);
}

/** Uniform integers in [low, high), int32. */
export function randint(low: number, high: number, shape: Shape, options: Omit<RandomOptions, 'dtype' | 'requiresGrad'> = {}): Tensor {
  assertInteger('randint', 'low', low);
  assertInteger('randint', 'high', high);
  if (low < -(2 ** 31) || high > 2 ** 31) throw new ValueError(`randint: low=${low} and high=${high} must lie within int32's range [-2^31, 2^31].`);
  if (high <= low) {
    throw new ValueError(`randint: needs integers low < high, got low=${low}, high=${high}.`);
  }
  intOnly('randint', options);
  const span = high - low;
  return make('randint', shape, { ...options, dtype: 'int32' }, (g) => low + Math.floor(g.nextDouble() * span), 'int32');
}

/** A random permutation of 0..n-1, int32 (Fisher-Yates). */
export function randperm(n: number, options: Omit<RandomOptions, 'dtype' | 'requiresGrad'> = {}): Tensor {
  assertInteger('randperm', 'n', n, 0);
  intOnly('randperm', options);
  assertShape('randperm', [n], 'n');
  const gen = checkOptions('randperm', options);
  const backend = backendFor('randperm', options.backend);
  const values = new Int32Array(n);
  for (let i = 0; i < n; i++) values[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(gen.nextDouble() * (i + 1));
    const t = values[i];
    values[i] = values[j];
    values[j] = t;
  }
  return Tensor.fromValues(values, [n], 'int32', backend);
}
