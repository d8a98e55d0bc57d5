import type { Shape } from '@tsgrad/core';
import { broadcastStrides, forEachIndex, mergeAxes, type NumArray } from './strided.js';
import { binaryRowF32, unaryF32, whereFlatF32 } from './f32.js';

export type UnaryOp = 'neg' | 'exp' | 'log' | 'log1p' | 'sqrt' | 'abs' | 'sign' | 'relu' | 'sigmoid' | 'tanh' | 'sin' | 'cos' | 'erf' | 'floor';
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'equal' | 'notEqual' | 'less' | 'lessEqual' | 'greater' | 'greaterEqual';

/** One loop per op (no per-element dispatch): x[i] -> out[i]. */
export function unaryLoop(op: UnaryOp, x: NumArray, out: NumArray): void {
  if (x instanceof Float32Array && out instanceof Float32Array && unaryF32(op, x, out)) return;
  const n = out.length;
  switch (op) {
    case 'neg': for (let i = 0; i < n; i++) out[i] = -x[i]; return;
    case 'exp': for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]); return;
    case 'log': for (let i = 0; i < n; i++) out[i] = Math.log(x[i]); return;
    case 'log1p': for (let i = 0; i < n; i++) out[i] = Math.log1p(x[i]); return;
    case 'sqrt': for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]); return;
    case 'abs': for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]); return;
    case 'sign': for (let i = 0; i < n; i++) { const v = x[i]; out[i] = v > 0 ? 1 : v < 0 ? -1 : v; } return;
    case 'relu': for (let i = 0; i < n; i++) { const v = x[i]; out[i] = v > 0 ? v : v !== v ? v : 0; } return;
    case 'sigmoid': for (let i = 0; i < n; i++) { const v = x[i]; out[i] = v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)); } return;
    case 'tanh': for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]); return;
    case 'sin': for (let i = 0; i < n; i++) out[i] = Math.sin(x[i]); return;
    case 'cos': for (let i = 0; i < n; i++) out[i] = Math.cos(x[i]); return;
    case 'erf': for (let i = 0; i < n; i++) out[i] = erf(x[i]); return;
    case 'floor': for (let i = 0; i < n; i++) out[i] = Math.floor(x[i]); return;
  }
}

/**
 * erf to float64 accuracy: the all-positive series erf(x) = 2/√π e^{-x²} Σ (2x²)^n x / (2n+1)!!
 * has no cancellation; beyond |x| = 6 erf is ±1 in float64.
 */
