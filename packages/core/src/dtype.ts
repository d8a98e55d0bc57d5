import { DTypeError } from './errors.js';

export type DType = 'float32' | 'float64' | 'int32' | 'bool';
export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

/** The typed array that holds each dtype; bool is stored as 0/1 bytes. */
export interface DTypeArrays {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  bool: Uint8Array;
}
export type TypedArray = DTypeArrays[DType];

const CONSTRUCTORS = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
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

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

export function assertDType(dtype: unknown, where: string): asserts dtype is DType {
  if (typeof dtype !== 'string' || !(DTYPES as readonly string[]).includes(dtype)) {
    throw new DTypeError(`${where}: unknown dtype ${JSON.stringify(dtype)}; use one of ${DTYPES.join(', ')}.`);
  }
}

/** The dtype a typed array naturally holds. */
export function dtypeOfArray(a: ArrayLike<number>): DType | undefined {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint8Array) return 'bool';
  return undefined;
}
