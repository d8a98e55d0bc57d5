import { DTypeError, ShapeError, ValueError, assertTensor, concat, isFloat, linear, stack, uniform, zeros, type DType, type Generator, type Tensor } from '@tsgrad/core';
import { Module } from './module.js';
import { checkFlag, checkInput, checkProbability, checkSize, dropoutTrain, factoryDType, fmt, type LayerFactoryOptions } from './sequence-common.js';

/**
 * Recurrent layers with PyTorch's semantics, parameter names and gate order (torch.nn.LSTM,
 * GRU, LSTMCell, GRUCell), as composites of linear, sigmoid, tanh, split and stack: they run and
 * differentiate (through time) on every backend.
 */

type Mode = 'LSTM' | 'GRU';
const GATES: Record<Mode, number> = { LSTM: 4, GRU: 3 };

/** The four tensors of one cell: [weight_ih, weight_hh, bias_ih, bias_hh] (biases null without bias). */
type CellWeights = readonly [Tensor, Tensor, Tensor | null, Tensor | null];

/**
 * One LSTM step (PyTorch's gate order i, f, g, o):
 * gates = xW_ihᵀ + b_ih + hW_hhᵀ + b_hh; c' = σ(f)·c + σ(i)·tanh(g); h' = σ(o)·tanh(c').
 * `gi` is xW_ihᵀ + b_ih, computed for every time step at once.
 */
function lstmStep(gi: Tensor, h: Tensor, c: Tensor, wHh: Tensor, bHh: Tensor | null, hidden: number): [Tensor, Tensor] {
  const [i, f, g, o] = gi.add(linear(h, wHh, bHh)).split(hidden, -1);
  const c2 = f.sigmoid().mul(c).add(i.sigmoid().mul(g.tanh()));
  return [o.sigmoid().mul(c2.tanh()), c2];
}

/**
 * One GRU step (PyTorch's gate order r, z, n): r = σ(W_ir x + b_ir + W_hr h + b_hr),
 * z = σ(W_iz x + b_iz + W_hz h + b_hz), n = tanh(W_in x + b_in + r·(W_hn h + b_hn)),
 * h' = (1 - z)·n + z·h (Cho et al. 2014 as PyTorch writes it; b_hn stays inside r's product).
 */
function gruStep(gi: Tensor, h: Tensor, wHh: Tensor, bHh: Tensor | null, hidden: number): Tensor {
  const [ir, iz, inn] = gi.split(hidden, -1);
  const [hr, hz, hn] = linear(h, wHh, bHh).split(hidden, -1);
  const r = ir.add(hr).sigmoid();
  const z = iz.add(hz).sigmoid();
  const n = inn.add(r.mul(hn)).tanh();
  return z.neg().add(1).mul(n).add(z.mul(h));
}

/**
 * The tensors of a functional cell checked (op names the function): weights [G·H, I] and
 * [G·H, H], biases [G·H] or null, input [N, I] or [I], states of the input's batch; returns the
 * input and states as [N, ·] and whether the input was batched.
 */
