import { canCheckOnHost } from '../debug.js';
import { typedArrayFor } from '../dtype.js';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { fmt, normalizeAxes, normalizeAxis, sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { assertAxes, assertBoolean, assertInteger, assertIntList, assertNumber, assertOptions, assertTensor, describe, fitValue } from '../validate.js';
import { where } from './binary.js';
import { concat, indexSelect, pad, reshape, slice } from './movement.js';
import { amax, argmax, mean, sum } from './reduce.js';
import { requireFloat, scalarLike } from './util.js';

/**
 * The everyday tensor API a PyTorch user reaches for (issue 10), each op a composite of the
 * existing primitives: no backend work, and gradients come from the primitives' rules.
 */

type Axes = number | readonly number[] | undefined;

/** A constant int32 tensor on `like`'s backend. */
function int32On(like: Tensor, values: readonly number[], shape: readonly number[]): Tensor {
  return Tensor.fromValues(Int32Array.from(values), shape, 'int32', like.backend);
}

// ---- statistics ------------------------------------------------------------------------------

/** Options of {@link variance} and {@link std}. */
export interface VarOptions {
  /**
   * Subtracted from the element count in the divisor (Bessel's correction); 1 by default
   * (unbiased), as in PyTorch. Give either `correction` or `unbiased`.
   */
  readonly correction?: number;
  /** PyTorch's older flag: true is correction 1, false is correction 0. */
  readonly unbiased?: boolean;
  /** Keep the reduced axes with size 1. Default false. */
  readonly keepDims?: boolean;
}

function varCore(op: string, x: Tensor, axis: Axes, options: VarOptions): Tensor {
  assertTensor(op, 'x', x);
  assertAxes(op, axis);
  assertOptions(op, options);
  const { correction, unbiased, keepDims = false } = options;
  assertBoolean(op, 'options.keepDims', keepDims);
  if (unbiased !== undefined) assertBoolean(op, 'options.unbiased', unbiased);
  if (correction !== undefined) assertInteger(op, 'options.correction', correction, 0);
  if (correction !== undefined && unbiased !== undefined) {
    throw new ValueError(`${op}: give options.correction or options.unbiased, not both (unbiased: true is correction: 1).`);
  }
  requireFloat(op, x);
  const axes = normalizeAxes(op, axis, x.rank);
  let count = 1;
  for (const a of axes) count *= x.shape[a];
  const c = correction ?? (unbiased === false ? 0 : 1);
  const dev = x.sub(mean(x, axes, true));
  // PyTorch divides by max(0, N - correction): 1 element unbiased gives 0/0 = NaN, as there.
  return sum(dev.mul(dev), axes, keepDims).div(Math.max(0, count - c));
}

/**
 * Variance over `axis` (all axes by default): sum((x - mean)²) / max(0, N - correction), with
 * correction 1 (unbiased) by default. Mirrors `torch.var(input, dim, unbiased=True,
 * keepdim=False)` and its `correction` keyword. Named `variance` because `var` is reserved in
 * JavaScript; the Tensor method is `x.var(...)`.
 * - x: float tensor of any shape; result: x's shape without the reduced axes (size 1 with keepDims).
 * - A single element (unbiased) or an empty axis gives NaN, as in PyTorch.
 * @throws DTypeError for a non-float x; ValueError for an axis out of range, a negative or
 *   fractional correction, or both correction and unbiased.
 */
export function variance(x: Tensor, axis?: Axes, options: VarOptions = {}): Tensor {
  return varCore('var', x, axis, options);
}

/**
 * Standard deviation over `axis`: the square root of {@link variance}, with the same options,
 * shapes and errors. Mirrors `torch.std`. Where the spread is 0 the gradient is 0 (PyTorch's
 * std_backward masks it), not the square root's infinite slope.
 */
export function std(x: Tensor, axis?: Axes, options: VarOptions = {}): Tensor {
  const v = varCore('std', x, axis, options);
  const zero = v.eq(0);
  return where(zero, 0, where(zero, 1, v).sqrt());
}

/**
 * log(sum(exp(x))) over `axis` (all axes by default), computed stably: the max is subtracted
 * first (and an infinite max is replaced by 0, so all -Infinity gives -Infinity, not NaN).
 * Mirrors `torch.logsumexp(input, dim, keepdim)`. An empty reduction gives -Infinity.
 * - x: float tensor; result: x's shape without the reduced axes (size 1 with keepDims).
 * @throws DTypeError for a non-float x; ValueError for an axis out of range.
 */
export function logsumexp(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  assertTensor('logsumexp', 'x', x);
  assertAxes('logsumexp', axis);
  assertBoolean('logsumexp', 'keepDims', keepDims);
  requireFloat('logsumexp', x);
  const axes = normalizeAxes('logsumexp', axis, x.rank);
  // No max over no element: the sum of none is 0 and its log -Infinity, as in PyTorch.
  if (x.size === 0) return sum(x.exp(), axes, keepDims).log();
  const m = amax(x, axes, true).detach();
  const shift = where(m.abs().eq(Infinity), 0, m);
  const y = sum(x.sub(shift).exp(), axes, true).log().add(shift);
  return keepDims ? y : reshape(y, x.shape.filter((_, i) => !axes.includes(i)));
}

/**
 * The vector p-norm over `axis` (all elements by default): (sum |x|^p)^(1/p); p = 2 by default,
 * p = Infinity is max |x|. Mirrors `torch.norm(input, p, dim, keepdim)` for vector norms
 * (`torch.linalg.vector_norm`). The 2-norm's gradient at a zero vector is 0 (PyTorch's
 * subgradient), not NaN.
 * - x: float tensor; p: a number > 0 or Infinity; result: x's shape without the reduced axes.
 * - An empty reduction gives 0 for every p (torch.norm; torch.linalg.vector_norm refuses p =
 *   Infinity there).
 * @throws DTypeError for a non-float x; ValueError for p <= 0 or NaN, or an axis out of range.
 */
export function norm(x: Tensor, p = 2, axis?: Axes, keepDims = false): Tensor {
  assertTensor('norm', 'x', x);
  assertNumber('norm', 'p', p);
  if (!(p > 0)) throw new ValueError(`norm: p must be a positive number or Infinity, got ${describe(p)}; use p = 2 (Euclidean), 1 or Infinity.`);
  assertAxes('norm', axis);
  assertBoolean('norm', 'keepDims', keepDims);
  requireFloat('norm', x);
  const axes = normalizeAxes('norm', axis, x.rank);
  const a = x.abs();
  if (p === Infinity) {
    // torch.norm takes the max of none as 0 (|x| >= 0): the sum of none is that 0, shaped right.
    if (axes.some((i) => x.shape[i] === 0)) return sum(a, axes, keepDims);
    return amax(a, axes, keepDims);
  }
  if (p === 1) return sum(a, axes, keepDims);
  const s = p === 2 ? sum(x.mul(x), axes, keepDims) : sum(a.pow(p), axes, keepDims);
  // At s = 0 the root's derivative is infinite (0·∞ = NaN): route zero sums around it.
  const zero = s.eq(0);
  const safe = where(zero, 1, s);
  return where(zero, 0, p === 2 ? safe.sqrt() : safe.pow(1 / p));
}

// ---- masks and selection ---------------------------------------------------------------------

function triangle(op: 'tril' | 'triu', x: Tensor, diagonal: number): Tensor {
  assertTensor(op, 'x', x);
  assertInteger(op, 'diagonal', diagonal);
  if (x.rank < 2) throw new ShapeError(`${op}: needs a matrix or a batch of matrices (at least 2 dimensions), got shape ${fmt(x.shape)}; reshape it first.`);
  const m = x.shape[x.rank - 2];
  const n = x.shape[x.rank - 1];
  const mask = typedArrayFor('bool', m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) mask[i * n + j] = (op === 'tril' ? j - i <= diagonal : j - i >= diagonal) ? 1 : 0;
  // The 0 in x's own dtype: a bare number would promote a bool x to int32 (type promotion).
  return where(Tensor.fromValues(mask, [m, n], 'bool', x.backend), x, scalarLike(0, x, op));
}

/**
 * The lower triangle of the last two axes: elements with column - row <= diagonal kept, the
 * others 0. diagonal 0 is the main diagonal, > 0 above it, < 0 below. Mirrors `torch.tril`.
 * - x: any dtype, shape [..., m, n]; result: same shape and dtype.
 * @throws ShapeError for fewer than 2 dimensions; ValueError for a non-integer diagonal.
 */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return triangle('tril', x, diagonal);
}

