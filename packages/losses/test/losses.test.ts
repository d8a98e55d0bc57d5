import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import '@tsgrad/backend-cpu';
import { DTypeError, ShapeError, Tensor, ValueError, gradcheck, tensor } from '@tsgrad/core';
import { Linear, Sequential } from '@tsgrad/layers';
import * as L from '../src/index.js';

const f64 = (v: number[] | number[][] | number[][][], shape?: number[]) =>
  shape ? tensor(Float64Array.from(v.flat(2) as number[]), { dtype: 'float64', shape }) : tensor(v, { dtype: 'float64' });
const i32 = (v: number[] | number[][]) => tensor(v, { dtype: 'int32' });
// `+ 0` folds -0 (from negating a zero loss) into 0 for toEqual.
const values = (t: Tensor) => Array.from(t.dataSync(), (v) => v + 0);
const close = (actual: number[], expected: number[], digits = 12) => {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i], digits));
};
const logSumExp = (xs: number[]) => Math.log(xs.reduce((s, v) => s + Math.exp(v), 0));

describe('regression losses: values', () => {
  const x = f64([1, 2, 3, 0.5]);
  const y = f64([2, 2, 5, 0]);
  it('l1Loss with every reduction', () => {
    expect(values(L.l1Loss(x, y, { reduction: 'none' }))).toEqual([1, 0, 2, 0.5]);
    expect(L.l1Loss(x, y).item()).toBe(3.5 / 4);
    expect(L.l1Loss(x, y, { reduction: 'sum' }).item()).toBe(3.5);
  });
  it('mseLoss', () => {
    expect(values(L.mseLoss(x, y, { reduction: 'none' }))).toEqual([1, 0, 4, 0.25]);
    expect(L.mseLoss(x, y).item()).toBe(5.25 / 4);
  });
  it('smoothL1Loss (beta 1, beta 2, beta 0 = L1)', () => {
    expect(values(L.smoothL1Loss(x, y, { reduction: 'none' }))).toEqual([0.5, 0, 1.5, 0.125]);
    expect(values(L.smoothL1Loss(x, y, { reduction: 'none', beta: 2 }))).toEqual([0.25, 0, 1, 0.0625]);
    expect(values(L.smoothL1Loss(x, y, { reduction: 'none', beta: 0 }))).toEqual([1, 0, 2, 0.5]);
  });
  it('huberLoss (delta 1 and 2) = delta · smoothL1(beta = delta)', () => {
    expect(values(L.huberLoss(x, y, { reduction: 'none' }))).toEqual([0.5, 0, 1.5, 0.125]);
    expect(values(L.huberLoss(x, y, { reduction: 'none', delta: 2 }))).toEqual([0.5, 0, 2, 0.125]);
    expect(() => L.huberLoss(x, y, { delta: 0 })).toThrow(/delta must be a finite number > 0/);
  });
});

describe('binary cross-entropy: values', () => {
  it('bceLoss, with the log clamped to -100', () => {
    close(values(L.bceLoss(f64([0.8, 0.3]), f64([1, 0]), { reduction: 'none' })), [-Math.log(0.8), -Math.log(0.7)]);
    expect(values(L.bceLoss(f64([0, 1, 1]), f64([1, 0, 1]), { reduction: 'none' }))).toEqual([100, 100, 0]);
    // Finite gradient even at the clamped ends.
    const p = f64([0, 1, 0.5]).requiresGrad_();
    L.bceLoss(p, f64([1, 0, 1])).backward();
    expect(values(p.grad!).every(Number.isFinite)).toBe(true);
    expect(L.bceLoss(f64([0.8, 0.3]), f64([1, 0]), { weight: f64([2, 0]), reduction: 'sum' }).item()).toBeCloseTo(-2 * Math.log(0.8), 12);
  });
  it('bceWithLogitsLoss is log(1 + e^-x) style, stable for huge logits, with posWeight', () => {
    close(values(L.bceWithLogitsLoss(f64([2, -1, 0]), f64([1, 0, 0.5]), { reduction: 'none' })), [Math.log1p(Math.exp(-2)), Math.log1p(Math.exp(-1)), Math.LN2]);
    expect(values(L.bceWithLogitsLoss(f64([1000, -1000, 1000]), f64([0, 1, 1]), { reduction: 'none' }))).toEqual([1000, 1000, 0]);
    const big = tensor([1e4, -1e4], { dtype: 'float32' }).requiresGrad_();
    const loss = L.bceWithLogitsLoss(big, tensor([0, 0]));
    loss.backward();
    expect(loss.item()).toBe(5000);
    expect(values(big.grad!)).toEqual([0.5, 0]);
    // posWeight scales the positive term only: one weight per class (last axis).
    const pw = L.bceWithLogitsLoss(f64([[2, 2]], [1, 2]), f64([[1, 0]], [1, 2]), { posWeight: f64([3, 3]), reduction: 'none' });
    close(values(pw), [3 * Math.log1p(Math.exp(-2)), 2 + Math.log1p(Math.exp(-2))]);
    expect(() => L.bceWithLogitsLoss(f64([[1, 2]], [1, 2]), f64([[1, 0]], [1, 2]), { posWeight: f64([1, 2, 3]) })).toThrow(/posWeight of shape \[3\].*\[2\]/);
  });
  it('bceLoss refuses probabilities outside [0, 1] and points at bceWithLogitsLoss', () => {
    expect(() => L.bceLoss(f64([1.5, 0.2]), f64([1, 0]))).toThrow(ValueError);
    expect(() => L.bceLoss(f64([-0.5, 0.2]), f64([1, 0]))).toThrow(/ranges over \[-0.5, 0.2\].*bceWithLogitsLoss/);
  });
});

