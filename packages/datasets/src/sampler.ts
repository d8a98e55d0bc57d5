import { Generator, Tensor, ValueError, defaultGenerator } from '@tsgrad/core';
import { permutation } from './dataset.js';

/**
 * An iterable of dataset indices (or, for BatchSampler, of index batches) with a known length
 * (PyTorch's torch.utils.data.Sampler). Each iteration is one epoch; random samplers draw anew
 * every time from their generator.
 */
export abstract class Sampler<T = number> implements Iterable<T> {
  /** How many items one iteration yields. */
  abstract get length(): number;
  abstract [Symbol.iterator](): Iterator<T>;
}

/** Anything with a number of samples: a Dataset, or an array. */
export interface Sized {
  readonly length: number;
}

function sizeOf(where: string, source: unknown): number {
  const n = (source as Sized | null)?.length;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new ValueError(`${where}: the data source must have a length (a Dataset or an array), got ${source === null ? 'null' : typeof source}.`);
  }
  return n;
}

function generatorOf(where: string, g: unknown): Generator {
  if (g === undefined) return defaultGenerator;
  if (!(g instanceof Generator)) throw new ValueError(`${where}: generator must be a Generator from @tsgrad/core (new Generator(seed)), got ${g === null ? 'null' : typeof g}.`);
  return g;
}

function optionsOf<T extends object>(where: string, options: T | undefined): Partial<T> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new ValueError(`${where}: options must be an object, got ${options === null ? 'null' : typeof options}.`);
  return options;
}

/** 0, 1, ..., n-1 in order (PyTorch's SequentialSampler). */
export class SequentialSampler extends Sampler<number> {
  private readonly n: number;
  constructor(readonly dataSource: Sized) {
    super();
    this.n = sizeOf('SequentialSampler', dataSource);
  }
  get length(): number {
    return this.n;
  }
  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.n; i++) yield i;
  }
}

export interface RandomSamplerOptions {
  /** Draw with replacement (default false: permutations). */
  replacement?: boolean;
  /** Indices per epoch (default: the data source's length). Without replacement, more than the length chains permutations. */
  numSamples?: number;
  /** The generator (core's default generator when absent). */
  generator?: Generator;
}

/**
 * Random indices (PyTorch 1.13's RandomSampler): without replacement, a fresh permutation each
 * epoch (several chained when numSamples exceeds the length, the last cut short); with
 * replacement, numSamples uniform draws from [0, n).
 * @throws ValueError for numSamples not a positive integer, a non-boolean replacement or a bad generator.
 */
export class RandomSampler extends Sampler<number> {
  readonly replacement: boolean;
  readonly generator: Generator;
  private readonly n: number;
  private readonly count: number | undefined;
  constructor(
    readonly dataSource: Sized,
    options: RandomSamplerOptions = {},
  ) {
    super();
    const where = 'RandomSampler';
    const o = optionsOf(where, options);
    this.n = sizeOf(where, dataSource);
    const { replacement = false, numSamples } = o;
    if (typeof replacement !== 'boolean') throw new ValueError(`${where}: replacement must be a boolean, got ${typeof replacement}.`);
    if (numSamples !== undefined && (typeof numSamples !== 'number' || !Number.isInteger(numSamples) || numSamples <= 0)) {
      throw new ValueError(`${where}: numSamples must be a positive integer, got ${String(numSamples)}.`);
    }
    this.replacement = replacement;
    this.count = numSamples;
    this.generator = generatorOf(where, o.generator);
  }
  /** numSamples, or the data source's length. */
  get numSamples(): number {
    return this.count ?? this.n;
  }
  get length(): number {
    return this.numSamples;
  }
  *[Symbol.iterator](): Iterator<number> {
    const n = this.n;
    const total = this.numSamples;
    if (n === 0) {
      if (total > 0) throw new ValueError(`RandomSampler: cannot draw ${total} samples from an empty data source.`);
      return;
    }
    if (this.replacement) {
      // randint(0, n): core's rule, low + floor(u·span).
      for (let i = 0; i < total; i++) yield Math.floor(this.generator.nextDouble() * n);
      return;
    }
    for (let k = 0; k < Math.floor(total / n); k++) yield* permutation(n, this.generator);
    const rest = total % n;
    if (rest > 0) yield* permutation(n, this.generator).slice(0, rest);
  }
}

/** The given indices in a random order, drawn anew each epoch (PyTorch's SubsetRandomSampler). */
export class SubsetRandomSampler extends Sampler<number> {
  readonly indices: readonly number[];
  readonly generator: Generator;
  constructor(indices: Iterable<number>, options: { generator?: Generator } = {}) {
    super();
    const where = 'SubsetRandomSampler';
    if (indices === null || typeof indices !== 'object' || typeof (indices as Iterable<number>)[Symbol.iterator] !== 'function') {
      throw new ValueError(`${where}: indices must be an array of integers, got ${indices === null ? 'null' : typeof indices}.`);
    }
    this.indices = [...indices];
    this.indices.forEach((v, k) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ValueError(`${where}: index ${String(v)} at position ${k} is not an integer >= 0.`);
    });
    this.generator = generatorOf(where, optionsOf(where, options).generator);
  }
  get length(): number {
    return this.indices.length;
  }
  *[Symbol.iterator](): Iterator<number> {
    for (const i of permutation(this.indices.length, this.generator)) yield this.indices[i];
  }
}

