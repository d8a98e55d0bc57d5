import embed, { type Result } from 'vega-embed';
import type { VegaLiteSpec } from '@tsgrad/plot/browser';

/**
 * One Vega-Lite plot in the page. Redrawing a spec of the same shape (only its inline data
 * changed) swaps the data in the live view instead of rebuilding it, as the dashboard does.
 */
export class Plot {
  private result: Result | null = null;
  private key: string | null = null;
  /** How many times the plot was drawn (the end-to-end test reads it from data-updates). */
  updates = 0;

  constructor(readonly element: HTMLElement) {}

  async draw(spec: VegaLiteSpec): Promise<void> {
    const { data, ...rest } = spec as { data?: { values?: unknown[] } };
    const key = JSON.stringify(rest);
    if (this.result && key === this.key && data?.values) {
      const view = this.result.view;
      // Vega-Lite names the top-level inline data set source_0.
      await view.change('source_0', view.changeset().remove(() => true).insert(data.values)).runAsync();
    } else {
      this.result?.finalize();
      this.result = await embed(this.element, spec, { actions: false, renderer: 'svg', tooltip: false });
      this.key = key;
    }
    this.updates++;
    this.element.dataset.updates = String(this.updates);
  }
}

/** A one-off plot in a new element appended to `parent`. */
export async function drawInto(parent: HTMLElement, spec: VegaLiteSpec, className = 'plot'): Promise<Plot> {
  const el = document.createElement('div');
  el.className = className;
  parent.append(el);
  const plot = new Plot(el);
  await plot.draw(spec);
  return plot;
}
