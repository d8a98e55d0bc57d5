import { DTypeError, ShapeError, Tensor, ValueError, assertOptions, assertTensor, div, full, isFloat, noGrad, zeros, type DType } from '@tsgrad/core';
import { Module, parameter } from './module.js';
import { checkFlag, checkInput, checkSize, factoryDType, fmt, type LayerFactoryOptions } from './sequence-common.js';

// Batch and group normalization, as composites of mean/sub/mul/sqrt/div: they run and
// differentiate on every backend. Formulas: Ioffe & Szegedy 2015 (batch), Wu & He 2018 (group),
// with PyTorch 1.13's conventions (biased variance to normalise, unbiased for the running
// variance, eps inside the square root, momentum as the weight of the new batch).

function checkEps(op: string, eps: unknown): number {
  if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps)) throw new ValueError(`${op}: eps must be a finite number >= 0, got ${String(eps)}.`);
  return eps;
}

function checkMomentum(op: string, momentum: unknown, allowNull: boolean): number | null {
  if (momentum === null && allowNull) return null;
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) {
    throw new ValueError(`${op}: momentum must be a number in [0, 1]${allowNull ? ' or null (a cumulative average)' : ''}, got ${String(momentum)}.`);
  }
  return momentum;
}

/** A per-channel tensor (weight, bias, running statistics): null, or [C] of x's dtype. */
function checkChannelTensor(op: string, what: string, t: Tensor | null | undefined, channels: number, x: Tensor): void {
  if (t === null || t === undefined) return;
  assertTensor(op, what, t);
  if (t.shape.length !== 1 || t.shape[0] !== channels) {
    throw new ShapeError(
      `${op}: ${what} has shape ${fmt(t.shape)} but the input of shape ${fmt(x.shape)} has ${channels} channels (axis 1); give a ${what} of shape [${channels}].`,
    );
  }
  if (t.dtype !== x.dtype) throw new DTypeError(`${op}: ${what} is ${t.dtype} but the input is ${x.dtype}; cast the input with .cast("${t.dtype}").`);
}

/** Values per channel (all but axis 1); batch statistics need at least two. */
function checkBatchCount(op: string, x: Tensor): number {
  const count = x.size / x.shape[1];
  if (!(count > 1)) {
    throw new ValueError(
      `${op}: expected more than 1 value per channel when training, got an input of shape ${fmt(x.shape)} (${count} per channel); ` +
        `use a batch of at least 2 samples, or eval() mode (running statistics).`,
    );
  }
  return count;
}

/** [C] → [1, C, 1, ...] to broadcast against an input of rank `rank`. */
const perChannel = (t: Tensor, rank: number): Tensor => t.reshape([1, t.shape[0], ...Array<number>(rank - 2).fill(1)]);

/** Options of {@link batchNorm}. */
export interface BatchNormFunctionalOptions {
  /**
   * Normalise with the batch's statistics (and update the running ones, when given) rather than
   * with the running statistics (default false, as PyTorch's F.batch_norm).
   */
  training?: boolean;
  /** Weight of the new batch in the running statistics' update (default 0.1). */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
}

