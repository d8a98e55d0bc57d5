export * from './spec.js';
export * from './arbitraries.js';
export * from './numerical.js';
export * from './reference.js';
export * from './fixtures.js';
export * from './catalogue.js';
export * from './check.js';
export { primitiveNames, primitiveCoverage } from './coverage.js';
/** The fast-check instance the arbitraries are built with, so tests need not install their own. */
export { default as fc } from 'fast-check';
export {
  conformanceChecks,
  runBackendConformance,
  runCheck,
  checkName,
  ConformanceFailure,
  DEFAULT_TOLERANCES,
  type ConformanceCheck,
  type ConformanceResult,
  type ConformanceOptions,
  type Tolerance,
} from './conformance.js';
