import {
  registerBackend,
  sizeOf,
  type Backend,
  type DType,
  type DTypeArrays,
  type FusedKernels,
  type KernelInput,
  type Kernels,
  type MemoryInfo,
  type Shape,
  type StorageArray,
} from '@tsgrad/core';
import { CpuBackend, takeBuffer, type CpuHandle } from '@tsgrad/backend-cpu';
import { WasmGemm } from './gemm.js';
import { BINARY_CODES, COMPARE_CODES, UNARY_CODES, argmaxRowsF32, broadcastBinary, gatherF32, scatterAddF32, selectF32, sumF32, unaryF32, type Alloc } from './elementwise.js';

export { kernelModule } from './gemm.js';

/**
 * Products smaller than this many multiply-adds stay on the JavaScript kernel, where copying
 * the operands into wasm memory and out would cost more than SIMD saves.
 */
export const WASM_MIN_MULTIPLY_ADDS = 4096;
/**
 * Products with fewer multiply-adds per element copied (A, B and C) than this stay on the
 * JavaScript kernel too: matrix-vector products, outer products (K = 1) and the like are bound
 * by the copies, not the arithmetic.
 */
export const WASM_MIN_INTENSITY = 2;
/**
 * Elementwise kernels, sums, gathers and scatter-adds with fewer elements than this in both the
 * result and the first input stay on the JavaScript kernel (the call and the copies would cost
 * more than they save).
 */
export const WASM_MIN_ELEMENTS = 1024;

/**
 * How far this backend's float32 results may be from the float64-accumulating CPU reference,
 * in the conformance suite's terms (|a - e| <= atol + rtol |e|). Every kernel but matmul and
 * linear is the CPU backend's own; those two accumulate in float32 on the SIMD path, so the
 * error of an element grows with K (about K * 2^-24 * Σ|a·b| at worst): large products with
 * cancellation can exceed these, exactly as any float32 BLAS would.
 */
export const WASM_TOLERANCES = {
  float32: { atol: 1e-5, rtol: 1e-5, gradAtol: 1e-4, gradRtol: 1e-4 },
} as const;

export interface WasmBackendOptions {
  /**
   * Products below this many multiply-adds run on the JS kernel (default WASM_MIN_MULTIPLY_ADDS).
   * 0 sends every non-empty float32 product to wasm, whatever its shape (for tests).
   */
  minMultiplyAdds?: number;
  /**
   * Elementwise ops, sums, gathers and scatter-adds with fewer elements than this in both the
   * result and the first input run on the JS kernels (default WASM_MIN_ELEMENTS); 0 sends every
   * float32 one whose layout the wasm kernels take (for tests).
   */
  minElements?: number;
}

const isF32 = (x: KernelInput<CpuHandle>) => x.handle instanceof Float32Array;
const f32 = (x: KernelInput<CpuHandle>) => x.handle as Float32Array;

/**
 * The CPU backend's storage (a typed array per tensor) and every one of its kernels, except on
 * float32 tensors large enough to pay for copying them into wasm memory and back: `matmul` and
 * fused `linear` run in a WebAssembly SIMD128 GEMM, and add, sub, mul, div, neg, abs, sqrt,
 * relu, the comparisons, where, sum, and single-element gather and scatterAdd (im2col, pooling)
 * in SIMD128 kernels with the CPU backend's results (sum: to float32 rounding). float64 and int32
 * stay on the JS kernels, bit for bit the CPU backend's results.
 */
export class WasmBackend implements Backend<CpuHandle> {
  readonly kernels: Kernels<CpuHandle>;
  readonly fused: FusedKernels<CpuHandle>;
  readonly floatDTypes: readonly DType[];
  /** The CPU backend that owns storage, memory counters and every other kernel. */
  readonly cpu: CpuBackend;
  readonly minMultiplyAdds: number;
  readonly minElements: number;
  /** How many products (matmul or linear) ran in the SIMD kernel so far. */
  simdProducts = 0;
  /** How many other ops (elementwise, sum, gather, scatterAdd) ran in a wasm kernel so far. */
  simdOps = 0;
  private gemm: WasmGemm | undefined;

