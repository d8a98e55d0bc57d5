import { Tensor, DisposedError, DTypeError, ShapeError, ValueError, canCheckOnHost, isFloat, where } from '@tsgrad/core';

/**
 * Losses as functions of (input, target), PyTorch's torch.nn.functional losses. Shapes must match
 * exactly: a [N, 1] input against a [N] target is refused (PyTorch broadcasts it to [N, N] with
 * only a warning, a classic silent bug).
 */

export type Reduction = 'mean' | 'sum' | 'none';

export interface ReductionOptions {
  /** 'mean' (default) averages the per-element losses, 'sum' adds them, 'none' returns them. */
  reduction?: Reduction;
}

const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;

function checkReduction(op: string, r: unknown): Reduction {
  if (r === undefined) return 'mean';
  if (r !== 'mean' && r !== 'sum' && r !== 'none') throw new ValueError(`${op}: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(r)}.`);
  return r;
}

function checkTensor(op: string, what: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new ValueError(`${op}: ${what} must be a Tensor, got ${t === null ? 'null' : typeof t}.`);
  if (t.isDisposed) throw new DisposedError(`${op}: ${what} (shape ${fmt(t.shape)}) has been disposed; keep it alive with keep(t) or compute the loss inside the tidy() that made it.`);
}

function checkFloat(op: string, what: string, t: Tensor): void {
  if (!isFloat(t.dtype)) throw new DTypeError(`${op}: ${what} must be a float tensor, got ${t.dtype} (shape ${fmt(t.shape)}); cast it with .cast("float32").`);
}

/** input and target: float, same dtype, same shape. */
function checkPair(op: string, input: Tensor, target: Tensor): void {
  checkTensor(op, 'input', input);
  checkTensor(op, 'target', target);
  checkFloat(op, 'input', input);
  if (input.shape.join() !== target.shape.join() || input.rank !== target.rank) {
    throw new ShapeError(
      `${op}: input shape ${fmt(input.shape)} and target shape ${fmt(target.shape)} differ; they must match exactly (no broadcasting). ` +
        `Reshape one, e.g. target.reshape(${fmt(input.shape)}) or input.squeeze(-1).`,
    );
  }
  if (target.dtype !== input.dtype) {
    throw new DTypeError(`${op}: target is ${target.dtype} but input is ${input.dtype}; cast the target with .cast("${input.dtype}").`);
  }
}

function reduce(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return loss;
  return reduction === 'sum' ? loss.sum() : loss.mean();
}

/** Mean absolute error |input - target|. Its gradient at input = target is 0 (sign(0)), as PyTorch. */
export function l1Loss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const reduction = checkReduction('l1Loss', options.reduction);
  checkPair('l1Loss', input, target);
  return reduce(input.sub(target).abs(), reduction);
}

/** Mean squared error (input - target)². */
export function mseLoss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const reduction = checkReduction('mseLoss', options.reduction);
  checkPair('mseLoss', input, target);
  const d = input.sub(target);
  return reduce(d.mul(d), reduction);
}

export interface SmoothL1Options extends ReductionOptions {
  /** Where the loss turns from quadratic to linear (default 1); 0 gives the L1 loss. */
  beta?: number;
}

/** 0.5·d²/beta for |d| < beta, |d| - 0.5·beta otherwise, with d = input - target. */
export function smoothL1Loss(input: Tensor, target: Tensor, options: SmoothL1Options = {}): Tensor {
  const reduction = checkReduction('smoothL1Loss', options.reduction);
  const beta = options.beta ?? 1;
  if (typeof beta !== 'number' || !(beta >= 0) || !Number.isFinite(beta)) throw new ValueError(`smoothL1Loss: beta must be a finite number >= 0, got ${beta}.`);
  checkPair('smoothL1Loss', input, target);
  const d = input.sub(target);
  const a = d.abs();
  if (beta === 0) return reduce(a, reduction);
  const quadratic = a.lt(beta);
  // The square sees 0 outside its branch: an infinite d would send 0·∞ = NaN into the gradient.
  const dq = where(quadratic, d, 0);
  return reduce(where(quadratic, dq.mul(dq).mul(0.5 / beta), a.sub(0.5 * beta)), reduction);
}

export interface HuberOptions extends ReductionOptions {
  /** Where the loss turns from quadratic to linear (default 1); must be > 0. */
  delta?: number;
}

