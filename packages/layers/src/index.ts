export {
  Module,
  parameter,
  buffer,
  isParameter,
  isBuffer,
  type AnyModule,
  type LoadStateDictOptions,
  type LoadStateDictResult,
} from './module.js';
export { Linear, type LinearOptions } from './linear.js';
export { Sequential, Flatten, Dropout, type TensorModule, type DropoutOptions, type FusibleActivation } from './containers.js';
export * as init from './init.js';
export type { InitOptions, KaimingOptions, Nonlinearity, FanMode } from './init.js';
