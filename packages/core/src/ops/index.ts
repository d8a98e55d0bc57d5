import { opTable, type OpDefs } from '../autograd/engine.js';

/** Every op's rules, one family per file (the engine's own table). Leaving one out fails to compile. */
export const opDefs: OpDefs = opTable();

export * from './unary.js';
export * from './binary.js';
export * from './reduce.js';
export * from './movement.js';
export * from './linalg.js';
export * from './nn.js';
export * from './indexing.js';
export * from './sorting.js';
export * from './einsum.js';
export * from './conv.js';
