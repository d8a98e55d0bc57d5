import { zerosLike, keep, type Tensor } from '@tsgrad/core';
import { Optimizer, checkRange, type ParamGroup, type Params, optionsOf } from './optimizer.js';

export interface RMSpropOptions {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

export type RMSpropState = {
  step: number;
  squareAvg: Tensor;
  /** Only with momentum > 0. */
  momentumBuffer: Tensor | null;
  /** Only when centered. */
  gradAvg: Tensor | null;
};

/**
 * RMSprop as torch.optim.RMSprop computes it: v = αv + (1-α)g²; centered: ḡ = αḡ + (1-α)g and
 * ṽ = v - ḡ²; with momentum b = μb + g/(√ṽ + ε), θ -= γb; else θ -= γ g/(√ṽ + ε).
 */
export class RMSprop extends Optimizer<RMSpropOptions, RMSpropState> {
  constructor(params: Params<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super('RMSprop', params, {
      lr: optionsOf('RMSprop', options).lr ?? 1e-2,
      alpha: optionsOf('RMSprop', options).alpha ?? 0.99,
      eps: optionsOf('RMSprop', options).eps ?? 1e-8,
      weightDecay: optionsOf('RMSprop', options).weightDecay ?? 0,
      momentum: optionsOf('RMSprop', options).momentum ?? 0,
      centered: optionsOf('RMSprop', options).centered ?? false,
      maximize: optionsOf('RMSprop', options).maximize ?? false,
    });
  }

  protected validate(o: RMSpropOptions): void {
    checkRange('RMSprop', 'learning rate (lr)', o.lr);
    checkRange('RMSprop', 'eps', o.eps);
    checkRange('RMSprop', 'momentum', o.momentum);
    checkRange('RMSprop', 'weightDecay', o.weightDecay);
    checkRange('RMSprop', 'alpha', o.alpha);
  }

  protected updateGroup(group: ParamGroup<RMSpropOptions>): void {
    const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = group;
    for (const p of group.params) {
      const grad = p.grad;
      if (grad === null) continue;
      let g = maximize ? grad.neg() : grad;
      if (weightDecay !== 0) g = g.add(p.mul(weightDecay));
      const state = this.stateOf(p, () => ({ step: 0, squareAvg: zerosLike(p), momentumBuffer: null, gradAvg: null }));
      state.step += 1;
      const v = state.squareAvg;
      v.assign(v.mul(alpha).add(g.mul(g).mul(1 - alpha)));
      let avg: Tensor;
      if (centered) {
        state.gradAvg ??= keep(zerosLike(p));
        const ga = state.gradAvg;
        ga.assign(ga.mul(alpha).add(g.mul(1 - alpha)));
        avg = v.sub(ga.mul(ga)).sqrt().add(eps);
      } else {
        avg = v.sqrt().add(eps);
      }
      if (momentum > 0) {
        state.momentumBuffer ??= keep(zerosLike(p));
        const buf = state.momentumBuffer;
        buf.assign(buf.mul(momentum).add(g.div(avg)));
        p.assign(p.sub(buf.mul(lr)));
      } else {
        p.assign(p.sub(g.div(avg).mul(lr)));
      }
    }
  }
}
