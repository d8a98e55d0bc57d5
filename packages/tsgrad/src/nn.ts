/** Modules, as torch.nn: layers, containers, activation and loss modules, and init. */
export * from '@tsgrad/layers';
export {
  UnitStep,
  Sign,
  Identity,
  PiecewiseLinear,
  Sigmoid,
  Tanh,
  ReLU,
  LeakyReLU,
  ELU,
  GELU,
  Softplus,
  SiLU,
  Softmax,
  LogSoftmax,
} from '@tsgrad/activations';
export { L1Loss, MSELoss, SmoothL1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss, NLLLoss, CrossEntropyLoss, type Reduction } from '@tsgrad/losses';
