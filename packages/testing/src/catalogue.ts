import fc from 'fast-check';
import { apply, einsum, indexSelect, linear, matmul, stack, concat, where, type PrimitiveName, type Tensor, type DType } from '@tsgrad/core';
import { adaptiveAvgPool2d, avgPool2d, conv1d, conv2d, convTranspose2d, maxPool1d, maxPool2d, oneHot } from '@tsgrad/core';
import { broadcastShapesArb, shapeArb, takeValues, tensorArb, valueArb, valuePoolArb, type ShapeConstraints, type ValueConstraints } from './arbitraries.js';
import { at, build, cPow, refBinary, refMatmul, refReduce, refSoftmax, refUnary, refWhere, type Reference } from './reference.js';
import { formatSpec, sizeOfShape, type TensorSpec } from './spec.js';
import { batchNorm, embedding, groupNorm } from '@tsgrad/layers';
import { layerNorm, scaledDotProductAttention } from '@tsgrad/layers';
import { gruCell, lstmCell, multiheadAttentionForward } from '@tsgrad/layers';

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

// ---- convolution and pooling (core's ops/conv.ts) -----------------------------------------

/** The largest kernel size at most `k` whose dilated span fits an axis of `n` padded by `p` on each side. */
const fitKernel = (k: number, n: number, p: number, d: number) => Math.max(1, Math.min(k, Math.floor((n + 2 * p - 1) / d) + 1));

interface Conv2dParams {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

/** x [N, C, H, W], weight [Cout, C/groups, kH, kW] and a bias, in a geometry that fits (at most 48 input values). */
const conv2dCases = cases(
  fc.record({
    n: fc.integer({ min: 1, max: 2 }),
    groups: fc.integer({ min: 1, max: 2 }),
    cinG: fc.integer({ min: 1, max: 2 }),
    coutG: fc.integer({ min: 1, max: 2 }),
    hw: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
    k: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    stride: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    padding: fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 })),
    dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    bias: fc.boolean(),
  }),
  [{}, {}, {}],
  ({ n, groups, cinG, coutG, hw: [h, w], k, stride, padding, dilation, bias }, d): Case<Conv2dParams> => {
    const c = groups * cinG;
    const batch = n * c * h * w > 48 ? 1 : n;
    const kh = fitKernel(k[0], h, padding[0], dilation[0]);
    const kw = fitKernel(k[1], w, padding[1], dilation[1]);
    const x = d.tensor([batch, c, h, w], 0);
    const weight = d.tensor([groups * coutG, cinG, kh, kw], 1);
    return { inputs: bias ? [x, weight, d.tensor([groups * coutG], 2)] : [x, weight], params: { stride, padding, dilation, groups } };
  },
);

/** conv2d in plain float64, summing over (c, i, j) in the order of the im2col matmul, padding read as 0. */
function refConv2d(x: TensorSpec, w: TensorSpec, b: TensorSpec | undefined, p: Conv2dParams): Reference {
  const [N, , H, W] = x.shape;
  const [cout, cg, kh, kw] = w.shape;
  const out = (n: number, k: number, i: number) => Math.floor((n + 2 * p.padding[i] - p.dilation[i] * (k - 1) - 1) / p.stride[i]) + 1;
  return build([N, cout, out(H, kh, 0), out(W, kw, 1)], ([n, o, oh, ow]) => {
    const g = Math.floor(o / (cout / p.groups));
    let s = 0;
    for (let c = 0; c < cg; c++) {
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const ih = oh * p.stride[0] + i * p.dilation[0] - p.padding[0];
          const iw = ow * p.stride[1] + j * p.dilation[1] - p.padding[1];
          const v = ih >= 0 && ih < H && iw >= 0 && iw < W ? at(x, [n, g * cg + c, ih, iw]) : 0;
          s += at(w, [o, c, i, j]) * v;
        }
      }
    }
    return b ? s + b.values[o] : s;
  });
}

interface Pool2dParams {
  kernelSize: [number, number];
  stride: [number, number] | undefined;
  padding: [number, number];
  dilation: [number, number];
  ceilMode: boolean;
  countIncludePad: boolean;
}

/** x [N, C, H, W] (at most 24 values, so they can all differ) and a pooling window that fits. */
const pool2dCases = (distinct: boolean, dilated: boolean) =>
  cases(
    fc.record({
      n: fc.integer({ min: 1, max: 2 }),
      c: fc.integer({ min: 1, max: 2 }),
      hw: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
      k: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      stride: fc.option(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })), { nil: undefined }),
      padding: fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 })),
      dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
      ceilMode: fc.boolean(),
      countIncludePad: fc.boolean(),
    }),
    [distinct ? { distinct: true } : {}],
    ({ n, c, hw: [h, w], k, stride, padding, dilation, ceilMode, countIncludePad }, d): Case<Pool2dParams> => {
      // Dilation only without padding: a dilated window can then cover padding alone, whose max
      // is -Infinity (as in PyTorch), where central differences mean nothing.
      const dil = [0, 1].map((i) => (dilated && padding[i] === 0 ? dilation[i] : 1)) as [number, number];
      const batch = n * c * h * w > 24 ? 1 : n;
      const channels = c * h * w > 24 ? 1 : c;
      // PyTorch: padding at most half the kernel.
      const kernelSize = [0, 1].map((i) => fitKernel(k[i], [h, w][i], Math.min(padding[i], Math.floor(k[i] / 2)), dil[i])) as [number, number];
      const pad = [0, 1].map((i) => Math.min(padding[i], Math.floor(kernelSize[i] / 2))) as [number, number];
      return { inputs: [d.tensor([batch, channels, h, w], 0)], params: { kernelSize, stride, padding: pad, dilation: dil, ceilMode, countIncludePad } };
    },
  );

/**
 * A 2-D pooling's reference: PyTorch's output size (ceilMode included), each window's values in
 * row-major order with `padValue` outside the input, and PyTorch's avg_pool2d divisors.
 */
function poolWindows(x: TensorSpec, p: Pool2dParams, padValue: number, visit: (idx: number[], values: number[], clipped: { pool: number; valid: number }) => number): Reference {
  const [N, C, H, W] = x.shape;
  const stride = p.stride ?? p.kernelSize;
  const axis = (n: number, i: number) => {
    const span = p.dilation[i] * (p.kernelSize[i] - 1) + 1;
    const room = n + 2 * p.padding[i] - span;
    let out = (p.ceilMode ? Math.ceil(room / stride[i]) : Math.floor(room / stride[i])) + 1;
    if (p.ceilMode && (out - 1) * stride[i] >= n + p.padding[i]) out--;
    return out;
  };
  return build([N, C, axis(H, 0), axis(W, 1)], ([n, c, oh, ow]) => {
    const values: number[] = [];
    for (let i = 0; i < p.kernelSize[0]; i++) {
      for (let j = 0; j < p.kernelSize[1]; j++) {
        const ih = oh * stride[0] + i * p.dilation[0] - p.padding[0];
        const iw = ow * stride[1] + j * p.dilation[1] - p.padding[1];
        values.push(ih >= 0 && ih < H && iw >= 0 && iw < W ? at(x, [n, c, ih, iw]) : padValue);
      }
    }
    // PyTorch's avg_pool2d divisor: the window clipped to the padded input, or to the input.
    const span = (o: number, i: number, n: number) => {
      const start = o * stride[i] - p.padding[i];
      const end = Math.min(start + p.kernelSize[i], n + p.padding[i]);
      return { pool: end - start, valid: Math.max(0, Math.min(end, n) - Math.max(start, 0)) };
    };
    const a = span(oh, 0, H);
    const b = span(ow, 1, W);
    return visit([n, c, oh, ow], values, { pool: a.pool * b.pool, valid: a.valid * b.valid });
  });
}

// ---- sequence layers' functional forms (@tsgrad/layers) ---------------------------------------

/**
 * x [...lead, ...norm] with norm its last one or two dimensions, weight and bias of shape norm.
 * Distinct x values: no row is constant, so the variance stays well above eps for the gradchecks.
 */
