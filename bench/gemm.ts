// GEMM suite: square f32 matMul C = A·B, N = 128…2048, sinew (1 thread and all threads) against tfjs-wasm,
// tfjs-cpu (N ≤ 256), onnxruntime-web wasm (1 and 2 threads). Medians of per-round medians; GFLOP/s = 2N³/t.
//   npx tsx bench/gemm.ts            (or npm run bench -- gemm)
// On Node 20 the script re-runs itself with --experimental-wasm-relaxed-simd so sinew can load its relaxed build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import { createRuntime, type Runtime } from '../src/runtime/index.js';
import { relaxedSimdSupported } from '../src/runtime/loader.js';
import { runGemm } from '../src/backend/wasm/matmul.js';
import { loadTfjs, ortMatMulInChild, packageVersion } from './peers.js';
import { writeReport } from './report.js';

if (!relaxedSimdSupported() && !process.env.SINEW_BENCH_RELAXED_RETRY) {
  const child = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', ...process.execArgv, ...process.argv.slice(1)],
    { stdio: 'inherit', env: { ...process.env, SINEW_BENCH_RELAXED_RETRY: '1' } });
  process.exit(child.status ?? 1);
}

const SIZES = [128, 256, 512, 1024, 2048];
const ROUNDS = 3;
/** Time budget per task and round (ms); 2048 runs a few iterations at ~0.2 s each. */
const budgetMs = (n: number) => (n <= 512 ? 250 : n === 1024 ? 500 : 1);
const minIterations = (n: number) => (n >= 2048 ? 3 : 5);
const gflops = (n: number, ms: number) => (2 * n ** 3) / (ms * 1e6);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };

/** The wasm folder for the runtime: build/ when its builds export gemm, else a private build of assembly/gemm.ts. */
async function wasmFolder(): Promise<{ url?: string; source: string }> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const built = join(root, 'build', 'sinew-mt.wasm');
  if (existsSync(built) && WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(built))).some((e) => e.name === 'gemm')) {
    return { source: 'build/' };
  }
  const dir = join(os.tmpdir(), 'sinew-gemm-bench');
  mkdirSync(dir, { recursive: true });
  const asc = (await import('assemblyscript/asc')).default;
  const variants: Record<string, string[]> = {
    'mt-relaxed': ['--enable', 'simd,threads,relaxed-simd', '--sharedMemory', '--maximumMemory', '65536'],
    mt: ['--enable', 'simd,threads', '--sharedMemory', '--maximumMemory', '65536'],
    'st-relaxed': ['--enable', 'simd,relaxed-simd'],
    st: ['--enable', 'simd'],
  };
  for (const [variant, flags] of Object.entries(variants)) {
    const { error, stderr } = await asc.main([join(root, 'assembly/gemm.ts'), '--runtime', 'stub', '--importMemory',
      '--initialMemory', '32', '--memoryBase', '0', '--noAssert', '--use', 'abort=', '-O3', ...flags,
      '-o', join(dir, `sinew-${variant}.wasm`)]);
    if (error) throw new Error(`private gemm build ${variant} failed: ${stderr.toString()}`);
  }
  return { url: pathToFileURL(dir).href + '/', source: `private build of assembly/gemm.ts (build/ lacks gemm)` };
}

async function medianOf(fn: () => void | Promise<void>, n: number): Promise<number> {
  const bench = new Bench({ time: budgetMs(n), iterations: minIterations(n), warmupIterations: 1, warmupTime: 20 });
  bench.add('task', fn);
  await bench.run();
  const result = bench.tasks[0].result as any;
  if (!result?.latency) throw new Error(`task failed: ${result?.error ?? result?.state}`);
  return result.latency.p50;
}

const { url, source } = await wasmFolder();
const rt: Runtime = await createRuntime(url ? { wasmUrl: url } : {});
const allThreads = rt.info.maxThreads;
const tf = await loadTfjs();
await tf.setBackend('wasm');
await tf.ready();

const latencies = new Map<string, number[]>();   // "library|N" → per-round medians
const record = (library: string, n: number, ms: number) => {
  const key = `${library}|${n}`;
  latencies.set(key, [...(latencies.get(key) ?? []), ms]);
};
const sinewOne = 'sinew 1T', sinewAll = `sinew ${allThreads}T`;

