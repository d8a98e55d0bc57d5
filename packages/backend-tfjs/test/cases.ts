// Per-primitive cases run on a tfjs-based backend and on the CPU reference, compared value by value.
// Environment-agnostic (only @tsgrad/core): the Node tests and the WebGL browser page share it.
import { apply, getBackend, Tensor, typedArrayFor, type DType, type OpName, type OpParams, type Shape, type TypedArray } from '@tsgrad/core';

export interface InputSpec {
  readonly shape: Shape;
  readonly dtype: DType;
  /** Explicit values; random (seeded by the case) otherwise. */
  readonly values?: readonly number[];
  /** Random range for float/int inputs. */
  readonly range?: readonly [number, number];
}

export interface PrimitiveCase {
  readonly name: string;
  readonly op: OpName;
  readonly inputs: readonly InputSpec[];
  readonly params: unknown;
  /** Absolute + relative tolerance for float results (default 1e-5 each). */
  readonly tol?: number;
}

const f = (shape: Shape, range: readonly [number, number] = [-2, 2]): InputSpec => ({ shape, dtype: 'float32', range });
const i32 = (shape: Shape, range: readonly [number, number] = [-9, 9]): InputSpec => ({ shape, dtype: 'int32', range });
const v = (shape: Shape, dtype: DType, values: readonly number[]): InputSpec => ({ shape, dtype, values });
const b = (shape: Shape): InputSpec => ({ shape, dtype: 'bool', range: [0, 1] });
const NONE = {};

const unaryFloat = ['neg', 'exp', 'log', 'log1p', 'sqrt', 'abs', 'sign', 'relu', 'sigmoid', 'tanh', 'sin', 'cos', 'erf', 'floor'] as const;
const special = [NaN, 0, -0, 1, -1, 0.5, -2.5, 3, 1e-3, -1e-3, 20, -20];
const binaryArith = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'] as const;
const compare = ['equal', 'notEqual', 'less', 'lessEqual', 'greater', 'greaterEqual'] as const;

