import { apply, withRowMajor, type OpDefs, type OutInfo } from '../autograd/engine.js';
import { savesInputs } from '../autograd/saves.js';
import type { Backend, KernelInput } from '../backend.js';
import { bytesPerElement } from '../dtype.js';
import { Storage } from '../storage.js';
import { sizeOf } from '../shape.js';
import { where } from './binary.js';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { isFloat } from '../dtype.js';
import { assertOptions, assertTensor, describe } from '../validate.js';
import { broadcastShapes, fmt } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { out, sameDType, sumToShape } from './util.js';

export interface MatmulOptions {
  /** Use the transpose of the last two axes of `a` (no copy is made). */
  transposeA?: boolean;
  transposeB?: boolean;
}

export const linalgDefs: Pick<OpDefs, 'matmul' | 'linear'> = {
  linear: {
    infer: (inputs, p) => {
      const [x, w, b] = inputs;
      const y = linalgDefs.matmul.infer([x, w], { transA: false, transB: true });
      if (b !== undefined) {
        sameDType('linear', x, b);
        if (b.rank !== 1 || b.shape[0] !== w.shape[0]) {
          throw new ShapeError(`linear: the bias has shape ${fmt(b.shape)} but the weight ${fmt(w.shape)} has ${w.shape[0]} outputs; give a bias of shape [${w.shape[0]}].`);
        }
      }
      if (p.activation !== 'none' && p.activation !== 'relu') throw new ValueError(`linear: unknown activation ${describe(p.activation)}; use "none" or "relu".`);
      return y;
    },
    forward: (inputs, p, out) => linearForward(inputs, p.activation, out),
    saves: { inputs: [0, 1], output: true },
    // z = x wᵀ + b, y = act(z): gz = g·act'(z), then the matmul and broadcast-add rules.
    vjp: (g, [x, w, b], y, p) => {
      const gz = p.activation === 'relu' ? where(y.le(0), 0, g) : g; // relu's rule: NaN passes g on
      return [
        x.requiresGrad ? matmul(gz, w) : null,
        w.requiresGrad ? sumToShape(matmul(gz, x, { transposeA: true }), w.shape) : null,
        b?.requiresGrad ? sumToShape(gz, b.shape) : null,
      ];
    },
  },
  matmul: {
    infer: ([a, b], p) => {
      const dtype = sameDType('matmul', a, b);
      if (dtype === 'bool') throw new DTypeError('matmul: bool tensors cannot be multiplied; cast them first with .cast("float32").');
      const [m, k1] = p.transA ? [a.shape[a.rank - 1], a.shape[a.rank - 2]] : [a.shape[a.rank - 2], a.shape[a.rank - 1]];
      const [k2, n] = p.transB ? [b.shape[b.rank - 1], b.shape[b.rank - 2]] : [b.shape[b.rank - 2], b.shape[b.rank - 1]];
      if (k1 !== k2) {
        throw new ShapeError(
          `matmul: inner dimensions differ: ${fmt(a.shape)}${p.transA ? 'ᵀ' : ''} @ ${fmt(b.shape)}${p.transB ? 'ᵀ' : ''} multiplies ${m}x${k1} by ${k2}x${n}; ` +
            `the columns of the first must equal the rows of the second.`,
        );
      }
      const batch = broadcastShapes('matmul (batch dimensions)', a.shape.slice(0, -2), b.shape.slice(0, -2));
      return out([...batch, m, n], dtype);
    },
    saves: savesInputs(0, 1),
    // C = op(A) op(B): dA and dB are matmuls of g with the other operand, in the layout that avoids copies.
    vjp: (g, [a, b], _, { transA, transB }) => {
      const da = !a.requiresGrad
        ? null
        : transA
          ? mm(b, g, transB, true)
          : mm(g, b, false, !transB);
      const db = !b.requiresGrad
        ? null
        : transB
          ? mm(g, a, true, transA)
          : mm(a, g, !transA, false);
      return [da && sumToShape(da, a.shape), db && sumToShape(db, b.shape)];
    },
  },
};

const mm = (a: Tensor, b: Tensor, transA: boolean, transB: boolean) => apply('matmul', [a, b], { transA, transB });

