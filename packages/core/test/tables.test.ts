// Issue 9: a missing kernel, op rule, saves declaration, forward or switch case is a compile
// error. test/types/tables.ts holds one deliberate omission of each, marked @ts-expect-error:
// tsc fails here if any of them compiles (an unused @ts-expect-error) or anything else is wrong.
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { typecheckStrict } from './types/strict.js';

it('the engine tables are exhaustive by type (test/types/tables.ts)', () => {
  const r = typecheckStrict(join(import.meta.dirname, 'types/tables.ts'));
  expect(r.output).toBe('');
  expect(r.status).toBe(0);
}, 60_000);