const layerNormCases = cases(
  // At most 2·9 values: a distinct pool holds 24.
  fc.record({ lead: shapeArb({ maxRank: 2, maxDim: 2, maxSize: 2 }), norm: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }), affine: fc.boolean() }),
  [{ distinct: true }, {}, {}],
  ({ lead, norm, affine }, d) => ({
    inputs: affine ? [d.tensor([...lead, ...norm], 0), d.tensor(norm, 1), d.tensor(norm, 2)] : [d.tensor([...lead, ...norm], 0)],
    params: { normalizedShape: norm },
  }),
);

/** (x - mean) / sqrt(var + 1e-5) · w + b over the last normalizedShape.length axes (Ba et al. 2016). */
function refLayerNorm(x: TensorSpec, w: TensorSpec | undefined, b: TensorSpec | undefined, norm: readonly number[]): Reference {
  const n = sizeOfShape(norm);
  const values = x.values.map((_, i) => {
    const row = x.values.slice(i - (i % n), i - (i % n) + n);
    const mean = row.reduce((s, v) => s + v, 0) / n;
    const variance = row.reduce((s, v) => s + (v - mean) * (v - mean), 0) / n;
    const y = (x.values[i] - mean) / Math.sqrt(variance + 1e-5);
    return w && b ? y * w.values[i % n] + b.values[i % n] : y;
  });
  return { shape: [...x.shape], values };
}

type AttentionMaskKind = 'none' | 'float' | 'causal';

/** q [...batch, L, E], k [...batch, S, E], v [...batch, S, Ev] and a float [L, S] mask, or the causal one. */
const attentionCases = cases(
  fc.record({
    batch: shapeArb({ maxRank: 1, maxDim: 2 }),
    l: fc.integer({ min: 1, max: 3 }),
    s: fc.integer({ min: 1, max: 3 }),
    e: fc.integer({ min: 1, max: 3 }),
    ev: fc.integer({ min: 1, max: 2 }),
    mask: fc.constantFrom<AttentionMaskKind>('none', 'float', 'causal'),
  }),
  [{}, {}, {}, {}],
  ({ batch, l, s, e, ev, mask }, d) => {
    const qkv = [d.tensor([...batch, l, e], 0), d.tensor([...batch, s, e], 1), d.tensor([...batch, s, ev], 2)];
    return { inputs: mask === 'float' ? [...qkv, d.tensor([l, s], 3)] : qkv, params: { mask } };
  },
);

/** softmax(q·kᵀ/√E + mask)·v, row by row (Vaswani et al. 2017; the causal mask hides keys j > i). */
function refAttention(q: TensorSpec, k: TensorSpec, v: TensorSpec, m: TensorSpec | undefined, causal: boolean): Reference {
  const [L, E] = q.shape.slice(-2);
  const S = k.shape[k.shape.length - 2];
  const Ev = v.shape[v.shape.length - 1];
  const batch = q.shape.slice(0, -2);
  return build([...batch, L, Ev], (idx) => {
    const b = idx.slice(0, -2);
    const [i, c] = idx.slice(-2);
    const scores = range(S).map((j) => {
      let dot = 0;
      for (let t = 0; t < E; t++) dot += at(q, [...b, i, t]) * at(k, [...b, j, t]);
      return dot / Math.sqrt(E) + (m ? at(m, [i, j]) : causal && j > i ? -Infinity : 0);
    });
    // The max as the backend takes it (NaN wins), subtracted before exp as softmax does.
    const top = scores.reduce((a, x) => (a !== a ? a : x !== x || x > a ? x : a), -Infinity);
    const ex = scores.map((x) => Math.exp(x - top));
    const total = ex.reduce((a, x) => a + x, 0);
    return ex.reduce((acc, x, j) => acc + (x / total) * at(v, [...b, j, c]), 0);
  });
}

// ---- normalization and embedding layers' functional forms (@tsgrad/layers) ----------------------

/**
 * x [N, C] or [N, C, L] with at least two values per channel, and per-channel weight and bias
 * (or neither). Distinct x values: no channel is constant, so the variance stays well above eps
 * for the gradchecks.
 */
const batchNormCases = cases(
  fc.record({ n: fc.integer({ min: 1, max: 3 }), c: fc.integer({ min: 1, max: 3 }), l: fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined }), affine: fc.boolean() }),
  [{ distinct: true }, {}, {}],
  ({ n, c, l, affine }, d) => {
    const batch = n * (l ?? 1) < 2 ? 2 : n;
    const x = d.tensor(l === undefined ? [batch, c] : [batch, c, l], 0);
    return { inputs: affine ? [x, d.tensor([c], 1), d.tensor([c], 2)] : [x], params: NONE };
  },
);

/**
 * (x - mean) / sqrt(var + 1e-5) · w + b with mean and biased var over `group(idx)`'s values
 * (Ioffe & Szegedy 2015 per channel; Wu & He 2018 per sample and channel group).
 */
function refNormalize(x: TensorSpec, w: TensorSpec | undefined, b: TensorSpec | undefined, group: (idx: readonly number[]) => string): Reference {
  const members = new Map<string, number[]>();
  build(x.shape, (idx) => {
    const key = group(idx);
    members.set(key, [...(members.get(key) ?? []), at(x, idx)]);
    return 0;
  });
  return build(x.shape, (idx) => {
    const vals = members.get(group(idx))!;
    const mean = vals.reduce((s, v) => s + v, 0) / vals.length;
    const variance = vals.reduce((s, v) => s + (v - mean) * (v - mean), 0) / vals.length;
    const y = (at(x, idx) - mean) / Math.sqrt(variance + 1e-5);
    return w && b ? y * w.values[idx[1]] + b.values[idx[1]] : y;
  });
}

/** x [N, C, (L)] with C = groups · perGroup channels, per-channel weight and bias (or neither). */
const groupNormCases = cases(
  fc.record({
    n: fc.integer({ min: 1, max: 2 }),
    groups: fc.integer({ min: 1, max: 3 }),
    perGroup: fc.integer({ min: 1, max: 2 }),
    l: fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined }),
    affine: fc.boolean(),
  }),
  [{ distinct: true }, {}, {}],
  ({ n, groups, perGroup, l, affine }, d) => {
    const c = groups * perGroup;
    const x = d.tensor(l === undefined ? [n, c] : [n, c, l], 0);
    return { inputs: affine ? [x, d.tensor([c], 1), d.tensor([c], 2)] : [x], params: { groups } };
  },
);

/**
 * A weight [V, D] and int32 indices into its rows, with or without a padding row. The padding
 * row, when there is one, is an extra last row that no index picks: its lookups get no gradient
 * by design (not the derivative central differences measure), so the gradchecks run the padding
 * path (equal, where) without looking it up; norm.test.ts checks those lookups against PyTorch.
 */
const embeddingCases = cases(
  fc.record({ v: fc.integer({ min: 1, max: 5 }), dim: fc.integer({ min: 1, max: 3 }), indexShape: shapeArb({ maxRank: 2, maxDim: 3 }), padded: fc.boolean() }),
  [{}, INDEX_POOL],
  ({ v, dim, indexShape, padded }, d) => ({
    inputs: [d.tensor([padded ? v + 1 : v, dim], 0), d.indices(indexShape, v, 1)],
    params: { paddingIdx: padded ? v : null },
  }),
);

// ---- indexing, sorting, einsum (issue 10) -------------------------------------------------------

/** An index shape for x's `shape`: at most x's size off the axis, `along` entries along it. */
const alongShape = (shape: readonly number[], axis: number, shrink: readonly number[], along: number) =>
  shape.map((n, i) => (i === axis ? along : 1 + (shrink[i] % n)));

const alongStructure = fc.record({
  xa: shapeAndAxis({ maxSize: 12 }),
  shrink: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
  along: fc.integer({ min: 1, max: 3 }),
});

/** x and an int32 index of x's rank (torch.gather's contract). */
const gatherAlongCases = cases(alongStructure, [{}, INDEX_POOL], ({ xa: { shape, axis }, shrink, along }, d) => ({
  inputs: [d.tensor(shape, 0), d.indices(alongShape(shape, axis, shrink, along), shape[axis], 1)],
  params: { axis },
}));

/** x, an index of x's rank (repeats allowed) and src of the index's shape (torch.scatter's contract). */
const scatterCases = cases(alongStructure, [{}, {}, INDEX_POOL], ({ xa: { shape, axis }, shrink, along }, d) => {
  const s = alongShape(shape, axis, shrink, along);
  return { inputs: [d.tensor(shape, 0), d.indices(s, shape[axis], 2), d.tensor(s, 1)], params: { axis } };
});

