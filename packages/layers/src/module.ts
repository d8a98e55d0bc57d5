import { Tensor, ShapeError, ValueError, RemovableHandle, keep, noGrad, isFloat, getBackend } from '@tsgrad/core';

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

/** `{...}` or `Object.create(null)`: a plain object, whose modules register as a ModuleDict's would. */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** What a module's property holds that traversal registers: sub-modules and tensors, by dotted name. */
type Found = readonly [name: string, value: AnyModule | Tensor];

const registrable = (v: unknown): boolean => v instanceof Module || isParameter(v) || isBuffer(v);

/**
 * Collects the modules and tensors held by property `name`: the value itself, or the entries of
 * an array ("layers.0") or a plain object ("heads.left"), nested ones too. These are the names
 * PyTorch gives a ModuleList's and a ModuleDict's entries, so PyTorch state dicts load.
 * @throws ValueError when modules or parameters sit where they would be silently missed: in a
 *   Map or a Set, or under a plain-object key that is empty or holds a dot.
 */
function collectProperty(owner: () => string, name: string, value: unknown, out: Found[], seen: Set<object>): void {
  if (value === null || typeof value !== 'object') return;
  if (value instanceof Module || value instanceof Tensor) {
    out.push([name, value as AnyModule | Tensor]);
    return;
  }
  if (seen.has(value)) return;
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v !== null && typeof v === 'object') collectProperty(owner, `${name}.${i}`, v, out, seen);
    }
  } else if (isPlainObject(value)) {
    for (const key of Object.keys(value)) {
      const v = value[key];
      if (v === null || typeof v !== 'object') continue;
      if ((key === '' || key.includes('.')) && (registrable(v) || Array.isArray(v) || isPlainObject(v))) {
        const before = out.length;
        collectProperty(owner, `${name}.${key}`, v, out, seen);
        if (out.length > before) {
          throw new ValueError(
            `${owner()}: the property "${name}" holds a module or parameter under the key ${JSON.stringify(key)}; dotted names separate nested modules, ` +
              `so a key must be non-empty and free of ".". Rename the key (a ModuleDict refuses such keys too).`,
          );
        }
        continue;
      }
      collectProperty(owner, `${name}.${key}`, v, out, seen);
    }
  } else if (value instanceof Map || value instanceof Set) {
    const entries = value instanceof Map ? [...value.values()] : [...value];
    if (entries.some(registrable)) {
      const kind = value instanceof Map ? 'Map' : 'Set';
      throw new ValueError(
        `${owner()}: the property "${name}" is a ${kind} holding modules or parameters, and a ${kind} is not walked, so they would be silently left out of ` +
          `parameters(), stateDict(), train() and to(). Use a ModuleDict (keys to modules) or a ModuleList (an ordered list), or a plain object or array.`,
      );
    }
  }
}

/**
 * A forward pre-hook: sees (and may replace) the inputs before forward runs. A replacement is an
 * array of forward's arguments (`[x.mul(2)]`; typed loosely so an array literal fits).
 */
export type ForwardPreHook<M, In> = (module: M, inputs: In) => In | readonly unknown[] | void;
/** A forward hook: sees the inputs and the output after forward ran, and may replace the output. */
export type ForwardHook<M, In, Out> = (module: M, inputs: In, output: Out) => Out | void;

// Hook signatures take the module's type from a `this` parameter rather than from In and Out:
// callback parameters compare strictly, so a signature written with In and Out would make a
// Module<[Tensor], Tensor> no longer an AnyModule.
type InputsOf<M> = M extends { forward(...inputs: infer I): unknown } ? I : never;
type OutputOf<M> = M extends { forward(...inputs: never[]): infer O } ? O : never;

/**
 * The base class of every layer, in PyTorch's manner. Subclasses assign sub-modules and
 * parameter(...) tensors to properties; those are found by walking the module's own properties
 * in the order they were defined, so `namedParameters()` gives names like "fc1.weight".
 * Arrays and plain objects of modules or parameters are walked too and named as PyTorch names a
 * ModuleList's or ModuleDict's entries ("layers.0.weight", "heads.left.bias"); a Map or Set of
 * them is refused with a ValueError rather than silently missed. Other objects (class instances
 * that are not modules) are not looked into.
 *
 * Calling convention: subclasses implement `forward(...)`; callers use `module.call(...)`, the
 * equivalent of PyTorch's `module(x)`: it runs the forward pre-hooks, forward, then the forward
 * hooks. Calling `forward` directly gives the same result but skips the hooks.
 */
export abstract class Module<In extends readonly unknown[] = [Tensor], Out = Tensor> {
  /** True in training mode (the default), false after eval(). Dropout reads it. */
  training = true;

  // Private fields (#): not own enumerable properties, so traversal never sees them. Typed loosely
  // (fields compare invariantly, which would make Module<[Tensor], Tensor> no AnyModule).
  #forwardPreHooks = new Map<number, unknown>();
  #forwardHooks = new Map<number, unknown>();

  abstract forward(...inputs: In): Out;

