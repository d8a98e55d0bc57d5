/** Runs per property: TSGRAD_NUM_RUNS=10 for a quick local pass; 100 by default. */
export const numRuns = Number(process.env.TSGRAD_NUM_RUNS ?? 100);