/**
 * The upper triangle of the last two axes: elements with column - row >= diagonal kept, the
 * others 0. Mirrors `torch.triu`; shapes, dtypes and errors as {@link tril}.
 */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return triangle('triu', x, diagonal);
}

/**
 * One-hot encoding: result[..., k] is 1 where indices[...] = k, else 0. Mirrors
 * `torch.nn.functional.one_hot(tensor, num_classes)`, with int32 results (PyTorch: int64).
 * numClasses -1 reads the indices to find their maximum (a synchronous read, as in PyTorch). With
 * numClasses given, the range check reads them only where that is a memory copy (cpu, wasm) or in
 * debug mode (`setDebugMode`); on a device backend an out-of-range index otherwise gives a row of
 * zeros, and nothing waits for the device.
 * - indices: int32, any shape; numClasses: a positive integer, or -1 (the default) for
 *   max(indices) + 1; result: int32 of shape [...indices.shape, numClasses].
 * @throws DTypeError for non-int32 indices; ValueError for an index < 0 or >= numClasses, or
 *   numClasses -1 with no index to infer it from.
 */
export function oneHot(indices: Tensor, numClasses = -1): Tensor {
  assertTensor('oneHot', 'indices', indices);
  assertInteger('oneHot', 'numClasses', numClasses, -1);
  if (indices.dtype !== 'int32') throw new DTypeError(`oneHot: indices must be int32, got ${indices.dtype}; cast them with .cast("int32").`);
  if (numClasses === 0) throw new ValueError('oneHot: numClasses must be positive (or -1 to infer it), got 0.');
  if (numClasses === -1 || canCheckOnHost(indices)) {
    const values = indices.dataSync();
    let hi = -1;
    let lo = 0;
    for (const v of values) {
      if (v > hi) hi = v;
      if (v < lo) lo = v;
    }
    if (numClasses === -1) {
      if (values.length === 0) throw new ValueError('oneHot: cannot infer numClasses from an empty indices tensor; give numClasses.');
      numClasses = hi + 1;
    }
    if (lo < 0 || hi >= numClasses) {
      throw new ValueError(`oneHot: indices must lie in [0, ${numClasses - 1}], got ${lo < 0 ? lo : hi}; raise numClasses or fix the index.`);
    }
  }
  const classes = int32On(indices, Array.from({ length: numClasses }, (_, i) => i), [numClasses]);
  return indices.unsqueeze(-1).eq(classes).cast('int32');
}