function cellArgs(op: string, gates: number, input: unknown, states: readonly [string, unknown][], wIh: unknown, wHh: unknown, bIh: unknown, bHh: unknown): { x: Tensor; batched: boolean; states: Tensor[]; hidden: number } {
  assertTensor(op, 'weightHh', wHh);
  if (!isFloat(wHh.dtype)) throw new DTypeError(`${op}: weightHh must be float32 or float64, got ${wHh.dtype}.`);
  const dtype = wHh.dtype;
  checkInput(op, 'weightIh', wIh, dtype);
  if (wHh.rank !== 2 || wHh.shape[0] !== gates * wHh.shape[1]) {
    throw new ShapeError(`${op}: weightHh must have shape [${gates}·hiddenSize, hiddenSize], got ${fmt(wHh.shape)}; give the ${gates} gates' recurrent weights stacked by rows.`);
  }
  const H = wHh.shape[1];
  if (wIh.rank !== 2 || wIh.shape[0] !== gates * H) {
    throw new ShapeError(`${op}: weightIh must have shape [${gates}·hiddenSize, inputSize] = [${gates * H}, inputSize] (weightHh is ${fmt(wHh.shape)}), got ${fmt(wIh.shape)}.`);
  }
  for (const [what, b] of [['biasIh', bIh], ['biasHh', bHh]] as const) {
    if (b === null || b === undefined) continue;
    checkInput(op, what, b, dtype);
    if (b.rank !== 1 || b.shape[0] !== gates * H) throw new ShapeError(`${op}: ${what} must have shape [${gates * H}] (${gates}·hiddenSize), got ${fmt(b.shape)}; or pass null for no bias.`);
  }
  checkInput(op, 'the input', input, dtype);
  const I = wIh.shape[1];
  if ((input.rank !== 1 && input.rank !== 2) || input.shape[input.rank - 1] !== I) {
    throw new ShapeError(`${op}: the input must have shape [batch, ${I}] or unbatched [${I}] (weightIh is ${fmt(wIh.shape)}), got ${fmt(input.shape)}.`);
  }
  const batched = input.rank === 2;
  const expected = batched ? [input.shape[0], H] : [H];
  const out = states.map(([what, s]) => {
    checkInput(op, what, s, dtype);
    if (s.shape.join() !== expected.join()) {
      throw new ShapeError(`${op}: ${what} has shape ${fmt(s.shape)} but the input ${fmt(input.shape)} and weightHh ${fmt(wHh.shape)} need ${fmt(expected)}; give ${what} of that shape (zeros to start).`);
    }
    return batched ? s : s.unsqueeze(0);
  });
  return { x: batched ? input : input.unsqueeze(0), batched, states: out, hidden: H };
}

/**
 * One LSTM step as a function of its weights (PyTorch's torch.lstm_cell): the step {@link LSTM}
 * and {@link LSTMCell} run, with their formulas and gate order i, f, g, o. Differentiable in
 * every tensor argument.
 * - input [N, inputSize] (or unbatched [inputSize]); hx [h, c], each [N, hiddenSize] ([hiddenSize]);
 *   weightIh [4·hiddenSize, inputSize], weightHh [4·hiddenSize, hiddenSize], biasIh and biasHh
 *   [4·hiddenSize] or null; one float dtype for all. Returns [h', c'] of h's shape.
 * @throws ShapeError naming lstmCell and the shapes for weights, biases, input or states that do
 *   not fit; DTypeError for non-float or mixed dtypes.
 */
export function lstmCell(input: Tensor, hx: readonly [Tensor, Tensor], weightIh: Tensor, weightHh: Tensor, biasIh: Tensor | null = null, biasHh: Tensor | null = null): [Tensor, Tensor] {
  if (!Array.isArray(hx) || hx.length !== 2) throw new ValueError(`lstmCell: hx must be a pair [h, c], got ${Array.isArray(hx) ? `an array of ${hx.length}` : typeof hx}.`);
  const a = cellArgs('lstmCell', 4, input, [['h', hx[0]], ['c', hx[1]]], weightIh, weightHh, biasIh, biasHh);
  const [h, c] = lstmStep(linear(a.x, weightIh, biasIh), a.states[0], a.states[1], weightHh, biasHh, a.hidden);
  return a.batched ? [h, c] : [h.squeeze(0), c.squeeze(0)];
}

/**
 * One GRU step as a function of its weights (PyTorch's torch.gru_cell): the step {@link GRU} and
 * {@link GRUCell} run, gate order r, z, n. Differentiable in every tensor argument.
 * - input [N, inputSize] (or [inputSize]); hx [N, hiddenSize] ([hiddenSize]); weightIh
 *   [3·hiddenSize, inputSize], weightHh [3·hiddenSize, hiddenSize], biases [3·hiddenSize] or
 *   null. Returns h' of hx's shape.
 * @throws as {@link lstmCell}, naming gruCell.
 */
export function gruCell(input: Tensor, hx: Tensor, weightIh: Tensor, weightHh: Tensor, biasIh: Tensor | null = null, biasHh: Tensor | null = null): Tensor {
  const a = cellArgs('gruCell', 3, input, [['hx', hx]], weightIh, weightHh, biasIh, biasHh);
  const h = gruStep(linear(a.x, weightIh, biasIh), a.states[0], weightHh, biasHh, a.hidden);
  return a.batched ? h : h.squeeze(0);
}

