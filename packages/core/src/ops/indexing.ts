import { apply } from '../autograd/engine.js';
import { canCheckOnHost } from '../debug.js';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { fmt, normalizeAxis, stridesOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { assertInteger, assertNumber, assertOptions, assertTensor, describe, fitValue } from '../validate.js';
import { where } from './binary.js';
import { concat, indexSelect, reshape, slice } from './movement.js';
import { clone } from './tensor-api.js';
import { scalarLike } from './util.js';

/**
 * PyTorch's index-driven ops (gather, scatter, scatterAdd, indexAdd) and basic indexing (`index`),
 * each a composite of the `gather`/`scatterAdd`/`slice` primitives: every backend runs them and
 * their gradients come from the primitives' rules.
 */

/** The flat offset into x of every entry of `index` along `axis`: index·stride[axis] + the offsets of the other coordinates. */
function flatOffsets(x: Tensor, axis: number, index: Tensor): Tensor {
  const strides = stridesOf(x.shape);
  const shape = index.shape;
  const base = new Int32Array(index.size);
  if (index.size > 0) {
    // Odometer over index's positions: the offset of coordinate d is pos[d]·stride[d] (d ≠ axis).
    const pos = new Array<number>(shape.length).fill(0);
    let off = 0;
    for (let i = 0; i < base.length; i++) {
      base[i] = off;
      for (let d = shape.length - 1; d >= 0; d--) {
        pos[d]++;
        if (d !== axis) off += strides[d];
        if (pos[d] < shape[d]) break;
        if (d !== axis) off -= strides[d] * shape[d];
        pos[d] = 0;
      }
    }
  }
  const baseT = Tensor.fromValues(base, shape, 'int32', x.backend);
  const scaled = strides[axis] === 1 ? index : index.mul(strides[axis]);
  return scaled.add(baseT);
}

/**
 * Refuses an index outside [0, size) on axis `axis`, reading the index on the host where that is
 * a memory copy, or in debug mode (see canCheckOnHost; PyTorch checks on the host too). Elsewhere
 * the gather kernel decides what an offset outside x gives.
 */
function checkRange(op: string, index: Tensor, size: number, axis: number, x: Tensor): void {
  if (index.size === 0 || !canCheckOnHost(index)) return;
  const values = index.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < 0 || v >= size) {
      const at = index.shape.map((_, d) => Math.floor(i / stridesOf(index.shape)[d]) % index.shape[d]);
      throw new ValueError(
        `${op}: index ${v} at position [${at.join(', ')}] is out of range for axis ${axis} of x (shape ${fmt(x.shape)}, size ${size}); ` +
          `indices must lie in [0, ${size - 1}] (negative indices are not wrapped, as in PyTorch).`,
      );
    }
  }
}

/** Shared checks of gather/scatter/scatterAdd: tensors, int32 index of x's rank, index within x off the axis. */
function checkIndexArgs(op: string, x: unknown, axis: unknown, index: unknown): number {
  assertTensor(op, 'x', x);
  if (axis instanceof Tensor || Array.isArray(axis)) {
    throw new ValueError(
      `${op}: axis must be an integer, got ${describe(axis)}; the signature is PyTorch's ${op}(x, axis, index${op === 'gather' ? '' : ', src'}). ` +
        `The former gather(x, indices, axis), which picked whole slices, is indexSelect(x, indices, axis).`,
    );
  }
  assertInteger(op, 'axis', axis);
  assertTensor(op, 'index', index);
  if (index.dtype !== 'int32') throw new DTypeError(`${op}: index must be int32, got ${index.dtype} (shape ${fmt(index.shape)}); build it with tensor(values, { dtype: "int32" }) or .cast("int32").`);
  const a = normalizeAxis(op, axis, x.rank);
  if (index.rank !== x.rank) {
    throw new ShapeError(
      `${op}: index has ${index.rank} dimensions (shape ${fmt(index.shape)}) but x has ${x.rank} (shape ${fmt(x.shape)}); ` +
        `torch.${op === 'scatterAdd' ? 'scatter_add' : op} needs an index with x's number of dimensions (unsqueeze it, e.g. index.unsqueeze(${a})). ` +
        `To pick whole slices by a 1-D index, use indexSelect(x, index, axis).`,
    );
  }
  for (let d = 0; d < x.rank; d++) {
    if (d !== a && index.shape[d] > x.shape[d]) {
      throw new ShapeError(
        `${op}: index of shape ${fmt(index.shape)} is larger than x of shape ${fmt(x.shape)} at dimension ${d} (${index.shape[d]} > ${x.shape[d]}); ` +
          `every dimension but axis ${a} must be at most x's.`,
      );
    }
  }
  return a;
}

