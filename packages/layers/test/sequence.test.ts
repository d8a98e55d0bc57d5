import '@tsgrad/backend-cpu';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DTypeError, Generator, ShapeError, Tensor, ValueError, gradcheck, tensor, type DType } from '@tsgrad/core';
import { decodeFixtureNumber, fixtureMismatch, type FixtureNumber } from '@tsgrad/testing';
import {
  GRU,
  GRUCell,
  LSTM,
  LSTMCell,
  LayerNorm,
  MultiheadAttention,
  TransformerEncoder,
  TransformerEncoderLayer,
  generateSquareSubsequentMask,
  layerNorm,
  scaledDotProductAttention,
  type AnyModule,
} from '../src/index.js';

/**
 * The sequence layers against PyTorch 1.13 in float64: fixtures/sequence.json holds each layer's
 * state dict, inputs, outputs and the gradients of sum(out_i · cot_i) with respect to the inputs
 * and every parameter, written by fixtures/sequence.py. Loading the state dict strictly also
 * proves the parameter names are PyTorch's.
 */

interface Packed {
  shape: number[];
  dtype: 'float64' | 'bool';
  values: (FixtureNumber | boolean)[];
}
interface Case {
  kind: string;
  name: string;
  note: string;
  args: Record<string, unknown>;
  forward: Record<string, unknown>;
  state: Record<string, Packed>;
  inputs: Record<string, Packed>;
  outputs: Packed[];
  cotangents?: Packed[];
  inputGrads?: Record<string, Packed>;
  paramGrads?: Record<string, Packed>;
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/sequence.json', import.meta.url), 'utf8')) as { source: string; cases: Case[] };
const RTOL = 1e-10;
const F64 = { dtype: 'float64' as DType };

function unpack(p: Packed, requiresGrad = false): Tensor {
  if (p.dtype === 'bool') return tensor(Uint8Array.from(p.values, (v) => (v ? 1 : 0)), { shape: p.shape, dtype: 'bool' });
  return tensor(Float64Array.from(p.values as FixtureNumber[], decodeFixtureNumber), { shape: p.shape, dtype: 'float64', requiresGrad });
}
const expected = (p: Packed) => (p.values as FixtureNumber[]).map(decodeFixtureNumber);

function expectClose(what: string, t: Tensor, p: Packed): void {
  expect(t.shape, `${what}: shape`).toEqual(p.shape);
  expect(fixtureMismatch(Array.from(t.dataSync() as Float64Array), expected(p), RTOL), what).toBeNull();
}

/** How a fixture kind is built (null: a function, no module) and run on the fixture's inputs. */
interface Runner {
  build: (c: Case) => AnyModule | null;
  run: (m: never, c: Case, x: Record<string, Tensor>) => Tensor[];
}

const a = (c: Case) => c.args as Record<string, never>;
const runner = <M>(build: (c: Case) => M, run: (m: M, c: Case, x: Record<string, Tensor>) => Tensor[]): Runner => ({ build, run }) as unknown as Runner;

const runners: Record<string, Runner> = {
  LayerNorm: runner(
    (c) => new LayerNorm(a(c).normalizedShape, { ...c.args, ...F64 }),
    (m, _c, x) => [m.call(x.x)],
  ),
  LSTM: runner(
    (c) => new LSTM(a(c).inputSize, a(c).hiddenSize, { ...c.args, ...F64 }),
    (m, _c, x) => {
      const [out, [h, cell]] = m.call(x.x, x.h0 ? [x.h0, x.c0] : null);
      return [out, h, cell];
    },
  ),
  GRU: runner(
    (c) => new GRU(a(c).inputSize, a(c).hiddenSize, { ...c.args, ...F64 }),
    (m, _c, x) => m.call(x.x, x.h0 ?? null),
  ),
  LSTMCell: runner(
    (c) => new LSTMCell(a(c).inputSize, a(c).hiddenSize, { ...c.args, ...F64 }),
    (m, _c, x) => m.call(x.x, [x.h, x.c]),
  ),
  GRUCell: runner(
    (c) => new GRUCell(a(c).inputSize, a(c).hiddenSize, { ...c.args, ...F64 }),
    (m, _c, x) => [m.call(x.x, x.h ?? null)],
  ),
  MultiheadAttention: runner(
    (c) => new MultiheadAttention(a(c).embedDim, a(c).numHeads, { ...c.args, ...F64 }),
    (m, c, x) => {
      const f = c.forward as { selfAttention?: boolean; keyIsValue?: boolean; needWeights?: boolean; averageAttnWeights?: boolean };
      const [q, k, v] = f.selfAttention ? [x.x, x.x, x.x] : f.keyIsValue ? [x.query, x.key, x.key] : [x.query, x.key, x.value];
      const [out, w] = m.call(q, k, v, { attnMask: x.attnMask, keyPaddingMask: x.keyPaddingMask, needWeights: f.needWeights, averageAttnWeights: f.averageAttnWeights });
      return w ? [out, w] : [out];
    },
  ),
  TransformerEncoderLayer: runner(
    (c) => new TransformerEncoderLayer(a(c).dModel, a(c).nhead, { ...c.args, ...F64 }),
    (m, _c, x) => [m.call(x.src, { srcMask: x.srcMask, srcKeyPaddingMask: x.srcKeyPaddingMask })],
  ),
  TransformerEncoder: runner(
    (c) => new TransformerEncoder(new TransformerEncoderLayer(a(c).dModel, a(c).nhead, { ...c.args, ...F64 }), a(c).numLayers, { norm: new LayerNorm(a(c).dModel, F64) }),
    (m, _c, x) => [m.call(x.src, { mask: x.mask })],
  ),
  sdpa: runner(
    () => null,
    (_m, c, x) => [scaledDotProductAttention(x.query, x.key, x.value, { attnMask: x.attnMask, ...c.forward })],
  ),
  generateSquareSubsequentMask: runner(
    () => null,
    (_m, c) => [generateSquareSubsequentMask(a(c).size, F64)],
  ),
};

describe(`sequence layers against ${fixture.source}`, () => {
  for (const [n, c] of fixture.cases.entries()) {
    it(`#${n} ${c.kind}: ${c.name}`, () => {
      const inputs: Record<string, Tensor> = {};
      for (const [k, p] of Object.entries(c.inputs)) inputs[k] = unpack(p, c.inputGrads?.[k] !== undefined);
      const { build, run } = runners[c.kind];
      const module = build(c);
      if (module) {
        module.eval();
        // Strict: the names (and their order) must be PyTorch's state-dict keys.
        expect(Object.keys(module.stateDict())).toEqual(Object.keys(c.state));
        module.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, p]) => [k, unpack(p)])));
      }
      const outs = run(module as never, c, inputs);
      expect(outs.length).toBe(c.outputs.length);
      outs.forEach((o, i) => expectClose(`output ${i}`, o, c.outputs[i]));
      if (!c.cotangents) return;
      let loss = outs[0].mul(unpack(c.cotangents[0])).sum();
      for (let i = 1; i < outs.length; i++) loss = loss.add(outs[i].mul(unpack(c.cotangents[i])).sum());
      loss.backward();
      for (const [k, p] of Object.entries(c.inputGrads ?? {})) expectClose(`gradient of input ${k}`, inputs[k].grad!, p);
      const params = new Map(module?.namedParameters() ?? []);
      expect([...params.keys()]).toEqual(Object.keys(c.paramGrads ?? {}));
      for (const [k, p] of Object.entries(c.paramGrads ?? {})) expectClose(`gradient of ${k}`, params.get(k)!.grad!, p);
    });
  }

  it('covers every kind of the fixture with a runner', () => {
    expect(new Set(fixture.cases.map((c) => c.kind))).toEqual(new Set(Object.keys(runners)));
  });
});

