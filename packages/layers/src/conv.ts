import {
  DisposedError,
  DTypeError,
  ShapeError,
  Tensor,
  TsgradError,
  ValueError,
  conv1d,
  conv2d,
  convTranspose2d,
  isFloat,
  uniform,
  type Conv1dPadding,
  type Conv2dPadding,
  type DType,
  type Generator,
  type IntOrPair,
} from '@tsgrad/core';
import { Module, parameter } from './module.js';

/** Construction options every layer with parameters takes (as Linear's). */
export interface ConvFactoryOptions {
  /** Learn an additive bias per output channel (default true). */
  bias?: boolean;
  /** Parameter dtype, float32 by default. */
  dtype?: DType;
  /** Backend for the parameters; the current backend by default. */
  backend?: string;
  /** Generator for the initial values; core's default generator otherwise. */
  generator?: Generator;
}

/** Options of {@link Conv2d}: PyTorch's nn.Conv2d arguments after kernel_size, in camelCase. */
export interface Conv2dOptions extends ConvFactoryOptions {
  stride?: IntOrPair;
  /** Zeros on both sides of each axis (default 0), or 'same' (stride 1 only) / 'valid'. */
  padding?: Conv2dPadding;
  dilation?: IntOrPair;
  /** Independent channel groups; must divide inChannels and outChannels (default 1). */
  groups?: number;
}

/** Options of {@link Conv1d}. */
export interface Conv1dOptions extends ConvFactoryOptions {
  stride?: number | readonly [number];
  padding?: Conv1dPadding;
  dilation?: number | readonly [number];
  groups?: number;
}

/** Options of {@link ConvTranspose2d}: PyTorch's nn.ConvTranspose2d arguments after kernel_size. */
export interface ConvTranspose2dOptions extends ConvFactoryOptions {
  stride?: IntOrPair;
  /** The padding of the convolution this layer inverts the shape of: cut from each side of the output (default 0). */
  padding?: IntOrPair;
  /** Extra rows/columns at the bottom/right of the output, smaller than stride or dilation (default 0). */
  outputPadding?: IntOrPair;
  groups?: number;
  dilation?: IntOrPair;
}

/** [a, b] as "[a, b]". */
export const fmtList = (v: readonly unknown[]) => `[${v.join(', ')}]`;

/** `v` as `n` positive (min 1) or non-negative (min 0) integers, or a ValueError naming `layer`. */
export function intsFor(layer: string, name: string, v: unknown, n: number, min: number): number[] {
  const list = typeof v === 'number' ? new Array<number>(n).fill(v) : Array.isArray(v) && v.length === n ? (v as unknown[]) : null;
  if (list === null || list.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < min)) {
    const what = min === 0 ? 'a non-negative integer' : `an integer >= ${min}`;
    throw new ValueError(`${layer}: ${name} must be ${what}${n > 1 ? ` or a list of ${n} of them` : ''}, got ${JSON.stringify(v) ?? String(v)}.`);
  }
  return list as number[];
}

/**
 * Runs `fn`, re-throwing a library error from the functional op with the layer's name in front
 * (same error class), so every message names the layer the user built.
 */
export function asLayer<T>(layer: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TsgradError && !e.message.startsWith(layer)) {
      const Ctor = e.constructor as new (message: string) => TsgradError;
      throw new Ctor(`${layer}: ${e.message}`);
    }
    throw e;
  }
}

/** The input must be a live float tensor of the parameters' dtype. */
export function checkLayerInput(layer: string, x: unknown, dtype: DType | undefined): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`${layer}: the input must be a Tensor, got ${x === null ? 'null' : typeof x}; make one with tensor(...).`);
  if (x.isDisposed) throw new DisposedError(`${layer}: the input tensor (shape ${fmtList(x.shape)}) has been disposed; keep it alive with keep(t) or create it inside the step.`);
  if (dtype !== undefined && x.dtype !== dtype) {
    // The input is what to cast: casting the parameters would cut them from training.
    throw new DTypeError(`${layer}: the input is ${x.dtype} but the parameters are ${dtype}; cast the input with x.cast("${dtype}").`);
  }
  if (!isFloat(x.dtype)) throw new DTypeError(`${layer}: the input (shape ${fmtList(x.shape)}) is ${x.dtype}; cast it with x.cast("float32").`);
}