export interface WeightedRandomSamplerOptions {
  /** Draw with replacement (default true). Without, an index is drawn at most once. */
  replacement?: boolean;
  generator?: Generator;
}

/**
 * Indices 0..weights.length-1 drawn with probability proportional to their weights (PyTorch's
 * WeightedRandomSampler, torch.multinomial): with replacement, numSamples independent draws;
 * without, numSamples distinct indices, each draw proportional to the weights not yet drawn.
 * Balances classes: give each sample 1 / (the count of its class).
 * @throws ValueError for weights that are not finite and >= 0 with a positive sum, a numSamples not
 * a positive integer, or (without replacement) more samples than indices of non-zero weight.
 */
export class WeightedRandomSampler extends Sampler<number> {
  readonly weights: readonly number[];
  readonly numSamples: number;
  readonly replacement: boolean;
  readonly generator: Generator;
  constructor(weights: readonly number[] | Float32Array | Float64Array | Tensor, numSamples: number, options: WeightedRandomSamplerOptions = {}) {
    super();
    const where = 'WeightedRandomSampler';
    let w: number[];
    if (weights instanceof Tensor) {
      if (weights.rank !== 1) throw new ValueError(`${where}: weights must be 1-D, one per sample, got a tensor of shape [${weights.shape.join(', ')}].`);
      w = Array.from(weights.dataSync() as ArrayLike<number>);
    } else if (Array.isArray(weights) || weights instanceof Float32Array || weights instanceof Float64Array) {
      w = Array.from(weights as ArrayLike<number>);
    } else {
      throw new ValueError(`${where}: weights must be an array (or 1-D tensor) of numbers, one per sample, got ${weights === null ? 'null' : typeof weights}.`);
    }
    if (w.length === 0) throw new ValueError(`${where}: weights is empty; give one weight per sample.`);
    w.forEach((v, i) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ValueError(`${where}: weight ${String(v)} at index ${i} must be a finite number >= 0.`);
    });
    if (!(w.reduce((a, b) => a + b, 0) > 0)) throw new ValueError(`${where}: the weights sum to 0; at least one must be positive.`);
    if (typeof numSamples !== 'number' || !Number.isInteger(numSamples) || numSamples <= 0) throw new ValueError(`${where}: numSamples must be a positive integer, got ${String(numSamples)}.`);
    const o = optionsOf(where, options);
    const { replacement = true } = o;
    if (typeof replacement !== 'boolean') throw new ValueError(`${where}: replacement must be a boolean, got ${typeof replacement}.`);
    const positive = w.filter((v) => v > 0).length;
    if (!replacement && numSamples > positive) {
      throw new ValueError(`${where}: cannot draw ${numSamples} distinct indices without replacement from ${positive} of non-zero weight; lower numSamples or pass replacement: true.`);
    }
    this.weights = w;
    this.numSamples = numSamples;
    this.replacement = replacement;
    this.generator = generatorOf(where, o.generator);
  }
  get length(): number {
    return this.numSamples;
  }
  *[Symbol.iterator](): Iterator<number> {
    const w = [...this.weights];
    const n = w.length;
    // Cumulative sums, searched with u·total (inverse transform sampling).
    const cumulative = new Float64Array(n);
    const rebuild = () => {
      let s = 0;
      for (let i = 0; i < n; i++) cumulative[i] = s += w[i];
      return s;
    };
    let total = rebuild();
    for (let k = 0; k < this.numSamples; k++) {
      const u = this.generator.nextDouble() * total;
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cumulative[mid] > u) hi = mid;
        else lo = mid + 1;
      }
      // Rounding can land u on the total: step back to the last index of positive weight.
      while (w[lo] === 0 && lo > 0) lo--;
      yield lo;
      if (!this.replacement) {
        w[lo] = 0;
        total = rebuild();
      }
    }
  }
}

/**
 * Groups another sampler's indices into lists of batchSize (PyTorch's BatchSampler); the last
 * is shorter unless dropLast. A DataLoader takes it as `batchSampler`.
 * @throws ValueError for batchSize not a positive integer or a non-boolean dropLast.
 */
export class BatchSampler extends Sampler<number[]> {
  constructor(
    readonly sampler: Iterable<number> & Sized,
    readonly batchSize: number,
    readonly dropLast: boolean,
  ) {
    super();
    const where = 'BatchSampler';
    if (sampler === null || typeof sampler !== 'object' || typeof (sampler as Iterable<number>)[Symbol.iterator] !== 'function') {
      throw new ValueError(`${where}: sampler must be an iterable of indices with a length (a Sampler or an array), got ${sampler === null ? 'null' : typeof sampler}.`);
    }
    sizeOf(where, sampler);
    if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize <= 0) throw new ValueError(`${where}: batchSize must be a positive integer, got ${String(batchSize)}.`);
    if (typeof dropLast !== 'boolean') throw new ValueError(`${where}: dropLast must be a boolean, got ${typeof dropLast}.`);
  }
  get length(): number {
    return this.dropLast ? Math.floor(this.sampler.length / this.batchSize) : Math.ceil(this.sampler.length / this.batchSize);
  }
  *[Symbol.iterator](): Iterator<number[]> {
    let batch: number[] = [];
    for (const i of this.sampler) {
      batch.push(i);
      if (batch.length === this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0 && !this.dropLast) yield batch;
  }
}
