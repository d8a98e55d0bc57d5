import { ShapeError, Tensor, ValueError, type ComputationGraph } from '@tsgrad/core';
import { toImage, toMatrix, toVector, type Matrix, type Vector } from './data.js';
import type { WindowOptions } from './specs.js';

/**
 * How a call changes a window: 'append' adds points to the named trace, 'replace' replaces the
 * named trace; leaving it out replaces the whole window (Visdom's semantics).
 */
export type UpdateMode = 'append' | 'replace';

interface Base {
  win: string;
  opts?: WindowOptions;
}
/** The wire format: plain JSON, what the client sends and the server stores. */
export interface LineMessage extends Base { type: 'line'; name: string; y: number[]; x?: number[]; update?: UpdateMode; style?: 'line' | 'points' }
export interface ScatterMessage extends Base { type: 'scatter'; name: string; x: number[]; y: number[]; update?: UpdateMode }
export interface HeatmapMessage extends Base { type: 'heatmap'; z: number[][]; x?: number[]; y?: number[]; points?: { x: number[]; y: number[]; labels: string[] } }
export interface HistogramMessage extends Base { type: 'histogram'; values: number[]; bins?: number }
export interface BarMessage extends Base { type: 'bar'; values: number[][]; categories?: string[]; legend?: string[] }
export interface TextMessage extends Base { type: 'text'; text: string; update?: 'append' | 'replace' }
export interface ImageMessage extends Base { type: 'image'; height: number; width: number; channels: 1 | 3; data: number[] }
export interface GraphMessage extends Base { type: 'graph'; graph: ComputationGraph }
export interface CloseMessage { type: 'close'; win: string }
export type WindowMessage =
  | LineMessage
  | ScatterMessage
  | HeatmapMessage
  | HistogramMessage
  | BarMessage
  | TextMessage
  | ImageMessage
  | GraphMessage
  | CloseMessage;
export type WindowKind = Exclude<WindowMessage['type'], 'close'>;

// ---- what users pass (tensors or arrays) -----------------------------------------------------

interface InputBase {
  opts?: WindowOptions;
}
export interface LineInput extends InputBase {
  /** One series (1-D) or several as columns ([N, k]). */
  y: Vector | Matrix;
  /** Shared x (1-D) or one per column; by default 0, 1, 2... (continuing on append). */
  x?: Vector | Matrix;
  /** Trace names for the columns of y. */
  legend?: string[];
  /** The trace a 1-D y updates (default: legend[0] or "y"). */
  name?: string;
  update?: UpdateMode;
  /** Draw the trace(s) as a line (default) or as dots. */
  style?: 'line' | 'points';
}
export interface ScatterInput extends InputBase {
  /** Points as [N, 2], or give x and y. */
  points?: Matrix;
  x?: Vector;
  y?: Vector;
  /** One label per point; each label is its own trace and colour. */
  labels?: Vector | ArrayLike<string | number>;
  /** Trace name when there are no labels (default "points"). */
  name?: string;
  update?: UpdateMode;
}
export interface HeatmapInput extends InputBase {
  z: Matrix;
  x?: Vector;
  y?: Vector;
  points?: { x: Vector; y: Vector; labels?: Vector | ArrayLike<string | number> };
}
export interface HistogramInput extends InputBase {
  /** Any tensor (flattened) or array of numbers. */
  values: Tensor | ArrayLike<number>;
  bins?: number;
}
export interface BarInput extends InputBase {
  /** One value per category, or [categories, series]. */
  values: Vector | Matrix;
  categories?: string[];
  legend?: string[];
}
export interface TextInput extends InputBase {
  text: string;
  update?: 'append' | 'replace';
}
export interface ImageInput extends InputBase {
  /** [H, W] grey, [H, W, 3] or [3, H, W] colour; values in [0, 1], [0, 255] or any range (stretched). */
  pixels: Tensor | ArrayLike<unknown>;
}
export interface GraphInput extends InputBase {
  /** From `graphOf(root)`. */
  graph: ComputationGraph;
}

const withOpts = <T extends object>(m: T, opts: WindowOptions | undefined): T => (opts ? { ...m, opts: { ...opts } } : m);

function labelStrings(op: string, labels: Vector | ArrayLike<string | number>, n: number): string[] {
  const out = labels instanceof Tensor ? toVector(op, 'labels', labels).map(String) : Array.from(labels as ArrayLike<string | number>, String);
  if (out.length !== n) throw new ShapeError(`${op}: got ${out.length} labels for ${n} points; give one label per point`);
  return out;
}

