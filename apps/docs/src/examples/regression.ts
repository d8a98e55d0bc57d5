/**
 * The lecture's practice program in the browser: the model, data, loss and optimizer come from
 * apps/examples' setupRegression (the same code the Node program runs), moved to the page's
 * backend. Every `every` epochs the loss curve and the fitted curve are redrawn; the loop yields
 * to the browser after each redraw (and every 50 ms of training) so the page stays responsive.
 */
import { noGrad, tidy } from 'tsgrad';
import { fittedCurveWindow, lossCurveWindow, type VegaLiteSpec } from '@tsgrad/plot/browser';
import { setupRegression } from '../../../examples/src/regression-setup.js';

export interface RegressionProgress {
  epoch: number;
  /** Every loss so far, one per epoch. */
  losses: readonly number[];
  lossSpec: VegaLiteSpec;
  fitSpec: VegaLiteSpec;
}

export interface LearnedParameter {
  name: string;
  shape: number[];
  values: number[];
}

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export async function trainRegression(options: {
  backend: string;
  epochs?: number;
  every?: number;
  onProgress: (progress: RegressionProgress) => Promise<void> | void;
}): Promise<{ losses: number[]; parameters: LearnedParameter[] }> {
  const epochs = options.epochs ?? 5000;
  const every = options.every ?? 50;
  const run = setupRegression({ lr: 0.001, seed: 0, backend: options.backend });
  const x = Array.from(run.x.dataSync());
  const y = Array.from(run.y.dataSync());
  const losses: number[] = [];
  let lastYield = performance.now();
  for (let epoch = 1; epoch <= epochs; epoch++) {
    losses.push(run.step());
    // On a slow device a chunk can take long: also yield every 50 ms so clicks and scrolling go on.
    if (performance.now() - lastYield > 50) {
      await nextTask();
      lastYield = performance.now();
    }
    if (epoch % every === 0 || epoch === epochs) {
      const prediction = tidy(() => noGrad(() => Array.from(run.model.call(run.x).dataSync())));
      const lossWindow = lossCurveWindow(losses, { title: 'L1 loss', x: losses.map((_, i) => i + 1) });
      const fitWindow = fittedCurveWindow({ x, y, prediction }, { title: `the data and the model at epoch ${epoch}` });
      // Side by side on the page.
      for (const w of [lossWindow, fitWindow]) w.opts = { ...w.opts, width: 400, height: 260 };
      await options.onProgress({ epoch, losses, lossSpec: lossWindow.toSpec(), fitSpec: fitWindow.toSpec() });
      await nextTask();
      lastYield = performance.now();
    }
  }
  // The lecture prints the learned parameters at the end.
  const parameters = run.model.namedParameters().map(([name, t]) => ({ name, shape: [...t.shape], values: Array.from(t.dataSync()) }));
  for (const t of [run.x, run.y, ...run.model.parameters()]) t.dispose();
  return { losses, parameters };
}
