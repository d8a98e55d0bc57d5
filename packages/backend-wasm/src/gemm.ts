import type { Shape } from '@tsgrad/core';
import { KERNELS_WASM_BASE64 } from './kernels.wasm.js';
import { forEachBatch } from '@tsgrad/backend-cpu';

/** What the compiled assembly/index.ts exports (assembly/matmul.ts and assembly/elementwise.ts). */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  gemm(a: number, ra: number, ca: number, b: number, rb: number, cb: number, c: number, m: number, n: number, k: number, bias: number, flags: number, work: number): void;
  binary(op: number, a: number, as: number, b: number, bs: number, out: number, n: number): void;
  unary(op: number, x: number, out: number, n: number): void;
  compare(op: number, a: number, as: number, b: number, bs: number, out: number, n: number): void;
  select(cond: number, a: number, as: number, b: number, bs: number, out: number, n: number): void;
  rowSums(x: number, rows: number, len: number, out: number): void;
  gatherElements(src: number, n: number, outer: number, idx: number, m: number, out: number): void;
  scatterAddElements(src: number, n: number, outer: number, idx: number, m: number, out: number): void;
  argmaxRows(x: number, rows: number, len: number, out: number): void;
}

/** Typed views of the instance's memory (remade after memory.grow, which detaches the old ones). */
export interface HeapViews {
  readonly f32: Float32Array;
  readonly f64: Float64Array;
  readonly i32: Int32Array;
  readonly u8: Uint8Array;
}

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

let compiled: WebAssembly.Module | undefined;

/** The kernel module, compiled once per process (synchronously: it is a couple of kilobytes). */
export function kernelModule(): WebAssembly.Module {
  return (compiled ??= new WebAssembly.Module(decodeBase64(KERNELS_WASM_BASE64)));
}

const PAGE = 65536;
/** Products needing more scratch than this stay on the JS kernel (wasm32 memory stops at 4 GiB, and i32 offsets at 2 GiB). */
const MAX_SCRATCH_BYTES = 2 ** 31 - PAGE;
export const align16 = (bytes: number) => (bytes + 15) & ~15;

/**
 * One instance of the SIMD kernels with its own linear memory, used as a grow-on-demand scratch
 * region: each call copies the operands in, runs a kernel and copies the result out. Memory
 * grows to the largest operation seen and stays there (wasm memory never shrinks).
 */
export class WasmGemm {
  readonly exports: KernelExports;
  /** The first byte of scratch (after the module's static data), 16-byte aligned. */
  readonly base: number;
  private heap: Float32Array;
  private views: HeapViews;

  constructor() {
    this.exports = new WebAssembly.Instance(kernelModule(), {}).exports as unknown as KernelExports;
    this.base = align16(this.exports.heapBase());
    this.heap = new Float32Array(this.exports.memory.buffer);
    this.views = this.makeViews();
  }

  private makeViews(): HeapViews {
    const buffer = this.exports.memory.buffer;
    return { f32: this.heap, f64: new Float64Array(buffer), i32: new Int32Array(buffer), u8: new Uint8Array(buffer) };
  }

  /**
   * Views of memory at least `bytes` long (from byte 0; scratch starts at `base`), or undefined
   * when memory cannot grow that far.
   */
  scratch(bytes: number): HeapViews | undefined {
    if (this.reserve(bytes) === undefined) return undefined;
    if (this.views.f32 !== this.heap) this.views = this.makeViews();
    return this.views;
  }

  /** Bytes of linear memory the instance holds now. */
  get memoryBytes(): number {
    return this.exports.memory.buffer.byteLength;
  }

  /**
   * A float32 view of memory at least `bytes` long, or undefined when memory cannot grow that far;
   * `memory.grow` detaches older views, so views are made anew after it.
   */
  reserve(bytes: number): Float32Array | undefined {
    const memory = this.exports.memory;
    const have = memory.buffer.byteLength;
    if (have < bytes) {
      if (bytes > MAX_SCRATCH_BYTES) return undefined;
      try {
        memory.grow(Math.ceil((bytes - have) / PAGE));
      } catch {
        return undefined; // RangeError: the engine would not give that much memory
      }
    }
    if (this.heap.buffer !== memory.buffer) this.heap = new Float32Array(memory.buffer);
    return this.heap;
  }

  /**
   * Batched out = op(a) op(b) (+ bias[j]) (relu) in float32, with the CPU backend's matmul
   * semantics for shapes (batch axes broadcast; transposes on the last two axes) and each
   * element a float32 dot product summed in increasing p (see assembly/matmul.ts). Returns false,
   * having done nothing, when the product needs more scratch memory than wasm can have.
   */
  matmul(a: Float32Array, aShape: Shape, b: Float32Array, bShape: Shape, transA: boolean, transB: boolean, out: Float32Array, outShape: Shape, bias?: Float32Array, relu = false): boolean {
    const r = outShape.length;
    const M = outShape[r - 2];
    const N = outShape[r - 1];
    const K = transA ? aShape[aShape.length - 2] : aShape[aShape.length - 1];
    const aMat = M * K;
    const bMat = K * N;
    const cMat = M * N;
    const batches = cMat === 0 ? 0 : out.length / cMat;
    const aLen = aMat * sizeOfBatch(aShape);
    const bLen = bMat * sizeOfBatch(bShape);
    // A shared B and an untransposed A that is not broadcast: one GEMM over all batch rows.
    const fold = batches > 1 && !transA && bLen === bMat && aLen === batches * aMat;
    const gm = fold ? batches * M : M;
    const mp = (gm + 3) & ~3;
    const np = (N + 7) & ~7;
    const aPtr = this.base;
    const bPtr = aPtr + align16(aLen * 4);
    const biasPtr = bPtr + align16(bLen * 4);
    const cPtr = biasPtr + align16(bias ? N * 4 : 0);
    const work = cPtr + align16(out.length * 4);
    const heap = this.reserve(work + (mp * K + np * K + mp * np) * 4);
    if (heap === undefined) return false;
    heap.set(a.length === aLen ? a : a.subarray(0, aLen), aPtr >> 2);
    heap.set(b.length === bLen ? b : b.subarray(0, bLen), bPtr >> 2);
    if (bias) heap.set(bias.subarray(0, N), biasPtr >> 2);
    const flags = (bias ? 1 : 0) | (relu ? 2 : 0);
    const ra = transA ? 1 : K;
    const ca = transA ? M : 1;
    const rb = transB ? 1 : N;
    const cb = transB ? K : 1;
    const gemm = this.exports.gemm;
    if (fold || batches === 1) {
      gemm(aPtr, ra, ca, bPtr, rb, cb, cPtr, gm, N, K, biasPtr, flags, work);
    } else {
      forEachBatch(aShape, bShape, outShape, (t, aOff, bOff) =>
        gemm(aPtr + aOff * aMat * 4, ra, ca, bPtr + bOff * bMat * 4, rb, cb, cPtr + t * cMat * 4, M, N, K, biasPtr, flags, work),
      );
    }
    out.set(heap.subarray(cPtr >> 2, (cPtr >> 2) + out.length));
    return true;
  }
}

function sizeOfBatch(shape: Shape): number {
  let s = 1;
  for (let d = 0; d < shape.length - 2; d++) s *= shape[d];
  return s;
}

