// The docs site end to end: serve the build (apps/docs/dist) on 127.0.0.1, open every page in
// both languages in Debian's headless Chromium (SwiftShader WebGL 2) through playwright-core at a
// phone's width (390 px), and check: no console or page errors, no request leaves the server,
// every live example runs (the long ones shortened), the lecture's numbers appear, nothing
// scrolls sideways; search, the backend switch and the CPU fallback. Each page is opened once (its
// checks run while it is open and are asserted in the tests below); screenshots of every page go
// to apps/docs/test-results/.
import { existsSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocsState } from '../src/runtime.js';
import { CHROMIUM, FLAGS, serve } from './browser.js';
import { dist, ensureBuilt, pages, root } from './built.js';

const resultsDir = join(root, 'test-results');
// Short runs: SwiftShader computes WebGL on the CPU.
const EPOCHS = 100;
const EVERY = 25;
const CLASSIFIER_EPOCHS = 60;
const QUERY = `?epochs=${EPOCHS}&every=${EVERY}&classifierEpochs=${CLASSIFIER_EPOCHS}`;
/** Examples that run on a button press; every other one runs when its page opens. */
const ON_PRESS = ['hard-cases', 'practice', 'mnist'];

const missing = !existsSync(CHROMIUM);
if (missing) console.warn(`apps/docs site test skipped: ${CHROMIUM} is missing (apt-get install -y chromium).`);

const docsState = (page: Page) => page.evaluate(() => window.__docs) as Promise<DocsState>;
const demo = async (page: Page, id: string) => (await docsState(page)).demos[id]!;


/** Waits until every example on the page that runs by itself has finished. */
async function examplesDone(page: Page): Promise<string[]> {
  const ids = await page.$$eval('[data-demo]', (els) => els.map((e) => (e as HTMLElement).dataset.demo!));
  const auto = ids.filter((id) => !ON_PRESS.includes(id));
  if (auto.length) {
    await page.waitForFunction((wanted) => wanted.every((id) => ['done', 'error'].includes(window.__docs?.demos[id]?.state ?? '')), auto, { timeout: 60_000, polling: 100 });
  }
  return ids;
}

/** The visible prose of a Korean page that has Latin words and no Hangul: code, maths and plots aside. */
const englishProse = (page: Page) =>
  page.evaluate(() => {
    const out: string[] = [];
    for (const el of document.querySelectorAll('.vp-doc p, .vp-doc li, .vp-doc td, .vp-doc th, .vp-doc h1, .vp-doc h2, .vp-doc h3, .VPHome p, .VPHome h1, .VPHome h2')) {
      const copy = el.cloneNode(true) as HTMLElement;
      copy.querySelectorAll('code, pre, .katex, svg, .vega-embed, select, option').forEach((c) => c.remove());
      const text = copy.textContent ?? '';
      if (!/[\uac00-\ud7a3]/.test(text) && (text.match(/\b[A-Za-z]{2,}\b/g) ?? []).length >= 4) out.push(text.trim());
    }
    return out;
  });

type Probe = (page: Page) => Promise<Record<string, unknown>>;

const text = async (page: Page, selector: string) => (await page.textContent(selector)) ?? '';
const rows = async (page: Page, node: string) => (await page.locator(`tr[data-node="${node}"] td`).allTextContents()).slice(1);
const nextRun = (page: Page, id: string, runs: number) =>
  page.waitForFunction(([i, n]) => window.__docs.demos[i as string]!.runs > (n as number) && window.__docs.demos[i as string]!.state === 'done', [id, runs] as const, { timeout: 30_000 });

async function search(page: Page, query: string): Promise<string[]> {
  await page.click('.VPNavBarSearch button');
  // The box keeps the last query and its results: clear them first, so the results read below
  // are this query's, not the previous one's.
  await page.fill('.VPLocalSearchBox input', '');
  await page.waitForFunction(() => document.querySelectorAll('.VPLocalSearchBox .result').length === 0, undefined, { timeout: 10_000 });
  await page.fill('.VPLocalSearchBox input', query);
  await page.waitForSelector('.VPLocalSearchBox .result', { timeout: 10_000 });
  const titles = await page.locator('.VPLocalSearchBox .result').allTextContents();
  await page.keyboard.press('Escape');
  return titles;
}

