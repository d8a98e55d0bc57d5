import { Generator, Tensor, ValueError, tensor, tidy } from '@tsgrad/core';
import { collate, type Collated } from './collate.js';
import { Dataset, Subset, TensorDataset } from './dataset.js';
import { BatchSampler, RandomSampler, SequentialSampler, type Sized } from './sampler.js';

/** A dataset given as named tensors sharing their first (sample) dimension: `{ x, y }`. */
export type TensorRecord = Record<string, Tensor>;

/** What one `get(i)` gives: a Dataset's sample type, or a row of each tensor of a TensorRecord. */
export type SampleOf<D> = D extends Dataset<infer S> ? S : { [K in keyof D]: Tensor };

/** The batch the default collate makes: `Collated<sample>` for a Dataset, the same keys for a TensorRecord. */
export type BatchOf<D> = D extends Dataset<infer S> ? Collated<S> : D;

export interface DataLoaderOptions<S = unknown, B = unknown> {
  /** Samples per batch (default 1). Not with batchSampler. */
  batchSize?: number;
  /** Draw a new order every epoch (seeded; a RandomSampler over the loader's generator). Not with sampler or batchSampler. */
  shuffle?: boolean;
  /** Seeds the loader's own Generator, so the sequence of epochs is reproducible (default 0). */
  seed?: number;
  /** The generator of `shuffle` (PyTorch's `generator`); overrides seed. */
  generator?: Generator;
  /** Drop the last batch when it is smaller than batchSize. Not with batchSampler. */
  dropLast?: boolean;
  /** The order of the sample indices (a Sampler, or any iterable of indices with a length). */
  sampler?: Iterable<number> & Sized;
  /** Yields whole batches of indices (a BatchSampler, or any iterable of index arrays with a length). */
  batchSampler?: Iterable<readonly number[]> & Sized;
  /** Merges the samples of a batch (default `collate`, PyTorch's default_collate). */
  collateFn?: (samples: S[]) => B;
}

/** Tensors of a batch, to free them; walks arrays and plain objects as tidy() does. */
function tensorsIn(value: unknown, into: Tensor[] = [], depth = 0): Tensor[] {
  if (value instanceof Tensor) into.push(value);
  else if (depth < 8 && Array.isArray(value)) for (const v of value) tensorsIn(v, into, depth + 1);
  else if (depth < 8 && value !== null && typeof value === 'object') for (const v of Object.values(value)) tensorsIn(v, into, depth + 1);
  return into;
}

/**
 * Where the rows come from when batches can be picked by index rather than collated sample by
 * sample: the tensors of a TensorRecord or a TensorDataset (through Subsets), with the map from
 * the loader's indices to rows. Gives the same batch as collating get(i) row by row.
 */
interface TensorSource {
  form: 'record' | 'tuple';
  entries: [string, Tensor][];
  row: (i: number) => number;
}

function tensorSource(ds: unknown): TensorSource | null {
  if (ds instanceof TensorDataset) return { form: 'tuple', entries: ds.tensors.map((t, i) => [String(i), t]), row: (i) => i };
  if (ds instanceof Subset) {
    const inner = tensorSource(ds.dataset);
    if (!inner) return null;
    const indices = ds.indices;
    return { ...inner, row: (i) => inner.row(indices[i]) };
  }
  return null;
}

/**
 * Minibatches of a dataset (PyTorch's DataLoader). The dataset is a `Dataset` (a TensorDataset,
 * a Subset, your subclass) or named tensors `{ x, y }` sharing their first dimension. Each
 * `for (const batch of loader)` is one epoch: the batch sampler (by default batches of
 * `batchSize` from a SequentialSampler, a RandomSampler with `shuffle`, or your `sampler`) gives
 * each batch's indices, and `collateFn` (default `collate`) merges the samples. With the default
 * collate, `{ x, y }` gives batches `{ x, y }` of shape `[batchSize, ...rest]` (the last one shorter
 * unless `dropLast`) and the tensors' dtypes, and a TensorDataset gives `[x, y]`; both are picked by
 * index rather than sample by sample.
 *
 * **The loader frees the batches it hands out** (those of the default collate): when the next batch
 * is requested, and when the iteration ends (after the last batch, on `break`, or on an exception
 * thrown in the loop), the previous batch's tensors are disposed, so an epoch leaks nothing
 * whether or not the step runs in tidy(). A batch is therefore valid until the loop asks for the
 * next one: to use a batch tensor after that (to collect batches with `[...loader]`, or for
 * gradient accumulation over batches), keep() it, and dispose it yourself when done. Tensors
 * computed from a batch are yours as usual, and a view of one (reshape, detach) keeps its data
 * alive. Disposing a batch by hand is still allowed (dispose twice is a no-op). An iterator driven
 * by hand with next() frees its last batch only when it is finished or return() is called. A
 * batch made by your own `collateFn` is yours: the loader does not free it (it may hold tensors
 * the dataset keeps); the samples get() made for it are freed once it is made.
 *
 * @throws ValueError for bad options (PyTorch's exclusions: sampler with shuffle; batchSampler
 * with batchSize, shuffle, sampler or dropLast), tensors that disagree on the number of samples,
 * an empty dataset, and (while iterating) a sampler index outside the dataset.
 */
