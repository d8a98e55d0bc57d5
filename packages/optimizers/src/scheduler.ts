import { Tensor, ValueError } from '@tsgrad/core';
import type { BaseOptions, Optimizer, ParamGroup } from './optimizer.js';

/**
 * The part of an optimizer a scheduler drives: its groups' learning rates (and, for OneCycleLR,
 * `momentum` or `betas`). `defaults` tells OneCycleLR which of the two the optimizer has.
 */
export interface HasParamGroups {
  readonly paramGroups: readonly BaseOptions[];
  readonly defaults?: Readonly<object>;
}

/**
 * A scheduler's state: plain numbers, strings, booleans and arrays of them (so JSON can carry it,
 * with ±Infinity encoded, see @tsgrad/io's checkpoints), keyed by PyTorch's attribute names in
 * camelCase. Every LRScheduler has `lastEpoch`, `baseLrs` and `lastLr`; each adds its
 * hyperparameters and counters (SequentialLR nests its schedulers' states under `schedulers`).
 */
export interface LRSchedulerStateDict {
  lastEpoch: number;
  baseLrs: number[];
  lastLr: number[];
  [key: string]: unknown;
}

/** What every scheduler offers, ReduceLROnPlateau included: a checkpoint saves and restores it. */
export interface Scheduler {
  getLastLr(): number[];
  stateDict(): Record<string, unknown>;
  loadStateDict(state: Record<string, unknown>): void;
}

/** A group as the schedulers see it: PyTorch's `initial_lr` is `initialLr`. */
type Group = BaseOptions & { initialLr?: number; momentum?: number; betas?: readonly number[] };

const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? `an array of ${v.length}` : typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' ? String(v) : typeof v);

/** The class name of a scheduler, for messages (minifiers may rename it; the fallback is the kind). */
const nameOf = (s: object): string => s.constructor?.name || 'LRScheduler';

/** A deep copy of a state value (arrays of numbers, nested states). */
function copyValue<T>(v: T): T {
  if (Array.isArray(v)) return v.map(copyValue) as T;
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copyValue(x)])) as T;
  return v;
}

/** Copies `keys` of `owner` into a state dict. */
function saveState(owner: object, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = copyValue((owner as Record<string, unknown>)[k]);
  return out;
}

/**
 * Checks that `state` has every key of `keys` with the kind of value `owner` holds there (number,
 * string, boolean, array of the same length), then writes them all; nothing is written when one
 * is wrong. PyTorch's load_state_dict updates the attributes the same way, unchecked.
 */
function loadState(owner: object, state: unknown, keys: readonly string[]): void {
  const where = `${nameOf(owner)}.loadStateDict`;
  if (state === null || typeof state !== 'object' || Array.isArray(state)) {
    throw new ValueError(`${where}: expected the object stateDict() returned, got ${describe(state)}.`);
  }
  const s = state as Record<string, unknown>;
  const mine = owner as Record<string, unknown>;
  for (const k of keys) {
    const want = mine[k];
    const got = s[k];
    const kind = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
    // A JSON round trip without @tsgrad/io's encoding turns ±Infinity (`best`) into null: refused here.
    if (!(k in s) || kind(want) !== kind(got) || (Array.isArray(got) && !got.every((x) => typeof x === 'number'))) {
      throw new ValueError(
        `${where}: the state ${k in s ? `has ${describe(got)} for "${k}" where this scheduler holds ${describe(want)}` : `lacks "${k}"`}; pass the stateDict() of a ${nameOf(owner)}.`,
      );
    }
    // Arrays are per parameter group, but for milestones (their count is the scheduler's own).
    if (Array.isArray(want) && Array.isArray(got) && k !== 'milestones' && want.length !== got.length) {
      throw new ValueError(
        `${where}: "${k}" has ${got.length} entries in the state but ${want.length} here (one per parameter group); build the optimizer with the same groups.`,
      );
    }
  }
  for (const k of keys) mine[k] = copyValue(s[k]);
}

const STEP_AT = Symbol('stepAt');
const INITIAL_STEP = Symbol('initialStep');

/**
 * A learning-rate schedule over an optimizer's parameter groups (torch.optim.lr_scheduler).
 * Construction sets epoch 0 and writes that epoch's lr into every group; each step() advances one
 * epoch and writes the new lr. Rules are PyTorch's chainable forms, so a schedule follows an lr
 * changed by hand. As PyTorch, the first scheduler built on an optimizer records each group's lr
 * as `initialLr` in the group; every scheduler takes its `baseLrs` from there (so a second
 * scheduler on the same optimizer starts from the original lr, and SequentialLR resets to it).
 */
