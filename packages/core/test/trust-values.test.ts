/**
 * Issue 8, faults 4, 8 and 9: 0-d and empty tensors, integer and bool semantics, and arguments
 * that used to be coerced instead of refused. Right values from PyTorch 1.13 (Debian's
 * python3-torch), quoted next to each assertion.
 */
import '@tsgrad/backend-cpu';
import { describe, expect, it } from 'vitest';
import {
  DTypeError,
  DisposedError,
  ShapeError,
  TsgradError,
  ValueError,
  arange,
  concat,
  eye,
  floorDivide,
  full,
  gather,
  indexSelect,
  linspace,
  randint,
  randperm,
  stack,
  tensor,
  uniform,
  zeros,
  type Tensor,
} from '@tsgrad/core';

const i32 = (v: number[]) => tensor(v, { dtype: 'int32' });
const values = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number>);

describe('fault 4: 0-d and empty tensors', () => {
  it('wraps axis 0 and -1 on a 0-d tensor as PyTorch does', () => {
    // torch.tensor(3.).sum(-1) = 3, .softmax(-1) = 1, .argmax() = 0, .mean(0) = 3 (today NaN).
    expect(tensor(3).sum(-1).item()).toBe(3);
    expect(tensor(3).sum(0).item()).toBe(3);
    expect(tensor(3).softmax().item()).toBe(1);
    expect(tensor(3).logSoftmax(0).item()).toBe(0);
    const am = tensor(3).argmax();
    expect([am.shape, am.dtype, am.item()]).toEqual([[], 'int32', 0]);
    expect(tensor(3).mean(0).item()).toBe(3);
    expect(tensor(3).amax(-1, true).shape).toEqual([]);
    expect(tensor(3).max(-1, true).values.shape).toEqual([]);
    expect(tensor(3).squeeze(0).shape).toEqual([]);
    // Axes 1 and -2 do not exist: "Dimension out of range (expected to be in range of [-1, 0], but got 1)".
    expect(() => tensor(3).sum(1)).toThrow(/sum: axis 1 is out of range for a tensor of rank 0; use an integer in \[-1, 0\]/);
    expect(() => tensor(3).sum([0, -1])).toThrow(/repeats an axis/);
  });

  it('gives NaN for the mean of no element, as PyTorch does', () => {
    // torch.tensor([]).mean() = nan; torch.zeros(0, 3).mean(0) = [nan, nan, nan].
    expect(tensor([]).mean().item()).toBeNaN();
    expect(values(zeros([0, 3]).mean(0))).toEqual([NaN, NaN, NaN]);
    expect(zeros([0, 3]).mean(1).shape).toEqual([0]);
    // An empty sum is 0 (torch.zeros(0, 3).sum(0) = [0, 0, 0]); an empty max has no value (PyTorch raises).
    expect(values(zeros([0, 3]).sum(0))).toEqual([0, 0, 0]);
    expect(() => zeros([0, 3]).max(0)).toThrow(ShapeError);
    expect(() => zeros([0, 3]).argmax(0)).toThrow(/argmax: axis 0 of shape \[0, 3\] is empty/);
    // torch.softmax(torch.zeros(3, 0), -1) has shape [3, 0].
    expect(zeros([3, 0]).softmax().shape).toEqual([3, 0]);
  });

  it('refuses to concat 0-d tensors (PyTorch: "zero-dimensional tensor cannot be concatenated") but stacks them', () => {
    expect(() => concat([tensor(1), tensor(2)])).toThrow(ShapeError);
    expect(() => concat([tensor(1), tensor(2)])).toThrow(/concat: tensor 0 is 0-d/);
    expect(stack([tensor(1), tensor(2)]).toArray()).toEqual([1, 2]);
  });
});