const additionProbe: Probe = async (page) => ({
  data: (await demo(page, 'graph-addition')).data,
  output: await text(page, '[data-demo="graph-addition"] .output'),
  x: await rows(page, 'x'),
  z: await rows(page, 'z'),
  graph: await text(page, '[data-demo="graph-addition"] .graph svg'),
});
const gateProbe: Probe = async (page) => ({
  data: (await demo(page, 'graph-gate')).data,
  graph: await text(page, '[data-demo="graph-gate"] .graph svg'),
  prose: await text(page, '.vp-doc'),
});

/** What to check on a page while it is open (interactions included); asserted by the tests below. */
const PROBES: Record<string, Probe> = {
  '/': async (page) => ({ relu: await search(page, 'ReLU'), tidy: await search(page, 'tidy') }),
  '/ko/': async (page) => ({ backprop: await search(page, '역전파') }),
  '/lecture/01-setup.html': async (page) => ({ data: (await demo(page, 'plot')).data }),
  '/lecture/03-neuron.html': async (page) => ({ data: (await demo(page, 'neuron')).data }),
  '/lecture/04-feed-forward.html': async (page) => ({ data: (await demo(page, 'collapse')).data }),
  '/lecture/05-activations.html': async (page) => ({
    data: (await demo(page, 'activations')).data,
    lines: await page.locator('[data-demo="activations"] .cards svg path[aria-roledescription="line mark"]').count(),
    table: await text(page, '[data-demo="activations"]'),
  }),
  '/lecture/06-shapes.html': async (page) => {
    const before = (await demo(page, 'shapes')).data;
    const runs = (await demo(page, 'shapes')).runs;
    await page.fill('[data-demo="shapes"] input[name="shapes"]', '3x4, 3x2');
    await page.press('[data-demo="shapes"] input[name="shapes"]', 'Enter');
    await nextRun(page, 'shapes', runs);
    return { before, error: await text(page, '[data-demo="shapes"] .shape-error') };
  },
  '/lecture/07-backpropagation.html': async (page) => ({ backprop: (await demo(page, 'backprop')).data, flow: (await demo(page, 'gradient-flow')).data }),
  '/lecture/08-computational-graph.html': async (page) => {
    const state = await docsState(page);
    const first = { backend: state.backend, note: state.backendNote, badge: await text(page, '[data-demo] .badge'), notes: await page.locator('.backend-note').count(), ...(await additionProbe(page)) };
    // Interactive: z = 2 gives f = 6 and ∂f/∂x = 2.
    let runs = (await demo(page, 'graph-addition')).runs;
    await page.fill('[data-demo="graph-addition"] input[name="z"]', '2');
    await nextRun(page, 'graph-addition', runs);
    const changed = { data: (await demo(page, 'graph-addition')).data, output: await text(page, '[data-demo="graph-addition"] .output') };
    // The backend switch: the example runs again on the CPU backend.
    runs = (await demo(page, 'graph-addition')).runs;
    await page.selectOption('[data-demo="graph-addition"] select', 'cpu');
    await nextRun(page, 'graph-addition', runs);
    const cpu = { backend: (await docsState(page)).backend, data: (await demo(page, 'graph-addition')).data, badge: await text(page, '[data-demo] .badge') };
    await page.selectOption('[data-demo="graph-addition"] select', 'webgl');
    await page.waitForFunction(() => window.__docs.backend === 'webgl');
    return { first, changed, cpu };
  },
  '/ko/lecture/08-computational-graph.html': additionProbe,
  '/lecture/09-sigmoid-gate.html': gateProbe,
  '/ko/lecture/09-sigmoid-gate.html': gateProbe,
  '/lecture/10-practice.html': async (page) => {
    // Clicked from inside the page: playwright's click() waits for the input to be acknowledged,
    // which Chromium may hold back until later frames.
    await page.evaluate(() => document.querySelector<HTMLButtonElement>('[data-demo="practice"] button.train')!.click());
    // The page answers while it trains (it yields between chunks): we see epochs part way through.
    const seen = new Set<number>();
    for (let polls = 0; polls < 3000; polls++) {
      const now = await page.evaluate(() => ({ state: window.__docs?.demos['practice']?.state, epoch: window.__docs?.demos['practice']?.data.epoch as number }));
      if (now.state && now.state !== 'running') break;
      if (now.epoch !== undefined) seen.add(now.epoch);
      await new Promise((ok) => setTimeout(ok, 20));
    }
    return {
      seen: [...seen],
      record: await demo(page, 'practice'),
      lossUpdates: await page.getAttribute('[data-demo="practice"] .plot.loss', 'data-updates'),
      fitUpdates: await page.getAttribute('[data-demo="practice"] .plot.fit', 'data-updates'),
      parameters: await text(page, '[data-demo="practice"] .parameters'),
      log: await text(page, '[data-demo="practice"] .log'),
      status: await text(page, '[data-demo="practice"] .status'),
      prose: await text(page, '.vp-doc'),
    };
  },
  '/ko/lecture/02-hard-cases.html': async (page) => {
    await page.evaluate(() => document.querySelector<HTMLButtonElement>('[data-demo="hard-cases"] button.train')!.click());
    await page.waitForFunction(() => ['done', 'error'].includes(window.__docs?.demos['hard-cases']?.state ?? ''), undefined, { timeout: 120_000, polling: 200 });
    return {
      record: await demo(page, 'hard-cases'),
      surfaces: await page.locator('[data-demo="hard-cases"] .surfaces .plot').count(),
      rows: await page.locator('[data-demo="hard-cases"] tbody tr').count(),
      status: await text(page, '[data-demo="hard-cases"] .status'),
    };
  },
};
/**
 * Pages opened by a full load (the server's HTML, then hydration): each home page, the pages of
 * every live example in English and of the long ones in Korean, and the page that needs its own
 * address parameters. The others are reached as a reader clicking a link would, by the site's
 * router, which keeps the loaded runtime (tsgrad, WebGL) and keeps the test short.
 */
