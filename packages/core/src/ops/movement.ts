import { apply, type OpDefs } from '../autograd/engine.js';
import { SAVES_NOTHING, savesInputs } from '../autograd/saves.js';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { assertShape, fmt, normalizeAxes, normalizeAxis, sizeOf, type Shape } from '../shape.js';
import { assertIntList, assertTensor, describe, fitValue } from '../validate.js';
import { Tensor } from '../tensor.js';
import { out, sumToShape } from './util.js';
import { expandLayout, layoutOf, materializeHandle, permuteLayout, reshapeLayout, sliceLayout } from '../view.js';
import { Storage } from '../storage.js';
import { bytesPerElement } from '../dtype.js';

/**
 * Shape-changing ops. reshape, permute, expand and slice are views (`view`: a new layout over the
 * input's storage, no kernel); reshape copies only where no layout shows the result. The others
 * copy into a fresh contiguous buffer.
 */
type MovementName = 'reshape' | 'contiguous' | 'permute' | 'expand' | 'slice' | 'concat' | 'pad' | 'gather' | 'scatterAdd';

const indicesDType = (op: string, idx: Tensor) => {
  if (idx.dtype !== 'int32') throw new DTypeError(`${op}: indices must be int32, got ${idx.dtype}; build them with tensor(values, { dtype: "int32" }).`);
};

export const movementDefs: Pick<OpDefs, MovementName> = {
  reshape: {
    infer: ([x], p) => out(p.shape, x.dtype),
    view: (x, p) => reshapeLayout(x.shape, layoutOf(x.shape, x.layout), p.shape),
    // No layout shows it (a transposed matrix flattened): a row-major copy of x, read under the new shape.
    forward: ([x]) => x.rowMajorStorage('reshape'),
    saves: SAVES_NOTHING,
    vjp: (g, [x]) => [g.reshape(x.shape)],
  },
  contiguous: {
    infer: ([x]) => out(x.shape, x.dtype),
    // The kernel reads the flat storage, not a tensor of x's shape.
    forward: ([x], p) => new Storage(x.backend, materializeHandle(x.storage, x.dtype, x.shape, p), x.size * bytesPerElement(x.dtype)),
    saves: SAVES_NOTHING,
    vjp: (g) => [g],
  },
  permute: {
    infer: ([x], p) => out(p.perm.map((a) => x.shape[a]), x.dtype),
    view: (x, p) => permuteLayout(layoutOf(x.shape, x.layout), p.perm),
    saves: SAVES_NOTHING,
    vjp: (g, _, __, p) => {
      const inverse = new Array<number>(p.perm.length);
      p.perm.forEach((a, i) => (inverse[a] = i));
      return [g.permute(inverse)];
    },
  },
  expand: {
    infer: ([x], p) => out(p.shape, x.dtype),
    view: (x, p) => expandLayout(x.shape, layoutOf(x.shape, x.layout), p.shape),
    saves: SAVES_NOTHING,
    vjp: (g, [x]) => [sumToShape(g, x.shape)],
  },
  slice: {
    infer: ([x], p) => out(p.size, x.dtype),
    view: (x, p) => sliceLayout(layoutOf(x.shape, x.layout), p.begin),
    saves: SAVES_NOTHING,
    vjp: (g, [x], _, p) => [g.pad(x.shape.map((d, i) => [p.begin[i], d - p.begin[i] - g.shape[i]] as const))],
  },
  concat: {
    infer: (inputs, p) => {
      const first = inputs[0];
      let total = 0;
      for (const t of inputs) {
        if (t.dtype !== first.dtype) throw new DTypeError(`concat: dtypes differ: ${first.dtype} and ${t.dtype}; cast them to one dtype.`);
        if (t.rank !== first.rank || t.shape.some((d, i) => i !== p.axis && d !== first.shape[i])) {
          throw new ShapeError(
            `concat: shapes ${inputs.map((x) => fmt(x.shape)).join(', ')} differ outside axis ${p.axis}; all but that axis must match.`,
          );
        }
        total += t.shape[p.axis];
      }
      return out(first.shape.map((d, i) => (i === p.axis ? total : d)), first.dtype);
    },
    saves: SAVES_NOTHING,
    vjp: (g, inputs, _, p) => {
      let offset = 0;
      return inputs.map((t) => {
        const begin = t.shape.map((__, i) => (i === p.axis ? offset : 0));
        offset += t.shape[p.axis];
        return t.requiresGrad ? g.slice(begin, t.shape) : null;
      });
    },
  },
  pad: {
    infer: ([x], p) => out(x.shape.map((d, i) => d + p.padding[i][0] + p.padding[i][1]), x.dtype),
    saves: SAVES_NOTHING,
    vjp: (g, [x], _, p) => [g.slice(p.padding.map((q) => q[0]), x.shape)],
  },
  gather: {
    infer: ([x, idx], p) => {
      indicesDType('gather', idx);
      return out([...x.shape.slice(0, p.axis), ...idx.shape, ...x.shape.slice(p.axis + 1)], x.dtype);
    },
    saves: savesInputs(1),
    vjp: (g, [x, idx], _, p) => [apply('scatterAdd', [g, idx], { axis: p.axis, shape: x.shape }), null],
  },
  scatterAdd: {
    infer: ([u, idx], p) => {
      indicesDType('scatterAdd', idx);
      const expected = [...p.shape.slice(0, p.axis), ...idx.shape, ...p.shape.slice(p.axis + 1)];
      if (expected.join() !== u.shape.join()) {
        throw new ShapeError(`scatterAdd: updates of shape ${fmt(u.shape)} do not fit indices ${fmt(idx.shape)} into ${fmt(p.shape)} at axis ${p.axis}; expected ${fmt(expected)}.`);
      }
      return out(p.shape, u.dtype);
    },
    saves: savesInputs(1),
    vjp: (g, [, idx], _, p) => [indexSelect(g, idx, p.axis), null],
  },
};

