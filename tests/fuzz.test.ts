/**
 * A fuzz test of the public API (issue 8). fast-check draws calls to every public op and module
 * (core ops, creation functions, activations, losses, layers, optimizers) with valid and invalid
 * shapes, axes, dtypes and argument types, NaN/±Infinity, empty and 0-d tensors and disposed
 * tensors. Each call is checked against a plain-JS reference written here from PyTorch 1.13's
 * documented semantics (the `ref` of each case):
 *  - valid call   → it must return, and its shape, dtype and values must match the reference
 *                   (NaN matches NaN; floats within a tolerance of the dtype);
 *  - invalid call → it must throw a TsgradError whose message names the op.
 * Anything else fails: a silent result on invalid input, a refused valid call, a generic JS error
 * (TypeError, RangeError...) or an error that does not name the op.
 * The seed is fixed in CI and random locally (tests/fast-check-setup.ts; TSGRAD_FC_SEED replays).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import * as T from 'tsgrad';
import { F, Tensor, TsgradError, nn, optim, tensor, tidy } from 'tsgrad';

// ---- plain-JS arrays -------------------------------------------------------------------------

type DT = 'float32' | 'float64' | 'int32' | 'bool';
const DTYPES: DT[] = ['float32', 'float64', 'int32', 'bool'];
interface Arr {
  readonly shape: number[];
  readonly dtype: DT;
  readonly data: number[];
}
const isFloatDT = (d: DT) => d === 'float32' || d === 'float64';
const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const stridesOf = (s: readonly number[]) => {
  const st = new Array<number>(s.length);
  let k = 1;
  for (let i = s.length - 1; i >= 0; i--) {
    st[i] = k;
    k *= s[i];
  }
  return st;
};
const unravel = (i: number, shape: readonly number[]) => {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = shape[d] === 0 ? 0 : i % shape[d];
    i = shape[d] === 0 ? 0 : Math.floor(i / shape[d]);
  }
  return idx;
};
/**
 * The value stored by a typed array of `dtype` (float32 rounds, int32 wraps, bool is 0/1). A
 * reference value of ANY accepts whatever the library gives (where PyTorch itself is undefined).
 */
const ANY = null as unknown as number;
const store = (dtype: DT, v: number) =>
  v === ANY ? ANY : dtype === 'float32' ? Math.fround(v) : dtype === 'int32' ? v | 0 : dtype === 'bool' ? (v !== 0 ? 1 : 0) : v;
const arr = (shape: number[], dtype: DT, data: number[]): Arr => ({ shape, dtype, data: data.map((v) => store(dtype, v)) });

function broadcast(...shapes: (readonly number[])[]): number[] | null {
  const n = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let d = 1;
    for (const s of shapes) {
      const k = i - (n - s.length);
      const v = k < 0 ? 1 : s[k];
      if (v !== 1) {
        if (d !== 1 && d !== v) return null;
        d = v;
      }
    }
    out.push(d);
  }
  return out;
}
/** Reads `a` at an index of a (broadcast) result shape. */
function readAt(a: Arr, idx: readonly number[]): number {
  const lead = idx.length - a.shape.length;
  const st = stridesOf(a.shape);
  let off = 0;
  for (let i = 0; i < a.shape.length; i++) off += (a.shape[i] === 1 ? 0 : idx[i + lead]) * st[i];
  return a.data[off];
}
function mapN(args: Arr[], outDType: DT, f: (...v: number[]) => number): Arr | null {
  const shape = broadcast(...args.map((a) => a.shape));
  if (!shape) return null;
  const data: number[] = [];
  for (let i = 0; i < sizeOf(shape); i++) {
    const idx = unravel(i, shape);
    data.push(f(...args.map((a) => readAt(a, idx))));
  }
  return arr(shape, outDType, data);
}
/** Reduces over sorted axes with `f` over each group of values; keepDims keeps size-1 axes. */
function reduceRef(x: Arr, axes: number[], keepDims: boolean, outDType: DT, f: (vals: number[]) => number): Arr {
  const outShapeKept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const groups: number[][] = Array.from({ length: sizeOf(outShapeKept) }, () => []);
  const keptStrides = stridesOf(outShapeKept);
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape);
    let o = 0;
    for (let d = 0; d < idx.length; d++) if (!axes.includes(d)) o += idx[d] * keptStrides[d];
    groups[o].push(x.data[i]);
  }
  const shape = keepDims ? outShapeKept : x.shape.filter((_, i) => !axes.includes(i));
  return arr(shape, outDType, groups.map(f));
}

// ---- the expected outcome of one call -----------------------------------------------------------

/** What the reference says: an invalid call, a value, or a check of a result that has no single value (random draws). */
type Expect = { invalid: string } | { value: Arr | number | Arr[] } | { check: (result: unknown) => void };
const INVALID = (why: string): Expect => ({ invalid: why });
const VALUE = (value: Arr | number | Arr[] | null, why = 'shapes do not broadcast'): Expect => (value === null ? INVALID(why) : { value });

interface Case {
  readonly label: string;
  /** Names any of which the error message must contain. */
  readonly op: string | readonly string[];
  run(): unknown;
  expected(): Expect;
  /** Relative/absolute tolerance for float results, if not the default of the dtype. */
  readonly tol?: number;
}

let calls = 0;

function tolFor(dtype: DT, tol?: number): number {
  return tol ?? (dtype === 'float32' ? 2e-6 : dtype === 'float64' ? 1e-11 : 0);
}
function close(got: number, want: number, tol: number): boolean {
  if (want === ANY) return true;
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want)) return got === want;
  if (tol === 0) return got === want || (got === 0 && want === 0);
  return Math.abs(got - want) <= tol * Math.max(1, Math.abs(want));
}
function compareTensor(label: string, got: unknown, want: Arr, tol?: number): void {
  if (!(got instanceof Tensor)) throw new Error(`${label}: expected a Tensor, got ${String(got)}`);
  if (got.shape.join() !== want.shape.join() || got.rank !== want.shape.length) {
    throw new Error(`${label}: shape [${got.shape}] but the reference has [${want.shape}]`);
  }
  if (got.dtype !== want.dtype) throw new Error(`${label}: dtype ${got.dtype} but the reference has ${want.dtype}`);
  const values = Array.from(got.dataSync() as ArrayLike<number>);
  const t = tolFor(want.dtype, tol);
  for (let i = 0; i < values.length; i++) {
    if (!close(values[i], want.data[i], t)) {
      throw new Error(`${label}: SILENT WRONG RESULT at ${i}: ${values[i]} but the reference has ${want.data[i]} (got [${values.slice(0, 12)}], want [${want.data.slice(0, 12)}])`);
    }
  }
}

function runCase(c: Case): void {
  calls++;
  const exp = c.expected();
  const names = typeof c.op === 'string' ? [c.op] : c.op;
  // tidy frees every tensor the call made, whatever happens.
  tidy(() => {
    let result: unknown;
    let error: unknown;
    try {
      result = c.run();
    } catch (e) {
      error = e;
    }
    if (error !== undefined) {
      const e = error as Error;
      if (!(error instanceof TsgradError)) throw new Error(`${c.label}: GENERIC ERROR ${e?.name}: ${e?.message}`);
      if (!('invalid' in exp)) throw new Error(`${c.label}: REFUSED A VALID CALL: ${e.name}: ${e.message}`);
      if (!names.some((n) => e.message.includes(n))) throw new Error(`${c.label}: ERROR NOT NAMING THE OP (${names.join(' or ')}): ${e.message}`);
      return;
    }
    if ('invalid' in exp) throw new Error(`${c.label}: SILENT RESULT on invalid input (${exp.invalid}): ${String(result)}`);
    if ('check' in exp) return exp.check(result);
    const v = exp.value;
    if (typeof v === 'number') {
      if (!close(result as number, v, 1e-9)) throw new Error(`${c.label}: SILENT WRONG RESULT ${String(result)}, reference ${v}`);
    } else if (Array.isArray(v)) {
      if (!Array.isArray(result) || result.length !== v.length) throw new Error(`${c.label}: expected ${v.length} tensors`);
      v.forEach((w, i) => compareTensor(c.label, result[i], w, c.tol));
    } else compareTensor(c.label, result, v, c.tol);
  });
}

// ---- generators ----------------------------------------------------------------------------------

const FLOAT_SPECIALS = [0, -0, 1, -1, 0.5, -2.5, 3, NaN, Infinity, -Infinity, 1e-3, 100];
const floatValue = fc.oneof({ weight: 1, arbitrary: fc.constantFrom(...FLOAT_SPECIALS) }, { weight: 2, arbitrary: fc.double({ min: -8, max: 8, noNaN: true }) });
const finiteFloat = fc.oneof(fc.constantFrom(0, 1, -1, 0.5, -2.5, 3), fc.double({ min: -8, max: 8, noNaN: true }));
const valueFor = (dtype: DT, finite = false) =>
  dtype === 'int32' ? fc.integer({ min: -6, max: 6 }) : dtype === 'bool' ? fc.constantFrom(0, 1) : finite ? finiteFloat : floatValue;

const dim = fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 5, arbitrary: fc.integer({ min: 1, max: 3 }) });
const shapeArb = (maxRank = 3) => fc.array(dim, { minLength: 0, maxLength: maxRank });
const nonEmptyShape = (minRank = 0, maxRank = 3) => fc.array(fc.integer({ min: 1, max: 3 }), { minLength: minRank, maxLength: maxRank });
const dtypeArb = fc.constantFrom<DT>(...DTYPES);
const floatDT = fc.constantFrom<DT>('float32', 'float64');

function arrOf(shape: readonly number[], dtype: DT, finite = false): fc.Arbitrary<Arr> {
  return fc.array(valueFor(dtype, finite), { minLength: sizeOf(shape), maxLength: sizeOf(shape) }).map((d) => arr([...shape], dtype, d));
}
const arrArb = (opts: { dtype?: fc.Arbitrary<DT>; shape?: fc.Arbitrary<number[]>; finite?: boolean } = {}) =>
  fc.tuple(opts.shape ?? shapeArb(), opts.dtype ?? dtypeArb).chain(([s, d]) => arrOf(s, d, opts.finite));

const TYPED = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array } as const;
/** A tsgrad tensor holding `a`'s values (through the typed-array path, so no value is re-checked). */
const mk = (a: Arr): Tensor => tensor(TYPED[a.dtype].from(a.data), { shape: a.shape, dtype: a.dtype });

/** A tensor argument: a live tensor, a disposed one, or something that is not a tensor at all. */
type TArg = { kind: 'tensor'; a: Arr } | { kind: 'disposed'; a: Arr } | { kind: 'bad'; v: unknown };
const BAD_VALUES: unknown[] = ['abc', null, undefined, {}, [1, 2], true, 1.5, () => 1, Symbol('s')];
const badArb = fc.constantFrom(...BAD_VALUES);
function targ(a: fc.Arbitrary<Arr>): fc.Arbitrary<TArg> {
  return fc.oneof(
    { weight: 12, arbitrary: a.map((x) => ({ kind: 'tensor' as const, a: x })) },
    { weight: 1, arbitrary: a.map((x) => ({ kind: 'disposed' as const, a: x })) },
    { weight: 1, arbitrary: badArb.map((v) => ({ kind: 'bad' as const, v })) },
  );
}
function realize(t: TArg): unknown {
  if (t.kind === 'bad') return t.v;
  const x = mk(t.a);
  if (t.kind === 'disposed') x.dispose();
  return x;
}
const show = (t: TArg) => (t.kind === 'bad' ? `bad:${typeof t.v === 'symbol' ? 'symbol' : typeof t.v === 'function' ? 'fn' : JSON.stringify(t.v)}` : `${t.kind}:${t.a.dtype}[${t.a.shape}]{${t.a.data.slice(0, 6)}}`);
/** The reason a tensor argument is invalid, or null. */
const badTensor = (t: TArg): string | null => (t.kind === 'bad' ? 'not a tensor' : t.kind === 'disposed' ? 'disposed' : null);

