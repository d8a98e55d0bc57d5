import { DTypeError, ValueError, assertOptions, assertTensor, isFloat, uniform, type DType, type Generator, type Tensor } from '@tsgrad/core';

/**
 * Checks and helpers shared by the normalization, recurrent and attention layers (internal: not
 * exported from the package).
 */

/** `[2, 3, 4]`: how every message here prints a shape. */
export const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** Creation options every layer here takes (as Linear does). */
export interface LayerFactoryOptions {
  /** Parameter dtype, float32 by default. */
  dtype?: DType;
  /** Backend for the parameters; the current backend by default. */
  backend?: string;
  /** Generator for the initial values (and for dropout masks); core's default generator otherwise. */
  generator?: Generator;
}

/** The options object itself and its dtype: a float dtype, float32 by default. */
export function factoryDType(layer: string, options: unknown): DType {
  assertOptions(layer, options);
  const dtype = (options as LayerFactoryOptions | undefined)?.dtype ?? 'float32';
  if (!isFloat(dtype)) throw new DTypeError(`${layer}: parameters must be float32 or float64, got dtype ${JSON.stringify(dtype)}.`);
  return dtype;
}

/** A positive (or, with min 0, non-negative) integer size argument. */
export function checkSize(layer: string, what: string, n: unknown, min = 1): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min) {
    throw new ValueError(`${layer}: ${what} must be ${min === 1 ? 'a positive' : 'a non-negative'} integer, got ${JSON.stringify(n) ?? String(n)}.`);
  }
  return n;
}

/** A probability in [0, 1] (dropout). */
export function checkProbability(layer: string, what: string, p: unknown): number {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new ValueError(`${layer}: ${what} must be a probability in [0, 1], got ${JSON.stringify(p) ?? String(p)}.`);
  return p;
}

/** An optional boolean option with its default. */
export function checkFlag(layer: string, what: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new ValueError(`${layer}: options.${what} must be true or false, got ${JSON.stringify(v) ?? String(v)}.`);
  return v;
}

/**
 * A live float tensor of the parameters' dtype. The input is what to cast: casting the
 * parameters would cut them from training.
 */
export function checkInput(layer: string, what: string, x: unknown, dtype: DType): asserts x is Tensor {
  assertTensor(layer, what, x);
  if (x.dtype !== dtype) {
    throw new DTypeError(`${layer}: ${what} (shape ${fmt(x.shape)}) is ${x.dtype} but the parameters are ${dtype}; cast it with .cast("${dtype}").`);
  }
}

/**
 * Inverted dropout (PyTorch's F.dropout with training=True): zeroes each element with
 * probability p and scales the rest by 1/(1-p). Masks come from core's seeded generator.
 */
export function dropoutTrain(x: Tensor, p: number, generator: Generator | undefined): Tensor {
  if (p === 0) return x;
  if (p === 1) return x.mul(0);
  const u = uniform(x.shape, 0, 1, { dtype: x.dtype, backend: x.backend.name, generator });
  // Keep where u >= p: probability 1 - p.
  const keepMask = u.ge(p).cast(x.dtype);
  u.dispose();
  return x.mul(keepMask).mul(1 / (1 - p));
}
