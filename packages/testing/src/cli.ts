#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assertDType, getBackend, isFloat, type DType } from '@tsgrad/core';
// Registers "cpu", the default backend.
import '@tsgrad/backend-cpu';
import { catalogueEntry, differentiableOps } from './catalogue.js';
import { formatGradcheckTable, runGradcheck } from './check.js';

const USAGE = `Usage: tsgrad-gradcheck [--backend cpu] [--dtype float64] [--cases 100] [--seed N] [--op name]...

Checks the gradient of every differentiable op of @tsgrad/core against central differences on
random inputs and prints one row per op. Exits 1 when an op fails, 2 on a usage error.
A backend other than cpu is loaded from the package @tsgrad/backend-<name>.`;

export interface CliIO {
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface CliOptions {
  backend: string;
  dtype: DType;
  cases: number;
  seed: number;
  ops: string[];
}

/** Parses the command line; throws a RangeError with the reason on bad input. */
export function parseArgs(argv: readonly string[]): CliOptions | 'help' {
  const o: CliOptions = { backend: 'cpu', dtype: 'float64', cases: 100, seed: 0, ops: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return 'help';
    // pnpm forwards the separator of `pnpm gradcheck -- --op sin`.
    if (arg === '--') continue;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new RangeError(`${flag} needs a value.`);
      return v;
    };
    const integer = (min: number) => {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new RangeError(`${flag} must be an integer >= ${min}, got "${v}".`);
      return n;
    };
    switch (flag) {
      case '--backend': o.backend = value(); break;
      case '--dtype': {
        const d = value();
        assertDType(d, 'tsgrad-gradcheck --dtype');
        if (!isFloat(d)) throw new RangeError(`--dtype must be a float dtype (float32 or float64), got ${d}.`);
        o.dtype = d;
        break;
      }
      case '--cases': o.cases = integer(1); break;
      case '--seed': o.seed = integer(0); break;
      case '--op': o.ops.push(value()); break;
      default: throw new RangeError(`unknown argument "${arg}".`);
    }
  }
  return o;
}

async function loadBackend(name: string): Promise<void> {
  if (name === 'cpu') return;
  // A contributor's backend registers itself under its name when imported.
  await import(`@tsgrad/backend-${name}`);
  getBackend(name);
}

/** The command: returns the exit code (0 all ops pass, 1 a failure, 2 a usage error). */
export async function main(argv: readonly string[], io: CliIO = { out: (l) => console.log(l), err: (l) => console.error(l) }): Promise<number> {
  let options: CliOptions | 'help';
  try {
    options = parseArgs(argv);
    if (options === 'help') {
      io.out(USAGE);
      return 0;
    }
    const ops = options.ops.length > 0 ? options.ops.map(catalogueEntry) : differentiableOps;
    const nonDiff = ops.find((e) => !e.differentiable);
    if (nonDiff) throw new RangeError(`"${nonDiff.name}" has no gradient to check.`);
    await loadBackend(options.backend);
    const backend = getBackend(options.backend);
    if (!backend.floatDTypes.includes(options.dtype)) {
      throw new RangeError(`backend "${options.backend}" does not compute in ${options.dtype}; it offers ${backend.floatDTypes.join(', ')}.`);
    }
    io.out(`gradcheck: backend ${options.backend}, ${options.dtype}, ${options.cases} cases per op, seed ${options.seed}`);
    const rows = runGradcheck({ backend: options.backend, dtype: options.dtype, cases: options.cases, seed: options.seed, ops });
    io.out(formatGradcheckTable(rows));
    const failed = rows.filter((r) => !r.ok);
    for (const r of failed) io.err(`FAIL ${r.op}: ${r.failure}`);
    io.out(failed.length === 0 ? `all ${rows.length} ops pass` : `${failed.length} of ${rows.length} ops fail`);
    return failed.length === 0 ? 0 : 1;
  } catch (e) {
    io.err(`tsgrad-gradcheck: ${e instanceof Error ? e.message : String(e)}`);
    io.err('Run tsgrad-gradcheck --help for usage.');
    return 2;
  }
}

/** True when this file is the program node runs (also through the bin symlink), not an import. */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