describe('classification losses: values', () => {
  const logits = f64([[1, 2, 3], [1, 2, 3]]);
  const lse = logSumExp([1, 2, 3]);
  it('crossEntropyLoss with class indices', () => {
    close(values(L.crossEntropyLoss(logits, i32([2, 0]), { reduction: 'none' })), [lse - 3, lse - 1]);
    expect(L.crossEntropyLoss(logits, i32([2, 0])).item()).toBeCloseTo((2 * lse - 4) / 2, 12);
    expect(L.crossEntropyLoss(logits, i32([2, 0]), { reduction: 'sum' }).item()).toBeCloseTo(2 * lse - 4, 12);
  });
  it('is stable for large logits', () => {
    expect(values(L.crossEntropyLoss(f64([[1000, 0], [0, -1000]]), i32([1, 0]), { reduction: 'none' }))).toEqual([1000, 0]);
    expect(L.crossEntropyLoss(tensor([[1e4, -1e4]]), i32([0])).item()).toBe(0);
  });
  it('label smoothing mixes in the uniform distribution', () => {
    const eps = 0.1;
    const nll = lse - 3;
    const uniform = (3 * lse - 6) / 3;
    close([L.crossEntropyLoss(logits.slice([0, 0], [1, 3]), i32([2]), { labelSmoothing: eps }).item()], [(1 - eps) * nll + eps * uniform]);
    // Index targets and one-hot probabilities agree, with and without smoothing.
    for (const labelSmoothing of [0, 0.2]) {
      const a = L.crossEntropyLoss(logits, i32([2, 0]), { labelSmoothing }).item();
      const b = L.crossEntropyLoss(logits, f64([[0, 0, 1], [1, 0, 0]]), { labelSmoothing }).item();
      expect(a).toBeCloseTo(b, 12);
    }
  });
  it('takes class probabilities', () => {
    const y = f64([[0.25, 0.25, 0.5], [0, 1, 0]]);
    close(values(L.crossEntropyLoss(logits, y, { reduction: 'none' })), [lse - (0.25 + 0.5 + 1.5), lse - 2]);
  });
  it('ignoreIndex drops targets from the loss and the mean (default -100, or a real class)', () => {
    expect(values(L.crossEntropyLoss(logits, i32([2, -100]), { reduction: 'none' }))[1]).toBe(0);
    expect(L.crossEntropyLoss(logits, i32([2, -100])).item()).toBeCloseTo(lse - 3, 12);
    expect(L.crossEntropyLoss(logits, i32([2, 0]), { ignoreIndex: 0 }).item()).toBeCloseTo(lse - 3, 12);
    expect(L.crossEntropyLoss(logits, i32([2, 0]), { ignoreIndex: 0, labelSmoothing: 0.3 }).item()).toBeCloseTo(
      L.crossEntropyLoss(logits.slice([0, 0], [1, 3]), i32([2]), { labelSmoothing: 0.3 }).item(),
      12,
    );
    expect(Number.isNaN(L.crossEntropyLoss(logits, i32([-100, -100])).item())).toBe(true);
  });
  it('handles [N, C, d] inputs (classes on axis 1) and unbatched [C] inputs', () => {
    // N = 1, C = 3, d = 2: column j holds the logits of position j.
    const x = f64([[[1, 0], [2, 0], [3, 5]]], [1, 3, 2]);
    close(values(L.crossEntropyLoss(x, i32([[2, 2]]), { reduction: 'none' })), [lse - 3, logSumExp([0, 0, 5]) - 5]);
    expect(L.crossEntropyLoss(x, i32([[2, 2]]), { reduction: 'none' }).shape).toEqual([1, 2]);
    const unbatched = L.crossEntropyLoss(f64([1, 2, 3]), tensor(2, { dtype: 'int32' }), { reduction: 'none' });
    expect(unbatched.shape).toEqual([]);
    expect(unbatched.item()).toBeCloseTo(lse - 3, 12);
  });
  it('nllLoss picks -input[n, target[n]]', () => {
    const logp = f64([[-1, -2, -3], [-0.5, -1.5, -2.5]]);
    expect(L.nllLoss(logp, i32([0, 2])).item()).toBe(1.75);
    expect(values(L.nllLoss(logp, i32([0, -100]), { reduction: 'none' }))).toEqual([1, 0]);
    expect(L.nllLoss(logp, i32([0, -100])).item()).toBe(1);
    expect(L.nllLoss(logp, i32([1, 1]), { reduction: 'sum' }).item()).toBe(3.5);
    // crossEntropy = nll of logSoftmax
    expect(L.nllLoss(logits.logSoftmax(1), i32([2, 0])).item()).toBeCloseTo(L.crossEntropyLoss(logits, i32([2, 0])).item(), 12);
  });
});

