// The kernel module of @tsgrad/backend-wasm: the GEMM (matmul.ts) and the elementwise kernels
// (elementwise.ts). scripts/build-wasm.mjs compiles this file.
export * from './matmul';
export * from './elementwise';
