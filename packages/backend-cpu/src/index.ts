import {
  registerBackend,
  stridesOf,
  sizeOf,
  ValueError,
  type Backend,
  type DType,
  type DTypeArrays,
  type FusedKernels,
  type Kernel,
  type Kernels,
  type MemoryInfo,
  type PrimitiveParams,
  type Shape,
  type KernelInput,
  type StorageArray,
  convertValues,
  storedValue,
} from '@tsgrad/core';
import { binaryBroadcast, isTrailingTile, unaryLoop, whereBroadcast, type BinaryOp, type UnaryOp } from './elementwise.js';
import { argmaxAxis, reduceAxes } from './reduce.js';
import { argsortAxis } from './sort.js';
import { matmulBatched } from './matmul.js';
import { broadcastStrides, stridedCopy, type NumArray } from './strided.js';
import { dtypeOf, give, take } from './pool.js';
import { gatherElementsF32, scatterAddElementsF32 } from './f32.js';

export { erf } from './elementwise.js';
export { poisonRecycledBuffers, take as takeBuffer } from './pool.js';
export { forEachBatch } from './matmul.js';
export { broadcastStrides, mergeAxes } from './strided.js';

/**
 * The CPU backend's storage: the typed array itself, of every dtype (float16/bfloat16 as bits in
 * a Uint16Array, int64 in a BigInt64Array).
 */
export type CpuHandle = StorageArray;
type K<P extends keyof PrimitiveParams> = Kernel<CpuHandle, PrimitiveParams[P]>;

/**
 * An input's values as numbers. Core hands the storage dtypes (int64, float16, bfloat16) only to
 * the kernels that move or select values (permute, expand, slice, concat, pad, gather, where),
 * int64 also to the comparisons, and cast (ops/dtype-support.ts): those copy or compare elements,
 * which JavaScript does alike on numbers and bigints, so one loop serves every dtype.
 */
const h = (x: KernelInput<CpuHandle>): NumArray => x.handle as NumArray;

/** A result buffer from the pool; `zeroed` for kernels that accumulate or write only part of it. */
const alloc = (shape: Shape, dtype: DType, zeroed = false): NumArray => take(dtype, sizeOf(shape), zeroed);

const unary =
  (op: UnaryOp): K<UnaryOp> =>
  ([x], _, shape, dtype) => {
    const out = alloc(shape, dtype);
    unaryLoop(op, h(x), out);
    return out;
  };

const binary =
  (op: BinaryOp): K<BinaryOp> =>
  ([a, b], _, shape, dtype) => {
    const out = alloc(shape, dtype);
    binaryBroadcast(op, h(a), a.shape, h(b), b.shape, out, shape);
    return out;
  };

const reduce =
  (op: 'sum' | 'max' | 'min'): K<'sum'> =>
  ([x], p, shape, dtype) => {
    const out = alloc(shape, dtype);
    reduceAxes(op, h(x), x.shape, p.axes, out);
    return out;
  };

function checkIndices(op: string, idx: NumArray, size: number): void {
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i];
    if (v < 0 || v >= size) {
      throw new ValueError(`${op}: index ${v} at position ${i} is out of range for an axis of size ${size}; indices must lie in [0, ${size - 1}].`);
    }
  }
}