  /**
   * Runs the module: `model.call(x)` is PyTorch's `model(x)`. Forward pre-hooks run first (each
   * may replace the inputs), then forward, then forward hooks (each may replace the output).
   * @throws ValueError when a pre-hook returns something other than nothing or an array of inputs.
   */
  call(...inputs: In): Out {
    let args = inputs;
    if (this.#forwardPreHooks.size > 0) {
      for (const hook of [...this.#forwardPreHooks.values()] as ForwardPreHook<this, In>[]) {
        const r = hook(this, args);
        if (r === undefined) continue;
        if (!Array.isArray(r)) {
          throw new ValueError(`${this.constructor.name}: a forward pre-hook returned ${r === null ? 'null' : typeof r}; it must return nothing or the inputs as an array, e.g. [x].`);
        }
        args = r as unknown as In;
      }
    }
    let out = this.forward(...args);
    if (this.#forwardHooks.size > 0) {
      for (const hook of [...this.#forwardHooks.values()] as ForwardHook<this, In, Out>[]) {
        const r = hook(this, args, out);
        if (r !== undefined) out = r;
      }
    }
    return out;
  }

  // ---- hooks ---------------------------------------------------------------------------------

  /**
   * Registers `hook(module, inputs, output)` to run after every `call()` (PyTorch's
   * `register_forward_hook`): `inputs` is the array of arguments forward received; returning a
   * value replaces the output. Hooks run in registration order.
   * @returns a handle whose `remove()` unregisters the hook.
   * @throws ValueError when `hook` is not a function.
   */
  registerForwardHook<M extends AnyModule>(this: M, hook: ForwardHook<M, InputsOf<M>, OutputOf<M>>): RemovableHandle {
    return this.addHook('registerForwardHook', this.#forwardHooks, hook);
  }

  /**
   * Registers `hook(module, inputs)` to run before every `call()` (PyTorch's
   * `register_forward_pre_hook`); returning an array replaces the inputs forward receives.
   * @returns a handle whose `remove()` unregisters the hook.
   * @throws ValueError when `hook` is not a function.
   */
  registerForwardPreHook<M extends AnyModule>(this: M, hook: ForwardPreHook<M, InputsOf<M>>): RemovableHandle {
    return this.addHook('registerForwardPreHook', this.#forwardPreHooks, hook);
  }

  /** Whether a forward hook or pre-hook is registered: Sequential then runs this module alone, never fused with its neighbour. */
  get hasForwardHooks(): boolean {
    return this.#forwardHooks.size > 0 || this.#forwardPreHooks.size > 0;
  }

  private addHook(api: string, hooks: Map<number, unknown>, hook: unknown): RemovableHandle {
    if (typeof hook !== 'function') throw new ValueError(`${api}: the hook must be a function, got ${hook === null ? 'null' : typeof hook}.`);
    const handle = new RemovableHandle(hooks);
    hooks.set(handle.id, hook);
    return handle;
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

  /**
   * Every module and tensor held by this module's own properties, with its (dotted) name, in
   * definition order: properties holding them directly, and the entries of arrays and plain objects.
   */
  private ownEntries(): Found[] {
    const out: Found[] = [];
    const seen = new Set<object>();
    const owner = () => this.constructor.name || 'Module';
    for (const key of Object.keys(this)) collectProperty(owner, key, (this as Record<string, unknown>)[key], out, seen);
    return out;
  }

  /**
   * Direct sub-modules with their names, in definition order: property names, and "layers.0" or
   * "heads.left" for the entries of an array or a plain object.
   * @throws ValueError when a Map or Set holds modules (see the class comment).
   */
  *namedChildren(): IterableIterator<[string, AnyModule]> {
    for (const [name, v] of this.ownEntries()) {
      if (v instanceof Module) yield [name, v];
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
    for (const [name, v] of this.ownEntries()) if (test(v)) out.push([name, v]);
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

  /**
   * Sets requiresGrad on every parameter (PyTorch's `module.requires_grad_()`): `false` freezes
   * them, so backward() leaves their `.grad` alone and optimizers skip them. Returns this.
   * @throws ValueError when `flag` is not a boolean.
   */
  requiresGrad_(flag = true): this {
    if (typeof flag !== 'boolean') throw new ValueError(`requiresGrad_: flag must be true or false, got ${typeof flag}.`);
    for (const p of this.parameters()) p.requiresGrad_(flag);
    return this;
  }

  /**
   * Calls `fn` on every sub-module, children first (each child's own sub-modules before it), then
   * on this module (PyTorch's `module.apply(fn)`, used to initialise weights). Returns this.
   * @throws ValueError when `fn` is not a function.
   */
  apply(fn: (module: AnyModule) => void): this {
    if (typeof fn !== 'function') throw new ValueError(`apply: fn must be a function (module) => void, got ${fn === null ? 'null' : typeof fn}.`);
    for (const child of this.children()) child.apply(fn);
    fn(this as unknown as AnyModule);
    return this;
  }

  /**
   * The number of parameter elements (a parameter shared by two modules counted once), what
   * PyTorch users write as `sum(p.numel() for p in model.parameters())`; `{ trainableOnly: true }`
   * counts only those that require grad.
   */
  numel(options: { trainableOnly?: boolean } = {}): number {
    let n = 0;
    for (const p of this.parameters()) if (!options.trainableOnly || p.requiresGrad) n += p.size;
    return n;
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
