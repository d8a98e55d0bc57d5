// The wasm elementwise kernels against the CPU backend's, which are their specification: float32
// add, sub, mul, div, sqrt and every comparison, selection, negation and gather are exact or
// correctly rounded in both (JavaScript computes in float64 and rounds once, which for these
// operations is the float32 result), so the results must be equal bit for bit; sums accumulate in
// float64 in another order, so they must agree to float32 rounding.
import { describe, expect, it } from 'vitest';
import { cpuKernels, type CpuHandle } from '@tsgrad/backend-cpu';
import { sizeOf, ValueError, type DType, type KernelInput, type Shape } from '@tsgrad/core';
import { createWasmBackend } from '@tsgrad/backend-wasm';

/** A seeded PRNG (mulberry32), values uniform in [-2, 2) rounded to float32, with specials sprinkled in. */
function values(n: number, seed: number, specials = true): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  const odd = [0, -0, NaN, Infinity, -Infinity, 1e-40, -3e38];
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = specials && i % 37 === 5 ? odd[(i / 37) % odd.length | 0] : u * 4 - 2;
  }
  return out;
}

const input = (handle: CpuHandle, shape: Shape, dtype: DType = 'float32'): KernelInput<CpuHandle> => ({ handle, shape, dtype });

/** Bitwise equality that treats every NaN alike (payloads are not part of the contract). */
function expectSameBits(got: ArrayLike<number>, want: ArrayLike<number>): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (Number.isNaN(w) && Number.isNaN(g)) continue;
    if (!Object.is(g, w)) throw new Error(`element ${i}: got ${g}, want ${w}`);
  }
}

// Every float32 op of at least one element goes to wasm where the layout allows.
const wasm = createWasmBackend('wasm-elementwise-test', { minElements: 0 });

/** Runs a kernel on the wasm backend, checks that it took a wasm kernel, and returns its result. */
function onWasm(name: string, inputs: KernelInput<CpuHandle>[], params: object, shape: Shape, dtype: DType, expectWasm = true): CpuHandle {
  const before = wasm.simdOps;
  const out = (wasm.kernels as unknown as Record<string, (i: unknown, p: unknown, s: Shape, d: DType) => CpuHandle>)[name](inputs, params, shape, dtype);
  expect(wasm.simdOps - before, `${name} ${JSON.stringify(inputs.map((i) => i.shape))} should ${expectWasm ? '' : 'not '}take a wasm kernel`).toBe(expectWasm ? 1 : 0);
  return out;
}
const onCpu = (name: string, inputs: KernelInput<CpuHandle>[], params: object, shape: Shape, dtype: DType): CpuHandle =>
  (cpuKernels as unknown as Record<string, (i: unknown, p: unknown, s: Shape, d: DType) => CpuHandle>)[name](inputs, params, shape, dtype);

// [a shape, b shape, result shape]: same shapes (odd lengths for the scalar tails), scalars on
// either side, a per-channel statistic (BatchNorm), a row broadcast, a column broadcast, a bias.
const layouts: [Shape, Shape, Shape][] = [
  [[3, 5, 7], [3, 5, 7], [3, 5, 7]],
  [[1031], [], [1031]],
  [[], [2, 517], [2, 517]],
  [[4, 3, 6, 6], [1, 3, 1, 1], [4, 3, 6, 6]],
  [[1, 3, 1, 1], [4, 3, 6, 6], [4, 3, 6, 6]],
  [[5, 40], [5, 1], [5, 40]],
  [[2, 1, 33], [2, 3, 1], [2, 3, 33]],
  [[3, 64], [64], [3, 64]],
];

