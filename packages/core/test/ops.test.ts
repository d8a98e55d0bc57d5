import { createCpuBackend } from '@tsgrad/backend-cpu';
import { describe, expect, it } from 'vitest';
import {
  BackendError,
  DTypeError,
  Generator,
  ShapeError,
  ValueError,
  arange,
  concat,
  eye,
  full,
  getBackend,
  linspace,
  manualSeed,
  matmul,
  normal,
  randint,
  randperm,
  registerBackend,
  setBackend,
  stack,
  tensor,
  uniform,
  where,
} from '@tsgrad/core';

describe('creation', () => {
  it('builds from numbers, nested arrays, booleans and typed arrays', () => {
    expect(tensor(3).shape).toEqual([]);
    expect(tensor([[1, 2], [3, 4]]).shape).toEqual([2, 2]);
    expect(tensor([true, false]).dtype).toBe('bool');
    const t = tensor(new Float64Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
    expect(t.dtype).toBe('float64');
    expect(t.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
  });

  it('refuses ragged arrays, wrong typed-array lengths and values int32 cannot hold', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => tensor(new Float32Array(5), { shape: [2, 3] })).toThrow(/5 values do not fill shape \[2, 3\]/);
    // PyTorch truncates a fraction given an integer dtype (torch.tensor([1.5], dtype=torch.int32) is 1).
    expect(tensor([1.5, -1.5], { dtype: 'int32' }).toArray()).toEqual([1, -1]);
    expect(() => tensor([NaN], { dtype: 'int32' })).toThrow(/NaN/);
    expect(() => tensor([1], { dtype: 'float8' as never })).toThrow(/unknown dtype "float8"/);
  });

  it('has the usual factories', () => {
    expect(full([2], 7).toArray()).toEqual([7, 7]);
    expect(arange(5).toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(arange(1, 2, 0.25).toArray()).toEqual([1, 1.25, 1.5, 1.75]);
    expect(linspace(0, 1, 5).toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(eye(2, 3).toArray()).toEqual([[1, 0, 0], [0, 1, 0]]);
  });
});

describe('randomness', () => {
  it('the same seed gives the same numbers, on any backend', () => {
    registerBackend('cpu-second', () => createCpuBackend('cpu-second'));
    manualSeed(42);
    const a = uniform([5], -1, 1).toArray();
    manualSeed(42);
    const b = uniform([5], -1, 1, { backend: 'cpu-second' }).toArray();
    expect(b).toEqual(a);
    manualSeed(43);
    expect(uniform([5], -1, 1).toArray()).not.toEqual(a);
  });

  it('draws the right distributions', () => {
    const gen = new Generator(7);
    const n = normal([20000], { mean: 2, std: 3, dtype: 'float64', generator: gen });
    expect(n.mean().item()).toBeCloseTo(2, 1);
    expect(n.sub(2).pow(2).mean().sqrt().item()).toBeCloseTo(3, 1);
    const u = uniform([20000], -15, 15, { generator: gen });
    expect(u.min().item()).toBeGreaterThanOrEqual(-15);
    expect(u.max().item()).toBeLessThan(15);
    const r = randint(0, 3, [1000], { generator: gen }).toArray() as number[];
    expect(new Set(r)).toEqual(new Set([0, 1, 2]));
    expect((randperm(10, { generator: gen }).toArray() as number[]).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('ops', () => {
  it('accepts plain numbers wherever a tensor goes', () => {
    expect(tensor([1, 2]).mul(2).add(3).toArray()).toEqual([5, 7]);
  });

  it('broadcasts like NumPy and names both shapes when it cannot', () => {
    expect(tensor([[1], [2]]).add(tensor([10, 20])).toArray()).toEqual([[11, 21], [12, 22]]);
    expect(() => tensor([1, 2, 3]).add(tensor([1, 2]))).toThrow(/add: shapes \[3\] and \[2\] cannot be broadcast/);
  });

  it('promotes mixed dtypes and fractional numbers as PyTorch does (torch.result_type)', () => {
    const f = tensor([1, 2]);
    const d = tensor([1, 2], { dtype: 'float64' });
    // torch.ones(2) + torch.ones(2, dtype=torch.float64) is float64; torch.arange(3, dtype=torch.int32) * 0.5 is float32.
    expect(f.add(d).dtype).toBe('float64');
    expect(f.add(d).toArray()).toEqual([2, 4]);
    expect(arange(3).mul(0.5).dtype).toBe('float32');
    expect(arange(3).mul(0.5).toArray()).toEqual([0, 0.5, 1]);
    expect(() => arange(3).exp()).toThrow(/exp: needs a float tensor, got int32/);
  });

  it('reduces over axes with keepDims', () => {
    const x = tensor([[1, 5, 3], [4, 2, 6]]);
    expect(x.sum().item()).toBe(21);
    expect(x.sum(0).toArray()).toEqual([5, 7, 9]);
    expect(x.sum(1, true).toArray()).toEqual([[9], [12]]);
    expect(x.amax(-1).toArray()).toEqual([5, 6]);
    expect(x.amin(0).toArray()).toEqual([1, 2, 3]);
    expect(x.max([1]).toArray()).toEqual([5, 6]);
    // One axis number: values and indices, as torch.max(x, 1).
    const { values, indices } = x.max(1);
    expect([values.toArray(), indices.toArray()]).toEqual([[5, 6], [1, 2]]);
    expect(x.mean([0, 1]).item()).toBe(3.5);
    expect(x.argmax(1).toArray()).toEqual([1, 2]);
    expect(() => x.sum(2)).toThrow(/axis 2 is out of range for a tensor of rank 2/);
  });

  it('multiplies matrices, batched and broadcast, with transposes', () => {
    const a = tensor([[1, 2], [3, 4]]);
    const b = tensor([[5, 6], [7, 8]]);
    expect(a.matmul(b).toArray()).toEqual([[19, 22], [43, 50]]);
    expect(matmul(a, b, { transposeA: true }).toArray()).toEqual([[26, 30], [38, 44]]);
    expect(matmul(a, b, { transposeB: true }).toArray()).toEqual([[17, 23], [39, 53]]);
    const batch = stack([a, b]);
    expect(batch.matmul(eye(2)).toArray()).toEqual(batch.toArray());
    expect(tensor([1, 1]).matmul(a).toArray()).toEqual([4, 6]);
    expect(() => a.matmul(tensor([[1, 2, 3]]))).toThrow(/matmul: inner dimensions differ: \[2, 2\] @ \[1, 3\]/);
  });

  it('moves data: reshape, permute, slice, pad, concat, indexSelect', () => {
    const x = arange(6).reshape([2, 3]);
    expect(x.reshape([3, -1]).shape).toEqual([3, 2]);
    expect(x.T.toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(x.slice([0, 1], [2, 2]).toArray()).toEqual([[1, 2], [4, 5]]);
    expect(x.pad([[0, 1], [1, 0]], -1).toArray()).toEqual([[-1, 0, 1, 2], [-1, 3, 4, 5], [-1, -1, -1, -1]]);
    expect(concat([x, x], 1).shape).toEqual([2, 6]);
    expect(x.indexSelect([2, 0], 1).toArray()).toEqual([[2, 0], [5, 3]]);
    expect(x.expand([2, 2, 3]).shape).toEqual([2, 2, 3]);
    expect(() => x.reshape([4, 2])).toThrow(/cannot reshape \[2, 3\] \(6 elements\) into \[4, 2\]/);
    expect(() => x.indexSelect([3], 1)).toThrow(ValueError);
    expect(() => x.indexSelect([3], 1)).toThrow(/indexSelect: index 3 at position 0 is out of range for axis 1 of x \(shape \[2, 3\]\), size 3/);
    expect(() => x.slice([0, 2], [2, 2])).toThrow(/reaches outside shape \[2, 3\]/);
    expect(() => concat([x, arange(2)])).toThrow(/concat: shapes/);
  });

  it('compares, selects and clamps', () => {
    const x = tensor([-2, 0, 3]);
    expect(x.gt(0).toArray()).toEqual([false, false, true]);
    expect(where(x.gt(0), x, 0).toArray()).toEqual([0, 0, 3]);
    expect(x.clamp(-1, 1).toArray()).toEqual([-1, 0, 1]);
    expect(() => where(x, x, x)).toThrow(/condition must be bool/);
  });

  it('softmax and logSoftmax are stable for large inputs', () => {
    const x = tensor([1000, 1001, 1002], { dtype: 'float64' });
    const p = x.softmax().dataSync();
    const e = [Math.exp(-2), Math.exp(-1), 1];
    const z = e[0] + e[1] + e[2];
    e.forEach((v, i) => expect(p[i]).toBeCloseTo(v / z, 14));
    expect(x.logSoftmax().dataSync()[2]).toBeCloseTo(-Math.log(z), 14);
  });
});

describe('backends', () => {
  it('an unknown backend names the registered ones', () => {
    expect(() => setBackend('webgpu')).toThrow(BackendError);
    expect(() => setBackend('webgpu')).toThrow(/Unknown backend "webgpu".*cpu/);
  });

  it('an op on tensors of two backends says which', () => {
    registerBackend('cpu-other', () => createCpuBackend('cpu-other'));
    const a = tensor([1, 2]);
    const b = tensor([1, 2], { backend: 'cpu-other' });
    expect(() => a.add(b)).toThrow(/add: input 0 is on backend "cpu" but input 1 is on "cpu-other"/);
    expect(a.add(b.to('cpu')).toArray()).toEqual([2, 4]);
    expect(getBackend().name).toBe('cpu');
  });
});

describe('fused kernels', () => {
  it('linear gives the same bits with the fused kernel and with the primitive sequence, values and gradients', async () => {
    const { CpuBackend } = await import('@tsgrad/backend-cpu');
    const { linear, manualSeed: seed, uniform: u } = await import('@tsgrad/core');
    class Unfused extends CpuBackend {
      override readonly fused = {};
    }
    registerBackend('cpu-unfused', () => new Unfused('cpu-unfused'));
    const run = (backend: string) => {
      seed(5);
      const x = u([7, 5], -1, 1, { backend, requiresGrad: true });
      const w = u([3, 5], -1, 1, { backend, requiresGrad: true });
      const b = u([3], -1, 1, { backend, requiresGrad: true });
      const y = linear(x, w, b, { activation: 'relu' });
      y.mul(y).sum().backward();
      return [y, x.grad!, w.grad!, b.grad!].map((t) => Array.from(t.dataSync()));
    };
    const fused = run('cpu');
    expect(run('cpu-unfused')).toEqual(fused);
    expect(fused[0].some((v) => v === 0) && fused[0].some((v) => v > 0)).toBe(true);
  });
});
