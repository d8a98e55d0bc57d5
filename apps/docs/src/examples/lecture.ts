/**
 * The lecture's smaller ideas as live computations on the page's backend: a neuron, why a stack
 * of linear layers collapses, matrix shapes through a chain, backpropagation on
 * y* = w3·σ(w2·σ(w1·x+b1)+b2)+b3 checked against the chain rule, the gradient through a deep
 * stack with sigmoid against ReLU, and the two computational graphs at any inputs.
 * Every function returns plain numbers: its tensors are freed by tidy() before it returns.
 */
import { F, graphOf, manualSeed, matmul, nn, normal, ones, tensor, tidy, type ComputationGraph, type Tensor } from 'tsgrad';

const leaf = (value: number, name: string): Tensor => {
  const t = tensor(value, { requiresGrad: true });
  t.name = name;
  return t;
};
const named = (t: Tensor, name: string): Tensor => {
  t.name = name;
  return t;
};
const num = (t: Tensor): number => t.dataSync()[0]!;

// #region neuron
// --- 3. a neuron ------------------------------------------------------------------------------
export interface NeuronResult {
  /** The weighted sum z = w·x + b. */
  z: number;
  /** The unit step of z: the neuron fires (1) past the threshold. */
  step: number;
  /** The logistic sigmoid of z: the smooth version a network trains with. */
  sigmoid: number;
}

/** One neuron: z = Σ wᵢxᵢ + b, then an activation. */
export function neuron(x: number[], w: number[], b: number): NeuronResult {
  return tidy(() => {
    const z = tensor(x).mul(tensor(w)).sum().add(b);
    return { z: num(z), step: num(F.unitStep(z)), sigmoid: num(F.sigmoid(z)) };
  });
}

// #endregion neuron
// #region collapse
// --- 4. a stack without activations is one linear map -----------------------------------------
export interface CollapseResult {
  /** Largest |difference| between the 3-layer stack and the single map W = W3·W2·W1, b = W3(W2·b1 + b2) + b3. */
  linearGap: number;
  /** The same comparison with ReLU between the layers: no single linear map reproduces it. */
  reluGap: number;
  /** The collapsed map's shape. */
  shape: number[];
}

export function collapse(seed = 0): CollapseResult {
  return tidy(() => {
    manualSeed(seed);
    const l1 = new nn.Linear(3, 8);
    const l2 = new nn.Linear(8, 8);
    const l3 = new nn.Linear(8, 2);
    const x = normal([64, 3]);
    const stack = l3.call(l2.call(l1.call(x)));
    // W = W3·W2·W1 and b = W3·(W2·b1 + b2) + b3, computed from the layers' own parameters.
    const W = matmul(l3.weight, matmul(l2.weight, l1.weight));
    const b = matmul(l3.weight, matmul(l2.weight, l1.bias!.reshape([8, 1])).add(l2.bias!.reshape([8, 1]))).reshape([2]).add(l3.bias!);
    const single = matmul(x, W, { transposeB: true }).add(b);
    const withRelu = l3.call(l2.call(l1.call(x).relu()).relu());
    const gap = (a: Tensor, c: Tensor) => num(a.sub(c).abs().max());
    const result = { linearGap: gap(stack, single), reluGap: gap(withRelu, single), shape: [...W.shape] };
    for (const p of [...l1.parameters(), ...l2.parameters(), ...l3.parameters()]) p.dispose();
    return result;
  });
}

// #endregion collapse
// #region shapes
// --- 6. matrix shapes ---------------------------------------------------------------------------
export interface ShapeStep {
  /** e.g. "[3, 4] · [4, 4]" */
  product: string;
  shape: number[];
}

/**
 * Multiplies a chain of matrices of the given shapes (as the lecture's 3x4 · 4x4 · 4x2) and
 * reports each intermediate shape; a mismatch throws tsgrad's ShapeError, whose message is shown.
 */
export function chainShapes(shapes: [number, number][]): { steps: ShapeStep[]; error: string | null } {
  const steps: ShapeStep[] = [];
  try {
    tidy(() => {
      let acc = ones(shapes[0]!);
      for (const s of shapes.slice(1)) {
        const next = ones(s);
        const product = `[${acc.shape.join(', ')}] · [${s.join(', ')}]`;
        acc = matmul(acc, next);
        steps.push({ product, shape: [...acc.shape] });
      }
    });
    return { steps, error: null };
  } catch (e) {
    return { steps, error: (e as Error).message };
  }
}

// #endregion shapes
// #region backprop
// --- 7. backpropagation on y* = w3·σ(w2·σ(w1·x+b1)+b2)+b3 -----------------------------------------
export interface BackpropInputs {
  x: number;
  y: number;
  w1: number;
  b1: number;
  w2: number;
  b2: number;
  w3: number;
  b3: number;
}

export interface BackpropResult {
  yStar: number;
  loss: number;
  h1: number;
  h2: number;
  /** ∂loss/∂p from autograd, for p in w1, b1, w2, b2, w3, b3. */
  autograd: Record<'w1' | 'b1' | 'w2' | 'b2' | 'w3' | 'b3', number>;
  /** The same six written out with the chain rule in plain arithmetic. */
  chainRule: Record<'w1' | 'b1' | 'w2' | 'b2' | 'w3' | 'b3', number>;
}

