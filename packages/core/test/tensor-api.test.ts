import '@tsgrad/backend-cpu';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DTypeError,
  ShapeError,
  ValueError,
  all,
  amax,
  amin,
  any,
  argmin,
  argsort,
  chunk,
  clone,
  cumprod,
  cumsum,
  einsum,
  gather,
  index,
  indexAdd,
  max,
  min,
  scatter,
  scatterAdd,
  sort,
  topk,
  flip,
  isfinite,
  isnan,
  logsumexp,
  maskedFill,
  memory,
  norm,
  oneHot,
  repeat,
  roll,
  split,
  std,
  tensor,
  tidy,
  tile,
  tril,
  triu,
  unbind,
  variance,
  type DType,
  type Tensor,
  type VarOptions,
} from '@tsgrad/core';

/**
 * The tensor API of issue 10 against PyTorch 1.13: fixtures/tensor-api.json holds inputs,
 * outputs and gradients made by fixtures/tensor_api.py (float64; PyTorch's int64 results as
 * int32). Values and gradients must agree to 1e-10 relative.
 */

type Num = number | string | boolean;
interface Packed { shape: number[]; dtype: DType; values: Num[] }
interface Case { op: string; params: Record<string, unknown>; note: string; inputs: Packed[]; outputs: Packed[]; cotangents?: (Packed | null)[]; grads?: Packed[] }

const fixture = JSON.parse(readFileSync(new URL('./fixtures/tensor-api.json', import.meta.url), 'utf8')) as { source: string; cases: Case[] };

const decode = (v: Num): number => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v));
const arrays = { float64: Float64Array, float32: Float32Array, int32: Int32Array, bool: Uint8Array } as const;
const make = (p: Packed, requiresGrad = false): Tensor => tensor(arrays[p.dtype].from(p.values.map(decode)), { shape: p.shape, dtype: p.dtype, requiresGrad });

type Run = (inputs: Tensor[], p: Record<string, any>) => Tensor | Tensor[];
const varOptions = (p: Record<string, any>): VarOptions => ({ correction: p.correction, unbiased: p.unbiased, keepDims: p.keepDims });

const ops: Record<string, Run> = {
  var: ([x], p) => variance(x, p.axis, varOptions(p)),
  std: ([x], p) => std(x, p.axis, varOptions(p)),
  logsumexp: ([x], p) => logsumexp(x, p.axis, p.keepDims ?? false),
  norm: ([x], p) => norm(x, p.p === 'inf' ? Infinity : p.p ?? 2, p.axis, p.keepDims ?? false),
  tril: ([x], p) => tril(x, p.diagonal),
  triu: ([x], p) => triu(x, p.diagonal),
  oneHot: ([i], p) => oneHot(i, p.numClasses),
  split: ([x], p) => split(x, p.split, p.axis),
  chunk: ([x], p) => chunk(x, p.chunks, p.axis),
  unbind: ([x], p) => unbind(x, p.axis),
  repeat: ([x], p) => repeat(x, p.repeats),
  tile: ([x], p) => tile(x, p.reps),
  flip: ([x], p) => flip(x, p.axes),
  roll: ([x], p) => roll(x, p.shifts, p.axes),
  clone: ([x]) => clone(x),
  all: ([x], p) => all(x, p.axis, p.keepDims ?? false),
  any: ([x], p) => any(x, p.axis, p.keepDims ?? false),
  isnan: ([x]) => isnan(x),
  isfinite: ([x]) => isfinite(x),
  cumsum: ([x], p) => cumsum(x, p.axis),
  argmin: ([x], p) => argmin(x, p.axis, p.keepDims ?? false),
  maskedFill: ([x, m], p) => maskedFill(x, m, decode(p.value as Num)),
  gather: ([x, i], p) => gather(x, p.axis, i),
  scatter: ([x, i, s], p) => scatter(x, p.axis, i, p.value ?? s, { reduce: p.reduce }),
  scatterAdd: ([x, i, s], p) => scatterAdd(x, p.axis, i, s),
  indexAdd: ([x, i, s], p) => indexAdd(x, p.axis, i, s, p.alpha ?? 1),
  sort: ([x], p) => [...sort(x, p.axis ?? -1, p.descending ?? false)],
  argsort: ([x], p) => argsort(x, p.axis ?? -1, p.descending ?? false),
  topk: ([x], p) => [...topk(x, p.k, p.axis ?? -1, p.largest ?? true)],
  max: ([x], p) => (p.axis === undefined ? max(x) : [...max(x, p.axis as number, p.keepDims ?? false)]),
  min: ([x], p) => (p.axis === undefined ? min(x) : [...min(x, p.axis as number, p.keepDims ?? false)]),
  amax: ([x], p) => amax(x, p.axis, p.keepDims ?? false),
  amin: ([x], p) => amin(x, p.axis, p.keepDims ?? false),
  cumprod: ([x], p) => cumprod(x, p.axis),
  einsum: (xs, p) => einsum(p.equation, ...xs),
  index: ([x], p) => index(x, p.items),
};