export function erf(x: number): number {
  if (x !== x) return x;
  const ax = Math.abs(x);
  if (ax >= 6) return x > 0 ? 1 : -1;
  const x2 = ax * ax;
  let term = ax;
  let sum = ax;
  for (let n = 1; n < 400; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  const r = (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
  return x < 0 ? -r : r;
}

/**
 * C99's (and so PyTorch's and NumPy's) pow: 1 for pow(1, y) and pow(-1, ±Infinity), where
 * JavaScript's Math.pow gives NaN; every other case agrees with Math.pow.
 */
export function pow(x: number, y: number): number {
  if (x === 1 || (x === -1 && (y === Infinity || y === -Infinity))) return 1;
  return Math.pow(x, y);
}

/** out[o..o+n) = a[aOff + i*aStep] (op) b[bOff + i*bStep]: one row of a broadcast binary op. */
function binaryRow(op: BinaryOp, a: NumArray, ai: number, as: number, b: NumArray, bi: number, bs: number, out: NumArray, o: number, n: number): void {
  const end = o + n;
  switch (op) {
    case 'add': for (; o < end; o++, ai += as, bi += bs) out[o] = a[ai] + b[bi]; return;
    case 'sub': for (; o < end; o++, ai += as, bi += bs) out[o] = a[ai] - b[bi]; return;
    case 'mul': for (; o < end; o++, ai += as, bi += bs) out[o] = a[ai] * b[bi]; return;
    case 'div': for (; o < end; o++, ai += as, bi += bs) out[o] = a[ai] / b[bi]; return;
    case 'pow': for (; o < end; o++, ai += as, bi += bs) out[o] = pow(a[ai], b[bi]); return;
    case 'maximum': for (; o < end; o++, ai += as, bi += bs) { const x = a[ai], y = b[bi]; out[o] = x > y || x !== x ? x : y; } return;
    case 'minimum': for (; o < end; o++, ai += as, bi += bs) { const x = a[ai], y = b[bi]; out[o] = x < y || x !== x ? x : y; } return;
    case 'equal': for (; o < end; o++, ai += as, bi += bs) out[o] = a[ai] === b[bi] ? 1 : 0; return;
    case 'notEqual': for (; o < end; o++, ai += as, bi += bs) out[o] = a[ai] !== b[bi] ? 1 : 0; return;
    case 'less': for (; o < end; o++, ai += as, bi += bs) out[o] = a[ai] < b[bi] ? 1 : 0; return;
    case 'lessEqual': for (; o < end; o++, ai += as, bi += bs) out[o] = a[ai] <= b[bi] ? 1 : 0; return;
    case 'greater': for (; o < end; o++, ai += as, bi += bs) out[o] = a[ai] > b[bi] ? 1 : 0; return;
    case 'greaterEqual': for (; o < end; o++, ai += as, bi += bs) out[o] = a[ai] >= b[bi] ? 1 : 0; return;
  }
}

/** True when `shape`, broadcast to `outShape`, repeats one contiguous block along the leading axes. */
export function isTrailingTile(shape: Shape, outShape: Shape): boolean {
  const lead = outShape.length - shape.length;
  let i = 0;
  while (i < shape.length && shape[i] === 1) i++;
  for (let k = i; k < shape.length; k++) if (shape[k] !== outShape[k + lead]) return false;
  return true;
}

/**
 * out = full (op) tile, the tile of length m repeated over n/m rows; `swap` puts the tile on the
 * left (tile (op) full). Same element results as the general path: only the loop order is fixed.
 */
function binaryTile(f32: boolean, op: BinaryOp, full: NumArray, tile: NumArray, out: NumArray, n: number, m: number, swap: boolean): void {
  if (m === 0) return;
  if (f32 && (op === 'add' || op === 'sub' || op === 'mul' || op === 'div')) {
    const f = full as Float32Array;
    const t = tile as Float32Array;
    const r = out as Float32Array;
    if (!swap) for (let o = 0; o < n; o += m) binaryRowF32(op, f, o, 1, t, 0, 1, r, o, m);
    else for (let o = 0; o < n; o += m) binaryRowF32(op, t, 0, 1, f, o, 1, r, o, m);
    return;
  }
  if (!swap) {
    switch (op) {
      case 'add': for (let o = 0; o < n; o += m) for (let j = 0; j < m; j++) out[o + j] = full[o + j] + tile[j]; return;
      case 'sub': for (let o = 0; o < n; o += m) for (let j = 0; j < m; j++) out[o + j] = full[o + j] - tile[j]; return;
      case 'mul': for (let o = 0; o < n; o += m) for (let j = 0; j < m; j++) out[o + j] = full[o + j] * tile[j]; return;
      case 'div': for (let o = 0; o < n; o += m) for (let j = 0; j < m; j++) out[o + j] = full[o + j] / tile[j]; return;
    }
    for (let o = 0; o < n; o += m) binaryRow(op, full, o, 1, tile, 0, 1, out, o, m);
  } else {
    switch (op) {
      case 'add': for (let o = 0; o < n; o += m) for (let j = 0; j < m; j++) out[o + j] = tile[j] + full[o + j]; return;
      case 'sub': for (let o = 0; o < n; o += m) for (let j = 0; j < m; j++) out[o + j] = tile[j] - full[o + j]; return;
      case 'mul': for (let o = 0; o < n; o += m) for (let j = 0; j < m; j++) out[o + j] = tile[j] * full[o + j]; return;
      case 'div': for (let o = 0; o < n; o += m) for (let j = 0; j < m; j++) out[o + j] = tile[j] / full[o + j]; return;
    }
    for (let o = 0; o < n; o += m) binaryRow(op, tile, 0, 1, full, o, 1, out, o, m);
  }
}

/** One row through the float32 copy of the loop when every operand is float32 (see f32.ts), else the generic one. */
function row(f32: boolean, op: BinaryOp, a: NumArray, ai: number, as: number, b: NumArray, bi: number, bs: number, out: NumArray, o: number, n: number): void {
  if (f32 && binaryRowF32(op, a as Float32Array, ai, as, b as Float32Array, bi, bs, out as Float32Array, o, n)) return;
  binaryRow(op, a, ai, as, b, bi, bs, out, o, n);
}

/**
 * A binary op with NumPy broadcasting: whole-array rows when shapes agree, strided rows
 * otherwise. Adjacent axes that both operands walk alike are merged first, so a per-channel
 * operand [1, C, 1, 1] against [N, C, H, W] runs N·C rows of H·W (a scalar each), not N·C·H
 * rows of W.
 */
export function binaryBroadcast(op: BinaryOp, a: NumArray, aShape: Shape, b: NumArray, bShape: Shape, out: NumArray, outShape: Shape): void {
  const n = out.length;
  if (n === 0) return;
  const f32 = a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array;
  if (a.length === n && b.length === n) return row(f32, op, a, 0, 1, b, 0, 1, out, 0, n);
  if (b.length === 1 && a.length === n) return row(f32, op, a, 0, 1, b, 0, 0, out, 0, n);
  if (a.length === 1 && b.length === n) return row(f32, op, a, 0, 0, b, 0, 1, out, 0, n);
  // One operand full, the other repeating along the leading axes (a bias row): tile loops.
  if (a.length === n && isTrailingTile(bShape, outShape)) return binaryTile(f32, op, a, b, out, n, b.length, false);
  if (b.length === n && isTrailingTile(aShape, outShape)) return binaryTile(f32, op, b, a, out, n, a.length, true);
  const [shape, sa, sb] = mergeAxes(outShape, broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape));
  const rank = shape.length;
  const inner = shape[rank - 1];
  const ia = sa[rank - 1];
  const ib = sb[rank - 1];
  forEachIndex(shape.slice(0, -1), [sa, sb], [0, 0], (o, [ai, bi]) => row(f32, op, a, ai, ia, b, bi, ib, out, o * inner, inner));
}

/** where(cond, a, b) with three-way broadcasting. */
export function whereBroadcast(cond: NumArray, cShape: Shape, a: NumArray, aShape: Shape, b: NumArray, bShape: Shape, out: NumArray, outShape: Shape): void {
  const n = out.length;
  if (n === 0) return;
  if (cond.length === n && (a.length === n || a.length === 1) && (b.length === n || b.length === 1)) {
    // Full-size operands or scalars (where(mask, g, 0) in ReLU's gradient): one flat loop.
    const as = a.length === n ? 1 : 0;
    const bs = b.length === n ? 1 : 0;
    if (cond instanceof Uint8Array && a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array) return whereFlatF32(cond, a, as, b, bs, out);
    for (let i = 0, ai = 0, bi = 0; i < n; i++, ai += as, bi += bs) out[i] = cond[i] ? a[ai] : b[bi];
    return;
  }
  // Row by row over the merged axes, each row a strided loop over all three operands.
  const [shape, sc, sa, sb] = mergeAxes(outShape, broadcastStrides(cShape, outShape), broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape));
  const rank = shape.length;
  const inner = shape[rank - 1];
  const [ic, ia, ib] = [sc[rank - 1], sa[rank - 1], sb[rank - 1]];
  forEachIndex(shape.slice(0, -1), [sc, sa, sb], [0, 0, 0], (r, [ci, ai, bi]) => {
    for (let j = 0, o = r * inner; j < inner; j++, o++, ci += ic, ai += ia, bi += ib) out[o] = cond[ci] ? a[ai] : b[bi];
  });
}
