// The CPU backend's broadcast loops (merged axes, float32 fast paths) against the definition of
// NumPy broadcasting: out[i] = a[index of i in a] (op) b[index of i in b], each operand's index
// found by dropping the broadcast axes of i's multi-index (numpy.org/doc/stable/user/basics.broadcasting.html).
import { describe, expect, it } from 'vitest';
import { cpuKernels, mergeAxes, type CpuHandle } from '@tsgrad/backend-cpu';
import { sizeOf, type DType, type Shape } from '@tsgrad/core';

/** Element `i` of a row-major `outShape`, read from an operand of `shape` broadcast to it. */
function broadcastIndex(i: number, outShape: Shape, shape: Shape): number {
  let at = 0;
  let stride = 1;
  for (let d = outShape.length - 1, e = shape.length - 1; d >= 0; d--, e--) {
    const coord = i % outShape[d];
    i = Math.floor(i / outShape[d]);
    if (e < 0) continue;
    if (shape[e] !== 1) at += coord * stride;
    stride *= shape[e];
  }
  return at;
}

const cases: [Shape, Shape, Shape][] = [
  [[2, 3, 4, 5], [1, 3, 1, 1], [2, 3, 4, 5]],
  [[1, 3, 1, 1], [2, 3, 4, 5], [2, 3, 4, 5]],
  [[2, 1, 6], [2, 3, 1], [2, 3, 6]],
  [[4, 1], [1, 5], [4, 5]],
  [[3, 1, 2, 1], [1, 4, 1, 5], [3, 4, 2, 5]],
  [[5], [3, 1], [3, 5]],
  [[], [2, 3], [2, 3]],
  [[2, 1, 1, 3], [2, 4, 5, 3], [2, 4, 5, 3]],
];

describe('CPU broadcast binary ops follow NumPy broadcasting', () => {
  for (const dtype of ['float32', 'float64', 'int32'] as DType[]) {
    it(`sub and div over broadcast layouts (${dtype})`, () => {
      for (const [as, bs, os] of cases) {
        const Arr = dtype === 'float32' ? Float32Array : dtype === 'float64' ? Float64Array : Int32Array;
        const a = Arr.from({ length: sizeOf(as) }, (_, i) => i * 3 + 1);
        const b = Arr.from({ length: sizeOf(bs) }, (_, i) => i + 2);
        for (const op of ['sub', 'div'] as const) {
          if (op === 'div' && dtype === 'int32') continue;
          const got = cpuKernels[op]([{ handle: a, shape: as, dtype }, { handle: b, shape: bs, dtype }], {}, os, dtype) as CpuHandle;
          const want = Array.from({ length: sizeOf(os) }, (_, i) => {
            const x = a[broadcastIndex(i, os, as)];
            const y = b[broadcastIndex(i, os, bs)];
            return op === 'sub' ? x - y : x / y;
          });
          expect(Array.from(got as ArrayLike<number>), `${op} ${JSON.stringify([as, bs])}`).toEqual(Array.from(Arr.from(want)));
        }
      }
    });
  }
});

describe('mergeAxes', () => {
  it('merges a per-channel operand against a full one to [N, C, H·W] and drops size-1 axes', () => {
    expect(mergeAxes([64, 16, 28, 28], [12544, 784, 28, 1], [0, 1, 0, 0])).toEqual([
      [64, 16, 784],
      [12544, 784, 1],
      [0, 1, 0],
    ]);
    expect(mergeAxes([1, 5, 1], [0, 1, 0])).toEqual([[5], [1]]);
    expect(mergeAxes([1, 1], [0, 0], [0, 0])).toEqual([[1], [0], [0]]);
  });
  it('keeps axes apart where one operand is broadcast on only one of them', () => {
    expect(mergeAxes([4, 5], [1, 0], [0, 1])).toEqual([
      [4, 5],
      [1, 0],
      [0, 1],
    ]);
  });
});