/** Parameters of one cell under `suffix` ("_l0", "_l1_reverse", "" for the cells), drawn from U(±1/√hidden) in PyTorch's order. */
function registerCell(m: Module<never, unknown>, suffix: string, gates: number, inputSize: number, hidden: number, bias: boolean, dtype: DType, backend: string | undefined, generator: Generator | undefined): void {
  const k = 1 / Math.sqrt(hidden);
  const draw = (shape: number[]) => uniform(shape, -k, k, { dtype, backend, generator });
  m.registerParameter(`weight_ih${suffix}`, draw([gates * hidden, inputSize]));
  m.registerParameter(`weight_hh${suffix}`, draw([gates * hidden, hidden]));
  if (bias) {
    m.registerParameter(`bias_ih${suffix}`, draw([gates * hidden]));
    m.registerParameter(`bias_hh${suffix}`, draw([gates * hidden]));
  }
}

/** The cell's tensors, looked up by their registered names (so a registerParameter() replacement is seen). */
function cellWeights(m: object, suffix: string): CellWeights {
  const own = m as Record<string, Tensor | null | undefined>;
  return [own[`weight_ih${suffix}`]!, own[`weight_hh${suffix}`]!, own[`bias_ih${suffix}`] ?? null, own[`bias_hh${suffix}`] ?? null];
}

/** Options of {@link LSTM} and {@link GRU} (PyTorch's constructor keywords in camelCase). */
export interface RNNOptions extends LayerFactoryOptions {
  /** Stacked layers (default 1); layer k > 0 reads layer k-1's output. */
  numLayers?: number;
  /** Learn the biases bias_ih and bias_hh (default true). */
  bias?: boolean;
  /** Input and output as [batch, seq, feature] instead of [seq, batch, feature] (default false). States stay [layers, batch, hidden]. */
  batchFirst?: boolean;
  /** Dropout probability on the output of every layer but the last, in training mode only (default 0). */
  dropout?: number;
  /** Also run each layer from the end of the sequence back, concatenating both directions' outputs (default false). */
  bidirectional?: boolean;
}

interface RunResult {
  output: Tensor;
  h: Tensor;
  c: Tensor | null;
}

/** What LSTM and GRU share: sizes, parameters, input checks and the loop over layers, directions and time. */
abstract class RNNBase<In extends readonly unknown[], Out> extends Module<In, Out> {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  private readonly mode: Mode;
  private readonly generator: Generator | undefined;

