import '@tsgrad/backend-cpu';
import { describe, expect, it } from 'vitest';
import {
  DTypeError,
  ShapeError,
  ValueError,
  amax,
  argsort,
  arange,
  cumprod,
  einsum,
  gather,
  index,
  indexAdd,
  max,
  memory,
  min,
  scatter,
  scatterAdd,
  sort,
  tensor,
  tidy,
  topk,
  type Tensor,
} from '@tsgrad/core';

/**
 * The indexing, sorting and einsum API beyond the PyTorch fixtures (tensor-api.test.ts): method
 * forms, the ways to read a { values, indices } result, memory, large inputs, and the errors.
 * Right values come from the definitions in the doc comments (PyTorch's semantics), worked by hand.
 */

const f64 = (v: number[] | number[][], requiresGrad = false) => tensor(v, { dtype: 'float64', requiresGrad });
const i32 = (v: number[] | number[][]) => tensor(v, { dtype: 'int32' });

describe('methods and result forms', () => {
  const x = f64([[3, 1, 2], [0, 5, 4]]);

  it('gather/scatter/scatterAdd/indexAdd methods are the functions', () => {
    const idx = i32([[2, 0], [1, 1]]);
    expect(x.gather(1, idx).toArray()).toEqual([[2, 3], [5, 5]]);
    expect(gather(x, -1, idx).toArray()).toEqual([[2, 3], [5, 5]]);
    const zero = f64([[0, 0, 0], [0, 0, 0]]);
    expect(zero.scatter(1, i32([[2], [0]]), f64([[7], [8]])).toArray()).toEqual([[0, 0, 7], [8, 0, 0]]);
    expect(zero.scatter(1, i32([[2], [0]]), 9).toArray()).toEqual([[0, 0, 9], [9, 0, 0]]);
    expect(zero.scatterAdd(1, i32([[2, 2]]), f64([[1, 2]])).toArray()).toEqual([[0, 0, 3], [0, 0, 0]]);
    expect(zero.scatter(1, i32([[2, 2]]), f64([[1, 2]]), { reduce: 'add' }).toArray()).toEqual([[0, 0, 3], [0, 0, 0]]);
    expect(zero.indexAdd(0, [1, 1], f64([[1, 2, 3], [4, 5, 6]]), 2).toArray()).toEqual([[0, 0, 0], [10, 14, 18]]);
  });

  it('sort/topk/max return { values, indices } that also destructures as [values, indices]', () => {
    const s = x.sort(1);
    expect([s.values.toArray(), s.indices.toArray()]).toEqual([[[1, 2, 3], [0, 4, 5]], [[1, 2, 0], [0, 2, 1]]]);
    const [v, i] = sort(x, 0, true);
    expect([v.toArray(), i.toArray()]).toEqual([[[3, 5, 4], [0, 1, 2]], [[0, 1, 1], [1, 0, 0]]]);
    const [tv, ti] = x.topk(2);
    expect([tv.toArray(), ti.toArray()]).toEqual([[[3, 2], [5, 4]], [[0, 2], [1, 2]]]);
    expect(x.topk(1, 0, false).indices.toArray()).toEqual([[1, 0, 0]]);
    expect(x.argsort(1, true).toArray()).toEqual([[0, 2, 1], [1, 2, 0]]);
    const m = x.max(1, true);
    expect([m.values.toArray(), m.indices.toArray(), m.indices.dtype]).toEqual([[[3], [5]], [[0], [1]], 'int32']);
    const [mv, mi] = min(x, 0);
    expect([mv.toArray(), mi.toArray()]).toEqual([[0, 1, 2], [1, 0, 0]]);
  });

  it('max() and max([axes]) stay tensors (amax), as do amax/amin', () => {
    expect(x.max().item()).toBe(5);
    expect(max(x, [0, 1]).item()).toBe(5);
    expect(x.max([1], true).toArray()).toEqual([[3], [5]]);
    expect(x.min(undefined, true).toArray()).toEqual([[0]]);
    expect(x.amax(1).toArray()).toEqual([3, 5]);
    expect(amax(x, 0).toArray()).toEqual([3, 5, 4]);
    expect(x.amin([0, 1]).item()).toBe(0);
  });

  it('index takes integers, slice objects, null, "..." and subscript strings alike', () => {
    const t = arange(24).reshape([2, 3, 4]);
    expect(t.index(0, { start: 1, step: 2 }, -1).toArray()).toEqual([7]);
    expect(t.index('0, 1::2, -1').toArray()).toEqual([7]);
    expect(index(t, '...', 1).toArray()).toEqual([[1, 5, 9], [13, 17, 21]]);
    expect(t.index(1, null).shape).toEqual([1, 3, 4]);
    expect(t.index(':, None, 0, ::3').toArray()).toEqual([[[0, 3]], [[12, 15]]]);
    expect(t.index({}, { start: -2 }, { step: 2 }).toArray()).toEqual([
      [[4, 6], [8, 10]],
      [[16, 18], [20, 22]],
    ]);
    expect(t.flatten().index('1::8').toArray()).toEqual([1, 9, 17]);
    expect(t.index().shape).toEqual([2, 3, 4]);
  });

  it('index is differentiable: the gradient lands on the picked elements', () => {
    const a = f64([[1, 2, 3, 4], [5, 6, 7, 8]], true);
    a.index(':, 1::2').sum().backward();
    expect(a.grad!.toArray()).toEqual([[0, 1, 0, 1], [0, 1, 0, 1]]);
  });

  it('einsum takes its operands spread or as one array', () => {
    const a = f64([[1, 2], [3, 4]]);
    const b = f64([[5, 6], [7, 8]]);
    expect(einsum('ij,jk->ik', a, b).toArray()).toEqual([[19, 22], [43, 50]]);
    expect(einsum('ij,jk', [a, b]).toArray()).toEqual([[19, 22], [43, 50]]);
    expect(einsum('ii', a).item()).toBe(5);
    expect(einsum('ij->ij', a)).not.toBe(a);
  });

  it('sorts bool and int32; cumprod is the method', () => {
    expect(tensor([true, false, true]).argsort().toArray()).toEqual([1, 0, 2]);
    expect(sort(i32([3, -1, 2])).values.toArray()).toEqual([-1, 2, 3]);
    expect(f64([2, 0, 3]).cumprod(0).toArray()).toEqual([2, 0, 0]);
    expect(cumprod(f64([[1, 2], [3, 4]]), 0).toArray()).toEqual([[1, 2], [3, 8]]);
  });
});