// ---- behaviour the fixtures do not pin down ----------------------------------------------------

const seeded = (seed: number) => ({ ...F64, generator: new Generator(seed) });
const values = (t: Tensor) => Array.from(t.dataSync() as Float64Array);

describe('initialisation (PyTorch: torch/nn/modules/rnn.py, activation.py, normalization.py)', () => {
  it('LSTM/GRU and their cells draw every parameter from U(±1/√hiddenSize)', () => {
    for (const m of [new LSTM(3, 4, { ...seeded(1), numLayers: 2 }), new GRU(2, 9, { ...seeded(2), bidirectional: true }), new LSTMCell(3, 16, seeded(3)), new GRUCell(5, 4, seeded(4))]) {
      const bound = 1 / Math.sqrt(m.hiddenSize);
      for (const [name, p] of m.namedParameters()) {
        const v = values(p);
        expect(Math.max(...v.map(Math.abs)), name).toBeLessThanOrEqual(bound);
        // Spread over the interval, not a constant.
        expect(Math.max(...v) - Math.min(...v), name).toBeGreaterThan(bound / 2);
      }
    }
  });

  it('MultiheadAttention: Xavier-uniform in_proj_weight, zero biases; LayerNorm ones and zeros', () => {
    const m = new MultiheadAttention(8, 2, seeded(5));
    const bound = Math.sqrt(6 / (8 + 24)); // fan in 8, fan out 24
    const w = values(m.inProjWeight);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w) - Math.min(...w)).toBeGreaterThan(bound);
    expect(values(m.inProjBias!).every((v) => v === 0)).toBe(true);
    expect(values(m.outProj.bias!).every((v) => v === 0)).toBe(true);
    const ln = new LayerNorm([2, 3], F64);
    expect(values(ln.weight!)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(values(ln.bias!)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(new LayerNorm(3, { elementwiseAffine: false }).parameters()).toEqual([]);
  });
});

