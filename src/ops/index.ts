// Every public op, re-exported for src/index.ts.
export * from './creation.js';
export * from './random.js';
export * from './cast.js';
export * from './binary.js';
export * from './unary.js';
export * from './compare.js';
export * from './where.js';
export * from './reduce.js';
export * from './softmax.js';
export * from './matmul.js';
export * from './shape.js';
export * from './slice.js';
export * from './concat.js';
export * from './gather.js';
export * from './pad.js';
export * as losses from './losses.js';
