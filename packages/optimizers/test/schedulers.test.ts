import '@tsgrad/backend-cpu';
import { describe, expect, it } from 'vitest';
import { ValueError, memory, tensor, type Tensor } from '@tsgrad/core';
import {
  SGD,
  Adam,
  Adagrad,
  StepLR,
  ExponentialLR,
  CosineAnnealingLR,
  MultiStepLR,
  LambdaLR,
  LinearLR,
  SequentialLR,
  OneCycleLR,
  ReduceLROnPlateau,
  clipGradNorm,
} from '../src/index.js';

const p = () => tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });

describe('LR schedulers', () => {
  it('StepLR: lr = base · gamma^floor(epoch / stepSize), per group', () => {
    const opt = new SGD([{ params: [p()] }, { params: [p()], lr: 0.5 }], { lr: 0.1 });
    const s = new StepLR(opt, { stepSize: 3, gamma: 0.5 });
    for (let epoch = 0; epoch < 10; epoch++) {
      const f = 0.5 ** Math.floor(epoch / 3);
      expect(s.getLastLr()[0]).toBeCloseTo(0.1 * f, 15);
      expect(s.getLastLr()[1]).toBeCloseTo(0.5 * f, 15);
      expect(opt.paramGroups[0].lr).toBe(s.getLastLr()[0]);
      s.step();
    }
  });

  it('ExponentialLR: lr = base · gamma^epoch', () => {
    const opt = new SGD([p()], { lr: 0.2 });
    const s = new ExponentialLR(opt, { gamma: 0.9 });
    for (let epoch = 0; epoch < 8; epoch++) {
      expect(s.getLastLr()[0]).toBeCloseTo(0.2 * 0.9 ** epoch, 14);
      s.step();
    }
  });

  it('CosineAnnealingLR follows the closed form, through tMax and past it', () => {
    const opt = new SGD([p()], { lr: 0.1 });
    const tMax = 5;
    const etaMin = 0.01;
    const s = new CosineAnnealingLR(opt, { tMax, etaMin });
    for (let epoch = 0; epoch <= 3 * tMax; epoch++) {
      const closed = etaMin + ((0.1 - etaMin) * (1 + Math.cos((Math.PI * epoch) / tMax))) / 2;
      expect(opt.paramGroups[0].lr).toBeCloseTo(closed, 12);
      s.step();
    }
  });

  it('the schedule follows an lr set by hand (chainable form)', () => {
    const opt = new SGD([p()], { lr: 1 });
    const s = new ExponentialLR(opt, { gamma: 0.5 });
    opt.paramGroups[0].lr = 10;
    s.step();
    expect(s.getLastLr()).toEqual([5]);
  });

  it('state dict round trip', () => {
    const opt = new SGD([p()], { lr: 0.1 });
    const s = new StepLR(opt, { stepSize: 2 });
    s.step();
    s.step();
    s.step();
    const opt2 = new SGD([p()], { lr: 0.1 });
    const s2 = new StepLR(opt2, { stepSize: 2 });
    s2.loadStateDict(s.stateDict());
    opt2.paramGroups[0].lr = opt.paramGroups[0].lr;
    s.step();
    s2.step();
    expect(s2.getLastLr()).toEqual(s.getLastLr());
    expect(s2.lastEpoch).toBe(4);
  });

  it('refuses bad options', () => {
    const opt = new SGD([p()], { lr: 0.1 });
    expect(() => new StepLR(opt, { stepSize: 0 })).toThrow(/StepLR: stepSize must be a positive integer, got 0/);
    expect(() => new StepLR(opt, { stepSize: 2, gamma: -1 })).toThrow(ValueError);
    expect(() => new ExponentialLR(opt, { gamma: NaN })).toThrow(/ExponentialLR: gamma/);
    expect(() => new CosineAnnealingLR(opt, { tMax: 1.5 })).toThrow(/tMax must be a positive integer/);
  });
});

