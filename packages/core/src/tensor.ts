import type { Backend } from './backend.js';
import { getBackend } from './backend.js';
import { bytesPerElement, canCast, isFloat, isFloatingPoint, type DType, type StorageArray, type TypedArray } from './dtype.js';
import { filledArray, toNumbers } from './convert.js';
import { AutogradError, BackendError, DisposedError, DTypeError, ShapeError, ValueError } from './errors.js';
import { fitValue } from './validate.js';
import { DISPOSED_BY, KEEP_ALIVE, setTensorTest, trackTensor } from './memory.js';
import { fmt, sizeOf, type Shape } from './shape.js';
import { Storage } from './storage.js';
import { layoutOf, materializeHandle, type Layout } from './view.js';
import type { GraphNode } from './autograd/engine.js';
import { computeGrads, enableGrad, isGradEnabled, noGrad } from './autograd/engine.js';
import * as U from './ops/unary.js';
import * as B from './ops/binary.js';
import * as R from './ops/reduce.js';
import * as M from './ops/movement.js';
import * as L from './ops/linalg.js';
import * as N from './ops/nn.js';
import * as A from './ops/tensor-api.js';
import * as I from './ops/indexing.js';
import * as S from './ops/sorting.js';
import { addHook, type RemovableHandle } from './hooks.js';

/**
 * A gradient hook (registerHook): receives the gradient of the tensor it is registered on and
 * returns nothing, or a tensor of the same shape and dtype to use instead.
 */
export type GradHook = (grad: Tensor) => Tensor | void;

/** A plain number is accepted wherever a tensor is. */
export type TensorLike = Tensor | number;

export type NestedArray = number | boolean | readonly NestedArray[];

let nextId = 0;

/**
 * An n-dimensional array on a backend, with reverse-mode autograd. Ops are methods and also
 * functions of the same name; both record the graph when an input requires grad.
 */
export class Tensor implements Disposable {
  /** Unique, increasing: tells tensors apart in graphs and error reports. */
  readonly id = nextId++;
  requiresGrad = false;
  /** The op that produced this tensor, when it was recorded for autograd. */
  node: GraphNode | null = null;
  private kept = false;
  /** A label for graphs and error reports ("x", "w1"...). */
  name: string | undefined = undefined;
  private storage_: Storage | null;
  private grad_: Tensor | null = null;
  private retainsGrad_ = false;
  /** registerHook()'s hooks by handle id, in registration order; null until the first one. */
  private gradHooks_: Map<number, GradHook> | null = null;
  /**
   * Counts in-place changes of this tensor's values (assign, optimizer steps): PyTorch's
   * `_version`. A graph node remembers its inputs' versions, and backward() refuses to use a
   * tensor that changed after it was saved.
   */
  private version_ = 0;

  /** Whether this tensor escaped every tidy() scope, so garbage collection frees it if dropped. */
  private finalizable = false;
  /** Where the elements sit in the storage; null: row-major over the whole storage. */
  private layout_: Layout | null;
  /** Made by a view op (permute, expand, slice, reshape...) sharing its input's storage. */
  private view_: boolean;

  /**
   * @internal Tensors are made by ops and creation functions. `layout` places a view's elements
   * in `storage` (null: row-major over all of it); `isView` marks a tensor sharing another's storage.
   */
  readonly shape: Shape;

  constructor(storage: Storage, shape: Shape, readonly dtype: DType, layout: Layout | null = null, isView = false) {
    // A copy, frozen: a caller changing the array it passed (reshape(s), then s[0] = 7) must not
    // change this tensor's shape.
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze(shape.slice());
    this.storage_ = storage;
    this.layout_ = layout;
    this.view_ = isView;
    // Inside tidy() the scope frees the tensor; only what escapes needs the GC's safety net.
    if (!trackTensor(this)) this.makeFinalizable();
  }

  /** Survives every enclosing tidy() (parameters, gradients, keep()). */
  get isKept(): boolean {
    return this.kept;
  }
  set isKept(flag: boolean) {
    this.kept = flag;
    if (flag) this.makeFinalizable();
  }

  /** @internal Lets garbage collection free the storage once no tensor references it. */
  makeFinalizable(): void {
    if (this.finalizable || this.storage_ === null) return;
    this.storage_.makeCollectable();
    this.finalizable = true;
  }

  /** How many times this tensor's values were changed in place (PyTorch's `_version`). */
  get version(): number {
    return this.version_;
  }

  /** Points this tensor at another storage (row-major over all of it), releasing the old one. */
  private replaceStorage(next: Storage): void {
    const old = this.storage;
    this.storage_ = next;
    this.layout_ = null;
    this.view_ = false;
    // A tensor that escaped tidy() lets the GC free its new storage too; one in a scope is freed by it.
    if (this.finalizable) next.makeCollectable();
    old.release();
  }

