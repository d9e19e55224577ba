import { defineConfig } from 'vitest/config';

// Kernel-level tests run twice: as users of Node 20 get them (plain SIMD), and with relaxed SIMD enabled
// (the default in Deno, Chrome and Node ≥ 22), so both micro-kernel families are checked.
const KERNEL_TESTS = ['tests/gemm-kernel.test.ts', 'tests/kernels-*.test.ts'];

// The op and layer tests' own bodies (describeEachBackend) run on webgpu too: Dawn on Mesa's software OpenGL ES,
// dataSync through the device worker.
const WEBGPU_TESTS = [
  'attention', 'batchnorm', 'binary', 'compare', 'compositions', 'concat', 'conv', 'creation', 'gather', 'layernorm', 'losses',
  'matmul', 'pad', 'pool', 'random', 'recurrent', 'reduce', 'shape', 'slice', 'softmax', 'unary',
].map((name) => `tests/ops-${name}.test.ts`)
  .concat(['attention', 'conv-layers', 'embedding', 'layers', 'model', 'recurrent', 'transformer'].map((name) => `tests/nn-${name}.test.ts`))
  .concat(['tests/optimizers.test.ts', 'tests/engine.test.ts']);

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each file gets its own process: wasm threads and tfjs backends keep global state.
    pool: 'forks',
    // The JSON report gives .ci/run its pass/fail counts.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    projects: [
      { extends: true, test: { name: 'default', include: ['tests/**/*.test.ts'], exclude: ['tests/finalization.test.ts'] } },
      { extends: true, test: { name: 'gc', include: ['tests/finalization.test.ts'], execArgv: ['--expose-gc'] } },
      { extends: true, test: { name: 'webgpu', include: WEBGPU_TESTS, env: { SINEW_TEST_BACKENDS: 'webgpu' } } },
      {
        extends: true,
        test: { name: 'relaxed-simd', include: KERNEL_TESTS, execArgv: ['--experimental-wasm-relaxed-simd'] },
      },
    ],
  },
});
