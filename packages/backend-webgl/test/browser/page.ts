// Runs in headless Chromium: the WebGL backend against the CPU reference. Reports on window.__tsgrad.
import * as tf from '@tensorflow/tfjs-core';
import '@tsgrad/backend-cpu';
import { webgl } from '@tsgrad/backend-webgl';
import {
  apply,
  BackendError,
  conv2d,
  getBackend,
  grad,
  maxPool2d,
  ValueError,
  manualSeed,
  normal,
  tensor,
  tidy,
  uniform,
  valueAndGrad,
  type Tensor,
} from '@tsgrad/core';
import { conformanceChecks, runCheck, type ConformanceResult } from '@tsgrad/testing';
import { primitiveCases, runCase, type CaseResult } from '../../../backend-tfjs/test/cases.js';
// The lecture's practice program itself (the same code apps/examples runs in Node).
import { setupRegression } from '../../../../apps/examples/src/regression-setup.js';

/** The regression example run on "cpu" (float32) and on "webgl" with the same seed. */
export interface RegressionReport {
  /** The first `compareSteps` losses on the CPU. */
  readonly cpu: number[];
  /** Every loss on WebGL (`steps` of them; the first `compareSteps` are compared). */
  readonly webgl: number[];
  /** Where the model's parameters and the data lived after setupRegression({ backend: 'webgl' }). */
  readonly placement: string[];
  /** tf.memory() and tsgrad's memory('webgl') after `memoryAt` steps. */
  readonly memoryAt: number[];
  readonly tfTensors: number[];
  readonly tfBytes: number[];
  readonly tsgradBuffers: number[];
  readonly milliseconds: number;
}

export interface PageReport {
  readonly precision: number;
  readonly cases: CaseResult[];
  readonly checks: CaseResult[];
  /** The shared conformance suite (@tsgrad/testing's conformanceChecks) on "webgl". */
  readonly conformance: ConformanceResult[];
  readonly conformanceMilliseconds: number;
  /** WebGL programs the suite compiled (evidence that it ran shaders, not tfjs' CPU hand-off). */
  readonly conformancePrograms: number;
  readonly regression?: RegressionReport;
  readonly fatal?: string;
}

declare global {
  interface Window {
    __tsgrad?: PageReport;
  }
}

const params = new URLSearchParams(location.search);
const MEMORY_STEPS = Number(params.get('memorySteps') ?? 1000);
const COMPARE_STEPS = Number(params.get('compareSteps') ?? 100);
const NUM_RUNS = Number(params.get('numRuns') ?? 25);
/**
 * tfjs-backend-webgl runs an op on the CPU (tfjs' CPU kernels) when all its inputs are small
 * (< 128 elements) and not yet uploaded: most of the suite's tensors are that small, so it runs
 * with this hand-off off (cpuForward=0, the default here) to test the WebGL shaders themselves.
 */
const CONFORMANCE_CPU_FORWARD = params.get('cpuForward') === '1';

/** Runs one check, turning a throw into a failure. */
function check(name: string, fn: () => string | undefined): CaseResult {
  try {
    const problem = fn();
    return { name, ok: problem === undefined, message: problem ?? '' };
  } catch (e) {
    return { name, ok: false, message: `threw ${(e as Error).name}: ${(e as Error).message}` };
  }
}

async function checkAsync(name: string, fn: () => Promise<string | undefined>): Promise<CaseResult> {
  try {
    const problem = await fn();
    return { name, ok: problem === undefined, message: problem ?? '' };
  } catch (e) {
    return { name, ok: false, message: `threw ${(e as Error).name}: ${(e as Error).message}` };
  }
}

/**
 * The regression example (apps/examples' setupRegression: Linear(1,10) ReLU Linear(10,6) ReLU
 * Linear(6,1), L1Loss, SGD lr 0.001, datasets.quadratic) with seed 0: `compareSteps` steps on the
 * CPU, then `steps` on WebGL with the model moved by model.to('webgl') and the data made there,
 * recording memory after the 10th step and after the last.
 */
