import type { Shape } from '@tsgrad/core';
import { forEachIndex, type NumArray } from './strided.js';
import { addIntoF32, sumRowF32 } from './f32.js';

export type ReduceOp = 'sum' | 'max' | 'min';

/**
 * Reduces `axes` (sorted) of x into out, walking the input once in order. Accumulates in float64.
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
  reduceBlocks(op, x, shape, axes, acc);
  for (let i = 0; i < m; i++) out[i] = acc[i];
}

/**
 * The general case, block by block: adjacent axes with the same role are merged, and the last
 * merged group is a contiguous block that is either summed into one accumulator (reduced, e.g.
 * the H·W block of a BatchNorm statistic over [0, 2, 3]) or added elementwise into a run of
 * accumulators (kept). The odometer then steps once per block, not once per element.
 */
function reduceBlocks(op: ReduceOp, x: NumArray, shape: Shape, axes: readonly number[], acc: Float64Array): void {
  const sizes: number[] = [];
  const reduced: boolean[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const r = axes.includes(d);
    if (reduced.length > 0 && reduced[reduced.length - 1] === r) sizes[sizes.length - 1] *= shape[d];
    else {
      sizes.push(shape[d]);
      reduced.push(r);
    }
  }
  const g = sizes.length;
  if (g === 0) {
    combineRow(op, x, 0, 1, acc, 0);
    return;
  }
  const inner = sizes[g - 1];
  const innerReduced = reduced[g - 1];
  // Output strides of the outer groups (0 on reduced ones); a kept inner group is the fastest.
  const outStrides = new Array<number>(g).fill(0);
  let s = innerReduced ? 1 : inner;
  for (let d = g - 2; d >= 0; d--) {
    if (!reduced[d]) {
      outStrides[d] = s;
      s *= sizes[d];
    }
  }
  forEachIndex(sizes.slice(0, -1), [outStrides], [0], (b, [o]) => {
    const off = b * inner;
    if (innerReduced) combineRow(op, x, off, inner, acc, o);
    else if (op === 'sum') {
      if (x instanceof Float32Array) addIntoF32(x, off, inner, acc, o);
      else for (let c = 0; c < inner; c++) acc[o + c] += x[off + c];
    }
    else if (op === 'max') for (let c = 0; c < inner; c++) { const v = x[off + c]; if (v > acc[o + c] || v !== v) acc[o + c] = v; }
    else for (let c = 0; c < inner; c++) { const v = x[off + c]; if (v < acc[o + c] || v !== v) acc[o + c] = v; }
  });
}

/** Folds x[off, off + n) into acc[o] (NaN wins for max and min, as everywhere). */
function combineRow(op: ReduceOp, x: NumArray, off: number, n: number, acc: Float64Array, o: number): void {
  const init = op === 'sum' ? 0 : op === 'max' ? -Infinity : Infinity;
  const v = reduceRow(op, x, off, n, init);
  if (op === 'sum') acc[o] += v;
  else if (op === 'max') { if (v > acc[o] || v !== v) acc[o] = v; }
  else if (v < acc[o] || v !== v) acc[o] = v;
}

let scratchBuf = new Float64Array(1024);
/** A float64 accumulator buffer reused across calls (kernels run one at a time). */
function scratch(m: number): Float64Array {
  if (scratchBuf.length < m) scratchBuf = new Float64Array(Math.max(m, scratchBuf.length * 2));
  return scratchBuf;
}

function reduceRow(op: ReduceOp, x: NumArray, off: number, n: number, init: number): number {
  if (op === 'sum' && x instanceof Float32Array) return sumRowF32(x, off, n, init);
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
