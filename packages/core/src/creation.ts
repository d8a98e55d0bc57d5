import { getBackend, type Backend } from './backend.js';
import { dtypeOfArray, isFloat, isFloatingPoint, typedArrayFor, type DType, type StorageArray } from './dtype.js';
import { filledArray, fromNumbers, storedValue } from './convert.js';
import { AutogradError, BackendError, ValueError, ShapeError } from './errors.js';
import { assertShape, fmt, sizeOf, type Shape } from './shape.js';
import { Tensor } from './tensor.js';
import { assertFinite, assertInteger, assertOptions, assertTensor, assertTensorOptions, describe, fitInt64, fitValue } from './validate.js';

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
  /** Backend name; the current backend by default. */
  backend?: string;
}

/** Resolves options.backend, naming the op when it is unknown. */
export function backendFor(op: string, name: string | undefined): Backend {
  try {
    return getBackend(name);
  } catch (e) {
    if (e instanceof BackendError) throw new BackendError(`${op}: ${e.message}`);
    throw e;
  }
}

/** Refuses requiresGrad on a non-float dtype before any storage is made. */
export function checkRequiresGrad(op: string, dtype: DType, requiresGrad: boolean | undefined): void {
  if (requiresGrad && !isFloat(dtype)) {
    throw new AutogradError(`${op}: only float tensors can require grad, and this one is ${dtype}; drop requiresGrad or use dtype "float32".`);
  }
}

function finish(values: StorageArray, shape: Shape, dtype: DType, options: TensorOptions, op = 'tensor'): Tensor {
  checkRequiresGrad(op, dtype, options.requiresGrad);
  const t = Tensor.fromValues(values, shape, dtype, backendFor(op, options.backend));
  if (options.requiresGrad) t.requiresGrad_();
  return t;
}

/** Nested arrays of numbers, booleans or bigints (exact int64 values): what tensor() reads. */
export type NestedValues = number | boolean | bigint | readonly NestedValues[];

function inferShape(data: NestedValues): number[] {
  const shape: number[] = [];
  let level: NestedValues = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0] as NestedValues;
  }
  return shape;
}

/**
 * A tensor from a number, nested arrays, or a typed array with `shape`.
 *
 * The dtype defaults to float32; to bool when every element is a boolean; to int64 when every
 * element is a bigint (`tensor([2n ** 60n])`, exact); to the array's own for typed arrays
 * (a BigInt64Array is int64; a Uint16Array has no dtype of its own: give float16/bfloat16 bits
 * to Tensor.fromValues). Booleans mixed with numbers are numbers (true = 1), so
 * `tensor([true, 2])` is float32 [1, 2] as PyTorch promotes bool with its default number dtype.
 * Values must fit the dtype (see fitValue): a fraction given an integer dtype is truncated toward
 * zero as in PyTorch; NaN, ±Infinity or a value outside the integer dtype's range, and anything
 * but 0/1/true/false given bool, throw a ValueError naming the value and its position. float16
 * and bfloat16 round each value to nearest, ties to even (see convert.ts).
 *
 * @throws ValueError for a non-number element or a value that does not fit; ShapeError for
 *   ragged arrays or a typed array that does not fill `shape`; DTypeError for an unknown dtype.
 */