/**
 * x with `value` wherever `mask` is true. Mirrors `torch.Tensor.masked_fill(mask, value)`.
 * - x: any dtype; mask: bool, broadcastable to x's shape; value: a number x's dtype can hold.
 *   Result: x's shape and dtype. The gradient flows to x where the mask is false.
 * @throws DTypeError for a non-bool mask; ShapeError when mask does not broadcast to x's shape;
 *   ValueError for a value x's dtype cannot hold (NaN into int32, 2 into bool).
 */
export function maskedFill(x: Tensor, mask: Tensor, value: number | boolean): Tensor {
  assertTensor('maskedFill', 'x', x);
  assertTensor('maskedFill', 'mask', mask);
  if (mask.dtype !== 'bool') throw new DTypeError(`maskedFill: mask must be bool, got ${mask.dtype}; build it with a comparison such as x.gt(0).`);
  const lead = x.rank - mask.rank;
  if (lead < 0 || mask.shape.some((d, i) => d !== 1 && d !== x.shape[i + lead])) {
    throw new ShapeError(`maskedFill: mask of shape ${fmt(mask.shape)} does not broadcast to x's shape ${fmt(x.shape)}; each mask dimension must match or be 1.`);
  }
  const v = fitValue('maskedFill', value, x.dtype, 'value');
  // In x's own dtype, as torch.masked_fill: a bare number would promote a bool x to int32.
  return where(mask, scalarLike(v, x, 'maskedFill'), x);
}