/**
 * The values of x picked along `axis` by `index`, with x's other coordinates: PyTorch's
 * `torch.gather(input, dim, index)`. For a 3-D x and axis 1, out[i][j][k] = x[i][index[i][j][k]][k].
 * - x: any dtype, shape [d0, ..., dn]; index: int32 with x's number of dimensions and
 *   index.shape[d] <= x.shape[d] for d ≠ axis (any size along axis); result: x's dtype, index's shape.
 * - Differentiable in x: the gradient is scatter-added back (two indices naming one element add up).
 * - It reads the index on the host to check its range where the backend can read synchronously.
 * Built from the `gather` primitive on flat offsets (index·stride + the other coordinates' offsets).
 * @throws ShapeError when index's rank differs from x's or it is larger than x off the axis;
 *   DTypeError for a non-int32 index; ValueError for an index outside [0, x.shape[axis]) or a
 *   Tensor given as axis (the old argument order: use indexSelect for whole slices).
 */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  const a = checkIndexArgs('gather', x, axis, index);
  checkRange('gather', index, x.rank === 0 ? 1 : x.shape[a], a, x);
  return takeAlong(x, a, index);
}

/** gather without its host-side checks, for indices an op made itself (argsort, argmax). */
export function takeAlong(x: Tensor, axis: number, index: Tensor): Tensor {
  if (x.rank === 0) return apply('gather', [x.reshape([1]), index], { axis: 0 });
  return apply('gather', [x.reshape([x.size]), flatOffsets(x, axis, index)], { axis: 0 });
}

/** src's leading block of index's shape (PyTorch uses only that part of src). */
function srcPart(op: string, x: Tensor, index: Tensor, src: Tensor | number | boolean): Tensor {
  if (typeof src === 'number' || typeof src === 'boolean') {
    return scalarLike(fitValue(op, src, x.dtype, 'the value'), x, op).expand(index.shape as number[]);
  }
  assertTensor(op, 'src', src);
  if (src.dtype !== x.dtype) throw new DTypeError(`${op}: src is ${src.dtype} but x is ${x.dtype}; cast one with .cast("${x.dtype}").`);
  if (src.rank !== index.rank || src.shape.some((d, i) => d < index.shape[i])) {
    throw new ShapeError(
      `${op}: src of shape ${fmt(src.shape)} must have index's number of dimensions and be at least index's shape ${fmt(index.shape)} in each; ` +
        `PyTorch reads src only where index has an entry.`,
    );
  }
  return src.shape.every((d, i) => d === index.shape[i]) ? src : slice(src, src.shape.map(() => 0), index.shape);
}

/** Sums `u` (index's shape) into a zero tensor of x's shape at the flat offsets `f`. */
function scatterSum(x: Tensor, u: Tensor, f: Tensor): Tensor {
  return apply('scatterAdd', [u.reshape([u.size]), f.reshape([f.size])], { axis: 0, shape: [x.size] }).reshape(x.shape);
}

/** Options of {@link scatter}. */
export interface ScatterOptions {
  /** 'add' sums src into x (as {@link scatterAdd}); by default src replaces x's values. */
  readonly reduce?: 'add';
}

