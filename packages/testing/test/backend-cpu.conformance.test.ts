import { createCpuBackend } from '@tsgrad/backend-cpu';
import { describeBackendConformance } from '../src/vitest.js';

// The reference backend runs the suite it is the reference of, as a fresh instance, in both float dtypes.
describeBackendConformance('cpu-under-test', () => createCpuBackend('cpu-under-test'), { dtypes: ['float64', 'float32'] });
