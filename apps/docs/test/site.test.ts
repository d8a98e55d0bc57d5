// The docs site end to end: build it with vite, serve the build on 127.0.0.1, open it in Debian's
// headless Chromium (SwiftShader WebGL 2) through playwright-core, and drive each section.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocsState } from '../src/main.js';

const CHROMIUM = process.env.TSGRAD_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = [
  '--no-sandbox',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const root = resolve(import.meta.dirname, '..');
const resultsDir = join(root, 'test-results');
// Short runs: SwiftShader computes WebGL on the CPU.
const EPOCHS = 100;
const EVERY = 25;
const CLASSIFIER_EPOCHS = 60;

const missing = !existsSync(CHROMIUM);
if (missing) console.warn(`apps/docs site test skipped: ${CHROMIUM} is missing (apt-get install -y chromium).`);

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.svg': 'image/svg+xml' };

function serve(dir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    const file = normalize(join(dir, path === '/' ? 'index.html' : path));
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((ok) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      ok({ server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/` });
    }),
  );
}

const docsState = (page: Page) => page.evaluate(() => window.__docs) as Promise<DocsState>;

describe.skipIf(missing)(`the docs site in headless Chromium (${CHROMIUM})`, () => {
  let dir: string;
  let server: Server;
  let url: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const external: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsgrad-docs-'));
    const { build } = await import('vite');
    await build({ configFile: join(root, 'vite.config.ts'), logLevel: 'error', build: { outDir: dir, emptyOutDir: true } });
    ({ server, url } = await serve(dir));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    // Everything is bundled: the page must not reach past its own server.
    page.on('request', (r) => {
      if (!r.url().startsWith(url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) external.push(r.url());
    });
    await page.goto(`${url}?epochs=${EPOCHS}&every=${EVERY}&classifierEpochs=${CLASSIFIER_EPOCHS}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  }, 120_000);

  afterAll(async () => {
    if (page) {
      mkdirSync(resultsDir, { recursive: true });
      await page.screenshot({ path: join(resultsDir, 'site.png'), fullPage: true });
      // One picture per section too: the full page is too tall to read at a glance.
      for (const id of ['activations', 'graphs', 'classifiers', 'regression']) await page.locator(`#${id}`).screenshot({ path: join(resultsDir, `site-${id}.png`) });
    }
    await browser?.close();
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reports the webgl backend, with no CPU fallback note', async () => {
    const state = await docsState(page);
    expect(state.backend).toBe('webgl');
    expect(state.backendNote).toBeNull();
    expect(await page.textContent('#backend')).toBe('backend: webgl');
    expect(await page.isHidden('#backend-note')).toBe(true);
  });

  it('plots every activation of the lecture\'s table, each next to its definition', async () => {
    const state = await docsState(page);
    expect(state.activations.plotted).toEqual(['unit step (Heaviside)', 'sign (signum)', 'linear', 'piece-wise linear', 'logistic (sigmoid)', 'hyperbolic tangent', 'ReLU']);
    expect(await page.locator('#activation-plots .card svg path[aria-roledescription="line mark"]').count()).toBe(7);
    expect(await page.textContent('#activation-plots')).toContain('max(0, z)');
  });

  it('draws both computational graphs with Graphviz, with the lecture\'s values and gradients', async () => {
    const state = await docsState(page);
    expect(state.graphs).toMatchObject({ mode: 'graphviz', drawn: 2, note: null });
    const graphs = page.locator('#graph-plots figure.graph > svg');
    expect(await graphs.count()).toBe(2);
    const addition = (await graphs.nth(0).textContent()) ?? '';
    for (const text of ['-12', '∂ -4', '∂ 3']) expect(addition).toContain(text); // f, df/dx, df/dz
    const gate = (await graphs.nth(1).textContent()) ?? '';
    for (const text of ['0.731', '∂ -0.197', '∂ 0.393', '∂ -0.59']) expect(gate).toContain(text); // σ(1), w0, x0, x1
  });

  it('shows the source of every section', async () => {
    const summaries = await page.locator('.code summary').allTextContents();
    // One per section, plus the modules shared with the Node programs (regression setup, graphs).
    expect(summaries).toHaveLength(6);
    expect(await page.textContent('#graphs-code')).toContain('export function sigmoidGate');
    expect(await page.textContent('#regression-code')).toContain('export function setupRegression');
    expect(await page.textContent('#classifiers-code')).toContain('export async function trainClassifier');
  });

  it(`trains the practice program for ${EPOCHS} epochs on webgl: the loss falls and both plots update live`, async () => {
    // Clicked from inside the page: playwright's click() waits for the input to be acknowledged,
    // which Chromium may hold back until later frames.
    await page.evaluate(() => document.querySelector<HTMLButtonElement>('#regression-train')!.click());
    // The page answers while it trains (it yields between chunks): we see epochs part way through.
    const seen = new Set<number>();
    for (let polls = 0; polls < 3000; polls++) {
      const now = await page.evaluate(() => ({ state: window.__docs.regression.state, epoch: window.__docs.regression.epoch }));
      if (now.state !== 'running') break;
      seen.add(now.epoch);
      await new Promise((ok) => setTimeout(ok, 20));
    }
    expect([...seen].some((e) => e > 0 && e < EPOCHS), `epochs seen while training: ${[...seen].join(', ')}`).toBe(true);
    const r = (await docsState(page)).regression;
    expect(r.error).toBeNull();
    expect(r.state).toBe('done');
    expect(r.losses).toHaveLength(EPOCHS);
    expect(r.losses.every(Number.isFinite)).toBe(true);
    expect(r.losses[EPOCHS - 1]).toBeLessThan(r.losses[0]!);
    console.log(`docs regression on webgl: L1 loss ${r.losses[0]} -> ${r.losses[EPOCHS - 1]} over ${EPOCHS} epochs`);
    // One redraw per chunk of EVERY epochs, each yielding to the browser in between.
    expect(r.plotUpdates).toBe(EPOCHS / EVERY);
    expect(await page.getAttribute('#regression-loss', 'data-updates')).toBe(String(EPOCHS / EVERY));
    expect(await page.getAttribute('#regression-fit', 'data-updates')).toBe(String(EPOCHS / EVERY));
    expect(await page.locator('#regression-fit svg path[aria-roledescription="line mark"]').count()).toBe(1);
    expect(r.parameters.map((p) => [p.name, p.shape])).toEqual([
      ['0.weight', [10, 1]], ['0.bias', [10]], ['2.weight', [6, 10]], ['2.bias', [6]], ['4.weight', [1, 6]], ['4.bias', [1]],
    ]);
    expect(await page.textContent('#regression-parameters')).toContain('4.bias [1]');
    expect(await page.textContent('#regression-status')).toContain(`done: ${EPOCHS} epochs on webgl`);
  });

  it('trains a linear classifier and an MLP on each hard case: accuracies and decision surfaces', async () => {
    await page.evaluate(() => document.querySelector<HTMLButtonElement>('#classifiers-train')!.click());
    await page.waitForFunction(() => window.__docs.classifiers.state !== 'running', undefined, { timeout: 60_000, polling: 200 });
    const c = (await docsState(page)).classifiers;
    expect(c.error).toBeNull();
    expect(c.state).toBe('done');
    expect(c.results.map((r) => `${r.problem}/${r.model}`)).toEqual(['parity/linear', 'parity/mlp', 'ring/linear', 'ring/mlp', 'threeModes/linear', 'threeModes/mlp']);
    console.log(`docs classifiers on webgl, ${CLASSIFIER_EPOCHS} epochs: ${c.results.map((r) => `${r.problem}/${r.model} ${(100 * r.testAccuracy).toFixed(1)}%`).join(', ')}`);
    for (const problem of ['parity', 'ring', 'threeModes']) {
      const linear = c.results.find((r) => r.problem === problem && r.model === 'linear')!;
      const mlp = c.results.find((r) => r.problem === problem && r.model === 'mlp')!;
      // The point of the section: no line separates these, a two-hidden-layer MLP does.
      expect(linear.testAccuracy, `${problem}: linear`).toBeLessThan(0.75);
      expect(mlp.testAccuracy, `${problem}: MLP`).toBeGreaterThan(0.85);
    }
    expect(c.surfaces).toBe(6);
    expect(await page.locator('#classifiers-surfaces svg path[aria-roledescription="rect mark"], #classifiers-surfaces svg g[aria-roledescription="rect mark"]').count()).toBeGreaterThan(0);
    expect(await page.locator('#classifiers-table tbody tr').count()).toBe(3);
  });

  it('ran without page errors and fetched nothing from the network', async () => {
    expect((await docsState(page)).errors).toEqual([]);
    expect(problems).toEqual([]);
    expect(external).toEqual([]);
  });

  it('falls back to the CPU backend with a visible note where WebGL is unavailable', async () => {
    // No GPU and no software rasterizer (SwiftShader): no WebGL context, not even an OffscreenCanvas one.
    const args = [...FLAGS.filter((f) => !f.includes('swiftshader')), '--disable-gpu', '--disable-software-rasterizer'];
    const noWebgl = await chromium.launch({ executablePath: CHROMIUM, args, headless: true });
    try {
      const p = await noWebgl.newPage();
      await p.goto(url);
      await p.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
      const state = await docsState(p);
      expect(state.backend).toBe('cpu');
      expect(state.backendNote).toContain('WebGL is not available');
      expect(await p.isVisible('#backend-note')).toBe(true);
      expect(state.activations.plotted).toHaveLength(7);
    } finally {
      await noWebgl.close();
    }
  });
});
