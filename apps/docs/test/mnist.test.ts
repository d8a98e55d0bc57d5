// The MNIST page (guides/mnist.md, MnistDemo.vue). In Node: the digits the build ships are the
// Node example's split (apps/examples/src/mnist-data.ts), a drawing becomes an MNIST-style 28x28
// image as MNIST's were made (LeCun et al.: the ink's box scaled into 20x20 by area, the centre of
// mass moved to the centre), and the page's training loop runs. In Chromium (SwiftShader's WebGL):
// the page trains a few steps on WebGL, reads a stroke drawn with the mouse, and shows ten
// probabilities that sum to 1, with no console error and nothing fetched from elsewhere.
import type { Server } from 'node:http';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../../examples/src/mnist-data.js';
// @ts-expect-error: a plain ES module script without declarations.
import { TEST, TRAIN, encodeSubset } from '../scripts/mnist-subset.mjs';
import { BOX, SIDE, toMnist } from '../src/examples/mnist-draw.js';
import { classify, decodeSubset, mnistModel, trainMnistInPage } from '../src/examples/mnist.js';
import type { DocsState } from '../src/runtime.js';
import { CHROMIUM, FLAGS, serve } from './browser.js';
import { dist, ensureBuilt, root } from './built.js';

/** The ink's bounding box in a 28x28 image: [top, bottom, left, right], inclusive. */
function box(img: Float32Array): [number, number, number, number] {
  let t = SIDE, b = -1, l = SIDE, r = -1;
  img.forEach((v, i) => {
    if (v > 0) {
      const y = Math.floor(i / SIDE), x = i % SIDE;
      t = Math.min(t, y); b = Math.max(b, y); l = Math.min(l, x); r = Math.max(r, x);
    }
  });
  return [t, b, l, r];
}

function centreOfMass(img: Float32Array): [number, number] {
  let m = 0, cx = 0, cy = 0;
  img.forEach((v, i) => { m += v; cx += v * ((i % SIDE) + 0.5); cy += v * (Math.floor(i / SIDE) + 0.5); });
  return [cx / m, cy / m];
}

/** A `w` x `h` canvas with `fill(x, y)` as ink. */
function canvas(w: number, h: number, fill: (x: number, y: number) => number): Float32Array {
  const ink = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) ink[y * w + x] = fill(x, y);
  return ink;
}

