import { describe, it } from 'vitest';
import { registerBackend, type Backend } from '@tsgrad/core';
import { conformanceChecks, type ConformanceCheck, type ConformanceOptions } from './conformance.js';

export { DEFAULT_TOLERANCES, type ConformanceOptions, type Tolerance } from './conformance.js';

interface Group {
  readonly name: string;
  readonly children: (Group | ConformanceCheck)[];
}

/** The checks as a tree of their paths, in order. */
function tree(checks: readonly ConformanceCheck[]): Group {
  const root: Group = { name: '', children: [] };
  for (const check of checks) {
    let group = root;
    for (const part of check.path) {
      let next = group.children.find((c): c is Group => 'children' in c && c.name === part);
      if (!next) group.children.push((next = { name: part, children: [] }));
      group = next;
    }
    group.children.push(check);
  }
  return root;
}

function declare(group: Group): void {
  for (const child of group.children) {
    if ('children' in child) describe(child.name, () => declare(child));
    else it.skipIf(child.skip)(child.name, () => child.run());
  }
}

/**
 * Registers the suite every tsgrad backend passes, under vitest: the backend is registered as
 * `name` (from `createBackend`) and compared with a float64 CPU reference on every primitive,
 * every gradient, memory bookkeeping, errors and storage of every dtype. One test per check of
 * `conformanceChecks` (from `@tsgrad/testing`), which runs the same checks without vitest.
 */
export function describeBackendConformance(name: string, createBackend: () => Backend, options: ConformanceOptions = {}): void {
  registerBackend(name, createBackend);
  declare(tree(conformanceChecks(name, options)));
}
