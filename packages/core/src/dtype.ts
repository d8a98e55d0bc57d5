import { DTypeError } from './errors.js';

/**
 * The element types of tensors. float32, float64, int32 and bool are compute dtypes: every op
 * runs in them. int64, float16 and bfloat16 are storage dtypes: they are created, loaded, saved,
 * cast, compared, printed and moved (reshape, slice, concat...) losslessly, and arithmetic on
 * them asks for a cast first (see docs/dtypes.md for the table of what each dtype supports).
 */
export type DType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int32' | 'int64' | 'bool';
export const DTYPES: readonly DType[] = ['float32', 'float64', 'float16', 'bfloat16', 'int32', 'int64', 'bool'];

/**
 * The typed array that holds each dtype: bool is stored as 0/1 bytes, float16 and bfloat16 as
 * their IEEE 754 / bfloat16 bit patterns (a Uint16Array), int64 as a BigInt64Array.
 */
export interface DTypeArrays {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  bool: Uint8Array;
}
/** A backend's storage of any dtype: what `fromArray` takes and `read` returns (Tensor.rawData()). */
export type StorageArray = DTypeArrays[DType];
/**
 * The arrays of numbers that `dataSync()` and `data()` return: each compute dtype's own array,
 * float16/bfloat16 decoded into a Float32Array (exactly), int64 into a Float64Array (refused
 * beyond ±2^53, where numbers would round: `rawData()` gives the BigInt64Array).
 */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

const CONSTRUCTORS = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
} as const;

export function typedArrayFor<D extends DType>(dtype: D, length: number): DTypeArrays[D] {
  // Public callers check the dtype first; this keeps an unchecked one from surfacing as a TypeError.
  if (!Object.hasOwn(CONSTRUCTORS, dtype)) assertDType(dtype, 'typedArrayFor');
  return new CONSTRUCTORS[dtype](length) as DTypeArrays[D];
}

export function bytesPerElement(dtype: DType): number {
  return CONSTRUCTORS[dtype].BYTES_PER_ELEMENT;
}

/**
 * Whether ops compute in this float dtype: float32 and float64. float16 and bfloat16 are floats
 * too (see isFloatingPoint) but storage only, so code that is about to do float arithmetic (or
 * record gradients) asks this.
 */
export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

/** PyTorch's `is_floating_point`: float16, bfloat16, float32 and float64. */
export function isFloatingPoint(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
}

/** The dtypes that are stored, cast and compared but not computed in: int64, float16, bfloat16. */
export type StorageDType = 'int64' | 'float16' | 'bfloat16';
export const STORAGE_DTYPES: readonly StorageDType[] = ['int64', 'float16', 'bfloat16'];
export function isStorageDType(dtype: DType): dtype is StorageDType {
  return dtype === 'int64' || dtype === 'float16' || dtype === 'bfloat16';
}

/**
 * tsgrad's default dtypes, PyTorch's `torch.get_default_dtype()` (float32) and the integer dtype
 * that Python ints and bool sums take. PyTorch's integer default is int64; tsgrad's is int32,
 * the widest integer every backend (WebGL, TensorFlow.js) computes in.
 */
export const DEFAULT_FLOAT: DType = 'float32';
export const DEFAULT_INT: DType = 'int32';

export function assertDType(dtype: unknown, where: string): asserts dtype is DType {
  if (typeof dtype !== 'string' || !(DTYPES as readonly string[]).includes(dtype)) {
    throw new DTypeError(`${where}: unknown dtype ${JSON.stringify(dtype)}; use one of ${DTYPES.join(', ')}.`);
  }
}

/**
 * The dtype a typed array naturally holds. A Uint16Array has none (float16 and bfloat16 bits
 * look alike, and it may hold plain integers): give the dtype explicitly.
 */
export function dtypeOfArray(a: ArrayLike<number> | BigInt64Array): DType | undefined {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Uint8Array) return 'bool';
  return undefined;
}

// ---- type promotion (PyTorch's) -------------------------------------------------------------

/**
 * PyTorch's type-promotion lattice (c10/core/ScalarType.h, `promoteTypes`) over tsgrad's dtypes:
 * bool < int32 < int64 < float16, bfloat16 < float32 < float64, with float16 + bfloat16 =
 * float32 (neither holds the other). Written out for every pair so that adding a dtype is a type
 * error here until its row and column are decided; checked against `torch.promote_types` by
 * packages/core/test/fixtures/dtypes.py.
 */
