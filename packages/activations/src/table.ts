import type { Tensor } from '@tsgrad/core';
import * as F from './functional.js';

/** One row of the lecture's table of activation functions. */
export interface ActivationRow {
  /** The row's name, as the lecture gives it. */
  readonly name: string;
  /** The function's exact definition, as text. */
  readonly definition: string;
  /** Where the lecture says it is used. */
  readonly usedIn: string;
  /** The function itself (this package's functional form). */
  readonly fn: (x: Tensor) => Tensor;
}

/** The lecture's table, in its order: printable by the docs and the examples. */
export const activationTable: readonly ActivationRow[] = Object.freeze([
  { name: 'unit step (Heaviside)', definition: '0 for z < 0, 0.5 for z = 0, 1 for z > 0', usedIn: 'perceptron variant', fn: (x: Tensor) => F.unitStep(x) },
  { name: 'sign (signum)', definition: '-1 for z < 0, 0 for z = 0, 1 for z > 0', usedIn: 'perceptron variant', fn: (x: Tensor) => F.sign(x) },
  { name: 'linear', definition: 'z', usedIn: 'Adaline, linear regression', fn: F.identity },
  {
    name: 'piece-wise linear',
    definition: '1 for z >= 1/2, z + 1/2 for -1/2 < z < 1/2, 0 for z <= -1/2',
    usedIn: 'support vector machine',
    fn: F.piecewiseLinear,
  },
  { name: 'logistic (sigmoid)', definition: '1 / (1 + e^-z)', usedIn: 'logistic regression, multi-layer NN', fn: F.sigmoid },
  { name: 'hyperbolic tangent', definition: '(e^z - e^-z) / (e^z + e^-z)', usedIn: 'multi-layer NN', fn: F.tanh },
  { name: 'ReLU', definition: 'max(0, z)', usedIn: 'multi-layer NN (the default today: gradients pass where sigmoid and tanh saturate)', fn: F.relu },
].map((row) => Object.freeze(row)));