  /** Makes a tensor from values already laid out row-major; takes ownership of `values`. */
  static fromValues(values: StorageArray, shape: Shape, dtype: DType, backend: Backend = getBackend()): Tensor {
    const handle = backend.fromArray(values as never, shape, dtype);
    return new Tensor(new Storage(backend, handle, values.length * bytesPerElement(dtype)), shape, dtype);
  }

  get backend(): Backend {
    return this.alive('backend').backend;
  }
  /** The backend storage; kernels read it. */
  get handle(): unknown {
    return this.alive('handle').handle;
  }
  /** @internal shared by reshape-like views. */
  get storage(): Storage {
    return this.alive('storage');
  }
  get isDisposed(): boolean {
    return this.storage_ === null;
  }
  /** @internal Where the elements sit in the storage; null for a row-major tensor over all of it. */
  get layout(): Layout | null {
    return this.layout_;
  }
  /** Element strides into the storage (PyTorch's `stride()`): 0 on expanded axes. */
  get strides(): readonly number[] {
    return layoutOf(this.shape, this.layout_).strides;
  }
  /** The storage element holding element [0, ..., 0] (PyTorch's `storage_offset()`). */
  get offset(): number {
    return this.layout_?.offset ?? 0;
  }
  /**
   * Whether the elements lie row-major over the whole storage, as kernels read them. A view made
   * by permute, expand or slice usually does not; `contiguous()` makes a copy that does.
   */
  get isContiguous(): boolean {
    return this.layout_ === null;
  }
  /** Whether this tensor is a view sharing another tensor's storage (permute, expand, slice, reshape...). */
  get isView(): boolean {
    return this.view_;
  }
  /**
   * @internal The storage holding this tensor's elements row-major over all of it, for the caller
   * to release: this tensor's own (retained), or a fresh copy of a view's elements.
   */
  rowMajorStorage(method: string): Storage {
    const s = this.alive(method);
    if (this.layout_ === null) return s.retain();
    const handle = materializeHandle(s, this.dtype, this.shape, this.layout_);
    return new Storage(s.backend, handle, this.size * bytesPerElement(this.dtype));
  }
  get rank(): number {
    return this.shape.length;
  }
  get size(): number {
    return sizeOf(this.shape);
  }
  get isLeaf(): boolean {
    return this.node === null;
  }

  /** The storage, or the library's error naming `method` when this tensor was disposed. */
  private alive(method: string): Storage {
    if (this.storage_ === null) {
      throw new DisposedError(
        `${method}: tensor ${this.id} (shape ${fmt(this.shape)}, ${this.dtype}) was disposed ${DISPOSED_BY}. ${KEEP_ALIVE}`,
      );
    }
    return this.storage_;
  }