/** Common construction: channel counts, groups, kernel, the weight and bias with PyTorch's init. */
abstract class ConvBase extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
  readonly groups: number;

  protected constructor(
    protected readonly layerName: string,
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: unknown,
    spatial: 1 | 2,
    options: Conv2dOptions | Conv1dOptions | ConvTranspose2dOptions,
    transposed: boolean,
  ) {
    super();
    const name = layerName;
    if (typeof options !== 'object' || options === null) throw new ValueError(`${name}: options must be an object such as { padding: 1 }, got ${String(options)}.`);
    for (const [what, n] of [['inChannels', inChannels], ['outChannels', outChannels]] as const) {
      if (!Number.isSafeInteger(n) || n < 1) throw new ValueError(`${name}: ${what} must be a positive integer, got ${JSON.stringify(n) ?? String(n)}.`);
    }
    this.kernelSize = Object.freeze(intsFor(name, 'kernelSize', kernelSize, spatial, 1));
    this.stride = Object.freeze(intsFor(name, 'stride', options.stride ?? 1, spatial, 1));
    this.dilation = Object.freeze(intsFor(name, 'dilation', options.dilation ?? 1, spatial, 1));
    const groups = options.groups ?? 1;
    if (!Number.isSafeInteger(groups) || groups < 1) throw new ValueError(`${name}: groups must be a positive integer, got ${JSON.stringify(groups) ?? String(groups)}.`);
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new ValueError(
        `${name}: groups=${groups} must divide both inChannels (${inChannels}) and outChannels (${outChannels}), as in PyTorch; choose groups among the common divisors.`,
      );
    }
    this.groups = groups;
    if (options.bias !== undefined && typeof options.bias !== 'boolean') throw new ValueError(`${name}: options.bias must be true or false, got ${JSON.stringify(options.bias)}.`);
    const dtype = options.dtype ?? 'float32';
    if (!isFloat(dtype)) throw new DTypeError(`${name}: parameters must be float32 or float64, got dtype ${JSON.stringify(dtype)}.`);
    const receptive = this.kernelSize.reduce((p, k) => p * k, 1);
    // PyTorch's weight layout; fanIn is its _calculate_fan_in_and_fan_out of that weight
    // (for a transposed conv: outChannels / groups · k, a PyTorch quirk kept for parity).
    const shape = transposed ? [inChannels, outChannels / groups, ...this.kernelSize] : [outChannels, inChannels / groups, ...this.kernelSize];
    const fanIn = shape[1] * receptive;
    // kaiming_uniform_(a=√5): gain √(2/(1+5)) · √(3/fanIn) = 1/√fanIn; the bias U(±1/√fanIn) too.
    const bound = 1 / Math.sqrt(fanIn);
    const opts = { dtype, backend: options.backend, generator: options.generator };
    this.weight = parameter(uniform(shape, -bound, bound, opts), 'weight');
    this.bias = (options.bias ?? true) ? parameter(uniform([outChannels], -bound, bound, opts), 'bias') : null;
  }

  /** Checks the input's rank and channel count against the layer, naming both and the fix. */
  protected checkInput(x: unknown, spatial: 1 | 2): asserts x is Tensor {
    const name = this.describe();
    checkLayerInput(name, x, this.weight.dtype);
    const layout = spatial === 2 ? ['H', 'W'] : ['L'];
    const C = this.inChannels;
    if (x.rank !== spatial + 2 && x.rank !== spatial + 1) {
      throw new ShapeError(
        `${name}: expected an input of shape [N, ${C}, ${layout.join(', ')}] (or [${C}, ${layout.join(', ')}] unbatched), got ${fmtList(x.shape)} (rank ${x.rank}); ` +
          `reshape it${x.rank === spatial ? ` (a single image: x.reshape([1, ${C === 1 ? '1, ' : ''}...]))` : ''}.`,
      );
    }
    const got = x.shape[x.rank - spatial - 1];
    if (got !== C) {
      const fix = `build ${this.constructor.name}(${got}, ${this.outChannels}, ...)`;
      throw new ShapeError(
        `${name}: expected an input with ${C} channels ([N, ${C}, ${layout.join(', ')}] or [${C}, ${layout.join(', ')}]), got shape ${fmtList(x.shape)} with ${got} channels ` +
          `(axis ${x.rank - spatial - 1}); give the input ${C} channels, or ${fix}${x.rank === spatial + 2 && x.shape[x.rank - 1] === C ? ' (channels last? permute to channels first)' : ''}.`,
      );
    }
  }

  /** "Conv2d(3, 16, kernelSize=[3, 3])": how errors name this layer. */
  protected describe(): string {
    return `${this.layerName}(${this.inChannels}, ${this.outChannels}, kernelSize=${fmtList(this.kernelSize)})`;
  }

  protected reprParts(padding: string | null, extra: string[] = []): string {
    const parts = [`${this.inChannels}, ${this.outChannels}, kernelSize=${fmtList(this.kernelSize)}, stride=${fmtList(this.stride)}`];
    if (padding !== null) parts.push(`padding=${padding}`);
    parts.push(...extra);
    if (this.dilation.some((d) => d !== 1)) parts.push(`dilation=${fmtList(this.dilation)}`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (this.bias === null) parts.push('bias=false');
    return parts.join(', ');
  }
}

