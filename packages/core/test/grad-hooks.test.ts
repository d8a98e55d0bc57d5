import { describe, expect, it } from 'vitest';
import '@tsgrad/backend-cpu';
import { AutogradError, Tensor, ValueError, grad, keep, tensor, tidy, vjp } from '@tsgrad/core';

/**
 * Tensor.registerHook (PyTorch's Tensor.register_hook). Expected values from the chain rule:
 * for y = x², z = sum(3y), dz/dy = 3 and dz/dx = 6x; a hook doubling dz/dy doubles dz/dx.
 */

const values = (t: Tensor | null) => Array.from((t as Tensor).dataSync() as ArrayLike<number>);
const f64 = (v: number[]) => tensor(Float64Array.from(v), { dtype: 'float64' });

describe('Tensor.registerHook', () => {
  it('on an intermediate tensor: sees its gradient, and a returned tensor replaces it for the rest of the sweep', () => {
    const x = f64([1, 2, 3]).requiresGrad_();
    const y = x.mul(x);
    const seen: number[][] = [];
    y.registerHook((g) => {
      seen.push(values(g));
      return g.mul(2);
    });
    y.mul(3).sum().backward();
    expect(seen).toEqual([[3, 3, 3]]);
    // 2 · 3 · 2x
    expect(values(x.grad)).toEqual([12, 24, 36]);
  });

  it('runs once, on the complete gradient of a tensor used several times', () => {
    const x = f64([1, 2]).requiresGrad_();
    const y = x.mul(2);
    const seen: number[][] = [];
    y.registerHook((g) => void seen.push(values(g)));
    // d/dy (y + 5y) = 6 per element, summed before the hook runs.
    y.add(y.mul(5)).sum().backward();
    expect(seen).toEqual([[6, 6]]);
    expect(values(x.grad)).toEqual([12, 12]);
  });

  it("on a leaf: the replacement is what lands in .grad; hooks run in order, each on the previous one's result", () => {
    const x = f64([1, -1]).requiresGrad_();
    x.registerHook((g) => g.mul(10));
    x.registerHook((g) => g.add(1));
    x.mul(x).sum().backward();
    // (2x) · 10 + 1
    expect(values(x.grad)).toEqual([21, -19]);
  });

  it('remove() stops a hook; a second remove() does nothing', () => {
    const x = f64([2]).requiresGrad_();
    const h = x.registerHook((g) => g.mul(0));
    h.remove();
    h.remove();
    x.mul(3).sum().backward();
    expect(values(x.grad)).toEqual([3]);
  });

  it('runs under grad() and vjp(), and with createGraph its ops are differentiated too', () => {
    const y0 = (x: Tensor) => {
      const y = x.mul(x);
      y.registerHook((g) => g.mul(y));
      return y.sum();
    };
    // The hook multiplies dz/dy = 1 by y = x², so the gradient is x² · 2x = 2x³.
    expect(values(grad(y0)(f64([1, 2])))).toEqual([2, 16]);
    // Differentiating that gradient sweeps through y again, so the hook fires again there, as in
    // PyTorch: torch.autograd.grad(gx.sum(), [x]) with the same hook gives [6, 72] in PyTorch 1.13
    // (6x² would be the derivative of 2x³ without the second firing).
    expect(values(grad((x: Tensor) => grad(y0, { createGraph: true })(x).sum())(f64([1, 2])))).toEqual([6, 72]);
    const [g] = vjp((x) => {
      const y = x.mul(3);
      y.registerHook((gy) => gy.add(1));
      return y;
    }, [f64([5])], f64([2]));
    expect(values(g)).toEqual([9]);
  });

  it("never frees a tensor the hook hands back that the caller holds", () => {
    const kept = keep(f64([7, 7]));
    const x = f64([1, 2]).requiresGrad_();
    tidy(() => {
      const y = x.mul(2);
      y.registerHook(() => kept);
      y.mul(1).sum().backward();
    });
    expect(kept.isDisposed).toBe(false);
    expect(values(kept)).toEqual([7, 7]);
    expect(values(x.grad)).toEqual([14, 14]);
  });

  it('refuses a tensor that does not require grad, a non-function, and a hook returning the wrong shape', () => {
    expect(() => f64([1]).registerHook((g) => g)).toThrow(AutogradError);
    expect(() => f64([1]).registerHook((g) => g)).toThrow(/registerHook: this tensor \(shape \[1\]\) does not require grad/);
    const x = f64([1, 2]).requiresGrad_();
    expect(() => x.registerHook(3 as never)).toThrow(ValueError);
    const y = x.mul(2);
    y.name = 'hidden';
    y.registerHook(() => f64([1, 2, 3]));
    expect(() => y.sum().backward()).toThrow(/registerHook: a gradient hook on tensor "hidden" \(shape \[2\]\) returned a float64 tensor of shape \[3\]; a hook must return nothing or a float64 tensor of the gradient's shape \[2\]/);
  });
});
