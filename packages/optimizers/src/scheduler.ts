import { ValueError } from '@tsgrad/core';
import type { BaseOptions, Optimizer, ParamGroup } from './optimizer.js';

/** The part of an optimizer a scheduler drives: its groups' learning rates. */
export interface HasParamGroups {
  readonly paramGroups: readonly BaseOptions[];
}

export interface LRSchedulerStateDict {
  lastEpoch: number;
  baseLrs: number[];
  lastLr: number[];
}

/**
 * A learning-rate schedule over an optimizer's parameter groups (torch.optim.lr_scheduler).
 * Construction sets epoch 0 (every group at its initial lr); each step() advances one epoch and
 * writes the new lr into every group. Rules are PyTorch's chainable forms, so a schedule follows
 * an lr changed by hand.
 */
export abstract class LRScheduler {
  /** The epoch of the last step(): 0 right after construction. */
  lastEpoch = -1;
  readonly baseLrs: number[];
  private lastLr: number[] = [];

  constructor(readonly optimizer: HasParamGroups | Optimizer<BaseOptions>) {
    if (!optimizer || !Array.isArray(optimizer.paramGroups)) {
      throw new ValueError(`${this.constructor.name}: expected an optimizer (something with paramGroups).`);
    }
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
  }

  /** The learning rate of every group for `this.lastEpoch`, from the current ones. */
  protected abstract computeLr(): number[];

  /** Advances one epoch and sets each group's lr. */
  step(): void {
    this.lastEpoch += 1;
    const lrs = this.computeLr();
    const groups = this.optimizer.paramGroups as (BaseOptions | ParamGroup<BaseOptions>)[];
    groups.forEach((g, i) => (g.lr = lrs[i]));
    this.lastLr = lrs;
  }

  /** The learning rates set by the last step() (one per group). */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): LRSchedulerStateDict {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs], lastLr: [...this.lastLr] };
  }

  loadStateDict(state: LRSchedulerStateDict): void {
    if (!state || state.baseLrs?.length !== this.baseLrs.length) {
      throw new ValueError(
        `${this.constructor.name}.loadStateDict: the state has ${state?.baseLrs?.length ?? 'no'} base learning rates but the optimizer has ${this.baseLrs.length} groups.`,
      );
    }
    this.lastEpoch = state.lastEpoch;
    this.baseLrs.splice(0, this.baseLrs.length, ...state.baseLrs);
    this.lastLr = [...state.lastLr];
  }

  protected currentLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
}

/** Multiplies the lr by gamma every stepSize epochs: lr = base · gamma^⌊epoch/stepSize⌋. */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;
  constructor(optimizer: HasParamGroups, options: { stepSize: number; gamma?: number }) {
    super(optimizer);
    const { stepSize, gamma = 0.1 } = options ?? ({} as { stepSize: number });
    if (!Number.isInteger(stepSize) || stepSize <= 0) throw new ValueError(`StepLR: stepSize must be a positive integer, got ${String(stepSize)}.`);
    if (!Number.isFinite(gamma) || gamma < 0) throw new ValueError(`StepLR: gamma must be a finite number >= 0, got ${gamma}.`);
    this.stepSize = stepSize;
    this.gamma = gamma;
    this.step();
  }
  protected computeLr(): number[] {
    const lrs = this.currentLrs();
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return lrs;
    return lrs.map((lr) => lr * this.gamma);
  }
}

/** Multiplies the lr by gamma every epoch: lr = base · gamma^epoch. */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;
  constructor(optimizer: HasParamGroups, options: { gamma: number }) {
    super(optimizer);
    const gamma = options?.gamma;
    if (typeof gamma !== 'number' || !Number.isFinite(gamma) || gamma < 0) {
      throw new ValueError(`ExponentialLR: gamma must be a finite number >= 0, got ${String(gamma)}.`);
    }
    this.gamma = gamma;
    this.step();
  }
  protected computeLr(): number[] {
    const lrs = this.currentLrs();
    return this.lastEpoch === 0 ? lrs : lrs.map((lr) => lr * this.gamma);
  }
}

/**
 * Cosine annealing from the base lr down to etaMin over tMax epochs (SGDR without restarts):
 * lr = etaMin + (base - etaMin)(1 + cos(π·epoch/tMax))/2, computed by PyTorch's recursive form.
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;
  constructor(optimizer: HasParamGroups, options: { tMax: number; etaMin?: number }) {
    super(optimizer);
    const { tMax, etaMin = 0 } = options ?? ({} as { tMax: number });
    if (!Number.isInteger(tMax) || tMax <= 0) throw new ValueError(`CosineAnnealingLR: tMax must be a positive integer, got ${String(tMax)}.`);
    if (!Number.isFinite(etaMin) || etaMin < 0) throw new ValueError(`CosineAnnealingLR: etaMin must be a finite number >= 0, got ${etaMin}.`);
    this.tMax = tMax;
    this.etaMin = etaMin;
    this.step();
  }
  protected computeLr(): number[] {
    const { lastEpoch: e, tMax: T, etaMin } = this;
    const lrs = this.currentLrs();
    if (e === 0) return lrs;
    if ((e - 1 - T) % (2 * T) === 0) {
      // At the bottom the recursive ratio is 0/0: step up from the minimum directly.
      return lrs.map((lr, i) => lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    const ratio = (1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T));
    return lrs.map((lr) => ratio * (lr - etaMin) + etaMin);
  }
}
