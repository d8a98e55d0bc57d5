/**
 * The lecture's practice program, line for line: fit y = 8x² + 7x + 3 (+ noise) on 1000 points
 * with Linear(1,10) ReLU Linear(10,6) ReLU Linear(6,1), L1 loss and SGD (lr 0.001), 5000 epochs.
 */
import { parseArgs } from 'node:util';
import { datasets, manualSeed, nn, optim, tidy, type Tensor } from 'tsgrad';

export interface RegressionOptions {
  epochs?: number;
  lr?: number;
  seed?: number;
  backend?: string;
  /** Called after every epoch with its loss. */
  onEpoch?: (epoch: number, loss: number) => void;
}

export interface RegressionResult {
  losses: number[];
  model: nn.Sequential;
  x: Tensor;
  y: Tensor;
}

export function runRegression(options: RegressionOptions = {}): RegressionResult {
  const epochs = options.epochs ?? 5000;
  const seed = options.seed ?? 0;
  manualSeed(seed);

  // x = uniform(1000x1, -15, 15); y_noise = 8x² + 7x + 3 + normal(std 1)
  const { x, y } = datasets.quadratic({ n: 1000, low: -15, high: 15, noiseStd: 1, seed, backend: options.backend });

  const model = new nn.Sequential(new nn.Linear(1, 10), new nn.ReLU(), new nn.Linear(10, 6), new nn.ReLU(), new nn.Linear(6, 1));
  if (options.backend) model.to(options.backend); // the lecture's model.cuda()

  const lossFunc = new nn.L1Loss();
  const optimizer = new optim.SGD(model.parameters(), { lr: options.lr ?? 0.001 });

  const losses: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    // tidy frees each step's intermediate tensors; parameters and their gradients are kept.
    const loss = tidy(() => {
      const output = model.call(x);
      optimizer.zeroGrad();
      const l = lossFunc.call(output, y);
      l.backward();
      optimizer.step();
      return l.item();
    });
    losses.push(loss);
    options.onEpoch?.(epoch, loss);
  }
  return { losses, model, x, y };
}

function formatParameters(model: nn.Module): string {
  return model
    .namedParameters()
    .map(([name, p]) => `${name} ${JSON.stringify(p.shape)}\n${JSON.stringify(p.toArray(), (_k, v: unknown) => (typeof v === 'number' ? Number(v.toFixed(4)) : v))}`)
    .join('\n');
}

function main(): void {
  const { values } = parseArgs({
    options: {
      epochs: { type: 'string', default: '5000' },
      lr: { type: 'string', default: '0.001' },
      seed: { type: 'string', default: '0' },
      backend: { type: 'string', default: 'cpu' },
    },
  });
  const epochs = Number(values.epochs);
  const lr = Number(values.lr);
  const seed = Number(values.seed);
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs must be a positive integer, got ${values.epochs}`);
  if (!(lr > 0)) throw new Error(`--lr must be a positive number, got ${values.lr}`);
  if (!Number.isFinite(seed)) throw new Error(`--seed must be a number, got ${values.seed}`);

  console.log(`regression: ${epochs} epochs, lr ${lr}, seed ${seed}, backend ${values.backend}`);
  const { model } = runRegression({
    epochs,
    lr,
    seed,
    backend: values.backend,
    onEpoch: (epoch, loss) => {
      if (epoch % 100 === 0 || epoch === epochs - 1) console.log(`epoch ${String(epoch).padStart(5)}  loss ${loss.toFixed(4)}`);
    },
  });
  console.log('\nlearned parameters:');
  console.log(formatParameters(model));
}

if (import.meta.url === `file://${process.argv[1]}`) main();
