/**
 * Float32-only copies of the hottest loops (elementwise arithmetic, where, sums, gathers and
 * strided copies), used when every operand is a Float32Array.
 *
 * Why: V8 specialises each `a[i]` in a function on the typed-array types it has seen there. The
 * generic loops see float32, float64, int32, bool (and storage dtypes) over a program's life, so
 * their element accesses become polymorphic or megamorphic and run 2-3x slower than a loop that
 * has only ever seen Float32Array. These functions are only ever called with Float32Arrays (and
 * Int32Array indices), so they stay monomorphic.
 *
 * Each does exactly the operations of its generic twin in the same order, so results are
 * bit-identical: only which copy of the loop runs changes.
 */
import type { BinaryOp, UnaryOp } from './elementwise.js';

/** out[o..o+n) = a[ai + i·as] (op) b[bi + i·bs] for add, sub, mul and div; false for other ops. */
export function binaryRowF32(op: BinaryOp, a: Float32Array, ai: number, as: number, b: Float32Array, bi: number, bs: number, out: Float32Array, o: number, n: number): boolean {
  const end = o + n;
  if (as === 1 && bs === 1) {
    const d = ai - o;
    const e = bi - o;
    switch (op) {
      case 'add': for (; o < end; o++) out[o] = a[o + d] + b[o + e]; return true;
      case 'sub': for (; o < end; o++) out[o] = a[o + d] - b[o + e]; return true;
      case 'mul': for (; o < end; o++) out[o] = a[o + d] * b[o + e]; return true;
      case 'div': for (; o < end; o++) out[o] = a[o + d] / b[o + e]; return true;
    }
    return false;
  }
  if (as === 1 && bs === 0) {
    // A scalar right operand for the row (a per-channel statistic over one H·W plane).
    const d = ai - o;
    const v = b[bi];
    switch (op) {
      case 'add': for (; o < end; o++) out[o] = a[o + d] + v; return true;
      case 'sub': for (; o < end; o++) out[o] = a[o + d] - v; return true;
      case 'mul': for (; o < end; o++) out[o] = a[o + d] * v; return true;
      case 'div': for (; o < end; o++) out[o] = a[o + d] / v; return true;
    }
    return false;
  }
  if (as === 0 && bs === 1) {
    const e = bi - o;
    const v = a[ai];
    switch (op) {
      case 'add': for (; o < end; o++) out[o] = v + b[o + e]; return true;
      case 'sub': for (; o < end; o++) out[o] = v - b[o + e]; return true;
      case 'mul': for (; o < end; o++) out[o] = v * b[o + e]; return true;
      case 'div': for (; o < end; o++) out[o] = v / b[o + e]; return true;
    }
    return false;
  }
  switch (op) {
    case 'add': for (; o < end; o++, ai += as, bi += bs) out[o] = a[ai] + b[bi]; return true;
    case 'sub': for (; o < end; o++, ai += as, bi += bs) out[o] = a[ai] - b[bi]; return true;
    case 'mul': for (; o < end; o++, ai += as, bi += bs) out[o] = a[ai] * b[bi]; return true;
    case 'div': for (; o < end; o++, ai += as, bi += bs) out[o] = a[ai] / b[bi]; return true;
  }
  return false;
}

/** x[i] -> out[i] for the unary ops training loops run most; false for the others. */
export function unaryF32(op: UnaryOp, x: Float32Array, out: Float32Array): boolean {
  const n = out.length;
  switch (op) {
    case 'neg': for (let i = 0; i < n; i++) out[i] = -x[i]; return true;
    case 'exp': for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]); return true;
    case 'log': for (let i = 0; i < n; i++) out[i] = Math.log(x[i]); return true;
    case 'sqrt': for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]); return true;
    case 'abs': for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]); return true;
    case 'relu': for (let i = 0; i < n; i++) { const v = x[i]; out[i] = v > 0 ? v : v !== v ? v : 0; } return true;
  }
  return false;
}

/** where(cond, a, b) with cond full-size and a, b full-size (step 1) or scalars (step 0). */
export function whereFlatF32(cond: Uint8Array, a: Float32Array, as: number, b: Float32Array, bs: number, out: Float32Array): void {
  const n = out.length;
  if (as === 1 && bs === 1) for (let i = 0; i < n; i++) out[i] = cond[i] ? a[i] : b[i];
  else if (as === 1) { const v = b[0]; for (let i = 0; i < n; i++) out[i] = cond[i] ? a[i] : v; }
  else if (bs === 1) { const v = a[0]; for (let i = 0; i < n; i++) out[i] = cond[i] ? v : b[i]; }
  else { const u = a[0]; const v = b[0]; for (let i = 0; i < n; i++) out[i] = cond[i] ? u : v; }
}

/** Σ x[off, off + n) accumulated in float64, from `init`, in increasing index. */
export function sumRowF32(x: Float32Array, off: number, n: number, init: number): number {
  let a = init;
  const end = off + n;
  for (let i = off; i < end; i++) a += x[i];
  return a;
}

/** acc[o + c] += x[off + c] for c < n (a kept block of a reduction), in float64. */
export function addIntoF32(x: Float32Array, off: number, n: number, acc: Float64Array, o: number): void {
  const d = off - o;
  const end = o + n;
  for (let c = o; c < end; c++) acc[c] += x[c + d];
}

/** out[to++] = src[o·n + idx[j]] for every outer row o and index j (a gather of single elements). */
export function gatherElementsF32(src: Float32Array, n: number, outer: number, idx: Int32Array, out: Float32Array): void {
  const m = idx.length;
  for (let o = 0, to = 0; o < outer; o++) {
    const base = o * n;
    for (let j = 0; j < m; j++) out[to++] = src[base + idx[j]];
  }
}

/** out[o·n + idx[j]] += src[from++] for every outer row o and index j (its adjoint). */
export function scatterAddElementsF32(src: Float32Array, n: number, outer: number, idx: Int32Array, out: Float32Array): void {
  const m = idx.length;
  for (let o = 0, from = 0; o < outer; o++) {
    const base = o * n;
    for (let j = 0; j < m; j++) out[base + idx[j]] += src[from++];
  }
}

/** dst[t + j·di] = src[s + j·si] for j < n: one row of a strided copy. */
export function copyRowF32(src: Float32Array, s: number, si: number, dst: Float32Array, t: number, di: number, n: number): void {
  if (si === 0) {
    const v = src[s];
    for (let j = 0; j < n; j++, t += di) dst[t] = v;
    return;
  }
  for (let j = 0; j < n; j++, s += si, t += di) dst[t] = src[s];
}
