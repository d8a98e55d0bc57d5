import { DTypeError, ShapeError, Tensor, ValueError, stack, tensor, type DType } from '@tsgrad/core';

/** A typed array collate turns into a tensor row. */
type NumericArray = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | Uint8ClampedArray | Uint16Array | Uint32Array;

/**
 * The batch `collate` makes of samples of type S: tensors, numbers, booleans and typed arrays
 * become one tensor with a leading batch axis, strings a list, arrays and objects the same
 * structure with each position (key) collated.
 */
export type Collated<S> = S extends Tensor | number | boolean | NumericArray
  ? Tensor
  : S extends string
    ? string[]
    : S extends readonly unknown[]
      ? { -readonly [K in keyof S]: Collated<S[K]> }
      : S extends object
        ? { -readonly [K in keyof S]: Collated<S[K]> }
        : never;

const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;
const at = (path: string) => (path === '' ? 'the samples' : `the samples (at ${path})`);

/** The dtype a typed array's values keep: integers up to 16 bits in int32, Uint32 in float64. */
function dtypeOfTyped(a: NumericArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array || a instanceof Uint32Array) return 'float64';
  return 'int32';
}

function kindOf(v: unknown): string {
  if (v instanceof Tensor) return 'Tensor';
  if (ArrayBuffer.isView(v)) return (v as object).constructor.name;
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v;
}

function collateAt(samples: readonly unknown[], path: string): unknown {
  const first = samples[0];
  const kind = kindOf(first);
  samples.forEach((s, i) => {
    const k = kindOf(s);
    if (k !== kind) throw new ValueError(`collate: ${at(path)} mix kinds: sample 0 has ${kind} but sample ${i} has ${k}; every sample must have the same structure.`);
  });
  if (first instanceof Tensor) {
    const ts = samples as Tensor[];
    ts.forEach((t, i) => {
      if (t.isDisposed) throw new ValueError(`collate: the tensor of sample ${i}${path === '' ? '' : ` at ${path}`} (shape ${fmt(t.shape)}) has been disposed.`);
      if (t.dtype !== first.dtype) throw new DTypeError(`collate: ${at(path)} hold tensors of dtypes ${first.dtype} (sample 0) and ${t.dtype} (sample ${i}); cast them to one dtype in the dataset.`);
      if (t.rank !== first.rank || t.shape.some((d, j) => d !== first.shape[j])) {
        throw new ShapeError(
          `collate: ${at(path)} hold tensors of shapes ${fmt(first.shape)} (sample 0) and ${fmt(t.shape)} (sample ${i}); the default collate stacks tensors of one shape: pad them, or pass a collateFn.`,
        );
      }
    });
    return stack(ts, 0);
  }
  if (typeof first === 'number' || typeof first === 'boolean') {
    // A JavaScript number is a double: float64, as PyTorch's default_collate makes of Python floats.
    return typeof first === 'boolean' ? tensor(samples as boolean[], { dtype: 'bool' }) : tensor(Float64Array.from(samples as number[]), { dtype: 'float64' });
  }
  if (ArrayBuffer.isView(first)) {
    if (first instanceof DataView || first instanceof BigInt64Array || first instanceof BigUint64Array) {
      throw new DTypeError(`collate: ${at(path)} hold ${kind}s, which have no tsgrad dtype; use Float32Array, Float64Array, Int32Array (or smaller integer arrays).`);
    }
    const arrays = samples as NumericArray[];
    const len = arrays[0].length;
    arrays.forEach((a, i) => {
      if (a.length !== len) throw new ShapeError(`collate: ${at(path)} hold ${kind}s of lengths ${len} (sample 0) and ${a.length} (sample ${i}); they must have one length to stack.`);
    });
    const dtype = dtypeOfTyped(arrays[0]);
    const flat = dtype === 'float32' ? new Float32Array(arrays.length * len) : dtype === 'float64' ? new Float64Array(arrays.length * len) : new Int32Array(arrays.length * len);
    arrays.forEach((a, i) => flat.set(a, i * len));
    return tensor(flat, { dtype, shape: [arrays.length, len] });
  }
  if (typeof first === 'string') return [...(samples as string[])];
  if (Array.isArray(first)) {
    const len = first.length;
    (samples as unknown[][]).forEach((s, i) => {
      if (s.length !== len) throw new ShapeError(`collate: ${at(path)} are arrays of lengths ${len} (sample 0) and ${s.length} (sample ${i}); each sample's array must have one length (PyTorch: "each element in list of batch should be of equal size").`);
    });
    return Array.from({ length: len }, (_, j) => collateAt((samples as unknown[][]).map((s) => s[j]), `${path}[${j}]`));
  }
  if (first !== null && typeof first === 'object') {
    const keys = Object.keys(first);
    (samples as Record<string, unknown>[]).forEach((s, i) => {
      const mine = Object.keys(s);
      if (mine.length !== keys.length || !keys.every((k) => k in s)) {
        throw new ValueError(`collate: ${at(path)} are objects with keys {${keys.join(', ')}} (sample 0) and {${mine.join(', ')}} (sample ${i}); every sample must have the same keys.`);
      }
    });
    return Object.fromEntries(keys.map((k) => [k, collateAt((samples as Record<string, unknown>[]).map((s) => s[k]), `${path}.${k}`)]));
  }
  throw new ValueError(`collate: ${at(path)} hold ${kind}; the default collate takes tensors, numbers, booleans, typed arrays, strings, and arrays or objects of those. Pass a collateFn for anything else.`);
}

/**
 * PyTorch's default_collate: merges a list of samples into a batch. Tensors are stacked along a
 * new first axis ([B, ...shape], their dtype); numbers become a float64 tensor [B] (JavaScript
 * numbers are doubles, as Python floats are float64 in PyTorch's rule), booleans a bool tensor
 * [B]; typed arrays of one length a tensor [B, length] (Float32Array: float32, Float64Array and
 * Uint32Array: float64, smaller integer arrays: int32); strings stay a list. Arrays are tuples,
 * collated position by position (a batch of [x, y] pairs gives [xs, ys]), and objects key by key
 * ({ x, y } samples give { x: xs, y: ys }). For class labels return an int32 tensor, e.g.
 * `tensor(label, { dtype: 'int32' })`, which stacks to an int32 [B].
 * @throws ValueError for an empty batch, samples of different structure or an unsupported value;
 * ShapeError for tensors (or arrays) of different shapes; DTypeError for tensors of different dtypes.
 */
export function collate<S>(samples: readonly S[]): Collated<S> {
  if (!Array.isArray(samples) || samples.length === 0) throw new ValueError(`collate: expected a non-empty array of samples, got ${Array.isArray(samples) ? 'an empty array' : kindOf(samples)}.`);
  return collateAt(samples, '') as Collated<S>;
}
