// The shared backend conformance suite on the wasm backend: as shipped (small products on the
// JS kernel), and with every float32 product sent through the SIMD kernel, whatever its size.
import { expect, it } from 'vitest';
import { getBackend } from '@tsgrad/core';
import { describeBackendConformance } from '@tsgrad/testing/vitest';
import { createWasmBackend, WASM_TOLERANCES, type WasmBackend } from '@tsgrad/backend-wasm';

describeBackendConformance('wasm', () => createWasmBackend('wasm'), { dtypes: ['float32'], tolerances: WASM_TOLERANCES });
describeBackendConformance('wasm-simd-everywhere', () => createWasmBackend('wasm-simd-everywhere', { minMultiplyAdds: 0 }), {
  dtypes: ['float32'],
  tolerances: WASM_TOLERANCES,
});

// Declared last, so it runs after the suites above.
it('the "wasm-simd-everywhere" run sent the suite’s matmul and linear through the SIMD kernel', () => {
  expect((getBackend('wasm-simd-everywhere') as WasmBackend).simdProducts).toBeGreaterThan(10);
});
