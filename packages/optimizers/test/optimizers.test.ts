import '@tsgrad/backend-cpu';
import { describe, expect, it } from 'vitest';
import { Tensor, TsgradError, ValueError, AutogradError, memory, tensor, zeros } from '@tsgrad/core';
import {
  SGD,
  Adam,
  AdamW,
  RMSprop,
  Adagrad,
  type Optimizer,
  type BaseOptions,
} from '../src/index.js';

// A fixed problem: f(θ) = Σ a θ² + b θ + c sin(θ), so ∇f = 2aθ + b + c cos(θ). The gradient depends
// on the current θ, so any mistake in the state handling shows up after a few steps.
const A = [0.5, 1.5, 2.0, 0.25, 1.0, 3.0];
const B = [-1.0, 0.5, 0.0, 2.0, -0.3, 0.7];
const C = [0.3, -0.2, 0.1, 0.0, 0.5, -0.4];
const THETA0 = [0.7, -1.2, 0.05, 2.5, -0.4, 1.1];
const gradAt = (theta: readonly number[]) => theta.map((t, i) => 2 * A[i] * t + B[i] + C[i] * Math.cos(t));

function param(values = THETA0): Tensor {
  return tensor([...values], { dtype: 'float64', requiresGrad: true });
}
function setGrad(p: Tensor): void {
  p.grad = tensor(gradAt(Array.from(p.dataSync())), { dtype: 'float64' });
}
function expectClose(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[i])));
  }
}

/** Runs `steps` steps of the optimizer and of the reference, comparing θ after each. */
function compare(make: (p: Tensor) => Optimizer<BaseOptions>, reference: () => (theta: number[], g: number[]) => void, steps = 6): void {
  const p = param();
  const opt = make(p);
  const ref = reference();
  const theta = [...THETA0];
  for (let s = 0; s < steps; s++) {
    setGrad(p);
    opt.step();
    ref(theta, gradAt(theta));
    expectClose(p.dataSync(), theta);
  }
}

// ---- reference loops, written from PyTorch's algorithm boxes ---------------------------------------

function sgdRef(o: { lr: number; momentum?: number; dampening?: number; weightDecay?: number; nesterov?: boolean; maximize?: boolean }) {
  return () => {
    const { lr, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false, maximize = false } = o;
    let b: number[] | null = null;
    return (theta: number[], grad: number[]) => {
      let g = grad.map((x) => (maximize ? -x : x));
      if (weightDecay !== 0) g = g.map((x, i) => x + weightDecay * theta[i]);
      if (momentum !== 0) {
        b = b === null ? [...g] : b.map((bi, i) => momentum * bi + (1 - dampening) * g[i]);
        const bb = b;
        g = nesterov ? g.map((x, i) => x + momentum * bb[i]) : [...bb];
      }
      for (let i = 0; i < theta.length; i++) theta[i] -= lr * g[i];
    };
  };
}

function adamRef(o: { lr: number; betas?: [number, number]; eps?: number; weightDecay?: number; amsgrad?: boolean; maximize?: boolean; decoupled?: boolean }) {
  return () => {
    const { lr, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0, amsgrad = false, maximize = false, decoupled = false } = o;
    const [b1, b2] = betas;
    const n = THETA0.length;
    const m = new Array<number>(n).fill(0);
    const v = new Array<number>(n).fill(0);
    const vmax = new Array<number>(n).fill(0);
    let t = 0;
    return (theta: number[], grad: number[]) => {
      t++;
      for (let i = 0; i < n; i++) {
        let g = maximize ? -grad[i] : grad[i];
        if (weightDecay !== 0) {
          if (decoupled) theta[i] *= 1 - lr * weightDecay;
          else g += weightDecay * theta[i];
        }
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        const mhat = m[i] / (1 - b1 ** t);
        let vhat: number;
        if (amsgrad) {
          vmax[i] = Math.max(vmax[i], v[i]);
          vhat = vmax[i] / (1 - b2 ** t);
        } else vhat = v[i] / (1 - b2 ** t);
        theta[i] -= (lr * mhat) / (Math.sqrt(vhat) + eps);
      }
    };
  };
}

