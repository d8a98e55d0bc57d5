// Issue 10 item 2: in-place ops guarded by the version counters (issue 8), and console.log(t).
// Right values: arithmetic by hand; the printed form follows PyTorch's (4 decimals, 3 + 3
// entries per long axis, flags after the values).
import '@tsgrad/backend-cpu';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AutogradError, DTypeError, ShapeError, ValueError, noGrad, tensor, zeros, arange } from '@tsgrad/core';

describe('in-place ops', () => {
  it('change the values and keep the identity; each bumps the version', () => {
    const x = tensor([1, -2, 3]);
    const same = x.add_(1);
    expect(same).toBe(x);
    expect(x.toArray()).toEqual([2, -1, 4]);
    x.mul_(2).sub_(1).div_(2);
    expect(x.toArray()).toEqual([1.5, -1.5, 3.5]);
    x.clamp_(-1, 1);
    expect(x.toArray()).toEqual([1, -1, 1]);
    expect(x.version).toBe(5);
    x.zero_();
    expect(x.toArray()).toEqual([0, 0, 0]);
    x.fill_(7).copy_(tensor([4, 5, 6]));
    expect(x.toArray()).toEqual([4, 5, 6]);
    expect(x.version).toBe(8);
  });

  it('a saved tensor changed in place makes backward() throw, naming the op', () => {
    const w = tensor([2]).requiresGrad_();
    const x = tensor([3]);
    const y = w.mul(x);
    x.mul_(10); // x was saved by mul for w's gradient
    expect(() => y.backward()).toThrow(/input 1 of mul .* was modified by an in-place operation/);
  });

  it('a leaf that requires grad changes only under noGrad; a recorded output not at all', () => {
    const w = tensor([1, 2]).requiresGrad_();
    expect(() => w.add_(1)).toThrow(AutogradError);
    expect(() => w.add_(1)).toThrow(/add_: a leaf tensor that requires grad .* inside noGrad/);
    noGrad(() => w.sub_(1));
    expect(w.toArray()).toEqual([0, 1]);
    const y = w.mul(2);
    expect(() => y.add_(1)).toThrow(/add_: this tensor .* is the output of a recorded mul; .*y = y\.add\(/);
  });

  it('refuses a result of another shape or dtype, and values the dtype cannot hold', () => {
    expect(() => tensor([1, 2]).add_(tensor([[1, 2], [3, 4]]))).toThrow(ShapeError);
    expect(() => tensor([1, 2], { dtype: 'int32' }).div_(2)).toThrow(DTypeError);
    expect(() => tensor([1, 2], { dtype: 'int32' }).fill_(3e9)).toThrow(ValueError);
    expect(() => tensor([1]).copy_([1] as never)).toThrow(/copy_: the source must be a Tensor/);
  });
});

describe('console.log(tensor)', () => {
  it('prints rounded values, the dtype when not float32 and requiresGrad', () => {
    expect(inspect(tensor([1, 2.5, -3]))).toBe('tensor([1.0000, 2.5000, -3.0000])');
    expect(inspect(tensor([[1, 2], [3, 4]], { dtype: 'int32' }))).toBe('tensor([[1, 2],\n        [3, 4]], dtype=int32)');
    expect(inspect(tensor([NaN, Infinity, -Infinity, 1e-6], { requiresGrad: true }))).toBe('tensor([nan, inf, -inf, 1.0000e-6], requiresGrad=true)');
    expect(inspect(tensor([true, false], { dtype: 'bool' }))).toBe('tensor([True, False], dtype=bool)');
    expect(inspect(tensor(3))).toBe('tensor(3.0000)');
    expect(inspect(zeros([0]))).toBe('tensor([])');
  });

  it('summarises long axes as their first and last three entries', () => {
    expect(inspect(arange(0, 10))).toBe('tensor([0, 1, 2, ..., 7, 8, 9], dtype=int32)');
    expect(inspect(arange(0, 10).cast('float32').div(4))).toBe('tensor([0.0000, 0.2500, 0.5000, ..., 1.7500, 2.0000, 2.2500])');
    const t = tensor([1]);
    t.dispose();
    expect(inspect(t)).toBe('tensor(disposed, shape=[1], dtype=float32)');
  });
});
