import '@tsgrad/backend-cpu';
import { describe, expect, it } from 'vitest';
import { AutogradError, grad, noGrad, tensor, uniform, valueAndGrad, vjp, zeros, manualSeed, type Tensor } from '@tsgrad/core';

const f64 = (v: Parameters<typeof tensor>[0], requiresGrad = true) => tensor(v, { dtype: 'float64', requiresGrad });

describe('backward', () => {
  it('accumulates into .grad across calls and resets when set to null', () => {
    const x = f64([1, 2, 3]);
    x.mul(x).sum().backward();
    x.mul(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([4, 8, 12]);
    x.grad = null;
    x.sum().backward();
    expect(x.grad!.toArray()).toEqual([1, 1, 1]);
  });

  it('sums gradients of a tensor used twice (a diamond in the graph)', () => {
    const x = f64(3);
    const y = x.mul(2);
    y.mul(y).add(y).backward(); // d/dx (4x² + 2x) = 8x + 2
    expect(x.grad!.item()).toBe(26);
  });

  it('needs a seed gradient for a non-scalar output, and uses it', () => {
    const x = f64([1, 2]);
    const y = x.mul(3);
    expect(() => y.backward()).toThrow(/shape \[2\].*backward\(gradient\)/);
    y.backward(tensor([1, 10], { dtype: 'float64' }));
    expect(x.grad!.toArray()).toEqual([3, 30]);
  });

  it('refuses backward from a tensor that does not require grad, saying what to do', () => {
    const x = tensor([1, 2]);
    expect(() => x.sum().backward()).toThrow(AutogradError);
    expect(() => x.sum().backward()).toThrow(/requiresGrad_/);
  });

  it('records nothing inside noGrad and after detach', () => {
    const x = f64([1, 2]);
    expect(noGrad(() => x.mul(2)).requiresGrad).toBe(false);
    expect(x.mul(2).detach().requiresGrad).toBe(false);
    expect(x.mul(2).detach().toArray()).toEqual([2, 4]);
  });

  it('broadcast gradients are summed back to each input shape', () => {
    const a = f64([[1], [2]]);
    const b = f64([10, 20, 30]);
    a.mul(b).sum().backward();
    expect(a.grad!.toArray()).toEqual([[60], [60]]);
    expect(b.grad!.toArray()).toEqual([3, 3, 3]);
  });

  it('ReLU has gradient 0 at 0 (PyTorch convention)', () => {
    const x = f64([-1, 0, 2]);
    x.relu().sum().backward();
    expect(x.grad!.toArray()).toEqual([0, 0, 1]);
  });
});

describe('functional transforms', () => {
  it('grad and valueAndGrad leave .grad untouched', () => {
    const x = f64([1, 2, 3], false);
    const [v, g] = valueAndGrad((t: Tensor) => t.pow(2).sum())(x);
    expect(v.item()).toBe(14);
    expect(g.toArray()).toEqual([2, 4, 6]);
    expect(x.grad).toBeNull();
  });

  it('takes several argnums', () => {
    const gs = grad((a: Tensor, b: Tensor) => a.mul(b).sum(), { argnums: [0, 1] })(f64([1, 2], false), f64([3, 4], false));
    expect(gs.map((g) => g.toArray())).toEqual([[3, 4], [1, 2]]);
  });

  it('nests: the second derivative of x³ is 6x', () => {
    const d2 = grad((x: Tensor) => grad((u: Tensor) => u.pow(3).sum())(x).sum());
    expect(d2(f64([1, -2, 0.5], false)).toArray()).toEqual([6, -12, 3]);
  });

  it('a Hessian-vector product of a small MLP loss matches finite differences of its gradient', () => {
    manualSeed(3);
    const x = uniform([5, 3], -1, 1, { dtype: 'float64' });
    const y = uniform([5, 1], -1, 1, { dtype: 'float64' });
    const w2 = uniform([4, 1], -1, 1, { dtype: 'float64' });
    const loss = (w1: Tensor) => x.matmul(w1).tanh().matmul(w2).sub(y).pow(2).mean();
    const gradLoss = grad(loss);
    const w1 = uniform([3, 4], -1, 1, { dtype: 'float64' });
    const v = uniform([3, 4], -1, 1, { dtype: 'float64' });
    // Hv = d/dw (∇L(w) · v), differentiating through the backward pass (createGraph).
    const hv = grad((w: Tensor) => gradLoss(w).mul(v).sum())(w1);
    const eps = 1e-5;
    const fd = gradLoss(w1.add(v.mul(eps))).sub(gradLoss(w1.sub(v.mul(eps)))).div(2 * eps);
    const a = hv.dataSync();
    const b = fd.dataSync();
    expect(a.length).toBe(12);
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 7);
    expect(Math.max(...Array.from(a, Math.abs))).toBeGreaterThan(1e-3);
  });

  it('backward with createGraph gives a differentiable gradient', () => {
    const x = f64(2);
    x.pow(3).backward(undefined, { createGraph: true });
    const g = x.grad!;
    expect(g.item()).toBe(12);
    expect(g.requiresGrad).toBe(true);
    const [h] = vjp((t) => t.pow(3), [x.detach()], tensor(1, { dtype: 'float64' }));
    expect(h.item()).toBe(12);
  });

  it('gives zero gradients for an argument the function ignores', () => {
    expect(grad((a: Tensor, b: Tensor) => a.sum(), { argnums: 1 })(f64([1]), f64([5, 6], false)).toArray()).toEqual([0, 0]);
  });

  it('refuses a non-scalar function', () => {
    expect(() => grad((t: Tensor) => t.mul(2))(f64([1, 2], false))).toThrow(/one-element tensor.*\.sum\(\)/);
  });

  it('zeros() makes leaves that can require grad', () => {
    const z = zeros([2], { dtype: 'float64', requiresGrad: true });
    z.add(1).sum().backward();
    expect(z.grad!.toArray()).toEqual([1, 1]);
  });
});
