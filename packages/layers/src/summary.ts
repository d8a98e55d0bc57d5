import { Tensor, ValueError, assertTensor, isFloat, noGrad, tidy, zeros, type DType, type RemovableHandle } from '@tsgrad/core';
import { Module, type AnyModule } from './module.js';

/** One row of a {@link ModelSummary}: a module of the tree. */
export interface SummaryRow {
  /** Dotted name in the model ("" for the model itself, "features.0"). */
  readonly name: string;
  /** The name under its parent ("0", "fc1"; "" for the model). */
  readonly localName: string;
  /** The class name ("Linear"). */
  readonly type: string;
  /** 0 for the model, 1 for its children, ... */
  readonly depth: number;
  /** Position among the modules of this depth, counted from 1 over the whole tree (torchinfo's depth-idx). */
  readonly index: number;
  /** The shape of each tensor the module returned in the summary's forward pass (several for tuple outputs); empty when it did not run. */
  readonly outputShapes: readonly (readonly number[])[];
  /** Elements of the module's own parameters (not its children's). */
  readonly params: number;
  /** Of those, the elements of parameters that require grad. */
  readonly trainableParams: number;
}

/**
 * What {@link summary} returns: a row per module, the totals, and a torchinfo-style table as
 * `toString()` (what `console.log` prints).
 */
export class ModelSummary {
  constructor(
    readonly rows: readonly SummaryRow[],
    /** The shapes of the inputs the forward pass ran on. */
    readonly inputShapes: readonly (readonly number[])[],
    /** Every parameter element, a shared parameter counted once. */
    readonly totalParams: number,
    readonly trainableParams: number,
  ) {}

  get nonTrainableParams(): number {
    return this.totalParams - this.trainableParams;
  }

  /**
   * The table: each module indented under its parent with its type, name and depth-index, the
   * output shape from the forward pass ("--" when it did not run) and its own parameter count
   * ("--" when none), then the totals.
   */
  toString(): string {
    const cells = this.rows.map((r) => {
      const branch = r.depth === 0 ? '' : `${'│    '.repeat(r.depth - 1)}${r.depth === 1 ? '├─' : '└─'}`;
      const label = r.depth === 0 ? r.type : `${branch}${r.type} (${r.localName}): ${r.depth}-${r.index}`;
      const shape = r.outputShapes.length === 0 ? '--' : r.outputShapes.map((s) => `[${s.join(', ')}]`).join(', ');
      return [label, shape, r.params === 0 ? '--' : r.params.toLocaleString('en-US')];
    });
    const header = ['Layer (type (name): depth-idx)', 'Output Shape', 'Param #'];
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)) + 2);
    const line = (c: readonly string[]) => (c[0].padEnd(widths[0]) + c[1].padEnd(widths[1]) + c[2].padStart(widths[2] - 2)).trimEnd();
    const rule = '='.repeat(widths[0] + widths[1] + widths[2] - 2);
    const count = (n: number) => n.toLocaleString('en-US');
    return [
      rule,
      line(header),
      rule,
      ...cells.map(line),
      rule,
      `Total params: ${count(this.totalParams)}`,
      `Trainable params: ${count(this.trainableParams)}`,
      `Non-trainable params: ${count(this.nonTrainableParams)}`,
      `Input shape: ${this.inputShapes.map((s) => `[${s.join(', ')}]`).join(', ')}`,
      rule,
    ].join('\n');
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** Options of {@link summary}. */
export interface SummaryOptions {
  /** dtype of the zero inputs made from shapes (default: the model's first parameter's, else float32). */
  dtype?: DType;
  /** Backend of those inputs (default: the first parameter's, else the current backend). */
  backend?: string;
}

/** The shapes of every tensor in a module's output (a tensor, or arrays/objects holding tensors). */
function shapesOf(out: unknown, found: number[][] = [], depth = 0): number[][] {
  if (out instanceof Tensor) found.push([...out.shape]);
  else if (depth < 4 && Array.isArray(out)) for (const v of out) shapesOf(v, found, depth + 1);
  else if (depth < 4 && out !== null && typeof out === 'object' && Object.getPrototypeOf(out) === Object.prototype) {
    for (const v of Object.values(out)) shapesOf(v, found, depth + 1);
  }
  return found;
}