/**
 * Element-wise NaN test (bool, x's shape). Mirrors `torch.isnan`; integer and bool tensors have
 * no NaN, so they give all false.
 */
export function isnan(x: Tensor): Tensor {
  assertTensor('isnan', 'x', x);
  if (x.dtype === 'bool') return x.cast('int32').ne(x.cast('int32'));
  return x.ne(x);
}

/**
 * Element-wise finiteness test (bool, x's shape): false for NaN and ±Infinity. Mirrors
 * `torch.isfinite`; integer and bool tensors give all true.
 */
export function isfinite(x: Tensor): Tensor {
  assertTensor('isfinite', 'x', x);
  const v = x.dtype === 'bool' ? x.cast('int32') : x;
  // x - x is 0 for finite x and NaN for NaN and ±Infinity.
  return v.sub(v).eq(0);
}

/**
 * Whether every element over `axis` (all by default) is non-zero; bool result, true over an
 * empty axis. Mirrors `torch.all(input, dim, keepdim)`. NaN counts as non-zero.
 * @throws ValueError for an axis out of range.
 */
export function all(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  assertTensor('all', 'x', x);
  assertAxes('all', axis);
  assertBoolean('all', 'keepDims', keepDims);
  return sum(x.eq(0).cast('int32'), normalizeAxes('all', axis, x.rank), keepDims).eq(0);
}

/**
 * Whether any element over `axis` (all by default) is non-zero; bool result, false over an
 * empty axis. Mirrors `torch.any(input, dim, keepdim)`. NaN counts as non-zero.
 * @throws ValueError for an axis out of range.
 */
export function any(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  assertTensor('any', 'x', x);
  assertAxes('any', axis);
  assertBoolean('any', 'keepDims', keepDims);
  return sum(x.ne(0).cast('int32'), normalizeAxes('any', axis, x.rank), keepDims).gt(0);
}

/**
 * Index of the smallest value along `axis` (int32); the first one at ties. Mirrors
 * `torch.argmin(input, dim, keepdim)`.
 * @throws ShapeError for an empty axis; ValueError for an axis out of range.
 */
export function argmin(x: Tensor, axis = -1, keepDims = false): Tensor {
  assertTensor('argmin', 'x', x);
  assertBoolean('argmin', 'keepDims', keepDims);
  const ax = normalizeAxis('argmin', axis, x.rank);
  if (x.rank > 0 && x.shape[ax] === 0) {
    throw new ShapeError(`argmin: axis ${axis} of shape ${fmt(x.shape)} is empty, so it has no smallest element.`);
  }
  // float64 holds every int32 exactly, and its negation cannot overflow as -(-2^31) does in int32.
  const v = x.dtype === 'float32' || x.dtype === 'float64' ? x : x.cast('float64');
  return argmax(v.neg(), axis, keepDims);
}

