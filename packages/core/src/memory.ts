import { getBackend, type MemoryInfo } from './backend.js';
import type { Tensor } from './tensor.js';

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
 * a plain object), those marked with keep(), and gradients stored on tensors. Not for async fns.
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError('tidy(fn): fn must be a function');
  const scope: Tensor[] = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  if (result instanceof Promise) {
    throw new TypeError('tidy(fn): fn returned a Promise; tidy only tracks synchronous code. Dispose tensors of async code with dispose() or `using`.');
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
  t.isKept = true;
  return t;
}

/** Live buffers and bytes on a backend (the current one by default). */
export function memory(backend?: string): MemoryInfo {
  return getBackend(backend).memory();
}