/**
 * A printed summary of a model (torchinfo's `summary(model, input_size)`): runs one forward pass
 * on `input` — zeros of the given shape(s), or the given tensor(s) — in eval mode and without
 * gradients, records every module's output shape with forward hooks, and counts parameters.
 * The model's training flags are restored afterwards, and nothing the pass made is kept.
 *
 * `input`: one shape (`[2, 1, 28, 28]`), several shapes (`[[2, 5], [2, 3]]`) for a forward of
 * several tensors, a tensor, or an array of tensors.
 * @example console.log(summary(model, [64, 1, 28, 28]).toString())
 * @throws ValueError when `model` is not a Module or `input` is none of the above; whatever the
 *   model's forward throws for that input (e.g. a ShapeError naming the layer).
 */
export function summary(model: AnyModule, input: readonly number[] | readonly (readonly number[])[] | Tensor | readonly Tensor[], options: SummaryOptions = {}): ModelSummary {
  if (!(model instanceof Module)) throw new ValueError(`summary: the model must be a Module, got ${model === null ? 'null' : typeof model}.`);
  const first = model.parameters()[0] as Tensor | undefined;
  const dtype = options.dtype ?? (first && isFloat(first.dtype) ? first.dtype : 'float32');
  const backend = options.backend ?? first?.backend.name;
  const isShape = (v: unknown): v is readonly number[] => Array.isArray(v) && v.every((d) => Number.isInteger(d) && d >= 0);
  let makeInputs: () => Tensor[];
  if (input instanceof Tensor) {
    assertTensor('summary', 'the input', input);
    makeInputs = () => [input];
  } else if (Array.isArray(input) && input.length > 0 && input.every((t) => t instanceof Tensor)) {
    input.forEach((t: Tensor, i) => assertTensor('summary', `input ${i}`, t));
    makeInputs = () => [...(input as readonly Tensor[])];
  }
  else if (isShape(input)) makeInputs = () => [zeros(input, { dtype, backend })];
  else if (Array.isArray(input) && input.length > 0 && input.every(isShape)) makeInputs = () => (input as readonly (readonly number[])[]).map((s) => zeros(s, { dtype, backend }));
  else {
    throw new ValueError(
      `summary: input must be a shape ([2, 1, 28, 28]), a list of shapes, a tensor or a list of tensors, got ${JSON.stringify(input) ?? String(input)}.`,
    );
  }

  // The tree depth first, each module once, with its depth (a name's dots do not give it: an
  // array's entries are named "layers.0" one level down).
  const modules: [name: string, local: string, depth: number, module: AnyModule][] = [];
  const seenModules = new Set<AnyModule>();
  const visit = (m: AnyModule, name: string, local: string, depth: number) => {
    if (seenModules.has(m)) return;
    seenModules.add(m);
    modules.push([name, local, depth, m]);
    for (const [n, c] of m.namedChildren()) visit(c, name ? `${name}.${n}` : n, n, depth + 1);
  };
  visit(model, '', '', 0);
  const outputs = new Map<AnyModule, number[][]>();
  const handles: RemovableHandle[] = [];
  const modes = modules.map(([, , , m]) => m.training);
  let inputShapes: number[][] = [];
  try {
    for (const [, , , m] of modules) {
      handles.push(m.registerForwardHook((mod, _inputs, out) => void outputs.set(mod, shapesOf(out))));
    }
    model.eval();
    tidy(() =>
      noGrad(() => {
        const xs = makeInputs();
        inputShapes = xs.map((x) => [...x.shape]);
        (model.call as (...a: Tensor[]) => unknown)(...xs);
      }),
    );
  } finally {
    for (const h of handles) h.remove();
    modules.forEach(([, , , m], i) => (m.training = modes[i]));
  }

  const counters: number[] = [];
  const seen = new Set<Tensor>();
  const rows: SummaryRow[] = modules.map(([name, localName, depth, m]) => {
    counters[depth] = (counters[depth] ?? 0) + 1;
    let params = 0;
    let trainable = 0;
    for (const p of m.parameters({ recurse: false })) {
      // A parameter shared by two modules is counted at its first.
      if (seen.has(p)) continue;
      seen.add(p);
      params += p.size;
      if (p.requiresGrad) trainable += p.size;
    }
    return { name, localName, type: m.constructor.name, depth, index: counters[depth], outputShapes: outputs.get(m) ?? [], params, trainableParams: trainable };
  });
  const total = rows.reduce((s, r) => s + r.params, 0);
  const trainable = rows.reduce((s, r) => s + r.trainableParams, 0);
  return new ModelSummary(rows, inputShapes, total, trainable);
}