function rmspropRef(o: { lr: number; alpha?: number; eps?: number; weightDecay?: number; momentum?: number; centered?: boolean; maximize?: boolean }) {
  return () => {
    const { lr, alpha = 0.99, eps = 1e-8, weightDecay = 0, momentum = 0, centered = false, maximize = false } = o;
    const n = THETA0.length;
    const v = new Array<number>(n).fill(0);
    const gave = new Array<number>(n).fill(0);
    const b = new Array<number>(n).fill(0);
    return (theta: number[], grad: number[]) => {
      for (let i = 0; i < n; i++) {
        let g = maximize ? -grad[i] : grad[i];
        if (weightDecay !== 0) g += weightDecay * theta[i];
        v[i] = alpha * v[i] + (1 - alpha) * g * g;
        let vt = v[i];
        if (centered) {
          gave[i] = alpha * gave[i] + (1 - alpha) * g;
          vt = vt - gave[i] * gave[i];
        }
        if (momentum > 0) {
          b[i] = momentum * b[i] + g / (Math.sqrt(vt) + eps);
          theta[i] -= lr * b[i];
        } else theta[i] -= (lr * g) / (Math.sqrt(vt) + eps);
      }
    };
  };
}

function adagradRef(o: { lr: number; lrDecay?: number; weightDecay?: number; initialAccumulatorValue?: number; eps?: number; maximize?: boolean }) {
  return () => {
    const { lr, lrDecay = 0, weightDecay = 0, initialAccumulatorValue = 0, eps = 1e-10, maximize = false } = o;
    const n = THETA0.length;
    const sum = new Array<number>(n).fill(initialAccumulatorValue);
    let t = 0;
    return (theta: number[], grad: number[]) => {
      t++;
      const clr = lr / (1 + (t - 1) * lrDecay);
      for (let i = 0; i < n; i++) {
        let g = maximize ? -grad[i] : grad[i];
        if (weightDecay !== 0) g += weightDecay * theta[i];
        sum[i] += g * g;
        theta[i] -= (clr * g) / (Math.sqrt(sum[i]) + eps);
      }
    };
  };
}

// ---- the algorithms ---------------------------------------------------------------------------------

describe('optimizers match PyTorch\'s algorithms step by step (float64)', () => {
  const sgdCases = [
    { lr: 0.1 },
    { lr: 0.05, momentum: 0.9 },
    { lr: 0.05, momentum: 0.9, dampening: 0.3 },
    { lr: 0.05, momentum: 0.8, nesterov: true },
    { lr: 0.1, weightDecay: 0.2 },
    { lr: 0.05, momentum: 0.5, weightDecay: 0.1, maximize: true },
  ];
  for (const c of sgdCases) {
    it(`SGD ${JSON.stringify(c)}`, () => compare((p) => new SGD([p], c), sgdRef(c)));
  }

  const adamCases = [
    { lr: 0.1 },
    { lr: 0.05, betas: [0.8, 0.95] as [number, number], eps: 1e-6 },
    { lr: 0.1, weightDecay: 0.3 },
    { lr: 0.1, amsgrad: true },
    { lr: 0.1, maximize: true },
  ];
  for (const c of adamCases) {
    it(`Adam ${JSON.stringify(c)}`, () => compare((p) => new Adam([p], c), adamRef(c)));
  }
  it('AdamW decouples weight decay (default 0.01)', () => {
    compare((p) => new AdamW([p], { lr: 0.1 }), adamRef({ lr: 0.1, weightDecay: 0.01, decoupled: true }));
    compare((p) => new AdamW([p], { lr: 0.1, weightDecay: 0.5, amsgrad: true }), adamRef({ lr: 0.1, weightDecay: 0.5, amsgrad: true, decoupled: true }));
  });

  const rmsCases = [
    { lr: 0.01 },
    { lr: 0.01, centered: true },
    { lr: 0.01, momentum: 0.9 },
    { lr: 0.01, alpha: 0.9, momentum: 0.5, centered: true, weightDecay: 0.1 },
    { lr: 0.01, maximize: true },
  ];
  for (const c of rmsCases) {
    it(`RMSprop ${JSON.stringify(c)}`, () => compare((p) => new RMSprop([p], c), rmspropRef(c)));
  }

  const adagradCases = [
    { lr: 0.1 },
    { lr: 0.1, lrDecay: 0.5 },
    { lr: 0.1, initialAccumulatorValue: 0.3, weightDecay: 0.2 },
    { lr: 0.1, maximize: true, eps: 1e-6 },
  ];
  for (const c of adagradCases) {
    it(`Adagrad ${JSON.stringify(c)}`, () => compare((p) => new Adagrad([p], c), adagradRef(c)));
  }
});

