import { describe, expect, it } from 'vitest';
import '@tsgrad/backend-cpu';
import { DTypeError, Generator, Tensor, ValueError, tensor, zeros } from '@tsgrad/core';
import { Linear, init } from '../src/index.js';

const values = (t: Tensor) => Array.from(t.dataSync());
const stats = (v: number[]) => {
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
  return { mean, std, min: Math.min(...v), max: Math.max(...v) };
};
const g = (seed = 0) => ({ generator: new Generator(seed) });

describe('init', () => {
  it('uniform_ and normal_ write seeded values in place, keeping the parameter a trainable leaf', () => {
    const lin = new Linear(50, 40);
    const w = lin.weight;
    init.uniform_(w, -2, 3, g(1));
    expect(lin.weight).toBe(w);
    expect(w.requiresGrad && w.isLeaf).toBe(true);
    const u = stats(values(w));
    expect(u.min).toBeGreaterThanOrEqual(-2);
    expect(u.max).toBeLessThan(3);
    expect(u.mean).toBeCloseTo(0.5, 1);
    const first = values(w);
    init.uniform_(w, -2, 3, g(1));
    expect(values(w)).toEqual(first);
    init.normal_(w, 1, 0.5, g(2));
    const n = stats(values(w));
    expect(n.mean).toBeCloseTo(1, 1);
    expect(n.std).toBeGreaterThan(0.47);
    expect(n.std).toBeLessThan(0.53);
  });

  it('constant_, zeros_ and ones_ fill with one value, in the tensor dtype', () => {
    const t = zeros([2, 3], { dtype: 'float64' });
    expect(values(init.constant_(t, 2.5))).toEqual([2.5, 2.5, 2.5, 2.5, 2.5, 2.5]);
    expect(t.dtype).toBe('float64');
    expect(values(init.ones_(t))).toEqual([1, 1, 1, 1, 1, 1]);
    expect(values(init.zeros_(t))).toEqual([0, 0, 0, 0, 0, 0]);
    const i = zeros([2], { dtype: 'int32' });
    expect(values(init.constant_(i, 3))).toEqual([3, 3]);
  });

  it('xavier bounds and spread follow fanIn + fanOut', () => {
    const t = zeros([60, 40]);
    init.xavierUniform_(t, 1, g(3));
    const bound = Math.sqrt(6 / 100);
    const s = stats(values(t));
    expect(s.min).toBeGreaterThanOrEqual(-bound);
    expect(s.max).toBeLessThanOrEqual(bound);
    expect(s.std).toBeCloseTo(bound / Math.sqrt(3), 2);
    init.xavierNormal_(t, 2, g(4));
    expect(stats(values(t)).std).toBeCloseTo(2 * Math.sqrt(2 / 100), 2);
  });

  it('kaiming uses gain √2 for ReLU over fanIn (or fanOut) and counts kernel sizes', () => {
    const t = zeros([50, 200]);
    init.kaimingNormal_(t, { ...g(5), nonlinearity: 'relu' });
    expect(stats(values(t)).std).toBeCloseTo(Math.sqrt(2 / 200), 2);
    init.kaimingNormal_(t, { ...g(5), mode: 'fanOut' });
    expect(stats(values(t)).std).toBeCloseTo(Math.sqrt(2 / 50), 2);
    init.kaimingUniform_(t, { ...g(6), a: Math.sqrt(5) });
    // PyTorch's Linear default: kaiming_uniform_(a=√5) gives the bound 1/√fanIn.
    const s = stats(values(t));
    expect(s.max).toBeLessThanOrEqual(1 / Math.sqrt(200));
    expect(s.max).toBeGreaterThan(0.95 / Math.sqrt(200));
    expect(init.calculateFanInAndFanOut(zeros([4, 3, 5, 5]))).toEqual([75, 100]);
  });

  it('calculateGain matches PyTorch', () => {
    expect(init.calculateGain('linear')).toBe(1);
    expect(init.calculateGain('tanh')).toBeCloseTo(5 / 3);
    expect(init.calculateGain('relu')).toBeCloseTo(Math.SQRT2);
    expect(init.calculateGain('leakyRelu', 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04));
    expect(init.calculateGain('selu')).toBe(0.75);
    expect(() => init.calculateGain('swish' as 'relu')).toThrow(/unknown nonlinearity "swish"/);
  });

  it('refuses bad input with the reason', () => {
    expect(() => init.xavierUniform_(zeros([3]))).toThrow(/shape \[3\].*at least 2 dimensions/);
    expect(() => init.normal_(zeros([3]), 0, -1)).toThrow(ValueError);
    expect(() => init.uniform_(zeros([3]), 1, 0)).toThrow(/a <= b/);
    expect(() => init.uniform_(tensor([1, 2], { dtype: 'int32' }))).toThrow(DTypeError);
    expect(() => init.kaimingUniform_(zeros([3, 0]))).toThrow(/zero fanIn/);
  });
});