  protected constructor(mode: Mode, inputSize: number, hiddenSize: number, options: RNNOptions) {
    super();
    this.mode = mode;
    const dtype = factoryDType(mode, options);
    this.inputSize = checkSize(mode, 'inputSize', inputSize);
    this.hiddenSize = checkSize(mode, 'hiddenSize', hiddenSize);
    this.numLayers = checkSize(mode, 'options.numLayers', options.numLayers ?? 1);
    this.bias = checkFlag(mode, 'bias', options.bias, true);
    this.batchFirst = checkFlag(mode, 'batchFirst', options.batchFirst, false);
    this.bidirectional = checkFlag(mode, 'bidirectional', options.bidirectional, false);
    this.dropout = checkProbability(mode, 'options.dropout', options.dropout ?? 0);
    this.generator = options.generator;
    const directions = this.bidirectional ? 2 : 1;
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let dir = 0; dir < directions; dir++) {
        const inSize = layer === 0 ? this.inputSize : this.hiddenSize * directions;
        registerCell(this as unknown as Module<never, unknown>, this.suffix(layer, dir), GATES[mode], inSize, this.hiddenSize, this.bias, dtype, options.backend, this.generator);
      }
    }
  }

  private suffix(layer: number, dir: number): string {
    return `_l${layer}${dir === 1 ? '_reverse' : ''}`;
  }

  /**
   * Each layer's (and direction's) tensors [weight_ih, weight_hh, bias_ih, bias_hh] (without
   * the biases when bias is false), in state-dict order: PyTorch's `all_weights`.
   */
  get allWeights(): Tensor[][] {
    const out: Tensor[][] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let dir = 0; dir < (this.bidirectional ? 2 : 1); dir++) {
        out.push(cellWeights(this, this.suffix(layer, dir)).filter((t): t is Tensor => t !== null));
      }
    }
    return out;
  }

  protected describe(): string {
    return `${this.mode}(inputSize=${this.inputSize}, hiddenSize=${this.hiddenSize})`;
  }

  /** Checks an initial state against the expected shape and returns it as [layers·directions, batch, hidden]. */
  private initialState(what: string, s: unknown, input: Tensor, batched: boolean, batch: number, dtype: DType): Tensor | null {
    if (s === undefined || s === null) return null;
    const name = this.describe();
    checkInput(name, what, s, dtype);
    const d = this.numLayers * (this.bidirectional ? 2 : 1);
    const expected = batched ? [d, batch, this.hiddenSize] : [d, this.hiddenSize];
    if (s.shape.join() !== expected.join()) {
      throw new ShapeError(
        `${name}: ${what} has shape ${fmt(s.shape)} but the input of shape ${fmt(input.shape)} needs ${batched ? '[numLayers·numDirections, batch, hiddenSize]' : '[numLayers·numDirections, hiddenSize] (unbatched input)'} = ${fmt(expected)}; ` +
          `give ${what} of shape ${fmt(expected)} (states are never batch-first), or leave it out for zeros.`,
      );
    }
    return batched ? s : s.unsqueeze(1);
  }

  /** The whole forward pass; `h0`/`c0` as given by the caller (null: zeros). */
  protected run(input: Tensor, h0: unknown, c0: unknown): RunResult {
    const name = this.describe();
    const [wIh0] = cellWeights(this, '_l0');
    const dtype = wIh0.dtype;
    checkInput(name, 'the input', input, dtype);
    const layout = this.batchFirst ? '[batch, seqLen, inputSize]' : '[seqLen, batch, inputSize]';
    if (input.rank !== 2 && input.rank !== 3) {
      throw new ShapeError(
        `${name}: expected a 3-D input ${layout} or a 2-D unbatched input [seqLen, inputSize], got shape ${fmt(input.shape)} (rank ${input.rank}); ` +
          `add or merge dimensions with reshape/unsqueeze.`,
      );
    }
    const features = input.shape[input.rank - 1];
    if (features !== this.inputSize) {
      const fixed = input.shape.map((v, i) => (i === input.rank - 1 ? this.inputSize : v));
      throw new ShapeError(
        `${name}: the input of shape ${fmt(input.shape)} has ${features} features but weight_ih_l0 of shape ${fmt(wIh0.shape)} takes inputSize=${this.inputSize}; ` +
          `give an input of shape ${fmt(fixed)} (${input.rank === 3 ? layout : '[seqLen, inputSize]'}) or build ${this.mode}(${features}, ${this.hiddenSize}).`,
      );
    }
    const batched = input.rank === 3;
    // Time-major [T, N, I] inside.
    let x = !batched ? input.unsqueeze(1) : this.batchFirst ? input.transpose(0, 1) : input;
    const [steps, batch] = x.shape;
    if (steps === 0) {
      throw new ShapeError(`${name}: the input of shape ${fmt(input.shape)} has sequence length 0; give at least one time step (PyTorch refuses this too).`);
    }
    const isLstm = this.mode === 'LSTM';
    const h0t = this.initialState(isLstm ? 'h0' : 'hx', h0, input, batched, batch, dtype);
    const c0t = isLstm ? this.initialState('c0', c0, input, batched, batch, dtype) : null;
    const directions = this.bidirectional ? 2 : 1;
    const H = this.hiddenSize;
    const zeroState = () => zeros([batch, H], { dtype, backend: wIh0.backend.name });
    const hs0 = h0t?.unbind(0);
    const cs0 = c0t?.unbind(0);
    const hN: Tensor[] = [];
    const cN: Tensor[] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      const outs: Tensor[] = [];
      for (let dir = 0; dir < directions; dir++) {
        const idx = layer * directions + dir;
        const [wIh, wHh, bIh, bHh] = cellWeights(this, this.suffix(layer, dir));
        // The input projection of every step in one product.
        const gi = linear(x, wIh, bIh).unbind(0);
        let h = hs0?.[idx] ?? zeroState();
        let c = isLstm ? (cs0?.[idx] ?? zeroState()) : null;
        const ys = new Array<Tensor>(steps);
        for (let s = 0; s < steps; s++) {
          const t = dir === 0 ? s : steps - 1 - s;
          if (isLstm) [h, c] = lstmStep(gi[t], h, c!, wHh, bHh, H);
          else h = gruStep(gi[t], h, wHh, bHh, H);
          ys[t] = h;
        }
        outs.push(stack(ys, 0));
        hN.push(h);
        if (c) cN.push(c);
      }
      x = directions === 2 ? concat(outs, 2) : outs[0];
      if (layer < this.numLayers - 1 && this.training && this.dropout > 0) x = dropoutTrain(x, this.dropout, this.generator);
    }
    const output = !batched ? x.squeeze(1) : this.batchFirst ? x.transpose(0, 1) : x;
    const unbatch = (t: Tensor) => (batched ? t : t.squeeze(1));
    return { output, h: unbatch(stack(hN, 0)), c: isLstm ? unbatch(stack(cN, 0)) : null };
  }

  override extraRepr(): string {
    const extras: string[] = [];
    if (this.numLayers !== 1) extras.push(`numLayers=${this.numLayers}`);
    if (!this.bias) extras.push('bias=false');
    if (this.batchFirst) extras.push('batchFirst=true');
    if (this.dropout !== 0) extras.push(`dropout=${this.dropout}`);
    if (this.bidirectional) extras.push('bidirectional=true');
    return [String(this.inputSize), String(this.hiddenSize), ...extras].join(', ');
  }
}

