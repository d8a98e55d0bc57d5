import { Tensor, DisposedError, DTypeError, ShapeError, ValueError, isFloat, linear, uniform, type DType, type Generator } from '@tsgrad/core';
import { Module, parameter } from './module.js';

export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Parameter dtype, float32 by default. */
  dtype?: DType;
  /** Backend for the parameters; the current backend by default. */
  backend?: string;
  /** Generator for the initial values; core's default generator otherwise. */
  generator?: Generator;
}

/**
 * y = x Wᵀ + b with W of shape [outFeatures, inFeatures], PyTorch's nn.Linear. Initial values
 * follow PyTorch: W and b from U(±1/√inFeatures), drawn weight first, then bias.
 */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    for (const [what, n] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(n) || n < 0) throw new ValueError(`Linear: ${what} must be a non-negative integer, got ${n}.`);
    }
    if (typeof options !== 'object' || options === null) throw new ValueError(`Linear: options must be an object such as { bias: false }, got ${String(options)}.`);
    const dtype = options.dtype ?? 'float32';
    if (options.bias !== undefined && typeof options.bias !== 'boolean') throw new ValueError(`Linear: options.bias must be true or false, got ${JSON.stringify(options.bias)}.`);
    if (!isFloat(dtype)) throw new DTypeError(`Linear: parameters must be float32 or float64, got dtype ${JSON.stringify(dtype)}.`);
    const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
    const opts = { dtype, backend: options.backend, generator: options.generator };
    this.weight = parameter(uniform([outFeatures, inFeatures], -bound, bound, opts), 'weight');
    this.bias = (options.bias ?? true) ? parameter(uniform([outFeatures], -bound, bound, opts), 'bias') : null;
  }

  forward(x: Tensor): Tensor {
    return this.forwardActivated(x, 'none');
  }

  /**
   * activation(x Wᵀ + b) as one op: Sequential uses it for a Linear followed by a ReLU, so
   * backends with a fused kernel run the pair in one pass.
   */
  forwardActivated(x: Tensor, activation: 'none' | 'relu'): Tensor {
    if (!(x instanceof Tensor)) throw new ValueError(`${this.describe()}: the input must be a Tensor, got ${x === null ? 'null' : typeof x}; make one with tensor(...).`);
    if (x.isDisposed) throw new DisposedError(`${this.describe()}: the input tensor (shape [${x.shape.join(', ')}]) has been disposed; keep it alive with keep(t) or create it inside the step.`);
    if (x.dtype !== this.weight.dtype) {
      // The input is what to cast: casting the parameters would cut them from training.
      throw new DTypeError(
        `${this.describe()}: the input is ${x.dtype} but the parameters are ${this.weight.dtype}; cast the input with x.cast("${this.weight.dtype}").`,
      );
    }
    const features = x.rank === 0 ? undefined : x.shape[x.rank - 1];
    if (features !== this.inFeatures) {
      throw new ShapeError(
        `${this.describe()}: expected an input whose last dimension has ${this.inFeatures} features, got shape [${x.shape.join(', ')}]` +
          `${features === undefined ? ' (a scalar)' : ` (${features} features)`}; reshape the input to [..., ${this.inFeatures}] or build Linear(${features ?? 1}, ${this.outFeatures}).`,
      );
    }
    // Wᵀ is read in place by the kernel, never materialised.
    return linear(x, this.weight, this.bias, { activation });
  }

  private describe(): string {
    return `Linear(inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures})`;
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}
