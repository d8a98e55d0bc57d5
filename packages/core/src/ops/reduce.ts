import { apply, type OpDef } from '../autograd/engine.js';
import { SAVES_NOTHING } from '../autograd/saves.js';
import { DTypeError, ShapeError } from '../errors.js';
import { fmt, normalizeAxes, normalizeAxis, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { assertBoolean, assertTensor } from '../validate.js';
import { out, requireFloat } from './util.js';
import { DEFAULT_INT } from '../dtype.js';
import { where } from './binary.js';

/** Reductions over axes. The primitive drops the reduced axes; keepDims is a reshape on top. */
const reduced = (shape: Shape, axes: readonly number[]) => shape.filter((_, i) => !axes.includes(i));
const keptShape = (shape: Shape, axes: readonly number[]) => shape.map((d, i) => (axes.includes(i) ? 1 : d));

const reduceInfer = (op: string) => (inputs: readonly Tensor[], p: { readonly axes: readonly number[] }) => {
  const x = inputs[0];
  if (x.dtype === 'bool') throw new DTypeError(`${op}: cannot reduce a bool tensor (shape ${fmt(x.shape)}); cast it first with .cast("int32") or .cast("float32").`);
  // PyTorch refuses too: a max or min over no element has no value (a sum of none is 0).
  for (const a of p.axes) if (op !== 'sum' && x.shape[a] === 0) {
    throw new ShapeError(`${op}: axis ${a} of shape ${fmt(x.shape)} is empty, and an empty ${op} has no value; reduce over non-empty axes only.`);
  }
  return out(reduced(x.shape, p.axes), x.dtype);
};

/**
 * d max: the gradient goes to the maximal elements, split evenly between ties; where the result
 * is NaN, to the NaN elements (PyTorch's evenly_distribute_backward). The others get an exact 0
 * (where, not g·mask: 0·∞ is NaN).
 */
const extremumVjp = (g: Tensor, [x]: readonly Tensor[], y: Tensor, p: { readonly axes: readonly number[] }) => {
  const yk = y.reshape(keptShape(x.shape, p.axes));
  const hit = where(yk.ne(yk), x.ne(x), x.eq(yk));
  const count = hit.cast(g.dtype).sum(p.axes as number[], true);
  return [where(hit, g.reshape(yk.shape as number[]).div(count), 0)];
};

export const reduceDefs: { readonly [K in 'sum' | 'max' | 'min' | 'argmax' | 'argsort']: OpDef<K> } = {
  sum: { infer: reduceInfer('sum'), saves: SAVES_NOTHING, vjp: (g, [x], _, p) => [g.reshape(keptShape(x.shape, p.axes)).expand(x.shape as number[])] },
  max: { infer: reduceInfer('max'), saves: { inputs: [0], output: true }, vjp: extremumVjp },
  min: { infer: reduceInfer('min'), saves: { inputs: [0], output: true }, vjp: extremumVjp },
  argmax: {
    infer: ([x], p) => {
      if (x.shape[p.axis] === 0) throw new ShapeError(`argmax: axis ${p.axis} of shape ${fmt(x.shape)} is empty, so it has no largest element.`);
      return out(reduced(x.shape, [p.axis]), 'int32');
    },
    vjp: null,
  },
  argsort: {
    infer: ([x]) => {
      if (x.dtype !== 'float32' && x.dtype !== 'float64' && x.dtype !== 'int32') {
        throw new DTypeError(`argsort: the kernel sorts float32, float64 and int32, got ${x.dtype} (shape ${fmt(x.shape)}); cast it first (.cast("int32") for bool).`);
      }
      return out(x.shape, 'int32');
    },
    // Indices are piecewise constant in x: no gradient (sort's values get theirs through gather).
    vjp: null,
  },
};

type Axes = number | readonly number[] | undefined;

function checkArgs(op: string, x: unknown, keepDims: unknown): asserts x is Tensor {
  assertTensor(op, 'x', x);
  assertBoolean(op, 'keepDims', keepDims);
}

function reduceOp(name: 'sum' | 'max' | 'min', label: string = name) {
  return (x: Tensor, axis?: Axes, keepDims = false): Tensor => {
    checkArgs(label, x, keepDims);
    const axes = normalizeAxes(label, axis, x.rank);
    // A bool sum counts the true elements, in the default integer dtype (PyTorch: int64; see DEFAULT_INT).
    if (name === 'sum' && x.dtype === 'bool') x = x.cast(DEFAULT_INT);
    const y = apply(name, [x], { axes });
    return keepDims ? y.reshape(keptShape(x.shape, axes)) : y;
  };
}

/** Sum over `axis` (all axes by default); a bool tensor's sum counts its true elements, as int32 (PyTorch: int64). */
export const sum = reduceOp('sum');
/**
 * Largest value over `axis` (all axes by default; a number or a list): PyTorch's `torch.amax`
 * (what `max(x)` and `max(x, [axes])` compute; `max(x, axis)` with one axis number also returns
 * the indices, see {@link max}). Its gradient is split evenly between ties, as amax's is. NaN wins.
 * @throws ShapeError for an empty reduced axis; DTypeError for bool; ValueError for a bad axis.
 */
export const amax = reduceOp('max', 'amax');
/** Smallest value over `axis`: PyTorch's `torch.amin`; as {@link amax} otherwise. */
export const amin = reduceOp('min', 'amin');

/**
 * Arithmetic mean over `axis` (all axes by default); float tensors only. The mean of no element
 * is NaN (0/0), as in PyTorch: `tensor([]).mean()` and `zeros([0, 3]).mean(0)` give NaN.
 */
export function mean(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  checkArgs('mean', x, keepDims);
  requireFloat('mean', x);
  const axes = normalizeAxes('mean', axis, x.rank);
  let count = 1;
  for (const a of axes) count *= x.shape[a];
  return sum(x, axes, keepDims).div(count);
}

/**
 * Index of the largest value along `axis` (int32); the first one at ties. A 0-d tensor has one
 * element, so its argmax is 0 (axis 0 or -1, as in PyTorch).
 * @throws ShapeError when the axis is empty; ValueError for an axis out of range.
 */
export function argmax(x: Tensor, axis = -1, keepDims = false): Tensor {
  checkArgs('argmax', x, keepDims);
  const a = normalizeAxis('argmax', axis, x.rank);
  if (x.rank === 0) return Tensor.fromValues(new Int32Array(1), [], 'int32', x.backend);
  const y = apply('argmax', [x], { axis: a });
  return keepDims ? y.reshape(keptShape(x.shape, [a])) : y;
}