describe('the MNIST page in Node', () => {
  it("ships the first 2,000 training and 500 test digits of the Node example's split, one byte per pixel", () => {
    const split = loadMnist();
    const subset = decodeSubset(encodeSubset(split));
    expect([subset.train.count, subset.test.count]).toEqual([TRAIN, TEST]);
    for (const [got, want, n] of [[subset.train, split.train, TRAIN], [subset.test, split.test, TEST]] as const) {
      expect(Array.from(got.labels)).toEqual(Array.from(want.labels.subarray(0, n)));
      let worst = 0;
      for (let i = 0; i < n * 784; i++) worst = Math.max(worst, Math.abs(got.images[i]! - want.images[i]!));
      // Rounded to the nearest 1/255: within half a step.
      expect(worst).toBeLessThanOrEqual(0.5 / 255 + 1e-7);
    }
    const bytes = encodeSubset(split);
    expect(() => decodeSubset(bytes.subarray(0, bytes.length - 1))).toThrow(/the file has 1962515; rebuild the site/);
    expect(() => decodeSubset(new Uint8Array(16))).toThrow(/not a version-1 "TSGM" file/);
  });

  it('turns a drawing into MNIST form: no ink gives null; the longer side becomes 20 px; the centre of mass goes to the centre', () => {
    expect(toMnist(new Float32Array(280 * 280), 280, 280)).toBeNull();
    // A 100x100 square in the corner: a 20x20 block of full ink, centred (mass centre (10, 10) of
    // the block moved to (14, 14): rows and columns 4-23).
    const square = toMnist(canvas(280, 280, (x, y) => (x < 100 && y < 100 ? 1 : 0)), 280, 280)!;
    expect(box(square)).toEqual([4, 23, 4, 23]);
    expect(square.reduce((a, b) => a + b, 0)).toBeCloseTo(400, 4);
    // A 50x200 bar far right: 5x20 (the aspect kept), its centre of mass at the centre.
    const bar = toMnist(canvas(280, 280, (x, y) => (x >= 220 && x < 270 && y >= 40 && y < 240 ? 0.5 : 0)), 280, 280)!;
    const [t, b, l, r] = box(bar);
    expect([b - t + 1, r - l + 1]).toEqual([BOX, 5]);
    expect(Math.max(...bar)).toBeCloseTo(0.5, 6); // constant ink keeps its value under area averaging
    const [cx, cy] = centreOfMass(bar);
    expect(Math.abs(cx - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(cy - 14)).toBeLessThanOrEqual(0.5);
    // An asymmetric "L": the centre of mass, not the box, is centred. Its heavy base puts the mass
    // 15.0 px down its 20 px box (the bars are 1.67 and 3.33 px thick): centring it would lift
    // the box 1 px past the top, so it stops at the edge, whole.
    const ell = toMnist(canvas(280, 280, (x, y) => ((x >= 40 && x < 60 && y >= 20 && y < 260) || (x >= 40 && x < 240 && y >= 220 && y < 260) ? 1 : 0)), 280, 280)!;
    const [ex, ey] = centreOfMass(ell);
    expect(Math.abs(ex - 14)).toBeLessThanOrEqual(0.5);
    expect(ey).toBeGreaterThan(14.5);
    expect(ey).toBeLessThan(15.5);
    expect(box(ell).slice(0, 2)).toEqual([0, BOX - 1]);
    expect(ell.reduce((a, b) => a + b, 0)).toBeGreaterThan(80); // 17x3.33 + 1.67x16.67, none cut off
  });

  it('averages the pixels each output pixel covers (area resampling): a 30 px square to 20 px', () => {
    // Columns 0-15 full ink, 16-29 at 0.1. Scale 2/3: output column j covers input [1.5j, 1.5j + 1.5).
    // Column 10 covers [15, 16.5): (1·1 + 0.5·0.1) / 1.5 = 0.7; columns 0-9 are 1, 11-19 are 0.1.
    const img = toMnist(canvas(30, 30, (x) => (x < 16 ? 1 : 0.1)), 30, 30)!;
    const [t, , l] = box(img);
    const row = Array.from(img.subarray(t * SIDE + l, t * SIDE + l + BOX));
    const want = [...new Array(10).fill(1), 0.7, ...new Array(9).fill(0.1)];
    row.forEach((v, j) => expect(v, `column ${j}`).toBeCloseTo(want[j]!, 5));
  });

  it('trains the shared model a few steps on the CPU backend and gives probabilities that sum to 1', async () => {
    const data = decodeSubset(encodeSubset(loadMnist()));
    const steps: number[] = [];
    const epochs: { loss: number; accuracy: number }[] = [];
    const run = await trainMnistInPage(data, {
      backend: 'cpu',
      maxSteps: 3,
      testCount: 20,
      onProgress: (p) => (p.epochResult ? epochs.push(p.epochResult) : steps.push(p.step)),
    });
    expect(steps).toEqual([1, 2, 3]);
    expect(run.losses).toHaveLength(3);
    expect(run.losses.every(Number.isFinite)).toBe(true);
    // Cross-entropy of an untrained 10-class model is near ln 10 ≈ 2.3.
    expect(run.losses[0]).toBeGreaterThan(1.5);
    expect(run.losses[0]).toBeLessThan(3.5);
    expect(epochs).toHaveLength(1);
    expect(run.accuracy * 20).toBe(Math.round(run.accuracy * 20));
    expect(run.model.training).toBe(false);
    const p = classify(run.model, data.test.images.slice(0, 784), 'cpu');
    expect(p).toHaveLength(10);
    expect(p.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    // The page's model is the Node example's (apps/examples/src/mnist-model.ts): 207,018 parameters.
    expect(mnistModel().numel()).toBe(207_018);
  });
});

const missing = !existsSync(CHROMIUM);
if (missing) console.warn(`apps/docs MNIST page test skipped: ${CHROMIUM} is missing (apt-get install -y chromium).`);

describe.skipIf(missing)(`the MNIST page in headless Chromium (${CHROMIUM})`, () => {
  let server: Server;
  let url: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const external: string[] = [];

  beforeAll(async () => {
    ensureBuilt();
    ({ server, url } = await serve(dist));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
    page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) external.push(r.url());
    });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  /** A stroke with the mouse from (x0, y0) to (x1, y1), in the pad's 280 px coordinates. */
  async function stroke(x0: number, y0: number, x1: number, y1: number): Promise<void> {
    const locator = page.locator('[data-demo="mnist"] canvas.pad');
    await locator.scrollIntoViewIfNeeded();
    const pad = (await locator.boundingBox())!;
    const k = pad.width / 280;
    await page.mouse.move(pad.x + x0 * k, pad.y + y0 * k);
    await page.mouse.down();
    await page.mouse.move(pad.x + x1 * k, pad.y + y1 * k, { steps: 12 });
    await page.mouse.up();
  }

  const record = () => page.evaluate(() => window.__docs?.demos['mnist']) as Promise<DocsState['demos'][string] | undefined>;

  it('trains a few steps on WebGL, then reads a drawn stroke: ten probabilities that sum to 1', async () => {
    // Two steps of one digit, one test digit: SwiftShader computes WebGL on the CPU, and each new
    // batch size compiles new shaders (most of the test's time); batch 1 is also what the pad sends.
    await page.goto(`${url}/guides/mnist.html?mnistSteps=2&mnistBatch=1&mnistTest=1`);
    await page.waitForFunction(() => window.__docs?.backend !== undefined && document.querySelector('[data-demo="mnist"] .badge')?.textContent?.includes('webgl'), undefined, { timeout: 30_000 });
    expect(await page.textContent('[data-demo="mnist"] button.train')).toBe('Train for 2 steps');
    // Drawn before training: the page shows what the model will see and asks for training first.
    await stroke(140, 50, 140, 230);
    await page.waitForSelector('[data-demo="mnist"] .hint', { timeout: 10_000 });
    expect(await page.locator('[data-demo="mnist"] .probs li').count()).toBe(0);
    const inked = await page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>('[data-demo="mnist"] canvas.preview')!;
      const d = c.getContext('2d')!.getImageData(0, 0, 28, 28).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i]! > 0) n++;
      return n;
    });
    expect(inked).toBeGreaterThan(20); // a 20 px tall line, 2-3 px wide

    await page.evaluate(() => document.querySelector<HTMLButtonElement>('[data-demo="mnist"] button.train')!.click());
    await page.waitForFunction(() => ['done', 'error'].includes(window.__docs?.demos['mnist']?.state ?? ''), undefined, { timeout: 120_000, polling: 200 });
    let r = (await record())!;
    expect(r.error).toBeNull();
    expect(r.state).toBe('done');
    expect(r.data).toMatchObject({ backend: 'webgl', step: 2, trainCount: 2000, testCount: 1, batchSize: 1 });
    expect((r.data.losses as number[]).every(Number.isFinite)).toBe(true);
    expect(r.data.accuracy).toBeGreaterThanOrEqual(0);
    expect(await page.getAttribute('[data-demo="mnist"] .plot.loss', 'data-updates')).toBe('1');
    expect(await page.textContent('[data-demo="mnist"] .status')).toContain('done: 2 steps on webgl');
    expect(await page.textContent('[data-demo="mnist"] .log')).toMatch(/epoch 1: mean loss \d+\.\d{4}, test accuracy \d+\.\d%/);

    // The drawing already on the pad is read once the model exists; a new stroke is read again.
    await page.waitForFunction(() => (window.__docs.demos['mnist']!.data.classified as number) >= 1, undefined, { timeout: 30_000 });
    await page.click('[data-demo="mnist"] button.clear');
    expect(await page.locator('[data-demo="mnist"] .probs li').count()).toBe(0);
    await stroke(80, 60, 200, 60);
    await stroke(200, 60, 110, 240);
    await page.waitForFunction(() => (window.__docs.demos['mnist']!.data.classified as number) >= 3, undefined, { timeout: 30_000 });
    r = (await record())!;
    const p = r.data.probabilities as number[];
    expect(p).toHaveLength(10);
    expect(p.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(r.data.predicted).toBe(p.indexOf(Math.max(...p)));
    // On the page: ten rows, their percentages summing to 100 (each rounded to 0.1), the most likely marked.
    const shown = await page.locator('[data-demo="mnist"] .probs li .num').allTextContents();
    expect(shown).toHaveLength(10);
    expect(Math.abs(shown.reduce((a, s) => a + Number.parseFloat(s), 0) - 100)).toBeLessThanOrEqual(0.5);
    expect(await page.getAttribute('[data-demo="mnist"] .probs li.best', 'data-digit')).toBe(String(r.data.predicted));
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    mkdirSync(join(root, 'test-results'), { recursive: true });
    await page.locator('[data-demo="mnist"]').screenshot({ path: join(root, 'test-results', 'guides_mnist-drawn.png') });
    expect(problems).toEqual([]);
    expect(external).toEqual([]);
  }, 180_000);
});
