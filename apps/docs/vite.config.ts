import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The site bundles the workspace packages from their TypeScript sources ("@tsgrad/source"), as the
// tests do, so it never depends on a stale dist/. Everything is bundled: no CDN, no network.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  resolve: { conditions: ['@tsgrad/source', 'browser', 'module', 'import', 'default'] },
  // The page imports @tsgrad/plot/browser, which has none of plot's Node-only modules.
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
    // tfjs, vega and Graphviz (its wasm inlined) are large by nature; the page is one app.
    chunkSizeWarningLimit: 8000,
  },
});
