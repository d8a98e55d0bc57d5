export * from './browser.js';
export { toSvg, toPng, saveSvg, savePng, type Drawable } from './render.js';
export { startServer, type PlotServer, type ServerOptions } from './server.js';
export { TrainingMonitor, type TrainingMonitorOptions } from './terminal.js';
