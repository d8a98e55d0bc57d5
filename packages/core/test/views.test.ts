import { createCpuBackend } from '@tsgrad/backend-cpu';
import { describe, expect, it } from 'vitest';
import { arange, grad, memory, registerBackend, tensor, tidy, ValueError, type Backend, type Kernels, type Tensor } from '@tsgrad/core';

/**
 * Strided views (issue 9, item 1): permute, transpose, expand, slice, reshape, squeeze and
 * unsqueeze share their input's storage; kernels get a view made row-major by one `contiguous`
 * copy right before they run. Right values: the index maths of each view (stated per test), which
 * agree with PyTorch 1.13's `x.permute(...)`, `x.expand(...)`, `x[a:b]` on the same arange inputs.
 */

/** A CPU backend whose kernel calls are counted by name. */
function countedBackend(name: string): { backend: Backend; calls: Map<string, number> } {
  const inner = createCpuBackend(name);
  const calls = new Map<string, number>();
  const kernels: Record<string, unknown> = {};
  for (const [op, kernel] of Object.entries(inner.kernels) as [string, (...a: unknown[]) => unknown][]) {
    kernels[op] = (...args: unknown[]) => {
      calls.set(op, (calls.get(op) ?? 0) + 1);
      return kernel(...args);
    };
  }
  // No fused kernels: every kernel call goes through the counted table.
  const backend: Backend = Object.assign(Object.create(inner) as Backend, { kernels: kernels as unknown as Kernels<unknown>, fused: undefined });
  registerBackend(name, () => backend);
  return { backend, calls };
}

const total = (calls: Map<string, number>) => [...calls.values()].reduce((s, n) => s + n, 0);