describe('Optimizer base', () => {
  it('param groups use their own hyperparameters and defaults fill the rest', () => {
    const p1 = param();
    const p2 = param();
    const opt = new SGD([{ params: [p1] }, { params: [p2], lr: 0.01 }], { lr: 0.1, momentum: 0.9 });
    expect(opt.paramGroups[0].lr).toBe(0.1);
    expect(opt.paramGroups[1].lr).toBe(0.01);
    expect(opt.paramGroups[1].momentum).toBe(0.9);
    const r1 = sgdRef({ lr: 0.1, momentum: 0.9 })();
    const r2 = sgdRef({ lr: 0.01, momentum: 0.9 })();
    const t1 = [...THETA0];
    const t2 = [...THETA0];
    for (let s = 0; s < 3; s++) {
      setGrad(p1);
      setGrad(p2);
      opt.step();
      r1(t1, gradAt(t1));
      r2(t2, gradAt(t2));
    }
    expectClose(p1.dataSync(), t1);
    expectClose(p2.dataSync(), t2);
  });

  it('addParamGroup adds parameters that are then updated', () => {
    const p1 = param();
    const p2 = param();
    const opt = new SGD([p1], { lr: 0.1 });
    opt.addParamGroup({ params: [p2], lr: 0.5 });
    setGrad(p2);
    opt.step();
    const expected = THETA0.map((t, i) => t - 0.5 * gradAt(THETA0)[i]);
    expectClose(p2.dataSync(), expected);
    expectClose(p1.dataSync(), THETA0); // no grad: untouched
  });

  it('zeroGrad clears gradients and parameters without a gradient are skipped', () => {
    const p = param();
    const opt = new Adam([p], { lr: 0.1 });
    setGrad(p);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
    opt.step();
    expectClose(p.dataSync(), THETA0);
    expect(opt.state.size).toBe(0);
  });

  it('works with real backward() and keeps parameter identity', () => {
    const w = tensor([[0.5], [-0.25]], { dtype: 'float64', requiresGrad: true });
    const x = tensor([[1, 2], [3, -1], [0.5, 0.5]], { dtype: 'float64' });
    const y = tensor([[1], [2], [0]], { dtype: 'float64' });
    const opt = new SGD([w], { lr: 0.05 });
    const loss0 = x.matmul(w).sub(y).square().mean().item();
    for (let i = 0; i < 20; i++) {
      opt.zeroGrad();
      x.matmul(w).sub(y).square().mean().backward();
      opt.step();
    }
    expect(opt.paramGroups[0].params[0]).toBe(w);
    expect(x.matmul(w).sub(y).square().mean().item()).toBeLessThan(loss0);
  });

  it('step() frees every intermediate: live buffers stay flat across steps', () => {
    for (const make of [
      (p: Tensor) => new SGD([p], { lr: 0.1, momentum: 0.9, weightDecay: 0.1, nesterov: true }),
      (p: Tensor) => new Adam([p], { lr: 0.1, amsgrad: true, weightDecay: 0.1 }),
      (p: Tensor) => new RMSprop([p], { lr: 0.01, centered: true, momentum: 0.5 }),
      (p: Tensor) => new Adagrad([p], { lr: 0.1 }),
    ]) {
      const p = param();
      const g = tensor(gradAt(THETA0), { dtype: 'float64' });
      const opt = make(p);
      p.grad = g;
      opt.step();
      const before = memory().buffers;
      for (let i = 0; i < 5; i++) opt.step();
      expect(memory().buffers).toBe(before);
    }
  });

  it('step(closure) evaluates the closure with grad enabled and returns its loss', () => {
    const p = param();
    const opt = new SGD([p], { lr: 0.1 });
    const loss = opt.step(() => {
      opt.zeroGrad();
      const l = p.square().sum();
      l.backward();
      return l.item();
    });
    expect(loss).toBeCloseTo(THETA0.reduce((s, t) => s + t * t, 0), 12);
    expectClose(p.dataSync(), THETA0.map((t) => t - 0.1 * 2 * t));
  });
});

