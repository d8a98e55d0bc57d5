import { defineConfig } from 'vitest/config';

// One run over every package; "@tsgrad/source" resolves workspace packages to their TypeScript sources.
export default defineConfig({
  resolve: { conditions: ['@tsgrad/source'] },
  ssr: { resolve: { conditions: ['@tsgrad/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'tests/**/*.test.ts'],
    // The JSON report is what .ci/run counts for its closing "N passed, N failed" line.
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-report.json' },
    setupFiles: ['tests/fast-check-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
