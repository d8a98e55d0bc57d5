import {
  BackendError,
  DTypeError,
  registerBackend,
  type Backend,
  type DType,
  type DTypeArrays,
  sameShape,
  type Kernel,
  type KernelInput,
  type Kernels,
  type MemoryInfo,
  type Shape,
  type StorageArray,
  type TypedArray,
} from '@tsgrad/core';
import type { Tensor as TfTensor } from '@tensorflow/tfjs-core';
import { makeKernels, tfDType, TF_DTYPES } from './kernels.js';
import type { TfjsModule } from './types.js';

export interface TfjsBackendOptions {
  /**
   * The TensorFlow.js backend to compute on, as registered with tfjs: "cpu", "webgl", "wasm",
   * "tensorflow" (tfjs-node)... Its package must be imported first. Backends that initialise
   * asynchronously (wasm) must be ready: `await tf.setBackend('wasm')` before the first use.
   */
  readonly backendName: string;
  /**
   * Check gather/scatterAdd indices and throw a ValueError when one is out of range (default true).
   * Costs a read of the indices (a GPU sync on WebGL); turn off only for trusted indices.
   */
  readonly checkIndices?: boolean;
  /**
   * Kernels to use instead of the generic ones, for a tfjs backend whose op departs from tsgrad's
   * semantics (the WebGL package fixes log1p below -1 this way). Each runs with tfjs already on
   * `backendName`, sees inputs of their tsgrad shape, and must return a fresh tensor it owns.
   */
  readonly overrides?: Partial<Kernels<TfTensor>>;
}

const BYTES: Record<'float32' | 'int32' | 'bool', number> = { float32: 4, int32: 4, bool: 1 };
const ARRAYS = { float32: Float32Array, int32: Int32Array, bool: Uint8Array } as const;

/**
 * tsgrad's Backend over one TensorFlow.js backend. Each storage handle is a tfjs tensor that
 * tsgrad owns: it is created by a kernel or fromArray and freed by dispose(), so tf.memory()
 * holds exactly the live tsgrad storages (plus whatever the user made with tf directly).
 *
 * Dtypes: float32, int32 and bool (tfjs "bool"). TensorFlow.js has no float64, so floatDTypes is
 * ["float32"] and creating or casting to float64 throws a DTypeError instead of silently
 * computing in float32; likewise int64, float16 and bfloat16 (tsgrad's storage dtypes), which
 * stay on the "cpu" backend until cast.
 */
export class TfjsBackend implements Backend<TfTensor> {
  readonly kernels: Kernels<TfTensor>;
  readonly floatDTypes: readonly DType[] = ['float32'];
  private buffers = 0;
  private bytes = 0;

  constructor(
    readonly name: string,
    readonly tf: TfjsModule,
    options: TfjsBackendOptions,
  ) {
    if (typeof tf?.tensor !== 'function' || typeof tf?.setBackend !== 'function') {
      throw new BackendError(
        `tsgrad backend "${name}": the second argument must be the TensorFlow.js namespace (import * as tf from "@tensorflow/tfjs-core").`,
      );
    }
    this.backendName = options.backendName;
    this.activate();
    const raw = makeKernels(tf, { checkIndices: options.checkIndices ?? true, overrides: options.overrides });
    // Every kernel: make sure tfjs runs on our backend, refuse float64, count the result.
    const wrapped: Record<string, unknown> = {};
    for (const [op, kernel] of Object.entries(raw) as [string, Kernel<TfTensor, never>][]) {
      wrapped[op] = (inputs: never, params: never, shape: Shape, dtype: DType) => {
        if (dtype === 'float64' || TF_DTYPES[dtype] === null) this.refuseDType(op, shape, dtype);
        if (tf.getBackend() !== this.backendName) this.activate();
        return this.count(this.withShapes(kernel, inputs, params, shape, dtype));
      };
    }
    this.kernels = wrapped as unknown as Kernels<TfTensor>;
  }

  /** The tfjs backend this adapter computes on. */
  readonly backendName: string;

  /**
   * Makes tfjs compute on this adapter's backend. tfjs has one global current backend, so two
   * adapters on different tfjs backends switch it back and forth (tfjs moves data as needed).
   */
  activate(): void {
    const { tf, backendName, name } = this;
    if (tf.getBackend() === backendName) return;
    if (tf.findBackendFactory(backendName) === null) {
      throw new BackendError(
        `tsgrad backend "${name}": TensorFlow.js has no backend "${backendName}" registered. ` +
          `Import its package first (e.g. "@tensorflow/tfjs-backend-${backendName}").`,
      );
    }
    // setBackend switches synchronously for backends that initialise synchronously (cpu, webgl);
    // its promise only matters for async ones, which are refused below.
    tf.setBackend(backendName).catch(() => undefined);
    if (tf.getBackend() !== backendName) {
      throw new BackendError(
        `tsgrad backend "${name}": TensorFlow.js backend "${backendName}" is not ready: it failed to initialise ` +
          `(see tfjs' warning above) or initialises asynchronously. Run \`await tf.setBackend("${backendName}")\` ` +
          `and check that it resolves to true before using "${name}".`,
      );
    }
  }

