/**
 * The lecture's two computational graphs, each printed node by node with its forward value and
 * its gradient (d output / d node): f = (x + y)·z and the sigmoid gate.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ComputationGraph } from 'tsgrad';
import { graphWindow, saveSvg } from '@tsgrad/plot';
import { ADDITION_TITLE, SIGMOID_TITLE, additionGraph, sigmoidGate } from './graphs.js';

export { additionGraph, sigmoidGate } from './graphs.js';

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
  const addTitle = ADDITION_TITLE;
  const gateTitle = SIGMOID_TITLE;
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