/**
 * Same values, new shape; one dimension may be -1 (inferred). A view sharing x's storage wherever
 * strides can express it (always for a contiguous x), else a copy (PyTorch's `reshape`).
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  assertTensor('reshape', 'x', x);
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= -1)) {
    throw new ValueError(`reshape: shape ${describe(shape)} must be a list of non-negative integers (one may be -1).`);
  }
  const unknown = shape.indexOf(-1);
  if (unknown !== shape.lastIndexOf(-1)) throw new ValueError(`reshape: shape ${fmt(shape)} has more than one -1; only one dimension can be inferred.`);
  let target: Shape = shape;
  if (unknown >= 0) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    if (known === 0 || x.size % known !== 0) {
      throw new ShapeError(`reshape: cannot reshape ${fmt(x.shape)} (${x.size} elements) into ${fmt(shape)}; ${x.size} is not a multiple of ${known}.`);
    }
    target = shape.map((d) => (d === -1 ? x.size / known : d));
  }
  if (sizeOf(target) !== x.size) {
    throw new ShapeError(`reshape: cannot reshape ${fmt(x.shape)} (${x.size} elements) into ${fmt(target)} (${sizeOf(target)} elements); the sizes must match.`);
  }
  if (target.length === x.rank && target.every((d, i) => d === x.shape[i])) return x;
  return apply('reshape', [x], { shape: target });
}

/**
 * `x` itself when its elements lie row-major over its whole storage, else a copy that does
 * (PyTorch's `Tensor.contiguous()`): the one strided copy a view (permute, expand, slice) costs,
 * which the engine otherwise makes by itself right before a kernel that reads the view. Any dtype;
 * the gradient passes through.
 */
export function contiguous(x: Tensor): Tensor {
  assertTensor('contiguous', 'x', x);
  if (x.isContiguous) return x;
  const layout = layoutOf(x.shape, x.layout);
  return apply('contiguous', [x], { strides: layout.strides, offset: layout.offset });
}

