import { DTypeError, ShapeError, Tensor, ValueError, arange, assertOptions, canCheckOnHost, assertTensor, indexSelect, isFloat, noGrad, normal, where } from '@tsgrad/core';
import { Module, parameter } from './module.js';
import { checkFlag, checkSize, factoryDType, fmt, type LayerFactoryOptions } from './sequence-common.js';

/** Options of {@link embedding}. */
export interface EmbeddingFunctionalOptions {
  /**
   * The row whose lookups get no gradient (PyTorch's padding_idx), typically a padding token;
   * negative counts from the end. Default null (none).
   */
  paddingIdx?: number | null;
}

/** paddingIdx as a row in [0, numEmbeddings), or null. */
function checkPaddingIdx(op: string, paddingIdx: unknown, numEmbeddings: number): number | null {
  if (paddingIdx === null || paddingIdx === undefined) return null;
  if (typeof paddingIdx !== 'number' || !Number.isInteger(paddingIdx) || paddingIdx < -numEmbeddings || paddingIdx >= numEmbeddings) {
    throw new ValueError(`${op}: paddingIdx must be an integer in [-${numEmbeddings}, ${numEmbeddings - 1}] (a row of the ${numEmbeddings} embeddings) or null, got ${String(paddingIdx)}.`);
  }
  return paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx;
}

/**
 * Refuses an index outside [0, numEmbeddings), naming `op`, the index, where it sits and
 * numEmbeddings. Checked on the host where a read is a memory copy (cpu, wasm) and, on device
 * backends, in debug mode only (`setDebugMode`: reading back would stall the device); without it
 * the gather kernel decides what an out-of-range index gives.
 */
function checkRange(op: string, indices: Tensor, numEmbeddings: number): void {
  if (!canCheckOnHost(indices)) return;
  const values = indices.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (v >= 0 && v < numEmbeddings) continue;
    // The position as a multi-index, for indices of any rank.
    const at: number[] = [];
    let rest = i;
    for (let d = indices.rank - 1; d >= 0; d--) {
      at.unshift(rest % indices.shape[d]);
      rest = Math.floor(rest / indices.shape[d]);
    }
    throw new ValueError(
      `${op}: index ${v} at position [${at.join(', ')}] of the indices (shape ${fmt(indices.shape)}) is out of range for numEmbeddings=${numEmbeddings}; ` +
        `indices must lie in [0, ${numEmbeddings - 1}] (negative indices are refused, as in PyTorch). Build the layer with more embeddings or fix the indices.`,
    );
  }
}

function lookup(op: string, indices: Tensor, weight: Tensor, paddingIdx: number | null): Tensor {
  assertTensor(op, 'indices', indices);
  assertTensor(op, 'weight', weight);
  if (isFloat(indices.dtype) || indices.dtype === 'bool') {
    throw new DTypeError(`${op}: indices must be an integer tensor, got ${indices.dtype} (shape ${fmt(indices.shape)}); cast them with .cast("int32").`);
  }
  if (weight.rank !== 2) throw new ShapeError(`${op}: weight must be 2-D [numEmbeddings, embeddingDim], got shape ${fmt(weight.shape)}.`);
  const [num, dim] = weight.shape;
  checkRange(op, indices, num);
  const rows = indexSelect(weight, indices.reshape([indices.size]), 0).reshape([...indices.shape, dim]);
  if (paddingIdx === null) return rows;
  // Lookups of the padding row take the same values but no gradient (PyTorch's padding_idx):
  // a where() over a detached copy, NaN-safe unlike multiplying the gradient by a mask.
  const isPadding = indices.eq(paddingIdx).reshape([...indices.shape, 1]);
  return where(isPadding, rows.detach(), rows);
}

/**
 * Looks up rows of `weight` by index, PyTorch's `F.embedding(input, weight, padding_idx)`: out[...i]
 * = weight[indices[...i]]. The gradient with respect to weight adds each output row's gradient
 * into the row it came from, except for `paddingIdx`'s row, which gets none.
 * - indices: int32 (or any integer dtype) of any shape, each in [0, numEmbeddings); weight: float
 *   [numEmbeddings, embeddingDim]; result: [...indices.shape, embeddingDim] of weight's dtype.
 * - Built on core's indexSelect (the gather primitive; gradient: scatterAdd), so it runs on every
 *   backend. Indices are range-checked where a read is a memory copy, or in debug mode (see {@link Embedding}).
 * @throws DTypeError for float or bool indices; ShapeError for a weight that is not 2-D;
 *   ValueError for an index out of range (naming it, its position and numEmbeddings) or a bad paddingIdx.
 */
