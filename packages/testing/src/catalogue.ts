import fc from 'fast-check';
import { apply, gather, linear, matmul, stack, concat, where, type PrimitiveName, type Tensor, type DType } from '@tsgrad/core';
import { broadcastShapesArb, shapeArb, takeValues, tensorArb, valueArb, valuePoolArb, type ShapeConstraints, type ValueConstraints } from './arbitraries.js';
import { at, build, cPow, refBinary, refMatmul, refReduce, refSoftmax, refUnary, refWhere, type Reference } from './reference.js';
import { formatSpec, sizeOfShape, type TensorSpec } from './spec.js';

/** One random application of an op: its inputs as specs, its parameters, and the function to run. */
export interface OpInstance {
  readonly op: string;
  readonly inputs: readonly TensorSpec[];
  /** The non-tensor arguments (axes, perm, ...), for reports. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Applies the op to tensors made from `inputs` (in that order). */
  readonly fn: (...inputs: Tensor[]) => Tensor;
  /** The expected output in plain float64 JavaScript, where the op has a cheap one. */
  readonly reference: (() => Reference) | undefined;
}

/** Gradient-check settings for ops whose numerics need them (float64). */
export interface GradcheckSettings {
  readonly eps?: number;
  readonly atol?: number;
  readonly rtol?: number;
}

export interface OpEntry {
  readonly name: string;
  /** Has a gradient to check (the others are checked forward only). */
  readonly differentiable: boolean;
  /** The backend primitives its forward pass runs. */
  readonly primitives: readonly PrimitiveName[];
  /**
   * Random instances inside the op's domain and away from its kinks, where central differences
   * are meaningful: what the gradient checks draw from.
   */
  readonly arb: fc.Arbitrary<OpInstance>;
  /**
   * The same instances with some float input values replaced by edge values (0, -0, ±Infinity,
   * NaN) or by a copy of another value (ties for max, min, maximum, argmax): what forward
   * references and backend comparisons draw from. Shrinks towards no edge at all.
   */
  readonly edgeArb: fc.Arbitrary<OpInstance>;
  readonly gradcheck: GradcheckSettings | undefined;
}

interface Case<P> {
  readonly inputs: readonly TensorSpec[];
  readonly params: P;
}

interface EntryDef<P> {
  name: string;
  differentiable?: boolean;
  primitives: readonly PrimitiveName[];
  cases: fc.Arbitrary<Case<P>>;
  fn: (params: P) => (...inputs: Tensor[]) => Tensor;
  reference?: (inputs: readonly TensorSpec[], params: P) => Reference;
  gradcheck?: GradcheckSettings;
}

function entry<P extends object>(def: EntryDef<P>): OpEntry {
  const instance = (c: Case<P>): OpInstance => {
    const ref = def.reference;
    return {
      op: def.name,
      inputs: c.inputs,
      params: c.params as Readonly<Record<string, unknown>>,
      fn: def.fn(c.params),
      reference: ref ? () => ref(c.inputs, c.params) : undefined,
      // A shrunk counterexample prints as the call that failed.
      [fc.toStringMethod]: () => describeCall(def.name, c.inputs, c.params),
    } as OpInstance;
  };
  const arb = def.cases.map(instance);
  const edgeArb = fc.tuple(def.cases, edgeEditsArb).map(([c, edits]) => instance({ inputs: withEdges(c.inputs, edits), params: c.params }));
  return { name: def.name, differentiable: def.differentiable ?? true, primitives: def.primitives, arb, edgeArb, gradcheck: def.gradcheck };
}

// ---- edge values ---------------------------------------------------------------------------

/** The values where rules break: the 0·∞, 0/0 and log 0 traps, and NaN that a selection can lose. */
export const EDGE_VALUES: readonly number[] = Object.freeze([0, -0, Infinity, -Infinity, NaN]);

/** Set one float input value to an edge value, or copy another value onto it (a tie). */
type EdgeEdit = { readonly at: number; readonly value: number } | { readonly at: number; readonly copyFrom: number };

const edgeEditArb: fc.Arbitrary<EdgeEdit> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ at: fc.nat(), value: fc.constantFrom(...EDGE_VALUES) }) },
  { weight: 1, arbitrary: fc.record({ at: fc.nat(), copyFrom: fc.nat() }) },
);

/** Most instances get one to four edits; the shrinker ends at none. */
const edgeEditsArb: fc.Arbitrary<readonly EdgeEdit[]> = fc.oneof(
  { weight: 1, arbitrary: fc.constant([]) },
  { weight: 3, arbitrary: fc.array(edgeEditArb, { minLength: 1, maxLength: 4 }) },
);

