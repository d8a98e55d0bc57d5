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

/**
 * The output shape with size-1 axes dropped and each axis merged into the one before it where
 * every operand's stride there is its stride here times the size here (both contiguous, or both
 * broadcast): the same elements in the same order, walked with fewer, longer rows. Returns
 * [shape, ...strides], at least one axis (a single element is [1] with strides 0).
 * Example: [64, 16, 28, 28] with strides [12544, 784, 28, 1] (full) and [0, 1, 0, 0] (a
 * per-channel [1, 16, 1, 1]) merge to [64, 16, 784], [12544, 784, 1], [0, 1, 0].
 */
export function mergeAxes(outShape: Shape, ...strides: (readonly number[])[]): [number[], ...number[][]] {
  const shape: number[] = [];
  const merged: number[][] = strides.map(() => []);
  for (let d = 0; d < outShape.length; d++) {
    const size = outShape[d];
    if (size === 1) continue;
    const last = shape.length - 1;
    if (last >= 0 && strides.every((s, k) => merged[k][last] === s[d] * size)) {
      shape[last] *= size;
      strides.forEach((s, k) => (merged[k][last] = s[d]));
    } else {
      shape.push(size);
      strides.forEach((s, k) => merged[k].push(s[d]));
    }
  }
  if (shape.length === 0) {
    shape.push(1);
    merged.forEach((m) => m.push(0));
  }
  return [shape, ...merged];
}

export type NumArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * The backend's one strided index loop: visits every index of `shape` in row-major order, with
 * `offsets[k]` = starts[k] + Σ_d i_d strides[k][d] for each operand k, and `i` the index's
 * row-major position. Callers walk rows with it (shape without its last axis) and run their own
 * inner loop, so the per-call cost is paid once per row. `offsets` is reused: read it, don't keep it.
 */
export function forEachIndex(shape: Shape, strides: readonly (readonly number[])[], starts: readonly number[], visit: (i: number, offsets: number[]) => void): void {
  const rank = shape.length;
  const m = strides.length;
  let total = 1;
  for (const d of shape) total *= d;
  if (total === 0) return;
  const off = starts.slice();
  const idx = new Int32Array(rank);
  for (let i = 0; i < total; i++) {
    visit(i, off);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      for (let k = 0; k < m; k++) off[k] += strides[k][d];
      if (idx[d] < shape[d]) break;
      for (let k = 0; k < m; k++) off[k] -= strides[k][d] * shape[d];
      idx[d] = 0;
    }
  }
}

/**
 * dst[dstOff + Σ i_d dstStrides_d] = src[srcOff + Σ i_d srcStrides_d] over every index of
 * `shape`: permute, expand, slice and pad are this copy with different strides.
 */
export function stridedCopy(src: NumArray, srcOff: number, srcStrides: readonly number[], dst: NumArray, dstOff: number, dstStrides: readonly number[], shape: Shape): void {
  if (shape.length === 0) {
    dst[dstOff] = src[srcOff];
    return;
  }
  if (shape.some((d) => d === 0)) return;
  // Axes both sides walk alike merge into longer rows (an expand of [1, C, 1, 1] to
  // [N, C, H, W] fills N·C rows of H·W, not N·C·H rows of W).
  const [dims, ss, ds] = mergeAxes(shape, srcStrides, dstStrides);
  const rank = dims.length;
  const inner = dims[rank - 1];
  const si = ss[rank - 1];
  const di = ds[rank - 1];
  const f32 = src instanceof Float32Array && dst instanceof Float32Array;
  // Short contiguous rows copy faster in a loop than through a subarray view each.
  const block = si === 1 && di === 1 && inner >= 64;
  const fill = si === 0 && di === 1;
  forEachIndex(dims.slice(0, -1), [ss.slice(0, -1), ds.slice(0, -1)], [srcOff, dstOff], (_, [s, t]) => {
    if (block) dst.set(src.subarray(s, s + inner) as never, t);
    else if (fill) (dst as { fill(v: unknown, start: number, end: number): unknown }).fill(src[s], t, t + inner);
    else if (f32) copyRowF32(src, s, si, dst as Float32Array, t, di, inner);
    else for (let j = 0, sj = s, tj = t; j < inner; j++, sj += si, tj += di) dst[tj] = src[sj];
  });
}
