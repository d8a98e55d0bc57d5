/**
 * The lecture's practice program, line for line: fit y = 8x² + 7x + 3 (+ noise) on 1000 points
 * with Linear(1,10) ReLU Linear(10,6) ReLU Linear(6,1), L1 loss and SGD (lr 0.001), 5000 epochs.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PlotClient, TrainingMonitor, fittedCurveMessages, fittedCurveWindow, lossCurveWindow, savePng, saveSvg } from '@tsgrad/plot';
import { nn, noGrad, tidy, type Tensor } from 'tsgrad';
import { setupRegression, type Regression, type RegressionOptions } from './regression-setup.js';

export { setupRegression, type Regression, type RegressionOptions } from './regression-setup.js';

/** Trains for `epochs` (5000) and keeps every loss. */
export function runRegression(options: RegressionOptions = {}): Regression & { losses: number[] } {
  const run = setupRegression(options);
  const losses: number[] = [];
  for (let epoch = 0; epoch < (options.epochs ?? 5000); epoch++) losses.push(run.step());
  return { ...run, losses };
}

function formatParameters(model: nn.Module): string {
  return model
    .namedParameters()
    .map(([name, p]) => `${name} ${JSON.stringify(p.shape)}\n${JSON.stringify(p.toArray(), (_k, v: unknown) => (typeof v === 'number' ? Number(v.toFixed(4)) : v))}`)
    .join('\n');
}

/** The data and the model's prediction at the data's x, as plain arrays for plotting. */
export function fittedCurve(model: nn.Sequential, x: Tensor, y: Tensor): { x: number[]; y: number[]; prediction: number[] } {
  const prediction = tidy(() => noGrad(() => Array.from(model.call(x).dataSync(), Number)));
  return { x: Array.from(x.dataSync(), Number), y: Array.from(y.dataSync(), Number), prediction };
}

/** Writes the loss curve and the fitted curve as SVG and PNG into `dir`; returns the paths. */
export async function writePlots(dir: string, losses: readonly number[], fit: ReturnType<typeof fittedCurve>): Promise<string[]> {
  const loss = lossCurveWindow(losses as number[], { title: 'L1 loss per epoch' });
  const curve = fittedCurveWindow(fit, { title: 'y = 8x² + 7x + 3: data and fitted model' });
  return Promise.all([
    saveSvg(loss, join(dir, 'regression-loss.svg')),
    savePng(loss, join(dir, 'regression-loss.png')),
    saveSvg(curve, join(dir, 'regression-fit.svg')),
    savePng(curve, join(dir, 'regression-fit.png')),
  ]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      epochs: { type: 'string', default: '5000' },
      lr: { type: 'string', default: '0.001' },
      seed: { type: 'string', default: '0' },
      backend: { type: 'string', default: 'cpu' },
      out: { type: 'string', default: 'out' },
      live: { type: 'boolean', default: false },
    },
  });
  const epochs = Number(values.epochs);
  const lr = Number(values.lr);
  const seed = Number(values.seed);
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs must be a positive integer, got ${values.epochs}`);
  if (!(lr > 0)) throw new Error(`--lr must be a positive number, got ${values.lr}`);
  if (!Number.isFinite(seed)) throw new Error(`--seed must be a number, got ${values.seed}`);

  console.log(`regression: ${epochs} epochs, lr ${lr}, seed ${seed}, backend ${values.backend}`);
  // A progress bar and a live loss chart in a terminal; plain lines every 100 epochs otherwise.
  // Epochs are counted from 0 everywhere (terminal, piped output, plots, the docs site), as the lecture's loop does.
  const monitor = new TrainingMonitor({ total: epochs, every: 100, label: 'L1 loss', stepName: 'epoch', zeroBased: true });
  const viz = values.live ? new PlotClient({ env: 'regression' }) : null;
  const { model, x, y, step } = setupRegression({ lr, seed, backend: values.backend });
  const losses: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    const loss = step();
    losses.push(loss);
    monitor.update(loss, epoch);
    if (viz) {
      viz.append('loss', [loss], { x: [epoch], name: 'L1 loss', ...(epoch === 0 ? { opts: { title: 'L1 loss per epoch', xlabel: 'epoch', ylabel: 'L1 loss' } } : {}) });
      if (epoch % 100 === 0 || epoch === epochs - 1) {
        if (epoch % 500 === 0 || epoch === epochs - 1) viz.send(fittedCurveMessages('fit', fittedCurve(model, x, y), { title: `fitted curve, epoch ${epoch}` }));
        await viz.flush(); // lets the queued plots go out while training goes on
      }
    }
  }
  monitor.stop();
  if (process.stdout.isTTY) {
    // The bar and chart replaced the lecture's printed lines while training; print them now.
    console.log('\nloss every 100 epochs:');
    for (let e = 0; e < losses.length; e += 100) console.log(`epoch ${String(e).padStart(5)}  loss ${losses[e].toFixed(4)}`);
  }
  console.log('\nlearned parameters:');
  console.log(formatParameters(model));
  const files = await writePlots(values.out, losses, fittedCurve(model, x, y));
  console.log(`\nplots: ${files.join(', ')}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
