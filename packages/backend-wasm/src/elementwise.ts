import type { Shape } from '@tsgrad/core';
import { broadcastStrides, mergeAxes } from '@tsgrad/backend-cpu';
import { align16, type HeapViews, type WasmGemm } from './gemm.js';

/**
 * The JavaScript side of assembly/elementwise.ts: each function copies its float32 operands into
 * the instance's scratch memory, runs one kernel (or one per row of a broadcast) and copies the
 * result into a buffer from `alloc`, which it returns. Each returns undefined, having allocated
 * nothing, for a layout it does not take (the caller then runs the CPU backend's kernel) or when
 * wasm memory cannot grow enough.
 */

/** Makes the result buffer (float32, or bytes for comparisons) of `n` elements. */
export type Alloc = (n: number) => Float32Array | Uint8Array;

/** Kernel op codes (assembly/elementwise.ts). */
export const BINARY_CODES = { add: 0, sub: 1, mul: 2, div: 3 } as const;
export const COMPARE_CODES = { equal: 0, notEqual: 1, less: 2, lessEqual: 3, greater: 4, greaterEqual: 5 } as const;
export const UNARY_CODES = { neg: 0, abs: 1, sqrt: 2, relu: 3 } as const;

/**
 * Broadcasts whose merged rows are shorter than this stay on the JS kernel: one kernel call per
 * row would cost more than the row (a bias of 10 classes, say).
 */
const MIN_ROW = 16;

/** Byte offsets of consecutive 16-byte-aligned regions of these sizes from the scratch base, and views of memory that hold them. */
function regions(k: WasmGemm, bytes: readonly number[]): { at: number[]; v: HeapViews } | undefined {
  const at: number[] = [];
  let p = k.base;
  for (const b of bytes) {
    at.push(p);
    p += align16(b);
  }
  const v = k.scratch(p);
  return v && { at, v };
}

/**
 * out = a (op) b with NumPy broadcasting, float32 arithmetic (`compare` false: out float32) or a
 * comparison (`compare` true: out bytes 0/1). Takes the layouts whose merged innermost axis each
 * operand walks contiguously or holds fixed (same shapes, scalars, per-channel and per-row
 * operands); the other axes are walked here, one kernel call per row.
 */
export function broadcastBinary(
  k: WasmGemm,
  code: number,
  compare: boolean,
  a: Float32Array,
  aShape: Shape,
  b: Float32Array,
  bShape: Shape,
  outShape: Shape,
  alloc: Alloc,
): Float32Array | Uint8Array | undefined {
  let n = 1;
  for (const d of outShape) n *= d;
  const [shape, sa, sb] = mergeAxes(outShape, broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape));
  const rank = shape.length;
  const inner = shape[rank - 1];
  const ia = sa[rank - 1];
  const ib = sb[rank - 1];
  if (ia > 1 || ib > 1) return undefined;
  const rows = n / inner;
  if (rows > 1 && inner < MIN_ROW) return undefined;
  const size = compare ? 1 : 4;
  const r = regions(k, [a.length * 4, b.length * 4, n * size]);
  if (!r) return undefined;
  const [pa, pb, po] = r.at;
  const { f32, u8 } = r.v;
  f32.set(a, pa >> 2);
  f32.set(b, pb >> 2);
  const kernel = compare ? k.exports.compare : k.exports.binary;
  if (rows === 1) kernel(code, pa, ia, pb, ib, po, n);
  else {
    const idx = new Int32Array(rank);
    let ai = 0;
    let bi = 0;
    for (let o = 0, off = 0; o < rows; o++, off += inner) {
      kernel(code, pa + 4 * ai, ia, pb + 4 * bi, ib, po + size * off, inner);
      for (let d = rank - 2; d >= 0; d--) {
        idx[d]++;
        ai += sa[d];
        bi += sb[d];
        if (idx[d] < shape[d]) break;
        ai -= sa[d] * shape[d];
        bi -= sb[d] * shape[d];
        idx[d] = 0;
      }
    }
  }
  const out = alloc(n);
  if (compare) out.set(u8.subarray(po, po + n));
  else out.set(f32.subarray(po >> 2, (po >> 2) + n));
  return out;
}

/** out = op(x) elementwise. */
export function unaryF32(k: WasmGemm, code: number, x: Float32Array, alloc: Alloc): Float32Array | Uint8Array | undefined {
  const n = x.length;
  const r = regions(k, [n * 4, n * 4]);
  if (!r) return undefined;
  const [px, po] = r.at;
  const { f32 } = r.v;
  f32.set(x, px >> 2);
  k.exports.unary(code, px, po, n);
  const out = alloc(n);
  out.set(f32.subarray(po >> 2, (po >> 2) + n));
  return out;
}

/** where(cond, a, b) with cond full-size (n bytes) and a, b full-size or single values. */
export function selectF32(k: WasmGemm, cond: Uint8Array, a: Float32Array, b: Float32Array, n: number, alloc: Alloc): Float32Array | Uint8Array | undefined {
  if (cond.length !== n || (a.length !== n && a.length !== 1) || (b.length !== n && b.length !== 1)) return undefined;
  const r = regions(k, [n, a.length * 4, b.length * 4, n * 4]);
  if (!r) return undefined;
  const [pc, pa, pb, po] = r.at;
  const { f32, u8 } = r.v;
  u8.set(cond, pc);
  f32.set(a, pa >> 2);
  f32.set(b, pb >> 2);
  k.exports.select(pc, pa, a.length === n ? 1 : 0, pb, b.length === n ? 1 : 0, po, n);
  const out = alloc(n);
  out.set(f32.subarray(po >> 2, (po >> 2) + n));
  return out;
}

