import { apply, noGrad } from '../autograd/engine.js';
import type { Backend } from '../backend.js';
import { typedArrayFor, type DType } from '../dtype.js';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { fmt } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { assertBoolean, assertInteger, assertIntList, assertOptions, assertTensor, describe } from '../validate.js';
import { cachedConstant } from './constant-cache.js';
import { matmul } from './linalg.js';
import { pad, slice } from './movement.js';
import { argmax, sum } from './reduce.js';
import { requireFloat } from './util.js';

/**
 * Convolution and pooling (PyTorch's torch.nn.functional conv1d, conv2d, conv_transpose2d,
 * unfold, fold, max_pool1d/2d, avg_pool2d, adaptive_avg_pool2d), each a composite of existing
 * primitives, so every backend runs them and gradients come from the primitives' rules:
 *
 * - **im2col by gather.** The input is padded, its spatial axes flattened to one axis of
 *   Hp·Wp positions, and one `gather` with a host-computed int32 index map of shape [k·k, L]
 *   (L output positions) makes the columns [N, C, k·k, L], which reshape for free to
 *   [N, C·k·k, L]. The gather's gradient is a scatter-add through the same map.
 * - **conv = one batched matmul** of the weight [Cout, C·k·k] with the columns: [N, Cout, L],
 *   already in NCHW order (no permute copy). Groups are one more batch axis.
 * - **transposed conv = the adjoint**: the matmul with the weight transposed gives columns,
 *   which a scatter-add through the map of the forward convolution folds into the output.
 * - **max pooling** takes the argmax of each window (first index at ties, as PyTorch's kernel)
 *   and gathers that one element from the padded input, so the gradient goes to exactly the
 *   element PyTorch picks (see {@link maxPool2d}); **average pooling** sums each window and
 *   divides by PyTorch's divisor.
 *
 * Index maps and divisors are cached per backend and geometry (ops/constant-cache.ts, bounded).
 */

/** One integer for every spatial axis, or one per axis ([height, width]). */
export type IntOrPair = number | readonly [number, number];
/** Padding of a 2-D convolution: zeros on both sides of each axis, or PyTorch's 'same' / 'valid'. */
export type Conv2dPadding = IntOrPair | 'same' | 'valid';
/** Padding of a 1-D convolution. */
export type Conv1dPadding = number | readonly [number] | 'same' | 'valid';

/** Options of {@link conv2d}: PyTorch's F.conv2d arguments after the bias. */
export interface Conv2dOptions {
  /** Step between windows; default 1. */
  readonly stride?: IntOrPair;
  /** Zeros added on both sides of each spatial axis (default 0); 'same' (stride 1 only) keeps the size, 'valid' is 0. */
  readonly padding?: Conv2dPadding;
  /** Spacing between kernel elements; default 1. */
  readonly dilation?: IntOrPair;
  /** Split input and output channels into this many independent groups; default 1. */
  readonly groups?: number;
}

/** Options of {@link conv1d}. */
export interface Conv1dOptions {
  readonly stride?: number | readonly [number];
  readonly padding?: Conv1dPadding;
  readonly dilation?: number | readonly [number];
  readonly groups?: number;
}

/** Options of {@link convTranspose2d}: PyTorch's F.conv_transpose2d arguments after the bias. */
export interface ConvTranspose2dOptions {
  readonly stride?: IntOrPair;
  /** The zero-padding of the convolution this op is the adjoint of: that many rows/columns are cut from each side of the output. Default 0. */
  readonly padding?: IntOrPair;
  /** Extra rows/columns added at the bottom/right of the output (smaller than stride or dilation); default 0. */
  readonly outputPadding?: IntOrPair;
  readonly groups?: number;
  readonly dilation?: IntOrPair;
}

/** Options of {@link unfold} and {@link fold}. */
export interface UnfoldOptions {
  readonly dilation?: IntOrPair;
  readonly padding?: IntOrPair;
  readonly stride?: IntOrPair;
}

/** Options of {@link maxPool2d}. */
export interface MaxPool2dOptions {
  /** Step between windows; default: the kernel size. */
  readonly stride?: IntOrPair;
  /** -Infinity added on both sides of each axis, at most half the kernel size; default 0. */
  readonly padding?: IntOrPair;
  readonly dilation?: IntOrPair;
  /** Round the output size up (a last, partial window), as PyTorch's ceil_mode; default false. */
  readonly ceilMode?: boolean;
}

/** Options of {@link maxPool1d}. */
export interface MaxPool1dOptions {
  readonly stride?: number | readonly [number];
  readonly padding?: number | readonly [number];
  readonly dilation?: number | readonly [number];
  readonly ceilMode?: boolean;
}

/** Options of {@link avgPool2d}. */
export interface AvgPool2dOptions {
  /** Step between windows; default: the kernel size. */
  readonly stride?: IntOrPair;
  /** Zeros added on both sides of each axis, at most half the kernel size; default 0. */
  readonly padding?: IntOrPair;
  readonly ceilMode?: boolean;
  /** Count the padding zeros in each window's divisor (default true, as PyTorch). */
  readonly countIncludePad?: boolean;
  /** Divide every window's sum by this instead. */
  readonly divisorOverride?: number;
}

// ---- geometry --------------------------------------------------------------------------------

/** One spatial axis of a windowed op. */
interface Axis {
  /** Input size, kernel size, stride, dilation. */
  readonly n: number;
  readonly k: number;
  readonly s: number;
  readonly d: number;
  /** Padding before and after (after includes ceil mode's overhang). */
  readonly lo: number;
  readonly hi: number;
  /** Number of windows. */
  readonly out: number;
}

