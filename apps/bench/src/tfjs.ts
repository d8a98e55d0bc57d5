import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { transposed, type LayerInit, type MlpData, type RegressionData } from './data.js';
import type { Runner } from './runner.js';

const require = createRequire(import.meta.url);
let wasmPathsSet = false;

/** Selects a TensorFlow.js backend; the wasm one loads its .wasm files from the package's dist folder. */
export async function useTfBackend(name: 'cpu' | 'wasm'): Promise<void> {
  if (name === 'wasm' && !wasmPathsSet) {
    const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    setWasmPaths(dist + '/');
    wasmPathsSet = true;
  }
  if (tf.getBackend() !== name) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`TensorFlow.js backend "${name}" did not initialise`);
  }
  await tf.ready();
}

function denseModel(layers: readonly LayerInit[]): tfl.Sequential {
  const model = tfl.sequential();
  layers.forEach((l, i) => {
    model.add(
      tfl.layers.dense({
        units: l.outF,
        inputShape: i === 0 ? [l.inF] : undefined,
        activation: i < layers.length - 1 ? 'relu' : 'linear',
      }),
    );
  });
  model.setWeights(layers.flatMap((l) => [tf.tensor2d(transposed(l), [l.inF, l.outF]), tf.tensor1d(l.bias)]));
  return model;
}

function tfRunner(backend: 'cpu' | 'wasm', layers: readonly LayerInit[], lr: number, makeData: () => [tf.Tensor, tf.Tensor], lossOf: (out: tf.Tensor, target: tf.Tensor) => tf.Scalar, label: string): Runner {
  let state: { model: tfl.Sequential; x: tf.Tensor; t: tf.Tensor; opt: tf.Optimizer } | null = null;
  const ensure = () => {
    if (!state) {
      const [x, t] = makeData();
      state = { model: denseModel(layers), x, t, opt: tf.train.sgd(lr) };
    }
    return state;
  };
  return {
    name: `TensorFlow.js ${label}, tfjs-backend-${backend}`,
    async enter() {
      await useTfBackend(backend);
      ensure();
    },
    steps(n) {
      const { model, x, t, opt } = ensure();
      for (let s = 0; s < n; s++) {
        tf.tidy(() => {
          opt.minimize(() => lossOf(model.apply(x, { training: true }) as tf.Tensor, t), false);
        });
      }
    },
    loss() {
      const { model, x, t } = ensure();
      return tf.tidy(() => lossOf(model.apply(x) as tf.Tensor, t).dataSync()[0]);
    },
  };
}

export const tfRegression = (backend: 'cpu' | 'wasm', d: RegressionData): Runner =>
  tfRunner(backend, d.layers, d.lr, () => [tf.tensor2d(d.x, [d.n, 1]), tf.tensor2d(d.y, [d.n, 1])], (out, y) => tf.mean(tf.abs(tf.sub(out, y))) as tf.Scalar, 'layers');

export const tfMlp = (backend: 'cpu' | 'wasm', d: MlpData): Runner =>
  tfRunner(
    backend,
    d.layers,
    d.lr,
    () => [tf.tensor2d(d.x, [d.batch, d.sizes[0]]), tf.tensor2d(d.oneHot, [d.batch, d.sizes[d.sizes.length - 1]])],
    (logits, t) => tf.losses.softmaxCrossEntropy(t, logits) as tf.Scalar,
    'layers',
  );
