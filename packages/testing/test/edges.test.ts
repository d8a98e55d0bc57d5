import '@tsgrad/backend-cpu';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeFixtureNumber, fixtureMismatch } from '../src/index.js';
import { clamp, computeGrads, tensor, where, type Tensor } from '@tsgrad/core';

// The value and the gradient of every core op at its edges (0, -0, ±Infinity, NaN, ties, kinks)
// against PyTorch 1.13 (float64): fixtures/edges.json, written by fixtures/edges.py. Property
// gradchecks cannot reach these points (central differences mean nothing at a NaN or a kink);
// the rules' values there are pinned here instead.

type Num = number | string;
interface EdgeCase {
  op: string;
  inputs: Num[][];
  output: Num | Num[];
  grads: (Num[] | null)[];
  options?: Record<string, unknown>;
  seed?: Num | Num[];
  note?: string;
}

const decode = decodeFixtureNumber;
const fixture = JSON.parse(readFileSync(new URL('./fixtures/edges.json', import.meta.url), 'utf8')) as { source: string; cases: EdgeCase[] };

const mismatch = (actual: ArrayLike<number>, expected: readonly number[]) => fixtureMismatch(actual, expected);

const f64 = (v: readonly number[]) => tensor(Float64Array.from(v), { dtype: 'float64' });

function run(c: EdgeCase, xs: Tensor[]): Tensor {
  const o = c.options ?? {};
  const [a, b, d] = xs;
  switch (c.op) {
    case 'where':
      return where(f64((o.cond as boolean[]).map(Number)).gt(0), a, b);
    case 'clamp':
      return o.tensorBounds ? clamp(a, b, d) : a.clamp(o.min as number | undefined, o.max as number | undefined);
    case 'pow':
      return o.exponent !== undefined ? a.pow(o.exponent as number) : a.pow(b);
    case 'max':
    case 'min':
    case 'sum':
    case 'mean':
      return a[c.op]();
    case 'softmax':
      return a.softmax(-1);
    case 'logSoftmax':
      return a.logSoftmax(-1);
    default:
      if (xs.length === 2) return (a as unknown as Record<string, (t: Tensor) => Tensor>)[c.op].call(a, b);
      return (a as unknown as Record<string, () => Tensor>)[c.op].call(a);
  }
}

/**
 * Where tsgrad departs from PyTorch on purpose, by op and input element: PyTorch's sign(NaN) is 0,
 * tsgrad's NaN (NumPy's), so abs's gradient g·sign(x) at NaN is NaN rather than 0.
 */
const DEPARTURES: Record<string, (input: number, element: number) => boolean> = {
  abs: (_, i) => Number.isNaN(decode(fixture.cases.find((c) => c.op === 'abs')!.inputs[0][i])),
};

describe(`core ops at their edges against ${fixture.source}`, () => {
  for (const [k, c] of fixture.cases.entries()) {
    const label = `${k}: ${c.op}(${c.inputs.map((v) => JSON.stringify(v.length > 8 ? [...v.slice(0, 8), '…'] : v)).join(', ')})${c.options ? ' ' + JSON.stringify(c.options) : ''}${c.note ? ` (${c.note})` : ''}`;
    it(label, () => {
      const xs = c.inputs.map((v) => f64(v.map(decode)).requiresGrad_());
      const y = run(c, xs);
      const expected = (Array.isArray(c.output) ? c.output : [c.output]).map(decode);
      expect(mismatch(y.dataSync(), expected)).toBeNull();
      const seedValues = c.seed === undefined ? new Array<number>(y.size).fill(1) : (Array.isArray(c.seed) ? c.seed : [c.seed]).map(decode);
      const seed = tensor(Float64Array.from(seedValues), { dtype: 'float64' }).reshape([...y.shape]);
      const grads = computeGrads([y], [seed], { wrt: xs });
      c.grads.forEach((want, input) => {
        if (want === null) return;
        const got = Array.from(grads.get(xs[input])?.dataSync() ?? new Float64Array(xs[input].size));
        const skip = DEPARTURES[c.op];
        const wanted = want.map(decode);
        const kept = (arr: number[]) => arr.filter((_, i) => !skip?.(input, i));
        expect(mismatch(kept(got), kept(wanted)), `gradient of input ${input}`).toBeNull();
      });
    });
  }
});
