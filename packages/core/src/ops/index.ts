import { installOpDefs, type OpDefs } from '../autograd/engine.js';
import { unaryDefs } from './unary.js';
import { binaryDefs } from './binary.js';
import { reduceDefs } from './reduce.js';
import { movementDefs } from './movement.js';
import { linalgDefs } from './linalg.js';

/** Every op's rules, one family per file. Leaving one out fails to compile. */
export const opDefs: OpDefs = { ...unaryDefs, ...binaryDefs, ...reduceDefs, ...movementDefs, ...linalgDefs };
installOpDefs(opDefs);

export * from './unary.js';
export * from './binary.js';
export * from './reduce.js';
export * from './movement.js';
export * from './linalg.js';
export * from './nn.js';