/** The inputs with `edits` applied to their float values (indices and masks are left alone). */
export function withEdges(inputs: readonly TensorSpec[], edits: readonly EdgeEdit[]): TensorSpec[] {
  const values = inputs.map((t) => [...t.values]);
  const slots: [number, number][] = [];
  inputs.forEach((t, k) => {
    if (t.dtype === undefined) for (let i = 0; i < t.values.length; i++) slots.push([k, i]);
  });
  for (const e of slots.length > 0 ? edits : []) {
    const [k, i] = slots[e.at % slots.length];
    if ('value' in e) values[k][i] = e.value;
    else {
      const [k2, i2] = slots[e.copyFrom % slots.length];
      values[k][i] = values[k2][i2];
    }
  }
  return inputs.map((t, k) => ({ ...t, values: values[k] }));
}

/** `add([1,2], [[0.5]])` or `sum([[1,2]], {"axes":[1],"keepDims":true})`. */
export function describeCall(op: string, inputs: readonly TensorSpec[], params: object): string {
  const p = Object.keys(params).length > 0 ? `, ${JSON.stringify(params)}` : '';
  return `${op}(${inputs.map(formatSpec).join(', ')}${p})`;
}

const NONE = {};
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

// ---- unary ---------------------------------------------------------------------------------

function unaryEntry(name: PrimitiveName & keyof Tensor, values: ValueConstraints, ref?: (v: number) => number, differentiable = true): OpEntry {
  return entry({
    name,
    differentiable,
    primitives: [name],
    cases: tensorArb(values).map((x) => ({ inputs: [x], params: NONE })),
    fn: () => (x) => (x[name] as () => Tensor).call(x),
    reference: ref && (([x]) => refUnary(x, ref)),
  });
}

// ---- drawing inputs ------------------------------------------------------------------------

const INDEX_POOL: ValueConstraints = { min: 0, max: 63, step: 1 };
const BOOL_POOL: ValueConstraints = { min: 0, max: 1, step: 1 };

/** Hands out tensor specs from value pools, each pool serving its tensors in order. */
class Draw {
  private readonly used: number[];
  constructor(
    private readonly pools: readonly number[][],
    private readonly constraints: readonly ValueConstraints[],
  ) {
    this.used = pools.map(() => 0);
  }
  private take(pool: number, n: number): number[] {
    const v = takeValues(this.pools[pool], this.used[pool], n, this.constraints[pool]);
    this.used[pool] += n;
    return v;
  }
  tensor(shape: readonly number[], pool = 0): TensorSpec {
    return { shape: [...shape], values: this.take(pool, sizeOfShape(shape)) };
  }
  /** int32 indices in [0, size). */
  indices(shape: readonly number[], size: number, pool: number): TensorSpec {
    return { shape: [...shape], values: this.take(pool, sizeOfShape(shape)).map((v) => v % size), dtype: 'int32' };
  }
  mask(shape: readonly number[], pool: number): TensorSpec {
    return { shape: [...shape], values: this.take(pool, sizeOfShape(shape)), dtype: 'bool' };
  }
}

/**
 * Cases from a structure (shapes, axes, options) and value pools generated side by side, never
 * chained: fast-check can then shrink the structure and the values independently.
 */
function cases<S, P>(structure: fc.Arbitrary<S>, pools: readonly ValueConstraints[], make: (s: S, draw: Draw) => Case<P>): fc.Arbitrary<Case<P>> {
  return fc
    .tuple(structure, fc.tuple(...pools.map((c) => valuePoolArb(c))))
    .map(([s, ps]) => make(s, new Draw(ps as number[][], pools)));
}

// ---- binary --------------------------------------------------------------------------------

function binaryCases(a: ValueConstraints, b: ValueConstraints): fc.Arbitrary<Case<object>> {
  return cases(broadcastShapesArb({ maxSize: 12 }), [a, b], ([sa, sb], d) => ({ inputs: [d.tensor(sa, 0), d.tensor(sb, 1)], params: NONE }));
}

type BinaryMethod = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

function binaryEntry(
  name: PrimitiveName,
  method: BinaryMethod,
  f: (x: number, y: number) => number,
  a: ValueConstraints = {},
  b: ValueConstraints = {},
  differentiable = true,
): OpEntry {
  return entry({
    name,
    differentiable,
    primitives: [name],
    cases: binaryCases(a, b),
    fn: () => (x, y) => x[method](y),
    reference: ([x, y]) => refBinary(x, y, f),
  });
}

/** Half a grid step apart: maximum/minimum never see a tie. */
const OFFSET = { offset: 0.0625 };

// ---- parameterised cases -------------------------------------------------------------------