function convPadding(layer: string, padding: unknown, spatial: 1 | 2, stride: readonly number[]): number[] | 'same' | 'valid' {
  if (padding === 'same') {
    if (stride.some((s) => s !== 1)) {
      throw new ValueError(`${layer}: padding 'same' needs stride 1 (PyTorch refuses strided 'same' convolutions too), got stride ${fmtList(stride)}; give the padding as numbers instead.`);
    }
    return 'same';
  }
  if (padding === 'valid') return 'valid';
  return intsFor(layer, 'padding', padding, spatial, 0);
}

/**
 * PyTorch's nn.Conv2d: a 2-D convolution over [N, inChannels, H, W] (or [inChannels, H, W])
 * giving [N, outChannels, Ho, Wo] (see core's `conv2d` for the formula and Ho). Parameters:
 * `weight` [outChannels, inChannels / groups, kH, kW] and `bias` [outChannels], both drawn from
 * U(±1/√fanIn) with fanIn = inChannels / groups · kH · kW (PyTorch's kaiming_uniform_ with
 * a = √5, and its bias init), weight first.
 * @throws ValueError for bad sizes or groups not dividing the channels (at construction);
 *   ShapeError (naming the layer, both shapes and the fix) for an input of the wrong rank or
 *   channel count, or one smaller than the kernel; DTypeError for an input of another dtype.
 */
export class Conv2d extends ConvBase {
  readonly padding: readonly number[] | 'same' | 'valid';

  constructor(inChannels: number, outChannels: number, kernelSize: IntOrPair, options: Conv2dOptions = {}) {
    super('Conv2d', inChannels, outChannels, kernelSize, 2, options, false);
    const p = convPadding('Conv2d', options.padding ?? 0, 2, this.stride);
    this.padding = typeof p === 'string' ? p : Object.freeze(p);
  }

  forward(x: Tensor): Tensor {
    this.checkInput(x, 2);
    const padding = typeof this.padding === 'string' ? this.padding : (this.padding as [number, number]);
    const options = { stride: this.stride as [number, number], padding, dilation: this.dilation as [number, number], groups: this.groups };
    return asLayer(this.describe(), () => conv2d(x, this.weight, this.bias, options));
  }

  override extraRepr(): string {
    return this.reprParts(typeof this.padding === 'string' ? `'${this.padding}'` : this.padding.some((p) => p !== 0) ? fmtList(this.padding) : null);
  }
}

