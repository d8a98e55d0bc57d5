import { DTYPES, type DType } from './dtype.js';
import { DisposedError, DTypeError, ValueError } from './errors.js';
import { DISPOSED_BY, KEEP_ALIVE } from './memory.js';
import { Tensor } from './tensor.js';

/**
 * Shared argument checks for the public API. Each throws the library's own error naming the op,
 * the argument, what it got and the fix, so no argument is silently coerced (a string index
 * becoming 0, 1.7 becoming 1) and no generic TypeError escapes from deep inside.
 */

/** A short, safe description of any value for an error message. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (v instanceof Tensor) return `a ${v.dtype} Tensor of shape [${v.shape.join(', ')}]`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'bigint') return `${v}n (a bigint)`;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol') return 'a symbol';
  if (Array.isArray(v)) {
    const shown = v.slice(0, 8).map((e) => (typeof e === 'object' && e !== null ? (Array.isArray(e) ? '[…]' : '{…}') : describe(e)));
    return `[${shown.join(', ')}${v.length > 8 ? ', …' : ''}]`;
  }
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'Object'})`;
  return String(v);
}

/** `v` must be a live Tensor. */
export function assertTensor(op: string, arg: string, v: unknown): asserts v is Tensor {
  if (!(v instanceof Tensor)) {
    throw new ValueError(`${op}: ${arg} must be a Tensor, got ${describe(v)}; make one with tensor(...).`);
  }
  if (v.isDisposed) {
    throw new DisposedError(
      `${op}: ${arg} (shape [${v.shape.join(', ')}]) has been disposed ${DISPOSED_BY}. ${KEEP_ALIVE}`,
    );
  }
}

/** `v` must be a number (NaN and ±Infinity allowed: callers that cannot take them use assertFinite). */
export function assertNumber(op: string, arg: string, v: unknown): asserts v is number {
  if (typeof v !== 'number') throw new ValueError(`${op}: ${arg} must be a number, got ${describe(v)}.`);
}

/** `v` must be a finite number. */
export function assertFinite(op: string, arg: string, v: unknown): asserts v is number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValueError(`${op}: ${arg} must be a finite number, got ${describe(v)}.`);
}

/** `v` must be an integer (a number with no fraction), optionally at least `min`. */
export function assertInteger(op: string, arg: string, v: unknown, min?: number): asserts v is number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || (min !== undefined && v < min)) {
    const what = min === undefined ? 'an integer' : min === 0 ? 'a non-negative integer' : `an integer >= ${min}`;
    throw new ValueError(`${op}: ${arg} must be ${what}, got ${describe(v)}.`);
  }
}

/** `v` must be an array of integers (each at least `min` when given). */
export function assertIntList(op: string, arg: string, v: unknown, min?: number): asserts v is readonly number[] {
  if (!Array.isArray(v)) throw new ValueError(`${op}: ${arg} must be an array of integers, got ${describe(v)}.`);
  for (let i = 0; i < v.length; i++) {
    const d: unknown = v[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || (min !== undefined && d < min)) {
      throw new ValueError(
        `${op}: ${arg} ${describe(v)} has ${describe(d)} at position ${i}; every entry must be ${min === undefined ? 'an integer' : min === 0 ? 'a non-negative integer' : `an integer >= ${min}`}.`,
      );
    }
  }
}

/** `v` must be a boolean (or undefined when optional). */
export function assertBoolean(op: string, arg: string, v: unknown): asserts v is boolean {
  if (typeof v !== 'boolean') throw new ValueError(`${op}: ${arg} must be true or false, got ${describe(v)}.`);
}

/** An options argument must be undefined or a plain object. */
export function assertOptions(op: string, v: unknown): void {
  if (v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Tensor)) {
    throw new ValueError(`${op}: options must be an object such as { dtype: "float32" }, got ${describe(v)}.`);
  }
}

/** An axis argument: an integer, an array of integers, or undefined (all axes). */
export function assertAxes(op: string, v: unknown): asserts v is number | readonly number[] | undefined {
  if (v === undefined || typeof v === 'number') return;
  if (!Array.isArray(v)) throw new ValueError(`${op}: axis must be an integer or an array of integers, got ${describe(v)}.`);
}

