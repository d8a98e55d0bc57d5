import { Tensor, ShapeError, ValueError, keep, noGrad, isFloat, getBackend } from '@tsgrad/core';

/**
 * Tensors marked as parameters or buffers. A WeakSet rather than a subclass of Tensor, so any
 * tensor (including one an optimizer or a checkpoint loader already holds) can be marked.
 */
const PARAMETERS = new WeakSet<Tensor>();
const BUFFERS = new WeakSet<Tensor>();

/**
 * Marks `t` as a trainable parameter (PyTorch's nn.Parameter): it requires grad, survives every
 * tidy() (keep), and a Module holding it in a property lists it in parameters(). Returns `t`.
 */
export function parameter(t: Tensor, name?: string): Tensor {
  if (!isFloat(t.dtype)) {
    throw new ValueError(`parameter: only float tensors can be trained, got ${t.dtype} (shape [${t.shape.join(', ')}]); cast it first with .cast("float32").`);
  }
  if (!t.isLeaf) {
    throw new ValueError(`parameter: the tensor (shape [${t.shape.join(', ')}]) is the result of an op, not a leaf; pass t.detach() instead.`);
  }
  t.requiresGrad_(true);
  keep(t);
  if (name !== undefined) t.name = name;
  PARAMETERS.add(t);
  return t;
}

/** Marks `t` as a buffer: saved in stateDict() and moved by to(), but not trained (running statistics...). */
export function buffer(t: Tensor, name?: string): Tensor {
  keep(t);
  if (name !== undefined) t.name = name;
  BUFFERS.add(t);
  return t;
}

export function isParameter(t: unknown): t is Tensor {
  return t instanceof Tensor && PARAMETERS.has(t);
}
export function isBuffer(t: unknown): t is Tensor {
  return t instanceof Tensor && BUFFERS.has(t);
}

/** Any module, whatever its forward's signature (children of a container can differ). */
// `never` inputs: every Module<In, Out> is assignable here because methods compare parameters bivariantly.
export type AnyModule = Module<never, unknown>;

export interface LoadStateDictOptions {
  /** Refuse missing and unexpected keys (default true). Shapes are always checked. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

function checkName(kind: string, name: string): void {
  if (typeof name !== 'string' || name === '' || name.includes('.')) {
    throw new ValueError(`${kind}: the name ${JSON.stringify(name)} must be a non-empty string without "." (dots separate nested module names).`);
  }
}

const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/**
 * The base class of every layer, in PyTorch's manner. Subclasses assign sub-modules and
 * parameter(...) tensors to properties; those are found by walking the module's own properties
 * in the order they were defined, so `namedParameters()` gives names like "fc1.weight".
 *
 * Calling convention: subclasses implement `forward(...)`; callers use `module.call(...)`, the
 * equivalent of PyTorch's `module(x)` (it runs forward, and is where hooks would go).
 * Calling `forward` directly also works and gives the same result.
 */
export abstract class Module<In extends readonly unknown[] = [Tensor], Out = Tensor> {
  /** True in training mode (the default), false after eval(). Dropout reads it. */
  training = true;

  abstract forward(...inputs: In): Out;

  /** Runs the module: `model.call(x)` is PyTorch's `model(x)`. */
  call(...inputs: In): Out {
    return this.forward(...inputs);
  }

  // ---- registration ------------------------------------------------------------------------

  /** Adds (or replaces) a sub-module under `name`, for names that are not known as properties. */
  registerModule<M extends AnyModule | null>(name: string, module: M): M {
    checkName('registerModule', name);
    if (module !== null && !(module instanceof Module)) {
      throw new ValueError(`registerModule("${name}"): expected a Module, got ${typeof module}.`);
    }
    Object.defineProperty(this, name, { value: module, enumerable: true, writable: true, configurable: true });
    return module;
  }

  /** Adds (or replaces) a parameter under `name`; null registers "no parameter" (like bias=False). */
  registerParameter(name: string, t: Tensor | null): Tensor | null {
    checkName('registerParameter', name);
    if (t !== null) parameter(t, t.name ?? name);
    Object.defineProperty(this, name, { value: t, enumerable: true, writable: true, configurable: true });
    return t;
  }

  /** Adds (or replaces) a buffer under `name`. */
  registerBuffer(name: string, t: Tensor | null): Tensor | null {
    checkName('registerBuffer', name);
    if (t !== null) buffer(t, t.name ?? name);
    Object.defineProperty(this, name, { value: t, enumerable: true, writable: true, configurable: true });
    return t;
  }

  // ---- traversal -----------------------------------------------------------------------------

  /** Direct sub-modules with their property names, in definition order. */
  *namedChildren(): IterableIterator<[string, AnyModule]> {
    for (const key of Object.keys(this)) {
      const v = (this as Record<string, unknown>)[key];
      if (v instanceof Module) yield [key, v as AnyModule];
    }
  }
  children(): AnyModule[] {
    return [...this.namedChildren()].map(([, m]) => m);
  }