/** A shape of rank >= 1 and one of its axes (shrinks towards axis 0). */
const shapeAndAxis = (shape: ShapeConstraints = {}) =>
  fc.record({ shape: shapeArb({ minRank: 1, ...shape }), axisSeed: fc.nat() }).map(({ shape: s, axisSeed }) => ({ shape: s, axis: axisSeed % s.length }));

const axisCases = (values: ValueConstraints = {}) =>
  cases(shapeAndAxis(), [values], ({ shape, axis }, d) => ({ inputs: [d.tensor(shape)], params: { axis } }));

interface ReduceParams {
  axes: number[] | undefined;
  keepDims: boolean;
}

function reduceEntry(name: 'sum' | 'mean' | 'max' | 'min'): OpEntry {
  const distinct = name === 'max' || name === 'min';
  const combine = name === 'max' ? Math.max : name === 'min' ? Math.min : (s: number, v: number) => s + v;
  const init = name === 'max' ? -Infinity : name === 'min' ? Infinity : 0;
  const structure = fc.record({
    shape: shapeArb(),
    // undefined reduces every axis; otherwise the axes whose flag is set.
    mask: fc.option(fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), { nil: undefined }),
    keepDims: fc.boolean(),
  });
  return entry<ReduceParams>({
    name,
    primitives: name === 'mean' ? ['sum', 'div'] : [name],
    cases: cases(structure, [{ distinct }], ({ shape, mask, keepDims }, d) => ({
      inputs: [d.tensor(shape)],
      params: { axes: mask && range(shape.length).filter((i) => mask[i]), keepDims },
    })),
    fn: ({ axes, keepDims }) => (x) => x[name](axes, keepDims),
    reference: ([x], { axes, keepDims }) => {
      const r = refReduce(x, axes, keepDims, combine, init);
      if (name !== 'mean') return r;
      const count = sizeOfShape(x.shape) / Math.max(sizeOfShape(r.shape), 1);
      return { shape: r.shape, values: r.values.map((v) => v / count) };
    },
  });
}

interface MatmulParams {
  transposeA: boolean;
  transposeB: boolean;
}

const matmulCases: fc.Arbitrary<Case<MatmulParams>> = cases(
  fc.record({
    m: fc.integer({ min: 1, max: 3 }),
    k: fc.integer({ min: 1, max: 3 }),
    n: fc.integer({ min: 1, max: 3 }),
    batch: broadcastShapesArb({ maxRank: 2, maxDim: 2 }),
    aVector: fc.boolean(),
    bVector: fc.boolean(),
    transposeA: fc.boolean(),
    transposeB: fc.boolean(),
  }),
  [{}, {}],
  ({ m, k, n, batch: [ba, bb], aVector, bVector, transposeA, transposeB }, d) => {
    const sa = aVector ? [k] : [...ba, ...(transposeA ? [k, m] : [m, k])];
    const sb = bVector ? [k] : [...bb, ...(transposeB ? [n, k] : [k, n])];
    return { inputs: [d.tensor(sa, 0), d.tensor(sb, 1)], params: { transposeA: transposeA && !aVector, transposeB: transposeB && !bVector } };
  },
);

interface LinearParams {
  activation: 'none' | 'relu';
}

/**
 * x [m,k] or [b,m,k], w [n,k], bias [n]. Bias values sit on the grid shifted by 1/128, so x·wᵀ + b
 * (a multiple of 1/64 plus the bias) is never at ReLU's kink; without a bias there is no ReLU.
 */
const linearCases: fc.Arbitrary<Case<LinearParams>> = cases(
  fc.record({
    m: fc.integer({ min: 1, max: 3 }),
    k: fc.integer({ min: 1, max: 3 }),
    n: fc.integer({ min: 1, max: 3 }),
    batched: fc.boolean(),
    bias: fc.boolean(),
    relu: fc.boolean(),
  }),
  [{}, {}, { offset: 1 / 128 }],
  ({ m, k, n, batched, bias, relu }, d) => {
    const x = d.tensor(batched ? [2, m, k] : [m, k], 0);
    const w = d.tensor([n, k], 1);
    const withBias = bias || relu;
    return { inputs: withBias ? [x, w, d.tensor([n], 2)] : [x, w], params: { activation: withBias && relu ? 'relu' : 'none' } };
  },
);

/** One of a few reshapes of the same size: flatten, reverse the dimensions, infer one with -1. */
const reshapeCases = cases(fc.record({ shape: shapeArb(), kind: fc.constantFrom('flat', 'reversed', 'infer', 'unsqueeze') }), [{}], ({ shape: s, kind }, d) => {
  const target = kind === 'flat' ? [sizeOfShape(s)] : kind === 'reversed' ? [...s].reverse() : kind === 'infer' ? [-1, ...s.slice(1)] : [...s, 1];
  return { inputs: [d.tensor(s)], params: { shape: target } };
});