function regression(compareSteps: number, steps: number): RegressionReport {
  const start = performance.now();
  const options = { lr: 0.001, seed: 0 };
  const cpuRun = setupRegression({ ...options, backend: 'cpu' });
  const cpu: number[] = [];
  for (let i = 0; i < compareSteps; i++) cpu.push(cpuRun.step());
  for (const t of [...cpuRun.model.parameters(), cpuRun.x, cpuRun.y]) t.dispose();

  const glRun = setupRegression({ ...options, backend: 'webgl' });
  const placement = [...glRun.model.parameters(), glRun.x, glRun.y].map((t) => t.backend.name);
  const webgl: number[] = [];
  const memoryAt: number[] = [];
  const tfTensors: number[] = [];
  const tfBytes: number[] = [];
  const tsgradBuffers: number[] = [];
  for (let i = 1; i <= steps; i++) {
    webgl.push(glRun.step());
    if (i === 10 || i === steps) {
      memoryAt.push(i);
      tfTensors.push(tf.memory().numTensors);
      tfBytes.push(tf.memory().numBytes);
      tsgradBuffers.push(getBackend('webgl').memory().buffers);
    }
  }
  for (const t of [...glRun.model.parameters(), glRun.x, glRun.y]) t.dispose();
  return { cpu, webgl, placement, memoryAt, tfTensors, tfBytes, tsgradBuffers, milliseconds: performance.now() - start };
}

