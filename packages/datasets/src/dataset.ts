import { Generator, Tensor, ValueError, ShapeError, defaultGenerator } from '@tsgrad/core';

/**
 * A map-style dataset (PyTorch's torch.utils.data.Dataset): `length` samples, sample `i` read by
 * `get(i)`. A DataLoader batches the samples with `collate` (or a `collateFn`). Subclass it and
 * implement both:
 *
 * ```ts
 * class Squares extends Dataset<{ x: number; y: number }> {
 *   get length() { return 100; }
 *   get(i: number) { return { x: i, y: i * i }; }
 * }
 * ```
 *
 * Tensors that get() makes are freed once the loader has collated them (it runs get() and the
 * collation in one tidy()); a tensor the dataset makes in get() and keeps for later must be keep()-ed.
 */
export abstract class Dataset<T> {
  /** The number of samples (PyTorch's `__len__`). */
  abstract get length(): number;
  /** Sample `index`, 0 <= index < length (PyTorch's `__getitem__`). */
  abstract get(index: number): T;
}

const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** Python's index rule: -length <= index < length, negatives counted from the end. */
function resolveIndex(where: string, index: unknown, length: number): number {
  if (typeof index !== 'number' || !Number.isInteger(index)) throw new ValueError(`${where}: the index must be an integer, got ${typeof index === 'number' ? index : typeof index}.`);
  if (index < -length || index >= length) throw new ValueError(`${where}: index ${index} is out of range for a dataset of ${length} samples; use 0 to ${length - 1} (or -${length} to -1 from the end).`);
  return index < 0 ? index + length : index;
}

/** Row `i` of `t` (its first axis dropped). */
export function rowOf(t: Tensor, i: number): Tensor {
  return t.slice([i, ...t.shape.slice(1).map(() => 0)], [1, ...t.shape.slice(1)]).reshape(t.shape.slice(1));
}

/**
 * Checks tensors sharing their first (sample) axis; returns their common length. `names` label
 * them in messages ("tensor 0" or "x").
 */
export function checkSampleTensors(where: string, entries: readonly [string, unknown][]): number {
  if (entries.length === 0) throw new ValueError(`${where}: needs at least one tensor, e.g. ${where}(x, y).`);
  for (const [k, t] of entries) {
    if (!(t instanceof Tensor)) throw new ValueError(`${where}: ${k} is not a Tensor (got ${t === null ? 'null' : typeof t}).`);
    if (t.isDisposed) throw new ValueError(`${where}: ${k} (shape ${fmt(t.shape)}) has been disposed; keep() the dataset's tensors.`);
    if (t.rank === 0) throw new ShapeError(`${where}: ${k} is a scalar; every tensor needs a first (sample) dimension.`);
  }
  const tensors = entries as [string, Tensor][];
  const size = tensors[0][1].shape[0];
  if (tensors.some(([, t]) => t.shape[0] !== size)) {
    throw new ShapeError(`${where}: the tensors disagree on the number of samples (their first dimension): ${tensors.map(([k, t]) => `${k} has ${t.shape[0]} (shape ${fmt(t.shape)})`).join(', ')}.`);
  }
  return size;
}

/**
 * Tensors sharing their first axis, sample i being the array of their rows i (PyTorch's
 * TensorDataset): `new TensorDataset(x, y).get(3)` is `[x[3], y[3]]`, and a DataLoader over it
 * yields `[xBatch, yBatch]` with shapes `[batchSize, ...rest]` (picked by index, not row by row).
 * @throws ValueError for no tensors or a non-tensor; ShapeError for a scalar or tensors with
 * different first dimensions.
 */
export class TensorDataset extends Dataset<Tensor[]> {
  readonly tensors: readonly Tensor[];
  private readonly size: number;
  constructor(...tensors: Tensor[]) {
    super();
    this.size = checkSampleTensors('TensorDataset', tensors.map((t, i) => [`tensor ${i}`, t] as [string, unknown]));
    this.tensors = [...tensors];
  }
  get length(): number {
    return this.size;
  }
  /** The rows `index` of every tensor (negative indices count from the end). */
  get(index: number): Tensor[] {
    const i = resolveIndex('TensorDataset.get', index, this.size);
    return this.tensors.map((t) => rowOf(t, i));
  }
}

/**
 * The samples of `dataset` at `indices`, in that order (PyTorch's Subset): `get(i)` is
 * `dataset.get(indices[i])`. randomSplit returns these.
 * @throws ValueError for indices that are not integers within the dataset.
 */