  /** Frees the storage now (when no other view shares it). Safe to call twice. */
  dispose(): void {
    if (this.storage_ === null) return;
    this.finalizable = false;
    this.storage_.release();
    this.storage_ = null;
    this.node = null;
    if (this.grad_) {
      this.grad_.dispose();
      this.grad_ = null;
    }
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- autograd --------------------------------------------------------------------------

  /** The accumulated gradient of a leaf (or of a tensor that called retainGrad()). */
  get grad(): Tensor | null {
    return this.grad_;
  }
  set grad(g: Tensor | null) {
    if (g !== null && !(g instanceof Tensor)) throw new ValueError(`grad: a gradient must be a Tensor or null, got ${typeof g}.`);
    if (g !== null && g.shape.join() !== this.shape.join()) {
      throw new ValueError(`grad: a gradient of shape ${fmt(g.shape)} cannot be set on a tensor of shape ${fmt(this.shape)}.`);
    }
    if (this.grad_ && this.grad_ !== g) this.grad_.dispose();
    this.grad_ = g;
    if (g) g.isKept = true;
  }

  /** Marks a leaf as a variable to differentiate with respect to. Returns this. */
  requiresGrad_(flag = true): this {
    if (typeof flag !== 'boolean') throw new ValueError(`requiresGrad_: flag must be true or false, got ${typeof flag}.`);
    if (flag && !isFloat(this.dtype)) {
      throw new AutogradError(`requiresGrad_: only float tensors can require grad, this one is ${this.dtype}; cast it first with .cast("float32").`);
    }
    if (!flag && this.node) {
      throw new AutogradError('requiresGrad_(false): this tensor is the result of an op; use .detach() to cut it from the graph.');
    }
    this.requiresGrad = flag;
    return this;
  }

  /** Keeps .grad on a non-leaf after backward(). */
  retainGrad(): this {
    this.retainsGrad_ = true;
    return this;
  }

  /** Whether backward() keeps this tensor's gradient in .grad (a leaf always does). */
  get retainsGrad(): boolean {
    return this.retainsGrad_;
  }

  /**
   * Registers `hook` to run each time this tensor's gradient has been computed by backward(),
   * grad(), valueAndGrad() or vjp() (PyTorch's `Tensor.register_hook`). The hook receives the
   * gradient, complete (every use of this tensor summed), and may return a tensor of the same
   * shape and dtype to use instead: it then flows on to the inputs of the op that made this tensor
   * and, for a leaf, into `.grad`. Several hooks run in registration order, each on the previous
   * one's result. The gradient handed in is freed once backward() no longer needs it: to keep it,
   * store `grad.clone()`. With `createGraph` the hook's ops are recorded too.
   * @returns a handle whose `remove()` unregisters the hook.
   * @throws AutogradError when this tensor does not require grad (it would never get a gradient).
   * @throws ValueError when `hook` is not a function.
   */
  registerHook(hook: GradHook): RemovableHandle {
    this.alive('registerHook');
    if (typeof hook !== 'function') throw new ValueError(`registerHook: the hook must be a function (grad) => Tensor | void, got ${hook === null ? 'null' : typeof hook}.`);
    if (!this.requiresGrad) {
      throw new AutogradError(
        `registerHook: this tensor (shape ${fmt(this.shape)}) does not require grad, so it never gets a gradient to hook; call requiresGrad_() first (on a leaf), or hook a tensor computed from one that requires grad.`,
      );
    }
    return addHook((this.gradHooks_ ??= new Map()), hook);
  }

  /** @internal Whether registerHook() hooks wait for this tensor's gradient. */
  get hasGradHooks(): boolean {
    return this.gradHooks_ !== null && this.gradHooks_.size > 0;
  }

  /**
   * @internal Runs the gradient hooks on `grad`, in order; returns the last replacement, or
   * `grad` itself when no hook returned one.
   * @throws AutogradError when a hook returns something other than nothing or a live tensor of the gradient's shape and dtype.
   */
  runGradHooks(grad: Tensor): Tensor {
    let g = grad;
    // A copy: a hook may remove itself (or add another) while the hooks run.
    for (const hook of [...(this.gradHooks_?.values() ?? [])]) {
      const r = hook(g);
      if (r === undefined) continue;
      if (!(r instanceof Tensor) || r.isDisposed || r.shape.join() !== g.shape.join() || r.dtype !== g.dtype) {
        const got = r instanceof Tensor ? (r.isDisposed ? 'a disposed tensor' : `a ${r.dtype} tensor of shape ${fmt(r.shape)}`) : r === null ? 'null' : typeof r;
        throw new AutogradError(
          `registerHook: a gradient hook on tensor ${this.name ? `"${this.name}"` : this.id} (shape ${fmt(this.shape)}) returned ${got}; ` +
            `a hook must return nothing or a ${g.dtype} tensor of the gradient's shape ${fmt(g.shape)}.`,
        );
      }
      g = r;
    }
    return g;
  }

  /**
   * Accumulates d(this)/d(leaf) into every leaf's .grad. A non-scalar needs `gradient`, the
   * vector of the vector-Jacobian product (same shape as this).
   */
  backward(gradient?: Tensor, options: { createGraph?: boolean } = {}): void {
    if (gradient !== undefined && !(gradient instanceof Tensor)) {
      throw new ValueError(`backward: gradient must be a Tensor of the output's shape ${fmt(this.shape)}, got ${gradient === null ? 'null' : typeof gradient}.`);
    }
    if (!this.requiresGrad) {
      throw new AutogradError(
        `backward: this tensor (shape ${fmt(this.shape)}) does not require grad, so no graph was recorded. ` +
          `Call requiresGrad_() on the inputs you differentiate with respect to, before computing it (and not inside noGrad).`,
      );
    }
    let seed = gradient;
    if (!seed) {
      if (this.size !== 1) {
        throw new AutogradError(
          `backward: the output has shape ${fmt(this.shape)}, so it needs a gradient of that shape; call backward(gradient), or reduce it first (.sum() or .mean()).`,
        );
      }
      seed = Tensor.fromValues(filledArray(this.dtype, 1, 1), this.shape, this.dtype, this.backend);
    } else if (seed.shape.join() !== this.shape.join()) {
      throw new AutogradError(`backward: the gradient has shape ${fmt(seed.shape)} but the output has shape ${fmt(this.shape)}; they must match.`);
    }
    const grads = computeGrads([this], [seed], { ...options, zerosForReachedLeaves: true, freeIntermediate: true });
    // One gradient tensor can answer for several tensors (add passes it to both inputs), or be the
    // caller's `gradient`: each .grad then gets its own view of the storage, so that replacing or
    // disposing one gradient never frees another.
    const given = new Set<Tensor>();
    for (const [t, g] of grads) {
      if (!(t.isLeaf || t.retainsGrad) || !t.requiresGrad) continue;
      const own = given.has(g) || g === gradient ? (options.createGraph ? enableGrad(() => g.reshape([...g.shape])) : g.detach()) : g;
      given.add(g);
      const prev = t.grad_;
      let next = own;
      if (prev) {
        next = options.createGraph ? prev.add(own) : noGrad(() => prev.add(own));
        prev.dispose();
        if (!options.createGraph && own !== gradient) own.dispose();
      }
      // A gradient rule may return a view (permute's gives g.permute(...)); .grad is the leaf's
      // own tensor, which in-place ops (grad.zero_()) must be able to change.
      next.view_ = false;
      t.grad_ = next;
      next.isKept = true;
    }
    if (gradient === undefined && !given.has(seed) && !options.createGraph) seed.dispose();
  }

  /** A tensor that shares storage but has no graph history. */
  detach(): Tensor {
    const t = new Tensor(this.alive('detach').retain(), this.shape, this.dtype, this.layout_, this.view_);
    return t;
  }

  /** Replaces this tensor's values with `source`'s (same shape and dtype), outside autograd: optimizer updates. */
  assign(source: Tensor): this {
    if (!(source instanceof Tensor)) throw new ValueError(`assign: the source must be a Tensor, got ${source === null ? 'null' : typeof source}.`);
    this.alive('assign');
    source.alive('assign (the source)');
    if (source.shape.join() !== this.shape.join() || source.dtype !== this.dtype) {
      throw new ValueError(
        `assign: cannot put a ${source.dtype} tensor of shape ${fmt(source.shape)} into a ${this.dtype} tensor of shape ${fmt(this.shape)}.`,
      );
    }
    this.refuseView('assign');
    if (source.backend !== this.backend) source = source.to(this.backend.name);
    // A view's elements are copied out: this tensor holds them row-major.
    this.replaceStorage(source.rowMajorStorage('assign (the source)'));
    this.version_++;
    return this;
  }

  // ---- reading values ---------------------------------------------------------------------

  /**
   * A copy of the values, row-major, as numbers: the dtype's typed array for float32, float64,
   * int32 and bool (0/1 bytes); a Float32Array for float16 and bfloat16 (exact); a Float64Array for
   * int64. rawDataSync() gives the storage itself (bits, bigints).
   * @throws ValueError for an int64 value beyond ±2^53, which a number would round; use rawDataSync().
   */
  dataSync(): TypedArray {
    return this.numbers(this.readNow('dataSync', 'await t.data()'), 'dataSync');
  }
  /**
   * A copy of the storage as the backend holds it: dataSync()'s array for the compute dtypes, the
   * IEEE 754 / bfloat16 bit patterns (a Uint16Array) for float16 and bfloat16, a BigInt64Array
   * (exact) for int64. What checkpoints save.
   */
  rawDataSync(): StorageArray {
    return this.readNow('rawDataSync', 'await t.rawData()').slice();
  }
  /** rawDataSync(), read asynchronously (any backend). */
  async rawData(): Promise<StorageArray> {
    const storage = this.rowMajorStorage('rawData');
    try {
      return (await storage.backend.read(storage.handle, this.shape, this.dtype)).slice();
    } finally {
      storage.release();
    }
  }

  /** Storage as numbers, always a fresh array (see dataSync). */
  private numbers(v: StorageArray, method: string): TypedArray {
    if (this.dtype === 'int64') {
      const b = v as BigInt64Array;
      const out = new Float64Array(b.length);
      for (let i = 0; i < b.length; i++) {
        const x = b[i];
        if (x > 9007199254740992n || x < -9007199254740992n) {
          throw new ValueError(
            `${method}: the int64 value ${x} at position ${i} is beyond ±2^53, where a JavaScript number would round it; ` +
              'read the exact values with rawDataSync() (or await rawData()), a BigInt64Array.',
          );
        }
        out[i] = Number(x);
      }
      return out;
    }
    if (this.dtype === 'float16' || this.dtype === 'bfloat16') return toNumbers(v, this.dtype) as Float32Array;
    return v.slice() as TypedArray;
  }
  /**
   * A copy of the values as they are when data() is called: the storage is held until the read
   * completes, so disposing the tensor (or leaving its tidy) meanwhile cannot hand its buffer to
   * another tensor.
   */
  async data(): Promise<TypedArray> {
    const storage = this.rowMajorStorage('data');
    try {
      return this.numbers(await storage.backend.read(storage.handle, this.shape, this.dtype), 'data');
    } finally {
      storage.release();
    }
  }
  /**
   * The values as nested arrays (a number for a scalar); bool as booleans, float16/bfloat16 and
   * int64 as numbers.
   * @throws ValueError for an int64 value beyond ±2^53 (see dataSync).
   */
  toArray(): NestedArray {
    return this.nest(this.numbers(this.readNow('toArray', 'await t.array()'), 'toArray'));
  }

  /** The values as nested arrays, read asynchronously: toArray() for any backend. */
  async array(): Promise<NestedArray> {
    const storage = this.rowMajorStorage('array');
    try {
      return this.nest(this.numbers(await storage.backend.read(storage.handle, this.shape, this.dtype), 'array'));
    } finally {
      storage.release();
    }
  }

  private nest(values: ArrayLike<number>): NestedArray {
    const toValue = this.dtype === 'bool' ? (v: number) => v !== 0 : (v: number) => v;
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.shape.length) return toValue(values[offset]);
      const n = this.shape[dim];
      const stride = sizeOf(this.shape.slice(dim + 1));
      const out: NestedArray[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = build(dim + 1, offset + i * stride);
      return out;
    };
    return build(0, 0);
  }
  /**
   * The value of a one-element tensor, as a number.
   * @throws ValueError for an int64 value beyond ±2^53: read it exactly with rawDataSync()[0].
   */
  item(): number {
    this.alive('item');
    if (this.size !== 1) {
      throw new ValueError(`item: only a one-element tensor has an item; this one has shape ${fmt(this.shape)}. Reduce it first (.sum(), .mean()) or use toArray().`);
    }
    return this.numbers(this.readNow('item', '(await t.data())[0]'), 'item')[0];
  }