export function embedding(indices: Tensor, weight: Tensor, options: EmbeddingFunctionalOptions = {}): Tensor {
  assertOptions('embedding', options);
  assertTensor('embedding', 'weight', weight);
  const paddingIdx = checkPaddingIdx('embedding', options.paddingIdx, weight.shape[0] ?? 0);
  return lookup('embedding', indices, weight, paddingIdx);
}

/** Options of {@link Embedding}. */
export interface EmbeddingOptions extends LayerFactoryOptions {
  /**
   * A row initialised to zeros whose lookups get no gradient, so it stays as it is in training
   * (a padding token); negative counts from the end. Default null (none).
   */
  paddingIdx?: number | null;
}

/** Options of {@link Embedding.fromPretrained}. */
export interface EmbeddingFromPretrainedOptions {
  /** Keep the table fixed: its weight does not require grad (default true, as PyTorch). */
  freeze?: boolean;
  /** As {@link EmbeddingOptions.paddingIdx}; the given row is kept as it is (not zeroed). */
  paddingIdx?: number | null;
}

/**
 * A lookup table of `numEmbeddings` vectors of size `embeddingDim`, PyTorch's nn.Embedding:
 * `call(indices)` gives [...indices.shape, embeddingDim] (see {@link embedding}). The `weight`
 * parameter [numEmbeddings, embeddingDim] starts as N(0, 1) draws (PyTorch's init), with the
 * `paddingIdx` row zeroed.
 * - Indices outside [0, numEmbeddings) are refused with a ValueError naming the layer, the index
 *   and numEmbeddings, checked on the host where a read is a memory copy (cpu, wasm). Device
 *   backends (tfjs, WebGL, WebGPU, CUDA) check only in debug mode (`setDebugMode(true)` or
 *   `TSGRAD_DEBUG=1`): otherwise an out-of-range index gives what their gather kernel gives.
 * @throws DTypeError for float or bool indices; ValueError for an out-of-range index, bad sizes
 *   or a bad paddingIdx.
 */
export class Embedding extends Module {
  readonly weight: Tensor;
  /** The padding row in [0, numEmbeddings) (a negative option is stored counted from the start), or null. */
  readonly paddingIdx: number | null;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: EmbeddingOptions = {},
  ) {
    super();
    checkSize('Embedding', 'numEmbeddings', numEmbeddings);
    checkSize('Embedding', 'embeddingDim', embeddingDim, 0);
    const dtype = factoryDType('Embedding', options);
    this.paddingIdx = checkPaddingIdx('Embedding', options.paddingIdx, numEmbeddings);
    let w = normal([numEmbeddings, embeddingDim], { dtype, backend: options.backend, generator: options.generator });
    if (this.paddingIdx !== null) {
      const pad = this.paddingIdx;
      const drawn = w;
      // where() rather than a multiply by 0, which would leave -0 for negative draws.
      w = noGrad(() => where(arange(numEmbeddings, undefined, 1, { dtype: 'int32', backend: options.backend }).eq(pad).reshape([numEmbeddings, 1]), 0, drawn));
      drawn.dispose();
    }
    this.weight = parameter(w, 'weight');
  }

  /**
   * An Embedding whose weight is `embeddings` [numEmbeddings, embeddingDim] (the same storage,
   * as PyTorch's from_pretrained), frozen unless `freeze: false`.
   * @throws ShapeError when embeddings is not 2-D; DTypeError when it is not float.
   */
  static fromPretrained(embeddings: Tensor, options: EmbeddingFromPretrainedOptions = {}): Embedding {
    assertTensor('Embedding.fromPretrained', 'embeddings', embeddings);
    assertOptions('Embedding.fromPretrained', options);
    if (embeddings.rank !== 2) throw new ShapeError(`Embedding.fromPretrained: embeddings must be 2-D [numEmbeddings, embeddingDim], got shape ${fmt(embeddings.shape)}.`);
    if (!isFloat(embeddings.dtype)) throw new DTypeError(`Embedding.fromPretrained: embeddings must be float32 or float64, got ${embeddings.dtype}; cast them first.`);
    const freeze = checkFlag('Embedding.fromPretrained', 'freeze', options.freeze, true);
    const [num, dim] = embeddings.shape;
    const m = new Embedding(num, dim, { dtype: embeddings.dtype, backend: embeddings.backend.name, paddingIdx: options.paddingIdx });
    // The drawn table is replaced by the given one (a leaf view of it, as a parameter must be).
    m.weight.dispose();
    (m as { weight: Tensor }).weight = parameter(embeddings.detach(), 'weight');
    if (freeze) m.weight.requiresGrad_(false);
    return m;
  }

  forward(indices: Tensor): Tensor {
    return lookup(this.describe(), indices, this.weight, this.paddingIdx);
  }

  private describe(): string {
    return `Embedding(${this.numEmbeddings}, ${this.embeddingDim})`;
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ''}`;
  }
}
