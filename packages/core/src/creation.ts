import { getBackend } from './backend.js';
import { dtypeOfArray, typedArrayFor, assertDType, type DType, type TypedArray } from './dtype.js';
import { ValueError, ShapeError } from './errors.js';
import { assertShape, fmt, sizeOf, type Shape } from './shape.js';
import { Tensor, type NestedArray } from './tensor.js';

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
  /** Backend name; the current backend by default. */
  backend?: string;
}

function finish(values: TypedArray, shape: Shape, dtype: DType, options: TensorOptions): Tensor {
  const t = Tensor.fromValues(values, shape, dtype, getBackend(options.backend));
  if (options.requiresGrad) t.requiresGrad_();
  return t;
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0] as NestedArray;
  }
  return shape;
}

/**
 * A tensor from a number, nested arrays, or a typed array with `shape`.
 * The dtype defaults to float32 (bool for booleans, the array's own for typed arrays).
 */
export function tensor(data: NestedArray | ArrayLike<number>, options: TensorOptions & { shape?: Shape } = {}): Tensor {
  if (options.dtype !== undefined) assertDType(options.dtype, 'tensor');
  if (ArrayBuffer.isView(data)) {
    const arr = data as unknown as ArrayLike<number>;
    const dtype = options.dtype ?? dtypeOfArray(arr) ?? 'float32';
    const shape = options.shape ?? [arr.length];
    assertShape('tensor', shape);
    if (sizeOf(shape) !== arr.length) {
      throw new ShapeError(`tensor: ${arr.length} values do not fill shape ${fmt(shape)} (${sizeOf(shape)} elements).`);
    }
    const values = typedArrayFor(dtype, arr.length);
    values.set(arr as never);
    return finish(values, shape, dtype, options);
  }
  const nested = data as NestedArray;
  const shape = inferShape(nested);
  const flat: (number | boolean)[] = [];
  const walk = (v: NestedArray, dim: number, path: number[]) => {
    if (dim === shape.length) {
      if (Array.isArray(v)) throw new ShapeError(`tensor: the nested arrays are ragged at index [${path.join(', ')}]; every row must have the same length.`);
      if (typeof v !== 'number' && typeof v !== 'boolean') {
        throw new ValueError(`tensor: element [${path.join(', ')}] is ${JSON.stringify(v)}, not a number or boolean.`);
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
  const dtype = options.dtype ?? (flat.length > 0 && typeof flat[0] === 'boolean' ? 'bool' : 'float32');
  const values = typedArrayFor(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) {
    const v = Number(flat[i]);
    if ((dtype === 'int32' || dtype === 'bool') && !Number.isInteger(v)) {
      throw new ValueError(`tensor: ${v} at position ${i} is not an integer, so it does not fit dtype ${dtype}.`);
    }
    values[i] = v;
  }
  return finish(values, shape, dtype, options);
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: Shape, value: number, options: TensorOptions = {}): Tensor {
  assertShape('full', shape);
  const dtype = options.dtype ?? 'float32';
  return finish(typedArrayFor(dtype, sizeOf(shape)).fill(value), shape, dtype, options);
}
export function zeros(shape: Shape, options: TensorOptions = {}): Tensor {
  return full(shape, 0, options);
}
export function ones(shape: Shape, options: TensorOptions = {}): Tensor {
  return full(shape, 1, options);
}
export function zerosLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return full(t.shape, 0, { dtype: t.dtype, backend: t.backend.name, ...options });
}
export function onesLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return full(t.shape, 1, { dtype: t.dtype, backend: t.backend.name, ...options });
}

/** start, start+step, ... below end (NumPy's arange). */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (step === 0 || !Number.isFinite(step)) throw new ValueError(`arange: step must be a non-zero finite number, got ${step}.`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  const dtype = options.dtype ?? (Number.isInteger(start) && Number.isInteger(step) ? 'int32' : 'float32');
  const values = typedArrayFor(dtype, n);
  for (let i = 0; i < n; i++) values[i] = start + i * step;
  return finish(values, [n], dtype, options);
}

/** `steps` evenly spaced values from start to end, both included. */
export function linspace(start: number, end: number, steps: number, options: TensorOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new ValueError(`linspace: steps must be a non-negative integer, got ${steps}.`);
  const dtype = options.dtype ?? 'float32';
  const values = typedArrayFor(dtype, steps);
  for (let i = 0; i < steps; i++) values[i] = steps === 1 ? start : start + ((end - start) * i) / (steps - 1);
  return finish(values, [steps], dtype, options);
}

/** The n x m identity matrix. */
export function eye(n: number, m = n, options: TensorOptions = {}): Tensor {
  assertShape('eye', [n, m]);
  const dtype = options.dtype ?? 'float32';
  const values = typedArrayFor(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) values[i * m + i] = 1;
  return finish(values, [n, m], dtype, options);
}
