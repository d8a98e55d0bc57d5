import { apply, type OpDef } from '../autograd/engine.js';
import { SAVES_NOTHING, savesInputs } from '../autograd/saves.js';
import { broadcastShapes, fmt } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { DEFAULT_FLOAT, isFloatingPoint, type DType } from '../dtype.js';
import { tidy } from '../memory.js';
import { ValueError, DTypeError } from '../errors.js';
import { operands, out, sameDType, sumToShape, requireFloat } from './util.js';
import { checkStorageDTypes } from './dtype-support.js';

/** Elementwise ops of two inputs with NumPy broadcasting, comparisons and where. */
type ArithName = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';
type CompareName = 'equal' | 'notEqual' | 'less' | 'lessEqual' | 'greater' | 'greaterEqual';

const arith = (op: string, floatOnly = false) => (inputs: readonly Tensor[]) => {
  const [a, b] = inputs;
  const dtype = sameDType(op, a, b);
  if (dtype === 'bool' || floatOnly) requireFloat(op, a);
  return out(broadcastShapes(op, a.shape, b.shape), dtype);
};
const compare = (op: string) => (inputs: readonly Tensor[]) => {
  const [a, b] = inputs;
  sameDType(op, a, b);
  return out(broadcastShapes(op, a.shape, b.shape), 'bool' as const);
};

/** The gradient of a broadcast input is the output gradient summed back to its shape. */
const unb = (g: Tensor, x: Tensor) => (x.requiresGrad ? sumToShape(g, x.shape) : null);

/**
 * d max(a,b), PyTorch's rule (derivatives.yaml): each input gets g where it is not beaten, halved at
 * ties; where either is NaN neither is beaten, so both get g. Selected with where, never g·mask:
 * a 0 mask times an infinite g would be NaN.
 */
function extremumVjp(g: Tensor, a: Tensor, b: Tensor, aLoses: Tensor, bLoses: Tensor): (Tensor | null)[] {
  const half = where(a.eq(b), g.mul(0.5), g);
  return [a.requiresGrad ? unb(where(aLoses, 0, half), a) : null, b.requiresGrad ? unb(where(bLoses, 0, half), b) : null];
}

export const binaryDefs: { readonly [K in ArithName | CompareName | 'where']: OpDef<K> } = {
  add: { infer: arith('add'), saves: SAVES_NOTHING, vjp: (g, [a, b]) => [unb(g, a), unb(g, b)] },
  // Summed, then negated: a broadcast b (a per-channel mean) negates its small sum, not all of g.
  sub: { infer: arith('sub'), saves: SAVES_NOTHING, vjp: (g, [a, b]) => [unb(g, a), b.requiresGrad ? sumToShape(g, b.shape).neg() : null] },
  mul: { infer: arith('mul'), saves: savesInputs(0, 1), vjp: (g, [a, b]) => [a.requiresGrad ? unb(g.mul(b), a) : null, b.requiresGrad ? unb(g.mul(a), b) : null] },
  div: {
    infer: arith('div'),
    saves: { inputs: [1], output: true },
    vjp: (g, [a, b], y) => [a.requiresGrad ? unb(g.div(b), a) : null, b.requiresGrad ? unb(g.mul(y).div(b).neg(), b) : null],
  },
  pow: {
    infer: arith('pow', true),
    saves: { inputs: [0, 1], output: true },
    // d a^b / da = b a^(b-1), d a^b / db = a^b log a, masked as PyTorch's pow_backward_self and
    // pow_backward_exponent do: 0 where b = 0 (not 0·0^-1 = NaN at a = 0), and 0 where a = 0 and
    // b >= 0 (not 0·log 0 = NaN). Elsewhere log a < 0 is NaN, as in PyTorch.
    vjp: (g, [a, b], y) => [
      a.requiresGrad ? unb(where(b.eq(0), 0, g.mul(b).mul(a.pow(b.sub(1)))), a) : null,
      b.requiresGrad ? unb(g.mul(powExponentFactor(a, b, y)), b) : null,
    ],
  },
  maximum: { infer: arith('maximum'), saves: savesInputs(0, 1), vjp: (g, [a, b]) => extremumVjp(g, a, b, a.lt(b), a.gt(b)) },
  minimum: { infer: arith('minimum'), saves: savesInputs(0, 1), vjp: (g, [a, b]) => extremumVjp(g, a, b, a.gt(b), a.lt(b)) },
  equal: { infer: compare('equal'), vjp: null },
  notEqual: { infer: compare('notEqual'), vjp: null },
  less: { infer: compare('less'), vjp: null },
  lessEqual: { infer: compare('lessEqual'), vjp: null },
  greater: { infer: compare('greater'), vjp: null },
  greaterEqual: { infer: compare('greaterEqual'), vjp: null },
  where: {
    infer: ([cond, a, b]) => {
      if (cond.dtype !== 'bool') {
        throw new DTypeError(`where: the condition must be bool, got ${cond.dtype}; build it with a comparison such as x.gt(0).`);
      }
      const dtype = sameDType('where', a, b);
      return out(broadcastShapes('where', broadcastShapes('where', cond.shape, a.shape), b.shape), dtype);
    },
    saves: savesInputs(0),
    // The unselected side gets an exact 0 (a scalar, not g·0, which is NaN where g is infinite).
    vjp: (g, [cond, a, b]) => [null, a.requiresGrad ? unb(where(cond, g, 0), a) : null, b.requiresGrad ? unb(where(cond, 0, g), b) : null],
  },
};

