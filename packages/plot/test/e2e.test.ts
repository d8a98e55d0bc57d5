import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlotClient, fittedCurveMessages, startServer, type PlotServer } from '../src/index.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`skipping the dashboard's browser test: ${CHROMIUM} is missing (apt-get install -y chromium)`);
const outDir = join(import.meta.dirname, '..', 'test-results');

describe.skipIf(!hasChromium)('dashboard in headless Chromium', () => {
  let browser: Browser;
  let server: PlotServer;
  beforeAll(async () => {
    server = await startServer({ port: 0, log: () => undefined });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows windows sent by a Node client and updates them live without a reload', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const failed: string[] = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    page.on('pageerror', (e) => failed.push(e.message));
    await page.goto(`${server.url}/#env=e2e`);
    await page.waitForSelector('#status:text("live")');
    // A marker that a reload would wipe.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));

    const client = new PlotClient({ url: server.url, env: 'e2e' });
    client.line('loss', { y: [10, 6, 4], name: 'train', opts: { title: 'training loss' } });
    client.text('notes', { text: '<img src=x onerror="window.xss=1"><script>window.xss=2</script> & more' });
    await client.flush();
    const lossWin = page.locator('section.window[data-win="loss"]');
    await lossWin.locator('path[aria-roledescription="line mark"]').waitFor();
    const version = Number(await lossWin.getAttribute('data-version'));
    const before = await lossWin.locator('path[aria-roledescription="line mark"]').getAttribute('d');

    for (let i = 0; i < 20; i++) client.append('loss', [3 - i * 0.1], { name: 'train' });
    client.append('loss', [9, 8, 7], { name: 'test' });
    await client.flush();
    await page.waitForFunction((v) => Number(document.querySelector('section.window[data-win="loss"]')?.getAttribute('data-version')) > v, version);
    await page.waitForFunction(() => document.querySelectorAll('section.window[data-win="loss"] path[aria-roledescription="line mark"]').length === 2);
    const after = await lossWin.locator('path[aria-roledescription="line mark"]').first().getAttribute('d');
    expect(after).not.toBe(before);
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);

    // The text window shows markup as text, and nothing in it ran.
    const notes = page.locator('section.window[data-win="notes"]');
    await notes.locator('text').first().waitFor();
    expect(await notes.locator('text').allTextContents()).toContain('<img src=x onerror="window.xss=1"><script>window.xss=2</script> & more');
    expect(await notes.locator('img, script').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { xss?: number }).xss)).toBeUndefined();
    expect(await page.locator('#envs a').allTextContents()).toContain('e2e');
    expect(failed).toEqual([]);

    await mkdir(outDir, { recursive: true });
    await page.screenshot({ path: join(outDir, 'dashboard.png') });
    await page.close();
  });

  it('redraws a window replaced by a newer version with the same id (the fitted curve, re-sent each epoch)', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const failed: string[] = [];
    page.on('pageerror', (e) => failed.push(e.message));
    await page.goto(`${server.url}/#env=refit`);
    await page.waitForSelector('#status:text("live")');
    const client = new PlotClient({ url: server.url, env: 'refit' });
    const x = [-1, -0.5, 0, 0.5, 1];
    const y = x.map((v) => 8 * v * v + 7 * v + 3);
    const titles = () => page.locator('section.window[data-win="fit"] text').allTextContents();
    // As the regression example does: the whole window (data, then model) sent again each epoch.
    for (const [epoch, scale] of [[0, 0], [500, 0.5], [1000, 1]] as const) {
      client.send(fittedCurveMessages('fit', { x, y, prediction: y.map((v) => v * scale) }, { title: `fitted curve, epoch ${epoch}` }));
      await client.flush();
      await page.waitForFunction(
        (t) => Array.from(document.querySelectorAll('section.window[data-win="fit"] text')).some((e) => e.textContent === t),
        `fitted curve, epoch ${epoch}`,
        { timeout: 10_000 },
      );
    }
    expect(await titles()).not.toContain('fitted curve, epoch 0');
    expect(failed).toEqual([]);
    await page.close();
  });
});