  /**
   * The values now, from a backend that can read synchronously.
   * @throws BackendError naming `method` and the asynchronous alternative when it cannot.
   */
  private readNow(method: string, instead: string): StorageArray {
    const s = this.alive(method);
    if (s.backend.readSync === undefined) {
      throw new BackendError(
        `${method}: backend "${s.backend.name}" keeps its data on a device and has no synchronous read; use ${instead} instead.`,
      );
    }
    if (this.layout_ === null) return s.backend.readSync(s.handle, this.shape, this.dtype);
    // A view: read a row-major copy, and copy it out before the copy's buffer goes back.
    const copy = this.rowMajorStorage(method);
    try {
      return s.backend.readSync(copy.handle, this.shape, this.dtype).slice();
    } finally {
      copy.release();
    }
  }

  /** A copy on another backend (same values, no graph). */
  to(backendName: string): Tensor {
    this.alive('to');
    const target = getBackend(backendName);
    if (target === this.backend) return this;
    const values = this.rawDataSync();
    const t = Tensor.fromValues(values, this.shape, this.dtype, target);
    t.requiresGrad = this.requiresGrad && this.isLeaf;
    return t;
  }

  /**
   * Moves this tensor's values (and its gradient) to another backend in place, keeping its
   * identity, so modules and optimizers holding it see the move (PyTorch's `param.data = ...`).
   */
  moveTo_(backendName: string): this {
    this.alive('moveTo_');
    const target = getBackend(backendName);
    if (target === this.backend) return this;
    const values = this.rawDataSync();
    const handle = target.fromArray(values as never, this.shape, this.dtype);
    this.replaceStorage(new Storage(target, handle, values.length * bytesPerElement(this.dtype)));
    this.node = null;
    this.grad_?.moveTo_(backendName);
    return this;
  }

