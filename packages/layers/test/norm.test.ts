import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import '@tsgrad/backend-cpu';
import { DTypeError, ShapeError, Tensor, ValueError, computeGrads, memory, noGrad, tensor, tidy, type DType } from '@tsgrad/core';
import { fixtureMismatch } from '@tsgrad/testing';
import { BatchNorm1d, BatchNorm2d, Embedding, GroupNorm, Sequential, batchNorm, embedding, groupNorm, type BatchNormOptions } from '../src/index.js';

/**
 * BatchNorm1d/2d, F.batch_norm, GroupNorm and Embedding against PyTorch 1.13:
 * fixtures/norm.json holds inputs, weights, outputs, cotangents and gradients made by
 * fixtures/norm.py (float64). Values and gradients must agree to 1e-10 relative.
 */

interface Packed { shape: number[]; values: number[] }
interface Pass { x: Packed; y: Packed; cot: Packed; gradX: Packed; gradParams: Packed[] }
interface BnCase {
  name: string;
  layer: 'BatchNorm1d' | 'BatchNorm2d';
  numFeatures: number;
  options: Required<Pick<BatchNormOptions, 'eps' | 'momentum' | 'affine' | 'trackRunningStats'>>;
  params: Record<string, Packed>;
  train: Pass[];
  stateAfterTrain: Record<string, Packed>;
  eval: Pass;
}
interface BnFunctionalCase {
  training: boolean; momentum: number; eps: number;
  x: Packed; weight: Packed; bias: Packed; runningMean: Packed; runningVar: Packed;
  y: Packed; cot: Packed; gradX: Packed; gradWeight: Packed; gradBias: Packed; runningMeanAfter: Packed; runningVarAfter: Packed;
}
interface GnCase extends Pass { name: string; numGroups: number; numChannels: number; options: { eps: number; affine: boolean }; params: Record<string, Packed> }
interface EmbCase { paddingIdx: number | null; indices: Packed; weight: Packed; y: Packed; cot: Packed; gradWeight: Packed }

const fixture = JSON.parse(readFileSync(new URL('./fixtures/norm.json', import.meta.url), 'utf8')) as {
  source: string;
  batchNorm: BnCase[];
  batchNormFunctional: BnFunctionalCase[];
  groupNorm: GnCase[];
  embedding: EmbCase[];
};

const RTOL = 1e-10;
const arrays = { float64: Float64Array, float32: Float32Array, int32: Int32Array } as Record<string, { from(v: number[]): ArrayLike<number> }>;
const make = (p: Packed, dtype: DType = 'float64'): Tensor => tensor(arrays[dtype].from(p.values), { shape: p.shape, dtype });
const values = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number>);

function expectClose(actual: Tensor, expected: Packed, what: string, rtol = RTOL): void {
  expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  const bad = fixtureMismatch(actual.dataSync() as ArrayLike<number>, expected.values, rtol);
  expect(bad, `${what}: ${bad}`).toBeNull();
}

/** Runs `layer` on the pass's input and checks the output and the gradients of sum(y · cot) against the fixture. */
function checkPass(layer: { call(x: Tensor): Tensor; parameters(): Tensor[] }, pass: Pass, what: string, dtype: DType = 'float64', rtol = RTOL): void {
  const x = make(pass.x, dtype).requiresGrad_();
  const y = layer.call(x);
  expectClose(y, pass.y, `${what}: output`, rtol);
  const wrt = [x, ...layer.parameters()];
  const grads = computeGrads([y], [make(pass.cot, dtype)], { wrt });
  expectClose(grads.get(x)!, pass.gradX, `${what}: gradient of the input`, rtol);
  pass.gradParams.forEach((g, i) => expectClose(grads.get(wrt[i + 1])!, g, `${what}: gradient of parameter ${i}`, rtol));
}

function buildBatchNorm(c: BnCase, dtype: DType = 'float64'): BatchNorm1d | BatchNorm2d {
  const Layer = c.layer === 'BatchNorm1d' ? BatchNorm1d : BatchNorm2d;
  const bn = new Layer(c.numFeatures, { ...c.options, dtype });
  if (c.options.affine) bn.loadStateDict({ weight: make(c.params.weight), bias: make(c.params.bias) }, { strict: false });
  return bn;
}