describe('semantics worth pinning down', () => {
  it('scatter: with repeated targets the last write in index order wins, and only it gets gradient', () => {
    // PyTorch's CPU kernel gives [[2, 3, 0, 0]] too (fixture), but its gradient reaches every duplicate.
    const src = f64([[1, 2, 3]], true);
    const y = scatter(f64([[0, 0, 0, 0]]), 1, i32([[0, 0, 1]]), src);
    expect(y.toArray()).toEqual([[2, 3, 0, 0]]);
    y.sum().backward();
    expect(src.grad!.toArray()).toEqual([[0, 1, 1]]);
  });

  it('scatter: x keeps the gradient where nothing was written', () => {
    const x = f64([[1, 2, 3]], true);
    scatter(x, 1, i32([[2, 0]]), 5).mul(f64([[10, 20, 30]])).sum().backward();
    expect(x.grad!.toArray()).toEqual([[0, 20, 0]]);
  });

  it('gather: repeated indices add their gradients (the scatter-add adjoint)', () => {
    const x = f64([[1, 2, 3]], true);
    gather(x, 1, i32([[2, 2, 0, 2]])).sum().backward();
    expect(x.grad!.toArray()).toEqual([[1, 0, 3]]);
  });

  it('indexAdd: repeated indices add up, alpha scales, source gets alpha times the gradient', () => {
    const s = f64([[1], [2]], true);
    const y = indexAdd(f64([[0], [0], [0]]), 0, i32([2, 2]), s, 0.5);
    expect(y.toArray()).toEqual([[0], [0], [1.5]]);
    y.sum().backward();
    expect(s.grad!.toArray()).toEqual([[0.5], [0.5]]);
  });

  it('max over an axis sends the gradient to the first maximum; amax splits it between ties', () => {
    const a = f64([[2, 5, 5]], true);
    max(a, 1).values.sum().backward();
    expect(a.grad!.toArray()).toEqual([[0, 1, 0]]);
    const b = f64([[2, 5, 5]], true);
    amax(b, 1).sum().backward();
    expect(b.grad!.toArray()).toEqual([[0, 0.5, 0.5]]);
  });

  it('sorts 20 000 values stably, matching a JavaScript stable sort by (value, position)', () => {
    const n = 20_000;
    const values = Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 10 - 50);
    const order = argsort(tensor(values, { dtype: 'float64' }), 0, true).dataSync();
    const want = values.map((_, i) => i).sort((a, b) => values[b] - values[a] || a - b);
    expect(Array.from(order)).toEqual(want);
  });

  it('tidy() keeps both tensors of a returned { values, indices } and frees the rest', () => {
    const x = f64([[3, 1, 2], [0, 5, 4]], true);
    const run = () => tidy(() => {
      const parts: Tensor[] = [
        x.gather(1, i32([[0], [2]])), x.scatter(1, i32([[0], [2]]), f64([[1], [1]])), x.scatterAdd(0, i32([[1, 0, 1]]), f64([[1, 1, 1]])),
        x.indexAdd(1, [0, 0], f64([[1, 2], [3, 4]])), x.sort(1).values, x.topk(2).values, x.max(0).values, x.cumprod(1), x.index(':, 1:'),
        einsum('ij,kj->ik', x, x),
      ];
      parts.map((p) => p.sum()).reduce((a, b) => a.add(b)).backward();
      x.argsort(0);
      x.min(1);
    });
    run();
    x.grad = null;
    const before = memory();
    run();
    x.grad = null;
    expect(memory()).toEqual(before);
    const kept = tidy(() => x.max(1));
    expect(kept.values.isDisposed || kept.indices.isDisposed).toBe(false);
  });
});

