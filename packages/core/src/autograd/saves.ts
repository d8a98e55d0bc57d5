// No imports: the op families import these while the engine is still loading them.

/**
 * What a gradient rule reads of the forward pass's values: the indices of the inputs it reads and
 * whether it reads the output (PyTorch declares the same per op in derivatives.yaml, as the
 * tensors it saves). Shapes, dtypes and `requiresGrad` are metadata and always available. The
 * engine checks the version counters of exactly these tensors before running the rule, so an
 * in-place change to anything else is allowed; a rule that reads more than it declares fails the
 * declared-saves test (packages/core/test/saves.test.ts), which runs every rule with stand-ins.
 */
export interface Saves {
  readonly inputs: readonly number[];
  readonly output: boolean;
}

/** A rule that reads no value (add, sum, movement): only shapes. */
export const SAVES_NOTHING: Saves = { inputs: [], output: false };
/** A rule that reads the output only (exp, sigmoid, tanh...). */
export const SAVES_OUTPUT: Saves = { inputs: [], output: true };
/** A rule that reads the inputs at these indices. */
export const savesInputs = (...inputs: number[]): Saves => ({ inputs, output: false });
