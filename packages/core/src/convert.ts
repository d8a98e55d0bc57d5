import { typedArrayFor, type DType, type DTypeArrays, type StorageArray } from './dtype.js';

/**
 * Value conversions between dtypes: the one definition of what a number becomes in each dtype's
 * storage and back. The CPU backend's cast kernel, tensor creation, printing and reading all use
 * these, so every path rounds the same way.
 *
 * float16 (IEEE 754 binary16: 1 sign, 5 exponent, 10 fraction bits) and bfloat16 (the top half of
 * a binary32: 1 sign, 8 exponent, 7 fraction bits) are rounded to nearest, ties to even, once,
 * from the exact value (IEEE 754-2019 §4.3.1), with subnormals, overflow to ±Infinity and NaN as
 * a quiet NaN (0x7E00 / 0x7FC0). PyTorch converts float64 to float16/bfloat16 through float32
 * (two roundings): the results differ only for a float64 within 2^-29 (relative) of a halfway
 * point, where tsgrad's is the correctly rounded one.
 */

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** The unbiased binary exponent of a finite, normal, non-zero float64 (exact, from its bits). */
function exponentOf(a: number): number {
  f64[0] = a;
  return ((u32[HI] >>> 20) & 0x7ff) - 1023;
}

/** Rounds a non-negative number to an integer, ties to even (exact for |v| < 2^52). */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
}

/** The bits of `x` in a binary format with `m` fraction bits and `e` exponent bits. */
function encodeBinary(x: number, m: number, e: number): number {
  const bias = (1 << (e - 1)) - 1;
  const expAll = (1 << e) - 1;
  if (x !== x) return (expAll << m) | (1 << (m - 1)); // quiet NaN
  const sign = x < 0 || Object.is(x, -0) ? 1 << (m + e) : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | (expAll << m);
  const emin = 1 - bias;
  if (a < 2 ** emin) {
    // Subnormal (or zero): units of 2^(emin - m). A carry to 2^m is the smallest normal, whose bits follow on.
    return sign | roundHalfEven(a * 2 ** (m - emin));
  }
  const ex = exponentOf(a);
  if (ex > bias) return sign | (expAll << m);
  // a * 2^(m - ex) lies in [2^m, 2^(m+1)); a carry to 2^(m+1) moves into the exponent, up to Infinity.
  const r = roundHalfEven(a * 2 ** (m - ex));
  return sign | (((ex + bias) << m) + (r - (1 << m)));
}

/** The float16 bits nearest to `x` (ties to even). */
export function float16Bits(x: number): number {
  return encodeBinary(x, 10, 5);
}

/** The bfloat16 bits nearest to `x` (ties to even). */
export function bfloat16Bits(x: number): number {
  return encodeBinary(x, 7, 8);
}

let f16Table: Float32Array | undefined;
/** Every float16 value by its bits (float32 holds each exactly): decoding is one lookup. */
function float16Table(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const ex = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    t[h] = ex === 0 ? s * frac * 2 ** -24 : ex === 31 ? (frac ? NaN : s * Infinity) : s * (1024 + frac) * 2 ** (ex - 25);
  }
  return (f16Table = t);
}

/** The value of float16 bits. */
export function float16Value(bits: number): number {
  return float16Table()[bits & 0xffff];
}

const bfU32 = new Uint32Array(1);
const bfF32 = new Float32Array(bfU32.buffer);
/** The value of bfloat16 bits (they are the high half of a float32). */
export function bfloat16Value(bits: number): number {
  bfU32[0] = (bits & 0xffff) << 16;
  return bfF32[0];
}

const INT64_MIN = -(2n ** 63n);
const TWO_63 = 2 ** 63;

/**
 * An int64 as a float64 that rounds to any narrower float exactly as the integer itself would:
 * exact below 2^53; above, the top 53 bits with the lowest one set when any bit below them is
 * (a sticky bit), so that a later rounding to 24 bits or fewer sees ties and near-ties correctly
 * (Number(b) alone would round twice).
 */
function int64ToSticky(b: bigint): number {
  const neg = b < 0n;
  const a = neg ? -b : b;
  if (a <= 9007199254740992n) return Number(b);
  const shift = a.toString(2).length - 53;
  let q = a >> BigInt(shift);
  if (q << BigInt(shift) !== a) q |= 1n;
  const v = Number(q) * 2 ** shift;
  return neg ? -v : v;
}

/**
 * A float truncated toward zero into int64, as PyTorch does on x86 (cvttsd2si): NaN, ±Infinity
 * and values outside [-2^63, 2^63) give -2^63, the "integer indefinite" value.
 */
export function floatToInt64(v: number): bigint {
  // -2^63 and 2^63 are exact doubles; NaN fails both comparisons.
  if (!(v >= -TWO_63 && v < TWO_63)) return INT64_MIN;
  return BigInt(Math.trunc(v));
}

