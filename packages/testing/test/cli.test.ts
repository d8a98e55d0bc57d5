import { describe, expect, it } from 'vitest';
import { opDefs, type Tensor } from '@tsgrad/core';
import { main } from '../src/cli.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) }, out, err };
}

type Rule = (g: Tensor, inputs: readonly Tensor[]) => readonly (Tensor | null)[];
const rules = opDefs as unknown as Record<string, { vjp: Rule | null }>;

describe('tsgrad-gradcheck', () => {
  it('prints a table row per op and exits 0 when the gradients are right', async () => {
    const c = capture();
    const code = await main(['--op', 'tanh', '--op', 'matmul', '--cases', '20', '--seed', '5'], c.io);
    expect(code).toBe(0);
    const text = c.out.join('\n');
    expect(text).toMatch(/op\s+cases\s+max abs error\s+max rel error\s+verdict/);
    expect(text).toMatch(/^tanh\s+20\s+\S+e[-+]\d+\s+\S+e[-+]\d+\s+ok$/m);
    expect(text).toMatch(/^matmul\s+20\s+.*ok$/m);
    expect(text).toContain('all 2 ops pass');
    expect(c.err).toEqual([]);
  });

  it('exits 1 and names the op and a failing input when a rule is wrong', async () => {
    const saved = rules.exp.vjp;
    rules.exp.vjp = (g) => [g]; // d exp = exp, not 1
    try {
      const c = capture();
      const code = await main(['--op', 'exp', '--cases', '10'], c.io);
      expect(code).toBe(1);
      expect(c.out.join('\n')).toMatch(/^exp\s+10\s+.*FAIL$/m);
      expect(c.err.join('\n')).toMatch(/FAIL exp: exp\(.*\): gradcheck: /);
    } finally {
      rules.exp.vjp = saved;
    }
  });

  it('checks float32 with its own tolerances', async () => {
    const c = capture();
    expect(await main(['--dtype', 'float32', '--op', 'sigmoid', '--cases', '10'], c.io)).toBe(0);
  });

  it('exits 2 on a usage error', async () => {
    for (const argv of [['--op', 'nope'], ['--dtype', 'int32'], ['--cases', '0'], ['--frobnicate'], ['--op', 'argmax']]) {
      const c = capture();
      expect(await main(argv, c.io), argv.join(' ')).toBe(2);
      expect(c.err[0]).toMatch(/^tsgrad-gradcheck: /);
    }
  });
});
