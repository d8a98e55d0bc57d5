/**
 * The lecture's activation table: every activation and its derivative (by autograd) evaluated on
 * the page's backend over z in [-3, 3], each with its definition, its use and a line plot
 * (@tsgrad/plot), plus each function's value and derivative at the kink z = 0.
 */
import { activationTable, linspace, tensor, tidy } from 'tsgrad';
import { line, type VegaLiteSpec } from '@tsgrad/plot/browser';

export interface ActivationPlot {
  name: string;
  definition: string;
  usedIn: string;
  /** f(z) at each of the sampled z. */
  values: number[];
  /** f'(z) at each of the sampled z, from backward(). */
  derivatives: number[];
  /** f(0) and f'(0): the conventions at the kinks (the step's 0.5, ReLU's 0). */
  atZero: { value: number; derivative: number };
  spec: VegaLiteSpec;
}

export function activationPlots(points = 121): ActivationPlot[] {
  // tidy frees z and every activation's output once their values are read.
  return tidy(() => {
    // 121 points put z = 0 exactly on the grid, where step and sign take their middle value.
    const zs = Array.from(linspace(-3, 3, points).dataSync());
    return activationTable.map((row) => {
      const z = tensor(zs, { requiresGrad: true });
      const out = row.fn(z);
      out.sum().backward(); // ∂(Σ f(zᵢ))/∂zᵢ = f'(zᵢ): every derivative in one pass
      const values = Array.from(out.dataSync());
      const derivatives = Array.from(z.grad!.dataSync());
      const zero = zs.indexOf(0);
      const window = line({
        x: zs,
        y: zs.map((_, i) => [values[i]!, derivatives[i]!]),
        legend: ['f(z)', "f'(z)"],
        opts: { title: row.name, xlabel: 'z', width: 200, height: 130 },
      });
      return { name: row.name, definition: row.definition, usedIn: row.usedIn, values, derivatives, atZero: { value: values[zero]!, derivative: derivatives[zero]! }, spec: window.toSpec() };
    });
  });
}
