/**
 * The lecture's table of activation functions: each row's definition, where it is used, its
 * values at a few points (the conventions at 0 included), and all of them drawn over z in [-3, 3].
 * Also the lecture's point about stacking: without an activation, layers collapse to one linear map.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { line, savePng, saveSvg } from '@tsgrad/plot';
import { activationTable, linspace, manualSeed, nn, noGrad, tensor, tidy } from 'tsgrad';

const POINTS = [-1, -0.5, 0, 0.5, 1];

/** Each row of the table with its values at POINTS. */
export function activationValues(): { name: string; definition: string; usedIn: string; values: number[] }[] {
  return activationTable.map((row) => ({
    name: row.name,
    definition: row.definition,
    usedIn: row.usedIn,
    values: tidy(() => Array.from(row.fn(tensor(POINTS)).dataSync(), Number)),
  }));
}

/** The terminal width the table keeps to. */
export const TABLE_WIDTH = 100;

/**
 * The table in two parts that each fit TABLE_WIDTH columns: what each function is and where it is
 * used (long cells wrapped at word boundaries), then its values at z = -1, -0.5, 0, 0.5, 1.
 */
export function formatActivationTable(): string {
  const rows = activationValues();
  const described = formatTable(
    ['activation', 'definition', 'used in'],
    rows.map((r) => [r.name, r.definition, r.usedIn]),
    [22, 32, 40],
  );
  const values = formatTable(
    ['activation', ...POINTS.map((z) => `z = ${z}`)],
    rows.map((r) => [r.name, ...r.values.map((v) => String(Number(v.toFixed(4))))]),
    [22, 9, 9, 9, 9, 9],
  );
  return `${described}\n\n${values}`;
}

/** A plain-text table; each cell wrapped to its column's width (words longer than it are cut). */
function formatTable(header: string[], rows: string[][], maxWidths: number[]): string {
  const wrap = (text: string, width: number): string[] => {
    const lines: string[] = [];
    let current = '';
    for (const word of text.split(' ')) {
      const next = current ? `${current} ${word}` : word;
      if (next.length <= width) current = next;
      else {
        if (current) lines.push(current);
        current = word.length <= width ? word : word.slice(0, width);
      }
    }
    lines.push(current);
    return lines;
  };
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.min(maxWidths[i], Math.max(...all.map((r) => r[i].length))));
  const out: string[] = [];
  const emit = (cells: string[]) => {
    const wrapped = cells.map((c, i) => wrap(c, widths[i]));
    const height = Math.max(...wrapped.map((w) => w.length));
    for (let l = 0; l < height; l++) out.push(wrapped.map((w, i) => (w[l] ?? '').padEnd(widths[i])).join('  ').trimEnd());
  };
  emit(header);
  out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) emit(r);
  return out.join('\n');
}

/** All activations over z in [-3, 3], one trace each. */
export function activationPlot() {
  const z = linspace(-3, 3, 601);
  const zs = Array.from(z.dataSync(), Number);
  const curves = activationTable.map((row) => tidy(() => Array.from(row.fn(z).dataSync(), Number)));
  const y = zs.map((_, i) => curves.map((c) => c[i]));
  return line({ x: zs, y, legend: activationTable.map((r) => r.name), opts: { title: "The lecture's activation functions", xlabel: 'z', ylabel: 'activation(z)' } });
}

/**
 * Three Linear layers with no activation between them equal one Linear layer: returns the
 * largest difference between the stack's output and W x + b with W = W3 W2 W1.
 */
export function collapseWithoutActivation(): number {
  manualSeed(1);
  const stack = new nn.Sequential(new nn.Linear(3, 4), new nn.Linear(4, 4), new nn.Linear(4, 2));
  return tidy(() =>
    noGrad(() => {
      const [l1, l2, l3] = [...stack] as nn.Linear[];
      const w = l3.weight.matmul(l2.weight).matmul(l1.weight); // [2, 3]
      const b = l3.weight.matmul(l2.weight.matmul(l1.bias!).add(l2.bias!)).add(l3.bias!);
      const x = linspace(-1, 1, 15).reshape([5, 3]);
      const single = x.matmul(w.T).add(b);
      return stack.call(x).sub(single).abs().max().item();
    }),
  );
}

/** The shapes through a chain of layers, as the lecture draws 3x4 · 4x4 · 4x2. */
export function chainShapes(): string[] {
  const model = new nn.Sequential(new nn.Linear(4, 4), new nn.ReLU(), new nn.Linear(4, 2));
  let h = tensor([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]);
  const lines = [`input ${JSON.stringify(h.shape)}`];
  for (const [name, m] of model.namedChildren()) {
    const weight = m instanceof nn.Linear ? ` (weight ${JSON.stringify(m.weight.shape)}, applied as x · Wᵀ)` : '';
    h = noGrad(() => (m as nn.Sequential).call(h));
    lines.push(`after ${name} ${m.constructor.name}${weight}: ${JSON.stringify(h.shape)}`);
  }
  return lines;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string', default: 'out' } } });
  console.log(formatActivationTable());
  console.log(`\nThree Linear layers without activations vs one Linear layer W3·W2·W1: largest difference ${collapseWithoutActivation().toExponential(2)}`);
  console.log('(without a non-linearity the stack is one linear function: activations add the non-linearity)\n');
  console.log('Shapes through Linear(4,4) ReLU Linear(4,2) for a batch of 3:');
  for (const l of chainShapes()) console.log(`  ${l}`);
  const plot = activationPlot();
  const files = await Promise.all([saveSvg(plot, join(values.out, 'activations.svg')), savePng(plot, join(values.out, 'activations.png'))]);
  console.log(`\nplot: ${files.join(', ')}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
