import type { FusedParams, PrimitiveName, PrimitiveParams } from '../backend.js';
import type { DType } from '../dtype.js';
import { AutogradError, BackendError, DisposedError } from '../errors.js';
import { fmt, sameShape, sizeOf, type Shape } from '../shape.js';
import { Storage } from '../storage.js';
import { bytesPerElement } from '../dtype.js';
import { Tensor } from '../tensor.js';
import { unaryDefs } from '../ops/unary.js';
import { binaryDefs } from '../ops/binary.js';
import { reduceDefs } from '../ops/reduce.js';
import { movementDefs } from '../ops/movement.js';
import { linalgDefs } from '../ops/linalg.js';

/** Every op the engine records: the backend primitives plus core-only views. */
export interface OpParams extends PrimitiveParams, FusedParams {
  /** Same storage, new shape: no kernel. */
  reshape: { readonly shape: Shape };
}
export type OpName = keyof OpParams;

export interface OutInfo {
  readonly shape: Shape;
  readonly dtype: DType;
}

/** Vector-Jacobian product: the gradient for each input (null where it has none). */
export type VjpRule<K extends OpName> = (
  g: Tensor,
  inputs: readonly Tensor[],
  output: Tensor,
  params: OpParams[K],
) => readonly (Tensor | null)[];

/**
 * An op is a name with rules attached: shape/dtype inference (which validates the input) and a
 * vector-Jacobian product written in ops, or `null` for ops with no gradient (comparisons).
 */
export interface OpDef<K extends OpName> {
  infer(inputs: readonly Tensor[], params: OpParams[K]): OutInfo;
  vjp: VjpRule<K> | null;
  /** Overrides the backend kernel (reshape shares storage). */
  forward?: (inputs: readonly Tensor[], params: OpParams[K], out: OutInfo) => Storage;
}

/** The complete table: an op without a definition is a type error. */
export type OpDefs = { readonly [K in OpName]: OpDef<K> };

/** One recorded application of an op; graph capture and plotting read it as data. */
export interface GraphNode {
  readonly op: OpName;
  readonly inputs: readonly Tensor[];
  readonly params: unknown;
}

let defs: OpDefs | undefined;
/**
 * The table of every op's rules, assembled from the family files on first use. Built here (not
 * installed by a side-effect import) so no bundler can drop it.
 */
export function opTable(): OpDefs {
  return (defs ??= { ...unaryDefs, ...binaryDefs, ...reduceDefs, ...movementDefs, ...linalgDefs });
}

let gradEnabled = true;
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording the graph (PyTorch's torch.no_grad). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Runs `fn` with graph recording on, even inside noGrad. */
export function enableGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export function disposedInput(op: string, index: number, t: Tensor): DisposedError {
  return new DisposedError(
    `${op}: input ${index} (shape ${fmt(t.shape)}) has been disposed (by dispose() or an enclosing tidy()). ` +
      `Keep it alive with keep(t) or return it from the tidy() that made it.`,
  );
}

/** Applies one op: infer, run the kernel, record the node. The one path every op takes. */
export function apply<K extends OpName>(name: K, inputs: readonly Tensor[], params: OpParams[K]): Tensor {
  const def = (defs ?? opTable())[name] as OpDef<K>;
  const first = inputs[0];
  if (first.isDisposed) throw disposedInput(name, 0, first);
  const backend = first.backend;
  let needsGrad = false;
  for (let i = 0; i < inputs.length; i++) {
    const t = inputs[i];
    if (t.isDisposed) throw disposedInput(name, i, t);
    if (t.backend !== backend) {
      throw new BackendError(
        `${name}: input 0 is on backend "${backend.name}" but input ${i} is on "${t.backend.name}"; move one with .to("${backend.name}").`,
      );
    }
    if (t.requiresGrad) needsGrad = true;
  }
  const out = def.infer(inputs, params);
  let storage: Storage;
  if (def.forward) storage = def.forward(inputs, params, out);
  else {
    // Ops without a kernel of their own (reshape, linear) have a forward, so `name` is a primitive here.
    const kernel = backend.kernels[name as unknown as PrimitiveName] as unknown as (
      i: readonly Tensor[],
      p: OpParams[K],
      s: Shape,
      d: DType,
    ) => unknown;
    storage = new Storage(backend, kernel(inputs, params, out.shape, out.dtype), sizeOf(out.shape) * bytesPerElement(out.dtype));
  }
  const result = new Tensor(storage, out.shape, out.dtype);
  if (needsGrad && gradEnabled && def.vjp !== null) {
    result.requiresGrad = true;
    result.node = { op: name, inputs, params };
  }
  return result;
}

/** Tensors reachable from `roots` through recorded nodes, in topological order (inputs first). */
export function topoSort(roots: readonly Tensor[], stopAt?: ReadonlySet<Tensor>): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: [Tensor, number][] = [];
  for (const r of roots) {
    if (visited.has(r)) continue;
    visited.add(r);
    stack.push([r, 0]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [t, i] = top;
      const node = stopAt?.has(t) ? null : t.node;
      if (node && i < node.inputs.length) {
        top[1]++;
        const child = node.inputs[i];
        if (child.requiresGrad && !visited.has(child)) {
          visited.add(child);
          stack.push([child, 0]);
        }
      } else {
        stack.pop();
        order.push(t);
      }
    }
  }
  return order;
}

export interface GradOptions {
  /** Record the backward pass so the gradients can be differentiated again. */
  createGraph?: boolean;
  /** Compute gradients for these tensors only and stop propagating at them. */
  wrt?: readonly Tensor[];
}

/**
 * Reverse-mode sweep: gradients of sum(seed_i * root_i) for every tensor on the graph
 * (or only `wrt`). Rules run under noGrad unless `createGraph`.
 */
export function computeGrads(roots: readonly Tensor[], seeds: readonly Tensor[], options: GradOptions = {}): Map<Tensor, Tensor> {
  const stop = options.wrt ? new Set(options.wrt) : undefined;
  const order = topoSort(roots, stop);
  const grads = new Map<Tensor, Tensor>();
  const accumulate = (t: Tensor, g: Tensor) => {
    const prev = grads.get(t);
    grads.set(t, prev ? prev.add(g) : g);
  };
  const run = () => {
    for (let i = 0; i < roots.length; i++) accumulate(roots[i], seeds[i]);
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const node = t.node;
      const g = grads.get(t);
      if (!node || !g || stop?.has(t)) continue;
      const rule = opTable()[node.op].vjp as VjpRule<OpName>;
      const inputGrads = rule(g, node.inputs, t, node.params as never);
      for (let j = 0; j < node.inputs.length; j++) {
        const x = node.inputs[j];
        const gx = inputGrads[j];
        if (!x.requiresGrad || !gx) continue;
        if (!sameShape(gx.shape, x.shape)) {
          throw new AutogradError(
            `internal: the gradient rule of ${node.op} returned shape ${fmt(gx.shape)} for input ${j} of shape ${fmt(x.shape)}.`,
          );
        }
        accumulate(x, gx);
      }
    }
  };
  if (options.createGraph) enableGrad(run);
  else noGrad(run);
  return grads;
}