  /**
   * Core's reshape shares storage, so a handle may be viewed under a shape other than the tfjs
   * tensor's own. Kernels see tensors of the shape core says: reshape views (no copy) made here
   * and disposed right after the kernel.
   */
  private withShapes(
    kernel: Kernel<TfTensor, never>,
    inputs: readonly KernelInput<TfTensor>[],
    params: never,
    shape: Shape,
    dtype: DType,
  ): TfTensor {
    let views: TfTensor[] | undefined;
    let seen = inputs;
    for (let i = 0; i < inputs.length; i++) {
      const x = inputs[i];
      if (sameShape(x.handle.shape, x.shape)) continue;
      if (!views) {
        views = [];
        seen = inputs.slice();
      }
      const view = this.tf.reshape(x.handle, x.shape as number[]);
      views.push(view);
      (seen as KernelInput<TfTensor>[])[i] = { handle: view, shape: x.shape, dtype: x.dtype };
    }
    if (!views) return kernel(inputs as never, params, shape, dtype);
    try {
      return kernel(seen as never, params, shape, dtype);
    } finally {
      for (const v of views) v.dispose();
    }
  }

  /** float64, int64, float16, bfloat16: dtypes TensorFlow.js does not store. */
  private refuseDType(op: string, shape: Shape, dtype: DType): never {
    if (dtype !== 'float64') {
      throw new DTypeError(
        `${op}: backend "${this.name}" (TensorFlow.js "${this.backendName}") has no ${dtype}: TensorFlow.js stores float32, int32 and bool only. ` +
          `Keep ${dtype} tensors (shape [${shape.join(', ')}]) on the "cpu" backend (a checkpoint: loadFile(path, { backend: "cpu" })) ` +
          `and cast them there before moving: .cast("${dtype === 'int64' ? 'int32' : 'float32'}").to("${this.name}").`,
      );
    }
    throw new DTypeError(
      `${op}: backend "${this.name}" (TensorFlow.js "${this.backendName}") has no float64; it computes in float32 at most. ` +
        `Cast to float32 first (.cast("float32")) for shape [${shape.join(', ')}], or use the "cpu" backend for float64.`,
    );
  }

  private count(h: TfTensor): TfTensor {
    this.buffers++;
    this.bytes += h.size * BYTES[h.dtype as 'float32'];
    return h;
  }

  fromArray<D extends DType>(values: DTypeArrays[D], shape: Shape, dtype: D): TfTensor {
    if (dtype === 'float64' || TF_DTYPES[dtype] === null) this.refuseDType('fromArray', shape, dtype);
    if (this.tf.getBackend() !== this.backendName) this.activate();
    // tfjs keeps a typed array of the right kind as is (no copy); core hands over ownership.
    return this.count(this.tf.tensor(values as Float32Array | Int32Array | Uint8Array, shape as number[], tfDType(dtype)));
  }

  readSync(handle: TfTensor, _shape: Shape, dtype: DType): StorageArray {
    return asDType(handle.dataSync() as TypedArray, dtype);
  }

  async read(handle: TfTensor, _shape: Shape, dtype: DType): Promise<StorageArray> {
    return asDType((await handle.data()) as TypedArray, dtype);
  }

  dispose(handle: TfTensor): void {
    if (handle.isDisposed) return;
    this.buffers--;
    this.bytes -= handle.size * BYTES[handle.dtype as 'float32'];
    handle.dispose();
  }

  /** The tfjs tensors tsgrad holds on this backend, and their bytes. */
  memory(): MemoryInfo {
    return { buffers: this.buffers, bytes: this.bytes };
  }
}

/** Some tfjs backends read bools or ints back as Float32Array: hand core the dtype's own array. */
function asDType(values: TypedArray, dtype: DType): TypedArray {
  const Ctor = ARRAYS[tfDType(dtype)];
  return values instanceof Ctor ? values : Ctor.from(values);
}

/** A tsgrad backend named `name` that computes with `tf` on the tfjs backend `options.backendName`. */
export function createTfjsBackend(name: string, tf: TfjsModule, options: TfjsBackendOptions): TfjsBackend {
  return new TfjsBackend(name, tf, options);
}

/** Registers `name` with tsgrad; the adapter (and the tfjs backend) start on first use. */
export function registerTfjsBackend(name: string, tf: TfjsModule, options: TfjsBackendOptions, registration: { priority?: number } = {}): void {
  registerBackend(name, () => createTfjsBackend(name, tf, options), registration);
}