/** A permutation of three axes, restricted to the tensor's rank (keeping the relative order). */
const permuteCases = cases(
  fc.record({ shape: shapeArb({ minRank: 1 }), perm3: fc.shuffledSubarray([0, 1, 2], { minLength: 3, maxLength: 3 }) }),
  [{}],
  ({ shape, perm3 }, d) => ({ inputs: [d.tensor(shape)], params: { perm: perm3.filter((a) => a < shape.length) } }),
);

const transposeCases = cases(fc.record({ shape: shapeArb({ minRank: 2 }), seeds: fc.tuple(fc.nat(), fc.nat()) }), [{}], ({ shape, seeds }, d) => {
  const r = shape.length;
  // Negative axes too: the public op accepts them.
  return { inputs: [d.tensor(shape)], params: { axis0: (seeds[0] % (2 * r)) - r, axis1: (seeds[1] % (2 * r)) - r } };
});

/** A target shape and an input that broadcasts to it (a suffix of it with some dimensions 1). */
const expandCases = cases(
  fc.record({ target: shapeArb({ maxSize: 16 }), drop: fc.integer({ min: 0, max: 3 }), ones: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }) }),
  [{}],
  ({ target, drop, ones }, d) => {
    const s = target.slice(Math.min(drop, target.length)).map((dim, i) => (ones[i] ? 1 : dim));
    return { inputs: [d.tensor(s)], params: { shape: target } };
  },
);

const sliceCases = cases(
  fc.record({ shape: shapeArb({ minRank: 1 }), window: fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 3, maxLength: 3 }) }),
  [{}],
  ({ shape, window }, d) => {
    const begin = shape.map((dim, i) => window[i][0] % dim);
    const size = shape.map((dim, i) => 1 + (window[i][1] % (dim - begin[i])));
    return { inputs: [d.tensor(shape)], params: { begin, size } };
  },
);

const concatCases = cases(
  fc.record({ base: shapeArb({ minRank: 1, maxSize: 8 }), sizes: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 3 }), axisSeed: fc.nat() }),
  [{}],
  ({ base, sizes, axisSeed }, d) => {
    const axis = axisSeed % base.length;
    return { inputs: sizes.map((n) => d.tensor(base.map((dim, i) => (i === axis ? n : dim)))), params: { axis } };
  },
);

const stackCases = cases(
  fc.record({ shape: shapeArb({ maxSize: 8 }), count: fc.integer({ min: 2, max: 3 }), axisSeed: fc.nat() }),
  [{}],
  ({ shape, count, axisSeed }, d) => ({ inputs: range(count).map(() => d.tensor(shape)), params: { axis: axisSeed % (shape.length + 1) } }),
);

const padCases = cases(
  fc.record({
    shape: shapeArb({ minRank: 1, maxSize: 12 }),
    widths: fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })), { minLength: 3, maxLength: 3 }),
    value: valueArb(),
  }),
  [{}],
  ({ shape, widths, value }, d) => ({ inputs: [d.tensor(shape)], params: { padding: shape.map((_, i) => widths[i]), value } }),
);

/** x, an axis, and int32 indices into it (repeats allowed, so scatterAdd has to accumulate). */
const gatherStructure = fc.record({ xa: shapeAndAxis({ maxSize: 12 }), indexShape: shapeArb({ maxRank: 2, maxDim: 3 }) });

const gatherCases = cases(gatherStructure, [{}, INDEX_POOL], ({ xa: { shape, axis }, indexShape }, d) => ({
  inputs: [d.tensor(shape, 0), d.indices(indexShape, shape[axis], 1)],
  params: { axis },
}));

/** scatterAdd(updates, indices) into x's shape: gather's adjoint, the primitive behind its gradient. */
const scatterAddCases = cases(gatherStructure, [{}, INDEX_POOL], ({ xa: { shape, axis }, indexShape }, d) => {
  const updates = [...shape.slice(0, axis), ...indexShape, ...shape.slice(axis + 1)];
  return { inputs: [d.tensor(updates, 0), d.indices(indexShape, shape[axis], 1)], params: { axis, shape } };
});

interface ClampParams {
  min: number | undefined;
  max: number | undefined;
}
const CLAMP_LOW = -0.5;
const CLAMP_HIGH = 0.75;

const clampCases = fc
  .record({ x: tensorArb({ avoid: [CLAMP_LOW, CLAMP_HIGH] }), bounds: fc.constantFrom('both', 'min', 'max') })
  .map(({ x, bounds }) => ({
    inputs: [x],
    params: { min: bounds === 'max' ? undefined : CLAMP_LOW, max: bounds === 'min' ? undefined : CLAMP_HIGH } as ClampParams,
  }));

