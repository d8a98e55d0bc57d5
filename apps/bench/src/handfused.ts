import type { LayerInit, MlpData, RegressionData } from './data.js';
import type { Runner } from './runner.js';

// The regression network's widths, as constants: a hand-fused loop is written for its network.
const H1 = 10;
const H2 = 6;

/**
 * The regression network 1-10-6-1 written by hand: forward and backward per sample with the
 * activations in small fixed buffers, float32 storage, no allocation per step. Honest: full-batch
 * gradients of the mean L1 loss (sign(0) = 0 as in autograd's abs'), ReLU'(0) = 0, then one
 * plain SGD update; nothing the library could not do.
 */
export function handFusedRegression(d: RegressionData): Runner {
  if (d.sizes.join() !== [1, H1, H2, 1].join()) throw new Error(`handFusedRegression is written for 1-${H1}-${H2}-1, got ${d.sizes.join('-')}`);
  const [l1, l2, l3] = d.layers;
  const w1 = l1.weight.slice(), b1 = l1.bias.slice(); // [H1, 1], [H1]
  const w2 = l2.weight.slice(), b2 = l2.bias.slice(); // [H2, H1], [H2]
  const w3 = l3.weight.slice(), b3 = l3.bias.slice(); // [1, H2], [1]
  const gw1 = new Float32Array(H1), gb1 = new Float32Array(H1);
  const gw2 = new Float32Array(H2 * H1), gb2 = new Float32Array(H2);
  const gw3 = new Float32Array(H2), gb3 = new Float32Array(1);
  const a1 = new Float32Array(H1), a2 = new Float32Array(H2);
  const d1 = new Float32Array(H1), d2 = new Float32Array(H2);
  const { n, x, y, lr } = d;

  function forward(xi: number): number {
    for (let j = 0; j < H1; j++) {
      const v = w1[j] * xi + b1[j];
      a1[j] = v > 0 ? v : 0;
    }
    for (let k = 0; k < H2; k++) {
      let v = b2[k];
      for (let j = 0; j < H1; j++) v += w2[k * H1 + j] * a1[j];
      a2[k] = v > 0 ? v : 0;
    }
    let o = b3[0];
    for (let k = 0; k < H2; k++) o += w3[k] * a2[k];
    return o;
  }

  function step(): void {
    gw1.fill(0); gb1.fill(0); gw2.fill(0); gb2.fill(0); gw3.fill(0); gb3.fill(0);
    const invN = 1 / n;
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      const r = forward(xi) - y[i];
      const go = (r > 0 ? invN : r < 0 ? -invN : 0);
      gb3[0] += go;
      for (let k = 0; k < H2; k++) {
        gw3[k] += go * a2[k];
        d2[k] = a2[k] > 0 ? go * w3[k] : 0;
        gb2[k] += d2[k];
      }
      d1.fill(0);
      for (let k = 0; k < H2; k++) {
        const dk = d2[k];
        for (let j = 0; j < H1; j++) {
          gw2[k * H1 + j] += dk * a1[j];
          d1[j] += dk * w2[k * H1 + j];
        }
      }
      for (let j = 0; j < H1; j++) {
        const dj = a1[j] > 0 ? d1[j] : 0;
        gw1[j] += dj * xi;
        gb1[j] += dj;
      }
    }
    const update = (w: Float32Array, g: Float32Array) => {
      for (let j = 0; j < w.length; j++) w[j] -= lr * g[j];
    };
    update(w1, gw1); update(b1, gb1); update(w2, gw2); update(b2, gb2); update(w3, gw3); update(b3, gb3);
  }

  return {
    name: 'hand-fused TS loop',
    steps(count) {
      for (let s = 0; s < count; s++) step();
    },
    loss() {
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.abs(forward(x[i]) - y[i]);
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