  /** The same text as `console.log(t)`: see format(). */
  toString(): string {
    return this.format();
  }

  /** What `console.log(t)` and `util.inspect` print in Node: the summarised, rounded values. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.format();
  }

  /**
   * The values as PyTorch prints them: 4 decimals for floats, each axis with more than 6 entries
   * summarised as its first and last 3 joined by `...`, then the dtype and grad flags.
   */
  format(): string {
    if (this.isDisposed) return `tensor(disposed, shape=${fmt(this.shape)}, dtype=${this.dtype})`;
    const flags = `${this.dtype !== 'float32' ? `, dtype=${this.dtype}` : ''}${this.requiresGrad ? ', requiresGrad=true' : ''}`;
    if (this.backend.readSync === undefined) return `tensor([${this.size} values on "${this.backend.name}": read them with await array()], shape=${fmt(this.shape)}${flags})`;
    const raw = this.readNow('format', 'await t.array()');
    // int64 prints its exact digits; float16/bfloat16 their values.
    const values: ArrayLike<number | bigint> = this.dtype === 'int64' ? (raw as BigInt64Array) : toNumbers(raw, this.dtype);
    const float = isFloatingPoint(this.dtype);
    const cell = (v: number | bigint): string => {
      if (typeof v === 'bigint') return String(v);
      if (this.dtype === 'bool') return v !== 0 ? 'True' : 'False';
      if (!float) return String(v);
      if (Number.isNaN(v)) return 'nan';
      if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
      const tinyOrHuge = Math.abs(v) >= 1e8 || (v !== 0 && Math.abs(v) < 1e-4);
      return tinyOrHuge ? v.toExponential(4) : v.toFixed(4);
    };
    const EDGE = 3;
    const strides = this.shape.map((_, i) => sizeOf(this.shape.slice(i + 1)));
    const render = (dim: number, offset: number, indent: string): string => {
      if (dim === this.rank) return cell(values[offset]);
      const n = this.shape[dim];
      const shown = n > 2 * EDGE ? [...Array(EDGE).keys(), -1, ...Array.from({ length: EDGE }, (_, i) => n - EDGE + i)] : [...Array(n).keys()];
      const parts = shown.map((i) => (i < 0 ? '...' : render(dim + 1, offset + i * strides[dim], `${indent} `)));
      const sep = dim === this.rank - 1 ? ', ' : `,${'\n'.repeat(this.rank - dim - 1)}${indent} `;
      return `[${parts.join(sep)}]`;
    };
    return `tensor(${render(0, 0, '       ')}${flags})`;
  }

