import { apply, type OpDef } from '../autograd/engine.js';
import { broadcastShapes } from '../shape.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { ValueError, DTypeError } from '../errors.js';
import { operands, out, sameDType, sumToShape, requireFloat } from './util.js';

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

/** d max(a,b): all to the larger input, split evenly at ties (PyTorch's convention). */
function extremumVjp(g: Tensor, a: Tensor, b: Tensor, aWins: Tensor): (Tensor | null)[] {
  const share = aWins.cast(g.dtype).add(a.eq(b).cast(g.dtype).mul(0.5));
  const ga = g.mul(share);
  return [unb(ga, a), b.requiresGrad ? unb(g.sub(ga), b) : null];
}

export const binaryDefs: { readonly [K in ArithName | CompareName | 'where']: OpDef<K> } = {
  add: { infer: arith('add'), vjp: (g, [a, b]) => [unb(g, a), unb(g, b)] },
  sub: { infer: arith('sub'), vjp: (g, [a, b]) => [unb(g, a), b.requiresGrad ? unb(g.neg(), b) : null] },
  mul: { infer: arith('mul'), vjp: (g, [a, b]) => [a.requiresGrad ? unb(g.mul(b), a) : null, b.requiresGrad ? unb(g.mul(a), b) : null] },
  div: {
    infer: arith('div'),
    vjp: (g, [a, b], y) => [a.requiresGrad ? unb(g.div(b), a) : null, b.requiresGrad ? unb(g.mul(y).div(b).neg(), b) : null],
  },
  pow: {
    infer: arith('pow', true),
    // d a^b / da = b a^(b-1); d a^b / db = a^b log a (only computed when b needs it: log a is NaN for a < 0).
    vjp: (g, [a, b], y) => [
      a.requiresGrad ? unb(g.mul(b).mul(a.pow(b.sub(1))), a) : null,
      b.requiresGrad ? unb(g.mul(y).mul(a.log()), b) : null,
    ],
  },
  maximum: { infer: arith('maximum'), vjp: (g, [a, b]) => extremumVjp(g, a, b, a.gt(b)) },
  minimum: { infer: arith('minimum'), vjp: (g, [a, b]) => extremumVjp(g, a, b, a.lt(b)) },
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
    vjp: (g, [cond, a, b]) => {
      const zero = g.mul(0);
      return [null, a.requiresGrad ? unb(where(cond, g, zero), a) : null, b.requiresGrad ? unb(where(cond, zero, g), b) : null];
    },
  },
};

const EMPTY = {};
const binary = (name: ArithName | CompareName) => (a: TensorLike, b: TensorLike) => apply(name, operands(name, a, b), EMPTY);

export const add = binary('add');
export const sub = binary('sub');
export const mul = binary('mul');
export const div = binary('div');
export const pow = binary('pow');
export const maximum = binary('maximum');
export const minimum = binary('minimum');
export const equal = binary('equal');
export const notEqual = binary('notEqual');
export const less = binary('less');
export const lessEqual = binary('lessEqual');
export const greater = binary('greater');
export const greaterEqual = binary('greaterEqual');

/** Picks `a` where `cond` is true and `b` elsewhere (broadcasting all three). */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = operands('where', a, b);
  return apply('where', [cond, ta, tb], EMPTY);
}

/** Limits values to [min, max]; either bound may be omitted. Gradient 1 inside, 0 outside. */
export function clamp(x: Tensor, min?: TensorLike, max?: TensorLike): Tensor {
  if (min === undefined && max === undefined) throw new ValueError('clamp: give at least one of min and max.');
  if (typeof min === 'number' && typeof max === 'number' && min > max) {
    throw new ValueError(`clamp: min (${min}) is greater than max (${max}); swap them.`);
  }
  let y = x;
  if (min !== undefined) y = maximumOneSided(y, min, true);
  if (max !== undefined) y = maximumOneSided(y, max, false);
  return y;
}

/** clamp's bound: the gradient goes to x where it is inside the bound (ties included), as in PyTorch. */
function maximumOneSided(x: Tensor, bound: TensorLike, lower: boolean): Tensor {
  const [tx, tb] = operands('clamp', x, bound);
  const inside = lower ? tx.ge(tb) : tx.le(tb);
  return where(inside, tx, tb);
}