export function lineMessages(win: string, input: LineInput): LineMessage[] {
  const op = 'line';
  const y = toMatrix(op, 'y', input.y, 'column');
  const names = y.cols === 1 ? [input.name ?? input.legend?.[0] ?? 'y'] : Array.from({ length: y.cols }, (_, j) => input.legend?.[j] ?? `y${j}`);
  if (input.legend && input.legend.length !== y.cols) throw new ShapeError(`${op}: legend has ${input.legend.length} names for ${y.cols} columns of y; give one name per column`);
  const x = input.x === undefined ? undefined : toMatrix(op, 'x', input.x, 'column');
  if (x && (x.rows !== y.rows || (x.cols !== 1 && x.cols !== y.cols))) {
    throw new ShapeError(`${op}: x is ${x.rows}x${x.cols} but y is ${y.rows}x${y.cols}; give x one row per row of y, as one column or one per column`);
  }
  return names.map((name, j) => {
    const ys = Array.from({ length: y.rows }, (_, i) => y.data[i * y.cols + j]!);
    const xs = x ? Array.from({ length: x.rows }, (_, i) => x.data[i * x.cols + (x.cols === 1 ? 0 : j)]!) : undefined;
    const m: LineMessage = { type: 'line', win, name, y: ys, ...(xs ? { x: xs } : {}), ...(input.update ? { update: input.update } : {}), ...(input.style ? { style: input.style } : {}) };
    // A fresh window (no update) must be created once, then its other traces added to it.
    if (!input.update && j > 0) m.update = 'replace';
    return withOpts(m, input.opts);
  });
}

export function scatterMessages(win: string, input: ScatterInput): ScatterMessage[] {
  const op = 'scatter';
  let xs: number[];
  let ys: number[];
  if (input.points !== undefined) {
    const p = toMatrix(op, 'points', input.points);
    if (p.cols !== 2) throw new ShapeError(`${op}: points must be [N, 2], got [${p.rows}, ${p.cols}]; pass the two coordinates as columns`);
    xs = Array.from({ length: p.rows }, (_, i) => p.data[2 * i]!);
    ys = Array.from({ length: p.rows }, (_, i) => p.data[2 * i + 1]!);
  } else if (input.x !== undefined && input.y !== undefined) {
    xs = toVector(op, 'x', input.x);
    ys = toVector(op, 'y', input.y);
    if (xs.length !== ys.length) throw new ShapeError(`${op}: x has ${xs.length} values but y has ${ys.length}; give one x per y`);
  } else {
    throw new ValueError(`${op}: give the points as points ([N, 2]) or as x and y`);
  }
  const groups = new Map<string, { x: number[]; y: number[] }>();
  const labels = input.labels === undefined ? null : labelStrings(op, input.labels, xs.length);
  xs.forEach((x, i) => {
    const key = labels ? labels[i]! : input.name ?? 'points';
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { x: [], y: [] }));
    g.x.push(x);
    g.y.push(ys[i]!);
  });
  if (groups.size === 0) groups.set(input.name ?? 'points', { x: [], y: [] });
  return [...groups].map(([name, g], j) => {
    const m: ScatterMessage = { type: 'scatter', win, name, x: g.x, y: g.y, ...(input.update ? { update: input.update } : {}) };
    if (!input.update && j > 0) m.update = 'replace';
    return withOpts(m, input.opts);
  });
}

export function heatmapMessage(win: string, input: HeatmapInput): HeatmapMessage {
  const op = 'heatmap';
  const z = toMatrix(op, 'z', input.z);
  const rows = Array.from({ length: z.rows }, (_, r) => z.data.slice(r * z.cols, (r + 1) * z.cols));
  const m: HeatmapMessage = { type: 'heatmap', win, z: rows };
  if (input.x !== undefined) m.x = toVector(op, 'x', input.x);
  if (input.y !== undefined) m.y = toVector(op, 'y', input.y);
  if (input.points) {
    const px = toVector(op, 'points.x', input.points.x);
    const py = toVector(op, 'points.y', input.points.y);
    if (px.length !== py.length) throw new ShapeError(`${op}: points.x has ${px.length} values but points.y has ${py.length}`);
    const labels = input.points.labels === undefined ? px.map(() => 'points') : labelStrings(op, input.points.labels, px.length);
    m.points = { x: px, y: py, labels };
  }
  checkHeatmap(m);
  return withOpts(m, input.opts);
}

