import type { LayerInit, MlpData, RegressionData } from './data.js';
import type { Runner } from './runner.js';

/**
 * The regression network written by hand: forward and backward per sample, float32 storage,
 * no allocation per step. Honest: full-batch gradients of the mean L1 loss (sign(0) = 0 as in
 * autograd's abs'), ReLU'(0) = 0, then one plain SGD update; nothing the library could not do.
 */
export function handFusedRegression(d: RegressionData): Runner {
  const L = d.layers.length;
  const W = d.layers.map((l) => l.weight.slice());
  const B = d.layers.map((l) => l.bias.slice());
  const gW = d.layers.map((l) => new Float32Array(l.weight.length));
  const gB = d.layers.map((l) => new Float32Array(l.bias.length));
  // act[l]: the input of layer l for the current sample (act[0] = x), after ReLU.
  const act = d.sizes.map((s) => new Float32Array(s));
  const delta = d.sizes.map((s) => new Float32Array(s));
  const { n, x, y, lr } = d;
  const sizes = d.sizes;

  function forward(i: number): number {
    act[0][0] = x[i];
    for (let l = 0; l < L; l++) {
      const inF = sizes[l];
      const outF = sizes[l + 1];
      const w = W[l];
      const b = B[l];
      const a = act[l];
      const z = act[l + 1];
      const last = l === L - 1;
      for (let o = 0; o < outF; o++) {
        let s = b[o];
        for (let k = 0; k < inF; k++) s += w[o * inF + k] * a[k];
        z[o] = last || s > 0 ? s : 0;
      }
    }
    return act[L][0];
  }

  function step(): void {
    for (let l = 0; l < L; l++) {
      gW[l].fill(0);
      gB[l].fill(0);
    }
    const invN = 1 / n;
    for (let i = 0; i < n; i++) {
      const out = forward(i);
      const r = out - y[i];
      delta[L][0] = (r > 0 ? 1 : r < 0 ? -1 : 0) * invN;
      for (let l = L - 1; l >= 0; l--) {
        const inF = sizes[l];
        const outF = sizes[l + 1];
        const w = W[l];
        const a = act[l];
        const dz = delta[l + 1];
        const gw = gW[l];
        const gb = gB[l];
        for (let o = 0; o < outF; o++) {
          const g = dz[o];
          gb[o] += g;
          for (let k = 0; k < inF; k++) gw[o * inF + k] += g * a[k];
        }
        if (l > 0) {
          const da = delta[l];
          for (let k = 0; k < inF; k++) {
            let s = 0;
            for (let o = 0; o < outF; o++) s += w[o * inF + k] * dz[o];
            da[k] = a[k] > 0 ? s : 0;
          }
        }
      }
    }
    for (let l = 0; l < L; l++) {
      const w = W[l];
      const g = gW[l];
      for (let j = 0; j < w.length; j++) w[j] -= lr * g[j];
      const b = B[l];
      const gb = gB[l];
      for (let j = 0; j < b.length; j++) b[j] -= lr * gb[j];
    }
  }

  return {
    name: 'hand-fused TS loop',
    steps(count) {
      for (let s = 0; s < count; s++) step();
    },
    loss() {
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.abs(forward(i) - y[i]);
      return s / n;
    },
  };
}

/**
 * The MLP by hand: batched dense layers as plain loops (i-k-j order, contiguous inner loop),
 * softmax cross-entropy, backward, SGD; every buffer allocated once.
 */
export function handFusedMlp(d: MlpData): Runner {
  const L = d.layers.length;
  const M = d.batch;
  const sizes = d.sizes;
  // Weights kept as Wᵀ [in, out] so that the forward's inner loop is contiguous.
  const Wt = d.layers.map((l: LayerInit) => {
    const t = new Float32Array(l.inF * l.outF);
    for (let o = 0; o < l.outF; o++) for (let i = 0; i < l.inF; i++) t[i * l.outF + o] = l.weight[o * l.inF + i];
    return t;
  });
  const B = d.layers.map((l) => l.bias.slice());
  const gW = Wt.map((w) => new Float32Array(w.length));
  const gB = B.map((b) => new Float32Array(b.length));
  const act = sizes.map((s) => new Float32Array(M * s));
  const delta = sizes.map((s) => new Float32Array(M * s));
  act[0].set(d.x);
  const C = sizes[L];
  const { labels, lr } = d;

  function forward(): number {
    for (let l = 0; l < L; l++) {
      const inF = sizes[l];
      const outF = sizes[l + 1];
      const w = Wt[l];
      const b = B[l];
      const a = act[l];
      const z = act[l + 1];
      const relu = l < L - 1;
      for (let i = 0; i < M; i++) {
        const zo = i * outF;
        for (let o = 0; o < outF; o++) z[zo + o] = b[o];
        const ao = i * inF;
        for (let k = 0; k < inF; k++) {
          const av = a[ao + k];
          const wo = k * outF;
          for (let o = 0; o < outF; o++) z[zo + o] += av * w[wo + o];
        }
        if (relu) for (let o = 0; o < outF; o++) if (!(z[zo + o] > 0)) z[zo + o] = 0;
      }
    }
    // softmax cross-entropy, mean over the batch; delta[L] = (softmax - onehot) / M
    const z = act[L];
    const dz = delta[L];
    let loss = 0;
    for (let i = 0; i < M; i++) {
      const o = i * C;
      let mx = -Infinity;
      for (let c = 0; c < C; c++) if (z[o + c] > mx) mx = z[o + c];
      let s = 0;
      for (let c = 0; c < C; c++) s += Math.exp(z[o + c] - mx);
      const lse = mx + Math.log(s);
      loss += lse - z[o + labels[i]];
      for (let c = 0; c < C; c++) dz[o + c] = (Math.exp(z[o + c] - lse) - (c === labels[i] ? 1 : 0)) / M;
    }
    return loss / M;
  }

  function step(): void {
    forward();
    for (let l = L - 1; l >= 0; l--) {
      const inF = sizes[l];
      const outF = sizes[l + 1];
      const a = act[l];
      const dz = delta[l + 1];
      const gw = gW[l];
      const gb = gB[l];
      gw.fill(0);
      gb.fill(0);
      for (let i = 0; i < M; i++) {
        const zo = i * outF;
        for (let o = 0; o < outF; o++) gb[o] += dz[zo + o];
        const ao = i * inF;
        for (let k = 0; k < inF; k++) {
          const av = a[ao + k];
          const wo = k * outF;
          for (let o = 0; o < outF; o++) gw[wo + o] += av * dz[zo + o];
        }
      }
      if (l > 0) {
        const w = Wt[l];
        const da = delta[l];
        for (let i = 0; i < M; i++) {
          const zo = i * outF;
          const ao = i * inF;
          for (let k = 0; k < inF; k++) {
            // No skipping of masked rows: the work is data-independent, as in a dense kernel.
            const wo = k * outF;
            let s = 0;
            for (let o = 0; o < outF; o++) s += w[wo + o] * dz[zo + o];
            da[ao + k] = a[ao + k] > 0 ? s : 0;
          }
        }
      }
    }
    for (let l = 0; l < L; l++) {
      const w = Wt[l];
      const g = gW[l];
      for (let j = 0; j < w.length; j++) w[j] -= lr * g[j];
      const b = B[l];
      const gb = gB[l];
      for (let j = 0; j < b.length; j++) b[j] -= lr * gb[j];
    }
  }

  return {
    name: 'hand-fused TS loop',
    steps(count) {
      for (let s = 0; s < count; s++) step();
    },
    loss: forward,
  };
}