/**
 * Long short-term memory, PyTorch's nn.LSTM: for each layer and time step
 * i = σ(W_ii x + b_ii + W_hi h + b_hi), f = σ(W_if x + b_if + W_hf h + b_hf),
 * g = tanh(W_ig x + b_ig + W_hg h + b_hg), o = σ(W_io x + b_io + W_ho h + b_ho),
 * c' = f·c + i·g, h' = o·tanh(c') (Hochreiter & Schmidhuber 1997, PyTorch's formulation).
 *
 * Parameters, as PyTorch names them in the state dict (so PyTorch checkpoints load):
 * `weight_ih_l{k}` [4·hiddenSize, in_k] (in_0 = inputSize, else hiddenSize·numDirections),
 * `weight_hh_l{k}` [4·hiddenSize, hiddenSize], `bias_ih_l{k}`, `bias_hh_l{k}` [4·hiddenSize],
 * rows in gate order i, f, g, o; `_reverse` names for the backward direction. All drawn from
 * U(±1/√hiddenSize), as PyTorch does.
 *
 * Shapes (T sequence length, N batch, D = 2 if bidirectional else 1, L = numLayers):
 * - input [T, N, inputSize] ([N, T, inputSize] with batchFirst) or unbatched [T, inputSize];
 * - hx: optional [h0, c0], each [D·L, N, hiddenSize] (unbatched [D·L, hiddenSize]), zeros when left out;
 * - returns [output, [hN, cN]]: output [T, N, D·hiddenSize] ([N, T, ...] with batchFirst), hN and cN like h0.
 * Dropout (options.dropout) acts between layers in training mode only.
 * @throws ShapeError naming the layer, both shapes and the fix for an input of the wrong rank,
 *   feature size or zero length and for states of the wrong shape; DTypeError for inputs of
 *   another dtype than the parameters; ValueError for bad sizes or options.
 */
export class LSTM extends RNNBase<[Tensor, (readonly [Tensor, Tensor] | null)?], [Tensor, [Tensor, Tensor]]> {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super('LSTM', inputSize, hiddenSize, options);
  }

  forward(input: Tensor, hx: readonly [Tensor, Tensor] | null = null): [Tensor, [Tensor, Tensor]] {
    if (hx !== null && hx !== undefined && (!Array.isArray(hx) || hx.length !== 2)) {
      throw new ValueError(`${this.describe()}: the initial state must be a pair [h0, c0] (or null for zeros), got ${Array.isArray(hx) ? `an array of ${hx.length}` : typeof hx}.`);
    }
    const r = this.run(input, hx?.[0], hx?.[1]);
    return [r.output, [r.h, r.c!]];
  }
}

