import { sizeOfShape, type TensorSpec } from './spec.js';

/**
 * Forward references in plain JavaScript (float64, no backend): the oracle the CPU backend is
 * checked against. Written for clarity (index functions), not speed.
 */
export interface Reference {
  readonly shape: number[];
  readonly values: number[];
}

export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return idx;
}

/** The element of `x` at `idx` of a (possibly higher-rank) result x broadcasts into. */
export function at(x: TensorSpec, idx: readonly number[]): number {
  const lead = idx.length - x.shape.length;
  let flat = 0;
  for (let d = 0; d < x.shape.length; d++) flat = flat * x.shape[d] + (x.shape[d] === 1 ? 0 : idx[lead + d]);
  return x.values[flat];
}

/** A result of `shape` whose element at each index is f(index). */
export function build(shape: readonly number[], f: (idx: number[]) => number): Reference {
  const n = sizeOfShape(shape);
  const values = new Array<number>(n);
  for (let i = 0; i < n; i++) values[i] = f(unravel(i, shape));
  return { shape: [...shape], values };
}

export function broadcastShape(...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => Math.max(...shapes.map((s) => (i < rank - s.length ? 1 : s[i - (rank - s.length)]))));
}

/**
 * C99's pow, which PyTorch and NumPy follow: pow(1, y) = 1 and pow(-1, ±Infinity) = 1, where
 * JavaScript's Math.pow gives NaN.
 */
export function cPow(x: number, y: number): number {
  if (x === 1 || (x === -1 && (y === Infinity || y === -Infinity))) return 1;
  return Math.pow(x, y);
}

export const refUnary = (x: TensorSpec, f: (v: number) => number): Reference => ({ shape: [...x.shape], values: x.values.map(f) });

export function refBinary(a: TensorSpec, b: TensorSpec, f: (x: number, y: number) => number): Reference {
  return build(broadcastShape(a.shape, b.shape), (idx) => f(at(a, idx), at(b, idx)));
}

export function refWhere(c: TensorSpec, a: TensorSpec, b: TensorSpec): Reference {
  return build(broadcastShape(c.shape, a.shape, b.shape), (idx) => (at(c, idx) ? at(a, idx) : at(b, idx)));
}

/** Reduces `axes` (all when undefined) with `combine`, starting from the first element reduced. */
export function refReduce(x: TensorSpec, axes: readonly number[] | undefined, keepDims: boolean, combine: (acc: number, v: number) => number, init: number): Reference {
  const rank = x.shape.length;
  const reduced = (axes ?? x.shape.map((_, i) => i)).map((a) => (a < 0 ? a + rank : a));
  const kept = x.shape.map((d, i) => (reduced.includes(i) ? 1 : d));
  const acc = build(kept, () => init);
  for (let i = 0; i < x.values.length; i++) {
    const idx = unravel(i, x.shape).map((v, d) => (reduced.includes(d) ? 0 : v));
    let o = 0;
    for (let d = 0; d < rank; d++) o = o * kept[d] + idx[d];
    acc.values[o] = combine(acc.values[o], x.values[i]);
  }
  return keepDims ? acc : { shape: x.shape.filter((_, i) => !reduced.includes(i)), values: acc.values };
}

/** NumPy matmul with optional transposes of the last two axes of 2-D+ operands. */
export function refMatmul(a: TensorSpec, b: TensorSpec, transA: boolean, transB: boolean): Reference {
  const aVec = a.shape.length === 1;
  const bVec = b.shape.length === 1;
  const as = aVec ? [1, a.shape[0]] : [...a.shape];
  const bs = bVec ? [b.shape[0], 1] : [...b.shape];
  const tA = transA && !aVec;
  const tB = transB && !bVec;
  const m = tA ? as[as.length - 1] : as[as.length - 2];
  const k = tA ? as[as.length - 2] : as[as.length - 1];
  const n = tB ? bs[bs.length - 2] : bs[bs.length - 1];
  const batch = broadcastShape(as.slice(0, -2), bs.slice(0, -2));
  const a2: TensorSpec = { shape: as, values: a.values };
  const b2: TensorSpec = { shape: bs, values: b.values };
  const full = build([...batch, m, n], (idx) => {
    const bi = idx.slice(0, -2);
    const [i, j] = idx.slice(-2);
    let s = 0;
    for (let p = 0; p < k; p++) s += at(a2, [...bi, ...(tA ? [p, i] : [i, p])]) * at(b2, [...bi, ...(tB ? [j, p] : [p, j])]);
    return s;
  });
  let shape = full.shape;
  if (aVec) shape = [...shape.slice(0, -2), shape[shape.length - 1]];
  if (bVec) shape = shape.slice(0, -1);
  return { shape, values: full.values };
}

export function refSoftmax(x: TensorSpec, axis: number, log: boolean): Reference {
  const rank = x.shape.length;
  const a = axis < 0 ? axis + rank : axis;
  const mx = refReduce(x, [a], true, Math.max, -Infinity);
  const shifted = refBinary(x, { shape: mx.shape, values: mx.values }, (v, m) => v - m);
  const sum = refReduce({ shape: shifted.shape, values: shifted.values.map(Math.exp) }, [a], true, (s, v) => s + v, 0);
  return refBinary({ shape: shifted.shape, values: shifted.values }, { shape: sum.shape, values: sum.values }, (v, s) =>
    log ? v - Math.log(s) : Math.exp(v) / s,
  );
}