describe(`BatchNorm1d / BatchNorm2d against ${fixture.source}`, () => {
  for (const c of fixture.batchNorm) {
    it(`${c.name}: training steps, running statistics, eval`, () => {
      const bn = buildBatchNorm(c);
      c.train.forEach((pass, k) => checkPass(bn, pass, `${c.name}, training step ${k + 1}`));
      // The state dict has PyTorch's keys, in PyTorch's order, and its values after the steps.
      const state = bn.stateDict();
      expect(Object.keys(state)).toEqual(Object.keys(c.stateAfterTrain));
      for (const [key, packed] of Object.entries(c.stateAfterTrain)) expectClose(state[key].cast('float64'), packed, `${c.name}: ${key}`);
      bn.eval();
      checkPass(bn, c.eval, `${c.name}, eval`);
    });
  }

  it('loads a state dict made by PyTorch (num_batches_tracked int64 there, int32 here) and evaluates as PyTorch', () => {
    const c = fixture.batchNorm.find((b) => b.layer === 'BatchNorm2d' && b.options.affine && b.options.trackRunningStats)!;
    const bn = new BatchNorm2d(c.numFeatures, { ...c.options, dtype: 'float64' });
    const dict = Object.fromEntries(Object.entries(c.stateAfterTrain).map(([k, p]) => [k, make(p, k === 'num_batches_tracked' ? 'int32' : 'float64')]));
    bn.loadStateDict(dict);
    expect(bn.numBatchesTracked!.dtype).toBe('int32');
    expect(bn.numBatchesTracked!.item()).toBe(c.train.length);
    bn.eval();
    checkPass(bn, c.eval, `${c.name}, eval after loading`);
  });

  it('runs in float32 within 1e-5 relative of the float64 fixture (a documented float32 tolerance)', () => {
    const c = fixture.batchNorm.find((b) => b.layer === 'BatchNorm2d')!;
    const bn = buildBatchNorm(c, 'float32');
    c.train.forEach((pass, k) => checkPass(bn, pass, `${c.name} float32, step ${k + 1}`, 'float32', 1e-5));
    bn.eval();
    checkPass(bn, c.eval, `${c.name} float32, eval`, 'float32', 1e-5);
  });

  it('exposes the buffers under camelCase names and resets them', () => {
    const bn = new BatchNorm1d(2);
    expect(bn.namedBuffers().map(([n]) => n)).toEqual(['running_mean', 'running_var', 'num_batches_tracked']);
    bn.call(tensor([[1, 2], [3, 5]]));
    expect(values(bn.runningMean!)).toEqual([expect.closeTo(0.2, 6), expect.closeTo(0.35, 6)]);
    expect(bn.numBatchesTracked!.item()).toBe(1);
    bn.resetRunningStats();
    expect(values(bn.runningMean!)).toEqual([0, 0]);
    expect(values(bn.runningVar!)).toEqual([1, 1]);
    expect(bn.numBatchesTracked!.item()).toBe(0);
    // Without running statistics there are no buffers at all, and eval mode uses the batch's.
    const plain = new BatchNorm1d(2, { trackRunningStats: false, affine: false });
    expect(plain.namedBuffers()).toEqual([]);
    expect(plain.parameters()).toEqual([]);
    expect(String(new BatchNorm2d(3))).toBe('BatchNorm2d(3, eps=0.00001, momentum=0.1, affine=true, trackRunningStats=true)');
  });

  it('a training step inside tidy() leaves memory() as it was: the running statistics are replaced, not accumulated', () => {
    const bn = new BatchNorm2d(2, { momentum: null });
    const x = tensor(Float32Array.from({ length: 16 }, (_, i) => (i * 7) % 5), { shape: [2, 2, 2, 2] });
    const step = () => tidy(() => void bn.call(x).sum().backward());
    step();
    const warm = memory();
    step();
    step();
    expect(memory()).toEqual(warm);
    expect(bn.numBatchesTracked!.item()).toBe(3);
  });

  it('eval mode changes no running statistic', () => {
    const bn = new BatchNorm1d(2).eval();
    bn.call(tensor([[1, 2], [3, 5]]));
    expect(values(bn.runningMean!)).toEqual([0, 0]);
    expect(bn.numBatchesTracked!.item()).toBe(0);
  });
});

describe(`batchNorm (functional) against ${fixture.source}`, () => {
  for (const c of fixture.batchNormFunctional) {
    it(`training=${c.training}: output, gradients and the running statistics updated in place`, () => {
      const x = make(c.x).requiresGrad_();
      const w = make(c.weight).requiresGrad_();
      const b = make(c.bias).requiresGrad_();
      const rm = make(c.runningMean);
      const rv = make(c.runningVar);
      const y = batchNorm(x, rm, rv, w, b, { training: c.training, momentum: c.momentum, eps: c.eps });
      expectClose(y, c.y, 'output');
      const grads = computeGrads([y], [make(c.cot)], { wrt: [x, w, b] });
      expectClose(grads.get(x)!, c.gradX, 'gradient of x');
      expectClose(grads.get(w)!, c.gradWeight, 'gradient of weight');
      expectClose(grads.get(b)!, c.gradBias, 'gradient of bias');
      expectClose(rm, c.runningMeanAfter, 'running mean');
      expectClose(rv, c.runningVarAfter, 'running var');
    });
  }

  it('in training mode without running statistics uses only the batch', () => {
    const y = batchNorm(tensor([[1], [3]], { dtype: 'float64' }), null, null, null, null, { training: true, eps: 0 });
    expect(values(y)).toEqual([-1, 1]);
  });
});

