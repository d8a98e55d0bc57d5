import '@tsgrad/backend-cpu';
import { graphOf, ShapeError, tensor, ValueError } from '@tsgrad/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bar,
  Env,
  fittedCurveMessages,
  fittedCurveWindow,
  graph,
  graphToDot,
  heatmap,
  histogram,
  histogramBins,
  image,
  line,
  lossCurveWindow,
  parseMessage,
  scatter,
  Series,
  text,
  toPng,
  toSvg,
} from '../src/index.js';

// The parts of a Vega-Lite spec the tests read, without committing to its full type.
interface SpecView {
  mark?: { type: string };
  layer?: SpecView[];
  data?: { values: Record<string, unknown>[] };
  encoding?: Record<string, { field?: string; type?: string; scale?: unknown }>;
  title?: string;
}
const view = (s: unknown) => s as SpecView;

function lecturesGraph() {
  const x = tensor([-2]).requiresGrad_();
  x.name = 'x';
  const y = tensor([5]).requiresGrad_();
  y.name = 'y';
  const z = tensor([-4]).requiresGrad_();
  z.name = 'z';
  const q = x.add(y);
  q.name = 'q';
  const f = q.mul(z);
  f.name = 'f';
  return graphOf(f);
}

describe('window specs', () => {
  it('line: one row per point, coloured by trace, from a tensor of columns', () => {
    const w = line({ y: tensor([[1, 10], [2, 20], [3, 30]]), legend: ['train', 'test'], opts: { title: 'loss' } });
    const s = view(w.toSpec());
    expect(s.mark?.type).toBe('line');
    expect(s.title).toBe('loss');
    expect(s.encoding?.color?.field).toBe('trace');
    expect(s.data?.values).toEqual([
      { trace: 'train', x: 0, y: 1 }, { trace: 'train', x: 1, y: 2 }, { trace: 'train', x: 2, y: 3 },
      { trace: 'test', x: 0, y: 10 }, { trace: 'test', x: 1, y: 20 }, { trace: 'test', x: 2, y: 30 },
    ]);
  });

  it('scatter: points [N, 2] split by label, each label a colour', () => {
    const s = view(scatter({ points: [[0, 1], [2, 3], [4, 5]], labels: [1, 0, 1] }).toSpec());
    expect(s.mark?.type).toBe('point');
    expect(s.encoding?.color).toMatchObject({ field: 'label', type: 'nominal' });
    expect(s.data?.values).toEqual([{ label: '1', x: 0, y: 1 }, { label: '1', x: 4, y: 5 }, { label: '0', x: 2, y: 3 }]);
  });

  it('heatmap: a rect per cell with edges halfway between centres, points layered on top', () => {
    const s = view(heatmap({ z: [[1, 2], [3, 4]], x: [0, 1], y: [10, 20], points: { x: [0.5], y: [15], labels: ['a'] } }).toSpec());
    expect(s.layer?.map((l) => l.mark?.type)).toEqual(['rect', 'point']);
    expect(s.layer?.[0]?.data?.values[3]).toEqual({ x0: 0.5, x1: 1.5, y0: 15, y1: 25, z: 4 });
    expect(s.layer?.[1]?.data?.values).toEqual([{ x: 0.5, y: 15, label: 'a' }]);
  });

  it('histogram: counts per bin add up to the number of values', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }), fc.integer({ min: 1, max: 50 }), (vals, bins) => {
        const b = histogramBins(vals, bins);
        expect(b.reduce((a, r) => a + r.count, 0)).toBe(vals.length);
        for (const r of b) expect(r.hi).toBeGreaterThan(r.lo);
      }),
    );
    // A span of three subnormal steps cannot be cut into four bins: one bin, still covering every value.
    expect(histogramBins([0, -1.5e-323], 4)).toEqual([{ lo: -1.5e-323, hi: 0, count: 2 }]);
    const s = view(histogram({ values: tensor([[0, 1], [1, 2]]), bins: 2 }).toSpec());
    expect(s.mark?.type).toBe('bar');
    expect(s.data?.values).toEqual([{ lo: 0, hi: 1, count: 1 }, { lo: 1, hi: 2, count: 3 }]);
  });

  it('bar: grouped bars for several series, in the given category order', () => {
    const s = view(bar({ values: [[1, 2], [3, 4]], categories: ['b', 'a'], legend: ['train', 'test'] }).toSpec());
    expect(s.mark?.type).toBe('bar');
    expect(s.encoding?.xOffset?.field).toBe('series');
    expect(s.data?.values[1]).toEqual({ category: 'b', series: 'test', value: 2 });
  });

  it('text: one text mark per line, markup kept as plain text', () => {
    const s = view(text({ text: 'a <b>bold</b>\n<script>x()</script>' }).toSpec());
    expect(s.mark?.type).toBe('text');
    expect(s.data?.values).toEqual([{ i: 0, line: 'a <b>bold</b>' }, { i: 1, line: '<script>x()</script>' }]);
  });

  it('image: one rect per pixel with its colour, from [H, W], [H, W, 3] and [3, H, W]', () => {
    const grey = view(image({ pixels: tensor([[0, 1], [0.5, 1]]) }).toSpec());
    expect(grey.encoding?.color).toMatchObject({ field: 'color', scale: null });
    expect(grey.data?.values.map((v) => v.color)).toEqual(['#000000', '#ffffff', '#808080', '#ffffff']);
    const hwc = view(image({ pixels: [[[255, 0, 0], [0, 255, 0]]] }).toSpec());
    const chw = view(image({ pixels: tensor([[[255, 0]], [[0, 255]], [[0, 0]]]) }).toSpec());
    expect(hwc.data?.values).toEqual(chw.data?.values);
    expect(hwc.data?.values.map((v) => v.color)).toEqual(['#ff0000', '#00ff00']);
    expect(() => image({ pixels: tensor([1, 2, 3]) })).toThrow(ShapeError);
  });

  it('graph: the lecture graph f = (x+y)·z as DOT with every value and gradient', () => {
    const dot = graphToDot(lecturesGraph());
    expect(dot).toMatch(/rankdir=LR/);
    // q = 3 with df/dq = -4; z = -4 with df/dz = 3; f = -12.
    expect(dot).toMatch(/q \(\+\).*>3<.*∂ -4/);
    expect(dot).toMatch(/<B>z<\/B>.*>-4<.*∂ 3/);
    expect(dot).toMatch(/f \(×\).*>-12</);
    expect(dot.match(/->/g)).toHaveLength(4);
    expect(() => graph({ graph: lecturesGraph() }).toSpec()).toThrow(ValueError);
  });

  it('refuses bad input with the op and the fix in the message', () => {
    expect(() => line({ y: [1, Number.NaN] })).toThrow(/line: y\[1\] is NaN/);
    expect(() => line({ y: [1, 2], x: [1, 2, 3] })).toThrow(ShapeError);
    expect(() => scatter({ x: [1, 2], y: [1] })).toThrow(/give one x per y/);
    expect(() => heatmap({ z: [[1, 2], [3]] })).toThrow(/rows must all have 2 values/);
    expect(() => bar({ values: [1, 2], categories: ['a'] })).toThrow(/one category per row/);
  });
});