  // ---- in-place ops (PyTorch's trailing underscore) -------------------------------------------

  /**
   * Replaces this tensor's values with `compute()`'s (same shape and dtype), bumping its version,
   * so a backward() through a graph that saved the old values throws instead of using the new ones.
   * @throws AutogradError on a leaf that requires grad while gradients are recorded (PyTorch's rule;
   *   do it in noGrad), or on a tensor produced by a recorded op (use the out-of-place op).
   * @throws ShapeError / DTypeError when the result would not fit this tensor's shape or dtype.
   */
  private inPlace(method: string, compute: () => Tensor): this {
    this.alive(method);
    this.refuseView(method);
    if (this.requiresGrad && isGradEnabled()) {
      throw new AutogradError(
        this.isLeaf
          ? `${method}: a leaf tensor that requires grad (shape ${fmt(this.shape)}) cannot be changed in place while gradients are recorded; do it inside noGrad(() => ...), as optimizers do.`
          : `${method}: this tensor (shape ${fmt(this.shape)}) is the output of a recorded ${this.node?.op ?? 'op'}; changing it in place would not be seen by the graph. Use the out-of-place op (y = y.${method.slice(0, -1)}(...)).`,
      );
    }
    const result = noGrad(compute);
    try {
      if (result.shape.join() !== this.shape.join()) {
        throw new ShapeError(`${method}: the result has shape ${fmt(result.shape)} but this tensor has shape ${fmt(this.shape)}; an in-place op cannot change the shape (broadcast the other operand to this shape, or use the out-of-place op).`);
      }
      if (result.dtype !== this.dtype && !canCast(result.dtype, this.dtype)) {
        throw new DTypeError(`${method}: the result is ${result.dtype} but this tensor is ${this.dtype}, which cannot hold it (a float in an integer, or a number in bool: torch.can_cast); cast this tensor first, or use the out-of-place op.`);
      }
      // PyTorch writes a promoted result back in the tensor's own dtype when the kind allows (float32.add_(float64)).
      if (result.dtype !== this.dtype) {
        const cast = noGrad(() => result.cast(this.dtype));
        this.assign(cast);
        cast.dispose();
      } else this.assign(result);
    } finally {
      result.dispose();
    }
    return this;
  }
  /**
   * In-place ops replace this tensor's storage (copy-on-write) rather than writing into it, so they
   * cannot reach the tensor a view was made from, as PyTorch's would: refused on views until they
   * can. Other tensors sharing the old storage (views, detach()) keep the values they had.
   */
  private refuseView(method: string): void {
    if (!this.view_) return;
    throw new ValueError(
      `${method}: this tensor (shape ${fmt(this.shape)}) is a view sharing another tensor's storage (made by permute, transpose, expand, slice, ` +
        `reshape, squeeze...); tsgrad's in-place ops do not write through views yet, so the change would not reach the tensor it views (PyTorch's would). ` +
        `Call .clone() first to change a copy of its own, or compute the new whole tensor out of place (where, pad, scatter) and assign it to the base.`,
    );
  }
  add_(other: TensorLike): this { return this.inPlace('add_', () => B.add(this, other)); }
  sub_(other: TensorLike): this { return this.inPlace('sub_', () => B.sub(this, other)); }
  mul_(other: TensorLike): this { return this.inPlace('mul_', () => B.mul(this, other)); }
  div_(other: TensorLike): this { return this.inPlace('div_', () => B.div(this, other)); }
  clamp_(min?: TensorLike, max?: TensorLike): this { return this.inPlace('clamp_', () => B.clamp(this, min, max)); }
  /** Sets every element to `value` (checked against the dtype: 3e9 is refused for int32). */
  fill_(value: number | boolean): this {
    const v = fitValue('fill_', value, this.dtype, 'value');
    return this.inPlace('fill_', () => Tensor.fromValues(filledArray(this.dtype, this.size, v), this.shape, this.dtype, this.backend));
  }
  zero_(): this { return this.fill_(0); }
  /** Copies `source`'s values (same shape and dtype) into this tensor. */
  copy_(source: Tensor): this {
    if (!(source instanceof Tensor)) throw new ValueError(`copy_: the source must be a Tensor, got ${source === null ? 'null' : typeof source}.`);
    return this.inPlace('copy_', () => source.detach());
  }