/** 0.5·d² for |d| <= delta, delta·(|d| - 0.5·delta) otherwise (PyTorch's HuberLoss; beta·smoothL1 with beta = delta). */
export function huberLoss(input: Tensor, target: Tensor, options: HuberOptions = {}): Tensor {
  const reduction = checkReduction('huberLoss', options.reduction);
  const delta = options.delta ?? 1;
  if (typeof delta !== 'number' || !(delta > 0) || !Number.isFinite(delta)) throw new ValueError(`huberLoss: delta must be a finite number > 0, got ${delta}.`);
  checkPair('huberLoss', input, target);
  const d = input.sub(target);
  const a = d.abs();
  const quadratic = a.le(delta);
  // As in smoothL1Loss: the square never sees an infinite d, whose masked gradient would be NaN.
  const dq = where(quadratic, d, 0);
  return reduce(where(quadratic, dq.mul(dq).mul(0.5), a.sub(0.5 * delta).mul(delta)), reduction);
}

export interface WeightOptions extends ReductionOptions {
  /** A per-element rescaling weight, broadcastable to the input's shape. */
  weight?: Tensor;
}

function applyWeight(op: string, loss: Tensor, weight: Tensor | undefined, input: Tensor): Tensor {
  if (weight === undefined) return loss;
  checkTensor(op, 'weight', weight);
  if (weight.dtype !== input.dtype) throw new DTypeError(`${op}: weight is ${weight.dtype} but input is ${input.dtype}; cast it with .cast("${input.dtype}").`);
  const w = weight.shape;
  const x = input.shape;
  const ok = w.length <= x.length && w.every((d, i) => d === 1 || d === x[x.length - w.length + i]);
  if (!ok) throw new ShapeError(`${op}: weight of shape ${fmt(w)} does not broadcast to the input's shape ${fmt(x)}; give one weight per element or per trailing dimension.`);
  return loss.mul(weight);
}

/**
 * Checks that every value but NaN lies in [lo, hi] (one small read), refusing with the range
 * found. NaN passes, to come out as a NaN loss: a diverging run must show NaN.
 */
function checkRange(op: string, what: string, t: Tensor, lo: number, hi: number): void {
  if (t.size === 0) return;
  const nan = t.ne(t);
  const min = where(nan, Infinity, t).min().item();
  const max = where(nan, -Infinity, t).max().item();
  if (!(min >= lo && max <= hi)) {
    throw new ValueError(`${op}: every ${what} must lie in [${lo}, ${hi}], but the ${what} ranges over [${min}, ${max}]. ${op === 'bceLoss' ? 'Apply sigmoid first, or use bceWithLogitsLoss on the raw scores.' : ''}`.trim());
  }
}

/**
 * Binary cross-entropy of probabilities: -(y·log x + (1-y)·log(1-x)), each log clamped to
 * >= -100 as PyTorch does so that x = 0 or 1 gives a finite loss. Inputs outside [0, 1] are
 * refused (ValueError); a NaN input gives a NaN loss (PyTorch refuses it; the floor never turns it
 * into 100). Where a log is clamped its gradient is 0. For raw scores prefer bceWithLogitsLoss.
 */
export function bceLoss(input: Tensor, target: Tensor, options: WeightOptions = {}): Tensor {
  const reduction = checkReduction('bceLoss', options.reduction);
  checkPair('bceLoss', input, target);
  checkRange('bceLoss', 'input probability', input, 0, 1);
  const clampedLog = (p: Tensor) => {
    // log on a safe argument: a masked log(0) would still send 0·∞ = NaN into the gradient.
    // Selected on p = 0 (not on p > 0), so that a NaN p stays NaN rather than becoming the floor.
    const zero = p.eq(0);
    return where(zero, -100, where(zero, 1, p).log().clamp(-100));
  };
  const logX = clampedLog(input);
  const log1mX = clampedLog(input.neg().add(1));
  const loss = target.mul(logX).add(target.neg().add(1).mul(log1mX)).neg();
  return reduce(applyWeight('bceLoss', loss, options.weight, input), reduction);
}

export interface BCEWithLogitsOptions extends WeightOptions {
  /** Weight of the positive examples, one per class (broadcast along the last dimension). */
  posWeight?: Tensor;
}

/**
 * Binary cross-entropy of logits, stable for any input:
 * (1 - y)·x + max(-x, 0) + log1p(e^-|x|); with posWeight p:
 * (1 - y)·x + (1 + (p - 1)·y)·(log1p(e^-|x|) + max(-x, 0)).
 */