/** The numbers `values` (of `dtype`) hold, decoded: float16/bfloat16 bits become their values, int64 becomes the nearest float64. */
export function toNumbers(values: StorageArray, dtype: DType): ArrayLike<number> {
  switch (dtype) {
    case 'float16': {
      const t = float16Table();
      const src = values as Uint16Array;
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = t[src[i]];
      return out;
    }
    case 'bfloat16': {
      const src = values as Uint16Array;
      const bits = new Uint32Array(src.length);
      for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
      return new Float32Array(bits.buffer);
    }
    case 'int64':
      return Float64Array.from(values as BigInt64Array, (b) => Number(b));
    default:
      return values as ArrayLike<number>;
  }
}

/**
 * What `value` (a number, with bool 0/1) is stored as in `dtype`'s typed array: float16/bfloat16
 * bits, a bigint for int64 (truncated toward zero), the number itself otherwise. Callers check
 * that the value fits (validate.ts's fitValue) before.
 */
export function storedValue(dtype: DType, value: number): number | bigint {
  switch (dtype) {
    case 'float16':
      return float16Bits(value);
    case 'bfloat16':
      return bfloat16Bits(value);
    case 'int64':
      return floatToInt64(value);
    default:
      return value;
  }
}

/** A typed array of `dtype` and `length` filled with `value` (see storedValue). */
export function filledArray<D extends DType>(dtype: D, length: number, value: number): DTypeArrays[D] {
  const out = typedArrayFor(dtype, length);
  if (value !== 0 || Object.is(value, -0)) (out as { fill(v: unknown): unknown }).fill(storedValue(dtype, value));
  return out;
}

/** Writes `values` (numbers) into `dtype`'s storage, converting each with storedValue. */
export function fromNumbers<D extends DType>(dtype: D, values: ArrayLike<number>): DTypeArrays[D] {
  const out = typedArrayFor(dtype, values.length);
  if (dtype === 'int64' || dtype === 'float16' || dtype === 'bfloat16') {
    const o = out as unknown as { [i: number]: number | bigint };
    for (let i = 0; i < values.length; i++) o[i] = storedValue(dtype, values[i]);
  } else (out as Float64Array).set(values);
  return out;
}

/**
 * `src` (of dtype `from`) converted into `out` (of dtype `to`, same length): PyTorch's cast.
 * To bool: non-zero (NaN included) is true. To int32: truncation toward zero, then the low 32
 * bits (JavaScript's ToInt32; NaN and ±Infinity give 0). To int64: truncation toward zero, with
 * NaN, ±Infinity and out-of-range values giving -2^63 (PyTorch on x86); from int64 to int32, the
 * low 32 bits (C's wrap, as PyTorch). To a float: the nearest value, ties to even, in one rounding
 * (int64 above 2^53 included).
 */
export function convertValues(src: StorageArray, from: DType, out: StorageArray, to: DType): void {
  const n = src.length;
  if (from === to) {
    (out as Float64Array).set(src as Float64Array);
    return;
  }
  if (from === 'int64') {
    const s = src as BigInt64Array;
    switch (to) {
      case 'bool': for (let i = 0; i < n; i++) (out as Uint8Array)[i] = s[i] !== 0n ? 1 : 0; return;
      case 'int32': for (let i = 0; i < n; i++) (out as Int32Array)[i] = Number(BigInt.asIntN(32, s[i])); return;
      case 'float64': for (let i = 0; i < n; i++) (out as Float64Array)[i] = Number(s[i]); return;
      case 'float32': for (let i = 0; i < n; i++) (out as Float32Array)[i] = int64ToSticky(s[i]); return;
      case 'float16': for (let i = 0; i < n; i++) (out as Uint16Array)[i] = float16Bits(int64ToSticky(s[i])); return;
      case 'bfloat16': for (let i = 0; i < n; i++) (out as Uint16Array)[i] = bfloat16Bits(int64ToSticky(s[i])); return;
    }
  }
  if (to === 'int64') {
    const o = out as BigInt64Array;
    if (from === 'int32' || from === 'bool') for (let i = 0; i < n; i++) o[i] = BigInt((src as Int32Array)[i]);
    else {
      const v = toNumbers(src, from);
      for (let i = 0; i < n; i++) o[i] = floatToInt64(v[i]);
    }
    return;
  }
  // Neither side is int64: through numbers (float16/bfloat16 decode exactly into float32).
  const v = from === 'float16' || from === 'bfloat16' ? toNumbers(src, from) : (src as ArrayLike<number>);
  switch (to) {
    case 'bool': for (let i = 0; i < n; i++) (out as Uint8Array)[i] = v[i] !== 0 ? 1 : 0; return;
    case 'int32': for (let i = 0; i < n; i++) (out as Int32Array)[i] = Math.trunc(v[i]); return;
    case 'float16': for (let i = 0; i < n; i++) (out as Uint16Array)[i] = float16Bits(v[i]); return;
    case 'bfloat16': for (let i = 0; i < n; i++) (out as Uint16Array)[i] = bfloat16Bits(v[i]); return;
    default: (out as Float64Array).set(v); return;
  }
}
