import { init, defaultDevice, jit, valueAndGrad, numpy as np, nn, tree, blockUntilReady, type Array as JaxArray } from '@jax-js/jax';
import { transposed, type LayerInit, type MlpData, type RegressionData } from './data.js';
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
