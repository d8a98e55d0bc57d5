import { Tensor, ValueError, DTypeError, assertTensor, fitValue, full, isFloat, noGrad, normal, uniform, type Generator } from '@tsgrad/core';

/**
 * In-place initialisers, PyTorch's torch.nn.init: each draws new values with core's seeded
 * `uniform` / `normal` (same seed, same values on every backend) and writes them into `t` with
 * assign(), outside autograd. Each returns `t`.
 */

export interface InitOptions {
  /** The generator to draw from; core's default generator (seeded by manualSeed) otherwise. */
  generator?: Generator;
}

export type Nonlinearity = 'linear' | 'identity' | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu' | 'leaky_relu' | 'selu';
export type FanMode = 'fanIn' | 'fanOut' | 'fan_in' | 'fan_out';

const shapeText = (t: Tensor) => `[${t.shape.join(', ')}]`;

function requireTensor(op: string, t: Tensor): void {
  assertTensor(op, 'the tensor to initialise', t);
}

function requireFloatTensor(op: string, t: Tensor): void {
  requireTensor(op, t);
  if (!isFloat(t.dtype)) throw new DTypeError(`${op}: random values need a float tensor, got ${t.dtype} (shape ${shapeText(t)}).`);
}

function write(t: Tensor, values: Tensor): Tensor {
  noGrad(() => t.assign(values));
  values.dispose();
  return t;
}

/** Fills `t` from U(a, b). */
export function uniform_(t: Tensor, a = 0, b = 1, options: InitOptions = {}): Tensor {
  requireFloatTensor('uniform_', t);
  if (!(Number.isFinite(a) && Number.isFinite(b) && b >= a)) throw new ValueError(`uniform_: needs finite bounds a <= b, got a=${a}, b=${b}.`);
  return write(t, uniform(t.shape, a, b, { dtype: t.dtype, backend: t.backend.name, generator: options.generator }));
}

/** Fills `t` from N(mean, std²). */
export function normal_(t: Tensor, mean = 0, std = 1, options: InitOptions = {}): Tensor {
  requireFloatTensor('normal_', t);
  if (!(Number.isFinite(mean) && Number.isFinite(std) && std >= 0)) throw new ValueError(`normal_: needs a finite mean and std >= 0, got mean=${mean}, std=${std}.`);
  return write(t, normal(t.shape, { mean, std, dtype: t.dtype, backend: t.backend.name, generator: options.generator }));
}

/** Fills `t` with `value`. */
export function constant_(t: Tensor, value: number): Tensor {
  return fillWith('constant_', t, value);
}

function fillWith(op: string, t: Tensor, value: number): Tensor {
  requireTensor(op, t);
  if (typeof value !== 'number' || Number.isNaN(value)) throw new ValueError(`${op}: the value must be a number, got ${String(value)}.`);
  // Named here rather than by full(): 3e9 does not fit an int32 tensor, 2 does not fit a bool one.
  value = fitValue(op, value, t.dtype, 'the value');
  return write(t, full(t.shape, value, { dtype: t.dtype, backend: t.backend.name }));
}
export function zeros_(t: Tensor): Tensor {
  return fillWith('zeros_', t, 0);
}
export function ones_(t: Tensor): Tensor {
  return fillWith('ones_', t, 1);
}

/**
 * [fanIn, fanOut] of a weight, as PyTorch computes them: a [out, in, ...kernel] tensor has
 * fanIn = in·prod(kernel) and fanOut = out·prod(kernel). Needs at least 2 dimensions.
 */
export function calculateFanInAndFanOut(t: Tensor, op = 'calculateFanInAndFanOut'): [number, number] {
  assertTensor(op, 'the tensor', t);
  if (t.rank < 2) {
    throw new ValueError(`${op}: fan in and fan out cannot be computed for a tensor of shape ${shapeText(t)}: it needs at least 2 dimensions ([out, in, ...]).`);
  }
  let receptive = 1;
  for (let i = 2; i < t.rank; i++) receptive *= t.shape[i];
  return [t.shape[1] * receptive, t.shape[0] * receptive];
}

/** The recommended gain for a nonlinearity (PyTorch's calculate_gain); `param` is leaky ReLU's slope (default 0.01). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'identity':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leakyRelu':
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (!Number.isFinite(slope)) throw new ValueError(`calculateGain: the negative slope must be a finite number, got ${slope}.`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new ValueError(
        `calculateGain: unknown nonlinearity ${JSON.stringify(nonlinearity)}; use one of linear, identity, sigmoid, tanh, relu, leakyRelu, selu.`,
      );
  }
}

function xavierFans(op: string, t: Tensor, gain: number): [number, number] {
  requireFloatTensor(op, t);
  if (typeof gain !== 'number' || !Number.isFinite(gain) || gain < 0) throw new ValueError(`${op}: gain must be a finite number >= 0, got ${String(gain)}.`);
  const fans = calculateFanInAndFanOut(t, op);
  if (fans[0] + fans[1] === 0) throw new ValueError(`${op}: the tensor of shape ${shapeText(t)} has no element, so fanIn + fanOut is 0 and no scale can be derived.`);
  return fans;
}

/** Xavier/Glorot uniform: U(±gain·√(6 / (fanIn + fanOut))). */
export function xavierUniform_(t: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  const [fanIn, fanOut] = xavierFans('xavierUniform_', t, gain);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound, options);
}

/** Xavier/Glorot normal: N(0, gain²·2 / (fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  const [fanIn, fanOut] = xavierFans('xavierNormal_', t, gain);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), options);
}

export interface KaimingOptions extends InitOptions {
  /** Leaky ReLU's negative slope (0 for ReLU); used when nonlinearity is leakyRelu. Default 0. */
  a?: number;
  /** Preserve the variance of the forward pass (fanIn, default) or of the backward pass (fanOut). */
  mode?: FanMode;
  /** Default 'leakyRelu' (with a = 0 that is ReLU's gain √2), as in PyTorch. */
  nonlinearity?: Nonlinearity;
}

function kaimingStd(op: string, t: Tensor, options: KaimingOptions): number {
  requireFloatTensor(op, t);
  const mode = options.mode ?? 'fanIn';
  const [fanIn, fanOut] = calculateFanInAndFanOut(t, op);
  let fan: number;
  if (mode === 'fanIn' || mode === 'fan_in') fan = fanIn;
  else if (mode === 'fanOut' || mode === 'fan_out') fan = fanOut;
  else throw new ValueError(`${op}: mode must be "fanIn" or "fanOut", got ${JSON.stringify(mode)}.`);
  if (fan === 0) throw new ValueError(`${op}: the tensor of shape ${shapeText(t)} has a zero ${mode}, so no standard deviation can be derived.`);
  return calculateGain(options.nonlinearity ?? 'leakyRelu', options.a ?? 0) / Math.sqrt(fan);
}

/** Kaiming/He uniform: U(±gain·√(3 / fan)). */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd('kaimingUniform_', t, options);
  return uniform_(t, -bound, bound, options);
}

/** Kaiming/He normal: N(0, gain² / fan). */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd('kaimingNormal_', t, options), options);
}