export abstract class LRScheduler implements Scheduler {
  /** The epoch of the last step(): 0 right after construction. */
  lastEpoch = -1;
  readonly baseLrs: number[];
  protected lastLr: number[] = [];

  constructor(readonly optimizer: HasParamGroups | Optimizer<BaseOptions>) {
    if (!optimizer || !Array.isArray(optimizer.paramGroups) || optimizer.paramGroups.length === 0) {
      throw new ValueError(`${nameOf(this)}: expected an optimizer (something with paramGroups), got ${describe(optimizer)}.`);
    }
    const groups = optimizer.paramGroups as Group[];
    groups.forEach((g, i) => {
      if (typeof g.lr !== 'number' || !Number.isFinite(g.lr)) throw new ValueError(`${nameOf(this)}: parameter group ${i} has lr ${describe(g.lr)}; it must be a finite number.`);
      // PyTorch's group.setdefault('initial_lr', group['lr']).
      if (g.initialLr === undefined) g.initialLr = g.lr;
    });
    this.baseLrs = groups.map((g) => g.initialLr!);
  }

  /** The learning rate of every group for `this.lastEpoch`, from the current ones (PyTorch's get_lr). */
  protected abstract computeLr(): number[];

  /** The closed form at `this.lastEpoch` from the base lrs (PyTorch's _get_closed_form_lr), where there is one. */
  protected closedFormLr(): number[] | null {
    return null;
  }

  /** Advances one epoch and sets each group's lr. */
  step(): void {
    this.lastEpoch += 1;
    this.apply(this.computeLr());
  }

  /** PyTorch's deprecated step(epoch), which SequentialLR uses to restart a scheduler at 0. */
  [STEP_AT](epoch: number): void {
    this.lastEpoch = epoch;
    this.apply(this.closedFormLr() ?? this.computeLr());
  }

  /** PyTorch's _initial_step: the step a constructor takes. */
  [INITIAL_STEP](): void {
    this.step();
  }

  private apply(lrs: number[]): void {
    const groups = this.optimizer.paramGroups as (BaseOptions | ParamGroup<BaseOptions>)[];
    groups.forEach((g, i) => (g.lr = lrs[i]));
    this.lastLr = groups.map((g) => g.lr);
  }

  /** The learning rates set by the last step() (one per group). */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** The names of the fields stateDict() saves: the progress, then each subclass's hyperparameters. */
  protected stateKeys(): readonly string[] {
    return ['lastEpoch', 'baseLrs', 'lastLr'];
  }

  /**
   * The progress (`lastEpoch`, `baseLrs`, `lastLr`) and the hyperparameters, as copies (PyTorch's
   * state_dict: every attribute but the optimizer; LambdaLR's functions are not saved).
   */
  stateDict(): LRSchedulerStateDict {
    return saveState(this, this.stateKeys()) as LRSchedulerStateDict;
  }

  /**
   * Restores what stateDict() saved (PyTorch's load_state_dict, which also restores the
   * hyperparameters). Learning rates in the groups are the optimizer's: restore its state dict too.
   * @throws ValueError for a state of another scheduler or another number of groups; nothing changes then.
   */
  loadStateDict(state: LRSchedulerStateDict | Record<string, unknown>): void {
    loadState(this, state, this.stateKeys());
  }

  protected currentLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
}

const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;
const isNonNegInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isFiniteNonNeg = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** One value per group from a number or a list of them (PyTorch's _format_param). */
function perGroup(op: string, name: string, v: unknown, groups: number, check: (x: unknown) => boolean, range: string): number[] {
  const list = Array.isArray(v) ? v : [v];
  if (Array.isArray(v) && v.length !== groups) throw new ValueError(`${op}: expected ${groups} values for ${name} (one per parameter group), got ${v.length}.`);
  list.forEach((x) => {
    if (!check(x)) throw new ValueError(`${op}: ${name} must be ${range}, got ${describe(x)}.`);
  });
  return Array.isArray(v) ? [...(v as number[])] : Array.from({ length: groups }, () => v as number);
}

function optionsObject<T extends object>(op: string, options: T | undefined, example: string): Partial<T> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new ValueError(`${op}: options must be an object such as ${example}, got ${describe(options)}.`);
  return options;
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
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
  protected override stateKeys(): readonly string[] {
    return [...super.stateKeys(), 'stepSize', 'gamma'];
  }
}