/**
 * Cumulative sum along `axis`: result[..., i, ...] = sum of x[..., :i+1, ...]. Mirrors
 * `torch.cumsum(input, dim)` for float tensors. A log-step scan (Hillis-Steele: ceil(log2 n)
 * shifted adds), not a matmul with a triangular matrix of ones, whose 0·∞ terms would turn a
 * later Infinity into NaN in every earlier position. The gradient is the reversed cumulative sum.
 * - x: float tensor (0-d and empty allowed); result: x's shape and dtype.
 * @throws DTypeError for a non-float x; ValueError for an axis out of range.
 */
export function cumsum(x: Tensor, axis: number): Tensor {
  assertTensor('cumsum', 'x', x);
  requireFloat('cumsum', x);
  const a = normalizeAxis('cumsum', axis, x.rank);
  if (x.rank === 0 || x.size === 0) return clone(x);
  const n = x.shape[a];
  let y = x;
  for (let k = 1; k < n; k *= 2) {
    // y[i] += y[i - k] for i >= k: the first n - k entries, moved k places along the axis.
    const head = slice(y, x.shape.map(() => 0), x.shape.map((d, i) => (i === a ? n - k : d)));
    y = y.add(pad(head, x.shape.map((_, i) => (i === a ? [k, 0] : [0, 0]) as [number, number])));
  }
  return y === x ? clone(x) : y;
}

/**
 * Cumulative product along `axis`: result[..., i, ...] = x[..., 0, ...]·...·x[..., i, ...]. Mirrors
 * `torch.cumprod(input, dim)` for float tensors. A log-step scan of products (ceil(log2 n) shifted
 * multiplies, the shifted-in entries 1) with no division anywhere, so the gradient is exact where
 * x has zeros (a formula dividing the output by x gives 0/0 there), as PyTorch's
 * cumprod_backward is. Products are associated differently from a left-to-right loop, so the
 * last bits may differ from PyTorch's.
 * - x: float tensor (0-d and empty allowed); result: x's shape and dtype.
 * @throws DTypeError for a non-float x; ValueError for an axis out of range.
 */
export function cumprod(x: Tensor, axis: number): Tensor {
  assertTensor('cumprod', 'x', x);
  requireFloat('cumprod', x);
  const a = normalizeAxis('cumprod', axis, x.rank);
  if (x.rank === 0 || x.size === 0) return clone(x);
  const n = x.shape[a];
  let y = x;
  for (let k = 1; k < n; k *= 2) {
    // y[i] *= y[i - k] for i >= k: the first n - k entries, moved k places, with 1s shifted in.
    const head = slice(y, x.shape.map(() => 0), x.shape.map((d, i) => (i === a ? n - k : d)));
    y = y.mul(pad(head, x.shape.map((_, i) => (i === a ? [k, 0] : [0, 0]) as [number, number]), 1));
  }
  return y === x ? clone(x) : y;
}

// ---- copying and rearranging -----------------------------------------------------------------

/**
 * A copy with its own storage; the gradient passes through unchanged. Mirrors
 * `torch.clone`. Any dtype.
 */
export function clone(x: Tensor): Tensor {
  assertTensor('clone', 'x', x);
  // mul by 1 is exact for floats (keeps -0 and NaN) and ints; bool round-trips through int32.
  return x.dtype === 'bool' ? x.cast('int32').cast('bool') : x.mul(1);
}

function checkSplitAxis(op: string, x: Tensor, axis: number): number {
  if (x.rank === 0) throw new ShapeError(`${op}: x is 0-d (a scalar) and has no axis to split; reshape it to [1] first.`);
  return normalizeAxis(op, axis, x.rank);
}

function piecesOf(x: Tensor, a: number, sizes: readonly number[]): Tensor[] {
  let offset = 0;
  return sizes.map((s) => {
    const begin = x.shape.map((_, i) => (i === a ? offset : 0));
    const size = x.shape.map((d, i) => (i === a ? s : d));
    offset += s;
    return slice(x, begin, size);
  });
}

