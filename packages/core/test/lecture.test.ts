import '@tsgrad/backend-cpu';
import { describe, expect, it } from 'vitest';
import { tensor } from '@tsgrad/core';

const f64 = (v: number) => tensor(v, { dtype: 'float64', requiresGrad: true });

describe("the lecture's computational graphs, in float64", () => {
  it('f = (x + y) * z at x=-2, y=5, z=-4 gives -12 and gradients -4, -4, 3', () => {
    const [x, y, z] = [f64(-2), f64(5), f64(-4)];
    const q = x.add(y).retainGrad();
    const f = q.mul(z);
    f.backward();
    expect(q.item()).toBe(3);
    expect(f.item()).toBe(-12);
    expect(q.grad!.item()).toBe(-4);
    expect(x.grad!.item()).toBe(-4);
    expect(y.grad!.item()).toBe(-4);
    expect(z.grad!.item()).toBe(3);
  });

  it('the sigmoid gate 1/(1+e^-(w0·x0+w1·x1+w2)) gives 0.7311 and the slide gradients', () => {
    const [w0, x0, w1, x1, w2] = [f64(2), f64(-1), f64(-3), f64(-2), f64(-3)];
    // Built from the graph's own gates (a·x, c+x, e^x, 1/x) as the slide draws it.
    const s = w0.mul(x0).add(w1.mul(x1)).add(w2);
    const out = s.neg().exp().add(1).pow(-1);
    out.backward();
    expect(out.item()).toBeCloseTo(0.7311, 4);
    expect(w0.grad!.item()).toBeCloseTo(-0.1966, 4);
    expect(x0.grad!.item()).toBeCloseTo(0.3932, 4);
    expect(w1.grad!.item()).toBeCloseTo(-0.3932, 4);
    expect(x1.grad!.item()).toBeCloseTo(-0.5898, 4);
    expect(w2.grad!.item()).toBeCloseTo(0.1966, 4);
  });

  it("the sigmoid primitive gives the same gradients through σ'(x) = σ(x)(1-σ(x))", () => {
    const [w0, x0, w1, x1, w2] = [f64(2), f64(-1), f64(-3), f64(-2), f64(-3)];
    const out = w0.mul(x0).add(w1.mul(x1)).add(w2).sigmoid();
    out.backward();
    const sigma = 1 / (1 + Math.exp(-1));
    expect(out.item()).toBeCloseTo(sigma, 14);
    expect(w0.grad!.item()).toBeCloseTo(x0.item() * sigma * (1 - sigma), 14);
    expect(w2.grad!.item()).toBeCloseTo(sigma * (1 - sigma), 14);
  });
});