describe('state dict', () => {
  const makers: [string, (ps: Tensor[]) => Optimizer<BaseOptions>][] = [
    ['SGD', (ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true })],
    ['Adam', (ps) => new Adam(ps, { lr: 0.05, amsgrad: true })],
    ['AdamW', (ps) => new AdamW(ps, { lr: 0.05 })],
    ['RMSprop', (ps) => new RMSprop(ps, { lr: 0.01, centered: true, momentum: 0.3 })],
    ['Adagrad', (ps) => new Adagrad(ps, { lr: 0.1, lrDecay: 0.1 })],
  ];
  for (const [name, make] of makers) {
    it(`${name}: continuing after load gives the same parameters as without`, () => {
      const a = param();
      const b = param(THETA0.map((t) => t * 0.5));
      const opt = make([a, b]);
      for (let i = 0; i < 3; i++) {
        setGrad(a);
        setGrad(b);
        opt.step();
      }
      const saved = opt.stateDict();
      const a2 = param(Array.from(a.dataSync()));
      const b2 = param(Array.from(b.dataSync()));
      for (let i = 0; i < 3; i++) {
        setGrad(a);
        setGrad(b);
        opt.step();
      }
      // The saved copy did not move with the later steps.
      const opt2 = make([a2, b2]);
      opt2.loadStateDict(saved);
      for (let i = 0; i < 3; i++) {
        setGrad(a2);
        setGrad(b2);
        opt2.step();
      }
      expect(Array.from(a2.dataSync())).toEqual(Array.from(a.dataSync()));
      expect(Array.from(b2.dataSync())).toEqual(Array.from(b.dataSync()));
    });
  }

  it('is keyed by parameter index across groups, with hyperparameters per group', () => {
    const p1 = param();
    const p2 = param();
    const p3 = param();
    const opt = new SGD([{ params: [p1, p2] }, { params: [p3], lr: 0.3 }], { lr: 0.1, momentum: 0.9 });
    setGrad(p3);
    opt.step();
    const sd = opt.stateDict();
    expect(sd.paramGroups.map((g) => g.params)).toEqual([[0, 1], [2]]);
    expect(sd.paramGroups[1].lr).toBe(0.3);
    expect(Object.keys(sd.state)).toEqual(['2']);
    expect(sd.state[2].momentumBuffer).toBeInstanceOf(Tensor);
  });

  it('loading restores hyperparameters such as a changed lr', () => {
    const p = param();
    const opt = new SGD([p], { lr: 0.1 });
    opt.paramGroups[0].lr = 0.02;
    const sd = opt.stateDict();
    const opt2 = new SGD([param()], { lr: 0.1 });
    opt2.loadStateDict(sd);
    expect(opt2.paramGroups[0].lr).toBe(0.02);
  });

  it('refuses a state dict whose groups do not match, and changes nothing', () => {
    const opt = new SGD([param(), param()], { lr: 0.1, momentum: 0.9 });
    const one = new SGD([{ params: [param()] }, { params: [param()] }], { lr: 0.2 }).stateDict();
    expect(() => opt.loadStateDict(one)).toThrow(/2 parameter group\(s\) but this optimizer has 1/);
    const small = new SGD([param()], { lr: 0.2 }).stateDict();
    expect(() => opt.loadStateDict(small)).toThrow(/group 0 has 1 parameters in the state dict but 2/);
    expect(opt.paramGroups[0].lr).toBe(0.1);
    const p = param();
    const src = new SGD([p], { lr: 0.1, momentum: 0.9 });
    setGrad(p);
    src.step();
    const wrongShape = new SGD([tensor([1, 2], { dtype: 'float64', requiresGrad: true })], { lr: 0.1, momentum: 0.9 });
    expect(() => wrongShape.loadStateDict(src.stateDict())).toThrow(/momentumBuffer.*shape \[6\].*parameter has shape \[2\]/);
    const badLr = src.stateDict();
    badLr.paramGroups[0].lr = -1;
    expect(() => new SGD([param()], { lr: 0.1 }).loadStateDict(badLr)).toThrow(ValueError);
  });
});