/**
 * Multiplies the lr by gamma at each milestone epoch (PyTorch's MultiStepLR): lr = base ·
 * gamma^(milestones ≤ epoch). A milestone listed twice multiplies twice (PyTorch counts them);
 * the order does not matter.
 * @throws ValueError for milestones that are not non-negative integers, or a gamma not finite and >= 0.
 */
export class MultiStepLR extends LRScheduler {
  /** The milestones, sorted, repeated ones kept. */
  readonly milestones: number[];
  readonly gamma: number;
  constructor(optimizer: HasParamGroups, options: { milestones: readonly number[]; gamma?: number }) {
    super(optimizer);
    const { milestones, gamma = 0.1 } = optionsObject('MultiStepLR', options, '{ milestones: [30, 80] }') as { milestones?: unknown; gamma?: unknown };
    if (!Array.isArray(milestones) || !milestones.every(isNonNegInt)) {
      throw new ValueError(`MultiStepLR: milestones must be an array of epoch numbers (integers >= 0), got ${JSON.stringify(milestones) ?? String(milestones)}.`);
    }
    if (!isFiniteNonNeg(gamma)) throw new ValueError(`MultiStepLR: gamma must be a finite number >= 0, got ${describe(gamma)}.`);
    this.milestones = [...(milestones as number[])].sort((a, b) => a - b);
    this.gamma = gamma;
    this.step();
  }
  protected computeLr(): number[] {
    const lrs = this.currentLrs();
    const count = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (count === 0) return lrs;
    return lrs.map((lr) => lr * this.gamma ** count);
  }
  protected override closedFormLr(): number[] {
    // bisect_right: the number of milestones <= epoch.
    const passed = this.milestones.filter((m) => m <= this.lastEpoch).length;
    return this.baseLrs.map((b) => b * this.gamma ** passed);
  }
  protected override stateKeys(): readonly string[] {
    return [...super.stateKeys(), 'milestones', 'gamma'];
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
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
  protected override stateKeys(): readonly string[] {
    return [...super.stateKeys(), 'gamma'];
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
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2);
  }
  protected override stateKeys(): readonly string[] {
    return [...super.stateKeys(), 'tMax', 'etaMin'];
  }
}

/** A multiplicative factor of the epoch number (LambdaLR's lrLambda). */
export type LrLambda = (epoch: number) => number;

/**
 * lr = base · lrLambda(epoch) (PyTorch's LambdaLR), one function for every group or one per group.
 * Not chainable: the lr is computed from the base lr each epoch. stateDict() does not save the
 * functions (PyTorch saves plain functions neither): rebuild the scheduler with them, then load.
 * @throws ValueError for a non-function, a list of the wrong length, or a factor that is not a finite number.
 */
export class LambdaLR extends LRScheduler {
  readonly lrLambdas: LrLambda[];
  constructor(optimizer: HasParamGroups, options: { lrLambda: LrLambda | readonly LrLambda[] }) {
    super(optimizer);
    const { lrLambda } = optionsObject('LambdaLR', options, '{ lrLambda: (epoch) => 0.95 ** epoch }') as { lrLambda?: unknown };
    const n = optimizer.paramGroups.length;
    if (Array.isArray(lrLambda) && lrLambda.length !== n) throw new ValueError(`LambdaLR: expected ${n} lrLambda functions (one per parameter group), got ${lrLambda.length}.`);
    const list = Array.isArray(lrLambda) ? [...lrLambda] : Array.from({ length: n }, () => lrLambda);
    list.forEach((f, i) => {
      if (typeof f !== 'function') throw new ValueError(`LambdaLR: lrLambda${Array.isArray(lrLambda) ? `[${i}]` : ''} must be a function of the epoch, such as (epoch) => 0.95 ** epoch, got ${describe(f)}.`);
    });
    this.lrLambdas = list as LrLambda[];
    this.step();
  }
  protected computeLr(): number[] {
    return this.baseLrs.map((b, i) => {
      const f = this.lrLambdas[i](this.lastEpoch);
      if (typeof f !== 'number' || !Number.isFinite(f)) {
        throw new ValueError(`LambdaLR: lrLambda of group ${i} returned ${describe(f)} at epoch ${this.lastEpoch}; it must return a finite number (the factor of the base lr).`);
      }
      return b * f;
    });
  }
}

