import '@tsgrad/backend-cpu';
import { describe, expect, it } from 'vitest';
import { ValueError, memory, tensor, type Tensor } from '@tsgrad/core';
import { SGD, StepLR, ExponentialLR, CosineAnnealingLR, clipGradNorm } from '../src/index.js';

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
