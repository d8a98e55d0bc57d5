import type { TopLevelSpec } from 'vega-lite';

/** A Vega-Lite specification, as produced by every window except the graph. */
export type VegaLiteSpec = TopLevelSpec;

/** Options every window takes. */
export interface WindowOptions {
  title?: string;
  xlabel?: string;
  ylabel?: string;
  /** Plot area in pixels. */
  width?: number;
  height?: number;
}

export interface TraceData {
  name: string;
  /** How a line window draws the trace (default 'line'); 'points' suits raw data under a fitted curve. */
  style?: 'line' | 'points';
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

function frame(opts: WindowOptions, defaults: { width: number; height: number }): Record<string, unknown> {
  return {
    $schema: SCHEMA,
    ...(opts.title !== undefined ? { title: opts.title } : {}),
    width: opts.width ?? defaults.width,
    height: opts.height ?? defaults.height,
    background: 'white',
  };
}

function rowsOf(traces: TraceData[]): { trace: string; x: number; y: number }[] {
  const rows: { trace: string; x: number; y: number }[] = [];
  for (const t of traces) for (let i = 0; i < t.y.length; i++) rows.push({ trace: t.name, x: t.x[i]!, y: t.y[i]! });
  return rows;
}

/** Lines, one per named trace, coloured by name; traces with style 'points' are drawn as dots. */
export function lineSpec(traces: TraceData[], opts: WindowOptions = {}): VegaLiteSpec {
  const encoding = {
    x: { field: 'x', type: 'quantitative', title: opts.xlabel ?? 'x', scale: { zero: false } },
    y: { field: 'y', type: 'quantitative', title: opts.ylabel ?? 'y', scale: { zero: false } },
    color: { field: 'trace', type: 'nominal', title: null, ...(traces.length > 1 ? {} : { legend: null }), sort: traces.map((t) => t.name) },
  };
  const line = { mark: { type: 'line', clip: true } };
  const dotted = traces.filter((t) => t.style === 'points').map((t) => t.name);
  const base = { ...frame(opts, { width: 480, height: 300 }), data: { values: rowsOf(traces) }, encoding };
  if (dotted.length === 0) return { ...base, ...line } as VegaLiteSpec;
  const inDotted = { field: 'trace', oneOf: dotted };
  return {
    ...base,
    layer: [
      { transform: [{ filter: { not: inDotted } }], ...line },
      { transform: [{ filter: inDotted }], mark: { type: 'point', filled: true, size: 12, opacity: 0.6, clip: true } },
    ],
  } as VegaLiteSpec;
}

/** 2-D points; each trace is a label and gets its own colour. */
export function scatterSpec(traces: TraceData[], opts: WindowOptions = {}): VegaLiteSpec {
  return {
    ...frame(opts, { width: 400, height: 400 }),
    data: { values: rowsOf(traces).map((r) => ({ label: r.trace, x: r.x, y: r.y })) },
    mark: { type: 'point', filled: true, size: 30, opacity: 0.8 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: opts.xlabel ?? 'x', scale: { zero: false } },
      y: { field: 'y', type: 'quantitative', title: opts.ylabel ?? 'y', scale: { zero: false } },
      color: { field: 'label', type: 'nominal', title: 'label', sort: traces.map((t) => t.name) },
    },
  } as VegaLiteSpec;
}

export interface HeatmapData {
  /** Row-major values, `rows` × `cols`. */
  z: number[][];
  /** Column centres (default 0..cols-1) and row centres (default 0..rows-1). */
  x?: number[];
  y?: number[];
  /** Points drawn over the surface, coloured by label (a classifier's training data). */
  points?: { x: number[]; y: number[]; labels: string[] };
}