/**
 * Scales the lr linearly from startFactor·base to endFactor·base over totalIters epochs, then keeps
 * it (PyTorch's LinearLR: a warm-up with endFactor 1, a decay with startFactor 1), by PyTorch's
 * chainable form lr_e = lr_{e-1}·(1 + (end - start)/(totalIters·start + (e - 1)(end - start))).
 * @throws ValueError for startFactor outside (0, 1] (0 would divide by zero in that form), endFactor
 * outside [0, 1], or totalIters not a positive integer.
 */
export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;
  constructor(optimizer: HasParamGroups, options: { startFactor?: number; endFactor?: number; totalIters?: number } = {}) {
    super(optimizer);
    const { startFactor = 1 / 3, endFactor = 1, totalIters = 5 } = optionsObject('LinearLR', options, '{ startFactor: 0.1, totalIters: 5 }') as Record<string, unknown>;
    if (typeof startFactor !== 'number' || !(startFactor > 0 && startFactor <= 1)) {
      throw new ValueError(`LinearLR: startFactor must be in (0, 1], got ${describe(startFactor)}; for a warm-up from nearly 0 use a small positive factor such as 0.001.`);
    }
    if (typeof endFactor !== 'number' || !(endFactor >= 0 && endFactor <= 1)) throw new ValueError(`LinearLR: endFactor must be in [0, 1], got ${describe(endFactor)}.`);
    if (!isPosInt(totalIters)) throw new ValueError(`LinearLR: totalIters must be a positive integer, got ${describe(totalIters)}.`);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
    this.step();
  }
  protected computeLr(): number[] {
    const { lastEpoch: e, startFactor: s, endFactor: f, totalIters: n } = this;
    const lrs = this.currentLrs();
    if (e === 0) return lrs.map((lr) => lr * s);
    if (e > n) return lrs;
    return lrs.map((lr) => lr * (1 + (f - s) / (n * s + (e - 1) * (f - s))));
  }
  protected override closedFormLr(): number[] {
    const { lastEpoch: e, startFactor: s, endFactor: f, totalIters: n } = this;
    return this.baseLrs.map((b) => b * (s + ((f - s) * Math.min(n, e)) / n));
  }
  protected override stateKeys(): readonly string[] {
    return [...super.stateKeys(), 'startFactor', 'endFactor', 'totalIters'];
  }
}

/**
 * Runs schedulers one after another (PyTorch's SequentialLR): scheduler i drives the lr from
 * milestone i-1 on, restarting there at its epoch 0 (its closed form from its base lrs). Build the
 * schedulers on the same optimizer first; construction resets every group's lr to its `initialLr`
 * and re-runs the first scheduler's epoch 0, as PyTorch does.
 * @throws ValueError for schedulers of another optimizer, milestones not one fewer than the
 * schedulers, or milestones that are not increasing positive integers.
 */
