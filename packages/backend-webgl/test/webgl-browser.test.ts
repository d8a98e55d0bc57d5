import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { primitiveCases, type CaseResult } from '../../backend-tfjs/test/cases.js';
import { CHROMIUM, runPage } from './browser/harness.js';
import type { PageReport } from './browser/page.js';

// The page's own checks, by name (they are declared here so each is its own test).
const MEMORY_STEPS = 1000;
const CHECKS = [
  'floatPrecision is 32 on SwiftShader and tolerances follow it',
  'same seed gives the same initial values as the CPU',
  'tensor.to("webgl") and back keeps the values',
  'an op on a webgl and a cpu tensor is a BackendError naming both',
  'warmup compiles the shaders of a step: the first real step compiles none',
  `a loop of ${MEMORY_STEPS} training steps with tidy keeps tf.memory() flat`,
  "the regression's first 100 losses follow the CPU float32 run within 1e-3 relative",
];

const missing = !existsSync(CHROMIUM);
if (missing) console.warn(`backend-webgl browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium).`);

describe.skipIf(missing)(`webgl in headless Chromium (${CHROMIUM}, SwiftShader)`, () => {
  let report: PageReport & { console: string[] };
  const find = (list: CaseResult[], name: string) => list.find((r) => r.name === name);

  beforeAll(async () => {
    report = await runPage(`memorySteps=${MEMORY_STEPS}`);
    if (report.fatal) throw new Error(`the page failed: ${report.fatal}\nconsole:\n${report.console.join('\n')}`);
  }, 300_000);

  for (const c of primitiveCases) {
    it(`primitive: ${c.name}`, () => {
      const r = find(report.cases, c.name);
      expect(r, 'the page did not report this case').toBeDefined();
      expect(r!.message).toBe('');
    });
  }
  for (const name of CHECKS) {
    it(name, () => {
      const r = find(report.checks, name);
      expect(r, 'the page did not report this check').toBeDefined();
      expect(r!.message).toBe('');
    });
  }
});
