import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@tsgrad/backend-cpu';
import { registerBackend } from '@tsgrad/core';
import { checkName, conformanceChecks, type ConformanceOptions } from '@tsgrad/testing';
import { primitiveCases, type CaseResult } from '../../backend-tfjs/test/cases.js';
import { setupRegression } from '../../../apps/examples/src/regression-setup.js';
import { CHROMIUM, PAGE_TIMEOUT_MS, runPage } from './browser/harness.js';
import type { PageReport } from './browser/page.js';

// The page's own checks, by name (they are declared here so each is its own test).
const CHECKS = [
  'floatPrecision is 32 on SwiftShader and tolerances follow it',
  'same seed gives the same initial values as the CPU',
  'tensor.to("webgl") and back keeps the values',
  'an op on a webgl and a cpu tensor is a BackendError naming both',
  'scatterAdd (a gather through the inverted indices) equals the CPU: repeats, conv and max-pool gradients; an index out of range is a ValueError',
  'warmup compiles the shaders of a step: the first real step compiles none',
];

// The regression example: the first COMPARE_STEPS losses on WebGL against the CPU float32 run,
// memory over MEMORY_STEPS steps.
const COMPARE_STEPS = 100;
const MEMORY_STEPS = 1000;
const RELATIVE_TOLERANCE = 1e-3;

// The shared conformance suite's checks, by name. The page runs them on "webgl"; here they are
// listed (not run) on a stand-in backend registered under another name, so that each is its own test.
// Random instances per op: fewer than the suite's default 25 (cpu, wasm and tfjs run those), as
// every shape compiles new shaders on SwiftShader, and the catalogue keeps growing.
const NUM_RUNS = 6;
const SUITE: ConformanceOptions = { dtypes: ['float32'] };
registerBackend('webgl-names', () => createCpuBackend('webgl-names'));
const SUITE_NAMES = conformanceChecks('webgl-names', SUITE).map((c) => checkName(c).replace(/^backend conformance: webgl-names/, 'backend conformance: webgl'));

/** The largest |a - b| / |b| and where. */
function maxRelativeDifference(a: readonly number[], b: readonly number[]): { value: number; step: number } {
  let worst = { value: 0, step: -1 };
  b.forEach((e, i) => {
    const d = Math.abs(a[i] - e) / Math.abs(e);
    if (!(d <= worst.value)) worst = { value: d, step: i };
  });
  return worst;
}

const missing = !existsSync(CHROMIUM);
if (missing) console.warn(`backend-webgl browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium).`);

describe.skipIf(missing)(`webgl in headless Chromium (${CHROMIUM}, SwiftShader)`, () => {
  let report: PageReport & { console: string[] };
  const find = (list: CaseResult[], name: string) => list.find((r) => r.name === name);

  beforeAll(async () => {
    report = await runPage(`memorySteps=${MEMORY_STEPS}&compareSteps=${COMPARE_STEPS}&numRuns=${NUM_RUNS}`);
    if (report.fatal) throw new Error(`the page failed: ${report.fatal}\nconsole:\n${report.console.join('\n')}`);
  }, PAGE_TIMEOUT_MS + 60_000);

  describe('the shared conformance suite (@tsgrad/testing) on "webgl", float32, WebGL shaders (no CPU hand-off)', () => {
    it('ran every check, and every one passed', () => {
      const ran = report.conformance.map((r) => r.name);
      expect(ran, 'the checks the page ran are not the suite\'s').toEqual(SUITE_NAMES);
      const failed = report.conformance.filter((r) => !r.ok);
      const passed = report.conformance.filter((r) => r.ok && !r.skipped).length;
      const skipped = report.conformance.filter((r) => r.skipped).map((r) => r.name);
      console.log(
        `conformance on webgl: ${passed} passed, ${failed.length} failed, ${skipped.length} skipped (${skipped.join('; ')}); ` +
          `${report.conformancePrograms} WebGL programs compiled, ${(report.conformanceMilliseconds / 1000).toFixed(1)} s`,
      );
      expect(failed.map((r) => `${r.name}: ${r.message}`), 'failing conformance checks').toEqual([]);
      // Only float64 storage may be skipped: TensorFlow.js has no float64.
      expect(skipped).toEqual(['backend conformance: webgl > storage round trip of every dtype > float64']);
      expect(report.conformancePrograms, 'the suite compiled no WebGL program: it did not run on the GPU').toBeGreaterThan(0);
    });

    for (const name of SUITE_NAMES) {
      it(name.replace(/^backend conformance: webgl > /, ''), (ctx) => {
        const r = report.conformance.find((c) => c.name === name);
        expect(r, 'the page did not report this check').toBeDefined();
        if (r!.skipped) ctx.skip();
        expect(r!.message).toBe('');
        expect(r!.ok).toBe(true);
      });
    }
  });

  describe('the regression example (apps/examples setupRegression, seed 0) on "webgl"', () => {
    it('model.to("webgl") moved every parameter, and the data was made on webgl', () => {
      // 3 Linear layers: 3 weights and 3 biases, then x and y.
      expect(report.regression!.placement).toEqual(Array(8).fill('webgl'));
    });

    it('the page\'s CPU float32 run is the CPU run in Node', () => {
      const run = setupRegression({ lr: 0.001, seed: 0, backend: 'cpu' });
      const node = Array.from({ length: COMPARE_STEPS }, () => run.step());
      expect(report.regression!.cpu).toEqual(node);
    });

    it(`its first ${COMPARE_STEPS} losses follow the CPU float32 run within ${RELATIVE_TOLERANCE} relative`, () => {
      const { cpu, webgl } = report.regression!;
      expect(cpu).toHaveLength(COMPARE_STEPS);
      const worst = maxRelativeDifference(webgl.slice(0, COMPARE_STEPS), cpu);
      console.log(
        `regression, webgl vs cpu float32 over ${COMPARE_STEPS} steps: max relative difference ${worst.value.toExponential(3)} ` +
          `at step ${worst.step} (cpu ${cpu[worst.step]}, webgl ${webgl[worst.step]}); loss ${cpu[0]} -> ${cpu[COMPARE_STEPS - 1]} on cpu, ` +
          `${webgl[0]} -> ${webgl[COMPARE_STEPS - 1]} on webgl`,
      );
      expect(worst.value).toBeLessThanOrEqual(RELATIVE_TOLERANCE);
      expect(cpu[COMPARE_STEPS - 1]).toBeLessThan(cpu[0]);
    });

    it(`tf.memory() stays flat over ${MEMORY_STEPS} of its tidy-wrapped steps`, () => {
      const r = report.regression!;
      console.log(
        `regression on webgl, ${MEMORY_STEPS} steps in ${(r.milliseconds / 1000).toFixed(1)} s (with the CPU run): after steps ${r.memoryAt.join(' and ')}, ` +
          `tf.memory() ${r.tfTensors.join(' -> ')} tensors, ${r.tfBytes.join(' -> ')} bytes; tsgrad buffers ${r.tsgradBuffers.join(' -> ')}`,
      );
      expect(r.webgl).toHaveLength(MEMORY_STEPS);
      expect(r.webgl.every(Number.isFinite)).toBe(true);
      expect(r.memoryAt).toEqual([10, MEMORY_STEPS]);
      expect(r.tfTensors[1]).toBe(r.tfTensors[0]);
      expect(r.tfBytes[1]).toBe(r.tfBytes[0]);
      expect(r.tsgradBuffers[1]).toBe(r.tsgradBuffers[0]);
    });
  });

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
