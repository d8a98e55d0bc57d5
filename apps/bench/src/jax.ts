import { init, defaultDevice, jit, valueAndGrad, numpy as np, nn, lax, tree, blockUntilReady, type Array as JaxArray } from '@jax-js/jax';
import { transposed, type CnnData, type ConvInit, type LayerInit, type MlpData, type RegressionData } from './data.js';
import type { Runner } from './runner.js';

type Params = { w: JaxArray; b: JaxArray }[];

let ready: Promise<void> | null = null;
/** jax-js on its wasm device. */
export function useJaxWasm(): Promise<void> {
  ready ??= init('wasm').then((devices) => {
    if (!devices.includes('wasm')) throw new Error(`jax-js: the wasm device did not start (got ${devices.join(', ')})`);
    defaultDevice('wasm');
  });
  return ready;
}

function initParams(layers: readonly LayerInit[]): Params {
  return layers.map((l) => ({ w: np.array(transposed(l)).reshape([l.inF, l.outF]), b: np.array(l.bias.slice()) }));
}

/** The network on jax-js arrays; every argument is consumed once (jax-js's ownership rule). */
function forward(p: Params, x: JaxArray): JaxArray {
  let h = x;
  for (let i = 0; i < p.length; i++) {
    h = np.matmul(h, p[i].w).add(p[i].b);
    if (i < p.length - 1) h = nn.relu(h);
  }
  return h;
}

const l1 = (p: Params, x: JaxArray, y: JaxArray) => np.mean(np.absolute(forward(p, x).sub(y)));
const crossEntropy = (p: Params, x: JaxArray, t: JaxArray) => np.mean(np.sum(nn.logSoftmax(forward(p, x), -1).mul(t), -1)).neg();

function jaxRunner(layers: readonly LayerInit[], lr: number, makeData: () => [JaxArray, JaxArray], lossFn: (p: Params, x: JaxArray, t: JaxArray) => JaxArray): Runner {
  let state: { p: Params; x: JaxArray; t: JaxArray; step: (p: Params, x: JaxArray, t: JaxArray) => [Params, JaxArray] } | null = null;
  const ensure = () => {
    if (!state) {
      const [x, t] = makeData();
      // The whole training step under jit: loss, gradient and the SGD update, one compiled program.
      const step = jit((p: Params, xs: JaxArray, ts: JaxArray) => {
        const [loss, g] = valueAndGrad(lossFn)(tree.ref(p), xs, ts);
        const next = tree.map((w: JaxArray, gw: JaxArray) => w.sub(gw.mul(lr)), p, g as Params) as Params;
        return [next, loss] as [Params, JaxArray];
      }) as unknown as (p: Params, x: JaxArray, t: JaxArray) => [Params, JaxArray];
      state = { p: initParams(layers), x, t, step };
    }
    return state;
  };
  return {
    name: 'jax-js 0.1.25, wasm, jit(step)',
    async enter() {
      await useJaxWasm();
      ensure();
    },
    async steps(n) {
      const s = ensure();
      for (let i = 0; i < n; i++) {
        const [p, loss] = s.step(s.p, s.x.ref, s.t.ref);
        s.p = p;
        loss.dispose();
      }
      await blockUntilReady(s.p);
    },
    async loss() {
      const s = ensure();
      const v = lossFn(tree.ref(s.p), s.x.ref, s.t.ref);
      const data = await v.data();
      return data[0];
    },
  };
}

export const jaxRegression = (d: RegressionData): Runner =>
  jaxRunner(d.layers, d.lr, () => [np.array(d.x.slice()).reshape([d.n, 1]), np.array(d.y.slice()).reshape([d.n, 1])], l1);

export const jaxMlp = (d: MlpData): Runner =>
  jaxRunner(d.layers, d.lr, () => [np.array(d.x.slice()).reshape([d.batch, d.sizes[0]]), np.array(d.oneHot.slice()).reshape([d.batch, d.sizes[d.sizes.length - 1]])], crossEntropy);

/** The CNN's parameters on jax-js: conv weights OIHW, BatchNorm γ/β, dense kernels [in, out]. */
type CnnParams = JaxArray[];

/** Initial CNN parameters in jax-js layouts: [w1, b1, γ1, β1, w2, b2, γ2, β2, fc1w, fc1b, fc2w, fc2b]. */
function cnnParams(d: CnnData): CnnParams {
  const [c1, c2] = d.convs;
  const [f1, f2] = d.dense;
  const conv = (c: ConvInit) => [np.array(c.weight.slice()).reshape([c.outC, c.inC, c.k, c.k]), np.array(c.bias.slice())];
  const bn = (c: number) => [np.ones([c]), np.zeros([c])];
  const dense = (l: LayerInit) => [np.array(transposed(l)).reshape([l.inF, l.outF]), np.array(l.bias.slice())];
  return [...conv(c1), ...bn(c1.outC), ...conv(c2), ...bn(c2.outC), ...dense(f1), ...dense(f2)];
}

