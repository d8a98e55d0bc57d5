export {
  l1Loss,
  mseLoss,
  smoothL1Loss,
  huberLoss,
  bceLoss,
  bceWithLogitsLoss,
  nllLoss,
  crossEntropyLoss,
  type Reduction,
  type ReductionOptions,
  type SmoothL1Options,
  type HuberOptions,
  type WeightOptions,
  type BCEWithLogitsOptions,
  type NLLOptions,
  type CrossEntropyOptions,
} from './functional.js';
export { L1Loss, MSELoss, SmoothL1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss, NLLLoss, CrossEntropyLoss } from './modules.js';
