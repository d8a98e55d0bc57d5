import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import '@tsgrad/backend-cpu';
import { Generator, ShapeError, Tensor, gradcheck, manualSeed, tensor } from '@tsgrad/core';
import { Linear } from '../src/index.js';

const values = (t: Tensor) => Array.from(t.dataSync());

describe('Linear', () => {
  it('has weight [out, in] and bias [out] drawn from U(±1/√in)', () => {
    const lin = new Linear(16, 32, { generator: new Generator(0) });
    expect(lin.weight.shape).toEqual([32, 16]);
    expect(lin.bias!.shape).toEqual([32]);
    const w = values(lin.weight);
    const b = values(lin.bias!);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(0.25);
    expect(Math.max(...b.map(Math.abs))).toBeLessThanOrEqual(0.25);
    // Uniform on [-0.25, 0.25): spread out, not a constant; mean near 0, variance near 0.25²/3.
    const mean = w.reduce((s, v) => s + v, 0) / w.length;
    const variance = w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(variance).toBeGreaterThan(0.0208 * 0.8);
    expect(variance).toBeLessThan(0.0208 * 1.2);
  });

  it('is reproducible from a seed (generator or manualSeed)', () => {
    const a = new Linear(3, 2, { generator: new Generator(5) });
    const b = new Linear(3, 2, { generator: new Generator(5) });
    expect(values(a.weight)).toEqual(values(b.weight));
    expect(values(a.bias!)).toEqual(values(b.bias!));
    manualSeed(11);
    const c = new Linear(3, 2);
    manualSeed(11);
    const d = new Linear(3, 2);
    expect(values(c.weight)).toEqual(values(d.weight));
  });

  it('computes x Wᵀ + b', () => {
    const lin = new Linear(3, 2);
    lin.loadStateDict({ weight: tensor([[1, 2, 3], [0, -1, 1]]), bias: tensor([10, 20]) });
    const y = lin.call(tensor([[1, 1, 1], [2, 0, -1]]));
    expect(y.shape).toEqual([2, 2]);
    expect(values(y)).toEqual([16, 20, 9, 19]);
    // 1-D input and leading batch axes.
    expect(values(lin.call(tensor([1, 1, 1])))).toEqual([16, 20]);
    expect(lin.call(tensor([[[1, 1, 1]], [[2, 0, -1]]])).shape).toEqual([2, 1, 2]);
  });

  it('without bias has no bias parameter', () => {
    const lin = new Linear(2, 1, { bias: false, dtype: 'float64' });
    expect(lin.bias).toBeNull();
    expect(lin.namedParameters().map(([n]) => n)).toEqual(['weight']);
    expect(lin.weight.dtype).toBe('float64');
  });

  it('refuses the wrong feature count, naming the layer and both sizes', () => {
    const lin = new Linear(3, 2);
    const call = () => lin.call(tensor([[1, 2, 3, 4]]));
    expect(call).toThrow(ShapeError);
    expect(call).toThrow(/Linear\(inFeatures=3, outFeatures=2\).*3 features.*shape \[1, 4\] \(4 features\)/);
    expect(() => lin.call(tensor(1))).toThrow(/scalar/);
    expect(() => new Linear(1.5, 2)).toThrow(/inFeatures must be a non-negative integer/);
    expect(() => new Linear(2, 2, { dtype: 'int32' })).toThrow(/Linear: parameters must be float32 or float64, got dtype "int32"/);
  });

  it('has correct gradients for input, weight and bias (gradcheck, float64)', () => {
    const dims = fc.record({ n: fc.integer({ min: 1, max: 3 }), i: fc.integer({ min: 1, max: 3 }), o: fc.integer({ min: 1, max: 3 }), seed: fc.nat() });
    fc.assert(
      fc.property(dims, ({ n, i, o, seed }) => {
        const gen = new Generator(seed);
        const lin = new Linear(i, o, { dtype: 'float64', generator: gen });
        const x = tensor(Float64Array.from({ length: n * i }, () => gen.nextNormal()), { shape: [n, i], dtype: 'float64' });
        return gradcheck((xx, w, b) => {
          // The layer's own forward, with gradcheck's leaves in place of its parameters.
          const probe = new Linear(i, o, { dtype: 'float64' });
          Object.assign(probe, { weight: w, bias: b });
          return probe.forward(xx);
        }, [x, lin.weight.detach(), lin.bias!.detach()]).ok;
      }),
      { numRuns: 100 },
    );
  });
});
