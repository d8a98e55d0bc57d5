import type { FusedParams, KernelInput, PrimitiveName, PrimitiveParams } from '../backend.js';
import type { DType } from '../dtype.js';
import { AutogradError, BackendError, DisposedError, ValueError } from '../errors.js';
import { fmt, sameShape, sizeOf, type Shape } from '../shape.js';
import { Storage } from '../storage.js';
import { Tensor } from '../tensor.js';
import { checkScopeFn, DISPOSED_BY, KEEP_ALIVE, refuseAsync, tidy, type NotAsync } from '../memory.js';
import { bytesPerElement, typedArrayFor } from '../dtype.js';
import { unaryDefs } from '../ops/unary.js';
import { binaryDefs } from '../ops/binary.js';
import { reduceDefs } from '../ops/reduce.js';
import { movementDefs } from '../ops/movement.js';
import { linalgDefs } from '../ops/linalg.js';
import { checkStorageDTypes, STORAGE_DTYPE_OPS } from '../ops/dtype-support.js';
import type { Saves } from './saves.js';
import { materializeHandle, normalizeLayout, storageElements, type Layout } from '../view.js';

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

export { SAVES_NOTHING, SAVES_OUTPUT, savesInputs, type Saves } from './saves.js';

interface OpRules<K extends OpName> {
  infer(inputs: readonly Tensor[], params: OpParams[K]): OutInfo;
  /**
   * A view op: the layout of the result in input 0's storage (no kernel, no copy), or null where
   * none shows it (reshape of some views), and then `forward` or the kernel runs.
   */
  view?: (x: Tensor, params: OpParams[K], out: OutInfo) => Layout | null;
  /** Overrides the backend kernel (reshape's copy, linear's fused kernel). */
  forward?: (inputs: readonly Tensor[], params: OpParams[K], out: OutInfo) => Storage;
}

/**
 * An op is a name with rules attached: shape/dtype inference (which validates the input) and a
 * vector-Jacobian product written in ops with what it saves, or `vjp: null` for ops with no
 * gradient (comparisons). A rule without its `saves` declaration does not compile.
 */
export type OpDef<K extends OpName> = OpRules<K> & ({ vjp: VjpRule<K>; saves: Saves } | { vjp: null; saves?: undefined });

/**
 * The complete table: an op without a definition is a type error, and so is an op that no backend
 * runs as a primitive (reshape, the fused linear) declared without its `forward`.
 */
export type OpDefs = {
  readonly [K in OpName]: K extends PrimitiveName ? OpDef<K> : OpDef<K> & { readonly forward: NonNullable<OpRules<K>['forward']> };
};

