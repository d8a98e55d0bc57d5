import type { Backend } from './backend.js';
import { bytesPerElement, type DType } from './dtype.js';
import { sizeOf, stridesOf, type Shape } from './shape.js';
import type { Storage } from './storage.js';

/**
 * Where a tensor's elements sit in its storage: element (i_0, ..., i_n) is storage element
 * `offset + Σ i_d strides[d]`. Strides are in elements, never negative; 0 on expanded axes.
 * A tensor whose layout is the row-major one over its whole storage has no Layout (null), the
 * form every kernel reads; anything else is a view that a kernel gets materialised (contiguous()).
 */
export interface Layout {
  readonly strides: readonly number[];
  readonly offset: number;
}

/** Storage elements of `storage` holding `dtype`. */
export function storageElements(storage: Storage, dtype: DType): number {
  return storage.bytes / bytesPerElement(dtype);
}

/** Whether `strides` is the row-major layout of `shape` (strides of size-1 axes do not matter). */
export function isRowMajor(shape: Shape, strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

/**
 * The layout to store for a view: null when it is the row-major layout of the whole storage (what
 * kernels read without a copy), else the strides and offset.
 */
export function normalizeLayout(shape: Shape, layout: Layout, elements: number): Layout | null {
  return layout.offset === 0 && sizeOf(shape) === elements && isRowMajor(shape, layout.strides) ? null : layout;
}

/** The layout of a tensor: its own, or the row-major one when it has none. */
export function layoutOf(shape: Shape, layout: Layout | null): Layout {
  return layout ?? { strides: stridesOf(shape), offset: 0 };
}

/** Result axis i is input axis perm[i]. */
export function permuteLayout(x: Layout, perm: readonly number[]): Layout {
  return { strides: perm.map((a) => x.strides[a]), offset: x.offset };
}

/** Broadcast to `shape` (new axes in front, size-1 axes grown): stride 0 on every repeated axis. */
export function expandLayout(inShape: Shape, x: Layout, shape: Shape): Layout {
  const lead = shape.length - inShape.length;
  return { strides: shape.map((d, i) => (i < lead || (inShape[i - lead] === 1 && d !== 1) ? 0 : x.strides[i - lead])), offset: x.offset };
}

/** A block starting at `begin` taking every `steps[i]`-th element (steps ≥ 1, default 1). */
export function sliceLayout(x: Layout, begin: readonly number[], steps?: readonly number[]): Layout {
  let offset = x.offset;
  for (let i = 0; i < begin.length; i++) offset += begin[i] * x.strides[i];
  return { strides: steps ? x.strides.map((s, i) => s * steps[i]) : x.strides, offset };
}

/**
 * The strides that show `x` (of `inShape`) under `shape` without a copy, or null when none do
 * (a transposed matrix flattened): PyTorch's `computeStride`, which merges runs of axes that are
 * contiguous with each other and splits them again.
 */
export function reshapeLayout(inShape: Shape, x: Layout, shape: Shape): Layout | null {
  if (sizeOf(inShape) === 0 || inShape.length === 0) return { strides: stridesOf(shape), offset: x.offset };
  const strides = new Array<number>(shape.length);
  let viewD = shape.length - 1;
  let chunkBase = x.strides[inShape.length - 1];
  let inNumel = 1;
  let viewNumel = 1;
  for (let d = inShape.length - 1; d >= 0; d--) {
    inNumel *= inShape[d];
    // The end of a run of axes laid out contiguously with each other.
    if (d === 0 || (inShape[d - 1] !== 1 && x.strides[d - 1] !== inNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < inNumel || shape[viewD] === 1)) {
        strides[viewD] = viewNumel * chunkBase;
        viewNumel *= shape[viewD];
        viewD--;
      }
      if (viewNumel !== inNumel) return null;
      if (d > 0) {
        chunkBase = x.strides[d - 1];
        inNumel = 1;
        viewNumel = 1;
      }
    }
  }
  return viewD === -1 ? { strides, offset: x.offset } : null;
}

/**
 * A fresh row-major buffer holding the view's elements: the backend's one strided copy, the
 * `contiguous` primitive, reading the storage as a flat array. The caller owns the handle.
 */
export function materializeHandle(storage: Storage, dtype: DType, shape: Shape, layout: Layout): unknown {
  const backend: Backend = storage.backend;
  const input = { handle: storage.handle, shape: [storageElements(storage, dtype)], dtype };
  return backend.kernels.contiguous([input], { strides: layout.strides, offset: layout.offset }, shape, dtype);
}
