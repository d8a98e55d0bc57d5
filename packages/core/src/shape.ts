import { ShapeError, ValueError } from './errors.js';

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

/** Row-major strides of a contiguous tensor. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function fmt(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** NumPy broadcasting of two shapes; `op` names the caller in the error. */
export function broadcastShapes(op: string, a: Shape, b: Shape): Shape {
  if (sameShape(a, b)) return a;
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `${op}: shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast (dimension ${i} of the result: ${da} vs ${db}); ` +
          `each dimension must match or be 1 — reshape or expand one operand.`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Normalises one possibly negative axis against `rank`. A 0-d tensor accepts axis 0 and -1 as if
 * it had rank 1 (PyTorch's wrap_scalar rule: tensor(3).sum(-1) is 3); the result is then 0.
 */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  const r = Math.max(rank, 1);
  if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < -r || axis >= r) {
    const shown = typeof axis === 'number' ? String(axis) : JSON.stringify(axis) ?? String(axis);
    throw new ValueError(`${op}: axis ${shown} is out of range for a tensor of rank ${rank}; use an integer in [${-r}, ${r - 1}].`);
  }
  return axis < 0 ? axis + r : axis;
}

/**
 * Normalises an axis list (undefined = all axes), sorted and without duplicates. On a 0-d tensor
 * the axes 0 and -1 are accepted and name no real axis, so the list comes back empty (the
 * reduction is the identity, as in PyTorch).
 */
export function normalizeAxes(op: string, axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  if (typeof axes !== 'number' && !Array.isArray(axes)) {
    throw new ValueError(`${op}: axis must be an integer or an array of integers, got ${typeof axes === 'string' ? JSON.stringify(axes) : String(axes)}.`);
  }
  const list: readonly number[] = typeof axes === 'number' ? [axes] : axes;
  const out = list.map((a) => normalizeAxis(op, a, rank));
  const sorted = [...new Set(out)].sort((x, y) => x - y);
  if (sorted.length !== out.length) throw new ValueError(`${op}: axis list [${list.join(', ')}] repeats an axis; name each axis once.`);
  return rank === 0 ? [] : sorted;
}

/** The most elements one tensor may hold: kernels index with 32-bit integers. */
export const MAX_ELEMENTS = 2 ** 31 - 1;

export function assertShape(op: string, shape: unknown, arg = 'shape'): asserts shape is Shape {
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    let shown: string;
    try {
      shown = JSON.stringify(shape) ?? String(shape);
    } catch {
      shown = String(shape);
    }
    throw new ValueError(`${op}: ${arg} ${shown} is not a list of non-negative integers; give one such as [2, 3].`);
  }
  if (sizeOf(shape) > MAX_ELEMENTS) {
    throw new ValueError(`${op}: ${arg} ${fmt(shape)} holds ${sizeOf(shape)} elements, more than the ${MAX_ELEMENTS} one tensor can hold.`);
  }
}
