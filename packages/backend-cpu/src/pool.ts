import { typedArrayFor, type DType } from '@tsgrad/core';
import type { NumArray } from './strided.js';

/**
 * Freed buffers wait here to be handed out again for the same dtype and length: a training
 * loop allocates the same shapes every step, and reuse spares the allocator and the GC.
 * Bounded per size and in total so memory goes back to the system.
 */
const MAX_PER_KEY = 8;
const MAX_BYTES = 64 * 1024 * 1024;
const free = new Map<string, NumArray[]>();
let pooledBytes = 0;

const keyOf = (dtype: DType, length: number) => `${dtype}:${length}`;

/** A buffer of `length` elements; its contents are arbitrary unless `zeroed`. */
export function take(dtype: DType, length: number, zeroed: boolean): NumArray {
  const list = free.get(keyOf(dtype, length));
  const buf = list?.pop();
  if (buf) {
    pooledBytes -= buf.byteLength;
    if (zeroed) buf.fill(0);
    return buf;
  }
  return typedArrayFor(dtype, length);
}

export function give(dtype: DType, buf: NumArray): void {
  if (buf.length === 0 || pooledBytes + buf.byteLength > MAX_BYTES) return;
  const key = keyOf(dtype, buf.length);
  let list = free.get(key);
  if (!list) free.set(key, (list = []));
  if (list.length >= MAX_PER_KEY) return;
  list.push(buf);
  pooledBytes += buf.byteLength;
}

export function dtypeOf(buf: NumArray): DType {
  return buf instanceof Float32Array ? 'float32' : buf instanceof Float64Array ? 'float64' : buf instanceof Int32Array ? 'int32' : 'bool';
}
