import { computeGrads, noGrad } from './autograd/engine.js';
import { vjp } from './autograd/functional.js';
import { isFloat, typedArrayFor, type DType } from './dtype.js';
import { TsgradError, ValueError } from './errors.js';
import { concat } from './ops/movement.js';
import { Generator } from './random.js';
import { Tensor } from './tensor.js';

export interface GradcheckOptions {
  /** Central-difference step; per dtype by default (1e-6 float64, 1e-2 float32). */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Check one random projection vᵀJu instead of the whole Jacobian. */
  fast?: boolean;
  /** Names for the inputs in the report. */
  names?: readonly string[];
  /** Throw a GradcheckError on failure (default) or only return the report. */
  raise?: boolean;
  seed?: number;
}

export interface GradcheckMismatch {
  input: string;
  /** Flat index of the input element (or -1 in fast mode). */
  element: number;
  /** Flat index of the output element (or -1 in fast mode). */
  output: number;
  analytical: number;
  numerical: number;
}

export interface GradcheckReport {
  ok: boolean;
  maxAbsError: number;
  maxRelError: number;
  /** Jacobian entries (or projections) compared. */
  checked: number;
  mismatches: GradcheckMismatch[];
}

export class GradcheckError extends TsgradError {
  override name = 'GradcheckError';
  constructor(readonly report: GradcheckReport) {
    const m = report.mismatches[0];
    const where = m.element >= 0 ? `element ${m.element} of ${m.input}, output element ${m.output}` : `input ${m.input} (random projection)`;
    super(
      `gradcheck: the analytical gradient differs from central differences at ${where}: analytical ${m.analytical}, numerical ${m.numerical} ` +
        `(${report.mismatches.length} mismatch${report.mismatches.length === 1 ? '' : 'es'} in ${report.checked} checks).`,
    );
  }
}

export const GRADCHECK_DEFAULTS: Record<'float32' | 'float64', { eps: number; atol: number; rtol: number }> = {
  float64: { eps: 1e-6, atol: 1e-5, rtol: 1e-3 },
  float32: { eps: 1e-2, atol: 1e-2, rtol: 5e-2 },
};

type Fn = (...inputs: Tensor[]) => Tensor;

/**
 * Compares the gradients autograd computes for `fn` at `inputs` with central differences, in
 * the manner of torch.autograd.gradcheck. Only float inputs are differentiated; the others
 * (indices, masks) are passed through.
 */
