import '@tsgrad/backend-cpu';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { gradgradcheck, tidy } from '@tsgrad/core';
import { catalogueEntry, materialize } from '../src/index.js';
import { numRuns } from './runs.js';

// Second derivatives: the backward pass of these ops is itself differentiable (createGraph).
describe('gradgradcheck (float64, cpu)', () => {
  for (const name of ['mul', 'exp', 'tanh', 'sigmoid', 'matmul', 'softmax', 'logSoftmax']) {
    const entry = catalogueEntry(name);
    it(name, () => {
      fc.assert(
        fc.property(entry.arb, (instance) => {
          tidy(() => void gradgradcheck(instance.fn, materialize(instance, 'float64'), { names: instance.inputs.map((_, i) => `${name} input ${i}`) }));
        }),
        { numRuns: Math.max(10, Math.floor(numRuns / 2)) },
      );
    });
  }
});
