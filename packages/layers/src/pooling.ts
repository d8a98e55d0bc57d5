import {
  ValueError,
  adaptiveAvgPool2d,
  avgPool2d,
  maxPool1d,
  maxPool1dWithIndices,
  maxPool2d,
  maxPool2dWithIndices,
  type Tensor,
} from '@tsgrad/core';
import { asLayer, checkLayerInput, fmtList, intsFor } from './conv.js';
import { Module } from './module.js';

/** Options of {@link MaxPool2d}: PyTorch's nn.MaxPool2d arguments after kernel_size. */
export interface MaxPool2dOptions<R extends boolean = boolean> {
  /** Step between windows; default: the kernel size. */
  stride?: number | readonly [number, number];
  /** -Infinity on both sides of each axis, at most half the kernel (default 0). */
  padding?: number | readonly [number, number];
  dilation?: number | readonly [number, number];
  /** Round the output size up (PyTorch's ceil_mode); default false. */
  ceilMode?: boolean;
  /** Return [values, indices] instead of the values (indices int32 into each H·W plane). */
  returnIndices?: R;
}

/** Options of {@link MaxPool1d}. */
export interface MaxPool1dOptions<R extends boolean = boolean> {
  stride?: number | readonly [number];
  padding?: number | readonly [number];
  dilation?: number | readonly [number];
  ceilMode?: boolean;
  returnIndices?: R;
}

/** Options of {@link AvgPool2d}: PyTorch's nn.AvgPool2d arguments after kernel_size. */
export interface AvgPool2dOptions {
  stride?: number | readonly [number, number];
  padding?: number | readonly [number, number];
  ceilMode?: boolean;
  /** Count the padding zeros in each window's divisor (default true). */
  countIncludePad?: boolean;
  divisorOverride?: number;
}

type PoolOut<R> = R extends true ? [Tensor, Tensor] : Tensor;

function checkFlag(layer: string, name: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new ValueError(`${layer}: ${name} must be true or false, got ${JSON.stringify(v) ?? String(v)}.`);
  return v;
}

function checkOptions(layer: string, options: unknown): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ValueError(`${layer}: options must be an object such as { stride: 2 }, got ${JSON.stringify(options) ?? String(options)}.`);
  }
}

/** Sizes as "[2, 2]"; a window of `spatial` axes. */
interface Window {
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[];
}

function windowOf(layer: string, kernelSize: unknown, options: { stride?: unknown; padding?: unknown }, spatial: 1 | 2): Window {
  const kernel = intsFor(layer, 'kernelSize', kernelSize, spatial, 1);
  const stride = options.stride === undefined || options.stride === null ? kernel : intsFor(layer, 'stride', options.stride, spatial, 1);
  const padding = intsFor(layer, 'padding', options.padding ?? 0, spatial, 0);
  padding.forEach((p, i) => {
    if (2 * p > kernel[i]) {
      throw new ValueError(`${layer}: padding ${fmtList(padding)} is more than half the kernel size ${fmtList(kernel)} (PyTorch refuses it too); use padding <= ${fmtList(kernel.map((k) => Math.floor(k / 2)))}.`);
    }
  });
  return { kernelSize: Object.freeze(kernel), stride: Object.freeze(stride), padding: Object.freeze(padding) };
}

/**
 * PyTorch's nn.MaxPool2d: the largest value of each window, [N, C, H, W] (or [C, H, W]) →
 * [N, C, Ho, Wo] (core's `maxPool2d`: the gradient goes to the first maximum of each window, as
 * PyTorch's). With `returnIndices: true` the layer returns [values, indices].
 * @throws ValueError for bad sizes (at construction); ShapeError naming the layer for an input of
 *   the wrong rank or smaller than the kernel; DTypeError for a non-float input.
 */
export class MaxPool2d<R extends boolean = false> extends Module<[Tensor], PoolOut<R>> {
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly dilation: readonly number[];
  readonly ceilMode: boolean;
  readonly returnIndices: R;

  constructor(kernelSize: number | readonly [number, number], options: MaxPool2dOptions<R> = {}) {
    super();
    checkOptions('MaxPool2d', options);
    ({ kernelSize: this.kernelSize, stride: this.stride, padding: this.padding } = windowOf('MaxPool2d', kernelSize, options, 2));
    this.dilation = Object.freeze(intsFor('MaxPool2d', 'dilation', options.dilation ?? 1, 2, 1));
    this.ceilMode = checkFlag('MaxPool2d', 'ceilMode', options.ceilMode, false);
    this.returnIndices = checkFlag('MaxPool2d', 'returnIndices', options.returnIndices, false) as R;
  }

  forward(x: Tensor): PoolOut<R> {
    const name = `MaxPool2d(${this.extraRepr()})`;
    checkLayerInput(name, x, undefined);
    const pair = (v: readonly number[]) => v as [number, number];
    const options = { stride: pair(this.stride), padding: pair(this.padding), dilation: pair(this.dilation), ceilMode: this.ceilMode };
    return asLayer(name, () => (this.returnIndices ? maxPool2dWithIndices(x, pair(this.kernelSize), options) : maxPool2d(x, pair(this.kernelSize), options))) as PoolOut<R>;
  }

  override extraRepr(): string {
    const parts = [`kernelSize=${fmtList(this.kernelSize)}`, `stride=${fmtList(this.stride)}`, `padding=${fmtList(this.padding)}`, `dilation=${fmtList(this.dilation)}`];
    if (this.ceilMode) parts.push('ceilMode=true');
    if (this.returnIndices) parts.push('returnIndices=true');
    return parts.join(', ');
  }
}

