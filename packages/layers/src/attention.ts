import {
  DTypeError,
  ShapeError,
  ValueError,
  assertOptions,
  assertTensor,
  broadcastShapes,
  erf,
  isFloat,
  full,
  linear,
  matmul,
  tensor,
  zeros,
  type DType,
  type Generator,
  type Tensor,
} from '@tsgrad/core';
import { Module } from './module.js';
import { Linear } from './linear.js';
import { Dropout, ModuleList } from './containers.js';
import { LayerNorm } from './layernorm.js';
import { xavierUniform_, zeros_ } from './init.js';
import { checkFlag, checkInput, checkProbability, checkSize, dropoutTrain, factoryDType, fmt, type LayerFactoryOptions } from './sequence-common.js';

/**
 * Attention layers with PyTorch's semantics and parameter names: the functional
 * scaledDotProductAttention, MultiheadAttention, TransformerEncoderLayer and TransformerEncoder,
 * all composites of matmul, softmax, linear and layer norm, so they run and differentiate on
 * every backend.
 *
 * Masks, as PyTorch 1.13's MultiheadAttention takes them: a bool mask is true where attention
 * is NOT allowed (filled with -Infinity before the softmax); a float mask is added to the scores.
 * A query row whose every key is masked has a softmax of 0/0: its output and weights are NaN,
 * which is what PyTorch 1.13 gives on its differentiable path (checked in the fixtures).
 */

/** softmax(scores + mask)·v with the weights: the step every attention form here ends with. */
function attend(q: Tensor, k: Tensor, v: Tensor, scale: number, additive: Tensor | null, dropoutP: number, generator: Generator | undefined): [Tensor, Tensor] {
  let scores = matmul(q, k, { transposeB: true }).mul(scale);
  if (additive) scores = scores.add(additive);
  let weights = scores.softmax(-1);
  if (dropoutP > 0) weights = dropoutTrain(weights, dropoutP, generator);
  return [matmul(weights, v), weights];
}

/** A float additive mask from a bool one (true → -Infinity) or the float one itself. */
function additiveMask(mask: Tensor, dtype: DType, trueMeans: 'masked' | 'allowed'): Tensor {
  if (mask.dtype !== 'bool') return mask;
  const opts = { dtype, backend: mask.backend.name };
  return trueMeans === 'masked' ? zeros(mask.shape, opts).maskedFill(mask, -Infinity) : full(mask.shape, -Infinity, opts).maskedFill(mask, 0);
}

/** A bool or float (of the inputs' dtype) mask, or an error naming the layer. */
function checkMaskDType(layer: string, what: string, mask: Tensor, dtype: DType): void {
  if (mask.dtype !== 'bool' && mask.dtype !== dtype) {
    throw new DTypeError(
      `${layer}: ${what} (shape ${fmt(mask.shape)}) is ${mask.dtype}; a mask must be bool (true = not allowed) or ${dtype} (added to the scores)` +
        `${isFloat(mask.dtype) ? `, cast it with .cast("${dtype}")` : ', build it with a comparison such as ids.eq(padId)'}.`,
    );
  }
}

/** Options of {@link scaledDotProductAttention} (PyTorch 2's keywords in camelCase). */
export interface ScaledDotProductAttentionOptions {
  /**
   * Broadcastable to [..., L, S]. Bool: true where the query MAY attend (PyTorch 2's
   * convention for this function, the opposite of MultiheadAttention's masks); float: added to
   * the scores.
   */
  attnMask?: Tensor | null;
  /** Dropout probability on the attention weights (default 0); always applied when > 0, as in PyTorch. */
  dropoutP?: number;
  /** Mask future keys: query i sees keys 0..i (a lower-triangular mask aligned top-left). Not with attnMask. */
  isCausal?: boolean;
  /** Factor on q·kᵀ; 1/√E by default. */
  scale?: number;
  /** Generator for the dropout mask; core's default generator otherwise. */
  generator?: Generator;
}

/**
 * softmax(q·kᵀ·scale + mask)·v, PyTorch 2's `F.scaled_dot_product_attention` (Vaswani et al.
 * 2017; PyTorch's documented reference implementation, which the fixtures follow).
 * - query [..., L, E], key [..., S, E], value [..., S, Ev], float tensors of one dtype whose
 *   leading dimensions broadcast; result [..., L, Ev].
 * - A row with no allowed key gives NaN (the softmax of no finite score), as PyTorch's math path.
 * @throws ShapeError for ranks below 2, mismatched E or S, leading dimensions that do not
 *   broadcast, or a mask that does not broadcast to [..., L, S]; DTypeError for non-float or
 *   mixed dtypes or a mask that is neither bool nor the inputs' dtype; ValueError for attnMask
 *   together with isCausal, or a bad dropoutP or scale.
 */
