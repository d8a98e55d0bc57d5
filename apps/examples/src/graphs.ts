/**
 * The lecture's two computational graphs as tsgrad tensors: f = (x + y)·z (cs231n lecture 4) and
 * the sigmoid gate. graphOf(f) records every node's value and gradient. Browser-safe (no Node
 * imports): the backprop example builds its graphs here.
 */
import { graphOf, tensor, type ComputationGraph, type DType, type Tensor } from 'tsgrad';

export const ADDITION_TITLE = 'f(x, y, z) = (x + y)·z at x=-2, y=5, z=-4';
export const SIGMOID_TITLE = 'f(w, x) = 1 / (1 + e^-(w0·x0 + w1·x1 + w2)) at w0=2, x0=-1, w1=-3, x1=-2, w2=-3';

export interface LectureGraph {
  output: Tensor;
  graph: ComputationGraph;
}

const named = (t: Tensor, name: string): Tensor => {
  t.name = name;
  return t;
};

/** f = (x + y)·z at x=-2, y=5, z=-4: f = -12; df/dz = q = 3, df/dx = df/dy = df/dq = z = -4. */
export function additionGraph(dtype: DType = 'float64'): LectureGraph {
  const leaf = (name: string, value: number) => named(tensor(value, { dtype, requiresGrad: true }), name);
  const x = leaf('x', -2);
  const y = leaf('y', 5);
  const z = leaf('z', -4);
  const q = named(x.add(y), 'q');
  const f = named(q.mul(z), 'f');
  return { output: f, graph: graphOf(f) };
}

/** The sigmoid gate at w0=2, x0=-1, w1=-3, x1=-2, w2=-3: σ(1) ≈ 0.73. */
export function sigmoidGate(dtype: DType = 'float64'): LectureGraph {
  const leaf = (name: string, value: number) => named(tensor(value, { dtype, requiresGrad: true }), name);
  const w0 = leaf('w0', 2);
  const x0 = leaf('x0', -1);
  const w1 = leaf('w1', -3);
  const x1 = leaf('x1', -2);
  const w2 = leaf('w2', -3);
  // The gates of the slide, each node named as it is drawn there: a·x, c + x, e^x, 1/x.
  const a0 = named(w0.mul(x0), 'w0·x0');
  const a1 = named(w1.mul(x1), 'w1·x1');
  const s01 = named(a0.add(a1), 'w0·x0 + w1·x1');
  const dot = named(s01.add(w2), 'w·x');
  const negated = named(dot.neg(), '-w·x');
  const e = named(negated.exp(), 'e^(-w·x)');
  const denominator = named(e.add(1), '1 + e^(-w·x)');
  const f = named(denominator.pow(-1), 'f = 1/(1 + e^(-w·x))');
  return { output: f, graph: graphOf(f) };
}
