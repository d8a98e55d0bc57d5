import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import '@tsgrad/backend-cpu';
import { DTypeError, Tensor, ValueError, gradcheck, tensor } from '@tsgrad/core';
import { Linear, Sequential } from '@tsgrad/layers';
import * as A from '../src/index.js';

const f64 = (v: number[]) => tensor(v, { dtype: 'float64' });
const values = (t: Tensor) => Array.from(t.dataSync());

/** d(sum f(x))/dx at each point of `xs`, by autograd. */
function gradAt(fn: (x: Tensor) => Tensor, xs: number[]): number[] {
  const x = f64(xs).requiresGrad_();
  fn(x).sum().backward();
  // Core sends no gradient through a flat op (sign), so .grad stays null: that is a zero gradient.
  return x.grad ? values(x.grad) : xs.map(() => 0);
}

/** Small float64 vectors whose entries stay at least 1e-3 away from every kink. */
const awayFrom = (kinks: number[], range = 4) =>
  fc
    .array(fc.double({ min: -range, max: range, noNaN: true }), { minLength: 1, maxLength: 6 })
    .filter((xs) => xs.every((v) => kinks.every((k) => Math.abs(v - k) > 1e-3)));

function gradcheckProperty(fn: (x: Tensor) => Tensor, kinks: number[] = [], range = 4): void {
  fc.assert(
    fc.property(awayFrom(kinks, range), (xs) => gradcheck(fn, [f64(xs)]).ok),
    { numRuns: 100 },
  );
}

describe("the lecture's activations: exact values", () => {
  const z = [-2, -0.5, -0.25, 0, 0.25, 0.5, 2];
  it('unit step is 0, 0.5 at zero, 1', () => {
    expect(values(A.unitStep(f64(z)))).toEqual([0, 0, 0, 0.5, 1, 1, 1]);
  });
  it('sign is -1, 0 at zero, 1', () => {
    expect(values(A.sign(f64(z)))).toEqual([-1, -1, -1, 0, 1, 1, 1]);
  });
  it('linear is the identity', () => {
    const x = f64(z);
    expect(A.linear(x)).toBe(x);
    expect(A.identity).toBe(A.linear);
  });
  it('piece-wise linear is 0 / z + 1/2 / 1', () => {
    expect(values(A.piecewiseLinear(f64(z)))).toEqual([0, 0, 0.25, 0.5, 0.75, 1, 1]);
  });
  it('sigmoid, tanh and ReLU', () => {
    const s = values(A.sigmoid(f64([0, 1, -1])));
    expect(s[0]).toBe(0.5);
    expect(s[1]).toBeCloseTo(1 / (1 + Math.exp(-1)), 14);
    expect(s[2]).toBeCloseTo(1 / (1 + Math.exp(1)), 14);
    const t = values(A.tanh(f64([0, 1, -2])));
    expect(t[0]).toBe(0);
    expect(t[1]).toBeCloseTo((Math.E - 1 / Math.E) / (Math.E + 1 / Math.E), 14);
    expect(t[2]).toBeCloseTo(Math.tanh(-2), 14);
    expect(values(A.relu(f64(z)))).toEqual([0, 0, 0, 0, 0.25, 0.5, 2]);
  });
  it('the table lists the seven rows in the lecture order, each with a working fn', () => {
    expect(A.activationTable.map((r) => r.name)).toEqual([
      'unit step (Heaviside)',
      'sign (signum)',
      'linear',
      'piece-wise linear',
      'logistic (sigmoid)',
      'hyperbolic tangent',
      'ReLU',
    ]);
    const atZero = A.activationTable.map((r) => r.fn(f64([0])).item());
    expect(atZero).toEqual([0.5, 0, 0, 0.5, 0.5, 0, 0]);
    expect(A.activationTable.every((r) => r.definition.length > 0 && r.usedIn.length > 0)).toBe(true);
  });
});