/** The position in x each entry of index points at: its own coordinates, the axis's replaced by the index. */
const pointed = (idx: TensorSpec, axis: number, pos: readonly number[]) => pos.map((v, i) => (i === axis ? at(idx, pos) : v));

/** x with src written (or added) where index points, in index's row-major order: the last write wins. */
function refScatter([x, idx, src]: readonly TensorSpec[], axis: number, add: boolean): Reference {
  const out = { shape: [...x.shape], values: [...x.values] };
  const strides = x.shape.map((_, i) => sizeOfShape(x.shape.slice(i + 1)));
  build(idx.shape, (pos) => {
    const flat = pointed(idx, axis, pos).reduce((s, v, i) => s + v * strides[i], 0);
    out.values[flat] = add ? out.values[flat] + at(src, pos) : at(src, pos);
    return 0;
  });
  return out;
}

/** x [.., n, ..], m indices in [0, n) along the axis, source of x's shape with m there. */
const indexAddCases = cases(fc.record({ xa: shapeAndAxis({ maxSize: 12 }), m: fc.integer({ min: 1, max: 3 }) }), [{}, {}, INDEX_POOL], ({ xa: { shape, axis }, m }, d) => ({
  inputs: [d.tensor(shape, 0), d.indices([m], shape[axis], 2), d.tensor(shape.map((n, i) => (i === axis ? m : n)), 1)],
  params: { axis },
}));

/** Stable order of a line: NaN above every number (PyTorch's sort). */
const sortedPositions = (line: readonly number[], descending: boolean) =>
  line
    .map((v, k) => k)
    .sort((a, b) => {
      const va = line[a];
      const vb = line[b];
      const key = (v: number) => (v !== v ? 1 : 0);
      const c = key(va) - key(vb) || (va < vb ? -1 : va > vb ? 1 : 0);
      return (descending ? -c : c) || a - b;
    });

/** Distinct values: sort, topk and max are differentiable away from ties. */
const sortCases = cases(fc.record({ sa: shapeAndAxis(), descending: fc.boolean(), kSeed: fc.nat() }), [{ distinct: true }], ({ sa: { shape, axis }, descending, kSeed }, d) => ({
  inputs: [d.tensor(shape)],
  params: { axis, descending, k: 1 + (kSeed % shape[axis]) },
}));

/** Each output element from x's line along `axis` through it: out[..k..] = f(line, k); the axis has `n` entries. */
const linesTo = (x: TensorSpec, axis: number, n: number, f: (line: number[], k: number) => number): Reference =>
  build(x.shape.map((d, i) => (i === axis ? n : d)), (idx) => f(lineAt(x, idx, axis), idx[axis]));

type EinsumCase = { equation: string; reference: string; letters: string };
/** Equations with their letters; '...' stands for one dimension, named z in the reference equation. */
const EINSUMS: readonly EinsumCase[] = [
  { equation: 'ij,jk->ik', reference: 'ij,jk->ik', letters: 'ijk' },
  { equation: 'bij,bjk->bik', reference: 'bij,bjk->bik', letters: 'bijk' },
  { equation: 'ii->i', reference: 'ii->i', letters: 'i' },
  { equation: 'ij->', reference: 'ij->', letters: 'ij' },
  { equation: 'i,j', reference: 'i,j->ij', letters: 'ij' },
  { equation: '...ij,...jk', reference: 'zij,zjk->zik', letters: 'zijk' },
  { equation: 'ijk,jil->kl', reference: 'ijk,jil->kl', letters: 'ijkl' },
  { equation: 'iij,j->ji', reference: 'iij,j->ji', letters: 'ij' },
];

const einsumCases = cases(
  fc.record({ which: fc.nat({ max: EINSUMS.length - 1 }), sizes: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 5, maxLength: 5 }) }),
  [{}, {}, {}],
  ({ which, sizes }, d) => {
    const e = EINSUMS[which];
    const size = (l: string) => sizes[e.letters.indexOf(l)];
    const terms = e.reference.split('->')[0].split(',');
    return { inputs: terms.map((t, k) => d.tensor([...t].map(size), k)), params: { equation: e.equation, reference: e.reference } };
  },
);

/** The sum over every assignment of the letters not in the output, of the product of the operands. */
function refEinsum(xs: readonly TensorSpec[], equation: string): Reference {
  const [lhs, rhs] = equation.split('->');
  const terms = lhs.split(',');
  const size = new Map<string, number>();
  terms.forEach((t, k) => [...t].forEach((l, i) => size.set(l, xs[k].shape[i])));
  const out = [...rhs];
  const inner = [...size.keys()].filter((l) => !out.includes(l));
  const innerShape = inner.map((l) => size.get(l)!);
  return build(out.map((l) => size.get(l)!), (o) => {
    let total = 0;
    build(innerShape, (s) => {
      const value = (l: string) => (out.includes(l) ? o[out.indexOf(l)] : s[inner.indexOf(l)]);
      total += terms.reduce((p, t, k) => p * at(xs[k], [...t].map(value)), 1);
      return 0;
    });
    return total;
  });
}

/** Python subscripts for x: per axis an integer (negative too) or a slice start:stop:step. */
const indexCases = cases(
  fc.record({ shape: shapeArb({ minRank: 1 }), picks: fc.array(fc.tuple(fc.boolean(), fc.integer({ min: -5, max: 5 }), fc.integer({ min: -5, max: 5 }), fc.integer({ min: 1, max: 3 }), fc.boolean()), { minLength: 3, maxLength: 3 }) }),
  [{}],
  ({ shape, picks }, d) => {
    const items = shape.map((n, i) => {
      const [single, a, b, step, open] = picks[i];
      if (single) return String(((a % n) + n) % n - (a < 0 ? n : 0));
      return `${a}:${open ? '' : b}:${step}`;
    });
    return { inputs: [d.tensor(shape)], params: { items: items.join(', ') } };
  },
);

/** What Python's x[items] picks, per axis: the positions, and whether the axis stays. */
function refIndex(x: TensorSpec, items: string): Reference {
  const per = items.split(',').map((s, d) => {
    const n = x.shape[d];
    if (!s.includes(':')) return { keep: false, pos: [((Number(s) % n) + n) % n] };
    const [a, b, c] = s.split(':');
    const step = Number(c);
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
    const start = clamp(Number(a));
    const stop = b.trim() === '' ? n : clamp(Number(b));
    const pos: number[] = [];
    for (let k = start; k < stop; k += step) pos.push(k);
    return { keep: true, pos };
  });
  const full = build(per.map((p) => p.pos.length), (o) => at(x, o.map((k, d) => per[d].pos[k])));
  return { shape: per.flatMap((p) => (p.keep ? [p.pos.length] : [])), values: full.values };
}

/**
 * Every public op of core, listed once: what drives the property tests, the conformance suite
 * and the gradcheck command. Domains and kinks are handled by each op's input arbitrary.
 */
// ---- more of issue 10's functional ops: 1-D conv and pooling, transposed conv, adaptive pooling --

interface Conv1dParams {
  stride: number;
  padding: number;
  dilation: number;
  groups: number;
}

/** A [N, C, L] spec as [N, C, 1, L]: the 1-D ops' references are the 2-D ones over a height of 1. */
const asPlane = (x: TensorSpec): TensorSpec => ({ ...x, shape: [...x.shape.slice(0, -1), 1, x.shape[x.shape.length - 1]] });
/** The reference of a 2-D op over a height of 1, that height dropped again. */
const dropHeight = (r: Reference): Reference => ({ shape: r.shape.filter((_, i) => i !== 2), values: r.values });

/** x [N, C, L], weight [Cout, C/groups, k] and a bias, in a geometry that fits. */
const conv1dCases = cases(
  fc.record({
    n: fc.integer({ min: 1, max: 2 }),
    groups: fc.integer({ min: 1, max: 2 }),
    cinG: fc.integer({ min: 1, max: 2 }),
    coutG: fc.integer({ min: 1, max: 2 }),
    l: fc.integer({ min: 1, max: 6 }),
    k: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 2 }),
    padding: fc.integer({ min: 0, max: 1 }),
    dilation: fc.integer({ min: 1, max: 2 }),
    bias: fc.boolean(),
  }),
  [{}, {}, {}],
  ({ n, groups, cinG, coutG, l, k, stride, padding, dilation, bias }, d): Case<Conv1dParams> => {
    const x = d.tensor([n, groups * cinG, l], 0);
    const weight = d.tensor([groups * coutG, cinG, fitKernel(k, l, padding, dilation)], 1);
    return { inputs: bias ? [x, weight, d.tensor([groups * coutG], 2)] : [x, weight], params: { stride, padding, dilation, groups } };
  },
);

