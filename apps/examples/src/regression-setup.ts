/**
 * The practice program's setup (data, model, loss, optimizer, one step), with no Node or plotting
 * imports, so a browser page can run the very same code: @tsgrad/backend-webgl's Chromium test
 * imports it by relative path. regression.ts re-exports it.
 */
import { datasets, manualSeed, nn, optim, tidy, type Tensor } from 'tsgrad';

export interface RegressionOptions {
  epochs?: number;
  lr?: number;
  seed?: number;
  backend?: string;
}

/** The practice program's data, model, loss and optimizer, ready to step. */
export interface Regression {
  model: nn.Sequential;
  x: Tensor;
  y: Tensor;
  /** One epoch: forward, zeroGrad, loss, backward, step. Returns the loss. */
  step(): number;
}

export function setupRegression(options: RegressionOptions = {}): Regression {
  const seed = options.seed ?? 0;
  manualSeed(seed);

  // x = uniform(1000x1, -15, 15); y_noise = 8x² + 7x + 3 + normal(std 1)
  const { x, y } = datasets.quadratic({ n: 1000, low: -15, high: 15, noiseStd: 1, seed, backend: options.backend });

  const model = new nn.Sequential(new nn.Linear(1, 10), new nn.ReLU(), new nn.Linear(10, 6), new nn.ReLU(), new nn.Linear(6, 1));
  if (options.backend) model.to(options.backend); // the lecture's model.cuda()

  const lossFunc = new nn.L1Loss();
  const optimizer = new optim.SGD(model.parameters(), { lr: options.lr ?? 0.001 });

  const step = () =>
    // tidy frees the step's intermediate tensors; parameters and their gradients are kept.
    tidy(() => {
      const output = model.call(x);
      optimizer.zeroGrad();
      const loss = lossFunc.call(output, y);
      loss.backward();
      optimizer.step();
      return loss.item();
    });
  return { model, x, y, step };
}
