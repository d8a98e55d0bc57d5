// Regenerates the pictures in docs/images/ used by docs/plot.md (run after `npx tsc -b packages/plot`):
//   node packages/plot/scripts/doc-images.mjs
import { join } from 'node:path';
import '@tsgrad/backend-cpu';
import { graphOf, tensor } from '@tsgrad/core';
import { chromium } from 'playwright-core';
import { fittedCurveMessages, graphWindow, lossCurveWindow, PlotClient, savePng, startServer, TrainingMonitor } from '../dist/index.js';

const out = join(import.meta.dirname, '..', '..', '..', 'docs', 'images');
const losses = Array.from({ length: 300 }, (_, i) => 400 * Math.exp(-i / 40) + 20 + 6 * Math.sin(i / 3));
const xs = Array.from({ length: 120 }, (_, i) => -15 + (30 * ((i * 37) % 120)) / 120);
const ys = xs.map((v, i) => 8 * v * v + 7 * v + 3 + 60 * Math.sin(i * 12.9898));
const fit = xs.map((v) => 7.8 * v * v + 7 * v + 10);

// 1. static: the lecture's computational graph.
const x = tensor([-2]).requiresGrad_(); x.name = 'x';
const y = tensor([5]).requiresGrad_(); y.name = 'y';
const z = tensor([-4]).requiresGrad_(); z.name = 'z';
const q = x.add(y); q.name = 'q';
const f = q.mul(z); f.name = 'f';
await savePng(graphWindow(graphOf(f), { title: 'f = (x + y) · z' }), join(out, 'plot-static-graph.png'), { scale: 1 });
await savePng(lossCurveWindow(losses), join(out, 'plot-static-loss.png'), { scale: 1 });

// 2. live: the dashboard in Chromium.
const server = await startServer({ port: 0 });
const client = new PlotClient({ url: server.url, env: 'regression' });
client.line('loss', { y: losses.slice(0, 200), name: 'train', opts: { title: 'L1 loss', xlabel: 'epoch', ylabel: 'loss' } });
client.send(fittedCurveMessages('fit', { x: xs, y: ys, prediction: fit }));
await client.flush();
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
const page = await browser.newPage({ viewport: { width: 1440, height: 520 } });
await page.goto(`${server.url}/#env=regression`);
await page.waitForSelector('section[data-win="fit"][data-version]');
client.append('loss', losses.slice(200), { name: 'train' });
await client.flush();
await page.waitForFunction(() => Number(document.querySelector('section[data-win="loss"]')?.dataset.version) > 1);
await page.screenshot({ path: join(out, 'plot-live.png') });
await server.close();

// 3. terminal: the last frame TrainingMonitor draws, as text.
let frame = '';
const sink = { isTTY: true, columns: 80, rows: 30, write(s) { frame += s; return true; }, on() { return this; }, once() { return this; }, emit() { return true; }, removeListener() { return this; } };
const mon = new TrainingMonitor({ total: 300, stream: sink, height: 8 });
for (const l of losses) mon.update(l);
mon.stop();
// eslint-disable-next-line no-control-regex
const lines = frame.replace(/\x1b\[\?\d+[hl]/g, '').split(/\x1b\[\d*A/)[0].split(/\n/).map((l) => l.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trimEnd()).filter(Boolean).slice(-10);
// Shown as a terminal would: monospace, lines touching, so the chart's box-drawing strokes join.
const esc = (t) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const term = await browser.newPage({ viewport: { width: 760, height: 200 } });
await term.setContent(`<body style="margin:0;background:#1e1e1e"><pre style="margin:0;padding:12px;color:#e0e0e0;font:13px/1.0 'DejaVu Sans Mono',monospace">$ node regression.js\n${esc(lines.join('\n'))}</pre></body>`);
await term.locator('pre').screenshot({ path: join(out, 'plot-terminal.png') });
await browser.close();
console.log(lines.join('\n'));