describe('modern activations: values against PyTorch-documented numbers', () => {
  it('leakyRelu', () => {
    expect(values(A.leakyRelu(f64([-2, 0, 3])))).toEqual([-0.02, 0, 3]);
    expect(values(A.leakyRelu(f64([-2]), 0.2))).toEqual([-0.4]);
  });
  it('elu', () => {
    const y = values(A.elu(f64([-1, 0, 2])));
    expect(y[0]).toBeCloseTo(Math.exp(-1) - 1, 14);
    expect(y.slice(1)).toEqual([0, 2]);
    expect(A.elu(f64([-1]), 2).item()).toBeCloseTo(2 * (Math.exp(-1) - 1), 14);
  });
  it('gelu exact and tanh-approximate', () => {
    const y = values(A.gelu(f64([1, -1, 0])));
    expect(y[0]).toBeCloseTo(0.8413447460685429, 12);
    expect(y[1]).toBeCloseTo(-0.15865525393145707, 12);
    expect(y[2]).toBe(0);
    expect(A.gelu(f64([1]), { approximate: 'tanh' }).item()).toBeCloseTo(0.8411919906082768, 12);
    expect(() => A.gelu(f64([1]), { approximate: 'erf' as 'none' })).toThrow(/approximate must be/);
  });
  it('softplus with beta and threshold', () => {
    expect(A.softplus(f64([0])).item()).toBeCloseTo(Math.LN2, 14);
    expect(A.softplus(f64([1]), { beta: 2 }).item()).toBeCloseTo(0.5 * Math.log(1 + Math.exp(2)), 14);
    expect(A.softplus(f64([-30])).item()).toBeCloseTo(Math.log1p(Math.exp(-30)), 20);
    // Above the threshold it is z itself.
    expect(values(A.softplus(f64([25, 1000])))).toEqual([25, 1000]);
    expect(A.softplus(f64([5]), { threshold: 4 }).item()).toBe(5);
    expect(() => A.softplus(f64([1]), { beta: 0 })).toThrow(/beta must be a finite, positive number/);
  });
  it('silu, softmax, logSoftmax', () => {
    expect(A.silu(f64([1])).item()).toBeCloseTo(1 / (1 + Math.exp(-1)), 14);
    const s = values(A.softmax(f64([1, 2, 3])));
    const e = [1, 2, 3].map(Math.exp);
    const sum = e.reduce((a, b) => a + b);
    s.forEach((v, i) => expect(v).toBeCloseTo(e[i] / sum, 14));
    const ls = values(A.logSoftmax(f64([1000, 0])));
    expect(ls[0]).toBeCloseTo(0, 12);
    expect(ls[1]).toBeCloseTo(-1000, 9);
    expect(values(A.softmax(tensor([[1, 2], [1, 2]], { dtype: 'float64' }), 0))).toEqual([0.5, 0.5, 0.5, 0.5]);
  });
  it('stays finite in value and gradient for large inputs', () => {
    for (const fn of [A.elu, A.softplus, A.silu, A.gelu, A.sigmoid, A.tanh, (x: Tensor) => A.softplus(x, { threshold: 1e6 })]) {
      const g = gradAt(fn, [-800, 800]);
      expect(g.every(Number.isFinite)).toBe(true);
      expect(values(fn(f64([-800, 800]))).every(Number.isFinite)).toBe(true);
    }
    expect(gradAt(A.softplus, [800, -800])).toEqual([1, 0]);
  });
});

describe('gradient conventions at kinks and jumps', () => {
  it("ReLU'(0) = 0", () => {
    expect(gradAt(A.relu, [-1, 0, 1])).toEqual([0, 0, 1]);
  });
  it('unit step and sign have zero gradient everywhere, including the jump', () => {
    const x = f64([1, 0]).requiresGrad_();
    A.sign(x).sum().backward();
    // A zero gradient, as PyTorch gives the leaves backward reaches (not null).
    expect(values(x.grad!)).toEqual([0, 0]);
    expect(gradAt((x) => A.unitStep(x), [-1, 0, 0.3, 2])).toEqual([0, 0, 0, 0]);
    expect(gradAt((x) => A.sign(x), [-1, 0, 0.3, 2])).toEqual([0, 0, 0, 0]);
  });
  it('straight-through: sign passes the gradient for |z| <= 1, unit step for |z| <= 1/2; values unchanged', () => {
    const z = [-2, -1, -0.5, 0, 0.4, 0.5, 0.7, 1, 3];
    expect(gradAt((x) => A.sign(x, { straightThrough: true }), z)).toEqual([0, 1, 1, 1, 1, 1, 1, 1, 0]);
    expect(gradAt((x) => A.unitStep(x, { straightThrough: true }), z)).toEqual([0, 0, 1, 1, 1, 1, 0, 0, 0]);
    expect(values(A.sign(f64(z), { straightThrough: true }))).toEqual(values(A.sign(f64(z))));
    expect(values(A.unitStep(f64(z), { straightThrough: true }))).toEqual(values(A.unitStep(f64(z))));
  });
  it('piece-wise linear: gradient 1 strictly inside (-1/2, 1/2), 0 at and beyond the kinks', () => {
    expect(gradAt(A.piecewiseLinear, [-1, -0.5, 0, 0.49, 0.5, 1])).toEqual([0, 0, 1, 1, 0, 0]);
  });
  it("leakyRelu'(0) = negativeSlope, elu'(0) = alpha, softplus'(0) = 1/2, as PyTorch", () => {
    expect(gradAt((x) => A.leakyRelu(x, 0.1), [-1, 0, 1])).toEqual([0.1, 0.1, 1]);
    expect(gradAt((x) => A.elu(x, 2), [0])).toEqual([2]);
    expect(gradAt(A.softplus, [0])[0]).toBeCloseTo(0.5, 14);
  });
});