export function histogramMessage(win: string, input: HistogramInput): HistogramMessage {
  const values = input.values instanceof Tensor ? Array.from(input.values.dataSync(), Number) : Array.from(input.values);
  const m: HistogramMessage = { type: 'histogram', win, values: toVector('histogram', 'values', values), ...(input.bins !== undefined ? { bins: input.bins } : {}) };
  checkHistogram(m);
  return withOpts(m, input.opts);
}

export function barMessage(win: string, input: BarInput): BarMessage {
  const v = toMatrix('bar', 'values', input.values, 'column');
  const values = Array.from({ length: v.rows }, (_, r) => v.data.slice(r * v.cols, (r + 1) * v.cols));
  const m: BarMessage = { type: 'bar', win, values };
  if (input.categories) m.categories = [...input.categories];
  if (input.legend) m.legend = [...input.legend];
  checkBar(m);
  return withOpts(m, input.opts);
}

export function textMessage(win: string, input: TextInput): TextMessage {
  if (typeof input.text !== 'string') throw new ValueError(`text: text must be a string, got ${typeof input.text}`);
  return withOpts({ type: 'text', win, text: input.text, ...(input.update ? { update: input.update } : {}) } as TextMessage, input.opts);
}

export function imageMessage(win: string, input: ImageInput): ImageMessage {
  return withOpts({ type: 'image', win, ...toImage('image', input.pixels) } as ImageMessage, input.opts);
}

export function graphMessage(win: string, input: GraphInput): GraphMessage {
  const m: GraphMessage = { type: 'graph', win, graph: input.graph };
  return withOpts(parseMessage(JSON.parse(JSON.stringify(m))) as GraphMessage, input.opts);
}

// ---- validation of untrusted messages ----------------------------------------------------------

const LIMITS = { id: 256, label: 256, text: 1 << 20 };

class Checker {
  constructor(readonly path: string) {}
  fail(what: string): never {
    throw new ValueError(`message: ${this.path}${what}`);
  }
  object(v: unknown, field: string, allowed: readonly string[], required: readonly string[]): Record<string, unknown> {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.fail(`${field} must be an object, got ${Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v}`);
    const o = v as Record<string, unknown>;
    const unknown = Object.keys(o).filter((k) => !allowed.includes(k));
    if (unknown.length) this.fail(`${field} has unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}; allowed: ${allowed.join(', ')}`);
    for (const r of required) if (o[r] === undefined) this.fail(`${field} is missing "${r}"`);
    return o;
  }
  string(v: unknown, field: string, max: number, min = 0): string {
    if (typeof v !== 'string') this.fail(`${field} must be a string, got ${typeof v}`);
    if (v.length < min || v.length > max) this.fail(`${field} must be ${min}..${max} characters long, got ${v.length}`);
    return v;
  }
  number(v: unknown, field: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(`${field} must be a finite number, got ${JSON.stringify(v)}`);
    return v;
  }
  int(v: unknown, field: string, min: number, max: number): number {
    const n = this.number(v, field);
    if (!Number.isInteger(n) || n < min || n > max) this.fail(`${field} must be an integer in ${min}..${max}, got ${n}`);
    return n;
  }
  numbers(v: unknown, field: string): number[] {
    if (!Array.isArray(v)) this.fail(`${field} must be an array of numbers, got ${typeof v}`);
    for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'number' || !Number.isFinite(v[i])) this.fail(`${field}[${i}] must be a finite number, got ${JSON.stringify(v[i])}`);
    return v as number[];
  }
  strings(v: unknown, field: string): string[] {
    if (!Array.isArray(v)) this.fail(`${field} must be an array of strings, got ${typeof v}`);
    v.forEach((s, i) => this.string(s, `${field}[${i}]`, LIMITS.label));
    return v as string[];
  }
  matrix(v: unknown, field: string): number[][] {
    if (!Array.isArray(v)) this.fail(`${field} must be an array of rows, got ${typeof v}`);
    v.forEach((row, i) => this.numbers(row, `${field}[${i}]`));
    const rows = v as number[][];
    if (rows.some((r) => r.length !== rows[0]!.length)) this.fail(`${field} rows must all have the same length`);
    return rows;
  }
  update(v: unknown, field: string): UpdateMode | undefined {
    if (v === undefined) return undefined;
    if (v !== 'append' && v !== 'replace') this.fail(`${field} must be "append" or "replace", got ${JSON.stringify(v)}`);
    return v;
  }
}

const OPT_FIELDS = ['title', 'xlabel', 'ylabel', 'width', 'height'] as const;

