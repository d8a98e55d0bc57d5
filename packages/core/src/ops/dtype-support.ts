import type { OpName } from '../autograd/engine.js';
import type { StorageDType } from '../dtype.js';
import { DTypeError } from '../errors.js';
import type { Tensor } from '../tensor.js';

/**
 * Which ops take each storage dtype (int64, float16, bfloat16). Those dtypes hold values
 * losslessly and travel through every op that only moves or selects values, and `cast`; int64
 * also compares (float16/bfloat16 comparisons are run in float32 by the comparison functions,
 * exactly). Arithmetic, reductions and matmul compute in float32, float64, int32 (and bool)
 * only, and refuse a storage dtype with an error that names the cast to make.
 *
 * One entry per op: adding an op is a type error here until it says which storage dtypes it
 * takes (an empty list is the safe answer; a backend kernel must then handle each one listed).
 */
const ALL: readonly StorageDType[] = ['int64', 'float16', 'bfloat16'];
const INT64: readonly StorageDType[] = ['int64'];
const NONE: readonly StorageDType[] = [];

export const STORAGE_DTYPE_OPS: { readonly [K in OpName]: readonly StorageDType[] } = {
  // values moved or selected, never computed
  reshape: ALL,
  contiguous: ALL,
  cast: ALL,
  permute: ALL,
  expand: ALL,
  slice: ALL,
  concat: ALL,
  pad: ALL,
  gather: ALL,
  where: ALL,
  // comparisons: exact on int64 (bigint); float16/bfloat16 arrive cast to float32
  equal: INT64,
  notEqual: INT64,
  less: INT64,
  lessEqual: INT64,
  greater: INT64,
  greaterEqual: INT64,
  // arithmetic
  neg: NONE,
  exp: NONE,
  log: NONE,
  log1p: NONE,
  sqrt: NONE,
  abs: NONE,
  sign: NONE,
  relu: NONE,
  sigmoid: NONE,
  tanh: NONE,
  sin: NONE,
  cos: NONE,
  erf: NONE,
  floor: NONE,
  add: NONE,
  sub: NONE,
  mul: NONE,
  div: NONE,
  pow: NONE,
  maximum: NONE,
  minimum: NONE,
  sum: NONE,
  max: NONE,
  min: NONE,
  argmax: NONE,
  argsort: NONE,
  matmul: NONE,
  scatterAdd: NONE,
  linear: NONE,
};

/** What to cast a storage dtype to before arithmetic. */
const CAST_TO: { readonly [D in StorageDType]: string } = {
  int64: '.cast("float64") (exact up to 2^53) or .cast("int32") (values within ±2^31)',
  float16: '.cast("float32") (exact)',
  bfloat16: '.cast("float32") (exact)',
};

/**
 * Refuses a storage dtype among `inputs` that `op` does not take (`takes`; none by default).
 * The engine runs it for every op with STORAGE_DTYPE_OPS; composite ops call it to name themselves.
 * @throws DTypeError naming the op, the dtype, the input and the cast that fixes it.
 */
export function checkStorageDTypes(op: string, inputs: readonly Tensor[], takes: readonly StorageDType[] = NONE): void {
  for (let i = 0; i < inputs.length; i++) {
    const d = inputs[i].dtype;
    if (d !== 'int64' && d !== 'float16' && d !== 'bfloat16') continue;
    if (takes.includes(d)) continue;
    throw new DTypeError(
      `${op}: input ${i} is ${d} (shape [${inputs[i].shape.join(', ')}]), a storage dtype in tsgrad: it loads, saves, casts, ` +
        `compares, prints and moves (reshape, slice, concat, gather, where), but ${op} does not compute in it. ` +
        `Cast it first with ${CAST_TO[d]}; see docs/dtypes.md.`,
    );
  }
}
