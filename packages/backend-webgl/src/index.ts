import * as tf from '@tensorflow/tfjs-core';
// Registers tfjs' "webgl" backend factory (in browsers only; in Node it registers nothing).
import '@tensorflow/tfjs-backend-webgl';
import { TfjsBackend, makeKernels, type TfjsBackendOptions } from '@tsgrad/backend-tfjs';
import {
  BackendError,
  computeGrads,
  getBackend,
  registerBackend,
  sizeOf,
  tidy,
  Tensor,
  typedArrayFor,
  ValueError,
  type Backend,
  type Shape,
} from '@tsgrad/core';

export interface WebglBackendOptions {
  /** The name tsgrad knows it by (default "webgl"). */
  readonly name?: string;
  /**
   * Accept a device whose WebGL renders floats in 16 bits only (some phones). Off by default:
   * tsgrad refuses such a device rather than hand back numbers with about 3 significant digits.
   */
  readonly allowHalfFloat?: boolean;
  /** See TfjsBackendOptions.checkIndices (default true). */
  readonly checkIndices?: TfjsBackendOptions['checkIndices'];
  /** @internal tests inject the device's float precision. */
  readonly precisionProbe?: () => 16 | 32;
}

/** Tolerances for comparing this backend's float results with float32 CPU results. */
export interface Tolerances {
  readonly atol: number;
  readonly rtol: number;
}

/**
 * Tolerances per WebGL float precision. 32-bit textures compute in IEEE float32, but GPU
 * transcendental functions (exp, log, tanh...) are less exact than the CPU's, hence 1e-4.
 */
export const WEBGL_TOLERANCES: Readonly<Record<16 | 32, Tolerances>> = {
  32: { atol: 1e-4, rtol: 1e-4 },
  16: { atol: 1e-2, rtol: 1e-2 },
};

/**
 * What tsgrad does on a device of `precision`: the tolerances to compare its results with, or a
 * BackendError on a half-float device unless `allowHalfFloat`.
 */
export function precisionPolicy(precision: 16 | 32, allowHalfFloat: boolean): Tolerances {
  if (precision === 32) return WEBGL_TOLERANCES[32];
  if (!allowHalfFloat) {
    throw new BackendError(
      'backend "webgl": this device renders WebGL floats in 16 bits only (no float32 render targets), so results would keep ' +
        'about 3 significant digits and training would diverge from the CPU. Use the "cpu" backend here, or accept the ' +
        'precision with createWebglBackend({ allowHalfFloat: true }) (compare results with atol/rtol 1e-2).',
    );
  }
  return WEBGL_TOLERANCES[16];
}

/** What warmup() did: how many WebGL programs it compiled and how long it took. */
export interface WarmupReport {
  readonly programsCompiled: number;
  readonly milliseconds: number;
}

/** A model to warm up: anything with forward(x) (a @tsgrad/layers Module) or a plain function. */
export interface WarmupModel {
  forward(x: Tensor): Tensor;
  parameters?(): Iterable<Tensor>;
}

interface WebglInternals {
  binaryCache?: Record<string, unknown>;
}

/**
 * The TensorFlow.js adapter on WebGL, with what a GPU in a browser adds: its float precision
 * and a shader warm-up.
 */
export class WebglBackend extends TfjsBackend {
  /** Tolerances for this device's float results against float32 CPU results. */
  readonly tolerances: Tolerances;
  private readonly probe: () => 16 | 32;

