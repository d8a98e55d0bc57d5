import fc from 'fast-check';
import { gradcheck, GradcheckError, tidy, type DType, type GradcheckReport, type Tensor } from '@tsgrad/core';
import type { OpEntry, OpInstance } from './catalogue.js';
import { toTensor } from './spec.js';

/** The instance's inputs as tensors on `backend` (float inputs in `dtype`). */
export function materialize(instance: OpInstance, dtype: DType = 'float64', backend?: string): Tensor[] {
  return instance.inputs.map((spec) => toTensor(spec, dtype, backend));
}

export interface CheckOptions {
  /** Float dtype of the inputs (default float64). */
  dtype?: DType;
  /** Backend name (default: the current backend). */
  backend?: string;
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Check one random projection instead of the full Jacobian. */
  fast?: boolean;
  /** Throw a GradcheckError on a mismatch (default true). */
  raise?: boolean;
}

/**
 * core's gradcheck on one catalogue instance, with the entry's own settings (a caller's win),
 * freeing every tensor it made.
 */
export function checkGradient(entry: OpEntry, instance: OpInstance, options: CheckOptions = {}): GradcheckReport {
  const { dtype = 'float64', backend, ...rest } = options;
  return tidy(() => {
    const inputs = materialize(instance, dtype, backend);
    return gradcheck(instance.fn, inputs, {
      ...entry.gradcheck,
      ...definedOnly(rest),
      names: instance.inputs.map((_, i) => `${instance.op} input ${i}`),
    });
  });
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export interface GradcheckRow {
  op: string;
  cases: number;
  maxAbsError: number;
  maxRelError: number;
  ok: boolean;
  /** The first failing instance and why, when the op failed. */
  failure?: string;
}

export interface GradcheckRunOptions {
  backend?: string;
  dtype?: DType;
  /** Random instances per op (default 100). */
  cases?: number;
  seed?: number;
  /** Entries to check (default: every differentiable op). */
  ops: readonly OpEntry[];
  eps?: number;
  atol?: number;
  rtol?: number;
}

/** Gradient-checks each op on `cases` random instances drawn with `seed`; one row per op. */
export function runGradcheck(options: GradcheckRunOptions): GradcheckRow[] {
  const { cases = 100, seed = 0, ops, ...check } = options;
  return ops.map((entry) => {
    const row: GradcheckRow = { op: entry.name, cases: 0, maxAbsError: 0, maxRelError: 0, ok: true };
    for (const instance of fc.sample(entry.arb, { seed, numRuns: cases })) {
      row.cases++;
      let report: GradcheckReport;
      try {
        report = checkGradient(entry, instance, { ...check, raise: false });
      } catch (e) {
        row.ok = false;
        row.failure ??= `${fc.stringify(instance)}: ${e instanceof Error ? e.message : String(e)}`;
        continue;
      }
      row.maxAbsError = Math.max(row.maxAbsError, report.maxAbsError);
      row.maxRelError = Math.max(row.maxRelError, report.maxRelError);
      if (!report.ok) {
        row.ok = false;
        row.failure ??= `${fc.stringify(instance)}: ${new GradcheckError(report).message}`;
      }
    }
    return row;
  });
}

/** The rows as an aligned text table: op, cases, largest absolute and relative error, verdict. */
export function formatGradcheckTable(rows: readonly GradcheckRow[]): string {
  const header = ['op', 'cases', 'max abs error', 'max rel error', 'verdict'];
  const body = rows.map((r) => [r.op, String(r.cases), r.maxAbsError.toExponential(2), r.maxRelError.toExponential(2), r.ok ? 'ok' : 'FAIL']);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