export function bceWithLogitsLoss(input: Tensor, target: Tensor, options: BCEWithLogitsOptions = {}): Tensor {
  const op = 'bceWithLogitsLoss';
  const reduction = checkReduction(op, options.reduction);
  checkPair(op, input, target);
  const softplusOfNegAbs = input.abs().neg().exp().log1p();
  let loss: Tensor;
  if (options.posWeight === undefined) {
    // PyTorch's arrangement, (1 - y)·x + max(-x, 0) + log1p(e^-|x|), so that infinite logits give
    // its values (x = +inf, y = 0: inf; y = 1: NaN from 0·inf) rather than other NaNs.
    loss = target.neg().add(1).mul(input).add(input.neg().maximum(0)).add(softplusOfNegAbs);
  } else {
    const pw = options.posWeight;
    checkTensor(op, 'posWeight', pw);
    if (pw.dtype !== input.dtype) throw new DTypeError(`${op}: posWeight is ${pw.dtype} but input is ${input.dtype}; cast it with .cast("${input.dtype}").`);
    const classes = input.rank === 0 ? 1 : input.shape[input.rank - 1];
    if (pw.rank > 1 || (pw.rank === 1 && pw.shape[0] !== classes && pw.shape[0] !== 1)) {
      throw new ShapeError(`${op}: posWeight of shape ${fmt(pw.shape)} must hold one weight per class, [${classes}], for an input of shape ${fmt(input.shape)}.`);
    }
    const logSigmoidNeg = softplusOfNegAbs.add(input.neg().maximum(0)); // -log σ(x)
    const coef = pw.sub(1).mul(target).add(1);
    loss = target.neg().add(1).mul(input).add(coef.mul(logSigmoidNeg));
  }
  return reduce(applyWeight(op, loss, options.weight, input), reduction);
}

export interface NLLOptions extends ReductionOptions {
  /** Targets equal to this index contribute nothing and are left out of the mean (default -100). */
  ignoreIndex?: number;
  /**
   * A rescaling weight per class: a float tensor of shape [C] with the input's dtype. Each target's
   * loss is multiplied by weight[target], and 'mean' becomes PyTorch's weighted mean
   * Σ weight[y_i]·l_i / Σ weight[y_i] over the targets not ignored (NaN when that sum is 0).
   */
  weight?: Tensor;
}

export interface CrossEntropyOptions extends NLLOptions {
  /** Mixes the targets with the uniform distribution: y' = (1 - ε)·y + ε/C (default 0). */
  labelSmoothing?: number;
}

/**
 * Normalises [C] / [N, C, ...] inputs with [] / [N, ...] targets to a batched form, and checks
 * class-index targets: int32, the input's shape without the class axis, each in [0, C) or
 * ignoreIndex. The range is read on the host where that is a memory copy (cpu, wasm) or in debug
 * mode (`setDebugMode`), so a loss on a device backend never waits for the device.
 */
function checkIndexTargets(op: string, input: Tensor, target: Tensor, ignoreIndex: number): { x: Tensor; t: Tensor; classes: number } {
  if (target.dtype !== 'int32') {
    throw new DTypeError(`${op}: class-index targets must be int32, got ${target.dtype} (shape ${fmt(target.shape)}); cast them with .cast("int32").`);
  }
  const x = input.rank === 1 ? input.unsqueeze(0) : input;
  const t = input.rank === 1 ? target.reshape([1, ...target.shape]) : target;
  const expected = [x.shape[0], ...x.shape.slice(2)];
  if (t.shape.join() !== expected.join() || t.rank !== expected.length) {
    throw new ShapeError(
      `${op}: for an input of shape ${fmt(input.shape)} (classes on axis ${input.rank === 1 ? 0 : 1}) the class-index target must have shape ` +
        `${fmt(input.rank === 1 ? [] : expected)}, got ${fmt(target.shape)}. Reshape the target${target.rank === expected.length + 1 ? ' (squeeze its extra axis)' : ''}.`,
    );
  }
  const classes = x.shape[1];
  if (canCheckOnHost(target)) {
    const v = target.dataSync();
    for (let i = 0; i < v.length; i++) {
      if ((v[i] < 0 || v[i] >= classes) && v[i] !== ignoreIndex) {
        throw new ValueError(`${op}: target class ${v[i]} at position ${i} is out of range for ${classes} classes; class indices must lie in [0, ${classes - 1}] (or equal ignoreIndex ${ignoreIndex}).`);
      }
    }
  }
  return { x, t, classes };
}

/** The targets with ignored ones replaced by class 0 (masked out afterwards), on the device. */
function safeTargets(t: Tensor, ignoreIndex: number): Tensor {
  return where(t.eq(ignoreIndex), 0, t);
}