/** Axis arguments: valid and out-of-range integers, lists (with repeats), non-integers, strings. */
const axisArb = (rank: number) =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 5, arbitrary: fc.integer({ min: -rank - 2, max: rank + 1 }) },
    { weight: 3, arbitrary: fc.array(fc.integer({ min: -rank - 1, max: rank }), { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(1.5, 'a', NaN, null, [0.5]) },
  );

/** PyTorch's dim wrapping: a 0-d tensor accepts -1 and 0. Returns null when out of range. */
function wrapAxis(a: unknown, rank: number): number | null {
  const r = Math.max(rank, 1);
  if (typeof a !== 'number' || !Number.isInteger(a) || a < -r || a >= r) return null;
  return a < 0 ? a + r : a;
}
function wrapAxes(axis: unknown, rank: number): number[] | null {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : Array.isArray(axis) ? axis : null;
  if (!list) return null;
  const out: number[] = [];
  for (const a of list) {
    const w = wrapAxis(a, rank);
    if (w === null || out.includes(w)) return null;
    out.push(w);
  }
  return rank === 0 ? [] : out.sort((x, y) => x - y);
}

// ---- core: unary ops -----------------------------------------------------------------------------

function erf(x: number): number {
  // Abramowitz & Stegun 7.1.26 is too coarse; use the series / continued fraction to ~1e-15.
  if (Number.isNaN(x)) return NaN;
  if (!Number.isFinite(x)) return Math.sign(x);
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let sum = x;
    let term = x;
    for (let n = 1; n < 100; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction (Lentz) for |x| >= 2.5.
  let f = ax;
  let C = ax;
  let D = 0;
  for (let n = 1; n < 200; n++) {
    const an = n / 2;
    D = ax + an * D;
    D = D === 0 ? 1e-300 : 1 / D;
    C = ax + an / C;
    if (C === 0) C = 1e-300;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / (f * Math.sqrt(Math.PI));
  return Math.sign(x) * (1 - erfc);
}

const sigmoid = (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
const UNARY: Record<string, { f: (v: number) => number; float: boolean; tol?: number }> = {
  neg: { f: (v) => -v, float: false },
  abs: { f: Math.abs, float: false },
  sign: { f: (v) => (Number.isNaN(v) ? ANY : Math.sign(v)), float: false },
  relu: { f: (v) => (Number.isNaN(v) ? NaN : v > 0 ? v : 0), float: false },
  exp: { f: Math.exp, float: true },
  log: { f: Math.log, float: true },
  log1p: { f: Math.log1p, float: true },
  sqrt: { f: Math.sqrt, float: true },
  sigmoid: { f: sigmoid, float: true, tol: 1e-6 },
  tanh: { f: Math.tanh, float: true },
  sin: { f: Math.sin, float: true },
  cos: { f: Math.cos, float: true },
  erf: { f: erf, float: true, tol: 1e-6 },
  floor: { f: Math.floor, float: true },
};

const unaryCases = fc.tuple(fc.constantFrom(...Object.keys(UNARY)), targ(arrArb()), fc.boolean()).map(([op, x, asMethod]): Case => ({
  label: `${op}(${show(x)})`,
  op,
  tol: UNARY[op].tol,
  run: () => {
    const t = realize(x) as Tensor;
    return asMethod && t instanceof Tensor ? (t as unknown as Record<string, () => Tensor>)[op]() : (T as unknown as Record<string, (t: unknown) => Tensor>)[op](t);
  },
  expected: () => {
    const bad = badTensor(x);
    if (bad || x.kind !== 'tensor') return INVALID(bad ?? '');
    const { f, float } = UNARY[op];
    if (float ? !isFloatDT(x.a.dtype) : x.a.dtype === 'bool') return INVALID(`${op} of ${x.a.dtype}`);
    return VALUE(arr(x.a.shape, x.a.dtype, x.a.data.map(f)));
  },
}));

// int64, float16 and bfloat16 (storage dtypes) have their own tests: packages/core/test/dtypes.test.ts.
const castCases = fc.tuple(targ(arrArb()), fc.oneof(dtypeArb as fc.Arbitrary<unknown>, fc.constantFrom<unknown>('int8', 'float8', 3, undefined))).map(([x, to]): Case => ({
  label: `cast(${show(x)}, ${String(to)})`,
  op: 'cast',
  run: () => T.cast(realize(x) as Tensor, to as DT),
  expected: () => {
    if (badTensor(x) || x.kind !== 'tensor') return INVALID('bad tensor');
    if (typeof to !== 'string' || !(DTYPES as string[]).includes(to)) return INVALID('unknown dtype');
    const d = to as DT;
    // PyTorch: float → int truncates toward zero; float → bool is v != 0 (NaN is true). NaN, ±Inf and
    // out-of-range values cast to int are undefined behaviour in PyTorch: they are not generated here.
    const data = x.a.data.map((v) => (d === 'int32' ? (Number.isFinite(v) ? Math.trunc(v) : 0) : d === 'bool' ? (v !== 0 ? 1 : 0) : v));
    if (d === 'int32' && x.a.data.some((v) => !Number.isFinite(v))) return { check: () => undefined };
    return VALUE(arr(x.a.shape, d, data));
  },
}));

// ---- core: binary ops ---------------------------------------------------------------------------

/** A binary operand: a tensor argument, or a plain number (integer, half, NaN) where one is allowed. */
type Operand = { kind: 'num'; v: number } | TArg;
const operandArb = (a: fc.Arbitrary<Arr>): fc.Arbitrary<Operand> =>
  fc.oneof({ weight: 5, arbitrary: targ(a) }, { weight: 1, arbitrary: fc.constantFrom(0, 1, 2, -3, 0.5, NaN, Infinity).map((v) => ({ kind: 'num' as const, v })) });
const realizeOp = (o: Operand) => (o.kind === 'num' ? o.v : realize(o));
const showOp = (o: Operand) => (o.kind === 'num' ? String(o.v) : show(o));

const ARITH: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
  // C's pow (PyTorch): pow(1, y) = 1 and pow(-1, ±Infinity) = 1, where JavaScript's ** gives NaN.
  pow: (a, b) => (a === 1 || (a === -1 && Math.abs(b) === Infinity) ? 1 : a ** b),
  equal: (a, b) => +(a === b),
  notEqual: (a, b) => +(a !== b),
  less: (a, b) => +(a < b),
  lessEqual: (a, b) => +(a <= b),
  greater: (a, b) => +(a > b),
  greaterEqual: (a, b) => +(a >= b),
};
const COMPARE = new Set(['equal', 'notEqual', 'less', 'lessEqual', 'greater', 'greaterEqual']);

/** Two operands whose shapes usually broadcast and whose dtypes usually agree. */
const pairArb = fc
  .tuple(shapeArb(), dtypeArb, fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 }))
  .chain(([s, d, shapeMode, dtypeMode]) => {
    const s2 = shapeMode === 0 ? shapeArb() : shapeMode < 4 ? fc.constant(s.map((x, i) => (i % 2 ? 1 : x))) : shapeMode < 6 ? fc.constant(s.slice(1)) : fc.constant(s);
    const d2 = dtypeMode === 0 ? dtypeArb : fc.constant(d);
    return fc.tuple(operandArb(arrOf(s, d)), operandArb(fc.tuple(s2, d2).chain(([a, b]) => arrOf(a, b))));
  });

/**
 * torch.result_type over the fuzzed dtypes, as packages/core/src/dtype.ts's resultType (whose table
 * packages/core/test/dtypes.test.ts checks against PyTorch): tensors with dimensions decide, then
 * 0-d tensors, then numbers (an integer is int32, any other number float32), a lower tier only
 * when it is of a higher kind (bool < integer < float).
 */
const ORDER: DT[] = ['bool', 'int32', 'float32', 'float64'];
const promoteDT = (a: DT, b: DT): DT => (ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b);
const kindOf = (d: DT) => (d === 'bool' ? 0 : d === 'int32' ? 1 : 2);
function resultDT(ops: readonly (Arr | number)[]): DT {
  const tier = (pick: (o: Arr | number) => boolean) => ops.filter(pick).map((o) => (typeof o === 'number' ? (Number.isInteger(o) ? 'int32' : 'float32') : o.dtype)).reduce<DT | undefined>((acc, d) => (acc ? promoteDT(acc, d) : d), undefined);
  const combine = (hi: DT | undefined, lo: DT | undefined): DT | undefined => (hi === undefined ? lo : lo === undefined ? hi : kindOf(lo) > kindOf(hi) || hi === 'bool' ? promoteDT(hi, lo) : hi);
  return combine(tier((o) => typeof o !== 'number' && o.shape.length > 0), combine(tier((o) => typeof o !== 'number' && o.shape.length === 0), tier((o) => typeof o === 'number')))!;
}
/** An operand converted to the op's dtype, or an error reason (a number the dtype cannot hold). */
function toDT(o: Arr | number, d: DT): Arr | string {
  if (typeof o !== 'number') return arr(o.shape, d, o.data);
  if (d === 'int32' && Math.abs(o) > 2 ** 31 - 1) return `${o} does not fit int32`;
  return arr([], d, [o]);
}
/** A "bad" tensor argument that happens to be a number is a valid number operand. */
const asOperand = (o: Operand): Operand => (o.kind === 'bad' && typeof o.v === 'number' ? { kind: 'num', v: o.v } : o);
/** Resolves two operands to arrays of their common dtype (type promotion), or an error reason. */
function resolvePair(op: string, a0: Operand, b0: Operand, computeIn: (d: DT) => DT = (d) => d): [Arr, Arr] | string {
  const a = asOperand(a0);
  const b = asOperand(b0);
  const ba = a.kind !== 'num' ? badTensor(a) : null;
  const bb = b.kind !== 'num' ? badTensor(b) : null;
  if (ba) return ba;
  if (bb) return bb;
  if (a.kind === 'num' && b.kind === 'num') return 'two numbers';
  const va = a.kind === 'num' ? a.v : (a as { a: Arr }).a;
  const vb = b.kind === 'num' ? b.v : (b as { a: Arr }).a;
  const d = computeIn(resultDT([va, vb]));
  const ta = toDT(va, d);
  const tb = toDT(vb, d);
  if (typeof ta === 'string') return ta;
  if (typeof tb === 'string') return tb;
  return [ta, tb];
}

const binaryCases = fc.tuple(fc.constantFrom(...Object.keys(ARITH)), pairArb).map(([op, [a, b]]): Case => ({
  label: `${op}(${showOp(a)}, ${showOp(b)})`,
  op,
  run: () => (T as unknown as Record<string, (a: unknown, b: unknown) => Tensor>)[op](realizeOp(a), realizeOp(b)),
  expected: () => {
    const r = resolvePair(op, a, b);
    if (typeof r === 'string') return INVALID(r);
    const [x, y] = r;
    if (!COMPARE.has(op) && x.dtype === 'bool') return INVALID('arithmetic on bool');
    if (op === 'pow' && !isFloatDT(x.dtype)) return INVALID('pow of ints');
    return VALUE(mapN([x, y], COMPARE.has(op) ? 'bool' : x.dtype, ARITH[op]));
  },
}));

/** div is true division (ints become float, PyTorch's torch.div); floorDivide is Python's //. */
const divCases = fc.tuple(fc.constantFrom('div', 'floorDivide'), pairArb, fc.boolean()).map(([op, [a, b], asMethod]): Case => ({
  label: `${op}(${showOp(a)}, ${showOp(b)})`,
  op,
  run: () => {
    const x = realizeOp(a);
    const y = realizeOp(b);
    if (asMethod && x instanceof Tensor) return op === 'div' ? x.div(y as Tensor) : x.floorDivide(y as Tensor);
    return (T as unknown as Record<string, (a: unknown, b: unknown) => Tensor>)[op](x, y);
  },
  expected: () => {
    if (op === 'div') {
      // True division: the promoted dtype, float32 (the default float) for integers and bool.
      const r = resolvePair(op, a, b, (d) => (isFloatDT(d) ? d : 'float32'));
      if (typeof r === 'string') return INVALID(r);
      const [x2, tb] = r;
      return VALUE(mapN([x2, tb], x2.dtype, (p, q) => p / q));
    }
    const r = resolvePair(op, a, b);
    if (typeof r === 'string') return INVALID(r);
    const [x, y] = r;
    if (x.dtype === 'bool') return INVALID('bool');
    if (!broadcast(x.shape, y.shape)) return INVALID('shapes');
    if (x.dtype === 'int32') {
      if (y.data.includes(0)) return INVALID('integer division by zero');
      return VALUE(mapN([x, y], 'int32', (p, q) => Math.floor(p / q)));
    }
    const q = x.dtype === 'float32' ? (p: number, s: number) => Math.floor(Math.fround(p / s)) : (p: number, s: number) => Math.floor(p / s);
    return VALUE(mapN([x, y], x.dtype, q));
  },
}));

const whereCases = fc
  .tuple(shapeArb(2), fc.integer({ min: 0, max: 5 }), dtypeArb)
  .chain(([s, mode, d]) =>
    fc.tuple(
      targ(mode === 0 ? arrArb({ shape: fc.constant(s) }) : arrOf(s, 'bool')),
      operandArb(arrOf(s.slice(1), d)),
      operandArb(mode === 1 ? arrArb() : arrOf(s, d)),
    ),
  )
  .map(([c, a, b]): Case => ({
    label: `where(${show(c)}, ${showOp(a)}, ${showOp(b)})`,
    op: 'where',
    run: () => T.where(realize(c) as Tensor, realizeOp(a) as Tensor, realizeOp(b) as Tensor),
    expected: () => {
      if (badTensor(c) || c.kind !== 'tensor') return INVALID('cond');
      const r = resolvePair('where', a, b);
      if (typeof r === 'string') return INVALID(r);
      const [x, y] = r;
      if (c.a.dtype !== 'bool') return INVALID('cond not bool');
      return VALUE(mapN([c.a, x, y], x.dtype, (k, p, q) => (k ? p : q)));
    },
  }));

const clampCases = fc
  .tuple(targ(arrArb({ dtype: fc.constantFrom<DT>('float32', 'float64', 'int32') })), fc.constantFrom<unknown>(undefined, -1, 0, 0.5, 2, 'a', NaN), fc.constantFrom<unknown>(undefined, -2, 1, 1.5, 3, null))
  .map(([x, lo, hi]): Case => ({
    label: `clamp(${show(x)}, ${String(lo)}, ${String(hi)})`,
    op: 'clamp',
    run: () => T.clamp(realize(x) as Tensor, lo as number, hi as number),
    expected: () => {
      if (badTensor(x) || x.kind !== 'tensor') return INVALID('x');
      if (lo === undefined && hi === undefined) return INVALID('no bound');
      for (const v of [lo, hi]) {
        if (v === undefined) continue;
        if (typeof v !== 'number') return INVALID('bound not a number');
      }
      if (typeof lo === 'number' && typeof hi === 'number' && lo > hi) return INVALID('min > max');
      // A NaN bound is refused by the library (it bounds nothing); PyTorch would give NaN everywhere.
      if (Number.isNaN(lo as number)) return INVALID('NaN bound');
      // NaN propagates (PyTorch, NumPy): a NaN input or bound gives NaN.
      const f = (v: number) => {
        if (Number.isNaN(v)) return NaN;
        let y = v;
        if (typeof lo === 'number') y = Number.isNaN(lo) ? NaN : Math.max(y, lo);
        if (typeof hi === 'number') y = Number.isNaN(y) ? y : Math.min(y, hi);
        return y;
      };
      // The result takes the promoted dtype of x and its bounds (int32 with 0.5 is float32).
      const bounds = [lo, hi].filter((v): v is number => typeof v === 'number');
      return VALUE(arr(x.a.shape, resultDT([x.a, ...bounds]), x.a.data.map(f)));
    },
  }));

// ---- core: reductions ---------------------------------------------------------------------------

const REDUCE: Record<string, { f: (v: number[]) => number; out: (d: DT) => DT; ok: (d: DT) => boolean; empty: boolean }> = {
  // A bool sum counts the true elements as int32 (PyTorch: int64; tsgrad's default integer is int32).
  sum: { f: (v) => v.reduce((a, b) => a + b, 0), out: (d) => (d === 'bool' ? 'int32' : d), ok: () => true, empty: true },
  mean: { f: (v) => v.reduce((a, b) => a + b, 0) / v.length, out: (d) => d, ok: isFloatDT, empty: true },
  max: { f: (v) => (v.some(Number.isNaN) ? NaN : Math.max(...v)), out: (d) => d, ok: (d) => d !== 'bool', empty: false },
  min: { f: (v) => (v.some(Number.isNaN) ? NaN : Math.min(...v)), out: (d) => d, ok: (d) => d !== 'bool', empty: false },
};
const reduceCases = arrArb()
  .chain((a) => fc.tuple(fc.constantFrom(...Object.keys(REDUCE), 'argmax'), targ(fc.constant(a)), axisArb(a.shape.length), fc.constantFrom<unknown>(false, true, undefined, 'yes'), fc.boolean()))
  .map(([op, x, axis, keepDims, asMethod]): Case => ({
    label: `${op}(${show(x)}, axis=${JSON.stringify(axis)}, keepDims=${String(keepDims)})`,
    op,
    tol: op === 'sum' || op === 'mean' ? 1e-5 : undefined,
    run: () => {
      const t = realize(x);
      const r: unknown = asMethod && t instanceof Tensor
        ? (t as unknown as Record<string, (a: unknown, k: unknown) => Tensor>)[op](axis, keepDims)
        : (T as unknown as Record<string, (t: unknown, a: unknown, k: unknown) => Tensor>)[op](t, axis, keepDims);
      // max/min over one axis number also return the indices ({ values, indices }): compare the values.
      return r instanceof Tensor || r === null || typeof r !== 'object' ? r : (r as { values: Tensor }).values;
    },
    expected: () => {
      if (badTensor(x) || x.kind !== 'tensor') return INVALID('x');
      const a = x.a;
      if (keepDims !== undefined && typeof keepDims !== 'boolean') return INVALID('keepDims');
      const kd = keepDims === true;
      if (op === 'argmax') {
        const ax = wrapAxis(axis === undefined ? -1 : axis, a.shape.length);
        if (ax === null) return INVALID('axis');
        if (a.shape.length === 0) return VALUE(arr([], 'int32', [0]));
        if (a.shape[ax] === 0) return INVALID('empty axis');
        // PyTorch: NaN counts as the largest value; the first maximal index wins.
        const f = (v: number[]) => {
          const n = v.findIndex(Number.isNaN);
          if (n >= 0) return n;
          return v.indexOf(Math.max(...v));
        };
        return VALUE(reduceRef(a, [ax], kd, 'int32', f));
      }
      const axes = wrapAxes(axis, a.shape.length);
      if (axes === null) return INVALID('axis');
      const spec = REDUCE[op];
      if (!spec.ok(a.dtype)) return INVALID(`${op} of ${a.dtype}`);
      if (!spec.empty && axes.some((i) => a.shape[i] === 0)) return INVALID('empty');
      if (!spec.empty && a.shape.length > 0 && axes.length === 0 && axis !== undefined) return VALUE(reduceRef(a, [], kd, a.dtype, (v) => v[0]));
      return VALUE(reduceRef(a, axes, kd, spec.out(a.dtype), spec.f));
    },
  }));

const softmaxCases = arrArb({ dtype: fc.constantFrom<DT>('float32', 'float64', 'int32') })
  .chain((a) => fc.tuple(fc.constantFrom('softmax', 'logSoftmax'), targ(fc.constant(a)), fc.oneof(fc.integer({ min: -a.shape.length - 1, max: a.shape.length }), fc.constant(undefined))))
  .map(([op, x, axis]): Case => ({
    label: `${op}(${show(x)}, ${String(axis)})`,
    op,
    tol: 1e-5,
    run: () => (T as unknown as Record<string, (t: unknown, a: unknown) => Tensor>)[op](realize(x), axis),
    expected: () => {
      if (badTensor(x) || x.kind !== 'tensor') return INVALID('x');
      if (!isFloatDT(x.a.dtype)) return INVALID('not float');
      const a = x.a;
      const ax = wrapAxis(axis ?? -1, a.shape.length);
      if (ax === null) return INVALID('axis');
      // A 0-d tensor is one slice of one element: 1 (or 0 for logSoftmax), NaN when it is not finite.
      if (a.shape.length === 0) return VALUE(arr([], a.dtype, [Number.isFinite(a.data[0]) ? (op === 'softmax' ? 1 : 0) : NaN]));
      // Per slice along ax: softmax_i = e^(x_i - m) / Σ e^(x_j - m).
      const out = a.data.slice();
      const st = stridesOf(a.shape);
      for (let i = 0; i < a.data.length; i++) {
        const idx = unravel(i, a.shape);
        if (idx[ax] !== 0) continue;
        const js = Array.from({ length: a.shape[ax] }, (_, k) => i + k * st[ax]);
        const m = Math.max(...js.map((j) => a.data[j]));
        const s = js.reduce((acc, j) => acc + Math.exp(a.data[j] - m), 0);
        for (const j of js) out[j] = op === 'softmax' ? Math.exp(a.data[j] - m) / s : a.data[j] - m - Math.log(s);
      }
      return VALUE(arr(a.shape, a.dtype, out));
    },
  }));

// ---- core: movement -----------------------------------------------------------------------------

function permuteRef(a: Arr, perm: number[]): Arr {
  const shape = perm.map((p) => a.shape[p]);
  const st = stridesOf(a.shape);
  const data: number[] = [];
  for (let i = 0; i < sizeOf(shape); i++) {
    const idx = unravel(i, shape);
    let off = 0;
    perm.forEach((p, k) => (off += idx[k] * st[p]));
    data.push(a.data[off]);
  }
  return arr(shape, a.dtype, data);
}
const isIntList = (v: unknown, min = -Infinity): v is number[] => Array.isArray(v) && v.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= min);
const listArb = (rank: number) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.array(fc.integer({ min: -1, max: 4 }), { minLength: rank, maxLength: rank }) },
    { weight: 2, arbitrary: fc.array(fc.integer({ min: -1, max: 4 }), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>('ab', [1.5], [NaN], null, [[1]], ['0']) },
  );

