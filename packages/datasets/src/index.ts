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
export { DataLoader, type DataLoaderOptions, type TensorDataset } from './loader.js';