describe('fault 8: integer and bool semantics', () => {
  it('divides truly: int32 [-7, 7, -1] / [2, 2, 3] is float32 [-3.5, 3.5, -0.3333]', () => {
    // torch.tensor([-7, 7, -1]).div(torch.tensor([2, 2, 3])) = tensor([-3.5000, 3.5000, -0.3333]).
    const q = i32([-7, 7, -1]).div(i32([2, 2, 3]));
    expect(q.dtype).toBe('float32');
    expect(values(q)).toEqual([-3.5, 3.5, Math.fround(-1 / 3)]);
    // x / 0 for ints is ±inf and 0/0 is nan in PyTorch's true division (float result).
    expect(values(i32([5, -5, 0]).div(0))).toEqual([Infinity, -Infinity, NaN]);
    // An int tensor with a float64 one takes float64; bool divides as float32 (torch.tensor([True]) / 2 = 0.5).
    expect(i32([1]).div(tensor([2], { dtype: 'float64' })).dtype).toBe('float64');
    expect(values(tensor([true, false]).div(2))).toEqual([0.5, 0]);
  });

  it('floor-divides with floorDivide, as torch.floor_divide (Python //)', () => {
    // torch.floor_divide(torch.tensor([-7, 7, -1, 7, -7]), torch.tensor([2, 2, 3, -2, -2])) = [-4, 3, -1, -4, 3].
    const q = floorDivide(i32([-7, 7, -1, 7, -7]), i32([2, 2, 3, -2, -2]));
    expect(q.dtype).toBe('int32');
    expect(values(q)).toEqual([-4, 3, -1, -4, 3]);
    expect(values(i32([9, -9]).floorDivide(4))).toEqual([2, -3]);
    // Floats: floor of the quotient, ±inf for a zero divisor (torch.floor_divide(torch.tensor([-7., 1.]), 0) = [-inf, inf]).
    expect(values(tensor([-7, 7.5]).floorDivide(2))).toEqual([-4, 3]);
    expect(values(tensor([-7, 1]).floorDivide(0))).toEqual([-Infinity, Infinity]);
    // PyTorch raises ZeroDivisionError for an integer division by zero.
    expect(() => i32([1, 2]).floorDivide(i32([1, 0]))).toThrow(/floorDivide: integer division by zero/);
    expect(() => tensor([true]).floorDivide(tensor([true]))).toThrow(DTypeError);
  });

  it('infers float32 for booleans mixed with numbers, never a bool holding 2', () => {
    // PyTorch promotes bool with its default number dtype (int64 there: torch.tensor([True, 2]).dtype);
    // tsgrad's default number dtype is float32.
    const t = tensor([true, 2]);
    expect(t.dtype).toBe('float32');
    expect(t.toArray()).toEqual([1, 2]);
    expect(t.eq(2).toArray()).toEqual([false, true]);
    expect(tensor([true, false]).dtype).toBe('bool');
  });

  it('refuses values that do not fit the dtype, naming them', () => {
    expect(() => tensor([3e9], { dtype: 'int32' })).toThrow(/tensor: the value at position 0 is 3000000000, outside int32's range/);
    expect(() => tensor([1, NaN], { dtype: 'int32' })).toThrow(/position 1 is NaN/);
    expect(() => tensor([Infinity], { dtype: 'int32' })).toThrow(ValueError);
    expect(() => tensor([2], { dtype: 'bool' })).toThrow(/bool tensor holds only true\/false/);
    expect(() => tensor(new Float64Array([3e9]), { dtype: 'int32' })).toThrow(/3000000000/);
    expect(() => full([2], 3e9, { dtype: 'int32' })).toThrow(/full: the fill value is 3000000000/);
    expect(() => i32([1]).add(3e9)).toThrow(/add: the number 3000000000 does not fit an int32 tensor/);
    // bool with an integer compares as integers (type promotion): torch.tensor([True]) < 2 is tensor([True]).
    expect(tensor([true]).lt(2).toArray()).toEqual([true]);
    // A Uint8Array is read as bool, so 255 is refused rather than stored in a bool.
    expect(() => tensor(new Uint8Array([0, 255]))).toThrow(/position 1 is 255, but a bool tensor holds only true\/false/);
    expect(tensor(new Uint8Array([0, 255]), { dtype: 'int32' }).toArray()).toEqual([0, 255]);
    // A fraction given int32 is truncated toward zero as in PyTorch (torch.tensor([1.7, -1.7], dtype=torch.int32) = [1, -1]).
    expect(tensor([1.7, -1.7], { dtype: 'int32' }).toArray()).toEqual([1, -1]);
  });
});

describe('fault 9: arguments refused, not coerced', () => {
  const refuses = (f: () => unknown, op: string, pattern?: RegExp) => {
    let error: unknown;
    try {
      f();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TsgradError);
    expect((error as Error).message).toContain(`${op}:`);
    if (pattern) expect((error as Error).message).toMatch(pattern);
  };

  it('refuses the inputs of the issue with the op, the argument and the fix', () => {
    const x = tensor([10, 20, 30]);
    refuses(() => x.indexSelect([1.7]), 'indexSelect', /indices \[1\.7\] has 1\.7 at position 0; every entry must be an integer/);
    refuses(() => indexSelect(x, 'abc' as never), 'indexSelect', /indices must be an array of integers, got "abc"/);
    // The former gather(x, indices, axis) order is refused with the way to the new name.
    refuses(() => gather(x, [1] as never, 0 as never), 'gather', /axis must be an integer, got \[1\].*indexSelect\(x, indices, axis\)/);
    refuses(() => arange('a' as never), 'arange', /start must be a finite number, got "a"/);
    refuses(() => full([2], 'a' as never), 'full', /fill value must be a number or a boolean/);
    refuses(() => tensor([1]).slice([0], [1.5]), 'slice', /size \[1\.5\] has 1\.5/);
    refuses(() => zeros([2], { dtype: 'complex64' as never }), 'zeros', /unknown dtype "complex64"; use one of .*float32.*int64.*bool/);
    refuses(() => concat([tensor(1), tensor(2)]), 'concat');
  });

  it('refuses non-tensors, disposed tensors and bad options in every family', () => {
    const d = tensor([1]);
    d.dispose();
    refuses(() => (tensor([1]) as unknown as { exp: () => unknown }).exp.call('abc'), 'exp');
    refuses(() => d.sum(), 'sum');
    refuses(() => d.cast('float32'), 'cast');
    refuses(() => d.reshape([1]), 'reshape');
    refuses(() => tensor([1]).add('abc' as never), 'add');
    refuses(() => tensor([[1]]).matmul('x' as never), 'matmul');
    refuses(() => tensor([1]).sum(0, 'yes' as never), 'sum', /keepDims must be true or false/);
    refuses(() => tensor([1]).sum('0' as never), 'sum');
    refuses(() => tensor([1], { requiresGrad: 'yes' as never }), 'tensor');
    refuses(() => tensor([1], { dtype: 'int32', requiresGrad: true }), 'tensor', /only float tensors can require grad/);
    refuses(() => tensor([1], { backend: 'nope' }), 'tensor', /Unknown backend "nope"/);
    refuses(() => uniform([2], 0, 1, { dtype: 'int32' }), 'uniform', /dtype must be float32 or float64/);
    refuses(() => randint(0, 3, [2], { dtype: 'float32' } as never), 'randint');
    refuses(() => randperm(2.5), 'randperm');
    refuses(() => linspace(0, 1, 2.5), 'linspace');
    refuses(() => eye(2, -1), 'eye');
    refuses(() => zeros([2 ** 40, 2 ** 40]), 'zeros', /more than the 2147483647 one tensor can hold/);
    refuses(() => i32([1, 2]).pad([[0, 1]], NaN), 'pad', /the pad value is NaN/);
    refuses(() => stack([tensor([1]), i32([1])]), 'stack', /dtypes differ/);
  });

  it('names a disposed argument with DisposedError', () => {
    const d = tensor([1, 2]);
    d.dispose();
    expect(() => tensor([1, 2]).matmul(d)).toThrow(DisposedError);
    expect(() => concat([tensor([1]), d])).toThrow(/concat: tensor 1 \(shape \[2\]\) has been disposed/);
  });
});