/** The common creation options: dtype, requiresGrad, backend. */
export function assertTensorOptions(op: string, v: unknown): void {
  assertOptions(op, v);
  if (v === undefined) return;
  const o = v as { dtype?: unknown; requiresGrad?: unknown; backend?: unknown };
  if (o.dtype !== undefined && (typeof o.dtype !== 'string' || !(DTYPES as readonly string[]).includes(o.dtype))) {
    throw new DTypeError(`${op}: unknown dtype ${describe(o.dtype)}; use one of ${DTYPES.join(', ')}.`);
  }
  if (o.requiresGrad !== undefined) assertBoolean(op, 'options.requiresGrad', o.requiresGrad);
  if (o.backend !== undefined && typeof o.backend !== 'string') {
    throw new ValueError(`${op}: options.backend must be a backend name (a string), got ${describe(o.backend)}.`);
  }
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The value `v` takes in `dtype`, or an error naming it when it does not fit. Follows PyTorch:
 * a fraction given an integer dtype is truncated toward zero (torch.tensor([1.7], dtype=int32)
 * is 1); unlike PyTorch, which wraps silently, a value outside int32's range and NaN/±Infinity
 * are refused (int64 likewise, outside [-2^63, 2^63)). bool takes true/false and 0/1 only. Float
 * dtypes take any number (float32, float16 and bfloat16 round, and overflow to ±Infinity as in
 * PyTorch). The value returned is a number; convert.ts's storedValue turns it into the dtype's
 * storage (float16 bits, an int64 bigint).
 */
export function fitValue(op: string, v: unknown, dtype: DType, where: string): number {
  const n = typeof v === 'boolean' ? Number(v) : v;
  if (typeof n !== 'number') throw new ValueError(`${op}: ${where} is ${describe(v)}, not a number or boolean.`);
  if (dtype === 'int32') {
    if (!Number.isFinite(n)) {
      throw new ValueError(`${op}: ${where} is ${describe(v)}, which int32 cannot hold; use a float dtype for NaN and Infinity.`);
    }
    const t = Math.trunc(n);
    if (t < INT32_MIN || t > INT32_MAX) {
      throw new ValueError(`${op}: ${where} is ${describe(v)}, outside int32's range [${INT32_MIN}, ${INT32_MAX}]; use dtype "float64" (or "float32") instead.`);
    }
    return t === 0 ? 0 : t; // no -0 in an integer dtype
  }
  if (dtype === 'int64') {
    if (!Number.isFinite(n)) {
      throw new ValueError(`${op}: ${where} is ${describe(v)}, which int64 cannot hold; use a float dtype for NaN and Infinity.`);
    }
    const t = Math.trunc(n);
    if (t < -(2 ** 63) || t >= 2 ** 63) {
      throw new ValueError(`${op}: ${where} is ${describe(v)}, outside int64's range [-2^63, 2^63 - 1]; use dtype "float64" instead.`);
    }
    return t === 0 ? 0 : t;
  }
  if (dtype === 'bool') {
    if (n !== 0 && n !== 1) throw new ValueError(`${op}: ${where} is ${describe(v)}, but a bool tensor holds only true/false (1/0); compare first (x.ne(0)) or give dtype "int32" or "float32".`);
    return n;
  }
  return n;
}

/**
 * The int64 value of `v`: a bigint exactly (refused outside [-2^63, 2^63 - 1]), a number or boolean
 * as fitValue checks it for int64 (a number above 2^53 is already rounded: give a bigint).
 */
export function fitInt64(op: string, v: unknown, where: string): bigint {
  if (typeof v === 'bigint') {
    if (v < INT64_MIN || v > INT64_MAX) throw new ValueError(`${op}: ${where} is ${describe(v)}, outside int64's range [-2^63, 2^63 - 1].`);
    return v;
  }
  return BigInt(fitValue(op, v, 'int64', where));
}
