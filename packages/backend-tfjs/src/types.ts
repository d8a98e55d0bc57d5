/** The TensorFlow.js namespace the adapter drives: `import * as tf from '@tensorflow/tfjs-core'`. */
export type TfjsModule = typeof import('@tensorflow/tfjs-core');
export type { Tensor as TfjsTensor } from '@tensorflow/tfjs-core';