describe('gradients match central differences (gradcheck, float64, 100 runs each)', () => {
  const smooth: [string, (x: Tensor) => Tensor][] = [
    ['sigmoid', A.sigmoid],
    ['tanh', A.tanh],
    ['identity', A.identity],
    ['gelu', A.gelu],
    ['gelu tanh', (x) => A.gelu(x, { approximate: 'tanh' })],
    ['silu', A.silu],
    ['softplus', A.softplus],
    ['softplus beta 3', (x) => A.softplus(x, { beta: 3 })],
    ['softmax', A.softmax],
    ['logSoftmax', A.logSoftmax],
  ];
  for (const [name, fn] of smooth) it(name, () => gradcheckProperty(fn));
  it('relu (away from 0)', () => gradcheckProperty(A.relu, [0]));
  it('leakyRelu (away from 0)', () => gradcheckProperty((x) => A.leakyRelu(x, 0.2), [0]));
  it('elu (away from 0)', () => gradcheckProperty((x) => A.elu(x, 1.5), [0]));
  it('piecewiseLinear (away from ±1/2)', () => gradcheckProperty(A.piecewiseLinear, [-0.5, 0.5]));
  it('softplus across its threshold (away from it)', () => gradcheckProperty((x) => A.softplus(x, { threshold: 1 }), [1]));
  it('unitStep and sign (away from 0)', () => {
    gradcheckProperty((x) => A.unitStep(x), [0]);
    gradcheckProperty((x) => A.sign(x), [0]);
  });
  it('softmax over a 2-D tensor along axis 0', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 6, maxLength: 6 }), (xs) => {
        const x = tensor(xs, { dtype: 'float64' }).reshape([2, 3]);
        return gradcheck((t) => A.softmax(t, 0), [x]).ok && gradcheck((t) => A.logSoftmax(t, 0), [x]).ok;
      }),
      { numRuns: 100 },
    );
  });
});

describe('Module forms', () => {
  const x = f64([-1.5, -0.5, 0, 0.3, 2]);
  const pairs: [A.ReLU | A.Sign, (x: Tensor) => Tensor][] = [
    [new A.UnitStep(), (t) => A.unitStep(t)],
    [new A.Sign(), (t) => A.sign(t)],
    [new A.Identity(), A.identity],
    [new A.PiecewiseLinear(), A.piecewiseLinear],
    [new A.Sigmoid(), A.sigmoid],
    [new A.Tanh(), A.tanh],
    [new A.ReLU(), A.relu],
    [new A.LeakyReLU(0.3), (t) => A.leakyRelu(t, 0.3)],
    [new A.ELU(0.5), (t) => A.elu(t, 0.5)],
    [new A.GELU({ approximate: 'tanh' }), (t) => A.gelu(t, { approximate: 'tanh' })],
    [new A.Softplus({ beta: 2 }), (t) => A.softplus(t, { beta: 2 })],
    [new A.SiLU(), A.silu],
    [new A.Softmax(0), (t) => A.softmax(t, 0)],
    [new A.LogSoftmax(), (t) => A.logSoftmax(t)],
  ];
  it('compute what the functions compute and have no parameters', () => {
    for (const [m, fn] of pairs) {
      expect(values(m.call(x))).toEqual(values(fn(x)));
      expect(m.parameters()).toEqual([]);
    }
  });
  it('straight-through options reach the module', () => {
    const g = gradAt((t) => new A.Sign({ straightThrough: true }).call(t), [0.5, 2]);
    expect(g).toEqual([1, 0]);
  });
  it('compose into a Sequential with the lecture names', () => {
    const net = new Sequential(new Linear(1, 10), new A.ReLU(), new Linear(10, 6), new A.ReLU(), new Linear(6, 1));
    expect(net.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias', '4.weight', '4.bias']);
    expect(net.call(tensor([[1], [2]])).shape).toEqual([2, 1]);
    expect(String(net)).toContain('(1): ReLU()');
  });
  it('Identity is a placeholder Module in a Sequential (PyTorch\'s nn.Identity): same values, gradient passed through', () => {
    const net = new Sequential(new Linear(2, 2), new A.Identity(), new Linear(2, 1));
    expect(net.at(1)).toBeInstanceOf(A.Identity);
    const x = tensor([[1, 2]]);
    const direct = net.at(2).call(net.at(0).call(x));
    expect(values(net.call(x))).toEqual(values(direct));
    net.call(x).sum().backward();
    expect(net.parameters().every((p) => p.grad !== null)).toBe(true);
  });
});

describe('bad input', () => {
  it('refuses non-float tensors, naming the activation', () => {
    const i = tensor([1, -1], { dtype: 'int32' });
    expect(() => A.relu(i)).toThrow(DTypeError);
    expect(() => A.unitStep(i)).toThrow(/unitStep: needs a float tensor, got int32/);
  });
  it('refuses bad parameters', () => {
    expect(() => A.leakyRelu(f64([1]), Number.NaN)).toThrow(ValueError);
    expect(() => A.elu(f64([1]), Infinity)).toThrow(/alpha must be a finite number/);
  });
});
