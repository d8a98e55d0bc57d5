import type { DType, DTypeArrays, StorageArray } from './dtype.js';
import { BackendError } from './errors.js';
import type { Shape } from './shape.js';

/**
 * The closed set of primitives every backend implements. Each name maps to the parameters its
 * kernel takes; shapes and dtypes of the result are inferred once, in core, and handed to the
 * kernel. Adding a name here is a type error in every backend and in the gradient table until
 * both have it.
 */
export interface PrimitiveParams {
  // elementwise unary
  neg: Empty;
  exp: Empty;
  log: Empty;
  log1p: Empty;
  sqrt: Empty;
  abs: Empty;
  sign: Empty;
  relu: Empty;
  sigmoid: Empty;
  tanh: Empty;
  sin: Empty;
  cos: Empty;
  erf: Empty;
  floor: Empty;
  // elementwise binary, NumPy broadcasting
  add: Empty;
  sub: Empty;
  mul: Empty;
  div: Empty;
  pow: Empty;
  maximum: Empty;
  minimum: Empty;
  // comparisons, result bool
  equal: Empty;
  notEqual: Empty;
  less: Empty;
  lessEqual: Empty;
  greater: Empty;
  greaterEqual: Empty;
  /** where(cond, a, b), three-way broadcasting. */
  where: Empty;
  // reductions over sorted axes; the reduced axes are dropped from the result
  sum: { readonly axes: readonly number[] };
  max: { readonly axes: readonly number[] };
  min: { readonly axes: readonly number[] };
  /** Index of the largest element along one axis (int32), the axis dropped. */
  argmax: { readonly axis: number };
  /**
   * argsort(x, axis, descending): int32 indices of the same shape as x that sort each line along
   * `axis`, stable (equal values keep their order), NaN greater than every number (last ascending,
   * first descending; PyTorch's order), -0 equal to 0. x is float or int32. No gradient.
   */
  argsort: { readonly axis: number; readonly descending: boolean };
  /** Batched matmul; batch dimensions broadcast. Transposes apply to the last two axes. */
  matmul: { readonly transA: boolean; readonly transB: boolean };
  /**
   * The one strided copy: the input arrives as its flat storage (shape [n]), and the result (of
   * the given shape, row-major) takes element `offset + Σ i_d strides[d]` of it. The engine runs it
   * to materialise a view (permute, expand, slice, reshape of those) for a kernel that reads only
   * row-major inputs, and for reads. Strides are non-negative (0 on expanded axes).
   */
  contiguous: { readonly strides: readonly number[]; readonly offset: number };
  // movement: every result is a fresh contiguous buffer. The engine makes permute, expand and
  // slice views (no kernel); the kernels stay for backends and direct use.
  permute: { readonly perm: readonly number[] };
  expand: { readonly shape: Shape };
  slice: { readonly begin: readonly number[]; readonly size: readonly number[] };
  concat: { readonly axis: number };
  pad: { readonly padding: readonly (readonly [number, number])[]; readonly value: number };
  /** gather(x, indices int32, axis): result shape x[:axis] + indices + x[axis+1:]. */
  gather: { readonly axis: number };
  /** scatterAdd(updates, indices int32): the adjoint of gather, into a zero tensor of the result shape. */
  scatterAdd: { readonly axis: number; readonly shape: Shape };
  cast: { readonly dtype: DType };
}
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export type Empty = {};
export type PrimitiveName = keyof PrimitiveParams;

/**
 * What a kernel sees of each input: its storage, shape and dtype (a Tensor satisfies it).
 * Storage is shared between views (reshape), so a handle can arrive under another shape than
 * the one it was created with: kernels read `shape`, never a shape kept with the handle.
 */
export interface KernelInput<H> {
  readonly handle: H;
  readonly shape: Shape;
  readonly dtype: DType;
  /**
   * Element strides and offset into the storage. Only kernels a backend names in `readsStrided`
   * see a view (and must read these); every other kernel gets row-major inputs covering their
   * whole storage, where these are absent or the row-major ones.
   */
  readonly strides?: readonly number[];
  readonly offset?: number;
}

// Declared as a method so a Backend<SpecificHandle> is usable where a Backend is expected.
export type Kernel<H, P> = { run(inputs: readonly KernelInput<H>[], params: P, outShape: Shape, outDType: DType): H }['run'];

/**
 * Optional fused kernels: a backend may offer them, and the engine uses them when present and
 * falls back to primitives otherwise. They compute exactly what the primitive sequence does.
 */
export interface FusedParams {
  /** linear(x, w, b?) = act(x @ wᵀ + b): matmul (transB) then add then the activation. */
  linear: { readonly activation: 'none' | 'relu' };
}
export type FusedKernels<H> = { readonly [K in keyof FusedParams]: Kernel<H, FusedParams[K]> };