/**
 * Splits x along `axis` into pieces of `splitSize` (the last one smaller when it does not
 * divide), or into pieces of the given sizes (which must sum to the axis length). Mirrors
 * `torch.split(tensor, split_size_or_sections, dim)`. The pieces carry gradient back to x (a
 * piece that covers all of x is x itself). An empty axis gives one empty piece, as in PyTorch.
 * @throws ShapeError for a 0-d x or sizes that do not sum to the axis length; ValueError for a
 *   non-positive splitSize, a negative size or an axis out of range.
 */
export function split(x: Tensor, splitSizeOrSections: number | readonly number[], axis = 0): Tensor[] {
  assertTensor('split', 'x', x);
  const a = checkSplitAxis('split', x, axis);
  const n = x.shape[a];
  if (typeof splitSizeOrSections === 'number') {
    assertInteger('split', 'splitSize', splitSizeOrSections, n === 0 ? 0 : 1);
    const k = splitSizeOrSections;
    if (n === 0) return [slice(x, x.shape.map(() => 0), x.shape)];
    const sizes: number[] = [];
    for (let off = 0; off < n; off += k) sizes.push(Math.min(k, n - off));
    return piecesOf(x, a, sizes);
  }
  assertIntList('split', 'sections', splitSizeOrSections, 0);
  const total = splitSizeOrSections.reduce((s, d) => s + d, 0);
  if (total !== n) {
    throw new ShapeError(`split: sections [${splitSizeOrSections.join(', ')}] sum to ${total}, but axis ${a} of shape ${fmt(x.shape)} has length ${n}; they must sum to it.`);
  }
  return piecesOf(x, a, splitSizeOrSections);
}

/**
 * Splits x along `axis` into `chunks` pieces of ceil(n / chunks) elements (the last smaller;
 * fewer pieces when they run out, as in PyTorch; `chunks` empty pieces for an empty axis).
 * Mirrors `torch.chunk(input, chunks, dim)`.
 * @throws ShapeError for a 0-d x; ValueError for chunks < 1 or an axis out of range.
 */
export function chunk(x: Tensor, chunks: number, axis = 0): Tensor[] {
  assertTensor('chunk', 'x', x);
  assertInteger('chunk', 'chunks', chunks, 1);
  const a = checkSplitAxis('chunk', x, axis);
  // An empty axis gives `chunks` empty pieces, as torch.chunk does.
  if (x.shape[a] === 0) return Array.from({ length: chunks }, () => clone(x));
  return split(x, Math.ceil(x.shape[a] / chunks), a);
}

/**
 * The slices of x along `axis`, with that axis removed. Mirrors `torch.unbind(input, dim)`.
 * @throws ShapeError for a 0-d x; ValueError for an axis out of range.
 */
export function unbind(x: Tensor, axis = 0): Tensor[] {
  assertTensor('unbind', 'x', x);
  const a = checkSplitAxis('unbind', x, axis);
  const rest = x.shape.filter((_, i) => i !== a);
  return piecesOf(x, a, new Array<number>(x.shape[a]).fill(1)).map((p) => p.reshape(rest));
}

/**
 * Repeats x `repeats[i]` times along each axis; extra leading repeats add axes. Mirrors
 * `torch.Tensor.repeat(*sizes)` (NumPy's tile). Result shape: repeats[i] × x's (padded) shape.
 * @throws ValueError when repeats has fewer entries than x has axes or a negative entry.
 */
