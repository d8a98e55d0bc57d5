// Each gradient rule's `saves` declaration (packages/core/src/autograd/engine.ts) says which of the
// forward pass's values the rule reads; the engine checks version counters of exactly those, so an
// under-declaration would let an in-place change corrupt a gradient silently. Checked here by
// running every rule the catalogue reaches with each undeclared tensor replaced by a disposed
// stand-in of the same shape and dtype: reading its values throws DisposedError.
import '@tsgrad/backend-cpu';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { enableGrad, ones, opTable, tidy, zeros, type GraphNode, type OpName, type Tensor } from '@tsgrad/core';
import { catalogue } from '../src/catalogue.js';
import { materialize } from '../src/check.js';

/** Metadata without values: shape, dtype and requiresGrad, storage already freed. */
function standIn(t: Tensor): Tensor {
  const s = zeros(t.shape as number[], { dtype: t.dtype });
  s.requiresGrad = t.requiresGrad;
  s.dispose();
  return s;
}

/** Every (output, node) pair on the graph below `root`. */
function nodesOf(root: Tensor): [Tensor, GraphNode][] {
  const seen = new Set<Tensor>();
  const found: [Tensor, GraphNode][] = [];
  const visit = (t: Tensor) => {
    if (seen.has(t) || !t.node) return;
    seen.add(t);
    found.push([t, t.node]);
    t.node.inputs.forEach(visit);
  };
  visit(root);
  return found;
}

describe('declared saves', () => {
  const covered = new Set<OpName>();
  for (const entry of catalogue) {
    it(`${entry.name}: its rules read only what they declare`, () => {
      for (const instance of fc.sample(entry.arb, { seed: 7, numRuns: 3 })) {
        tidy(() => {
          const inputs = materialize(instance).map((t) => (t.dtype === 'float32' || t.dtype === 'float64' ? t.requiresGrad_() : t));
          const y = enableGrad(() => instance.fn(...inputs));
          for (const [out, node] of nodesOf(y)) {
            const def = opTable()[node.op];
            if (!def.vjp) continue;
            covered.add(node.op);
            const saves = def.saves;
            const args = node.inputs.map((x, j) => (saves.inputs.includes(j) ? x : standIn(x)));
            const output = saves.output ? out : standIn(out);
            const g = ones(out.shape as number[], { dtype: out.dtype });
            expect(() => def.vjp(g, args, output, node.params as never), `${node.op} (inside ${entry.name})`).not.toThrow();
          }
        });
      }
    });
  }

  it('the catalogue reaches every rule that has a gradient', () => {
    const withRule = (Object.keys(opTable()) as OpName[]).filter((op) => opTable()[op].vjp !== null);
    expect(withRule.filter((op) => !covered.has(op))).toEqual([]);
  });
});