/** One recorded application of an op; graph capture and plotting read it as data. */
export interface GraphNode {
  readonly op: OpName;
  readonly inputs: readonly Tensor[];
  readonly params: unknown;
  /** Each input's `version` when the op ran: backward() refuses inputs changed in place since. */
  readonly versions: readonly number[];
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

/**
 * Runs `fn` without recording the graph (PyTorch's torch.no_grad).
 * @throws AutogradError when `fn` is async: the mode would end at its first await.
 */
export function noGrad<T>(fn: () => NotAsync<T>): T {
  return withGradMode<T>('noGrad', false, fn as () => T);
}

/**
 * Runs `fn` with graph recording on, even inside noGrad.
 * @throws AutogradError when `fn` is async.
 */
export function enableGrad<T>(fn: () => NotAsync<T>): T {
  return withGradMode<T>('enableGrad', true, fn as () => T);
}

function withGradMode<T>(api: string, enabled: boolean, fn: () => T): T {
  checkScopeFn(api, fn);
  const prev = gradEnabled;
  gradEnabled = enabled;
  let result: T;
  try {
    result = fn();
  } finally {
    gradEnabled = prev;
  }
  refuseAsync(api, fn, result);
  return result;
}

export function disposedInput(op: string, index: number, t: Tensor): DisposedError {
  return new DisposedError(
    `${op}: input ${index} (shape ${fmt(t.shape)}) has been disposed ${DISPOSED_BY}. ${KEEP_ALIVE}`,
  );
}

function notATensor(op: string, index: number, v: unknown): ValueError {
  const what = v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? JSON.stringify(v) : typeof v;
  return new ValueError(`${op}: input ${index} must be a Tensor, got ${what}; make one with tensor(...).`);
}

/** Applies one op: infer, run the kernel, record the node. The one path every op takes. */
export function apply<K extends OpName>(name: K, inputs: readonly Tensor[], params: OpParams[K]): Tensor {
  const def = (defs ?? opTable())[name] as OpDef<K>;
  const first = inputs[0];
  // A non-tensor argument (a string, null...) must not surface as a TypeError from a kernel.
  if (!(first instanceof Tensor)) throw notATensor(name, 0, first);
  if (first.isDisposed) throw disposedInput(name, 0, first);
  const backend = first.backend;
  let needsGrad = false;
  for (let i = 0; i < inputs.length; i++) {
    const t = inputs[i];
    if (!(t instanceof Tensor)) throw notATensor(name, i, t);
    if (t.isDisposed) throw disposedInput(name, i, t);
    if (t.backend !== backend) {
      throw new BackendError(
        `${name}: input 0 is on backend "${backend.name}" but input ${i} is on "${t.backend.name}"; move one with .to("${backend.name}").`,
      );
    }
    if (t.requiresGrad) needsGrad = true;
  }
  checkStorageDTypes(name, inputs, STORAGE_DTYPE_OPS[name]);
  const out = def.infer(inputs, params);
  let storage: Storage | undefined;
  let layout: Layout | null = null;
  const view = def.view?.(first, params, out);
  if (view) {
    // Metadata only: the result shares input 0's storage.
    storage = first.storage.retain();
    layout = normalizeLayout(out.shape, view, storageElements(storage, out.dtype));
  } else if (def.forward) storage = def.forward(inputs, params, out);
  else {
    // Ops without a kernel of their own (reshape, linear) have a forward, so `name` is a primitive here.
    const kernel = backend.kernels[name as unknown as PrimitiveName] as unknown as (
      i: readonly KernelInput<unknown>[],
      p: OpParams[K],
      s: Shape,
      d: DType,
    ) => unknown;
    const strided = backend.readsStrided?.[name as unknown as PrimitiveName] === true;
    const handle = strided ? kernel(inputs, params, out.shape, out.dtype) : withRowMajor(inputs, (rowMajor) => kernel(rowMajor, params, out.shape, out.dtype));
    storage = new Storage(backend, handle, sizeOf(out.shape) * bytesPerElement(out.dtype));
  }
  const result = new Tensor(storage, out.shape, out.dtype, layout, view !== undefined && view !== null);
  if (needsGrad && gradEnabled && def.vjp !== null) {
    result.requiresGrad = true;
    result.node = { op: name, inputs, params, versions: inputs.map((t) => t.version) };
  }
  return result;
}

/**
 * Runs `kernel` on the inputs laid out row-major over their whole storage, as kernels read them:
 * each view among them is materialised by the backend's `contiguous` copy first, and that copy is
 * freed once the kernel returns. Contiguous inputs pass as they are (no copy).
 */
export function withRowMajor<T>(inputs: readonly Tensor[], kernel: (inputs: readonly KernelInput<unknown>[]) => T): T {
  // An optional input (linear's bias) may be absent.
  if (inputs.every((t) => t === undefined || t.layout === null)) return kernel(inputs);
  const copies: KernelInput<unknown>[] = inputs.slice();
  try {
    for (let i = 0; i < inputs.length; i++) {
      const t = inputs[i];
      if (t !== undefined && t.layout !== null) copies[i] = { handle: materializeHandle(t.storage, t.dtype, t.shape, t.layout), shape: t.shape, dtype: t.dtype };
    }
    return kernel(copies);
  } finally {
    for (let i = 0; i < copies.length; i++) if (copies[i] !== inputs[i]) inputs[i].backend.dispose(copies[i].handle);
  }
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
  /**
   * Give every leaf the sweep reaches a gradient, zeros where every path has a zero derivative
   * (sign, floor, comparisons through where): what PyTorch's backward() leaves in `.grad`.
   */
  zerosForReachedLeaves?: boolean;
  /**
   * Dispose each intermediate gradient once its rule has consumed it (and each rule's
   * temporaries): the returned map then holds only leaves, tensors that called retainGrad() and
   * `wrt`. Ignored with `createGraph`, whose gradients are part of a graph.
   */
  freeIntermediate?: boolean;
}

/** The error for a saved tensor changed in place between the forward pass and backward(). */
function checkVersions(t: Tensor, node: GraphNode): void {
  const saves = opTable()[node.op].saves;
  if (saves === undefined) return;
  const changed = (x: Tensor, saved: number, what: string) =>
    new AutogradError(
      `backward: ${what} of ${node.op} (${x.name ? `"${x.name}", ` : ''}shape ${fmt(x.shape)}) was modified by an in-place operation ` +
        `(assign, an optimizer step...) after ${node.op} saved it for the gradient: its version is ${x.version}, ${node.op} saved version ${saved}. ` +
        `Call backward() before changing it (loss.backward() before optimizer.step()), or compute the forward pass again after the change.`,
    );
  for (const j of saves.inputs) {
    const x = node.inputs[j];
    // An optional input (linear's bias) may be absent.
    if (x !== undefined && x.version !== node.versions[j]) throw changed(x, node.versions[j], `input ${j}`);
  }
  if (saves.output && t.version !== 0) throw changed(t, 0, 'the output');
}

/**
 * Reverse-mode sweep: gradients of sum(seed_i * root_i) for every tensor on the graph
 * (or only `wrt`). Rules run under noGrad unless `createGraph`.
 */
export function computeGrads(roots: readonly Tensor[], seeds: readonly Tensor[], options: GradOptions = {}): Map<Tensor, Tensor> {
  const stop = options.wrt ? new Set(options.wrt) : undefined;
  const order = topoSort(roots, stop);
  const grads = new Map<Tensor, Tensor>();
  // Freeing as the sweep goes (PyTorch's engine does the same): an intermediate tensor's gradient
  // is disposed once its rule has run, and each rule's temporaries when it returns. A gradient
  // can sit in several entries (add passes g through to both inputs), so entries are counted.
  const free = options.freeIntermediate === true && !options.createGraph;
  const callerOwned = new Set(seeds);
  const uses = new Map<Tensor, number>();
  const hold = (g: Tensor) => void uses.set(g, (uses.get(g) ?? 0) + 1);
  const letGo = (g: Tensor) => {
    const n = (uses.get(g) ?? 0) - 1;
    if (n > 0) return void uses.set(g, n);
    uses.delete(g);
    if (free && !callerOwned.has(g)) g.dispose();
  };
  const accumulate = (t: Tensor, g: Tensor) => {
    const prev = grads.get(t);
    if (prev === undefined) {
      grads.set(t, g);
      hold(g);
      return;
    }
    const sum = prev.add(g);
    grads.set(t, sum);
    hold(sum);
    letGo(prev);
    if (!uses.has(g) && free && !callerOwned.has(g)) g.dispose();
  };
  const hooked = (t: Tensor, g: Tensor): Tensor => {
    const h = t.runGradHooks(g);
    if (h === g) return g;
    // A view of the hook's tensor: freeing intermediate gradients must never free a tensor the caller holds.
    const own = options.createGraph ? h.reshape([...h.shape]) : h.detach();
    grads.set(t, own);
    hold(own);
    letGo(g);
    return own;
  };
  const needed = (t: Tensor) => t.node === null || t.retainsGrad || stop?.has(t) === true;
  const run = () => {
    for (let i = 0; i < roots.length; i++) accumulate(roots[i], seeds[i]);
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const node = t.node;
      let g = grads.get(t);
      // The gradient is complete when the sweep reaches t: registerHook()'s hooks may replace it.
      if (g && t.hasGradHooks) g = hooked(t, g);
      if (!node || !g || stop?.has(t)) continue;
      checkVersions(t, node);
      const rule = opTable()[node.op].vjp as VjpRule<OpName>;
      const call = () => rule(g, node.inputs, t, node.params as never);
      const inputGrads = free ? tidy(call) : call();
      for (let j = 0; j < node.inputs.length; j++) {
        const x = node.inputs[j];
        const gx = inputGrads[j];
        if (!x.requiresGrad || !gx) {
          if (gx && free && !uses.has(gx) && gx !== g && !callerOwned.has(gx)) gx.dispose();
          continue;
        }
        if (!sameShape(gx.shape, x.shape)) {
          throw new AutogradError(
            `internal: the gradient rule of ${node.op} returned shape ${fmt(gx.shape)} for input ${j} of shape ${fmt(x.shape)}.`,
          );
        }
        accumulate(x, gx);
      }
      if (free && !needed(t)) {
        grads.delete(t);
        letGo(g);
      }
    }
  };
  if (options.createGraph) enableGrad(run);
  else noGrad(run);
  if (options.zerosForReachedLeaves) {
    for (const t of order) if (t.node === null && !grads.has(t)) grads.set(t, zerosLike(t));
  }
  return grads;
}

/** Fresh zeros shaped, typed and placed like `t` (not `t.mul(0)`, which is NaN where t is ±Infinity). */
export function zerosLike(t: Tensor): Tensor {
  return Tensor.fromValues(typedArrayFor(t.dtype, t.size), t.shape, t.dtype, t.backend);
}