/**
 * x with src written at the positions `index` names along `axis` (out of place): PyTorch's
 * `torch.scatter(input, dim, index, src)` (and `value`), the inverse of {@link gather}. For a 3-D
 * x and axis 1, out[i][index[i][j][k]][k] = src[i][j][k]; positions no index names keep x.
 * - x: any dtype; index: int32 of x's rank, at most x's shape off the axis; src: x's dtype, index's
 *   rank and at least its shape (only that block is read), or a number written everywhere named.
 * - Two entries naming one position: the last one in index's row-major order wins (PyTorch's CPU
 *   kernel writes in that order; PyTorch calls the result undefined). Its gradient reaches that
 *   winner only (PyTorch gives every duplicate grad.gather(dim, index)); without duplicates they
 *   agree: x gets the gradient where nothing was written, src gathers it.
 * - `reduce: 'add'` is {@link scatterAdd}. PyTorch's 'multiply' is not offered.
 * @throws as {@link gather}; ShapeError for a src smaller than index; DTypeError for a src of
 *   another dtype; ValueError for an unknown reduce or a value x's dtype cannot hold.
 */
export function scatter(x: Tensor, axis: number, index: Tensor, src: Tensor | number, options: ScatterOptions = {}): Tensor {
  const a = checkIndexArgs('scatter', x, axis, index);
  assertOptions('scatter', options);
  if (options.reduce !== undefined && options.reduce !== 'add') {
    throw new ValueError(`scatter: reduce must be 'add' or left out, got ${describe(options.reduce)}; for a product, gather, multiply and scatter back.`);
  }
  if (typeof src !== 'number' && typeof src !== 'boolean' && !(src instanceof Tensor)) {
    throw new ValueError(`scatter: src must be a Tensor or a number, got ${describe(src)}.`);
  }
  if (options.reduce === 'add') return scatterAdd(x, a, index, typeof src === 'number' || typeof src === 'boolean' ? srcPart('scatter', x, index, src) : src);
  checkRange('scatter', index, x.rank === 0 ? 1 : x.shape[a], a, x);
  const u = srcPart('scatter', x, index, src);
  if (index.size === 0) return clone(x);
  const xr = x.rank === 0 ? x.reshape([1]) : x;
  const f = (x.rank === 0 ? index : flatOffsets(xr, a, index)).reshape([index.size]);
  const ones = Tensor.fromValues(new Int32Array(index.size).fill(1), [index.size], 'int32', x.backend);
  const written = scatterSum(xr, ones, f).gt(0).reshape(x.shape);
  // Numbers in x's own dtype: a bare number would promote a bool x to int32 (type promotion).
  if (typeof src === 'number' || typeof src === 'boolean') return where(written, scalarLike(fitValue('scatter', src, x.dtype, 'the value'), x, 'scatter'), x);
  // Last write wins: sort the offsets (stable), keep the last entry of each run of equal offsets.
  const order = apply('argsort', [f], { axis: 0, descending: false });
  const sorted = indexSelect(f, order);
  const next = index.size > 1 ? concat([slice(sorted, [1], [index.size - 1]), Tensor.fromValues(new Int32Array([-1]), [1], 'int32', x.backend)]) : Tensor.fromValues(new Int32Array([-1]), [1], 'int32', x.backend);
  const last = sorted.ne(next);
  const values = where(last, indexSelect(u.reshape([u.size]), order), scalarLike(0, u, 'scatter'));
  return where(written, scatterSum(xr, values, sorted).reshape(x.shape), x);
}

/**
 * x plus src summed in at the positions `index` names along `axis` (out of place): PyTorch's
 * `torch.scatter_add(input, dim, index, src)`. For a 3-D x and axis 1,
 * out[i][index[i][j][k]][k] += src[i][j][k]; repeated positions add up. Shapes, dtypes and errors
 * as {@link scatter}; differentiable in x (gradient passes through) and src (gathers it).
 */