/** Conv2d (pad 1) - BatchNorm2d (batch statistics) - ReLU - MaxPool2d(2) on NCHW; consumes its arguments. */
function cnnBlock(x: JaxArray, w: JaxArray, b: JaxArray, gamma: JaxArray, beta: JaxArray, c: number): JaxArray {
  const h = lax.conv(x, w, [1, 1], 'SAME').add(b.reshape([1, c, 1, 1]));
  const mean = np.mean(h.ref, [0, 2, 3], { keepdims: true });
  const centred = h.sub(mean);
  const variance = np.mean(centred.ref.mul(centred.ref), [0, 2, 3], { keepdims: true });
  const scale = gamma.reshape([1, c, 1, 1]).div(np.sqrt(variance.add(1e-5)));
  const y = nn.relu(centred.mul(scale).add(beta.reshape([1, c, 1, 1])));
  const [n, , hh, ww] = y.shape;
  // 2x2 max pooling, stride 2: the windows as two axes of a reshape, reduced by max.
  return np.max(y.reshape([n, c, hh / 2, 2, ww / 2, 2]), [3, 5]);
}

function cnnLoss(p: CnnParams, x: JaxArray, t: JaxArray): JaxArray {
  const [w1, b1, g1, be1, w2, b2, g2, be2, f1w, f1b, f2w, f2b] = p;
  let h = cnnBlock(x, w1, b1, g1, be1, 16);
  h = cnnBlock(h, w2, b2, g2, be2, 32);
  h = h.reshape([h.shape[0], 32 * 7 * 7]);
  h = nn.relu(np.matmul(h, f1w).add(f1b));
  const logits = np.matmul(h, f2w).add(f2b);
  return np.mean(np.sum(nn.logSoftmax(logits, -1).mul(t), -1)).neg();
}

/**
 * The MNIST example's CNN on jax-js: lax.conv (NCHW, OIHW), BatchNorm written with np.mean (batch
 * statistics; no running statistics, which the timed step does not need), max pooling as a
 * reshape and np.max (its gradient splits ties evenly where PyTorch's picks one element), Adam
 * (PyTorch's update) written as tree maps; the whole step under one jit.
 */
export function jaxCnn(d: CnnData): Runner {
  const b1 = 0.9;
  const b2 = 0.999;
  const eps = 1e-8;
  let state: {
    p: CnnParams;
    m: CnnParams;
    v: CnnParams;
    t: number;
    x: JaxArray;
    y: JaxArray;
    step: (p: CnnParams, m: CnnParams, v: CnnParams, x: JaxArray, y: JaxArray, c1: JaxArray, c2: JaxArray) => [CnnParams, CnnParams, CnnParams, JaxArray];
  } | null = null;
  const ensure = () => {
    if (!state) {
      const p = cnnParams(d);
      const zeros = () => p.map((a) => np.zeros(a.shape));
      const step = jit((ps: CnnParams, ms: CnnParams, vs: CnnParams, xs: JaxArray, ys: JaxArray, c1: JaxArray, c2: JaxArray) => {
        const [loss, g] = valueAndGrad(cnnLoss)(tree.ref(ps), xs, ys);
        const gs = g as CnnParams;
        const m2 = ms.map((m, i) => m.mul(b1).add(gs[i].ref.mul(1 - b1)));
        const v2 = vs.map((v, i) => v.mul(b2).add(gs[i].ref.mul(gs[i]).mul(1 - b2)));
        // PyTorch's Adam: p - lr/(1 - β1^t) · m / (√v / √(1 - β2^t) + eps); c1 = lr/(1 - β1^t), c2 = 1/√(1 - β2^t).
        const p2 = ps.map((w, i) => w.sub(m2[i].ref.mul(c1.ref).div(np.sqrt(v2[i].ref).mul(c2.ref).add(eps))));
        c1.dispose();
        c2.dispose();
        return [p2, m2, v2, loss] as [CnnParams, CnnParams, CnnParams, JaxArray];
      }) as unknown as NonNullable<typeof state>['step'];
      state = { p, m: zeros(), v: zeros(), t: 0, x: np.array(d.x.slice()).reshape([d.batch, 1, 28, 28]), y: np.array(d.oneHot.slice()).reshape([d.batch, 10]), step };
    }
    return state;
  };
  return {
    name: 'jax-js 0.1.25, wasm, jit(step)',
    async enter() {
      await useJaxWasm();
      ensure();
    },
    async steps(n) {
      const s = ensure();
      for (let i = 0; i < n; i++) {
        s.t++;
        const c1 = np.array([d.lr / (1 - b1 ** s.t)]).reshape([]);
        const c2 = np.array([1 / Math.sqrt(1 - b2 ** s.t)]).reshape([]);
        const [p, m, v, loss] = s.step(s.p, s.m, s.v, s.x.ref, s.y.ref, c1, c2);
        Object.assign(s, { p, m, v });
        loss.dispose();
      }
      await blockUntilReady(s.p);
    },
    async loss() {
      const s = ensure();
      const data = await cnnLoss(tree.ref(s.p), s.x.ref, s.y.ref).data();
      return data[0];
    },
  };
}
