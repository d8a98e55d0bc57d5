import { ValueError } from '@tsgrad/core';
import {
  barMessage,
  graphMessage,
  heatmapMessage,
  histogramMessage,
  imageMessage,
  lineMessages,
  scatterMessages,
  textMessage,
  type BarInput,
  type GraphInput,
  type GraphMessage,
  type HeatmapInput,
  type HistogramInput,
  type ImageInput,
  type LineInput,
  type LineMessage,
  type ScatterInput,
  type ScatterMessage,
  type TextInput,
  type WindowKind,
  type WindowMessage,
} from './messages.js';
import { Series } from './series.js';
import { barSpec, heatmapSpec, histogramSpec, imageSpec, lineSpec, scatterSpec, textSpec, type VegaLiteSpec, type WindowOptions } from './specs.js';

type Content = Exclude<WindowMessage, { type: 'line' | 'scatter' | 'close' }>;
/** A saved message whose trace points may be a typed array (written out as a JSON array). @internal */
export type SnapshotMessage = Content | ((Omit<LineMessage, 'x' | 'y'> | Omit<ScatterMessage, 'x' | 'y'>) & { x: ArrayLike<number>; y: ArrayLike<number> });

/**
 * One plot: its kind, options and data. Line and scatter windows hold named traces that grow by
 * appending; the other kinds hold their latest content.
 */
export class PlotWindow {
  opts: WindowOptions = {};
  /** Increases on every change, so viewers can tell what is new. */
  version = 0;
  readonly traces = new Map<string, Series>();
  private readonly styles = new Map<string, 'line' | 'points'>();
  private content: Content | null = null;

  constructor(readonly id: string, readonly kind: WindowKind) {}

  /** Applies one message addressed to this window (the kinds must match). */
  apply(m: Exclude<WindowMessage, { type: 'close' }>): void {
    if (m.type !== this.kind) throw new ValueError(`window "${this.id}": is a ${this.kind} window, a ${m.type} update cannot change it; leave update out to replace the window, or use another win`);
    if (m.opts) this.opts = { ...this.opts, ...m.opts };
    if (m.type === 'line' || m.type === 'scatter') {
      let s = this.traces.get(m.name);
      if (!s) this.traces.set(m.name, (s = new Series(m.type)));
      else if (m.update !== 'append') s.clear();
      if (m.type === 'line' && m.style) this.styles.set(m.name, m.style);
      const x = m.x ?? Array.from({ length: m.y.length }, (_, i) => s!.nextX() + i);
      s.append(x, m.y);
    } else if (m.type === 'text' && m.update === 'append' && this.content?.type === 'text') {
      this.content = { ...m, text: `${this.content.text}\n${m.text}` };
    } else {
      if ('update' in m && m.update === 'append' && m.type !== 'text') throw new ValueError(`window "${this.id}": ${this.kind} windows cannot be appended to; send the whole content`);
      this.content = m as Content;
    }
    this.version++;
  }

  /** The Vega-Lite spec that draws the window (long traces decimated). Graph windows have none: use toSvg. */
  toSpec(): VegaLiteSpec {
    const c = this.content;
    switch (this.kind) {
      case 'line':
      case 'scatter': {
        const traces = [...this.traces].map(([name, s]) => ({ name, ...s.drawn(), ...(this.styles.has(name) ? { style: this.styles.get(name)! } : {}) }));
        return this.kind === 'line' ? lineSpec(traces, this.opts) : scatterSpec(traces, this.opts);
      }
      case 'heatmap':
        if (c?.type === 'heatmap') return heatmapSpec(c, this.opts);
        break;
      case 'histogram':
        if (c?.type === 'histogram') return histogramSpec(c.values, c.bins ?? 30, this.opts);
        break;
      case 'bar':
        if (c?.type === 'bar') {
          const cols = c.values[0]?.length ?? 0;
          return barSpec(c.values, c.categories ?? c.values.map((_, i) => String(i)), c.legend ?? Array.from({ length: cols }, (_, j) => (cols > 1 ? `s${j}` : 'value')), this.opts);
        }
        break;
      case 'text':
        if (c?.type === 'text') return textSpec(c.text, this.opts);
        break;
      case 'image':
        if (c?.type === 'image') return imageSpec(c, this.opts);
        break;
      case 'graph':
        throw new ValueError(`window "${this.id}": a graph window is drawn by Graphviz, not Vega-Lite; use toSvg(window) or graphToSvg(graph)`);
    }
    throw new ValueError(`window "${this.id}": has no content yet`);
  }

  /** The graph a graph window holds. */
  get graph(): GraphMessage['graph'] | null {
    return this.content?.type === 'graph' ? this.content.graph : null;
  }

  /** Messages that rebuild this window exactly (every point, not the decimated view): for saving. */
  toMessages(): WindowMessage[] {
    return this.messagesWith((s) => s.all()) as WindowMessage[];
  }

  /**
   * As toMessages, but each trace's points are Float64Array views that later changes do not alter
   * (Series.snapshot, O(1)): what the dashboard's store serialises in the background.
   * @internal
   */
  snapshotMessages(): SnapshotMessage[] {
    return this.messagesWith((s) => s.snapshot());
  }

