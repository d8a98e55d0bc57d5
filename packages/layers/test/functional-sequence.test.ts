import '@tsgrad/backend-cpu';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DTypeError, ShapeError, ValueError, tensor, zeros, type Tensor } from '@tsgrad/core';
import { decodeFixtureNumber, fixtureMismatch, type FixtureNumber } from '@tsgrad/testing';
import { gruCell, lstmCell, multiheadAttentionForward } from '../src/index.js';

/**
 * The functional forms lstmCell, gruCell and multiheadAttentionForward against PyTorch 1.13
 * (float64): the LSTMCell, GRUCell and MultiheadAttention cases of fixtures/sequence.json
 * (written by fixtures/sequence.py), with the state dict's tensors passed as the weights. The
 * gradients PyTorch computed for the module's parameters must reach those tensors.
 */

interface Packed {
  shape: number[];
  dtype: 'float64' | 'bool';
  values: (FixtureNumber | boolean)[];
}
interface Case {
  kind: string;
  name: string;
  args: Record<string, unknown>;
  forward: { selfAttention?: boolean; keyIsValue?: boolean; needWeights?: boolean; averageAttnWeights?: boolean };
  state: Record<string, Packed>;
  inputs: Record<string, Packed>;
  outputs: Packed[];
  cotangents?: Packed[];
  inputGrads?: Record<string, Packed>;
  paramGrads?: Record<string, Packed>;
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/sequence.json', import.meta.url), 'utf8')) as { source: string; cases: Case[] };

function unpack(p: Packed, requiresGrad = false): Tensor {
  if (p.dtype === 'bool') return tensor(Uint8Array.from(p.values, (v) => (v ? 1 : 0)), { shape: p.shape, dtype: 'bool' });
  return tensor(Float64Array.from(p.values as FixtureNumber[], decodeFixtureNumber), { shape: p.shape, dtype: 'float64', requiresGrad });
}

function expectClose(what: string, t: Tensor | null | undefined, p: Packed): void {
  expect(t, what).toBeTruthy();
  expect(t!.shape, `${what}: shape`).toEqual(p.shape);
  expect(fixtureMismatch(Array.from(t!.dataSync() as Float64Array), (p.values as FixtureNumber[]).map(decodeFixtureNumber), 1e-10), what).toBeNull();
}

/** The functional form of each module kind, on the fixture's inputs and weights (w: the state dict). */
const runs: Record<string, (c: Case, x: Record<string, Tensor>, w: Record<string, Tensor>) => Tensor[]> = {
  LSTMCell: (_c, x, w) => lstmCell(x.x, [x.h, x.c], w.weight_ih, w.weight_hh, w.bias_ih, w.bias_hh),
  GRUCell: (c, x, w) => {
    // A zero state where the module case leaves it out.
    const h = x.h ?? zeros([...x.x.shape.slice(0, -1), c.args.hiddenSize as number], { dtype: 'float64' });
    return [gruCell(x.x, h, w.weight_ih, w.weight_hh, w.bias_ih ?? null, w.bias_hh ?? null)];
  },
  MultiheadAttention: (c, x, w) => {
    const f = c.forward;
    const [q, k, v] = f.selfAttention ? [x.x, x.x, x.x] : f.keyIsValue ? [x.query, x.key, x.key] : [x.query, x.key, x.value];
    const [out, weights] = multiheadAttentionForward(q, k, v, c.args.numHeads as number, w.in_proj_weight, w['out_proj.weight'], {
      inProjBias: w.in_proj_bias ?? null,
      outProjBias: w['out_proj.bias'] ?? null,
      batchFirst: (c.args.batchFirst as boolean | undefined) ?? false,
      attnMask: x.attnMask,
      keyPaddingMask: x.keyPaddingMask,
      needWeights: f.needWeights,
      averageAttnWeights: f.averageAttnWeights,
    });
    return weights ? [out, weights] : [out];
  },
};

describe(`lstmCell, gruCell and multiheadAttentionForward against ${fixture.source}`, () => {
  const cases = fixture.cases.filter((c) => c.kind in runs);
  it('the fixture has cases of every kind', () => {
    expect(new Set(cases.map((c) => c.kind))).toEqual(new Set(Object.keys(runs)));
  });
  for (const c of cases) {
    it(`${c.kind}: ${c.name}`, () => {
      const x = Object.fromEntries(Object.entries(c.inputs).map(([k, p]) => [k, unpack(p, c.inputGrads?.[k] !== undefined)]));
      const w = Object.fromEntries(Object.entries(c.state).map(([k, p]) => [k, unpack(p, c.paramGrads?.[k] !== undefined)]));
      const outs = runs[c.kind](c, x, w);
      expect(outs.length).toBe(c.outputs.length);
      outs.forEach((o, i) => expectClose(`output ${i}`, o, c.outputs[i]));
      if (!c.cotangents) return;
      let loss = outs[0].mul(unpack(c.cotangents[0])).sum();
      for (let i = 1; i < outs.length; i++) loss = loss.add(outs[i].mul(unpack(c.cotangents[i])).sum());
      loss.backward();
      for (const [k, p] of Object.entries(c.inputGrads ?? {})) expectClose(`gradient of input ${k}`, x[k].grad, p);
      for (const [k, p] of Object.entries(c.paramGrads ?? {})) expectClose(`gradient of ${k}`, w[k].grad, p);
    });
  }
});

describe('bad input to the functional forms', () => {
  const f64 = (shape: number[]) => zeros(shape, { dtype: 'float64' });
  it('lstmCell and gruCell name themselves and the shapes', () => {
    expect(() => lstmCell(f64([2, 3]), [f64([2, 4]), f64([2, 4])], f64([16, 5]), f64([16, 4]))).toThrow(ShapeError);
    expect(() => lstmCell(f64([2, 3]), [f64([2, 4]), f64([2, 4])], f64([16, 5]), f64([16, 4]))).toThrow(/lstmCell: the input must have shape \[batch, 5\].*\[2, 3\]/);
    expect(() => lstmCell(f64([2, 3]), [f64([2, 4]), f64([1, 4])], f64([16, 3]), f64([16, 4]))).toThrow(/lstmCell: c has shape \[1, 4\].*\[2, 4\]/);
    expect(() => gruCell(f64([3]), f64([4]), f64([12, 3]), f64([16, 4]))).toThrow(/gruCell: weightHh must have shape \[3·hiddenSize, hiddenSize\], got \[16, 4\]/);
    expect(() => gruCell(f64([3]), f64([4]), f64([12, 3]), f64([12, 4]), f64([8]))).toThrow(/gruCell: biasIh must have shape \[12\]/);
    expect(() => gruCell(f64([3]), f64([4]), f64([12, 3]).cast('float32'), f64([12, 4]))).toThrow(DTypeError);
  });
  it('multiheadAttentionForward checks the weights and the head count', () => {
    const q = f64([2, 1, 4]);
    expect(() => multiheadAttentionForward(q, q, q, 3, f64([12, 4]), f64([4, 4]))).toThrow(ValueError);
    expect(() => multiheadAttentionForward(q, q, q, 2, f64([8, 4]), f64([4, 4]))).toThrow(/multiheadAttentionForward: inProjWeight must have shape \[3·embedDim, embedDim\]/);
    expect(() => multiheadAttentionForward(q, q, q, 2, f64([12, 4]), f64([4, 4]), { outProjBias: f64([3]) })).toThrow(/options.outProjBias must have shape \[4\]/);
    expect(() => multiheadAttentionForward(f64([2, 1, 5]), q, q, 2, f64([12, 4]), f64([4, 4]))).toThrow(/multiheadAttentionForward: query of shape \[2, 1, 5\] has 5 features/);
  });
});
