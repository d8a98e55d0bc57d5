import { ValueError, sameShape, sizeOf, type DType, type Kernel, type Kernels, type PrimitiveParams, type Shape } from '@tsgrad/core';
import type { Tensor as TfTensor } from '@tensorflow/tfjs-core';
import type { TfjsModule } from './types.js';

type K<P extends keyof PrimitiveParams> = Kernel<TfTensor, PrimitiveParams[P]>;

/**
 * tsgrad dtype -> tfjs dtype, for the dtypes TensorFlow.js stores (null for the others).
 * float64, int64, float16 and bfloat16 never reach a kernel: the adapter refuses them (backend.ts).
 */
export const TF_DTYPES: { readonly [D in DType]: 'float32' | 'int32' | 'bool' | null } = {
  float32: 'float32',
  float64: 'float32',
  int32: 'int32',
  bool: 'bool',
  int64: null,
  float16: null,
  bfloat16: null,
};
export const tfDType = (dtype: DType): 'float32' | 'int32' | 'bool' => TF_DTYPES[dtype] ?? 'float32';

export interface KernelOptions {
  /** Kernels that replace the generic ones, for a tfjs backend whose op differs from the CPU reference. */
  readonly overrides?: Partial<Kernels<TfTensor>>;
  /**
   * Check gather/scatterAdd indices against the axis size and throw a ValueError, as the CPU
   * backend does. Costs one read of the indices (a GPU sync on WebGL); tfjs would otherwise
   * return zeros or garbage for an out-of-range index.
   */
  readonly checkIndices: boolean;
}

/**
 * The primitive table over one tfjs module. Kernels that build their result from several tfjs ops
 * run inside tf.tidy so no intermediate outlives the call; single-op kernels skip tidy's bookkeeping.
 */
