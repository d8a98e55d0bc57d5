import '@tsgrad/backend-cpu';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { checkGradient, differentiableOps } from '../src/index.js';
import { numRuns } from './runs.js';

// Every differentiable op of the catalogue: autograd's Jacobian against central differences,
// float64 on the CPU backend, on random inputs inside the op's domain.
describe('gradcheck of every differentiable op (float64, cpu)', () => {
  for (const entry of differentiableOps) {
    it(entry.name, () => {
      fc.assert(
        fc.property(entry.arb, (instance) => {
          checkGradient(entry, instance);
        }),
        { numRuns },
      );
    });
  }
});
