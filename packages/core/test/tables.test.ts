// Issue 9: a missing kernel, op rule, saves declaration, forward or switch case is a compile
// error. test/types/tables.ts holds one deliberate omission of each, marked @ts-expect-error:
// tsc fails here if any of them compiles (an unused @ts-expect-error) or anything else is wrong.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('the engine tables are exhaustive by type (test/types/tables.ts)', () => {
  const tsc = join(import.meta.dirname, '../../../node_modules/typescript/bin/tsc');
  const file = join(import.meta.dirname, 'types/tables.ts');
  const args = ['--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--lib', 'es2022,esnext.disposable', '--types', 'node', file];
  const r = spawnSync(process.execPath, [tsc, ...args], { encoding: 'utf8' });
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
}, 60_000);
