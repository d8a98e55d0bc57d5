export {
  Optimizer,
  cloneTensor,
  type BaseOptions,
  type ParamGroup,
  type ParamGroupInput,
  type Params,
  type ParamState,
  type StateValue,
  type OptimizerStateDict,
} from './optimizer.js';
export { SGD, type SGDOptions, type SGDState } from './sgd.js';
export { Adam, AdamW, type AdamOptions, type AdamState } from './adam.js';
export { RMSprop, type RMSpropOptions, type RMSpropState } from './rmsprop.js';
export { Adagrad, type AdagradOptions, type AdagradState } from './adagrad.js';
export {
  LRScheduler,
  StepLR,
  MultiStepLR,
  ExponentialLR,
  CosineAnnealingLR,
  LambdaLR,
  LinearLR,
  SequentialLR,
  OneCycleLR,
  ReduceLROnPlateau,
  type HasParamGroups,
  type LRSchedulerStateDict,
  type Scheduler,
  type LrLambda,
  type OneCycleLROptions,
  type ReduceLROnPlateauOptions,
} from './scheduler.js';
export { clipGradNorm } from './clip.js';