describe('environments and windows', () => {
  it('appends per named trace, replaces one trace, or replaces the window', () => {
    const env = new Env('test');
    env.line('loss', { y: [3, 2], name: 'train' });
    env.line('loss', { y: [1], name: 'train', update: 'append' });
    env.line('loss', { y: [9, 9], name: 'test', update: 'append' });
    const w = env.windows.get('loss')!;
    expect(w.traces.get('train')!.all()).toEqual({ x: [0, 1, 2], y: [3, 2, 1] });
    env.line('loss', { y: [5], name: 'test', update: 'replace' });
    expect(w.traces.get('test')!.all()).toEqual({ x: [0], y: [5] });
    expect(w.traces.get('train')!.length).toBe(3);
    env.heatmap('loss', { z: [[1]] });
    expect(env.windows.get('loss')!.kind).toBe('heatmap');
    expect(() => env.line('loss', { y: [1], update: 'append' })).toThrow(/is a heatmap window/);
    env.close('loss');
    expect(env.windows.size).toBe(0);
  });

  it('rebuilds every window exactly from its saved messages', () => {
    const env = new Env();
    env.line('l', { y: [1, 2, 3], x: [5, 6, 7], opts: { title: 't' } });
    env.scatter('s', { x: [1, 2], y: [3, 4], labels: ['a', 'b'] });
    env.text('t', { text: 'one' });
    env.text('t', { text: 'two', update: 'append' });
    env.graph('g', { graph: lecturesGraph() });
    const copy = new Env();
    for (const m of JSON.parse(JSON.stringify(env.toMessages())) as unknown[]) copy.apply(parseMessage(m));
    for (const [id, w] of env.windows) {
      const c = copy.windows.get(id)!;
      expect(c.kind).toBe(w.kind);
      if (w.kind !== 'graph') expect(c.toSpec()).toEqual(w.toSpec());
    }
    expect(view(copy.windows.get('t')!.toSpec()).data?.values).toEqual([{ i: 0, line: 'one' }, { i: 1, line: 'two' }]);
  });

  it('Series.snapshot keeps the points it was taken with through appends, growth and clear', () => {
    const s = new Series('line');
    s.append([0, 1, 2], [5, 6, 7]);
    const snap = s.snapshot();
    s.append(Array.from({ length: 200 }, (_, i) => 3 + i), new Array(200).fill(-1)); // grows past 64
    const afterGrowth = s.snapshot();
    s.clear();
    s.append([9, 9, 9, 9], [8, 8, 8, 8]);
    expect([Array.from(snap.x), Array.from(snap.y)]).toEqual([[0, 1, 2], [5, 6, 7]]);
    expect(afterGrowth.x.length).toBe(203);
    expect(Array.from(afterGrowth.y.subarray(0, 4))).toEqual([5, 6, 7, -1]);
    expect(s.all()).toEqual({ x: [9, 9, 9, 9], y: [8, 8, 8, 8] });
  });

  it('a window replaced under the same id, or closed and made again, gets a higher version (pages redraw on a higher one)', () => {
    // The regression example re-sends its fitted curve each epoch: data (no update: a new window)
    // then the model (replace). Each time the page must see a version above the one it drew.
    const env = new Env();
    const seen: number[] = [];
    for (let epoch = 0; epoch < 3; epoch++) {
      for (const m of fittedCurveMessages('fit', { x: [0, 1], y: [1, 2], prediction: [epoch, epoch] })) env.apply(m);
      seen.push(env.windows.get('fit')!.version);
    }
    env.close('fit');
    env.text('fit', { text: 'back' });
    seen.push(env.windows.get('fit')!.version);
    env.text('other', { text: 'x' });
    env.text('fit', { text: 'again', update: 'append' });
    seen.push(env.windows.get('fit')!.version);
    expect(seen).toEqual([2, 4, 6, 7, 9]);
  });
});