  constructor(options: WebglBackendOptions = {}) {
    const name = options.name ?? 'webgl';
    if (tf.findBackendFactory('webgl') === null) throw notInBrowser(name);
    super(name, tf, { backendName: 'webgl', checkIndices: options.checkIndices, overrides: webglOverrides });
    // Not tfjs' own floatPrecision(), which answers 16 on float32 devices (it tests for something
    // else): whether WebGL can render to float32 textures is what decides the precision of results.
    this.probe = options.precisionProbe ?? (() => (tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED') ? 32 : 16));
    this.tolerances = precisionPolicy(this.floatPrecision(), options.allowHalfFloat ?? false);
  }

  private internals(): WebglInternals {
    return (tf.findBackend('webgl') ?? {}) as WebglInternals;
  }

  /** Core's Backend is Backend<unknown>; kernels typed on tfjs tensors make it invariant, hence the cast. */
  private asBackend(): Backend {
    return this as unknown as Backend;
  }

  /** 32 where WebGL renders to float32 textures, 16 on half-float devices. */
  floatPrecision(): 16 | 32 {
    return this.probe();
  }

  /** WebGL programs compiled so far (tfjs caches them by op and shape). */
  programsCompiled(): number {
    const cache = this.internals().binaryCache;
    return cache ? Object.keys(cache).length : 0;
  }

  /**
   * Compiles the shaders a model needs before the first real step, so the first step is not
   * slowed by shader compilation. Give it either a function that runs one step's ops (it runs
   * once; its tensors are freed; it must not update parameters) or a model with forward() and the
   * input shape: warmup(model, { inputShape: [batch, features] }) runs forward and the backward
   * pass to every parameter (gradients are computed and dropped; no parameter changes).
   */
  async warmup(target: WarmupModel | (() => unknown), options: { inputShape?: Shape } = {}): Promise<WarmupReport> {
    const start = performance.now();
    const before = this.programsCompiled();
    const outputs = tidy(() => {
      if (typeof target === 'function') return collect(target());
      if (!options.inputShape) {
        throw new BackendError('webgl warmup(model): give the input shape, e.g. warmup(model, { inputShape: [32, 784] }).');
      }
      const x = Tensor.fromValues(typedArrayFor('float32', options.inputShape.reduce((a, d) => a * d, 1)), options.inputShape, 'float32', this.asBackend());
      const y = target.forward(x);
      const params = [...(target.parameters?.() ?? [])].filter((p) => p.requiresGrad);
      const loss = y.sum();
      const grads = params.length > 0 && loss.requiresGrad ? [...computeGrads([loss], [Tensor.fromValues(new Float32Array([1]), [], 'float32', this.asBackend())], { wrt: params }).values()] : [];
      return [loss, ...grads];
    });
    // Reading one value makes WebGL finish every queued program (compiling them first).
    for (const t of outputs) if (t.backend === this.asBackend()) await t.data();
    for (const t of outputs) t.dispose();
    return { programsCompiled: this.programsCompiled() - before, milliseconds: performance.now() - start };
  }
}

/** The generic kernels, for the int32 paths of the overrides below. */
const generic = makeKernels(tf, { checkIndices: false });

type TfTensor = tf.Tensor;
const isFloatHandle = (dtype: string) => dtype === 'float32' || dtype === 'float64';

/**
 * Where tfjs-backend-webgl departs from the CPU reference (found by the conformance suite's edge
 * values; each override restores the IEEE/C99 value):
 * - log(0) is about -88 (SwiftShader's float32 log), not -Infinity.
 * - log1p computes log(|1 + x|): x < -1 gives a number instead of NaN, x = -1 about -88.
 * - relu(-Infinity) is NaN (0·inf inside the shader), not 0.
 * - div returns 1 whenever a == b, so 0/0 and ±inf/±inf are 1 instead of NaN.
 * - pow(0, y < 0) is a large finite number instead of Infinity, pow(x, NaN) is not NaN, and a
 *   negative infinite base with a non-integer exponent gives NaN: pow is rebuilt from |x|^y with
 *   C99's special cases.
 * - max and min start from ∓1e20, so a row of -Infinity (+Infinity) gives -1e20 (1e20).
 */
const webglOverrides: TfjsBackendOptions['overrides'] = {
  log: ([x]) => tf.tidy(() => tf.where(tf.equal(x.handle, 0), tf.scalar(-Infinity), tf.log(x.handle))),
  log1p: ([x]) =>
    tf.tidy(() => {
      const h = x.handle;
      const edge = tf.where(tf.equal(h, -1), tf.scalar(-Infinity), tf.log1p(h));
      return tf.where(tf.less(h, -1), tf.scalar(NaN), edge);
    }),
  relu: (inputs, p, shape, dtype) =>
    isFloatHandle(inputs[0].dtype)
      ? tf.tidy(() => tf.where(tf.lessEqual(inputs[0].handle, 0), tf.zerosLike(inputs[0].handle), inputs[0].handle))
      : generic.relu(inputs, p, shape, dtype),
  div: (inputs, p, shape, dtype) => {
    const [a, b] = inputs;
    if (!isFloatHandle(a.dtype)) return generic.div(inputs, p, shape, dtype);
    return tf.tidy(() => {
      const indeterminate = tf.logicalAnd(tf.equal(a.handle, b.handle), tf.logicalOr(tf.equal(a.handle, 0), tf.isInf(a.handle)));
      return tf.where(indeterminate, tf.scalar(NaN), tf.div(a.handle, b.handle));
    });
  },
  // Flattened to 1-D: WebGL compiles one program per op and shape, and this is some 40 ops.
  pow: ([a, b], _, shape) =>
    tf.tidy(() => {
      const flat = (h: TfTensor) => tf.reshape(tf.broadcastTo(h, [...shape]), [sizeOf(shape)]);
      return tf.reshape(c99Pow(flat(a.handle), flat(b.handle)), [...shape]);
    }),
  max: (inputs, p, shape, dtype) => infiniteRows(generic.max(inputs, p, shape, dtype), inputs[0], p.axes, -Infinity),
  min: (inputs, p, shape, dtype) => infiniteRows(generic.min(inputs, p, shape, dtype), inputs[0], p.axes, Infinity),
  scatterAdd: (inputs, p, shape, dtype) => {
    const [u] = inputs;
    if (u.handle.dtype !== 'float32' && u.handle.dtype !== 'int32') return generic.scatterAdd(inputs, p, shape, dtype);
    return scatterAddByGather(inputs, p.axis, shape, dtype);
  },
};

/**
 * Inverted index maps, per index tensor: tfjs tensors never change, so a constant map (conv's
 * im2col windows, used in every backward pass) is read back from the GPU once.
 */
const scatterTables = new WeakMap<TfTensor, { n: number; k: number; table: Int32Array | null }>();

/**
 * The most elements the gather may produce (64 MB of float32). Beyond it (a few indices repeated
 * very often into many rows: k large and n large), the generic scatterND runs instead.
 */
const SCATTER_GATHER_LIMIT = 1 << 24;

/**
 * For each of the n target rows, the positions of the indices that point at it: a table [n, k],
 * k the most any row receives, unused slots holding m (an appended row of zeros). Null when the
 * table would pass SCATTER_GATHER_LIMIT.
 */
function scatterTable(idx: TfTensor, n: number): { k: number; table: Int32Array | null } {
  const cached = scatterTables.get(idx);
  if (cached && cached.n === n) return cached;
  const values = idx.dataSync();
  const m = values.length;
  const counts = new Int32Array(n);
  for (let i = 0; i < m; i++) {
    const v = values[i]!;
    // The generic kernel's range check (kept even with checkIndices off: the table needs it).
    if (!(v >= 0 && v < n)) throw new ValueError(`scatterAdd: index ${v} at position ${i} is out of range for an axis of size ${n}; indices must lie in [0, ${n - 1}].`);
    counts[v]!++;
  }
  let k = 0;
  for (let r = 0; r < n; r++) k = Math.max(k, counts[r]!);
  let table: Int32Array | null = null;
  if (n * k <= SCATTER_GATHER_LIMIT) {
    table = new Int32Array(n * k).fill(m);
    counts.fill(0);
    for (let i = 0; i < m; i++) {
      const v = values[i]!;
      table[v * k + counts[v]!++] = i;
    }
  }
  const entry = { n, k, table };
  scatterTables.set(idx, entry);
  return entry;
}

/**
 * scatterAdd as a gather and a sum, not tfjs-webgl's scatterND: that shader loops over every
 * update for each output element, O(n·m) for m updates into n rows (a CNN's max-pool gradient at
 * batch 64 is 8e5 x 2e5 iterations, minutes per step). Gathering each row's updates through the
 * inverted map (scatterTable) and summing them is O(n·k), k the most updates any row receives
 * (1 for max pooling, 9 for a 3x3 convolution's im2col).
 */
function scatterAddByGather(inputs: Parameters<typeof generic.scatterAdd>[0], axis: number, shape: Shape, dtype: Parameters<typeof generic.scatterAdd>[3]): TfTensor {
  const [u, idx] = inputs.map((t) => t.handle) as [TfTensor, TfTensor];
  const n = shape[axis]!;
  const { k, table } = scatterTable(idx, n);
  if (u.size === 0 || sizeOf(shape) === 0 || k === 0) return tf.zeros([...shape], u.dtype);
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis + 1));
  if (table === null || outer * n * k * inner > SCATTER_GATHER_LIMIT) return generic.scatterAdd(inputs, { axis, shape }, shape, dtype);
  const m = idx.size;
  return tf.tidy(() => {
    // Row m of the padded updates is zeros: the unused slots of the table point at it.
    const padded = tf.pad(tf.reshape(u, [outer, m, inner]), [[0, 0], [0, 1], [0, 0]]);
    const rows = tf.gather(padded, tf.tensor1d(table, 'int32'), 1);
    return tf.reshape(k === 1 ? rows : tf.sum(tf.reshape(rows, [outer, n, k, inner]), 2), [...shape]);
  });
}