describe('refusals', () => {
  it('a negative or non-finite learning rate', () => {
    expect(() => new SGD([param()], { lr: -0.1 })).toThrow(/SGD: invalid learning rate \(lr\) -0.1/);
    expect(() => new Adam([param()], { lr: NaN })).toThrow(ValueError);
    expect(() => new SGD([{ params: [param()], lr: -1 }], { lr: 0.1 })).toThrow(/invalid learning rate/);
    expect(() => new SGD([param()], { lr: 0.1 }).addParamGroup({ params: [param()], lr: -2 })).toThrow(/invalid learning rate/);
  });
  it('other out-of-range hyperparameters, as PyTorch refuses them', () => {
    expect(() => new SGD([param()], { lr: 0.1, momentum: -0.5 })).toThrow(/momentum/);
    expect(() => new SGD([param()], { lr: 0.1, weightDecay: -1 })).toThrow(/weightDecay/);
    expect(() => new SGD([param()], { lr: 0.1, nesterov: true })).toThrow(/Nesterov momentum needs momentum > 0 and dampening 0/);
    expect(() => new SGD([param()], { lr: 0.1, nesterov: true, momentum: 0.9, dampening: 0.1 })).toThrow(/Nesterov/);
    expect(() => new Adam([param()], { betas: [1, 0.999] })).toThrow(/beta1.*\[0, 1\)/);
    expect(() => new Adam([param()], { betas: [0.9, -0.1] })).toThrow(/beta2/);
    expect(() => new AdamW([param()], { eps: -1 })).toThrow(/eps/);
    expect(() => new RMSprop([param()], { alpha: -0.1 })).toThrow(/alpha/);
    expect(() => new Adagrad([param()], { lrDecay: -0.1 })).toThrow(/lrDecay/);
    expect(() => new Adagrad([param()], { initialAccumulatorValue: -1 })).toThrow(/initialAccumulatorValue/);
  });
  it('an empty parameter list or group', () => {
    expect(() => new SGD([], { lr: 0.1 })).toThrow(/SGD: got an empty parameter list/);
    expect(() => new Adam([{ params: [] }])).toThrow(/group 0 has an empty parameter list/);
  });
  it('a parameter that does not require grad, a non-leaf, a duplicate, a non-tensor', () => {
    const frozen = tensor([1, 2, 3]);
    expect(() => new SGD([param(), frozen], { lr: 0.1 })).toThrow(AutogradError);
    expect(() => new SGD([param(), frozen], { lr: 0.1 })).toThrow(/parameter 1 of group 0 \(shape \[3\], float32\) does not require grad/);
    const p = param();
    expect(() => new SGD([p.mul(2)], { lr: 0.1 })).toThrow(/not a leaf/);
    expect(() => new SGD([{ params: [p] }, { params: [p] }], { lr: 0.1 })).toThrow(/more than once/);
    expect(() => new SGD([p, { params: [p] } as unknown as Tensor], { lr: 0.1 })).toThrow(TsgradError);
  });
  it('every refusal is a TsgradError', () => {
    try {
      new SGD([zeros([2])], { lr: 0.1 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TsgradError);
    }
  });
});