// Cell edges halfway between centres, so non-uniform grids draw without gaps.
function edges(centres: number[]): number[] {
  const n = centres.length;
  if (n === 1) return [centres[0]! - 0.5, centres[0]! + 0.5];
  const e = [centres[0]! - (centres[1]! - centres[0]!) / 2];
  for (let i = 0; i < n - 1; i++) e.push((centres[i]! + centres[i + 1]!) / 2);
  e.push(centres[n - 1]! + (centres[n - 1]! - centres[n - 2]!) / 2);
  return e;
}

/** A grid of values as coloured cells, with optional labelled points on top. */
export function heatmapSpec(data: HeatmapData, opts: WindowOptions = {}): VegaLiteSpec {
  const rows = data.z.length;
  const cols = rows ? data.z[0]!.length : 0;
  const xe = edges(data.x ?? Array.from({ length: cols }, (_, i) => i));
  const ye = edges(data.y ?? Array.from({ length: rows }, (_, i) => i));
  const cells: { x0: number; x1: number; y0: number; y1: number; z: number }[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) cells.push({ x0: xe[c]!, x1: xe[c + 1]!, y0: ye[r]!, y1: ye[r + 1]!, z: data.z[r]![c]! });
  const xTitle = opts.xlabel ?? 'x';
  const yTitle = opts.ylabel ?? 'y';
  const surface = {
    data: { values: cells },
    mark: { type: 'rect' },
    encoding: {
      x: { field: 'x0', type: 'quantitative', title: xTitle, scale: { zero: false, nice: false } },
      x2: { field: 'x1' },
      y: { field: 'y0', type: 'quantitative', title: yTitle, scale: { zero: false, nice: false } },
      y2: { field: 'y1' },
      color: { field: 'z', type: 'quantitative', title: 'value', scale: { scheme: 'viridis' } },
    },
  };
  const base = frame(opts, { width: 400, height: 400 });
  if (!data.points) return { ...base, ...surface } as VegaLiteSpec;
  const p = data.points;
  const points = {
    data: { values: p.x.map((x, i) => ({ x, y: p.y[i]!, label: p.labels[i]! })) },
    mark: { type: 'point', filled: true, size: 30, stroke: 'white', strokeWidth: 0.5 },
    encoding: {
      x: { field: 'x', type: 'quantitative' },
      y: { field: 'y', type: 'quantitative' },
      color: { field: 'label', type: 'nominal', title: 'label', scale: { scheme: 'set1' } },
    },
  };
  return { ...base, layer: [surface, points], resolve: { scale: { color: 'independent' } } } as VegaLiteSpec;
}

/** Counts values in `bins` equal-width bins over their range (binned here so the spec stays small). */
export function histogramBins(values: number[], bins: number): { lo: number; hi: number; count: number }[] {
  if (values.length === 0) return [];
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === max) return [{ lo: min - 0.5, hi: max + 0.5, count: values.length }];
  const span = max - min;
  // A range too narrow to split in floating point (or too wide to subtract) is one bin.
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? max : min + (span * i) / bins));
  // A range too narrow to split in floating point (edges that round together, as with subnormal
  // spans) or too wide to subtract is one bin.
  if (!Number.isFinite(span) || edges.some((e, i) => i > 0 && !(e > edges[i - 1]!))) return [{ lo: min, hi: max, count: values.length }];
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.max(0, Math.min(bins - 1, Math.floor(((v - min) / span) * bins)))]!++;
  return counts.map((count, i) => ({ lo: edges[i]!, hi: edges[i + 1]!, count }));
}

export function histogramSpec(values: number[], bins = 30, opts: WindowOptions = {}): VegaLiteSpec {
  return {
    ...frame(opts, { width: 480, height: 300 }),
    data: { values: histogramBins(values, bins) },
    mark: { type: 'bar', binSpacing: 1 },
    encoding: {
      x: { field: 'lo', type: 'quantitative', title: opts.xlabel ?? 'value', bin: { binned: true } },
      x2: { field: 'hi' },
      y: { field: 'count', type: 'quantitative', title: opts.ylabel ?? 'count' },
    },
  } as VegaLiteSpec;
}

