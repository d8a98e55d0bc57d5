import { Generator, Tensor, ValueError, keep, randperm } from '@tsgrad/core';

export interface DataLoaderOptions {
  /** Samples per batch. */
  batchSize?: number;
  /** Draw a new order every epoch (seeded). */
  shuffle?: boolean;
  /** Seeds the loader's own Generator, so the sequence of epochs is reproducible. */
  seed?: number;
  /** Drop the last batch when it is smaller than batchSize. */
  dropLast?: boolean;
}

/** A dataset for the loader: tensors that share their first dimension (the sample axis). */
export type TensorDataset = Record<string, Tensor>;

/**
 * Minibatches of a dataset of tensors (PyTorch's DataLoader over a TensorDataset). Each
 * `for (const batch of loader)` is one epoch; every batch has the dataset's keys, each a tensor of
 * shape `[batchSize, ...rest]` (the last one shorter unless `dropLast`) and the dataset tensor's
 * dtype.
 *
 * **The loader frees the batches it hands out**: when the next batch is requested, and when the
 * iteration ends (after the last batch, on `break`, or on an exception thrown in the loop), the
 * previous batch's tensors are disposed, so an epoch leaks nothing whether or not the step runs
 * in tidy(). A batch is therefore valid until the loop asks for the next one: to use a batch
 * tensor after that (to collect batches with `[...loader]`, or for gradient accumulation over
 * batches), keep() it, and dispose it yourself when done. Tensors computed from a batch are
 * yours as usual, and a view of one (reshape, detach) keeps its data alive. Disposing a batch by
 * hand is still allowed (dispose twice is a no-op). An iterator driven by hand with next() frees
 * its last batch only when it is finished or return() is called.
 */
export class DataLoader<T extends TensorDataset> implements Iterable<T> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  /** Number of samples. */
  readonly size: number;
  private readonly generator: Generator;

  constructor(
    readonly dataset: T,
    options: DataLoaderOptions = {},
  ) {
    const { batchSize = 1, shuffle = false, seed = 0, dropLast = false } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ValueError(`DataLoader: batchSize must be an integer >= 1, got ${String(batchSize)}.`);
    }
    if (dataset === null || typeof dataset !== 'object') throw new ValueError('DataLoader: the dataset must be an object of tensors, e.g. { x, y }.');
    const entries = Object.entries(dataset);
    if (entries.length === 0) throw new ValueError('DataLoader: the dataset has no tensors; pass e.g. { x, y }.');
    for (const [k, t] of entries) {
      if (!(t instanceof Tensor)) throw new ValueError(`DataLoader: dataset.${k} is not a Tensor.`);
      if (t.rank === 0) throw new ValueError(`DataLoader: dataset.${k} is a scalar; every tensor needs a first (sample) dimension.`);
    }
    const size = entries[0][1].shape[0];
    const mismatch = entries.filter(([, t]) => t.shape[0] !== size);
    if (mismatch.length > 0) {
      throw new ValueError(
        `DataLoader: the tensors disagree on the number of samples: ${entries.map(([k, t]) => `${k} has ${t.shape[0]} (shape [${t.shape.join(', ')}])`).join(', ')}.`,
      );
    }
    if (size === 0) throw new ValueError('DataLoader: the dataset has no samples.');
    if (typeof shuffle !== 'boolean' || typeof dropLast !== 'boolean') throw new ValueError('DataLoader: shuffle and dropLast must be booleans.');
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.size = size;
    this.generator = new Generator(seed);
  }

  /** Batches per epoch. */
  get length(): number {
    return this.dropLast ? Math.floor(this.size / this.batchSize) : Math.ceil(this.size / this.batchSize);
  }

  *[Symbol.iterator](): Generator_<T> {
    const entries = Object.entries(this.dataset);
    const backend = entries[0][1].backend.name;
    const order = this.shuffle ? keep(randperm(this.size, { generator: this.generator, backend })) : null;
    // The tensors of the batch last handed out (not read back from the batch object, which the
    // user may have changed), freed unless the user keep()s them.
    let handedOut: Tensor[] = [];
    const release = () => {
      for (const t of handedOut) if (!t.isKept) t.dispose();
      handedOut = [];
    };
    try {
      for (let b = 0; b < this.length; b++) {
        release();
        const start = b * this.batchSize;
        const count = Math.min(this.batchSize, this.size - start);
        const batch: Record<string, Tensor> = {};
        if (order) {
          const idx = order.slice([start], [count]);
          for (const [k, t] of entries) batch[k] = t.gather(idx, 0);
          // A batch of the whole epoch is `order` itself, which the finally below frees.
          if (idx !== order) idx.dispose();
        } else {
          // slice() hands back the tensor itself for a full slice; detach() gives the batch its
          // own handle, so disposing a batch never frees the dataset.
          for (const [k, t] of entries) {
            const s = t.slice([start, ...t.shape.slice(1).map(() => 0)], [count, ...t.shape.slice(1)]);
            batch[k] = s === t ? t.detach() : s;
          }
        }
        handedOut = Object.values(batch);
        yield batch as T;
      }
    } finally {
      release();
      order?.dispose();
    }
  }
}

// The built-in iterator type, named apart from core's random Generator.
type Generator_<T> = globalThis.Generator<T, void, undefined>;