export function scatterAdd(x: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  const a = checkIndexArgs('scatterAdd', x, axis, index);
  if (!(src instanceof Tensor)) throw new ValueError(`scatterAdd: src must be a Tensor, got ${describe(src)}; for a number use scatter(x, axis, index, value, { reduce: 'add' }).`);
  checkRange('scatterAdd', index, x.rank === 0 ? 1 : x.shape[a], a, x);
  const u = srcPart('scatterAdd', x, index, src);
  if (index.size === 0) return clone(x);
  // bool adds as logical or (PyTorch's scatter_add on bool): count in int32, then compare.
  if (x.dtype === 'bool') return scatterAdd(x.cast('int32'), a, index, u.cast('int32')).ne(0);
  if (x.rank === 0) return x.add(u.sum());
  return x.add(scatterSum(x, u, flatOffsets(x, a, index)));
}

/**
 * x plus alpha·source added into the slices `index` names along `axis` (out of place): PyTorch's
 * `torch.index_add(input, dim, index, source, alpha=1)`. out[..., index[j], ...] += alpha·source[..., j, ...];
 * repeated indices add up.
 * - x: float or int32, shape [..., n, ...]; index: int32 1-D (or a list of integers) of length m,
 *   entries in [0, n); source: x's dtype and shape with axis `axis` of length m; alpha: a number.
 * - Differentiable in x and source (source's gradient selects g's slices).
 * @throws ShapeError for a non-1-D index or a source of the wrong shape; DTypeError for dtypes
 *   that differ or a non-int32 index; ValueError for an index out of range (checked by the kernel).
 */
export function indexAdd(x: Tensor, axis: number, index: Tensor | readonly number[], source: Tensor, alpha = 1): Tensor {
  assertTensor('indexAdd', 'x', x);
  assertInteger('indexAdd', 'axis', axis);
  assertTensor('indexAdd', 'source', source);
  assertNumber('indexAdd', 'alpha', alpha);
  let idx: Tensor;
  if (index instanceof Tensor) {
    assertTensor('indexAdd', 'index', index);
    idx = index;
  } else {
    if (!Array.isArray(index)) throw new ValueError(`indexAdd: index must be an int32 Tensor or a list of integers, got ${describe(index)}.`);
    const v = new Int32Array(index.length);
    index.forEach((n, i) => {
      if (typeof n !== 'number' || !Number.isInteger(n)) throw new ValueError(`indexAdd: index has ${describe(n)} at position ${i}; every entry must be an integer.`);
      v[i] = fitValue('indexAdd', n, 'int32', `index ${n} at position ${i}`);
    });
    idx = Tensor.fromValues(v, [index.length], 'int32', x.backend);
  }
  if (idx.dtype !== 'int32') throw new DTypeError(`indexAdd: index must be int32, got ${idx.dtype}; cast it with .cast("int32").`);
  if (idx.rank > 1) throw new ShapeError(`indexAdd: index must be 1-D (a vector of m indices), got shape ${fmt(idx.shape)}; flatten it and source's matching axes.`);
  if (source.dtype !== x.dtype) throw new DTypeError(`indexAdd: source is ${source.dtype} but x is ${x.dtype}; cast one with .cast("${x.dtype}").`);
  const xr = x.rank === 0 ? x.reshape([1]) : x;
  const a = normalizeAxis('indexAdd', axis, x.rank);
  const m = idx.size;
  const expected = xr.shape.map((d, i) => (i === a ? m : d));
  const src = x.rank === 0 ? source.reshape(source.rank === 0 ? [1] : source.shape) : source;
  if (src.rank !== xr.rank || src.shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError(
      `indexAdd: source of shape ${fmt(source.shape)} does not fit ${m} indices into x of shape ${fmt(x.shape)} at axis ${a}; expected source of shape ${fmt(x.rank === 0 ? [] : expected)} (x's shape with axis ${a} of length ${m}).`,
    );
  }
  // bool adds as logical or (PyTorch's index_add on bool): count in int32, then compare.
  if (x.dtype === 'bool') return indexAdd(x.cast('int32'), axis, idx, source.cast('int32'), alpha).ne(0);
  const scaled = alpha === 1 ? src : src.mul(alpha);
  const added = apply('scatterAdd', [scaled, idx.reshape([m])], { axis: a, shape: xr.shape });
  return x.add(added.reshape(x.shape));
}