const whereCases = cases(broadcastShapesArb({ count: 3, maxSize: 12 }), [BOOL_POOL, {}, {}], ([sc, sa, sb], d) => ({
  inputs: [d.mask(sc, 0), d.tensor(sa, 1), d.tensor(sb, 2)],
  params: NONE,
}));

const argmaxCases = cases(fc.record({ sa: shapeAndAxis(), keepDims: fc.boolean() }), [{ distinct: true }], ({ sa: { shape, axis }, keepDims }, d) => ({
  inputs: [d.tensor(shape)],
  params: { axis, keepDims },
}));

/** The other float dtype the tensor's backend computes in (or its own when it has one only). */
function otherFloat(x: Tensor): DType {
  return x.backend.floatDTypes.find((d) => d !== x.dtype && (d === 'float32' || d === 'float64')) ?? x.dtype;
}

// ---- the catalogue -------------------------------------------------------------------------

const POSITIVE = { min: 0.25, max: 4 };

// ---- the tensor API of issue 10 (composites) ------------------------------------------------

/** The values of x along `axis` through the position `idx` (idx[axis] is ignored). */
const lineAt = (x: TensorSpec, idx: readonly number[], axis: number): number[] =>
  range(x.shape[axis]).map((k) => at(x, idx.map((v, i) => (i === axis ? k : v))));

/** f of each line along `axis`, that axis removed: a reduction's reference. */
const reduceLines = (x: TensorSpec, axis: number, f: (line: number[]) => number): Reference =>
  build(x.shape.filter((_, i) => i !== axis), (idx) => f(lineAt(x, [...idx.slice(0, axis), 0, ...idx.slice(axis)], axis)));

/** Each element from its line along `axis` and its position k on it: a scan's or a permutation's reference. */
const mapLines = (x: TensorSpec, axis: number, f: (line: number[], k: number) => number): Reference =>
  build(x.shape, (idx) => f(lineAt(x, idx, axis), idx[axis]));

const rollCases = cases(fc.record({ sa: shapeAndAxis(), shift: fc.integer({ min: -5, max: 5 }) }), [{}], ({ sa: { shape, axis }, shift }, d) => ({
  inputs: [d.tensor(shape)],
  params: { shift, axis },
}));

const trilCases = cases(fc.record({ shape: shapeArb({ minRank: 2 }), diagonal: fc.integer({ min: -2, max: 2 }) }), [{}], ({ shape, diagonal }, d) => ({
  inputs: [d.tensor(shape)],
  params: { diagonal },
}));

/**
 * Every public op of core, listed once: what drives the property tests, the conformance suite
 * and the gradcheck command. Domains and kinks are handled by each op's input arbitrary.
 */