/** The axis of a size-1 dimension a 1-D op runs along (its height). */
const UNIT_AXIS: Axis = { n: 1, k: 1, s: 1, d: 1, lo: 0, hi: 0, out: 1 };

const padded = (a: Axis) => a.n + a.lo + a.hi;
const key = (h: Axis, w: Axis) => `${h.n},${h.k},${h.s},${h.d},${h.lo},${h.hi},${h.out};${w.n},${w.k},${w.s},${w.d},${w.lo},${w.hi},${w.out}`;
const INT32_MAX = 2 ** 31 - 1;

/**
 * The im2col index map: for kernel element a = i·kw + j and output position l = oh·Wo + ow, the
 * position (oh·sh + i·dh)·Wp + ow·sw + j·dw in the padded plane flattened. Shape [kk, L]
 * ('kl', for convolution: columns reshape to [C·kk, L]) or [L, kk] ('lk', for pooling: each
 * window contiguous).
 */
function windowMap(backend: Backend, order: 'kl' | 'lk', h: Axis, w: Axis): Tensor {
  const kk = h.k * w.k;
  const L = h.out * w.out;
  return cachedConstant(backend, `window:${order}:${key(h, w)}`, order === 'kl' ? [kk, L] : [L, kk], 'int32', () => {
    const wp = padded(w);
    const v = new Int32Array(kk * L);
    for (let i = 0; i < h.k; i++) {
      for (let j = 0; j < w.k; j++) {
        const a = i * w.k + j;
        const off = i * h.d * wp + j * w.d;
        for (let oh = 0; oh < h.out; oh++) {
          for (let ow = 0; ow < w.out; ow++) {
            const l = oh * w.out + ow;
            v[order === 'kl' ? a * L + l : l * kk + a] = oh * h.s * wp + ow * w.s + off;
          }
        }
      }
    }
    return v;
  });
}

/** The padded input flattened to [N, C, Hp·Wp] (a view when there is no padding). */
function paddedPlanes(x4: Tensor, h: Axis, w: Axis, value: number): Tensor {
  const [N, C] = x4.shape;
  const xp = pad(x4, [[0, 0], [0, 0], [h.lo, h.hi], [w.lo, w.hi]], value);
  return xp.reshape([N, C, padded(h) * padded(w)]);
}

/** im2col: [N, C, H, W] → [N, C, kk, L] ('kl') or [N, C, L, kk] ('lk'). */
function windows(x4: Tensor, h: Axis, w: Axis, order: 'kl' | 'lk', value = 0): Tensor {
  return apply('gather', [paddedPlanes(x4, h, w, value), windowMap(x4.backend, order, h, w)], { axis: 2 });
}

/** The number of windows of a convolution along one axis, or null when the kernel does not fit. */
function convAxis(n: number, k: number, s: number, d: number, lo: number, hi: number): Axis | null {
  const span = d * (k - 1) + 1;
  if (n + lo + hi < span) return null;
  return { n, k, s, d, lo, hi, out: Math.floor((n + lo + hi - span) / s) + 1 };
}

/** PyTorch's pooling_output_shape, with the overhang a ceil-mode window needs as extra padding. */
function poolAxis(n: number, k: number, s: number, p: number, d: number, ceilMode: boolean): Axis | null {
  const span = d * (k - 1) + 1;
  const room = n + 2 * p - span;
  if (room < 0) return null;
  let out = (ceilMode ? Math.ceil(room / s) : Math.floor(room / s)) + 1;
  // The last window must start inside the input or its left padding.
  if (ceilMode && (out - 1) * s >= n + p) out--;
  return { n, k, s, d, lo: p, hi: Math.max(p, (out - 1) * s + span - n - p), out };
}

// ---- argument checks -------------------------------------------------------------------------

/** `v` as one integer per spatial axis (`spatial` of them), each at least `min`. */
function ints(op: string, name: string, v: unknown, min: number, spatial: 1 | 2): number[] {
  if (typeof v === 'number') {
    assertInteger(op, name, v, min);
    return spatial === 2 ? [v, v] : [v];
  }
  if (Array.isArray(v) && v.length === spatial) {
    assertIntList(op, name, v, min);
    return [...(v as number[])];
  }
  const what = min === 0 ? 'a non-negative integer' : `an integer >= ${min}`;
  throw new ValueError(`${op}: ${name} must be ${what}${spatial === 2 ? ' or a pair [height, width] of them' : ''}, got ${describe(v)}.`);
}

const inputLayout = (spatial: 1 | 2) => (spatial === 2 ? '[N, C, H, W] (or [C, H, W] unbatched)' : '[N, C, L] (or [C, L] unbatched)');

/**
 * The input as [N, C, H, W] (a 1-D input gets H = 1; an unbatched one N = 1), and the function
 * that gives a [N, C', Ho, Wo] result the input's layout back.
 */
function asPlanes(op: string, x: Tensor, spatial: 1 | 2): { x4: Tensor; restore: (y: Tensor) => Tensor } {
  const r = x.rank;
  if (r !== spatial + 2 && r !== spatial + 1) {
    throw new ShapeError(`${op}: expected an input of shape ${inputLayout(spatial)}, got ${fmt(x.shape)} (rank ${r}); reshape it, e.g. x.reshape([1, ...x.shape]) for a single channel.`);
  }
  const batched = r === spatial + 2;
  if (x.shape.slice(r - spatial).some((d) => d === 0)) {
    throw new ShapeError(`${op}: the input ${fmt(x.shape)} has an empty spatial axis; only the batch or channel axis may be empty (as in PyTorch).`);
  }
  const xb = batched ? x : x.reshape([1, ...x.shape]);
  const x4 = spatial === 2 ? xb : xb.reshape([xb.shape[0], xb.shape[1], 1, xb.shape[2]]);
  const restore = (y: Tensor) => {
    const [n, c, ho, wo] = y.shape;
    const shape = spatial === 2 ? [c, ho, wo] : [c, wo];
    return y.reshape(batched ? [n, ...shape] : shape);
  };
  return { x4, restore };
}

