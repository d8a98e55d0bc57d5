import { apply } from '../autograd/engine.js';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { fmt, normalizeAxes, normalizeAxis } from '../shape.js';
import { Tensor } from '../tensor.js';
import { assertAxes, assertBoolean, assertInteger, assertTensor, describe } from '../validate.js';
import { takeAlong } from './indexing.js';
import { slice } from './movement.js';
import { amax, amin, argmax } from './reduce.js';
import { argmin } from './tensor-api.js';

/**
 * Sorting and selection: the `argsort` primitive (a kernel per backend: a composite of
 * comparisons would cost O(n²)) and PyTorch's sort, argsort, topk and max/min over one axis with
 * their indices. Values are gathered by the indices, so their gradient goes to the picked elements.
 */

/**
 * Values with their indices, as PyTorch's `torch.return_types.sort/topk/max/min` namedtuples:
 * read `.values` and `.indices`, or destructure `const [values, indices] = x.sort()`.
 */
export interface ValuesAndIndices extends Iterable<Tensor> {
  readonly values: Tensor;
  readonly indices: Tensor;
}

function pair(values: Tensor, indices: Tensor): ValuesAndIndices {
  // A plain object, so tidy() finds and keeps both tensors when it is returned.
  return {
    values,
    indices,
    *[Symbol.iterator]() {
      yield values;
      yield indices;
    },
  };
}

function sortArgs(op: string, x: unknown, axis: unknown, descending: unknown): asserts x is Tensor {
  assertTensor(op, 'x', x);
  assertInteger(op, 'axis', axis);
  assertBoolean(op, 'descending', descending);
}

/** The int32 sort order of x along axis `a` (normalised); the primitive, or constants when there is nothing to sort. */
function order(x: Tensor, a: number, descending: boolean): Tensor {
  if (x.rank === 0) return Tensor.fromValues(new Int32Array(1), [], 'int32', x.backend);
  if (x.size === 0 || x.shape[a] === 1) return Tensor.fromValues(new Int32Array(x.size), x.shape, 'int32', x.backend);
  // bool sorts as 0/1 (no backend sorts bool itself).
  return apply('argsort', [x.dtype === 'bool' ? x.cast('int32') : x], { axis: a, descending });
}

/**
 * The indices that sort x along `axis`: PyTorch's `torch.argsort(input, dim=-1, descending=False,
 * stable=True)`. Always stable (equal values keep their order, descending too); NaN sorts as
 * larger than every number (last ascending, first descending), -0 equals 0, as in PyTorch.
 * - x: any dtype and shape (0-d gives 0); result: int32 of x's shape (PyTorch: int64). No gradient.
 * @throws ValueError for an axis out of range or a non-boolean descending.
 */
export function argsort(x: Tensor, axis = -1, descending = false): Tensor {
  sortArgs('argsort', x, axis, descending);
  return order(x, normalizeAxis('argsort', axis, x.rank), descending);
}

/**
 * x sorted along `axis`, with the indices: PyTorch's `torch.sort(input, dim=-1, descending=False,
 * stable=True)`, always stable, NaN largest (see {@link argsort}).
 * - x: any dtype and shape; values: x's dtype and shape; indices: int32 of x's shape.
 * - Differentiable: values' gradient goes back to the element each came from.
 * @throws ValueError for an axis out of range or a non-boolean descending.
 */
export function sort(x: Tensor, axis = -1, descending = false): ValuesAndIndices {
  sortArgs('sort', x, axis, descending);
  const a = normalizeAxis('sort', axis, x.rank);
  const indices = order(x, a, descending);
  return pair(takeAlong(x, a, indices), indices);
}

/**
 * The k largest (or smallest) values along `axis` and their indices: PyTorch's `torch.topk(input,
 * k, dim=-1, largest=True, sorted=True)`. Results are always sorted (largest first, or smallest
 * first when largest is false); at ties the lower index comes first (PyTorch leaves that order
 * unspecified); NaN counts as the largest value, as in PyTorch.
 * - x: any dtype, shape [..., n, ...]; k: an integer in [0, n]; values: x's dtype and shape with
 *   axis `axis` of length k; indices: int32 of that shape. Values are differentiable.
 * @throws ValueError for k < 0 or k > n (naming n and the shape), or an axis out of range.
 */
