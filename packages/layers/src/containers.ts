import { DTypeError, Tensor, ValueError, assertInteger, assertTensor, flatten, isFloat, uniform, type Generator } from '@tsgrad/core';
import { Module } from './module.js';
import { Linear } from './linear.js';

/** An activation module that a preceding Linear can apply in its own kernel (ReLU sets it). */
export interface FusibleActivation {
  readonly fusedActivation: 'relu';
}

function fusesAsRelu(m: TensorModule | undefined): boolean {
  return m !== undefined && (m as Partial<FusibleActivation>).fusedActivation === 'relu';
}

/** A module of one tensor in and one tensor out: what Sequential chains. */
export type TensorModule = Module<[Tensor], Tensor>;

/** Runs its modules one after the other; their names are "0", "1", ... as in PyTorch. */
export class Sequential extends Module implements Iterable<TensorModule> {
  constructor(...modules: TensorModule[]) {
    super();
    modules.forEach((m, i) => this.append(m, i));
  }

  /** Adds a module at the end. Returns this. */
  append(module: TensorModule, index = this.length): this {
    if (!(module instanceof Module)) {
      throw new ValueError(`Sequential: entry ${index} is not a Module (got ${module === null ? 'null' : typeof module}); pass layers such as new Linear(2, 3).`);
    }
    this.registerModule(String(index), module);
    return this;
  }

  get length(): number {
    return this.children().length;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): TensorModule {
    const list = this.children() as unknown as TensorModule[];
    const m = list.at(index);
    if (m === undefined) throw new ValueError(`Sequential.at: index ${index} is out of range for ${list.length} modules.`);
    return m;
  }

  [Symbol.iterator](): Iterator<TensorModule> {
    return (this.children() as unknown as TensorModule[])[Symbol.iterator]();
  }

  forward(x: Tensor): Tensor {
    const modules = this.children() as unknown as TensorModule[];
    let y = x;
    for (let i = 0; i < modules.length; i++) {
      const m = modules[i];
      // Linear then ReLU runs as one fused op (same values, one kernel where the backend has it).
      if (m instanceof Linear && fusesAsRelu(modules[i + 1])) {
        y = m.forwardActivated(y, 'relu');
        i++;
      } else y = m.call(y);
    }
    return y;
  }
}

/** Merges axes startDim..endDim (default 1..-1: everything but the batch axis), PyTorch's nn.Flatten. */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
    assertInteger('Flatten', 'startDim', startDim);
    assertInteger('Flatten', 'endDim', endDim);
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

export interface DropoutOptions {
  /** Generator for the masks (seeded dropout); core's default generator otherwise. */
  generator?: Generator;
}

/**
 * Zeroes each element with probability p in training mode and scales the rest by 1/(1-p), so
 * the expected value is unchanged; the identity in eval mode. Masks are drawn with core's
 * seeded generator, so a seed gives the same masks on every backend.
 */
export class Dropout extends Module {
  private readonly generator: Generator | undefined;

  constructor(
    readonly p = 0.5,
    options: DropoutOptions = {},
  ) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
      throw new ValueError(`Dropout: the drop probability p must be in [0, 1], got ${p}.`);
    }
    this.generator = options.generator;
  }

  forward(x: Tensor): Tensor {
    // Checked before the identity paths below, so eval mode does not pass a bad input through.
    assertTensor('Dropout', 'the input', x);
    if (!this.training || this.p === 0) return x;
    if (!isFloat(x.dtype) && this.p < 1) {
      throw new DTypeError(`Dropout: the input is ${x.dtype}, but scaling the kept elements by 1/(1-p) needs a float tensor; cast it with .cast("float32").`);
    }
    if (this.p === 1) return x.mul(0);
    const u = uniform(x.shape, 0, 1, { dtype: x.dtype, backend: x.backend.name, generator: this.generator });
    // Keep where u >= p: probability 1 - p.
    const keepMask = u.ge(this.p).cast(x.dtype);
    u.dispose();
    return x.mul(keepMask).mul(1 / (1 - this.p));
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
