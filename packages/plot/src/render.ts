import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
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
/**
 * Writes `data` to `path` so that a reader sees the old file or the whole new one: a temporary
 * file beside it, fsync'ed, then renamed over it. The temporary file is removed if the write
 * fails, and temporary files left by processes that were killed mid-write (their pid is gone)
 * are removed by the next write to the same path, so none survives for good.
 */
async function atomicWrite(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  await removeOrphans(dir, basename(path));
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
}

/** Temporary files `<name>.<pid>.<random>.tmp` whose writer process no longer exists. */
async function removeOrphans(dir: string, name: string): Promise<void> {
  const prefix = `${name}.`;
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const entry of entries) {
    if (!entry.startsWith(prefix) || !entry.endsWith('.tmp')) continue;
    const m = /^(\d+)\.[a-z0-9]+\.tmp$/.exec(entry.slice(prefix.length));
    if (m === null || isAlive(Number(m[1]))) continue;
    await unlink(join(dir, entry)).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
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
