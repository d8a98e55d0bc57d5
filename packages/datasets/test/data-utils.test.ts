import '@tsgrad/backend-cpu';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DTypeError, Generator, ShapeError, Tensor, ValueError, arange, keep, memory, tensor, tidy } from '@tsgrad/core';
import {
  BatchSampler,
  DataLoader,
  Dataset,
  RandomSampler,
  SequentialSampler,
  Subset,
  SubsetRandomSampler,
  TensorDataset,
  WeightedRandomSampler,
  collate,
  randomSplit,
} from '../src/index.js';

const values = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number>);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sorted = (a: number[]) => [...a].sort((x, y) => x - y);
/** Reads each batch inside the loop: the loader frees a batch when the next is requested. */
const each = <B, R>(loader: Iterable<B>, read: (b: B) => R): R[] => {
  const out: R[] = [];
  for (const b of loader) out.push(read(b));
  return out;
};

/** x[i] = [i, 10i], y[i] = i (int32). */
function data(n = 10) {
  const x = tensor(Float64Array.from(range(n).flatMap((i) => [i, 10 * i])), { dtype: 'float64', shape: [n, 2] });
  const y = tensor(Int32Array.from(range(n)), { dtype: 'int32' });
  return { x, y };
}

class Squares extends Dataset<{ x: number; y: number; tag: string }> {
  constructor(readonly n: number) {
    super();
  }
  get length() {
    return this.n;
  }
  get(i: number) {
    return { x: i, y: i * i, tag: `#${i}` };
  }
}