describe('modes, masks and copies', () => {
  const x = (shape: number[], seed: number) => {
    const g = new Generator(seed);
    const n = shape.reduce((p, d) => p * d, 1);
    return tensor(Float64Array.from({ length: n }, () => g.nextDouble() * 2 - 1), { shape, dtype: 'float64' });
  };

  it('RNN dropout acts between layers in training mode only', () => {
    const input = x([4, 2, 3], 7);
    const deep = new LSTM(3, 5, { ...seeded(8), numLayers: 2, dropout: 0.5 });
    const evalOut = values(deep.eval().call(input)[0]);
    expect(values(deep.call(input)[0])).toEqual(evalOut);
    const trainOut = values(deep.train().call(input)[0]);
    expect(trainOut).not.toEqual(evalOut);
    // One layer: nothing lies between layers, so training changes nothing (as PyTorch, which warns).
    const shallow = new GRU(3, 5, { ...seeded(9), dropout: 0.5 });
    expect(values(shallow.train().call(input)[0])).toEqual(values(shallow.eval().call(input)[0]));
  });

  it('isCausal without a mask is generateSquareSubsequentMask(L)', () => {
    const layer = new TransformerEncoderLayer(4, 2, { ...seeded(10), dimFeedforward: 6, dropout: 0 });
    const src = x([3, 2, 4], 11);
    expect(values(layer.call(src, { isCausal: true }))).toEqual(values(layer.call(src, { srcMask: generateSquareSubsequentMask(3, F64) })));
    expect(values(layer.call(src, { isCausal: true }))).not.toEqual(values(layer.call(src)));
    const mha = new MultiheadAttention(4, 2, seeded(12));
    const [o1, w1] = mha.call(src, src, src, { isCausal: true });
    const [o2, w2] = mha.call(src, src, src, { attnMask: generateSquareSubsequentMask(3, F64) });
    expect(values(o1)).toEqual(values(o2));
    expect(values(w1!)).toEqual(values(w2!));
    // Query i attends to keys 0..i only.
    expect(values(w1!.slice([0, 0, 1], [2, 1, 2])).every((v) => v === 0)).toBe(true);
  });

  it('layerNorm (functional) is LayerNorm with the given weight and bias', () => {
    const m = new LayerNorm([2, 3], { ...F64, eps: 1e-3 });
    const w = x([2, 3], 13);
    const b = x([2, 3], 14);
    m.loadStateDict({ weight: w, bias: b });
    const input = x([4, 2, 3], 15);
    expect(values(layerNorm(input, [2, 3], w, b, { eps: 1e-3 }))).toEqual(values(m.call(input)));
  });

  it('TransformerEncoder starts every layer as a copy of the given one, with its own tensors', () => {
    const layer = new TransformerEncoderLayer(4, 2, { ...seeded(16), dimFeedforward: 6 });
    const enc = new TransformerEncoder(layer, 2);
    const own = layer.stateDict();
    for (const i of [0, 1]) {
      for (const [k, t] of Object.entries(own)) expect(values(enc.stateDict()[`layers.${i}.${k}`]), `layers.${i}.${k}`).toEqual(values(t));
    }
    const p0 = enc.layers.at(0).linear1.weight;
    expect(p0).not.toBe(enc.layers.at(1).linear1.weight);
    expect(p0).not.toBe(layer.linear1.weight);
    expect(enc.parameters().length).toBe(2 * layer.parameters().length);
  });

  it('scaledDotProductAttention: a bool mask (true = attend) equals its float form; all-masked rows are NaN', () => {
    const [q, k, v] = [x([2, 3, 4], 17), x([2, 5, 4], 18), x([2, 5, 2], 19)];
    const allowed = tensor([[true, false, true, true, false], [false, false, false, false, false], [true, true, true, true, true]]);
    const additive = tensor([[0, -Infinity, 0, 0, -Infinity], [-Infinity, -Infinity, -Infinity, -Infinity, -Infinity], [0, 0, 0, 0, 0]], F64);
    const a1 = values(scaledDotProductAttention(q, k, v, { attnMask: allowed }));
    expect(a1).toEqual(values(scaledDotProductAttention(q, k, v, { attnMask: additive })));
    // Row 1 of each batch element has no allowed key: NaN, as PyTorch's math path.
    const rowNaN = (b: number, i: number) => [0, 1].map((j) => a1[b * 6 + i * 2 + j]);
    expect(rowNaN(0, 1).every(Number.isNaN)).toBe(true);
    expect(rowNaN(1, 1).every(Number.isNaN)).toBe(true);
    expect(rowNaN(0, 0).some(Number.isNaN)).toBe(false);
  });

  it('gradients of LSTM and MultiheadAttention agree with central differences (float64)', () => {
    const lstm = new LSTM(2, 3, seeded(20));
    const input = x([3, 2, 2], 21).requiresGrad_();
    expect(gradcheck((t) => lstm.call(t)[0], [input]).ok).toBe(true);
    const mha = new MultiheadAttention(4, 2, seeded(22));
    const q = x([2, 1, 4], 23).requiresGrad_();
    expect(gradcheck((t) => mha.call(t, t, t)[0], [q]).ok).toBe(true);
  });
});

