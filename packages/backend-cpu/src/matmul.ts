import type { Shape } from '@tsgrad/core';
import { broadcastStrides, type NumArray } from './strided.js';

/**
 * Batched C = op(A) op(B), batch axes broadcast. Loop order per layout keeps the innermost loop
 * on contiguous memory; transposes are read in place, never copied.
 */
export function matmulBatched(a: NumArray, aShape: Shape, b: NumArray, bShape: Shape, transA: boolean, transB: boolean, out: NumArray, outShape: Shape): void {
  const r = outShape.length;
  const M = outShape[r - 2];
  const N = outShape[r - 1];
  const K = transA ? aShape[aShape.length - 2] : aShape[aShape.length - 1];
  const batchShape = outShape.slice(0, -2);
  const batches = batchShape.reduce((p, d) => p * d, 1);
  const aBatch = broadcastStrides(aShape.slice(0, -2), batchShape);
  const bBatch = broadcastStrides(bShape.slice(0, -2), batchShape);
  const idx = new Int32Array(batchShape.length);
  let aOff = 0;
  let bOff = 0;
  out.fill(0);
  for (let t = 0; t < batches; t++) {
    matmul2d(a, aOff * M * K, b, bOff * K * N, out, t * M * N, M, N, K, transA, transB);
    for (let d = batchShape.length - 1; d >= 0; d--) {
      idx[d]++;
      aOff += aBatch[d];
      bOff += bBatch[d];
      if (idx[d] < batchShape[d]) break;
      aOff -= aBatch[d] * batchShape[d];
      bOff -= bBatch[d] * batchShape[d];
      idx[d] = 0;
    }
  }
}

function matmul2d(a: NumArray, ao: number, b: NumArray, bo: number, c: NumArray, co: number, M: number, N: number, K: number, transA: boolean, transB: boolean): void {
  if (!transB) {
    // C[i,:] += A[i,p] * B[p,:]
    for (let i = 0; i < M; i++) {
      const ci = co + i * N;
      for (let p = 0; p < K; p++) {
        const av = transA ? a[ao + p * M + i] : a[ao + i * K + p];
        const bp = bo + p * N;
        for (let j = 0; j < N; j++) c[ci + j] += av * b[bp + j];
      }
    }
  } else {
    // C[i,j] = dot(A[i,:], B[j,:])
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        const bj = bo + j * K;
        if (transA) for (let p = 0; p < K; p++) s += a[ao + p * M + i] * b[bj + p];
        else {
          const ai = ao + i * K;
          for (let p = 0; p < K; p++) s += a[ai + p] * b[bj + p];
        }
        c[co + i * N + j] = s;
      }
    }
  }
}