  /** This module and every descendant, depth first, with dotted names ("" for this one). Each module once. */
  namedModules(prefix = '', seen = new Set<AnyModule>()): [string, AnyModule][] {
    const self = this as unknown as AnyModule;
    if (seen.has(self)) return [];
    seen.add(self);
    const out: [string, AnyModule][] = [[prefix, self]];
    for (const [name, child] of this.namedChildren()) {
      out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name, seen));
    }
    return out;
  }
  modules(): AnyModule[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** This module's own tensors of one kind, in property order. */
  private ownTensors(test: (v: unknown) => v is Tensor): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const key of Object.keys(this)) {
      const v = (this as Record<string, unknown>)[key];
      if (test(v)) out.push([key, v]);
    }
    return out;
  }

  /**
   * Every parameter with its dotted name ("0.weight", "fc1.bias"), this module's own first, then
   * each child's in order; a parameter shared by two modules is listed once (as PyTorch does).
   * Labels each parameter's `.name` with that name when it had none or only its local one.
   */
  namedParameters(options: { recurse?: boolean } = {}): [string, Tensor][] {
    return this.collect(isParameter, options.recurse ?? true);
  }
  /** Every parameter, in namedParameters() order: what an optimizer takes. */
  parameters(options: { recurse?: boolean } = {}): Tensor[] {
    return this.namedParameters(options).map(([, t]) => t);
  }
  namedBuffers(options: { recurse?: boolean } = {}): [string, Tensor][] {
    return this.collect(isBuffer, options.recurse ?? true);
  }
  buffers(options: { recurse?: boolean } = {}): Tensor[] {
    return this.namedBuffers(options).map(([, t]) => t);
  }

  private collect(test: (v: unknown) => v is Tensor, recurse: boolean): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const modules: [string, AnyModule][] = recurse ? this.namedModules() : [['', this as unknown as AnyModule]];
    for (const [prefix, m] of modules) {
      for (const [key, t] of m.ownTensors(test)) {
        if (seen.has(t)) continue;
        seen.add(t);
        const full = prefix ? `${prefix}.${key}` : key;
        if (t.name === undefined || t.name === key) t.name = full;
        out.push([full, t]);
      }
    }
    return out;
  }

  // ---- modes and gradients -------------------------------------------------------------------

  /** Sets training mode on this module and every descendant. Returns this. */
  train(mode = true): this {
    for (const m of this.modules()) (m as Module<never, unknown>).training = mode;
    return this;
  }
  /** Evaluation mode (train(false)): Dropout becomes the identity. Returns this. */
  eval(): this {
    return this.train(false);
  }

  /** Sets every parameter's .grad to null (which disposes the old gradient). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  // ---- devices -------------------------------------------------------------------------------

  /**
   * Moves every parameter and buffer (with its gradient) to the registered backend
   * `backendName`, in place: the tensors keep their identity, so an optimizer built before the
   * move keeps working (PyTorch's `model.to(device)`, the lecture's `.cuda()`). Returns this.
   */
  to(backendName: string): this {
    getBackend(backendName);
    for (const t of new Set([...this.parameters(), ...this.buffers()])) t.moveTo_(backendName);
    return this;
  }

  // ---- state dict ----------------------------------------------------------------------------

  /**
   * Every parameter and buffer by dotted name, in namedParameters() then namedBuffers() order, as
   * detached views of the current values (no graph; they keep those values even after an
   * optimizer's next assign()).
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, t] of [...this.namedParameters(), ...this.namedBuffers()]) out[name] = t.detach();
    return out;
  }

  /**
   * Copies values from `dict` into the parameters and buffers of the same names (cast to each
   * one's dtype and moved to its backend). Checks everything before writing anything: with
   * `strict` (the default) missing and unexpected keys are refused, listed by name; a shape
   * mismatch is always refused.
   */
  loadStateDict(dict: Readonly<Record<string, Tensor>>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = options.strict ?? true;
    const own = new Map<string, Tensor>([...this.namedParameters(), ...this.namedBuffers()]);
    const given = Object.keys(dict);
    const missingKeys = [...own.keys()].filter((k) => !Object.prototype.hasOwnProperty.call(dict, k));
    const unexpectedKeys = given.filter((k) => !own.has(k));
    const module = this.constructor.name || 'Module';
    if (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
      const parts: string[] = [];
      if (missingKeys.length > 0) parts.push(`missing keys: ${missingKeys.map((k) => `"${k}"`).join(', ')}`);
      if (unexpectedKeys.length > 0) parts.push(`unexpected keys: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}`);
      throw new ValueError(
        `loadStateDict (${module}): the state dict does not match the module's parameters and buffers; ${parts.join('; ')}. ` +
          `Expected keys: ${[...own.keys()].map((k) => `"${k}"`).join(', ') || 'none'}. Pass { strict: false } to load only the keys that match.`,
      );
    }
    const mismatched: string[] = [];
    for (const [name, t] of own) {
      const v = dict[name];
      if (v === undefined) continue;
      if (!(v instanceof Tensor)) throw new ValueError(`loadStateDict (${module}): the entry "${name}" is not a Tensor.`);
      if (v.shape.join() !== t.shape.join()) mismatched.push(`"${name}": checkpoint ${fmt(v.shape)}, module ${fmt(t.shape)}`);
    }
    if (mismatched.length > 0) {
      throw new ShapeError(`loadStateDict (${module}): shapes differ for ${mismatched.join('; ')}. Nothing was loaded; build the module with the sizes the checkpoint was saved with.`);
    }
    noGrad(() => {
      for (const [name, t] of own) {
        const v = dict[name];
        if (v === undefined) continue;
        const src = v.cast(t.dtype);
        t.assign(src);
        if (src !== v) src.dispose();
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /** A one-line-per-module description, PyTorch-style. */
  toString(): string {
    const children = [...this.namedChildren()];
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (children.length === 0) return `${head})`;
    const body = children.map(([n, c]) => `  (${n}): ${String(c).split('\n').join('\n  ')}`).join('\n');
    return `${head}\n${body}\n)`;
  }
  /** Extra text inside the parentheses of toString() (sizes, options). */
  extraRepr(): string {
    return '';
  }
}