const FULL_LOADS = new Set(['/', '/ko/', '/lecture/05-activations.html', '/lecture/07-backpropagation.html', '/lecture/08-computational-graph.html', '/ko/lecture/02-hard-cases.html', '/ko/lecture/10-practice.html']);

async function open(page: Page, url: string, path: string, query: string): Promise<void> {
  if (FULL_LOADS.has(path) || !(await page.evaluate(() => Boolean(document.querySelector('#app'))))) {
    await page.goto(`${url}${path}${query}`);
    return;
  }
  await page.evaluate((href) => {
    // A marker inside the current page's content: gone once the router has rendered the next page.
    const content = document.querySelector('.vp-doc > div, .VPHome');
    const marker = document.createElement('i');
    marker.id = 'previous-page';
    content?.append(marker);
    if (window.__docs) window.__docs.demos = {};
    const a = document.createElement('a');
    a.href = href;
    document.body.append(a);
    a.click();
    a.remove();
  }, `${path}${query}`);
  await page.waitForFunction((p) => location.pathname === p && !document.getElementById('previous-page') && document.querySelector('.vp-doc > div, .VPHome'), path, { timeout: 30_000 });
}

/** Extra address parameters for one page. */
const PARAMS: Record<string, string> = {
  // Six models on SwiftShader's WebGL take minutes on a busy CI machine; the practice program
  // covers training on WebGL, so this one trains on the CPU backend.
  '/ko/lecture/02-hard-cases.html': '&backend=cpu',
};

