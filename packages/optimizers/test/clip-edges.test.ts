import '@tsgrad/backend-cpu';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValueError, tensor } from '@tsgrad/core';
import { clipGradNorm } from '../src/index.js';

// clipGradNorm with NaN and infinite gradients against torch.nn.utils.clip_grad_norm_ (PyTorch
// 1.13, float64; fixtures/clip-edges.json, written by packages/testing/test/fixtures/edges.py):
// the total norm is returned as it is (NaN, Infinity), and the scaling still happens, so a
// diverging run shows NaN instead of gradients left as they were.

type Num = number | string;
interface ClipCase {
  grads: Num[];
  normType: Num;
  maxNorm: number;
  total: Num;
  clipped: Num[];
}
const decode = (v: Num): number => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : (v as number));
const fixture = JSON.parse(readFileSync(new URL('./fixtures/clip-edges.json', import.meta.url), 'utf8')) as { source: string; clipGradNorm: ClipCase[] };

const same = (a: number, e: number) => (Number.isNaN(e) ? Number.isNaN(a) : !Number.isFinite(e) ? a === e : Math.abs(a - e) <= 1e-12 * (1 + Math.abs(e)));

describe(`clipGradNorm at non-finite gradients against ${fixture.source}`, () => {
  for (const c of fixture.clipGradNorm) {
    it(`grads ${JSON.stringify(c.grads)}, normType ${c.normType}`, () => {
      const p = tensor(new Float64Array(c.grads.length), { dtype: 'float64', requiresGrad: true });
      p.grad = tensor(Float64Array.from(c.grads.map(decode)), { dtype: 'float64' });
      const total = clipGradNorm([p], c.maxNorm, decode(c.normType)).item();
      expect(same(total, decode(c.total)), `total ${total}, expected ${decode(c.total)}`).toBe(true);
      const got = Array.from(p.grad!.dataSync());
      const want = c.clipped.map(decode);
      got.forEach((v, i) => expect(same(v, want[i]), `gradient ${i}: ${v}, expected ${want[i]}`).toBe(true));
    });
  }

  it('errorIfNonfinite refuses a NaN norm and leaves the gradients untouched', () => {
    const p = tensor([0, 0], { dtype: 'float64', requiresGrad: true });
    p.grad = tensor([NaN, 1], { dtype: 'float64' });
    expect(() => clipGradNorm([p], 1, 2, { errorIfNonfinite: true })).toThrow(ValueError);
    expect(Array.from(p.grad!.dataSync())).toEqual([NaN, 1]);
  });
});
