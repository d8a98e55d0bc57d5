import '@tsgrad/backend-cpu';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { broadcastShapes, opDefs } from '@tsgrad/core';
import {
  broadcastShapesArb,
  catalogue,
  primitiveCoverage,
  primitiveNames,
  shapeArb,
  sizeOfShape,
  tensorArb,
  valuesArb,
} from '../src/index.js';

describe('arbitraries', () => {
  it('shapeArb respects rank, dimension and size limits', () => {
    fc.assert(
      fc.property(shapeArb({ minRank: 1, maxRank: 4, maxDim: 5, maxSize: 20 }), (s) => {
        expect(s.length).toBeGreaterThanOrEqual(1);
        expect(s.length).toBeLessThanOrEqual(4);
        expect(s.every((d) => d >= 1 && d <= 5)).toBe(true);
        expect(sizeOfShape(s)).toBeLessThanOrEqual(20);
      }),
    );
  });

  it('broadcastShapesArb gives shapes that broadcast', () => {
    fc.assert(
      fc.property(broadcastShapesArb({ count: 3 }), ([a, b, c]) => {
        expect(() => broadcastShapes('test', broadcastShapes('test', a, b), c)).not.toThrow();
      }),
    );
  });

  it('tensorArb keeps values in range, on the grid and away from avoided points', () => {
    fc.assert(
      fc.property(tensorArb({ min: -1, max: 1, avoid: [0, 0.5], margin: 0.2 }), (t) => {
        expect(t.values.length).toBe(sizeOfShape(t.shape));
        for (const v of t.values) {
          expect(Math.abs(v)).toBeLessThanOrEqual(1);
          expect(Math.abs(v)).toBeGreaterThanOrEqual(0.2);
          expect(Math.abs(v - 0.5)).toBeGreaterThanOrEqual(0.2);
          expect(Number.isInteger(v * 8)).toBe(true);
        }
      }),
    );
  });

  it('distinct values have no ties', () => {
    fc.assert(
      fc.property(valuesArb(20, { distinct: true }), (v) => {
        expect(new Set(v).size).toBe(20);
      }),
    );
  });

  it('a failing property on tensors shrinks to a small, simple case', () => {
    const details = fc.check(fc.property(tensorArb(), (t) => t.values.every((v) => v < 1)), { seed: 3 });
    expect(details.failed).toBe(true);
    const [t] = details.counterexample!;
    expect(t.values).toEqual([1]);
    expect(t.shape.length).toBeLessThanOrEqual(1);
  });
});

describe('the op catalogue', () => {
  it('lists each op once', () => {
    const names = catalogue.map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('exercises every backend primitive of core', () => {
    const missing = [...primitiveCoverage()].filter(([, ops]) => ops.length === 0).map(([p]) => p);
    expect(missing).toEqual([]);
    // The ops that are not primitives: a view (reshape) and a fused op with its own forward (linear).
    expect(Object.keys(opDefs).filter((k) => !(primitiveNames() as string[]).includes(k)).sort()).toEqual(['linear', 'reshape']);
  });

  it('every differentiable op of core with a gradient rule has an entry', () => {
    const withRule = Object.entries(opDefs).filter(([, d]) => d.vjp !== null).map(([n]) => n);
    const covered = new Set(catalogue.filter((e) => e.differentiable).flatMap((e) => [e.name, ...e.primitives]));
    // sign and floor have a (zero) rule but are listed for forward checks; reshape is a view.
    const uncovered = withRule.filter((n) => !covered.has(n) && !['sign', 'floor', 'reshape'].includes(n));
    expect(uncovered).toEqual([]);
  });
});
