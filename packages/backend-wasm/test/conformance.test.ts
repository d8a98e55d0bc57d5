// The shared backend conformance suite on the wasm backend: as shipped (small products and small
// elementwise ops on the JS kernels), and with every float32 product and every float32
// elementwise op, sum, gather and scatterAdd the wasm kernels take sent through them, whatever
// its size.
import { expect, it } from 'vitest';
import { getBackend } from '@tsgrad/core';
import { describeBackendConformance } from '@tsgrad/testing/vitest';
import { createWasmBackend, WASM_TOLERANCES, type WasmBackend } from '@tsgrad/backend-wasm';

describeBackendConformance('wasm', () => createWasmBackend('wasm'), { dtypes: ['float32'], tolerances: WASM_TOLERANCES });
describeBackendConformance('wasm-simd-everywhere', () => createWasmBackend('wasm-simd-everywhere', { minMultiplyAdds: 0, minElements: 0 }), {
  dtypes: ['float32'],
  tolerances: WASM_TOLERANCES,
});

// Declared last, so it runs after the suites above.
it('the "wasm-simd-everywhere" run sent the suite’s matmul, linear and elementwise ops through the wasm kernels', () => {
  const backend = getBackend('wasm-simd-everywhere') as WasmBackend;
  expect(backend.simdProducts).toBeGreaterThan(10);
  expect(backend.simdOps).toBeGreaterThan(100);
});
