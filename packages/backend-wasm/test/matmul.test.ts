// The SIMD matmul and fused linear against the CPU reference, on shapes that take the SIMD path.
// The wasm kernel accumulates in float32 (the reference in float64), so each element is held to
// the bound of float32 summation: |got - exact| <= 2 K 2^-24 Σ_p |A(i,p) B(p,j)| (+ the rounding
// of the bias add), computed per element from a float64 reference.
import { describe, expect, it } from 'vitest';
import { cpuFusedKernels, cpuKernels, type CpuHandle } from '@tsgrad/backend-cpu';
import { currentBackendName, getBackend, listBackends, matmul, tensor, tidy, type KernelInput, type Shape } from '@tsgrad/core';
import { createWasmBackend, WasmBackend } from '@tsgrad/backend-wasm';

const U = 2 ** -24;

/** A seeded PRNG (mulberry32), values uniform in [-1, 1) rounded to float32. */
function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

const size = (s: Shape) => s.reduce((p, d) => p * d, 1);
const input = (handle: CpuHandle, shape: Shape, dtype: 'float32' | 'float64' = 'float32'): KernelInput<CpuHandle> => ({ handle, shape, dtype });
const f64 = (x: ArrayLike<number>) => Float64Array.from(x);
const abs64 = (x: ArrayLike<number>) => Float64Array.from(x, Math.abs);

/** The result shape of a batched matmul (batch axes broadcast). */
function outShapeOf(aShape: Shape, bShape: Shape, transA: boolean, transB: boolean): Shape {
  const M = transA ? aShape[aShape.length - 1] : aShape[aShape.length - 2];
  const N = transB ? bShape[bShape.length - 2] : bShape[bShape.length - 1];
  const ab = aShape.slice(0, -2);
  const bb = bShape.slice(0, -2);
  const r = Math.max(ab.length, bb.length);
  const batch: number[] = [];
  for (let d = 0; d < r; d++) {
    const x = ab[d - (r - ab.length)] ?? 1;
    const y = bb[d - (r - bb.length)] ?? 1;
    batch.push(x === 1 ? y : x);
  }
  return [...batch, M, N];
}

/** Checks `got` against the float64 product within the float32 summation bound. */
function expectWithinBound(got: ArrayLike<number>, exact: ArrayLike<number>, absSum: ArrayLike<number>, K: number, extra = 0): void {
  expect(got.length).toBe(exact.length);
  for (let i = 0; i < exact.length; i++) {
    const e = exact[i];
    const bound = 2 * Math.max(K, 1) * U * absSum[i] + 2 * U * Math.abs(e) + extra * U * (Math.abs(e) + 1) + 1e-30;
    if (!(Math.abs(got[i] - e) <= bound)) throw new Error(`element ${i}: got ${got[i]}, exact ${e}, bound ${bound}`);
  }
}

function checkMatmul(backend: WasmBackend, aShape: Shape, bShape: Shape, transA: boolean, transB: boolean, seed: number): void {
  const a = random(size(aShape), seed);
  const b = random(size(bShape), seed + 1);
  const out = outShapeOf(aShape, bShape, transA, transB);
  const K = transA ? aShape[aShape.length - 2] : aShape[aShape.length - 1];
  const p = { transA, transB };
  const before = backend.simdProducts;
  const got = backend.kernels.matmul([input(a, aShape), input(b, bShape)], p, out, 'float32');
  expect(backend.simdProducts, 'this product should take the SIMD path').toBe(before + 1);
  expect(got).toBeInstanceOf(Float32Array);
  const exact = cpuKernels.matmul([input(f64(a), aShape, 'float64'), input(f64(b), bShape, 'float64')], p, out, 'float64');
  const absSum = cpuKernels.matmul([input(abs64(a), aShape, 'float64'), input(abs64(b), bShape, 'float64')], p, out, 'float64');
  expectWithinBound(got, exact, absSum, K);
  backend.dispose(got);
}

