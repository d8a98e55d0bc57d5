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
  type TypedArray,
} from '@tsgrad/core';
import { CpuBackend, type CpuHandle } from '@tsgrad/backend-cpu';
import { WasmGemm } from './gemm.js';

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
}

const isF32 = (x: KernelInput<CpuHandle>) => x.handle instanceof Float32Array;

/**
 * The CPU backend's storage (a typed array per tensor) and every one of its kernels, except
 * float32 `matmul` and fused `linear`, which run in a WebAssembly SIMD128 kernel when the
 * product is large enough. float64 and int32 stay on the JS kernels, bit for bit the CPU
 * backend's results.
 */
export class WasmBackend implements Backend<CpuHandle> {
  readonly kernels: Kernels<CpuHandle>;
  readonly fused: FusedKernels<CpuHandle>;
  readonly floatDTypes: readonly DType[];
  /** The CPU backend that owns storage, memory counters and every other kernel. */
  readonly cpu: CpuBackend;
  readonly minMultiplyAdds: number;
  /** How many products (matmul or linear) ran in the SIMD kernel so far. */
  simdProducts = 0;
  private gemm: WasmGemm | undefined;

  constructor(
    readonly name = 'wasm',
    options: WasmBackendOptions = {},
  ) {
    const cpu = (this.cpu = new CpuBackend(name));
    this.minMultiplyAdds = options.minMultiplyAdds ?? WASM_MIN_MULTIPLY_ADDS;
    this.floatDTypes = cpu.floatDTypes;
    const jsMatmul = cpu.kernels.matmul;
    const jsLinear = cpu.fused.linear;
    this.kernels = {
      ...cpu.kernels,
      matmul: (inputs, p, shape, dtype) => {
        const [a, b] = inputs;
        if (dtype !== 'float32' || !isF32(a) || !isF32(b) || !this.large(a.shape, b.shape, p.transA, shape)) return jsMatmul(inputs, p, shape, dtype);
        const out = new Float32Array(sizeOf(shape));
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
        const out = new Float32Array(sizeOf(shape));
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
  readSync(handle: CpuHandle, shape: Shape, dtype: DType): TypedArray {
    return this.cpu.readSync(handle);
  }
  read(handle: CpuHandle, shape: Shape, dtype: DType): Promise<TypedArray> {
    return this.cpu.read(handle);
  }
  dispose(handle: CpuHandle): void {
    this.cpu.dispose(handle);
  }
  /** Storage is the CPU backend's typed arrays, which the garbage collector reclaims. */
  readonly garbageCollected = true;
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