describe('decimation', () => {
  it('keeps every point but draws a bounded number that keeps the extremes, first and last', () => {
    const s = new Series('line', 100);
    const n = 100_000;
    for (let i = 0; i < n; i++) s.append([i], [Math.sin(i / 1000) + (i === 54_321 ? 50 : 0)]);
    expect(s.length).toBe(n);
    const d = s.drawn();
    expect(d.x.length).toBeLessThanOrEqual(400);
    expect(d.x[0]).toBe(0);
    expect(d.x[d.x.length - 1]).toBe(n - 1);
    expect(Math.max(...d.y)).toBeCloseTo(50 + Math.sin(54.321), 6);
    expect(d.x).toEqual([...d.x].sort((a, b) => a - b));
  });

  it('keeps the drawn envelope exact for any series (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 3000 }), (ys) => {
        const s = new Series('line', 16);
        s.append(ys.map((_, i) => i), ys);
        const d = s.drawn();
        expect(Math.max(...d.y)).toBe(Math.max(...ys));
        expect(Math.min(...d.y)).toBe(Math.min(...ys));
        expect(d.y.length).toBeLessThanOrEqual(64);
      }),
    );
  });

  it('thins scatter traces evenly and bounds what is drawn', () => {
    const s = new Series('scatter', 50);
    for (let i = 0; i < 10_000; i++) s.append([i], [i]);
    expect(s.drawn().x.length).toBeLessThanOrEqual(201);
  });
});