// ---- bad input: the library's errors, naming the layer, both shapes and the fix ----------------

describe('bad input', () => {
  const z = (shape: number[], dtype: DType = 'float64') => tensor(new Float64Array(shape.reduce((p, d) => p * d, 1)), { shape, dtype });

  it('LayerNorm: an input not ending in normalizedShape, a weight of the wrong shape, a bad eps', () => {
    expect(() => new LayerNorm(4, F64).call(z([2, 3]))).toThrow(ShapeError);
    expect(() => new LayerNorm(4, F64).call(z([2, 3]))).toThrow(/LayerNorm\(\[4\]\).*shape \[2, 3\] must end in the normalized shape \[4\].*reshape the input to \[\.\.\., 4\] or build the layer with normalizedShape \[3\]/);
    expect(() => layerNorm(z([2, 3]), [3], z([2]))).toThrow(/layerNorm: weight has shape \[2\] but the normalized shape is \[3\]/);
    expect(() => new LayerNorm(4, F64).call(z([2, 4], 'float32'))).toThrow(DTypeError);
    expect(() => new LayerNorm(4, { eps: -1 })).toThrow(ValueError);
    expect(() => new LayerNorm([])).toThrow(/normalizedShape must be a positive integer or a non-empty array/);
  });

  it('LSTM/GRU: wrong feature size, rank, state shapes, empty sequence, dtype', () => {
    const lstm = new LSTM(4, 3, F64);
    expect(() => lstm.call(z([5, 2, 6]))).toThrow(ShapeError);
    expect(() => lstm.call(z([5, 2, 6]))).toThrow(
      /LSTM\(inputSize=4, hiddenSize=3\): the input of shape \[5, 2, 6\] has 6 features but weight_ih_l0 of shape \[12, 4\] takes inputSize=4; give an input of shape \[5, 2, 4\] .* or build LSTM\(6, 3\)/,
    );
    expect(() => new GRU(4, 3, { ...F64, batchFirst: true }).call(z([2, 5, 1]))).toThrow(/GRU\(inputSize=4, hiddenSize=3\).*\[2, 5, 1\].*\[9, 4\].*\[batch, seqLen, inputSize\]/);
    expect(() => lstm.call(z([1, 5, 2, 4]))).toThrow(/expected a 3-D input \[seqLen, batch, inputSize\] .* got shape \[1, 5, 2, 4\]/);
    expect(() => lstm.call(z([5, 2, 4]), [z([1, 3, 3]), z([1, 2, 3])])).toThrow(/h0 has shape \[1, 3, 3\] but the input of shape \[5, 2, 4\] needs .* = \[1, 2, 3\]/);
    const deep = new GRU(4, 3, { ...F64, numLayers: 2, bidirectional: true });
    expect(() => deep.call(z([5, 2, 4]), z([2, 2, 3]))).toThrow(/hx has shape \[2, 2, 3\] .* = \[4, 2, 3\]/);
    expect(() => lstm.call(z([5, 2, 4]), [z([1, 2, 3])] as never)).toThrow(/must be a pair \[h0, c0\]/);
    expect(() => lstm.call(z([0, 2, 4]))).toThrow(/sequence length 0/);
    expect(() => lstm.call(z([5, 2, 4], 'float32'))).toThrow(DTypeError);
    expect(() => new LSTM(4, 0)).toThrow(/hiddenSize must be a positive integer/);
    expect(() => new GRU(4, 3, { dropout: 2 })).toThrow(/dropout must be a probability/);
  });

  it('LSTMCell/GRUCell: wrong feature size and state shape', () => {
    expect(() => new LSTMCell(3, 2, F64).call(z([4, 5]))).toThrow(/LSTMCell\(inputSize=3, hiddenSize=2\): the input of shape \[4, 5\] has 5 features but weight_ih of shape \[8, 3\].*\[4, 3\].*LSTMCell\(5, 2\)/);
    expect(() => new GRUCell(3, 2, F64).call(z([4, 3]), z([4, 3]))).toThrow(/GRUCell.*hx has shape \[4, 3\] but the input of shape \[4, 3\] needs \[4, 2\]/);
  });

  it('MultiheadAttention: indivisible heads, wrong embedding size, ranks, masks of the wrong shape or dtype', () => {
    expect(() => new MultiheadAttention(6, 4)).toThrow(ValueError);
    expect(() => new MultiheadAttention(6, 4)).toThrow(/embedDim=6 is not divisible by numHeads=4.*\(1, 2, 3, 6\).*\(e\.g\. 8\)/);
    const m = new MultiheadAttention(6, 2, F64);
    const q = z([3, 2, 6]);
    const kv = z([4, 2, 6]);
    expect(() => m.call(z([3, 2, 5]), kv, kv)).toThrow(/MultiheadAttention\(embedDim=6, numHeads=2\): query of shape \[3, 2, 5\] has 5 features but in_proj_weight of shape \[18, 6\] takes embedDim=6/);
    expect(() => m.call(z([1, 3, 2, 6]), kv, kv)).toThrow(/expected a 3-D query .* got shape \[1, 3, 2, 6\]/);
    expect(() => m.call(q, z([4, 6]), z([4, 6]))).toThrow(/must have the same rank/);
    expect(() => m.call(q, kv, z([5, 2, 6]))).toThrow(/key \[4, 2, 6\] and value \[5, 2, 6\] must have the same shape/);
    expect(() => m.call(q, z([4, 3, 6]), z([4, 3, 6]))).toThrow(/batch size 2 but key \[4, 3, 6\] has 3/);
    expect(() => m.call(q, kv, kv, { attnMask: z([3, 3]) })).toThrow(ShapeError);
    expect(() => m.call(q, kv, kv, { attnMask: z([3, 3]) })).toThrow(/attnMask has shape \[3, 3\] but query \[3, 2, 6\] and key \[4, 2, 6\] need \[L, S\] = \[3, 4\] or \[batch·numHeads, L, S\] = \[4, 3, 4\]/);
    expect(() => m.call(q, kv, kv, { attnMask: z([2, 3, 4]) })).toThrow(/attnMask has shape \[2, 3, 4\]/);
    expect(() => m.call(q, kv, kv, { keyPaddingMask: tensor([[true, false, false]]) })).toThrow(/keyPaddingMask has shape \[1, 3\] but key \[4, 2, 6\] needs \[batch, S\] = \[2, 4\]/);
    expect(() => m.call(q, kv, kv, { keyPaddingMask: z([2, 4], 'int32') })).toThrow(DTypeError);
    expect(() => m.call(q, kv, kv, { attnMask: z([3, 4], 'float32') })).toThrow(/attnMask \(shape \[3, 4\]\) is float32; a mask must be bool .* or float64.*cast it/);
  });

  it('TransformerEncoderLayer/Encoder: wrong feature size, a mask of the wrong size, indivisible heads, bad activation', () => {
    const layer = new TransformerEncoderLayer(6, 2, { ...F64, dimFeedforward: 8 });
    const src = z([4, 2, 6]);
    expect(() => layer.call(z([4, 2, 5]))).toThrow(/TransformerEncoderLayer\(dModel=6, nhead=2\): src of shape \[4, 2, 5\] has 5 features but self_attn\.in_proj_weight of shape \[18, 6\] takes dModel=6/);
    expect(() => layer.call(src, { srcMask: generateSquareSubsequentMask(5, F64) })).toThrow(ShapeError);
    expect(() => layer.call(src, { srcMask: generateSquareSubsequentMask(5, F64), isCausal: true })).toThrow(
      /srcMask has shape \[5, 5\] but src of shape \[4, 2, 6\] has sequence length 4; give a causal mask of shape \[4, 4\] \(generateSquareSubsequentMask\(4\) for a causal one\) or \[batch·nhead, 4, 4\] = \[4, 4, 4\]/,
    );
    expect(() => layer.call(src, { srcKeyPaddingMask: tensor([[false, true]]) })).toThrow(
      /TransformerEncoderLayer\(dModel=6, nhead=2\): srcKeyPaddingMask has shape \[1, 2\] but src of shape \[4, 2, 6\] needs \[batch, seq\] = \[2, 4\]/,
    );
    expect(() => layer.call(src, { srcMask: z([4, 4], 'int32') })).toThrow(DTypeError);
    expect(() => new TransformerEncoderLayer(6, 4)).toThrow(/dModel=6 is not divisible by nhead=4/);
    expect(() => new TransformerEncoderLayer(6, 2, { activation: 'tanh' as never })).toThrow(/activation must be 'relu', 'gelu' or a function/);
    const enc = new TransformerEncoder(layer, 2);
    expect(() => enc.call(src, { mask: z([3, 3]) })).toThrow(/TransformerEncoder\(numLayers=2, dModel=6\): mask has shape \[3, 3\]/);
    expect(() => new TransformerEncoder(layer, 0)).toThrow(ValueError);
  });

  it('scaledDotProductAttention: mismatched sizes, a mask that does not broadcast, attnMask with isCausal', () => {
    const q = z([2, 3, 4]);
    expect(() => scaledDotProductAttention(q, z([2, 5, 3]), z([2, 5, 3]))).toThrow(/query \[2, 3, 4\] has 4 features per position but key \[2, 5, 3\] has 3/);
    expect(() => scaledDotProductAttention(q, z([2, 5, 4]), z([2, 4, 4]))).toThrow(/key \[2, 5, 4\] has 5 positions but value \[2, 4, 4\] has 4/);
    expect(() => scaledDotProductAttention(q, z([2, 5, 4]), z([2, 5, 4]), { attnMask: z([3, 4]) })).toThrow(/attnMask of shape \[3, 4\] does not broadcast to the scores \[\.\.\., L, S\] = \[\.\.\., 3, 5\]/);
    expect(() => scaledDotProductAttention(q, z([2, 5, 4]), z([2, 5, 4]), { attnMask: z([3, 5]), isCausal: true })).toThrow(/not both/);
    expect(() => scaledDotProductAttention(z([4]), z([5, 4]), z([5, 4]))).toThrow(/at least 2 dimensions/);
    expect(() => generateSquareSubsequentMask(-1)).toThrow(ValueError);
  });
});