function checkFloatPair(op: string, x: Tensor, other: Tensor, what: string): void {
  requireFloat(op, x);
  if (other.dtype !== x.dtype) {
    throw new DTypeError(`${op}: the input is ${x.dtype} but the ${what} is ${other.dtype}; cast the input with x.cast("${other.dtype}").`);
  }
}

function tooSmall(op: string, x: Tensor, kernel: readonly number[], dilation: readonly number[], padding: string): ShapeError {
  const span = kernel.map((k, i) => dilation[i] * (k - 1) + 1);
  const dilated = dilation.some((d) => d !== 1) ? ` (${span.join('x')} dilated)` : '';
  return new ShapeError(
    `${op}: the kernel ${kernel.join('x')}${dilated} is larger than the padded input: input ${fmt(x.shape)} with padding ${padding}; ` +
      `use a smaller kernel or dilation, more padding, or a larger input.`,
  );
}

// ---- convolution -----------------------------------------------------------------------------

interface ConvArgs {
  readonly stride?: unknown;
  readonly padding?: unknown;
  readonly dilation?: unknown;
  readonly groups?: unknown;
}

function convolution(op: string, spatial: 1 | 2, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, options: ConvArgs): Tensor {
  assertTensor(op, 'x', x);
  assertTensor(op, 'weight', weight);
  if (bias !== undefined && bias !== null) assertTensor(op, 'bias', bias);
  assertOptions(op, options);
  const { x4, restore } = asPlanes(op, x, spatial);
  const kernelLayout = spatial === 2 ? '[outChannels, inChannels / groups, kH, kW]' : '[outChannels, inChannels / groups, k]';
  if (weight.rank !== spatial + 2) throw new ShapeError(`${op}: the weight must have shape ${kernelLayout}, got ${fmt(weight.shape)}.`);
  checkFloatPair(op, x, weight, 'weight');
  const groups = options.groups ?? 1;
  assertInteger(op, 'options.groups', groups, 1);
  const C = x4.shape[1];
  const cout = weight.shape[0];
  const kernel = weight.shape.slice(2);
  if (kernel.some((k) => k === 0)) throw new ShapeError(`${op}: the weight ${fmt(weight.shape)} has an empty kernel; every kernel size must be at least 1.`);
  if (C % groups !== 0) {
    throw new ValueError(`${op}: groups=${groups} does not divide the ${C} input channels of ${fmt(x.shape)}; use a number of groups that divides both channel counts.`);
  }
  if (cout % groups !== 0) {
    throw new ValueError(`${op}: groups=${groups} does not divide the ${cout} output channels of the weight ${fmt(weight.shape)}; use a number of groups that divides both channel counts.`);
  }
  if (weight.shape[1] * groups !== C) {
    throw new ShapeError(
      `${op}: the input ${fmt(x.shape)} has ${C} channels but the weight ${fmt(weight.shape)} with groups=${groups} takes ${weight.shape[1] * groups} ` +
        `(weight.shape[1] · groups); give an input with ${weight.shape[1] * groups} channels, or a weight of shape ${fmt([cout, C / groups, ...kernel])}.`,
    );
  }
  if (bias !== undefined && bias !== null) {
    checkFloatPair(op, x, bias, 'bias');
    if (bias.rank !== 1 || bias.shape[0] !== cout) {
      throw new ShapeError(`${op}: the bias has shape ${fmt(bias.shape)} but the weight ${fmt(weight.shape)} has ${cout} output channels; give a bias of shape [${cout}].`);
    }
  }
  const stride = ints(op, 'options.stride', options.stride ?? 1, 1, spatial);
  const dilation = ints(op, 'options.dilation', options.dilation ?? 1, 1, spatial);
  const p = options.padding ?? 0;
  let lo: number[];
  let hi: number[];
  if (p === 'valid') lo = hi = kernel.map(() => 0);
  else if (p === 'same') {
    if (stride.some((s) => s !== 1)) {
      throw new ValueError(`${op}: padding 'same' needs stride 1 (PyTorch refuses strided 'same' convolutions too), got stride ${fmt(stride)}; give the padding as numbers instead.`);
    }
    // PyTorch: the total d·(k-1) split with the odd one at the end (right/bottom).
    const total = kernel.map((k, i) => dilation[i] * (k - 1));
    lo = total.map((t) => Math.floor(t / 2));
    hi = total.map((t, i) => t - lo[i]);
  } else if (typeof p === 'string') {
    throw new ValueError(`${op}: options.padding ${describe(p)} is not a padding; use a non-negative integer, ${spatial === 2 ? 'a pair [h, w], ' : ''}'same' or 'valid'.`);
  } else lo = hi = ints(op, 'options.padding', p, 0, spatial);
  // A 1-D convolution runs over a height of 1: kernel 1, stride 1, dilation 1, no padding there.
  const two = (v: readonly number[], unit: number) => (spatial === 2 ? v : [unit, v[0]]);
  const [k2, s2, d2, lo2, hi2] = [two(kernel, 1), two(stride, 1), two(dilation, 1), two(lo, 0), two(hi, 0)];
  const h = convAxis(x4.shape[2], k2[0], s2[0], d2[0], lo2[0], hi2[0]);
  const w = convAxis(x4.shape[3], k2[1], s2[1], d2[1], lo2[1], hi2[1]);
  if (h === null || w === null) throw tooSmall(op, x, kernel, dilation, lo.every((v, i) => v === hi[i]) ? fmt(lo) : `${fmt(lo)} before and ${fmt(hi)} after`);
  const w4 = spatial === 2 ? weight : weight.reshape([cout, weight.shape[1], 1, kernel[0]]);
  return restore(convPlanes(x4, w4, bias ?? null, h, w, groups));
}

