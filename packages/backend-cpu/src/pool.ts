import { typedArrayFor, type DType, type StorageArray } from '@tsgrad/core';
import type { NumArray } from './strided.js';

/**
 * Freed buffers wait here to be handed out again for the same dtype and length: a training
 * loop allocates the same shapes every step, and reuse spares the allocator and the GC.
 * Bounded per size and in total so memory goes back to the system.
 */
const MAX_PER_KEY = 32;
const MAX_BYTES = 128 * 1024 * 1024;
/**
 * Free lists by storage kind, then by length (number keys: no string building per allocation).
 * float16 and bfloat16 share one kind: both are a Uint16Array.
 */
type Kind = Exclude<DType, 'bfloat16'>;
const kindOf = (dtype: DType): Kind => (dtype === 'bfloat16' ? 'float16' : dtype);
const free: Record<Kind, Map<number, StorageArray[]>> = {
  float32: new Map(),
  float64: new Map(),
  float16: new Map(),
  int32: new Map(),
  int64: new Map(),
  bool: new Map(),
};
let pooledBytes = 0;

/**
 * When on, every recycled buffer is filled with NaN (int32: -2147483648, bool: 255) before it is
 * handed out, so a kernel that leaves part of its output unwritten shows garbage instead of
 * passing by luck. The test suite turns it on; `TSGRAD_POISON_BUFFERS=1` does too.
 */
// Read through globalThis: the package also runs in browsers, which have no `process`.
let poison = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.TSGRAD_POISON_BUFFERS === '1';
export function poisonRecycledBuffers(on = true): void {
  poison = on;
}
const POISON: Record<DType, number | bigint> = {
  float32: NaN,
  float64: NaN,
  float16: 0x7e00, // NaN bits
  bfloat16: 0x7fc0, // NaN bits
  int32: -2147483648,
  int64: -(2n ** 63n),
  bool: 255,
};

/**
 * A buffer of `length` elements from the pool (or a new one); its contents are arbitrary unless
 * `zeroed`. Exported as `takeBuffer` for backends that share this storage (@tsgrad/backend-wasm),
 * so their results recycle the same buffers.
 */
export function take(dtype: DType, length: number, zeroed: boolean): NumArray {
  const list = free[kindOf(dtype)].get(length);
  if (list !== undefined && list.length > 0) {
    const buf = list.pop() as StorageArray;
    pooledBytes -= buf.byteLength;
    const fill = (buf as unknown as { fill(v: number | bigint): void }).fill.bind(buf);
    if (zeroed) fill(dtype === 'int64' ? 0n : 0);
    else if (poison) fill(POISON[dtype]);
    // Typed as numbers for the compute kernels; storage dtypes only reach kernels that copy (index.ts's h()).
    return buf as NumArray;
  }
  return typedArrayFor(dtype, length) as NumArray;
}

export function give(dtype: DType, buf: StorageArray): void {
  if (buf.length === 0 || pooledBytes + buf.byteLength > MAX_BYTES) return;
  const byLength = free[kindOf(dtype)];
  let list = byLength.get(buf.length);
  if (list === undefined) byLength.set(buf.length, (list = []));
  if (list.length >= MAX_PER_KEY) return;
  list.push(buf);
  pooledBytes += buf.byteLength;
}

/** The pool kind of a buffer (a Uint16Array counts as float16: bfloat16 shares its lists). */
export function dtypeOf(buf: StorageArray): DType {
  if (buf instanceof Float32Array) return 'float32';
  if (buf instanceof Float64Array) return 'float64';
  if (buf instanceof Int32Array) return 'int32';
  if (buf instanceof BigInt64Array) return 'int64';
  if (buf instanceof Uint16Array) return 'float16';
  return 'bool';
}
