import type { Shape } from '@tsgrad/core';
import { broadcastStrides, forEachIndex, type NumArray } from './strided.js';

/**
 * Batched C = op(A) op(B), batch axes broadcast; transposes are read in place through strides.
 *
 * Semantics (the reference every backend is held to): each element of C is the dot product
 * Σ_p A(i,p)·B(p,j) accumulated in float64 in increasing p from 0, rounded once to C's dtype.
 * (JavaScript numbers are float64, so a local accumulator is exactly that.)
 */
export function matmulBatched(a: NumArray, aShape: Shape, b: NumArray, bShape: Shape, transA: boolean, transB: boolean, out: NumArray, outShape: Shape): void {
  const r = outShape.length;
  const M = outShape[r - 2];
  const N = outShape[r - 1];
  const K = transA ? aShape[aShape.length - 2] : aShape[aShape.length - 1];
  // A(i,p) = a[ao + i*ra + p*ca], B(p,j) = b[bo + p*rb + j*cb]
  const ra = transA ? 1 : K;
  const ca = transA ? M : 1;
  const rb = transB ? 1 : N;
  const cb = transB ? K : 1;
  if (r === 2 && aShape.length === 2 && bShape.length === 2) {
    gemm(a, 0, ra, ca, b, 0, rb, cb, out, 0, M, N, K);
    return;
  }
  forEachBatch(aShape, bShape, outShape, (t, aOff, bOff) => gemm(a, aOff * M * K, ra, ca, b, bOff * K * N, rb, cb, out, t * M * N, M, N, K));
}

/**
 * Walks the result's batch (all axes but the last two) of a broadcast matmul, calling `visit`
 * with the batch index and the matrix offsets (in matrices) of each operand; a broadcast batch
 * axis repeats its operand's matrix.
 */
export function forEachBatch(aShape: Shape, bShape: Shape, outShape: Shape, visit: (t: number, aMatrix: number, bMatrix: number) => void): void {
  const batchShape = outShape.slice(0, -2);
  const aBatch = broadcastStrides(aShape.slice(0, -2), batchShape);
  const bBatch = broadcastStrides(bShape.slice(0, -2), batchShape);
  forEachIndex(batchShape, [aBatch, bBatch], [0, 0], (t, [aOff, bOff]) => visit(t, aOff, bOff));
}

/**
 * One strided GEMM, register-blocked 2 rows x 4 columns of C (eight float64 accumulators, each
 * one output element summed over p in order), with 2x1, 1x4 and 1x1 edges.
 */
function gemm(a: NumArray, ao: number, ra: number, ca: number, b: NumArray, bo: number, rb: number, cb: number, c: NumArray, co: number, M: number, N: number, K: number): void {
  const M2 = M - (M % 2);
  const N4 = N - (N % 4);
  let i = 0;
  for (; i < M2; i += 2) {
    const a0 = ao + i * ra;
    const a1 = a0 + ra;
    const c0 = co + i * N;
    const c1 = c0 + N;
    let j = 0;
    for (; j < N4; j += 4) {
      const b0 = bo + j * cb;
      const b1 = b0 + cb;
      const b2 = b1 + cb;
      const b3 = b2 + cb;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      for (let p = 0, pa = 0, pb = 0; p < K; p++, pa += ca, pb += rb) {
        const x0 = a[a0 + pa];
        const x1 = a[a1 + pa];
        const y0 = b[b0 + pb];
        const y1 = b[b1 + pb];
        const y2 = b[b2 + pb];
        const y3 = b[b3 + pb];
        s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
        s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
      }
      c[c0 + j] = s00; c[c0 + j + 1] = s01; c[c0 + j + 2] = s02; c[c0 + j + 3] = s03;
      c[c1 + j] = s10; c[c1 + j + 1] = s11; c[c1 + j + 2] = s12; c[c1 + j + 3] = s13;
    }
    for (; j < N; j++) {
      const b0 = bo + j * cb;
      let s0 = 0, s1 = 0;
      for (let p = 0, pa = 0, pb = 0; p < K; p++, pa += ca, pb += rb) {
        const y = b[b0 + pb];
        s0 += a[a0 + pa] * y;
        s1 += a[a1 + pa] * y;
      }
      c[c0 + j] = s0;
      c[c1 + j] = s1;
    }
  }
  for (; i < M; i++) {
    const a0 = ao + i * ra;
    const c0 = co + i * N;
    let j = 0;
    for (; j < N4; j += 4) {
      const b0 = bo + j * cb;
      const b1 = b0 + cb;
      const b2 = b1 + cb;
      const b3 = b2 + cb;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = 0, pa = 0, pb = 0; p < K; p++, pa += ca, pb += rb) {
        const x = a[a0 + pa];
        s0 += x * b[b0 + pb]; s1 += x * b[b1 + pb]; s2 += x * b[b2 + pb]; s3 += x * b[b3 + pb];
      }
      c[c0 + j] = s0; c[c0 + j + 1] = s1; c[c0 + j + 2] = s2; c[c0 + j + 3] = s3;
    }
    for (; j < N; j++) {
      const b0 = bo + j * cb;
      let s = 0;
      for (let p = 0, pa = 0, pb = 0; p < K; p++, pa += ca, pb += rb) s += a[a0 + pa] * b[b0 + pb];
      c[c0 + j] = s;
    }
  }
}
