import { DTypeError, ShapeError, Tensor, ValueError, assertInteger, assertTensor, flatten, isFloat, normalizeAxis, uniform, type Generator } from '@tsgrad/core';
import { Module, type AnyModule } from './module.js';
import { Linear } from './linear.js';

/** An activation module that a preceding Linear can apply in its own kernel (ReLU sets it). */
export interface FusibleActivation {
  readonly fusedActivation: 'relu';
}

function fusesAsRelu(m: TensorModule | undefined): boolean {
  return m !== undefined && (m as Partial<FusibleActivation>).fusedActivation === 'relu';
}

/** A module of one tensor in and one tensor out: what Sequential chains. */
export type TensorModule = Module<[Tensor], Tensor>;

/** Runs its modules one after the other; their names are "0", "1", ... as in PyTorch. */
export class Sequential extends Module implements Iterable<TensorModule> {
  constructor(...modules: TensorModule[]) {
    super();
    modules.forEach((m, i) => this.append(m, i));
  }

  /** Adds a module at the end. Returns this. */
  append(module: TensorModule, index = this.length): this {
    if (!(module instanceof Module)) {
      throw new ValueError(`Sequential: entry ${index} is not a Module (got ${module === null ? 'null' : typeof module}); pass layers such as new Linear(2, 3).`);
    }
    this.registerModule(String(index), module);
    return this;
  }

  get length(): number {
    return this.children().length;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): TensorModule {
    const list = this.children() as unknown as TensorModule[];
    const m = list.at(index);
    if (m === undefined) throw new ValueError(`Sequential.at: index ${index} is out of range for ${list.length} modules.`);
    return m;
  }

  [Symbol.iterator](): Iterator<TensorModule> {
    return (this.children() as unknown as TensorModule[])[Symbol.iterator]();
  }

  forward(x: Tensor): Tensor {
    const modules = this.children() as unknown as TensorModule[];
    let y = x;
    for (let i = 0; i < modules.length; i++) {
      const m = modules[i];
      // Linear then ReLU runs as one fused op (same values, one kernel where the backend has it);
      // not when either has forward hooks, which must see each module run.
      if (m instanceof Linear && fusesAsRelu(modules[i + 1]) && !m.hasForwardHooks && !modules[i + 1].hasForwardHooks) {
        y = m.forwardActivated(y, 'relu');
        i++;
      } else y = m.call(y);
    }
    return y;
  }
}

/** Merges axes startDim..endDim (default 1..-1: everything but the batch axis), PyTorch's nn.Flatten. */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
    assertInteger('Flatten', 'startDim', startDim);
    assertInteger('Flatten', 'endDim', endDim);
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

export interface DropoutOptions {
  /** Generator for the masks (seeded dropout); core's default generator otherwise. */
  generator?: Generator;
}

/**
 * Zeroes each element with probability p in training mode and scales the rest by 1/(1-p), so
 * the expected value is unchanged; the identity in eval mode. Masks are drawn with core's
 * seeded generator, so a seed gives the same masks on every backend.
 */
export class Dropout extends Module {
  private readonly generator: Generator | undefined;

