import { Tensor, ValueError } from '@tsgrad/core';
import { Module } from '@tsgrad/layers';
import * as F from './functional.js';

/**
 * Each loss as a Module of (input, target): `new MSELoss().call(output, y)`. Options are fixed at
 * construction, as PyTorch's nn losses.
 */
abstract class Loss<O extends F.ReductionOptions> extends Module<[Tensor, Tensor], Tensor> {
  constructor(readonly options: O = {} as O) {
    super();
  }
  override extraRepr(): string {
    return `reduction='${this.options.reduction ?? 'mean'}'`;
  }
}

export class L1Loss extends Loss<F.ReductionOptions> {
  forward(input: Tensor, target: Tensor): Tensor {
    return F.l1Loss(input, target, this.options);
  }
}
export class MSELoss extends Loss<F.ReductionOptions> {
  forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, this.options);
  }
}
export class SmoothL1Loss extends Loss<F.SmoothL1Options> {
  forward(input: Tensor, target: Tensor): Tensor {
    return F.smoothL1Loss(input, target, this.options);
  }
}
export class HuberLoss extends Loss<F.HuberOptions> {
  forward(input: Tensor, target: Tensor): Tensor {
    return F.huberLoss(input, target, this.options);
  }
}
export class BCELoss extends Loss<F.WeightOptions> {
  forward(input: Tensor, target: Tensor): Tensor {
    return F.bceLoss(input, target, this.options);
  }
}
export class BCEWithLogitsLoss extends Loss<F.BCEWithLogitsOptions> {
  forward(input: Tensor, target: Tensor): Tensor {
    return F.bceWithLogitsLoss(input, target, this.options);
  }
}
/** The class weight of a loss Module's options: a Tensor or nothing. */
function classWeight(name: string, options: F.NLLOptions | undefined): Tensor | null {
  const weight = options?.weight;
  if (weight === undefined || weight === null) return null;
  if (!(weight instanceof Tensor)) throw new ValueError(`${name}: weight must be a Tensor of shape [C] (one weight per class), got ${typeof weight}.`);
  return weight;
}

/**
 * {@link F.nllLoss} as a Module. A `weight` option is registered as the buffer `weight` (PyTorch's
 * register_buffer), so stateDict() saves it and to() moves it; `options` keeps the rest.
 */
export class NLLLoss extends Loss<F.NLLOptions> {
  declare readonly weight: Tensor | null;
  constructor(options: F.NLLOptions = {}) {
    const { weight: _w, ...rest } = options ?? {};
    super(rest);
    this.registerBuffer('weight', classWeight('NLLLoss', options));
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, this.weight ? { ...this.options, weight: this.weight } : this.options);
  }
}

/**
 * {@link F.crossEntropyLoss} as a Module. A `weight` option is registered as the buffer `weight`
 * (PyTorch's register_buffer), so stateDict() saves it and to() moves it; `options` keeps the rest.
 */
export class CrossEntropyLoss extends Loss<F.CrossEntropyOptions> {
  declare readonly weight: Tensor | null;
  constructor(options: F.CrossEntropyOptions = {}) {
    const { weight: _w, ...rest } = options ?? {};
    super(rest);
    this.registerBuffer('weight', classWeight('CrossEntropyLoss', options));
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropyLoss(input, target, this.weight ? { ...this.options, weight: this.weight } : this.options);
  }
}