const movementCases = arrArb({ shape: shapeArb(3) })
  .chain((a) =>
    fc.tuple(
      fc.constantFrom('reshape', 'flatten', 'squeeze', 'unsqueeze', 'permute', 'transpose', 'expand', 'slice', 'pad', 'indexSelect'),
      targ(fc.constant(a)),
      listArb(a.shape.length),
      listArb(a.shape.length),
      axisArb(a.shape.length),
      axisArb(a.shape.length),
      fc.constantFrom<unknown>(0, 1.5, NaN, 'x', 7),
      fc.array(fc.integer({ min: -1, max: 3 }), { maxLength: 4 }),
    ),
  )
  .map(([op, x, l1, l2, ax1, ax2, value, idx]): Case => {
    const args: unknown[] =
      op === 'reshape' || op === 'permute' || op === 'expand' ? [l1]
      : op === 'flatten' || op === 'transpose' ? [ax1 ?? 0, ax2 ?? -1]
      : op === 'squeeze' ? [ax1]
      : op === 'unsqueeze' ? [ax1]
      : op === 'slice' ? [Array.isArray(l1) ? (l1 as unknown[]).map((v) => (typeof v === 'number' ? Math.abs(v) % 3 : v)) : l1, l2]
      : op === 'pad' ? [Array.isArray(l1) ? (l1 as unknown[]).map((v) => [typeof v === 'number' ? v : 0, 1]) : l1, value]
      : /* indexSelect */ [Array.isArray(ax1) || typeof ax1 === 'string' ? idx.map((v) => v + 0.5) : idx, typeof ax2 === 'number' ? ax2 : 0];
    return {
      label: `${op}(${show(x)}, ${JSON.stringify(args)})`,
      op,
      run: () => (T as unknown as Record<string, (t: unknown, ...r: unknown[]) => Tensor>)[op](realize(x), ...args),
      expected: () => {
        if (badTensor(x) || x.kind !== 'tensor') return INVALID('x');
        const a = x.a;
        const r = a.shape.length;
        switch (op) {
          case 'reshape': {
            const s = args[0];
            if (!isIntList(s, -1) || s.filter((d) => d === -1).length > 1) return INVALID('shape');
            const known = sizeOf(s.filter((d) => d !== -1));
            const target = s.includes(-1) ? (known === 0 || sizeOf(a.shape) % known ? null : s.map((d) => (d === -1 ? sizeOf(a.shape) / known : d))) : s;
            if (!target || sizeOf(target) !== sizeOf(a.shape)) return INVALID('size');
            return VALUE(arr(target, a.dtype, a.data));
          }
          case 'flatten': {
            const s = wrapAxis(args[0], r);
            const e = wrapAxis(args[1], r);
            if (s === null || e === null) return INVALID('axis');
            if (r === 0) return VALUE(arr([1], a.dtype, a.data));
            if (s > e) return INVALID('start > end');
            return VALUE(arr([...a.shape.slice(0, s), sizeOf(a.shape.slice(s, e + 1)), ...a.shape.slice(e + 1)], a.dtype, a.data));
          }
          case 'squeeze': {
            const axes = args[0] === undefined ? a.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : wrapAxes(args[0], r);
            if (axes === null) return INVALID('axis');
            if (axes.some((i) => a.shape[i] !== 1)) return INVALID('not size 1');
            return VALUE(arr(a.shape.filter((_, i) => !axes.includes(i)), a.dtype, a.data));
          }
          case 'unsqueeze': {
            const ax = wrapAxis(args[0], r + 1);
            if (ax === null) return INVALID('axis');
            return VALUE(arr([...a.shape.slice(0, ax), 1, ...a.shape.slice(ax)], a.dtype, a.data));
          }
          case 'permute': {
            const p = args[0];
            if (!isIntList(p)) return INVALID('perm');
            const w = p.map((v) => wrapAxis(v, r));
            if (w.some((v) => v === null) || w.length !== r || new Set(w).size !== r) return INVALID('not a permutation');
            return VALUE(r === 0 ? a : permuteRef(a, w as number[]));
          }
          case 'transpose': {
            if (r < 2) return INVALID('rank < 2');
            const p = wrapAxis(args[0], r);
            const q = wrapAxis(args[1], r);
            if (p === null || q === null) return INVALID('axis');
            const perm = a.shape.map((_, i) => i);
            perm[p] = q;
            perm[q] = p;
            return VALUE(permuteRef(a, perm));
          }
          case 'expand': {
            const s = args[0];
            if (!isIntList(s, -1)) return INVALID('shape');
            const lead = s.length - r;
            if (lead < 0) return INVALID('rank');
            const target = s.map((d, i) => (d === -1 && i >= lead ? a.shape[i - lead] : d));
            if (!target.every((d, i) => d >= 0 && (i < lead || a.shape[i - lead] === d || a.shape[i - lead] === 1))) return INVALID('cannot expand');
            return VALUE(mapN([a, arr(target, a.dtype, new Array(sizeOf(target)).fill(0))], a.dtype, (p) => p));
          }
          case 'slice': {
            const [b, s] = args as [unknown, unknown];
            if (!isIntList(b, 0) || b.length !== r) return INVALID('begin');
            if (s !== undefined && (!isIntList(s, -1) || s.length !== r)) return INVALID('size');
            const size = a.shape.map((d, i) => ((s as number[] | undefined)?.[i] ?? -1) === -1 ? d - b[i] : (s as number[])[i]);
            if (size.some((z, i) => z < 0 || b[i] + z > a.shape[i])) return INVALID('outside');
            const data: number[] = [];
            for (let i = 0; i < sizeOf(size); i++) data.push(readAt(a, unravel(i, size).map((v, k) => v + b[k])) );
            return VALUE(arr(size, a.dtype, data));
          }
          case 'pad': {
            const [p, v] = args as [unknown, unknown];
            if (!Array.isArray(p) || p.length !== r || !p.every((q) => isIntList(q, 0) && q.length === 2)) return INVALID('padding');
            if (typeof v !== 'number') return INVALID('value');
            if (a.dtype === 'int32' && !Number.isFinite(v)) return INVALID('NaN into int32');
            if (a.dtype === 'bool' && v !== 0 && v !== 1) return INVALID('value into bool');
            const pv = a.dtype === 'int32' ? Math.trunc(v) : v;
            const shape = a.shape.map((d, i) => d + p[i][0] + p[i][1]);
            const data: number[] = [];
            for (let i = 0; i < sizeOf(shape); i++) {
              const idx = unravel(i, shape).map((k, j) => k - p[j][0]);
              data.push(idx.every((k, j) => k >= 0 && k < a.shape[j]) ? readAt(a, idx) : pv);
            }
            return VALUE(arr(shape, a.dtype, data));
          }
          default: {
            // indexSelect(x, indices, axis)
            const [ind, axis] = args as [unknown, unknown];
            const ax = wrapAxis(axis, r);
            if (ax === null) return INVALID('axis');
            if (r === 0) return INVALID('0-d');
            if (!isIntList(ind)) return INVALID('indices');
            if (ind.some((k) => k < 0 || k >= a.shape[ax])) return INVALID('index out of range');
            const shape = [...a.shape.slice(0, ax), ind.length, ...a.shape.slice(ax + 1)];
            const data: number[] = [];
            for (let i = 0; i < sizeOf(shape); i++) {
              const idx = unravel(i, shape);
              idx[ax] = ind[idx[ax]];
              data.push(readAt(a, idx));
            }
            return VALUE(arr(shape, a.dtype, data));
          }
        }
      },
    };
  });

const joinCases = fc
  .tuple(fc.constantFrom('concat', 'stack'), shapeArb(3), dtypeArb, fc.integer({ min: 0, max: 3 }), fc.integer({ min: -4, max: 3 }), fc.integer({ min: 0, max: 6 }))
  .chain(([op, s, d, n, axis, mode]) =>
    fc.tuple(
      fc.constant(op),
      fc.array(targ(mode === 0 ? arrArb({ shape: shapeArb(3), dtype: fc.constant(d) }) : mode === 1 ? arrArb({ shape: fc.constant(s) }) : arrOf(mode === 2 && s.length > 0 ? s.map((v, i) => (i === 0 ? v + 1 : v)) : s, d)), { minLength: n, maxLength: n }),
      fc.constant<unknown>(mode === 6 ? 'x' : axis),
    ),
  )
  .map(([op, xs, axis]): Case => ({
    label: `${op}([${xs.map(show).join(', ')}], ${String(axis)})`,
    op,
    run: () => (op === 'concat' ? T.concat : T.stack)(xs.map(realize) as Tensor[], axis as number),
    expected: () => {
      if (xs.length === 0) return INVALID('empty list');
      const bad = xs.map(badTensor).find((b) => b);
      if (bad) return INVALID(bad);
      const as = xs.map((x) => (x as { a: Arr }).a);
      const first = as[0];
      if (as.some((a) => a.dtype !== first.dtype)) return INVALID('dtypes');
      const parts = op === 'stack' ? as.map((a) => ({ ...a, shape: a.shape })) : as;
      if (op === 'stack') {
        if (as.some((a) => a.shape.join() !== first.shape.join() || a.shape.length !== first.shape.length)) return INVALID('shapes');
        const ax = wrapAxis(axis, first.shape.length + 1);
        if (ax === null) return INVALID('axis');
        const unsq = parts.map((a) => arr([...a.shape.slice(0, ax), 1, ...a.shape.slice(ax)], a.dtype, a.data));
        return VALUE(concatRef(unsq, ax));
      }
      const ax = wrapAxis(axis, first.shape.length);
      if (ax === null) return INVALID('axis');
      if (as.some((a) => a.shape.length === 0)) return INVALID('0-d');
      if (as.some((a) => a.shape.length !== first.shape.length || a.shape.some((v, i) => i !== ax && v !== first.shape[i]))) return INVALID('shapes');
      return VALUE(concatRef(as, ax));
    },
  }));
function concatRef(as: Arr[], ax: number): Arr {
  const shape = as[0].shape.slice();
  shape[ax] = as.reduce((acc, a) => acc + a.shape[ax], 0);
  const data: number[] = [];
  for (let i = 0; i < sizeOf(shape); i++) {
    const idx = unravel(i, shape);
    let k = idx[ax];
    let j = 0;
    while (k >= as[j].shape[ax]) k -= as[j++].shape[ax];
    idx[ax] = k;
    data.push(readAt(as[j], idx));
  }
  return arr(shape, as[0].dtype, data);
}

// ---- core: indexing, sorting, einsum -------------------------------------------------------------

/** Positions of a line in PyTorch's stable sort order: NaN above every number, -0 equal to 0. */
function sortOrder(line: number[], descending: boolean): number[] {
  const key = (v: number) => (Number.isNaN(v) ? 1 : 0);
  return line
    .map((_, k) => k)
    .sort((a, b) => {
      const c = key(line[a]) - key(line[b]) || (line[a] < line[b] ? -1 : line[a] > line[b] ? 1 : 0);
      return (descending ? -c : c) || a - b;
    });
}

