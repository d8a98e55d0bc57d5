import { matmul, noGrad, setBackend, tensor, tidy, keep, type Tensor } from '@tsgrad/core';
import '@tsgrad/backend-cpu';
import '@tsgrad/backend-wasm';
import { BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, Sequential } from '@tsgrad/layers';
import { ReLU } from '@tsgrad/activations';
import { Adam, SGD } from '@tsgrad/optimizers';
import { CrossEntropyLoss, L1Loss } from '@tsgrad/losses';
import type { CnnData, ConvInit, LayerInit, MlpData, RegressionData } from './data.js';
import type { Runner } from './runner.js';

interface Param {
  w: Tensor;
  b: Tensor;
}

function params(layers: readonly LayerInit[]): Param[] {
  return layers.map((l) => ({
    w: keep(tensor(l.weight, { shape: [l.outF, l.inF], requiresGrad: true })),
    b: keep(tensor(l.bias, { shape: [l.outF], requiresGrad: true })),
  }));
}

/** x Wᵀ + b, ReLU between layers: what a Linear/ReLU stack records, written with core ops. */
function forward(ps: readonly Param[], x: Tensor): Tensor {
  let h = x;
  for (let i = 0; i < ps.length; i++) {
    h = matmul(h, ps[i].w, { transposeB: true }).add(ps[i].b);
    if (i < ps.length - 1) h = h.relu();
  }
  return h;
}

function sgd(ps: readonly Param[], lr: number): void {
  noGrad(() => {
    for (const p of ps) for (const t of [p.w, p.b]) t.assign(t.sub((t.grad as Tensor).mul(lr)));
  });
}

function zeroGrad(ps: readonly Param[]): void {
  for (const p of ps) {
    p.w.grad = null;
    p.b.grad = null;
  }
}

/** The tsgrad backends the bench runs: the reference CPU backend and the wasm SIMD one. */
export type TsgradBackend = 'cpu' | 'wasm';
const label = (backend: TsgradBackend, what: string) => (backend === 'cpu' ? `tsgrad (${what})` : `tsgrad on wasm backend (${what})`);
/** Makes `backend` current while a runner is built (its tensors and modules go there) and whenever it runs. */
const enter = (backend: TsgradBackend) => async () => {
  setBackend(backend);
};

const l1 = (out: Tensor, y: Tensor) => out.sub(y).abs().mean();
/** Cross-entropy from logits and one-hot targets, mean over the batch. */
const crossEntropy = (logits: Tensor, oneHot: Tensor) => logits.logSoftmax(-1).mul(oneHot).sum(-1).mean().neg();

/** The step as the issue first asks for it: core ops, each step in tidy(). */
export function tsgradCoreRegression(d: RegressionData, backend: TsgradBackend = 'cpu'): Runner {
  setBackend(backend);
  const x = keep(tensor(d.x, { shape: [d.n, 1] }));
  const y = keep(tensor(d.y, { shape: [d.n, 1] }));
  const ps = params(d.layers);
  return {
    name: label(backend, 'core ops'),
    enter: enter(backend),
    steps(n) {
      for (let s = 0; s < n; s++) {
        tidy(() => {
          const loss = l1(forward(ps, x), y);
          zeroGrad(ps);
          loss.backward();
          sgd(ps, d.lr);
        });
      }
    },
    loss: () => tidy(() => noGrad(() => l1(forward(ps, x), y).item())),
  };
}

/** A Sequential of Linear and ReLU modules with the SGD optimizer: the lecture's program. */
export function moduleModel(layers: readonly LayerInit[]): Sequential {
  const mods = [];
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    const lin = new Linear(l.inF, l.outF);
    noGrad(() => {
      lin.weight.assign(tensor(l.weight, { shape: [l.outF, l.inF] }));
      (lin.bias as Tensor).assign(tensor(l.bias, { shape: [l.outF] }));
    });
    mods.push(lin);
    if (i < layers.length - 1) mods.push(new ReLU());
  }
  return new Sequential(...mods);
}

