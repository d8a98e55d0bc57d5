import { keep, zerosLike, type Tensor } from '@tsgrad/core';
import { ValueError } from '@tsgrad/core';
import { Optimizer, checkRange, type ParamGroup, type Params, optionsOf } from './optimizer.js';

export interface AdamOptions {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

export type AdamState = {
  step: number;
  expAvg: Tensor;
  expAvgSq: Tensor;
  /** Only with amsgrad. */
  maxExpAvgSq: Tensor | null;
};

function validateAdam(name: string, o: AdamOptions): void {
  checkRange(name, 'learning rate (lr)', o.lr);
  checkRange(name, 'eps', o.eps);
  if (!Array.isArray(o.betas) || o.betas.length !== 2) {
    throw new ValueError(`${name}: betas must be a pair [beta1, beta2], got ${JSON.stringify(o.betas)}.`);
  }
  checkRange(name, 'beta1 (betas[0])', o.betas[0], { belowOne: true });
  checkRange(name, 'beta2 (betas[1])', o.betas[1], { belowOne: true });
  checkRange(name, 'weightDecay', o.weightDecay);
}

/**
 * The shared Adam update (PyTorch's algorithm box): m = β1 m + (1-β1) g, v = β2 v + (1-β2) g²,
 * v̂max = max(v̂max, v) with amsgrad, θ -= γ/(1-β1^t) · m / (√v / √(1-β2^t) + ε).
 * `decoupled` applies AdamW's θ *= 1 - γλ before the update instead of adding λθ to g.
 */
function adamUpdate(opt: { stateOf: (p: Tensor, init: () => AdamState) => AdamState }, group: ParamGroup<AdamOptions>, decoupled: boolean): void {
  const { lr, eps, weightDecay, amsgrad, maximize } = group;
  const [beta1, beta2] = group.betas;
  for (const p of group.params) {
    const grad = p.grad;
    if (grad === null) continue;
    let g = maximize ? grad.neg() : grad;
    const state = opt.stateOf(p, () => ({
      step: 0,
      expAvg: zerosLike(p),
      expAvgSq: zerosLike(p),
      maxExpAvgSq: amsgrad ? zerosLike(p) : null,
    }));
    state.step += 1;
    const t = state.step;
    let param = p;
    if (weightDecay !== 0) {
      if (decoupled) param = p.mul(1 - lr * weightDecay);
      else g = g.add(p.mul(weightDecay));
    }
    const m = state.expAvg;
    const v = state.expAvgSq;
    m.assign(m.mul(beta1).add(g.mul(1 - beta1)));
    v.assign(v.mul(beta2).add(g.mul(g).mul(1 - beta2)));
    const biasCorrection1 = 1 - beta1 ** t;
    const biasCorrection2 = 1 - beta2 ** t;
    let second = v;
    if (amsgrad) {
      // A state saved without amsgrad gets its running max on the first amsgrad step.
      if (state.maxExpAvgSq === null) state.maxExpAvgSq = keep(zerosLike(p));
      const vmax = state.maxExpAvgSq;
      vmax.assign(vmax.maximum(v));
      second = vmax;
    }
    const denom = second.sqrt().div(Math.sqrt(biasCorrection2)).add(eps);
    p.assign(param.sub(m.div(denom).mul(lr / biasCorrection1)));
  }
}

/** Adam (Kingma & Ba), with L2 weight decay added to the gradient and optional AMSGrad. */
export class Adam extends Optimizer<AdamOptions, AdamState> {
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super('Adam', params, {
      lr: optionsOf('Adam', options).lr ?? 1e-3,
      betas: optionsOf('Adam', options).betas ?? [0.9, 0.999],
      eps: optionsOf('Adam', options).eps ?? 1e-8,
      weightDecay: optionsOf('Adam', options).weightDecay ?? 0,
      amsgrad: optionsOf('Adam', options).amsgrad ?? false,
      maximize: optionsOf('Adam', options).maximize ?? false,
    });
  }
  protected validate(o: AdamOptions): void {
    validateAdam('Adam', o);
  }
  protected updateGroup(group: ParamGroup<AdamOptions>): void {
    adamUpdate({ stateOf: (p, init) => this.stateOf(p, init) }, group, false);
  }
}

/** AdamW (Loshchilov & Hutter): Adam with decoupled weight decay θ *= 1 - γλ (default λ = 0.01). */
export class AdamW extends Optimizer<AdamOptions, AdamState> {
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super('AdamW', params, {
      lr: optionsOf('AdamW', options).lr ?? 1e-3,
      betas: optionsOf('AdamW', options).betas ?? [0.9, 0.999],
      eps: optionsOf('AdamW', options).eps ?? 1e-8,
      weightDecay: optionsOf('AdamW', options).weightDecay ?? 1e-2,
      amsgrad: optionsOf('AdamW', options).amsgrad ?? false,
      maximize: optionsOf('AdamW', options).maximize ?? false,
    });
  }
  protected validate(o: AdamOptions): void {
    validateAdam('AdamW', o);
  }
  protected updateGroup(group: ParamGroup<AdamOptions>): void {
    adamUpdate({ stateOf: (p, init) => this.stateOf(p, init) }, group, true);
  }
}