/** For each line of x along axis `ax`, f(line) gives the positions to take: values and indices along that axis. */
function alongLines(x: Arr, ax: number, f: (line: number[]) => number[]): [Arr, Arr] | null {
  if (x.shape.length === 0) {
    const pos = f([x.data[0]]);
    return pos.length === 1 ? [arr([], x.dtype, [x.data[0]]), arr([], 'int32', [0])] : null;
  }
  const n = x.shape[ax];
  const outer = x.shape.map((d, i) => (i === ax ? 1 : d));
  let m = -1;
  const lines: number[][] = [];
  for (let i = 0; i < sizeOf(outer); i++) {
    const idx = unravel(i, outer);
    const line = Array.from({ length: n }, (_, k) => readAt(x, idx.map((v, d) => (d === ax ? k : v))));
    const pos = f(line);
    m = pos.length;
    lines.push(pos);
  }
  // No line at all (another axis is empty): the count f takes from a line of n.
  if (m < 0) m = f(new Array<number>(n).fill(0)).length;
  const shape = x.shape.map((d, i) => (i === ax ? m : d));
  const values: number[] = [];
  const indices: number[] = [];
  for (let i = 0; i < sizeOf(shape); i++) {
    const idx = unravel(i, shape);
    const o = idx.map((v, d) => (d === ax ? 0 : v));
    const pos = lines[o.reduce((s, v, d) => s + v * stridesOf(outer)[d], 0)][idx[ax]];
    values.push(readAt(x, idx.map((v, d) => (d === ax ? pos : v))));
    indices.push(pos);
  }
  return [arr(shape, x.dtype, values), arr(shape, 'int32', indices)];
}

const sortingCases = fc
  .tuple(
    fc.constantFrom('sort', 'argsort', 'topk', 'max', 'min', 'cumprod'),
    targ(arrArb({ shape: shapeArb(3) })),
    fc.oneof({ weight: 6, arbitrary: fc.integer({ min: -4, max: 3 }) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(1.5, 'a', [0], undefined) }),
    fc.oneof({ weight: 6, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constantFrom<unknown>(1, 'yes') }),
    fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 4 }) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(-1, 1.5, 'k') }),
  )
  .map(([op, x, axis, flag, k]): Case => ({
    label: `${op}(${show(x)}, axis ${JSON.stringify(axis)}, ${String(flag)}, k ${String(k)})`,
    op,
    run: () => {
      const t = realize(x) as Tensor;
      const pair = (r: { values: Tensor; indices: Tensor }) => [r.values, r.indices];
      if (op === 'sort') return pair(T.sort(t, axis as number, flag as boolean));
      if (op === 'argsort') return T.argsort(t, axis as number, flag as boolean);
      if (op === 'topk') return pair(T.topk(t, k as number, axis as number, flag as boolean));
      if (op === 'cumprod') return T.cumprod(t, axis as number);
      const r = (op === 'max' ? T.max : T.min)(t, axis as number, flag as boolean) as unknown as Tensor | { values: Tensor; indices: Tensor };
      return r instanceof Tensor ? r : pair(r);
    },
    expected: () => {
      const bad = badTensor(x);
      if (bad || x.kind !== 'tensor') return INVALID(bad ?? '');
      const a = x.a;
      const r = a.shape.length;
      if (op !== 'cumprod' && op !== 'max' && op !== 'min' && typeof flag !== 'boolean') return INVALID('flag');
      if (op === 'topk' && (typeof k !== 'number' || !Number.isInteger(k) || k < 0)) return INVALID('k');
      // max/min pick the first NaN if any (NaN propagates), else the first extreme.
      const pickAt = (vals: number[]) => (vals.some(Number.isNaN) ? vals.findIndex(Number.isNaN) : sortOrder(vals, op === 'max')[0]);
      if ((op === 'max' || op === 'min') && typeof axis !== 'number') {
        // No axis or a list of axes: a tensor (amax/amin).
        const axes = wrapAxes(axis, r);
        if (axes === null) return INVALID('axis');
        if (typeof flag !== 'boolean') return INVALID('keepDims');
        if (a.dtype === 'bool') return INVALID('bool');
        if (axes.some((i) => a.shape[i] === 0)) return INVALID('empty');
        return VALUE(reduceRef(a, axes, flag, a.dtype, (vals) => vals[pickAt(vals)]));
      }
      // A JavaScript default: an undefined axis is the last one (cumprod has no default).
      const ax = wrapAxis(axis === undefined && op !== 'cumprod' ? -1 : axis, r);
      if (ax === null) return INVALID('axis');
      const n = r === 0 ? 1 : a.shape[ax];
      if (op === 'cumprod') {
        if (!isFloatDT(a.dtype)) return INVALID('cumprod of a non-float');
        if (r === 0) return VALUE(a);
        const data = a.data.map((_, i) => {
          const idx = unravel(i, a.shape);
          let p = 1;
          for (let j = 0; j <= idx[ax]; j++) p *= readAt(a, idx.map((v, d) => (d === ax ? j : v)));
          return p;
        });
        return VALUE(arr(a.shape, a.dtype, data));
      }
      if (op === 'max' || op === 'min') {
        if (typeof flag !== 'boolean') return INVALID('keepDims');
        if (a.dtype === 'bool') return INVALID('bool');
        if (n === 0) return INVALID('empty axis');
        // The first NaN, else the first extreme.
        const res = alongLines(a, ax, (line) => [pickAt(line)]);
        if (!res) return INVALID('');
        if (flag || r === 0) return VALUE(res);
        const shape = a.shape.filter((_, i) => i !== ax);
        return VALUE(res.map((t) => arr(shape, t.dtype, t.data)));
      }
      const descending = flag as boolean;
      if (op === 'topk') {
        if ((k as number) > n) return INVALID('k > n');
        const res = alongLines(a, ax, (line) => sortOrder(line, descending).slice(0, k as number));
        return res ? VALUE(res) : VALUE(alongLines(a, ax, (line) => sortOrder(line, descending)));
      }
      const res = alongLines(a, ax, (line) => sortOrder(line, descending));
      return VALUE(res && (op === 'sort' ? res : res[1]));
    },
  }));

/** gather(x, axis, index) and scatterAdd(x, axis, index, src): index of x's rank (or not), values in range (or not). */
const gatherFuzzCases = arrArb({ shape: nonEmptyShape(1, 3) })
  .chain((a) =>
    fc.tuple(
      fc.constantFrom('gather', 'scatterAdd'),
      targ(fc.constant(a)),
      fc.oneof({ weight: 6, arbitrary: fc.integer({ min: -a.shape.length, max: a.shape.length - 1 }) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(a.shape.length, 0.5, 'a') }),
      // Index dims: mostly within x's, sometimes one more dimension or one larger.
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: a.shape.length, maxLength: a.shape.length + (a.shape.length < 3 ? 1 : 0) }),
      fc.array(fc.integer({ min: -1, max: 3 }), { minLength: 27, maxLength: 27 }),
      fc.constantFrom<DT>('int32', 'int32', 'int32', 'float32'),
    ),
  )
  .map(([op, x, axis, ishape, ivals, idtype]): Case => {
    const index = arr(ishape, idtype, ivals.slice(0, sizeOf(ishape)));
    return {
      label: `${op}(${show(x)}, ${String(axis)}, ${idtype}[${ishape}]{${index.data}})`,
      op,
      run: () => {
        const t = realize(x) as Tensor;
        const i = mk(index);
        return op === 'gather' ? T.gather(t, axis as number, i) : T.scatterAdd(t, axis as number, i, t instanceof Tensor ? T.ones(ishape, { dtype: t.dtype === 'bool' ? 'int32' : t.dtype }).cast(t.dtype) : t);
      },
      expected: () => {
        const bad = badTensor(x);
        if (bad || x.kind !== 'tensor') return INVALID(bad ?? '');
        const a = x.a;
        const r = a.shape.length;
        if (typeof axis !== 'number' || !Number.isInteger(axis)) return INVALID('axis');
        const ax = wrapAxis(axis, r);
        if (ax === null) return INVALID('axis');
        if (idtype !== 'int32') return INVALID('index dtype');
        if (ishape.length !== r) return INVALID('index rank');
        if (ishape.some((d, i) => i !== ax && d > a.shape[i])) return INVALID('index larger than x');
        if (index.data.some((v) => v < 0 || v >= a.shape[ax])) return INVALID('index out of range');
        if (op === 'gather') {
          const data = Array.from({ length: sizeOf(ishape) }, (_, i) => {
            const idx = unravel(i, ishape);
            return readAt(a, idx.map((v, d) => (d === ax ? index.data[i] : v)));
          });
          return VALUE(arr(ishape, a.dtype, data));
        }
        // bool adds as logical or (stored 0/1), as PyTorch's scatter_add on bool.
        const out = [...a.data];
        const st = stridesOf(a.shape);
        for (let i = 0; i < sizeOf(ishape); i++) {
          const idx = unravel(i, ishape);
          out[idx.reduce((s, v, d) => s + (d === ax ? index.data[i] : v) * st[d], 0)] += 1;
        }
        return VALUE(arr(a.shape, a.dtype, out));
      },
    };
  });

/** x.index(items): integers (negative too, or out of range), slices with steps (or a bad step), null, '...'. */
const indexFuzzCases = arrArb({ shape: nonEmptyShape(0, 3) })
  .chain((a) =>
    fc.tuple(
      targ(fc.constant(a)),
      fc.array(
        fc.oneof(
          fc.integer({ min: -4, max: 3 }),
          fc.record({ start: fc.option(fc.integer({ min: -4, max: 4 })), stop: fc.option(fc.integer({ min: -4, max: 4 })), step: fc.option(fc.integer({ min: -1, max: 3 })) }),
          fc.constant(null),
          fc.constantFrom<unknown>('...', 1.5, 'x:y'),
        ),
        { maxLength: 4 },
      ),
    ),
  )
  .map(([x, items]): Case => ({
    label: `index(${show(x)}, ${JSON.stringify(items)})`,
    op: 'index',
    run: () => T.index(realize(x) as Tensor, ...(items as T.IndexItem[])),
    expected: () => {
      const bad = badTensor(x);
      if (bad || x.kind !== 'tensor') return INVALID(bad ?? '');
      const a = x.a;
      if (items.some((it) => it === 1.5 || it === 'x:y')) return INVALID('bad item');
      if (items.filter((it) => it === '...').length > 1) return INVALID('two ellipses');
      const consuming = items.filter((it) => typeof it === 'number' || (typeof it === 'object' && it !== null)).length;
      if (consuming > a.shape.length) return INVALID('too many');
      const fill = Array.from({ length: a.shape.length - consuming }, () => ({}));
      const e = items.indexOf('...');
      const list = e >= 0 ? [...items.slice(0, e), ...fill, ...items.slice(e + 1)] : [...items, ...fill];
      const per: { keep: boolean; pos: number[] }[] = [];
      const outShape: number[] = [];
      let d = 0;
      for (const it of list) {
        if (it === null) {
          outShape.push(1);
          continue;
        }
        const n = a.shape[d++];
        if (typeof it === 'number') {
          if (it < -n || it >= n) return INVALID('index out of range');
          per.push({ keep: false, pos: [it < 0 ? it + n : it] });
          continue;
        }
        const s = it as { start?: number | null; stop?: number | null; step?: number | null };
        const step = s.step ?? 1;
        if (step <= 0) return INVALID('step');
        const clamp = (v: number | null | undefined, dflt: number) => (v === null || v === undefined ? dflt : Math.min(Math.max(v < 0 ? v + n : v, 0), n));
        const pos: number[] = [];
        for (let k = clamp(s.start, 0); k < clamp(s.stop, n); k += step) pos.push(k);
        per.push({ keep: true, pos });
        outShape.push(pos.length);
      }
      const full = per.map((p) => p.pos.length);
      const data = Array.from({ length: sizeOf(full) }, (_, i) => readAt(a, unravel(i, full).map((k, j) => per[j].pos[k])));
      return VALUE(arr(outShape, a.dtype, data));
    },
  }));

/** einsum on a few equations, with operands that fit or not. */
const EINSUM_FUZZ = ['ij,jk->ik', 'ii->i', 'ij->', 'i,j', '...i,...i->...', 'bij,bjk->bik', 'ij->ji', 'ij,', 'i->ii', 'i1'];
const einsumFuzzCases = fc
  .tuple(fc.constantFrom(...EINSUM_FUZZ), fc.array(targ(arrArb({ shape: nonEmptyShape(1, 3), dtype: floatDT, finite: true })), { minLength: 1, maxLength: 2 }))
  .map(([eq, xs]): Case => ({
    label: `einsum(${eq}, ${xs.map(show).join(', ')})`,
    op: 'einsum',
    tol: 1e-5,
    run: () => T.einsum(eq, ...(xs.map(realize) as Tensor[])),
    expected: () => {
      for (const x of xs) {
        const bad = badTensor(x);
        if (bad) return INVALID(bad);
      }
      const as = xs.map((x) => (x as { a: Arr }).a);
      if (eq === 'ij,' || eq === 'i->ii' || eq === 'i1') return INVALID('malformed');
      const [lhs, rhs0] = eq.split('->');
      const terms = lhs.split(',');
      if (terms.length !== as.length) return INVALID('operand count');
      if (as.some((a) => a.dtype !== as[0].dtype)) return INVALID('dtypes');
      // '...' as one letter per extra dimension, right-aligned (at most one here: rank <= 3).
      const E = Math.max(0, ...terms.map((t, k) => (t.includes('...') ? as[k].shape.length - (t.length - 3) : 0)));
      const letters = terms.map((t, k) => {
        if (!t.includes('...')) return [...t];
        const extra = as[k].shape.length - (t.length - 3);
        if (extra < 0) return null;
        return [...Array.from({ length: extra }, (_, j) => `#${E - extra + j}`), ...t.replace('...', '')];
      });
      if (letters.some((l, k) => l === null || l.length !== as[k].shape.length)) return INVALID('term rank');
      if (letters.some((ls, k) => ls!.some((l, d) => ls!.indexOf(l) < d && as[k].shape[ls!.indexOf(l)] !== as[k].shape[d]))) return INVALID('diagonal sizes');
      const size = new Map<string, number>();
      for (const [k, ls] of letters.entries()) {
        for (const [d, l] of ls!.entries()) {
          const n = as[k].shape[d];
          const prev = size.get(l);
          if (prev !== undefined && prev !== n && prev !== 1 && n !== 1) return INVALID('sizes');
          if (prev === undefined || prev === 1) size.set(l, n);
        }
      }
      const counts = new Map<string, number>();
      letters.flat().forEach((l) => counts.set(l!, (counts.get(l!) ?? 0) + 1));
      const ell = Array.from({ length: E }, (_, j) => `#${j}`);
      const once = [...counts].filter(([l, c]) => c === 1 && !l.startsWith('#')).map(([l]) => l).sort();
      const outLabels = rhs0 === undefined ? [...ell, ...once] : rhs0.includes('...') ? [...ell, ...rhs0.replace('...', '')] : [...rhs0];
      const inner = [...size.keys()].filter((l) => !outLabels.includes(l));
      const outShape = outLabels.map((l) => size.get(l)!);
      const innerShape = inner.map((l) => size.get(l)!);
      const data = Array.from({ length: sizeOf(outShape) }, (_, i) => {
        const o = unravel(i, outShape);
        let total = 0;
        for (let j = 0; j < sizeOf(innerShape); j++) {
          const s = unravel(j, innerShape);
          const val = (l: string) => (outLabels.includes(l) ? o[outLabels.indexOf(l)] : s[inner.indexOf(l)]);
          total += letters.reduce((p, ls, k) => p * readAt(as[k], ls!.map(val)), 1);
        }
        return total;
      });
      return VALUE(arr(outShape, as[0].dtype, data));
    },
  }));

