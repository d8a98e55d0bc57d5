import { opDefs, type OpName, type PrimitiveName } from '@tsgrad/core';
import { catalogue, type OpEntry } from './catalogue.js';

/**
 * Every backend primitive, read from core's op table at run time (the ops that run a backend
 * kernel, i.e. all but core-only views such as reshape). A primitive added to core shows up
 * here, and the coverage test fails until the catalogue exercises it.
 */
export function primitiveNames(): PrimitiveName[] {
  // contiguous is a backend kernel whose forward hands it the view's flat storage.
  return (Object.keys(opDefs) as OpName[]).filter((k): k is PrimitiveName => opDefs[k].forward === undefined || k === 'contiguous');
}

/** For each primitive, the catalogue entries whose forward pass runs it (empty: not covered). */
export function primitiveCoverage(entries: readonly OpEntry[] = catalogue): Map<PrimitiveName, string[]> {
  const map = new Map<PrimitiveName, string[]>(primitiveNames().map((p) => [p, []]));
  for (const e of entries) for (const p of e.primitives) map.get(p)?.push(e.name);
  return map;
}