/** Merges axes startAxis..endAxis into one. */
export function flatten(x: Tensor, startAxis = 0, endAxis = -1): Tensor {
  assertTensor('flatten', 'x', x);
  const s = normalizeAxis('flatten', startAxis, x.rank);
  const e = normalizeAxis('flatten', endAxis, x.rank);
  if (x.rank === 0) return x.reshape([1]);
  if (s > e) throw new ValueError(`flatten: startAxis ${startAxis} comes after endAxis ${endAxis}.`);
  return x.reshape([...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

/** Drops axes of size 1 (all of them, or the ones named). */
export function squeeze(x: Tensor, axis?: number | readonly number[]): Tensor {
  assertTensor('squeeze', 'x', x);
  const axes = axis === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normalizeAxes('squeeze', axis, x.rank);
  for (const a of axes) {
    if (x.shape[a] !== 1) throw new ShapeError(`squeeze: axis ${a} of shape ${fmt(x.shape)} has size ${x.shape[a]}, not 1.`);
  }
  return x.reshape(x.shape.filter((_, i) => !axes.includes(i)));
}

/** Inserts an axis of size 1 at `axis`. */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  assertTensor('unsqueeze', 'x', x);
  const a = normalizeAxis('unsqueeze', axis, x.rank + 1);
  return x.reshape([...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

/** Reorders axes: result axis i is input axis perm[i]. A view sharing x's storage (no copy). */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  assertTensor('permute', 'x', x);
  assertIntList('permute', 'perm', perm);
  const norm = perm.map((a) => normalizeAxis('permute', a, x.rank));
  if (norm.length !== x.rank || new Set(norm).size !== x.rank) {
    throw new ValueError(`permute: [${perm.join(', ')}] is not a permutation of the ${x.rank} axes of shape ${fmt(x.shape)}.`);
  }
  if (norm.every((a, i) => a === i)) return x;
  return apply('permute', [x], { perm: norm });
}

/** Swaps two axes (the last two by default). */
export function transpose(x: Tensor, axis0 = -2, axis1 = -1): Tensor {
  assertTensor('transpose', 'x', x);
  if (x.rank < 2) throw new ShapeError(`transpose: needs at least 2 dimensions, got shape ${fmt(x.shape)}; use permute for other cases.`);
  const a = normalizeAxis('transpose', axis0, x.rank);
  const b = normalizeAxis('transpose', axis1, x.rank);
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** Broadcasts to `shape` (-1 keeps a dimension): a view, stride 0 on the repeated axes, no copy. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  assertTensor('expand', 'x', x);
  assertIntList('expand', 'shape', shape, -1);
  const lead = shape.length - x.rank;
  const target = shape.map((d, i) => (d === -1 && i >= lead ? x.shape[i - lead] : d));
  const ok = lead >= 0 && target.every((d, i) => Number.isInteger(d) && d >= 0 && (i < lead || x.shape[i - lead] === d || x.shape[i - lead] === 1));
  if (!ok) {
    throw new ShapeError(`expand: cannot expand shape ${fmt(x.shape)} to ${fmt(shape)}; only dimensions of size 1 can grow, and new axes go in front.`);
  }
  if (target.length === x.rank && target.every((d, i) => d === x.shape[i])) return x;
  return apply('expand', [x], { shape: target });
}

/** A block starting at `begin` of `size` (-1 or omitted: to the end of that axis). A view sharing x's storage (no copy). */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  assertTensor('slice', 'x', x);
  assertIntList('slice', 'begin', begin, 0);
  if (size !== undefined) assertIntList('slice', 'size', size, -1);
  if (begin.length !== x.rank || (size && size.length !== x.rank)) {
    throw new ValueError(`slice: begin [${begin.join(', ')}]${size ? ` and size [${size.join(', ')}]` : ''} must have one entry per axis of shape ${fmt(x.shape)}.`);
  }
  const sz = x.shape.map((d, i) => {
    const s = size?.[i] ?? -1;
    return s === -1 ? d - begin[i] : s;
  });
  for (let i = 0; i < x.rank; i++) {
    if (!Number.isInteger(begin[i]) || begin[i] < 0 || sz[i] < 0 || begin[i] + sz[i] > x.shape[i]) {
      throw new ShapeError(`slice: begin [${begin.join(', ')}] size [${sz.join(', ')}] reaches outside shape ${fmt(x.shape)} at axis ${i}.`);
    }
  }
  if (sz.every((d, i) => d === x.shape[i])) return x;
  return apply('slice', [x], { begin, size: sz });
}

/** A non-empty array of live tensors. */
function checkTensorList(op: string, tensors: unknown): asserts tensors is readonly Tensor[] {
  if (!Array.isArray(tensors)) throw new ValueError(`${op}: expected an array of tensors, got ${describe(tensors)}.`);
  if (tensors.length === 0) throw new ValueError(`${op}: needs at least one tensor.`);
  tensors.forEach((t, i) => assertTensor(op, `tensor ${i}`, t));
}

/** Joins tensors along an existing axis (not 0-d tensors: use stack). */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  checkTensorList('concat', tensors);
  const a = normalizeAxis('concat', axis, tensors[0].rank);
  const scalar = tensors.findIndex((t) => t.rank === 0);
  if (scalar >= 0) {
    throw new ShapeError(`concat: tensor ${scalar} is 0-d (a scalar), and scalars have no axis to join along (PyTorch refuses too); use stack, or reshape them to [1] first.`);
  }
  if (tensors.length === 1) return tensors[0];
  return apply('concat', tensors, { axis: a });
}

/** Joins tensors of one shape along a new axis. */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  checkTensorList('stack', tensors);
  const first = tensors[0];
  for (const t of tensors) {
    if (t.dtype !== first.dtype) throw new DTypeError(`stack: dtypes differ: ${first.dtype} and ${t.dtype}; cast them to one dtype.`);
    if (t.shape.join() !== first.shape.join() || t.rank !== first.rank) {
      throw new ShapeError(`stack: shapes ${tensors.map((x) => fmt(x.shape)).join(', ')} differ; stack needs tensors of one shape.`);
    }
  }
  const a = normalizeAxis('stack', axis, first.rank + 1);
  return concat(tensors.map((t) => t.unsqueeze(a)), a);
}

/** Pads each axis with `padding[i] = [before, after]` copies of `value`. */
export function pad(x: Tensor, padding: readonly (readonly [number, number])[], value = 0): Tensor {
  assertTensor('pad', 'x', x);
  const ok =
    Array.isArray(padding) &&
    padding.length === x.rank &&
    padding.every((p) => Array.isArray(p) && p.length === 2 && p.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0));
  if (!ok) {
    throw new ValueError(`pad: padding ${describe(padding)} must hold one [before, after] pair of non-negative integers per axis of shape ${fmt(x.shape)}.`);
  }
  // The pad value is written into x's dtype: refuse what it cannot hold (NaN into int32...).
  value = fitValue('pad', value, x.dtype, `the pad value`);
  assertShape('pad', x.shape.map((d, i) => d + padding[i][0] + padding[i][1]), 'padded shape');
  if (padding.every((p) => p[0] === 0 && p[1] === 0)) return x;
  return apply('pad', [x], { padding, value });
}

