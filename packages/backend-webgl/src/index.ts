import * as tf from '@tensorflow/tfjs-core';
// Registers tfjs' "webgl" backend factory (in browsers only; in Node it registers nothing).
import '@tensorflow/tfjs-backend-webgl';
import { TfjsBackend, type TfjsBackendOptions } from '@tsgrad/backend-tfjs';
import {
  BackendError,
  computeGrads,
  getBackend,
  registerBackend,
  tidy,
  Tensor,
  typedArrayFor,
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

/**
 * Where tfjs-backend-webgl departs from the CPU reference: its log1p computes log(|1 + x|), so
 * x < -1 gives a number instead of NaN, and x = -1 gives about -88 instead of -Infinity.
 */
const webglOverrides: TfjsBackendOptions['overrides'] = {
  log1p: ([x]) =>
    tf.tidy(() => {
      const h = x.handle;
      const edge = tf.where(tf.equal(h, -1), tf.scalar(-Infinity), tf.log1p(h));
      return tf.where(tf.less(h, -1), tf.scalar(NaN), edge);
    }),
};

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