  // ---- ops (each also a function of the same name) ---------------------------------------------
  add(other: TensorLike): Tensor { return B.add(this, other); }
  sub(other: TensorLike): Tensor { return B.sub(this, other); }
  mul(other: TensorLike): Tensor { return B.mul(this, other); }
  div(other: TensorLike): Tensor { return B.div(this, other); }
  floorDivide(other: TensorLike): Tensor { return B.floorDivide(this, other); }
  pow(exponent: TensorLike): Tensor { return B.pow(this, exponent); }
  maximum(other: TensorLike): Tensor { return B.maximum(this, other); }
  minimum(other: TensorLike): Tensor { return B.minimum(this, other); }
  eq(other: TensorLike): Tensor { return B.equal(this, other); }
  ne(other: TensorLike): Tensor { return B.notEqual(this, other); }
  lt(other: TensorLike): Tensor { return B.less(this, other); }
  le(other: TensorLike): Tensor { return B.lessEqual(this, other); }
  gt(other: TensorLike): Tensor { return B.greater(this, other); }
  ge(other: TensorLike): Tensor { return B.greaterEqual(this, other); }
  clamp(min?: TensorLike, max?: TensorLike): Tensor { return B.clamp(this, min, max); }

  neg(): Tensor { return U.neg(this); }
  exp(): Tensor { return U.exp(this); }
  log(): Tensor { return U.log(this); }
  log1p(): Tensor { return U.log1p(this); }
  sqrt(): Tensor { return U.sqrt(this); }
  square(): Tensor { return B.mul(this, this); }
  abs(): Tensor { return U.abs(this); }
  sign(): Tensor { return U.sign(this); }
  relu(): Tensor { return U.relu(this); }
  sigmoid(): Tensor { return U.sigmoid(this); }
  tanh(): Tensor { return U.tanh(this); }
  sin(): Tensor { return U.sin(this); }
  cos(): Tensor { return U.cos(this); }
  erf(): Tensor { return U.erf(this); }
  floor(): Tensor { return U.floor(this); }
  cast(dtype: DType): Tensor { return U.cast(this, dtype); }

  sum(axis?: number | readonly number[], keepDims = false): Tensor { return R.sum(this, axis, keepDims); }
  mean(axis?: number | readonly number[], keepDims = false): Tensor { return R.mean(this, axis, keepDims); }
  /**
   * {@link S.max}: `x.max()` and `x.max([axes], keepDims)` give the largest values (a Tensor,
   * PyTorch's amax); `x.max(axis, keepDims)` with one axis number gives `{ values, indices }`, as
   * `torch.max(input, dim)` does.
   */
  max(): Tensor;
  max(axis: readonly number[] | undefined, keepDims?: boolean): Tensor;
  max(axis: number, keepDims?: boolean): S.ValuesAndIndices;
  max(axis?: number | readonly number[], keepDims = false): Tensor | S.ValuesAndIndices { return S.max(this, axis as never, keepDims); }
  /** {@link S.min}: as {@link Tensor.max} with the smallest values. */
  min(): Tensor;
  min(axis: readonly number[] | undefined, keepDims?: boolean): Tensor;
  min(axis: number, keepDims?: boolean): S.ValuesAndIndices;
  min(axis?: number | readonly number[], keepDims = false): Tensor | S.ValuesAndIndices { return S.min(this, axis as never, keepDims); }
  /** {@link R.amax}: the largest values over `axis` (one or several; all by default), a Tensor. */
  amax(axis?: number | readonly number[], keepDims = false): Tensor { return R.amax(this, axis, keepDims); }
  /** {@link R.amin}: the smallest values over `axis` (one or several; all by default), a Tensor. */
  amin(axis?: number | readonly number[], keepDims = false): Tensor { return R.amin(this, axis, keepDims); }
  argmax(axis = -1, keepDims = false): Tensor { return R.argmax(this, axis, keepDims); }

  matmul(other: Tensor): Tensor { return L.matmul(this, other); }