/**
 * x[n, t[n, ...], ...] for scores x [N, C, ...] and class indices t [N, ...], picked by index
 * (PyTorch's gather along the class axis, as its nll_loss does): a product with a one-hot mask
 * would turn a -Infinity log-probability of another class into 0·(-Infinity) = NaN. Ignored
 * targets pick class 0 (masked out afterwards by `valid`). The gradient reaches the picked scores
 * only. Nothing is read back: the indices stay on the device.
 */
function pickTargets(x: Tensor, t: Tensor, ignoreIndex: number): { picked: Tensor; valid: Tensor } {
  const picked = x.gather(1, safeTargets(t, ignoreIndex).unsqueeze(1)).squeeze(1);
  return { picked, valid: t.ne(ignoreIndex) };
}

/**
 * Checks a per-class weight: a float tensor of shape [C] with the input's dtype (PyTorch: "weight
 * tensor should be defined either for all C classes or no classes").
 */
function checkClassWeight(op: string, weight: unknown, input: Tensor, classes: number): Tensor | undefined {
  if (weight === undefined) return undefined;
  checkTensor(op, 'weight', weight);
  if (weight.dtype !== input.dtype) throw new DTypeError(`${op}: weight is ${weight.dtype} but input is ${input.dtype}; cast it with .cast("${input.dtype}").`);
  if (weight.rank !== 1 || weight.shape[0] !== classes) {
    throw new ShapeError(
      `${op}: weight must hold one value per class, shape [${classes}] for an input of shape ${fmt(input.shape)}, got ${fmt(weight.shape)}; give a weight for every class (or none).`,
    );
  }
  return weight;
}

/** weight[t] for every target (shape of t), 0 where the target is ignored. */
function pickWeights(weight: Tensor, t: Tensor, ignoreIndex: number, valid: Tensor): Tensor {
  return where(valid, weight.indexSelect(safeTargets(t, ignoreIndex).reshape([t.size])).reshape(t.shape as number[]), 0);
}

/** The [C] weight shaped to broadcast along the class axis of an input of rank `rank`. */
function classAxisWeight(weight: Tensor, rank: number): Tensor {
  if (rank === 1) return weight;
  return weight.reshape([1, weight.shape[0], ...Array.from({ length: rank - 2 }, () => 1)]);
}

function checkLogits(op: string, input: Tensor): void {
  checkTensor(op, 'input', input);
  checkFloat(op, 'input', input);
  if (input.rank === 0) throw new ShapeError(`${op}: the input must be [C] or [N, C, ...] scores, got a scalar; reshape it.`);
}

function checkIgnoreIndex(op: string, v: number): void {
  if (!Number.isInteger(v)) throw new ValueError(`${op}: ignoreIndex must be an integer, got ${v}.`);
}

/**
 * Negative log-likelihood of log-probabilities: -weight[target[n]]·input[n, target[n], ...]
 * (PyTorch's nll_loss). Input [C] or [N, C, ...] (float), target int32 [] or [N, ...], weight [C]
 * (optional, the input's dtype). 'mean' divides by the number of targets not equal to
 * ignoreIndex, or with a weight by Σ weight[target] over them (NaN when that is 0, e.g. all
 * ignored, as PyTorch 1.13).
 * @throws DTypeError for a non-float input, non-int32 targets or a weight of another dtype;
 * ShapeError for a target or weight of the wrong shape; ValueError for a class out of range.
 */
export function nllLoss(input: Tensor, target: Tensor, options: NLLOptions = {}): Tensor {
  const op = 'nllLoss';
  const reduction = checkReduction(op, options.reduction);
  const ignoreIndex = options.ignoreIndex ?? -100;
  checkIgnoreIndex(op, ignoreIndex);
  checkLogits(op, input);
  checkTensor(op, 'target', target);
  const { x, t, classes } = checkIndexTargets(op, input, target, ignoreIndex);
  const weight = checkClassWeight(op, options.weight, input, classes);
  const { picked, valid } = pickTargets(x, t, ignoreIndex);
  const w = weight && pickWeights(weight, t, ignoreIndex, valid);
  // where, not a product with the mask: an ignored row may pick -Infinity.
  const losses = where(valid, w ? picked.mul(w).neg() : picked.neg(), 0);
  return reduceIndexed(losses, valid, w, reduction, input.rank === 1);
}

/**
 * 'mean' divides by the number of targets not ignored, or with class weights by the sum of their
 * weights (PyTorch's weighted mean); NaN when that is 0, as PyTorch.
 */