function checkOpts(c: Checker, v: unknown): WindowOptions | undefined {
  if (v === undefined) return undefined;
  const o = c.object(v, 'opts', OPT_FIELDS, []);
  const out: WindowOptions = {};
  for (const k of ['title', 'xlabel', 'ylabel'] as const) if (o[k] !== undefined) out[k] = c.string(o[k], `opts.${k}`, LIMITS.label);
  for (const k of ['width', 'height'] as const) if (o[k] !== undefined) out[k] = c.int(o[k], `opts.${k}`, 10, 4000);
  return out;
}

function checkHeatmap(m: HeatmapMessage): void {
  const op = 'heatmap';
  const rows = m.z.length;
  const cols = rows ? m.z[0]!.length : 0;
  if (rows * cols === 0) throw new ShapeError(`${op}: z is empty; give at least one row and one column`);
  if (m.x && m.x.length !== cols) throw new ShapeError(`${op}: x has ${m.x.length} values for ${cols} columns of z; give one x per column`);
  if (m.y && m.y.length !== rows) throw new ShapeError(`${op}: y has ${m.y.length} values for ${rows} rows of z; give one y per row`);
  if (m.points && (m.points.y.length !== m.points.x.length || m.points.labels.length !== m.points.x.length)) {
    throw new ShapeError(`${op}: points.x, points.y and points.labels must have the same length`);
  }
}

function checkHistogram(m: HistogramMessage): void {
  if (m.bins !== undefined && (!Number.isInteger(m.bins) || m.bins < 1 || m.bins > 1000)) {
    throw new ValueError(`histogram: bins must be an integer in 1..1000, got ${m.bins}`);
  }
}

function checkBar(m: BarMessage): void {
  const cols = m.values[0]?.length ?? 0;
  if (m.categories && m.categories.length !== m.values.length) throw new ShapeError(`bar: ${m.categories.length} categories for ${m.values.length} values; give one category per row`);
  if (m.legend && m.legend.length !== cols) throw new ShapeError(`bar: legend has ${m.legend.length} names for ${cols} series; give one name per column`);
}

/**
 * Checks an untrusted message (parsed JSON) field by field and returns it typed. Unknown fields,
 * wrong types, non-finite numbers and inconsistent lengths throw a ValueError or ShapeError
 * naming the field.
 */
