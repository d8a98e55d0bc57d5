// The site's lecture computations (src/examples/lecture.ts) on the CPU backend in float32: the
// numbers each chapter prints. Sources: cs231n lecture 4 (f = (x+y)·z at -2, 5, -4; the sigmoid
// gate at w0=2, x0=-1, w1=-3, x1=-2, w2=-3) as the lecture copies them; the maths otherwise.
import { describe, expect, it } from 'vitest';
import { additionGraph, backprop, chainShapes, collapse, gradientFlow, neuron, sigmoidGate } from '../src/examples/lecture.js';

describe("the lecture's computations as the site runs them", () => {
  it('f = (x + y)·z at x=-2, y=5, z=-4: q = 3, f = -12, ∂f/∂x = ∂f/∂y = -4, ∂f/∂z = 3', () => {
    const g = additionGraph(-2, 5, -4);
    expect(g.values).toEqual({ x: -2, y: 5, z: -4, q: 3, f: -12 });
    expect(g.grads).toEqual({ x: -4, y: -4, z: 3, q: -4, f: 1 });
    // Another point, from the same rule: ∂f/∂x = z, ∂f/∂z = x + y.
    expect(additionGraph(1, 2, 3).grads).toMatchObject({ x: 3, y: 3, z: 3 });
  });

  it('the sigmoid gate: σ(1) ≈ 0.73 and the gradients w0 -0.20, x0 0.39, w1 -0.39, x1 -0.59, w2 0.20', () => {
    const g = sigmoidGate(2, -1, -3, -2, -3);
    const s = 1 / (1 + Math.exp(-1));
    expect(g.values['1/x']).toBeCloseTo(s, 6);
    expect(g.values['w·x+b']).toBe(1);
    // ∂f/∂(w·x+b) = σ(1)(1 − σ(1)); each input's gradient is that times the other factor.
    const d = s * (1 - s);
    expect(g.grads['w·x+b']).toBeCloseTo(d, 6);
    for (const [k, other] of [['w0', -1], ['x0', 2], ['w1', -2], ['x1', -3], ['w2', 1]] as const) expect(g.grads[k]).toBeCloseTo(d * other, 6);
    expect(['w0', 'x0', 'w1', 'x1', 'w2'].map((k) => g.grads[k]!.toFixed(2))).toEqual(['-0.20', '0.39', '-0.39', '-0.59', '0.20']);
    // The local gradients of the slide: 1/x → -1/x², e^x → e^x.
    expect(g.grads['+1']).toBeCloseTo(-1 / g.values['+1']! ** 2, 6);
    expect(g.grads['*-1']).toBeCloseTo(g.grads['exp']! * g.values['exp']!, 6);
  });

  it('a neuron: z = w·x + b, the step at 0 is 0.5', () => {
    const r = neuron([1, 0.5, -1], [0.8, -0.4, 0.3], -0.2);
    expect(r.z).toBeCloseTo(0.8 - 0.2 - 0.3 - 0.2, 6);
    expect(r.step).toBe(1);
    expect(r.sigmoid).toBeCloseTo(1 / (1 + Math.exp(-0.1)), 6);
    expect(neuron([1], [1], -1).step).toBe(0.5);
  });

  it('three linear layers are one linear map; with ReLU they are not', () => {
    const r = collapse(0);
    expect(r.shape).toEqual([2, 3]);
    expect(r.linearGap).toBeLessThan(1e-5); // float32 rounding
    expect(r.reluGap).toBeGreaterThan(1e-2);
  });

  it('shapes through the chain 3x4 · 4x4 · 4x2, and the ShapeError of a mismatch', () => {
    expect(chainShapes([[3, 4], [4, 4], [4, 2]])).toEqual({ steps: [{ product: '[3, 4] · [4, 4]', shape: [3, 4] }, { product: '[3, 4] · [4, 2]', shape: [3, 2] }], error: null });
    const bad = chainShapes([[3, 4], [3, 2]]);
    expect(bad.steps).toEqual([]);
    expect(bad.error).toMatch(/matmul/);
  });

  it('backpropagation through y* = w3·σ(w2·σ(w1·x+b1)+b2)+b3: autograd equals the chain rule', () => {
    const r = backprop({ x: 1, y: 0.5, w1: 0.5, b1: 0.1, w2: -1.2, b2: 0.3, w3: 2, b3: -0.5 });
    expect(r.autograd.b3).toBe(1); // d loss/d b3 = 1, as the lecture says
    expect(r.autograd.w3).toBeCloseTo(r.h2, 6); // d loss/d w3 = σ(w2·σ(w1·x+b1)+b2)
    for (const k of ['w1', 'b1', 'w2', 'b2', 'w3', 'b3'] as const) expect(r.autograd[k]).toBeCloseTo(r.chainRule[k], 6);
  });

  it('the gradient fades through a deep sigmoid stack and not through ReLU', () => {
    const sigmoid = gradientFlow('sigmoid', 10);
    const relu = gradientFlow('relu', 10);
    // σ' ≤ 1/4 at every layer: the first layer gets orders of magnitude less than the last.
    expect(sigmoid[0]! / sigmoid[9]!).toBeLessThan(1e-3);
    expect(relu[0]! / relu[9]!).toBeGreaterThan(1e-2);
  });
});

describe('the practice program the site runs (apps/examples/src/regression-setup.ts)', () => {
  it('starts near 600 and falls below 100 in the full 5000 epochs (seed 0, CPU backend)', async () => {
    const { setupRegression } = await import('../../examples/src/regression-setup.js');
    const run = setupRegression({ lr: 0.001, seed: 0 });
    const losses: number[] = [];
    for (let epoch = 1; epoch <= 5000; epoch++) losses.push(run.step());
    for (const t of [run.x, run.y, ...run.model.parameters()]) t.dispose();
    console.log(`practice program, 5000 epochs on cpu: L1 loss ${losses[0]} -> ${losses[4999]}`);
    // What chapter 10 says, in both languages.
    expect(losses[0]).toBeGreaterThan(550);
    expect(losses[0]).toBeLessThan(650);
    expect(losses[4999]).toBeLessThan(100);
  }, 120_000);
});

describe('the hard cases the site trains (src/examples/classifiers.ts)', () => {
  it('three modes: the linear classifier lands below chance after the page\'s 200 epochs, the MLP does not', async () => {
    const { trainClassifier } = await import('../src/examples/classifiers.js');
    const linear = await trainClassifier('threeModes', 'linear', { epochs: 200 });
    const mlp = await trainClassifier('threeModes', 'mlp', { epochs: 200 });
    // Balanced classes, so chance is 50%; chapter 2 quotes this run's 37% and explains it.
    console.log(`three modes, 200 epochs on cpu: linear ${linear.testAccuracy}, MLP ${mlp.testAccuracy}`);
    expect(linear.testAccuracy).toBeLessThan(0.45);
    expect(mlp.testAccuracy).toBeGreaterThan(0.95);
    // Every surface shares one colour scale, P(class 1) from 0 to 1.
    const layer = (linear.spec as { layer: { encoding: { color: { scale: unknown } } }[] }).layer[0]!;
    expect(layer.encoding.color.scale).toEqual({ scheme: 'viridis', domain: [0, 1] });
  }, 120_000);
});
