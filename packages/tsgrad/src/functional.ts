/** Functions, as torch.nn.functional: activations and losses. */
export {
  unitStep,
  sign,
  identity,
  linear,
  piecewiseLinear,
  sigmoid,
  tanh,
  relu,
  leakyRelu,
  elu,
  gelu,
  softplus,
  silu,
  softmax,
  logSoftmax,
} from '@tsgrad/activations';
export { layerNorm, scaledDotProductAttention } from '@tsgrad/layers';
export { batchNorm, groupNorm, embedding } from '@tsgrad/layers';
export { lstmCell, gruCell, multiheadAttentionForward } from '@tsgrad/layers';
export {
  conv1d,
  conv2d,
  convTranspose2d,
  unfold,
  fold,
  maxPool1d,
  maxPool1dWithIndices,
  maxPool2d,
  maxPool2dWithIndices,
  avgPool2d,
  adaptiveAvgPool2d,
} from '@tsgrad/core';
export { l1Loss, mseLoss, smoothL1Loss, huberLoss, bceLoss, bceWithLogitsLoss, nllLoss, crossEntropyLoss } from '@tsgrad/losses';