/**
 * Sums `axes` (sorted) of x into out, as the CPU backend's reduction does: adjacent axes with the
 * same role merged, the innermost group reduced block by block (here the blocks' float64 sums
 * come from the kernel), each block's sum added in order into a float64 accumulator per output
 * element, then rounded to float32. Takes the layouts whose innermost merged group is reduced
 * (BatchNorm's [0, 2, 3], a row sum over the last axis); a kept innermost group (a column sum)
 * stays on the JS kernel.
 */
export function sumF32(k: WasmGemm, x: Float32Array, shape: Shape, axes: readonly number[], m: number, alloc: Alloc): Float32Array | Uint8Array | undefined {
  const sizes: number[] = [];
  const reduced: boolean[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const isReduced = axes.includes(d);
    if (reduced.length > 0 && reduced[reduced.length - 1] === isReduced) sizes[sizes.length - 1] *= shape[d];
    else {
      sizes.push(shape[d]);
      reduced.push(isReduced);
    }
  }
  const g = sizes.length;
  if (g === 0 || !reduced[g - 1] || sizes[g - 1] < MIN_ROW) return undefined;
  const inner = sizes[g - 1];
  const blocks = x.length / inner;
  const r = regions(k, [x.length * 4, blocks * 8]);
  if (!r) return undefined;
  const [px, pp] = r.at;
  const { f32, f64 } = r.v;
  f32.set(x, px >> 2);
  k.exports.rowSums(px, blocks, inner, pp);
  const partial = f64.subarray(pp >> 3, (pp >> 3) + blocks);
  const out = alloc(m);
  if (blocks === m) {
    // Every output element is one block (a trailing reduction).
    for (let i = 0; i < m; i++) out[i] = partial[i];
    return out;
  }
  // Output strides of the outer groups (0 on reduced ones), stepped once per block.
  const outStrides = new Array<number>(g).fill(0);
  let s = 1;
  for (let d = g - 2; d >= 0; d--) {
    if (!reduced[d]) {
      outStrides[d] = s;
      s *= sizes[d];
    }
  }
  const acc = new Float64Array(m);
  const idx = new Int32Array(g);
  let o = 0;
  for (let b = 0; b < blocks; b++) {
    acc[o] += partial[b];
    for (let d = g - 2; d >= 0; d--) {
      idx[d]++;
      o += outStrides[d];
      if (idx[d] < sizes[d]) break;
      o -= outStrides[d] * sizes[d];
      idx[d] = 0;
    }
  }
  for (let i = 0; i < m; i++) out[i] = acc[i];
  return out;
}

/** out[r] = argmax of row r of x viewed as [rows, len] (int32; the first largest, NaN largest). */
export function argmaxRowsF32(k: WasmGemm, x: Float32Array, len: number, out: Int32Array): boolean {
  const rows = out.length;
  const r = regions(k, [x.length * 4, rows * 4]);
  if (!r) return false;
  const [px, po] = r.at;
  const { f32, i32 } = r.v;
  f32.set(x, px >> 2);
  k.exports.argmaxRows(px, rows, len, po);
  out.set(i32.subarray(po >> 2, (po >> 2) + rows));
  return true;
}

/** True when every index lies in [0, n): the caller lets the CPU kernel refuse the others with its error. */
function inRange(idx: Int32Array, n: number): boolean {
  for (let i = 0; i < idx.length; i++) if (!(idx[i] >= 0 && idx[i] < n)) return false;
  return true;
}

/** out[o·m + j] = src[o·n + idx[j]] (m indices): a gather of single elements (conv's im2col, pooling's windows). */
export function gatherF32(k: WasmGemm, src: Float32Array, n: number, outer: number, idx: Int32Array, alloc: Alloc): Float32Array | Uint8Array | undefined {
  if (!inRange(idx, n)) return undefined;
  const size = outer * idx.length;
  const r = regions(k, [src.length * 4, idx.length * 4, size * 4]);
  if (!r) return undefined;
  const [ps, pi, po] = r.at;
  const { f32, i32 } = r.v;
  f32.set(src, ps >> 2);
  i32.set(idx, pi >> 2);
  k.exports.gatherElements(ps, n, outer, pi, idx.length, po);
  const out = alloc(size);
  out.set(f32.subarray(po >> 2, (po >> 2) + size));
  return out;
}

/** out[o·n + idx[j]] += src[o·m + j] into a zeroed out of outer·n elements: the adjoint of {@link gatherF32}. */
export function scatterAddF32(k: WasmGemm, src: Float32Array, n: number, outer: number, idx: Int32Array, alloc: Alloc): Float32Array | Uint8Array | undefined {
  if (!inRange(idx, n)) return undefined;
  const size = outer * n;
  const r = regions(k, [src.length * 4, idx.length * 4, size * 4]);
  if (!r) return undefined;
  const [ps, pi, po] = r.at;
  const { f32, i32 } = r.v;
  f32.set(src, ps >> 2);
  i32.set(idx, pi >> 2);
  f32.fill(0, po >> 2, (po >> 2) + size);
  k.exports.scatterAddElements(ps, n, outer, pi, idx.length, po);
  const out = alloc(size);
  out.set(f32.subarray(po >> 2, (po >> 2) + size));
  return out;
}