/** Equal within 1e-10 relative (absolute near 0), with NaN matching NaN and infinities exact. */
function expectClose(got: Tensor, want: Packed, what: string): void {
  expect(got.shape, `${what}: shape`).toEqual(want.shape);
  expect(got.dtype, `${what}: dtype`).toBe(want.dtype);
  const g = Array.from(got.dataSync());
  want.values.forEach((w, i) => {
    const e = decode(w);
    const a = g[i];
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      expect(Object.is(a, e) || (Number.isNaN(e) && Number.isNaN(a)), `${what}[${i}]: ${a} vs ${e}`).toBe(true);
    } else {
      expect(Math.abs(a - e) <= 1e-10 * Math.max(1, Math.abs(e)), `${what}[${i}]: ${a} vs ${e}`).toBe(true);
    }
  });
}

describe(`tensor API against ${fixture.source}`, () => {
  for (const [n, c] of fixture.cases.entries()) {
    const label = `${c.op} #${n} ${JSON.stringify(c.params)} on ${c.inputs.map((i) => `[${i.shape.join(', ')}]`).join(', ')}${c.note ? ` (${c.note})` : ''}`;
    it(label, () => {
      const inputs = c.inputs.map((p) => make(p, c.grads !== undefined && p.dtype === 'float64'));
      const out = ops[c.op](inputs, c.params);
      const outs = Array.isArray(out) ? out : [out];
      expect(outs.length, 'number of outputs').toBe(c.outputs.length);
      outs.forEach((o, k) => expectClose(o, c.outputs[k], `output ${k}`));
      if (!c.grads || !c.cotangents) return;
      // d/dx sum_k(out_k · cot_k): the vector-Jacobian product PyTorch's autograd.grad gave.
      let total: Tensor | undefined;
      outs.forEach((o, k) => {
        // Integer outputs (indices) have no cotangent.
        const cot = c.cotangents![k];
        if (cot === null) return;
        const term = o.mul(make(cot)).sum();
        total = total ? total.add(term) : term;
      });
      total!.backward();
      const diff = inputs.filter((t) => t.requiresGrad);
      diff.forEach((t, k) => expectClose(t.grad!, c.grads![k], `grad ${k}`));
    });
  }

  it('covers every op of the fixture with a runner', () => {
    expect(new Set(fixture.cases.map((c) => c.op))).toEqual(new Set(Object.keys(ops)));
  });
});