export function scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, options: ScaledDotProductAttentionOptions = {}): Tensor {
  const op = 'scaledDotProductAttention';
  assertTensor(op, 'query', query);
  assertTensor(op, 'key', key);
  assertTensor(op, 'value', value);
  assertOptions(op, options);
  const dropoutP = checkProbability(op, 'options.dropoutP', options.dropoutP ?? 0);
  const isCausal = checkFlag(op, 'isCausal', options.isCausal, false);
  if (!isFloat(query.dtype)) throw new DTypeError(`${op}: query is ${query.dtype}; attention needs float tensors, cast them with .cast("float32").`);
  for (const [what, t] of [['key', key], ['value', value]] as const) {
    if (t.dtype !== query.dtype) throw new DTypeError(`${op}: query is ${query.dtype} but ${what} is ${t.dtype}; cast ${what} with .cast("${query.dtype}").`);
  }
  if (query.rank < 2 || key.rank < 2 || value.rank < 2) {
    throw new ShapeError(`${op}: query, key and value need at least 2 dimensions ([..., L, E], [..., S, E], [..., S, Ev]), got ${fmt(query.shape)}, ${fmt(key.shape)} and ${fmt(value.shape)}; unsqueeze them.`);
  }
  const [L, E] = query.shape.slice(-2);
  const [S, Ek] = key.shape.slice(-2);
  if (Ek !== E) throw new ShapeError(`${op}: query ${fmt(query.shape)} has ${E} features per position but key ${fmt(key.shape)} has ${Ek}; give both the same last dimension.`);
  if (value.shape[value.rank - 2] !== S) {
    throw new ShapeError(`${op}: key ${fmt(key.shape)} has ${S} positions but value ${fmt(value.shape)} has ${value.shape[value.rank - 2]}; give key and value the same sequence length (the second-to-last dimension).`);
  }
  broadcastShapes(op, broadcastShapes(op, query.shape.slice(0, -2), key.shape.slice(0, -2)), value.shape.slice(0, -2));
  const scale = options.scale ?? 1 / Math.sqrt(E);
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw new ValueError(`${op}: options.scale must be a finite number, got ${String(scale)}.`);
  let additive: Tensor | null = null;
  const mask = options.attnMask ?? null;
  if (mask !== null) {
    assertTensor(op, 'options.attnMask', mask);
    if (isCausal) throw new ValueError(`${op}: give options.attnMask or options.isCausal, not both; fold the causal mask into attnMask if both are needed.`);
    checkMaskDType(op, 'options.attnMask', mask, query.dtype);
    const tail = mask.shape.slice(-2);
    const fits = mask.rank >= 1 && (mask.rank < 2 || tail[0] === L || tail[0] === 1) && (tail[tail.length - 1] === S || tail[tail.length - 1] === 1);
    if (!fits) {
      throw new ShapeError(`${op}: attnMask of shape ${fmt(mask.shape)} does not broadcast to the scores [..., L, S] = [..., ${L}, ${S}] of query ${fmt(query.shape)} and key ${fmt(key.shape)}; give a mask of shape [${L}, ${S}].`);
    }
    additive = additiveMask(mask, query.dtype, 'allowed');
  } else if (isCausal) {
    additive = causalMask(L, S, query.dtype, query.backend.name);
  }
  return attend(query, key, value, scale, additive, dropoutP, options.generator)[0];
}

/** [L, S] float: 0 where j <= i, -Infinity above the diagonal (top-left aligned, as PyTorch's is_causal). */
function causalMask(L: number, S: number, dtype: DType, backend: string | undefined): Tensor {
  const values = new Float64Array(L * S);
  for (let i = 0; i < L; i++) for (let j = i + 1; j < S; j++) values[i * S + j] = -Infinity;
  return tensor(values, { shape: [L, S], dtype, backend });
}

/** Options of {@link generateSquareSubsequentMask}. */
export interface SubsequentMaskOptions {
  /** Float dtype of the mask (default float32). */
  dtype?: DType;
  /** Backend; the current backend by default. */
  backend?: string;
}

/**
 * The causal mask of a sequence of `size` positions, PyTorch's
 * `nn.Transformer.generate_square_subsequent_mask(sz)`: a float [size, size] tensor, 0 on and
 * below the diagonal and -Infinity above it (position i may attend to 0..i). Pass it as
 * srcMask/attnMask.
 * @throws ValueError for a size that is not a non-negative integer; DTypeError for a non-float dtype.
 */
export function generateSquareSubsequentMask(size: number, options: SubsequentMaskOptions = {}): Tensor {
  checkSize('generateSquareSubsequentMask', 'size', size, 0);
  assertOptions('generateSquareSubsequentMask', options);
  const dtype = options.dtype ?? 'float32';
  if (!isFloat(dtype)) throw new DTypeError(`generateSquareSubsequentMask: the mask holds -Infinity, so it needs a float dtype, got ${JSON.stringify(dtype)}.`);
  return causalMask(size, size, dtype, options.backend);
}

// ---- MultiheadAttention ------------------------------------------------------------------------

/** Options of {@link MultiheadAttention}. */
export interface MultiheadAttentionOptions extends LayerFactoryOptions {
  /** Dropout probability on the attention weights in training mode (default 0). */
  dropout?: number;
  /** Learn in_proj_bias and out_proj.bias (default true). */
  bias?: boolean;
  /** Inputs and output as [batch, seq, embed] instead of [seq, batch, embed] (default false). */
  batchFirst?: boolean;
}

/** Options of {@link MultiheadAttention.forward}. */
export interface MultiheadAttentionForwardOptions {
  /** [N, S] (unbatched: [S]): bool, true for a padding key to ignore; or float, added to the scores. */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights (default true); null in their place otherwise. */
  needWeights?: boolean;
  /** [L, S] or [N·numHeads, L, S]: bool, true where attention is NOT allowed; or float, added to the scores. */
  attnMask?: Tensor | null;
  /** Average the returned weights over the heads (default true): [N, L, S], else [N, numHeads, L, S]. */
  averageAttnWeights?: boolean;
  /** Mask future keys (query i sees keys 0..i). With attnMask given it is a hint and attnMask is used (PyTorch 2's is_causal). */
  isCausal?: boolean;
}

