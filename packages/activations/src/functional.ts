import { Tensor, DisposedError, DTypeError, ValueError, isFloat, where, erf as coreErf } from '@tsgrad/core';

/**
 * Activations as functions of a float tensor, each composed from core ops so that every
 * gradient comes from core's rules. Gradient conventions at kinks are stated per function.
 */

function requireFloat(op: string, x: Tensor): void {
  if (!(x instanceof Tensor)) throw new ValueError(`${op}: expected a Tensor, got ${x === null ? 'null' : typeof x}.`);
  if (x.isDisposed) throw new DisposedError(`${op}: the input (shape [${x.shape.join(', ')}]) has been disposed; keep it alive with keep(t) or use it inside the tidy() that made it.`);
  if (!isFloat(x.dtype)) {
    throw new DTypeError(`${op}: needs a float tensor, got ${x.dtype} (shape [${x.shape.join(', ')}]); cast it first with .cast("float32").`);
  }
}
function requireFinite(op: string, name: string, v: number, positive = false): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || (positive && v <= 0)) {
    throw new ValueError(`${op}: ${name} must be a finite${positive ? ', positive' : ''} number, got ${String(v)}.`);
  }
}

export interface StraightThroughOptions {
  /**
   * Replace the zero gradient by a straight-through estimate: the gradient of a clipped ramp
   * with the same range. sign: 1 for |z| <= 1 (hardtanh's, as in BinaryNet), else 0.
   * unitStep: 1 for |z| <= 1/2 (the lecture's piece-wise linear ramp), else 0. The value is unchanged.
   */
  straightThrough?: boolean;
}

/** value in the forward pass, gradient of `surrogate` in the backward pass. */
function straightThrough(value: Tensor, surrogate: Tensor): Tensor {
  if (!surrogate.requiresGrad) return value;
  return value.detach().add(surrogate.sub(surrogate.detach()));
}

/**
 * The unit step (Heaviside): 0 for z < 0, 0.5 at z = 0, 1 for z > 0. Gradient 0 everywhere
 * (z.grad is zeros, as in PyTorch); see straightThrough.
 */
export function unitStep(x: Tensor, options: StraightThroughOptions = {}): Tensor {
  requireFloat('unitStep', x);
  // (sign(z) + 1) / 2 gives exactly 0, 0.5, 1; sign's gradient is zero.
  const y = x.sign().add(1).mul(0.5);
  return options.straightThrough ? straightThrough(y, x.add(0.5).clamp(0, 1)) : y;
}

/** The sign (signum): -1 for z < 0, 0 at z = 0, 1 for z > 0. Gradient 0 everywhere, as unitStep; see straightThrough. */
export function sign(x: Tensor, options: StraightThroughOptions = {}): Tensor {
  requireFloat('sign', x);
  const y = x.sign();
  return options.straightThrough ? straightThrough(y, x.clamp(-1, 1)) : y;
}

/** The linear activation: z itself (Adaline, linear regression). Gradient 1. */
export function identity(x: Tensor): Tensor {
  requireFloat('identity', x);
  return x;
}
/** The lecture's name for the identity activation. */
export const linear = identity;

/**
 * The lecture's piece-wise linear activation: 0 for z <= -1/2, z + 1/2 in between, 1 for
 * z >= 1/2. Gradient 1 strictly inside (-1/2, 1/2) and 0 at and beyond the kinks (the flat side
 * wins, like ReLU'(0) = 0 and PyTorch's hardtanh).
 */
export function piecewiseLinear(x: Tensor): Tensor {
  requireFloat('piecewiseLinear', x);
  return where(x.le(-0.5), 0, where(x.ge(0.5), 1, x.add(0.5)));
}

/** The logistic sigmoid 1 / (1 + e^-z). */
export function sigmoid(x: Tensor): Tensor {
  requireFloat('sigmoid', x);
  return x.sigmoid();
}

