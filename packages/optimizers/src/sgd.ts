import type { Tensor } from '@tsgrad/core';
import { ValueError } from '@tsgrad/core';
import { Optimizer, checkRange, cloneTensor, type ParamGroup, type Params, optionsOf } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

export type SGDState = { momentumBuffer: Tensor | null };

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
 * decay, as torch.optim.SGD computes it:
 *   g = ±∇ (negated when maximizing), g += λθ, b = μb + (1-τ)g (b = g at the first step),
 *   g = g + μb (Nesterov) or b, θ -= γg.
 * Negating first (before weight decay) is what PyTorch's implementation does.
 */
export class SGD extends Optimizer<SGDOptions, SGDState> {
  constructor(params: Params<SGDOptions>, options: Partial<SGDOptions> & { lr?: number } = {}) {
    super('SGD', params, {
      lr: optionsOf('SGD', options).lr ?? 1e-3,
      momentum: optionsOf('SGD', options).momentum ?? 0,
      dampening: optionsOf('SGD', options).dampening ?? 0,
      weightDecay: optionsOf('SGD', options).weightDecay ?? 0,
      nesterov: optionsOf('SGD', options).nesterov ?? false,
      maximize: optionsOf('SGD', options).maximize ?? false,
    });
  }

  protected validate(o: SGDOptions): void {
    checkRange('SGD', 'learning rate (lr)', o.lr);
    checkRange('SGD', 'momentum', o.momentum);
    checkRange('SGD', 'weightDecay', o.weightDecay);
    if (typeof o.dampening !== 'number' || !Number.isFinite(o.dampening)) {
      throw new ValueError(`SGD: invalid dampening ${String(o.dampening)}; it must be a finite number.`);
    }
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new ValueError(
        `SGD: Nesterov momentum needs momentum > 0 and dampening 0, got momentum ${o.momentum} and dampening ${o.dampening}.`,
      );
    }
  }

  protected updateGroup(group: ParamGroup<SGDOptions>): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
    for (const p of group.params) {
      const grad = p.grad;
      if (grad === null) continue;
      let g = maximize ? grad.neg() : grad;
      if (weightDecay !== 0) g = g.add(p.mul(weightDecay));
      if (momentum !== 0) {
        const state = this.stateOf(p, () => ({ momentumBuffer: null }));
        let buf = state.momentumBuffer;
        if (buf === null) {
          buf = cloneTensor(g);
          state.momentumBuffer = buf;
          buf.isKept = true;
        } else {
          const scaled = dampening === 0 ? g : g.mul(1 - dampening);
          buf.assign(buf.mul(momentum).add(scaled));
        }
        g = nesterov ? g.add(buf.mul(momentum)) : buf;
      }
      p.assign(p.sub(g.mul(lr)));
    }
  }
}