/** The lecture's loss = y* - y, differentiated by autograd and by the chain rule by hand. */
export function backprop(p: BackpropInputs): BackpropResult {
  const auto = tidy(() => {
    const w1 = leaf(p.w1, 'w1'), b1 = leaf(p.b1, 'b1'), w2 = leaf(p.w2, 'w2'), b2 = leaf(p.b2, 'b2'), w3 = leaf(p.w3, 'w3'), b3 = leaf(p.b3, 'b3');
    const h1 = F.sigmoid(w1.mul(p.x).add(b1));
    const h2 = F.sigmoid(w2.mul(h1).add(b2));
    const yStar = w3.mul(h2).add(b3);
    const loss = yStar.sub(p.y);
    loss.backward();
    const g = (t: Tensor) => num(t.grad!);
    return {
      yStar: num(yStar), loss: num(loss), h1: num(h1), h2: num(h2),
      autograd: { w1: g(w1), b1: g(b1), w2: g(w2), b2: g(b2), w3: g(w3), b3: g(b3) },
    };
  });
  // By hand: σ' = σ(1 - σ); each gradient is the product of the local gradients on its path.
  const s = (z: number) => 1 / (1 + Math.exp(-z));
  const h1 = s(p.w1 * p.x + p.b1);
  const h2 = s(p.w2 * h1 + p.b2);
  const dh2 = p.w3; // ∂loss/∂h2
  const dz2 = dh2 * h2 * (1 - h2); // ∂loss/∂(w2·h1 + b2)
  const dh1 = dz2 * p.w2;
  const dz1 = dh1 * h1 * (1 - h1);
  const chainRule = { w3: h2, b3: 1, w2: dz2 * h1, b2: dz2, w1: dz1 * p.x, b1: dz1 };
  return { ...auto, chainRule };
}

// #endregion backprop
// #region flow
/**
 * The gradient reaching each layer of a deep stack: `depth` layers h ← act(h·Wᵀ) of width `width`, with
 * sigmoid or ReLU between them (no bias), one backward pass of sum(output); returns ‖∂out/∂Wₗ‖ per layer,
 * first layer first. Sigmoid's derivative is at most 1/4, so the norm shrinks layer by layer.
 */
export function gradientFlow(activation: 'sigmoid' | 'relu', depth = 10, width = 32, seed = 0): number[] {
  return tidy(() => {
    manualSeed(seed);
    // He initialisation, N(0, 2/width), for both: the fair start for ReLU, so any fading is the
    // activation's doing, not the initialisation's.
    const weights = Array.from({ length: depth }, () => normal([width, width], { std: Math.sqrt(2 / width) }).requiresGrad_());
    let h = normal([16, width]);
    for (const w of weights) {
      const z = matmul(h, w, { transposeB: true });
      h = activation === 'sigmoid' ? F.sigmoid(z) : F.relu(z);
    }
    h.sum().backward();
    return weights.map((w) => Math.sqrt(num(w.grad!.square().sum())));
  });
}
// #endregion flow
// --- 8 and 9. the computational graphs at any inputs --------------------------------------------
export interface GraphValues {
  /** Each named node's forward value. */
  values: Record<string, number>;
  /** ∂f/∂node for each named node. */
  grads: Record<string, number>;
  graph: ComputationGraph;
}

function readGraph(f: Tensor, nodes: Tensor[]): GraphValues {
  f.backward();
  const values: Record<string, number> = {};
  const grads: Record<string, number> = {};
  for (const n of nodes) {
    values[n.name!] = num(n);
    // Intermediate nodes keep their gradient (retainGrad) so every node shows one.
    grads[n.name!] = n.grad ? num(n.grad) : n === f ? 1 : NaN;
  }
  return { values, grads, graph: graphOf(f) };
}

// #region addition
/** f = (x + y)·z (cs231n lecture 4): at x=-2, y=5, z=-4, q = 3, f = -12, ∂f/∂x = ∂f/∂y = -4, ∂f/∂z = 3. */
export function additionGraph(x: number, y: number, z: number): GraphValues {
  return tidy(() => {
    const tx = leaf(x, 'x'), ty = leaf(y, 'y'), tz = leaf(z, 'z');
    const q = named(tx.add(ty), 'q').retainGrad();
    const f = named(q.mul(tz), 'f');
    return readGraph(f, [tx, ty, tz, q, f]);
  });
}

// #endregion addition
// #region gate
/** The sigmoid gate f = 1/(1 + e^-(w0·x0 + w1·x1 + w2)), gate by gate as on the slide. */
export function sigmoidGate(w0: number, x0: number, w1: number, x1: number, w2: number): GraphValues {
  return tidy(() => {
    const tw0 = leaf(w0, 'w0'), tx0 = leaf(x0, 'x0'), tw1 = leaf(w1, 'w1'), tx1 = leaf(x1, 'x1'), tw2 = leaf(w2, 'w2');
    const dot = named(tw0.mul(tx0).add(tw1.mul(tx1)).add(tw2), 'w·x+b').retainGrad();
    const neg = named(dot.mul(-1), '*-1').retainGrad();
    const exp = named(neg.exp(), 'exp').retainGrad();
    const plus = named(exp.add(1), '+1').retainGrad();
    const f = named(plus.pow(-1), '1/x');
    return readGraph(f, [tw0, tx0, tw1, tx1, tw2, dot, neg, exp, plus, f]);
  });
}
// #endregion gate
