import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ValueError } from '@tsgrad/core';
import { Resvg } from '@resvg/resvg-js';
import { parse, View } from 'vega';
import { compile } from 'vega-lite';
import { graphToSvg } from './graph.js';
import type { VegaLiteSpec } from './specs.js';
import { PlotWindow } from './window.js';

/** Anything that can be drawn: a window (graph windows included) or a Vega-Lite spec. */
export type Drawable = PlotWindow | VegaLiteSpec;

/** Renders a window or Vega-Lite spec to an SVG string, in Node, without a browser. */
export async function toSvg(plot: Drawable): Promise<string> {
  if (plot instanceof PlotWindow && plot.kind === 'graph') {
    const g = plot.graph;
    if (!g) throw new ValueError(`toSvg: graph window "${plot.id}" has no graph yet`);
    return graphToSvg(g, plot.opts.title !== undefined ? { title: plot.opts.title } : {});
  }
  const spec = plot instanceof PlotWindow ? plot.toSpec() : plot;
  let vega;
  try {
    vega = compile(spec).spec;
  } catch (e) {
    throw new ValueError(`toSvg: the Vega-Lite spec does not compile: ${(e as Error).message}`);
  }
  const view = new View(parse(vega), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders to PNG bytes; `scale` multiplies the SVG's pixel size (2 for sharp pictures). */
export async function toPng(plot: Drawable, options: { scale?: number } = {}): Promise<Uint8Array> {
  const svg = await toSvg(plot);
  const scale = options.scale ?? 2;
  const resvg = new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, background: 'white', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } });
  return resvg.render().asPng();
}

// Written beside the target and renamed over it, so a reader never sees half a file.
async function atomicWrite(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

export async function saveSvg(plot: Drawable, path: string): Promise<string> {
  const svg = await toSvg(plot);
  await atomicWrite(path, svg);
  return path;
}

export async function savePng(plot: Drawable, path: string, options: { scale?: number } = {}): Promise<string> {
  await atomicWrite(path, await toPng(plot, options));
  return path;
}
