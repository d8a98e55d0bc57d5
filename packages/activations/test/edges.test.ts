import '@tsgrad/backend-cpu';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeFixtureNumber, fixtureMismatch } from '@tsgrad/testing';
import { tensor, type Tensor } from '@tsgrad/core';
import * as A from '../src/index.js';

// Every activation at its edges (0, -0, ±Infinity, NaN, kinks): value and gradient against
// PyTorch 1.13 in float64 (fixtures/edges.json, written by packages/testing/test/fixtures/edges.py).

type Num = number | string;
interface EdgeCase {
  op: string;
  inputs: Num[][];
  output: Num[];
  grads: Num[][];
}
const decode = decodeFixtureNumber;
const fixture = JSON.parse(readFileSync(new URL('./fixtures/edges.json', import.meta.url), 'utf8')) as { source: string; cases: EdgeCase[] };

const mismatch = (actual: ArrayLike<number>, expected: readonly number[]) => fixtureMismatch(actual, expected);

const fns: Record<string, (x: Tensor) => Tensor> = {
  'act.relu': A.relu,
  'act.sigmoid': A.sigmoid,
  'act.tanh': A.tanh,
  'act.leakyRelu': (x) => A.leakyRelu(x, 0.01),
  'act.elu': (x) => A.elu(x),
  'act.gelu': (x) => A.gelu(x),
  'act.gelu.tanh': (x) => A.gelu(x, { approximate: 'tanh' }),
  'act.softplus': (x) => A.softplus(x),
  'act.silu': A.silu,
  'act.piecewiseLinear': A.piecewiseLinear,
  'act.sign.straightThrough': (x) => A.sign(x, { straightThrough: true }),
};

describe(`activations at their edges against ${fixture.source}`, () => {
  for (const c of fixture.cases) {
    it(`${c.op}(${JSON.stringify(c.inputs[0])})`, () => {
      const x = tensor(Float64Array.from(c.inputs[0].map(decode)), { dtype: 'float64' }).requiresGrad_();
      const y = fns[c.op](x);
      expect(mismatch(y.dataSync(), c.output.map(decode)), 'value').toBeNull();
      y.sum().backward();
      expect(mismatch(x.grad!.dataSync(), c.grads[0].map(decode)), 'gradient').toBeNull();
    });
  }
});
