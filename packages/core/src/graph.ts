import { computeGrads, topoSort } from './autograd/engine.js';
import { filledArray } from './convert.js';
import { ValueError } from './errors.js';
import { Tensor as TensorClass } from './tensor.js';
import type { Tensor } from './tensor.js';

/** A recorded computation as plain data: for drawing, printing and inspection. */
export interface ComputationGraph {
  nodes: GraphNodeInfo[];
  edges: { from: string; to: string }[];
}
export interface GraphNodeInfo {
  id: string;
  /** The op that produced it, or "input" for a leaf. */
  op: string;
  /** The tensor's name when it has one. */
  label?: string;
  shape: number[];
  /** Forward values, row-major (up to `maxValues`). */
  value: number[];
  /** d root / d this node, when the root is a one-element tensor that requires grad. */
  grad: number[] | null;
}

/** The graph that produced `root`, leaves to root, with every node's value and gradient. */
export function graphOf(root: Tensor, options: { maxValues?: number } = {}): ComputationGraph {
  if (!(root instanceof TensorClass)) throw new ValueError(`graphOf: root must be a Tensor, got ${root === null ? 'null' : typeof root}.`);
  const max = options.maxValues ?? 16;
  const read = (t: Tensor | null) => (t && !t.isDisposed ? Array.from(t.dataSync().slice(0, max), Number) : null);
  const order = topoSort([root]);
  let grads = new Map<Tensor, Tensor>();
  if (root.requiresGrad && root.size === 1) {
    const seed = TensorClass.fromValues(filledArray(root.dtype, 1, 1), root.shape, root.dtype, root.backend);
    grads = computeGrads([root], [seed]);
  }
  const nodes: GraphNodeInfo[] = order.map((t) => ({
    id: `t${t.id}`,
    op: t.node ? t.node.op : 'input',
    ...(t.name !== undefined ? { label: t.name } : {}),
    shape: [...t.shape],
    value: read(t) ?? [],
    grad: read(grads.get(t) ?? null),
  }));
  const onGraph = new Set(order);
  const edges = order.flatMap((t) => (t.node ? t.node.inputs.filter((x) => onGraph.has(x)).map((x) => ({ from: `t${x.id}`, to: `t${t.id}` })) : []));
  return { nodes, edges };
}