describe('tensor API methods', () => {
  it('are the functions (one-line wrappers)', () => {
    const x = tensor([[1, -2, 3], [4, 5, -6]], { dtype: 'float64' });
    expect(x.var(1).toArray()).toEqual(variance(x, 1).toArray());
    expect(x.std(undefined, { unbiased: false }).item()).toBe(std(x, undefined, { correction: 0 }).item());
    expect(x.tril(-1).toArray()).toEqual([[0, 0, 0], [4, 0, 0]]);
    expect(x.triu(1).toArray()).toEqual([[0, -2, 3], [0, 0, -6]]);
    expect(x.flip(1).toArray()).toEqual([[3, -2, 1], [-6, 5, 4]]);
    expect(x.roll(1, 0).toArray()).toEqual([[4, 5, -6], [1, -2, 3]]);
    expect(x.cumsum(1).toArray()).toEqual([[1, -1, 2], [4, 9, 3]]);
    expect(x.argmin(1).toArray()).toEqual([1, 2]);
    expect(x.norm(1).item()).toBe(21);
    expect(x.logsumexp(0).shape).toEqual([3]);
    expect(x.gt(0).all(1).toArray()).toEqual([false, false]);
    expect(x.gt(0).any(1).toArray()).toEqual([true, true]);
    expect(x.maskedFill(x.lt(0), 0).toArray()).toEqual([[1, 0, 3], [4, 5, 0]]);
    expect(x.split(2, 1).map((t) => t.shape)).toEqual([[2, 2], [2, 1]]);
    expect(x.chunk(2, 0).map((t) => t.toArray())).toEqual([[[1, -2, 3]], [[4, 5, -6]]]);
    expect(x.unbind(1).map((t) => t.toArray())).toEqual([[1, 4], [-2, 5], [3, -6]]);
    expect(x.repeat([1, 2]).shape).toEqual([2, 6]);
    expect(x.tile([2]).shape).toEqual([2, 6]);
    expect(x.isnan().any().item()).toBe(0);
    expect(x.isfinite().all().item()).toBe(1);
  });

  it('clone copies storage (a later assign to x leaves it) and keeps -0', () => {
    const x = tensor([-0, 2], { dtype: 'float64', requiresGrad: true });
    const y = x.clone();
    expect(Object.is(y.dataSync()[0], -0)).toBe(true);
    x.assign(tensor([5, 6], { dtype: 'float64' }));
    expect(Array.from(y.dataSync())).toEqual([-0, 2]);
  });

  it('leave memory() unchanged inside tidy(), forward and backward (no constant tensor escapes)', () => {
    const x = tensor([[1, -2, 3], [4, 5, -6]], { dtype: 'float64', requiresGrad: true });
    // The first run fills the bounded cache of scalar constants (kept by design); measure the second.
    const run = () => tidy(() => {
      const parts = [
        x.var(1), x.std(), x.logsumexp(0), x.norm(), x.norm(Infinity, 1), x.tril(), x.triu(1), x.maskedFill(x.lt(0), 0),
        x.cumsum(1), x.clone(), x.repeat([2, 1]), x.tile([2]), x.flip([0, 1]), x.roll([1, 2], [0, 1]), ...x.split(2, 1), ...x.chunk(2), ...x.unbind(1),
      ];
      parts.map((p) => p.sum()).reduce((a, b) => a.add(b)).backward();
      oneHot(x.argmin(1), 3);
      x.isnan().any();
      x.isfinite().all(0);
    });
    run();
    x.grad = null;
    const before = memory();
    run();
    x.grad = null;
    expect(memory()).toEqual(before);
  });

  it('logsumexp stays finite where exp overflows, for float32 too', () => {
    const x = tensor([1000, 1000], { dtype: 'float32' });
    expect(logsumexp(x).item()).toBeCloseTo(1000 + Math.log(2), 3);
  });
});