/** conv2d on [N, C, H, W] with a checked geometry: im2col by gather, then one batched matmul. */
function convPlanes(x4: Tensor, w4: Tensor, bias: Tensor | null, h: Axis, w: Axis, groups: number): Tensor {
  const [N, C] = x4.shape;
  const cout = w4.shape[0];
  const kk = h.k * w.k;
  const L = h.out * w.out;
  // A 1x1 kernel at stride 1 without padding reads the input as it is: no copy.
  const direct = kk === 1 && h.s === 1 && w.s === 1 && h.lo + h.hi + w.lo + w.hi === 0;
  const cols = direct ? x4.reshape([N, C, L]) : windows(x4, h, w, 'kl'); // [N, C, kk, L]
  const ck = (C / groups) * kk;
  let y =
    groups === 1
      ? matmul(w4.reshape([cout, ck]), cols.reshape([N, ck, L]))
      : matmul(w4.reshape([groups, cout / groups, ck]), cols.reshape([N, groups, ck, L])).reshape([N, cout, L]);
  if (bias !== null) y = y.add(bias.reshape([cout, 1]));
  return y.reshape([N, cout, h.out, w.out]);
}

/**
 * 2-D convolution (cross-correlation, as PyTorch's F.conv2d): out[n, o] = bias[o] +
 * Σ_c Σ_ij weight[o, c, i, j] · x[n, g·C/groups + c, oh·sh + i·dh - ph, ow·sw + j·dw - pw].
 *
 * Shapes: x [N, C, H, W] (or unbatched [C, H, W]), weight [Cout, C / groups, kH, kW], bias [Cout];
 * result [N, Cout, Ho, Wo] with Ho = floor((H + 2ph - dh·(kH - 1) - 1) / sh) + 1. Float dtypes
 * (one for all three). Differentiable in x, weight and bias. 'same' padding splits an odd total
 * padding with the extra row/column at the bottom/right, as PyTorch.
 *
 * Computed as im2col (one gather with a cached index map) and one batched matmul, so it runs on
 * every backend; float32 results are those of the backend's matmul (float32 accumulation on
 * wasm and tfjs, within about 1e-6 relative of PyTorch for MNIST-sized layers).
 * @throws ShapeError for a wrong rank, a channel count the weight does not take, a bias of the
 *   wrong shape, or a kernel larger than the padded input; ValueError for groups that do not
 *   divide the channels, bad stride/padding/dilation, or 'same' with a stride; DTypeError for
 *   non-float or mixed dtypes.
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  return convolution('conv2d', 2, x, weight, bias, options);
}

/**
 * 1-D convolution (PyTorch's F.conv1d): x [N, C, L] (or [C, L]), weight [Cout, C / groups, k],
 * bias [Cout]; result [N, Cout, Lout] with Lout = floor((L + 2p - d·(k - 1) - 1) / s) + 1.
 * A conv2d over a height of 1; same semantics, dtypes and errors as {@link conv2d}.
 */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv1dOptions = {}): Tensor {
  return convolution('conv1d', 1, x, weight, bias, options);
}