describe('wasm elementwise kernels equal the CPU kernels bit for bit', () => {
  for (const op of ['add', 'sub', 'mul', 'div', 'equal', 'notEqual', 'less', 'lessEqual', 'greater', 'greaterEqual']) {
    it(`${op} on broadcast layouts`, () => {
      const dtype: DType = ['add', 'sub', 'mul', 'div'].includes(op) ? 'float32' : 'bool';
      layouts.forEach(([as, bs, os], k) => {
        const a = input(values(sizeOf(as), 10 + k), as);
        // Shared values make equal/lessEqual/greaterEqual see ties.
        const b = input(k === 0 ? values(sizeOf(bs), 10 + k) : values(sizeOf(bs), 50 + k), bs);
        expectSameBits(onWasm(op, [a, b], {}, os, dtype) as ArrayLike<number>, onCpu(op, [a, b], {}, os, dtype) as ArrayLike<number>);
      });
    });
  }

  for (const op of ['neg', 'abs', 'sqrt', 'relu']) {
    it(`${op}, with NaN, ±0 and ±Infinity`, () => {
      const x = input(values(1029, 3), [1029]);
      expectSameBits(onWasm(op, [x], {}, [1029], 'float32') as Float32Array, onCpu(op, [x], {}, [1029], 'float32') as Float32Array);
    });
  }

  it('relu sends -0 to +0 and keeps NaN, as the CPU kernel', () => {
    const x = input(new Float32Array([-0, NaN, -1, 2, 0, -Infinity, Infinity]), [7]);
    expectSameBits(onWasm('relu', [x], {}, [7], 'float32') as Float32Array, [0, NaN, 0, 2, 0, 0, Infinity]);
  });

  it('where with full, scalar and mixed branches', () => {
    const n = 1027;
    const cond = input(Uint8Array.from(values(n, 7, false), (v) => (v > 0 ? 1 : 0)), [n], 'bool');
    const full = input(values(n, 8), [n]);
    const other = input(values(n, 9), [n]);
    const scalar = input(new Float32Array([-0]), []);
    for (const [a, b] of [
      [full, other],
      [full, scalar],
      [scalar, other],
      [scalar, scalar],
    ]) {
      expectSameBits(onWasm('where', [cond, a, b], {}, [n], 'float32') as Float32Array, onCpu('where', [cond, a, b], {}, [n], 'float32') as Float32Array);
    }
  });

  it('gather and scatterAdd of single elements (im2col), with repeated indices', () => {
    const x = input(values(2 * 3 * 50, 11), [2, 3, 50]);
    const idx = input(Int32Array.from({ length: 40 }, (_, j) => (j * 7) % 50), [4, 10], 'int32');
    const g = onWasm('gather', [x, idx], { axis: 2 }, [2, 3, 4, 10], 'float32');
    expectSameBits(g as Float32Array, onCpu('gather', [x, idx], { axis: 2 }, [2, 3, 4, 10], 'float32') as Float32Array);
    const u = input(values(2 * 3 * 40, 12), [2, 3, 4, 10]);
    const s = onWasm('scatterAdd', [u, idx], { axis: 2, shape: [2, 3, 50] }, [2, 3, 50], 'float32');
    expectSameBits(s as Float32Array, onCpu('scatterAdd', [u, idx], { axis: 2, shape: [2, 3, 50] }, [2, 3, 50], 'float32') as Float32Array);
  });

  it('argmax over the last axis (pooling windows), with NaN and ties: the first largest, NaN largest', () => {
    const x = input(values(300 * 4, 13), [300, 4]);
    expectSameBits(onWasm('argmax', [x], { axis: 1 }, [300], 'int32') as Int32Array, onCpu('argmax', [x], { axis: 1 }, [300], 'int32') as Int32Array);
    const ties = input(new Float32Array([1, 3, 3, 2, NaN, 5, NaN, 1, -Infinity, -Infinity, -Infinity, -Infinity]), [3, 4]);
    expectSameBits(onWasm('argmax', [ties], { axis: 1 }, [3], 'int32') as Int32Array, [1, 0, 0]);
    // Not the last axis: the CPU kernel.
    expectSameBits(onWasm('argmax', [x], { axis: 0 }, [4], 'int32', false) as Int32Array, onCpu('argmax', [x], { axis: 0 }, [4], 'int32') as Int32Array);
  });

  it('an out-of-range index gets the CPU kernel’s ValueError', () => {
    const x = input(values(20, 1), [20]);
    const idx = input(new Int32Array([3, 20]), [2], 'int32');
    expect(() => wasm.kernels.gather([x, idx], { axis: 0 }, [2], 'float32')).toThrow(ValueError);
    expect(() => wasm.kernels.gather([x, idx], { axis: 0 }, [2], 'float32')).toThrow(/index 20 at position 1 is out of range/);
  });

  it('layouts the wasm kernels do not take run on the CPU kernels: short broadcast rows, slices of several elements, float64', () => {
    const a = input(values(64 * 10, 1), [64, 10]);
    const bias = input(values(10, 2), [10]);
    expectSameBits(onWasm('add', [a, bias], {}, [64, 10], 'float32', false) as Float32Array, onCpu('add', [a, bias], {}, [64, 10], 'float32') as Float32Array);
    const rows = input(values(6 * 4, 3), [6, 4]);
    const idx = input(new Int32Array([5, 0, 2]), [3], 'int32');
    expectSameBits(onWasm('gather', [rows, idx], { axis: 0 }, [3, 4], 'float32', false) as Float32Array, onCpu('gather', [rows, idx], { axis: 0 }, [3, 4], 'float32') as Float32Array);
    const d = input(Float64Array.from(values(100, 4)), [100], 'float64');
    expectSameBits(onWasm('mul', [d, d], {}, [100], 'float64', false) as Float64Array, onCpu('mul', [d, d], {}, [100], 'float64') as Float64Array);
  });
});

describe('wasm sums agree with the CPU kernel to float32 rounding', () => {
  // [shape, axes]: BatchNorm's statistic over [0, 2, 3], a row sum, everything, a middle axis
  // reduced with a reduced innermost group.
  const cases: [Shape, number[]][] = [
    [[4, 3, 9, 7], [0, 2, 3]],
    [[6, 131], [1]],
    [[5, 4, 33], [0, 1, 2]],
    [[3, 4, 2, 20], [1, 3]],
  ];
  for (const [shape, axes] of cases) {
    it(`sum over ${JSON.stringify(axes)} of ${JSON.stringify(shape)}`, () => {
      const x = input(values(sizeOf(shape), 21, false), shape);
      const outShape = shape.filter((_, d) => !axes.includes(d));
      const got = onWasm('sum', [x], { axes }, outShape, 'float32') as Float32Array;
      const want = onCpu('sum', [x], { axes }, outShape, 'float64') as Float64Array; // float64 result: the exact float64 accumulation
      // Half an ulp of float32 for the final rounding, plus a generous bound on reordering
      // float64 additions of at most sizeOf(shape) terms of magnitude < 2.
      const bound = (w: number) => 2 ** -24 * Math.abs(w) + 2 * sizeOf(shape) * sizeOf(shape) * 2 ** -53;
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(bound(want[i]));
    });
  }

  it('a kept innermost axis (a column sum) stays on the CPU kernel, bit for bit', () => {
    const x = input(values(64 * 40, 5, false), [64, 40]);
    expectSameBits(onWasm('sum', [x], { axes: [0] }, [40], 'float32', false) as Float32Array, onCpu('sum', [x], { axes: [0] }, [40], 'float32') as Float32Array);
  });
});