// ---- core: linalg ---------------------------------------------------------------------------------

function matmulRef(a: Arr, b: Arr): Arr | string {
  if (a.shape.length === 0 || b.shape.length === 0) return 'scalar';
  if (a.dtype !== b.dtype) return 'dtypes';
  if (a.dtype === 'bool') return 'bool';
  const a2 = a.shape.length === 1 ? { ...a, shape: [1, a.shape[0]] } : a;
  const b2 = b.shape.length === 1 ? { ...b, shape: [b.shape[0], 1] } : b;
  const [m, k] = a2.shape.slice(-2);
  const [k2, n] = b2.shape.slice(-2);
  if (k !== k2) return 'inner';
  const batch = broadcast(a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  if (!batch) return 'batch';
  const shape = [...batch, m, n];
  const data: number[] = [];
  for (let i = 0; i < sizeOf(shape); i++) {
    const idx = unravel(i, shape);
    const [r, c] = idx.slice(-2);
    const bi = idx.slice(0, -2);
    let s = 0;
    for (let t = 0; t < k; t++) s += readAt(a2, [...bi, r, t]) * readAt(b2, [...bi, t, c]);
    data.push(s);
  }
  let out = shape;
  if (a.shape.length === 1) out = [...out.slice(0, -2), out[out.length - 1]];
  if (b.shape.length === 1) out = out.slice(0, -1);
  return arr(out, a.dtype, data);
}
const matShape = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 3 }));
const matmulCases = fc
  .tuple(matShape, dtypeArb, fc.integer({ min: 0, max: 4 }))
  .chain(([[ra, m, k, n], d, mode]) => {
    const sa = ra === 1 ? [k] : ra === 2 ? [m, k] : [2, m, k];
    const sb = mode === 0 ? [k + 1, n] : mode === 1 ? [k] : [k, n];
    return fc.tuple(targ(arrOf(sa, d)), targ(mode === 2 ? arrArb() : arrOf(sb, d)));
  })
  .map(([a, b]): Case => ({
    label: `matmul(${show(a)}, ${show(b)})`,
    op: 'matmul',
    tol: 1e-5,
    run: () => T.matmul(realize(a) as Tensor, realize(b) as Tensor),
    expected: () => {
      const bad = badTensor(a) ?? badTensor(b);
      if (bad) return INVALID(bad);
      const r = matmulRef((a as { a: Arr }).a, (b as { a: Arr }).a);
      return typeof r === 'string' ? INVALID(r) : VALUE(r);
    },
  }));

/** linear(x, w, b, { activation }): x Wᵀ + b, optionally through ReLU, as one op. */
const linearFnCases = fc
  .tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 3 }), dtypeArb, fc.integer({ min: 0, max: 6 }), fc.constantFrom<unknown>(undefined, 'none', 'relu', 'gelu'))
  .chain(([n, k, m, d, mode, act]) =>
    fc.tuple(
      targ(arrOf(mode === 0 ? [k] : [n, k], d)),
      targ(arrOf(mode === 1 ? [m, k + 1] : [m, k], mode === 2 ? 'float64' : d)),
      mode === 3 ? fc.constant(undefined) : fc.option(targ(arrOf(mode === 4 ? [m + 1] : [m], d)), { nil: undefined }),
      fc.constant(act),
    ),
  )
  // linear's bias may be null or undefined (no bias): those "bad" values are valid here.
  .map(([x, w, b0, activation]) => [x, w, b0 && b0.kind === 'bad' && (b0.v === null || b0.v === undefined) ? undefined : b0, activation] as const)
  .map(([x, w, b, activation]): Case => ({
    label: `linear(${show(x)}, ${show(w)}, ${b ? show(b) : 'no bias'}, ${String(activation)})`,
    op: 'linear',
    tol: 1e-5,
    run: () => T.linear(realize(x) as Tensor, realize(w) as Tensor, b ? (realize(b) as Tensor) : undefined, { activation: activation as 'relu' }),
    expected: () => {
      const bad = badTensor(x) ?? badTensor(w) ?? (b ? badTensor(b) : null);
      if (bad) return INVALID(bad);
      const xa = (x as { a: Arr }).a;
      const wa = (w as { a: Arr }).a;
      const ba = b ? (b as { a: Arr }).a : undefined;
      if (activation !== undefined && activation !== 'none' && activation !== 'relu') return INVALID('activation');
      if (xa.shape[xa.shape.length - 1] !== wa.shape[1]) return INVALID('features');
      if (xa.dtype !== wa.dtype || (ba && ba.dtype !== xa.dtype)) return INVALID('dtypes');
      if (!isFloatDT(xa.dtype)) return INVALID('not float');
      if (ba && (ba.shape.length !== 1 || ba.shape[0] !== wa.shape[0])) return INVALID('bias shape');
      let y = matmulRef(xa, permuteRef(wa, [1, 0])) as Arr;
      if (ba) y = mapN([y, ba], y.dtype, (p, q) => p + q)!;
      if (activation === 'relu') y = arr(y.shape, y.dtype, y.data.map((v) => (Number.isNaN(v) ? NaN : Math.max(v, 0))));
      return VALUE(y);
    },
  }));

// ---- convolution and pooling ---------------------------------------------------------------------

/** Windows along an axis of size n (kernel k, stride s, padding p each side); null when the kernel does not fit. */
const windowsAlong = (n: number, k: number, s: number, p: number) => (n + 2 * p < k ? null : Math.floor((n + 2 * p - k) / s) + 1);
/** [N, C, H, W] of a batched or unbatched (rank 3) image input, or null for another rank. */
const asNCHW = (a: Arr) => (a.shape.length === 4 ? a.shape : a.shape.length === 3 ? [1, ...a.shape] : null);

/** conv2d(x, w, b, { stride, padding }) against PyTorch's definition (cross-correlation, zero padding). */
const convCases = fc
  .tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 0, max: 1 }), dtypeArb, fc.integer({ min: 0, max: 8 }))
  .chain(([n, c, h, w, k, stride, padding, d, mode]) =>
    fc.tuple(
      targ(arrOf(mode === 0 ? [c, h, w] : mode === 1 ? [n, c, h] : [n, c, h, w], d)),
      targ(arrOf(mode === 2 ? [2, c + 1, k, k] : [2, c, k, k], mode === 3 ? 'float64' : d)),
      fc.option(targ(arrOf([mode === 4 ? 3 : 2], d)), { nil: undefined }),
      fc.constant(mode === 5 ? { stride, padding: -1 } : mode === 6 ? { stride: 0, padding } : { stride, padding }),
    ),
  )
  // No bias (null or undefined) is valid.
  .map(([x, wt, b0, opts]) => [x, wt, b0 && b0.kind === 'bad' && (b0.v === null || b0.v === undefined) ? undefined : b0, opts] as const)
  .map(([x, wt, b, opts]): Case => ({
    label: `conv2d(${show(x)}, ${show(wt)}, ${b ? show(b) : 'no bias'}, ${JSON.stringify(opts)})`,
    op: 'conv2d',
    tol: 1e-9,
    run: () => T.conv2d(realize(x) as Tensor, realize(wt) as Tensor, b ? (realize(b) as Tensor) : null, opts),
    expected: () => {
      const bad = badTensor(x) ?? badTensor(wt) ?? (b ? badTensor(b) : null);
      if (bad) return INVALID(bad);
      const xa = (x as { a: Arr }).a;
      const wa = (wt as { a: Arr }).a;
      const ba = b ? (b as { a: Arr }).a : undefined;
      const dims = asNCHW(xa);
      if (dims === null) return INVALID('rank');
      if (!isFloatDT(xa.dtype) || wa.dtype !== xa.dtype || (ba && ba.dtype !== xa.dtype)) return INVALID('dtypes');
      const [N, C, H, W] = dims;
      const [O, Cw, K] = wa.shape;
      if (Cw !== C) return INVALID('channels');
      if (ba && ba.shape[0] !== O) return INVALID('bias shape');
      if (opts.stride < 1 || opts.padding < 0) return INVALID('options');
      const ho = windowsAlong(H, K, opts.stride, opts.padding);
      const wo = windowsAlong(W, K, opts.stride, opts.padding);
      if (ho === null || wo === null) return INVALID('kernel larger than the padded input');
      const out: number[] = [];
      for (let n = 0; n < N; n++) {
        for (let o = 0; o < O; o++) {
          for (let i = 0; i < ho; i++) {
            for (let j = 0; j < wo; j++) {
              // Summed over (c, ki, kj) in order; the bias added to the sum rounded to the dtype.
              let acc = 0;
              for (let c = 0; c < C; c++) {
                for (let ki = 0; ki < K; ki++) {
                  for (let kj = 0; kj < K; kj++) {
                    const ih = i * opts.stride + ki - opts.padding;
                    const iw = j * opts.stride + kj - opts.padding;
                    const v = ih >= 0 && ih < H && iw >= 0 && iw < W ? xa.data[((n * C + c) * H + ih) * W + iw] : 0;
                    acc += wa.data[((o * C + c) * K + ki) * K + kj] * v;
                  }
                }
              }
              const r = store(xa.dtype, acc);
              out.push(ba ? r + ba.data[o] : r);
            }
          }
        }
      }
      return VALUE(arr(xa.shape.length === 3 ? [O, ho, wo] : [N, O, ho, wo], xa.dtype, out));
    },
  }));

/** maxPool2d and avgPool2d(x, kernelSize, { stride, padding }) against PyTorch's definitions. */
const poolCases = fc
  .tuple(fc.constantFrom('maxPool2d', 'avgPool2d'), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined }), fc.integer({ min: 0, max: 2 }), dtypeArb, fc.integer({ min: 0, max: 5 }))
  .chain(([op, n, h, w, k, stride, padding, d, mode]) =>
    fc.tuple(fc.constant(op), targ(arrOf(mode === 0 ? [h, w] : mode === 1 ? [2, h, w] : [n, 2, h, w], d)), fc.constant<unknown>(mode === 2 ? 0 : mode === 3 ? 'a' : k), fc.constant({ stride, padding })),
  )
  .map(([op, x, kernel, opts]): Case => ({
    label: `${op}(${show(x)}, ${String(kernel)}, ${JSON.stringify(opts)})`,
    op,
    tol: 1e-9,
    run: () => (op === 'maxPool2d' ? T.maxPool2d : T.avgPool2d)(realize(x) as Tensor, kernel as number, opts),
    expected: () => {
      const bad = badTensor(x);
      if (bad) return INVALID(bad);
      const xa = (x as { a: Arr }).a;
      const dims = asNCHW(xa);
      if (dims === null) return INVALID('rank');
      if (!isFloatDT(xa.dtype)) return INVALID('dtype');
      if (typeof kernel !== 'number' || kernel < 1) return INVALID('kernel size');
      const K = kernel;
      const S = opts.stride ?? K;
      const P = opts.padding;
      if (2 * P > K) return INVALID('padding over half the kernel');
      const [N, C, H, W] = dims;
      const ho = windowsAlong(H, K, S, P);
      const wo = windowsAlong(W, K, S, P);
      if (ho === null || wo === null) return INVALID('kernel larger than the padded input');
      const out: number[] = [];
      for (let plane = 0; plane < N * C; plane++) {
        for (let i = 0; i < ho; i++) {
          for (let j = 0; j < wo; j++) {
            const win: number[] = [];
            for (let ki = 0; ki < K; ki++) {
              for (let kj = 0; kj < K; kj++) {
                const ih = i * S + ki - P;
                const iw = j * S + kj - P;
                const inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
                win.push(inside ? xa.data[(plane * H + ih) * W + iw] : op === 'maxPool2d' ? -Infinity : 0);
              }
            }
            if (op === 'maxPool2d') out.push(win.some(Number.isNaN) ? NaN : Math.max(...win));
            // The window's sum (padding zeros counted: countIncludePad) rounded, then divided by K·K.
            else out.push(store(xa.dtype, win.reduce((a, v) => a + v, 0)) / (K * K));
          }
        }
      }
      return VALUE(arr(xa.shape.length === 3 ? [C, ho, wo] : [N, C, ho, wo], xa.dtype, out));
    },
  }));

// ---- creation ------------------------------------------------------------------------------------

/** The value `v` takes in `dtype`, or null when it does not fit (PyTorch truncates fractions into int). */
function fit(v: unknown, dtype: DT): number | null {
  const n = typeof v === 'boolean' ? Number(v) : v;
  if (typeof n !== 'number') return null;
  if (dtype === 'int32') {
    if (!Number.isFinite(n)) return null;
    const t = Math.trunc(n);
    return t < -(2 ** 31) || t > 2 ** 31 - 1 ? null : t;
  }
  if (dtype === 'bool') return n === 0 || n === 1 ? n : null;
  return n;
}
const elemArb = fc.oneof(
  { weight: 6, arbitrary: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom(0.5, -1.7, 3e9, -3e9, 2 ** 31, NaN, Infinity)) },
  { weight: 2, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constantFrom<unknown>('1', null, undefined, {}) },
);
const optionsArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 6, arbitrary: fc.constantFrom<unknown>('float32', 'float64', 'int32', 'bool').map((dtype) => ({ dtype })) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>({ dtype: 'int8' }, { dtype: 'float8' }, 'float32', { requiresGrad: 'yes' }, { backend: 'nope' }, { dtype: 'int32', requiresGrad: true }, null) },
);
function optionsError(o: unknown): string | null {
  if (o === undefined) return null;
  if (typeof o !== 'object' || o === null) return 'options';
  const { dtype, requiresGrad, backend } = o as { dtype?: unknown; requiresGrad?: unknown; backend?: unknown };
  if (dtype !== undefined && !(DTYPES as unknown[]).includes(dtype)) return 'dtype';
  if (requiresGrad !== undefined && typeof requiresGrad !== 'boolean') return 'requiresGrad';
  if (backend !== undefined && backend !== 'cpu') return 'backend';
  if (requiresGrad === true && !isFloatDT((dtype as DT | undefined) ?? 'float32')) return 'requiresGrad on a non-float dtype';
  return null;
}

