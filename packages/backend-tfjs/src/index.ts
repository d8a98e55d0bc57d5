export { createTfjsBackend, registerTfjsBackend, TfjsBackend, type TfjsBackendOptions } from './backend.js';
export { makeKernels, tfDType, type KernelOptions } from './kernels.js';
export type { TfjsModule, TfjsTensor } from './types.js';
