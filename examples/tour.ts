// A short tour of sinew: tensors and chained ops, a gradient, and how fast the GEMM runs here.
// Run: npx tsx examples/tour.ts
import * as tf from '../src/index.js';

await tf.ready();
const info = tf.backendInfo();
console.log(`sinew on '${info.backend}': SIMD ${info.simd}, relaxed SIMD ${info.relaxedSimd}, ` +
  `shared memory ${info.sharedMemory}, threads ${info.threads} (build ${info.variant})\n`);

console.log('A few ops:');
const a = tf.tensor2d([[1, 2], [3, 4]]);
const b = tf.tensor2d([[5, 6], [7, 8]]);
a.matMul(b).add(1).relu().print();
tf.softmax(tf.tensor1d([1, 2, 3])).print();

console.log('\nA gradient: d/dx sum(tanh(x) * x) at x = [-1, 0, 2]');
const f = (x: tf.Tensor) => tf.sum(tf.mul(tf.tanh(x), x));
tf.grad(f)(tf.tensor1d([-1, 0, 2])).print();

console.log('\nGEMM, square float32 matMul (GFLOP/s, median of a few runs):');
for (const n of [256, 512, 1024]) {
  const x = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const y = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  const row: string[] = [];
  for (const threads of [1, info.maxThreads ?? 1]) {
    tf.setThreads(threads);
    tf.tidy(() => tf.matMul(x, y)); // warm-up
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const start = performance.now();
      tf.tidy(() => tf.matMul(x, y));
      times.push(performance.now() - start);
    }
    times.sort((p, q) => p - q);
    const gflops = (2 * n ** 3) / (times[3] * 1e6);
    row.push(`${threads} thread${threads > 1 ? 's' : ''}: ${gflops.toFixed(1)}`);
  }
  console.log(`  N=${n}  ${row.join('   ')}`);
  tf.dispose([x, y]);
}
console.log('\nFull comparison against tfjs-wasm and onnxruntime-web: npm run bench -- gemm');
