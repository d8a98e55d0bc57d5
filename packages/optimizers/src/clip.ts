import { Tensor, ValueError, div, noGrad, stack, tidy } from '@tsgrad/core';

/**
 * Scales the gradients of `params` in place so that their joint norm is at most `maxNorm`
 * (torch.nn.utils.clip_grad_norm_), and returns that total norm before clipping as a 0-d tensor
 * (no read back, so it costs no synchronisation). `normType` is p of the p-norm, or Infinity.
 * A NaN or infinite norm is returned as it is and still scales the gradients, as PyTorch does
 * (NaN gradients, or zeros and NaN for an infinite norm): a diverging run shows NaN. With
 * `errorIfNonfinite` such a norm throws a ValueError instead and leaves the gradients untouched.
 */
export function clipGradNorm(
  params: Iterable<Tensor> | Tensor,
  maxNorm: number,
  normType = 2,
  options: { errorIfNonfinite?: boolean } = {},
): Tensor {
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) {
    throw new ValueError(`clipGradNorm: maxNorm must be a number >= 0, got ${String(maxNorm)}.`);
  }
  if (typeof normType !== 'number' || !(normType > 0)) {
    throw new ValueError(`clipGradNorm: normType must be a number > 0 or Infinity, got ${String(normType)}.`);
  }
  const iterable = params !== null && typeof params === 'object' && Symbol.iterator in params;
  const list: unknown[] = params instanceof Tensor ? [params] : iterable ? [...params] : [null];
  if (!list.every((p) => p instanceof Tensor)) {
    throw new ValueError('clipGradNorm: params must be a Tensor or an array (iterable) of Tensors, e.g. model.parameters().');
  }
  const grads = (list as Tensor[]).map((p) => p.grad).filter((g): g is Tensor => g !== null);
  if (grads.length === 0) {
    throw new ValueError('clipGradNorm: none of the parameters has a gradient; call backward() first.');
  }
  const dtype = grads[0].dtype;
  const total = noGrad(() =>
    tidy(() => {
      let norm: Tensor;
      if (normType === Infinity) {
        norm = stack(grads.map((g) => g.abs().max().cast(dtype))).max();
      } else if (normType === 2) {
        norm = stack(grads.map((g) => g.mul(g).sum().cast(dtype))).sum().sqrt();
      } else {
        norm = stack(grads.map((g) => g.abs().pow(normType).sum().cast(dtype))).sum().pow(1 / normType);
      }
      if (options.errorIfNonfinite) {
        const value = norm.item();
        if (!Number.isFinite(value)) {
          throw new ValueError(`clipGradNorm: the total ${normType}-norm of the gradients is ${value}; the gradients hold NaN or Infinity.`);
        }
      }
      // Always multiplied (by at most 1), as PyTorch does, so there is no read back here. clamp
      // keeps a NaN coefficient NaN (a NaN norm must not leave the gradients as they were).
      const coef = div(maxNorm, norm.add(1e-6)).clamp(undefined, 1);
      for (const g of grads) g.assign(g.mul(coef.cast(g.dtype)));
      return norm;
    }),
  );
  return total;
}