export const primitiveCases: readonly PrimitiveCase[] = [
  ...unaryFloat.map((op) => ({
    name: `${op} float32`,
    op,
    inputs: [f([3, 4], op === 'log' || op === 'sqrt' ? [0.01, 5] : op === 'log1p' ? [-0.9, 5] : [-3, 3])],
    params: NONE,
  })),
  ...unaryFloat.map((op) => ({ name: `${op} special values`, op, inputs: [v([special.length], 'float32', special)], params: NONE })),
  ...(['neg', 'abs', 'sign', 'relu'] as const).map((op) => ({ name: `${op} int32`, op, inputs: [i32([5])], params: NONE })),
  ...binaryArith.map((op) => ({ name: `${op} broadcast`, op, inputs: [f([2, 1, 3]), f([4, 1], op === 'div' ? [0.5, 2] : [-2, 2])], params: NONE })),
  ...binaryArith.map((op) => ({ name: `${op} int32`, op, inputs: [i32([6]), op === 'div' ? v([6], 'int32', [2, -2, 3, 1, 4, -3]) : i32([6])], params: NONE })),
  { name: 'div int32 truncates', op: 'div', inputs: [v([4], 'int32', [7, -7, 9, -1]), v([4], 'int32', [2, 2, -4, 3])], params: NONE },
  { name: 'maximum NaN', op: 'maximum', inputs: [v([3], 'float32', [NaN, 1, 2]), v([3], 'float32', [0, NaN, 1])], params: NONE },
  { name: 'minimum NaN', op: 'minimum', inputs: [v([3], 'float32', [NaN, 1, 2]), v([3], 'float32', [0, NaN, 1])], params: NONE },
  { name: 'pow', op: 'pow', inputs: [f([2, 3], [0.1, 3]), f([3], [-2, 2])], params: NONE },
  { name: 'pow negative base integer exponent', op: 'pow', inputs: [v([3], 'float32', [-2, -3, 0]), v([3], 'float32', [2, 3, 0])], params: NONE },
  { name: 'scalar with matrix', op: 'mul', inputs: [f([]), f([2, 3])], params: NONE },
  ...compare.map((op) => ({ name: `${op} float32`, op, inputs: [v([5], 'float32', [1, 2, 3, NaN, 0]), v([5], 'float32', [1, 3, 2, NaN, -0])], params: NONE })),
  ...compare.map((op) => ({ name: `${op} int32 broadcast`, op, inputs: [i32([3, 1], [0, 3]), i32([4], [0, 3])], params: NONE })),
  { name: 'equal bool', op: 'equal', inputs: [b([4]), b([4])], params: NONE },
  { name: 'where 3-way broadcast', op: 'where', inputs: [b([2, 1, 1]), f([1, 3, 1]), f([4])], params: NONE },
  { name: 'where scalars', op: 'where', inputs: [b([2, 2]), f([]), f([])], params: NONE },
  { name: 'where int32', op: 'where', inputs: [b([3]), i32([3]), i32([3])], params: NONE },
  { name: 'sum all', op: 'sum', inputs: [f([3, 4, 5])], params: { axes: [0, 1, 2] } },
  { name: 'sum middle', op: 'sum', inputs: [f([3, 4, 5])], params: { axes: [1] } },
  { name: 'sum outer and inner', op: 'sum', inputs: [f([3, 4, 5])], params: { axes: [0, 2] } },
  { name: 'sum no axes', op: 'sum', inputs: [f([2, 3])], params: { axes: [] } },
  { name: 'sum empty axis', op: 'sum', inputs: [f([0, 3])], params: { axes: [0] } },
  { name: 'sum int32', op: 'sum', inputs: [i32([4, 3])], params: { axes: [1] } },
  { name: 'max', op: 'max', inputs: [f([3, 4, 5])], params: { axes: [0, 2] } },
  { name: 'min', op: 'min', inputs: [f([3, 4, 5])], params: { axes: [1] } },
  { name: 'max NaN', op: 'max', inputs: [v([2, 3], 'float32', [1, NaN, 3, 4, 5, 6])], params: { axes: [1] } },
  { name: 'min int32', op: 'min', inputs: [i32([4, 3])], params: { axes: [0] } },
  { name: 'argmax last', op: 'argmax', inputs: [f([3, 4, 5])], params: { axis: 2 } },
  { name: 'argmax first', op: 'argmax', inputs: [f([3, 4, 5])], params: { axis: 0 } },
  { name: 'argmax ties take the first', op: 'argmax', inputs: [v([2, 4], 'float32', [1, 3, 3, 2, 5, 5, 5, 5])], params: { axis: 1 } },
  { name: 'argmax NaN takes the first NaN', op: 'argmax', inputs: [v([2, 4], 'float32', [1, NaN, 3, NaN, 7, 5, 6, 1])], params: { axis: 1 } },
  { name: 'argmax int32', op: 'argmax', inputs: [v([6], 'int32', [1, 4, 2, 4, 0, 4])], params: { axis: 0 } },
  ...[false, true].flatMap((transA) =>
    [false, true].map((transB) => ({
      name: `matmul transA=${transA} transB=${transB}`,
      op: 'matmul' as const,
      inputs: [f(transA ? [4, 3] : [3, 4]), f(transB ? [5, 4] : [4, 5])],
      params: { transA, transB },
    })),
  ),
  { name: 'matmul broadcast batch', op: 'matmul', inputs: [f([2, 1, 3, 4]), f([1, 5, 4, 6])], params: { transA: false, transB: false } },
  { name: 'matmul batch rank differs', op: 'matmul', inputs: [f([3, 4]), f([2, 4, 5])], params: { transA: false, transB: false } },
  { name: 'matmul batch with transposes', op: 'matmul', inputs: [f([2, 4, 3]), f([1, 5, 4])], params: { transA: true, transB: true } },
  { name: 'matmul k=0', op: 'matmul', inputs: [f([2, 0]), f([0, 3])], params: { transA: false, transB: false } },
  { name: 'matmul int32', op: 'matmul', inputs: [i32([2, 3]), i32([3, 2])], params: { transA: false, transB: false } },
  { name: 'permute', op: 'permute', inputs: [f([2, 3, 4])], params: { perm: [2, 0, 1] } },
  { name: 'permute bool', op: 'permute', inputs: [b([2, 3])], params: { perm: [1, 0] } },
  { name: 'expand', op: 'expand', inputs: [f([3, 1])], params: { shape: [2, 3, 4] } },
  { name: 'expand same shape', op: 'expand', inputs: [f([3, 2])], params: { shape: [3, 2] } },
  { name: 'expand bool', op: 'expand', inputs: [b([1, 2])], params: { shape: [3, 2] } },
  { name: 'slice', op: 'slice', inputs: [f([4, 5, 6])], params: { begin: [1, 0, 2], size: [2, 5, 3] } },
  { name: 'slice empty', op: 'slice', inputs: [f([4, 5])], params: { begin: [1, 2], size: [0, 3] } },
  { name: 'concat axis 1', op: 'concat', inputs: [f([2, 3]), f([2, 1]), f([2, 0]), f([2, 2])], params: { axis: 1 } },
  { name: 'concat one input', op: 'concat', inputs: [f([2, 3])], params: { axis: 0 } },
  { name: 'concat int32 axis 0', op: 'concat', inputs: [i32([1, 3]), i32([2, 3])], params: { axis: 0 } },
  { name: 'pad', op: 'pad', inputs: [f([2, 3])], params: { padding: [[1, 0], [2, 3]], value: 0 } },
  { name: 'pad with value', op: 'pad', inputs: [f([2, 3])], params: { padding: [[0, 2], [1, 1]], value: -1.5 } },
  { name: 'pad int32', op: 'pad', inputs: [i32([3])], params: { padding: [[2, 1]], value: 7 } },
  { name: 'gather axis 0', op: 'gather', inputs: [f([4, 3]), v([5], 'int32', [3, 0, 0, 2, 1])], params: { axis: 0 } },
  { name: 'gather axis 1 with 2-D indices', op: 'gather', inputs: [f([2, 4, 3]), v([2, 2], 'int32', [3, 1, 0, 3])], params: { axis: 1 } },
  { name: 'gather int32', op: 'gather', inputs: [i32([5]), v([3], 'int32', [4, 4, 0])], params: { axis: 0 } },
  { name: 'scatterAdd axis 0 with duplicates', op: 'scatterAdd', inputs: [f([5, 3]), v([5], 'int32', [3, 0, 0, 2, 3])], params: { axis: 0, shape: [4, 3] } },
  { name: 'scatterAdd axis 1 with 2-D indices', op: 'scatterAdd', inputs: [f([2, 2, 2, 3]), v([2, 2], 'int32', [3, 1, 1, 3])], params: { axis: 1, shape: [2, 4, 3] } },
  { name: 'scatterAdd last axis', op: 'scatterAdd', inputs: [f([3, 4]), v([4], 'int32', [0, 1, 0, 1])], params: { axis: 1, shape: [3, 2] } },
  { name: 'scatterAdd int32', op: 'scatterAdd', inputs: [i32([4]), v([4], 'int32', [1, 1, 0, 1])], params: { axis: 0, shape: [3] } },
  { name: 'scatterAdd no updates', op: 'scatterAdd', inputs: [f([0, 2]), v([0], 'int32', [])], params: { axis: 0, shape: [3, 2] } },
  // argsort: stable (ties in order, descending too), NaN largest, -0 equal to 0, int32 extremes; axis not last.
  { name: 'argsort ties and NaN', op: 'argsort', inputs: [v([2, 6], 'float32', [3, 1, NaN, 3, -Infinity, 1, Infinity, -0, 0, NaN, Infinity, -0])], params: { axis: 1, descending: false } },
  { name: 'argsort ties and NaN descending', op: 'argsort', inputs: [v([2, 6], 'float32', [3, 1, NaN, 3, -Infinity, 1, Infinity, -0, 0, NaN, Infinity, -0])], params: { axis: 1, descending: true } },
  { name: 'argsort axis 0', op: 'argsort', inputs: [f([5, 2, 3])], params: { axis: 0, descending: false } },
  { name: 'argsort int32 extremes', op: 'argsort', inputs: [v([6], 'int32', [2, 2147483647, -2147483648, 2, 0, -2147483648])], params: { axis: 0, descending: false } },
  { name: 'argsort int32 descending', op: 'argsort', inputs: [v([6], 'int32', [2, 2147483647, -2147483648, 2, 0, -2147483648])], params: { axis: 0, descending: true } },
  { name: 'argsort long rows', op: 'argsort', inputs: [i32([3, 200], [-20, 20])], params: { axis: 1, descending: true } },
  { name: 'cast float32 to int32', op: 'cast', inputs: [v([6], 'float32', [1.7, -1.7, 0.2, -0.2, 3, -3])], params: { dtype: 'int32' } },
  { name: 'cast float32 to bool', op: 'cast', inputs: [v([4], 'float32', [1.5, 0, NaN, -0])], params: { dtype: 'bool' } },
  { name: 'cast int32 to float32', op: 'cast', inputs: [i32([5])], params: { dtype: 'float32' } },
  { name: 'cast int32 to bool', op: 'cast', inputs: [v([3], 'int32', [0, 2, -1])], params: { dtype: 'bool' } },
  { name: 'cast bool to float32', op: 'cast', inputs: [b([4])], params: { dtype: 'float32' } },
  { name: 'cast bool to int32', op: 'cast', inputs: [b([4])], params: { dtype: 'int32' } },
];

