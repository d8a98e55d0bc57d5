// The shared backend conformance suite on TensorFlow.js' CPU backend, in Node, float32 only
// (TensorFlow.js has no float64).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tsgrad/backend-cpu';
import { describeBackendConformance } from '@tsgrad/testing/vitest';
import { createTfjsBackend } from '@tsgrad/backend-tfjs';

tf.env().set('IS_TEST', true);

describeBackendConformance('tfjs-cpu-conformance', () => createTfjsBackend('tfjs-cpu-conformance', tf, { backendName: 'cpu' }), {
  dtypes: ['float32'],
});