export function makeKernels(tf: TfjsModule, options: KernelOptions): Kernels<TfTensor> {
  // A kernel result must be a tensor tsgrad can dispose on its own: never one of the inputs.
  const fresh = (y: TfTensor, inputs: readonly { handle: TfTensor }[]): TfTensor => {
    for (const x of inputs) if (x.handle === y) return tf.clone(y);
    return y;
  };
  const unary =
    (f: (x: TfTensor) => TfTensor): K<'neg'> =>
    ([x]) =>
      fresh(f(x.handle), [x]);
  const binary =
    (f: (a: TfTensor, b: TfTensor) => TfTensor): K<'add'> =>
    ([a, b]) =>
      fresh(f(a.handle, b.handle), [a, b]);

  const nanPropagating =
    (f: (a: TfTensor, b: TfTensor) => TfTensor): K<'maximum'> =>
    ([a, b]) => {
      if (a.dtype === 'int32' || a.dtype === 'bool') return fresh(f(a.handle, b.handle), [a, b]);
      // Where either is NaN, a + b is NaN; the mask has the broadcast shape.
      return tf.tidy(() => tf.where(tf.logicalOr(tf.isNaN(a.handle), tf.isNaN(b.handle)), tf.add(a.handle, b.handle), f(a.handle, b.handle)));
    };

  const checkRange = (op: string, idx: TfTensor, size: number): void => {
    if (!options.checkIndices || idx.size === 0) return;
    const values = idx.dataSync();
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < 0 || v >= size) {
        throw new ValueError(`${op}: index ${v} at position ${i} is out of range for an axis of size ${size}; indices must lie in [0, ${size - 1}].`);
      }
    }
  };

  const reduce =
    (f: (x: TfTensor, axes: number[]) => TfTensor): K<'sum'> =>
    ([x], p, shape, dtype) => {
      if (p.axes.length === 0) return tf.clone(x.handle);
      // tfjs reductions of an empty axis need not give the identity; only sum may reach here with one.
      if (x.handle.size === 0) return tf.zeros(shape as number[], tfDType(dtype));
      return f(x.handle, [...p.axes]);
    };

  const generic: Kernels<TfTensor> = {
    neg: unary((x) => tf.neg(x)),
    exp: unary((x) => tf.exp(x)),
    log: unary((x) => tf.log(x)),
    log1p: unary((x) => tf.log1p(x)),
    sqrt: unary((x) => tf.sqrt(x)),
    abs: unary((x) => tf.abs(x)),
    // tfjs gives sign(NaN) = 0; tsgrad (like NumPy) keeps the NaN.
    sign: ([x]) =>
      x.dtype === 'int32' ? tf.sign(x.handle) : tf.tidy(() => tf.where(tf.isNaN(x.handle), x.handle, tf.sign(x.handle))),
    relu: unary((x) => tf.relu(x)),
    sigmoid: unary((x) => tf.sigmoid(x)),
    tanh: unary((x) => tf.tanh(x)),
    sin: unary((x) => tf.sin(x)),
    cos: unary((x) => tf.cos(x)),
    erf: unary((x) => tf.erf(x)),
    floor: unary((x) => tf.floor(x)),

    add: binary((a, b) => tf.add(a, b)),
    sub: binary((a, b) => tf.sub(a, b)),
    mul: binary((a, b) => tf.mul(a, b)),
    // tfjs divides int32 with floor (-7/2 = -4); tsgrad truncates toward zero like the CPU backend.
    div: ([a, b], _, __, dtype) =>
      dtype === 'int32'
        ? tf.tidy(() => tf.cast(tf.div(tf.cast(a.handle, 'float32'), tf.cast(b.handle, 'float32')), 'int32'))
        : tf.div(a.handle, b.handle),
    // C's pow (PyTorch's, the CPU backend's): pow(1, y) and pow(-1, ±Infinity) are 1; tfjs-cpu gives NaN.
    pow: ([a, b]) =>
      tf.tidy(() => {
        const one = tf.logicalOr(tf.equal(a.handle, 1), tf.logicalAnd(tf.equal(a.handle, -1), tf.isInf(b.handle)));
        return tf.where(one, tf.cast(tf.onesLike(one), a.handle.dtype), tf.pow(a.handle, b.handle));
      }),
    // NaN in either operand gives NaN, as on the CPU backend; tfjs-backend-wasm returns the other operand.
    maximum: nanPropagating((a, b) => tf.maximum(a, b)),
    minimum: nanPropagating((a, b) => tf.minimum(a, b)),
    equal: binary((a, b) => tf.equal(a, b)),
    notEqual: binary((a, b) => tf.notEqual(a, b)),
    less: binary((a, b) => tf.less(a, b)),
    lessEqual: binary((a, b) => tf.lessEqual(a, b)),
    greater: binary((a, b) => tf.greater(a, b)),
    greaterEqual: binary((a, b) => tf.greaterEqual(a, b)),
    where: ([c, a, b], _, shape) => {
      // tfjs' where broadcasts, but an all-scalar where must still come back at the output shape.
      const y = tf.where(c.handle, a.handle, b.handle);
      return sameShape(y.shape, shape) ? fresh(y, [a, b]) : tf.tidy(() => tf.broadcastTo(y, shape as number[]));
    },

    sum: reduce((x, axes) => tf.sum(x, axes)),
    max: reduce((x, axes) => tf.max(x, axes)),
    min: reduce((x, axes) => tf.min(x, axes)),
    // tsgrad: the first NaN wins, else the first maximum. tfjs skips NaNs, so rows with a NaN
    // take the argmax of the NaN mask (its first 1) instead.
    argmax: ([x], p) =>
      x.dtype === 'int32'
        ? tf.argMax(x.handle, p.axis)
        : tf.tidy(() => {
            const nan = tf.isNaN(x.handle);
            return tf.where(tf.any(nan, p.axis), tf.argMax(tf.cast(nan, 'int32'), p.axis), tf.argMax(x.handle, p.axis));
          }),

    // Stable, NaN largest (the CPU reference's order), from tf.topk with k = n: its kernels put the
    // lower index first among equal values (tfjs-cpu and tfjs-webgl sort by (value, index) on the
    // CPU for every k > 128 or n < 100000; TensorFlow documents the same for TopKV2). NaN has no
    // order in a comparator, so it sorts as 0 first and a second stable topk on the NaN flags
    // then moves the NaNs to the front (descending) or the back (ascending).
    argsort: ([x], p, shape) => {
      const n = x.shape[p.axis];
      if (sizeOf(shape) === 0 || n <= 1) return tf.zeros(shape as number[], 'int32');
      return tf.tidy(() => {
        const rank = x.shape.length;
        const last = p.axis === rank - 1;
        const perm = x.shape.map((_, i) => i).filter((i) => i !== p.axis).concat(p.axis);
        const moved = last ? x.handle : tf.transpose(x.handle, perm);
        const rows = tf.reshape(moved, [sizeOf(shape) / n, n]);
        let order: TfTensor;
        if (x.dtype === 'int32') {
          // Ascending: the key -1 - x reverses the order without overflow (~x: 2^31 - 1 and -2^31 swap).
          order = tf.topk(p.descending ? rows : tf.sub(tf.scalar(-1, 'int32'), rows), n).indices;
        } else {
          const nan = tf.isNaN(rows);
          const key = tf.where(nan, tf.zerosLike(rows), p.descending ? rows : tf.neg(rows));
          const first = tf.topk(key, n).indices;
          const flags = tf.gather(tf.cast(nan, 'int32'), first, 1, 1);
          const second = tf.topk(p.descending ? flags : tf.neg(flags), n).indices;
          order = tf.gather(first, second, 1, 1);
        }
        const lines = tf.reshape(order, moved.shape);
        if (last) return lines;
        const inverse = new Array<number>(rank);
        perm.forEach((a, i) => (inverse[a] = i));
        return tf.transpose(lines, inverse);
      });
    },

    matmul: ([a, b], p, shape, dtype) => {
      // An empty inner dimension sums nothing: zeros (tfjs-backend-webgl fails on k = 0).
      if (a.shape[a.shape.length - (p.transA ? 2 : 1)] === 0 || sizeOf(shape) === 0) return tf.zeros(shape as number[], tfDType(dtype));
      return tf.tidy(() => {
        // tfjs' batchMatMul broadcasts only a batch of 1 against any batch, so bring each operand
        // to the output batch (a copy only when its batch really differs), then run one 3-D matmul.
        const batch = shape.slice(0, -2);
        const nBatch = sizeOf(batch);
        const to3d = (x: TfTensor, xShape: Shape): TfTensor => {
          const rows = xShape[xShape.length - 2];
          const cols = xShape[xShape.length - 1];
          const n = sizeOf(xShape.slice(0, -2));
          const full = n === 1 || n === nBatch ? x : tf.broadcastTo(x, [...batch, rows, cols]);
          return tf.reshape(full, [n === 1 ? 1 : nBatch, rows, cols]);
        };
        const y = tf.matMul(to3d(a.handle, a.shape), to3d(b.handle, b.shape), p.transA, p.transB);
        return tf.reshape(y, shape as number[]);
      });
    },

    contiguous: ([x], p, shape, dtype) => {
      const n = sizeOf(shape);
      if (n === 0) return tf.zeros(shape as number[], tfDType(dtype));
      // The view's storage positions, computed on the host (shapes only, no data read), then one
      // gather from the flat storage: any strides, expanded axes included, in one kernel.
      const positions = new Int32Array(n);
      const rank = shape.length;
      const idx = new Array<number>(rank).fill(0);
      let at = p.offset;
      for (let i = 0; i < n; i++) {
        positions[i] = at;
        for (let d = rank - 1; d >= 0; d--) {
          at += p.strides[d];
          if (++idx[d] < shape[d]) break;
          at -= p.strides[d] * shape[d];
          idx[d] = 0;
        }
      }
      return tf.tidy(() => tf.reshape(tf.gather(tf.reshape(x.handle, [-1]), tf.tensor1d(positions, 'int32')), shape as number[]));
    },
    permute: ([x], p) => fresh(tf.transpose(x.handle, [...p.perm]), [x]),
    expand: ([x], p) =>
      sameShape(x.shape, p.shape) ? tf.clone(x.handle) : tf.tidy(() => tf.broadcastTo(x.handle, [...p.shape])),
    slice: ([x], p) => fresh(tf.slice(x.handle, [...p.begin], [...p.size]), [x]),
    concat: (inputs, p, shape, dtype) => {
      if (sizeOf(shape) === 0) return tf.zeros(shape as number[], tfDType(dtype));
      return fresh(tf.concat(inputs.map((t) => t.handle), p.axis), inputs);
    },
    pad: ([x], p) =>
      fresh(
        tf.pad(
          x.handle,
          p.padding.map((q) => [q[0], q[1]] as [number, number]),
          p.value,
        ),
        [x],
      ),
    gather: ([x, idx], p, shape, dtype) => {
      checkRange('gather', idx.handle, x.shape[p.axis]);
      if (sizeOf(shape) === 0) return tf.zeros(shape as number[], tfDType(dtype));
      return tf.tidy(() => {
        // tf.gather takes indices of any rank; flat indices then one reshape keeps it to the 1-D path.
        const flat = tf.reshape(idx.handle, [idx.handle.size]);
        return tf.reshape(tf.gather(x.handle, flat, p.axis), shape as number[]);
      });
    },
    scatterAdd: ([u, idx], p, shape, dtype) => {
      const n = shape[p.axis];
      checkRange('scatterAdd', idx.handle, n);
      if (u.handle.size === 0 || sizeOf(shape) === 0) return tf.zeros(shape as number[], tfDType(dtype));
      // scatterND adds rows of axis 0 (summing repeated indices): move the scattered axis first.
      // Not unsortedSegmentSum, whose tfjs-cpu kernel multiplies by a 0/1 segment mask, so one
      // NaN or infinite update made every other segment NaN (0·NaN).
      return tf.tidy(() => {
        const outer = sizeOf(shape.slice(0, p.axis));
        const inner = sizeOf(shape.slice(p.axis + 1));
        const m = idx.handle.size;
        const ids = tf.reshape(idx.handle, [m, 1]);
        const rows = outer === 1 ? tf.reshape(u.handle, [m, inner]) : tf.reshape(tf.transpose(tf.reshape(u.handle, [outer, m, inner]), [1, 0, 2]), [m, outer * inner]);
        const summed = tf.scatterND(ids, rows, [n, outer * inner]);
        if (outer === 1) return tf.reshape(summed, shape as number[]);
        return tf.reshape(tf.transpose(tf.reshape(summed, [n, outer, inner]), [1, 0, 2]), shape as number[]);
      });
    },
    cast: ([x], p) => fresh(tf.cast(x.handle, tfDType(p.dtype)), [x]),
  };
  return options.overrides ? { ...generic, ...options.overrides } : generic;
}