/** Every primitive as a plain loop over typed arrays; the reference the other backends are tested against. */
export const cpuKernels: Kernels<CpuHandle> = {
  neg: unary('neg'),
  exp: unary('exp'),
  log: unary('log'),
  log1p: unary('log1p'),
  sqrt: unary('sqrt'),
  abs: unary('abs'),
  sign: unary('sign'),
  relu: unary('relu'),
  sigmoid: unary('sigmoid'),
  tanh: unary('tanh'),
  sin: unary('sin'),
  cos: unary('cos'),
  erf: unary('erf'),
  floor: unary('floor'),
  add: binary('add'),
  sub: binary('sub'),
  mul: binary('mul'),
  div: binary('div'),
  pow: binary('pow'),
  maximum: binary('maximum'),
  minimum: binary('minimum'),
  equal: binary('equal'),
  notEqual: binary('notEqual'),
  less: binary('less'),
  lessEqual: binary('lessEqual'),
  greater: binary('greater'),
  greaterEqual: binary('greaterEqual'),
  where: ([c, a, b], _, shape, dtype) => {
    const out = alloc(shape, dtype);
    whereBroadcast(h(c), c.shape, h(a), a.shape, h(b), b.shape, out, shape);
    return out;
  },
  sum: reduce('sum'),
  max: reduce('max'),
  min: reduce('min'),
  argmax: ([x], p, shape) => {
    const out = new Int32Array(sizeOf(shape));
    argmaxAxis(h(x), x.shape, p.axis, out);
    return out;
  },
  argsort: ([x], p, shape) => {
    const out = new Int32Array(sizeOf(shape));
    argsortAxis(h(x), x.shape, p.axis, p.descending, out);
    return out;
  },
  matmul: ([a, b], p, shape, dtype) => {
    const out = alloc(shape, dtype);
    matmulBatched(h(a), a.shape, h(b), b.shape, p.transA, p.transB, out, shape);
    return out;
  },
  // The one strided copy: every view the engine materialises (permute, expand, slice) comes here.
  contiguous: ([x], p, shape, dtype) => {
    const out = alloc(shape, dtype);
    stridedCopy(h(x), p.offset, p.strides, out, 0, stridesOf(shape), shape);
    return out;
  },
  permute: ([x], p, shape, dtype) => {
    const out = alloc(shape, dtype);
    const inStrides = stridesOf(x.shape);
    stridedCopy(h(x), 0, p.perm.map((a) => inStrides[a]), out, 0, stridesOf(shape), shape);
    return out;
  },
  expand: ([x], _, shape, dtype) => {
    const out = alloc(shape, dtype);
    const src = h(x);
    if (src.length === 1) {
      out.fill(src[0]);
      return out;
    }
    if (src.length > 0 && isTrailingTile(x.shape, shape)) {
      // The source repeats as one block along the leading axes: block copies.
      const m = src.length;
      for (let o = 0; o < out.length; o += m) out.set(src as never, o);
      return out;
    }
    stridedCopy(h(x), 0, broadcastStrides(x.shape, shape), out, 0, stridesOf(shape), shape);
    return out;
  },
  slice: ([x], p, shape, dtype) => {
    const out = alloc(shape, dtype);
    const inStrides = stridesOf(x.shape);
    const offset = p.begin.reduce((s, b, i) => s + b * inStrides[i], 0);
    stridedCopy(h(x), offset, inStrides, out, 0, stridesOf(shape), shape);
    return out;
  },
  pad: ([x], p, shape, dtype) => {
    const out = alloc(shape, dtype);
    // The pad value in the dtype's storage (float16 bits, an int64 bigint).
    (out as unknown as { fill(v: number | bigint): void }).fill(storedValue(dtype, p.value));
    const outStrides = stridesOf(shape);
    const offset = p.padding.reduce((s, q, i) => s + q[0] * outStrides[i], 0);
    stridedCopy(h(x), 0, stridesOf(x.shape), out, offset, outStrides, x.shape);
    return out;
  },
  concat: (inputs, p, shape, dtype) => {
    const out = alloc(shape, dtype);
    const outer = sizeOf(shape.slice(0, p.axis));
    const outRow = sizeOf(shape.slice(p.axis));
    let col = 0;
    for (const t of inputs) {
      const row = sizeOf(t.shape.slice(p.axis));
      const src = h(t);
      for (let o = 0; o < outer; o++) out.set(src.subarray(o * row, (o + 1) * row) as never, o * outRow + col);
      col += row;
    }
    return out;
  },
  gather: ([x, idx], p, shape, dtype) => {
    const n = x.shape[p.axis];
    checkIndices('gather', h(idx), n);
    const out = alloc(shape, dtype);
    const outer = sizeOf(x.shape.slice(0, p.axis));
    const inner = sizeOf(x.shape.slice(p.axis + 1));
    const indices = h(idx);
    const src = h(x);
    const m = indices.length;
    if (inner === 1) {
      // Single elements (conv's im2col, pooling's windows): one load per element.
      if (src instanceof Float32Array && indices instanceof Int32Array) {
        gatherElementsF32(src, n, outer, indices, out as Float32Array);
        return out;
      }
      for (let o = 0, to = 0; o < outer; o++) {
        const base = o * n;
        for (let j = 0; j < m; j++) out[to++] = src[base + indices[j]];
      }
      return out;
    }
    if (inner < 16) {
      // Short slices: a plain loop, since a subarray view per slice costs more than the copy.
      for (let o = 0, to = 0; o < outer; o++) {
        for (let j = 0; j < m; j++) {
          const from = (o * n + indices[j]) * inner;
          for (let k = 0; k < inner; k++) out[to++] = src[from + k];
        }
      }
      return out;
    }
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < m; j++) {
        const from = (o * n + indices[j]) * inner;
        out.set(src.subarray(from, from + inner) as never, (o * m + j) * inner);
      }
    }
    return out;
  },
  scatterAdd: ([u, idx], p, shape, dtype) => {
    const n = shape[p.axis];
    checkIndices('scatterAdd', h(idx), n);
    const out = alloc(shape, dtype, true);
    const outer = sizeOf(shape.slice(0, p.axis));
    const inner = sizeOf(shape.slice(p.axis + 1));
    const indices = h(idx);
    const src = h(u);
    const m = indices.length;
    if (inner === 1) {
      // Single elements (the gradient of conv's im2col and of pooling): no inner loop.
      if (src instanceof Float32Array && indices instanceof Int32Array) {
        scatterAddElementsF32(src, n, outer, indices, out as Float32Array);
        return out;
      }
      for (let o = 0, from = 0; o < outer; o++) {
        const base = o * n;
        for (let j = 0; j < m; j++) out[base + indices[j]] += src[from++];
      }
      return out;
    }
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < m; j++) {
        const to = (o * n + indices[j]) * inner;
        const from = (o * m + j) * inner;
        for (let k = 0; k < inner; k++) out[to + k] += src[from + k];
      }
    }
    return out;
  },
  cast: ([x], _, shape, dtype) => {
    // Every pair of dtypes, rounded as PyTorch does (core's convert.ts is the one definition).
    const out = alloc(shape, dtype);
    convertValues(x.handle, x.dtype, out, dtype);
    return out;
  },
};