/** Rows of `x` that hold only `inf` reduce to `inf` (tfjs-webgl gives its ±1e20 start value). */
function infiniteRows(reduced: TfTensor, x: { handle: TfTensor; dtype: string }, axes: readonly number[], inf: number): TfTensor {
  if (!isFloatHandle(x.dtype) || axes.length === 0 || x.handle.size === 0) return reduced;
  const fixed = tf.tidy(() => tf.where(tf.all(tf.equal(x.handle, inf), [...axes]), tf.scalar(inf), reduced));
  reduced.dispose();
  return fixed;
}

/** pow as C99 (and so PyTorch and the CPU backend) defines it, from WebGL's pow on |x| > 0 only. */
function c99Pow(x: TfTensor, y: TfTensor): TfTensor {
  const inf = tf.scalar(Infinity);
  const zero = tf.scalar(0);
  const one = tf.scalar(1);
  const ax = tf.abs(x);
  const yPos = tf.greater(y, 0);
  const yNeg = tf.less(y, 0);
  const yInf = tf.isInf(y);
  const yInt = tf.logicalAnd(tf.equal(tf.floor(y), y), tf.logicalNot(yInf));
  const yOdd = tf.logicalAnd(yInt, tf.equal(tf.sub(y, tf.mul(tf.floor(tf.div(y, 2)), 2)), 1));
  // |x|^y: 0 and infinite bases and infinite exponents explicitly, WebGL's pow elsewhere.
  const finitePart = tf.pow(tf.where(tf.logicalOr(tf.equal(ax, 0), tf.isInf(ax)), one, ax), y);
  const infExp = tf.where(tf.equal(ax, 1), one, tf.where(tf.equal(tf.greater(ax, 1), yPos), inf, zero));
  const zeroBase = tf.where(yNeg, inf, tf.where(yPos, zero, one));
  const infBase = tf.where(yNeg, zero, tf.where(yPos, inf, one));
  const mag = tf.where(tf.equal(ax, 0), zeroBase, tf.where(tf.isInf(ax), infBase, tf.where(yInf, infExp, finitePart)));
  // The sign: negative bases (-0 included, told apart by 1/x) with an odd integer exponent are
  // negative; finite negative bases with a finite non-integer exponent are NaN.
  const negative = tf.logicalOr(tf.less(x, 0), tf.logicalAnd(tf.equal(x, 0), tf.less(tf.div(one, x), 0)));
  const signed = tf.where(tf.logicalAnd(negative, yOdd), tf.neg(mag), mag);
  const complex = tf.logicalAnd(tf.logicalAnd(tf.less(x, 0), tf.logicalNot(tf.isInf(x))), tf.logicalAnd(tf.logicalNot(yInt), tf.logicalNot(yInf)));
  const real = tf.where(complex, tf.scalar(NaN), signed);
  // NaN in, NaN out, except pow(x, 0) = 1 and pow(1, y) = 1.
  const nan = tf.logicalOr(tf.isNaN(x), tf.isNaN(y));
  const exact = tf.logicalOr(tf.equal(y, 0), tf.equal(x, 1));
  return tf.where(exact, one, tf.where(nan, tf.scalar(NaN), real));
}

function collect(value: unknown): Tensor[] {
  if (value instanceof Tensor) return [value];
  if (Array.isArray(value)) return value.flatMap(collect);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(collect);
  return [];
}

function notInBrowser(name: string): BackendError {
  return new BackendError(
    `backend "${name}": WebGL needs a browser (tfjs-backend-webgl registers only where a WebGL canvas exists); ` +
      'this looks like Node or a worker without OffscreenCanvas. In Node use "cpu", "tfjs-cpu" (@tsgrad/backend-tfjs) ' +
      'or "cuda" (@tsgrad/backend-cuda); run WebGL code in a browser page.',
  );
}

/** A WebGL backend; throws a BackendError outside a browser or on a refused half-float device. */
export function createWebglBackend(options: WebglBackendOptions = {}): WebglBackend {
  return new WebglBackend(options);
}

/** The registered "webgl" backend, typed (created on first use). */
export function webgl(): WebglBackend {
  return getBackend('webgl') as WebglBackend;
}

registerBackend('webgl', () => createWebglBackend());