  constructor(
    readonly name = 'wasm',
    options: WasmBackendOptions = {},
  ) {
    const cpu = (this.cpu = new CpuBackend(name));
    this.minMultiplyAdds = options.minMultiplyAdds ?? WASM_MIN_MULTIPLY_ADDS;
    this.minElements = options.minElements ?? WASM_MIN_ELEMENTS;
    this.floatDTypes = cpu.floatDTypes;
    const jsMatmul = cpu.kernels.matmul;
    const jsLinear = cpu.fused.linear;
    /**
     * The kernel `name`: `wasm` when the result or the first input has at least minElements
     * elements and it takes the layout (it returns its result buffer, from the CPU backend's
     * pool), else the CPU backend's kernel.
     */
    const tryWasm = <P extends keyof Kernels<CpuHandle>>(
      name: P,
      wasm: (inputs: readonly KernelInput<CpuHandle>[], params: Parameters<Kernels<CpuHandle>[P]>[1], shape: Shape, alloc: Alloc) => Float32Array | Uint8Array | undefined,
    ): Kernels<CpuHandle>[P] => {
      const jsKernel = cpu.kernels[name] as unknown as (i: readonly KernelInput<CpuHandle>[], p: unknown, s: Shape, d: DType) => CpuHandle;
      return ((inputs: readonly KernelInput<CpuHandle>[], params: never, shape: Shape, dtype: DType) => {
        // The work is the larger of the result and the first input (a sum's input, a scatter's result).
        const n = Math.max(sizeOf(shape), inputs[0].handle.length);
        if (sizeOf(shape) > 0 && n >= this.minElements) {
          const out = wasm(inputs, params, shape, (m) => takeBuffer(dtype, m, false) as Float32Array | Uint8Array);
          if (out !== undefined) {
            this.simdOps++;
            return cpu.fromArray(out); // counted as a live buffer, as the CPU kernels' results are
          }
        }
        return jsKernel(inputs, params, shape, dtype);
      }) as unknown as Kernels<CpuHandle>[P];
    };
    const allF32 = (inputs: readonly KernelInput<CpuHandle>[]) => inputs.every(isF32);
    const binary = (name: keyof typeof BINARY_CODES) =>
      tryWasm(name, (i, _p, shape, alloc) => (allF32(i) ? broadcastBinary(this.instance(), BINARY_CODES[name], false, f32(i[0]), i[0].shape, f32(i[1]), i[1].shape, shape, alloc) : undefined));
    const compare = (name: keyof typeof COMPARE_CODES) =>
      tryWasm(name, (i, _p, shape, alloc) => (allF32(i) ? broadcastBinary(this.instance(), COMPARE_CODES[name], true, f32(i[0]), i[0].shape, f32(i[1]), i[1].shape, shape, alloc) : undefined));
    const unary = (name: keyof typeof UNARY_CODES) => tryWasm(name, ([x], _p, _s, alloc) => (isF32(x) ? unaryF32(this.instance(), UNARY_CODES[name], f32(x), alloc) : undefined));
    /** Whether a gather/scatterAdd moves single float32 elements (nothing after `axis`) with int32 indices. */
    const elements = (src: KernelInput<CpuHandle>, idx: KernelInput<CpuHandle>, axis: number, full: Shape) =>
      isF32(src) && idx.handle instanceof Int32Array && sizeOf(full.slice(axis + 1)) === 1;
    this.kernels = {
      ...cpu.kernels,
      add: binary('add'),
      sub: binary('sub'),
      mul: binary('mul'),
      div: binary('div'),
      equal: compare('equal'),
      notEqual: compare('notEqual'),
      less: compare('less'),
      lessEqual: compare('lessEqual'),
      greater: compare('greater'),
      greaterEqual: compare('greaterEqual'),
      neg: unary('neg'),
      abs: unary('abs'),
      sqrt: unary('sqrt'),
      relu: unary('relu'),
      where: tryWasm('where', ([c, a, b], _p, shape, alloc) =>
        c.handle instanceof Uint8Array && isF32(a) && isF32(b) ? selectF32(this.instance(), c.handle, f32(a), f32(b), sizeOf(shape), alloc) : undefined,
      ),
      sum: tryWasm('sum', ([x], p, shape, alloc) => (isF32(x) ? sumF32(this.instance(), f32(x), x.shape, p.axes, sizeOf(shape), alloc) : undefined)),
      gather: tryWasm('gather', ([x, idx], p, _s, alloc) =>
        elements(x, idx, p.axis, x.shape) ? gatherF32(this.instance(), f32(x), x.shape[p.axis], sizeOf(x.shape.slice(0, p.axis)), idx.handle as Int32Array, alloc) : undefined,
      ),
      scatterAdd: tryWasm('scatterAdd', ([u, idx], p, shape, alloc) =>
        elements(u, idx, p.axis, shape) ? scatterAddF32(this.instance(), f32(u), shape[p.axis], sizeOf(shape.slice(0, p.axis)), idx.handle as Int32Array, alloc) : undefined,
      ),
      argmax: (inputs, p, shape, dtype) => {
        // The last axis of a float32 tensor (pooling's windows): one wasm pass over the rows.
        const [x] = inputs;
        const n = sizeOf(x.shape);
        if (isF32(x) && p.axis === x.shape.length - 1 && n >= this.minElements && n > 0) {
          const out = new Int32Array(sizeOf(shape));
          if (argmaxRowsF32(this.instance(), f32(x), x.shape[p.axis], out)) {
            this.simdOps++;
            return cpu.fromArray(out);
          }
        }
        return cpu.kernels.argmax(inputs, p, shape, dtype);
      },
      matmul: (inputs, p, shape, dtype) => {
        const [a, b] = inputs;
        if (dtype !== 'float32' || !isF32(a) || !isF32(b) || !this.large(a.shape, b.shape, p.transA, shape)) return jsMatmul(inputs, p, shape, dtype);
        const out = takeBuffer(dtype, sizeOf(shape), false) as Float32Array;
        if (!this.instance().matmul(a.handle as Float32Array, a.shape, b.handle as Float32Array, b.shape, p.transA, p.transB, out, shape)) {
          return jsMatmul(inputs, p, shape, dtype); // too large for wasm memory
        }
        this.simdProducts++;
        return cpu.fromArray(out); // counted as a live buffer, as the CPU kernels' results are
      },
    };
    this.fused = {
      linear: (inputs, p, shape, dtype) => {
        const [x, w, b] = inputs;
        if (dtype !== 'float32' || !isF32(x) || !isF32(w) || (b !== undefined && !isF32(b)) || !this.large(x.shape, w.shape, false, shape)) {
          return jsLinear(inputs, p, shape, dtype);
        }
        const out = takeBuffer(dtype, sizeOf(shape), false) as Float32Array;
        const bias = b === undefined ? undefined : (b.handle as Float32Array);
        if (!this.instance().matmul(x.handle as Float32Array, x.shape, w.handle as Float32Array, w.shape, false, true, out, shape, bias, p.activation === 'relu')) {
          return jsLinear(inputs, p, shape, dtype); // too large for wasm memory
        }
        this.simdProducts++;
        return cpu.fromArray(out);
      },
    };
  }