/** The reference backend: storage is a typed array per tensor; memory() counts them. */
/**
 * Fused kernels: the same arithmetic as their primitive sequences (each step rounded to the
 * dtype as the separate kernels would), in one kernel without intermediate buffers.
 */
export const cpuFusedKernels: FusedKernels<CpuHandle> = {
  linear: (inputs, p, shape, dtype) => {
    const [x, w, b] = inputs;
    const out = alloc(shape, dtype);
    matmulBatched(h(x), x.shape, h(w), w.shape, false, true, out, shape);
    const n = shape[shape.length - 1];
    const bias = (b && h(b));
    const relu = p.activation === 'relu';
    if (bias === undefined && !relu) return out;
    for (let off = 0; off < out.length; off += n) {
      if (bias !== undefined) for (let j = 0; j < n; j++) out[off + j] += bias[j];
      if (relu) {
        for (let j = off; j < off + n; j++) {
          const v = out[j];
          if (!(v > 0) && v === v) out[j] = 0;
        }
      }
    }
    return out;
  },
};

export class CpuBackend implements Backend<CpuHandle> {
  readonly kernels: Kernels<CpuHandle>;
  readonly fused: FusedKernels<CpuHandle>;
  readonly floatDTypes: readonly DType[] = ['float32', 'float64'];
  /** Storage is typed arrays: the garbage collector reclaims dropped tensors even in a synchronous loop. */
  readonly garbageCollected = true;
  readonly hostResident = true;
  private buffers = 0;
  private bytes = 0;

  constructor(readonly name = 'cpu') {
    // Each kernel's result is counted as a live buffer until dispose().
    const counted: Record<string, unknown> = {};
    for (const [op, kernel] of Object.entries(cpuKernels) as [string, Kernel<CpuHandle, never>][]) {
      counted[op] = (inputs: never, params: never, shape: Shape, dtype: DType) => this.count(kernel(inputs, params, shape, dtype));
    }
    this.kernels = counted as unknown as Kernels<CpuHandle>;
    this.fused = { linear: (i, p, sh, d) => this.count(cpuFusedKernels.linear(i, p, sh, d)) };
  }

  private count(h: CpuHandle): CpuHandle {
    this.buffers++;
    this.bytes += h.byteLength;
    return h;
  }

  fromArray<D extends DType>(values: DTypeArrays[D]): CpuHandle {
    return this.count(values);
  }
  readSync(handle: CpuHandle): StorageArray {
    return handle;
  }
  read(handle: CpuHandle): Promise<StorageArray> {
    return Promise.resolve(handle);
  }
  dispose(handle: CpuHandle): void {
    this.buffers--;
    this.bytes -= handle.byteLength;
    give(dtypeOf(handle), handle);
  }
  /** A buffer dropped without dispose() was reclaimed by the garbage collector. */
  collected(buffers: number, bytes: number): void {
    this.buffers -= buffers;
    this.bytes -= bytes;
  }
  memory(): MemoryInfo {
    return { buffers: this.buffers, bytes: this.bytes };
  }
}

/** A fresh CPU backend with its own memory counters. */
export function createCpuBackend(name = 'cpu'): CpuBackend {
  return new CpuBackend(name);
}

registerBackend('cpu', () => createCpuBackend('cpu'));