/**
 * Transposed 2-D convolution (PyTorch's F.conv_transpose2d), the adjoint of conv2d with respect
 * to its input ("deconvolution"): x [N, Cin, H, W] (or [Cin, H, W]), weight
 * [Cin, Cout / groups, kH, kW], bias [Cout]; result [N, Cout, Hout, Wout] with
 * Hout = (H - 1)·sh - 2ph + dh·(kH - 1) + outputPadding_h + 1.
 *
 * Computed as one batched matmul (the weight transposed times the input: columns [N, Cout, kk,
 * H·W]) and a scatter-add of the columns through conv2d's index map (PyTorch's col2im / fold),
 * then the padding cut off. Differentiable in x, weight and bias.
 * @throws ShapeError for a wrong rank, a channel count the weight does not take, a bias of the
 *   wrong shape or an empty output; ValueError for groups that do not divide the channels, bad
 *   stride/padding/dilation, or an outputPadding not smaller than stride or dilation;
 *   DTypeError for non-float or mixed dtypes.
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTranspose2dOptions = {}): Tensor {
  const op = 'convTranspose2d';
  assertTensor(op, 'x', x);
  assertTensor(op, 'weight', weight);
  if (bias !== undefined && bias !== null) assertTensor(op, 'bias', bias);
  assertOptions(op, options);
  const { x4, restore } = asPlanes(op, x, 2);
  if (weight.rank !== 4) throw new ShapeError(`${op}: the weight must have shape [inChannels, outChannels / groups, kH, kW], got ${fmt(weight.shape)}.`);
  checkFloatPair(op, x, weight, 'weight');
  const groups = options.groups ?? 1;
  assertInteger(op, 'options.groups', groups, 1);
  const [N, cin, H, W] = x4.shape;
  const [, coutG, kh, kw] = weight.shape;
  if (kh === 0 || kw === 0) throw new ShapeError(`${op}: the weight ${fmt(weight.shape)} has an empty kernel; every kernel size must be at least 1.`);
  if (cin % groups !== 0) {
    throw new ValueError(`${op}: groups=${groups} does not divide the ${cin} input channels of ${fmt(x.shape)}; use a number of groups that divides the channel count.`);
  }
  if (weight.shape[0] !== cin) {
    throw new ShapeError(
      `${op}: the input ${fmt(x.shape)} has ${cin} channels but the weight ${fmt(weight.shape)} takes ${weight.shape[0]} (weight.shape[0]); ` +
        `give an input with ${weight.shape[0]} channels, or a weight of shape ${fmt([cin, coutG, kh, kw])}.`,
    );
  }
  const cout = coutG * groups;
  if (bias !== undefined && bias !== null) {
    checkFloatPair(op, x, bias, 'bias');
    if (bias.rank !== 1 || bias.shape[0] !== cout) {
      throw new ShapeError(`${op}: the bias has shape ${fmt(bias.shape)} but the weight ${fmt(weight.shape)} with groups=${groups} makes ${cout} output channels; give a bias of shape [${cout}].`);
    }
  }
  const stride = ints(op, 'options.stride', options.stride ?? 1, 1, 2);
  const padding = ints(op, 'options.padding', options.padding ?? 0, 0, 2);
  const outPad = ints(op, 'options.outputPadding', options.outputPadding ?? 0, 0, 2);
  const dilation = ints(op, 'options.dilation', options.dilation ?? 1, 1, 2);
  for (let i = 0; i < 2; i++) {
    if (outPad[i] >= stride[i] && outPad[i] >= dilation[i]) {
      throw new ValueError(`${op}: outputPadding ${fmt(outPad)} must be smaller than either the stride ${fmt(stride)} or the dilation ${fmt(dilation)} (as in PyTorch); lower it.`);
    }
  }
  const size = [H, W].map((n, i) => (n - 1) * stride[i] - 2 * padding[i] + dilation[i] * ([kh, kw][i] - 1) + outPad[i] + 1);
  if (size.some((n) => n <= 0)) {
    throw new ShapeError(`${op}: the input ${fmt(x.shape)} with kernel ${kh}x${kw}, stride ${fmt(stride)} and padding ${fmt(padding)} gives an empty output ${fmt(size)}; use less padding.`);
  }
  // The convolution this op is the adjoint of: input size[i] padded by `padding` (plus the
  // uncovered outputPadding rows), H x W windows.
  const axis = (i: number, n: number, k: number): Axis => ({ n: size[i], k, s: stride[i], d: dilation[i], lo: padding[i], hi: padding[i], out: n });
  const h = axis(0, H, kh);
  const w = axis(1, W, kw);
  const L = H * W;
  const kk = kh * kw;
  // Columns [N, groups, Cout/groups · kk, L] = weightᵀ (per group) @ x.
  const cols = matmul(weight.reshape([groups, cin / groups, coutG * kk]), x4.reshape([N, groups, cin / groups, L]), { transposeA: true });
  const hp = padded(h);
  const wp = padded(w);
  const folded = apply('scatterAdd', [cols.reshape([N, cout, kk, L]), windowMap(x.backend, 'kl', h, w)], { axis: 2, shape: [N, cout, hp * wp] });
  let y = slice(folded.reshape([N, cout, hp, wp]), [0, 0, padding[0], padding[1]], [N, cout, size[0], size[1]]);
  if (bias !== undefined && bias !== null) y = y.add(bias.reshape([cout, 1, 1]));
  return restore(y);
}

/**
 * Extracts sliding local blocks (PyTorch's F.unfold, im2col): x [N, C, H, W] (or [C, H, W]) →
 * [N, C·kH·kW, L], where L = Ho·Wo windows and row c·kH·kW + i·kW + j holds kernel element
 * (i, j) of channel c. Padding is zeros. Differentiable (the gradient is {@link fold}).
 * @throws ShapeError for a wrong rank or a kernel larger than the padded input; ValueError for
 *   bad sizes.
 */
export function unfold(x: Tensor, kernelSize: IntOrPair, options: UnfoldOptions = {}): Tensor {
  const op = 'unfold';
  assertTensor(op, 'x', x);
  assertOptions(op, options);
  const { x4 } = asPlanes(op, x, 2);
  const [h, w] = blockAxes(op, x, x4.shape[2], x4.shape[3], kernelSize, options);
  const [N, C] = x4.shape;
  const cols = windows(x4, h, w, 'kl').reshape([N, C * h.k * w.k, h.out * w.out]);
  return x.rank === 3 ? cols.reshape(cols.shape.slice(1)) : cols;
}

/**
 * Combines sliding local blocks into a tensor (PyTorch's F.fold, col2im), summing overlaps: the
 * adjoint of {@link unfold}. x [N, C·kH·kW, L] (or [C·kH·kW, L]) → [N, C, outputSize...].
 * @throws ShapeError when x's sizes do not match the kernel and the number of blocks the
 *   geometry gives; ValueError for bad sizes.
 */
