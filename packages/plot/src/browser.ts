/**
 * The browser-safe part of @tsgrad/plot (`@tsgrad/plot/browser`): windows, specs, messages, the
 * Graphviz graph and the dashboard client. The file renderer, the dashboard server and the
 * terminal monitor need Node and are only in the main entry.
 */
export type { Vector, Matrix } from './data.js';
export { Series } from './series.js';
export * from './specs.js';
export * from './messages.js';
export { PlotWindow, Env, line, scatter, heatmap, histogram, bar, text, image, graph } from './window.js';
export { graphToDot, graphToSvg } from './graph.js';
export { lossCurveWindow, fittedCurveWindow, fittedCurveMessages, graphWindow } from './windows.js';
export { PlotClient, type PlotClientOptions } from './client.js';