const refConv1d = (x: TensorSpec, w: TensorSpec, b: TensorSpec | undefined, p: Conv1dParams): Reference =>
  dropHeight(refConv2d(asPlane(x), asPlane(w), b, { stride: [1, p.stride], padding: [0, p.padding], dilation: [1, p.dilation], groups: p.groups }));

interface ConvTranspose2dParams {
  stride: [number, number];
  padding: [number, number];
  outputPadding: [number, number];
  dilation: [number, number];
  groups: number;
}

/** x [N, Cin, H, W], weight [Cin, Cout/groups, kH, kW] and a bias; outputPadding below stride or dilation, a non-empty output. */
const convTranspose2dCases = cases(
  fc.record({
    n: fc.integer({ min: 1, max: 2 }),
    groups: fc.integer({ min: 1, max: 2 }),
    cinG: fc.integer({ min: 1, max: 2 }),
    coutG: fc.integer({ min: 1, max: 2 }),
    hw: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    k: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    stride: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    padding: fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 })),
    outputPadding: fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 })),
    dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    bias: fc.boolean(),
  }),
  [{}, {}, {}],
  ({ n, groups, cinG, coutG, hw, k, stride, padding, outputPadding, dilation, bias }, d): Case<ConvTranspose2dParams> => {
    const cin = groups * cinG;
    const batch = n * cin * hw[0] * hw[1] > 18 ? 1 : n;
    const op = [0, 1].map((i) => Math.min(outputPadding[i], Math.max(stride[i], dilation[i]) - 1)) as [number, number];
    // No padding where it would leave an empty output.
    const pad = [0, 1].map((i) => ((hw[i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (k[i] - 1) + op[i] + 1 > 0 ? padding[i] : 0)) as [number, number];
    const x = d.tensor([batch, cin, hw[0], hw[1]], 0);
    const weight = d.tensor([cin, coutG, k[0], k[1]], 1);
    const params = { stride, padding: pad, outputPadding: op, dilation, groups };
    return { inputs: bias ? [x, weight, d.tensor([groups * coutG], 2)] : [x, weight], params };
  },
);

/** Each input element times the kernel, added at (ih·s - p + i·d, iw·s - p + j·d): the adjoint of conv2d (PyTorch's conv_transpose2d). */
function refConvTranspose2d(x: TensorSpec, w: TensorSpec, b: TensorSpec | undefined, p: ConvTranspose2dParams): Reference {
  const [N, cin, H, W] = x.shape;
  const [, coutG, kh, kw] = w.shape;
  const cinG = cin / p.groups;
  const cout = coutG * p.groups;
  const size = [H, W].map((n, i) => (n - 1) * p.stride[i] - 2 * p.padding[i] + p.dilation[i] * ([kh, kw][i] - 1) + p.outputPadding[i] + 1);
  const out = build([N, cout, size[0], size[1]], ([, o]) => (b ? b.values[o] : 0));
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < cin; c++) {
      const g = Math.floor(c / cinG);
      for (let ih = 0; ih < H; ih++) {
        for (let iw = 0; iw < W; iw++) {
          for (let o = 0; o < coutG; o++) {
            for (let i = 0; i < kh; i++) {
              for (let j = 0; j < kw; j++) {
                const oh = ih * p.stride[0] - p.padding[0] + i * p.dilation[0];
                const ow = iw * p.stride[1] - p.padding[1] + j * p.dilation[1];
                if (oh < 0 || oh >= size[0] || ow < 0 || ow >= size[1]) continue;
                out.values[((n * cout + g * coutG + o) * size[0] + oh) * size[1] + ow] += at(x, [n, c, ih, iw]) * at(w, [c, o, i, j]);
              }
            }
          }
        }
      }
    }
  }
  return out;
}

interface Pool1dParams {
  kernelSize: number;
  stride: number | undefined;
  padding: number;
  dilation: number;
  ceilMode: boolean;
}

/** x [N, C, L] with distinct values (no tie in a window) and a window that fits. */
const maxPool1dCases = cases(
  fc.record({
    n: fc.integer({ min: 1, max: 2 }),
    c: fc.integer({ min: 1, max: 2 }),
    l: fc.integer({ min: 1, max: 6 }),
    k: fc.integer({ min: 1, max: 3 }),
    stride: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    padding: fc.integer({ min: 0, max: 1 }),
    dilation: fc.integer({ min: 1, max: 2 }),
    ceilMode: fc.boolean(),
  }),
  [{ distinct: true }],
  ({ n, c, l, k, stride, padding, dilation, ceilMode }, d): Case<Pool1dParams> => {
    // As for maxPool2d: dilation only without padding, padding at most half the kernel.
    const dil = padding === 0 ? dilation : 1;
    const kernelSize = fitKernel(k, l, Math.min(padding, Math.floor(k / 2)), dil);
    return { inputs: [d.tensor([n, c, l], 0)], params: { kernelSize, stride, padding: Math.min(padding, Math.floor(kernelSize / 2)), dilation: dil, ceilMode } };
  },
);

/** x [N, C, H, W] and an output size per axis, at most the input's (null keeps it). */
const adaptivePoolCases = cases(
  fc.record({
    n: fc.integer({ min: 1, max: 2 }),
    c: fc.integer({ min: 1, max: 2 }),
    hw: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
    out: fc.tuple(fc.option(fc.nat(), { nil: null, freq: 4 }), fc.option(fc.nat(), { nil: null, freq: 4 })),
  }),
  [{}],
  ({ n, c, hw, out }, d) => ({
    inputs: [d.tensor([n, c, hw[0], hw[1]], 0)],
    params: { outputSize: out.map((o, i) => (o === null ? null : 1 + (o % (hw[i] + 1)))) as [number | null, number | null] },
  }),
);

/** Output cell (i, j) averages rows floor(i·H/oh) .. ceil((i+1)·H/oh) and likewise columns (PyTorch's adaptive_avg_pool2d). */
function refAdaptiveAvgPool2d(x: TensorSpec, outputSize: readonly (number | null)[]): Reference {
  const [N, C, H, W] = x.shape;
  const [oh, ow] = outputSize.map((o, i) => o ?? [H, W][i]);
  return build([N, C, oh, ow], ([n, c, i, j]) => {
    const [r0, r1] = [Math.floor((i * H) / oh), Math.ceil(((i + 1) * H) / oh)];
    const [c0, c1] = [Math.floor((j * W) / ow), Math.ceil(((j + 1) * W) / ow)];
    let s = 0;
    for (let r = r0; r < r1; r++) for (let q = c0; q < c1; q++) s += at(x, [n, c, r, q]);
    return s / ((r1 - r0) * (c1 - c0));
  });
}

// ---- more of issue 10's tensor API: std, repeat/tile, split/chunk/unbind, masks ----------------

/** Distinct values (no constant line: std's root is smooth there); correction 1 only on lines of two or more. */
const stdCases = cases(fc.record({ sa: shapeAndAxis(), unbiased: fc.boolean() }), [{ distinct: true }], ({ sa: { shape, axis }, unbiased }, d) => ({
  inputs: [d.tensor(shape)],
  params: { axis, correction: unbiased && shape[axis] > 1 ? 1 : 0 },
}));

/** x of rank <= 3 and a count per axis (0-1 extra leading axes), at most 24 output values. */
const repeatCases = cases(
  fc.record({ shape: shapeArb({ maxSize: 6 }), extra: fc.integer({ min: 0, max: 1 }), counts: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 4, maxLength: 4 }), short: fc.nat() }),
  [{}],
  ({ shape, extra, counts, short }, d) => {
    const repeats = counts.slice(0, shape.length + extra);
    // Counts of 1 from the left until the output fits (a map, so shrinking still works).
    for (let i = 0; i < repeats.length && sizeOfShape(shape) * sizeOfShape(repeats) > 24; i++) repeats[i] = 1;
    // tile takes fewer reps than axes too (padded with leading 1s): drop some from the front.
    return { inputs: [d.tensor(shape)], params: { repeats, reps: repeats.slice(short % (repeats.length + 1)) } };
  },
);