const layouts = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const;
const shape2 = (rows: number, cols: number, trans: boolean): Shape => (trans ? [cols, rows] : [rows, cols]);

describe('wasm matmul against the float64 reference', () => {
  const backend = createWasmBackend('wasm-matmul-test');

  describe.each(layouts)('transA %s, transB %s', (transA, transB) => {
    it.each([
      [37, 29, 53],
      [5, 7, 300],
      [64, 31, 17],
      [3, 130, 41],
      [128, 256, 97],
    ])('M=%i N=%i K=%i', (M, N, K) => {
      checkMatmul(backend, shape2(M, K, transA), shape2(K, N, transB), transA, transB, M * 1000 + N * 10 + K);
    });

    it('large K (K = 3001)', () => {
      checkMatmul(backend, shape2(9, 3001, transA), shape2(3001, 11, transB), transA, transB, 7);
    });

    it('batch axes broadcast: [3,1,M,K] x [4,K,N] -> [3,4,M,N]', () => {
      const [M, N, K] = [13, 21, 19];
      checkMatmul(backend, [3, 1, ...shape2(M, K, transA)], [4, ...shape2(K, N, transB)], transA, transB, 11);
    });

    it('batched A with a shared B (one GEMM over all batch rows when A is untransposed)', () => {
      const [M, N, K] = [7, 33, 25];
      checkMatmul(backend, [2, 3, ...shape2(M, K, transA)], shape2(K, N, transB), transA, transB, 12);
    });

    it('a shared A with batched B', () => {
      const [M, N, K] = [7, 33, 25];
      checkMatmul(backend, shape2(M, K, transA), [5, ...shape2(K, N, transB)], transA, transB, 13);
    });
  });

  it('K = 1 (an outer product) stays on the JS kernel by default, and is right on the SIMD kernel too', () => {
    const a = random(300, 1);
    const b = random(70, 2);
    const p = { transA: false, transB: false };
    const before = backend.simdProducts;
    const js = backend.kernels.matmul([input(a, [300, 1]), input(b, [1, 70])], p, [300, 70], 'float32');
    expect(backend.simdProducts).toBe(before);
    expect(js).toEqual(cpuKernels.matmul([input(a, [300, 1]), input(b, [1, 70])], p, [300, 70], 'float32'));
    const everywhere = createWasmBackend('wasm-k1', { minMultiplyAdds: 0 });
    for (const [transA, transB] of layouts) checkMatmul(everywhere, shape2(300, 1, transA), shape2(1, 70, transB), transA, transB, 3);
  });

  it('matrix-vector products (M = 1 or N = 1) are right on the SIMD kernel', () => {
    const everywhere = createWasmBackend('wasm-mv', { minMultiplyAdds: 0 });
    for (const [transA, transB] of layouts) {
      checkMatmul(everywhere, shape2(1, 500, transA), shape2(500, 37, transB), transA, transB, 4);
      checkMatmul(everywhere, shape2(37, 500, transA), shape2(500, 1, transB), transA, transB, 5);
    }
  });

  it('small products stay on the JS kernel and give the CPU backend’s result bit for bit', () => {
    const a = random(6 * 5, 1);
    const b = random(5 * 4, 2);
    const before = backend.simdProducts;
    const got = backend.kernels.matmul([input(a, [6, 5]), input(b, [5, 4])], { transA: false, transB: false }, [6, 4], 'float32');
    expect(backend.simdProducts).toBe(before);
    expect(got).toEqual(cpuKernels.matmul([input(a, [6, 5]), input(b, [5, 4])], { transA: false, transB: false }, [6, 4], 'float32'));
  });

  it('float64 and int32 stay on the JS kernels, bit for bit', () => {
    const a = f64(random(64 * 80, 1));
    const b = f64(random(80 * 48, 2));
    const p = { transA: false, transB: true };
    const before = backend.simdProducts;
    const got = backend.kernels.matmul([input(a, [64, 80], 'float64'), input(b, [48, 80], 'float64')], p, [64, 48], 'float64');
    expect(got).toEqual(cpuKernels.matmul([input(a, [64, 80], 'float64'), input(b, [48, 80], 'float64')], p, [64, 48], 'float64'));
    const ia = Int32Array.from(a, (v) => Math.round(v * 10));
    const ib = Int32Array.from(b, (v) => Math.round(v * 10));
    const ii = (h: Int32Array, s: Shape): KernelInput<CpuHandle> => ({ handle: h, shape: s, dtype: 'int32' });
    const gi = backend.kernels.matmul([ii(ia, [64, 80]), ii(ib, [48, 80])], p, [64, 48], 'int32');
    expect(gi).toBeInstanceOf(Int32Array);
    expect(gi).toEqual(cpuKernels.matmul([ii(ia, [64, 80]), ii(ib, [48, 80])], p, [64, 48], 'int32'));
    expect(backend.simdProducts).toBe(before);
  });

  it('NaN and ±Infinity propagate as in the reference', () => {
    const [M, N, K] = [20, 24, 30];
    const a = random(M * K, 8);
    const b = random(K * N, 9);
    a[3 * K + 4] = NaN; // row 3 of C is NaN
    b[5 * N + 7] = Infinity; // column 7 of C is ±Inf (or NaN in row 3)
    const p = { transA: false, transB: false };
    const got = backend.kernels.matmul([input(a, [M, K]), input(b, [K, N])], p, [M, N], 'float32');
    const ref = cpuKernels.matmul([input(a, [M, K]), input(b, [K, N])], p, [M, N], 'float32');
    for (let i = 0; i < ref.length; i++) {
      if (Number.isFinite(ref[i])) expect(Math.abs(got[i] - ref[i])).toBeLessThan(1e-4);
      else expect(got[i]).toBe(ref[i]);
    }
  });

  it('keeps working while its scratch memory grows (views are remade after memory.grow)', () => {
    const fresh = createWasmBackend('wasm-grow');
    expect(fresh.wasmMemoryBytes()).toBe(0);
    checkMatmul(fresh, [16, 16], [16, 16], false, false, 1);
    const small = fresh.wasmMemoryBytes();
    checkMatmul(fresh, [300, 200], [200, 400], false, false, 2);
    expect(fresh.wasmMemoryBytes()).toBeGreaterThan(small);
    checkMatmul(fresh, [16, 16], [16, 16], false, true, 3);
    checkMatmul(fresh, [200, 300], [400, 200], true, true, 4);
  });
});