describe('tensor API errors name the op, the argument and the fix', () => {
  const x = tensor([[1, 2], [3, 4]], { dtype: 'float64' });
  const cases: [string, () => unknown, new (...a: never[]) => Error, RegExp][] = [
    ['var on int32', () => variance(tensor([1, 2], { dtype: 'int32' })), DTypeError, /var: needs a float tensor.*cast/],
    ['var with both options', () => variance(x, 0, { correction: 1, unbiased: true }), ValueError, /var: give options.correction or options.unbiased, not both/],
    ['var with a fractional correction', () => variance(x, 0, { correction: 0.5 }), ValueError, /var: options.correction must be a non-negative integer, got 0.5/],
    ['std axis out of range', () => std(x, 2), ValueError, /std: axis 2 is out of range.*\[-2, 1\]/],
    ['logsumexp keepDims not boolean', () => logsumexp(x, 0, 1 as never), ValueError, /logsumexp: keepDims must be true or false, got 1/],
    ['norm p = 0', () => norm(x, 0), ValueError, /norm: p must be a positive number or Infinity, got 0/],
    ['norm p NaN', () => norm(x, NaN), ValueError, /norm: p must be a positive number/],
    ['tril of a vector', () => tril(tensor([1, 2])), ShapeError, /tril: needs a matrix.*\[2\]/],
    ['triu fractional diagonal', () => triu(x, 0.5), ValueError, /triu: diagonal must be an integer, got 0.5/],
    ['oneHot float indices', () => oneHot(x), DTypeError, /oneHot: indices must be int32, got float64/],
    ['oneHot index too large', () => oneHot(tensor([0, 3], { dtype: 'int32' }), 3), ValueError, /oneHot: indices must lie in \[0, 2\], got 3/],
    ['oneHot negative index', () => oneHot(tensor([-1], { dtype: 'int32' }), 3), ValueError, /got -1/],
    ['oneHot empty without numClasses', () => oneHot(tensor([], { dtype: 'int32' })), ValueError, /cannot infer numClasses/],
    ['maskedFill float mask', () => maskedFill(x, x, 0), DTypeError, /maskedFill: mask must be bool, got float64/],
    ['maskedFill mask too big', () => maskedFill(x, tensor([true, false, true]), 0), ShapeError, /maskedFill: mask of shape \[3\] does not broadcast to x's shape \[2, 2\]/],
    ['maskedFill NaN into int32', () => maskedFill(tensor([1, 2], { dtype: 'int32' }), tensor([true, false]), NaN), ValueError, /maskedFill: value is NaN, which int32 cannot hold/],
    ['all axis list repeats', () => all(x, [0, 0]), ValueError, /all: axis list \[0, 0\] repeats an axis/],
    ['argmin empty axis', () => argmin(tensor([], { dtype: 'float64' }), 0), ShapeError, /argmin: axis 0 of shape \[0\] is empty/],
    ['cumsum on int32', () => cumsum(tensor([1, 2], { dtype: 'int32' }), 0), DTypeError, /cumsum: needs a float tensor/],
    ['split sections that do not sum', () => split(x, [1, 2]), ShapeError, /split: sections \[1, 2\] sum to 3.*length 2/],
    ['split size 0', () => split(x, 0), ValueError, /split: splitSize must be an integer >= 1, got 0/],
    ['chunk of a scalar', () => chunk(tensor(1), 2), ShapeError, /chunk: x is 0-d/],
    ['unbind axis out of range', () => unbind(x, 3), ValueError, /unbind: axis 3 is out of range/],
    ['repeat with too few repeats', () => repeat(x, [2]), ValueError, /repeat: repeats \[2\] has 1 entries but x has 2 axes.*tile/],
    ['tile with a negative rep', () => tile(x, [-1]), ValueError, /tile: reps \[-1\] has -1 at position 0/],
    ['flip without axes', () => flip(x, undefined as never), ValueError, /flip: give the axes/],
    ['roll shifts/axes mismatch', () => roll(x, [1, 2], [0]), ValueError, /roll: shifts \[1, 2\] and axes \[0\] must have the same length/],
    ['clone of a non-tensor', () => clone([1, 2] as never), ValueError, /clone: x must be a Tensor, got \[1, 2\]/],
    ['isnan of a number', () => isnan(3 as never), ValueError, /isnan: x must be a Tensor/],
  ];
  for (const [name, fn, cls, msg] of cases) {
    it(name, () => {
      expect(fn).toThrow(cls);
      expect(fn).toThrow(msg);
    });
  }
});
