/**
 * tsgrad: the one-install umbrella. Everything of @tsgrad/core at the top level, the CPU
 * backend registered and selected, and the rest in PyTorch's namespaces:
 * `nn` (modules, init), `F` (functional activations and losses), `optim`, `datasets`, `io`.
 */
import '@tsgrad/backend-cpu';

export * from '@tsgrad/core';
export { createCpuBackend, CpuBackend } from '@tsgrad/backend-cpu';
export * as nn from './nn.js';
export * as F from './functional.js';
export * as optim from '@tsgrad/optimizers';
export * as datasets from '@tsgrad/datasets';
export * as io from '@tsgrad/io';
export { activationTable, type ActivationRow } from '@tsgrad/activations';
