// Entry point of every wasm build: re-exports the kernels. No kernel allocates or keeps state;
// TypeScript owns the memory layout (see src/runtime/).
export * from './gemm';
export * from './runtime-selftest';
export * from './unary';
export * from './binary';
export * from './reduce';
export * from './softmax';
export * from './optimizer';
export * from './transpose';
export * from './crossentropy';
export * from './conv';
export * from './depthwise';
export * from './pool';
export * from './batchnorm';
export * from './attention';
export * from './layernorm';
export * from './recurrent';
export * from './recurrent-backward';