export function fold(x: Tensor, outputSize: IntOrPair, kernelSize: IntOrPair, options: UnfoldOptions = {}): Tensor {
  const op = 'fold';
  assertTensor(op, 'x', x);
  assertOptions(op, options);
  if (x.rank !== 3 && x.rank !== 2) throw new ShapeError(`${op}: expected an input of shape [N, C·kH·kW, L] (or [C·kH·kW, L]), got ${fmt(x.shape)}.`);
  const [H, W] = ints(op, 'outputSize', outputSize, 1, 2);
  const x3 = x.rank === 3 ? x : x.reshape([1, ...x.shape]);
  const [h, w] = blockAxes(op, x, H, W, kernelSize, options);
  const [N, ck, L] = x3.shape;
  const kk = h.k * w.k;
  if (ck % kk !== 0 || L !== h.out * w.out) {
    throw new ShapeError(
      `${op}: the input ${fmt(x.shape)} does not fit a ${h.k}x${w.k} kernel over an output of ${H}x${W}: expected [N, C·${kk}, ${h.out * w.out}] ` +
        `(${h.out}x${w.out} blocks); check kernelSize, outputSize, stride, padding and dilation.`,
    );
  }
  const C = ck / kk;
  const hp = padded(h);
  const wp = padded(w);
  const sums = apply('scatterAdd', [x3.reshape([N, C, kk, L]), windowMap(x.backend, 'kl', h, w)], { axis: 2, shape: [N, C, hp * wp] });
  const y = slice(sums.reshape([N, C, hp, wp]), [0, 0, h.lo, w.lo], [N, C, H, W]);
  return x.rank === 3 ? y : y.reshape([C, H, W]);
}

function blockAxes(op: string, x: Tensor, H: number, W: number, kernelSize: unknown, options: UnfoldOptions): [Axis, Axis] {
  const k = ints(op, 'kernelSize', kernelSize, 1, 2);
  const stride = ints(op, 'options.stride', options.stride ?? 1, 1, 2);
  const dilation = ints(op, 'options.dilation', options.dilation ?? 1, 1, 2);
  const padding = ints(op, 'options.padding', options.padding ?? 0, 0, 2);
  const h = convAxis(H, k[0], stride[0], dilation[0], padding[0], padding[0]);
  const w = convAxis(W, k[1], stride[1], dilation[1], padding[1], padding[1]);
  if (h === null || w === null) throw tooSmall(op, x, k, dilation, fmt(padding));
  return [h, w];
}

// ---- pooling ---------------------------------------------------------------------------------

interface PoolArgs {
  readonly stride?: unknown;
  readonly padding?: unknown;
  readonly dilation?: unknown;
  readonly ceilMode?: unknown;
}

function poolSetup(op: string, spatial: 1 | 2, x: Tensor, kernelSize: unknown, options: PoolArgs, dilated: boolean) {
  assertTensor(op, 'x', x);
  assertOptions(op, options);
  const { x4, restore } = asPlanes(op, x, spatial);
  requireFloat(op, x);
  const k = ints(op, 'kernelSize', kernelSize, 1, spatial);
  // PyTorch: a stride of None (or []) means the kernel size.
  const stride = options.stride === undefined || options.stride === null ? k : ints(op, 'options.stride', options.stride, 1, spatial);
  const padding = ints(op, 'options.padding', options.padding ?? 0, 0, spatial);
  const dilation = dilated ? ints(op, 'options.dilation', options.dilation ?? 1, 1, spatial) : k.map(() => 1);
  const ceilMode = options.ceilMode ?? false;
  assertBoolean(op, 'options.ceilMode', ceilMode);
  padding.forEach((p, i) => {
    if (2 * p > k[i]) {
      throw new ValueError(`${op}: padding ${fmt(padding)} is more than half the kernel size ${fmt(k)} (PyTorch refuses it too); use padding <= ${fmt(k.map((v) => Math.floor(v / 2)))}.`);
    }
  });
  const axes = k.map((_, i) => poolAxis(x4.shape[spatial === 2 ? 2 + i : 3], k[i], stride[i], padding[i], dilation[i], ceilMode));
  if (axes.some((a) => a === null)) throw tooSmall(op, x, k, dilation, fmt(padding));
  const [h, w] = spatial === 2 ? (axes as Axis[]) : [UNIT_AXIS, axes[0] as Axis];
  return { x4, restore, h, w };
}

/** Int32 per-axis tables for locating a window's element: offsets within a window, window bases. */
function offsetTable(backend: Backend, h: Axis, w: Axis, rowLength: number): Tensor {
  return cachedConstant(backend, `offsets:${rowLength}:${key(h, w)}`, [h.k * w.k], 'int32', () => {
    const v = new Int32Array(h.k * w.k);
    for (let i = 0; i < h.k; i++) for (let j = 0; j < w.k; j++) v[i * w.k + j] = i * h.d * rowLength + j * w.d;
    return v;
  });
}
function baseTable(backend: Backend, h: Axis, w: Axis, rowLength: number, shiftH: number, shiftW: number): Tensor {
  return cachedConstant(backend, `bases:${rowLength}:${shiftH}:${shiftW}:${key(h, w)}`, [h.out * w.out], 'int32', () => {
    const v = new Int32Array(h.out * w.out);
    for (let oh = 0; oh < h.out; oh++) for (let ow = 0; ow < w.out; ow++) v[oh * w.out + ow] = (oh * h.s - shiftH) * rowLength + ow * w.s - shiftW;
    return v;
  });
}

/**
 * Max pooling on [N, C, H, W]: the first maximum of each window (argmax), then that element
 * gathered from the padded input, flattened. Returns the values and, when asked, PyTorch's
 * indices (into each H·W plane).
 */