/**
 * Picks whole slices along `axis` by index: PyTorch's `index_select` (TensorFlow's `gather`).
 * `indices` (int32, any shape, or a list of integers) replaces axis `axis`: the result's shape is
 * `x.shape[:axis] + indices.shape + x.shape[axis+1:]` (PyTorch takes 1-D indices only; a 1-D
 * index gives exactly its result). Differentiable in `x` (the gradient is a scatter-add).
 * @throws ShapeError for a 0-d `x`; ValueError for non-integer list entries.
 */
export function indexSelect(x: Tensor, indices: Tensor | readonly number[], axis = 0): Tensor {
  return selectSlices('indexSelect', x, indices, axis);
}

function selectSlices(op: string, x: Tensor, indices: Tensor | readonly number[], axis: number): Tensor {
  assertTensor(op, 'x', x);
  const a = normalizeAxis(op, axis, x.rank);
  if (x.rank === 0) throw new ShapeError(`${op}: x is 0-d (a scalar) and has no axis to pick from; reshape it to [1] first.`);
  let idx: Tensor;
  if (indices instanceof Tensor) {
    assertTensor(op, 'indices', indices);
    idx = indices;
  } else {
    // A list of indices must hold integers: 1.7 or "abc" would otherwise be coerced to some index.
    assertIntList(op, 'indices', indices);
    const values = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; i++) values[i] = fitValue(op, indices[i], 'int32', `index ${indices[i]} at position ${i}`);
    // Listed indices are on the host already: check them here, so the error names this op.
    const n = x.shape[a];
    const bad = values.findIndex((v) => v < 0 || v >= n);
    if (bad >= 0) {
      throw new ValueError(`${op}: index ${values[bad]} at position ${bad} is out of range for axis ${a} of x (shape ${fmt(x.shape)}), size ${n}; indices must lie in [0, ${n - 1}].`);
    }
    idx = Tensor.fromValues(values, [indices.length], 'int32', x.backend);
  }
  return apply('gather', [x, idx], { axis: a });
}
