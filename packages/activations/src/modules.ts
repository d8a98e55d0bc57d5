import type { Tensor } from '@tsgrad/core';
import { Module, type FusibleActivation } from '@tsgrad/layers';
import * as F from './functional.js';

/** Each activation as a Module (no parameters): `new ReLU().call(x)`, or a stage of a Sequential. */

export class UnitStep extends Module {
  constructor(readonly options: F.StraightThroughOptions = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.unitStep(x, this.options);
  }
  override extraRepr(): string {
    return this.options.straightThrough ? 'straightThrough=true' : '';
  }
}

export class Sign extends Module {
  constructor(readonly options: F.StraightThroughOptions = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.sign(x, this.options);
  }
  override extraRepr(): string {
    return this.options.straightThrough ? 'straightThrough=true' : '';
  }
}

/** The linear activation (named Identity, as PyTorch's nn.Identity, to stay clear of the Linear layer). */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return F.identity(x);
  }
}

export class PiecewiseLinear extends Module {
  forward(x: Tensor): Tensor {
    return F.piecewiseLinear(x);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return F.sigmoid(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return F.tanh(x);
  }
}

export class ReLU extends Module implements FusibleActivation {
  /** A Sequential runs a Linear followed by this ReLU as one fused linear op. */
  readonly fusedActivation = 'relu' as const;
  forward(x: Tensor): Tensor {
    return F.relu(x);
  }
}

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.leakyRelu(x, this.negativeSlope);
  }
  override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.elu(x, this.alpha);
  }
  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

export class GELU extends Module {
  constructor(readonly options: F.GeluOptions = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.gelu(x, this.options);
  }
  override extraRepr(): string {
    return `approximate='${this.options.approximate ?? 'none'}'`;
  }
}

export class Softplus extends Module {
  constructor(readonly options: F.SoftplusOptions = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.softplus(x, this.options);
  }
  override extraRepr(): string {
    return `beta=${this.options.beta ?? 1}, threshold=${this.options.threshold ?? 20}`;
  }
}

export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return F.silu(x);
  }
}

export class Softmax extends Module {
  constructor(readonly axis = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.softmax(x, this.axis);
  }
  override extraRepr(): string {
    return `axis=${this.axis}`;
  }
}

export class LogSoftmax extends Module {
  constructor(readonly axis = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.logSoftmax(x, this.axis);
  }
  override extraRepr(): string {
    return `axis=${this.axis}`;
  }
}