  /** Whether a product is worth the trip through wasm memory (see WASM_MIN_MULTIPLY_ADDS and WASM_MIN_INTENSITY). */
  private large(aShape: Shape, bShape: Shape, transA: boolean, outShape: Shape): boolean {
    const K = transA ? aShape[aShape.length - 2] : aShape[aShape.length - 1];
    const size = sizeOf(outShape);
    const macs = size * K;
    if (size === 0 || K === 0) return false;
    if (this.minMultiplyAdds === 0) return true;
    return macs >= this.minMultiplyAdds && macs >= WASM_MIN_INTENSITY * (sizeOf(aShape) + sizeOf(bShape) + size);
  }

  /** The wasm instance, made on the first large product. */
  private instance(): WasmGemm {
    return (this.gemm ??= new WasmGemm());
  }

  /** Bytes of wasm linear memory this backend's kernel holds (its scratch; not tensor storage). */
  wasmMemoryBytes(): number {
    return this.gemm?.memoryBytes ?? 0;
  }

  fromArray<D extends DType>(values: DTypeArrays[D], shape: Shape, dtype: D): CpuHandle {
    return this.cpu.fromArray(values);
  }
  readSync(handle: CpuHandle, shape: Shape, dtype: DType): StorageArray {
    return this.cpu.readSync(handle);
  }
  read(handle: CpuHandle, shape: Shape, dtype: DType): Promise<StorageArray> {
    return this.cpu.read(handle);
  }
  dispose(handle: CpuHandle): void {
    this.cpu.dispose(handle);
  }
  /** Storage is the CPU backend's typed arrays, which the garbage collector reclaims. */
  readonly garbageCollected = true;
  readonly hostResident = true;
  collected(buffers: number, bytes: number): void {
    this.cpu.collected(buffers, bytes);
  }
  memory(): MemoryInfo {
    return this.cpu.memory();
  }
}

/** A fresh wasm backend with its own memory counters and its own wasm instance. */
export function createWasmBackend(name = 'wasm', options: WasmBackendOptions = {}): WasmBackend {
  return new WasmBackend(name, options);
}

registerBackend('wasm', () => createWasmBackend('wasm'));
