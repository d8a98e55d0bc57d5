import '@tsgrad/backend-cpu';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GradcheckError, opDefs, type Tensor } from '@tsgrad/core';
import { catalogueEntry, checkGradient, sizeOfShape, type OpInstance } from '../src/index.js';

type Rule = (g: Tensor, inputs: readonly Tensor[], output: Tensor, params: unknown) => readonly (Tensor | null)[];
const rules = opDefs as unknown as Record<string, { vjp: Rule | null }>;

/** Runs `body` with op `name`'s vector-Jacobian product replaced, restoring it afterwards. */
export function withBrokenRule<T>(name: string, rule: Rule, body: () => T): T {
  const saved = rules[name].vjp;
  rules[name].vjp = rule;
  try {
    return body();
  } finally {
    rules[name].vjp = saved;
  }
}

// d sin = cos, not sin: a plausible slip the property must catch.
const wrongSin: Rule = (g, [x]) => [g.mul(x.sin())];

describe('the gradient check catches a wrong rule', () => {
  it('fails on sin with d sin = sin, and shrinks to a one-element counterexample', () => {
    const entry = catalogueEntry('sin');
    const details = withBrokenRule('sin', wrongSin, () =>
      fc.check(
        fc.property(entry.arb, (instance) => {
          checkGradient(entry, instance);
        }),
        { numRuns: 100, seed: 42 },
      ),
    );
    expect(details.failed).toBe(true);
    const [instance] = details.counterexample as [OpInstance];
    expect(sizeOfShape(instance.inputs[0].shape)).toBe(1);
    // Integers shrink to 0, where sin' = 1 but the broken rule says 0: the simplest witness.
    expect(instance.inputs[0].values).toEqual([0]);
    expect(details.errorInstance).toBeInstanceOf(GradcheckError);
    expect(String(details.errorInstance)).toMatch(/sin input 0/);
  });

  it('passes again once the rule is restored', () => {
    const entry = catalogueEntry('sin');
    fc.assert(fc.property(entry.arb, (instance) => void checkGradient(entry, instance)), { numRuns: 20 });
  });

  it('catches a broadcasting slip (mul not summing its gradient back to a broadcast shape)', () => {
    const entry = catalogueEntry('mul');
    // Forgets to sum the gradient back down to a broadcast input's shape.
    const noUnbroadcast: Rule = (g, [a, b]) => [g.mul(b), g.mul(a)];
    const details = withBrokenRule('mul', noUnbroadcast, () =>
      fc.check(fc.property(entry.arb, (instance) => void checkGradient(entry, instance)), { numRuns: 100, seed: 7 }),
    );
    expect(details.failed).toBe(true);
    const [instance] = details.counterexample as [OpInstance];
    const total = instance.inputs.reduce((s, x) => s + sizeOfShape(x.shape), 0);
    expect(total).toBeLessThanOrEqual(3);
  });
});