/**
 * Gated recurrent unit, PyTorch's nn.GRU: for each layer and time step
 * r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
 * n = tanh(W_in x + b_in + r·(W_hn h + b_hn)), h' = (1 - z)·n + z·h (Cho et al. 2014, PyTorch's
 * formulation). Parameters `weight_ih_l{k}` [3·hiddenSize, in_k], `weight_hh_l{k}`
 * [3·hiddenSize, hiddenSize], `bias_ih_l{k}`, `bias_hh_l{k}` [3·hiddenSize], rows in gate order
 * r, z, n, drawn from U(±1/√hiddenSize); the options and shapes are {@link LSTM}'s with a single
 * state: `forward(input, h0?)` returns [output, hN].
 * @throws as {@link LSTM}.
 */
export class GRU extends RNNBase<[Tensor, (Tensor | null)?], [Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super('GRU', inputSize, hiddenSize, options);
  }

  forward(input: Tensor, hx: Tensor | null = null): [Tensor, Tensor] {
    const r = this.run(input, hx, null);
    return [r.output, r.h];
  }
}

/** Options of {@link LSTMCell} and {@link GRUCell}. */
export interface RNNCellOptions extends LayerFactoryOptions {
  /** Learn bias_ih and bias_hh (default true). */
  bias?: boolean;
}

/** What the two cells share: parameters weight_ih, weight_hh, bias_ih, bias_hh and the input checks. */
abstract class RNNCellBase<In extends readonly unknown[], Out> extends Module<In, Out> {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  private readonly mode: string;

  protected constructor(mode: Mode, inputSize: number, hiddenSize: number, options: RNNCellOptions) {
    super();
    this.mode = `${mode}Cell`;
    const dtype = factoryDType(this.mode, options);
    this.inputSize = checkSize(this.mode, 'inputSize', inputSize);
    this.hiddenSize = checkSize(this.mode, 'hiddenSize', hiddenSize);
    this.bias = checkFlag(this.mode, 'bias', options.bias, true);
    registerCell(this as unknown as Module<never, unknown>, '', GATES[mode], this.inputSize, this.hiddenSize, this.bias, dtype, options.backend, options.generator);
  }

  /** [weight_ih, weight_hh, bias_ih, bias_hh]; the biases are null without bias. */
  protected get weights(): CellWeights {
    return cellWeights(this, '');
  }

  /** weight_ih [gates·hiddenSize, inputSize]. */
  get weightIh(): Tensor {
    return this.weights[0];
  }
  /** weight_hh [gates·hiddenSize, hiddenSize]. */
  get weightHh(): Tensor {
    return this.weights[1];
  }
  /** bias_ih [gates·hiddenSize], or null without bias. */
  get biasIh(): Tensor | null {
    return this.weights[2];
  }
  /** bias_hh [gates·hiddenSize], or null without bias. */
  get biasHh(): Tensor | null {
    return this.weights[3];
  }

  protected describe(): string {
    return `${this.mode}(inputSize=${this.inputSize}, hiddenSize=${this.hiddenSize})`;
  }