/**
 * Batch normalization, PyTorch's `F.batch_norm(input, running_mean, running_var, weight, bias,
 * training, momentum, eps)`: y = (x - mean) / √(var + eps) · weight + bias per channel (axis 1).
 * - In training mode mean and var are the batch's, over every axis but 1, with the biased
 *   variance (divide by n); the running statistics, when given, are updated in place (outside
 *   autograd) as `running = (1 - momentum) · running + momentum · batch`, the running variance
 *   with the unbiased batch variance (divide by n - 1), as PyTorch does.
 * - Otherwise mean and var are `runningMean` and `runningVar`, applied as PyTorch's inference
 *   transform y = x·α + β with α = weight / √(var + eps), β = bias − mean·α (the same maths).
 * - x: float [N, C, *]; runningMean, runningVar, weight, bias: null or [C] of x's dtype; result:
 *   x's shape and dtype. Gradients flow to x, weight and bias (not to the running statistics).
 * @throws ShapeError for an input of rank < 2 or a per-channel tensor that is not [C];
 *   DTypeError for a non-float input or a per-channel tensor of another dtype; ValueError in
 *   training mode with one value per channel (no variance), outside it without running
 *   statistics, or for a bad eps or momentum.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  options: BatchNormFunctionalOptions = {},
): Tensor {
  const op = 'batchNorm';
  assertOptions(op, options);
  const training = checkFlag(op, 'training', options.training, false);
  const momentum = checkMomentum(op, options.momentum ?? 0.1, false) as number;
  const eps = checkEps(op, options.eps ?? 1e-5);
  return batchNormCore(op, x, runningMean, runningVar, weight, bias, training, momentum, eps);
}

/** batchNorm with `momentum` possibly a 0-d tensor (BatchNorm's cumulative average, 1 / numBatchesTracked). */
function batchNormCore(
  op: string,
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  training: boolean,
  momentum: number | Tensor,
  eps: number,
): Tensor {
  assertTensor(op, 'the input', x);
  if (!isFloat(x.dtype)) throw new DTypeError(`${op}: the input (shape ${fmt(x.shape)}) is ${x.dtype}; normalizing needs a float tensor, cast it with .cast("float32").`);
  if (x.rank < 2) {
    throw new ShapeError(`${op}: the input of shape ${fmt(x.shape)} has no channel axis; batch normalization takes [N, C] or [N, C, ...] (channels on axis 1).`);
  }
  const channels = x.shape[1];
  checkChannelTensor(op, 'runningMean', runningMean, channels, x);
  checkChannelTensor(op, 'runningVar', runningVar, channels, x);
  checkChannelTensor(op, 'weight', weight, channels, x);
  checkChannelTensor(op, 'bias', bias, channels, x);
  if ((runningMean === null) !== (runningVar === null)) {
    throw new ValueError(`${op}: give both runningMean and runningVar, or neither.`);
  }
  const rank = x.rank;
  // The per-channel factor weight / √(var + eps) is formed on the [C] statistics, so the input
  // sized tensor sees one multiply and one add (and their gradients), not a divide, a multiply
  // and an add: fewer full-size passes forward and backward, the same maths.
  const scaleOf = (variance: Tensor) => {
    const std = variance.add(eps).sqrt();
    return weight ? perChannel(weight, rank).div(std) : div(1, std);
  };
  let y: Tensor;
  if (training) {
    const count = checkBatchCount(op, x);
    const axes = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)];
    const mean = x.mean(axes, true);
    const centred = x.sub(mean);
    const variance = centred.mul(centred).mean(axes, true);
    y = centred.mul(scaleOf(variance));
    if (bias) y = y.add(perChannel(bias, rank));
    if (runningMean !== null && runningVar !== null) {
      noGrad(() => {
        const m = typeof momentum === 'number' ? momentum : momentum.cast(x.dtype);
        const keep = typeof m === 'number' ? 1 - m : m.neg().add(1);
        const batchMean = mean.reshape([channels]);
        const unbiased = variance.reshape([channels]).mul(count / (count - 1));
        const nextMean = runningMean.mul(keep).add(batchMean.mul(m));
        const nextVar = runningVar.mul(keep).add(unbiased.mul(m));
        runningMean.assign(nextMean);
        runningVar.assign(nextVar);
        for (const t of [nextMean, nextVar, unbiased, batchMean]) t.dispose();
        if (m !== momentum && typeof m !== 'number') m.dispose();
        if (typeof keep !== 'number') keep.dispose();
      });
    }
  } else {
    if (runningMean === null || runningVar === null) {
      throw new ValueError(`${op}: outside training mode the running statistics normalize the input, but runningMean and runningVar are null; pass them, or { training: true }.`);
    }
    // PyTorch's inference transform (batch_norm_cpu_transform_input): y = x·α + β with
    // α = weight / √(runningVar + eps) and β = bias - runningMean·α, per channel.
    const alpha = scaleOf(perChannel(runningVar, rank));
    const shift = perChannel(runningMean, rank).mul(alpha).neg();
    y = x.mul(alpha).add(bias ? shift.add(perChannel(bias, rank)) : shift);
  }
  return y;
}

