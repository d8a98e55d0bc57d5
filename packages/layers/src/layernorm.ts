import { DTypeError, ShapeError, ValueError, assertOptions, assertTensor, full, isFloat, type Tensor } from '@tsgrad/core';
import { Module, parameter } from './module.js';
import { checkFlag, checkInput, factoryDType, fmt, type LayerFactoryOptions } from './sequence-common.js';

/** Options of {@link layerNorm}. */
export interface LayerNormFunctionalOptions {
  /** Added to the variance before the square root (default 1e-5, PyTorch's). */
  eps?: number;
}

function checkNormalizedShape(op: string, normalizedShape: unknown): number[] {
  const list = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
  if (!Array.isArray(list) || list.length === 0 || list.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 1)) {
    throw new ValueError(`${op}: normalizedShape must be a positive integer or a non-empty array of positive integers (the trailing dimensions to normalize), got ${JSON.stringify(normalizedShape) ?? String(normalizedShape)}.`);
  }
  return [...(list as number[])];
}

function checkEps(op: string, eps: unknown): number {
  if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps)) throw new ValueError(`${op}: eps must be a finite number >= 0, got ${String(eps)}.`);
  return eps;
}

/** The input's trailing dimensions must be `normalizedShape`. */
function checkTrailing(op: string, x: Tensor, normalizedShape: readonly number[]): void {
  const k = normalizedShape.length;
  const tail = x.shape.slice(Math.max(0, x.rank - k));
  if (x.rank < k || tail.join() !== normalizedShape.join()) {
    throw new ShapeError(
      `${op}: the input of shape ${fmt(x.shape)} must end in the normalized shape ${fmt(normalizedShape)} (its last ${k} dimension${k > 1 ? 's' : ''}, got ${fmt(tail)}); ` +
        `reshape the input to [..., ${normalizedShape.join(', ')}] or build the layer with normalizedShape ${fmt(tail.length === k ? tail : x.shape)}.`,
    );
  }
}

/**
 * Layer normalization over the last `normalizedShape.length` dimensions, PyTorch's
 * `F.layer_norm(input, normalized_shape, weight, bias, eps)`:
 * y = (x - E[x]) / √(Var[x] + eps) · weight + bias, with the biased variance (divide by N), as
 * in Ba, Kiros & Hinton 2016 and PyTorch.
 * - x: float tensor [..., *normalizedShape]; weight, bias: null or of shape normalizedShape and
 *   x's dtype; result: x's shape and dtype.
 * - A composite of mean/sub/mul/sqrt/div, so it runs and differentiates on every backend.
 * @throws ShapeError when x does not end in normalizedShape or weight/bias have another shape;
 *   DTypeError for a non-float x or a weight/bias of another dtype; ValueError for a bad
 *   normalizedShape or eps.
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: number | readonly number[],
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  options: LayerNormFunctionalOptions = {},
): Tensor {
  return layerNormCore('layerNorm', x, checkNormalizedShape('layerNorm', normalizedShape), weight, bias, options);
}

function layerNormCore(op: string, x: Tensor, shape: readonly number[], weight: Tensor | null, bias: Tensor | null, options: LayerNormFunctionalOptions): Tensor {
  assertTensor(op, 'the input', x);
  assertOptions(op, options);
  const eps = checkEps(op, options.eps ?? 1e-5);
  if (!isFloat(x.dtype)) throw new DTypeError(`${op}: the input (shape ${fmt(x.shape)}) is ${x.dtype}; normalizing needs a float tensor, cast it with .cast("float32").`);
  for (const [what, t] of [['weight', weight], ['bias', bias]] as const) {
    if (t === null || t === undefined) continue;
    assertTensor(op, what, t);
    if (t.shape.join() !== shape.join()) {
      throw new ShapeError(`${op}: ${what} has shape ${fmt(t.shape)} but the normalized shape is ${fmt(shape)}; give a ${what} of shape ${fmt(shape)}.`);
    }
    if (t.dtype !== x.dtype) throw new DTypeError(`${op}: ${what} is ${t.dtype} but the input is ${x.dtype}; cast the input with .cast("${t.dtype}").`);
  }
  checkTrailing(op, x, shape);
  const axes = shape.map((_, i) => x.rank - shape.length + i);
  const centred = x.sub(x.mean(axes, true));
  const variance = centred.mul(centred).mean(axes, true);
  let y = centred.div(variance.add(eps).sqrt());
  if (weight) y = y.mul(weight);
  if (bias) y = y.add(bias);
  return y;
}

/** Options of {@link LayerNorm}. */
export interface LayerNormOptions extends LayerFactoryOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Learn a per-element weight (ones) and bias (zeros) of shape normalizedShape (default true). */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine, learn the bias too (default true; PyTorch 2.1's `bias`). */
  bias?: boolean;
}

/**
 * PyTorch's nn.LayerNorm: {@link layerNorm} over the trailing `normalizedShape` dimensions with
 * a learned `weight` (initialised to ones) and `bias` (zeros) of shape normalizedShape, the
 * state-dict names PyTorch uses. Statistics are computed per sample in train and eval mode alike.
 * - Input [..., *normalizedShape] of the parameters' dtype; output of the same shape.
 * @throws ShapeError (naming the layer, both shapes and the fix) when the input does not end in
 *   normalizedShape; DTypeError for an input of another dtype; ValueError for bad options.
 */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    this.normalizedShape = Object.freeze(checkNormalizedShape('LayerNorm', normalizedShape));
    const dtype = factoryDType('LayerNorm', options);
    this.eps = checkEps('LayerNorm', options.eps ?? 1e-5);
    this.elementwiseAffine = checkFlag('LayerNorm', 'elementwiseAffine', options.elementwiseAffine, true);
    const withBias = checkFlag('LayerNorm', 'bias', options.bias, true);
    const opts = { dtype, backend: options.backend };
    this.weight = this.elementwiseAffine ? parameter(full(this.normalizedShape, 1, opts), 'weight') : null;
    this.bias = this.elementwiseAffine && withBias ? parameter(full(this.normalizedShape, 0, opts), 'bias') : null;
  }

  forward(x: Tensor): Tensor {
    const name = `LayerNorm(${fmt(this.normalizedShape)})`;
    // Without parameters any float input works, as in PyTorch; with them, their dtype.
    const params = this.weight ?? this.bias;
    if (params) checkInput(name, 'the input', x, params.dtype);
    return layerNormCore(name, x, this.normalizedShape, this.weight, this.bias, { eps: this.eps });
  }

  override extraRepr(): string {
    return `${fmt(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.elementwiseAffine}`;
  }
}