describe('the new schedulers: bad input and state dicts', () => {
  it('MultiStepLR, LambdaLR, LinearLR refuse bad options, naming the scheduler and the value', () => {
    const opt = new SGD([p()], { lr: 0.1 });
    expect(() => new MultiStepLR(opt, { milestones: [3, -1] })).toThrow(/MultiStepLR: milestones must be an array of epoch numbers \(integers >= 0\), got \[3,-1\]/);
    expect(() => new MultiStepLR(opt, { milestones: 3 as unknown as number[] })).toThrow(ValueError);
    expect(() => new MultiStepLR(opt, { milestones: [3], gamma: -0.5 })).toThrow(/MultiStepLR: gamma must be a finite number >= 0, got -0.5/);
    expect(() => new LambdaLR(opt, { lrLambda: 0.5 as unknown as () => number })).toThrow(/LambdaLR: lrLambda must be a function of the epoch/);
    const two = new SGD([{ params: [p()] }, { params: [p()] }], { lr: 0.1 });
    expect(() => new LambdaLR(two, { lrLambda: [() => 1] })).toThrow(/LambdaLR: expected 2 lrLambda functions \(one per parameter group\), got 1/);
    expect(() => new LambdaLR(opt, { lrLambda: (e) => (e === 0 ? 1 : NaN) }).step()).toThrow(/LambdaLR: lrLambda of group 0 returned NaN at epoch 1; it must return a finite number/);
    expect(() => new LinearLR(opt, { startFactor: 0 })).toThrow(/LinearLR: startFactor must be in \(0, 1\], got 0/);
    expect(() => new LinearLR(opt, { endFactor: 1.5 })).toThrow(/LinearLR: endFactor must be in \[0, 1\], got 1.5/);
    expect(() => new LinearLR(opt, { totalIters: 0 })).toThrow(/LinearLR: totalIters must be a positive integer, got 0/);
  });

  it('SequentialLR refuses schedulers of another optimizer and the wrong number of milestones', () => {
    const opt = new SGD([p()], { lr: 0.1 });
    const other = new SGD([p()], { lr: 0.1 });
    const a = new LinearLR(opt);
    expect(() => new SequentialLR(opt, { schedulers: [a, new ExponentialLR(other, { gamma: 0.9 })], milestones: [3] })).toThrow(
      /SequentialLR: schedulers\[1\] \(ExponentialLR\) drives another optimizer/,
    );
    expect(() => new SequentialLR(opt, { schedulers: [a, new ExponentialLR(opt, { gamma: 0.9 })], milestones: [3, 5] })).toThrow(
      /SequentialLR: expected 1 milestone\(s\), one fewer than the 2 schedulers, got 2/,
    );
    expect(() => new SequentialLR(opt, { schedulers: [a, new ExponentialLR(opt, { gamma: 0.9 }), new StepLR(opt, { stepSize: 2 })], milestones: [5, 3] })).toThrow(
      /milestones must be increasing positive integers.*\[5,3\]/,
    );
    expect(() => new SequentialLR(opt, { schedulers: [a, new ReduceLROnPlateau(opt) as never], milestones: [3] })).toThrow(/ReduceLROnPlateau steps on a metric/);
    expect(() => new SequentialLR(opt, { schedulers: [], milestones: [] })).toThrow(/non-empty array/);
  });

  it('a second scheduler on an optimizer takes the first lr as its base (PyTorch\'s initial_lr), and SequentialLR resets to it', () => {
    const opt = new SGD([p()], { lr: 1 });
    const warm = new LinearLR(opt, { startFactor: 0.5, totalIters: 2 });
    expect(opt.paramGroups[0].lr).toBe(0.5);
    const decay = new ExponentialLR(opt, { gamma: 0.5 });
    expect(decay.baseLrs).toEqual([1]);
    expect((opt.paramGroups[0] as { initialLr?: number }).initialLr).toBe(1);
    const seq = new SequentialLR(opt, { schedulers: [warm, decay], milestones: [2] });
    // lr 0.5, 0.75, then the exponential restarts at its base: 1, 0.5, 0.25.
    const seen = [opt.paramGroups[0].lr];
    for (let i = 0; i < 4; i++) {
      seq.step();
      seen.push(opt.paramGroups[0].lr);
    }
    expect(seen).toEqual([0.5, 0.75, 1, 0.5, 0.25]);
  });

  it('OneCycleLR refuses bad options and a step past totalSteps', () => {
    const opt = new SGD([p()], { lr: 0.1, momentum: 0.9 });
    expect(() => new OneCycleLR(opt, { maxLr: 0.1 })).toThrow(/OneCycleLR: give totalSteps, or epochs and stepsPerEpoch/);
    expect(() => new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 0 })).toThrow(/totalSteps must be a positive integer, got 0/);
    expect(() => new OneCycleLR(opt, { maxLr: 0.1, epochs: 2 })).toThrow(/stepsPerEpoch must be a positive integer, got undefined/);
    expect(() => new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10, pctStart: 1.5 })).toThrow(/pctStart must be a number in \[0, 1\], got 1.5/);
    expect(() => new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10, annealStrategy: 'exp' as 'cos' })).toThrow(/annealStrategy must be 'cos' or 'linear', got "exp"/);
    expect(() => new OneCycleLR(opt, { maxLr: [0.1, 0.2], totalSteps: 10 })).toThrow(/expected 1 values for maxLr \(one per parameter group\), got 2/);
    expect(() => new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10, divFactor: 0 })).toThrow(/divFactor must be a finite number > 0, got 0/);
    expect(() => new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10, maxMomentum: 1.2 })).toThrow(/maxMomentum must be in \[0, 1\), got 1.2/);
    expect(() => new OneCycleLR(new Adagrad([p()]), { maxLr: 0.1, totalSteps: 10 })).toThrow(/cycleMomentum needs an optimizer with a momentum.*cycleMomentum: false/);
    expect(() => new OneCycleLR(new Adagrad([p()]), { maxLr: 0.1, totalSteps: 10, cycleMomentum: false })).not.toThrow();
    const s = new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 3 });
    for (let i = 0; i < 3; i++) s.step();
    expect(() => s.step()).toThrow(/OneCycleLR: tried to step 5 times, but totalSteps is 3/);
  });

  it('OneCycleLR drives Adam\'s beta1 and keeps beta2', () => {
    const opt = new Adam([p()], { lr: 0.1, betas: [0.9, 0.99] });
    new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10, maxMomentum: 0.97 });
    expect(opt.paramGroups[0].betas).toEqual([0.97, 0.99]);
  });

  it('ReduceLROnPlateau: options, metrics as numbers or one-element tensors, state', () => {
    const opt = new SGD([p()], { lr: 0.1 });
    expect(() => new ReduceLROnPlateau(opt, { factor: 1 })).toThrow(/ReduceLROnPlateau: factor must be in \[0, 1\) \(the lr is multiplied by it\), got 1/);
    expect(() => new ReduceLROnPlateau(opt, { mode: 'up' as 'min' })).toThrow(/mode must be 'min' or 'max', got "up"/);
    expect(() => new ReduceLROnPlateau(opt, { thresholdMode: 'x' as 'abs' })).toThrow(/thresholdMode must be 'rel' or 'abs'/);
    expect(() => new ReduceLROnPlateau(opt, { patience: 1.5 })).toThrow(/patience must be an integer >= 0, got 1.5/);
    expect(() => new ReduceLROnPlateau(opt, { minLr: [0, 0] })).toThrow(/expected 1 values for minLr/);
    const s = new ReduceLROnPlateau(opt, { patience: 0 });
    expect(s.getLastLr()).toEqual([0.1]);
    expect(() => s.step(tensor([1, 2]))).toThrow(/one-element tensor, got a tensor of shape \[2\]; reduce it first/);
    expect(() => s.step('0.5' as unknown as number)).toThrow(/got "0.5"/);
    s.step(tensor(1));
    expect(s.best).toBe(1);
    s.step(2);
    expect(s.getLastLr()[0]).toBeCloseTo(0.01, 15);
    const fresh = new ReduceLROnPlateau(new SGD([p()], { lr: 0.1 }), { patience: 0 });
    expect(fresh.stateDict().best).toBe(Infinity);
    fresh.loadStateDict(s.stateDict());
    expect(fresh.stateDict()).toEqual(s.stateDict());
  });

  it('loadStateDict refuses the state of another scheduler or another number of groups, changing nothing', () => {
    const opt = new SGD([p()], { lr: 0.1 });
    const s = new StepLR(opt, { stepSize: 2 });
    const before = s.stateDict();
    expect(() => s.loadStateDict(new ExponentialLR(new SGD([p()], { lr: 0.1 }), { gamma: 0.5 }).stateDict())).toThrow(/StepLR.loadStateDict: the state lacks "stepSize"; pass the stateDict\(\) of a StepLR/);
    const two = new SGD([{ params: [p()] }, { params: [p()] }], { lr: 0.1 });
    expect(() => s.loadStateDict(new StepLR(two, { stepSize: 2 }).stateDict())).toThrow(/"baseLrs" has 2 entries in the state but 1 here \(one per parameter group\)/);
    expect(() => s.loadStateDict(null as never)).toThrow(/expected the object stateDict\(\) returned, got null/);
    // A JSON round trip without @tsgrad/io's encoding turns Infinity into null.
    const r = new ReduceLROnPlateau(opt);
    expect(() => r.loadStateDict(JSON.parse(JSON.stringify(r.stateDict())))).toThrow(/has null for "best" where this scheduler holds Infinity/);
    expect(s.stateDict()).toEqual(before);
    const seqOpt = new SGD([p()], { lr: 0.1 });
    const seq = new SequentialLR(seqOpt, { schedulers: [new LinearLR(seqOpt), new ExponentialLR(seqOpt, { gamma: 0.5 })], milestones: [3] });
    const seqBefore = seq.stateDict();
    const bad = { ...seq.stateDict(), schedulers: [(seq.stateDict().schedulers as object[])[0], { lastEpoch: 1 }] } as never;
    expect(() => seq.loadStateDict(bad)).toThrow(/ExponentialLR.loadStateDict: the state lacks "baseLrs"/);
    expect(seq.stateDict()).toEqual(seqBefore);
  });
});