/**
 * Multi-head attention, PyTorch's nn.MultiheadAttention (Vaswani et al. 2017):
 * q, k, v = query·W_qᵀ + b_q, key·W_kᵀ + b_k, value·W_vᵀ + b_v, split into numHeads heads of
 * embedDim/numHeads; each head softmax(q·kᵀ/√headDim + mask)·v; heads concatenated and projected
 * by out_proj.
 *
 * Parameters, with PyTorch's state-dict names (so PyTorch checkpoints load): `in_proj_weight`
 * [3·embedDim, embedDim] (W_q, W_k, W_v stacked, Xavier-uniform), `in_proj_bias` [3·embedDim]
 * (zeros), `out_proj.weight` [embedDim, embedDim] (Linear's init), `out_proj.bias` (zeros).
 *
 * Shapes (L target length, S source length, N batch, E embedDim):
 * query [L, N, E], key and value [S, N, E] ([N, L, E] / [N, S, E] with batchFirst; unbatched
 * [L, E] / [S, E]); returns [output, weights]: output of query's shape, weights [N, L, S]
 * (averaged), [N, numHeads, L, S], or null with needWeights false. Masks are described on
 * {@link MultiheadAttentionForwardOptions}; a key padding mask and an attention mask combine by
 * adding their float forms (PyTorch 2's rule; PyTorch 1.13 agrees except for a float key padding
 * mask next to a float attention mask, which it passes to masked_fill as if it were bool). Dropout acts on the weights in training mode.
 * @throws ShapeError naming the layer, both shapes and the fix for inputs of the wrong rank or
 *   embedding size, key and value of different shapes, mismatched batch sizes and masks of the
 *   wrong shape; DTypeError for inputs of another dtype or masks neither bool nor float;
 *   ValueError (constructor) when embedDim is not divisible by numHeads.
 */
export class MultiheadAttention extends Module<[Tensor, Tensor, Tensor, MultiheadAttentionForwardOptions?], [Tensor, Tensor | null]> {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  private readonly generator: Generator | undefined;

  constructor(embedDim: number, numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    const dtype = factoryDType('MultiheadAttention', options);
    this.embedDim = checkSize('MultiheadAttention', 'embedDim', embedDim);
    this.numHeads = checkSize('MultiheadAttention', 'numHeads', numHeads);
    if (embedDim % numHeads !== 0) {
      const near = [...Array(embedDim).keys()].map((i) => i + 1).filter((h) => embedDim % h === 0);
      throw new ValueError(
        `MultiheadAttention: embedDim=${embedDim} is not divisible by numHeads=${numHeads}, so the heads cannot split it evenly; ` +
          `use a numHeads that divides ${embedDim} (${near.join(', ')}) or an embedDim that is a multiple of ${numHeads} (e.g. ${Math.ceil(embedDim / numHeads) * numHeads}).`,
      );
    }
    this.headDim = embedDim / numHeads;
    this.dropout = checkProbability('MultiheadAttention', 'options.dropout', options.dropout ?? 0);
    this.batchFirst = checkFlag('MultiheadAttention', 'batchFirst', options.batchFirst, false);
    const bias = checkFlag('MultiheadAttention', 'bias', options.bias, true);
    this.generator = options.generator;
    const opts = { dtype, backend: options.backend };
    // Registration order is PyTorch's state-dict order: in_proj_weight, in_proj_bias, out_proj.*.
    this.registerParameter('in_proj_weight', zeros([3 * embedDim, embedDim], opts));
    this.registerParameter('in_proj_bias', bias ? zeros([3 * embedDim], opts) : null);
    const outProj = new Linear(embedDim, embedDim, { bias, dtype, backend: options.backend, generator: options.generator });
    this.registerModule('out_proj', outProj);
    // PyTorch's _reset_parameters: Xavier-uniform in_proj_weight, zero biases.
    xavierUniform_(this.inProjWeight, 1, { generator: options.generator });
    if (outProj.bias) zeros_(outProj.bias);
  }

  /** in_proj_weight [3·embedDim, embedDim]: W_q, W_k, W_v stacked by rows. */
  get inProjWeight(): Tensor {
    return (this as unknown as Record<string, Tensor>).in_proj_weight;
  }
  /** in_proj_bias [3·embedDim], or null without bias. */
  get inProjBias(): Tensor | null {
    return (this as unknown as Record<string, Tensor | null>).in_proj_bias;
  }
  /** out_proj: the Linear(embedDim, embedDim) after the heads are concatenated. */
  get outProj(): Linear {
    return (this as unknown as Record<string, Linear>).out_proj;
  }

  private describe(): string {
    return `MultiheadAttention(embedDim=${this.embedDim}, numHeads=${this.numHeads})`;
  }

  forward(query: Tensor, key: Tensor, value: Tensor, options: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const cfg: AttentionConfig = {
      name: this.describe(),
      embedDim: this.embedDim,
      numHeads: this.numHeads,
      headDim: this.headDim,
      batchFirst: this.batchFirst,
      dropoutP: this.training ? this.dropout : 0,
      generator: this.generator,
      inProjWeight: this.inProjWeight,
      inProjBias: this.inProjBias,
      // Through the module, so out_proj's hooks run.
      outProj: (t) => this.outProj.call(t),
    };
    return attentionForward(cfg, query, key, value, options);
  }