/** a^b·log a, with 0 where a = 0 and b >= 0 (PyTorch's pow_backward_exponent). */
function powExponentFactor(a: Tensor, b: Tensor, y: Tensor): Tensor {
  const ylog = y.mul(a.log());
  return where(a.eq(0), where(b.ge(0), 0, ylog), ylog);
}

const EMPTY = {};
/**
 * The binary ops take operands of any two dtypes and numbers: both are converted to their common
 * dtype first (PyTorch's type promotion, dtype.ts's resultType), so float32 + int32 is float32
 * and int32 + 2.5 is float32. Comparisons return bool and compare in that dtype, float16 and
 * bfloat16 in float32 (exact).
 */
const binary = (name: ArithName) => (a: TensorLike, b: TensorLike) => apply(name, operands(name, a, b), EMPTY);
const comparison = (name: CompareName) => (a: TensorLike, b: TensorLike) => apply(name, operands(name, a, b, compareIn), EMPTY);
/** Comparisons of float16/bfloat16 run in float32, which holds both exactly. */
const compareIn = (d: DType): DType => (d === 'float16' || d === 'bfloat16' ? 'float32' : d);

export const add = binary('add');
export const sub = binary('sub');
export const mul = binary('mul');
export const pow = binary('pow');
export const maximum = binary('maximum');
export const minimum = binary('minimum');
export const equal = comparison('equal');
export const notEqual = comparison('notEqual');
export const less = comparison('less');
export const lessEqual = comparison('lessEqual');
export const greater = comparison('greater');
export const greaterEqual = comparison('greaterEqual');

/**
 * True division a / b with broadcasting, as PyTorch's torch.div: the operands' common dtype
 * (type promotion), and float32 (the default float) when that is an integer or bool, so int32
 * [-7, 7, -1] / [2, 2, 3] is float32 [-3.5, 3.5, -0.333...] and x / 0 is ±Infinity (NaN for
 * 0 / 0), never a truncated integer. For the integer quotient use floorDivide.
 * @throws ShapeError when the shapes do not broadcast; DTypeError for float16/bfloat16 operands
 *   (storage dtypes: cast them to float32 first).
 */
export function div(a: TensorLike, b: TensorLike): Tensor {
  return apply('div', operands('div', a, b, trueDivisionIn), EMPTY);
}
const trueDivisionIn = (d: DType): DType => (isFloatingPoint(d) ? d : DEFAULT_FLOAT);

