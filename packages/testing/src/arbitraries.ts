import fc from 'fast-check';
import { sizeOfShape, type TensorSpec } from './spec.js';

export interface ShapeConstraints {
  /** Smallest rank (default 0: a scalar). */
  minRank?: number;
  /** Largest rank (default 3). */
  maxRank?: number;
  /** Smallest dimension (default 1; 0 allows empty tensors). */
  minDim?: number;
  /** Largest dimension (default 4). */
  maxDim?: number;
  /** Largest number of elements (default 24): keeps full Jacobians cheap. */
  maxSize?: number;
}

const SHAPE_DEFAULTS = { minRank: 0, maxRank: 3, minDim: 1, maxDim: 4, maxSize: 24 };

/** Caps dimensions left to right so the product stays within maxSize (a map, so shrinking still works). */
function capSize(dims: readonly number[], minDim: number, maxSize: number): number[] {
  const out: number[] = [];
  let size = 1;
  for (const d of dims) {
    const room = Math.floor(maxSize / Math.max(size, 1));
    const capped = Math.max(Math.min(d, room), Math.min(minDim, 1));
    out.push(capped);
    size *= capped;
  }
  return out;
}

/** Shapes, shrinking towards a scalar (or the smallest rank) with dimensions of 1. */
export function shapeArb(constraints: ShapeConstraints = {}): fc.Arbitrary<number[]> {
  const c = { ...SHAPE_DEFAULTS, ...constraints };
  return fc
    .array(fc.integer({ min: c.minDim, max: c.maxDim }), { minLength: c.minRank, maxLength: c.maxRank })
    .map((dims) => capSize(dims, c.minDim, c.maxSize));
}

export interface BroadcastShapesConstraints extends ShapeConstraints {
  /** How many shapes to make (default 2). */
  count?: number;
}

/**
 * Tuples of shapes that broadcast together (NumPy rules): a result shape, then for each operand
 * a suffix of it with some dimensions set to 1. Shrinks towards equal shapes.
 */
export function broadcastShapesArb(constraints: BroadcastShapesConstraints = {}): fc.Arbitrary<number[][]> {
  const { count = 2, ...shape } = constraints;
  const c = { ...SHAPE_DEFAULTS, ...shape };
  const operand = fc.record({
    // How many leading axes this operand lacks, and which of its axes are 1.
    drop: fc.integer({ min: 0, max: c.maxRank }),
    ones: fc.array(fc.boolean(), { minLength: c.maxRank, maxLength: c.maxRank }),
  });
  return fc.tuple(shapeArb(c), fc.array(operand, { minLength: count, maxLength: count })).map(([out, ops]) =>
    ops.map(({ drop, ones }) => {
      const lead = Math.min(drop, out.length);
      return out.slice(lead).map((d, i) => (ones[i] ? 1 : d));
    }),
  );
}

export interface ValueConstraints {
  /** Smallest value (default -2). */
  min?: number;
  /** Largest value (default 2). */
  max?: number;
  /**
   * Values are multiples of `step` (default 1/8) plus `offset`: exact in float32 and readable
   * when shrunk. Keep step well above a gradient check's eps.
   */
  step?: number;
  offset?: number;
  /** Points to stay away from (the kinks of relu/abs/sign at 0, clamp bounds). */
  avoid?: readonly number[];
  /** The distance kept from each avoided point (default step / 2). */
  margin?: number;
  /** All values of a tensor different (no ties for max/min/argmax). */
  distinct?: boolean;
}

/** The grid's integer range and filter, shared by valueArb and simplestValue. */
function grid(constraints: ValueConstraints) {
  const { min = -2, max = 2, step = 0.125, offset = 0, avoid = [], margin = step / 2 } = constraints;
  const lo = Math.ceil((min - offset) / step - 1e-9);
  const hi = Math.floor((max - offset) / step + 1e-9);
  if (hi < lo) throw new RangeError(`valueArb: no multiple of ${step} (+${offset}) lies in [${min}, ${max}].`);
  const ok = (v: number) => avoid.every((a) => Math.abs(v - a) >= margin);
  return { lo, hi, at: (k: number) => k * step + offset, ok };
}

/** One value on the grid the constraints describe; shrinks towards the grid point nearest 0. */
export function valueArb(constraints: ValueConstraints = {}): fc.Arbitrary<number> {
  const g = grid(constraints);
  const arb = fc.integer({ min: g.lo, max: g.hi }).map(g.at);
  return constraints.avoid?.length ? arb.filter(g.ok) : arb;
}

