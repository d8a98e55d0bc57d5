export {
  Module,
  parameter,
  buffer,
  isParameter,
  isBuffer,
  type AnyModule,
  type LoadStateDictOptions,
  type LoadStateDictResult,
  type ForwardHook,
  type ForwardPreHook,
} from './module.js';
export { Linear, type LinearOptions } from './linear.js';
export { Sequential, Flatten, Dropout, type TensorModule, type DropoutOptions, type FusibleActivation } from './containers.js';
export { ModuleList, ModuleDict, Unflatten } from './containers.js';
export {
  BatchNorm1d,
  BatchNorm2d,
  GroupNorm,
  batchNorm,
  groupNorm,
  type BatchNormOptions,
  type BatchNormFunctionalOptions,
  type GroupNormOptions,
  type GroupNormFunctionalOptions,
} from './norm.js';
export { Embedding, embedding, type EmbeddingOptions, type EmbeddingFunctionalOptions, type EmbeddingFromPretrainedOptions } from './embedding.js';
export { summary, ModelSummary, type SummaryRow, type SummaryOptions } from './summary.js';
export { LayerNorm, layerNorm, type LayerNormOptions, type LayerNormFunctionalOptions } from './layernorm.js';
export { LSTM, GRU, LSTMCell, GRUCell, lstmCell, gruCell, type RNNOptions, type RNNCellOptions } from './rnn.js';
export {
  MultiheadAttention,
  multiheadAttentionForward,
  type MultiheadAttentionFunctionalOptions,
  TransformerEncoderLayer,
  TransformerEncoder,
  scaledDotProductAttention,
  generateSquareSubsequentMask,
  type MultiheadAttentionOptions,
  type MultiheadAttentionForwardOptions,
  type ScaledDotProductAttentionOptions,
  type SubsequentMaskOptions,
  type TransformerActivation,
  type TransformerEncoderLayerOptions,
  type TransformerEncoderLayerForwardOptions,
  type TransformerEncoderOptions,
  type TransformerEncoderForwardOptions,
} from './attention.js';
export { Conv1d, Conv2d, ConvTranspose2d, type Conv1dOptions, type Conv2dOptions, type ConvTranspose2dOptions, type ConvFactoryOptions } from './conv.js';
export { MaxPool1d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, type MaxPool1dOptions, type MaxPool2dOptions, type AvgPool2dOptions } from './pooling.js';
export * as init from './init.js';
export type { InitOptions, KaimingOptions, Nonlinearity, FanMode } from './init.js';