export class SequentialLR extends LRScheduler {
  readonly schedulers: LRScheduler[];
  readonly milestones: number[];
  constructor(optimizer: HasParamGroups, options: { schedulers: readonly LRScheduler[]; milestones: readonly number[] }) {
    super(optimizer);
    const { schedulers, milestones } = optionsObject('SequentialLR', options, '{ schedulers: [warmup, decay], milestones: [5] }') as Record<string, unknown>;
    if (!Array.isArray(schedulers) || schedulers.length === 0) throw new ValueError(`SequentialLR: schedulers must be a non-empty array of schedulers, got ${describe(schedulers)}.`);
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler)) {
        throw new ValueError(`SequentialLR: schedulers[${i}] is ${describe(s)}, not an LRScheduler${(s as object)?.constructor?.name === 'ReduceLROnPlateau' ? ' (ReduceLROnPlateau steps on a metric and cannot be sequenced)' : ''}.`);
      }
      if (s.optimizer !== optimizer) throw new ValueError(`SequentialLR: schedulers[${i}] (${nameOf(s)}) drives another optimizer; every scheduler must be built on the optimizer passed to SequentialLR.`);
    });
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      throw new ValueError(
        `SequentialLR: expected ${schedulers.length - 1} milestone(s), one fewer than the ${schedulers.length} schedulers, got ${Array.isArray(milestones) ? milestones.length : describe(milestones)}.`,
      );
    }
    if (!milestones.every((m, i) => isPosInt(m) && (i === 0 || m > milestones[i - 1]))) {
      throw new ValueError(`SequentialLR: milestones must be increasing positive integers (the epochs where the next scheduler starts), got ${JSON.stringify(milestones)}.`);
    }
    this.schedulers = [...(schedulers as LRScheduler[])];
    this.milestones = [...(milestones as number[])];
    this.lastEpoch = 0;
    // PyTorch: reset the lrs, undo the step each scheduler's constructor took, redo the first one's.
    for (const g of optimizer.paramGroups as Group[]) g.lr = g.initialLr!;
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.schedulers[0][INITIAL_STEP]();
    this.lastLr = this.schedulers[0].getLastLr();
  }
  protected computeLr(): number[] {
    return this.currentLrs();
  }
  override step(): void {
    this.lastEpoch += 1;
    // bisect_right(milestones, lastEpoch): the scheduler whose stretch holds this epoch.
    const idx = this.milestones.filter((m) => m <= this.lastEpoch).length;
    const s = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s[STEP_AT](0);
    else s.step();
    this.lastLr = s.getLastLr();
  }
  protected override stateKeys(): readonly string[] {
    return [...super.stateKeys(), 'milestones'];
  }
  /** Its own progress and milestones, and every scheduler's stateDict() under `schedulers`. */
  override stateDict(): LRSchedulerStateDict {
    return { ...(saveState(this, this.stateKeys()) as LRSchedulerStateDict), schedulers: this.schedulers.map((s) => s.stateDict()) };
  }
  override loadStateDict(state: LRSchedulerStateDict | Record<string, unknown>): void {
    const children = (state as { schedulers?: unknown } | null)?.schedulers;
    if (!Array.isArray(children) || children.length !== this.schedulers.length) {
      throw new ValueError(
        `SequentialLR.loadStateDict: the state holds ${Array.isArray(children) ? children.length : 'no'} scheduler states but this SequentialLR has ${this.schedulers.length} schedulers.`,
      );
    }
    const milestones = (state as { milestones?: unknown }).milestones;
    if (!Array.isArray(milestones) || milestones.length !== this.milestones.length) {
      throw new ValueError(`SequentialLR.loadStateDict: the state has ${Array.isArray(milestones) ? milestones.length : 'no'} milestones but this SequentialLR has ${this.milestones.length}.`);
    }
    // Check everything before changing anything: the children first (each checks then writes).
    const before = this.schedulers.map((s) => s.stateDict());
    try {
      this.schedulers.forEach((s, i) => s.loadStateDict(children[i] as Record<string, unknown>));
      loadState(this, state, this.stateKeys());
    } catch (e) {
      this.schedulers.forEach((s, i) => s.loadStateDict(before[i]));
      throw e;
    }
  }
}

/** The options of OneCycleLR, PyTorch's arguments in camelCase. */
export interface OneCycleLROptions {
  /** The peak lr, one for all groups or one per group. */
  maxLr: number | readonly number[];
  /** Steps in the cycle; or give epochs and stepsPerEpoch. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** The fraction of the cycle spent increasing the lr (default 0.3). */
  pctStart?: number;
  /** 'cos' (default) or 'linear'. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle the momentum (SGD's momentum, Adam's beta1) inversely to the lr (default true). */
  cycleMomentum?: boolean;
  /** The lowest momentum, at the peak lr (default 0.85). */
  baseMomentum?: number | readonly number[];
  /** The highest momentum, at the start and end (default 0.95). */
  maxMomentum?: number | readonly number[];
  /** The initial lr is maxLr/divFactor (default 25). */
  divFactor?: number;
  /** The final lr is initial lr/finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, down to the initial lr, then down to the minimum) instead of two (default false). */
  threePhase?: boolean;
}

interface Phase {
  endStep: number;
  startLr: 'initialLr' | 'maxLr';
  endLr: 'maxLr' | 'initialLr' | 'minLr';
  startMomentum: 'maxMomentum' | 'baseMomentum';
  endMomentum: 'maxMomentum' | 'baseMomentum';
}

/**
 * The 1cycle policy (Smith & Topin, "Super-Convergence", 2017; PyTorch's OneCycleLR): the lr
 * rises from maxLr/divFactor to maxLr over pctStart of totalSteps, then anneals to
 * maxLr/(divFactor·finalDivFactor); the momentum (SGD's `momentum`, or Adam's and AdamW's beta1)
 * moves the opposite way between maxMomentum and baseMomentum. Step it once per batch; it may be
 * stepped totalSteps times. Each group's `initialLr` becomes maxLr/divFactor, as in PyTorch.
 * @throws ValueError for bad options, for cycleMomentum with an optimizer that has neither
 * `momentum` nor `betas`, and on a step past totalSteps.
 */
