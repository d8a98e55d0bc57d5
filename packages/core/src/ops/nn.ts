import type { Tensor } from '../tensor.js';
import { requireFloat } from './util.js';
import { assertTensor } from '../validate.js';
import { normalizeAxis } from '../shape.js';

/** Softmax along `axis`, stable for large inputs (the max is subtracted first). */
export function softmax(x: Tensor, axis = -1): Tensor {
  assertTensor('softmax', 'x', x);
  requireFloat('softmax', x);
  normalizeAxis('softmax', axis, x.rank);
  // An empty axis has no max to subtract; the softmax of no element is empty (as in PyTorch).
  if (x.size === 0) return x.mul(1);
  const e = x.sub(x.amax(axis, true).detach()).exp();
  return e.div(e.sum(axis, true));
}

/** log(softmax(x)) without overflow or log(0): x - max - log(sum(exp(x - max))). */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  assertTensor('logSoftmax', 'x', x);
  requireFloat('logSoftmax', x);
  normalizeAxis('logSoftmax', axis, x.rank);
  if (x.size === 0) return x.mul(1);
  const shifted = x.sub(x.amax(axis, true).detach());
  return shifted.sub(shifted.exp().sum(axis, true).log());
}
