import type { Tensor } from '../tensor.js';
import { requireFloat } from './util.js';

/** Softmax along `axis`, stable for large inputs (the max is subtracted first). */
export function softmax(x: Tensor, axis = -1): Tensor {
  requireFloat('softmax', x);
  const e = x.sub(x.max(axis, true).detach()).exp();
  return e.div(e.sum(axis, true));
}

/** log(softmax(x)) without overflow or log(0): x - max - log(sum(exp(x - max))). */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  requireFloat('logSoftmax', x);
  const shifted = x.sub(x.max(axis, true).detach());
  return shifted.sub(shifted.exp().sum(axis, true).log());
}
