// Compiles one type-test file with tsc --strict (no emit): the output is empty and the status 0
// when every @ts-expect-error line is an error and nothing else is.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export function typecheckStrict(file: string): { output: string; status: number | null } {
  const tsc = join(import.meta.dirname, '../../../../node_modules/typescript/bin/tsc');
  const args = ['--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--lib', 'es2022,esnext.disposable', '--types', 'node', file];
  const r = spawnSync(process.execPath, [tsc, ...args], { encoding: 'utf8' });
  return { output: r.stdout + r.stderr, status: r.status };
}