export function tensor(data: NestedValues | ArrayLike<number> | BigInt64Array, options: TensorOptions & { shape?: Shape } = {}): Tensor {
  assertTensorOptions('tensor', options);
  if (ArrayBuffer.isView(data)) {
    if (data instanceof DataView || data instanceof BigUint64Array) {
      throw new ValueError(`tensor: a ${data.constructor.name} cannot be read as numbers; pass a Float32Array, Float64Array, Int32Array, BigInt64Array, Uint8Array or an array of numbers.`);
    }
    const arr = data as ArrayLike<number> | BigInt64Array;
    const own = dtypeOfArray(arr);
    const dtype = options.dtype ?? own ?? 'float32';
    const shape = options.shape ?? [arr.length];
    assertShape('tensor', shape, 'options.shape');
    if (sizeOf(shape) !== arr.length) {
      throw new ShapeError(`tensor: ${arr.length} values do not fill shape ${fmt(shape)} (${sizeOf(shape)} elements).`);
    }
    const at = (i: number) => `the value at position ${i}`;
    let values: StorageArray;
    // A Uint8Array is read as bool, so it must hold only 0 and 1 (pixel values need dtype "int32" or "float32").
    if (own === dtype && dtype !== 'bool') values = (arr as Float64Array).slice();
    else if (dtype === 'int64') values = BigInt64Array.from({ length: arr.length }, (_, i) => fitInt64('tensor', arr[i], at(i)));
    else if (arr instanceof BigInt64Array) values = fromNumbers(dtype, Array.from(arr, (b, i) => fitValue('tensor', bigintToNumber(b), dtype, at(i))));
    else if (isFloatingPoint(dtype)) values = fromNumbers(dtype, arr);
    // Into an integer dtype from another array type: check each value rather than let the typed
    // array wrap 3e9 to -1294967296 or turn NaN into 0.
    else values = fromNumbers(dtype, Array.from(arr, (v, i) => fitValue('tensor', v, dtype, at(i))));
    return finish(values, shape, dtype, options);
  }
  if (options.shape !== undefined) {
    throw new ValueError('tensor: options.shape is only for typed arrays; nested arrays carry their own shape (use .reshape() to change it).');
  }
  const nested = data as NestedValues;
  const shape = inferShape(nested);
  const flat: (number | boolean | bigint)[] = [];
  const walk = (v: NestedValues, dim: number, path: number[]) => {
    if (dim === shape.length) {
      if (Array.isArray(v)) throw new ShapeError(`tensor: the nested arrays are ragged at index [${path.join(', ')}]; every row must have the same length.`);
      if (typeof v !== 'number' && typeof v !== 'boolean' && typeof v !== 'bigint') {
        throw new ValueError(`tensor: element [${path.join(', ')}] is ${describe(v)}, not a number, boolean or bigint.`);
      }
      flat.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new ShapeError(`tensor: the nested arrays are ragged at index [${path.join(', ')}]: expected ${shape[dim]} entries, got ${Array.isArray(v) ? v.length : 'a scalar'}.`);
    }
    for (let i = 0; i < v.length; i++) walk(v[i], dim + 1, [...path, i]);
  };
  walk(nested, 0, []);
  assertShape('tensor', shape, 'the nested arrays\' shape');
  const all = (type: string) => flat.length > 0 && flat.every((v) => typeof v === type);
  const dtype = options.dtype ?? (all('boolean') ? 'bool' : all('bigint') ? 'int64' : 'float32');
  const at = (i: number) => `the value at position ${i}`;
  const values =
    dtype === 'int64'
      ? BigInt64Array.from(flat, (v, i) => fitInt64('tensor', v, at(i)))
      : fromNumbers(dtype, flat.map((v, i) => fitValue('tensor', typeof v === 'bigint' ? bigintToNumber(v) : v, dtype, at(i))));
  return finish(values, shape, dtype, options);
}

/** A bigint as the nearest number (2^53 + 1 becomes 2^53), for a dtype other than int64. */
function bigintToNumber(b: bigint): number {
  return Number(b);
}

/**
 * A tensor of `shape` filled with `value` (a number, or a boolean for bool). The dtype is
 * float32 by default (bool for a boolean value). A value that does not fit the dtype is refused
 * as in tensor().
 */
export function full(shape: Shape, value: number | boolean, options: TensorOptions = {}): Tensor {
  return fill('full', shape, value, options);
}

