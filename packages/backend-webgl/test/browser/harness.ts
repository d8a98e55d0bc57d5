// Node side of the browser tests: bundle page.ts with vite, serve it on 127.0.0.1, open it in
// Debian's headless Chromium (SwiftShader WebGL 2) through playwright-core, return its report.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PageReport } from './page.js';

export const CHROMIUM = process.env.TSGRAD_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const here = dirname(fileURLToPath(import.meta.url));

async function bundle(outDir: string): Promise<void> {
  const { build } = await import('vite');
  await build({
    configFile: false,
    logLevel: 'warn',
    root: here,
    // Workspace packages resolve to their TypeScript sources, as in the Node tests.
    resolve: { conditions: ['@tsgrad/source', 'browser', 'module', 'import', 'default'] },
    build: {
      outDir,
      emptyOutDir: true,
      minify: false,
      sourcemap: false,
      reportCompressedSize: false,
      target: 'es2022',
      lib: { entry: resolve(here, 'page.ts'), formats: ['es'], fileName: () => 'page.js' },
    },
    define: { 'process.env.NODE_ENV': '"production"' },
  });
}

function serve(dir: string): Promise<{ server: Server; url: string }> {
  const html = '<!doctype html><meta charset="utf-8"><title>tsgrad webgl</title><script type="module" src="/page.js"></script>';
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    } else if (path === '/page.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(join(dir, 'page.js')));
    } else {
      res.writeHead(204).end();
    }
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    ok({ server, url: `http://127.0.0.1:${port}/` });
  }));
}

/** Builds, serves and runs the page; `query` goes on its URL (e.g. memorySteps=1000). */
/**
 * How long to wait for the page's report (TSGRAD_WEBGL_TIMEOUT_MS overrides it). The page takes
 * about 4 minutes on two busy cores since the suite feeds edge values to every primitive.
 */
export const PAGE_TIMEOUT_MS = Number(process.env.TSGRAD_WEBGL_TIMEOUT_MS ?? 900_000);

export async function runPage(query = '', timeoutMs = PAGE_TIMEOUT_MS): Promise<PageReport & { console: string[] }> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing`);
  const dir = mkdtempSync(join(tmpdir(), 'tsgrad-webgl-'));
  const { chromium } = await import('playwright-core');
  let server: Server | undefined;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
  try {
    await bundle(dir);
    const served = await serve(dir);
    server = served.server;
    const page = await browser.newPage();
    const log: string[] = [];
    page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
    // The page computes for a long while: don't wait for its load event, only for its report.
    await page.goto(`${served.url}?${query}`, { waitUntil: 'commit' });
    await page.waitForFunction(() => window.__tsgrad !== undefined, undefined, { timeout: timeoutMs, polling: 250 });
    const report = (await page.evaluate(() => window.__tsgrad)) as PageReport;
    return { ...report, console: log };
  } finally {
    await browser.close();
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