export function repeat(x: Tensor, repeats: readonly number[]): Tensor {
  assertTensor('repeat', 'x', x);
  assertIntList('repeat', 'repeats', repeats, 0);
  if (repeats.length < x.rank) {
    throw new ValueError(`repeat: repeats [${repeats.join(', ')}] has ${repeats.length} entries but x has ${x.rank} axes (shape ${fmt(x.shape)}); give at least one per axis (use tile to pad with 1s).`);
  }
  const shape = [...new Array<number>(repeats.length - x.rank).fill(1), ...x.shape];
  // One axis at a time: [outer, 1, d, inner] broadcast to [outer, r, d, inner], then merged. The
  // intermediates stay 4-d whatever the rank (a new axis before every axis at once made 2·rank
  // dimensions, more than the 6 that TensorFlow.js's WebGL transpose, under its sum, takes).
  let y = reshape(x, shape);
  repeats.forEach((r, i) => {
    if (r === 1) return;
    const s = y.shape;
    const outer = sizeOf(s.slice(0, i));
    const inner = sizeOf(s.slice(i + 1));
    const grown = reshape(y, [outer, 1, s[i], inner]).expand([outer, r, s[i], inner]);
    y = grown.reshape(s.map((d, k) => (k === i ? d * r : d)));
  });
  // A new tensor even when nothing repeats, as torch.Tensor.repeat.
  return y === x ? clone(x) : y;
}

/**
 * Repeats x along each axis; `reps` shorter than x's rank is padded with leading 1s. Mirrors
 * `torch.tile(input, dims)`. Errors as {@link repeat} (but any length of reps is allowed).
 */
export function tile(x: Tensor, reps: readonly number[]): Tensor {
  assertTensor('tile', 'x', x);
  assertIntList('tile', 'reps', reps, 0);
  return repeat(x, [...new Array<number>(Math.max(0, x.rank - reps.length)).fill(1), ...reps]);
}

/**
 * Reverses the order of elements along each axis in `axes`. Mirrors `torch.flip(input, dims)`.
 * Result: a copy of x's shape and dtype.
 * @throws ValueError for an axis out of range or repeated.
 */
export function flip(x: Tensor, axes: number | readonly number[]): Tensor {
  assertTensor('flip', 'x', x);
  if (axes === undefined) throw new ValueError('flip: give the axes to reverse, e.g. flip(x, [0]).');
  assertAxes('flip', axes);
  let y = x;
  for (const a of normalizeAxes('flip', axes, x.rank)) {
    const n = x.shape[a];
    if (n < 2) continue;
    y = indexSelect(y, int32On(x, Array.from({ length: n }, (_, i) => n - 1 - i), [n]), a);
  }
  // Always a new tensor, as in PyTorch, even when no axis had two elements to swap.
  return y === x ? clone(x) : y;
}

/**
 * Rolls elements along `axes` by `shifts` (positions, wrapping around): result[i + s] = x[i].
 * Without axes, x is flattened, rolled and reshaped back. Mirrors `torch.roll(input, shifts,
 * dims)`. Result: x's shape and dtype.
 * @throws ValueError when shifts and axes differ in length, or for an axis out of range.
 */
export function roll(x: Tensor, shifts: number | readonly number[], axes?: number | readonly number[]): Tensor {
  assertTensor('roll', 'x', x);
  const s: readonly number[] = typeof shifts === 'number' ? [shifts] : shifts;
  assertIntList('roll', 'shifts', s);
  if (axes === undefined) {
    if (s.length !== 1) throw new ValueError(`roll: without axes, shifts must be one number, got [${s.join(', ')}]; give one axis per shift.`);
    return roll(x.reshape([x.size]), s[0], 0).reshape(x.shape);
  }
  const ax: readonly number[] = typeof axes === 'number' ? [axes] : axes;
  assertIntList('roll', 'axes', ax);
  if (ax.length !== s.length) throw new ValueError(`roll: shifts [${s.join(', ')}] and axes [${ax.join(', ')}] must have the same length.`);
  let y = x;
  ax.forEach((axis, k) => {
    const a = normalizeAxis('roll', axis, x.rank);
    const n = x.rank === 0 ? 1 : x.shape[a];
    if (x.rank === 0 || n === 0) return;
    const shift = ((s[k] % n) + n) % n;
    if (shift === 0) return;
    const [head, tail] = piecesOf(y, a, [n - shift, shift]);
    y = concat([tail, head], a);
  });
  return y === x ? clone(x) : y;
}