export class DataLoader<D extends TensorRecord | Dataset<unknown>, B = BatchOf<D>> implements Iterable<B> {
  /** Samples per batch; null with a batchSampler (it decides). */
  readonly batchSize: number | null;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  /** Number of samples in the dataset. */
  readonly size: number;
  /** The batches of indices each epoch walks. */
  readonly batchSampler: Iterable<readonly number[]> & Sized;
  readonly collateFn: (samples: SampleOf<D>[]) => B;
  private readonly generator: Generator;
  /** Batches picked by index from tensors (the default collate over tensor-backed data). */
  private readonly source: TensorSource | null;
  /** Whether the loader frees the batches (those it made with the default collate). */
  private readonly ownsBatches: boolean;

  constructor(
    readonly dataset: D,
    options: DataLoaderOptions<SampleOf<D>, B> = {},
  ) {
    if (options === null || typeof options !== 'object') throw new ValueError(`DataLoader: options must be an object such as { batchSize: 32, shuffle: true }, got ${options === null ? 'null' : typeof options}.`);
    const { batchSize, shuffle = false, seed = 0, dropLast = false, sampler, batchSampler, collateFn, generator } = options;
    if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) {
      throw new ValueError(`DataLoader: batchSize must be an integer >= 1, got ${String(batchSize)}.`);
    }
    let size: number;
    let source: TensorSource | null;
    if (dataset instanceof Dataset) {
      size = dataset.length;
      if (!Number.isInteger(size) || size < 0) throw new ValueError(`DataLoader: the dataset's length must be an integer >= 0, got ${String(size)}.`);
      source = tensorSource(dataset);
    } else {
      if (dataset === null || typeof dataset !== 'object' || Array.isArray(dataset)) {
        throw new ValueError('DataLoader: the dataset must be a Dataset (e.g. new TensorDataset(x, y)) or an object of tensors, e.g. { x, y }.');
      }
      const entries = Object.entries(dataset);
      if (entries.length === 0) throw new ValueError('DataLoader: the dataset has no tensors; pass e.g. { x, y }.');
      for (const [k, t] of entries) {
        if (!(t instanceof Tensor)) throw new ValueError(`DataLoader: dataset.${k} is not a Tensor.`);
        if (t.rank === 0) throw new ValueError(`DataLoader: dataset.${k} is a scalar; every tensor needs a first (sample) dimension.`);
      }
      size = entries[0][1].shape[0];
      const mismatch = entries.filter(([, t]) => t.shape[0] !== size);
      if (mismatch.length > 0) {
        throw new ValueError(
          `DataLoader: the tensors disagree on the number of samples: ${entries.map(([k, t]) => `${k} has ${t.shape[0]} (shape [${t.shape.join(', ')}])`).join(', ')}.`,
        );
      }
      source = { form: 'record', entries: entries as [string, Tensor][], row: (i) => i };
    }
    if (size === 0) throw new ValueError('DataLoader: the dataset has no samples.');
    if (typeof shuffle !== 'boolean' || typeof dropLast !== 'boolean') throw new ValueError('DataLoader: shuffle and dropLast must be booleans.');
    if (collateFn !== undefined && typeof collateFn !== 'function') throw new ValueError(`DataLoader: collateFn must be a function of the list of samples, got ${typeof collateFn}.`);
    if (generator !== undefined && !(generator instanceof Generator)) throw new ValueError('DataLoader: generator must be a Generator from @tsgrad/core (new Generator(seed)).');
    if (sampler !== undefined && shuffle) {
      throw new ValueError('DataLoader: sampler and shuffle are mutually exclusive (as in PyTorch); for a random order pass a RandomSampler as sampler, or drop the sampler.');
    }
    if (batchSampler !== undefined && (batchSize !== undefined || shuffle || sampler !== undefined || dropLast)) {
      throw new ValueError('DataLoader: batchSampler is mutually exclusive with batchSize, shuffle, sampler and dropLast (as in PyTorch): the batch sampler decides all of them.');
    }
    for (const [name, s] of [['sampler', sampler], ['batchSampler', batchSampler]] as const) {
      if (s !== undefined && (s === null || typeof s !== 'object' || typeof (s as Iterable<unknown>)[Symbol.iterator] !== 'function' || typeof (s as Sized).length !== 'number')) {
        throw new ValueError(`DataLoader: ${name} must be iterable and have a length (a ${name === 'sampler' ? 'Sampler' : 'BatchSampler'}), got ${s === null ? 'null' : typeof s}.`);
      }
    }
    this.generator = generator ?? new Generator(seed);
    this.size = size;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.batchSize = batchSampler !== undefined ? null : (batchSize ?? 1);
    const order = sampler ?? (shuffle ? new RandomSampler({ length: size }, { generator: this.generator }) : new SequentialSampler({ length: size }));
    this.batchSampler = batchSampler ?? new BatchSampler(order, this.batchSize!, dropLast);
    const isDefault = collateFn === undefined || collateFn === (collate as unknown);
    this.collateFn = (collateFn ?? collate) as (samples: SampleOf<D>[]) => B;
    this.source = isDefault ? source : null;
    this.ownsBatches = isDefault;
  }

  /** Batches per epoch. */
  get length(): number {
    return this.batchSampler.length;
  }

  /** The rows `indices` of `t`: a slice for a run of consecutive rows (a view), else picked by index. */
  private pick(t: Tensor, rows: readonly number[], index: () => Tensor): Tensor {
    const start = rows[0];
    if (rows.every((r, j) => r === start + j)) {
      // slice() hands back the tensor itself for a full slice; detach() gives the batch its own
      // handle, so disposing a batch never frees the dataset.
      const s = t.slice([start, ...t.shape.slice(1).map(() => 0)], [rows.length, ...t.shape.slice(1)]);
      return s === t ? t.detach() : s;
    }
    return t.indexSelect(index(), 0);
  }

  private batchOf(indices: readonly number[]): B {
    const source = this.source;
    if (source) {
      const rows = indices.map(source.row);
      // One int32 index tensor per backend, freed once the batch is picked.
      const made = new Map<string, Tensor>();
      try {
        const picked = source.entries.map(([k, t]) => {
          const index = () => {
            let idx = made.get(t.backend.name);
            if (!idx) made.set(t.backend.name, (idx = tensor(Int32Array.from(rows), { dtype: 'int32', backend: t.backend.name })));
            return idx;
          };
          return [k, this.pick(t, rows, index)] as const;
        });
        return (source.form === 'record' ? Object.fromEntries(picked) : picked.map(([, v]) => v)) as B;
      } finally {
        for (const idx of made.values()) idx.dispose();
      }
    }
    const ds = this.dataset as Dataset<SampleOf<D>>;
    // get() and collation in one tidy: the samples get() made are freed, the batch is kept.
    return tidy(() => this.collateFn(indices.map((i) => ds.get(i))) as never) as B;
  }

  *[Symbol.iterator](): Generator_<B> {
    // The tensors of the batch last handed out (not read back from the batch object, which the
    // user may have changed), freed unless the user keep()s them.
    let handedOut: Tensor[] = [];
    const release = () => {
      for (const t of handedOut) if (!t.isKept) t.dispose();
      handedOut = [];
    };
    try {
      for (const indices of this.batchSampler) {
        release();
        if (!Array.isArray(indices) || indices.length === 0) {
          throw new ValueError(`DataLoader: the batch sampler yielded ${Array.isArray(indices) ? 'an empty batch' : typeof indices}; it must yield non-empty arrays of indices.`);
        }
        for (const i of indices) {
          if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= this.size) {
            throw new ValueError(`DataLoader: the sampler gave index ${String(i)}, outside the dataset's ${this.size} samples (0 to ${this.size - 1}).`);
          }
        }
        const batch = this.batchOf(indices);
        if (this.ownsBatches) handedOut = tensorsIn(batch);
        yield batch;
      }
    } finally {
      release();
    }
  }
}

// The built-in iterator type, named apart from core's random Generator.
type Generator_<T> = globalThis.Generator<T, void, undefined>;
