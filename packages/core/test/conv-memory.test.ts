import '@tsgrad/backend-cpu';
import { describe, expect, it } from 'vitest';
import { Generator, avgPool2d, conv2d, getBackend, keep, maxPool2d, memory, normal, tidy } from '@tsgrad/core';
import { MAX_CONSTANTS, cachedConstantCount } from '../src/ops/constant-cache.js';

// The Trust issue: memory stays flat in a training loop. Convolution and pooling keep host-built
// index maps as constants; these tests hold the cache to its bound and a loop to flat memory.

const g = new Generator(4);
const param = (shape: number[]) => keep(normal(shape, { dtype: 'float64', generator: g }).requiresGrad_());

describe('convolution constants and memory', () => {
  it('tidy around conv2d, maxPool2d and avgPool2d forward and backward leaves memory() unchanged', () => {
    const w = param([4, 2, 3, 3]);
    const b = param([4]);
    const x = keep(normal([2, 2, 8, 8], { dtype: 'float64', generator: g }));
    const step = () =>
      tidy(() => {
        w.grad = null;
        b.grad = null;
        const h = maxPool2d(conv2d(x, w, b, { padding: 1 }).relu(), 2);
        avgPool2d(h, 3, { stride: 1, padding: 1, countIncludePad: false }).sum().backward();
      });
    // The first step builds the index maps and divisors (kept constants) and the gradients.
    step();
    const warm = memory();
    step();
    expect(memory()).toEqual(warm);
    step();
    expect(memory()).toEqual(warm);
  });

  it(`keeps at most ${MAX_CONSTANTS} constants per backend, however many geometries pass`, () => {
    const backend = getBackend();
    for (let size = 3; size < 3 + 2 * MAX_CONSTANTS; size++) {
      tidy(() => conv2d(normal([1, 1, size, 5], { dtype: 'float64', generator: g }), normal([1, 1, 2, 2], { dtype: 'float64', generator: g })));
    }
    expect(cachedConstantCount(backend)).toBe(MAX_CONSTANTS);
  });

  it('a graph whose index map was evicted from the cache still differentiates', () => {
    const x = normal([1, 2, 5, 5], { dtype: 'float64', generator: g }).requiresGrad_();
    const w = normal([3, 2, 3, 3], { dtype: 'float64', generator: g });
    const y = conv2d(x, w, null, { stride: 2, padding: 1 });
    // Flood the cache with other geometries so that y's map is evicted before backward.
    for (let size = 20; size < 20 + 2 * MAX_CONSTANTS; size++) tidy(() => conv2d(normal([1, 1, size, 3]), normal([1, 1, 2, 2])));
    y.sum().backward();
    const x2 = x.detach().requiresGrad_();
    conv2d(x2, w, null, { stride: 2, padding: 1 }).sum().backward();
    // The same gradient as with a freshly built map (the fixtures hold that one to PyTorch).
    expect(Array.from(x.grad!.dataSync())).toEqual(Array.from(x2.grad!.dataSync()));
  });
});
