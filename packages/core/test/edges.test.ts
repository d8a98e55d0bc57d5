import '@tsgrad/backend-cpu';
import { describe, expect, it } from 'vitest';
import { ValueError, clamp, linear, maximum, minimum, tensor, where, type Tensor } from '@tsgrad/core';

// Issue 8, faults 1 and 2: gradient rules that made 0·∞ or 0/0, and selections that lost NaN.
// Expected values: PyTorch 1.13 (float64), the same numbers as packages/testing/test/fixtures/edges.json.

const f64 = (v: number[]) => tensor(Float64Array.from(v), { dtype: 'float64' });
const leaf = (v: number[]) => f64(v).requiresGrad_();
const values = (t: Tensor) => Array.from(t.dataSync());

describe('0·∞ and 0/0 inside gradient rules (issue 8, fault 1)', () => {
  it('a.pow(b) with a = [0, 2] constant: b.grad = [0, log 4] (PyTorch pow_backward_exponent masks a = 0, b >= 0)', () => {
    const a = f64([0, 2]);
    const b = leaf([1, 1]);
    a.pow(b).sum().backward();
    expect(values(b.grad!)).toEqual([0, Math.log(4)]);
  });

  it('x.pow(0) at [0, 1, -2]: x.grad = [0, 0, 0] (PyTorch pow_backward_self masks b = 0)', () => {
    const x = leaf([0, 1, -2]);
    x.pow(0).sum().backward();
    expect(values(x.grad!)).toEqual([0, 0, 0]);
  });

  it('pow keeps the unmasked values PyTorch gives: 0^0.5 has gradient +inf, (-2)^b has a NaN exponent gradient', () => {
    const x = leaf([0, 4]);
    x.pow(0.5).sum().backward();
    expect(values(x.grad!)).toEqual([Infinity, 0.25]);
    const b = leaf([2]);
    f64([-2]).pow(b).sum().backward();
    expect(values(b.grad!)).toEqual([NaN]);
  });

  it('where gives the side not taken an exact 0, even for an infinite upstream gradient (PyTorch: [inf, 0, -inf], [0, inf, 0])', () => {
    const a = leaf([1, 2, Infinity]);
    const b = leaf([3, 4, 5]);
    const y = where(f64([1, 0, 1]).gt(0), a, b);
    y.backward(f64([Infinity, Infinity, -Infinity]));
    expect(values(a.grad!)).toEqual([Infinity, 0, -Infinity]);
    expect(values(b.grad!)).toEqual([0, Infinity, 0]);
  });

  it('max over a tensor with an infinite upstream gradient: 0 for the others, not 0·∞ (PyTorch: [0, inf])', () => {
    const x = leaf([1, 3]);
    x.max().backward(f64([Infinity]).reshape([]));
    expect(values(x.grad!)).toEqual([0, Infinity]);
  });

  it('max with a NaN: the gradient goes to the NaN (PyTorch evenly_distribute_backward: [1, 0, 0])', () => {
    const x = leaf([NaN, 1, 3]);
    x.max().backward();
    expect(values(x.grad!)).toEqual([1, 0, 0]);
    const m = leaf([1, 3, 3]);
    m.max().backward();
    expect(values(m.grad!)).toEqual([0, 0.5, 0.5]);
  });

  it('relu and the fused linear+relu pass the gradient at NaN on, and give 0 at 0 (PyTorch threshold_backward)', () => {
    const x = leaf([NaN, 0, -1, 2]);
    x.relu().sum().backward();
    expect(values(x.grad!)).toEqual([1, 0, 0, 1]);
    const input = f64([NaN, 0, -1, 2]).reshape([4, 1]).requiresGrad_();
    linear(input, f64([1]).reshape([1, 1]), f64([0]), { activation: 'relu' }).sum().backward();
    expect(values(input.grad!)).toEqual([1, 0, 0, 1]);
  });
});

describe('NaN kept by comparison-based selection (issue 8, fault 2)', () => {
  it('tensor([NaN, 5, -5]).clamp(-1, 1) is [NaN, 1, -1] (PyTorch, NumPy and JAX propagate NaN)', () => {
    expect(values(tensor([NaN, 5, -5]).clamp(-1, 1))).toEqual([NaN, 1, -1]);
  });

  it('clamp with one bound keeps NaN too, and its gradient is PyTorch clamp_backward (0 at NaN, 1 at ties)', () => {
    expect(values(tensor([NaN, 5, -5]).clamp(-1))).toEqual([NaN, 5, -1]);
    expect(values(tensor([NaN, 5, -5]).clamp(undefined, 1))).toEqual([NaN, 1, -5]);
    const x = leaf([NaN, 5, -5, 1, -1, 0.25]);
    x.clamp(-1, 1).sum().backward();
    expect(values(x.grad!)).toEqual([0, 0, 0, 1, 1, 1]);
  });

  it('clamp with tensor bounds: a NaN bound gives NaN; the bound that is the result gets the gradient (PyTorch)', () => {
    const x = leaf([NaN, 5, -5, 0, 0]);
    const lo = leaf([-1, -1, -1, NaN, -1]);
    const hi = leaf([1, 1, 1, 1, NaN]);
    const y = clamp(x, lo, hi);
    expect(values(y)).toEqual([NaN, 1, -1, NaN, NaN]);
    y.sum().backward();
    expect(values(x.grad!)).toEqual([0, 0, 0, 0, 0]);
    expect(values(lo.grad!)).toEqual([0, 0, 1, 0, 0]);
    expect(values(hi.grad!)).toEqual([0, 1, 0, 0, 0]);
  });

  it('clamp refuses a NaN number bound (it would bound nothing) and still clamps int32 tensors', () => {
    expect(() => tensor([1, 2]).clamp(NaN, 1)).toThrow(ValueError);
    expect(() => tensor([1, 2]).clamp(0, NaN)).toThrow(/clamp: max is NaN/);
    expect(values(tensor([-3, 0, 7], { dtype: 'int32' }).clamp(-1, 5))).toEqual([-1, 0, 5]);
  });

  it('maximum and minimum propagate NaN from either side; the gradient goes to both there (PyTorch: 1 and 1)', () => {
    const a = leaf([NaN, 1, 2, NaN]);
    const b = leaf([1, NaN, 2, NaN]);
    const y = maximum(a, b);
    expect(values(y)).toEqual([NaN, NaN, 2, NaN]);
    y.sum().backward();
    expect(values(a.grad!)).toEqual([1, 1, 0.5, 1]);
    expect(values(b.grad!)).toEqual([1, 1, 0.5, 1]);
    expect(values(minimum(f64([NaN, 1, 2]), f64([1, NaN, 3])))).toEqual([NaN, NaN, 2]);
  });
});