for (const n of SIZES) {
  const bytes = n * n * 4;
  const a = rt.alloc(bytes), b = rt.alloc(bytes), c = rt.alloc(bytes);
  const f32 = rt.f32();
  for (let i = 0; i < n * n; i++) { f32[a / 4 + i] = Math.random() - 0.5; f32[b / 4 + i] = Math.random() - 0.5; }
  const call = { a, b, out: c, bias: 0, batch: 1, m: n, n, k: n, strideA: 0, strideB: 0,
    transposeA: false, transposeB: false, activation: 0 };
  const ta = tf.randomUniform([n, n], -0.5, 0.5), tb = tf.randomUniform([n, n], -0.5, 0.5);
  const tasks: [string, () => void][] = [
    [sinewOne, () => { rt.setThreads(1); runGemm(rt, call); }],
    [sinewAll, () => { rt.setThreads(allThreads); runGemm(rt, call); }],
    ['tfjs-wasm 1T', () => { tf.matMul(ta, tb).dispose(); }],
  ];
  // Rounds rotate the order so no library always runs first (or right after a heavy one).
  for (let round = 0; round < ROUNDS; round++) {
    for (let t = 0; t < tasks.length; t++) {
      const [library, fn] = tasks[(t + round) % tasks.length];
      if (library === sinewAll && allThreads === 1) continue;
      record(library, n, await medianOf(fn, n));
    }
  }
  ta.dispose(); tb.dispose();
  rt.free(a); rt.free(b); rt.free(c);
  console.log(`N=${n}: ${[sinewOne, sinewAll, 'tfjs-wasm 1T'].map((l) => `${l} ${gflops(n, median(latencies.get(`${l}|${n}`) ?? [NaN])).toFixed(1)}`).join(', ')} GFLOP/s`);
}
rt.setThreads(allThreads);

await tf.setBackend('cpu');
for (const n of SIZES.filter((s) => s <= 256)) {
  const ta = tf.randomUniform([n, n], -0.5, 0.5), tb = tf.randomUniform([n, n], -0.5, 0.5);
  for (let round = 0; round < ROUNDS; round++) {
    record('tfjs-cpu 1T', n, await medianOf(() => { const out = tf.matMul(ta, tb); out.dataSync(); out.dispose(); }, n));
  }
  ta.dispose(); tb.dispose();
}
await rt.terminate();

// onnxruntime-web fixes its thread count at init and its workers spin: one child process per count, run after
// the rest so its spinning cannot slow the others.
const ortErrors: string[] = [];
for (const threads of [1, 2]) {
  const result = ortMatMulInChild(threads, SIZES, 400);
  if (typeof result === 'string') { ortErrors.push(`onnxruntime-web ${threads}T: ${result}`); continue; }
  for (const n of SIZES) if (result[n] !== undefined) record(`onnxruntime-web ${threads}T`, n, result[n]);
}

const libraries = [sinewOne, sinewAll, 'tfjs-wasm 1T', 'tfjs-cpu 1T', 'onnxruntime-web 1T', 'onnxruntime-web 2T'];
const rows: Record<string, unknown>[] = [];
for (const n of SIZES) {
  const sinewOneMs = median(latencies.get(`${sinewOne}|${n}`) ?? [NaN]);
  const sinewAllMs = median(latencies.get(`${sinewAll}|${n}`) ?? latencies.get(`${sinewOne}|${n}`) ?? [NaN]);
  for (const library of libraries) {
    const samples = latencies.get(`${library}|${n}`);
    if (!samples) continue;
    const ms = median(samples);
    rows.push({
      N: n, library, 'median ms': ms, 'GFLOP/s': gflops(n, ms),
      'sinew 1T speedup': library.startsWith('sinew') ? '' : `${(ms / sinewOneMs).toFixed(2)}x`,
      [`${sinewAll} speedup`]: library.startsWith('sinew') ? '' : `${(ms / sinewAllMs).toFixed(2)}x`,
    });
  }
}

const cpus = os.cpus();
const notes = [
  `machine: ${cpus[0]?.model ?? 'unknown'}, ${cpus.length} logical cores, ${os.platform()} ${os.arch()}, Node ${process.version}`,
  `sinew: variant ${rt.info.variant} (${source}), threads 1 and ${allThreads}`,
  `peers: @tensorflow/tfjs ${packageVersion('@tensorflow/tfjs')}, @tensorflow/tfjs-backend-wasm ${packageVersion('@tensorflow/tfjs-backend-wasm')} (threads off in Node), onnxruntime-web ${packageVersion('onnxruntime-web')} (wasm EP, child process per thread count)`,
  `method: tinybench p50 per task, ${ROUNDS} rounds in rotating order for sinew/tfjs, median of round medians; GFLOP/s = 2N³/t; speedup = peer time / sinew time`,
  `sinew and tfjs-wasm time the product only (no readback); tfjs-cpu includes dataSync; ORT times session.run (input copy in, output out)`,
  ...ortErrors,
];
const md = writeReport('gemm', rows, { title: 'Square f32 matMul', notes,
  chart: { group: 'N', series: 'library', value: 'GFLOP/s', unit: 'GFLOP/s, higher is better' } });
console.log(md);
