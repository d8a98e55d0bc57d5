import { typedArrayFor, type DType } from '@tsgrad/core';
import type { NumArray } from './strided.js';

/**
 * Freed buffers wait here to be handed out again for the same dtype and length: a training
 * loop allocates the same shapes every step, and reuse spares the allocator and the GC.
 * Bounded per size and in total so memory goes back to the system.
 */
const MAX_PER_KEY = 8;
const MAX_BYTES = 64 * 1024 * 1024;
/** Free lists by dtype, then by length (number keys: no string building per allocation). */
const free: Record<DType, Map<number, NumArray[]>> = {
  float32: new Map(),
  float64: new Map(),
  int32: new Map(),
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
const POISON: Record<DType, number> = { float32: NaN, float64: NaN, int32: -2147483648, bool: 255 };

/** A buffer of `length` elements; its contents are arbitrary unless `zeroed`. */
export function take(dtype: DType, length: number, zeroed: boolean): NumArray {
  const list = free[dtype].get(length);
  if (list !== undefined && list.length > 0) {
    const buf = list.pop() as NumArray;
    pooledBytes -= buf.byteLength;
    if (zeroed) buf.fill(0);
    else if (poison) buf.fill(POISON[dtype]);
    return buf;
  }
  return typedArrayFor(dtype, length);
}

export function give(dtype: DType, buf: NumArray): void {
  if (buf.length === 0 || pooledBytes + buf.byteLength > MAX_BYTES) return;
  const byLength = free[dtype];
  let list = byLength.get(buf.length);
  if (list === undefined) byLength.set(buf.length, (list = []));
  if (list.length >= MAX_PER_KEY) return;
  list.push(buf);
  pooledBytes += buf.byteLength;
}

export function dtypeOf(buf: NumArray): DType {
  return buf instanceof Float32Array ? 'float32' : buf instanceof Float64Array ? 'float64' : buf instanceof Int32Array ? 'int32' : 'bool';
}
