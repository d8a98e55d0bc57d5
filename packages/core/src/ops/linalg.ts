import { apply, type OpDef } from '../autograd/engine.js';
import { ShapeError } from '../errors.js';
import { broadcastShapes, fmt } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { out, sameDType, sumToShape } from './util.js';

export interface MatmulOptions {
  /** Use the transpose of the last two axes of `a` (no copy is made). */
  transposeA?: boolean;
  transposeB?: boolean;
}

export const linalgDefs: { readonly matmul: OpDef<'matmul'> } = {
  matmul: {
    infer: ([a, b], p) => {
      const dtype = sameDType('matmul', a, b);
      if (dtype === 'bool') throw new ShapeError('matmul: bool tensors cannot be multiplied; cast them first.');
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

/**
 * Matrix product with NumPy's rules: 1-D operands are promoted to a row (a) or a column (b) and
 * the added axis removed afterwards; leading batch dimensions broadcast.
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
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
