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
export { l1Loss, mseLoss, smoothL1Loss, huberLoss, bceLoss, bceWithLogitsLoss, nllLoss, crossEntropyLoss } from '@tsgrad/losses';