  reshape(shape: readonly number[]): Tensor { return M.reshape(this, shape); }
  /** {@link M.contiguous}: this tensor, or a row-major copy of a view's elements (PyTorch's `contiguous()`). */
  contiguous(): Tensor { return M.contiguous(this); }
  flatten(startAxis = 0, endAxis = -1): Tensor { return M.flatten(this, startAxis, endAxis); }
  squeeze(axis?: number | readonly number[]): Tensor { return M.squeeze(this, axis); }
  unsqueeze(axis: number): Tensor { return M.unsqueeze(this, axis); }
  permute(perm: readonly number[]): Tensor { return M.permute(this, perm); }
  transpose(axis0 = -2, axis1 = -1): Tensor { return M.transpose(this, axis0, axis1); }
  /** The matrix transpose of a 2-D tensor (swaps the last two axes in general). */
  get T(): Tensor { return M.transpose(this, -2, -1); }
  expand(shape: readonly number[]): Tensor { return M.expand(this, shape); }
  slice(begin: readonly number[], size?: readonly number[]): Tensor { return M.slice(this, begin, size); }
  pad(padding: readonly (readonly [number, number])[], value = 0): Tensor { return M.pad(this, padding, value); }
  /** {@link M.indexSelect}: whole slices along `axis` by index (PyTorch's `index_select`). */
  indexSelect(indices: Tensor | readonly number[], axis = 0): Tensor { return M.indexSelect(this, indices, axis); }
  /** {@link I.gather}: PyTorch's `x.gather(dim, index)` (index of x's rank); whole slices are {@link Tensor.indexSelect}. */
  gather(axis: number, index: Tensor): Tensor { return I.gather(this, axis, index); }
  /** {@link I.scatter}: x with src written where index points along `axis` (PyTorch's `scatter`), out of place. */
  scatter(axis: number, index: Tensor, src: Tensor | number, options?: I.ScatterOptions): Tensor { return I.scatter(this, axis, index, src, options); }
  /** {@link I.scatterAdd}: x plus src summed in where index points along `axis` (PyTorch's `scatter_add`), out of place. */
  scatterAdd(axis: number, index: Tensor, src: Tensor): Tensor { return I.scatterAdd(this, axis, index, src); }
  /** {@link I.indexAdd}: x plus alpha·source added into the slices index names (PyTorch's `index_add`), out of place. */
  indexAdd(axis: number, index: Tensor | readonly number[], source: Tensor, alpha = 1): Tensor { return I.indexAdd(this, axis, index, source, alpha); }
  /**
   * {@link I.index}: PyTorch's basic indexing. `x.index(0, { start: 1, step: 2 }, -1)` and
   * `x.index('0, 1::2, -1')` are `x[0, 1::2, -1]`; null is None, '...' the ellipsis.
   */
  index(...items: I.IndexItem[]): Tensor { return I.index(this, ...items); }
  /** {@link S.sort}: `{ values, indices }` sorted along `axis` (stable; NaN largest). */
  sort(axis = -1, descending = false): S.ValuesAndIndices { return S.sort(this, axis, descending); }
  /** {@link S.argsort}: the int32 indices that sort along `axis` (stable; NaN largest). */
  argsort(axis = -1, descending = false): Tensor { return S.argsort(this, axis, descending); }
  /** {@link S.topk}: `{ values, indices }` of the k largest (or smallest) along `axis`, sorted. */
  topk(k: number, axis = -1, largest = true, sorted = true): S.ValuesAndIndices { return S.topk(this, k, axis, largest, sorted); }

  softmax(axis = -1): Tensor { return N.softmax(this, axis); }
  logSoftmax(axis = -1): Tensor { return N.logSoftmax(this, axis); }

  // The tensor API of issue 10; each documented at its function in ops/tensor-api.ts.
  /** Variance over `axis` (unbiased by default): see {@link A.variance} (torch.var). */
  var(axis?: number | readonly number[], options?: A.VarOptions): Tensor { return A.variance(this, axis, options); }
  std(axis?: number | readonly number[], options?: A.VarOptions): Tensor { return A.std(this, axis, options); }
  logsumexp(axis?: number | readonly number[], keepDims = false): Tensor { return A.logsumexp(this, axis, keepDims); }
  norm(p = 2, axis?: number | readonly number[], keepDims = false): Tensor { return A.norm(this, p, axis, keepDims); }
  tril(diagonal = 0): Tensor { return A.tril(this, diagonal); }
  triu(diagonal = 0): Tensor { return A.triu(this, diagonal); }
  maskedFill(mask: Tensor, value: number | boolean): Tensor { return A.maskedFill(this, mask, value); }
  isnan(): Tensor { return A.isnan(this); }
  isfinite(): Tensor { return A.isfinite(this); }
  all(axis?: number | readonly number[], keepDims = false): Tensor { return A.all(this, axis, keepDims); }
  any(axis?: number | readonly number[], keepDims = false): Tensor { return A.any(this, axis, keepDims); }
  argmin(axis = -1, keepDims = false): Tensor { return A.argmin(this, axis, keepDims); }
  cumsum(axis: number): Tensor { return A.cumsum(this, axis); }
  /** {@link A.cumprod}: cumulative product along `axis` (gradient exact at zeros). */
  cumprod(axis: number): Tensor { return A.cumprod(this, axis); }
  clone(): Tensor { return A.clone(this); }
  split(splitSizeOrSections: number | readonly number[], axis = 0): Tensor[] { return A.split(this, splitSizeOrSections, axis); }
  chunk(chunks: number, axis = 0): Tensor[] { return A.chunk(this, chunks, axis); }
  unbind(axis = 0): Tensor[] { return A.unbind(this, axis); }
  repeat(repeats: readonly number[]): Tensor { return A.repeat(this, repeats); }
  tile(reps: readonly number[]): Tensor { return A.tile(this, reps); }
  flip(axes: number | readonly number[]): Tensor { return A.flip(this, axes); }
  roll(shifts: number | readonly number[], axes?: number | readonly number[]): Tensor { return A.roll(this, shifts, axes); }
}

setTensorTest((v: unknown): v is Tensor => v instanceof Tensor);
