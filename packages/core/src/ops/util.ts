import { bytesPerElement, isFloat, isFloatingPoint, resultType, typedArrayFor, type DType } from '../dtype.js';
import { storedValue } from '../convert.js';
import type { Backend } from '../backend.js';
import { DTypeError, ValueError } from '../errors.js';
import { fmt, sameShape, type Shape } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { disposedInput, type OutInfo } from '../autograd/engine.js';

/** A 0-d tensor holding `value` in `like`'s dtype and backend. */
export function scalarLike(value: number, like: Tensor, op: string): Tensor {
  if (like.isDisposed) throw disposedInput(op, 0, like);
  return scalarOf(value, like.dtype, like.backend, op);
}

/** A 0-d tensor holding `value` in `dtype` on `backend`, refusing a value the dtype cannot hold. */
function scalarOf(value: number, dtype: DType, backend: Backend, op: string): Tensor {
  if (!isFloatingPoint(dtype) && !Number.isInteger(value) && !(dtype === 'bool' && (value === 0 || value === 1))) {
    throw new DTypeError(`${op}: the number ${value} cannot be combined with a ${dtype} tensor without losing its fraction; cast the tensor first with .cast("float32").`);
  }
  // A number the dtype cannot hold would be stored wrapped (3e9 in int32) or as a bool of 2.
  if (
    (dtype === 'int32' && (value < -(2 ** 31) || value > 2 ** 31 - 1)) ||
    (dtype === 'int64' && (value < -(2 ** 63) || value >= 2 ** 63)) ||
    (dtype === 'bool' && value !== 0 && value !== 1)
  ) {
    throw new DTypeError(`${op}: the number ${value} does not fit ${dtype === 'bool' ? 'a' : 'an'} ${dtype} tensor; cast the tensor first with .cast("${dtype === 'bool' ? 'int32' : 'float64'}").`);
  }
  // The constants of gradient rules and activations (0, 1, 2, 0.5, -1...) recur in every step: one
  // shared, kept tensor per backend, dtype and value. Other numbers (a learning rate that a
  // schedule changes every step, w.mul(Math.random())) get a fresh tensor owned by the enclosing
  // tidy() like any other: a cache of arbitrary values would grow, or evict tensors that a
  // recorded graph still needs.
  if (!isCommonConstant(value)) return Tensor.fromValues(stored(dtype, value), [], dtype, backend);
  let cache = scalarCache.get(backend);
  if (!cache) scalarCache.set(backend, (cache = new Map()));
  const key = dtype + (Object.is(value, -0) ? '-0' : String(value));
  let t = cache.get(key);
  if (t === undefined || t.isDisposed) {
    t = Tensor.fromValues(stored(dtype, value), [], dtype, backend);
    t.isKept = true;
    cache.set(key, t);
  }
  return t;
}

/** A one-element array of `dtype` holding `value` (float16/bfloat16 as bits, int64 as a bigint). */
function stored(dtype: DType, value: number) {
  const arr = typedArrayFor(dtype, 1);
  (arr as unknown as { [i: number]: number | bigint })[0] = storedValue(dtype, value);
  return arr;
}

/** Multiples of 1/16 in [-64, 64] and the non-finite values: a bounded set (at most 2051 per dtype). */
function isCommonConstant(v: number): boolean {
  return !Number.isFinite(v) || (Math.abs(v) <= 64 && Number.isInteger(v * 16));
}

const scalarCache = new WeakMap<object, Map<string, Tensor>>();

/**
 * The operands of an elementwise op of two inputs in their common dtype: PyTorch's type
 * promotion (dtype.ts's resultType), numbers becoming 0-d tensors of it and tensors cast to it
 * (a recorded cast, so gradients flow back in each input's own dtype). `computeIn` may move the
 * result elsewhere (true division of integers runs in float32).
 * @throws ValueError when neither operand is a tensor or one is neither a tensor nor a number;
 *   DisposedError for a disposed operand; DTypeError for a number the dtype cannot hold.
 */
export function operands(op: string, a: TensorLike, b: TensorLike, computeIn?: (d: DType) => DType): [Tensor, Tensor] {
  const first = a instanceof Tensor ? a : b instanceof Tensor ? b : undefined;
  if (first === undefined) {
    throw new ValueError(`${op}: at least one operand must be a Tensor; got ${typeof a} and ${typeof b}. Make one with tensor(value).`);
  }
  const x = a instanceof Tensor ? a : checkNumber(op, a);
  const y = b instanceof Tensor ? b : checkNumber(op, b);
  if (x instanceof Tensor && x.isDisposed) throw disposedInput(op, 0, x);
  if (y instanceof Tensor && y.isDisposed) throw disposedInput(op, 1, y);
  // Two tensors of one dtype (the common case in a training step) need no promotion.
  let dtype = x instanceof Tensor && y instanceof Tensor && x.dtype === y.dtype ? x.dtype : resultType([x, y]);
  if (computeIn) dtype = computeIn(dtype);
  const to = (v: Tensor | number): Tensor => (typeof v === 'number' ? scalarOf(v, dtype, first.backend, op) : v.dtype === dtype ? v : v.cast(dtype));
  return [to(x), to(y)];
}

function checkNumber(op: string, v: unknown): number {
  if (typeof v !== 'number') throw new ValueError(`${op}: expected a Tensor or a number, got ${v === null ? 'null' : typeof v}.`);
  return v;
}

export function requireFloat(op: string, t: Tensor): void {
  if (!isFloat(t.dtype)) {
    const stored = isFloatingPoint(t.dtype) ? ' (stored, not computed in: ops compute in float32 and float64)' : '';
    throw new DTypeError(`${op}: needs a float tensor, got ${t.dtype}${stored} (shape ${fmt(t.shape)}); cast it first with .cast("float32").`);
  }
}

export function sameDType(op: string, a: Tensor, b: Tensor): DType {
  if (a.dtype !== b.dtype) {
    throw new DTypeError(
      // Suggest the float dtype: casting a float operand (a weight) to int would break it.
      `${op}: dtypes differ: ${a.dtype} (shape ${fmt(a.shape)}) and ${b.dtype} (shape ${fmt(b.shape)}); cast one with .cast("${isFloat(b.dtype) && !isFloat(a.dtype) ? b.dtype : a.dtype}").`,
    );
  }
  return a.dtype;
}

export function out(shape: Shape, dtype: DType): OutInfo {
  return { shape, dtype };
}

/** Sums a broadcast gradient back down to `shape` (the adjoint of broadcasting). */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  const summed = axes.length > 0 ? g.sum(axes, true) : g;
  return summed.reshape(shape as number[]);
}

/** A tensor of zeros shaped and typed like `like`. */
export function zerosLike(like: Tensor): Tensor {
  return Tensor.fromValues(typedArrayFor(like.dtype, like.size), like.shape, like.dtype, like.backend);
}

export function bytesOf(shape: Shape, dtype: DType): number {
  let n = bytesPerElement(dtype);
  for (const d of shape) n *= d;
  return n;
}