describe(`GroupNorm against ${fixture.source}`, () => {
  for (const c of fixture.groupNorm) {
    it(c.name, () => {
      const gn = new GroupNorm(c.numGroups, c.numChannels, { ...c.options, dtype: 'float64' });
      if (c.options.affine) gn.loadStateDict({ weight: make(c.params.weight), bias: make(c.params.bias) });
      expect(gn.stateDict() && Object.keys(gn.stateDict())).toEqual(Object.keys(c.params));
      checkPass(gn, c, c.name);
      // The functional form gives the same, and eval mode changes nothing (no running statistics).
      gn.eval();
      const y = groupNorm(make(c.x), c.numGroups, gn.weight, gn.bias, { eps: c.options.eps });
      expectClose(y, c.y, `${c.name}: groupNorm`);
    });
  }
});

describe(`Embedding against ${fixture.source}`, () => {
  for (const c of fixture.embedding) {
    it(`paddingIdx ${c.paddingIdx}, indices ${JSON.stringify(c.indices.shape)}: rows, and the weight gradient (none for the padding row)`, () => {
      const emb = new Embedding(c.weight.shape[0], c.weight.shape[1], { paddingIdx: c.paddingIdx, dtype: 'float64' });
      emb.loadStateDict({ weight: make(c.weight) });
      const idx = make(c.indices, 'int32');
      const y = emb.call(idx);
      expectClose(y, c.y, 'output');
      const grads = computeGrads([y], [make(c.cot)], { wrt: [emb.weight] });
      expectClose(grads.get(emb.weight)!, c.gradWeight, 'gradient of the weight');
      // The functional form computes the same.
      const yf = embedding(idx, emb.weight, { paddingIdx: c.paddingIdx });
      expectClose(yf, c.y, 'embedding(...)');
    });
  }

  it('zeroes the padding row at initialisation (negative paddingIdx counts from the end) and trains the others', () => {
    const emb = new Embedding(5, 3, { paddingIdx: -2 });
    expect(emb.paddingIdx).toBe(3);
    const rows = emb.weight.toArray() as number[][];
    expect(rows[3].map((v) => Object.is(v, 0))).toEqual([true, true, true]);
    expect(rows.filter((r) => r.some((v) => v !== 0)).length).toBe(4);
    expect(String(emb)).toBe('Embedding(5, 3, paddingIdx=3)');
  });

  it('fromPretrained shares the given table, frozen by default', () => {
    const table = tensor([[1, 2], [3, 4], [5, 6]]);
    const frozen = Embedding.fromPretrained(table);
    expect(frozen.weight.requiresGrad).toBe(false);
    expect(frozen.numel({ trainableOnly: true })).toBe(0);
    expect(values(frozen.call(tensor([2, 0], { dtype: 'int32' })))).toEqual([5, 6, 1, 2]);
    expect(Embedding.fromPretrained(table, { freeze: false }).weight.requiresGrad).toBe(true);
  });
});