describe('Dataset, TensorDataset, Subset', () => {
  it('TensorDataset.get(i) gives every tensor\'s row i; negative indices count from the end', () => {
    const { x, y } = data(4);
    const ds = new TensorDataset(x, y);
    expect(ds.length).toBe(4);
    const [xi, yi] = ds.get(2);
    expect(xi.shape).toEqual([2]);
    expect(values(xi)).toEqual([2, 20]);
    expect(yi.shape).toEqual([]);
    expect(yi.dtype).toBe('int32');
    expect(values(yi)).toEqual([2]);
    expect(values(ds.get(-1)[0])).toEqual([3, 30]);
    expect(() => ds.get(4)).toThrow(/TensorDataset.get: index 4 is out of range for a dataset of 4 samples; use 0 to 3/);
    expect(() => ds.get(1.5)).toThrow(ValueError);
  });

  it('TensorDataset refuses tensors that disagree on the number of samples, scalars and non-tensors', () => {
    expect(() => new TensorDataset(tensor([1, 2, 3]), tensor([1, 2]))).toThrow(ShapeError);
    expect(() => new TensorDataset(tensor([1, 2, 3]), tensor([1, 2]))).toThrow(/tensor 0 has 3 \(shape \[3\]\), tensor 1 has 2 \(shape \[2\]\)/);
    expect(() => new TensorDataset(tensor(1))).toThrow(/tensor 0 is a scalar/);
    expect(() => new TensorDataset()).toThrow(/needs at least one tensor/);
    expect(() => new TensorDataset([1, 2] as unknown as Tensor)).toThrow(/tensor 0 is not a Tensor/);
  });

  it('Subset maps its indices onto the dataset and checks them', () => {
    const s = new Subset(new Squares(10), [7, 2, -1]);
    expect(s.length).toBe(3);
    expect([0, 1, 2].map((i) => s.get(i).y)).toEqual([49, 4, 81]);
    expect(() => new Subset(new Squares(3), [0, 3])).toThrow(/Subset: index 3 at position 1 is not an integer within the dataset's 3 samples/);
    expect(() => s.get(3)).toThrow(/Subset.get: index 3 is out of range/);
  });
});

describe('randomSplit', () => {
  const fixture = JSON.parse(readFileSync(new URL('./fixtures/random_split.json', import.meta.url), 'utf8')) as {
    source: string;
    cases: { n: number; lengths: number[]; sizes?: number[]; error?: string }[];
  };
  for (const c of fixture.cases) {
    it(`sizes of ${c.n} samples split by [${c.lengths.join(', ')}] as ${fixture.source}`, () => {
      const run = () => randomSplit(new Squares(c.n), c.lengths, { generator: new Generator(1) });
      if (c.error) {
        expect(run).toThrow(ValueError);
        return;
      }
      const parts = run();
      expect(parts.map((p) => p.length)).toEqual(c.sizes);
      // Disjoint, and together every sample once.
      expect(sorted(parts.flatMap((p) => [...p.indices]))).toEqual(range(c.n));
    });
  }

  it('the same seeded generator gives the same split, another seed another; messages name the problem', () => {
    const ds = new Squares(20);
    const a = randomSplit(ds, [0.5, 0.5], { generator: new Generator(3) });
    const b = randomSplit(ds, [0.5, 0.5], { generator: new Generator(3) });
    const c = randomSplit(ds, [0.5, 0.5], { generator: new Generator(4) });
    expect(a[0].indices).toEqual(b[0].indices);
    expect(a[0].indices).not.toEqual(c[0].indices);
    expect(() => randomSplit(ds, [4, 4])).toThrow(/the lengths \[4, 4\] sum to 8 but the dataset has 20 samples/);
    expect(() => randomSplit(ds, [1.5, -0.5])).toThrow(/fraction 1.5 at index 0 is not between 0 and 1/);
    expect(() => randomSplit(ds, [25, -5])).toThrow(/length -5 at index 1 must be a sample count/);
    expect(() => randomSplit({ length: 3 } as never, [3])).toThrow(/the dataset must be a Dataset/);
  });
});

describe('samplers', () => {
  it('SequentialSampler and BatchSampler (PyTorch\'s documented example: 10 indices in batches of 3)', () => {
    const seq = new SequentialSampler(range(10));
    expect([...seq]).toEqual(range(10));
    expect([...new BatchSampler(seq, 3, false)]).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
    expect([...new BatchSampler(seq, 3, true)]).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
    expect(new BatchSampler(seq, 3, false).length).toBe(4);
    expect(new BatchSampler(seq, 3, true).length).toBe(3);
    expect(() => new BatchSampler(seq, 0, false)).toThrow(/BatchSampler: batchSize must be a positive integer, got 0/);
    expect(() => new BatchSampler(seq, 2, 'no' as unknown as boolean)).toThrow(/dropLast must be a boolean/);
  });

  it('RandomSampler: a new permutation each epoch, chained when numSamples exceeds the length, reproducible', () => {
    const s = new RandomSampler(range(6), { generator: new Generator(5) });
    const e1 = [...s];
    const e2 = [...s];
    expect(sorted(e1)).toEqual(range(6));
    expect(sorted(e2)).toEqual(range(6));
    expect(e1).not.toEqual(e2);
    expect([...new RandomSampler(range(6), { generator: new Generator(5) })]).toEqual(e1);
    const long = [...new RandomSampler(range(4), { numSamples: 10, generator: new Generator(1) })];
    expect(long.length).toBe(10);
    expect(sorted(long.slice(0, 4))).toEqual(range(4));
    expect(sorted(long.slice(4, 8))).toEqual(range(4));
    expect(new Set(long.slice(8)).size).toBe(2);
    const short = [...new RandomSampler(range(50), { numSamples: 5, generator: new Generator(1) })];
    expect(new Set(short).size).toBe(5);
  });

  it('RandomSampler with replacement draws numSamples uniform indices (repeats allowed)', () => {
    const draws = [...new RandomSampler(range(5), { replacement: true, numSamples: 5000, generator: new Generator(2) })];
    expect(draws.length).toBe(5000);
    const counts = range(5).map((k) => draws.filter((d) => d === k).length);
    // Each count is Binomial(5000, 0.2): mean 1000, sd 28; 5 sd either side.
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(140);
    expect(() => new RandomSampler(range(5), { numSamples: 0 })).toThrow(/RandomSampler: numSamples must be a positive integer, got 0/);
    expect(() => new RandomSampler(range(5), { replacement: 1 as unknown as boolean })).toThrow(/replacement must be a boolean/);
    expect(() => new RandomSampler(range(5), { generator: 3 as unknown as Generator })).toThrow(/generator must be a Generator/);
  });

  it('SubsetRandomSampler permutes exactly the given indices', () => {
    const s = new SubsetRandomSampler([3, 8, 11, 20], { generator: new Generator(0) });
    const e = [...s];
    expect(sorted(e)).toEqual([3, 8, 11, 20]);
    expect(s.length).toBe(4);
    expect(() => new SubsetRandomSampler([1, -2])).toThrow(/index -2 at position 1/);
  });

  it('WeightedRandomSampler draws in proportion to the weights, never a zero weight', () => {
    const w = [1, 0, 3, 6];
    const draws = [...new WeightedRandomSampler(w, 10000, { generator: new Generator(7) })];
    const counts = range(4).map((k) => draws.filter((d) => d === k).length);
    expect(counts[1]).toBe(0);
    // Binomial(10000, p): p = 0.1, 0.3, 0.6, sd <= 50; 5 sd.
    [1000, 0, 3000, 6000].forEach((m, k) => expect(Math.abs(counts[k] - m)).toBeLessThan(250));
    const fromTensor = [...new WeightedRandomSampler(tensor(w), 10000, { generator: new Generator(7) })];
    expect(fromTensor).toEqual(draws);
  });

  it('WeightedRandomSampler without replacement draws distinct indices of positive weight', () => {
    for (let seed = 0; seed < 20; seed++) {
      const d = [...new WeightedRandomSampler([5, 0, 1, 1, 0.5], 4, { replacement: false, generator: new Generator(seed) })];
      expect(sorted(d)).toEqual([0, 2, 3, 4]);
    }
    // The heaviest index comes first most of the time (5 of 7.5 of the weight).
    const firsts = range(300).map((s) => [...new WeightedRandomSampler([5, 1, 1, 0.5], 1, { replacement: false, generator: new Generator(s) })][0]);
    expect(firsts.filter((f) => f === 0).length).toBeGreaterThan(160);
    expect(() => new WeightedRandomSampler([1, 0, 1], 3, { replacement: false })).toThrow(/cannot draw 3 distinct indices without replacement from 2 of non-zero weight/);
    expect(() => new WeightedRandomSampler([1, -1], 1)).toThrow(/weight -1 at index 1 must be a finite number >= 0/);
    expect(() => new WeightedRandomSampler([0, 0], 1)).toThrow(/the weights sum to 0/);
    expect(() => new WeightedRandomSampler([1], 1.5)).toThrow(/numSamples must be a positive integer, got 1.5/);
    expect(() => new WeightedRandomSampler(tensor([[1, 2]]), 1)).toThrow(/weights must be 1-D/);
  });
});

describe('collate (PyTorch\'s default_collate rules)', () => {
  it('stacks tensors on a new first axis, keeping their dtype', () => {
    const b = collate([tensor([1, 2]), tensor([3, 4]), tensor([5, 6])]);
    expect(b.shape).toEqual([3, 2]);
    expect(b.dtype).toBe('float32');
    expect(values(b)).toEqual([1, 2, 3, 4, 5, 6]);
    const labels = collate([tensor(3, { dtype: 'int32' }), tensor(1, { dtype: 'int32' })]);
    expect(labels.shape).toEqual([2]);
    expect(labels.dtype).toBe('int32');
  });

  it('numbers give float64 [B], booleans bool [B], typed arrays [B, length] in their dtype, strings a list', () => {
    const n = collate([1, 2.5, -3]);
    expect([n.dtype, n.shape, values(n)]).toEqual(['float64', [3], [1, 2.5, -3]]);
    const b = collate([true, false]);
    expect([b.dtype, values(b)]).toEqual(['bool', [1, 0]]);
    const f = collate([Float32Array.of(1, 2), Float32Array.of(3, 4)]);
    expect([f.dtype, f.shape, values(f)]).toEqual(['float32', [2, 2], [1, 2, 3, 4]]);
    const u = collate([Uint8Array.of(0, 255), Uint8Array.of(7, 8)]);
    expect([u.dtype, values(u)]).toEqual(['int32', [0, 255, 7, 8]]);
    expect(collate(['a', 'b'])).toEqual(['a', 'b']);
  });

  it('arrays are collated position by position and objects key by key, recursively', () => {
    const batch = collate([
      { image: tensor([1, 1]), meta: [1, 'a'] as [number, string] },
      { image: tensor([2, 2]), meta: [2, 'b'] as [number, string] },
    ]);
    expect(batch.image.shape).toEqual([2, 2]);
    expect(values(batch.meta[0])).toEqual([1, 2]);
    expect(batch.meta[1]).toEqual(['a', 'b']);
    // A plain array of numbers is a tuple, as a Python list is: one tensor per position.
    const t = collate([[1, 2, 3], [4, 5, 6]]);
    expect(t.length).toBe(3);
    expect(values(t[0])).toEqual([1, 4]);
  });

  it('refuses samples that differ in structure, shape or dtype, naming where', () => {
    expect(() => collate([tensor([1, 2]), tensor([1, 2, 3])])).toThrow(ShapeError);
    expect(() => collate([{ x: tensor([1, 2]) }, { x: tensor([1, 2, 3]) }])).toThrow(/the samples \(at \.x\) hold tensors of shapes \[2\] \(sample 0\) and \[3\] \(sample 1\).*collateFn/);
    expect(() => collate([tensor([1]), tensor([1], { dtype: 'float64' })])).toThrow(DTypeError);
    expect(() => collate([{ x: 1 }, { y: 1 }])).toThrow(/objects with keys \{x\} \(sample 0\) and \{y\} \(sample 1\)/);
    expect(() => collate([[1, 2], [1]])).toThrow(/arrays of lengths 2 \(sample 0\) and 1 \(sample 1\)/);
    expect(() => collate([1, 'a'])).toThrow(/mix kinds: sample 0 has number but sample 1 has string/);
    expect(() => collate([null, null])).toThrow(/hold null; the default collate takes tensors/);
    expect(() => collate([])).toThrow(/non-empty array of samples/);
    expect(() => collate([new BigInt64Array(1)])).toThrow(DTypeError);
  });
});

describe('DataLoader with datasets, samplers and collateFn', () => {
  it('a Dataset subclass of plain numbers gives collated batches (float64 tensors, string lists)', () => {
    const loader = new DataLoader(new Squares(5), { batchSize: 2 });
    const batches = each(loader, (b) => ({ x: values(b.x), y: values(b.y), tag: b.tag, dtype: b.x.dtype }));
    expect(batches).toEqual([
      { x: [0, 1], y: [0, 1], tag: ['#0', '#1'], dtype: 'float64' },
      { x: [2, 3], y: [4, 9], tag: ['#2', '#3'], dtype: 'float64' },
      { x: [4], y: [16], tag: ['#4'], dtype: 'float64' },
    ]);
    expect(loader.length).toBe(3);
  });

  it('a TensorDataset gives [x, y] batches, identical to collating get(i) sample by sample, in the record loader\'s order', () => {
    const { x, y } = data(10);
    const fast = new DataLoader(new TensorDataset(x, y), { batchSize: 4, shuffle: true, seed: 3 });
    const slow = new DataLoader(new TensorDataset(x, y), { batchSize: 4, shuffle: true, seed: 3, collateFn: (s) => collate(s) });
    const record = new DataLoader({ x, y }, { batchSize: 4, shuffle: true, seed: 3 });
    const a = each(fast, ([bx, by]) => [values(bx), values(by), bx.shape, by.dtype]);
    const b = each(slow, ([bx, by]) => [values(bx), values(by), bx.shape, by.dtype]);
    const c = each(record, (r) => [values(r.x), values(r.y), r.x.shape, r.y.dtype]);
    expect(a).toEqual(b);
    expect(a).toEqual(c);
    expect(sorted(a.flatMap((r) => r[1] as number[]))).toEqual(range(10));
  });

  it('a Subset from randomSplit is batched through the underlying tensors', () => {
    const { x, y } = data(10);
    const [train] = randomSplit(new TensorDataset(x, y), [0.6, 0.4], { generator: new Generator(0) });
    const ys = each(new DataLoader(train, { batchSize: 4 }), ([, by]) => values(by)).flat();
    expect(ys).toEqual([...train.indices]);
  });

  it('sampler, batchSampler and generator options', () => {
    const { x, y } = data(10);
    const ds = new TensorDataset(x, y);
    const only = each(new DataLoader(ds, { batchSize: 2, sampler: new SubsetRandomSampler([1, 5, 9], { generator: new Generator(0) }) }), ([bx, by]) => [bx.shape[0], values(by)] as const);
    expect(sorted(only.flatMap(([, v]) => v))).toEqual([1, 5, 9]);
    expect(only.map(([n]) => n)).toEqual([2, 1]);
    const batches = each(new DataLoader(ds, { batchSampler: [[0, 9], [4, 4, 4]] }), ([, by]) => values(by));
    expect(batches).toEqual([[0, 9], [4, 4, 4]]);
    const g1 = each(new DataLoader(ds, { batchSize: 10, shuffle: true, generator: new Generator(9) }), ([, by]) => values(by));
    const g2 = each(new DataLoader(ds, { batchSize: 10, shuffle: true, seed: 9 }), ([, by]) => values(by));
    expect(g1).toEqual(g2);
    const weighted = new DataLoader(ds, { batchSize: 5, sampler: new WeightedRandomSampler([0, 0, 1, 0, 0, 0, 0, 0, 0, 0], 5) });
    expect(each(weighted, ([, by]) => values(by)).flat()).toEqual([2, 2, 2, 2, 2]);
  });

  it('PyTorch\'s exclusive options and bad samplers are refused', () => {
    const ds = new TensorDataset(...Object.values(data(4)));
    const seq = new SequentialSampler(range(4));
    expect(() => new DataLoader(ds, { sampler: seq, shuffle: true })).toThrow(/sampler and shuffle are mutually exclusive/);
    const bs = new BatchSampler(seq, 2, false);
    for (const bad of [{ batchSize: 2 }, { shuffle: true }, { sampler: seq }, { dropLast: true }]) {
      expect(() => new DataLoader(ds, { batchSampler: bs, ...bad })).toThrow(/batchSampler is mutually exclusive with batchSize, shuffle, sampler and dropLast/);
    }
    expect(() => new DataLoader(ds, { sampler: 3 as never })).toThrow(/sampler must be iterable and have a length/);
    expect(() => new DataLoader(ds, { collateFn: 'x' as never })).toThrow(/collateFn must be a function/);
    expect(() => [...new DataLoader(ds, { sampler: [0, 7] })]).toThrow(/the sampler gave index 7, outside the dataset's 4 samples/);
    expect(() => new DataLoader([1, 2] as never)).toThrow(/must be a Dataset/);
  });

  it('the loader frees default-collated batches and the samples get() made; a collateFn\'s batch is the caller\'s', () => {
    class Rows extends Dataset<{ v: Tensor }> {
      get length() {
        return 6;
      }
      get(i: number) {
        return { v: tensor([i, -i]) };
      }
    }
    const loader = new DataLoader(new Rows(), { batchSize: 4 });
    [...loader];
    const before = memory().buffers;
    for (let e = 0; e < 3; e++) for (const b of loader) tidy(() => void b.v.sum());
    expect(memory().buffers).toBe(before);
    // A custom collate's batch survives the next batch: the loader leaves it alone.
    const mine = new DataLoader(new Rows(), { batchSize: 3, collateFn: (s) => ({ sum: s.map((r) => r.v).reduce((a, c) => a.add(c)) }) });
    const kept = [...mine];
    expect(kept.map((b) => values(b.sum))).toEqual([[3, -3], [12, -12]]);
    kept.forEach((b) => b.sum.dispose());
    // A kept TensorDataset batch outlives the loop.
    const ds = new TensorDataset(arange(6).reshape([6, 1]));
    let last: Tensor | null = null;
    for (const [bx] of new DataLoader(ds, { batchSize: 4, shuffle: true })) last = keep(bx);
    expect(last!.isDisposed).toBe(false);
    last!.dispose();
  });
});
