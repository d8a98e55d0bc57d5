import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { fmt, stridesOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { assertTensor, describe } from '../validate.js';
import { matmul } from './linalg.js';
import { indexSelect } from './movement.js';
import { sum } from './reduce.js';

/**
 * Einstein summation as PyTorch's `torch.einsum`, a composite: diagonals by index selection, every
 * pairwise contraction one batched matmul (so 'bij,bjk->bik' costs what matmul costs), labels no
 * later operand needs summed out first. Gradients come from those ops' rules.
 */

/** A term's labels: letters, and ellipsis dimensions as '.0', '.1', ... (right-aligned across operands). */
type Labels = string[];

interface Term {
  labels: Labels;
  hasEllipsis: boolean;
}

const LETTER = /^[a-zA-Z]$/;

/** Splits one term ('ij', 'b...i') into letters and an ellipsis marker; `where` names it in errors. */
function parseTerm(eq: string, term: string, where: string): { letters: (string | '...')[] } {
  const out: (string | '...')[] = [];
  for (let i = 0; i < term.length; i++) {
    const c = term[i];
    if (LETTER.test(c)) out.push(c);
    else if (c === '.') {
      if (term.slice(i, i + 3) !== '...') throw new ValueError(`einsum: "${eq}" has a '.' that is not part of '...' in ${where}; an ellipsis is exactly three dots.`);
      if (out.includes('...')) throw new ValueError(`einsum: "${eq}" has more than one '...' in ${where}; each term may hold one ellipsis.`);
      out.push('...');
      i += 2;
    } else {
      throw new ValueError(`einsum: invalid character ${JSON.stringify(c)} in ${where} of "${eq}"; subscripts are the letters a-z and A-Z and '...', terms are separated by ',' and the output follows '->'.`);
    }
  }
  return { letters: out };
}

/**
 * Einstein summation over the operands: PyTorch's `torch.einsum(equation, *operands)`.
 * - equation: terms for each operand separated by ',' (letters a-z, A-Z; spaces ignored), and
 *   optionally '->' then the output's letters. Without '->', the output is the letters that occur
 *   exactly once, in alphabetical (ASCII: upper case first) order. A letter repeated within one
 *   term takes the diagonal ('ii->i'; 'ii' is the trace). Letters not in the output are summed.
 * - '...' stands for the remaining dimensions of an operand; these broadcast across operands
 *   (right-aligned) and lead the implicit output; an explicit output without '...' sums them.
 * - Dimensions with one letter must have one size, or size 1 (broadcast), as in PyTorch.
 * - operands: tensors of one float dtype (or one array of them); result: that dtype, the output's shape.
 * @throws ValueError for a malformed equation (its text and the fix) or an operand count that does
 *   not match it; ShapeError when a term names more or fewer dimensions than its operand has, or
 *   a letter's sizes differ; DTypeError when operands' dtypes differ.
 */
export function einsum(equation: string, ...operands: (Tensor | readonly Tensor[])[]): Tensor {
  if (typeof equation !== 'string') throw new ValueError(`einsum: the equation must be a string such as "ij,jk->ik", got ${describe(equation)}.`);
  const xs: Tensor[] = operands.length === 1 && Array.isArray(operands[0]) ? [...(operands[0] as readonly Tensor[])] : (operands as Tensor[]);
  xs.forEach((x, i) => assertTensor('einsum', `operand ${i}`, x));
  if (xs.length === 0) throw new ValueError(`einsum: "${equation}" was given no operand; pass the tensors after the equation.`);
  for (const x of xs) {
    if (x.dtype !== xs[0].dtype) throw new DTypeError(`einsum: operands have dtypes ${xs.map((t) => t.dtype).join(', ')}; cast them to one dtype.`);
  }
  const eq = equation.replace(/\s+/g, '');
  const arrows = eq.split('->');
  if (arrows.length > 2) throw new ValueError(`einsum: "${equation}" has more than one '->'; write inputs->output once.`);
  const lhs = arrows[0].split(',');
  if (lhs.length !== xs.length) {
    throw new ValueError(`einsum: "${equation}" has ${lhs.length} input term${lhs.length === 1 ? '' : 's'} but ${xs.length} operand${xs.length === 1 ? ' was' : 's were'} given; give one term per operand, separated by ','.`);
  }
  const parsed = lhs.map((t, i) => parseTerm(equation, t, `term ${i} ("${t}")`).letters);
  // The ellipsis rank of each operand, then the broadcast ellipsis rank.
  const ellRanks = parsed.map((letters, i) => {
    const named = letters.filter((l) => l !== '...').length;
    const has = letters.includes('...');
    const r = xs[i].rank;
    if ((!has && named !== r) || (has && named > r)) {
      throw new ShapeError(
        `einsum: term ${i} ("${lhs[i]}") of "${equation}" names ${named} dimension${named === 1 ? '' : 's'} but operand ${i} has ${r} (shape ${fmt(xs[i].shape)}); ` +
          `give one letter per dimension${has ? '' : ", or '...' for the rest"}.`,
      );
    }
    return has ? r - named : 0;
  });
  const E = Math.max(0, ...ellRanks);
  const ell = (k: number) => `.${k}`;
  const terms: Term[] = parsed.map((letters, i) => ({
    hasEllipsis: letters.includes('...'),
    labels: letters.flatMap((l) => (l === '...' ? Array.from({ length: ellRanks[i] }, (_, k) => ell(E - ellRanks[i] + k)) : [l])),
  }));
  // A letter repeated within a term (a diagonal) needs one size there, broadcasting aside.
  terms.forEach((t, i) =>
    t.labels.forEach((l, d) => {
      const first = t.labels.indexOf(l);
      if (first < d && xs[i].shape[first] !== xs[i].shape[d]) {
        throw new ShapeError(
          `einsum: subscript ${l} is repeated in term ${i} of "${equation}" but operand ${i} (shape ${fmt(xs[i].shape)}) has sizes ${xs[i].shape[first]} and ${xs[i].shape[d]} there; a diagonal needs equal sizes.`,
        );
      }
    }),
  );
  // Sizes: one per label; 1 broadcasts.
  const size = new Map<string, number>();
  const seenIn = new Map<string, number>();
  terms.forEach((t, i) =>
    t.labels.forEach((l, d) => {
      const n = xs[i].shape[d];
      const prev = size.get(l);
      if (prev === undefined || prev === 1) {
        size.set(l, n);
        seenIn.set(l, i);
      } else if (n !== 1 && n !== prev) {
        const j = seenIn.get(l)!;
        const name = l.startsWith('.') ? `the ellipsis dimension ${Number(l.slice(1)) - E}` : `subscript ${l}`;
        throw new ShapeError(
          `einsum: ${name} has size ${prev} in operand ${j} (shape ${fmt(xs[j].shape)}) and ${n} in operand ${i} (shape ${fmt(xs[i].shape)}) of "${equation}"; the sizes must match (or one be 1).`,
        );
      }
    }),
  );
  // The output's labels.
  let output: Labels;
  if (arrows.length === 2) {
    const letters = parseTerm(equation, arrows[1], `the output ("${arrows[1]}")`).letters;
    output = [];
    for (const l of letters) {
      if (l === '...') output.push(...Array.from({ length: E }, (_, k) => ell(k)));
      else {
        if (!size.has(l)) throw new ValueError(`einsum: output subscript ${l} of "${equation}" does not occur in any input term; every output letter must come from an input.`);
        if (output.includes(l)) throw new ValueError(`einsum: output subscript ${l} of "${equation}" occurs more than once; name each output dimension once.`);
        output.push(l);
      }
    }
  } else {
    const counts = new Map<string, number>();
    for (const t of terms) for (const l of t.labels) if (!l.startsWith('.')) counts.set(l, (counts.get(l) ?? 0) + 1);
    const once = [...counts].filter(([, c]) => c === 1).map(([l]) => l).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    output = [...Array.from({ length: E }, (_, k) => ell(k)), ...once];
  }

  // Each operand with unique labels (diagonals taken), then labels used nowhere else summed out.
  let ops = xs.map((x, i) => diagonal(x, terms[i].labels));
  const needed = (skip: number, rest: readonly { labels: Labels }[]) => {
    const s = new Set(output);
    rest.forEach((o, j) => j !== skip && o.labels.forEach((l) => s.add(l)));
    return s;
  };
  ops = ops.map((o, i) => sumOut(o, needed(i, ops)));
  let acc = ops[0];
  for (let i = 1; i < ops.length; i++) {
    const keep = new Set(output);
    for (let j = i + 1; j < ops.length; j++) ops[j].labels.forEach((l) => keep.add(l));
    acc = contract(acc, ops[i], keep, size);
  }
  acc = sumOut(acc, new Set(output));
  const perm = output.map((l) => acc.labels.indexOf(l));
  const y = perm.every((p, i) => p === i) ? acc.t : acc.t.permute(perm);
  // Always a new tensor ('ij->ij' included), never the operand itself.
  return y === xs[0] ? y.mul(1) : y;
}

interface Labeled {
  t: Tensor;
  labels: Labels;
}

/** The operand with each repeated label's diagonal taken, so its labels are unique. */
function diagonal(x: Tensor, labels: Labels): Labeled {
  const unique = [...new Set(labels)];
  if (unique.length === labels.length) return { t: x, labels };
  // Equal sizes along a repeated label were checked by einsum.
  const dims = unique.map((l) => x.shape[labels.indexOf(l)]);
  // The flat offset in x of every point of the unique labels' grid (a label's coordinate repeated).
  const strides = stridesOf(x.shape);
  const per = unique.map((l) => labels.reduce((s, m, d) => (m === l ? s + strides[d] : s), 0));
  const count = dims.reduce((p, d) => p * d, 1);
  const offsets = new Int32Array(count);
  const gridStrides = stridesOf(dims);
  for (let k = 0; k < count; k++) {
    let off = 0;
    for (let u = 0; u < dims.length; u++) off += (Math.floor(k / gridStrides[u]) % dims[u]) * per[u];
    offsets[k] = off;
  }
  const picked = indexSelect(x.reshape([x.size]), Tensor.fromValues(offsets, [count], 'int32', x.backend), 0);
  return { t: picked.reshape(dims), labels: unique };
}

/** Sums the labels not in `keep`. */
function sumOut(o: Labeled, keep: ReadonlySet<string>): Labeled {
  const axes = o.labels.flatMap((l, d) => (keep.has(l) ? [] : [d]));
  if (axes.length === 0) return o;
  return { t: sum(o.t, axes), labels: o.labels.filter((l) => keep.has(l)) };
}

/** A·B over their shared labels: the ones `keep` holds stay (batch), the others are contracted, by one batched matmul. */
function contract(a: Labeled, b: Labeled, keep: ReadonlySet<string>, size: ReadonlyMap<string, number>): Labeled {
  a = sumOut(a, new Set([...keep, ...b.labels]));
  b = sumOut(b, new Set([...keep, ...a.labels]));
  const shared = a.labels.filter((l) => b.labels.includes(l));
  const batch = shared.filter((l) => keep.has(l));
  const inner = shared.filter((l) => !keep.has(l));
  const aOnly = a.labels.filter((l) => !shared.includes(l));
  const bOnly = b.labels.filter((l) => !shared.includes(l));
  const arrange = (o: Labeled, order: Labels): Tensor => {
    const perm = order.map((l) => o.labels.indexOf(l));
    let t = perm.every((p, i) => p === i) ? o.t : o.t.permute(perm);
    // A size-1 dimension against a larger one broadcasts (as PyTorch's einsum allows).
    const full = order.map((l, i) => (shared.includes(l) ? size.get(l)! : t.shape[i]));
    if (full.some((d, i) => d !== t.shape[i])) t = t.expand(full);
    return t;
  };
  const prod = (ls: Labels) => ls.reduce((p, l) => p * size.get(l)!, 1);
  const ta = arrange(a, [...batch, ...aOnly, ...inner]);
  const tb = arrange(b, [...batch, ...inner, ...bOnly]);
  const dimsOf = (t: Tensor, from: number, n: number) => t.shape.slice(from, from + n);
  const aDims = dimsOf(ta, batch.length, aOnly.length);
  const bDims = dimsOf(tb, batch.length + inner.length, bOnly.length);
  const B = prod(batch);
  const M = aDims.reduce((p, d) => p * d, 1);
  const N = bDims.reduce((p, d) => p * d, 1);
  const K = prod(inner);
  const y = matmul(ta.reshape([B, M, K]), tb.reshape([B, K, N]));
  return { t: y.reshape([...batch.map((l) => size.get(l)!), ...aDims, ...bDims]), labels: [...batch, ...aOnly, ...bOnly] };
}