export function parseMessage(raw: unknown, index?: number): WindowMessage {
  const c = new Checker(index === undefined ? '' : `messages[${index}]: `);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) c.fail('a message must be an object');
  const type = (raw as Record<string, unknown>).type;
  const common = ['type', 'win', 'opts'];
  const win = (o: Record<string, unknown>) => c.string(o.win, 'win', LIMITS.id, 1);
  switch (type) {
    case 'line':
    case 'scatter': {
      const o = c.object(raw, type, [...common, 'name', 'x', 'y', 'update', ...(type === 'line' ? ['style'] : [])], type === 'line' ? ['win', 'name', 'y'] : ['win', 'name', 'x', 'y']);
      if (o.style !== undefined && o.style !== 'line' && o.style !== 'points') c.fail(`style must be "line" or "points", got ${JSON.stringify(o.style)}`);
      const y = c.numbers(o.y, 'y');
      const x = o.x === undefined ? undefined : c.numbers(o.x, 'x');
      if (x && x.length !== y.length) c.fail(`x has ${x.length} values but y has ${y.length}; give one x per y`);
      const update = c.update(o.update, 'update');
      const opts = checkOpts(c, o.opts);
      const m = { type, win: win(o), name: c.string(o.name, 'name', LIMITS.label, 1), y, ...(x ? { x } : {}), ...(update ? { update } : {}), ...(o.style ? { style: o.style } : {}), ...(opts ? { opts } : {}) };
      return m as LineMessage | ScatterMessage;
    }
    case 'heatmap': {
      const o = c.object(raw, type, [...common, 'z', 'x', 'y', 'points'], ['win', 'z']);
      const m: HeatmapMessage = { type, win: win(o), z: c.matrix(o.z, 'z') };
      if (o.x !== undefined) m.x = c.numbers(o.x, 'x');
      if (o.y !== undefined) m.y = c.numbers(o.y, 'y');
      if (o.points !== undefined) {
        const p = c.object(o.points, 'points', ['x', 'y', 'labels'], ['x', 'y', 'labels']);
        m.points = { x: c.numbers(p.x, 'points.x'), y: c.numbers(p.y, 'points.y'), labels: c.strings(p.labels, 'points.labels') };
      }
      const opts = checkOpts(c, o.opts);
      if (opts) m.opts = opts;
      checkHeatmap(m);
      return m;
    }
    case 'histogram': {
      const o = c.object(raw, type, [...common, 'values', 'bins'], ['win', 'values']);
      const m: HistogramMessage = { type, win: win(o), values: c.numbers(o.values, 'values') };
      if (o.bins !== undefined) m.bins = c.int(o.bins, 'bins', 1, 1000);
      const opts = checkOpts(c, o.opts);
      if (opts) m.opts = opts;
      return m;
    }
    case 'bar': {
      const o = c.object(raw, type, [...common, 'values', 'categories', 'legend'], ['win', 'values']);
      const m: BarMessage = { type, win: win(o), values: c.matrix(o.values, 'values') };
      if (o.categories !== undefined) m.categories = c.strings(o.categories, 'categories');
      if (o.legend !== undefined) m.legend = c.strings(o.legend, 'legend');
      const opts = checkOpts(c, o.opts);
      if (opts) m.opts = opts;
      checkBar(m);
      return m;
    }
    case 'text': {
      const o = c.object(raw, type, [...common, 'text', 'update'], ['win', 'text']);
      const update = c.update(o.update, 'update');
      const opts = checkOpts(c, o.opts);
      return { type, win: win(o), text: c.string(o.text, 'text', LIMITS.text), ...(update ? { update } : {}), ...(opts ? { opts } : {}) };
    }
    case 'image': {
      const o = c.object(raw, type, [...common, 'height', 'width', 'channels', 'data'], ['win', 'height', 'width', 'channels', 'data']);
      const height = c.int(o.height, 'height', 1, 4096);
      const width = c.int(o.width, 'width', 1, 4096);
      const channels = o.channels === 1 || o.channels === 3 ? o.channels : c.fail(`channels must be 1 or 3, got ${JSON.stringify(o.channels)}`);
      const data = c.numbers(o.data, 'data');
      if (data.length !== height * width * channels) c.fail(`data has ${data.length} values, expected height*width*channels = ${height * width * channels}`);
      if (height * width > 200_000) c.fail(`an image of ${height}x${width} pixels is over the 200000-pixel limit; downsample it`);
      const opts = checkOpts(c, o.opts);
      return { type, win: win(o), height, width, channels, data, ...(opts ? { opts } : {}) };
    }
    case 'graph': {
      const o = c.object(raw, type, [...common, 'graph'], ['win', 'graph']);
      const g = c.object(o.graph, 'graph', ['nodes', 'edges'], ['nodes', 'edges']);
      if (!Array.isArray(g.nodes) || !Array.isArray(g.edges)) c.fail('graph.nodes and graph.edges must be arrays');
      const nodes = (g.nodes as unknown[]).map((n, i) => {
        const f = `graph.nodes[${i}]`;
        const no = c.object(n, f, ['id', 'op', 'label', 'shape', 'value', 'grad'], ['id', 'op', 'shape', 'value']);
        return {
          id: c.string(no.id, `${f}.id`, LIMITS.id, 1),
          op: c.string(no.op, `${f}.op`, LIMITS.label, 1),
          ...(no.label !== undefined ? { label: c.string(no.label, `${f}.label`, LIMITS.label) } : {}),
          shape: c.numbers(no.shape, `${f}.shape`),
          value: c.numbers(no.value, `${f}.value`),
          grad: no.grad === null || no.grad === undefined ? null : c.numbers(no.grad, `${f}.grad`),
        };
      });
      const ids = new Set(nodes.map((n) => n.id));
      const edges = (g.edges as unknown[]).map((e, i) => {
        const eo = c.object(e, `graph.edges[${i}]`, ['from', 'to'], ['from', 'to']);
        const from = c.string(eo.from, `graph.edges[${i}].from`, LIMITS.id, 1);
        const to = c.string(eo.to, `graph.edges[${i}].to`, LIMITS.id, 1);
        if (!ids.has(from) || !ids.has(to)) c.fail(`graph.edges[${i}] joins ${from} -> ${to}, which are not both nodes`);
        return { from, to };
      });
      const opts = checkOpts(c, o.opts);
      return { type, win: win(o), graph: { nodes, edges }, ...(opts ? { opts } : {}) };
    }
    case 'close': {
      const o = c.object(raw, type, ['type', 'win'], ['win']);
      return { type, win: win(o) };
    }
    default:
      return c.fail(`unknown message type ${JSON.stringify(type)}; expected one of line, scatter, heatmap, histogram, bar, text, image, graph, close`);
  }
}