describe('strided views', () => {
  it('a movement-heavy chain runs no kernel until an elementwise op needs one, then one copy per view input', () => {
    const { backend, calls } = countedBackend('views-counted');
    // x[i, j] = 6i + j, shape [4, 6].
    const x = arange(0, 24, 1, { backend: backend.name, dtype: 'float32' }).reshape([4, 6]);
    const y = tensor([10, 20, 30], { backend: backend.name });
    calls.clear();
    const bytesBefore = memory().bytes;
    // transpose → [6, 4]; slice rows 1..3, columns 1..3 → [3, 3]: v[a, b] = x[1 + b, 1 + a];
    // unsqueeze → [1, 3, 3]; expand → [2, 3, 3]; permute (0, 2, 1) → w[k, b, a] = x[1 + b, 1 + a].
    const w = x.transpose().slice([1, 1], [3, 3]).unsqueeze(0).expand([2, 3, 3]).permute([0, 2, 1]).reshape([2, 3, 3]).squeeze();
    expect(total(calls)).toBe(0);
    expect(w.isContiguous).toBe(false);
    // No storage was allocated for the views.
    expect(memory().bytes).toBe(bytesBefore);
    // One elementwise op: the view is materialised once (contiguous), then add runs; y is contiguous, no copy.
    const z = w.add(y);
    expect(Object.fromEntries(calls)).toEqual({ contiguous: 1, add: 1 });
    // z[k, b, a] = x[1 + b, 1 + a] + y[a] = 6(1 + b) + (1 + a) + 10(a + 1).
    const expected = [0, 1].map(() => [0, 1, 2].map((b) => [0, 1, 2].map((a) => 6 * (1 + b) + (1 + a) + 10 * (a + 1))));
    expect(z.toArray()).toEqual(expected);
  });

  it('views share storage and report PyTorch strides and offsets', () => {
    const x = arange(0, 24).reshape([2, 3, 4]);
    const t = x.permute([2, 0, 1]);
    // PyTorch: torch.arange(24).reshape(2,3,4).permute(2,0,1).stride() == (1, 12, 4).
    expect(t.strides).toEqual([1, 12, 4]);
    expect(t.storage).toBe(x.storage);
    const s = x.slice([1, 1, 2], [1, 2, 2]);
    // storage_offset() of x[1:, 1:3, 2:] is 12 + 4 + 2 = 18.
    expect(s.offset).toBe(18);
    expect(s.toArray()).toEqual([[[18, 19], [22, 23]]]);
    const e = tensor([1, 2, 3]).reshape([3, 1]).expand([3, 4]);
    expect(e.strides).toEqual([1, 0]);
    expect(e.toArray()).toEqual([[1, 1, 1, 1], [2, 2, 2, 2], [3, 3, 3, 3]]);
  });

  it('reshape is a view where strides allow and a copy where they do not', () => {
    const x = arange(0, 6).reshape([2, 3]);
    // Rows 0..1 of a contiguous [3, 4] flatten without a copy.
    const rows = arange(0, 12).reshape([3, 4]).slice([1, 0], [2, 4]).reshape([8]);
    expect(rows.offset).toBe(4);
    expect(rows.toArray()).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    // A transposed matrix flattened: x.T.reshape(6) is [0, 3, 1, 4, 2, 5] and needs a copy.
    const flat = x.T.reshape([6]);
    expect(flat.storage).not.toBe(x.storage);
    expect(flat.isContiguous).toBe(true);
    expect(flat.toArray()).toEqual([0, 3, 1, 4, 2, 5]);
    // Splitting an axis of a transposed view stays a view: [3, 2] → [3, 1, 2].
    const split = x.T.reshape([3, 1, 2]);
    expect(split.storage).toBe(x.storage);
    expect(split.toArray()).toEqual([[[0, 3]], [[1, 4]], [[2, 5]]]);
  });

  it('gradients flow through views in their usual form', () => {
    // f(x) = sum(x.T[0:2] * c): d/dx[i, j] = c[j, i] for j < 2, else 0 (x of shape [3, 3]).
    const x = arange(0, 9, 1, { dtype: 'float32' }).reshape([3, 3]);
    const c = tensor([[1, 2, 3], [4, 5, 6]]);
    const g = grad((x: Tensor) => x.T.slice([0, 0], [2, 3]).mul(c).sum())(x);
    expect(g.toArray()).toEqual([[1, 4, 0], [2, 5, 0], [3, 6, 0]]);
    // backward() through a permute leaves a view-shaped gradient in .grad, which stays the leaf's own: zero_() works.
    const leaf = tensor([[1, 2], [3, 4]]).requiresGrad_();
    leaf.T.mul(tensor([[1, 2], [3, 4]])).sum().backward();
    // d/dleaf[i, j] sum(leaf[j, i]·c[i, j]) = c[j, i].
    expect(leaf.grad!.toArray()).toEqual([[1, 3], [2, 4]]);
    expect(leaf.grad!.zero_().toArray()).toEqual([[0, 0], [0, 0]]);
    // An expanded view sums its gradient back: d/dv sum(v.expand([4, 3])) = 4 per element.
    const ge = grad((v: Tensor) => v.reshape([1, 3]).expand([4, 3]).sum())(tensor([1, 2, 3]));
    expect(ge.toArray()).toEqual([4, 4, 4]);
  });

  it('a view keeps its storage alive after the base is disposed, and tidy frees both', () => {
    const before = memory();
    const kept = tidy(() => {
      const base = arange(0, 12).reshape([3, 4]);
      const v = base.T.slice([1, 0], [2, 3]);
      return v;
    });
    // The one buffer of the base survives through the view; arange made no other buffer that outlives tidy.
    expect(memory().buffers).toBe(before.buffers + 1);
    expect(kept.toArray()).toEqual([[1, 5, 9], [2, 6, 10]]);
    // Reading a view made (and freed) its temporary copy.
    expect(memory().buffers).toBe(before.buffers + 1);
    kept.dispose();
    expect(memory()).toEqual(before);
  });

  it('in-place ops refuse views with a clear error and keep working on the base', () => {
    const x = arange(0, 6).reshape([2, 3]);
    const v = x.slice([0, 1], [2, 2]);
    expect(() => v.add_(1)).toThrow(ValueError);
    expect(() => v.zero_()).toThrow(/fill_: this tensor \(shape \[2, 2\]\) is a view .* \.clone\(\)/);
    const base = arange(0, 4);
    const t = base.reshape([2, 2]).T;
    base.mul_(10);
    // Copy-on-write: the base changed and its version moved; the view keeps the values it had.
    expect(base.toArray()).toEqual([0, 10, 20, 30]);
    expect(base.version).toBe(1);
    expect(t.toArray()).toEqual([[0, 2], [1, 3]]);
    // A view's copy is an ordinary tensor.
    const own = v.clone().add_(1);
    expect(own.toArray()).toEqual([[2, 3], [5, 6]]);
  });

  it('contiguous() is the identity on a contiguous tensor and a row-major copy of a view', () => {
    const x = arange(0, 6).reshape([2, 3]);
    expect(x.contiguous()).toBe(x);
    const c = x.T.contiguous();
    expect(c.isContiguous).toBe(true);
    expect(c.toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
  });
});