function maxPoolPlanes(op: string, x4: Tensor, h: Axis, w: Axis, withIndices: boolean): [Tensor, Tensor | null] {
  const [N, C] = x4.shape;
  const rows = N * C;
  const hp = padded(h);
  const wp = padded(w);
  const P = hp * wp;
  const L = h.out * w.out;
  if (rows * P > INT32_MAX) throw new ValueError(`${op}: the padded input [${N}, ${C}, ${hp}, ${wp}] has more elements than int32 indices reach (2^31 - 1); pool it in smaller batches.`);
  const backend = x4.backend;
  const planes = paddedPlanes(x4, h, w, -Infinity); // [N, C, P]
  const [flat, indices] = noGrad(() => {
    const win = apply('gather', [planes, windowMap(backend, 'lk', h, w)], { axis: 2 }); // [N, C, L, kk]
    const best = argmax(win, -1); // [N, C, L] int32: the first maximum, NaN counting as largest
    win.dispose();
    const offset = apply('gather', [offsetTable(backend, h, w, wp), best], { axis: 0 });
    const within = offset.add(baseTable(backend, h, w, wp, 0, 0));
    offset.dispose();
    const rowStart = cachedConstant(backend, `rows:${N}:${C}:${P}`, [N, C, 1], 'int32', () => {
      const v = new Int32Array(rows);
      for (let r = 0; r < rows; r++) v[r] = r * P;
      return v;
    });
    const at = within.add(rowStart);
    within.dispose();
    let idx: Tensor | null = null;
    if (withIndices) {
      // The same element as an index into the unpadded H·W plane, as PyTorch returns it.
      const o = apply('gather', [offsetTable(backend, h, w, w.n), best], { axis: 0 });
      idx = o.add(baseTable(backend, h, w, w.n, h.lo, w.lo));
      o.dispose();
    }
    best.dispose();
    return [at, idx] as const;
  });
  const y = apply('gather', [planes.reshape([rows * P]), flat.reshape([rows * L])], { axis: 0 });
  return [y.reshape([N, C, h.out, w.out]), indices && indices.reshape([N, C, h.out, w.out])];
}

/**
 * 2-D max pooling (PyTorch's F.max_pool2d): x [N, C, H, W] (or [C, H, W]) → [N, C, Ho, Wo],
 * Ho = floor((H + 2p - d·(k - 1) - 1) / s) + 1 (ceil with ceilMode). Float dtypes. The stride
 * defaults to the kernel size; padding is -Infinity, at most half the kernel.
 *
 * Gradient: all of it goes to the first maximal element of each window in row-major order,
 * exactly as PyTorch's CPU kernel; the `max` reduction would split it evenly between ties
 * instead. A NaN counts as the maximum: the value is NaN as in PyTorch, and the gradient goes to
 * the first NaN (PyTorch's kernel picks the last). A window whose real elements are all -Infinity
 * next to padding may send its gradient to the padding (PyTorch: to the first real element).
 * @throws ShapeError for a wrong rank or a kernel larger than the padded input; ValueError for
 *   bad sizes or padding over half the kernel; DTypeError for a non-float input.
 */
export function maxPool2d(x: Tensor, kernelSize: IntOrPair, options: MaxPool2dOptions = {}): Tensor {
  const { x4, restore, h, w } = poolSetup('maxPool2d', 2, x, kernelSize, options, true);
  return restore(maxPoolPlanes('maxPool2d', x4, h, w, false)[0]);
}

/**
 * {@link maxPool2d} that also returns where each maximum came from (PyTorch's
 * F.max_pool2d_with_indices): [values, indices], indices int32 (PyTorch: int64) into each
 * flattened H·W input plane, of the values' shape.
 */
export function maxPool2dWithIndices(x: Tensor, kernelSize: IntOrPair, options: MaxPool2dOptions = {}): [Tensor, Tensor] {
  const { x4, restore, h, w } = poolSetup('maxPool2dWithIndices', 2, x, kernelSize, options, true);
  const [y, idx] = maxPoolPlanes('maxPool2dWithIndices', x4, h, w, true);
  return [restore(y), restore(idx as Tensor)];
}

/**
 * 1-D max pooling (PyTorch's F.max_pool1d): x [N, C, L] (or [C, L]) → [N, C, Lout]; semantics,
 * gradient and errors of {@link maxPool2d} over a height of 1.
 */
export function maxPool1d(x: Tensor, kernelSize: number | readonly [number], options: MaxPool1dOptions = {}): Tensor {
  const { x4, restore, h, w } = poolSetup('maxPool1d', 1, x, kernelSize, options, true);
  return restore(maxPoolPlanes('maxPool1d', x4, h, w, false)[0]);
}

/** {@link maxPool1d} with the indices (into L) of each maximum: [values, indices int32]. */
export function maxPool1dWithIndices(x: Tensor, kernelSize: number | readonly [number], options: MaxPool1dOptions = {}): [Tensor, Tensor] {
  const { x4, restore, h, w } = poolSetup('maxPool1dWithIndices', 1, x, kernelSize, options, true);
  const [y, idx] = maxPoolPlanes('maxPool1dWithIndices', x4, h, w, true);
  return [restore(y), restore(idx as Tensor)];
}

/**
 * 2-D average pooling (PyTorch's F.avg_pool2d): x [N, C, H, W] (or [C, H, W]) → [N, C, Ho, Wo].
 * Each window's sum over the zero-padded input is divided as PyTorch's kernel does: by
 * `divisorOverride` when given; else by the window's size clipped to the padded input
 * (countIncludePad, the default) or by its number of input elements. The stride defaults to the
 * kernel size. Float dtypes; differentiable.
 * @throws ShapeError for a wrong rank or a kernel larger than the padded input; ValueError for
 *   bad sizes, padding over half the kernel or a divisorOverride that is not a positive integer;
 *   DTypeError for a non-float input.
 */