/** Bars: `values[category][series]`; several series are drawn side by side. */
export function barSpec(values: number[][], categories: string[], legend: string[], opts: WindowOptions = {}): VegaLiteSpec {
  const rows: { category: string; series: string; value: number }[] = [];
  values.forEach((row, i) => row.forEach((value, j) => rows.push({ category: categories[i]!, series: legend[j]!, value })));
  const grouped = legend.length > 1;
  return {
    ...frame(opts, { width: 480, height: 300 }),
    data: { values: rows },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'category', type: 'nominal', title: opts.xlabel ?? null, sort: categories, axis: { labelAngle: 0 } },
      y: { field: 'value', type: 'quantitative', title: opts.ylabel ?? 'value' },
      ...(grouped
        ? { color: { field: 'series', type: 'nominal', title: null, sort: legend }, xOffset: { field: 'series', sort: legend } }
        : {}),
    },
  } as VegaLiteSpec;
}

/** Text as text marks: one per line, so no input is ever interpreted as markup. */
export function textSpec(text: string, opts: WindowOptions = {}): VegaLiteSpec {
  const lines = text.split(/\r?\n/);
  return {
    ...frame(opts, { width: 480, height: Math.max(20, lines.length * 16) }),
    data: { values: lines.map((line, i) => ({ i, line })) },
    mark: { type: 'text', align: 'left', baseline: 'top', font: 'monospace', fontSize: 13 },
    encoding: {
      x: { value: 0 },
      y: { field: 'i', type: 'quantitative', axis: null, scale: { domain: [0, Math.max(1, lines.length)], reverse: true } },
      text: { field: 'line', type: 'nominal' },
    },
    config: { view: { stroke: null } },
  } as VegaLiteSpec;
}

export interface ImageData {
  height: number;
  width: number;
  channels: 1 | 3;
  /** Row-major, channel-last values. */
  data: number[];
}

const hex = (v: number) => Math.max(0, Math.min(255, Math.round(v))).toString(16).padStart(2, '0');

/** Pixel colours as '#rrggbb': values in [0, 1] or [0, 255] are taken as is, other ranges are stretched. */
export function imageColors(img: ImageData): string[] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of img.data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const scale: (v: number) => number =
    min >= 0 && max <= 1 ? (v) => v * 255 : min >= 0 && max <= 255 ? (v) => v : (v) => (max === min ? 0 : ((v - min) / (max - min)) * 255);
  const out: string[] = [];
  const c = img.channels;
  for (let p = 0; p < img.height * img.width; p++) {
    const r = scale(img.data[p * c]!);
    out.push(c === 1 ? `#${hex(r)}${hex(r)}${hex(r)}` : `#${hex(r)}${hex(scale(img.data[p * c + 1]!))}${hex(scale(img.data[p * c + 2]!))}`);
  }
  return out;
}

/** An image as one square mark per pixel, coloured with the pixel's own colour. */
export function imageSpec(img: ImageData, opts: WindowOptions = {}): VegaLiteSpec {
  const colors = imageColors(img);
  const step = Math.max(1, Math.floor((opts.width ?? 280) / img.width));
  const values = colors.map((color, p) => ({ col: p % img.width, row: Math.floor(p / img.width), color }));
  return {
    $schema: SCHEMA,
    ...(opts.title !== undefined ? { title: opts.title } : {}),
    background: 'white',
    width: { step },
    height: { step },
    data: { values },
    mark: { type: 'rect' },
    encoding: {
      x: { field: 'col', type: 'ordinal', axis: null, scale: { paddingInner: 0, paddingOuter: 0 } },
      y: { field: 'row', type: 'ordinal', axis: null, scale: { paddingInner: 0, paddingOuter: 0 } },
      color: { field: 'color', type: 'nominal', scale: null },
    },
    config: { view: { stroke: null } },
  } as VegaLiteSpec;
}