/**
 * Floor division: the largest integer <= a / b, elementwise with broadcasting (PyTorch's
 * torch.floor_divide, i.e. torch.div(a, b, rounding_mode='floor'); Python's //). int32 inputs
 * give an exact int32 result (-7 // 2 = -4); float inputs give floor(a / b) as a float
 * (TensorFlow's floordiv: the quotient is rounded before the floor), with ±Infinity or NaN for a
 * zero divisor. Its gradient is zero almost everywhere.
 * Operands of two dtypes are promoted first (float32 with int32 is float32).
 * @throws ValueError for an integer division by zero (PyTorch raises ZeroDivisionError);
 *   DTypeError for bool, int64, float16 or bfloat16 (cast them first).
 */
export function floorDivide(a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = operands('floorDivide', a, b);
  checkStorageDTypes('floorDivide', [ta, tb]);
  const dtype = ta.dtype;
  if (dtype === 'bool') throw new DTypeError('floorDivide: bool tensors cannot be divided; cast them with .cast("int32") first.');
  broadcastShapes('floorDivide', ta.shape, tb.shape);
  if (isFloatingPoint(dtype)) return div(ta, tb).floor();
  return tidy(() => {
    const zeros = tb.eq(0).cast('int32').sum().item();
    if (zeros > 0) {
      throw new ValueError(
        `floorDivide: integer division by zero (the divisor ${fmt(tb.shape)} holds ${zeros} zero${zeros > 1 ? 's' : ''}); PyTorch raises ZeroDivisionError here. ` +
          'Cast to float first (.cast("float32")) to get ±Infinity instead.',
      );
    }
    // The int32 div primitive truncates toward zero; step down by one where the remainder is
    // non-zero and its sign differs from the divisor's (Python's floor rule).
    const q = apply('div', [ta, tb], EMPTY);
    const r = ta.sub(q.mul(tb));
    const down = r.ne(0).cast('int32').mul(r.lt(0).ne(tb.lt(0)).cast('int32'));
    return q.sub(down);
  });
}

/** Picks `a` where `cond` is true and `b` elsewhere (broadcasting all three). */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = operands('where', a, b);
  return apply('where', [cond, ta, tb], EMPTY);
}

/**
 * Limits values to [min, max]; either bound may be omitted. Bounds are numbers or tensors that
 * broadcast against x. NaN propagates, as in PyTorch, NumPy and JAX: a NaN in x (or in a tensor
 * bound) gives NaN, never a bound. Gradient (PyTorch's clamp_backward): x gets g where
 * min <= x <= max (ties included) and 0 elsewhere, NaN included; a tensor bound gets g where it
 * is the result. Throws a ValueError when neither bound is given, when a number bound is NaN, or
 * when min > max (numbers).
 */
export function clamp(x: Tensor, min?: TensorLike, max?: TensorLike): Tensor {
  if (min === undefined && max === undefined) throw new ValueError('clamp: give at least one of min and max.');
  for (const [name, v] of [['min', min], ['max', max]] as const) {
    if (typeof v === 'number' && Number.isNaN(v)) {
      throw new ValueError(`clamp: ${name} is NaN, which bounds nothing; give a number, or omit ${name} to leave that side open.`);
    }
  }
  if (typeof min === 'number' && typeof max === 'number' && min > max) {
    throw new ValueError(`clamp: min (${min}) is greater than max (${max}); swap them.`);
  }
  let y = x;
  if (min !== undefined) y = clampSide(y, min, true);
  if (max !== undefined) y = clampSide(y, max, false);
  return y;
}

/**
 * One bound of clamp: x where it is inside (ties included), the bound where x is beyond it, and
 * NaN where neither holds (x or the bound is NaN). Two comparisons rather than one, because a
 * single `x >= min ? x : min` turns a NaN into the bound.
 */
function clampSide(x: Tensor, bound: TensorLike, lower: boolean): Tensor {
  const [tx, tb] = operands('clamp', x, bound);
  const inside = lower ? tx.ge(tb) : tx.le(tb);
  const beyond = lower ? tx.lt(tb) : tx.gt(tb);
  // Integers have no NaN: beyond is then exactly "not inside".
  if (!isFloatingPoint(tx.dtype)) return where(inside, tx, tb);
  return where(inside, tx, where(beyond, tb, NaN));
}
