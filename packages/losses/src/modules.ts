import type { Tensor } from '@tsgrad/core';
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
export class NLLLoss extends Loss<F.NLLOptions> {
  forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, this.options);
  }
}
export class CrossEntropyLoss extends Loss<F.CrossEntropyOptions> {
  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropyLoss(input, target, this.options);
  }
}