describe('wasm fused linear against the float64 reference', () => {
  const backend = createWasmBackend('wasm-linear-test');

  describe.each([
    [false, 'none'],
    [true, 'none'],
    [false, 'relu'],
    [true, 'relu'],
  ] as const)('bias %s, activation %s', (withBias, activation) => {
    it.each([
      [[64, 784] as Shape, 37],
      [[2, 17, 40] as Shape, 23],
      [[33, 129] as Shape, 10],
    ])('x %j, %i outputs', (xShape, outF) => {
      const K = xShape[xShape.length - 1];
      const x = random(size(xShape), 21);
      const w = random(outF * K, 22);
      const bias = random(outF, 23);
      const outShape = [...xShape.slice(0, -1), outF];
      const inputs = [input(x, xShape), input(w, [outF, K])];
      if (withBias) inputs.push(input(bias, [outF]));
      const before = backend.simdProducts;
      const got = backend.fused.linear(inputs, { activation }, outShape, 'float32');
      expect(backend.simdProducts).toBe(before + 1);
      const p = { transA: false, transB: true };
      const exact = cpuKernels.matmul([input(f64(x), xShape, 'float64'), input(f64(w), [outF, K], 'float64')], p, outShape, 'float64');
      const absSum = cpuKernels.matmul([input(abs64(x), xShape, 'float64'), input(abs64(w), [outF, K], 'float64')], p, outShape, 'float64');
      for (let i = 0; i < exact.length; i++) {
        if (withBias) exact[i] += bias[i % outF];
        if (activation === 'relu' && exact[i] < 0) exact[i] = 0;
      }
      // relu near 0: the float32 sum may land on the other side of 0 than the exact one, which
      // the bound on |z| also covers since relu is 1-Lipschitz.
      expectWithinBound(got, exact, absSum, K, withBias ? 2 : 0);
      // The same as the CPU backend's fused kernel within float32 tolerance.
      const cpu = cpuFusedKernels.linear(inputs, { activation }, outShape, 'float32');
      for (let i = 0; i < cpu.length; i++) expect(Math.abs(got[i] - cpu[i])).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(cpu[i])));
    });
  });

  it('relu keeps NaN and turns -0 and negatives into 0, as the CPU kernel', () => {
    const [M, N, K] = [8, 16, 64];
    const x = random(M * K, 31);
    const w = new Float32Array(N * K); // all zero: every output is the bias
    const bias = new Float32Array(N);
    bias.set([NaN, -0, -1, 2, Infinity, -Infinity]);
    const outShape = [M, N];
    const inputs = [input(x, [M, K]), input(w, [N, K]), input(bias, [N])];
    const got = backend.fused.linear(inputs, { activation: 'relu' }, outShape, 'float32');
    const ref = cpuFusedKernels.linear(inputs, { activation: 'relu' }, outShape, 'float32');
    expect(Array.from(got)).toEqual(Array.from(ref));
    expect(Object.is(got[1], 0)).toBe(true);
  });

  it('falls back to the JS kernel for float64', () => {
    const x = f64(random(64 * 50, 1));
    const w = f64(random(20 * 50, 2));
    const bias = f64(random(20, 3));
    const inputs = [input(x, [64, 50], 'float64'), input(w, [20, 50], 'float64'), input(bias, [20], 'float64')];
    const before = backend.simdProducts;
    const got = backend.fused.linear(inputs, { activation: 'relu' }, [64, 20], 'float64');
    expect(backend.simdProducts).toBe(before);
    expect(got).toEqual(cpuFusedKernels.linear(inputs, { activation: 'relu' }, [64, 20], 'float64'));
  });
});