/** The backend's fused kernel when it has one, else matmul, add and relu kernels in sequence. */
function linearForward(all: readonly Tensor[], activation: 'none' | 'relu', out: OutInfo): Storage {
  // Its kernels read row-major inputs: views among x, w, b are materialised first.
  return withRowMajor(all, (inputs) => linearKernels(all[0].backend, inputs, activation, out));
}

function linearKernels(backend: Backend, inputs: readonly KernelInput<unknown>[], activation: 'none' | 'relu', out: OutInfo): Storage {
  const bytes = sizeOf(out.shape) * bytesPerElement(out.dtype);
  const fused = backend.fused?.linear;
  if (fused) return new Storage(backend, fused(inputs, { activation }, out.shape, out.dtype), bytes);
  const [x, w, b] = inputs;
  const k = backend.kernels;
  let handle = k.matmul([x, w], { transA: false, transB: true }, out.shape, out.dtype);
  const step = (next: unknown) => {
    backend.dispose(handle);
    handle = next;
  };
  if (b !== undefined) step(k.add([{ handle, shape: out.shape, dtype: out.dtype }, b], {}, out.shape, out.dtype));
  if (activation === 'relu') step(k.relu([{ handle, shape: out.shape, dtype: out.dtype }], {}, out.shape, out.dtype));
  return new Storage(backend, handle, bytes);
}

/**
 * A dense layer in one op: activation(x @ wᵀ + b), with w of shape [out, in] (PyTorch's layout)
 * and an optional bias [out]. Backends with a fused kernel run it in one pass.
 */
export function linear(x: Tensor, w: Tensor, b?: Tensor | null, options: { activation?: 'none' | 'relu' } = {}): Tensor {
  assertTensor('linear', 'x', x);
  assertTensor('linear', 'w', w);
  if (b !== undefined && b !== null) assertTensor('linear', 'b', b);
  assertOptions('linear', options);
  if (x.rank === 0 || w.rank !== 2) {
    throw new ShapeError(`linear: needs an input of rank >= 1 and a weight of rank 2, got ${fmt(x.shape)} and ${fmt(w.shape)}.`);
  }
  if (x.shape[x.rank - 1] !== w.shape[1]) {
    throw new ShapeError(
      `linear: the input ${fmt(x.shape)} has ${x.shape[x.rank - 1]} features but the weight ${fmt(w.shape)} takes ${w.shape[1]}; give an input of shape [..., ${w.shape[1]}].`,
    );
  }
  if (x.dtype !== w.dtype) {
    throw new DTypeError(
      `linear: the input is ${x.dtype} but the weight is ${w.dtype}; cast the input with x.cast("${w.dtype}") (casting the weight would stop it training).`,
    );
  }
  if (!isFloat(w.dtype)) throw new DTypeError(`linear: needs float tensors, got ${w.dtype}; cast them with .cast("float32").`);
  const x2 = x.rank === 1 ? x.reshape([1, x.shape[0]]) : x;
  const y = apply('linear', b ? [x2, w, b] : [x2, w], { activation: options.activation ?? 'none' });
  return x.rank === 1 ? y.reshape([w.shape[0]]) : y;
}

/**
 * Matrix product with NumPy's rules: 1-D operands are promoted to a row (a) or a column (b) and
 * the added axis removed afterwards; leading batch dimensions broadcast.
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  assertTensor('matmul', 'a', a);
  assertTensor('matmul', 'b', b);
  assertOptions('matmul', options);
  if (a.rank === 0 || b.rank === 0) {
    throw new ShapeError(`matmul: scalars cannot be matrix-multiplied (shapes ${fmt(a.shape)} and ${fmt(b.shape)}); use mul.`);
  }
  const a2 = a.rank === 1 ? a.reshape([1, a.shape[0]]) : a;
  const b2 = b.rank === 1 ? b.reshape([b.shape[0], 1]) : b;
  let y = mm(a2, b2, !!options.transposeA && a.rank > 1, !!options.transposeB && b.rank > 1);
  if (a.rank === 1) y = y.squeeze(-2);
  if (b.rank === 1) y = y.squeeze(-1);
  return y;
}
