// GEMM suite: square f32 matMul C = A·B, N = 128…2048, sinew (1 thread and all threads) against tfjs-wasm,
// tfjs-cpu (N ≤ 256), onnxruntime-web wasm (1 and 2 threads). Medians of per-round medians; GFLOP/s = 2N³/t.
//   npx tsx bench/gemm.ts            (or npm run bench -- gemm)
// On Node 20 the script re-runs itself with --experimental-wasm-relaxed-simd so sinew can load its relaxed build.
import os from 'node:os';
import { createRuntime, type Runtime } from '../src/runtime/index.js';
import { relaxedSimdSupported } from '../src/runtime/loader.js';
import { WasmBackend } from '../src/backend/wasm/index.js';
import type { DataId } from '../src/backend/backend.js';
import { loadTfjs, ortMatMulInChild, packageVersion } from './peers.js';
import { writeReport } from './report.js';
import { addSpeedups, machineNote, median, medianOf, rerunWithRelaxedSimd } from './harness.js';

rerunWithRelaxedSimd();

const SIZES = [128, 256, 512, 1024, 2048];
const ROUNDS = 3;
/** Time budget per task and round (ms); 2048 runs a few iterations at ~0.2 s each. */
const budgetMs = (n: number) => (n <= 512 ? 250 : n === 1024 ? 500 : 1);
const minIterations = (n: number) => (n >= 2048 ? 3 : 5);
const gflops = (n: number, ms: number) => (2 * n ** 3) / (ms * 1e6);

const budget = (n: number) => ({ time: budgetMs(n), iterations: minIterations(n), warmupIterations: 1, warmupTime: 20 });

// Both kernel families in one run: relaxed SIMD (Deno, Chrome, Node >= 22, or Node 20 with the flag this
// script sets) and plain SIMD (what Node 20 runs by default).
const runtimes: { label: string; rt: Runtime }[] = [];
for (const [label, variant] of [['relaxed', 'mt-relaxed'], ['plain SIMD', 'mt']] as const) {
  if (variant === 'mt-relaxed' && !relaxedSimdSupported()) continue;
  const rt = await createRuntime({ variant });
  await rt.ready();
  runtimes.push({ label, rt });
}
const allThreads = runtimes[0].rt.info.maxThreads;
const tf = await loadTfjs();
await tf.setBackend('wasm');
await tf.ready();

const latencies = new Map<string, number[]>();   // "library|N" → per-round medians
const record = (library: string, n: number, ms: number) => {
  const key = `${library}|${n}`;
  latencies.set(key, [...(latencies.get(key) ?? []), ms]);
};
const sinewLabels: string[] = [];
for (const { label } of runtimes) sinewLabels.push(`sinew ${label} 1T`, `sinew ${label} ${allThreads}T`);

for (const n of SIZES) {
  const a = new Float32Array(n * n).map(() => Math.random() - 0.5);
  const b = new Float32Array(n * n).map(() => Math.random() - 0.5);
  const tasks: [string, () => void][] = [];
  const cleanups: (() => void)[] = [];
  for (const { label, rt } of runtimes) {
    // Timed like tfjs's tf.matMul: allocate the output, run the kernel, free the output.
    const backend = new WasmBackend(rt);
    const [da, db]: DataId[] = [backend.write(a, 'float32'), backend.write(b, 'float32')];
    const args = { a: da, aBatch: 1, b: db, bBatch: 1, batch: 1, m: n, n, k: n, transposeA: false, transposeB: false };
    for (const threads of allThreads > 1 ? [1, allThreads] : [1]) {
      tasks.push([`sinew ${label} ${threads}T`, () => { rt.setThreads(threads); backend.dispose(backend.matMul(args)); }]);
    }
    cleanups.push(() => { backend.dispose(da); backend.dispose(db); });
  }
  const ta = tf.tensor(a, [n, n]), tb = tf.tensor(b, [n, n]);
  tasks.push(['tfjs-wasm 1T', () => { tf.matMul(ta, tb).dispose(); }]);
  // Rounds rotate the order so no library always runs first (or right after a heavy one).
  for (let round = 0; round < ROUNDS; round++) {
    for (let t = 0; t < tasks.length; t++) {
      const [library, fn] = tasks[(t + round) % tasks.length];
      record(library, n, await medianOf(fn, budget(n)));
    }
  }
  ta.dispose(); tb.dispose();
  cleanups.forEach((cleanup) => cleanup());
  console.log(`N=${n}: ${tasks.map(([l]) => `${l} ${gflops(n, median(latencies.get(`${l}|${n}`) ?? [NaN])).toFixed(1)}`).join(', ')} GFLOP/s`);
}

