// The shipped kernel (src/kernels.wasm.ts, generated) must be what assembly/index.ts compiles to:
// this rebuilds it with asc and compares, so the source and the shipped binary cannot drift.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { kernelModule } from '@tsgrad/backend-wasm';

const root = fileURLToPath(new URL('..', import.meta.url));

interface BuildScript {
  compileKernel(): Promise<{ bytes: Uint8Array; version: string }>;
  generatedSource(bytes: Uint8Array, version: string): string;
  GENERATED: string;
}

let script: BuildScript | undefined;
let unavailable = '';
try {
  await import('assemblyscript/asc');
  script = (await import('../scripts/build-wasm.mjs')) as unknown as BuildScript;
} catch (e) {
  unavailable = (e as Error).message;
}

describe('the shipped wasm kernel', () => {
  it('is a valid module with no imports and the kernel exports', () => {
    const m = kernelModule();
    expect(WebAssembly.Module.imports(m)).toEqual([]);
    expect(WebAssembly.Module.exports(m).map((e) => e.name).sort()).toEqual([
      'argmaxRows',
      'binary',
      'compare',
      'gatherElements',
      'gemm',
      'heapBase',
      'memory',
      'rowSums',
      'scatterAddElements',
      'select',
      'unary',
      'workBytes',
    ]);
  });

  if (!script) console.warn(`skipping the wasm rebuild check: assemblyscript is not available (${unavailable}); install devDependencies to run it`);
  it.skipIf(!script)('matches the bytes asc compiles from assembly/index.ts (run `pnpm --filter @tsgrad/backend-wasm build:wasm` after changing it)', async () => {
    const { bytes, version } = await script!.compileKernel();
    const committed = readFileSync(`${root}/${script!.GENERATED}`, 'utf8');
    expect(committed, 'src/kernels.wasm.ts is stale: run `pnpm --filter @tsgrad/backend-wasm build:wasm`').toBe(script!.generatedSource(bytes, version));
  }, 60_000);
});
