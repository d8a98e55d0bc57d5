import type { Shape } from '@tsgrad/core';
import type { NumArray } from './strided.js';

export type ReduceOp = 'sum' | 'max' | 'min';

/**
 * Reduces `axes` (sorted) of x into out. The input is walked once in order; the result offset
 * follows an odometer whose strides are 0 on reduced axes. Accumulates in float64.
 */
export function reduceAxes(op: ReduceOp, x: NumArray, shape: Shape, axes: readonly number[], out: NumArray): void {
  const m = out.length;
  const rank = shape.length;
  const n = x.length;
  const init = op === 'sum' ? 0 : op === 'max' ? -Infinity : Infinity;
  // Reducing trailing axes (or all): one float64 accumulator per row, no scratch needed.
  let trailing = true;
  for (let i = 0; i < axes.length; i++) if (axes[axes.length - 1 - i] !== rank - 1 - i) trailing = false;
  if (trailing || n === 0) {
    const inner = m === 0 || n === 0 ? 0 : n / m;
    for (let r = 0, off = 0; r < m; r++, off += inner) out[r] = reduceRow(op, x, off, inner, init);
    return;
  }
  const acc = scratch(m);
  acc.fill(init, 0, m);
  {
    // Fast path: the reduced axes are the leading ones (column sums, e.g. a bias gradient).
    let leading = axes.length > 0;
    for (let i = 0; i < axes.length; i++) if (axes[i] !== i) leading = false;
    if (leading) {
      const rows = n / m;
      for (let r = 0, off = 0; r < rows; r++, off += m) {
        if (op === 'sum') for (let c = 0; c < m; c++) acc[c] += x[off + c];
        else if (op === 'max') for (let c = 0; c < m; c++) { const v = x[off + c]; if (v > acc[c] || v !== v) acc[c] = v; }
        else for (let c = 0; c < m; c++) { const v = x[off + c]; if (v < acc[c] || v !== v) acc[c] = v; }
      }
    } else {
      const outStrides = new Array<number>(rank);
      let s = 1;
      for (let d = rank - 1; d >= 0; d--) {
        if (axes.includes(d)) outStrides[d] = 0;
        else {
          outStrides[d] = s;
          s *= shape[d];
        }
      }
      const idx = new Int32Array(rank);
      let o = 0;
      for (let i = 0; i < n; i++) {
        const v = x[i];
        if (op === 'sum') acc[o] += v;
        else if (op === 'max') { if (v > acc[o] || v !== v) acc[o] = v; }
        else if (v < acc[o] || v !== v) acc[o] = v;
        for (let d = rank - 1; d >= 0; d--) {
          idx[d]++;
          o += outStrides[d];
          if (idx[d] < shape[d]) break;
          o -= outStrides[d] * shape[d];
          idx[d] = 0;
        }
      }
    }
  }
  for (let i = 0; i < m; i++) out[i] = acc[i];
}

let scratchBuf = new Float64Array(1024);
/** A float64 accumulator buffer reused across calls (kernels run one at a time). */
function scratch(m: number): Float64Array {
  if (scratchBuf.length < m) scratchBuf = new Float64Array(Math.max(m, scratchBuf.length * 2));
  return scratchBuf;
}

function reduceRow(op: ReduceOp, x: NumArray, off: number, n: number, init: number): number {
  let a = init;
  const end = off + n;
  if (op === 'sum') for (let i = off; i < end; i++) a += x[i];
  else if (op === 'max') for (let i = off; i < end; i++) { const v = x[i]; if (v > a || v !== v) a = v; }
  else for (let i = off; i < end; i++) { const v = x[i]; if (v < a || v !== v) a = v; }
  return a;
}

/** Index of the first largest element along `axis` (NaN counts as largest). */
export function argmaxAxis(x: NumArray, shape: Shape, axis: number, out: Int32Array): void {
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d];
  const n = shape[axis];
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let best = 0;
      let bestV = x[base];
      for (let k = 1; k < n && bestV === bestV; k++) {
        const v = x[base + k * inner];
        if (v > bestV || v !== v) {
          bestV = v;
          best = k;
        }
      }
      out[o * inner + i] = best;
    }
  }
}
