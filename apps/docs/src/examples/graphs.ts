/**
 * The lecture's two computational graphs, built with tsgrad tensors on the page's backend:
 * f = (x + y)·z (cs231n lecture 4) and the sigmoid gate. graphOf(f) runs backward from f and
 * records every node's value and gradient; @tsgrad/plot's graph window draws it with Graphviz
 * (WebAssembly, bundled into the page).
 */
import { graphOf, tensor, type ComputationGraph, type Tensor } from 'tsgrad';
import { graphToSvg, graphWindow } from '@tsgrad/plot/browser';

const leaf = (name: string, value: number): Tensor => {
  const t = tensor(value, { requiresGrad: true });
  t.name = name;
  return t;
};
const named = (t: Tensor, name: string): Tensor => {
  t.name = name;
  return t;
};

export const ADDITION_TITLE = 'f(x, y, z) = (x + y)·z at x=-2, y=5, z=-4';
export const SIGMOID_TITLE = 'f(w, x) = 1 / (1 + e^-(w0·x0 + w1·x1 + w2)) at w0=2, x0=-1, w1=-3, x1=-2, w2=-3';

export function additionGraph(): ComputationGraph {
  const x = leaf('x', -2);
  const y = leaf('y', 5);
  const z = leaf('z', -4);
  const q = named(x.add(y), 'q'); // q = 3
  const f = named(q.mul(z), 'f'); // f = -12; df/dz = q = 3, df/dq = z = -4, df/dx = df/dy = -4
  return graphOf(f);
}

export function sigmoidGate(): ComputationGraph {
  const w0 = leaf('w0', 2);
  const x0 = leaf('x0', -1);
  const w1 = leaf('w1', -3);
  const x1 = leaf('x1', -2);
  const w2 = leaf('w2', -3);
  // The gates of the slide: a·x, c + x, e^x, 1/x; the output is σ(1) ≈ 0.73.
  const dot = named(w0.mul(x0).add(w1.mul(x1)).add(w2), 'w·x');
  const f = named(dot.neg().exp().add(1).pow(-1), 'σ');
  return graphOf(f);
}

/** The graph window's SVG: each node with its value (green) and gradient (red). */
export async function drawGraph(graph: ComputationGraph, title: string): Promise<string> {
  const window = graphWindow(graph, { title });
  return graphToSvg(window.graph!, { title });
}