describe('gradients match central differences (gradcheck, float64, 100 runs each)', () => {
  const dbl = (min: number, max: number) => fc.double({ min, max, noNaN: true });
  const pairs = (min = -3, max = 3, ymin = min, ymax = max) =>
    fc.integer({ min: 1, max: 5 }).chain((n) =>
      fc.tuple(fc.array(dbl(min, max), { minLength: n, maxLength: n }), fc.array(dbl(ymin, ymax), { minLength: n, maxLength: n })),
    );
  const check = (
    fn: (x: Tensor, y: Tensor) => Tensor,
    arb: fc.Arbitrary<[number[], number[]]>,
    keep: (x: number, y: number) => boolean = () => true,
  ) =>
    fc.assert(
      fc.property(
        arb.filter(([xs, ys]) => xs.every((x, i) => keep(x, ys[i]))),
        ([xs, ys]) => gradcheck(fn, [f64(xs), f64(ys)]).ok,
      ),
      { numRuns: 100 },
    );
  const away = (k: number) => (x: number, y: number) => Math.abs(Math.abs(x - y) - k) > 1e-3;

  it('l1Loss (away from input = target)', () => check((x, y) => L.l1Loss(x, y), pairs(), away(0)));
  it('mseLoss, sum and none', () => {
    check((x, y) => L.mseLoss(x, y, { reduction: 'sum' }), pairs());
    check((x, y) => L.mseLoss(x, y, { reduction: 'none' }), pairs());
  });
  it('smoothL1Loss (away from |d| = beta)', () => check((x, y) => L.smoothL1Loss(x, y, { beta: 0.7 }), pairs(), away(0.7)));
  it('huberLoss (away from |d| = delta)', () => check((x, y) => L.huberLoss(x, y, { delta: 1.3 }), pairs(), away(1.3)));
  it('bceLoss (probabilities inside (0, 1))', () => check((x, y) => L.bceLoss(x, y), pairs(0.05, 0.95, 0, 1)));
  it('bceWithLogitsLoss, plain and with posWeight', () => {
    check((x, y) => L.bceWithLogitsLoss(x, y), pairs(-6, 6, 0, 1));
    check((x, y) => L.bceWithLogitsLoss(x, y, { posWeight: f64([2.5]) }), pairs(-6, 6, 0, 1));
  });

  const classification = fc.record({
    n: fc.integer({ min: 1, max: 3 }),
    c: fc.integer({ min: 2, max: 4 }),
    seed: fc.array(dbl(-4, 4), { minLength: 12, maxLength: 12 }),
    picks: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
    eps: dbl(0, 0.5),
  });
  it('crossEntropyLoss with indices, label smoothing and an ignored target', () => {
    fc.assert(
      fc.property(classification, ({ n, c, seed, picks, eps }) => {
        const x = f64(seed.slice(0, n * c), [n, c]);
        const t = i32(picks.slice(0, n).map((p, i) => (i === 1 ? -100 : p % c)));
        return gradcheck((xx) => L.crossEntropyLoss(xx, t, { labelSmoothing: eps }), [x]).ok;
      }),
      { numRuns: 100 },
    );
  });
  it('crossEntropyLoss with probabilities (gradient for the logits and the targets)', () => {
    fc.assert(
      fc.property(classification, ({ n, c, seed, picks, eps }) => {
        const x = f64(seed.slice(0, n * c), [n, c]);
        const y = f64(
          seed.slice(0, n * c).map((_, i) => (picks[i % 3] % 7) + 1),
          [n, c],
        );
        const probs = y.div(y.sum(1, true));
        return gradcheck((xx, yy) => L.crossEntropyLoss(xx, yy, { labelSmoothing: eps, reduction: 'sum' }), [x, probs]).ok;
      }),
      { numRuns: 100 },
    );
  });
  it('nllLoss over [N, C, d]', () => {
    fc.assert(
      fc.property(classification, ({ c, seed, picks }) => {
        const x = f64(seed.slice(0, 2 * c), [1, c, 2]);
        const t = i32([[picks[0] % c, picks[1] % c]]);
        return gradcheck((xx) => L.nllLoss(xx, t, { reduction: 'mean' }), [x]).ok;
      }),
      { numRuns: 100 },
    );
  });
});

