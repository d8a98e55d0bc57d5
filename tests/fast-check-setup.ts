import fc from 'fast-check';

// CI runs every property with one fixed seed, so a red run is reproducible and a green one
// repeatable; local runs draw a fresh seed each time (set TSGRAD_FC_SEED to replay one).
const seed = process.env.TSGRAD_FC_SEED ?? (process.env.CI ? '20261127' : undefined);
if (seed !== undefined) fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: Number(seed) });

// Recycled CPU buffers are filled with NaN before reuse, so a kernel that leaves part of its
// output unwritten fails a test instead of passing on whatever the buffer held before.
process.env.TSGRAD_POISON_BUFFERS = '1';