const tensorCases = fc
  .tuple(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }), fc.integer({ min: 0, max: 5 }))
  .chain(([shape, mode]) => fc.tuple(fc.constant(shape), fc.array(elemArb, { minLength: sizeOf(shape), maxLength: sizeOf(shape) }), optionsArb, fc.constant(mode)))
  .map(([shape, flat, options, mode]): Case => {
    // Nest the flat elements into `shape` (mode 0 makes one row ragged).
    const nest = (dim: number, off: number): unknown => {
      if (dim === shape.length) return flat[off];
      const n = shape[dim];
      const stride = sizeOf(shape.slice(dim + 1));
      const rows = Array.from({ length: n }, (_, i) => nest(dim + 1, off + i * stride));
      return rows;
    };
    const data = nest(0, 0);
    const ragged = mode === 0 && shape.length >= 2 && shape[0] >= 2 && shape[1] >= 1;
    if (ragged) (data as unknown[][])[1] = (data as unknown[][])[1].slice(1);
    return {
      label: `tensor(${JSON.stringify(data)}, ${JSON.stringify(options)})`,
      op: 'tensor',
      run: () => tensor(data as never, options as never),
      expected: () => {
        const oe = optionsError(options);
        if (oe) return INVALID(oe);
        if (ragged) return INVALID('ragged');
        if (flat.some((v) => typeof v !== 'number' && typeof v !== 'boolean')) return INVALID('element');
        const dtype: DT = (options as { dtype?: DT } | undefined)?.dtype ?? (flat.length > 0 && flat.every((v) => typeof v === 'boolean') ? 'bool' : 'float32');
        const vals = flat.map((v) => fit(v, dtype));
        if (vals.some((v) => v === null)) return INVALID('does not fit');
        // Nested arrays end at the first empty level: [[], []] has shape [2, 0], [] has [0].
        const zero = shape.indexOf(0);
        return VALUE(arr(zero < 0 ? shape : shape.slice(0, zero + 1), dtype, vals as number[]));
      },
    };
  });

const shapeArgArb = fc.oneof(
  { weight: 8, arbitrary: shapeArb() as fc.Arbitrary<unknown> },
  { weight: 1, arbitrary: fc.constantFrom<unknown>([1.5], [-1], 'ab', null, [NaN], 3, [2 ** 40, 2 ** 40]) },
);
const shapeOk = (s: unknown): s is number[] => isIntList(s, 0) && sizeOf(s) < 2 ** 31;
const fillCases = fc
  .tuple(fc.constantFrom('full', 'zeros', 'ones'), shapeArgArb, fc.oneof(fc.constantFrom<unknown>(0, 1, -2.5, 3e9, NaN, Infinity, true, 'a', null)), optionsArb)
  .map(([op, shape, value, options]): Case => ({
    label: `${op}(${JSON.stringify(shape)}, ${String(value)}, ${JSON.stringify(options)})`,
    op,
    run: () => (op === 'full' ? T.full(shape as number[], value as number, options as never) : (T as unknown as Record<string, (s: unknown, o: unknown) => Tensor>)[op](shape, options)),
    expected: () => {
      if (!shapeOk(shape)) return INVALID('shape');
      const oe = optionsError(options);
      if (oe) return INVALID(oe);
      const v = op === 'full' ? value : op === 'zeros' ? 0 : 1;
      if (typeof v !== 'number' && typeof v !== 'boolean') return INVALID('value');
      const dtype: DT = (options as { dtype?: DT } | undefined)?.dtype ?? (typeof v === 'boolean' ? 'bool' : 'float32');
      const f = fit(v, dtype);
      if (f === null) return INVALID('does not fit');
      return VALUE(arr(shape, dtype, new Array(sizeOf(shape)).fill(f)));
    },
  }));

const rangeArg = fc.oneof(fc.integer({ min: -4, max: 6 }), fc.constantFrom<unknown>(0.5, 2.5, NaN, Infinity, 'a', undefined));
const rangeCases = fc
  .tuple(fc.constantFrom('arange', 'linspace'), rangeArg, rangeArg, fc.oneof(fc.integer({ min: -2, max: 4 }), fc.constantFrom<unknown>(0.5, 'x', NaN, undefined)), optionsArb)
  .map(([op, p, q, r, options]): Case => ({
    label: `${op}(${String(p)}, ${String(q)}, ${String(r)}, ${JSON.stringify(options)})`,
    op,
    tol: 1e-6,
    run: () => (T as unknown as Record<string, (...a: unknown[]) => Tensor>)[op](p, q, r, options),
    expected: () => {
      const oe = optionsError(options);
      const dtypeOpt = (options as { dtype?: DT } | undefined)?.dtype;
      if (op === 'arange') {
        if (typeof p !== 'number' || !Number.isFinite(p)) return INVALID('start');
        if (q !== undefined && (typeof q !== 'number' || !Number.isFinite(q))) return INVALID('end');
        const step = r === undefined ? 1 : r;
        if (typeof step !== 'number' || !Number.isFinite(step) || step === 0) return INVALID('step');
        if (oe) return INVALID(oe);
        const [s, e] = q === undefined ? [0, p] : [p, q];
        const n = Math.max(0, Math.ceil((e - s) / step));
        const dtype: DT = dtypeOpt ?? (Number.isInteger(s) && Number.isInteger(step) ? 'int32' : 'float32');
        const vals = Array.from({ length: n }, (_, i) => fit(s + i * step, dtype));
        if (vals.some((v) => v === null)) return INVALID('does not fit');
        return VALUE(arr([n], dtype, vals as number[]));
      }
      if (op === 'linspace') {
        if (typeof p !== 'number' || !Number.isFinite(p) || typeof q !== 'number' || !Number.isFinite(q)) return INVALID('bounds');
        if (typeof r !== 'number' || !Number.isInteger(r) || r < 0) return INVALID('steps');
        if (oe) return INVALID(oe);
        const dtype: DT = dtypeOpt ?? 'float32';
        const vals = Array.from({ length: r }, (_, i) => fit(r === 1 ? p : p + ((q - p) * i) / (r - 1), dtype));
        if (vals.some((v) => v === null)) return INVALID('does not fit');
        return VALUE(arr([r], dtype, vals as number[]));
      }
      return INVALID('unreachable');
    },
  }));
const eyeCases = fc.tuple(rangeArg, rangeArg, optionsArb).map(([n, m, options]): Case => ({
  label: `eye(${String(n)}, ${String(m)}, ${JSON.stringify(options)})`,
  op: 'eye',
  run: () => T.eye(n as number, m as number, options as never),
  expected: () => {
    const mm = m === undefined ? n : m;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return INVALID('n');
    if (typeof mm !== 'number' || !Number.isInteger(mm) || mm < 0) return INVALID('m');
    const oe = optionsError(options);
    if (oe) return INVALID(oe);
    const dtype: DT = (options as { dtype?: DT } | undefined)?.dtype ?? 'float32';
    return VALUE(arr([n, mm], dtype, Array.from({ length: n * mm }, (_, i) => +(Math.floor(i / mm) === i % mm))));
  },
}));

const likeCases = fc.tuple(fc.constantFrom('zerosLike', 'onesLike'), targ(arrArb()), fc.constantFrom<unknown>(undefined, { dtype: 'float64' }, { dtype: 'int8' }, 'x')).map(([op, x, options]): Case => ({
  label: `${op}(${show(x)}, ${JSON.stringify(options)})`,
  op,
  run: () => (T as unknown as Record<string, (t: unknown, o: unknown) => Tensor>)[op](realize(x), options),
  expected: () => {
    if (badTensor(x) || x.kind !== 'tensor') return INVALID('x');
    const oe = optionsError(options);
    if (oe) return INVALID(oe);
    const dtype = (options as { dtype?: DT } | undefined)?.dtype ?? x.a.dtype;
    return VALUE(arr(x.a.shape, dtype, new Array(sizeOf(x.a.shape)).fill(op === 'zerosLike' ? 0 : 1)));
  },
}));

/** Random draws have no single value: check the shape, dtype and range instead. */
const randomCases = fc
  .tuple(fc.constantFrom('uniform', 'normal', 'randint', 'randperm'), shapeArgArb, fc.constantFrom<unknown>(-1, 0, 2, 0.5, NaN, 'a'), fc.constantFrom<unknown>(1, 3, 5, -2, Infinity), optionsArb)
  .map(([op, shape, lo, hi, given]): Case => {
    // normal takes mean and std inside its options object.
    const options = op === 'normal' ? { ...(given as object), mean: lo, std: hi } : given;
    return {
    label: `${op}(${JSON.stringify(shape)}, ${String(lo)}, ${String(hi)}, ${JSON.stringify(options)})`,
    op,
    run: () => {
      if (op === 'uniform') return T.uniform(shape as number[], lo as number, hi as number, options as never);
      if (op === 'normal') return T.normal(shape as number[], options as never);
      if (op === 'randint') return T.randint(lo as number, hi as number, shape as number[], options as never);
      return T.randperm(hi as number, options as never);
    },
    expected: () => {
      const dtypeOpt = (options as { dtype?: DT } | undefined)?.dtype;
      const oe = optionsError(options);
      // randint and randperm draw int32 only: another dtype would be ignored, so it is refused.
      const intOnly = op === 'randint' || op === 'randperm';
      if (op === 'randperm') {
        if (typeof hi !== 'number' || !Number.isInteger(hi) || hi < 0) return INVALID('n');
        if (oe) return INVALID(oe);
        if (dtypeOpt !== undefined && dtypeOpt !== 'int32') return INVALID('dtype');
        return {
          check: (t) => {
            const v = Array.from((t as Tensor).dataSync() as Int32Array).sort((a, b) => a - b);
            expect((t as Tensor).dtype).toBe('int32');
            expect(v).toEqual(Array.from({ length: hi }, (_, i) => i));
          },
        };
      }
      if (!shapeOk(shape)) return INVALID('shape');
      if (typeof lo !== 'number' || !Number.isFinite(lo)) return INVALID('low/mean');
      if (typeof hi !== 'number' || !Number.isFinite(hi)) return INVALID('high/std');
      if (options === null || (options !== undefined && typeof options !== 'object')) return INVALID('options');
      if (intOnly) {
        if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi <= lo) return INVALID('bounds');
        if (oe) return INVALID(oe);
        if (dtypeOpt !== undefined && dtypeOpt !== 'int32') return INVALID('dtype');
      } else {
        if (op === 'uniform' && hi < lo) return INVALID('high < low');
        if (op === 'normal' && hi < 0) return INVALID('std < 0');
        if (oe) return INVALID(oe);
        if (dtypeOpt !== undefined && !isFloatDT(dtypeOpt)) return INVALID('draws into an int dtype');
      }
      const dtype: DT = op === 'randint' ? 'int32' : dtypeOpt ?? 'float32';
      return {
        check: (t) => {
          const x = t as Tensor;
          expect(x.shape).toEqual(shape);
          expect(x.dtype).toBe(dtype);
          for (const v of Array.from(x.dataSync() as ArrayLike<number>)) {
            if (op === 'normal') expect(Number.isFinite(v)).toBe(true);
            else if (op === 'uniform') expect(v >= Math.fround(lo) && v <= Math.fround(hi)).toBe(true);
            else expect(Number.isInteger(v) && v >= lo && v < (hi as number)).toBe(true);
          }
        },
      };
    },
  };
  });

// ---- activations, losses -------------------------------------------------------------------------

const ACT: Record<string, { f: (v: number) => number; call: (x: unknown) => unknown; tol?: number }> = {
  unitStep: { f: (v) => (Number.isNaN(v) ? NaN : v > 0 ? 1 : v < 0 ? 0 : 0.5), call: (x) => F.unitStep(x as Tensor) },
  sign: { f: (v) => (Number.isNaN(v) ? ANY : Math.sign(v)), call: (x) => F.sign(x as Tensor) },
  identity: { f: (v) => v, call: (x) => F.identity(x as Tensor) },
  piecewiseLinear: { f: (v) => (Number.isNaN(v) ? NaN : v <= -0.5 ? 0 : v >= 0.5 ? 1 : v + 0.5), call: (x) => F.piecewiseLinear(x as Tensor) },
  sigmoid: { f: sigmoid, call: (x) => F.sigmoid(x as Tensor), tol: 1e-6 },
  tanh: { f: Math.tanh, call: (x) => F.tanh(x as Tensor) },
  relu: { f: (v) => (Number.isNaN(v) ? NaN : Math.max(v, 0)), call: (x) => F.relu(x as Tensor) },
  leakyRelu: { f: (v) => (v > 0 ? v : v * 0.01), call: (x) => F.leakyRelu(x as Tensor) },
  elu: { f: (v) => (v > 0 ? v : Math.expm1(v)), call: (x) => F.elu(x as Tensor), tol: 1e-6 },
  // PyTorch 1.13: gelu(-inf) and silu(-inf) are NaN (-inf · 0), as the plain formulas give.
  gelu: { f: (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)), call: (x) => F.gelu(x as Tensor), tol: 1e-6 },
  softplus: { f: (v) => (v > 20 ? v : Math.log1p(Math.exp(v))), call: (x) => F.softplus(x as Tensor), tol: 1e-6 },
  silu: { f: (v) => v * sigmoid(v), call: (x) => F.silu(x as Tensor), tol: 1e-6 },
};
const activationCases = fc.tuple(fc.constantFrom(...Object.keys(ACT)), targ(arrArb())).map(([op, x]): Case => ({
  label: `F.${op}(${show(x)})`,
  op,
  tol: ACT[op].tol,
  run: () => ACT[op].call(realize(x)),
  expected: () => {
    if (badTensor(x) || x.kind !== 'tensor') return INVALID('x');
    if (!isFloatDT(x.a.dtype)) return INVALID('not float');
    return VALUE(arr(x.a.shape, x.a.dtype, x.a.data.map(ACT[op].f)));
  },
}));

