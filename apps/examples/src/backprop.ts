/**
 * The lecture's two computational graphs, each printed node by node with its forward value and
 * its gradient (d output / d node): f = (x + y)·z and the sigmoid gate.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import '@tsgrad/backend-cpu';
import { graphOf, tensor, type ComputationGraph, type Tensor } from '@tsgrad/core';
import { graphWindow, saveSvg } from '@tsgrad/plot';

const leaf = (name: string, value: number): Tensor => {
  const t = tensor(value, { dtype: 'float64', requiresGrad: true });
  t.name = name;
  return t;
};
const named = (t: Tensor, name: string): Tensor => {
  t.name = name;
  return t;
};

export function additionGraph(): { output: Tensor; graph: ComputationGraph } {
  const x = leaf('x', -2);
  const y = leaf('y', 5);
  const z = leaf('z', -4);
  const q = named(x.add(y), 'q');
  const f = named(q.mul(z), 'f');
  return { output: f, graph: graphOf(f) };
}

export function sigmoidGate(): { output: Tensor; graph: ComputationGraph } {
  const w0 = leaf('w0', 2);
  const x0 = leaf('x0', -1);
  const w1 = leaf('w1', -3);
  const x1 = leaf('x1', -2);
  const w2 = leaf('w2', -3);
  // The gates of the slide: a·x, c + x, e^x, 1/x.
  const dot = named(w0.mul(x0).add(w1.mul(x1)).add(w2), 'w·x');
  const f = named(dot.neg().exp().add(1).pow(-1), 'σ');
  return { output: f, graph: graphOf(f) };
}

export function formatGraph(title: string, graph: ComputationGraph): string {
  const rows = graph.nodes.map((n) => [n.label ?? n.id, n.op, fmtNum(n.value[0]), n.grad ? fmtNum(n.grad[0]) : '-']);
  const header = ['node', 'op', 'value', 'gradient'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [title, line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const fmtNum = (v: number | undefined) => (v === undefined ? '-' : Number(v.toFixed(4)).toString());

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string', default: 'out' } } });
  const add = additionGraph();
  const gate = sigmoidGate();
  const addTitle = 'f(x, y, z) = (x + y)·z at x=-2, y=5, z=-4';
  const gateTitle = 'f(w, x) = 1 / (1 + e^-(w0·x0 + w1·x1 + w2)) at w0=2, x0=-1, w1=-3, x1=-2, w2=-3';
  console.log(formatGraph(addTitle, add.graph));
  console.log();
  console.log(formatGraph(gateTitle, gate.graph));
  const files = await Promise.all([
    saveSvg(graphWindow(add.graph, { title: addTitle }), join(values.out, 'backprop-add.svg')),
    saveSvg(graphWindow(gate.graph, { title: gateTitle }), join(values.out, 'backprop-sigmoid.svg')),
  ]);
  console.log(`\ngraphs: ${files.join(', ')}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