/** Output element idx is x at idx modulo x's (left-padded) shape: torch.Tensor.repeat / np.tile. */
function refRepeat(x: TensorSpec, repeats: readonly number[]): Reference {
  const shape = [...new Array<number>(repeats.length - x.shape.length).fill(1), ...x.shape];
  return build(shape.map((s, i) => s * repeats[i]), (idx) => at({ shape, values: x.values }, idx.map((v, i) => v % shape[i])));
}

interface SplitParams {
  axis: number;
  /** A split size, or section sizes summing to the axis length. */
  sizes: number | number[];
}

/** x, an axis, and a split size or sections of it. */
const splitCases = cases(
  fc.record({ sa: shapeAndAxis(), size: fc.integer({ min: 1, max: 4 }), cuts: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), sections: fc.boolean() }),
  [{}],
  ({ sa: { shape, axis }, size, cuts, sections }, d): Case<SplitParams> => {
    // Sections: cut the axis after each position whose flag is set (a flag past the end is ignored).
    const n = shape[axis];
    const parts: number[] = [];
    let last = 0;
    for (let i = 1; i < n; i++) {
      if (cuts[i - 1]) {
        parts.push(i - last);
        last = i;
      }
    }
    parts.push(n - last);
    return { inputs: [d.tensor(shape)], params: { axis, sizes: sections ? parts : size } };
  },
);

/** The pieces scaled by 1, 2, 3, ... and joined again: a wrong order or size changes the result. */
const scaledJoin = (parts: Tensor[], axis: number) => concat(parts.map((p, k) => p.mul(k + 1)), axis);

/** Each element times 1 + the index of the piece it falls in, pieces of `sizes` along `axis`. */
function refPieces(x: TensorSpec, axis: number, sizes: readonly number[]): Reference {
  const piece: number[] = sizes.flatMap((s, k) => new Array<number>(s).fill(k));
  return build(x.shape, (idx) => at(x, idx) * (piece[idx[axis]] + 1));
}

/** Split sizes along an axis of n: `size` each, the last smaller (torch.split). */
const bySize = (n: number, size: number) => range(Math.ceil(n / size)).map((k) => Math.min(size, n - k * size));

/** x and a mask that broadcasts to it (a suffix of x's shape, some dimensions 1); a fill value. */
const maskedFillCases = cases(
  fc.record({ shape: shapeArb(), drop: fc.integer({ min: 0, max: 3 }), ones: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), value: fc.constantFrom(0, -1.5, 3.25) }),
  [{}, BOOL_POOL],
  ({ shape, drop, ones, value }, d) => {
    const m = shape.slice(Math.min(drop, shape.length)).map((dim, i) => (ones[i] ? 1 : dim));
    return { inputs: [d.tensor(shape, 0), d.mask(m, 1)], params: { value } };
  },
);

/** int32 indices in [0, numClasses). */
const oneHotCases = cases(fc.record({ shape: shapeArb({ maxRank: 2 }), numClasses: fc.integer({ min: 1, max: 4 }) }), [INDEX_POOL], ({ shape, numClasses }, d) => ({
  inputs: [d.indices(shape, numClasses, 0)],
  params: { numClasses },
}));

/** Values in {-1, 0, 1} (plus the edge values), so zeros are common; an axis or all of them. */
const allAnyCases = cases(
  fc.record({ sa: shapeAndAxis(), whole: fc.boolean(), keepDims: fc.boolean() }),
  [{ min: -1, max: 1, step: 1 }],
  ({ sa: { shape, axis }, whole, keepDims }, d) => ({ inputs: [d.tensor(shape)], params: { axis: whole ? undefined : axis, keepDims } }),
);

/** f over each line along `axis` (every element when axis is undefined), keeping the axes or not. */
function refReduceBool(x: TensorSpec, axis: number | undefined, keepDims: boolean, f: (line: number[]) => boolean): Reference {
  if (axis === undefined) {
    const v = Number(f([...x.values]));
    return { shape: keepDims ? x.shape.map(() => 1) : [], values: [v] };
  }
  const r = reduceLines(x, axis, (line) => Number(f(line)));
  return keepDims ? { shape: x.shape.map((d, i) => (i === axis ? 1 : d)), values: r.values } : r;
}

// ---- the recurrent and attention layers' functional paths (@tsgrad/layers) -----------------------

interface RnnParams {
  mode: 'lstm' | 'gru';
  steps: number;
  bias: boolean;
}

/**
 * A short sequence x [T, N, I], initial state(s) [N, H] and the cell's weights [G·H, I],
 * [G·H, H] (and biases [G·H]), values in [-1, 1] so the gates stay away from saturation.
 */
const rnnCases = (mode: 'lstm' | 'gru') =>
  cases(
    fc.record({
      steps: fc.integer({ min: 1, max: 2 }),
      n: fc.integer({ min: 1, max: 2 }),
      i: fc.integer({ min: 1, max: 2 }),
      h: fc.integer({ min: 1, max: 2 }),
      bias: fc.boolean(),
    }),
    [{ min: -1, max: 1 }, { min: -1, max: 1 }, { min: -1, max: 1 }],
    ({ steps, n, i, h, bias }, d): Case<RnnParams> => {
      const G = mode === 'lstm' ? 4 : 3;
      const states = mode === 'lstm' ? [d.tensor([n, h], 0), d.tensor([n, h], 0)] : [d.tensor([n, h], 0)];
      const weights = [d.tensor([G * h, i], 1), d.tensor([G * h, h], 1)];
      const biases = bias ? [d.tensor([G * h], 2), d.tensor([G * h], 2)] : [];
      return { inputs: [d.tensor([steps, n, i], 0), ...states, ...weights, ...biases], params: { mode, steps, bias } };
    },
  );

/** The loop LSTM and GRU run over time, one functional step each: the outputs of every step, stacked (and the last cell state). */
const runRnn = ({ mode }: RnnParams) => (...t: Tensor[]): Tensor => {
  const [x, ...rest] = t;
  if (mode === 'lstm') {
    const [h0, c0, wIh, wHh, bIh, bHh] = rest;
    let hc: [Tensor, Tensor] = [h0, c0];
    const ys: Tensor[] = [];
    for (const xt of x.unbind(0)) {
      hc = lstmCell(xt, hc, wIh, wHh, bIh ?? null, bHh ?? null);
      ys.push(hc[0]);
    }
    return concat([stack(ys, 0), hc[1].unsqueeze(0)], 0);
  }
  const [h0, wIh, wHh, bIh, bHh] = rest;
  let h = h0;
  const ys: Tensor[] = [];
  for (const xt of x.unbind(0)) {
    h = gruCell(xt, h, wIh, wHh, bIh ?? null, bHh ?? null);
    ys.push(h);
  }
  return stack(ys, 0);
};

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** PyTorch's LSTM (gates i, f, g, o) and GRU (r, z, n; b_hn inside r's product) equations, step by step in float64. */
function refRnn(inputs: readonly TensorSpec[], { mode, bias }: RnnParams): Reference {
  const lstm = mode === 'lstm';
  const [x, ...rest] = inputs;
  const [T, N, I] = x.shape;
  const [h0, c0] = lstm ? rest : [rest[0], undefined];
  const [wIh, wHh, bIh, bHh] = rest.slice(lstm ? 2 : 1);
  const H = h0.shape[1];
  const G = lstm ? 4 : 3;
  const out: number[] = [];
  let h = [...h0.values];
  let c = c0 ? [...c0.values] : [];
  for (let t = 0; t < T; t++) {
    const hNext: number[] = [];
    const cNext: number[] = [];
    for (let n = 0; n < N; n++) {
      // gi[r] = W_ih[r]·x + b_ih[r], gh[r] = W_hh[r]·h + b_hh[r] for each of the G·H rows.
      const gi = range(G * H).map((r) => range(I).reduce((s, k) => s + at(wIh, [r, k]) * at(x, [t, n, k]), bias ? bIh.values[r] : 0));
      const gh = range(G * H).map((r) => range(H).reduce((s, k) => s + at(wHh, [r, k]) * h[n * H + k], bias ? bHh.values[r] : 0));
      for (let j = 0; j < H; j++) {
        if (lstm) {
          const g = (q: number) => gi[q * H + j] + gh[q * H + j];
          const cj = sigmoid(g(1)) * c[n * H + j] + sigmoid(g(0)) * Math.tanh(g(2));
          cNext.push(cj);
          hNext.push(sigmoid(g(3)) * Math.tanh(cj));
        } else {
          const r = sigmoid(gi[j] + gh[j]);
          const z = sigmoid(gi[H + j] + gh[H + j]);
          const nn = Math.tanh(gi[2 * H + j] + r * gh[2 * H + j]);
          hNext.push((1 - z) * nn + z * h[n * H + j]);
        }
      }
    }
    h = hNext;
    c = cNext;
    out.push(...h);
  }
  return lstm ? { shape: [T + 1, N, H], values: [...out, ...c] } : { shape: [T, N, H], values: out };
}