  constructor(
    readonly p = 0.5,
    options: DropoutOptions = {},
  ) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
      throw new ValueError(`Dropout: the drop probability p must be in [0, 1], got ${p}.`);
    }
    this.generator = options.generator;
  }

  forward(x: Tensor): Tensor {
    // Checked before the identity paths below, so eval mode does not pass a bad input through.
    assertTensor('Dropout', 'the input', x);
    if (!this.training || this.p === 0) return x;
    if (!isFloat(x.dtype) && this.p < 1) {
      throw new DTypeError(`Dropout: the input is ${x.dtype}, but scaling the kept elements by 1/(1-p) needs a float tensor; cast it with .cast("float32").`);
    }
    if (this.p === 1) return x.mul(0);
    const u = uniform(x.shape, 0, 1, { dtype: x.dtype, backend: x.backend.name, generator: this.generator });
    // Keep where u >= p: probability 1 - p.
    const keepMask = u.ge(this.p).cast(x.dtype);
    u.dispose();
    return x.mul(keepMask).mul(1 / (1 - this.p));
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/** Where the list and dict containers point: they hold modules but have no forward of their own. */
function noForward(container: string): never {
  throw new ValueError(
    `${container} has no forward(): it only holds modules. Call its entries from your module's forward (for (const layer of this.layers) x = layer.call(x)), or use a Sequential to chain them.`,
  );
}

function requireModule(container: string, what: string, m: unknown): void {
  if (!(m instanceof Module)) {
    throw new ValueError(`${container}: ${what} is not a Module (got ${m === null ? 'null' : Array.isArray(m) ? 'an array' : typeof m}); pass layers such as new Linear(2, 3).`);
  }
}

/**
 * Holds modules in a list, PyTorch's nn.ModuleList: its entries are registered as sub-modules
 * named "0", "1", ... (so a model's `layers.0.weight` matches PyTorch's state-dict key), seen by
 * parameters(), stateDict(), train()/eval() and to(). Indices may be negative (from the end).
 * It has no forward: iterate over it in the owner's forward.
 * @throws ValueError for an entry that is not a Module, or an index out of range (naming it and the length).
 */
export class ModuleList<M extends AnyModule = AnyModule> extends Module<[], never> implements Iterable<M> {
  // A private field: not an own enumerable property, so the base class's walk does not name it.
  #items: M[] = [];

  constructor(modules: Iterable<M> = []) {
    super();
    this.extend(modules);
  }

  /** The number of modules (PyTorch's len()). */
  get length(): number {
    return this.#items.length;
  }

  private index(i: number, api: string, length = this.#items.length): number {
    if (!Number.isInteger(i)) throw new ValueError(`ModuleList.${api}: the index must be an integer, got ${String(i)}.`);
    const k = i < 0 ? i + length : i;
    if (k < 0 || k >= length) throw new ValueError(`ModuleList.${api}: index ${i} is out of range for a ModuleList of ${length} modules.`);
    return k;
  }

  /** The module at `index` (negative counts from the end), PyTorch's `list[i]`. */
  at(index: number): M {
    return this.#items[this.index(index, 'at')];
  }

  /** Replaces the module at `index` (PyTorch's `list[i] = m`). Returns this. */
  set(index: number, module: M): this {
    const k = this.index(index, 'set');
    requireModule('ModuleList.set', `the module for index ${index}`, module);
    this.#items[k] = module;
    return this;
  }

  /** Adds a module at the end. Returns this. */
  append(module: M): this {
    requireModule('ModuleList.append', 'the argument', module);
    this.#items.push(module);
    return this;
  }

  /** Adds every module of `modules` at the end, in order (checked before any is added). Returns this. */
  extend(modules: Iterable<M>): this {
    if (modules === null || typeof (modules as Partial<Iterable<M>>)[Symbol.iterator] !== 'function') {
      throw new ValueError(`ModuleList.extend: expected an iterable of modules (an array, another ModuleList), got ${modules === null ? 'null' : typeof modules}.`);
    }
    const list = [...modules];
    list.forEach((m, i) => requireModule('ModuleList', `entry ${i}`, m));
    this.#items.push(...list);
    return this;
  }

  /**
   * Inserts `module` before position `index` (PyTorch's `insert`, like a Python list's: a negative
   * index counts from the end, and an index past either end inserts there). Returns this.
   */
  insert(index: number, module: M): this {
    if (!Number.isInteger(index)) throw new ValueError(`ModuleList.insert: the index must be an integer, got ${String(index)}.`);
    requireModule('ModuleList.insert', 'the module', module);
    const n = this.#items.length;
    const k = Math.min(Math.max(index < 0 ? index + n : index, 0), n);
    this.#items.splice(k, 0, module);
    return this;
  }

  /** Removes and returns the module at `index` (default the last), PyTorch's `pop`. */
  pop(index = -1): M {
    const k = this.index(index, 'pop');
    return this.#items.splice(k, 1)[0];
  }

  /** A new ModuleList of the modules in [start, end) (PyTorch's `list[a:b]`; negative bounds count from the end). */
  slice(start?: number, end?: number): ModuleList<M> {
    return new ModuleList(this.#items.slice(start, end));
  }

  [Symbol.iterator](): Iterator<M> {
    return this.#items[Symbol.iterator]();
  }

  override *namedChildren(): IterableIterator<[string, AnyModule]> {
    for (let i = 0; i < this.#items.length; i++) yield [String(i), this.#items[i]];
  }

  forward(): never {
    return noForward('ModuleList');
  }
}

/**
 * Holds modules by name, in insertion order, PyTorch's nn.ModuleDict: entries are registered as
 * sub-modules under their keys (`heads.left.weight`). Iterating gives the keys, as in PyTorch;
 * keys(), values() and entries() give arrays. It has no forward.
 * @throws ValueError for a key that is empty or contains "." (dots separate nested names), an
 *   entry that is not a Module, or a missing key in get()/pop() (naming the known keys).
 */
export class ModuleDict<M extends AnyModule = AnyModule> extends Module<[], never> implements Iterable<string> {
  #items = new Map<string, M>();

  constructor(modules: Readonly<Record<string, M>> | Iterable<readonly [string, M]> = {}) {
    super();
    this.update(modules);
  }

  /** The number of entries (PyTorch's len()). */
  get length(): number {
    return this.#items.size;
  }

  /** Whether `key` is present (PyTorch's `key in dict`). */
  has(key: string): boolean {
    return this.#items.has(key);
  }

  /** The module under `key` (PyTorch's `dict[key]`). */
  get(key: string): M {
    const m = this.#items.get(key);
    if (m === undefined) throw this.missing('get', key);
    return m;
  }

  /** Adds or replaces the module under `key`; a new key goes last. Returns this. */
  set(key: string, module: M): this {
    checkDictEntry(key, module);
    this.#items.set(key, module);
    return this;
  }

  /** Removes the entry under `key` and returns its module (PyTorch's `pop`). */
  pop(key: string): M {
    const m = this.#items.get(key);
    if (m === undefined) throw this.missing('pop', key);
    this.#items.delete(key);
    return m;
  }

  /** Removes every entry. */
  clear(): void {
    this.#items.clear();
  }

  /** Adds or replaces the entries of `modules` (an object, a Map, pairs or another ModuleDict). Returns this. */
  update(modules: Readonly<Record<string, M>> | Iterable<readonly [string, M]>): this {
    if (modules === null || typeof modules !== 'object') {
      throw new ValueError(`ModuleDict: expected an object of modules, a Map or [key, module] pairs, got ${modules === null ? 'null' : typeof modules}.`);
    }
    let pairs: (readonly [string, M])[];
    if (modules instanceof ModuleDict) pairs = modules.entries() as [string, M][];
    else if (typeof (modules as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function') {
      pairs = [...(modules as Iterable<readonly [string, M]>)];
      pairs.forEach((p, i) => {
        if (!Array.isArray(p) || p.length !== 2) throw new ValueError(`ModuleDict: entry ${i} of the pairs is not a [key, module] pair.`);
      });
    } else pairs = Object.entries(modules as Record<string, M>);
    // Check all before adding any.
    for (const [k, m] of pairs) checkDictEntry(k, m);
    for (const [k, m] of pairs) this.set(k, m);
    return this;
  }

  keys(): string[] {
    return [...this.#items.keys()];
  }
  values(): M[] {
    return [...this.#items.values()];
  }
  entries(): [string, M][] {
    return [...this.#items.entries()];
  }

  /** Iterates over the keys, as PyTorch's ModuleDict does. */
  [Symbol.iterator](): Iterator<string> {
    return this.#items.keys();
  }

  override *namedChildren(): IterableIterator<[string, AnyModule]> {
    yield* this.#items.entries();
  }

  forward(): never {
    return noForward('ModuleDict');
  }

  private missing(api: string, key: string): ValueError {
    const known = this.keys().map((k) => `"${k}"`).join(', ') || 'none';
    return new ValueError(`ModuleDict.${api}: no entry under the key ${JSON.stringify(key)}; the keys are ${known}.`);
  }
}

/** What ModuleDict checks of an entry: update() runs it over a batch before adding any. */
function checkDictEntry(key: unknown, module: unknown): void {
  if (typeof key !== 'string' || key === '' || key.includes('.')) {
    throw new ValueError(`ModuleDict: the key ${JSON.stringify(key)} must be a non-empty string without "." (dots separate nested module names).`);
  }
  requireModule('ModuleDict', `the entry "${key}"`, module);
}

/**
 * Splits axis `dim` of the input into `sizes` (PyTorch's nn.Unflatten): [N, 12] with dim 1 and
 * sizes [3, 4] gives [N, 3, 4]. One size may be -1 (inferred). The inverse of Flatten.
 * @throws ShapeError when the sizes' product differs from the axis' length (naming both shapes).
 * @throws ValueError for a size that is not a positive integer or -1, or more than one -1.
 */
export class Unflatten extends Module {
  readonly sizes: readonly number[];

  constructor(
    readonly dim: number,
    sizes: readonly number[],
  ) {
    super();
    assertInteger('Unflatten', 'dim', dim);
    if (!Array.isArray(sizes) || sizes.length === 0 || !sizes.every((d) => Number.isInteger(d) && (d > 0 || d === -1))) {
      throw new ValueError(`Unflatten: sizes must be a non-empty list of positive integers (one may be -1), got ${JSON.stringify(sizes)}.`);
    }
    if (sizes.filter((d) => d === -1).length > 1) throw new ValueError(`Unflatten: only one size may be -1 (inferred), got ${JSON.stringify(sizes)}.`);
    this.sizes = [...sizes];
  }

  forward(x: Tensor): Tensor {
    assertTensor('Unflatten', 'the input', x);
    const axis = normalizeAxis('Unflatten', this.dim, x.rank);
    const n = x.shape[axis];
    const known = this.sizes.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
    const inferred = this.sizes.includes(-1);
    if (inferred ? known === 0 || n % known !== 0 : known !== n) {
      throw new ShapeError(
        `Unflatten(dim=${this.dim}, sizes=[${this.sizes.join(', ')}]): the input of shape [${x.shape.join(', ')}] has ${n} elements along axis ${axis}, ` +
          `which cannot be split into [${this.sizes.join(', ')}]; the sizes' product must equal ${n}.`,
      );
    }
    const sizes = this.sizes.map((d) => (d === -1 ? n / known : d));
    return x.reshape([...x.shape.slice(0, axis), ...sizes, ...x.shape.slice(axis + 1)]);
  }

  override extraRepr(): string {
    return `dim=${this.dim}, unflattenedSize=[${this.sizes.join(', ')}]`;
  }
}