/**
 * PyTorch's nn.Conv1d: a 1-D convolution over [N, inChannels, L] (or [inChannels, L]) giving
 * [N, outChannels, Lout]. `weight` [outChannels, inChannels / groups, k], `bias` [outChannels],
 * initialised as {@link Conv2d}'s with fanIn = inChannels / groups · k.
 * @throws as {@link Conv2d}.
 */
export class Conv1d extends ConvBase {
  readonly padding: readonly number[] | 'same' | 'valid';

  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly [number], options: Conv1dOptions = {}) {
    super('Conv1d', inChannels, outChannels, kernelSize, 1, options, false);
    const p = convPadding('Conv1d', options.padding ?? 0, 1, this.stride);
    this.padding = typeof p === 'string' ? p : Object.freeze(p);
  }

  forward(x: Tensor): Tensor {
    this.checkInput(x, 1);
    const padding = typeof this.padding === 'string' ? this.padding : this.padding[0];
    const options = { stride: this.stride[0], padding, dilation: this.dilation[0], groups: this.groups };
    return asLayer(this.describe(), () => conv1d(x, this.weight, this.bias, options));
  }

  override extraRepr(): string {
    return this.reprParts(typeof this.padding === 'string' ? `'${this.padding}'` : this.padding[0] !== 0 ? fmtList(this.padding) : null);
  }
}

/**
 * PyTorch's nn.ConvTranspose2d, the shape-inverse of Conv2d ("deconvolution"): [N, inChannels,
 * H, W] (or [inChannels, H, W]) → [N, outChannels, Hout, Wout] with
 * Hout = (H - 1)·stride - 2·padding + dilation·(k - 1) + outputPadding + 1 (core's
 * `convTranspose2d`). `weight` [inChannels, outChannels / groups, kH, kW] and `bias`
 * [outChannels] from U(±1/√fanIn), fanIn = outChannels / groups · kH · kW as PyTorch computes it
 * for this weight layout.
 * @throws ValueError for bad sizes, groups not dividing the channels, or an outputPadding not
 *   smaller than stride or dilation (at construction); ShapeError (naming the layer) for an input
 *   of the wrong rank or channel count; DTypeError for an input of another dtype.
 */
export class ConvTranspose2d extends ConvBase {
  readonly padding: readonly number[];
  readonly outputPadding: readonly number[];

  constructor(inChannels: number, outChannels: number, kernelSize: IntOrPair, options: ConvTranspose2dOptions = {}) {
    super('ConvTranspose2d', inChannels, outChannels, kernelSize, 2, options, true);
    this.padding = Object.freeze(intsFor('ConvTranspose2d', 'padding', options.padding ?? 0, 2, 0));
    this.outputPadding = Object.freeze(intsFor('ConvTranspose2d', 'outputPadding', options.outputPadding ?? 0, 2, 0));
    this.outputPadding.forEach((p, i) => {
      if (p >= this.stride[i] && p >= this.dilation[i]) {
        throw new ValueError(
          `ConvTranspose2d: outputPadding ${fmtList(this.outputPadding)} must be smaller than either the stride ${fmtList(this.stride)} or the dilation ${fmtList(this.dilation)} (as in PyTorch); lower it.`,
        );
      }
    });
  }

  forward(x: Tensor): Tensor {
    this.checkInput(x, 2);
    const pair = (v: readonly number[]) => v as [number, number];
    const options = { stride: pair(this.stride), padding: pair(this.padding), outputPadding: pair(this.outputPadding), dilation: pair(this.dilation), groups: this.groups };
    return asLayer(this.describe(), () => convTranspose2d(x, this.weight, this.bias, options));
  }

  override extraRepr(): string {
    const extra = this.outputPadding.some((p) => p !== 0) ? [`outputPadding=${fmtList(this.outputPadding)}`] : [];
    return this.reprParts(this.padding.some((p) => p !== 0) ? fmtList(this.padding) : null, extra);
  }
}