const LOSS: Record<string, (p: number, t: number) => number> = {
  l1Loss: (p, t) => Math.abs(p - t),
  mseLoss: (p, t) => (p - t) ** 2,
  smoothL1Loss: (p, t) => (Math.abs(p - t) < 1 ? 0.5 * (p - t) ** 2 : Math.abs(p - t) - 0.5),
  huberLoss: (p, t) => (Math.abs(p - t) <= 1 ? 0.5 * (p - t) ** 2 : Math.abs(p - t) - 0.5),
  // Infinite logits: PyTorch 1.13 gives NaN where the limit is 0 or inf ((inf, 1), (-inf, 0), (-inf, 1))
  // and inf at (inf, 0.25); no value is right in both senses, so they are left unchecked.
  bceWithLogitsLoss: (x, t) => (Number.isFinite(x) || Number.isNaN(x) ? Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x))) : ANY),
  bceLoss: (p, t) => -(t * Math.max(Math.log(p), -100) + (1 - t) * Math.max(Math.log(1 - p), -100)),
};
const reductionArb = fc.constantFrom<unknown>(undefined, 'mean', 'sum', 'none', 'avg');
const pointwiseLossCases = fc
  .tuple(fc.constantFrom(...Object.keys(LOSS)), shapeArb(), floatDT, fc.integer({ min: 0, max: 6 }), reductionArb)
  .chain(([op, s, d, mode, red]) =>
    fc.tuple(
      fc.constant(op),
      targ(op === 'bceLoss' ? fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: sizeOf(s), maxLength: sizeOf(s) }).map((v) => arr(s, d, v)) : arrOf(s, d)),
      targ(mode === 0 ? arrArb() : op.startsWith('bce') ? fc.array(fc.constantFrom(0, 1, 0.25), { minLength: sizeOf(s), maxLength: sizeOf(s) }).map((v) => arr(s, d, v)) : arrOf(s, d)),
      fc.constant(red),
    ),
  )
  .map(([op, x, y, reduction]): Case => ({
    label: `F.${op}(${show(x)}, ${show(y)}, ${String(reduction)})`,
    op,
    tol: 1e-5,
    run: () => (F as unknown as Record<string, (a: unknown, b: unknown, o: unknown) => Tensor>)[op](realize(x), realize(y), { reduction }),
    expected: () => {
      if (reduction !== undefined && reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') return INVALID('reduction');
      const bad = badTensor(x) ?? badTensor(y);
      if (bad) return INVALID(bad);
      const a = (x as { a: Arr }).a;
      const b = (y as { a: Arr }).a;
      if (!isFloatDT(a.dtype)) return INVALID('input not float');
      if (a.shape.join() !== b.shape.join() || a.shape.length !== b.shape.length) return INVALID('shapes differ');
      if (a.dtype !== b.dtype) return INVALID('dtypes differ');
      if (op === 'bceLoss' && a.data.some((v) => !(v >= 0 && v <= 1))) return INVALID('probability outside [0, 1]');
      const per = a.data.map((v, i) => LOSS[op](v, b.data[i]));
      if (reduction === 'none') return VALUE(arr(a.shape, a.dtype, per));
      const sum = per.includes(ANY) ? ANY : per.reduce((p, q) => p + q, 0);
      // PyTorch: the mean of an empty batch is NaN (0/0).
      return VALUE(arr([], a.dtype, [sum === ANY || reduction === 'sum' ? sum : sum / per.length]));
    },
  }));

const indexLossCases = fc
  .tuple(fc.constantFrom('nllLoss', 'crossEntropyLoss'), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 4 }), floatDT, fc.integer({ min: 0, max: 5 }), reductionArb)
  .chain(([op, n, c, d, mode, red]) =>
    fc.tuple(
      fc.constant(op),
      targ(arrOf([n, c], d)),
      targ(mode === 0 ? arrArb() : arrOf([n], 'int32').map((t) => arr(t.shape, 'int32', t.data.map((v) => (mode === 1 ? v : Math.abs(v) % c))))),
      fc.constant(red),
    ),
  )
  .map(([op, x, y, reduction]): Case => ({
    label: `F.${op}(${show(x)}, ${show(y)}, ${String(reduction)})`,
    op,
    tol: 1e-5,
    run: () => (F as unknown as Record<string, (a: unknown, b: unknown, o: unknown) => Tensor>)[op](realize(x), realize(y), { reduction }),
    expected: () => {
      if (reduction !== undefined && reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') return INVALID('reduction');
      const bad = badTensor(x) ?? badTensor(y);
      if (bad) return INVALID(bad);
      const a = (x as { a: Arr }).a;
      const t = (y as { a: Arr }).a;
      const [n, c] = a.shape;
      if (op === 'crossEntropyLoss' && isFloatDT(t.dtype)) {
        if (t.shape.join() !== a.shape.join() || t.dtype !== a.dtype) return INVALID('probability target');
        const per = Array.from({ length: n }, (_, i) => {
          const row = a.data.slice(i * c, i * c + c);
          const m = Math.max(...row);
          const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
          return -row.reduce((s, v, j) => s + (v - lse) * t.data[i * c + j], 0);
        });
        if (reduction === 'none') return VALUE(arr([n], a.dtype, per));
        const sum = per.reduce((p, q) => p + q, 0);
        return VALUE(arr([], a.dtype, [reduction === 'sum' ? sum : sum / n]));
      }
      if (t.dtype !== 'int32') return INVALID('target dtype');
      if (t.shape.join() !== String(n) || t.shape.length !== 1) return INVALID('target shape');
      if (t.data.some((k) => (k < 0 || k >= c) && k !== -100)) return INVALID('class out of range');
      const per = Array.from({ length: n }, (_, i) => {
        const k = t.data[i];
        if (k === -100) return 0;
        const row = a.data.slice(i * c, i * c + c);
        if (op === 'nllLoss') return -row[k];
        const m = Math.max(...row);
        return -(row[k] - m - Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0)));
      });
      if (reduction === 'none') return VALUE(arr([n], a.dtype, per));
      const sum = per.reduce((p, q) => p + q, 0);
      const count = t.data.filter((k) => k !== -100).length;
      return VALUE(arr([], a.dtype, [reduction === 'sum' ? sum : sum / count]));
    },
  }));

// ---- layers ----------------------------------------------------------------------------------------

const featArb = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 3 }) as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: fc.constantFrom<unknown>(-1, 1.5, 'a', NaN) });
const linearCases = fc
  .tuple(featArb, featArb, fc.constantFrom<unknown>(undefined, { bias: false }, { dtype: 'float64' }, { dtype: 'int32' }, { dtype: 'int64' }, { bias: 'no' }), fc.integer({ min: 0, max: 3 }), dtypeArb, fc.integer({ min: 0, max: 3 }))
  .chain(([inF, outF, options, batch, d, mode]) => {
    const inN = typeof inF === 'number' && Number.isInteger(inF) && inF >= 0 ? inF : 2;
    const shape = mode === 0 ? [batch, inN + 1] : mode === 1 ? [inN] : [batch, inN];
    return fc.tuple(fc.constant(inF), fc.constant(outF), fc.constant(options), targ(arrOf(shape, mode === 3 ? d : ((options as { dtype?: DT } | undefined)?.dtype ?? 'float32'), true)));
  })
  .map(([inF, outF, options, x]): Case => {
    let layer: T.nn.Linear | undefined;
    return {
      label: `nn.Linear(${String(inF)}, ${String(outF)}, ${JSON.stringify(options)}).call(${show(x)})`,
      op: 'Linear',
      tol: 1e-5,
      run: () => {
        layer = new nn.Linear(inF as number, outF as number, options as never);
        return layer.call(realize(x) as Tensor);
      },
      expected: () => {
        for (const f of [inF, outF]) if (typeof f !== 'number' || !Number.isInteger(f) || f < 0) return INVALID('features');
        const o = options as { bias?: unknown; dtype?: unknown } | undefined;
        if (o?.dtype !== undefined && o.dtype !== 'float32' && o.dtype !== 'float64') return INVALID('dtype');
        if (o?.bias !== undefined && typeof o.bias !== 'boolean') return INVALID('bias');
        const bad = badTensor(x);
        if (bad || x.kind !== 'tensor') return INVALID(bad ?? '');
        const a = x.a;
        const pdt = (o?.dtype as DT | undefined) ?? 'float32';
        if (a.shape.length === 0 || a.shape[a.shape.length - 1] !== inF) return INVALID('features');
        if (a.dtype !== pdt) return INVALID('input dtype');
        // The parameters are random: read them after the call and compute y = x Wᵀ + b from them.
        return {
          check: (y) => {
            const l = layer!;
            const w = arr([outF as number, inF as number], pdt, Array.from(l.weight.dataSync() as ArrayLike<number>));
            const wt = permuteRef(w, [1, 0]);
            let ref = matmulRef(a, wt) as Arr;
            if (l.bias) ref = mapN([ref, arr([outF as number], pdt, Array.from(l.bias.dataSync() as ArrayLike<number>))], pdt, (p, q) => p + q)!;
            compareTensor('Linear', y, ref, 1e-5);
          },
        };
      },
    };
  });

const moduleCases = fc
  .tuple(fc.constantFrom('Sequential', 'Flatten', 'Dropout', 'ReLU', 'Softmax'), targ(arrArb({ dtype: fc.constantFrom<DT>('float32', 'float64', 'int32'), finite: true })), fc.constantFrom<unknown>(0, 0.5, 1, -0.1, 'a'))
  .map(([op, x, p]): Case => ({
    label: `nn.${op}(${String(p)}).call(${show(x)})`,
    // A container's error names the layer that refused the input.
    op: op === 'Softmax' ? ['Softmax', 'softmax'] : op === 'ReLU' || op === 'Sequential' ? ['ReLU', 'relu', 'Sequential'] : op === 'Flatten' ? ['Flatten', 'flatten'] : op,
    tol: 1e-5,
    run: () => {
      const xt = realize(x) as Tensor;
      if (op === 'Sequential') return new nn.Sequential(new nn.ReLU(), new nn.Identity()).call(xt);
      if (op === 'Flatten') return new nn.Flatten().call(xt);
      if (op === 'Dropout') {
        const m = new nn.Dropout(p as number);
        m.eval();
        return m.call(xt);
      }
      if (op === 'ReLU') return new nn.ReLU().call(xt);
      return new nn.Softmax(-1).call(xt);
    },
    expected: () => {
      if (op === 'Dropout' && (typeof p !== 'number' || !(p >= 0 && p <= 1))) return INVALID('p');
      const bad = badTensor(x);
      if (bad || x.kind !== 'tensor') return INVALID(bad ?? '');
      const a = x.a;
      if (op === 'Flatten') {
        // nn.Flatten: axes 1 to the end (PyTorch); a 0-d or 1-d input has no axis 1 (IndexError in PyTorch).
        if (a.shape.length < 2) return INVALID('no axis 1');
        return VALUE(arr([a.shape[0], sizeOf(a.shape.slice(1))], a.dtype, a.data));
      }
      if (op === 'Dropout') return VALUE(a); // eval mode: the identity
      if (!isFloatDT(a.dtype)) return INVALID('not float');
      if (op === 'Softmax') {
        if (a.shape.length === 0) return VALUE(arr([], a.dtype, [1]));
        const c = a.shape[a.shape.length - 1];
        const out = a.data.slice();
        for (let i = 0; i < out.length; i += c) {
          const row = a.data.slice(i, i + c);
          const m = Math.max(...row);
          const s = row.reduce((acc, v) => acc + Math.exp(v - m), 0);
          for (let j = 0; j < c; j++) out[i + j] = Math.exp(row[j] - m) / s;
        }
        return VALUE(arr(a.shape, a.dtype, out));
      }
      return VALUE(arr(a.shape, a.dtype, a.data.map((v) => Math.max(v, 0))));
    },
  }));

// ---- optimizers ----------------------------------------------------------------------------------

/** One step of each optimizer from fresh state, in closed form (PyTorch's update rules at step 1). */
const OPTIM: Record<string, (p: number, g: number, lr: number) => number> = {
  SGD: (p, g, lr) => p - lr * g,
  Adam: (p, g, lr) => p - (lr * g) / (Math.abs(g) + 1e-8),
  AdamW: (p, g, lr) => p * (1 - lr * 0.01) - (lr * g) / (Math.abs(g) + 1e-8),
  Adagrad: (p, g, lr) => p - (lr * g) / (Math.abs(g) + 1e-10),
  RMSprop: (p, g, lr) => p - (lr * g) / (Math.sqrt(0.01 * g * g) + 1e-8),
};
const optimCases = fc
  .tuple(fc.constantFrom(...Object.keys(OPTIM)), arrArb({ dtype: floatDT, shape: nonEmptyShape(0, 2), finite: true }), fc.constantFrom<unknown>(0.1, 0.01, 0, -1, NaN, 'a'), fc.integer({ min: 0, max: 6 }))
  .chain(([op, p, lr, mode]) => fc.tuple(fc.constant(op), fc.constant(p), arrOf(p.shape, p.dtype, true), fc.constant(lr), fc.constant(mode)))
  .map(([op, p, g, lr, mode]): Case => ({
    label: `optim.${op}(${p.dtype}[${p.shape}], lr=${String(lr)}, mode ${mode})`,
    op,
    tol: 1e-5,
    run: () => {
      const param = mk(p).requiresGrad_();
      const params: unknown = mode === 0 ? [] : mode === 1 ? [mk(p)] : mode === 2 ? 'params' : [param];
      const Ctor = (optim as unknown as Record<string, new (params: unknown, o: unknown) => { step(): void }>)[op];
      const opt = new Ctor(params, { lr });
      param.grad = mk(g);
      opt.step();
      return param.detach();
    },
    expected: () => {
      if (mode === 0 || mode === 1 || mode === 2) return INVALID('params');
      if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) return INVALID('lr');
      return VALUE(arr(p.shape, p.dtype, p.data.map((v, i) => OPTIM[op](v, g.data[i], lr))));
    },
  }));

// ---- layer initialisers, schedulers, module classes, tensor methods ---------------------------------

const INIT = ['uniform_', 'normal_', 'constant_', 'zeros_', 'ones_', 'xavierUniform_', 'xavierNormal_', 'kaimingUniform_', 'kaimingNormal_'] as const;
const initCases = fc
  .tuple(fc.constantFrom(...INIT), targ(arrArb({ shape: shapeArb(3), finite: true })), fc.constantFrom<unknown>(0, 1, 2.5, -1, 3e9, NaN, 'a'))
  .map(([op, x, v]): Case => ({
    label: `init.${op}(${show(x)}, ${String(v)})`,
    op,
    run: () => {
      const t = realize(x) as Tensor;
      const f = (nn.init as unknown as Record<string, (t: unknown, ...a: unknown[]) => Tensor>)[op];
      const out = op === 'uniform_' ? f(t, -Math.abs(v as number), v) : op === 'constant_' || op === 'normal_' || op.startsWith('xavier') ? f(t, v) : f(t);
      return out === t ? t : 'not the same tensor';
    },
    expected: () => {
      if (badTensor(x) || x.kind !== 'tensor') return INVALID('tensor');
      const a = x.a;
      const num = typeof v === 'number' && Number.isFinite(v);
      if (op === 'constant_' || op === 'zeros_' || op === 'ones_') {
        const value = op === 'zeros_' ? 0 : op === 'ones_' ? 1 : v;
        if (typeof value !== 'number' || Number.isNaN(value)) return INVALID('value');
        const f = fit(value, a.dtype);
        if (f === null) return INVALID('does not fit');
        return VALUE(arr(a.shape, a.dtype, new Array(sizeOf(a.shape)).fill(f)));
      }
      if (!isFloatDT(a.dtype)) return INVALID('random values into a non-float tensor');
      if (op === 'uniform_' && !num) return INVALID('bounds');
      if (op === 'normal_' && !num) return INVALID('mean');
      if (op.startsWith('xavier') || op.startsWith('kaiming')) {
        if (op.startsWith('xavier') && !(num && (v as number) >= 0)) return INVALID('gain');
        if (a.shape.length < 2) return INVALID('fans need 2 dimensions');
        const receptive = sizeOf(a.shape.slice(2));
        const fanIn = a.shape[1] * receptive;
        const fanOut = a.shape[0] * receptive;
        if (op.startsWith('xavier') ? fanIn + fanOut === 0 : fanIn === 0) return INVALID('zero fan');
      }
      return {
        check: (t) => {
          expect(t).toBeInstanceOf(Tensor);
          const vals = Array.from((t as Tensor).dataSync() as ArrayLike<number>);
          expect(vals.every(Number.isFinite)).toBe(true);
          if (op === 'uniform_') expect(vals.every((q) => Math.abs(q) <= Math.abs(v as number) * (1 + 1e-6))).toBe(true);
        },
      };
    },
  }));

