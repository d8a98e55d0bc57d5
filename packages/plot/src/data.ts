import { ShapeError, Tensor, ValueError } from '@tsgrad/core';

/** Numbers along one axis: a tensor (any shape with at most one dimension above 1) or a plain array. */
export type Vector = Tensor | ArrayLike<number>;
/** Rows of numbers: a 2-D tensor or an array of arrays. */
export type Matrix = Tensor | ArrayLike<ArrayLike<number>>;

export interface MatrixData {
  rows: number;
  cols: number;
  /** Row-major values. */
  data: number[];
}

function checkFinite(op: string, field: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ValueError(`${op}: ${field}[${i}] is ${String(v)}; plots carry finite numbers only: filter or clamp the value before plotting`);
    }
  }
}

function isTensor(v: unknown): v is Tensor {
  return v instanceof Tensor;
}

/** Flattens a tensor or array of numbers, checking it is one-dimensional and finite. */
export function toVector(op: string, field: string, v: Vector): number[] {
  let out: number[];
  if (isTensor(v)) {
    const big = v.shape.filter((d) => d > 1);
    if (big.length > 1) {
      throw new ShapeError(`${op}: ${field} must be one-dimensional, got a tensor of shape [${v.shape.join(', ')}]; reshape it to [${v.size}] or pass one column`);
    }
    out = Array.from(v.dataSync(), Number);
  } else if (v != null && typeof v === 'object' && typeof (v as ArrayLike<number>).length === 'number') {
    const first = (v as ArrayLike<unknown>)[0];
    if (first != null && typeof first === 'object') {
      throw new ShapeError(`${op}: ${field} must be one-dimensional, got nested arrays; pass a flat array of numbers`);
    }
    out = Array.from(v as ArrayLike<number>);
  } else {
    throw new ValueError(`${op}: ${field} must be a tensor or an array of numbers, got ${typeof v}`);
  }
  checkFinite(op, field, out);
  return out;
}

/** Reads a 2-D tensor or array of rows; a 1-D input becomes one column when `oneDim` is 'column'. */
export function toMatrix(op: string, field: string, m: Matrix | Vector, oneDim: 'column' | 'row' | 'refuse' = 'refuse'): MatrixData {
  let rows: number;
  let cols: number;
  let data: number[];
  if (isTensor(m)) {
    if (m.rank === 2) {
      [rows, cols] = m.shape as [number, number];
      data = Array.from(m.dataSync(), Number);
    } else if (m.rank <= 1 && oneDim !== 'refuse') {
      data = Array.from(m.dataSync(), Number);
      [rows, cols] = oneDim === 'column' ? [data.length, 1] : [1, data.length];
    } else {
      throw new ShapeError(`${op}: ${field} must be a 2-D tensor, got shape [${m.shape.join(', ')}]; reshape it to [rows, cols]`);
    }
  } else if (m != null && typeof m === 'object' && typeof (m as ArrayLike<unknown>).length === 'number') {
    const arr = m as ArrayLike<unknown>;
    const first = arr[0];
    if (arr.length > 0 && first != null && typeof first === 'object') {
      rows = arr.length;
      cols = (first as ArrayLike<number>).length;
      data = [];
      for (let r = 0; r < rows; r++) {
        const row = arr[r] as ArrayLike<number>;
        if (row == null || typeof row !== 'object' || row.length !== cols) {
          throw new ShapeError(`${op}: ${field} rows must all have ${cols} values, row ${r} has ${row == null ? 'none' : String((row as ArrayLike<number>).length)}; pad or trim the rows`);
        }
        for (let c = 0; c < cols; c++) data.push(row[c] as number);
      }
    } else if (oneDim !== 'refuse') {
      data = Array.from(arr as ArrayLike<number>);
      [rows, cols] = oneDim === 'column' ? [data.length, 1] : [1, data.length];
    } else {
      throw new ShapeError(`${op}: ${field} must be 2-D (an array of rows), got a flat array of ${arr.length}; wrap it as [[...]] or pass a 2-D tensor`);
    }
  } else {
    throw new ValueError(`${op}: ${field} must be a tensor or an array of rows, got ${typeof m}`);
  }
  checkFinite(op, field, data);
  return { rows, cols, data };
}

/** Reads an image: [H, W] (grey), [H, W, 3|4] or [3|4, H, W] (colour), tensor or nested arrays. */
export function toImage(op: string, pixels: Tensor | ArrayLike<unknown>): { height: number; width: number; channels: 1 | 3; data: number[] } {
  let shape: number[];
  let flat: number[];
  if (isTensor(pixels)) {
    shape = [...pixels.shape];
    flat = Array.from(pixels.dataSync(), Number);
  } else {
    shape = [];
    let probe: unknown = pixels;
    while (probe != null && typeof probe === 'object' && typeof (probe as ArrayLike<unknown>).length === 'number') {
      shape.push((probe as ArrayLike<unknown>).length);
      probe = (probe as ArrayLike<unknown>)[0];
    }
    flat = (pixels as unknown as { flat: (d: number) => unknown[] }).flat?.(Infinity) as number[] ?? Array.from(pixels as ArrayLike<number>);
    flat = flat.map(Number);
    if (flat.length !== shape.reduce((a, b) => a * b, 1)) {
      throw new ShapeError(`${op}: pixels are ragged (shape starts [${shape.join(', ')}] but holds ${flat.length} values); give every row the same length`);
    }
  }
  checkFinite(op, 'pixels', flat);
  let height: number, width: number, channels: number;
  let at: (y: number, x: number, c: number) => number;
  if (shape.length === 2) {
    [height, width] = shape as [number, number];
    channels = 1;
    at = (y, x) => flat[y * width + x]!;
  } else if (shape.length === 3 && (shape[2] === 3 || shape[2] === 4 || shape[2] === 1)) {
    [height, width, channels] = shape as [number, number, number];
    const c0 = channels;
    at = (y, x, c) => flat[(y * width + x) * c0 + c]!;
  } else if (shape.length === 3 && (shape[0] === 3 || shape[0] === 4 || shape[0] === 1)) {
    [channels, height, width] = shape as [number, number, number];
    at = (y, x, c) => flat[(c * height + y) * width + x]!;
  } else {
    throw new ShapeError(`${op}: pixels must have shape [H, W], [H, W, 3] or [3, H, W], got [${shape.join(', ')}]`);
  }
  if (height * width > 200_000) {
    throw new ValueError(`${op}: an image of ${height}x${width} pixels is too large to draw as marks (limit 200000 pixels); downsample it first`);
  }
  const outC: 1 | 3 = channels >= 3 ? 3 : 1;
  const data: number[] = [];
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < outC; c++) data.push(at(y, x, c));
  return { height, width, channels: outC, data };
}
