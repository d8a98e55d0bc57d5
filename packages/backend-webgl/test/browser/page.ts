// Runs in headless Chromium: the WebGL backend against the CPU reference. Reports on window.__tsgrad.
import * as tf from '@tensorflow/tfjs-core';
import '@tsgrad/backend-cpu';
import { webgl } from '@tsgrad/backend-webgl';
import {
  BackendError,
  getBackend,
  manualSeed,
  opDefs,
  normal,
  tensor,
  tidy,
  uniform,
  valueAndGrad,
  type Tensor,
} from '@tsgrad/core';
import { primitiveCases, runCase, type CaseResult } from '../../../backend-tfjs/test/cases.js';

export interface PageReport {
  readonly precision: number;
  readonly cases: CaseResult[];
  readonly checks: CaseResult[];
  readonly fatal?: string;
}

declare global {
  interface Window {
    __tsgrad?: PageReport;
  }
}

// Referencing opDefs keeps core's op table (and its installation) in the bundle: rolldown drops it
// otherwise (reported to the lead as a core packaging issue).
if (Object.keys(opDefs).length === 0) throw new Error('no ops');

const params = new URLSearchParams(location.search);
const MEMORY_STEPS = Number(params.get('memorySteps') ?? 1000);

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

/** The lecture's regression at tensor level: y = 3x + 2 + noise, a linear model, plain SGD. */
function regressionLosses(backend: string, steps: number): number[] {
  manualSeed(0);
  const x = uniform([64, 1], -1, 1, { backend });
  const y = tidy(() => x.mul(3).add(2).add(normal([64, 1], { backend }).mul(0.1)));
  const w = normal([1, 1], { backend, requiresGrad: true });
  const b = normal([1], { backend, requiresGrad: true });
  const loss = (w_: Tensor, b_: Tensor) => x.matmul(w_).add(b_).sub(y).pow(2).mean();
  const step = valueAndGrad(loss, { argnums: [0, 1] });
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    losses.push(
      tidy(() => {
        const [value, grads] = step(w, b) as [Tensor, Tensor[]];
        w.assign(w.sub(grads[0].mul(0.1)).detach());
        b.assign(b.sub(grads[1].mul(0.1)).detach());
        return value.item();
      }),
    );
  }
  for (const t of [x, y, w, b]) t.dispose();
  return losses;
}

async function main(): Promise<PageReport> {
  const gl = webgl();
  const precision = gl.floatPrecision();
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

  checks.push(check(`a loop of ${MEMORY_STEPS} training steps with tidy keeps tf.memory() flat`, () => {
    manualSeed(5);
    const x = uniform([32, 4], -1, 1, { backend: 'webgl' });
    const y = uniform([32, 1], -1, 1, { backend: 'webgl' });
    const w = normal([4, 1], { backend: 'webgl', requiresGrad: true });
    const step = valueAndGrad((w_: Tensor) => x.matmul(w_).sub(y).pow(2).mean());
    const counts: number[] = [];
    const bytes: number[] = [];
    for (let i = 0; i < MEMORY_STEPS; i++) {
      tidy(() => {
        const [, g] = step(w) as [Tensor, Tensor];
        w.assign(w.sub(g.mul(0.05)).detach());
      });
      if (i === 9 || i === MEMORY_STEPS - 1) {
        counts.push(tf.memory().numTensors);
        bytes.push(getBackend('webgl').memory().bytes);
      }
    }
    for (const t of [x, y, w]) t.dispose();
    return counts[0] === counts[1] && bytes[0] === bytes[1] ? undefined : `tf.memory().numTensors ${counts.join(' -> ')}, tsgrad bytes ${bytes.join(' -> ')}`;
  }));

  checks.push(check('the regression\'s first 100 losses follow the CPU float32 run within 1e-3 relative', () => {
    const cpu = regressionLosses('cpu', 100);
    const gpu = regressionLosses('webgl', 100);
    for (let i = 0; i < cpu.length; i++) {
      if (!(Math.abs(gpu[i] - cpu[i]) <= 1e-3 * Math.abs(cpu[i]))) return `step ${i}: webgl ${gpu[i]} vs cpu ${cpu[i]}`;
    }
    return cpu[99] < cpu[0] ? undefined : `the loss did not fall: ${cpu[0]} -> ${cpu[99]}`;
  }));

  return { precision, cases, checks };
}

main()
  .then((r) => (window.__tsgrad = r))
  .catch((e: Error) => (window.__tsgrad = { precision: 0, cases: [], checks: [], fatal: `${e.name}: ${e.message}\n${e.stack}` }));