/** One kernel per primitive: a backend that misses one does not compile. */
export type Kernels<H> = { readonly [K in PrimitiveName]: Kernel<H, PrimitiveParams[K]> };

export interface MemoryInfo {
  /** Live storage buffers. */
  buffers: number;
  /** Bytes held by the live buffers. */
  bytes: number;
}

/**
 * A backend owns storage and primitive kernels, nothing else: no gradient rule lives here.
 * `H` is the backend's storage handle (a typed array, a GPU texture, a tfjs tensor...).
 */
export interface Backend<H = unknown> {
  readonly name: string;
  readonly kernels: Kernels<H>;
  /**
   * Takes ownership of `values` (core never touches the array again): the dtype's storage, a
   * BigInt64Array for int64 and the bits in a Uint16Array for float16/bfloat16. A backend that
   * cannot store a dtype throws a DTypeError naming it (the tfjs adapter: float64 and the storage
   * dtypes, see docs/dtypes.md).
   */
  fromArray<D extends DType>(values: DTypeArrays[D], shape: Shape, dtype: D): H;
  /**
   * A copy of the storage's values, or a view the caller must not mutate. Optional: a backend
   * whose data lives on a device it cannot read synchronously (WebGPU) leaves it out, and
   * `dataSync()`, `toArray()` and `item()` then throw, pointing to `await data()`/`array()`.
   */
  readSync?(handle: H, shape: Shape, dtype: DType): StorageArray;
  /** The values, asynchronously: the contract every backend keeps. */
  read(handle: H, shape: Shape, dtype: DType): Promise<StorageArray>;
  dispose(handle: H): void;
  memory(): MemoryInfo;
  /**
   * True when storage is plain JavaScript memory (typed arrays) that the garbage collector frees
   * by itself once unreachable: tensors dropped without dispose() cost nothing on such a backend,
   * even in a synchronous loop. False or absent (tfjs, GPU backends): dropped tensors are freed
   * only when a finalizer runs, which a synchronous loop never allows, so training loops need
   * tidy().
   */
  readonly garbageCollected?: boolean;
  /**
   * True when storage lives in this process's memory (cpu, wasm): a synchronous read is a copy and
   * never waits for a device, so guards that read values (index ranges) always run. False or
   * absent: they run only in debug mode (`setDebugMode`).
   */
  readonly hostResident?: boolean;
  /** Called (on garbage-collected backends) when `buffers` buffers holding `bytes` were reclaimed by the GC: update memory(). */
  collected?(buffers: number, bytes: number): void;
  /**
   * The kernels that read strided inputs (KernelInput's `strides`/`offset`): the engine hands them
   * views as they are. Every other kernel gets each view materialised first (one `contiguous`
   * copy per view input, freed right after the kernel).
   */
  readonly readsStrided?: { readonly [K in PrimitiveName]?: true };
  /** Fused kernels the engine prefers over their primitive sequences. */
  readonly fused?: Partial<FusedKernels<H>>;
  /** The float dtypes this backend computes in (float64 only where it is really 64-bit). */
  readonly floatDTypes: readonly DType[];
}

const registry = new Map<string, () => Backend>();
const instances = new Map<string, Backend>();
let current: string | undefined;

/** Registers a backend factory under `name`; the factory runs on first use. */
export function registerBackend<H>(name: string, factory: () => Backend<H>, options: { priority?: number } = {}): void {
  registry.set(name, factory as unknown as () => Backend);
  instances.delete(name);
  if (current === undefined || (options.priority ?? 0) > 0) current ??= name;
}

export function listBackends(): string[] {
  return [...registry.keys()];
}

/** Returns the backend named `name`, or the current one. */
export function getBackend(name?: string): Backend {
  const key = name ?? current;
  if (key === undefined) {
    throw new BackendError(
      'No backend is registered. Import "@tsgrad/backend-cpu" (or the umbrella "tsgrad") before creating tensors.',
    );
  }
  let b = instances.get(key);
  if (b) return b;
  const factory = registry.get(key);
  if (!factory) {
    throw new BackendError(
      `Unknown backend "${key}". Registered backends: ${listBackends().join(', ') || 'none'}. ` +
        `Import its package (e.g. "@tsgrad/backend-${key}") so it registers itself.`,
    );
  }
  b = factory();
  instances.set(key, b);
  return b;
}

/** Makes `name` the backend new tensors are created on. */
export function setBackend(name: string): Backend {
  const b = getBackend(name);
  current = name;
  return b;
}

export function currentBackendName(): string | undefined {
  return current;
}