interface MhaParams {
  numHeads: number;
  selfAttention: boolean;
  batchFirst: boolean;
  bias: boolean;
  causal: boolean;
}

/**
 * query [L, N, E] (key and value [S, N, E], or the query itself for self-attention), batch-first
 * or not, with E = numHeads · headDim; in_proj [3E, E], out_proj [E, E] and their biases.
 */
const mhaCases = cases(
  fc.record({
    numHeads: fc.integer({ min: 1, max: 2 }),
    headDim: fc.integer({ min: 1, max: 2 }),
    l: fc.integer({ min: 1, max: 2 }),
    s: fc.integer({ min: 1, max: 2 }),
    n: fc.integer({ min: 1, max: 2 }),
    selfAttention: fc.boolean(),
    batchFirst: fc.boolean(),
    bias: fc.boolean(),
    causal: fc.boolean(),
  }),
  [{ min: -1, max: 1 }, { min: -1, max: 1 }, { min: -1, max: 1 }],
  ({ numHeads, headDim, l, s, n, selfAttention, batchFirst, bias, causal }, d): Case<MhaParams> => {
    const E = numHeads * headDim;
    const seq = (len: number) => (batchFirst ? [n, len, E] : [len, n, E]);
    const qkv = selfAttention ? [d.tensor(seq(l), 0)] : [d.tensor(seq(l), 0), d.tensor(seq(s), 0), d.tensor(seq(s), 0)];
    const weights = [d.tensor([3 * E, E], 1), d.tensor([E, E], 1)];
    const biases = bias ? [d.tensor([3 * E], 2), d.tensor([E], 2)] : [];
    return { inputs: [...qkv, ...weights, ...biases], params: { numHeads, selfAttention, batchFirst, bias, causal } };
  },
);

/**
 * Multi-head attention in float64 (Vaswani et al. 2017, PyTorch's multi_head_attention_forward):
 * q, k, v = x·W_{q,k,v}ᵀ + b; per head softmax(q·kᵀ/√D + causal mask)·v (max subtracted first,
 * NaN winning as in refAttention); heads joined, then ·W_outᵀ + b_out; the weights averaged over
 * the heads. Output and weights flattened and joined, as runMha returns them.
 */
function refMha(inputs: readonly TensorSpec[], { numHeads, selfAttention, batchFirst, bias, causal }: MhaParams): Reference {
  const [q, k, v] = selfAttention ? [inputs[0], inputs[0], inputs[0]] : inputs;
  const [wIn, wOut, bIn, bOut] = inputs.slice(selfAttention ? 1 : 3);
  const E = wIn.shape[1];
  const D = E / numHeads;
  const [N, L] = batchFirst ? q.shape : [q.shape[1], q.shape[0]];
  const S = k.shape[batchFirst ? 1 : 0];
  const get = (t: TensorSpec, n: number, s: number, e: number) => at(t, batchFirst ? [n, s, e] : [s, n, e]);
  // part 0, 1, 2: the q, k, v projection of t's element (n, s), feature r.
  const proj = (t: TensorSpec, part: number, n: number, s: number, r: number) =>
    range(E).reduce((acc, e) => acc + at(wIn, [part * E + r, e]) * get(t, n, s, e), 0) + (bias ? bIn.values[part * E + r] : 0);
  const out = new Array<number>(N * L * E).fill(0);
  const avg = new Array<number>(N * L * S).fill(0);
  for (let n = 0; n < N; n++) {
    const Q = range(L).map((i) => range(E).map((r) => proj(q, 0, n, i, r)));
    const K = range(S).map((j) => range(E).map((r) => proj(k, 1, n, j, r)));
    const V = range(S).map((j) => range(E).map((r) => proj(v, 2, n, j, r)));
    for (let i = 0; i < L; i++) {
      const ctx = new Array<number>(E).fill(0);
      for (let h = 0; h < numHeads; h++) {
        const scores = range(S).map((j) => {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += Q[i][h * D + d] * K[j][h * D + d];
          return dot * (1 / Math.sqrt(D)) + (causal && j > i ? -Infinity : 0);
        });
        const top = scores.reduce((a, x) => (a !== a ? a : x !== x || x > a ? x : a), -Infinity);
        const ex = scores.map((x) => Math.exp(x - top));
        const total = ex.reduce((a, x) => a + x, 0);
        ex.forEach((x, j) => {
          avg[(n * L + i) * S + j] += x / total;
          for (let d = 0; d < D; d++) ctx[h * D + d] += (x / total) * V[j][h * D + d];
        });
      }
      for (let o = 0; o < E; o++) {
        const y = range(E).reduce((acc, c) => acc + at(wOut, [o, c]) * ctx[c], 0) + (bias ? bOut.values[o] : 0);
        out[(batchFirst ? n * L + i : i * N + n) * E + o] = y;
      }
    }
  }
  return { shape: [out.length + avg.length], values: [...out, ...avg.map((w) => w / numHeads)] };
}