export const PROMOTION_TABLE: { readonly [A in DType]: { readonly [B in DType]: DType } } = {
  bool: { bool: 'bool', int32: 'int32', int64: 'int64', float16: 'float16', bfloat16: 'bfloat16', float32: 'float32', float64: 'float64' },
  int32: { bool: 'int32', int32: 'int32', int64: 'int64', float16: 'float16', bfloat16: 'bfloat16', float32: 'float32', float64: 'float64' },
  int64: { bool: 'int64', int32: 'int64', int64: 'int64', float16: 'float16', bfloat16: 'bfloat16', float32: 'float32', float64: 'float64' },
  float16: { bool: 'float16', int32: 'float16', int64: 'float16', float16: 'float16', bfloat16: 'float32', float32: 'float32', float64: 'float64' },
  bfloat16: { bool: 'bfloat16', int32: 'bfloat16', int64: 'bfloat16', float16: 'float32', bfloat16: 'bfloat16', float32: 'float32', float64: 'float64' },
  float32: { bool: 'float32', int32: 'float32', int64: 'float32', float16: 'float32', bfloat16: 'float32', float32: 'float32', float64: 'float64' },
  float64: { bool: 'float64', int32: 'float64', int64: 'float64', float16: 'float64', bfloat16: 'float64', float32: 'float64', float64: 'float64' },
};

/** The smallest dtype both `a` and `b` convert to without losing their kind: `torch.promote_types`. */
export function promoteTypes(a: DType, b: DType): DType {
  assertDType(a, 'promoteTypes');
  assertDType(b, 'promoteTypes');
  return PROMOTION_TABLE[a][b];
}

/**
 * `torch.can_cast(from, to)`: whether an in-place op may write a `from` result into a `to`
 * tensor. A float cannot go into an integer or bool, nor an integer into bool; anything else can
 * (float64 into float32 included: the kind is kept, only precision is lost).
 */
export function canCast(from: DType, to: DType): boolean {
  if (isFloatingPoint(from) && !isFloatingPoint(to)) return false;
  if (from !== 'bool' && to === 'bool') return false;
  return true;
}

/** One operand of resultType: a tensor's dtype and rank, or a JavaScript number. */
export type PromotionOperand = number | { readonly dtype: DType; readonly rank: number };

/** c10's combine_categories: the higher-priority result, unless the lower one is of a higher kind. */
function combine(higher: DType | undefined, lower: DType | undefined): DType | undefined {
  if (higher === undefined) return lower;
  if (lower === undefined) return higher;
  if (isFloatingPoint(higher)) return higher;
  if (higher === 'bool' || isFloatingPoint(lower)) return PROMOTION_TABLE[higher][lower];
  return higher;
}

/**
 * The dtype of an elementwise op's result, as `torch.result_type` decides it (ATen's
 * ResultTypeState): operands are ranked tensors with dimensions, then 0-d tensors, then numbers;
 * a lower rank changes the dtype only when it is of a higher kind (bool < integer < float).
 * So float32[3] + float64 0-d is float32, int32[3] + 2.5 is float32 (the default float), and
 * int32[3] + float64 0-d is float64. A number with no fraction counts as an integer (JavaScript
 * cannot tell 2 from 2.0), and integers take DEFAULT_INT (int32) where PyTorch's Python ints take
 * int64: bool[3] + 1 is int32 here, int64 in PyTorch.
 */
export function resultType(operands: readonly PromotionOperand[]): DType {
  let dim: DType | undefined;
  let zero: DType | undefined;
  let num: DType | undefined;
  const merge = (acc: DType | undefined, d: DType): DType => (acc === undefined ? d : PROMOTION_TABLE[acc][d]);
  for (const o of operands) {
    if (typeof o === 'number') num = merge(num, Number.isInteger(o) ? DEFAULT_INT : DEFAULT_FLOAT);
    else if (o.rank > 0) dim = merge(dim, o.dtype);
    else zero = merge(zero, o.dtype);
  }
  const r = combine(dim, combine(zero, num));
  if (r === undefined) throw new DTypeError('resultType: give at least one operand.');
  return r;
}

