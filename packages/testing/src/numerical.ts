import { isFloat, noGrad, Tensor, ValueError, typedArrayFor } from '@tsgrad/core';

/** ∂ output / ∂ input for one input, row-major: entry (o, i) at `values[o * cols + i]`. */
export interface Jacobian {
  /** Index of the input among fn's arguments. */
  readonly input: number;
  /** Output elements. */
  readonly rows: number;
  /** Elements of the input. */
  readonly cols: number;
  readonly values: Float64Array;
}

type Fn = (...inputs: Tensor[]) => Tensor;

/** Evaluates fn with input `index` replaced by `values`, outside autograd; the result in float64. */
function evaluate(fn: Fn, inputs: readonly Tensor[], index: number, values: Float64Array): Float64Array {
  return noGrad(() => {
    const x = inputs[index];
    const arr = typedArrayFor(x.dtype, values.length);
    for (let i = 0; i < values.length; i++) arr[i] = values[i];
    const args = inputs.map((t, i) => (i === index ? Tensor.fromValues(arr, x.shape, x.dtype, x.backend) : t));
    const y = fn(...args);
    const out = Float64Array.from(y.dataSync() as ArrayLike<number>);
    y.dispose();
    args[index].dispose();
    return out;
  });
}

/**
 * The Jacobian of fn at `inputs` by central differences, (f(x + eps e_i) - f(x - eps e_i)) / 2eps,
 * one per float input (int32/bool inputs such as indices are passed through unchanged). Steps are
 * taken in each input's dtype and differences formed in float64: use float64 inputs for a
 * float64-accurate Jacobian.
 */
export function numericalJacobian(fn: Fn, inputs: readonly Tensor[], eps = 1e-6): Jacobian[] {
  if (!(eps > 0)) throw new ValueError(`numericalJacobian: eps must be positive, got ${eps}.`);
  const out: Jacobian[] = [];
  for (let k = 0; k < inputs.length; k++) {
    const x = inputs[k];
    if (!isFloat(x.dtype)) continue;
    const base = Float64Array.from(x.dataSync() as ArrayLike<number>);
    let rows = -1;
    let values = new Float64Array(0);
    for (let i = 0; i < base.length; i++) {
      const saved = base[i];
      base[i] = saved + eps;
      const fp = evaluate(fn, inputs, k, base);
      base[i] = saved - eps;
      const fm = evaluate(fn, inputs, k, base);
      base[i] = saved;
      if (rows < 0) {
        rows = fp.length;
        values = new Float64Array(rows * base.length);
      }
      for (let o = 0; o < rows; o++) values[o * base.length + i] = (fp[o] - fm[o]) / (2 * eps);
    }
    if (rows < 0) rows = evaluate(fn, inputs, k, base).length;
    out.push({ input: k, rows, cols: base.length, values });
  }
  return out;
}

/**
 * The gradient of a one-element fn with respect to every input by central differences: one
 * Float64Array per input, shaped like it (null for int32/bool inputs).
 */
export function numericalGradient(fn: Fn, inputs: readonly Tensor[], eps = 1e-6): (Float64Array | null)[] {
  const jacobians = numericalJacobian(fn, inputs, eps);
  return inputs.map((_, k) => {
    const j = jacobians.find((jac) => jac.input === k);
    if (!j) return null;
    if (j.rows !== 1) {
      throw new ValueError(`numericalGradient: fn must return one element, got ${j.rows}; use numericalJacobian for vector outputs.`);
    }
    return j.values;
  });
}