  private messagesWith(points: (s: Series) => { x: ArrayLike<number>; y: ArrayLike<number> }): SnapshotMessage[] {
    if (this.kind === 'line' || this.kind === 'scatter') {
      const kind = this.kind;
      return [...this.traces].map(([name, s], j) => ({
        type: kind,
        win: this.id,
        name,
        ...points(s),
        ...(this.styles.has(name) ? { style: this.styles.get(name)! } : {}),
        ...(j > 0 ? { update: 'replace' as const } : {}),
        ...(j === 0 && Object.keys(this.opts).length ? { opts: this.opts } : {}),
      }));
    }
    const c = this.content;
    if (!c) return [];
    const opts = Object.keys(this.opts).length ? { opts: this.opts } : {};
    // A text window grown by appends can pass the size one message may carry: it is saved as a
    // first message and appends, split where the appends joined it (at newlines), so that it loads.
    if (c.type === 'text' && c.text.length > TEXT_LIMIT) {
      return splitLines(c.text, TEXT_LIMIT).map((text, i) => (i === 0 ? { ...c, text, ...opts } : { type: 'text' as const, win: this.id, text, update: 'append' as const }));
    }
    return [{ ...c, ...opts } as Content];
  }
}

// messages.ts accepts text of up to 1 << 20 characters per message.
const TEXT_LIMIT = 1 << 20;

/** Packs the lines of `text` into pieces of at most `limit` characters that joined by newlines give it back. */
function splitLines(text: string, limit: number): string[] {
  const out: string[] = [];
  let cur: string | null = null;
  for (const line of text.split('\n')) {
    if (cur !== null && cur.length + 1 + line.length <= limit) cur += `\n${line}`;
    else {
      if (cur !== null) out.push(cur);
      cur = line;
    }
  }
  out.push(cur!);
  return out;
}

/** Visdom's environment: windows by id, each created or updated by a message. */
export class Env {
  readonly windows = new Map<string, PlotWindow>();
  // The last version given to any window: a window that replaces another (same id, no update) or
  // comes back after a close continues above it, so a page that drew the old one sees it as new.
  private clock = 0;
  constructor(readonly name = 'main') {}

  /**
   * Applies a message; returns the window it changed (undefined when it closed one). The window's
   * `version` afterwards is larger than any version a window of this environment had before.
   */
  apply(m: WindowMessage): PlotWindow | undefined {
    if (m.type === 'close') {
      this.windows.delete(m.win);
      return undefined;
    }
    let w = this.windows.get(m.win);
    const update = 'update' in m ? m.update : undefined;
    if (!w || update === undefined) {
      if (w && update === undefined) this.windows.delete(m.win);
      w = new PlotWindow(m.win, m.type);
      w.version = this.clock;
      this.windows.set(m.win, w);
    }
    w.apply(m);
    // w.apply may have been called directly before (bumping w.version past the clock).
    this.clock = Math.max(this.clock + 1, w.version);
    w.version = this.clock;
    return w;
  }

  private applyAll(ms: WindowMessage[]): PlotWindow {
    let w: PlotWindow | undefined;
    for (const m of ms) w = this.apply(m);
    return w!;
  }

  line(win: string, input: LineInput): PlotWindow { return this.applyAll(lineMessages(win, input)); }
  scatter(win: string, input: ScatterInput): PlotWindow { return this.applyAll(scatterMessages(win, input)); }
  heatmap(win: string, input: HeatmapInput): PlotWindow { return this.applyAll([heatmapMessage(win, input)]); }
  histogram(win: string, input: HistogramInput): PlotWindow { return this.applyAll([histogramMessage(win, input)]); }
  bar(win: string, input: BarInput): PlotWindow { return this.applyAll([barMessage(win, input)]); }
  text(win: string, input: TextInput): PlotWindow { return this.applyAll([textMessage(win, input)]); }
  image(win: string, input: ImageInput): PlotWindow { return this.applyAll([imageMessage(win, input)]); }
  graph(win: string, input: GraphInput): PlotWindow { return this.applyAll([graphMessage(win, input)]); }
  close(win: string): void { this.apply({ type: 'close', win }); }

  /** Every window as messages, in creation order: what is saved on disk. */
  toMessages(): WindowMessage[] {
    return [...this.windows.values()].flatMap((w) => w.toMessages());
  }

  /** toMessages with typed-array views of the traces (see PlotWindow.snapshotMessages). @internal */
  snapshotMessages(): SnapshotMessage[] {
    return [...this.windows.values()].flatMap((w) => w.snapshotMessages());
  }
}

// Standalone windows for static output: each call builds one window outside any environment.
const standalone = () => new Env('standalone');
export const line = (input: LineInput): PlotWindow => standalone().line('line', input);
export const scatter = (input: ScatterInput): PlotWindow => standalone().scatter('scatter', input);
export const heatmap = (input: HeatmapInput): PlotWindow => standalone().heatmap('heatmap', input);
export const histogram = (input: HistogramInput): PlotWindow => standalone().histogram('histogram', input);
export const bar = (input: BarInput): PlotWindow => standalone().bar('bar', input);
export const text = (input: TextInput): PlotWindow => standalone().text('text', input);
export const image = (input: ImageInput): PlotWindow => standalone().image('image', input);
export const graph = (input: GraphInput): PlotWindow => standalone().graph('graph', input);