/** Options of {@link BatchNorm1d} and {@link BatchNorm2d} (PyTorch's keyword arguments). */
export interface BatchNormOptions extends Omit<LayerFactoryOptions, 'generator'> {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /**
   * Weight of each new batch in the running statistics (default 0.1); null for a cumulative
   * (equal-weight) average over every batch seen, 1 / numBatchesTracked.
   */
  momentum?: number | null;
  /** Learn a per-channel weight (ones) and bias (zeros) (default true). */
  affine?: boolean;
  /**
   * Keep running statistics for eval mode (default true); without them eval mode normalizes
   * with the batch's statistics too.
   */
  trackRunningStats?: boolean;
}

/**
 * What BatchNorm1d and BatchNorm2d share (PyTorch's _BatchNorm). Parameters `weight`, `bias`
 * ([C]); buffers `running_mean` (zeros), `running_var` (ones) and `num_batches_tracked` — under
 * PyTorch's snake_case names, so a PyTorch state dict loads as it is, and readable as
 * runningMean, runningVar and numBatchesTracked. `num_batches_tracked` is int32 here (PyTorch's
 * is int64; loadStateDict casts).
 */
abstract class BatchNormBase extends Module {
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  declare readonly running_mean: Tensor | null;
  declare readonly running_var: Tensor | null;
  declare readonly num_batches_tracked: Tensor | null;

  constructor(
    layer: string,
    readonly numFeatures: number,
    options: BatchNormOptions,
  ) {
    super();
    checkSize(layer, 'numFeatures', numFeatures);
    const dtype: DType = factoryDType(layer, options);
    this.eps = checkEps(layer, options.eps ?? 1e-5);
    this.momentum = checkMomentum(layer, options.momentum === undefined ? 0.1 : options.momentum, true);
    this.affine = checkFlag(layer, 'affine', options.affine, true);
    this.trackRunningStats = checkFlag(layer, 'trackRunningStats', options.trackRunningStats, true);
    const opts = { dtype, backend: options.backend };
    this.weight = this.affine ? parameter(full([numFeatures], 1, opts), 'weight') : null;
    this.bias = this.affine ? parameter(full([numFeatures], 0, opts), 'bias') : null;
    const track = this.trackRunningStats;
    this.registerBuffer('running_mean', track ? zeros([numFeatures], opts) : null);
    this.registerBuffer('running_var', track ? full([numFeatures], 1, opts) : null);
    this.registerBuffer('num_batches_tracked', track ? zeros([], { dtype: 'int32', backend: options.backend }) : null);
  }

  /** The running mean per channel ([C]), the `running_mean` buffer; null without trackRunningStats. */
  get runningMean(): Tensor | null {
    return this.running_mean;
  }
  /** The running (unbiased) variance per channel ([C]), the `running_var` buffer. */
  get runningVar(): Tensor | null {
    return this.running_var;
  }
  /** How many training batches updated the running statistics (0-d int32), the `num_batches_tracked` buffer. */
  get numBatchesTracked(): Tensor | null {
    return this.num_batches_tracked;
  }

  /** Running statistics back to mean 0, variance 1, no batch tracked (PyTorch's reset_running_stats). */
  resetRunningStats(): void {
    noGrad(() => {
      this.running_mean?.zero_();
      this.running_var?.fill_(1);
      this.num_batches_tracked?.zero_();
    });
  }

  /** The layer as errors name it, e.g. "BatchNorm2d(3)". */
  protected describe(): string {
    return `${this.constructor.name}(${this.numFeatures})`;
  }

  /** Refuses an input of the wrong rank or channel count, naming the layer and both shapes. */
  protected abstract checkShape(x: Tensor): void;

