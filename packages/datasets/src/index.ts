export {
  parity,
  ring,
  threeModes,
  xor,
  twoMoons,
  spirals,
  quadratic,
  THREE_MODES_CENTERS,
  type DatasetOptions,
  type ClassificationData,
  type RegressionData,
} from './toy.js';
export { DataLoader, type DataLoaderOptions, type TensorRecord, type SampleOf, type BatchOf } from './loader.js';
export { Dataset, TensorDataset, Subset, randomSplit, type RandomSplitOptions } from './dataset.js';
export {
  Sampler,
  SequentialSampler,
  RandomSampler,
  SubsetRandomSampler,
  WeightedRandomSampler,
  BatchSampler,
  type Sized,
  type RandomSamplerOptions,
  type WeightedRandomSamplerOptions,
} from './sampler.js';
export { collate, type Collated } from './collate.js';
