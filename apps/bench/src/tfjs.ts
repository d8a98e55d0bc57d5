import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { convKernelHwio, denseKernelAfterNhwcFlatten, toNhwc, transposed, type CnnData, type LayerInit, type MlpData, type RegressionData } from './data.js';
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
  if (name === 'wasm') registerConv2dFilterGradOnWasm();
  if (tf.getBackend() !== name) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`TensorFlow.js backend "${name}" did not initialise`);
  }
  await tf.ready();
}

/**
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel (the gradient of conv2d with respect
 * to its filter), so a Conv2D layer cannot train there out of the box. This registers one for
 * 'wasm' built from tfjs-backend-wasm's own kernels, so the bench trains the same model:
 * - stride 1, 'valid' or symmetric 'same' padding (the bench's layers): the filter gradient is
 *   itself a convolution, dW[a, b, ci, co] = Σ_{n,i,j} x[n, i + a - p, j + b - p, ci] ·
 *   dy[n, i, j, co], i.e. conv2d of x as [Ci, H, W, N] (batch and channels swapped) with dy as
 *   a [Ho, Wo, N, Co] filter, padding p, giving [Ci, kh, kw, Co]: three Transpose kernels and
 *   tfjs-backend-wasm's XNNPACK Conv2D kernel (the fastest route it has);
 * - otherwise its Conv3DBackpropFilterV2 kernel on 5-D views of the same buffers (NHWC →
 *   NDHWC with D = 1; a 2-D convolution is a 3-D one of depth 1), a plain loop nest, several
 *   times slower.
 */
let conv2dFilterGradRegistered = false;
function registerConv2dFilterGradOnWasm(): void {
  if (conv2dFilterGradRegistered || tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  const kernel = (name: string) => {
    const k = tf.getKernel(name, 'wasm');
    if (!k) throw new Error(`tfjs-backend-wasm has no ${name} kernel`);
    return k.kernelFunc as (args: { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs: Record<string, unknown> }) => tf.TensorInfo;
  };
  const conv3dFilter = kernel('Conv3DBackpropFilterV2');
  const conv2d = kernel('Conv2D');
  const transpose = kernel('Transpose');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
      // The kernel has no dilation attribute: tfjs-core's conv2d gradient uses it for dilation 1 only.
      const { strides, pad, dataFormat, filterShape } = attrs as unknown as {
        strides: [number, number] | number;
        pad: 'valid' | 'same' | number;
        dataFormat: string;
        filterShape: [number, number, number, number];
      };
      if (dataFormat !== 'NHWC') throw new Error('Conv2DBackpropFilter on wasm: only NHWC');
      if (typeof pad === 'number') throw new Error('Conv2DBackpropFilter on wasm: only "same" and "valid" padding');
      const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
      const [kh, kw] = filterShape;
      if (sh === 1 && sw === 1 && (pad === 'valid' || (kh % 2 === 1 && kw % 2 === 1 && kh === kw))) {
        const disposeData = (t: tf.TensorInfo) => (backend as { disposeData(id: object): void }).disposeData(t.dataId);
        const xT = transpose({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } });
        const dyT = transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } });
        const p = pad === 'valid' ? 0 : (kh - 1) / 2;
        const cols = conv2d({ inputs: { x: xT, filter: dyT }, backend, attrs: { strides: [1, 1], pad: p, dataFormat: 'NHWC', dilations: [1, 1] } });
        const dw = transpose({ inputs: { x: cols }, backend, attrs: { perm: [1, 2, 0, 3] } });
        for (const t of [xT, dyT, cols]) disposeData(t);
        return dw;
      }
      const as5d = (t: tf.TensorInfo): tf.TensorInfo => ({ dataId: t.dataId, shape: [t.shape[0], 1, ...t.shape.slice(1)], dtype: t.dtype });
      const dw = conv3dFilter({ inputs: { x: as5d(x), dy: as5d(dy) }, backend, attrs: { strides: [1, sh, sw], pad, filterShape: [1, ...filterShape] } });
      return { dataId: dw.dataId, shape: filterShape, dtype: dw.dtype };
    },
  });
  conv2dFilterGradRegistered = true;
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

/**
 * The MNIST example's CNN in tfjs-layers with the same initial weights, on NHWC data (the
 * bench's NCHW batch transposed once, here). BatchNormalization's momentum 0.9 is PyTorch's 0.1
 * (TensorFlow weighs the old statistics), epsilon PyTorch's 1e-5; Adam with PyTorch's defaults.
 */
export function tfCnnModel(d: CnnData): tfl.Sequential {
  const model = tfl.sequential();
  const [c1, c2] = d.convs;
  const [fc1, fc2] = d.dense;
  const bn = () => tfl.layers.batchNormalization({ axis: -1, momentum: 0.9, epsilon: 1e-5 });
  const conv1 = tfl.layers.conv2d({ filters: c1.outC, kernelSize: c1.k, padding: 'same', inputShape: [28, 28, 1] });
  const conv2 = tfl.layers.conv2d({ filters: c2.outC, kernelSize: c2.k, padding: 'same' });
  const dense1 = tfl.layers.dense({ units: fc1.outF, activation: 'relu' });
  const dense2 = tfl.layers.dense({ units: fc2.outF });
  for (const l of [conv1, bn(), tfl.layers.reLU(), tfl.layers.maxPooling2d({ poolSize: 2 })]) model.add(l);
  for (const l of [conv2, bn(), tfl.layers.reLU(), tfl.layers.maxPooling2d({ poolSize: 2 }), tfl.layers.flatten(), dense1, dense2]) model.add(l);
  conv1.setWeights([tf.tensor4d(convKernelHwio(c1), [c1.k, c1.k, c1.inC, c1.outC]), tf.tensor1d(c1.bias)]);
  conv2.setWeights([tf.tensor4d(convKernelHwio(c2), [c2.k, c2.k, c2.inC, c2.outC]), tf.tensor1d(c2.bias)]);
  dense1.setWeights([tf.tensor2d(denseKernelAfterNhwcFlatten(fc1, c2.outC, 7, 7), [fc1.inF, fc1.outF]), tf.tensor1d(fc1.bias)]);
  dense2.setWeights([tf.tensor2d(transposed(fc2), [fc2.inF, fc2.outF]), tf.tensor1d(fc2.bias)]);
  return model;
}

export function tfCnn(backend: 'cpu' | 'wasm', d: CnnData): Runner {
  let state: { model: tfl.Sequential; x: tf.Tensor; t: tf.Tensor; opt: tf.Optimizer } | null = null;
  const lossOf = (x: tf.Tensor, t: tf.Tensor, model: tfl.Sequential) => tf.losses.softmaxCrossEntropy(t, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
  const ensure = () => {
    if (!state) {
      const x = tf.tensor4d(toNhwc(d.x, d.batch, 1, 28, 28), [d.batch, 28, 28, 1]);
      const t = tf.tensor2d(d.oneHot, [d.batch, 10]);
      state = { model: tfCnnModel(d), x, t, opt: tf.train.adam(d.lr, 0.9, 0.999, 1e-8) };
    }
    return state;
  };
  return {
    name: `TensorFlow.js layers + Adam, tfjs-backend-${backend}`,
    async enter() {
      await useTfBackend(backend);
      ensure();
    },
    steps(n) {
      const { model, x, t, opt } = ensure();
      for (let s = 0; s < n; s++) tf.tidy(() => void opt.minimize(() => lossOf(x, t, model), false));
    },
    loss() {
      const { model, x, t } = ensure();
      return tf.tidy(() => lossOf(x, t, model).dataSync()[0]);
    },
  };
}