function fill(op: string, shape: Shape, value: number | boolean, options: TensorOptions): Tensor {
  assertShape(op, shape);
  assertTensorOptions(op, options);
  if (typeof value !== 'number' && typeof value !== 'boolean') {
    throw new ValueError(`${op}: the fill value must be a number or a boolean, got ${describe(value)}.`);
  }
  const dtype = options.dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32');
  const v = fitValue(op, value, dtype, 'the fill value');
  return finish(filledArray(dtype, sizeOf(shape), v), shape, dtype, options, op);
}

/** A float32 (or options.dtype) tensor of zeros. */
export function zeros(shape: Shape, options: TensorOptions = {}): Tensor {
  return fill('zeros', shape, 0, options);
}
/** A float32 (or options.dtype) tensor of ones. */
export function ones(shape: Shape, options: TensorOptions = {}): Tensor {
  return fill('ones', shape, 1, options);
}
/** Zeros of `t`'s shape, dtype and backend (options override). */
export function zerosLike(t: Tensor, options: TensorOptions = {}): Tensor {
  assertTensor('zerosLike', 't', t);
  assertOptions('zerosLike', options);
  return fill('zerosLike', t.shape, 0, { dtype: t.dtype, backend: t.backend.name, ...options });
}
/** Ones of `t`'s shape, dtype and backend (options override). */
export function onesLike(t: Tensor, options: TensorOptions = {}): Tensor {
  assertTensor('onesLike', 't', t);
  assertOptions('onesLike', options);
  return fill('onesLike', t.shape, 1, { dtype: t.dtype, backend: t.backend.name, ...options });
}

/**
 * start, start+step, ... below end (NumPy's arange); `arange(n)` is 0..n-1. int32 when start
 * and step are integers, float32 otherwise.
 * @throws ValueError for a non-finite bound or step, a zero step, or a result too long to hold.
 */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  assertFinite('arange', 'start', start);
  if (end !== undefined) assertFinite('arange', 'end', end);
  assertFinite('arange', 'step', step);
  assertTensorOptions('arange', options);
  if (end === undefined) [start, end] = [0, start];
  if (step === 0) throw new ValueError(`arange: step must be a non-zero finite number, got ${step}.`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  assertShape('arange', [n], 'length');
  const dtype = options.dtype ?? (Number.isInteger(start) && Number.isInteger(step) ? 'int32' : 'float32');
  const values = Array.from({ length: n }, (_, i) => fitValue('arange', start + i * step, dtype, `the value at position ${i}`));
  return finish(fromNumbers(dtype, values), [n], dtype, options, 'arange');
}

/** `steps` evenly spaced values from start to end, both included (float32 by default). */
export function linspace(start: number, end: number, steps: number, options: TensorOptions = {}): Tensor {
  assertFinite('linspace', 'start', start);
  assertFinite('linspace', 'end', end);
  assertInteger('linspace', 'steps', steps, 0);
  assertShape('linspace', [steps], 'steps');
  assertTensorOptions('linspace', options);
  const dtype = options.dtype ?? 'float32';
  const values = Array.from({ length: steps }, (_, i) =>
    fitValue('linspace', steps === 1 ? start : start + ((end - start) * i) / (steps - 1), dtype, `the value at position ${i}`),
  );
  return finish(fromNumbers(dtype, values), [steps], dtype, options, 'linspace');
}

/** The n x m identity matrix (float32 by default). */
export function eye(n: number, m = n, options: TensorOptions = {}): Tensor {
  assertInteger('eye', 'n', n, 0);
  assertInteger('eye', 'm', m, 0);
  assertShape('eye', [n, m]);
  assertTensorOptions('eye', options);
  const dtype = options.dtype ?? 'float32';
  const values = typedArrayFor(dtype, n * m);
  const one = storedValue(dtype, 1);
  for (let i = 0; i < Math.min(n, m); i++) (values as unknown as { [k: number]: number | bigint })[i * m + i] = one;
  return finish(values, [n, m], dtype, options, 'eye');
}
