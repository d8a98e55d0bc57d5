import type { Shape } from '@tsgrad/core';
import { broadcastStrides, type NumArray } from './strided.js';

/**
 * Batched C = op(A) op(B), batch axes broadcast. Each layout has its own loop nest, with the
 * innermost loop running over contiguous memory; transposes are read in place.
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
  // op(B) with few rows is cheaper as a small contiguous copy than as K-long strided dot products.
  const bT = transB && K < 16 ? new Float64Array(K * N) : null;
  for (let t = 0; t < batches; t++) {
    const ao = aOff * M * K;
    const bo = bOff * K * N;
    const co = t * M * N;
    if (bT) {
      for (let j = 0; j < N; j++) for (let p = 0; p < K; p++) bT[p * N + j] = b[bo + j * K + p];
      if (transA) mmTN(a, ao, bT, 0, out, co, M, N, K);
      else mmNN(a, ao, bT, 0, out, co, M, N, K);
    } else if (transB) {
      if (transA) mmTT(a, ao, b, bo, out, co, M, N, K);
      else mmNT(a, ao, b, bo, out, co, M, N, K);
    } else if (transA) mmTN(a, ao, b, bo, out, co, M, N, K);
    else mmNN(a, ao, b, bo, out, co, M, N, K);
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

type Arr = NumArray | Float64Array;

/** C = A B: rows of C accumulate scaled rows of B (accumulated in a float64 row). */
function mmNN(a: Arr, ao: number, b: Arr, bo: number, c: Arr, co: number, M: number, N: number, K: number): void {
  const row = new Float64Array(N);
  for (let i = 0; i < M; i++) {
    row.fill(0);
    const ai = ao + i * K;
    for (let p = 0; p < K; p++) {
      const av = a[ai + p];
      const bp = bo + p * N;
      for (let j = 0; j < N; j++) row[j] += av * b[bp + j];
    }
    const ci = co + i * N;
    for (let j = 0; j < N; j++) c[ci + j] = row[j];
  }
}

/** C = Aᵀ B: A is stored K x M. */
function mmTN(a: Arr, ao: number, b: Arr, bo: number, c: Arr, co: number, M: number, N: number, K: number): void {
  const acc = new Float64Array(M * N);
  for (let p = 0; p < K; p++) {
    const ap = ao + p * M;
    const bp = bo + p * N;
    for (let i = 0; i < M; i++) {
      const av = a[ap + i];
      const ci = i * N;
      for (let j = 0; j < N; j++) acc[ci + j] += av * b[bp + j];
    }
  }
  for (let i = 0; i < M * N; i++) c[co + i] = acc[i];
}

/** C = A Bᵀ: dot products of rows of A and rows of B. */
function mmNT(a: Arr, ao: number, b: Arr, bo: number, c: Arr, co: number, M: number, N: number, K: number): void {
  for (let i = 0; i < M; i++) {
    const ai = ao + i * K;
    for (let j = 0; j < N; j++) {
      const bj = bo + j * K;
      let s = 0;
      for (let p = 0; p < K; p++) s += a[ai + p] * b[bj + p];
      c[co + i * N + j] = s;
    }
  }
}

/** C = Aᵀ Bᵀ. */
function mmTT(a: Arr, ao: number, b: Arr, bo: number, c: Arr, co: number, M: number, N: number, K: number): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const bj = bo + j * K;
      let s = 0;
      for (let p = 0; p < K; p++) s += a[ao + p * M + i] * b[bj + p];
      c[co + i * N + j] = s;
    }
  }
}
