import fc from 'fast-check';

// CI runs every property with one fixed seed, so a red run is reproducible and a green one
// repeatable; local runs draw a fresh seed each time (set TSGRAD_FC_SEED to replay one).
const seed = process.env.TSGRAD_FC_SEED ?? (process.env.CI ? '20261127' : undefined);
if (seed !== undefined) fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: Number(seed) });