describe('errors name the op, the shapes or values, and the fix', () => {
  const x = f64([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]);
  const cases: [string, () => unknown, new (...a: never[]) => Error, RegExp][] = [
    ['gather: index of another rank', () => gather(x, 1, i32([0, 1])), ShapeError, /gather: index has 1 dimensions \(shape \[2\]\) but x has 2 \(shape \[3, 4\]\).*unsqueeze.*indexSelect/],
    ['gather: index larger than x off the axis', () => gather(x, 1, i32([[0], [0], [0], [0]])), ShapeError, /gather: index of shape \[4, 1\] is larger than x of shape \[3, 4\] at dimension 0 \(4 > 3\)/],
    ['gather: index out of range', () => gather(x, 1, i32([[0, 4]])), ValueError, /gather: index 4 at position \[0, 1\] is out of range for axis 1 of x \(shape \[3, 4\], size 4\); indices must lie in \[0, 3\]/],
    ['gather: negative index', () => gather(x, 0, i32([[-1]])), ValueError, /gather: index -1 .*not wrapped/],
    ['gather: float index', () => gather(x, 0, x), DTypeError, /gather: index must be int32, got float64/],
    ['gather: the former argument order', () => gather(x, i32([0]) as never, 0 as never), ValueError, /gather: axis must be an integer, got a int32 Tensor.*indexSelect\(x, indices, axis\)/],
    ['scatter: src smaller than index', () => scatter(x, 1, i32([[0, 1]]), f64([[1]])), ShapeError, /scatter: src of shape \[1, 1\] must .* at least index's shape \[1, 2\]/],
    ['scatter: src of another dtype', () => scatter(x, 1, i32([[0]]), tensor([[1]])), DTypeError, /scatter: src is float32 but x is float64/],
    ['scatter: unknown reduce', () => scatter(x, 1, i32([[0]]), 1, { reduce: 'multiply' as never }), ValueError, /scatter: reduce must be 'add'/],
    ['scatter: value that x cannot hold', () => scatter(i32([[1, 2]]), 1, i32([[0]]), NaN), ValueError, /scatter: the value is NaN, which int32 cannot hold/],
    ['scatterAdd: a number as src', () => scatterAdd(x, 1, i32([[0]]), 1 as never), ValueError, /scatterAdd: src must be a Tensor.*reduce: 'add'/],
    ['scatterAdd: index out of range', () => scatterAdd(x, 0, i32([[3]]), f64([[1]])), ValueError, /scatterAdd: index 3 at position \[0, 0\] is out of range for axis 0/],
    ['indexAdd: 2-D index', () => indexAdd(x, 0, i32([[0]]), f64([[1, 2, 3, 4]])), ShapeError, /indexAdd: index must be 1-D .* got shape \[1, 1\]/],
    ['indexAdd: source of the wrong shape', () => indexAdd(x, 1, [0, 1], f64([[1, 2]])), ShapeError, /indexAdd: source of shape \[1, 2\] does not fit 2 indices into x of shape \[3, 4\] at axis 1; expected source of shape \[3, 2\]/],
    ['indexAdd: index out of range', () => indexAdd(x, 0, [3], f64([[1, 2, 3, 4]])), ValueError, /index 3 .* out of range/],
    ['topk: k larger than the axis', () => topk(x, 5, 1), ValueError, /topk: k = 5 is larger than axis 1 of x \(shape \[3, 4\]\), which has 4 elements; use k <= 4/],
    ['topk: negative k', () => topk(x, -1), ValueError, /topk: k must be a non-negative integer, got -1/],
    ['sort: axis out of range', () => sort(x, 2), ValueError, /sort: axis 2 is out of range for a tensor of rank 2/],
    ['argsort: descending not boolean', () => argsort(x, 0, 1 as never), ValueError, /argsort: descending must be true or false, got 1/],
    ['max: an empty axis', () => max(tensor([], { dtype: 'float64' }).reshape([0, 2]), 0), ShapeError, /max: axis 0 of shape \[0, 2\] is empty/],
    ['cumprod: int32', () => cumprod(i32([1, 2]), 0), DTypeError, /cumprod: needs a float tensor, got int32/],
    ['einsum: invalid character', () => einsum('ij1,jk', x, x), ValueError, /einsum: invalid character "1" in term 0 \("ij1"\) of "ij1,jk"; subscripts are the letters/],
    ['einsum: operand count', () => einsum('ij,jk->ik', x), ValueError, /einsum: "ij,jk->ik" has 2 input terms but 1 operand was given/],
    ['einsum: term rank', () => einsum('i,ij', x, x), ShapeError, /einsum: term 0 \("i"\) of "i,ij" names 1 dimension but operand 0 has 2 \(shape \[3, 4\]\).*'\.\.\.'/],
    ['einsum: sizes differ', () => einsum('ij,jk', x, x), ShapeError, /einsum: subscript j has size 4 in operand 0 \(shape \[3, 4\]\) and 3 in operand 1 \(shape \[3, 4\]\)/],
    ['einsum: output letter not in the inputs', () => einsum('ij->k', x), ValueError, /einsum: output subscript k of "ij->k" does not occur in any input term/],
    ['einsum: repeated output letter', () => einsum('ij->ii', x), ValueError, /einsum: output subscript i of "ij->ii" occurs more than once/],
    ['einsum: two arrows', () => einsum('ij->i->j', x), ValueError, /einsum: "ij->i->j" has more than one '->'/],
    ['einsum: a lone dot', () => einsum('i.j', x), ValueError, /a '\.' that is not part of '\.\.\.'/],
    ['einsum: two ellipses', () => einsum('......', x), ValueError, /more than one '\.\.\.'/],
    ['einsum: a diagonal of unequal sizes', () => einsum('ii', x), ShapeError, /einsum: subscript i is repeated in term 0 of "ii" but operand 0 \(shape \[3, 4\]\) has sizes 3 and 4/],
    ['einsum: dtypes differ', () => einsum('i,i', f64([1]), tensor([1])), DTypeError, /einsum: operands have dtypes float64, float32/],
    ['einsum: no equation', () => einsum(3 as never, x), ValueError, /einsum: the equation must be a string/],
    ['index: integer out of range', () => x.index(3), ValueError, /index: index 3 is out of range for axis 0 of x \(shape \[3, 4\], size 3\); use an integer in \[-3, 2\]/],
    ['index: negative step', () => x.index('::-1'), ValueError, /index: slice step must be greater than zero, got -1 at axis 0.*flip/],
    ['index: too many indices', () => x.index(0, 0, 0), ValueError, /index: too many indices for x of shape \[3, 4\]: 3 given for 2 dimensions/],
    ['index: two ellipses', () => x.index('..., ...'), ValueError, /only one ellipsis/],
    ['index: unreadable text', () => x.index('1:2:3:4'), ValueError, /index: cannot read "1:2:3:4"/],
    ['index: a tensor item', () => x.index(i32([0]) as never), ValueError, /index: item 0 is a int32 Tensor of shape \[1\].*indexSelect/],
  ];
  for (const [name, fn, cls, msg] of cases) {
    it(name, () => {
      expect(fn).toThrow(cls);
      expect(fn).toThrow(msg);
    });
  }
});
