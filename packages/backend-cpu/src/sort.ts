import type { Shape } from '@tsgrad/core';
import type { NumArray } from './strided.js';

/**
 * The argsort kernel: for each line of x along `axis`, the int32 positions that sort it, stable
 * (ties keep their order, descending too), NaN above every number (PyTorch's order), -0 equal
 * to 0. The comparator breaks ties by position, so the result does not depend on the engine's
 * sort being stable.
 */
export function argsortAxis(x: NumArray, shape: Shape, axis: number, descending: boolean, out: Int32Array): void {
  const n = shape[axis];
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  const outer = n === 0 || inner === 0 ? 0 : x.length / (n * inner);
  const line = new Float64Array(n);
  const order = new Int32Array(n);
  const sign = descending ? -1 : 1;
  const compare = (a: number, b: number): number => {
    const va = line[a];
    const vb = line[b];
    if (va < vb) return -sign;
    if (va > vb) return sign;
    const na = va !== va;
    if (na !== (vb !== vb)) return na ? sign : -sign;
    return a - b;
  };
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      for (let k = 0; k < n; k++) {
        line[k] = x[base + k * inner];
        order[k] = k;
      }
      order.sort(compare);
      for (let k = 0; k < n; k++) out[base + k * inner] = order[k];
    }
  }
}
