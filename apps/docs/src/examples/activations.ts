/**
 * The lecture's activation table: every activation evaluated on the page's backend over
 * z in [-3, 3], each with its definition, its use and a line plot (@tsgrad/plot).
 */
import { activationTable, linspace, tidy } from 'tsgrad';
import { line, type VegaLiteSpec } from '@tsgrad/plot/browser';

export interface ActivationPlot {
  name: string;
  definition: string;
  usedIn: string;
  /** f(z) at each of the sampled z. */
  values: number[];
  spec: VegaLiteSpec;
}

export function activationPlots(points = 121): ActivationPlot[] {
  // tidy frees z and every activation's output once their values are read.
  return tidy(() => {
    // 121 points put z = 0 exactly on the grid, where step and sign take their middle value.
    const z = linspace(-3, 3, points);
    const zs = Array.from(z.dataSync());
    return activationTable.map((row) => {
      const values = Array.from(row.fn(z).dataSync());
      const window = line({ x: zs, y: values, name: row.name, opts: { title: row.name, xlabel: 'z', ylabel: 'f(z)', width: 200, height: 130 } });
      return { name: row.name, definition: row.definition, usedIn: row.usedIn, values, spec: window.toSpec() };
    });
  });
}
