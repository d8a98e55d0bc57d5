import { getBackend, Tensor, typedArrayFor, type DType } from '@tsgrad/core';

/**
 * A tensor as plain data: shape and row-major values. Float specs leave `dtype` out and take
 * the dtype of the run (float64 on the reference, float32 on a backend under test...); index
 * and mask inputs say `int32` or `bool`. Specs are what arbitraries produce, so a shrunk
 * counterexample prints as numbers, not as a tensor on some backend.
 */
export interface TensorSpec {
  readonly shape: readonly number[];
  readonly values: readonly number[];
  readonly dtype?: 'int32' | 'bool';
}

/** The number of elements of a shape. */
export function sizeOfShape(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Makes the tensor a spec describes on `backend` (by name; the current one by default). */
export function toTensor(spec: TensorSpec, floatDType: DType = 'float64', backend?: string): Tensor {
  const dtype = spec.dtype ?? floatDType;
  const values = typedArrayFor(dtype, spec.values.length);
  for (let i = 0; i < spec.values.length; i++) values[i] = spec.values[i];
  return Tensor.fromValues(values, [...spec.shape], dtype, getBackend(backend));
}

/** The spec of a tensor's current values (float dtypes are left implicit). */
export function fromTensor(t: Tensor): TensorSpec {
  const values = Array.from(t.dataSync() as ArrayLike<number>);
  const dtype = t.dtype === 'int32' || t.dtype === 'bool' ? t.dtype : undefined;
  return dtype ? { shape: [...t.shape], values, dtype } : { shape: [...t.shape], values };
}

/** A short readable form: nested arrays with the shape, e.g. `[[1,2],[3,4]]` or `int32 [0,2]`. */
export function formatSpec(spec: TensorSpec): string {
  const nest = (dim: number, offset: number): string => {
    if (dim === spec.shape.length) return Object.is(spec.values[offset], -0) ? '-0' : String(spec.values[offset]);
    const stride = sizeOfShape(spec.shape.slice(dim + 1));
    const parts: string[] = [];
    for (let i = 0; i < spec.shape[dim]; i++) parts.push(nest(dim + 1, offset + i * stride));
    return `[${parts.join(',')}]`;
  };
  const body = sizeOfShape(spec.shape) === 0 ? `empty [${spec.shape.join(',')}]` : nest(0, 0);
  return spec.dtype ? `${spec.dtype} ${body}` : body;
}