describe('bad input names the layer, both shapes and the fix', () => {
  it('BatchNorm2d with the wrong channel count', () => {
    const bn = new BatchNorm2d(3);
    const call = () => bn.call(tensor(new Float32Array(2 * 4 * 2 * 2), { shape: [2, 4, 2, 2] }));
    expect(call).toThrow(ShapeError);
    expect(call).toThrow(/BatchNorm2d\(3\): expected an input of shape \[N, 3, H, W\], got \[2, 4, 2, 2\] \(4 channels on axis 1\); build BatchNorm2d\(4\)/);
    // A 3-D input to BatchNorm2d points at BatchNorm1d.
    expect(() => bn.call(tensor(new Float32Array(6), { shape: [2, 3, 1] }))).toThrow(/got \[2, 3, 1\]; a 3-D input needs BatchNorm1d/);
  });

  it('BatchNorm1d with the wrong rank or channel count, and one value per channel in training', () => {
    const bn = new BatchNorm1d(3);
    expect(() => bn.call(tensor(new Float32Array(8), { shape: [2, 4] }))).toThrow(/BatchNorm1d\(3\): expected an input of shape \[N, 3\] or \[N, 3, L\], got \[2, 4\] \(4 channels on axis 1\)/);
    expect(() => bn.call(tensor(new Float32Array(24), { shape: [2, 3, 2, 2] }))).toThrow(/a 4-D input needs BatchNorm2d/);
    const one = () => bn.call(tensor([[1, 2, 3]]));
    expect(one).toThrow(ValueError);
    expect(one).toThrow(/more than 1 value per channel when training, got an input of shape \[1, 3\]/);
    // The refused call changed nothing (PyTorch would have counted it in num_batches_tracked).
    expect(values(bn.runningMean!)).toEqual([0, 0, 0]);
    expect(bn.numBatchesTracked!.item()).toBe(0);
    // In eval mode one sample is fine.
    expect(bn.eval().call(tensor([[1, 2, 3]])).shape).toEqual([1, 3]);
  });

  it('an input of another dtype, and bad options', () => {
    const bn = new BatchNorm1d(2);
    expect(() => bn.call(tensor([[1, 2], [3, 4]], { dtype: 'float64' }))).toThrow(DTypeError);
    expect(() => bn.call(tensor([[1, 2], [3, 4]], { dtype: 'float64' }))).toThrow(/BatchNorm1d\(2\): the input .* is float64 but the parameters are float32/);
    expect(() => new BatchNorm2d(0)).toThrow(/BatchNorm2d: numFeatures must be a positive integer/);
    expect(() => new BatchNorm2d(2, { momentum: 2 })).toThrow(/momentum must be a number in \[0, 1\] or null/);
    expect(() => batchNorm(tensor([[1, 2]]), null, null)).toThrow(/batchNorm: outside training mode .* runningMean and runningVar are null/);
    expect(() => batchNorm(tensor([[1, 2], [3, 4]]), tensor([0, 0, 0]), tensor([1, 1, 1]))).toThrow(/batchNorm: runningMean has shape \[3\] but the input of shape \[2, 2\] has 2 channels/);
  });

  it('GroupNorm: channels not divisible by the groups, and the wrong channel count', () => {
    expect(() => new GroupNorm(2, 3)).toThrow(/GroupNorm: numChannels \(3\) must be divisible by numGroups \(2\)/);
    const gn = new GroupNorm(2, 4);
    const call = () => gn.call(tensor(new Float32Array(12), { shape: [2, 6] }));
    expect(call).toThrow(ShapeError);
    expect(call).toThrow(/GroupNorm\(2, 4\): expected an input of shape \[N, 4, \*\], got \[2, 6\] \(6 channels on axis 1\)/);
    expect(() => groupNorm(tensor(new Float32Array(6), { shape: [2, 3] }), 2)).toThrow(/groupNorm: the input of shape \[2, 3\] has 3 channels, which do not split into 2 groups/);
  });

  it('Embedding: an index out of range or negative, float indices, a bad paddingIdx', () => {
    const emb = new Embedding(10, 3);
    const high = () => emb.call(tensor([[1, 2], [10, 3]], { dtype: 'int32' }));
    expect(high).toThrow(ValueError);
    expect(high).toThrow(/Embedding\(10, 3\): index 10 at position \[1, 0\] of the indices \(shape \[2, 2\]\) is out of range for numEmbeddings=10; indices must lie in \[0, 9\]/);
    // PyTorch refuses negative indices too.
    expect(() => emb.call(tensor([-1], { dtype: 'int32' }))).toThrow(/Embedding\(10, 3\): index -1 at position \[0\]/);
    expect(() => embedding(tensor([4], { dtype: 'int32' }), emb.weight.detach().slice([0, 0], [4, 3]))).toThrow(/embedding: index 4 .* numEmbeddings=4/);
    expect(() => emb.call(tensor([1.5]))).toThrow(DTypeError);
    expect(() => emb.call(tensor([1]))).toThrow(/Embedding\(10, 3\): indices must be an integer tensor, got float32/);
    expect(() => new Embedding(10, 3, { paddingIdx: 10 })).toThrow(/paddingIdx must be an integer in \[-10, 9\]/);
  });
});

describe('the layers in a model', () => {
  it('a Sequential of BatchNorm and GroupNorm trains end to end: every parameter gets a gradient', () => {
    const model = new Sequential(new BatchNorm1d(4, { dtype: 'float64' }), new GroupNorm(2, 4, { dtype: 'float64' }));
    const x = tensor([[1, 2, 3, 4], [2, 0, 1, 5], [0, 1, 1, 1]], { dtype: 'float64' });
    const loss = model.call(x).mul(tensor([[1, 2, 3, 4]], { dtype: 'float64' })).sum();
    loss.backward();
    expect(model.parameters().every((p) => p.grad !== null && p.grad.shape.join() === '4')).toBe(true);
    expect(Object.keys(model.stateDict())).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '0.running_mean', '0.running_var', '0.num_batches_tracked']);
    noGrad(() => model.zeroGrad());
  });
});