export const catalogue: readonly OpEntry[] = [
  unaryEntry('neg', {}, (v) => -v),
  unaryEntry('exp', {}, Math.exp),
  unaryEntry('log', POSITIVE, Math.log),
  unaryEntry('log1p', { min: -0.5, max: 3 }, Math.log1p),
  unaryEntry('sqrt', POSITIVE, Math.sqrt),
  unaryEntry('abs', { avoid: [0] }, Math.abs),
  unaryEntry('relu', { avoid: [0] }, (v) => Math.max(v, 0)),
  unaryEntry('sigmoid', {}, (v) => 1 / (1 + Math.exp(-v))),
  unaryEntry('tanh', {}, Math.tanh),
  unaryEntry('sin', {}, Math.sin),
  unaryEntry('cos', {}, Math.cos),
  unaryEntry('erf', {}),
  binaryEntry('add', 'add', (x, y) => x + y),
  binaryEntry('sub', 'sub', (x, y) => x - y),
  binaryEntry('mul', 'mul', (x, y) => x * y),
  binaryEntry('div', 'div', (x, y) => x / y, {}, { avoid: [0], margin: 0.5 }),
  binaryEntry('pow', 'pow', cPow, { min: 0.5, max: 2 }, {}),
  binaryEntry('maximum', 'maximum', Math.max, {}, OFFSET),
  binaryEntry('minimum', 'minimum', Math.min, {}, OFFSET),
  entry({
    name: 'where',
    primitives: ['where'],
    cases: whereCases,
    fn: () => (c, a, b) => where(c, a, b),
    reference: ([c, a, b]) => refWhere(c, a, b),
  }),
  entry<ClampParams>({
    name: 'clamp',
    primitives: ['greaterEqual', 'lessEqual', 'where'],
    cases: clampCases,
    fn: ({ min, max }) => (x) => x.clamp(min, max),
    reference: ([x], { min, max }) => refUnary(x, (v) => Math.min(Math.max(v, min ?? -Infinity), max ?? Infinity)),
  }),
  entry<MatmulParams>({
    name: 'matmul',
    primitives: ['matmul'],
    cases: matmulCases,
    fn: (p) => (a, b) => matmul(a, b, p),
    reference: ([a, b], p) => refMatmul(a, b, p.transposeA, p.transposeB),
  }),
  entry<LinearParams>({
    name: 'linear',
    primitives: ['matmul', 'add', 'relu'],
    cases: linearCases,
    fn: ({ activation }) => (x, w, b) => linear(x, w, b, { activation }),
    reference: ([x, w, b], { activation }) => {
      const y = refMatmul(x, w, false, true);
      const n = w.shape[0];
      const values = y.values.map((v, i) => {
        const z = b ? v + b.values[i % n] : v;
        return activation === 'relu' ? Math.max(z, 0) : z;
      });
      return { shape: y.shape, values };
    },
  }),
  reduceEntry('sum'),
  reduceEntry('mean'),
  reduceEntry('max'),
  reduceEntry('min'),
  entry<{ shape: number[] }>({
    name: 'reshape',
    primitives: [],
    cases: reshapeCases,
    fn: ({ shape }) => (x) => x.reshape(shape),
    reference: ([x], { shape }) => {
      const known = shape.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
      return { shape: shape.map((d) => (d === -1 ? x.values.length / known : d)), values: [...x.values] };
    },
  }),
  entry<{ perm: number[] }>({
    name: 'permute',
    primitives: ['permute'],
    cases: permuteCases,
    fn: ({ perm }) => (x) => x.permute(perm),
    reference: ([x], { perm }) =>
      build(perm.map((a) => x.shape[a]), (idx) => {
        const src = new Array<number>(idx.length);
        perm.forEach((a, i) => (src[a] = idx[i]));
        return at(x, src);
      }),
  }),
  entry<{ axis0: number; axis1: number }>({
    name: 'transpose',
    primitives: ['permute'],
    cases: transposeCases,
    fn: ({ axis0, axis1 }) => (x) => x.transpose(axis0, axis1),
    reference: ([x], { axis0, axis1 }) => {
      const r = x.shape.length;
      const a = (axis0 + r) % r;
      const b = (axis1 + r) % r;
      const swap = (idx: number[]) => idx.map((v, i) => (i === a ? idx[b] : i === b ? idx[a] : v));
      return build(swap([...x.shape]), (idx) => at(x, swap(idx)));
    },
  }),
  entry<{ shape: number[] }>({
    name: 'expand',
    primitives: ['expand'],
    cases: expandCases,
    fn: ({ shape }) => (x) => x.expand(shape),
    reference: ([x], { shape }) => build(shape, (idx) => at(x, idx)),
  }),
  entry<{ begin: number[]; size: number[] }>({
    name: 'slice',
    primitives: ['slice'],
    cases: sliceCases,
    fn: ({ begin, size }) => (x) => x.slice(begin, size),
    reference: ([x], { begin, size }) => build(size, (idx) => at(x, idx.map((v, i) => v + begin[i]))),
  }),
  entry<{ axis: number }>({
    name: 'concat',
    primitives: ['concat'],
    cases: concatCases,
    fn: ({ axis }) => (...xs) => concat(xs, axis),
    reference: (xs, { axis }) => {
      const shape = xs[0].shape.map((d, i) => (i === axis ? xs.reduce((s, x) => s + x.shape[axis], 0) : d));
      return build(shape, (idx) => {
        let k = idx[axis];
        for (const x of xs) {
          if (k < x.shape[axis]) return at(x, idx.map((v, i) => (i === axis ? k : v)));
          k -= x.shape[axis];
        }
        return NaN;
      });
    },
  }),
  entry<{ axis: number }>({
    name: 'stack',
    primitives: ['concat'],
    cases: stackCases,
    fn: ({ axis }) => (...xs) => stack(xs, axis),
    reference: (xs, { axis }) => {
      const shape = [...xs[0].shape.slice(0, axis), xs.length, ...xs[0].shape.slice(axis)];
      return build(shape, (idx) => at(xs[idx[axis]], idx.filter((_, i) => i !== axis)));
    },
  }),
  entry<{ padding: (readonly [number, number])[]; value: number }>({
    name: 'pad',
    primitives: ['pad'],
    cases: padCases,
    fn: ({ padding, value }) => (x) => x.pad(padding, value),
    reference: ([x], { padding, value }) =>
      build(x.shape.map((d, i) => d + padding[i][0] + padding[i][1]), (idx) => {
        const src = idx.map((v, i) => v - padding[i][0]);
        return src.every((v, i) => v >= 0 && v < x.shape[i]) ? at(x, src) : value;
      }),
  }),
  entry<{ axis: number }>({
    name: 'gather',
    primitives: ['gather'],
    cases: gatherCases,
    fn: ({ axis }) => (x, idx) => gather(x, idx, axis),
    reference: ([x, idx], { axis }) => {
      const shape = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
      const r = idx.shape.length;
      return build(shape, (o) => {
        const ii = o.slice(axis, axis + r);
        let flat = 0;
        for (let d = 0; d < r; d++) flat = flat * idx.shape[d] + ii[d];
        return at(x, [...o.slice(0, axis), idx.values[flat], ...o.slice(axis + r)]);
      });
    },
  }),
  entry<{ axis: number; shape: readonly number[] }>({
    name: 'scatterAdd',
    primitives: ['scatterAdd'],
    cases: scatterAddCases,
    fn: ({ axis, shape }) => (u, idx) => apply('scatterAdd', [u, idx], { axis, shape }),
    reference: ([u, idx], { axis, shape }) => {
      const out = build(shape, () => 0);
      const r = idx.shape.length;
      const strides = shape.map((_, i) => sizeOfShape(shape.slice(i + 1)));
      build(u.shape, (o) => {
        let flat = 0;
        for (let d = 0; d < r; d++) flat = flat * idx.shape[d] + o[axis + d];
        const target = [...o.slice(0, axis), idx.values[flat], ...o.slice(axis + r)];
        out.values[target.reduce((s, v, i) => s + v * strides[i], 0)] += at(u, o);
        return 0;
      });
      return out;
    },
  }),
  entry({
    name: 'cast',
    primitives: ['cast'],
    cases: tensorArb().map((x) => ({ inputs: [x], params: NONE })),
    // There and back through the other float dtype: grid values survive float32 exactly.
    fn: () => (x) => x.cast(otherFloat(x)).cast(x.dtype),
    reference: ([x]) => refUnary(x, (v) => v),
    // A step on the 1/64 grid keeps x ± eps exact in float32, so the difference quotient is exact.
    gradcheck: { eps: 1 / 64 },
  }),
  entry<{ axis: number }>({
    name: 'softmax',
    primitives: ['max', 'sub', 'exp', 'sum', 'div'],
    cases: axisCases(),
    fn: ({ axis }) => (x) => x.softmax(axis),
    reference: ([x], { axis }) => refSoftmax(x, axis, false),
  }),
  entry<{ axis: number }>({
    name: 'logSoftmax',
    primitives: ['max', 'sub', 'exp', 'sum', 'log'],
    cases: axisCases(),
    fn: ({ axis }) => (x) => x.logSoftmax(axis),
    reference: ([x], { axis }) => refSoftmax(x, axis, true),
  }),
  // The tensor API of issue 10: composites, so these check the primitives' rules composed.
  entry<{ axis: number }>({
    name: 'var',
    primitives: ['sum', 'div', 'sub', 'mul'],
    cases: axisCases(),
    fn: ({ axis }) => (x) => x.var(axis, { correction: 0 }),
    reference: ([x], { axis }) =>
      reduceLines(x, axis, (line) => {
        const m = line.reduce((a, v) => a + v, 0) / line.length;
        return line.reduce((a, v) => a + (v - m) * (v - m), 0) / line.length;
      }),
  }),
  entry<{ axis: number }>({
    name: 'logsumexp',
    primitives: ['max', 'abs', 'equal', 'where', 'sub', 'exp', 'sum', 'log', 'add'],
    cases: axisCases(),
    fn: ({ axis }) => (x) => x.logsumexp(axis),
    reference: ([x], { axis }) =>
      reduceLines(x, axis, (line) => {
        // The max as the backend takes it: NaN wins, as in PyTorch.
        const m = line.reduce((a, v) => (a !== a ? a : v !== v || v > a ? v : a), -Infinity);
        const shift = Math.abs(m) === Infinity ? 0 : m;
        return Math.log(line.reduce((a, v) => a + Math.exp(v - shift), 0)) + shift;
      }),
  }),
  entry<{ axis: number }>({
    name: 'norm',
    primitives: ['mul', 'sum', 'equal', 'where', 'sqrt'],
    // Away from 0: a zero vector is the 2-norm's kink.
    cases: axisCases({ avoid: [0] }),
    fn: ({ axis }) => (x) => x.norm(2, axis),
    reference: ([x], { axis }) => reduceLines(x, axis, (line) => Math.sqrt(line.reduce((a, v) => a + v * v, 0))),
  }),
  entry<{ axis: number }>({
    name: 'cumsum',
    primitives: ['slice', 'pad', 'add'],
    cases: axisCases(),
    fn: ({ axis }) => (x) => x.cumsum(axis),
    reference: ([x], { axis }) => mapLines(x, axis, (line, k) => line.slice(0, k + 1).reduce((a, v) => a + v, 0)),
  }),
  entry<{ axis: number }>({
    name: 'flip',
    primitives: ['mul', 'gather'],
    cases: axisCases(),
    fn: ({ axis }) => (x) => x.flip(axis),
    reference: ([x], { axis }) => mapLines(x, axis, (line, k) => line[line.length - 1 - k]),
  }),
  entry<{ shift: number; axis: number }>({
    name: 'roll',
    primitives: ['mul', 'slice', 'concat'],
    cases: rollCases,
    fn: ({ shift, axis }) => (x) => x.roll(shift, axis),
    reference: ([x], { shift, axis }) => mapLines(x, axis, (line, k) => line[(((k - shift) % line.length) + line.length) % line.length]),
  }),
  entry<{ diagonal: number }>({
    name: 'tril',
    primitives: ['where'],
    cases: trilCases,
    fn: ({ diagonal }) => (x) => x.tril(diagonal),
    reference: ([x], { diagonal }) => build(x.shape, (idx) => (idx[idx.length - 1] - idx[idx.length - 2] <= diagonal ? at(x, idx) : 0)),
  }),
  entry<{ diagonal: number }>({
    name: 'triu',
    primitives: ['where'],
    cases: trilCases,
    fn: ({ diagonal }) => (x) => x.triu(diagonal),
    reference: ([x], { diagonal }) => build(x.shape, (idx) => (idx[idx.length - 1] - idx[idx.length - 2] >= diagonal ? at(x, idx) : 0)),
  }),
  // Not differentiable: checked forward only.
  unaryEntry('sign', {}, (v) => Math.sign(v), false),
  unaryEntry('floor', {}, Math.floor, false),
  binaryEntry('equal', 'eq', (x, y) => Number(x === y), {}, {}, false),
  binaryEntry('notEqual', 'ne', (x, y) => Number(x !== y), {}, {}, false),
  binaryEntry('less', 'lt', (x, y) => Number(x < y), {}, {}, false),
  binaryEntry('lessEqual', 'le', (x, y) => Number(x <= y), {}, {}, false),
  binaryEntry('greater', 'gt', (x, y) => Number(x > y), {}, {}, false),
  binaryEntry('greaterEqual', 'ge', (x, y) => Number(x >= y), {}, {}, false),
  entry<{ axis: number; keepDims: boolean }>({
    name: 'argmax',
    differentiable: false,
    primitives: ['argmax'],
    cases: argmaxCases,
    fn: ({ axis, keepDims }) => (x) => x.argmax(axis, keepDims),
    reference: ([x], { axis, keepDims }) => {
      const best = refReduce(x, [axis], true, Math.max, -Infinity);
      const kept = best.shape;
      const out = build(kept, (o) => {
        const m = at({ shape: kept, values: best.values }, o);
        // The first NaN when there is one (NaN counts as largest), else the first maximum.
        for (let k = 0; k < x.shape[axis]; k++) {
          const v = at(x, o.map((d, i) => (i === axis ? k : d)));
          if (v === m || (m !== m && v !== v)) return k;
        }
        return -1;
      });
      return keepDims ? out : { shape: kept.filter((_, i) => i !== axis), values: out.values };
    },
  }),
  entry<{ axis: number; keepDims: boolean }>({
    name: 'argmin',
    differentiable: false,
    primitives: ['neg', 'argmax'],
    cases: argmaxCases,
    fn: ({ axis, keepDims }) => (x) => x.argmin(axis, keepDims),
    reference: ([x], { axis, keepDims }) => {
      const kept = x.shape.map((d, i) => (i === axis ? 1 : d));
      // The first NaN when there is one (NaN counts as smallest, as in PyTorch), else the first minimum.
      const out = build(kept, (o) => {
        let best = -1;
        for (let k = 0; k < x.shape[axis]; k++) {
          const v = at(x, o.map((d, i) => (i === axis ? k : d)));
          if (v !== v) return k;
          if (best < 0 || v < at(x, o.map((d, i) => (i === axis ? best : d)))) best = k;
        }
        return best;
      });
      return keepDims ? out : { shape: kept.filter((_, i) => i !== axis), values: out.values };
    },
  }),
];

/** The catalogue entry named `name` (throws with the list of names when there is none). */
export function catalogueEntry(name: string): OpEntry {
  const e = catalogue.find((x) => x.name === name);
  if (!e) throw new RangeError(`No catalogue entry "${name}"; known ops: ${catalogue.map((x) => x.name).join(', ')}.`);
  return e;
}

/** The entries with a gradient to check. */
export const differentiableOps: readonly OpEntry[] = catalogue.filter((e) => e.differentiable);