async function main(): Promise<PageReport> {
  const gl = webgl();
  const precision = gl.floatPrecision();
  // The shared suite first, on a fresh backend, float32 only (TensorFlow.js has no float64),
  // with this device's tolerances (GPU exp/log/tanh are less exact than the CPU's).
  const conformanceStart = performance.now();
  const programsBefore = gl.programsCompiled();
  const cpuForward = tf.env().getBool('WEBGL_CPU_FORWARD');
  tf.env().set('WEBGL_CPU_FORWARD', CONFORMANCE_CPU_FORWARD);
  const conformance: ConformanceResult[] = [];
  try {
    const suite = conformanceChecks('webgl', {
      dtypes: ['float32'],
      numRuns: NUM_RUNS,
      tolerances: { float32: { atol: gl.tolerances.atol, rtol: gl.tolerances.rtol } },
    });
    for (const c of suite) {
      conformance.push(await runCheck(c));
      await new Promise((ok) => setTimeout(ok, 0)); // lets the page breathe (load event, devtools protocol)
    }
  } finally {
    tf.env().set('WEBGL_CPU_FORWARD', cpuForward);
  }
  const conformanceMilliseconds = performance.now() - conformanceStart;
  const conformancePrograms = gl.programsCompiled() - programsBefore;
  const cases = primitiveCases.map((c) => runCase(c, 'webgl', { minTol: gl.tolerances.atol }));
  const checks: CaseResult[] = [];

  checks.push(check('floatPrecision is 32 on SwiftShader and tolerances follow it', () =>
    precision === 32 && gl.tolerances.atol === 1e-4 ? undefined : `precision ${precision}, tolerances ${JSON.stringify(gl.tolerances)}`));

  checks.push(check('same seed gives the same initial values as the CPU', () => {
    manualSeed(42);
    const a = normal([5, 7]).dataSync();
    const u = uniform([9]).dataSync();
    manualSeed(42);
    const onGpu = [normal([5, 7], { backend: 'webgl' }), uniform([9], 0, 1, { backend: 'webgl' })];
    const [b, v] = onGpu.map((t) => t.dataSync());
    for (const t of onGpu) t.dispose();
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `normal differs at ${i}: ${b[i]} vs ${a[i]}`;
    for (let i = 0; i < u.length; i++) if (u[i] !== v[i]) return `uniform differs at ${i}: ${v[i]} vs ${u[i]}`;
    return undefined;
  }));

  checks.push(check('tensor.to("webgl") and back keeps the values', () => {
    const back = tidy(() => tensor([[1, 2.5], [-3, 4]]).to('webgl').mul(2).to('cpu').dataSync());
    return back.join() === '2,5,-6,8' ? undefined : `got ${back.join()}`;
  }));

  checks.push(check('an op on a webgl and a cpu tensor is a BackendError naming both', () => {
    const a = tensor([1], { backend: 'webgl' });
    const b = tensor([1]);
    try {
      a.add(b);
      return 'no error';
    } catch (e) {
      if (!(e instanceof BackendError) || !/webgl/.test((e as Error).message) || !/cpu/.test((e as Error).message)) return `wrong error: ${(e as Error).message}`;
      return undefined;
    } finally {
      a.dispose();
    }
  }));

  checks.push(check('scatterAdd (a gather through the inverted indices) equals the CPU: repeats, conv and max-pool gradients; an index out of range is a ValueError', () =>
    tidy(() => {
      const { atol, rtol } = gl.tolerances;
      const differ = (what: string, got: ArrayLike<number>, want: ArrayLike<number>) => {
        for (let i = 0; i < want.length; i++) if (!(Math.abs(got[i]! - want[i]!) <= atol + rtol * Math.abs(want[i]!))) return `${what} differs at ${i}: ${got[i]} vs ${want[i]}`;
        return got.length === want.length ? undefined : `${what}: ${got.length} values, expected ${want.length}`;
      };
      manualSeed(5);
      // Rows 0, 2 and 4 receive 2, 1 and 4 updates, rows 1 and 3 none (they stay 0), along a middle axis.
      const u = normal([2, 7, 3]);
      const idx = tensor([0, 4, 4, 2, 4, 0, 4], { dtype: 'int32' });
      const scatter = (a: Tensor, i: Tensor) => apply('scatterAdd', [a, i], { axis: 1, shape: [2, 5, 3] });
      const repeats = differ('scatterAdd with repeats', scatter(u.to('webgl'), idx.to('webgl')).dataSync(), scatter(u, idx).dataSync());
      if (repeats) return repeats;
      // The gradient of a conv (im2col: 9 updates per position) and a max pool (1) reaches x through scatterAdd.
      const x = normal([2, 3, 8, 8]);
      const w = normal([4, 3, 3, 3]);
      const r = normal([2, 4, 4, 4]);
      const dx = (x_: Tensor, w_: Tensor, r_: Tensor) => grad((a: Tensor) => maxPool2d(conv2d(a, w_, null, { padding: 1 }), 2).mul(r_).sum())(x_).dataSync();
      const cnn = differ('conv + max-pool gradient', dx(x.to('webgl'), w.to('webgl'), r.to('webgl')), dx(x, w, r));
      if (cnn) return cnn;
      try {
        scatter(u.to('webgl'), tensor([0, 1, 5, 2, 0, 0, 0], { dtype: 'int32', backend: 'webgl' })).dataSync();
        return 'an index of 5 into 5 rows was accepted';
      } catch (e) {
        return e instanceof ValueError && /scatterAdd: index 5 at position 2 is out of range/.test((e as Error).message) ? undefined : `wrong error: ${(e as Error).message}`;
      }
    })));

  checks.push(await checkAsync('warmup compiles the shaders of a step: the first real step compiles none', async () => {
    manualSeed(3);
    const x = normal([16, 8], { backend: 'webgl' });
    const w = normal([8, 4], { backend: 'webgl', requiresGrad: true });
    // Shapes no other check uses, so the programs are new to tfjs' cache.
    const stepOps = () => valueAndGrad((w_: Tensor) => x.matmul(w_).tanh().sub(0.5).pow(2).sum(1).mean())(w);
    const report = await gl.warmup(stepOps);
    const before = gl.programsCompiled();
    tidy(() => {
      const [v] = stepOps() as [Tensor, Tensor];
      v.dataSync();
    });
    const during = gl.programsCompiled() - before;
    const model = { forward: (t: Tensor) => t.matmul(w).relu(), parameters: () => [w] };
    const modelReport = await gl.warmup(model, { inputShape: [16, 8] });
    const grad = w.grad;
    x.dispose();
    w.dispose();
    if (report.programsCompiled === 0) return 'warmup compiled nothing (is the program cache visible?)';
    if (during !== 0) return `the step after warmup compiled ${during} programs`;
    if (modelReport.programsCompiled === 0) return 'warmup(model) compiled nothing';
    if (grad) return 'warmup(model) left a gradient on a parameter';
    return undefined;
  }));

  const regressionReport = regression(COMPARE_STEPS, MEMORY_STEPS);

  return { precision, cases, checks, conformance, conformanceMilliseconds, conformancePrograms, regression: regressionReport };
}

main()
  .then((r) => (window.__tsgrad = r))
  .catch((e: Error) => (window.__tsgrad = { precision: 0, cases: [], checks: [], conformance: [], conformanceMilliseconds: 0, conformancePrograms: 0, fatal: `${e.name}: ${e.message}\n${e.stack}` }));