/**
 * PyTorch's nn.MaxPool1d: [N, C, L] (or [C, L]) → [N, C, Lout], the largest value of each
 * window (core's `maxPool1d`). With `returnIndices: true` the layer returns [values, indices].
 * @throws as {@link MaxPool2d}.
 */
export class MaxPool1d<R extends boolean = false> extends Module<[Tensor], PoolOut<R>> {
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly dilation: number;
  readonly ceilMode: boolean;
  readonly returnIndices: R;

  constructor(kernelSize: number | readonly [number], options: MaxPool1dOptions<R> = {}) {
    super();
    checkOptions('MaxPool1d', options);
    const w = windowOf('MaxPool1d', kernelSize, options, 1);
    [this.kernelSize, this.stride, this.padding] = [w.kernelSize[0], w.stride[0], w.padding[0]];
    this.dilation = intsFor('MaxPool1d', 'dilation', options.dilation ?? 1, 1, 1)[0];
    this.ceilMode = checkFlag('MaxPool1d', 'ceilMode', options.ceilMode, false);
    this.returnIndices = checkFlag('MaxPool1d', 'returnIndices', options.returnIndices, false) as R;
  }

  forward(x: Tensor): PoolOut<R> {
    const name = `MaxPool1d(${this.extraRepr()})`;
    checkLayerInput(name, x, undefined);
    const options = { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode };
    return asLayer(name, () => (this.returnIndices ? maxPool1dWithIndices(x, this.kernelSize, options) : maxPool1d(x, this.kernelSize, options))) as PoolOut<R>;
  }

  override extraRepr(): string {
    const parts = [`kernelSize=${this.kernelSize}`, `stride=${this.stride}`, `padding=${this.padding}`, `dilation=${this.dilation}`];
    if (this.ceilMode) parts.push('ceilMode=true');
    if (this.returnIndices) parts.push('returnIndices=true');
    return parts.join(', ');
  }
}

/**
 * PyTorch's nn.AvgPool2d: the mean of each window, [N, C, H, W] (or [C, H, W]) → [N, C, Ho, Wo],
 * with PyTorch's divisors (core's `avgPool2d`; countIncludePad defaults to true).
 * @throws ValueError for bad sizes (at construction); ShapeError naming the layer for an input of
 *   the wrong rank or smaller than the kernel; DTypeError for a non-float input.
 */
export class AvgPool2d extends Module {
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | undefined;

  constructor(kernelSize: number | readonly [number, number], options: AvgPool2dOptions = {}) {
    super();
    checkOptions('AvgPool2d', options);
    ({ kernelSize: this.kernelSize, stride: this.stride, padding: this.padding } = windowOf('AvgPool2d', kernelSize, options, 2));
    this.ceilMode = checkFlag('AvgPool2d', 'ceilMode', options.ceilMode, false);
    this.countIncludePad = checkFlag('AvgPool2d', 'countIncludePad', options.countIncludePad, true);
    const d = options.divisorOverride;
    if (d !== undefined && d !== null && (!Number.isSafeInteger(d) || d < 1)) {
      throw new ValueError(`AvgPool2d: divisorOverride must be a positive integer, got ${JSON.stringify(d) ?? String(d)}.`);
    }
    this.divisorOverride = d ?? undefined;
  }

  forward(x: Tensor): Tensor {
    const name = `AvgPool2d(${this.extraRepr()})`;
    checkLayerInput(name, x, undefined);
    const pair = (v: readonly number[]) => v as [number, number];
    const options = { stride: pair(this.stride), padding: pair(this.padding), ceilMode: this.ceilMode, countIncludePad: this.countIncludePad, divisorOverride: this.divisorOverride };
    return asLayer(name, () => avgPool2d(x, pair(this.kernelSize), options));
  }

  override extraRepr(): string {
    const parts = [`kernelSize=${fmtList(this.kernelSize)}`, `stride=${fmtList(this.stride)}`, `padding=${fmtList(this.padding)}`];
    if (this.ceilMode) parts.push('ceilMode=true');
    if (!this.countIncludePad) parts.push('countIncludePad=false');
    if (this.divisorOverride !== undefined) parts.push(`divisorOverride=${this.divisorOverride}`);
    return parts.join(', ');
  }
}

/**
 * PyTorch's nn.AdaptiveAvgPool2d: [N, C, H, W] (or [C, H, W]) → [N, C, outH, outW] whatever the
 * input size, averaging PyTorch's adaptive windows (core's `adaptiveAvgPool2d`); `null` keeps
 * that input size.
 * @throws ValueError for a bad outputSize (at construction); ShapeError naming the layer for an
 *   input of the wrong rank; DTypeError for a non-float input.
 */
export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: readonly [number | null, number | null];

  constructor(outputSize: number | readonly [number | null, number | null]) {
    super();
    const pair = typeof outputSize === 'number' ? [outputSize, outputSize] : Array.isArray(outputSize) && outputSize.length === 2 ? outputSize : null;
    if (pair === null || pair.some((v) => v !== null && (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1))) {
      throw new ValueError(`AdaptiveAvgPool2d: outputSize must be a positive integer or a pair [h, w] of them (null keeps that input size), got ${JSON.stringify(outputSize) ?? String(outputSize)}.`);
    }
    this.outputSize = Object.freeze([pair[0], pair[1]] as [number | null, number | null]);
  }

  forward(x: Tensor): Tensor {
    const name = `AdaptiveAvgPool2d(${this.extraRepr()})`;
    checkLayerInput(name, x, undefined);
    return asLayer(name, () => adaptiveAvgPool2d(x, this.outputSize));
  }

  override extraRepr(): string {
    return `outputSize=${fmtList(this.outputSize.map((v) => (v === null ? 'null' : v)))}`;
  }
}