  forward(x: Tensor): Tensor {
    const name = this.describe();
    const dtype = (this.weight ?? this.running_mean)?.dtype;
    if (dtype !== undefined) checkInput(name, 'the input', x, dtype);
    else assertTensor(name, 'the input', x);
    this.checkShape(x);
    // Before counting the batch: a refused call changes nothing.
    if (this.training) checkBatchCount(name, x);
    let factor: number | Tensor = this.momentum ?? 0;
    let counted: Tensor | null = null;
    if (this.training && this.num_batches_tracked !== null) {
      const tracked = this.num_batches_tracked;
      noGrad(() => tracked.add_(1));
      // The cumulative average weighs batch k by 1/k: computed on the backend, no read back.
      if (this.momentum === null) factor = counted = noGrad(() => tracked.cast(x.dtype).pow(-1));
    }
    // As PyTorch: batch statistics in training mode, and in eval mode without running statistics.
    const useBatch = this.training || this.running_mean === null;
    const track = this.training ? this.trackRunningStats : true;
    try {
      return batchNormCore(name, x, track ? this.running_mean : null, track ? this.running_var : null, this.weight, this.bias, useBatch, factor, this.eps);
    } finally {
      counted?.dispose();
    }
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}`;
  }
}

/**
 * Batch normalization over a batch of vectors or sequences, PyTorch's nn.BatchNorm1d: see
 * {@link batchNorm} for the formula, {@link BatchNormOptions} for the options.
 * - Input [N, C] or [N, C, L] of the parameters' dtype; output of the same shape.
 * - Training mode normalizes with the batch's statistics and updates the running ones; eval()
 *   normalizes with the running statistics.
 * @throws ShapeError (naming the layer, both shapes and the fix) for an input that is not 2-D or
 *   3-D or whose axis 1 is not numFeatures; DTypeError for an input of another dtype;
 *   ValueError in training mode with one value per channel, or for bad options.
 */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super('BatchNorm1d', numFeatures, options);
  }
  protected checkShape(x: Tensor): void {
    const c = this.numFeatures;
    if ((x.rank !== 2 && x.rank !== 3) || x.shape[1] !== c) {
      throw new ShapeError(
        `${this.describe()}: expected an input of shape [N, ${c}] or [N, ${c}, L], got ${fmt(x.shape)}` +
          `${x.rank === 2 || x.rank === 3 ? ` (${x.shape[1]} channels on axis 1); build BatchNorm1d(${x.shape[1]}) or fix the layer before it` : `; a ${x.rank}-D input needs ${x.rank === 4 ? 'BatchNorm2d' : 'reshaping to [N, C] or [N, C, L]'}`}.`,
      );
    }
  }
}

/**
 * Batch normalization over a batch of images, PyTorch's nn.BatchNorm2d: see {@link batchNorm}
 * for the formula (statistics over N, H and W per channel), {@link BatchNormOptions} for the options.
 * - Input [N, C, H, W] of the parameters' dtype; output of the same shape.
 * @throws ShapeError (naming the layer, both shapes and the fix) for an input that is not 4-D or
 *   whose axis 1 is not numFeatures; DTypeError for an input of another dtype; ValueError in
 *   training mode with one value per channel, or for bad options.
 */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super('BatchNorm2d', numFeatures, options);
  }
  protected checkShape(x: Tensor): void {
    const c = this.numFeatures;
    if (x.rank !== 4 || x.shape[1] !== c) {
      throw new ShapeError(
        `${this.describe()}: expected an input of shape [N, ${c}, H, W], got ${fmt(x.shape)}` +
          `${x.rank === 4 ? ` (${x.shape[1]} channels on axis 1); build BatchNorm2d(${x.shape[1]}) or give the layer before it ${c} output channels` : `; a ${x.rank}-D input needs ${x.rank === 2 || x.rank === 3 ? 'BatchNorm1d' : 'reshaping to [N, C, H, W]'}`}.`,
      );
    }
  }
}

/** Options of {@link groupNorm}. */
export interface GroupNormFunctionalOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
}

/**
 * Group normalization, PyTorch's `F.group_norm(input, num_groups, weight, bias, eps)` (Wu & He
 * 2018): the C channels are split into `numGroups` groups of C / numGroups consecutive
 * channels, and each sample's group is normalized over its channels and positions with its own
 * mean and biased variance: y = (x - mean) / √(var + eps) · weight + bias (per channel).
 * The same in training and eval mode (no running statistics).
 * - x: float [N, C, *] with C divisible by numGroups; weight, bias: null or [C] of x's dtype;
 *   result: x's shape and dtype.
 * @throws ShapeError for an input of rank < 2, a channel count not divisible by numGroups, or a
 *   weight/bias that is not [C]; DTypeError for a non-float input or weight/bias of another
 *   dtype; ValueError for a bad numGroups or eps.
 */
export function groupNorm(x: Tensor, numGroups: number, weight: Tensor | null = null, bias: Tensor | null = null, options: GroupNormFunctionalOptions = {}): Tensor {
  const op = 'groupNorm';
  assertOptions(op, options);
  checkSize(op, 'numGroups', numGroups);
  return groupNormCore(op, x, numGroups, weight, bias, checkEps(op, options.eps ?? 1e-5));
}

function groupNormCore(op: string, x: Tensor, groups: number, weight: Tensor | null, bias: Tensor | null, eps: number): Tensor {
  assertTensor(op, 'the input', x);
  if (!isFloat(x.dtype)) throw new DTypeError(`${op}: the input (shape ${fmt(x.shape)}) is ${x.dtype}; normalizing needs a float tensor, cast it with .cast("float32").`);
  if (x.rank < 2) throw new ShapeError(`${op}: the input of shape ${fmt(x.shape)} has no channel axis; group normalization takes [N, C, ...] (channels on axis 1).`);
  const [n, channels] = x.shape;
  if (channels % groups !== 0) {
    throw new ShapeError(`${op}: the input of shape ${fmt(x.shape)} has ${channels} channels, which do not split into ${groups} groups; give a channel count divisible by ${groups}.`);
  }
  checkChannelTensor(op, 'weight', weight, channels, x);
  checkChannelTensor(op, 'bias', bias, channels, x);
  const perGroup = x.size / Math.max(n * groups, 1);
  const grouped = x.reshape([n, groups, perGroup]);
  const centred = grouped.sub(grouped.mean(2, true));
  const variance = centred.mul(centred).mean(2, true);
  let y = centred.div(variance.add(eps).sqrt()).reshape(x.shape);
  if (weight) y = y.mul(perChannel(weight, x.rank));
  if (bias) y = y.add(perChannel(bias, x.rank));
  return y;
}

/** Options of {@link GroupNorm}. */
export interface GroupNormOptions extends Omit<LayerFactoryOptions, 'generator'> {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Learn a per-channel weight (ones) and bias (zeros) (default true). */
  affine?: boolean;
}

/**
 * PyTorch's nn.GroupNorm(numGroups, numChannels): {@link groupNorm} with a learned per-channel
 * `weight` (ones) and `bias` (zeros) of shape [numChannels], the state-dict names PyTorch uses.
 * - Input [N, numChannels, *] of the parameters' dtype; output of the same shape.
 * @throws ValueError when numChannels is not divisible by numGroups (at construction) or for bad
 *   options; ShapeError (naming the layer, both shapes and the fix) for an input whose axis 1 is
 *   not numChannels; DTypeError for an input of another dtype.
 */
export class GroupNorm extends Module {
  readonly eps: number;
  readonly affine: boolean;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    options: GroupNormOptions = {},
  ) {
    super();
    checkSize('GroupNorm', 'numGroups', numGroups);
    checkSize('GroupNorm', 'numChannels', numChannels);
    if (numChannels % numGroups !== 0) {
      throw new ValueError(`GroupNorm: numChannels (${numChannels}) must be divisible by numGroups (${numGroups}); pick numGroups among the divisors of ${numChannels}.`);
    }
    const dtype = factoryDType('GroupNorm', options);
    this.eps = checkEps('GroupNorm', options.eps ?? 1e-5);
    this.affine = checkFlag('GroupNorm', 'affine', options.affine, true);
    const opts = { dtype, backend: options.backend };
    this.weight = this.affine ? parameter(full([numChannels], 1, opts), 'weight') : null;
    this.bias = this.affine ? parameter(full([numChannels], 0, opts), 'bias') : null;
  }

  forward(x: Tensor): Tensor {
    const name = `GroupNorm(${this.numGroups}, ${this.numChannels})`;
    if (this.weight) checkInput(name, 'the input', x, this.weight.dtype);
    else assertTensor(name, 'the input', x);
    if (x.rank < 2 || x.shape[1] !== this.numChannels) {
      throw new ShapeError(
        `${name}: expected an input of shape [N, ${this.numChannels}, *], got ${fmt(x.shape)}` +
          `${x.rank >= 2 ? ` (${x.shape[1]} channels on axis 1); build GroupNorm(${this.numGroups}, ${x.shape[1]}) or fix the layer before it` : '; channels go on axis 1'}.`,
      );
    }
    return groupNormCore(name, x, this.numGroups, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.affine}`;
  }
}
