import '@tsgrad/backend-cpu';
import { describe, expect, it } from 'vitest';
import { DisposedError, dispose, keep, memory, tensor, tidy, uniform, manualSeed, type Tensor } from '@tsgrad/core';

function mlp() {
  manualSeed(1);
  const p = (shape: number[]) => keep(uniform(shape, -0.5, 0.5).requiresGrad_());
  return { w1: p([3, 8]), b1: p([8]), w2: p([8, 8]), b2: p([8]), w3: p([8, 1]), b3: p([1]) };
}

describe('memory scopes', () => {
  it('tidy leaves memory() unchanged around forward and backward of a three-layer MLP', () => {
    const w = mlp();
    const x = uniform([16, 3]);
    const y = uniform([16, 1]);
    const step = () => {
      for (const t of Object.values(w)) t.grad = null;
      const h1 = x.matmul(w.w1).add(w.b1).relu();
      const h2 = h1.matmul(w.w2).add(w.b2).relu();
      const out = h2.matmul(w.w3).add(w.b3);
      out.sub(y).abs().mean().backward();
    };
    tidy(step); // the first step creates the gradients the later ones replace
    const before = memory();
    tidy(step);
    expect(memory()).toEqual(before);
    tidy(step);
    expect(memory()).toEqual(before);
    expect(w.w1.grad!.shape).toEqual([3, 8]);
  });

  it('keeps what tidy returns (in arrays and objects) and frees the rest', () => {
    const body = () => {
      const a = tensor([1, 2, 3]);
      const b = a.mul(2).add(1);
      return { kept: b, list: [a.sum()] };
    };
    dispose(tidy(body)); // caches the constants 2 and 1, shared by later ops
    const before = memory().buffers;
    const { kept, list } = tidy(body);
    expect(kept.toArray()).toEqual([3, 5, 7]);
    expect(list[0].item()).toBe(6);
    expect(memory().buffers).toBe(before + 2);
    dispose([kept, list]);
    expect(memory().buffers).toBe(before);
  });

  it('nested tidy hands returned tensors to the outer scope', () => {
    const before = memory().buffers;
    tidy(() => {
      const inner = tidy(() => tensor([1]).add(1));
      expect(inner.item()).toBe(2);
      return undefined;
    });
    expect(memory().buffers).toBe(before);
  });

  it('a disposed tensor gives a clear error, and disposing twice is harmless', () => {
    const t = tensor([1, 2]);
    t.dispose();
    t.dispose();
    expect(() => t.toArray()).toThrow(DisposedError);
    expect(() => t.add(1)).toThrow(/add: input 0 .* disposed/);
  });

  it('`using` frees a tensor at the end of its block', () => {
    const before = memory().buffers;
    {
      using t = tensor([1, 2, 3]);
      expect(t.sum().dispose()).toBeUndefined();
      expect(memory().buffers).toBe(before + 1);
    }
    expect(memory().buffers).toBe(before);
  });

  it('reshape shares storage and frees it only with the last view', () => {
    const before = memory().buffers;
    const a = tensor([1, 2, 3, 4]);
    const b = a.reshape([2, 2]);
    a.dispose();
    expect(b.toArray()).toEqual([[1, 2], [3, 4]]);
    b.dispose();
    expect(memory().buffers).toBe(before);
  });

  it('assign replaces values in place (optimizer updates) and tidy keeps the target', () => {
    const p = keep(tensor([1, 2]));
    tidy(() => p.mul(10)); // caches the constant 10
    const before = memory().buffers;
    tidy(() => {
      p.assign(p.mul(10));
    });
    expect(p.toArray()).toEqual([10, 20]);
    expect(memory().buffers).toBe(before);
  });

  it('tidy refuses an async function', () => {
    expect(() => tidy((async () => tensor(1)) as unknown as () => Tensor)).toThrow(/Promise/);
  });
});