function reduceIndexed(losses: Tensor, valid: Tensor, weights: Tensor | undefined, reduction: Reduction, unbatched: boolean): Tensor {
  if (reduction === 'none') return unbatched ? losses.reshape([]) : losses;
  if (reduction === 'sum') return losses.sum();
  return losses.sum().div(weights ? weights.sum() : valid.cast(losses.dtype).sum());
}

/**
 * Cross-entropy of raw scores (logits) [C] or [N, C, ...], through core's stable logSoftmax over
 * the class axis. Targets are either int32 class indices ([] or [N, ...], ignoreIndex honoured) or
 * class probabilities of the input's own shape. labelSmoothing ε mixes the targets with the
 * uniform distribution. 'mean' divides by the non-ignored targets (indices) or by N·... (probabilities).
 * Class indices pick their log-probability by index, as PyTorch does, so a -Infinity logit of
 * another class is harmless: [[2, -Infinity, 0]] with target [0] gives log(1 + e^-2). With
 * probability targets a class of probability 0 whose logit is -Infinity gives a NaN loss
 * (0·log 0, PyTorch 1.13 gives the same NaN; its gradient stays finite): use class indices there.
 *
 * With a class `weight` [C] (PyTorch 1.13's rules): class indices give
 * l_i = (1 - ε)·w[y_i]·(-log p_{i,y_i}) + (ε/C)·Σ_c w_c·(-log p_{i,c}), 0 for ignored targets, and
 * 'mean' is Σ l_i / Σ w[y_i] over the targets not ignored (the smoothing term is divided by the same
 * sum); probability targets give l_i = -Σ_c w_c·y'_{i,c}·log p_{i,c} and 'mean' still divides by N·...
 * @throws DTypeError for a non-float input or weight of another dtype, targets neither int32 nor
 * the input's float dtype; ShapeError for a target or weight of the wrong shape; ValueError for a
 * class out of range or labelSmoothing outside [0, 1].
 */
export function crossEntropyLoss(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropyLoss';
  const reduction = checkReduction(op, options.reduction);
  const ignoreIndex = options.ignoreIndex ?? -100;
  checkIgnoreIndex(op, ignoreIndex);
  const eps = options.labelSmoothing ?? 0;
  if (typeof eps !== 'number' || !(eps >= 0 && eps <= 1)) throw new ValueError(`${op}: labelSmoothing must be in [0, 1], got ${eps}.`);
  checkLogits(op, input);
  checkTensor(op, 'target', target);
  const classAxis = input.rank === 1 ? 0 : 1;
  const classes = input.shape[classAxis];
  const weight = checkClassWeight(op, options.weight, input, classes);

  if (isFloat(target.dtype)) {
    if (target.shape.join() !== input.shape.join() || target.rank !== input.rank) {
      throw new ShapeError(
        `${op}: a float target is read as class probabilities and must have the input's shape ${fmt(input.shape)}, got ${fmt(target.shape)}. ` +
          `For class indices pass an int32 tensor of shape ${fmt(input.rank === 1 ? [] : [input.shape[0], ...input.shape.slice(2)])} (target.cast("int32")).`,
      );
    }
    if (target.dtype !== input.dtype) throw new DTypeError(`${op}: target is ${target.dtype} but input is ${input.dtype}; cast the target with .cast("${input.dtype}").`);
    const logp = input.logSoftmax(classAxis);
    const y = eps > 0 ? target.mul(1 - eps).add(eps / classes) : target;
    // PyTorch multiplies input·target·weight in this order; 'mean' divides by N·..., not by weights.
    const terms = weight ? logp.mul(y).mul(classAxisWeight(weight, input.rank)) : logp.mul(y);
    return reduce(terms.sum(classAxis).neg(), reduction);
  }

  const { x, t } = checkIndexTargets(op, input, target, ignoreIndex);
  const logp = x.logSoftmax(1);
  const { picked, valid } = pickTargets(logp, t, ignoreIndex);
  const w = weight && pickWeights(weight, t, ignoreIndex, valid);
  let losses = w ? picked.mul(w).neg() : picked.neg();
  if (eps > 0) {
    // PyTorch's (1 - ε)·nll + (ε/C)·Σ_c -w_c·log p_c: infinite when some logit is -Infinity, as there.
    const smooth = (weight ? logp.mul(classAxisWeight(weight, x.rank)) : logp).sum(1).neg();
    losses = losses.mul(1 - eps).add(smooth.mul(eps / classes));
  }
  // Ignored targets contribute an exact 0 (where: their row may hold -Infinity).
  return reduceIndexed(where(valid, losses, 0), valid, w, reduction, input.rank === 1);
}