/** The value valueArb shrinks to: the allowed grid point nearest 0. */
export function simplestValue(constraints: ValueConstraints = {}): number {
  const g = grid(constraints);
  const start = Math.min(Math.max(0, g.lo), g.hi);
  for (let d = 0; d <= g.hi - g.lo; d++) {
    for (const k of [start + d, start - d]) if (k >= g.lo && k <= g.hi && g.ok(g.at(k))) return g.at(k);
  }
  throw new RangeError('valueArb: every grid point is avoided.');
}

/** `n` values on the grid; distinct when asked. */
export function valuesArb(n: number, constraints: ValueConstraints = {}): fc.Arbitrary<number[]> {
  const one = valueArb(constraints);
  return constraints.distinct ? fc.uniqueArray(one, { minLength: n, maxLength: n }) : fc.array(one, { minLength: n, maxLength: n });
}

/** Largest number of values a pool holds (and so the largest tensor drawn from one). */
export const POOL_SIZE = 64;

/**
 * A pool of values that tensors of any shape draw from in order (`takeValues`). Generating the
 * pool apart from the shapes, instead of chaining values on a shape, lets fast-check shrink the
 * shape and the values independently: a failure ends as a small tensor of simple numbers.
 * Distinct pools hold `distinctSize` different values.
 */
export function valuePoolArb(constraints: ValueConstraints = {}, distinctSize = 24): fc.Arbitrary<number[]> {
  const one = valueArb(constraints);
  return constraints.distinct
    ? fc.uniqueArray(one, { minLength: distinctSize, maxLength: distinctSize })
    : fc.array(one, { maxLength: POOL_SIZE });
}

/** Takes `n` values from `pool` starting at `from`; a short pool is padded with the simplest value. */
export function takeValues(pool: readonly number[], from: number, n: number, constraints: ValueConstraints = {}): number[] {
  if (constraints.distinct && from + n > pool.length) {
    throw new RangeError(`takeValues: ${from + n} distinct values asked of a pool of ${pool.length}; pass a larger distinctSize.`);
  }
  const fill = from + n > pool.length ? simplestValue(constraints) : 0;
  return Array.from({ length: n }, (_, i) => (from + i < pool.length ? pool[from + i] : fill));
}

export interface TensorConstraints extends ValueConstraints {
  /** A fixed shape, or an arbitrary of shapes (default shapeArb()). */
  shape?: readonly number[] | fc.Arbitrary<number[]>;
  /** Leave out (default) for a float tensor in the run's dtype; int32 or bool for indices and masks. */
  dtype?: 'int32' | 'bool';
}

/** The value constraints a spec of `dtype` is drawn with. */
export function constraintsFor(dtype: 'int32' | 'bool' | undefined, values: ValueConstraints): ValueConstraints {
  return dtype === 'bool' ? { min: 0, max: 1, step: 1 } : dtype === 'int32' ? { min: -4, max: 4, step: 1, ...values } : values;
}

/**
 * Tensor specs (shape + values) rather than tensors: tests make them on the backend and dtype
 * they check, and a failure prints as plain numbers. Shape and values shrink independently.
 */
export function tensorArb(constraints: TensorConstraints = {}): fc.Arbitrary<TensorSpec> {
  const { shape = shapeArb(), dtype, ...values } = constraints;
  const shapes = Array.isArray(shape) ? fc.constant([...shape] as number[]) : (shape as fc.Arbitrary<number[]>);
  const c = constraintsFor(dtype, values);
  const fixed = Array.isArray(shape) ? sizeOfShape(shape) : undefined;
  return fc.tuple(shapes, valuePoolArb(c, fixed ?? 24)).map(([s, pool]): TensorSpec => {
    const v = takeValues(pool, 0, sizeOfShape(s), c);
    return dtype ? { shape: s, values: v, dtype } : { shape: s, values: v };
  });
}

/** An int32 index tensor spec of `shape` with entries in [0, size). */
export function indicesArb(shape: readonly number[] | fc.Arbitrary<number[]>, size: number): fc.Arbitrary<TensorSpec> {
  return tensorArb({ shape, dtype: 'int32', min: 0, max: size - 1 });
}