describe('bad input is refused with a clear message', () => {
  it('mismatched shapes name both shapes; [N, 1] against [N] is not broadcast', () => {
    const out = f64([[1], [2], [3]]);
    const y = f64([1, 2, 3]);
    for (const fn of [L.l1Loss, L.mseLoss, L.smoothL1Loss, L.huberLoss, L.bceWithLogitsLoss]) {
      expect(() => fn(out, y)).toThrow(ShapeError);
      expect(() => fn(out, y)).toThrow(/input shape \[3, 1\] and target shape \[3\] differ.*reshape/i);
    }
    expect(() => new L.L1Loss().call(out, y)).toThrow(/l1Loss: input shape \[3, 1\]/);
  });
  it('class indices out of range are refused, naming the value and the class count', () => {
    const x = f64([[1, 2, 3]]);
    expect(() => L.crossEntropyLoss(x, i32([3]))).toThrow(ValueError);
    expect(() => L.crossEntropyLoss(x, i32([3]))).toThrow(/target class 3 at position 0 is out of range for 3 classes/);
    expect(() => L.nllLoss(x, i32([-1]))).toThrow(/target class -1/);
  });
  it('targets of the wrong kind or shape', () => {
    const x = f64([[1, 2, 3], [0, 0, 0]]);
    expect(() => L.nllLoss(x, f64([1, 2]))).toThrow(DTypeError);
    expect(() => L.crossEntropyLoss(x, i32([[1], [2]]))).toThrow(/target must have shape \[2\], got \[2, 1\].*squeeze/);
    expect(() => L.crossEntropyLoss(x, f64([1, 2]))).toThrow(/class probabilities and must have the input's shape \[2, 3\], got \[2\].*int32/);
    expect(() => L.mseLoss(x, tensor([[1, 2, 3], [0, 0, 0]]))).toThrow(/target is float32 but input is float64/);
    expect(() => L.mseLoss(tensor([1], { dtype: 'int32' }), tensor([1], { dtype: 'int32' }))).toThrow(DTypeError);
    expect(() => L.crossEntropyLoss(f64([1]).reshape([]), i32([0]))).toThrow(/scalar/);
  });
  it('bad options', () => {
    const x = f64([1]);
    expect(() => L.l1Loss(x, x, { reduction: 'avg' as 'mean' })).toThrow(/reduction must be 'mean', 'sum' or 'none', got "avg"/);
    expect(() => L.crossEntropyLoss(f64([[1, 2]]), i32([0]), { labelSmoothing: 1.5 })).toThrow(/labelSmoothing must be in \[0, 1\]/);
    expect(() => L.smoothL1Loss(x, x, { beta: -1 })).toThrow(ValueError);
  });
  it('a class weight of the wrong shape, dtype or kind', () => {
    const x = f64([[1, 2, 3], [0, 0, 0]]);
    const t = i32([0, 2]);
    for (const fn of [L.crossEntropyLoss, L.nllLoss]) {
      expect(() => fn(x, t, { weight: f64([1, 2]) })).toThrow(ShapeError);
      expect(() => fn(x, t, { weight: f64([1, 2]) })).toThrow(/weight must hold one value per class, shape \[3\] for an input of shape \[2, 3\], got \[2\]/);
      expect(() => fn(x, t, { weight: f64([[1, 2, 3]]) })).toThrow(/got \[1, 3\]/);
      expect(() => fn(x, t, { weight: tensor([1, 2, 3]) })).toThrow(DTypeError);
      expect(() => fn(x, t, { weight: [1, 2, 3] as unknown as Tensor })).toThrow(/weight must be a Tensor/);
    }
    expect(() => L.crossEntropyLoss(x, f64([[1, 0, 0], [0, 0, 1]]), { weight: f64([1]) })).toThrow(/shape \[3\]/);
    expect(() => new L.CrossEntropyLoss({ weight: [1, 2, 3] as unknown as Tensor })).toThrow(/CrossEntropyLoss: weight must be a Tensor of shape \[C\]/);
  });
});

describe('Module forms', () => {
  it('compute what the functions compute', () => {
    const x = f64([[0.2, 0.7], [0.9, 0.4]]);
    const y = f64([[0, 1], [1, 0]]);
    const t = i32([1, 0]);
    const cases: [{ call: (a: Tensor, b: Tensor) => Tensor }, Tensor, Tensor, number][] = [
      [new L.L1Loss(), x, y, L.l1Loss(x, y).item()],
      [new L.MSELoss({ reduction: 'sum' }), x, y, L.mseLoss(x, y, { reduction: 'sum' }).item()],
      [new L.SmoothL1Loss({ beta: 0.5 }), x, y, L.smoothL1Loss(x, y, { beta: 0.5 }).item()],
      [new L.HuberLoss({ delta: 0.5 }), x, y, L.huberLoss(x, y, { delta: 0.5 }).item()],
      [new L.BCELoss(), x, y, L.bceLoss(x, y).item()],
      [new L.BCEWithLogitsLoss({ posWeight: f64([2, 1]) }), x, y, L.bceWithLogitsLoss(x, y, { posWeight: f64([2, 1]) }).item()],
      [new L.CrossEntropyLoss({ labelSmoothing: 0.1 }), x, t, L.crossEntropyLoss(x, t, { labelSmoothing: 0.1 }).item()],
      [new L.NLLLoss(), x, t, L.nllLoss(x, t).item()],
    ];
    for (const [m, a, b, expected] of cases) expect(m.call(a, b).item()).toBe(expected);
    expect(String(new L.MSELoss({ reduction: 'sum' }))).toBe("MSELoss(reduction='sum')");
  });
  it('a class weight is the buffer "weight", as in PyTorch (saved by stateDict, used by forward)', () => {
    const x = f64([[0.2, 0.7, -1], [0.9, 0.4, 0.1]]);
    const t = i32([1, 2]);
    const w = f64([0.5, 2, 1]);
    for (const [m, fn] of [
      [new L.CrossEntropyLoss({ weight: w, labelSmoothing: 0.1 }), () => L.crossEntropyLoss(x, t, { weight: w, labelSmoothing: 0.1 })],
      [new L.NLLLoss({ weight: w }), () => L.nllLoss(x, t, { weight: w })],
    ] as const) {
      expect(m.call(x, t).item()).toBe(fn().item());
      expect(Object.keys(m.stateDict())).toEqual(['weight']);
      expect(values(m.stateDict().weight)).toEqual([0.5, 2, 1]);
      expect(m.buffers()).toEqual([w]);
      expect('weight' in m.options).toBe(false);
    }
    // The weighted mean, by hand: Σ w[y]·l / Σ w[y] with l = logsumexp(row) - row[y].
    const l1 = logSumExp([0.2, 0.7, -1]) - 0.7;
    const l2 = logSumExp([0.9, 0.4, 0.1]) - 0.1;
    expect(new L.CrossEntropyLoss({ weight: w }).call(x, t).item()).toBeCloseTo((2 * l1 + 1 * l2) / 3, 14);
    expect(Object.keys(new L.CrossEntropyLoss().stateDict())).toEqual([]);
  });
  it('train a tiny model: the L1 loss of the lecture falls', () => {
    const model = new Sequential(new Linear(1, 1, { dtype: 'float64' }));
    const x = f64([[0], [1], [2], [3]]);
    const y = f64([[1], [3], [5], [7]]);
    const lossFn = new L.L1Loss();
    const first = lossFn.call(model.call(x), y).item();
    for (let i = 0; i < 200; i++) {
      model.zeroGrad();
      const loss = lossFn.call(model.call(x), y);
      loss.backward();
      for (const p of model.parameters()) p.assign(p.sub(p.grad!.mul(0.05)).detach());
    }
    expect(lossFn.call(model.call(x), y).item()).toBeLessThan(first / 4);
  });
});
