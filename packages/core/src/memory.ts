import { getBackend, type Backend, type MemoryInfo } from './backend.js';
import { AutogradError, ValueError } from './errors.js';
import type { Tensor } from './tensor.js';

/** How a tensor gets disposed, for every "was disposed" message (one wording library-wide). */
export const DISPOSED_BY = '(by dispose(), an enclosing tidy(), or the DataLoader that handed it out moving to its next batch)';
/** The fix every "was disposed" message ends with. */
export const KEEP_ALIVE = 'Keep it alive with keep(t), or return it from the tidy() that made it.';

const isThenable = (v: unknown): boolean => v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';

/**
 * What tidy, noGrad and enableGrad check of `fn` before running it: a function, and not an async
 * one. `refuseAsync(api, fn, result)` checks what it returned.
 */
export function checkScopeFn(api: string, fn: unknown): void {
  if (typeof fn !== 'function') {
    throw new ValueError(`${api}(fn): fn must be a function, got ${fn === null ? 'null' : typeof fn}. Write ${api}(() => { ... }).`);
  }
  refuseAsync(api, fn);
}

/** Refuses a function that returns a promise: a scope around async code ends at its first await. */
export function refuseAsync(api: string, fn: unknown, result?: unknown): void {
  const isAsyncFn = typeof fn === 'function' && fn.constructor?.name === 'AsyncFunction';
  if (isAsyncFn || isThenable(result)) {
    throw new AutogradError(
      `${api}(fn): fn is async (it returns a Promise), but ${api} applies only until fn's first await. ` +
        `Call ${api} around the synchronous parts instead, e.g. \`const y = ${api}(() => model.call(x)); await ...\`.`,
    );
  }
}

/**
 * The return type of a function that tidy, noGrad and enableGrad accept: anything but a promise.
 * An async function is a compile error that says why (and a runtime error where types are absent).
 */
export type NotAsync<T> = T extends PromiseLike<unknown> ? 'fn must be synchronous: a scope ends at the first await (see docs/memory.md)' : T;

const scopes: Tensor[][] = [];

/** Called for every new tensor: the innermost tidy() scope owns it. False outside any scope. */
export function trackTensor(t: Tensor): boolean {
  if (scopes.length === 0) return false;
  scopes[scopes.length - 1].push(t);
  return true;
}

function collectTensors(value: unknown, into: Set<Tensor>, isTensor: (v: unknown) => v is Tensor, depth = 0): void {
  if (depth > 8 || value === null || typeof value !== 'object') return;
  if (isTensor(value)) {
    into.add(value);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collectTensors(v, into, isTensor, depth + 1);
  else if (value instanceof Map) for (const v of value.values()) collectTensors(v, into, isTensor, depth + 1);
  else if (Object.getPrototypeOf(value) === Object.prototype)
    for (const v of Object.values(value)) collectTensors(v, into, isTensor, depth + 1);
}

let isTensorFn: (v: unknown) => v is Tensor = (v): v is Tensor => false;
/** tensor.ts installs its instanceof test here (avoids an import cycle at load time). */
export function setTensorTest(fn: (v: unknown) => v is Tensor): void {
  isTensorFn = fn;
}

/**
 * Runs `fn` and disposes every tensor it created except those it returns (in an array, a Map or
 * a plain object), those marked with keep(), and gradients stored on tensors. When `fn` throws,
 * every tensor it created (but kept ones) is disposed before the error propagates.
 *
 * When it is needed: on backends whose memory the garbage collector cannot see (tfjs, WebGL,
 * GPUs) a loop must free what each step makes, and tidy() does it. On the cpu and wasm backends
 * dropped tensors are reclaimed by garbage collection anyway; tidy() frees them at once and
 * lets buffers be reused, which is faster.
 * @throws AutogradError when `fn` is async (tidy tracks synchronous code only; use dispose() or `using`).
 */
export function tidy<T>(fn: () => NotAsync<T>): T {
  checkScopeFn('tidy', fn);
  const scope: Tensor[] = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn() as T;
  } catch (error) {
    // A failed step must not leak what it made (21 buffers per failed regression step before).
    for (const t of scope) if (!t.isKept) t.dispose();
    throw error;
  } finally {
    scopes.pop();
  }
  if (isThenable(result)) {
    for (const t of scope) if (!t.isKept) t.dispose();
    refuseAsync('tidy', fn, result);
  }
  const returned = new Set<Tensor>();
  collectTensors(result, returned, isTensorFn);
  const parent = scopes.length > 0 ? scopes[scopes.length - 1] : undefined;
  for (const t of scope) {
    if (returned.has(t) || t.isKept) {
      if (parent && !t.isKept) parent.push(t);
      else t.makeFinalizable();
    } else {
      t.dispose();
    }
  }
  return result;
}

/** Disposes a tensor or every tensor in an array/object. */
export function dispose(value: unknown): void {
  const found = new Set<Tensor>();
  collectTensors(value, found, isTensorFn);
  for (const t of found) t.dispose();
}

/** Marks a tensor so no enclosing tidy() disposes it. */
export function keep<T extends Tensor>(t: T): T {
  if (!isTensorFn(t)) throw new ValueError(`keep: expected a Tensor, got ${t === null ? 'null' : typeof t}.`);
  t.isKept = true;
  return t;
}

/** Live buffers and bytes on a backend (the current one by default). */
export function memory(backend?: string): MemoryInfo {
  return getBackend(backend).memory();
}

/** Steps of uninterrupted growth in live buffers after which trainingStep() warns. */
const GROWTH_STEPS_BEFORE_WARNING = 50;
const growth = new WeakMap<Backend, { last: number; streak: number; warned: boolean }>();
let warn: (message: string) => void = (m) => console.warn(m);

/**
 * Called once per training step (optimizers call it in step()): on a backend whose memory the
 * garbage collector cannot reclaim, a live-buffer count that grows at every one of 50 steps in a
 * row means tensors are leaking, and the user is told once, with the fix (tidy).
 */
export function trainingStep(backend: Backend): void {
  if (backend.garbageCollected) return;
  let g = growth.get(backend);
  const now = backend.memory().buffers;
  if (!g) {
    growth.set(backend, { last: now, streak: 0, warned: false });
    return;
  }
  g.streak = now > g.last ? g.streak + 1 : 0;
  g.last = now;
  if (g.streak >= GROWTH_STEPS_BEFORE_WARNING && !g.warned) {
    g.warned = true;
    warn(
      `tsgrad: live buffers on backend "${backend.name}" grew at each of the last ${g.streak} training steps (now ${now}). ` +
        `On this backend tensors you drop are freed only when a finalizer runs, which a synchronous loop never allows. ` +
        `Wrap each step in tidy(() => { ... }) (or dispose() what you make) to keep memory flat.`,
    );
  }
}

/** @internal Tests replace the warning sink. Returns the previous one. */
export function setMemoryWarningSink(sink: (message: string) => void): (message: string) => void {
  const prev = warn;
  warn = sink;
  return prev;
}
