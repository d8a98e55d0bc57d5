import '@tsgrad/backend-cpu';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { catalogue, materialize, type OpInstance } from '../src/index.js';
import { numRuns } from './runs.js';

function closeTo(actual: ArrayLike<number>, expected: readonly number[], tol: number): boolean {
  if (actual.length !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    // NaN matches NaN and an infinity only itself (edge values are part of the inputs).
    if (Number.isNaN(e) ? !Number.isNaN(a) : !Number.isFinite(e) ? a !== e : !(Math.abs(a - e) <= tol * (1 + Math.abs(e)))) return false;
  }
  return true;
}

function forwardMatchesReference(instance: OpInstance): void {
  const expected = instance.reference!();
  const y = instance.fn(...materialize(instance, 'float64'));
  expect([...y.shape]).toEqual(expected.shape);
  const values = y.dataSync();
  if (!closeTo(values, expected.values, 1e-12)) {
    throw new Error(`values ${JSON.stringify(Array.from(values))} differ from the reference ${JSON.stringify(expected.values)}`);
  }
}

// The CPU backend, through the public ops, against plain-JavaScript references (float64), on
// inputs that include edge values (0, -0, ±Infinity, NaN, ties): a kernel that loses a NaN fails.
describe('forward of every op against its plain-JS reference (float64, cpu)', () => {
  for (const entry of catalogue) {
    it(entry.name, () => {
      fc.assert(
        fc.property(entry.edgeArb, (instance) => {
          if (instance.reference) forwardMatchesReference(instance);
        }),
        { numRuns: Math.max(10, Math.floor(numRuns / 2)) },
      );
    });
  }
});
