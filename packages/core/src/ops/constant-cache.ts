import type { Backend } from '../backend.js';
import type { DType, StorageArray } from '../dtype.js';
import type { Shape } from '../shape.js';
import { Tensor } from '../tensor.js';

/**
 * Host-computed constants that composite ops reuse at every call with the same geometry: the
 * im2col index maps of convolution and pooling, pooling divisors. Building one costs a pass over
 * kernel·output elements on the host and an upload (a GPU copy on tfjs/WebGL), so a training
 * loop must not rebuild them at every step; a cache of every geometry ever seen would grow
 * without bound instead (the Trust issue: memory stays flat). So: at most MAX_CONSTANTS per
 * backend, least recently used evicted first.
 *
 * Cached tensors are kept (no tidy() frees them). An evicted one is not disposed, because a
 * recorded graph may still hold it as an input of a gather whose gradient (a scatter-add) needs
 * it; it is only dropped from the cache, and freed like any unreachable tensor (garbage collection
 * on cpu/wasm, its finalizer on other backends) once no graph references it.
 */
export const MAX_CONSTANTS = 64;

const caches = new WeakMap<Backend, Map<string, Tensor>>();

/** The cached constant `key` on `backend`, built with `build` (row-major values of `shape`) when missing. */
export function cachedConstant(backend: Backend, key: string, shape: Shape, dtype: DType, build: () => StorageArray): Tensor {
  let cache = caches.get(backend);
  if (cache === undefined) caches.set(backend, (cache = new Map()));
  const hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
    if (!hit.isDisposed) {
      cache.set(key, hit); // most recently used goes last
      return hit;
    }
  }
  const t = Tensor.fromValues(build(), shape, dtype, backend);
  t.isKept = true;
  cache.set(key, t);
  if (cache.size > MAX_CONSTANTS) cache.delete(cache.keys().next().value as string);
  return t;
}

/** @internal How many constants are cached for `backend` (tests check the bound). */
export function cachedConstantCount(backend: Backend): number {
  return caches.get(backend)?.size ?? 0;
}