export function gradcheck(fn: Fn, inputs: readonly Tensor[], options: GradcheckOptions = {}): GradcheckReport {
  if (typeof fn !== 'function') throw new ValueError(`gradcheck: fn must be a function of tensors, got ${fn === null ? 'null' : typeof fn}.`);
  if (!Array.isArray(inputs) || !inputs.every((t) => t instanceof Tensor)) throw new ValueError('gradcheck: inputs must be an array of Tensors.');
  const floatInputs = inputs.map((t, i) => (isFloat(t.dtype) ? i : -1)).filter((i) => i >= 0);
  if (floatInputs.length === 0) throw new ValueError('gradcheck: no input is a float tensor, so there is nothing to differentiate.');
  const dtype = inputs[floatInputs[0]].dtype as 'float32' | 'float64';
  const d = GRADCHECK_DEFAULTS[dtype];
  const eps = options.eps ?? d.eps;
  const atol = options.atol ?? d.atol;
  const rtol = options.rtol ?? d.rtol;
  const name = (i: number) => options.names?.[i] ?? `input ${i}`;
  const values = inputs.map((t) => t.dataSync());
  const rebuild = (i: number, v: ArrayLike<number>) => Tensor.fromValues(copyOf(v, inputs[i].dtype), inputs[i].shape, inputs[i].dtype, inputs[i].backend);
  const evalAt = (override: Map<number, ArrayLike<number>>): Float64Array =>
    noGrad(() => {
      const args = inputs.map((t, i) => (override.has(i) ? rebuild(i, override.get(i)!) : t.detach()));
      const y = fn(...args);
      return Float64Array.from(y.dataSync() as ArrayLike<number>);
    });
  const report: GradcheckReport = { ok: true, maxAbsError: 0, maxRelError: 0, checked: 0, mismatches: [] };
  const compare = (analytical: number, numerical: number, input: string, element: number, output: number) => {
    const abs = Math.abs(analytical - numerical);
    const rel = abs / Math.max(Math.abs(numerical), 1e-12);
    report.checked++;
    if (Number.isFinite(abs)) {
      report.maxAbsError = Math.max(report.maxAbsError, abs);
      // Relative error only where the value is not itself within the absolute tolerance of 0.
      if (Math.abs(numerical) > atol) report.maxRelError = Math.max(report.maxRelError, rel);
    }
    if (!(abs <= atol + rtol * Math.abs(numerical))) {
      report.ok = false;
      if (report.mismatches.length < 20) report.mismatches.push({ input, element, output, analytical, numerical });
    }
  };

  const y0 = noGrad(() => fn(...inputs.map((t) => t.detach())));
  const outShape = y0.shape;
  const outSize = y0.size;
  const outDType = y0.dtype;
  if (!isFloat(outDType)) throw new ValueError(`gradcheck: fn returned a ${outDType} tensor; only float outputs have gradients.`);
  const gen = new Generator(options.seed ?? 0);

  if (options.fast) {
    // vᵀ J u, analytically from one backward pass and numerically from two evaluations.
    const v = Float64Array.from({ length: outSize }, () => gen.nextNormal());
    const vT = Tensor.fromValues(copyOf(v, outDType), outShape, outDType, y0.backend);
    const grads = floatVjp(fn, inputs, floatInputs, vT);
    for (const [k, i] of floatInputs.entries()) {
      const u = Float64Array.from({ length: values[i].length }, () => gen.nextNormal());
      const g = grads[k].dataSync();
      let analytical = 0;
      for (let k = 0; k < u.length; k++) analytical += g[k] * u[k];
      const plus = values[i].map((x, k) => x + eps * u[k]);
      const minus = values[i].map((x, k) => x - eps * u[k]);
      const fp = evalAt(new Map([[i, plus]]));
      const fm = evalAt(new Map([[i, minus]]));
      let numerical = 0;
      for (let k = 0; k < outSize; k++) numerical += (v[k] * (fp[k] - fm[k])) / (2 * eps);
      compare(analytical, numerical, name(i), -1, -1);
    }
  } else {
    // The whole Jacobian: one backward pass per output element, two evaluations per input element.
    const leaves = inputs.map((t, i) => (floatInputs.includes(i) ? t.detach().requiresGrad_() : t.detach()));
    const y = fn(...leaves);
    const analytical: Float64Array[] = floatInputs.map((i) => new Float64Array(values[i].length * outSize));
    if (y.requiresGrad) {
      for (let o = 0; o < outSize; o++) {
        const seedValues = typedArrayFor(outDType, outSize);
        seedValues[o] = 1;
        const seed = Tensor.fromValues(seedValues, outShape, outDType, y.backend);
        const grads = computeGrads([y], [seed], { wrt: floatInputs.map((i) => leaves[i]) });
        floatInputs.forEach((i, k) => {
          const g = grads.get(leaves[i]);
          if (!g) return;
          const gv = g.dataSync();
          for (let e = 0; e < gv.length; e++) analytical[k][e * outSize + o] = gv[e];
        });
      }
    }
    floatInputs.forEach((i, k) => {
      const base = values[i];
      for (let e = 0; e < base.length; e++) {
        const plus = Float64Array.from(base as ArrayLike<number>);
        const minus = Float64Array.from(base as ArrayLike<number>);
        plus[e] += eps;
        minus[e] -= eps;
        const fp = evalAt(new Map([[i, plus]]));
        const fm = evalAt(new Map([[i, minus]]));
        for (let o = 0; o < outSize; o++) compare(analytical[k][e * outSize + o], (fp[o] - fm[o]) / (2 * eps), name(i), e, o);
      }
    });
  }
  if (!report.ok && options.raise !== false) throw new GradcheckError(report);
  return report;
}

/**
 * Checks second derivatives: gradcheck of x ↦ vᵀ(∂f/∂x) for a fixed random v, whose gradient
 * needs the backward pass to be differentiable (torch.autograd.gradgradcheck).
 */
export function gradgradcheck(fn: Fn, inputs: readonly Tensor[], options: GradcheckOptions = {}): GradcheckReport {
  const y0 = noGrad(() => fn(...inputs.map((t) => t.detach())));
  const gen = new Generator((options.seed ?? 0) + 1);
  const v = Tensor.fromValues(copyOf(Float64Array.from({ length: y0.size }, () => gen.nextNormal()), y0.dtype), y0.shape, y0.dtype, y0.backend);
  const floatInputs = inputs.map((t, i) => (isFloat(t.dtype) ? i : -1)).filter((i) => i >= 0);
  const firstOrder = (...args: Tensor[]) => concat(floatVjp(fn, args, floatInputs, v, true).map((g) => g.reshape([-1])), 0);
  return gradcheck(firstOrder, inputs, options);
}

/** vᵀJ with respect to the float inputs only; index and mask inputs pass through unchanged. */
function floatVjp(fn: Fn, inputs: readonly Tensor[], floatInputs: readonly number[], v: Tensor, createGraph = false): Tensor[] {
  const call = (...floats: Tensor[]) => fn(...inputs.map((t, i) => (floatInputs.includes(i) ? floats[floatInputs.indexOf(i)] : t)));
  return vjp(call, floatInputs.map((i) => inputs[i]), v, { createGraph });
}

function copyOf(v: ArrayLike<number>, dtype: DType) {
  const out = typedArrayFor(dtype, v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i];
  return out;
}
