import { apply, type OpDef } from '../autograd/engine.js';
import { DTypeError } from '../errors.js';
import { fmt, normalizeAxes, normalizeAxis, type Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { out, requireFloat } from './util.js';

/** Reductions over axes. The primitive drops the reduced axes; keepDims is a reshape on top. */
const reduced = (shape: Shape, axes: readonly number[]) => shape.filter((_, i) => !axes.includes(i));
const keptShape = (shape: Shape, axes: readonly number[]) => shape.map((d, i) => (axes.includes(i) ? 1 : d));

const reduceInfer = (op: string) => (inputs: readonly Tensor[], p: { readonly axes: readonly number[] }) => {
  const x = inputs[0];
  if (x.dtype === 'bool') throw new DTypeError(`${op}: cannot reduce a bool tensor (shape ${fmt(x.shape)}); cast it first with .cast("int32") or .cast("float32").`);
  for (const a of p.axes) if (op !== 'sum' && x.shape[a] === 0) {
    throw new DTypeError(`${op}: axis ${a} of shape ${fmt(x.shape)} is empty, and an empty ${op} has no value.`);
  }
  return out(reduced(x.shape, p.axes), x.dtype);
};

/** d max: the gradient goes to the maximal elements, split evenly between ties. */
const extremumVjp = (g: Tensor, [x]: readonly Tensor[], y: Tensor, p: { readonly axes: readonly number[] }) => {
  const kept = keptShape(x.shape, p.axes);
  const mask = x.eq(y.reshape(kept)).cast(x.dtype);
  const count = mask.sum(p.axes as number[], true);
  return [g.reshape(kept).mul(mask).div(count)];
};

export const reduceDefs: { readonly [K in 'sum' | 'max' | 'min' | 'argmax']: OpDef<K> } = {
  sum: { infer: reduceInfer('sum'), vjp: (g, [x], _, p) => [g.reshape(keptShape(x.shape, p.axes)).expand(x.shape as number[])] },
  max: { infer: reduceInfer('max'), vjp: extremumVjp },
  min: { infer: reduceInfer('min'), vjp: extremumVjp },
  argmax: {
    infer: ([x], p) => {
      if (x.shape[p.axis] === 0) throw new DTypeError(`argmax: axis ${p.axis} of shape ${fmt(x.shape)} is empty.`);
      return out(reduced(x.shape, [p.axis]), 'int32');
    },
    vjp: null,
  },
};

type Axes = number | readonly number[] | undefined;

function reduceOp(name: 'sum' | 'max' | 'min') {
  return (x: Tensor, axis?: Axes, keepDims = false): Tensor => {
    const axes = normalizeAxes(name, axis, x.rank);
    const y = apply(name, [x], { axes });
    return keepDims ? y.reshape(keptShape(x.shape, axes)) : y;
  };
}

/** Sum over `axis` (all axes by default). */
export const sum = reduceOp('sum');
/** Largest value over `axis`; its gradient is split evenly between ties. */
export const max = reduceOp('max');
/** Smallest value over `axis`; its gradient is split evenly between ties. */
export const min = reduceOp('min');

/** Arithmetic mean over `axis` (all axes by default). */
export function mean(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  requireFloat('mean', x);
  const axes = normalizeAxes('mean', axis, x.rank);
  let count = 1;
  for (const a of axes) count *= x.shape[a];
  if (count === 0) throw new DTypeError(`mean: the reduced axes of shape ${fmt(x.shape)} hold no element, and an empty mean has no value.`);
  return sum(x, axes, keepDims).div(count);
}

/** Index of the largest value along `axis` (int32). */
export function argmax(x: Tensor, axis = -1, keepDims = false): Tensor {
  const a = normalizeAxis('argmax', axis, x.rank);
  const y = apply('argmax', [x], { axis: a });
  return keepDims ? y.reshape(keptShape(x.shape, [a])) : y;
}