describe('static output', () => {
  it('draws each kind to SVG with its marks', async () => {
    const svgLine = await toSvg(lossCurveWindow([5, 3, 2, 1.5]));
    expect(svgLine).toMatch(/^<svg/);
    expect(svgLine).toMatch(/role-mark[^"]*"[^>]*aria-roledescription="line mark"|aria-roledescription="line mark"/);
    expect(svgLine).toContain('training loss');
    const svgScatter = await toSvg(scatter({ x: [1, 2, 3], y: [1, 4, 9], labels: ['a', 'b', 'a'] }));
    expect(svgScatter.match(/aria-roledescription="point"/g)).toHaveLength(3);
    const svgBar = await toSvg(bar({ values: [1, 2, 3] }));
    expect(svgBar.match(/aria-roledescription="bar"/g)).toHaveLength(3);
    const svgHeat = await toSvg(heatmap({ z: [[1, 2], [3, 4]] }));
    expect(svgHeat.match(/aria-roledescription="rect mark"/g)).toHaveLength(4);
    const svgText = await toSvg(text({ text: '<script>alert(1)</script>' }));
    expect(svgText).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(svgText).not.toContain('<script');
    const svgFit = await toSvg(fittedCurveWindow({ x: [3, 1, 2], y: [9, 1, 4], prediction: [9, 1, 4] }));
    expect(svgFit).toContain('aria-roledescription="line mark"');
    expect(svgFit.match(/aria-roledescription="point"/g)).toHaveLength(3);
  });

  it('draws the computational graph with Graphviz: a node per tensor and an edge per input', async () => {
    const svg = await toSvg(graph({ graph: lecturesGraph(), opts: { title: 'f = (x+y)·z' } }));
    expect(svg).toContain('Generated by graphviz');
    expect(svg.match(/class="node"/g)).toHaveLength(5);
    expect(svg.match(/class="edge"/g)).toHaveLength(4);
    expect(svg).toContain('-12');
    expect(svg).toContain('∂ 3');
  });

  it('writes a PNG', async () => {
    const png = await toPng(line({ y: [1, 2, 3] }), { scale: 1 });
    expect(Array.from(png.slice(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  });
});

describe('message validation', () => {
  it('refuses unknown fields, wrong types and inconsistent lengths, naming the field', () => {
    expect(() => parseMessage({ type: 'line', win: 'a', name: 'y', y: [1], colour: 'red' })).toThrow(/unknown field "colour"/);
    expect(() => parseMessage({ type: 'line', win: 'a', name: 'y', y: ['1'] })).toThrow(/y\[0\] must be a finite number/);
    expect(() => parseMessage({ type: 'line', win: 'a', name: 'y', y: [1], x: [1, 2] })).toThrow(/one x per y/);
    expect(() => parseMessage({ type: 'text', win: '', text: 'x' })).toThrow(/win must be 1\.\.256/);
    expect(() => parseMessage({ type: 'pie', win: 'a' })).toThrow(/unknown message type "pie"/);
    expect(() => parseMessage({ type: 'line', win: 'a', name: 'y', y: [1], opts: { title: 't', onclick: 'x' } })).toThrow(/opts has unknown field "onclick"/);
    expect(() => parseMessage({ type: 'graph', win: 'g', graph: { nodes: [], edges: [{ from: 'a', to: 'b' }] } })).toThrow(/not both nodes/);
  });
});