const schedulerCases = fc
  .tuple(fc.constantFrom('StepLR', 'ExponentialLR', 'CosineAnnealingLR', 'MultiStepLR', 'LinearLR'), fc.constantFrom<unknown>(1, 2, 3, 0, -1, 1.5, 'a'), fc.constantFrom<unknown>(0.5, 0.1, 0, -0.5, NaN), fc.integer({ min: 0, max: 5 }))
  .map(([op, n, g, steps]): Case => ({
    label: `optim.${op}(${String(n)}, ${String(g)}) x${steps}`,
    op,
    run: () => {
      const p = tensor([1]).requiresGrad_();
      const opt = new optim.SGD([p], { lr: 0.1 });
      const S = optim as unknown as Record<string, new (o: unknown, a: unknown) => { step(): void; getLastLr(): number[] }>;
      const sched =
        op === 'StepLR' ? new S.StepLR(opt, { stepSize: n, gamma: g })
        : op === 'ExponentialLR' ? new S.ExponentialLR(opt, { gamma: g })
        : op === 'MultiStepLR' ? new S.MultiStepLR(opt, { milestones: [n], gamma: g })
        : op === 'LinearLR' ? new S.LinearLR(opt, { startFactor: g, totalIters: n })
        : new S.CosineAnnealingLR(opt, { tMax: n, etaMin: g });
      for (let i = 0; i < steps; i++) sched.step();
      return opt.paramGroups[0].lr;
    },
    expected: () => {
      const posInt = typeof n === 'number' && Number.isInteger(n) && n > 0;
      const nonNeg = typeof g === 'number' && Number.isFinite(g) && g >= 0;
      // PyTorch's closed forms: the constructor takes epoch 0 (lr = base), each step() one more epoch.
      if (op === 'StepLR') {
        if (!posInt || !nonNeg) return INVALID('stepSize/gamma');
        return VALUE(0.1 * (g as number) ** Math.floor(steps / (n as number)));
      }
      if (op === 'ExponentialLR') {
        if (!nonNeg) return INVALID('gamma');
        return VALUE(0.1 * (g as number) ** steps);
      }
      if (op === 'MultiStepLR') {
        // One milestone n (an epoch >= 0): lr = base · gamma once the epoch reaches it.
        if (!(typeof n === 'number' && Number.isInteger(n) && n >= 0) || !nonNeg) return INVALID('milestones/gamma');
        return VALUE(0.1 * (g as number) ** (steps >= (n as number) ? 1 : 0));
      }
      if (op === 'LinearLR') {
        // startFactor in (0, 1]: lr = base · (s + (1 - s)·min(epoch, n)/n).
        if (!posInt || !(typeof g === 'number' && g > 0 && g <= 1)) return INVALID('totalIters/startFactor');
        return VALUE(0.1 * ((g as number) + ((1 - (g as number)) * Math.min(steps, n as number)) / (n as number)));
      }
      if (!posInt || !nonNeg) return INVALID('tMax/etaMin');
      return { check: (lr) => expect(Number.isFinite(lr as number)).toBe(true) };
    },
  }));

/** Loss and activation modules take the same arguments as their functions and must agree with them. */
const moduleClassCases = fc
  .tuple(fc.constantFrom('L1Loss', 'MSELoss', 'HuberLoss', 'SmoothL1Loss', 'LeakyReLU', 'ELU', 'Softplus', 'GELU', 'Sigmoid', 'Tanh', 'SiLU'), arrArb({ dtype: fc.constantFrom<DT>('float32', 'float64', 'int32'), finite: true }), fc.constantFrom<unknown>(undefined, 'sum', 'none', 'bad', 0.2, -1, NaN))
  .chain(([op, a, opt]) => fc.tuple(fc.constant(op), targ(fc.constant(a)), targ(arrOf(a.shape, a.dtype, true)), fc.constant(opt)))
  .map(([op, x, y, opt]): Case => {
    const isLoss = op.endsWith('Loss');
    return {
      label: `nn.${op}(${String(opt)}).call(${show(x)}${isLoss ? `, ${show(y)}` : ''})`,
      op: [op, op[0].toLowerCase() + op.slice(1).replace('MSE', 'mse').replace('L1Loss', 'l1Loss'), 'mseLoss', 'l1Loss', 'smoothL1Loss', 'huberLoss', 'leakyRelu', 'elu', 'softplus', 'gelu', 'sigmoid', 'tanh', 'silu'],
      tol: 1e-5,
      run: () => {
        const M = nn as unknown as Record<string, new (...a: unknown[]) => { call(...t: unknown[]): Tensor }>;
        if (isLoss) return new M[op]({ reduction: opt }).call(realize(x), realize(y));
        const arg = op === 'LeakyReLU' ? opt : op === 'ELU' ? opt : op === 'Softplus' ? { beta: opt } : op === 'GELU' ? { approximate: opt } : undefined;
        return new M[op](arg).call(realize(x));
      },
      expected: () => {
        const bad = badTensor(x) ?? (isLoss ? badTensor(y) : null);
        if (isLoss) {
          if (opt !== undefined && opt !== 'sum' && opt !== 'none' && opt !== 'mean') return INVALID('reduction');
          if (bad) return INVALID(bad);
          const a = (x as { a: Arr }).a;
          const b = (y as { a: Arr }).a;
          if (!isFloatDT(a.dtype)) return INVALID('input not float');
          const f = LOSS[op === 'L1Loss' ? 'l1Loss' : op === 'MSELoss' ? 'mseLoss' : op === 'HuberLoss' ? 'huberLoss' : 'smoothL1Loss'];
          const per = a.data.map((v, i) => f(v, b.data[i]));
          if (opt === 'none') return VALUE(arr(a.shape, a.dtype, per));
          const sum = per.reduce((p, q) => p + q, 0);
          return VALUE(arr([], a.dtype, [opt === 'sum' ? sum : sum / per.length]));
        }
        // Module options: a slope/alpha must be finite, softplus' beta positive, GELU's approximate 'none' or 'tanh'.
        if ((op === 'LeakyReLU' || op === 'ELU') && opt !== undefined && !(typeof opt === 'number' && Number.isFinite(opt))) return INVALID('parameter');
        if (op === 'Softplus' && opt !== undefined && !(typeof opt === 'number' && Number.isFinite(opt) && opt > 0)) return INVALID('beta');
        if (op === 'GELU' && opt !== undefined && opt !== 'none' && opt !== 'tanh') return INVALID('approximate');
        if (bad) return INVALID(bad);
        const a = (x as { a: Arr }).a;
        if (!isFloatDT(a.dtype)) return INVALID('not float');
        const slope = typeof opt === 'number' ? opt : undefined;
        const f =
          op === 'LeakyReLU' ? (v: number) => (v > 0 ? v : v * (slope ?? 0.01))
          : op === 'ELU' ? (v: number) => (v > 0 ? v : (slope ?? 1) * Math.expm1(v))
          : op === 'Softplus' ? (v: number) => { const b = slope ?? 1; return b * v > 20 ? v : Math.log1p(Math.exp(b * v)) / b; }
          : op === 'GELU' && opt === 'tanh' ? (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))
          : op === 'GELU' ? (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2))
          : op === 'Sigmoid' ? sigmoid
          : op === 'Tanh' ? Math.tanh
          : (v: number) => v * sigmoid(v);
        return VALUE(arr(a.shape, a.dtype, a.data.map(f)));
      },
    };
  });

/** Reading values back: item, toArray, dataSync on live, disposed and wrong-sized tensors. */
const readCases = fc.tuple(fc.constantFrom('item', 'toArray', 'dataSync'), targ(arrArb()).filter((x) => x.kind !== 'bad')).map(([op, x]): Case => ({
  label: `${op}(${show(x)})`,
  op: [op, 'disposed'],
  run: () => {
    const t = realize(x);
    const r = (t as unknown as Record<string, () => unknown>)[op]();
    return op === 'dataSync' ? Array.from(r as ArrayLike<number>) : r;
  },
  expected: () => {
    if (x.kind === 'disposed') return INVALID('disposed');
    const a = x.a;
    if (op === 'item') return sizeOf(a.shape) === 1 ? VALUE(a.data[0]) : INVALID('not one element');
    return {
      check: (r) => {
        const flat = op === 'dataSync' ? (r as number[]) : (a.shape.length === 0 ? [r] : (r as unknown[]).flat(Infinity)).map(Number);
        expect(flat.length).toBe(a.data.length);
        flat.forEach((v, i) => expect(close(v as number, a.data[i], 0)).toBe(true));
      },
    };
  },
}));

/** The autograd and scope API: grad, valueAndGrad, vjp, backward, assign, noGrad, tidy, keep, graphOf, gradcheck. */
const AUTOGRAD = ['grad', 'valueAndGrad', 'vjp', 'backward', 'assign', 'noGrad', 'enableGrad', 'tidy', 'keep', 'graphOf', 'requiresGrad_', 'gradSetter'] as const;
const autogradCases = fc
  .tuple(fc.constantFrom(...AUTOGRAD), arrArb({ dtype: floatDT, shape: nonEmptyShape(0, 2), finite: true }), fc.integer({ min: 0, max: 4 }), badArb)
  .map(([op, a, mode, bad]): Case => {
    const good = mode > 0;
    const opName = op === 'gradSetter' ? 'grad' : op;
    return {
      label: `${op}(${a.dtype}[${a.shape}], ${good ? 'valid' : `bad:${typeof bad === 'symbol' ? 'symbol' : JSON.stringify(bad) ?? typeof bad}`})`,
      op: opName,
      tol: 1e-6,
      run: () => {
        const x = mk(a);
        // f(x) = sum(x²): its gradient is 2x.
        const f = (t: Tensor) => t.mul(t).sum();
        switch (op) {
          case 'grad': return T.grad(good ? f : (bad as never))(x);
          case 'valueAndGrad': return T.valueAndGrad(good ? f : (bad as never))(x)[1];
          case 'vjp': return T.vjp((t: Tensor) => t.mul(t), [x], good ? T.onesLike(x) : (bad as never))[0];
          case 'backward': {
            const w = mk(a).requiresGrad_();
            w.mul(w).backward(good ? T.onesLike(w) : (bad as never));
            return w.grad;
          }
          case 'assign': {
            const w = T.zerosLike(x);
            w.assign(good ? x.mul(2) : (bad as never));
            return w;
          }
          case 'noGrad': return T.noGrad(good ? () => x.mul(2) : (bad as never));
          case 'enableGrad': return T.enableGrad(good ? () => x.mul(2) : (bad as never));
          case 'tidy': return T.tidy(good ? () => x.mul(2) : (bad as never));
          case 'keep': return T.keep(good ? x.mul(2) : (bad as never));
          case 'graphOf': return T.graphOf(good ? x.mul(2) : (bad as never)) && x.mul(2);
          case 'requiresGrad_': return x.requiresGrad_(good ? true : (bad as never)) && x.mul(2);
          default: {
            const w = mk(a).requiresGrad_();
            w.grad = good ? x.mul(2) : (bad as never);
            return w.grad;
          }
        }
      },
      expected: () => {
        // Values that are valid in place of the bad argument: undefined where it is optional,
        // a boolean flag for requiresGrad_, null for a cleared gradient.
        const acceptable =
          (op === 'backward' && bad === undefined && sizeOf(a.shape) === 1) ||
          (op === 'requiresGrad_' && (bad === true || bad === undefined)) ||
          (op === 'gradSetter' && bad === null);
        // The bad-value pool holds one function, () => 1: a valid body for noGrad, enableGrad and tidy.
        if (!good && typeof bad === 'function' && (op === 'noGrad' || op === 'enableGrad' || op === 'tidy')) return VALUE(1);
        if (!good && !acceptable) return INVALID('bad argument');
        if (op === 'gradSetter' && !good) return { check: (r) => expect(r).toBeNull() };
        return VALUE(arr(a.shape, a.dtype, a.data.map((v) => 2 * v)));
      },
    };
  });

// ---- the runs --------------------------------------------------------------------------------------

const FAMILIES: [string, fc.Arbitrary<Case>, number][] = [
  ['unary ops', unaryCases, 220],
  ['cast', castCases, 60],
  ['binary ops and comparisons', binaryCases, 260],
  ['div and floorDivide', divCases, 160],
  ['where', whereCases, 60],
  ['clamp', clampCases, 80],
  ['reductions', reduceCases, 220],
  ['softmax and logSoftmax', softmaxCases, 60],
  ['movement ops', movementCases, 260],
  ['sort, argsort, topk, max/min over an axis, cumprod', sortingCases, 160],
  ['gather and scatterAdd', gatherFuzzCases, 100],
  ['index', indexFuzzCases, 100],
  ['einsum', einsumFuzzCases, 80],
  ['concat and stack', joinCases, 80],
  ['matmul', matmulCases, 80],
  ['linear', linearFnCases, 60],
  ['conv2d', convCases, 80],
  ['maxPool2d and avgPool2d', poolCases, 80],
  ['tensor()', tensorCases, 120],
  ['full, zeros, ones', fillCases, 80],
  ['arange, linspace', rangeCases, 80],
  ['eye', eyeCases, 40],
  ['zerosLike, onesLike', likeCases, 30],
  ['random factories', randomCases, 60],
  ['activations', activationCases, 120],
  ['pointwise losses', pointwiseLossCases, 100],
  ['nllLoss, crossEntropyLoss', indexLossCases, 60],
  ['nn.Linear', linearCases, 60],
  ['modules', moduleCases, 40],
  ['optimizers', optimCases, 60],
  ['nn.init', initCases, 60],
  ['LR schedulers', schedulerCases, 40],
  ['loss and activation modules', moduleClassCases, 80],
  ['item, toArray, dataSync', readCases, 40],
  ['autograd and scope API', autogradCases, 80],
];

/** TSGRAD_FUZZ_SCALE=10 runs ten times as many calls (a deeper local search); CI uses 1. */
const SCALE = Math.max(1, Number(process.env.TSGRAD_FUZZ_SCALE ?? 1) || 1);

describe('fuzz: every public op against a plain-JS reference', () => {
  afterAll(() => {
    // The issue asks for at least 2,000 calls per run.
    expect(calls).toBeGreaterThanOrEqual(2000);
  });
  for (const [name, arb, numRuns] of FAMILIES) {
    it(name, () => {
      fc.assert(fc.property(arb, (c) => runCase(c)), { numRuns: numRuns * SCALE });
    });
  }
});