// ---- basic indexing -----------------------------------------------------------------------------

/** A slice as Python writes it, start:stop:step; null or a missing field is Python's None. */
export interface SliceSpec {
  readonly start?: number | null;
  readonly stop?: number | null;
  readonly step?: number | null;
}

/**
 * One entry of {@link index}: an integer (picks one position and drops the axis, negative counts
 * from the end), a {@link SliceSpec}, `null` (a new axis of size 1, Python's None), or a string in
 * Python's subscript syntax: `'1'`, `'-1'`, `':'`, `'1:5'`, `'::2'`, `'-3:'`, `'...'`, `'None'`, or
 * several separated by commas (`'0, 1::2, -1'`).
 */
export type IndexItem = number | null | string | SliceSpec;

type Token = { kind: 'int'; v: number } | { kind: 'slice'; start: number | null; stop: number | null; step: number | null } | { kind: 'new' } | { kind: 'ellipsis' };

const INT = /^[+-]?\d+$/;

function parseString(s: string): Token[] {
  return s.split(',').map((raw) => {
    const p = raw.trim();
    if (p === '...') return { kind: 'ellipsis' } as Token;
    if (p === 'None' || p === 'null') return { kind: 'new' } as Token;
    if (INT.test(p)) return { kind: 'int', v: Number(p) } as Token;
    const parts = p.split(':');
    if (parts.length >= 2 && parts.length <= 3 && parts.every((q) => q.trim() === '' || INT.test(q.trim()))) {
      const num = (q: string | undefined) => (q === undefined || q.trim() === '' ? null : Number(q.trim()));
      return { kind: 'slice', start: num(parts[0]), stop: num(parts[1]), step: num(parts[2]) } as Token;
    }
    throw new ValueError(
      `index: cannot read ${JSON.stringify(p)} in ${JSON.stringify(s)}; use Python's subscript syntax: an integer ('-1'), a slice ('1:5', '::2', ':'), '...' or 'None', separated by commas.`,
    );
  });
}

function tokens(items: readonly IndexItem[]): Token[] {
  const out: Token[] = [];
  items.forEach((item, i) => {
    if (item === null) out.push({ kind: 'new' });
    else if (typeof item === 'number') {
      if (!Number.isSafeInteger(item)) throw new ValueError(`index: item ${i} is ${describe(item)}; an index must be an integer.`);
      out.push({ kind: 'int', v: item });
    } else if (typeof item === 'string') out.push(...parseString(item));
    else if (typeof item === 'object' && !Array.isArray(item) && !(item instanceof Tensor)) {
      const field = (k: 'start' | 'stop' | 'step') => {
        const v = item[k];
        if (v === undefined || v === null) return null;
        if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new ValueError(`index: item ${i}'s ${k} is ${describe(v)}; slice bounds and steps must be integers or null.`);
        return v;
      };
      out.push({ kind: 'slice', start: field('start'), stop: field('stop'), step: field('step') });
    } else {
      throw new ValueError(
        `index: item ${i} is ${describe(item)}; give integers, slices ({ start, stop, step } or '1:5:2'), null or '...'. ` +
          `For an index tensor use indexSelect(x, indices, axis), for a mask maskedFill or where.`,
      );
    }
  });
  return out;
}

