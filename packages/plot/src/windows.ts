import { ShapeError, type ComputationGraph, type Tensor } from '@tsgrad/core';
import { toVector, type Vector } from './data.js';
import type { LineMessage, ScatterMessage } from './messages.js';
import { Env, type PlotWindow } from './window.js';

/**
 * Ready-made windows for training scripts. Each returns a standalone window (for saveSvg /
 * savePng) and the messages behind it, so the same plot can be sent to a live dashboard.
 */

/** The loss per epoch (or per step), one or several named curves. */
export function lossCurveWindow(losses: Vector | Record<string, Vector>, opts: { title?: string; x?: Vector; xlabel?: string; win?: string } = {}): PlotWindow {
  const env = new Env();
  const curves = isVectorRecord(losses) ? Object.entries(losses) : [['loss', losses] as const];
  const win = opts.win ?? 'loss';
  curves.forEach(([name, y], j) => {
    env.line(win, {
      y,
      ...(opts.x !== undefined ? { x: opts.x } : {}),
      name,
      ...(j > 0 ? { update: 'replace' as const } : {}),
      opts: { title: opts.title ?? 'training loss', xlabel: opts.xlabel ?? 'epoch', ylabel: 'loss' },
    });
  });
  return env.windows.get(win)!;
}

function isVectorRecord(v: Vector | Record<string, Vector>): v is Record<string, Vector> {
  return v !== null && typeof v === 'object' && !('length' in v) && !('shape' in v);
}

/** Messages drawing the data as points and the model's prediction as a line over sorted x. */
export function fittedCurveMessages(win: string, data: { x: Vector; y: Vector; prediction: Vector }, opts: { title?: string } = {}): (LineMessage | ScatterMessage)[] {
  const op = 'fittedCurveWindow';
  const x = toVector(op, 'x', data.x);
  const y = toVector(op, 'y', data.y);
  const p = toVector(op, 'prediction', data.prediction);
  if (x.length !== y.length || x.length !== p.length) {
    throw new ShapeError(`${op}: x, y and prediction must have the same length, got ${x.length}, ${y.length} and ${p.length}`);
  }
  const order = x.map((_, i) => i).sort((a, b) => x[a]! - x[b]!);
  const title = { title: opts.title ?? 'fitted curve', xlabel: 'x', ylabel: 'y' };
  return [
    { type: 'line', win, name: 'data', x: order.map((i) => x[i]!), y: order.map((i) => y[i]!), style: 'points', opts: title },
    { type: 'line', win, name: 'model', x: order.map((i) => x[i]!), y: order.map((i) => p[i]!), update: 'replace' },
  ];
}

/** The data and the fitted model over it (as two line traces: data and model). */
export function fittedCurveWindow(data: { x: Vector; y: Vector; prediction: Vector }, opts: { title?: string; win?: string } = {}): PlotWindow {
  const env = new Env();
  const win = opts.win ?? 'fit';
  for (const m of fittedCurveMessages(win, data, opts)) env.apply(m);
  return env.windows.get(win)!;
}

/** The computational graph of `graphOf(root)`, with each node's value and gradient. */
export function graphWindow(graph: ComputationGraph | Tensor, opts: { title?: string; win?: string } = {}): PlotWindow {
  if (!('nodes' in graph)) {
    throw new ShapeError('graphWindow: pass graphOf(root) (a ComputationGraph), not the tensor itself');
  }
  return new Env().graph(opts.win ?? 'graph', { graph, ...(opts.title !== undefined ? { opts: { title: opts.title } } : {}) });
}
