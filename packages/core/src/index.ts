export * from './ops/index.js';
export * from './ops/tensor-api.js';
export { Tensor, type TensorLike, type NestedArray, type GradHook } from './tensor.js';
export { RemovableHandle } from './hooks.js';
export * from './creation.js';
export * from './random.js';
export * from './errors.js';
export { assertTensor, assertNumber, assertFinite, assertInteger, assertIntList, assertBoolean, assertOptions, fitValue, describe as describeValue } from './validate.js';
export * from './dtype.js';
export * from './convert.js';
export { STORAGE_DTYPE_OPS, checkStorageDTypes } from './ops/dtype-support.js';
export { broadcastShapes, sizeOf, stridesOf, sameShape, normalizeAxes, normalizeAxis, type Shape } from './shape.js';
export * from './backend.js';
export { tidy, dispose, keep, memory, trainingStep, setMemoryWarningSink, type NotAsync } from './memory.js';
export { Storage } from './storage.js';
export {
  noGrad,
  enableGrad,
  isGradEnabled,
  apply,
  computeGrads,
  topoSort,
  opTable,
  SAVES_NOTHING,
  SAVES_OUTPUT,
  savesInputs,
  type Saves,
  type OpName,
  type OpParams,
  type OpDef,
  type OpDefs,
  type VjpRule,
  type GraphNode,
  type GradOptions,
} from './autograd/engine.js';
export { grad, valueAndGrad, vjp, type FunctionalGradOptions } from './autograd/functional.js';
export { gradcheck, gradgradcheck, GradcheckError, GRADCHECK_DEFAULTS, type GradcheckOptions, type GradcheckReport, type GradcheckMismatch } from './gradcheck.js';
export { graphOf, type ComputationGraph, type GraphNodeInfo } from './graph.js';
export { setDebugMode, isDebugMode, canCheckOnHost } from './debug.js';