export function tsgradModuleRegression(d: RegressionData, backend: TsgradBackend = 'cpu'): Runner {
  setBackend(backend);
  const x = keep(tensor(d.x, { shape: [d.n, 1] }));
  const y = keep(tensor(d.y, { shape: [d.n, 1] }));
  const model = moduleModel(d.layers);
  const opt = new SGD(model.parameters(), { lr: d.lr });
  const lossFunc = new L1Loss();
  return {
    name: label(backend, 'Sequential + L1Loss + SGD'),
    enter: enter(backend),
    steps(n) {
      for (let s = 0; s < n; s++) {
        tidy(() => {
          const out = model.call(x);
          opt.zeroGrad();
          const loss = lossFunc.call(out, y);
          loss.backward();
          opt.step();
        });
      }
    },
    loss: () => tidy(() => noGrad(() => l1(model.call(x), y).item())),
  };
}

export function tsgradModuleMlp(d: MlpData, backend: TsgradBackend = 'cpu'): Runner {
  setBackend(backend);
  const x = keep(tensor(d.x, { shape: [d.batch, d.sizes[0]] }));
  const t = keep(tensor(d.oneHot, { shape: [d.batch, d.sizes[d.sizes.length - 1]] }));
  const model = moduleModel(d.layers);
  const opt = new SGD(model.parameters(), { lr: d.lr });
  return {
    name: label(backend, 'Module + SGD'),
    enter: enter(backend),
    steps(n) {
      for (let s = 0; s < n; s++) {
        tidy(() => {
          const out = model.call(x);
          opt.zeroGrad();
          crossEntropy(out, t).backward();
          opt.step();
        });
      }
    },
    loss: () => tidy(() => noGrad(() => crossEntropy(model.call(x), t).item())),
  };
}

function convLayer(c: ConvInit): Conv2d {
  const conv = new Conv2d(c.inC, c.outC, c.k, { padding: 1 });
  noGrad(() => {
    conv.weight.assign(tensor(c.weight, { shape: [c.outC, c.inC, c.k, c.k] }));
    (conv.bias as Tensor).assign(tensor(c.bias, { shape: [c.outC] }));
  });
  return conv;
}

/** The MNIST example's model (apps/examples/src/mnist-model.ts) with the bench's initial weights. */
export function cnnModel(d: CnnData): Sequential {
  const [fc1, fc2] = moduleModel(d.dense).children().filter((m) => m instanceof Linear) as Linear[];
  return new Sequential(
    convLayer(d.convs[0]),
    new BatchNorm2d(16),
    new ReLU(),
    new MaxPool2d(2),
    convLayer(d.convs[1]),
    new BatchNorm2d(32),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    fc1,
    new ReLU(),
    fc2,
  );
}

/** One Adam step of the MNIST CNN per iteration, as apps/examples/src/mnist.ts trains it. */
export function tsgradCnn(d: CnnData, backend: TsgradBackend = 'cpu'): Runner {
  setBackend(backend);
  const x = keep(tensor(d.x, { shape: [d.batch, 1, 28, 28] }));
  const y = keep(tensor(d.labels, { shape: [d.batch], dtype: 'int32' }));
  const model = cnnModel(d);
  model.train();
  const opt = new Adam(model.parameters(), { lr: d.lr });
  const lossFunc = new CrossEntropyLoss();
  return {
    name: label(backend, 'Sequential + CrossEntropyLoss + Adam'),
    enter: enter(backend),
    steps(n) {
      for (let s = 0; s < n; s++) {
        tidy(() => {
          opt.zeroGrad();
          const loss = lossFunc.call(model.call(x) as Tensor, y);
          loss.backward();
          opt.step();
        });
      }
    },
    // Training mode (batch statistics), as TensorFlow.js's training-mode forward pass.
    loss: () => tidy(() => noGrad(() => lossFunc.call(model.call(x) as Tensor, y).item())),
  };
}