describe('the "wasm" backend through core', () => {
  it('is registered on import without becoming the default', () => {
    expect(listBackends()).toContain('wasm');
    expect(currentBackendName()).toBe('cpu');
    expect(getBackend('wasm')).toBeInstanceOf(WasmBackend);
  });

  it('matmul and its gradients agree with the CPU backend, and memory is counted', () => {
    const a = random(40 * 70, 41);
    const b = random(70 * 50, 42);
    const grads = (backend: string) =>
      tidy(() => {
        const x = tensor(a, { shape: [40, 70], backend, requiresGrad: true });
        const y = tensor(b, { shape: [70, 50], backend, requiresGrad: true });
        const z = matmul(x, y).relu().sum();
        z.backward();
        const r = { z: z.item(), gx: Float32Array.from(x.grad!.dataSync()), gy: Float32Array.from(y.grad!.dataSync()) };
        for (const t of [x.grad!, y.grad!]) t.dispose();
        return r;
      });
    const wasm = getBackend('wasm') as WasmBackend;
    grads('wasm'); // the first run may leave cached constants (the 0 of relu's gradient) behind
    const live = wasm.memory().buffers;
    const before = wasm.simdProducts;
    const w = grads('wasm');
    expect(wasm.simdProducts).toBeGreaterThanOrEqual(before + 3); // forward and both gradients
    const c = grads('cpu');
    expect(Math.abs(w.z - c.z)).toBeLessThanOrEqual(1e-4 * Math.abs(c.z));
    for (const [g, e] of [
      [w.gx, c.gx],
      [w.gy, c.gy],
    ] as const) {
      for (let i = 0; i < e.length; i++) expect(Math.abs(g[i] - e[i])).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(e[i])));
    }
    expect(wasm.memory().buffers).toBe(live);
  });
});