/** MultiheadAttention's pass as a function of its weights: the output and the head-averaged weights, flattened and joined. */
const runMha = ({ numHeads, selfAttention, batchFirst, bias, causal }: MhaParams) => (...t: Tensor[]): Tensor => {
  const [q, k, v] = selfAttention ? [t[0], t[0], t[0]] : t;
  const [wIn, wOut, bIn, bOut] = t.slice(selfAttention ? 1 : 3);
  const [out, weights] = multiheadAttentionForward(q, k, v, numHeads, wIn, wOut, {
    inProjBias: bias ? bIn : null,
    outProjBias: bias ? bOut : null,
    batchFirst,
    isCausal: causal,
  });
  return concat([out.reshape([-1]), weights!.reshape([-1])], 0);
};

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
  entry<{ perm: number[] }>({
    // A permuted view (no copy) made row-major by the one strided copy, `contiguous`.
    name: 'contiguous',
    primitives: ['permute', 'contiguous'],
    cases: permuteCases,
    fn: ({ perm }) => (x) => x.permute(perm).contiguous(),
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
    name: 'indexSelect',
    primitives: ['gather'],
    cases: gatherCases,
    fn: ({ axis }) => (x, idx) => indexSelect(x, idx, axis),
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
  // The functional forms of @tsgrad/layers' sequence layers: composites checked on every backend.
  entry<{ normalizedShape: number[] }>({
    name: 'layerNorm',
    primitives: ['sum', 'div', 'sub', 'mul', 'add', 'sqrt'],
    cases: layerNormCases,
    fn: ({ normalizedShape }) => (x, w, b) => layerNorm(x, normalizedShape, w ?? null, b ?? null),
    reference: ([x, w, b], { normalizedShape }) => refLayerNorm(x, w, b, normalizedShape),
  }),
  entry<{ mask: AttentionMaskKind }>({
    name: 'scaledDotProductAttention',
    primitives: ['matmul', 'mul', 'add', 'max', 'sub', 'exp', 'sum', 'div'],
    cases: attentionCases,
    fn: ({ mask }) => (q, k, v, m) => scaledDotProductAttention(q, k, v, { attnMask: m ?? null, isCausal: mask === 'causal' }),
    reference: ([q, k, v, m], { mask }) => refAttention(q, k, v, m, mask === 'causal'),
  }),
  // Convolution and pooling (core's ops/conv.ts): composites of pad, gather (im2col), matmul, argmax.
  entry<Conv2dParams>({
    name: 'conv2d',
    primitives: ['pad', 'gather', 'matmul', 'add'],
    cases: conv2dCases,
    fn: (p) => (x, w, b) => conv2d(x, w, b, p),
    reference: ([x, w, b], p) => refConv2d(x, w, b, p),
  }),
  entry<Pool2dParams>({
    name: 'maxPool2d',
    primitives: ['pad', 'gather', 'argmax', 'add'],
    // Distinct values: no tie inside a window, where central differences would split the gradient.
    cases: pool2dCases(true, true),
    fn: ({ kernelSize, stride, padding, dilation, ceilMode }) => (x) => maxPool2d(x, kernelSize, { stride, padding, dilation, ceilMode }),
    // The first maximum in row-major order, a NaN counting as the largest (argmax's rule).
    reference: ([x], p) =>
      poolWindows(x, p, -Infinity, (_, values) => {
        let best = values[0];
        for (let k = 1; k < values.length && best === best; k++) if (values[k] > best || values[k] !== values[k]) best = values[k];
        return best;
      }),
  }),
  entry<Pool2dParams>({
    name: 'avgPool2d',
    primitives: ['pad', 'gather', 'sum', 'div'],
    cases: pool2dCases(false, false),
    fn: ({ kernelSize, stride, padding, ceilMode, countIncludePad }) => (x) => avgPool2d(x, kernelSize, { stride, padding, ceilMode, countIncludePad }),
    reference: ([x], p) =>
      poolWindows(x, p, 0, (_, values, { pool, valid }) => values.reduce((a, v) => a + v, 0) / (p.countIncludePad ? pool : valid === 0 ? 1 : valid)),
  }),
  // The normalization and embedding layers' functional forms (@tsgrad/layers/src/norm.ts, embedding.ts).
  entry({
    name: 'batchNorm',
    primitives: ['sum', 'div', 'sub', 'mul', 'add', 'sqrt'],
    cases: batchNormCases,
    // Training mode: the batch's statistics (the path with a gradient through mean and variance).
    fn: () => (x, w, b) => batchNorm(x, null, null, w ?? null, b ?? null, { training: true }),
    reference: ([x, w, b]) => refNormalize(x, w, b, (idx) => String(idx[1])),
  }),
  entry<{ groups: number }>({
    name: 'groupNorm',
    primitives: ['sum', 'div', 'sub', 'mul', 'add', 'sqrt'],
    cases: groupNormCases,
    fn: ({ groups }) => (x, w, b) => groupNorm(x, groups, w ?? null, b ?? null),
    reference: ([x, w, b], { groups }) => refNormalize(x, w, b, (idx) => `${idx[0]}:${Math.floor(idx[1] / (x.shape[1] / groups))}`),
  }),
  entry<{ paddingIdx: number | null }>({
    name: 'embedding',
    primitives: ['gather', 'equal', 'where'],
    cases: embeddingCases,
    fn: ({ paddingIdx }) => (w, idx) => embedding(idx, w, { paddingIdx }),
    reference: ([w, idx]) => build([...idx.shape, w.shape[1]], (o) => at(w, [idx.values[o.slice(0, -1).reduce((f, v, i) => f * idx.shape[i] + v, 0)], o[o.length - 1]])),
  }),
  // Indexing, sorting and einsum (issue 10): composites of gather/scatterAdd/argsort/matmul.
  entry<{ axis: number }>({
    name: 'gather',
    primitives: ['mul', 'add', 'gather'],
    cases: gatherAlongCases,
    fn: ({ axis }) => (x, idx) => x.gather(axis, idx),
    reference: ([x, idx], { axis }) => build(idx.shape, (pos) => at(x, pointed(idx, axis, pos))),
  }),
  entry<{ axis: number }>({
    name: 'scatter',
    primitives: ['argsort', 'gather', 'scatterAdd', 'notEqual', 'greater', 'where'],
    cases: scatterCases,
    fn: ({ axis }) => (x, idx, src) => x.scatter(axis, idx, src),
    reference: (inputs, { axis }) => refScatter(inputs, axis, false),
  }),
  entry<{ axis: number }>({
    name: 'scatterAdd (torch.scatter_add)',
    primitives: ['scatterAdd', 'add'],
    cases: scatterCases,
    fn: ({ axis }) => (x, idx, src) => x.scatterAdd(axis, idx, src),
    reference: (inputs, { axis }) => refScatter(inputs, axis, true),
  }),
  entry<{ axis: number }>({
    name: 'indexAdd',
    primitives: ['scatterAdd', 'add'],
    cases: indexAddCases,
    fn: ({ axis }) => (x, idx, src) => x.indexAdd(axis, idx, src),
    reference: ([x, idx, src], { axis }) => {
      const out = { shape: [...x.shape], values: [...x.values] };
      const strides = x.shape.map((_, i) => sizeOfShape(x.shape.slice(i + 1)));
      build(src.shape, (pos) => {
        const target = pos.map((v, i) => (i === axis ? idx.values[v] : v));
        out.values[target.reduce((s, v, i) => s + v * strides[i], 0)] += at(src, pos);
        return 0;
      });
      return out;
    },
  }),
  entry<{ axis: number; descending: boolean; k: number }>({
    name: 'sort',
    primitives: ['argsort', 'gather'],
    cases: sortCases,
    fn: ({ axis, descending }) => (x) => x.sort(axis, descending).values,
    reference: ([x], { axis, descending }) => mapLines(x, axis, (line, k) => line[sortedPositions(line, descending)[k]]),
  }),
  entry<{ axis: number; descending: boolean; k: number }>({
    name: 'topk',
    primitives: ['argsort', 'slice', 'gather'],
    cases: sortCases,
    // descending picks largest (true) or smallest (false).
    fn: ({ axis, descending, k }) => (x) => x.topk(k, axis, descending).values,
    reference: ([x], { axis, descending, k }) => linesTo(x, axis, k, (line, j) => line[sortedPositions(line, descending)[j]]),
  }),
  entry<{ axis: number; keepDims: boolean }>({
    name: 'max (values and indices over one axis)',
    primitives: ['argmax', 'gather'],
    cases: argmaxCases,
    fn: ({ axis, keepDims }) => (x) => x.max(axis, keepDims).values,
    reference: ([x], { axis, keepDims }) => {
      // The first NaN if any (NaN counts as largest), else the largest.
      const r = linesTo(x, axis, 1, (line) => line[sortedPositions(line, true)[0]]);
      return keepDims ? r : { shape: r.shape.filter((_, i) => i !== axis), values: r.values };
    },
  }),
  entry<{ axis: number }>({
    name: 'cumprod',
    primitives: ['slice', 'pad', 'mul'],
    cases: axisCases(),
    fn: ({ axis }) => (x) => x.cumprod(axis),
    reference: ([x], { axis }) => mapLines(x, axis, (line, k) => line.slice(0, k + 1).reduce((a, v) => a * v, 1)),
  }),
  entry<{ equation: string; reference: string }>({
    name: 'einsum',
    primitives: ['gather', 'sum', 'permute', 'matmul'],
    cases: einsumCases,
    fn: ({ equation }) => (...xs) => einsum(equation, ...xs),
    reference: (xs, { reference }) => refEinsum(xs, reference),
  }),
  entry<{ items: string }>({
    name: 'index',
    primitives: ['slice', 'gather'],
    cases: indexCases,
    fn: ({ items }) => (x) => x.index(items),
    reference: ([x], { items }) => refIndex(x, items),
  }),
  // More of issue 10's functional ops: 1-D convolution and pooling, transposed and adaptive forms.
  entry<Conv1dParams>({
    name: 'conv1d',
    primitives: ['pad', 'gather', 'matmul', 'add'],
    cases: conv1dCases,
    fn: (p) => (x, w, b) => conv1d(x, w, b, p),
    reference: ([x, w, b], p) => refConv1d(x, w, b, p),
  }),
  entry<ConvTranspose2dParams>({
    name: 'convTranspose2d',
    primitives: ['matmul', 'scatterAdd', 'slice', 'add'],
    cases: convTranspose2dCases,
    fn: (p) => (x, w, b) => convTranspose2d(x, w, b, p),
    reference: ([x, w, b], p) => refConvTranspose2d(x, w, b, p),
  }),
  entry<Pool1dParams>({
    name: 'maxPool1d',
    primitives: ['pad', 'gather', 'argmax'],
    cases: maxPool1dCases,
    fn: ({ kernelSize, stride, padding, dilation, ceilMode }) => (x) => maxPool1d(x, kernelSize, { stride, padding, dilation, ceilMode }),
    // maxPool2d's reference over a height of 1: the first maximum, a NaN counting as the largest.
    reference: ([x], p) =>
      dropHeight(
        poolWindows(
          asPlane(x),
          { kernelSize: [1, p.kernelSize], stride: p.stride === undefined ? undefined : [1, p.stride], padding: [0, p.padding], dilation: [1, p.dilation], ceilMode: p.ceilMode, countIncludePad: false },
          -Infinity,
          (_, values) => {
            let best = values[0];
            for (let k = 1; k < values.length && best === best; k++) if (values[k] > best || values[k] !== values[k]) best = values[k];
            return best;
          },
        ),
      ),
  }),
  entry<{ outputSize: [number | null, number | null] }>({
    name: 'adaptiveAvgPool2d',
    primitives: ['pad', 'gather', 'sum', 'div'],
    cases: adaptivePoolCases,
    fn: ({ outputSize }) => (x) => adaptiveAvgPool2d(x, outputSize),
    reference: ([x], { outputSize }) => refAdaptiveAvgPool2d(x, outputSize),
  }),
  // More of issue 10's tensor API.
  entry<{ axis: number; correction: number }>({
    name: 'std',
    primitives: ['sum', 'div', 'sub', 'mul', 'equal', 'where', 'sqrt'],
    cases: stdCases,
    fn: ({ axis, correction }) => (x) => x.std(axis, { correction }),
    reference: ([x], { axis, correction }) =>
      reduceLines(x, axis, (line) => {
        const m = line.reduce((a, v) => a + v, 0) / line.length;
        return Math.sqrt(line.reduce((a, v) => a + (v - m) * (v - m), 0) / (line.length - correction));
      }),
  }),
  entry<{ repeats: number[]; reps: number[] }>({
    name: 'repeat',
    primitives: ['expand', 'contiguous'],
    cases: repeatCases,
    fn: ({ repeats }) => (x) => x.repeat(repeats),
    reference: ([x], { repeats }) => refRepeat(x, repeats),
  }),
  entry<{ repeats: number[]; reps: number[] }>({
    name: 'tile',
    primitives: ['expand', 'contiguous'],
    cases: repeatCases,
    fn: ({ reps }) => (x) => x.tile(reps),
    reference: ([x], { reps }) => refRepeat(x, [...new Array<number>(Math.max(0, x.shape.length - reps.length)).fill(1), ...reps]),
  }),
  entry<SplitParams>({
    name: 'split',
    primitives: ['slice', 'mul', 'concat'],
    cases: splitCases,
    fn: ({ axis, sizes }) => (x) => scaledJoin(x.split(sizes, axis), axis),
    reference: ([x], { axis, sizes }) => refPieces(x, axis, typeof sizes === 'number' ? bySize(x.shape[axis], sizes) : sizes),
  }),
  entry<SplitParams>({
    name: 'chunk',
    primitives: ['slice', 'mul', 'concat'],
    // The split size read as a number of chunks.
    cases: splitCases,
    fn: ({ axis, sizes }) => (x) => scaledJoin(x.chunk(typeof sizes === 'number' ? sizes : sizes.length, axis), axis),
    reference: ([x], { axis, sizes }) => {
      const chunks = typeof sizes === 'number' ? sizes : sizes.length;
      return refPieces(x, axis, bySize(x.shape[axis], Math.ceil(x.shape[axis] / chunks)));
    },
  }),
  entry<{ axis: number }>({
    name: 'unbind',
    primitives: ['slice', 'mul', 'concat'],
    cases: axisCases(),
    // Each slice scaled by 1 + its index, stacked back along the axis.
    fn: ({ axis }) => (x) => stack(x.unbind(axis).map((p, k) => p.mul(k + 1)), axis),
    reference: ([x], { axis }) => build(x.shape, (idx) => at(x, idx) * (idx[axis] + 1)),
  }),
  entry<{ value: number }>({
    name: 'maskedFill',
    primitives: ['where'],
    cases: maskedFillCases,
    fn: ({ value }) => (x, m) => x.maskedFill(m, value),
    reference: ([x, m], { value }) => build(x.shape, (idx) => (at(m, idx) ? value : at(x, idx))),
  }),
  entry({
    name: 'clone',
    primitives: ['mul'],
    cases: tensorArb().map((x) => ({ inputs: [x], params: NONE })),
    fn: () => (x) => x.clone(),
    reference: ([x]) => refUnary(x, (v) => v),
  }),
  // The recurrent and attention layers through their functional paths, weights as inputs (gradients checked for them too).
  entry<RnnParams>({
    name: 'lstm (lstmCell over a sequence)',
    primitives: ['matmul', 'add', 'sigmoid', 'tanh', 'mul', 'slice', 'concat'],
    cases: rnnCases('lstm'),
    fn: runRnn,
    reference: refRnn,
  }),
  entry<RnnParams>({
    name: 'gru (gruCell over a sequence)',
    primitives: ['matmul', 'add', 'sigmoid', 'tanh', 'mul', 'neg', 'slice', 'concat'],
    cases: rnnCases('gru'),
    fn: runRnn,
    reference: refRnn,
  }),
  entry<MhaParams>({
    name: 'multiheadAttentionForward',
    primitives: ['matmul', 'add', 'mul', 'max', 'sub', 'exp', 'sum', 'div', 'permute', 'concat'],
    cases: mhaCases,
    fn: runMha,
    reference: refMha,
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
  entry<{ axis: number; descending: boolean; k: number }>({
    name: 'argsort',
    differentiable: false,
    primitives: ['argsort'],
    // Not distinct: the edge values add ties, NaN and infinities, whose order every backend must keep.
    cases: cases(fc.record({ sa: shapeAndAxis(), descending: fc.boolean() }), [{}], ({ sa: { shape, axis }, descending }, d) => ({
      inputs: [d.tensor(shape)],
      params: { axis, descending, k: 0 },
    })),
    fn: ({ axis, descending }) => (x) => x.argsort(axis, descending),
    reference: ([x], { axis, descending }) => mapLines(x, axis, (line, k) => sortedPositions(line, descending)[k]),
  }),  entry<{ numClasses: number }>({
    name: 'oneHot',
    differentiable: false,
    primitives: ['equal', 'cast'],
    cases: oneHotCases,
    fn: ({ numClasses }) => (idx) => oneHot(idx, numClasses),
    reference: ([idx], { numClasses }) => build([...idx.shape, numClasses], (o) => Number(at(idx, o.slice(0, -1)) === o[o.length - 1])),
  }),
  entry({
    name: 'isnan',
    differentiable: false,
    primitives: ['notEqual'],
    cases: tensorArb().map((x) => ({ inputs: [x], params: NONE })),
    fn: () => (x) => x.isnan(),
    reference: ([x]) => refUnary(x, (v) => Number(v !== v)),
  }),
  entry({
    name: 'isfinite',
    differentiable: false,
    primitives: ['sub', 'equal'],
    cases: tensorArb().map((x) => ({ inputs: [x], params: NONE })),
    fn: () => (x) => x.isfinite(),
    reference: ([x]) => refUnary(x, (v) => Number(Number.isFinite(v))),
  }),
  entry<{ axis: number | undefined; keepDims: boolean }>({
    name: 'all',
    differentiable: false,
    primitives: ['equal', 'cast', 'sum'],
    cases: allAnyCases,
    fn: ({ axis, keepDims }) => (x) => x.all(axis, keepDims),
    // NaN counts as non-zero (PyTorch).
    reference: ([x], { axis, keepDims }) => refReduceBool(x, axis, keepDims, (line) => line.every((v) => v !== 0)),
  }),
  entry<{ axis: number | undefined; keepDims: boolean }>({
    name: 'any',
    differentiable: false,
    primitives: ['notEqual', 'cast', 'sum', 'greater'],
    cases: allAnyCases,
    fn: ({ axis, keepDims }) => (x) => x.any(axis, keepDims),
    reference: ([x], { axis, keepDims }) => refReduceBool(x, axis, keepDims, (line) => line.some((v) => v !== 0)),
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
