import type { Shape } from '@tsgrad/core';
import { copyRowF32 } from './f32.js';

/** Element strides of `shape` as seen from a result of rank `rank` (0 on broadcast axes). */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const rank = outShape.length;
  const strides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const o = i + rank - shape.length;
    strides[o] = shape[i] === 1 && outShape[o] !== 1 ? 0 : s;
    s *= shape[i];
  }
  return strides;
}

export type NumArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * dst[dstOff + Σ i_d dstStrides_d] = src[srcOff + Σ i_d srcStrides_d] over every index of
 * `shape`: permute, expand, slice and pad are this copy with different strides.
 */
export function stridedCopy(src: NumArray, srcOff: number, srcStrides: readonly number[], dst: NumArray, dstOff: number, dstStrides: readonly number[], shape: Shape): void {
  const rank = shape.length;
  if (rank === 0) {
    dst[dstOff] = src[srcOff];
    return;
  }
  let total = 1;
  for (const d of shape) total *= d;
  if (total === 0) return;
  const inner = shape[rank - 1];
  const si = srcStrides[rank - 1];
  const di = dstStrides[rank - 1];
  const outer = total / inner;
  const idx = new Int32Array(rank);
  let s = srcOff;
  let t = dstOff;
  const f32 = src instanceof Float32Array && dst instanceof Float32Array;
  // Short contiguous rows copy faster in a loop than through a subarray view each.
  const block = si === 1 && di === 1 && inner >= 64;
  for (let o = 0; o < outer; o++) {
    if (block) dst.set(src.subarray(s, s + inner) as never, t);
    else if (f32) copyRowF32(src, s, si, dst as Float32Array, t, di, inner);
    else for (let j = 0, sj = s, tj = t; j < inner; j++, sj += si, tj += di) dst[tj] = src[sj];
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]++;
      s += srcStrides[d];
      t += dstStrides[d];
      if (idx[d] < shape[d]) break;
      s -= srcStrides[d] * shape[d];
      t -= dstStrides[d] * shape[d];
      idx[d] = 0;
    }
  }
}