  /** The input as [N, inputSize] and the states as [N, hiddenSize] (zeros when absent). */
  protected prepare(input: unknown, states: readonly [string, unknown][]): { x: Tensor; batched: boolean; states: Tensor[] } {
    const name = this.describe();
    const w = this.weightIh;
    checkInput(name, 'the input', input, w.dtype);
    if (input.rank !== 1 && input.rank !== 2) {
      throw new ShapeError(`${name}: expected an input [batch, inputSize] or an unbatched [inputSize], got shape ${fmt(input.shape)} (rank ${input.rank}); reshape it.`);
    }
    const features = input.shape[input.rank - 1];
    if (features !== this.inputSize) {
      throw new ShapeError(
        `${name}: the input of shape ${fmt(input.shape)} has ${features} features but weight_ih of shape ${fmt(w.shape)} takes inputSize=${this.inputSize}; ` +
          `give an input of shape ${input.rank === 2 ? `[${input.shape[0]}, ${this.inputSize}]` : `[${this.inputSize}]`} or build ${this.mode}(${features}, ${this.hiddenSize}).`,
      );
    }
    const batched = input.rank === 2;
    const batch = batched ? input.shape[0] : 1;
    const expected = batched ? [batch, this.hiddenSize] : [this.hiddenSize];
    const out = states.map(([what, s]) => {
      if (s === undefined || s === null) return zeros([batch, this.hiddenSize], { dtype: w.dtype, backend: w.backend.name });
      checkInput(name, what, s, w.dtype);
      if (s.shape.join() !== expected.join()) {
        throw new ShapeError(`${name}: ${what} has shape ${fmt(s.shape)} but the input of shape ${fmt(input.shape)} needs ${fmt(expected)}; give ${what} of shape ${fmt(expected)} or leave it out for zeros.`);
      }
      return batched ? s : s.unsqueeze(0);
    });
    return { x: batched ? input : input.unsqueeze(0), batched, states: out };
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias ? '' : ', bias=false'}`;
  }
}

/**
 * One LSTM step, PyTorch's nn.LSTMCell (the formulas of {@link LSTM}); parameters `weight_ih`
 * [4·hiddenSize, inputSize], `weight_hh` [4·hiddenSize, hiddenSize], `bias_ih`, `bias_hh`
 * [4·hiddenSize], drawn from U(±1/√hiddenSize).
 * - input [N, inputSize] or unbatched [inputSize]; hx: optional [h, c], each [N, hiddenSize]
 *   ([hiddenSize] unbatched), zeros when left out; returns [h', c'] of h's shape.
 * @throws ShapeError naming the cell, both shapes and the fix for a wrong rank, feature size or
 *   state shape; DTypeError for another dtype than the parameters'.
 */
export class LSTMCell extends RNNCellBase<[Tensor, (readonly [Tensor, Tensor] | null)?], [Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    super('LSTM', inputSize, hiddenSize, options);
  }

  forward(input: Tensor, hx: readonly [Tensor, Tensor] | null = null): [Tensor, Tensor] {
    if (hx !== null && hx !== undefined && (!Array.isArray(hx) || hx.length !== 2)) {
      throw new ValueError(`${this.describe()}: the state must be a pair [h, c] (or null for zeros), got ${Array.isArray(hx) ? `an array of ${hx.length}` : typeof hx}.`);
    }
    const { x, batched, states } = this.prepare(input, [['h', hx?.[0]], ['c', hx?.[1]]]);
    const [wIh, wHh, bIh, bHh] = this.weights;
    const [h, c] = lstmStep(linear(x, wIh, bIh), states[0], states[1], wHh, bHh, this.hiddenSize);
    return batched ? [h, c] : [h.squeeze(0), c.squeeze(0)];
  }
}

/**
 * One GRU step, PyTorch's nn.GRUCell (the formulas of {@link GRU}); parameters `weight_ih`
 * [3·hiddenSize, inputSize], `weight_hh` [3·hiddenSize, hiddenSize], `bias_ih`, `bias_hh`
 * [3·hiddenSize], drawn from U(±1/√hiddenSize).
 * - input [N, inputSize] or unbatched [inputSize]; hx: optional [N, hiddenSize] ([hiddenSize]
 *   unbatched), zeros when left out; returns h' of hx's shape.
 * @throws as {@link LSTMCell}.
 */
export class GRUCell extends RNNCellBase<[Tensor, (Tensor | null)?], Tensor> {
  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    super('GRU', inputSize, hiddenSize, options);
  }

  forward(input: Tensor, hx: Tensor | null = null): Tensor {
    const { x, batched, states } = this.prepare(input, [['hx', hx]]);
    const [wIh, wHh, bIh, bHh] = this.weights;
    const h = gruStep(linear(x, wIh, bIh), states[0], wHh, bHh, this.hiddenSize);
    return batched ? h : h.squeeze(0);
  }
}