/** The hyperbolic tangent (e^z - e^-z) / (e^z + e^-z). */
export function tanh(x: Tensor): Tensor {
  requireFloat('tanh', x);
  return x.tanh();
}

/** max(0, z). ReLU'(0) = 0, as in PyTorch. */
export function relu(x: Tensor): Tensor {
  requireFloat('relu', x);
  return x.relu();
}

/** z for z > 0, negativeSlope·z otherwise. The gradient at 0 is negativeSlope, as in PyTorch. */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  requireFloat('leakyRelu', x);
  requireFinite('leakyRelu', 'negativeSlope', negativeSlope);
  return where(x.gt(0), x, x.mul(negativeSlope));
}

/**
 * z for z > 0, alpha·(e^z - 1) otherwise. The gradient at 0 is alpha, and a NaN passes its
 * gradient on unchanged, as PyTorch's elu_backward (z <= 0 ? alpha·e^z : 1).
 */
export function elu(x: Tensor, alpha = 1): Tensor {
  requireFloat('elu', x);
  requireFinite('elu', 'alpha', alpha);
  // Selected on z <= 0 (not on z > 0), so that a NaN takes the identity branch, as in PyTorch.
  const negative = x.le(0);
  // exp only sees z <= 0: a large z would make e^z infinite and its masked gradient 0·∞ = NaN.
  const safe = where(negative, x, 0);
  return where(negative, safe.exp().sub(1).mul(alpha), x);
}

export interface GeluOptions {
  /** 'none' (default): z·Φ(z) with the exact normal CDF via erf; 'tanh': PyTorch's tanh approximation. */
  approximate?: 'none' | 'tanh';
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** The Gaussian error linear unit z·Φ(z), exact (erf) or with the tanh approximation. */
export function gelu(x: Tensor, options: GeluOptions = {}): Tensor {
  requireFloat('gelu', x);
  const approximate = options.approximate ?? 'none';
  if (approximate === 'tanh') {
    // 0.5·z·(1 + tanh(√(2/π)·(z + 0.044715·z³)))
    const inner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(SQRT_2_OVER_PI);
    return x.mul(inner.tanh().add(1)).mul(0.5);
  }
  if (approximate !== 'none') throw new ValueError(`gelu: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}.`);
  return x.mul(coreErf(x.mul(Math.SQRT1_2)).add(1)).mul(0.5);
}

export interface SoftplusOptions {
  /** Sharpness: (1/beta)·log(1 + e^(beta·z)). Default 1. */
  beta?: number;
  /** Above beta·z > threshold the function is z itself (PyTorch's overflow guard). Default 20. */
  threshold?: number;
}

/** (1/beta)·log(1 + e^(beta·z)), and z where beta·z > threshold, as PyTorch. Never overflows. */
export function softplus(x: Tensor, options: SoftplusOptions = {}): Tensor {
  requireFloat('softplus', x);
  const beta = options.beta ?? 1;
  const threshold = options.threshold ?? 20;
  requireFinite('softplus', 'beta', beta, true);
  requireFinite('softplus', 'threshold', threshold);
  const bz = beta === 1 ? x : x.mul(beta);
  // log(1 + e^t) = max(t, 0) + log1p(e^-|t|): no overflow, and its gradient is sigmoid(t) (0.5 at 0 via max's tie split).
  const stable = bz.maximum(0).add(bz.abs().neg().exp().log1p());
  const soft = beta === 1 ? stable : stable.div(beta);
  return where(bz.gt(threshold), x, soft);
}

/** The sigmoid-weighted linear unit z·σ(z) (swish). */
export function silu(x: Tensor): Tensor {
  requireFloat('silu', x);
  return x.mul(x.sigmoid());
}

/** Softmax along `axis` (default the last), stable for large inputs. */
export function softmax(x: Tensor, axis = -1): Tensor {
  requireFloat('softmax', x);
  return x.softmax(axis);
}

/** log(softmax(x)) along `axis`, computed without overflow or log(0). */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  requireFloat('logSoftmax', x);
  return x.logSoftmax(axis);
}
