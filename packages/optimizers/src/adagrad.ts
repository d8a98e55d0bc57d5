import { full, type Tensor } from '@tsgrad/core';
import { Optimizer, checkRange, type ParamGroup, type Params, optionsOf } from './optimizer.js';

export interface AdagradOptions {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
  maximize: boolean;
}

export type AdagradState = { step: number; sum: Tensor };

/**
 * Adagrad as torch.optim.Adagrad computes it: γ̃ = γ / (1 + (t-1)η), g += λθ,
 * s = s + g², θ -= γ̃ g / (√s + ε), with s starting at initialAccumulatorValue.
 */
export class Adagrad extends Optimizer<AdagradOptions, AdagradState> {
  constructor(params: Params<AdagradOptions>, options: Partial<AdagradOptions> = {}) {
    super('Adagrad', params, {
      lr: optionsOf('Adagrad', options).lr ?? 1e-2,
      lrDecay: optionsOf('Adagrad', options).lrDecay ?? 0,
      weightDecay: optionsOf('Adagrad', options).weightDecay ?? 0,
      initialAccumulatorValue: optionsOf('Adagrad', options).initialAccumulatorValue ?? 0,
      eps: optionsOf('Adagrad', options).eps ?? 1e-10,
      maximize: optionsOf('Adagrad', options).maximize ?? false,
    });
    // PyTorch creates the accumulator at construction, so a state dict saved before the first
    // step already holds it.
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        this.stateOf(p, () => ({ step: 0, sum: full(p.shape, g.initialAccumulatorValue, { dtype: p.dtype, backend: p.backend.name }) }));
      }
    }
  }

  protected validate(o: AdagradOptions): void {
    checkRange('Adagrad', 'learning rate (lr)', o.lr);
    checkRange('Adagrad', 'lrDecay', o.lrDecay);
    checkRange('Adagrad', 'weightDecay', o.weightDecay);
    checkRange('Adagrad', 'initialAccumulatorValue', o.initialAccumulatorValue);
    checkRange('Adagrad', 'eps', o.eps);
  }

  protected updateGroup(group: ParamGroup<AdagradOptions>): void {
    const { lr, lrDecay, weightDecay, eps, maximize, initialAccumulatorValue } = group;
    for (const p of group.params) {
      const grad = p.grad;
      if (grad === null) continue;
      let g = maximize ? grad.neg() : grad;
      const state = this.stateOf(p, () => ({ step: 0, sum: full(p.shape, initialAccumulatorValue, { dtype: p.dtype, backend: p.backend.name }) }));
      state.step += 1;
      if (weightDecay !== 0) g = g.add(p.mul(weightDecay));
      const clr = lr / (1 + (state.step - 1) * lrDecay);
      const s = state.sum;
      s.assign(s.add(g.mul(g)));
      p.assign(p.sub(g.div(s.sqrt().add(eps)).mul(clr)));
    }
  }

}