describe('clipGradNorm', () => {
  const withGrad = (values: number[], grad: number[]): Tensor => {
    const t = tensor(values, { dtype: 'float64', requiresGrad: true });
    t.grad = tensor(grad, { dtype: 'float64' });
    return t;
  };

  it('returns the total 2-norm and scales the gradients to maxNorm', () => {
    const a = withGrad([0, 0], [3, 0]);
    const b = withGrad([0, 0, 0], [0, 4, 0]);
    const total = clipGradNorm([a, b], 1);
    expect(total.item()).toBeCloseTo(5, 14);
    const coef = 1 / (5 + 1e-6);
    expect(Array.from(a.grad!.dataSync())).toEqual([3 * coef, 0]);
    expect(b.grad!.dataSync()[1]).toBeCloseTo(4 * coef, 15);
  });

  it('leaves gradients below maxNorm unchanged', () => {
    const a = withGrad([0, 0], [0.3, -0.4]);
    expect(clipGradNorm([a], 10).item()).toBeCloseTo(0.5, 14);
    expect(Array.from(a.grad!.dataSync())).toEqual([0.3, -0.4]);
  });

  it('supports other p-norms and the infinity norm', () => {
    const g = [1, -2, 3];
    expect(clipGradNorm([withGrad([0, 0, 0], g)], 100, 1).item()).toBeCloseTo(6, 13);
    expect(clipGradNorm([withGrad([0, 0, 0], g)], 100, 3).item()).toBeCloseTo((1 + 8 + 27) ** (1 / 3), 13);
    const a = withGrad([0, 0, 0], g);
    expect(clipGradNorm([a], 1.5, Infinity).item()).toBe(3);
    expect(a.grad!.dataSync()[2]).toBeCloseTo((3 * 1.5) / (3 + 1e-6), 14);
  });

  it('skips parameters without a gradient and leaks nothing', () => {
    const a = withGrad([0, 0], [3, 4]);
    const none = tensor([1], { dtype: 'float64', requiresGrad: true });
    clipGradNorm([a, none], 1).dispose();
    const before = memory().buffers;
    clipGradNorm([a, none], 1).dispose();
    expect(memory().buffers).toBe(before);
    expect(none.grad).toBeNull();
  });

  it('refuses bad arguments and non-finite norms when asked', () => {
    expect(() => clipGradNorm([withGrad([0], [1])], -1)).toThrow(/maxNorm must be a number >= 0/);
    expect(() => clipGradNorm([withGrad([0], [1])], 1, 0)).toThrow(/normType/);
    expect(() => clipGradNorm([tensor([1], { requiresGrad: true })], 1)).toThrow(/none of the parameters has a gradient/);
    expect(() => clipGradNorm([withGrad([0, 0], [NaN, 1])], 1, 2, { errorIfNonfinite: true })).toThrow(/NaN or Infinity/);
  });
});