export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  readonly pctStart: number;
  readonly annealStrategy: 'cos' | 'linear';
  readonly cycleMomentum: boolean;
  readonly threePhase: boolean;
  /** Whether the momentum is Adam's beta1 (betas[0]) rather than SGD's momentum. */
  readonly useBeta1: boolean;
  readonly maxLrs: number[];
  readonly minLrs: number[];
  readonly maxMomentums: number[];
  readonly baseMomentums: number[];

  constructor(optimizer: HasParamGroups, options: OneCycleLROptions) {
    super(optimizer);
    const op = 'OneCycleLR';
    const o = optionsObject(op, options, '{ maxLr: 0.1, totalSteps: 1000 }') as Partial<OneCycleLROptions>;
    const { pctStart = 0.3, annealStrategy = 'cos', cycleMomentum = true, divFactor = 25, finalDivFactor = 1e4, threePhase = false } = o;
    let totalSteps: number;
    if (o.totalSteps !== undefined) {
      if (!isPosInt(o.totalSteps)) throw new ValueError(`${op}: totalSteps must be a positive integer, got ${describe(o.totalSteps)}.`);
      totalSteps = o.totalSteps;
    } else if (o.epochs !== undefined || o.stepsPerEpoch !== undefined) {
      if (!isPosInt(o.epochs)) throw new ValueError(`${op}: epochs must be a positive integer, got ${describe(o.epochs)}.`);
      if (!isPosInt(o.stepsPerEpoch)) throw new ValueError(`${op}: stepsPerEpoch must be a positive integer, got ${describe(o.stepsPerEpoch)}.`);
      totalSteps = o.epochs * o.stepsPerEpoch;
    } else {
      throw new ValueError(`${op}: give totalSteps, or epochs and stepsPerEpoch (then totalSteps = epochs · stepsPerEpoch).`);
    }
    if (typeof pctStart !== 'number' || !(pctStart >= 0 && pctStart <= 1)) throw new ValueError(`${op}: pctStart must be a number in [0, 1], got ${describe(pctStart)}.`);
    if (annealStrategy !== 'cos' && annealStrategy !== 'linear') throw new ValueError(`${op}: annealStrategy must be 'cos' or 'linear', got ${describe(annealStrategy)}.`);
    if (typeof cycleMomentum !== 'boolean' || typeof threePhase !== 'boolean') throw new ValueError(`${op}: cycleMomentum and threePhase must be booleans.`);
    for (const [name, v] of [['divFactor', divFactor], ['finalDivFactor', finalDivFactor]] as const) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new ValueError(`${op}: ${name} must be a finite number > 0, got ${describe(v)}.`);
    }
    const groups = optimizer.paramGroups as Group[];
    const n = groups.length;
    const maxLrs = perGroup(op, 'maxLr', o.maxLr, n, isFiniteNonNeg, 'a finite number >= 0 (or one per group)');
    const inUnit = (x: unknown) => typeof x === 'number' && x >= 0 && x < 1;
    let maxMomentums: number[] = [];
    let baseMomentums: number[] = [];
    let useBeta1 = false;
    if (cycleMomentum) {
      const defaults = (optimizer.defaults ?? groups[0]) as Record<string, unknown>;
      if (!('momentum' in defaults) && !('betas' in defaults)) {
        throw new ValueError(`${op}: cycleMomentum needs an optimizer with a momentum (SGD, RMSprop) or betas (Adam, AdamW); pass cycleMomentum: false.`);
      }
      useBeta1 = 'betas' in defaults;
      maxMomentums = perGroup(op, 'maxMomentum', o.maxMomentum ?? 0.95, n, inUnit, 'in [0, 1)');
      baseMomentums = perGroup(op, 'baseMomentum', o.baseMomentum ?? 0.85, n, inUnit, 'in [0, 1)');
    }
    this.totalSteps = totalSteps;
    this.pctStart = pctStart;
    this.annealStrategy = annealStrategy;
    this.cycleMomentum = cycleMomentum;
    this.threePhase = threePhase;
    this.useBeta1 = useBeta1;
    this.maxLrs = maxLrs;
    // PyTorch sets initial_lr (whatever a scheduler before set) and min_lr from it.
    groups.forEach((g, i) => (g.initialLr = maxLrs[i] / divFactor));
    this.minLrs = groups.map((g) => g.initialLr! / finalDivFactor);
    this.baseLrs.splice(0, n, ...groups.map((g) => g.initialLr!));
    this.maxMomentums = maxMomentums;
    this.baseMomentums = baseMomentums;
    if (cycleMomentum) groups.forEach((g, i) => this.setMomentum(g, maxMomentums[i]));
    this.step();
  }

  private get phases(): Phase[] {
    const T = this.totalSteps;
    const p = this.pctStart;
    if (this.threePhase) {
      return [
        { endStep: p * T - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
        { endStep: 2 * p * T - 2, startLr: 'maxLr', endLr: 'initialLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
        { endStep: T - 1, startLr: 'initialLr', endLr: 'minLr', startMomentum: 'maxMomentum', endMomentum: 'maxMomentum' },
      ];
    }
    return [
      { endStep: p * T - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
      { endStep: T - 1, startLr: 'maxLr', endLr: 'minLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
    ];
  }

  private setMomentum(g: Group, m: number): void {
    if (this.useBeta1) g.betas = [m, ...(g.betas ?? [0.9, 0.999]).slice(1)];
    else g.momentum = m;
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'linear') return (end - start) * pct + start;
    const cosOut = Math.cos(Math.PI * pct) + 1;
    return end + ((start - end) / 2) * cosOut;
  }

  protected computeLr(): number[] {
    const step = this.lastEpoch;
    if (step > this.totalSteps) {
      throw new ValueError(`OneCycleLR: tried to step ${step + 1} times, but totalSteps is ${this.totalSteps}; build it with the number of steps the run takes (epochs · batches per epoch).`);
    }
    const phases = this.phases;
    return (this.optimizer.paramGroups as Group[]).map((g, i) => {
      const values = { initialLr: g.initialLr!, maxLr: this.maxLrs[i], minLr: this.minLrs[i], maxMomentum: this.maxMomentums[i], baseMomentum: this.baseMomentums[i] };
      let start = 0;
      for (let k = 0; k < phases.length; k++) {
        const ph = phases[k];
        if (step <= ph.endStep || k === phases.length - 1) {
          const pct = (step - start) / (ph.endStep - start);
          if (this.cycleMomentum) this.setMomentum(g, this.anneal(values[ph.startMomentum], values[ph.endMomentum], pct));
          return this.anneal(values[ph.startLr], values[ph.endLr], pct);
        }
        start = ph.endStep;
      }
      /* c8 ignore next */
      throw new Error('unreachable');
    });
  }

  protected override stateKeys(): readonly string[] {
    return [
      ...super.stateKeys(),
      'totalSteps',
      'pctStart',
      'annealStrategy',
      'cycleMomentum',
      'threePhase',
      'useBeta1',
      'maxLrs',
      'minLrs',
      'maxMomentums',
      'baseMomentums',
    ];
  }
}

/** The options of ReduceLROnPlateau, PyTorch's arguments in camelCase. */
export interface ReduceLROnPlateauOptions {
  /** 'min' (default): the metric should fall (a loss); 'max': rise (an accuracy). */
  mode?: 'min' | 'max';
  /** The lr is multiplied by this on a plateau (default 0.1, must be < 1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (default 10). */
  patience?: number;
  /** How much better counts as better (default 1e-4), read by thresholdMode. */
  threshold?: number;
  /** 'rel' (default): better than best·(1 ∓ threshold); 'abs': better than best ∓ threshold. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again (default 0). */
  cooldown?: number;
  /** The lowest lr, one for all groups or one per group (default 0). */
  minLr?: number | readonly number[];
  /** A reduction smaller than eps is skipped (default 1e-8). */
  eps?: number;
}

/**
 * Reduces the lr by `factor` when a metric has stopped improving for more than `patience` epochs
 * (PyTorch's ReduceLROnPlateau, which is not an LRScheduler there either): call step(metric) once
 * per epoch with the validation loss (or accuracy with mode 'max'). Construction leaves the lrs
 * as they are.
 * @throws ValueError for bad options, and from step() for a metric that is not a number or a
 * one-element tensor.
 */
export class ReduceLROnPlateau implements Scheduler {
  mode: 'min' | 'max';
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  minLrs: number[];
  eps: number;
  /** The number of step() calls so far. */
  lastEpoch = 0;
  /** The best metric seen (±Infinity before the first step). */
  best: number;
  /** Consecutive epochs without improvement. */
  numBadEpochs = 0;
  /** Epochs of cooldown left. */
  cooldownCounter = 0;
  private lastLr: number[];

  constructor(
    readonly optimizer: HasParamGroups | Optimizer<BaseOptions>,
    options: ReduceLROnPlateauOptions = {},
  ) {
    const op = 'ReduceLROnPlateau';
    if (!optimizer || !Array.isArray(optimizer.paramGroups) || optimizer.paramGroups.length === 0) {
      throw new ValueError(`${op}: expected an optimizer (something with paramGroups), got ${describe(optimizer)}.`);
    }
    const o = optionsObject(op, options, "{ mode: 'min', patience: 5 }") as ReduceLROnPlateauOptions;
    const { mode = 'min', factor = 0.1, patience = 10, threshold = 1e-4, thresholdMode = 'rel', cooldown = 0, minLr = 0, eps = 1e-8 } = o;
    if (mode !== 'min' && mode !== 'max') throw new ValueError(`${op}: mode must be 'min' or 'max', got ${describe(mode)}.`);
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs') throw new ValueError(`${op}: thresholdMode must be 'rel' or 'abs', got ${describe(thresholdMode)}.`);
    if (typeof factor !== 'number' || !(factor >= 0 && factor < 1)) throw new ValueError(`${op}: factor must be in [0, 1) (the lr is multiplied by it), got ${describe(factor)}.`);
    if (!isNonNegInt(patience)) throw new ValueError(`${op}: patience must be an integer >= 0, got ${describe(patience)}.`);
    if (!isNonNegInt(cooldown)) throw new ValueError(`${op}: cooldown must be an integer >= 0, got ${describe(cooldown)}.`);
    if (!isFiniteNonNeg(threshold)) throw new ValueError(`${op}: threshold must be a finite number >= 0, got ${describe(threshold)}.`);
    if (!isFiniteNonNeg(eps)) throw new ValueError(`${op}: eps must be a finite number >= 0, got ${describe(eps)}.`);
    this.minLrs = perGroup(op, 'minLr', minLr, optimizer.paramGroups.length, isFiniteNonNeg, 'a finite number >= 0 (or one per group)');
    this.mode = mode;
    this.factor = factor;
    this.patience = patience;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
    this.cooldown = cooldown;
    this.eps = eps;
    this.best = mode === 'min' ? Infinity : -Infinity;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  /** PyTorch's is_better: a beats best by more than the threshold. */
  private isBetter(a: number, best: number): boolean {
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - this.threshold) : a < best - this.threshold;
    return this.thresholdMode === 'rel' ? a > best * (this.threshold + 1) : a > best + this.threshold;
  }

  /** Records one epoch's metric (a number or a one-element tensor) and reduces the lr on a plateau. */
  step(metric: number | Tensor): void {
    let current: number;
    if (metric instanceof Tensor) {
      if (metric.size !== 1) throw new ValueError(`ReduceLROnPlateau.step: the metric must be a number or a one-element tensor, got a tensor of shape [${metric.shape.join(', ')}]; reduce it first (e.g. loss.mean()).`);
      current = metric.item();
    } else if (typeof metric === 'number') {
      current = metric;
    } else {
      throw new ValueError(`ReduceLROnPlateau.step: the metric must be a number or a one-element tensor, got ${describe(metric)}.`);
    }
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad epochs in cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      (this.optimizer.paramGroups as BaseOptions[]).forEach((g, i) => {
        const oldLr = g.lr;
        const newLr = Math.max(oldLr * this.factor, this.minLrs[i]);
        if (oldLr - newLr > this.eps) g.lr = newLr;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** Whether a reduction happened within the last `cooldown` epochs. */
  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /** The learning rates after the last step() (the optimizer's before the first). */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  private static readonly KEYS = ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLrs', 'eps', 'lastEpoch', 'best', 'numBadEpochs', 'cooldownCounter', 'lastLr'];

  /** The hyperparameters and counters (best is ±Infinity before the first step). */
  stateDict(): Record<string, unknown> {
    return saveState(this, ReduceLROnPlateau.KEYS);
  }

  /**
   * Restores what stateDict() saved, hyperparameters included (PyTorch's load_state_dict).
   * @throws ValueError for a state of another scheduler or another number of groups; nothing changes then.
   */
  loadStateDict(state: Record<string, unknown>): void {
    loadState(this, state, ReduceLROnPlateau.KEYS);
  }
}