export class Subset<T> extends Dataset<T> {
  readonly indices: readonly number[];
  constructor(
    readonly dataset: Dataset<T>,
    indices: Iterable<number>,
  ) {
    super();
    if (!(dataset instanceof Dataset)) throw new ValueError(`Subset: the dataset must be a Dataset (TensorDataset, Subset or your subclass), got ${dataset === null ? 'null' : typeof dataset}.`);
    if (indices === null || typeof indices !== 'object' || typeof (indices as Iterable<number>)[Symbol.iterator] !== 'function') {
      throw new ValueError(`Subset: indices must be an array of integers, got ${indices === null ? 'null' : typeof indices}.`);
    }
    const n = dataset.length;
    this.indices = [...indices].map((v, k) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < -n || v >= n) {
        throw new ValueError(`Subset: index ${String(v)} at position ${k} is not an integer within the dataset's ${n} samples (0 to ${n - 1}).`);
      }
      return v < 0 ? v + n : v;
    });
  }
  get length(): number {
    return this.indices.length;
  }
  get(index: number): T {
    return this.dataset.get(this.indices[resolveIndex('Subset.get', index, this.indices.length)]);
  }
}

/** A random permutation of 0..n-1: core's randperm (Fisher-Yates on the generator), as plain numbers. */
export function permutation(n: number, generator: Generator): number[] {
  const values = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(generator.nextDouble() * (i + 1));
    const t = values[i];
    values[i] = values[j];
    values[j] = t;
  }
  return values;
}

export interface RandomSplitOptions {
  /** The generator of the permutation (core's default generator when absent: seed it with manualSeed). */
  generator?: Generator;
}

/**
 * Splits a dataset into non-overlapping random subsets (PyTorch 1.13's random_split): `lengths`
 * are either sample counts summing to the dataset's length, or fractions summing to 1, turned
 * into counts ⌊n·f⌋ with the remainder handed out one by one from the first subset on. The
 * samples are permuted by the generator, so a seeded Generator gives the same split every run.
 *
 * ```ts
 * const [train, test] = randomSplit(data, [0.8, 0.2], { generator: new Generator(42) });
 * ```
 * @throws ValueError for counts that do not sum to the length, fractions outside [0, 1], or
 * negative or non-integer counts.
 */
export function randomSplit<T>(dataset: Dataset<T>, lengths: readonly number[], options: RandomSplitOptions = {}): Subset<T>[] {
  const op = 'randomSplit';
  if (!(dataset instanceof Dataset)) throw new ValueError(`${op}: the dataset must be a Dataset (e.g. new TensorDataset(x, y)), got ${dataset === null ? 'null' : typeof dataset}.`);
  if (!Array.isArray(lengths) || lengths.length === 0 || !lengths.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new ValueError(`${op}: lengths must be a non-empty array of sample counts or fractions, got ${JSON.stringify(lengths) ?? String(lengths)}.`);
  }
  if (options === null || typeof options !== 'object') throw new ValueError(`${op}: options must be an object such as { generator }.`);
  const generator = options.generator ?? defaultGenerator;
  if (!(generator instanceof Generator)) throw new ValueError(`${op}: options.generator must be a Generator from @tsgrad/core.`);
  const n = dataset.length;
  let counts = [...lengths];
  const total = counts.reduce((a, b) => a + b, 0);
  // math.isclose(sum, 1) (relative tolerance 1e-9) and sum <= 1: fractions.
  if (Math.abs(total - 1) <= 1e-9 * Math.max(1, Math.abs(total)) && total <= 1) {
    counts = lengths.map((f, i) => {
      if (f < 0 || f > 1) throw new ValueError(`${op}: fraction ${f} at index ${i} is not between 0 and 1.`);
      return Math.floor(n * f);
    });
    const remainder = n - counts.reduce((a, b) => a + b, 0);
    for (let i = 0; i < remainder; i++) counts[i % counts.length] += 1;
  } else {
    counts.forEach((c, i) => {
      if (!Number.isInteger(c) || c < 0) throw new ValueError(`${op}: length ${c} at index ${i} must be a sample count (an integer >= 0), or give fractions that sum to 1.`);
    });
  }
  const sum = counts.reduce((a, b) => a + b, 0);
  if (sum !== n) {
    throw new ValueError(`${op}: the lengths [${lengths.join(', ')}] sum to ${sum} but the dataset has ${n} samples; give counts that sum to ${n}, or fractions that sum to 1.`);
  }
  const order = permutation(n, generator);
  let offset = 0;
  return counts.map((c) => {
    const part = new Subset(dataset, order.slice(offset, offset + c));
    offset += c;
    return part;
  });
}