await tf.setBackend('cpu');
for (const n of SIZES.filter((s) => s <= 256)) {
  const ta = tf.randomUniform([n, n], -0.5, 0.5), tb = tf.randomUniform([n, n], -0.5, 0.5);
  for (let round = 0; round < ROUNDS; round++) {
    record('tfjs-cpu 1T', n, await medianOf(() => { const out = tf.matMul(ta, tb); out.dataSync(); out.dispose(); }, budget(n)));
  }
  ta.dispose(); tb.dispose();
}
for (const { rt } of runtimes) await rt.terminate();

// onnxruntime-web fixes its thread count at init and its workers spin: one child process per count, run after
// the rest so its spinning cannot slow the others.
const ortErrors: string[] = [];
for (const threads of [1, 2]) {
  const result = ortMatMulInChild(threads, SIZES, 400);
  if (typeof result === 'string') { ortErrors.push(`onnxruntime-web ${threads}T: ${result}`); continue; }
  for (const n of SIZES) if (result[n] !== undefined) record(`onnxruntime-web ${threads}T`, n, result[n]);
}

const libraries = [...sinewLabels, 'tfjs-wasm 1T', 'tfjs-cpu 1T', 'onnxruntime-web 1T', 'onnxruntime-web 2T'];
const rows: Record<string, unknown>[] = [];
for (const n of SIZES) {
  const sinewMs = sinewLabels.map((label) => median(latencies.get(`${label}|${n}`) ?? [NaN]));
  for (const library of libraries) {
    const samples = latencies.get(`${library}|${n}`);
    if (!samples) continue;
    const ms = median(samples);
    const row: Record<string, unknown> = { N: n, library, 'median ms': ms, 'GFLOP/s': gflops(n, ms) };
    // Speedup of each sinew configuration over this peer (peer time / sinew time).
    addSpeedups(row, library, ms, sinewLabels, sinewMs);
    rows.push(row);
  }
}

const notes = [
  machineNote(),
  `sinew: builds ${runtimes.map(({ rt }) => rt.info.variant).join(' and ')}, threads 1 and ${allThreads}; the × columns are each sinew configuration's speedup over the peer`,
  `peers: @tensorflow/tfjs ${packageVersion('@tensorflow/tfjs')}, @tensorflow/tfjs-backend-wasm ${packageVersion('@tensorflow/tfjs-backend-wasm')} (threads off in Node), onnxruntime-web ${packageVersion('onnxruntime-web')} (wasm EP, child process per thread count)`,
  `method: tinybench p50 per task, ${ROUNDS} rounds in rotating order for sinew/tfjs, median of round medians; GFLOP/s = 2N³/t; speedup = peer time / sinew time`,
  `sinew and tfjs-wasm time output allocation + product + free (no readback); tfjs-cpu includes dataSync; ORT times session.run (input copy in, output out)`,
  ...ortErrors,
];
const md = writeReport('gemm', rows, { title: 'Square f32 matMul', notes,
  chart: { group: 'N', series: 'library', value: 'GFLOP/s', unit: 'GFLOP/s, higher is better' } });
console.log(md);
