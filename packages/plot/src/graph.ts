import type { ComputationGraph, GraphNodeInfo } from '@tsgrad/core';
import { Graphviz } from '@hpcc-js/wasm-graphviz';

const SYMBOLS: Record<string, string> = {
  add: '+',
  sub: '−',
  mul: '×',
  div: '÷',
  neg: '−x',
  exp: 'exp',
  pow: 'pow',
  matmul: '@',
};

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function fmt(values: number[], shape: number[]): string {
  const size = shape.reduce((a, b) => a * b, 1);
  const nums = values.slice(0, 4).map((v) => (Number.isInteger(v) ? String(v) : Number(v.toPrecision(3)).toString()));
  if (size <= 1) return nums[0] ?? '';
  return `[${nums.join(', ')}${size > nums.length ? ', …' : ''}]`;
}

/**
 * The graph in Graphviz's DOT language, drawn left to right as the lecture draws
 * f = (x+y)·z: each node shows its name or op, its forward value (green) and d root/d node (red).
 */
export function graphToDot(graph: ComputationGraph, opts: { title?: string } = {}): string {
  const lines = [
    'digraph tsgrad {',
    '  rankdir=LR; bgcolor="white"; nodesep=0.35; ranksep=0.5;',
    '  node [shape=plaintext, fontname="Helvetica", fontsize=12];',
    '  edge [color="#555555", arrowsize=0.7];',
  ];
  if (opts.title) lines.push(`  label=<${escapeHtml(opts.title)}>; labelloc=t; fontname="Helvetica"; fontsize=14;`);
  for (const n of graph.nodes) lines.push(`  "${n.id}" [label=<${nodeLabel(n)}>];`);
  for (const e of graph.edges) lines.push(`  "${e.from}" -> "${e.to}";`);
  lines.push('}');
  return lines.join('\n');
}

function nodeLabel(n: GraphNodeInfo): string {
  const isInput = n.op === 'input';
  const head = n.label ?? (isInput ? n.id : SYMBOLS[n.op] ?? n.op);
  const sub = n.label !== undefined && !isInput ? ` (${SYMBOLS[n.op] ?? n.op})` : '';
  const fill = isInput ? '#eef4ff' : '#fff7e6';
  const rows = [
    `<TR><TD BGCOLOR="${fill}"><B>${escapeHtml(head + sub)}</B></TD></TR>`,
    `<TR><TD><FONT COLOR="#1a7f37">${escapeHtml(fmt(n.value, n.shape))}</FONT></TD></TR>`,
  ];
  if (n.grad) rows.push(`<TR><TD><FONT COLOR="#c62828">∂ ${escapeHtml(fmt(n.grad, n.shape))}</FONT></TD></TR>`);
  return `<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4" STYLE="rounded">${rows.join('')}</TABLE>`;
}

let graphviz: Promise<Graphviz> | undefined;

/** Lays the graph out with Graphviz (WebAssembly, no network) and returns the SVG. */
export async function graphToSvg(graph: ComputationGraph, opts: { title?: string } = {}): Promise<string> {
  graphviz ??= Graphviz.load();
  const gv = await graphviz;
  return gv.dot(graphToDot(graph, opts), 'svg');
}