/**
 * Basic indexing, PyTorch's `x[...]` with integers, slices, `None` and `...`:
 * - `x.index(0)` is `x[0]`; `x.index(-1)` is `x[-1]` (negative integers count from the end);
 * - `x.index(0, { start: 1, step: 2 }, -1)` and `x.index('0, 1::2, -1')` are `x[0, 1::2, -1]`;
 * - `x.index('...', 0)` is `x[..., 0]`; `x.index(':', null)` is `x[:, None]`;
 * - axes not named are kept whole (`x.index(1)` on a matrix is its row 1).
 * Slices follow Python: bounds clamp to the axis, negative bounds count from the end, the step
 * must be positive (as in PyTorch; reverse with {@link flip}). An integer drops its axis, `null`
 * ('None') inserts one of size 1. The result is a copy (PyTorch returns a view) and is
 * differentiable: the gradient lands on the picked elements.
 * - x: any dtype and shape; result: x's dtype.
 * @throws ValueError for an integer outside [-n, n), a step <= 0, more indices than x has axes,
 *   two ellipses, or an item that is none of the above (tensors: use indexSelect).
 */
export function index(x: Tensor, ...items: IndexItem[]): Tensor {
  assertTensor('index', 'x', x);
  const toks = tokens(items);
  const ellipses = toks.filter((t) => t.kind === 'ellipsis').length;
  if (ellipses > 1) throw new ValueError(`index: an index can hold only one ellipsis ('...'), got ${ellipses}.`);
  const consuming = toks.filter((t) => t.kind === 'int' || t.kind === 'slice').length;
  if (consuming > x.rank) {
    throw new ValueError(`index: too many indices for x of shape ${fmt(x.shape)}: ${consuming} given for ${x.rank} dimension${x.rank === 1 ? '' : 's'}.`);
  }
  // Expand the ellipsis (or pad at the end) with whole-axis slices.
  const full: Token = { kind: 'slice', start: null, stop: null, step: null };
  const fill = Array.from({ length: x.rank - consuming }, () => full);
  const at = toks.findIndex((t) => t.kind === 'ellipsis');
  const list = at >= 0 ? [...toks.slice(0, at), ...fill, ...toks.slice(at + 1)] : [...toks, ...fill];
  const begin: number[] = [];
  const size: number[] = [];
  const steps: [axis: number, count: number, step: number][] = [];
  const outShape: number[] = [];
  let d = 0;
  for (const t of list) {
    if (t.kind === 'new') {
      outShape.push(1);
      continue;
    }
    if (t.kind === 'ellipsis') continue;
    const n = x.shape[d];
    if (t.kind === 'int') {
      if (t.v < -n || t.v >= n) throw new ValueError(`index: index ${t.v} is out of range for axis ${d} of x (shape ${fmt(x.shape)}, size ${n}); use an integer in [${-n}, ${n - 1}].`);
      begin.push(t.v < 0 ? t.v + n : t.v);
      size.push(1);
    } else {
      const step = t.step ?? 1;
      if (step <= 0) throw new ValueError(`index: slice step must be greater than zero, got ${step} at axis ${d} (as in PyTorch); reverse an axis with flip(x, [${d}]).`);
      const clamp = (v: number | null, dflt: number) => (v === null ? dflt : Math.min(Math.max(v < 0 ? v + n : v, 0), n));
      const start = clamp(t.start, 0);
      const stop = clamp(t.stop, n);
      const count = stop > start ? Math.ceil((stop - start) / step) : 0;
      begin.push(count === 0 ? 0 : start);
      size.push(count === 0 ? 0 : (count - 1) * step + 1);
      if (step > 1 && count > 1) steps.push([d, count, step]);
      outShape.push(count);
    }
    d++;
  }
  let y = slice(x, begin, size);
  for (const [axis, count, step] of steps) {
    y = indexSelect(y, Tensor.fromValues(Int32Array.from({ length: count }, (_, i) => i * step), [count], 'int32', x.backend), axis);
  }
  return reshape(y, outShape);
}