export function topk(x: Tensor, k: number, axis = -1, largest = true, sorted = true): ValuesAndIndices {
  assertTensor('topk', 'x', x);
  assertInteger('topk', 'k', k, 0);
  assertInteger('topk', 'axis', axis);
  assertBoolean('topk', 'largest', largest);
  assertBoolean('topk', 'sorted', sorted);
  const a = normalizeAxis('topk', axis, x.rank);
  const n = x.rank === 0 ? 1 : x.shape[a];
  if (k > n) {
    throw new ValueError(`topk: k = ${k} is larger than axis ${a} of x (shape ${fmt(x.shape)}), which has ${n} element${n === 1 ? '' : 's'}; use k <= ${n}.`);
  }
  let indices = order(x, a, largest);
  // A 0-d x gives itself for k 0 or 1, as PyTorch's topk does.
  if (x.rank > 0 && k < n) indices = slice(indices, x.shape.map(() => 0), x.shape.map((d, i) => (i === a ? k : d)));
  return pair(takeAlong(x, a, indices), indices);
}

/** max/min over one axis with indices (PyTorch's max.dim): values gathered at the chosen index. */
function extremumAlong(op: 'max' | 'min', x: Tensor, axis: number, keepDims: boolean): ValuesAndIndices {
  const a = normalizeAxis(op, axis, x.rank);
  if (x.rank > 0 && x.shape[a] === 0) {
    throw new ShapeError(`${op}: axis ${axis} of shape ${fmt(x.shape)} is empty, so it has no ${op === 'max' ? 'largest' : 'smallest'} element; reduce over a non-empty axis.`);
  }
  if (x.dtype === 'bool') throw new DTypeError(`${op}: cannot reduce a bool tensor (shape ${fmt(x.shape)}); cast it first with .cast("int32").`);
  const kept = (op === 'max' ? argmax : argmin)(x, a, true);
  const values = takeAlong(x, a, kept);
  if (keepDims || x.rank === 0) return pair(values, x.rank === 0 ? kept.reshape([]) : kept);
  const shape = x.shape.filter((_, i) => i !== a);
  return pair(values.reshape(shape), kept.reshape(shape));
}

/**
 * PyTorch's `torch.max`, by its arguments:
 * - `max(x)`: the largest element (a 0-d tensor); `max(x, [axes], keepDims)` the largest over
 *   those axes (PyTorch's `amax`). Gradient split evenly between ties, NaN wins.
 * - `max(x, axis, keepDims)` with one axis number: `{ values, indices }` as `torch.max(input, dim,
 *   keepdim)` returns: the largest value along the axis and its index (the first one at ties, the
 *   first NaN when there is one; int32). The gradient goes to that index only, as in PyTorch.
 * - x: float or int32; values: x's dtype; shapes drop the axis (size 1 with keepDims).
 * @throws ShapeError for an empty axis; DTypeError for bool; ValueError for an axis out of range.
 */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, axis: readonly number[] | undefined, keepDims?: boolean): Tensor;
export function max(x: Tensor, axis: number, keepDims?: boolean): ValuesAndIndices;
export function max(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor | ValuesAndIndices {
  return extremum('max', x, axis, keepDims);
}

/**
 * PyTorch's `torch.min`: as {@link max} with the smallest values (`min(x, axis)` gives `{ values,
 * indices }`, the first NaN counting as smallest; `min(x)` and `min(x, [axes])` PyTorch's amin).
 */
export function min(x: Tensor): Tensor;
export function min(x: Tensor, axis: readonly number[] | undefined, keepDims?: boolean): Tensor;
export function min(x: Tensor, axis: number, keepDims?: boolean): ValuesAndIndices;
export function min(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor | ValuesAndIndices {
  return extremum('min', x, axis, keepDims);
}

function extremum(op: 'max' | 'min', x: Tensor, axis: number | readonly number[] | undefined, keepDims: boolean): Tensor | ValuesAndIndices {
  assertTensor(op, 'x', x);
  assertAxes(op, axis);
  assertBoolean(op, 'keepDims', keepDims);
  if (typeof axis === 'number') return extremumAlong(op, x, axis, keepDims);
  if (axis !== undefined && !Array.isArray(axis)) throw new ValueError(`${op}: axis must be an integer or an array of integers, got ${describe(axis)}.`);
  normalizeAxes(op, axis, x.rank);
  return (op === 'max' ? amax : amin)(x, axis, keepDims);
}