export function avgPool2d(x: Tensor, kernelSize: IntOrPair, options: AvgPool2dOptions = {}): Tensor {
  const op = 'avgPool2d';
  const { x4, restore, h, w } = poolSetup(op, 2, x, kernelSize, options, false);
  const countIncludePad = options.countIncludePad ?? true;
  assertBoolean(op, 'options.countIncludePad', countIncludePad);
  const override = options.divisorOverride;
  if (override !== undefined && override !== null) assertInteger(op, 'options.divisorOverride', override, 1);
  const sums = sum(windows(x4, h, w, 'lk'), -1); // [N, C, L]
  const divisors = poolDivisors(h, w, countIncludePad);
  const uniform = divisors.every((d) => d === divisors[0]);
  let y: Tensor;
  if (override !== undefined && override !== null) y = sums.div(override);
  else if (uniform) y = sums.div(divisors[0]);
  else y = sums.div(cachedConstant(x.backend, `avgdiv:${countIncludePad}:${x.dtype}:${key(h, w)}`, [h.out * w.out], x.dtype, () => typedArrayFromNumbers(x.dtype, divisors)));
  return restore(y.reshape([x4.shape[0], x4.shape[1], h.out, w.out]));
}

/** PyTorch's avg_pool2d divisor of each window (ceil-mode windows clipped at the padded input). */
function poolDivisors(h: Axis, w: Axis, countIncludePad: boolean): number[] {
  const per = (a: Axis) =>
    Array.from({ length: a.out }, (_, o) => {
      const start = o * a.s - a.lo;
      const end = Math.min(start + a.k, a.n + a.lo);
      return { pool: end - start, valid: Math.min(end, a.n) - Math.max(start, 0) };
    });
  const hs = per(h);
  const ws = per(w);
  const out: number[] = [];
  for (const a of hs) {
    for (const b of ws) {
      const valid = Math.max(a.valid, 0) * Math.max(b.valid, 0);
      // A window over padding only has a sum of 0, and PyTorch leaves its output 0: any divisor does.
      out.push(countIncludePad ? a.pool * b.pool : valid === 0 ? 1 : valid);
    }
  }
  return out;
}

function typedArrayFromNumbers(dtype: DType, values: readonly number[]) {
  const v = typedArrayFor(dtype, values.length);
  for (let i = 0; i < values.length; i++) v[i] = values[i];
  return v;
}

/**
 * Adaptive 2-D average pooling (PyTorch's F.adaptive_avg_pool2d): x [N, C, H, W] (or [C, H, W])
 * → [N, C, outH, outW]; output cell (i, j) averages rows floor(i·H/outH) .. ceil((i+1)·H/outH)
 * and the same for columns. `null` in outputSize keeps that input size. An output of 1x1 is the
 * mean over H and W (as PyTorch). Float dtypes; differentiable.
 * @throws ShapeError for a wrong rank; ValueError for an output size that is not a positive
 *   integer (or null); DTypeError for a non-float input.
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly [number | null, number | null]): Tensor {
  const op = 'adaptiveAvgPool2d';
  assertTensor(op, 'x', x);
  const { x4, restore } = asPlanes(op, x, 2);
  requireFloat(op, x);
  const [N, C, H, W] = x4.shape;
  const given = typeof outputSize === 'number' ? [outputSize, outputSize] : Array.isArray(outputSize) && outputSize.length === 2 ? outputSize : null;
  if (given === null) throw new ValueError(`${op}: outputSize must be a positive integer or a pair [h, w] (null keeps that input size), got ${describe(outputSize)}.`);
  const [oh, ow] = given.map((v, i) => (v === null ? [H, W][i] : v));
  assertInteger(op, 'outputSize', oh, 1);
  assertInteger(op, 'outputSize', ow, 1);
  if (oh === 1 && ow === 1) return restore(x4.mean([2, 3], true));
  const spans = (n: number, out: number) => Array.from({ length: out }, (_, i) => [Math.floor((i * n) / out), Math.ceil(((i + 1) * n) / out)] as const);
  const rs = spans(H, oh);
  const cs = spans(W, ow);
  const kmax = Math.max(...rs.map(([a, b]) => b - a)) * Math.max(...cs.map(([a, b]) => b - a));
  const L = oh * ow;
  const P = H * W;
  const geometry = `${H},${W},${oh},${ow}`;
  // Windows differ in size: pad each to kmax with the index of one zero appended to the plane.
  const map = cachedConstant(x.backend, `adaptive:${geometry}`, [L, kmax], 'int32', () => {
    const v = new Int32Array(L * kmax).fill(P);
    rs.forEach(([r0, r1], i) =>
      cs.forEach(([c0, c1], j) => {
        let a = (i * ow + j) * kmax;
        for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) v[a++] = r * W + c;
      }),
    );
    return v;
  });
  const counts = cachedConstant(x.backend, `adaptivecount:${geometry}:${x.dtype}`, [L], x.dtype, () =>
    typedArrayFromNumbers(x.dtype, rs.flatMap(([r0, r1]) => cs.map(([c0, c1]) => (r1 - r0) * (c1 - c0)))),
  );
  const planes = pad(x4.reshape([N, C, P]), [[0, 0], [0, 0], [0, 1]], 0);
  const sums = sum(apply('gather', [planes, map], { axis: 2 }), -1); // [N, C, L]
  return restore(sums.div(counts).reshape([N, C, oh, ow]));
}