/** A small deterministic generator so every backend sees the same inputs. */
function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

export function inputValues(c: PrimitiveCase): TypedArray[] {
  const rand = lcg(hash(c.name));
  return c.inputs.map((spec) => {
    const n = spec.shape.reduce((a, d) => a * d, 1);
    const out = typedArrayFor(spec.dtype, n);
    if (spec.values) out.set(spec.values as never);
    else {
      const [lo, hi] = spec.range ?? [-1, 1];
      for (let i = 0; i < n; i++) {
        const x = lo + (hi - lo) * rand();
        out[i] = spec.dtype === 'float32' ? x : spec.dtype === 'bool' ? (rand() < 0.5 ? 1 : 0) : Math.round(x);
      }
    }
    return out;
  });
}

export interface CaseResult {
  readonly name: string;
  readonly ok: boolean;
  readonly message: string;
}

/**
 * Runs one case on `backend` and on `reference`; compares shape, dtype and values. `minTol`
 * raises every case's float tolerance (a GPU's transcendentals are less exact than the CPU's).
 */
export function runCase(c: PrimitiveCase, backend: string, options: { reference?: string; minTol?: number } = {}): CaseResult {
  const reference = options.reference ?? 'cpu';
  const values = inputValues(c);
  const run = (name: string) => {
    const be = getBackend(name);
    const ins = c.inputs.map((spec, i) => Tensor.fromValues(values[i].slice() as TypedArray, spec.shape, spec.dtype, be));
    const y = apply(c.op, ins, c.params as OpParams[typeof c.op]);
    const result = { shape: [...y.shape], dtype: y.dtype, data: y.dataSync() };
    y.dispose();
    for (const t of ins) t.dispose();
    return result;
  };
  try {
    const want = run(reference);
    const got = run(backend);
    if (got.shape.join() !== want.shape.join() || got.dtype !== want.dtype) {
      return { name: c.name, ok: false, message: `shape/dtype ${got.shape}/${got.dtype}, want ${want.shape}/${want.dtype}` };
    }
    const tol = Math.max(c.tol ?? 1e-5, options.minTol ?? 0);
    for (let i = 0; i < want.data.length; i++) {
      const a = got.data[i];
      const e = want.data[i];
      const same = Number.isNaN(e) ? Number.isNaN(a) : a === e || Math.abs(a - e) <= tol + tol * Math.abs(e);
      if (!same) return { name: c.name, ok: false, message: `element ${i}: got ${a}, want ${e} (got [${Array.from(got.data).join(', ')}])` };
    }
    return { name: c.name, ok: true, message: '' };
  } catch (e) {
    return { name: c.name, ok: false, message: `threw ${(e as Error).name}: ${(e as Error).message}` };
  }
}