  override extraRepr(): string {
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}${this.dropout ? `, dropout=${this.dropout}` : ''}${this.batchFirst ? ', batchFirst=true' : ''}`;
  }
}

/** Options of {@link multiheadAttentionForward}: the forward options plus what the module would hold. */
export interface MultiheadAttentionFunctionalOptions extends MultiheadAttentionForwardOptions {
  /** in_proj_bias [3·embedDim], or null/absent for none. */
  inProjBias?: Tensor | null;
  /** out_proj.bias [embedDim], or null/absent for none. */
  outProjBias?: Tensor | null;
  /** Inputs and output as [batch, seq, embed] (default false: [seq, batch, embed]). */
  batchFirst?: boolean;
  /** Dropout probability on the attention weights (default 0: PyTorch's training=False). */
  dropoutP?: number;
  /** Generator for the dropout mask (core's default otherwise). */
  generator?: Generator;
}

/**
 * Multi-head attention as a function of its weights, PyTorch's F.multi_head_attention_forward:
 * the pass {@link MultiheadAttention} runs (same checks, masks and shapes), with the weights
 * given instead of held, so their gradients reach whatever tensors the caller passes.
 * - query, key, value as MultiheadAttention takes them ([L, N, E], [S, N, E], or batch-first or
 *   unbatched); inProjWeight [3·E, E] (W_q, W_k, W_v stacked), outProjWeight [E, E], biases in
 *   the options; numHeads divides E. One float dtype for all. Returns [output, weights] as
 *   {@link MultiheadAttention.forward}.
 * @throws ValueError when numHeads does not divide E or dropoutP is not in [0, 1]; ShapeError for
 *   weights or biases of the wrong shape, and the layer's errors for the inputs and masks;
 *   DTypeError for non-float or mixed dtypes.
 */
export function multiheadAttentionForward(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  numHeads: number,
  inProjWeight: Tensor,
  outProjWeight: Tensor,
  options: MultiheadAttentionFunctionalOptions = {},
): [Tensor, Tensor | null] {
  const op = 'multiheadAttentionForward';
  assertOptions(op, options);
  assertTensor(op, 'inProjWeight', inProjWeight);
  if (!isFloat(inProjWeight.dtype)) throw new DTypeError(`${op}: inProjWeight must be float32 or float64, got ${inProjWeight.dtype}.`);
  const dtype = inProjWeight.dtype;
  const E = inProjWeight.shape[1];
  if (inProjWeight.rank !== 2 || inProjWeight.shape[0] !== 3 * E) {
    throw new ShapeError(`${op}: inProjWeight must have shape [3·embedDim, embedDim] (W_q, W_k, W_v stacked by rows), got ${fmt(inProjWeight.shape)}.`);
  }
  checkSize(op, 'numHeads', numHeads);
  if (E % numHeads !== 0) throw new ValueError(`${op}: embedDim=${E} (inProjWeight ${fmt(inProjWeight.shape)}) is not divisible by numHeads=${numHeads}; use a numHeads that divides ${E}.`);
  const { inProjBias = null, outProjBias = null, batchFirst, dropoutP, generator, ...forward } = options;
  const checked: [string, Tensor | null, number[]][] = [
    ['outProjWeight', outProjWeight, [E, E]],
    ['options.inProjBias', inProjBias, [3 * E]],
    ['options.outProjBias', outProjBias, [E]],
  ];
  for (const [what, t, shape] of checked) {
    if (t === null) continue;
    checkInput(op, what, t, dtype);
    if (t.shape.join() !== shape.join()) throw new ShapeError(`${op}: ${what} must have shape ${fmt(shape)} for embedDim=${E} (inProjWeight ${fmt(inProjWeight.shape)}), got ${fmt(t.shape)}.`);
  }
  const cfg: AttentionConfig = {
    name: op,
    embedDim: E,
    numHeads,
    headDim: E / numHeads,
    batchFirst: checkFlag(op, 'batchFirst', batchFirst, false),
    dropoutP: checkProbability(op, 'options.dropoutP', dropoutP ?? 0),
    generator,
    inProjWeight,
    inProjBias,
    outProj: (t) => linear(t, outProjWeight, outProjBias),
  };
  return attentionForward(cfg, query, key, value, forward);
}

/** What a multi-head attention pass reads besides its inputs: the layer's settings and weights. */
interface AttentionConfig {
  readonly name: string;
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly batchFirst: boolean;
  /** The dropout probability in effect (0 outside training). */
  readonly dropoutP: number;
  readonly generator: Generator | undefined;
  readonly inProjWeight: Tensor;
  readonly inProjBias: Tensor | null;
  readonly outProj: (t: Tensor) => Tensor;
}

/** MultiheadAttention's forward pass (checks, masks, projections, heads), shared with {@link multiheadAttentionForward}. */
function attentionForward(cfg: AttentionConfig, query: Tensor, key: Tensor, value: Tensor, options: MultiheadAttentionForwardOptions): [Tensor, Tensor | null] {
  const name = cfg.name;
  assertOptions(name, options);
  const w = cfg.inProjWeight;
  const E = cfg.embedDim;
  const H = cfg.numHeads;
  for (const [what, t] of [['query', query], ['key', key], ['value', value]] as const) checkInput(name, what, t, w.dtype);
  const layout = cfg.batchFirst ? '[batch, seq, embedDim]' : '[seq, batch, embedDim]';
  if (query.rank !== 2 && query.rank !== 3) {
    throw new ShapeError(`${name}: expected a 3-D query ${layout} or a 2-D unbatched [seq, embedDim], got shape ${fmt(query.shape)} (rank ${query.rank}); reshape it.`);
  }
  if (key.rank !== query.rank || value.rank !== query.rank) {
    throw new ShapeError(`${name}: query ${fmt(query.shape)}, key ${fmt(key.shape)} and value ${fmt(value.shape)} must have the same rank (3 batched, 2 unbatched); give all three as ${query.rank === 3 ? layout : '[seq, embedDim]'}.`);
  }
  for (const [what, t] of [['query', query], ['key', key], ['value', value]] as const) {
    const f = t.shape[t.rank - 1];
    if (f !== E) {
      throw new ShapeError(
        `${name}: ${what} of shape ${fmt(t.shape)} has ${f} features but in_proj_weight of shape ${fmt(w.shape)} takes embedDim=${E}; ` +
          `give ${what} of shape [..., ${E}] (${query.rank === 3 ? layout : '[seq, embedDim]'}) or build MultiheadAttention(${f}, numHeads).`,
      );
    }
  }
  if (key.shape.join() !== value.shape.join()) {
    throw new ShapeError(`${name}: key ${fmt(key.shape)} and value ${fmt(value.shape)} must have the same shape (one value per key); give them the same sequence length and batch size.`);
  }
  const batched = query.rank === 3;
  const bAxis = cfg.batchFirst ? 0 : 1;
  const sAxis = 1 - bAxis;
  if (batched && key.shape[bAxis] !== query.shape[bAxis]) {
    throw new ShapeError(`${name}: query ${fmt(query.shape)} has batch size ${query.shape[bAxis]} but key ${fmt(key.shape)} has ${key.shape[bAxis]} (batch axis ${bAxis}${cfg.batchFirst ? ', batchFirst' : ''}); give them the same batch size.`);
  }
  // Batch-first [N, L, E] inside.
  const toBF = (t: Tensor) => (!batched ? t.unsqueeze(0) : cfg.batchFirst ? t : t.transpose(0, 1));
  const N = batched ? query.shape[bAxis] : 1;
  const L = batched ? query.shape[sAxis] : query.shape[0];
  const S = batched ? key.shape[sAxis] : key.shape[0];
  const needWeights = checkFlag(name, 'needWeights', options.needWeights, true);
  const average = checkFlag(name, 'averageAttnWeights', options.averageAttnWeights, true);
  const isCausal = checkFlag(name, 'isCausal', options.isCausal, false);
  const mask = combinedMask(cfg, name, options.attnMask ?? null, options.keyPaddingMask ?? null, isCausal, { N, L, S, batched, query, key });

  const [q, k, v] = project(cfg, toBF(query), toBF(key), toBF(value), query === key && key === value);
  const heads = (t: Tensor, len: number) => t.reshape([N, len, H, cfg.headDim]).permute([0, 2, 1, 3]);
  const p = cfg.dropoutP;
  const [ctx, weights] = attend(heads(q, L), heads(k, S), heads(v, S), 1 / Math.sqrt(cfg.headDim), mask, p, cfg.generator);
  let out = cfg.outProj(ctx.permute([0, 2, 1, 3]).reshape([N, L, E]));
  out = !batched ? out.squeeze(0) : cfg.batchFirst ? out : out.transpose(0, 1);
  if (!needWeights) return [out, null];
  let wOut = average ? weights.mean(1) : weights;
  if (!batched) wOut = wOut.squeeze(0);
  return [out, wOut];
}


/** q, k, v projections; self-attention (one tensor) takes one product with the packed weight, as PyTorch. */
function project(cfg: AttentionConfig, q: Tensor, k: Tensor, v: Tensor, same: boolean): Tensor[] {
  const w = cfg.inProjWeight;
  const b = cfg.inProjBias;
  if (same) return linear(q, w, b).split(cfg.embedDim, -1);
  const ws = w.split(cfg.embedDim, 0);
  const bs = b ? b.split(cfg.embedDim, 0) : [null, null, null];
  return [linear(q, ws[0], bs[0]), linear(k, ws[1], bs[1]), linear(v, ws[2], bs[2])];
}


/** The attention and key-padding masks checked and merged into one additive [N|1, H|1, L, S] mask (null: none). */
function combinedMask(
  cfg: AttentionConfig,
  name: string,
  attnMask: Tensor | null,
  kpm: Tensor | null,
  isCausal: boolean,
  d: { N: number; L: number; S: number; batched: boolean; query: Tensor; key: Tensor },
): Tensor | null {
  const { N, L, S, batched, query, key } = d;
  const H = cfg.numHeads;
  const dtype = cfg.inProjWeight.dtype;
  let total: Tensor | null = null;
  if (attnMask !== null) {
    assertTensor(name, 'attnMask', attnMask);
    checkMaskDType(name, 'attnMask', attnMask, dtype);
    const ok2 = attnMask.rank === 2 && attnMask.shape[0] === L && attnMask.shape[1] === S;
    const ok3 = attnMask.rank === 3 && attnMask.shape.join() === [N * H, L, S].join();
    if (!ok2 && !ok3) {
      throw new ShapeError(
        `${name}: attnMask has shape ${fmt(attnMask.shape)} but query ${fmt(query.shape)} and key ${fmt(key.shape)} need [L, S] = ${fmt([L, S])} or [batch·numHeads, L, S] = ${fmt([N * H, L, S])}; ` +
          `build it for these lengths${L === S ? ` (e.g. generateSquareSubsequentMask(${L}) for a causal mask)` : ''}.`,
      );
    }
    const add = additiveMask(attnMask, dtype, 'masked');
    total = ok2 ? add : add.reshape([N, H, L, S]);
  } else if (isCausal) {
    total = causalMask(L, S, dtype, query.backend.name);
  }
  if (kpm !== null) {
    assertTensor(name, 'keyPaddingMask', kpm);
    checkMaskDType(name, 'keyPaddingMask', kpm, dtype);
    const expected = batched ? [N, S] : [S];
    if (kpm.shape.join() !== expected.join()) {
      throw new ShapeError(
        `${name}: keyPaddingMask has shape ${fmt(kpm.shape)} but key ${fmt(key.shape)} needs ${batched ? '[batch, S]' : '[S] (unbatched)'} = ${fmt(expected)}; ` +
          `give one entry per key${batched ? ' and batch element' : ''} (true = padding).`,
      );
    }
    const add = additiveMask(kpm, dtype, 'masked').reshape([N, 1, 1, S]);
    total = total ? total.add(add) : add;
  }
  return total;
}


// ---- Transformer encoder ---------------------------------------------------------------------------

/** The feed-forward activation of a {@link TransformerEncoderLayer}: a name, or any tensor function. */
export type TransformerActivation = 'relu' | 'gelu' | ((x: Tensor) => Tensor);

/** Options of {@link TransformerEncoderLayer} (PyTorch's keywords in camelCase, same defaults). */
export interface TransformerEncoderLayerOptions extends LayerFactoryOptions {
  /** Width of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** Dropout probability after attention, inside and after the feed-forward block (default 0.1). */
  dropout?: number;
  /** The feed-forward activation (default 'relu'; 'gelu' is the exact, erf-based GELU). */
  activation?: TransformerActivation;
  /** LayerNorm's eps (default 1e-5). */
  layerNormEps?: number;
  /** Input and output as [batch, seq, dModel] (default false: [seq, batch, dModel]). */
  batchFirst?: boolean;
  /** Pre-norm (LayerNorm before attention and feed-forward) instead of post-norm (default false). */
  normFirst?: boolean;
  /** Learn the biases of the linear layers and LayerNorms (default true; PyTorch 2.1's `bias`). */
  bias?: boolean;
}

/** Options of {@link TransformerEncoderLayer.forward}. */
export interface TransformerEncoderLayerForwardOptions {
  /** [L, L] or [batch·nhead, L, L]; bool (true = not allowed) or float (added). */
  srcMask?: Tensor | null;
  /** [batch, L] ([L] unbatched); bool (true = padding) or float (added). */
  srcKeyPaddingMask?: Tensor | null;
  /** The mask is causal: without srcMask, the causal mask of generateSquareSubsequentMask(L) is used; with it, srcMask is used (PyTorch 2's hint). */
  isCausal?: boolean;
}

const gelu = (x: Tensor): Tensor => x.mul(erf(x.mul(Math.SQRT1_2)).add(1)).mul(0.5);

/**
 * One Transformer encoder block, PyTorch's nn.TransformerEncoderLayer (Vaswani et al. 2017):
 * post-norm x = norm1(x + dropout1(selfAttn(x))); x = norm2(x + dropout2(ff(x))), or with
 * normFirst x = x + dropout1(selfAttn(norm1(x))); x = x + dropout2(ff(norm2(x))), where
 * ff(x) = linear2(dropout(activation(linear1(x)))).
 *
 * Sub-modules with PyTorch's names, so PyTorch state dicts load: `self_attn`
 * (MultiheadAttention), `linear1` [dimFeedforward, dModel], `dropout`, `linear2`
 * [dModel, dimFeedforward], `norm1`, `norm2`, `dropout1`, `dropout2`.
 * - src [L, N, dModel] ([N, L, dModel] with batchFirst; unbatched [L, dModel]); output of the
 *   same shape. Masks as in {@link TransformerEncoderLayerForwardOptions}.
 * @throws ShapeError naming the layer, both shapes and the fix for an input of the wrong rank or
 *   feature size and for masks of the wrong size; DTypeError for another dtype; ValueError for
 *   bad options (dModel not divisible by nhead, an unknown activation).
 */
export class TransformerEncoderLayer extends Module<[Tensor, TransformerEncoderLayerForwardOptions?], Tensor> {
  readonly dModel: number;
  readonly nhead: number;
  readonly dimFeedforward: number;
  readonly normFirst: boolean;
  readonly batchFirst: boolean;
  // `declare`: no field is defined before the constructor assigns it, so the sub-modules are
  // created after self_attn, in PyTorch's (and the state dict's) order.
  declare readonly linear1: Linear;
  declare readonly dropout: Dropout;
  declare readonly linear2: Linear;
  declare readonly norm1: LayerNorm;
  declare readonly norm2: LayerNorm;
  declare readonly dropout1: Dropout;
  declare readonly dropout2: Dropout;
  readonly #activation: (x: Tensor) => Tensor;
  readonly #options: TransformerEncoderLayerOptions;

  constructor(dModel: number, nhead: number, options: TransformerEncoderLayerOptions = {}) {
    super();
    const layer = 'TransformerEncoderLayer';
    const dtype = factoryDType(layer, options);
    this.dModel = checkSize(layer, 'dModel', dModel);
    this.nhead = checkSize(layer, 'nhead', nhead);
    this.dimFeedforward = checkSize(layer, 'options.dimFeedforward', options.dimFeedforward ?? 2048);
    const p = checkProbability(layer, 'options.dropout', options.dropout ?? 0.1);
    this.normFirst = checkFlag(layer, 'normFirst', options.normFirst, false);
    this.batchFirst = checkFlag(layer, 'batchFirst', options.batchFirst, false);
    const bias = checkFlag(layer, 'bias', options.bias, true);
    const act = options.activation ?? 'relu';
    if (act === 'relu') this.#activation = (x) => x.relu();
    else if (act === 'gelu') this.#activation = gelu;
    else if (typeof act === 'function') this.#activation = act;
    else throw new ValueError(`${layer}: activation must be 'relu', 'gelu' or a function (x) => Tensor, got ${JSON.stringify(act) ?? String(act)}.`);
    this.#options = { ...options };
    const f = { dtype, backend: options.backend, generator: options.generator };
    if (dModel % nhead !== 0) {
      throw new ValueError(`${layer}: dModel=${dModel} is not divisible by nhead=${nhead}, so the attention heads cannot split it evenly; use an nhead that divides ${dModel}.`);
    }
    // Created in PyTorch's order, which is also the state dict's.
    this.registerModule('self_attn', new MultiheadAttention(dModel, nhead, { ...f, dropout: p, bias, batchFirst: this.batchFirst }));
    this.linear1 = new Linear(dModel, this.dimFeedforward, { ...f, bias });
    this.dropout = new Dropout(p, { generator: options.generator });
    this.linear2 = new Linear(this.dimFeedforward, dModel, { ...f, bias });
    const eps = options.layerNormEps ?? 1e-5;
    this.norm1 = new LayerNorm(dModel, { dtype, backend: options.backend, eps, bias });
    this.norm2 = new LayerNorm(dModel, { dtype, backend: options.backend, eps, bias });
    this.dropout1 = new Dropout(p, { generator: options.generator });
    this.dropout2 = new Dropout(p, { generator: options.generator });
  }

  /** self_attn: the layer's MultiheadAttention. */
  get selfAttn(): MultiheadAttention {
    return (this as unknown as Record<string, MultiheadAttention>).self_attn;
  }

  private describe(): string {
    return `TransformerEncoderLayer(dModel=${this.dModel}, nhead=${this.nhead})`;
  }

  /**
   * A new layer with the same options and a copy of this one's current parameters (PyTorch's
   * deepcopy, which TransformerEncoder makes of its layer).
   */
  clone(): TransformerEncoderLayer {
    const copy = new TransformerEncoderLayer(this.dModel, this.nhead, this.#options);
    const state = this.stateDict();
    copy.loadStateDict(state);
    for (const t of Object.values(state)) t.dispose();
    copy.train(this.training);
    return copy;
  }

  forward(src: Tensor, options: TransformerEncoderLayerForwardOptions = {}): Tensor {
    const name = this.describe();
    assertOptions(name, options);
    const mask = checkEncoderInput(name, src, this.selfAttn.inProjWeight, this.dModel, this.nhead, this.batchFirst, options.srcMask ?? null, 'srcMask', options.isCausal, options.srcKeyPaddingMask ?? null);
    const kpm = options.srcKeyPaddingMask ?? null;
    const sa = (x: Tensor) => this.dropout1.call(this.selfAttn.call(x, x, x, { attnMask: mask, keyPaddingMask: kpm, needWeights: false })[0]);
    const ff = (x: Tensor) => this.dropout2.call(this.linear2.call(this.dropout.call(this.#activation(this.linear1.call(x)))));
    let x = src;
    if (this.normFirst) {
      x = x.add(sa(this.norm1.call(x)));
      x = x.add(ff(this.norm2.call(x)));
    } else {
      x = this.norm1.call(x.add(sa(x)));
      x = this.norm2.call(x.add(ff(x)));
    }
    return x;
  }

  override extraRepr(): string {
    return `dModel=${this.dModel}, nhead=${this.nhead}, dimFeedforward=${this.dimFeedforward}${this.batchFirst ? ', batchFirst=true' : ''}${this.normFirst ? ', normFirst=true' : ''}`;
  }
}

/**
 * The encoder input and its mask checked with the layer's name; returns the mask to use (the
 * causal one when isCausal is set without a mask).
 */
function checkEncoderInput(
  name: string,
  src: unknown,
  w: Tensor,
  dModel: number,
  nhead: number,
  batchFirst: boolean,
  mask: Tensor | null,
  maskName: string,
  isCausal: unknown,
  kpm: Tensor | null,
): Tensor | null {
  checkInput(name, 'src', src, w.dtype);
  const layout = batchFirst ? '[batch, seq, dModel]' : '[seq, batch, dModel]';
  if (src.rank !== 2 && src.rank !== 3) {
    throw new ShapeError(`${name}: expected a 3-D src ${layout} or a 2-D unbatched [seq, dModel], got shape ${fmt(src.shape)} (rank ${src.rank}); reshape it.`);
  }
  const f = src.shape[src.rank - 1];
  if (f !== dModel) {
    throw new ShapeError(
      `${name}: src of shape ${fmt(src.shape)} has ${f} features but self_attn.in_proj_weight of shape ${fmt(w.shape)} takes dModel=${dModel}; ` +
        `give src of shape [..., ${dModel}] (${src.rank === 3 ? layout : '[seq, dModel]'}), e.g. through a Linear(${f}, ${dModel}), or build the layer with dModel=${f}.`,
    );
  }
  const causal = checkFlag(name, 'isCausal', isCausal, false);
  const batched = src.rank === 3;
  const L = batched ? src.shape[batchFirst ? 1 : 0] : src.shape[0];
  const N = batched ? src.shape[batchFirst ? 0 : 1] : 1;
  if (kpm !== null) {
    assertTensor(name, 'srcKeyPaddingMask', kpm);
    checkMaskDType(name, 'srcKeyPaddingMask', kpm, w.dtype);
    const expected = batched ? [N, L] : [L];
    if (kpm.shape.join() !== expected.join()) {
      throw new ShapeError(
        `${name}: srcKeyPaddingMask has shape ${fmt(kpm.shape)} but src of shape ${fmt(src.shape)} needs ${batched ? '[batch, seq]' : '[seq] (unbatched)'} = ${fmt(expected)}; ` +
          `give one entry per position${batched ? ' and batch element' : ''} (true = padding).`,
      );
    }
  }
  if (mask !== null) {
    assertTensor(name, maskName, mask);
    checkMaskDType(name, maskName, mask, w.dtype);
    const ok = (mask.rank === 2 && mask.shape[0] === L && mask.shape[1] === L) || (mask.rank === 3 && mask.shape.join() === [N * nhead, L, L].join());
    if (!ok) {
      throw new ShapeError(
        `${name}: ${maskName} has shape ${fmt(mask.shape)} but src of shape ${fmt(src.shape)} has sequence length ${L}; ` +
          `give a ${causal ? 'causal ' : ''}mask of shape [${L}, ${L}]${causal || mask.dtype !== 'bool' ? ` (generateSquareSubsequentMask(${L}) for a causal one)` : ''} or [batch·nhead, ${L}, ${L}] = ${fmt([N * nhead, L, L])}.`,
      );
    }
    return mask;
  }
  return causal ? generateSquareSubsequentMask(L, { dtype: w.dtype, backend: w.backend.name }) : null;
}

/** Options of {@link TransformerEncoder}. */
export interface TransformerEncoderOptions {
  /** A final layer norm (e.g. for pre-norm stacks), PyTorch's `norm`; none by default. */
  norm?: Module<[Tensor], Tensor> | null;
}

/** Options of {@link TransformerEncoder.forward} (PyTorch's `mask`, `src_key_padding_mask`, `is_causal`). */
export interface TransformerEncoderForwardOptions {
  /** [L, L] or [batch·nhead, L, L]; bool (true = not allowed) or float (added). */
  mask?: Tensor | null;
  /** [batch, L] ([L] unbatched); bool (true = padding) or float (added). */
  srcKeyPaddingMask?: Tensor | null;
  /** As TransformerEncoderLayer's isCausal. */
  isCausal?: boolean;
}

/**
 * A stack of `numLayers` copies of `encoderLayer` (each starting from its parameters, as
 * PyTorch's deepcopy), then the optional `norm`: PyTorch's nn.TransformerEncoder. State-dict
 * names "layers.0.self_attn.in_proj_weight", ..., "norm.weight", as PyTorch's.
 * - src and the masks as {@link TransformerEncoderLayer}'s; output of src's shape.
 * @throws ValueError for numLayers that is not a positive integer or a non-layer; the layers'
 *   errors (naming TransformerEncoder) for bad inputs.
 */
export class TransformerEncoder extends Module<[Tensor, TransformerEncoderForwardOptions?], Tensor> {
  /** The copies, PyTorch's `layers` ModuleList. */
  readonly layers: ModuleList<TransformerEncoderLayer>;
  readonly norm: Module<[Tensor], Tensor> | null;
  readonly numLayers: number;

  constructor(encoderLayer: TransformerEncoderLayer, numLayers: number, options: TransformerEncoderOptions = {}) {
    super();
    if (!(encoderLayer instanceof TransformerEncoderLayer)) {
      throw new ValueError(`TransformerEncoder: encoderLayer must be a TransformerEncoderLayer, got ${encoderLayer === null ? 'null' : typeof encoderLayer}.`);
    }
    this.numLayers = checkSize('TransformerEncoder', 'numLayers', numLayers);
    assertOptions('TransformerEncoder', options);
    const norm = options.norm ?? null;
    if (norm !== null && !(norm instanceof Module)) throw new ValueError(`TransformerEncoder: options.norm must be a Module (such as a LayerNorm) or null, got ${typeof norm}.`);
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => encoderLayer.clone()));
    this.norm = norm;
  }

  forward(src: Tensor, options: TransformerEncoderForwardOptions = {}): Tensor {
    assertOptions('TransformerEncoder', options);
    const first = this.layers.at(0);
    const name = `TransformerEncoder(numLayers=${this.numLayers}, dModel=${first.dModel})`;
    // Checked once here, so a bad mask is reported against the encoder and built once when causal.
    const mask = checkEncoderInput(name, src, first.selfAttn.inProjWeight, first.dModel, first.nhead, first.batchFirst, options.mask ?? null, 'mask', options.isCausal, options.srcKeyPaddingMask ?? null);
    let x = src;
    for (const layer of this.layers) x = layer.call(x, { srcMask: mask, srcKeyPaddingMask: options.srcKeyPaddingMask ?? null });
    return this.norm ? this.norm.call(x) : x;
  }

  override extraRepr(): string {
    return `numLayers=${this.numLayers}`;
  }
}