describe.skipIf(missing)(`the docs site in headless Chromium (${CHROMIUM})`, () => {
  let server: Server;
  let url: string;
  let browser: Browser;
  let page: Page;
  let all: string[];
  const problems: string[] = [];
  const external: string[] = [];
  const probed: Record<string, Record<string, unknown>> = {};
  let current = '';

  beforeAll(async () => {
    ensureBuilt();
    all = pages();
    ({ server, url } = await serve(dist));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
    page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    page.on('pageerror', (e) => problems.push(`${current}: pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${current}: console: ${m.text()}`);
    });
    // Everything is bundled: the pages must not reach past their own server.
    page.on('request', (r) => {
      if (!r.url().startsWith(url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) external.push(r.url());
    });
    mkdirSync(resultsDir, { recursive: true });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  const at = (path: string) => {
    const result = probed[path];
    if (!result) throw new Error(`${path} was not opened (or its checks failed: see the first test)`);
    return result as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  it('opens every page in both languages at 390 px: no errors, examples run, no sideways scroll, Korean in Korean', async () => {
    // Every page, the generated API reference included (reached through the router, so quickly).
    const visited = all;
    expect(visited.length).toBeGreaterThanOrEqual(80);
    for (const p of Object.keys(PROBES)) expect(visited, p).toContain(p);
    const wide: string[] = [];
    const english: string[] = [];
    const failed: string[] = [];
    for (const path of visited) {
      current = path;
      await open(page, url, path, `${QUERY}${PARAMS[path] ?? ''}`);
      const ids = await examplesDone(page);
      const state = await docsState(page);
      for (const id of ids.filter((i) => !ON_PRESS.includes(i))) if (state?.demos[id]?.state !== 'done') failed.push(`${path}: ${id}: ${state?.demos[id]?.error}`);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      if (width > 390) wide.push(`${path}: ${width}px`);
      if (path.startsWith('/ko/')) for (const t of await englishProse(page)) english.push(`${path}: ${t}`);
      try {
        if (PROBES[path]) probed[path] = await PROBES[path](page);
      } catch (e) {
        failed.push(`${path}: ${(e as Error).message}`);
      }
      const name = path.replace(/^\/|\/$/g, '').replace(/[^\w.-]+/g, '_') || 'index';
      await page.screenshot({ path: join(resultsDir, `${name}.png`), fullPage: !path.includes('/api/') });
    }
    expect(failed).toEqual([]);
    expect(wide).toEqual([]);
    expect(english).toEqual([]);
  }, 600_000);

  it('ran without console or page errors and fetched nothing from the network', () => {
    expect(problems).toEqual([]);
    expect(external).toEqual([]);
  });

  it('runs on WebGL, with the backend shown on every example and no fallback note', () => {
    const { first } = at('/lecture/08-computational-graph.html');
    expect(first).toMatchObject({ backend: 'webgl', note: null, badge: 'backend: webgl', notes: 0 });
  });

  it('f = (x + y)·z: f = -12 with gradients -4, -4, 3, and the graph follows a new input', () => {
    const en = at('/lecture/08-computational-graph.html');
    for (const r of [en.first, at('/ko/lecture/08-computational-graph.html')]) {
      expect(r.data).toMatchObject({ values: { q: 3, f: -12 }, grads: { x: -4, y: -4, z: 3 }, graphviz: true });
      expect(r.output).toBe('-12');
      expect(r.x).toEqual(['-2', '-4']);
      expect(r.z).toEqual(['-4', '3']);
      for (const t of ['-12', '∂ -4', '∂ 3']) expect(r.graph).toContain(t);
    }
    expect(en.changed.data).toMatchObject({ values: { f: 6 }, grads: { x: 2, y: 2, z: 3 } });
    expect(en.changed.output).toBe('6');
  });

  it('switches an example to the CPU backend', () => {
    const { cpu } = at('/lecture/08-computational-graph.html');
    expect(cpu.backend).toBe('cpu');
    expect(cpu.badge).toBe('backend: cpu');
    expect(cpu.data).toMatchObject({ values: { f: 6 }, grads: { x: 2, y: 2, z: 3 } });
  });

  it('the sigmoid gate: σ(1) ≈ 0.73 and its five gradients', () => {
    for (const path of ['/lecture/09-sigmoid-gate.html', '/ko/lecture/09-sigmoid-gate.html']) {
      const { data, graph, prose } = at(path);
      expect(data.values['1/x'].toFixed(2)).toBe('0.73');
      expect(['w0', 'x0', 'w1', 'x1', 'w2'].map((k) => data.grads[k].toFixed(2))).toEqual(['-0.20', '0.39', '-0.39', '-0.59', '0.20']);
      for (const t of ['0.731', '∂ -0.197', '∂ 0.393', '∂ -0.59']) expect(graph).toContain(t);
      for (const n of ['0.73', '-0.20', '0.39', '-0.39', '-0.59', '0.20']) expect(prose).toContain(n);
    }
  });

  it("plots every activation of the lecture's table with its derivative and the kink conventions", () => {
    const { data, lines, table } = at('/lecture/05-activations.html');
    expect(data.plotted).toEqual(['unit step (Heaviside)', 'sign (signum)', 'linear', 'piece-wise linear', 'logistic (sigmoid)', 'hyperbolic tangent', 'ReLU']);
    expect(data.atZero['unit step (Heaviside)']).toEqual({ value: 0.5, derivative: 0 });
    expect(data.atZero['sign (signum)']).toEqual({ value: 0, derivative: 0 });
    expect(data.atZero['ReLU']).toEqual({ value: 0, derivative: 0 });
    expect(data.atZero['logistic (sigmoid)'].derivative).toBeCloseTo(0.25, 6);
    expect(lines).toBe(14); // f and f' in each of the seven plots
    expect(table).toContain('max(0, z)');
  });

  it('shows instead of tells: the plot, the neuron, the collapse, the shapes, backpropagation, the gradient through depth', () => {
    expect(at('/lecture/01-setup.html').data).toEqual({ updates: 11, points: 61 });
    expect(at('/lecture/03-neuron.html').data.z).toBeCloseTo(0.1, 5);
    const c = at('/lecture/04-feed-forward.html').data;
    expect(c.linearGap).toBeLessThan(1e-5);
    expect(c.reluGap).toBeGreaterThan(1e-2);
    const shapes = at('/lecture/06-shapes.html');
    expect(shapes.before).toMatchObject({ steps: [{ shape: [3, 4] }, { shape: [3, 2] }], error: null });
    expect(shapes.error).toContain('matmul: inner dimensions differ');
    const { backprop, flow } = at('/lecture/07-backpropagation.html');
    for (const k of ['w1', 'b1', 'w2', 'b2', 'w3', 'b3']) expect(backprop.autograd[k]).toBeCloseTo(backprop.chainRule[k], 5);
    expect(backprop.autograd.b3).toBe(1);
    expect(flow.sigmoid[0] / flow.sigmoid[9]).toBeLessThan(1e-3);
    expect(flow.relu[0] / flow.relu[9]).toBeGreaterThan(1e-2);
  });

  it(`trains the practice program for ${EPOCHS} epochs on webgl: the loss starts near 600 and falls, both plots update live`, () => {
    const r = at('/lecture/10-practice.html');
    expect(r.seen.some((e: number) => e > 0 && e < EPOCHS), `epochs seen while training: ${r.seen.join(', ')}`).toBe(true);
    expect(r.record.error).toBeNull();
    expect(r.record.state).toBe('done');
    const losses = r.record.data.losses as number[];
    expect(losses).toHaveLength(EPOCHS);
    expect(losses.every(Number.isFinite)).toBe(true);
    // The lecture's practice program: the L1 loss starts near 600 (seed 0: 594.72 on the CPU backend, lecture.test.ts).
    expect(losses[0]).toBeGreaterThan(550);
    expect(losses[0]).toBeLessThan(650);
    expect(losses[EPOCHS - 1]).toBeLessThan(losses[0]!);
    console.log(`docs practice program on webgl: L1 loss ${losses[0]} -> ${losses[EPOCHS - 1]} over ${EPOCHS} epochs`);
    expect(r.record.data.plotUpdates).toBe(EPOCHS / EVERY);
    expect(r.lossUpdates).toBe(String(EPOCHS / EVERY));
    expect(r.fitUpdates).toBe(String(EPOCHS / EVERY));
    expect(r.record.data.parameters).toEqual([
      { name: '0.weight', shape: [10, 1] }, { name: '0.bias', shape: [10] }, { name: '2.weight', shape: [6, 10] },
      { name: '2.bias', shape: [6] }, { name: '4.weight', shape: [1, 6] }, { name: '4.bias', shape: [1] },
    ]);
    expect(r.parameters).toContain('4.bias [1]');
    expect(r.log).toContain('epoch 100\tloss');
    expect(r.status).toContain(`done: ${EPOCHS} epochs on webgl`);
    expect(r.prose).toContain('export function setupRegression'); // the code it runs is on the page
  });

  it('trains a linear classifier and an MLP on each hard case: accuracies and decision surfaces', () => {
    const r = at('/ko/lecture/02-hard-cases.html');
    expect(r.record.error).toBeNull();
    const results = r.record.data.results as { problem: string; model: string; testAccuracy: number }[];
    expect(results.map((x) => `${x.problem}/${x.model}`)).toEqual(['parity/linear', 'parity/mlp', 'ring/linear', 'ring/mlp', 'threeModes/linear', 'threeModes/mlp']);
    console.log(`docs classifiers, ${CLASSIFIER_EPOCHS} epochs: ${results.map((x) => `${x.problem}/${x.model} ${(100 * x.testAccuracy).toFixed(1)}%`).join(', ')}`);
    for (const problem of ['parity', 'ring', 'threeModes']) {
      const linear = results.find((x) => x.problem === problem && x.model === 'linear')!;
      const mlp = results.find((x) => x.problem === problem && x.model === 'mlp')!;
      // The point of the chapter: no line separates these, a two-hidden-layer MLP does.
      expect(linear.testAccuracy, `${problem}: linear`).toBeLessThan(0.75);
      expect(mlp.testAccuracy, `${problem}: MLP`).toBeGreaterThan(0.85);
    }
    expect(r.surfaces).toBe(6);
    expect(r.rows).toBe(3);
    expect(r.status).toContain('완료');
  });

  it('finds "ReLU", "tidy" and "역전파" with the built-in search', () => {
    const en = at('/');
    const ko = at('/ko/');
    for (const [titles, query] of [[en.relu, 'ReLU'], [en.tidy, 'tidy'], [ko.backprop, '역전파']] as const) {
      expect(titles.length, query).toBeGreaterThan(0);
      expect(titles.join('\n'), query).toContain(query);
    }
  });

  it('says to serve the site when a page is opened from disk', async () => {
    const p = await browser.newPage();
    try {
      // Module scripts cannot load from file://: the inline notice is what the reader sees.
      await p.goto(`file://${dist}/lecture/01-setup.html`);
      const notice = await p.waitForSelector('body > div[style*="position:fixed"]', { timeout: 10_000 });
      expect(await notice.textContent()).toContain('must be served over HTTP');
    } finally {
      await p.close();
    }
  });

  it('falls back to the CPU backend with a note giving the reason where WebGL is unavailable', async () => {
    // No GPU and no software rasterizer (SwiftShader): no WebGL context, not even an OffscreenCanvas one.
    const args = [...FLAGS.filter((f) => !f.includes('swiftshader')), '--disable-gpu', '--disable-software-rasterizer'];
    const noWebgl = await chromium.launch({ executablePath: CHROMIUM, args, headless: true });
    try {
      const p = await noWebgl.newPage();
      await p.goto(`${url}/lecture/03-neuron.html`);
      await examplesDone(p);
      const state = await docsState(p);
      expect(state.backend).toBe('cpu');
      expect(state.backendNote).toBeTruthy();
      const note = (await p.textContent('.backend-note')) ?? '';
      expect(note).toContain('WebGL could not start in this browser');
      expect(note).toContain(state.backendNote!);
      expect(state.demos['neuron']!.state).toBe('done');
    } finally {
      await noWebgl.close();
    }
  }, 60_000);
});
