// Conv suite: conv2d forward x [32,14,14,32] ⋆ 3x3 → 64, 'same' padding, bias + relu fused (the second conv of
// a small MNIST CNN), sinew (relaxed and plain SIMD, 1 thread and all threads) against tfjs-wasm (fused conv2d)
// and tfjs-cpu; then the two backprops (input, filter) against tfjs-cpu, since tfjs-wasm has no conv backprop
// kernels. GFLOP/s = 2·N·OH·OW·OC·KH·KW·C / t for each of the three.
//   npx tsx bench/conv.ts            (or npm run bench -- conv)
// On Node 20 the script re-runs itself with --experimental-wasm-relaxed-simd so sinew can load its relaxed build.
import os from 'node:os';
import { createRuntime, type Runtime } from '../src/runtime/index.js';
import { relaxedSimdSupported } from '../src/runtime/loader.js';
import { WasmBackend } from '../src/backend/wasm/index.js';
import type { Conv2DInfo } from '../src/backend/backend.js';
import { loadTfjs, packageVersion } from './peers.js';
import { writeReport } from './report.js';
import { addSpeedups, machineNote, median, medianOf, medianOfCalls, rerunWithRelaxedSimd } from './harness.js';

rerunWithRelaxedSimd();

const loadAtStart = os.loadavg()[0];
const ROUNDS = 3;
const BUDGET_MS = 400;
const budget = { time: BUDGET_MS, iterations: 10 };
const [N, H, W, C, OC, K] = [32, 14, 14, 32, 64, 3];
const info: Conv2DInfo = {
  batch: N, inHeight: H, inWidth: W, inChannels: C, outHeight: H, outWidth: W, outChannels: OC,
  filterHeight: K, filterWidth: K, strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1,
  padTop: 1, padLeft: 1,
};
const FLOPS = 2 * N * H * W * OC * K * K * C;
const gflops = (ms: number) => FLOPS / (ms * 1e6);

const random = (n: number) => new Float32Array(n).map(() => Math.random() - 0.5);
const x = random(N * H * W * C), filter = random(K * K * C * OC), bias = random(OC), dy = random(N * H * W * OC);

type Pass = 'forward' | 'backprop input' | 'backprop filter';
const tasks: { pass: Pass; library: string; fn: () => void }[] = [];
const runtimes: { label: string; rt: Runtime }[] = [];
for (const [label, variant] of [['relaxed', 'mt-relaxed'], ['plain SIMD', 'mt']] as const) {
  if (variant === 'mt-relaxed' && !relaxedSimdSupported()) continue;
  const rt = await createRuntime({ variant });
  await rt.ready();
  runtimes.push({ label, rt });
}
const allThreads = runtimes[0].rt.info.maxThreads;
for (const { label, rt } of runtimes) {
  // Timed like tfjs's ops: allocate the output, run the kernel, free the output.
  const backend = new WasmBackend(rt);
  const [dx, df, db, ddy] = [x, filter, bias, dy].map((v) => backend.write(v, 'float32'));
  for (const threads of allThreads > 1 ? [1, allThreads] : [1]) {
    const library = `sinew ${label} ${threads}T`;
    const on = (fn: () => unknown) => () => { rt.setThreads(threads); fn(); };
    tasks.push({ pass: 'forward', library, fn: on(() => backend.dispose(backend.conv2d(dx, df, info, db, 'relu'))) });
    tasks.push({ pass: 'backprop input', library, fn: on(() => backend.dispose(backend.conv2dBackpropInput(ddy, df, info))) });
    tasks.push({ pass: 'backprop filter', library, fn: on(() => backend.dispose(backend.conv2dBackpropFilter(dx, ddy, info))) });
  }
}

const tf = await loadTfjs();
const peers: { backend: 'wasm' | 'cpu'; library: string }[] = [{ backend: 'wasm', library: 'tfjs-wasm 1T' }, { backend: 'cpu', library: 'tfjs-cpu 1T' }];
const latencies = new Map<string, number[]>();   // "pass|library" → per-round medians
const record = (pass: Pass, library: string, ms: number) => {
  const key = `${pass}|${library}`;
  latencies.set(key, [...(latencies.get(key) ?? []), ms]);
};

// sinew in rotating order per round, so no configuration always runs first.
for (let round = 0; round < ROUNDS; round++) {
  for (let t = 0; t < tasks.length; t++) {
    const { pass, library, fn } = tasks[(t + round) % tasks.length];
    record(pass, library, await medianOf(fn, budget));
  }
  console.log(`round ${round + 1}/${ROUNDS} of sinew done`);
}
for (const { rt } of runtimes) await rt.terminate();

for (const { backend, library } of peers) {
  await tf.setBackend(backend);
  await tf.ready();
  const tx = tf.tensor4d(x, [N, H, W, C]), tfilter = tf.tensor4d(filter, [K, K, C, OC]);
  const tbias = tf.tensor1d(bias), tdy = tf.tensor4d(dy, [N, H, W, OC]);
  // tfjs-cpu computes synchronously on the op; dataSync keeps both peers honest about finishing the work.
  const peerTasks: [Pass, () => void][] = [['forward', () => {
    const y = tf.fused.conv2d({ x: tx, filter: tfilter, strides: 1, pad: 'same', bias: tbias, activation: 'relu' });
    y.dataSync(); y.dispose();
  }]];
  if (backend === 'cpu') {
    peerTasks.push(['backprop input', () => { const r = tf.conv2dTranspose(tdy, tfilter, [N, H, W, C], 1, 'same'); r.dataSync(); r.dispose(); }]);
    peerTasks.push(['backprop filter', () => {
      // The gradient of conv2d w.r.t. the filter is exactly Conv2DBackpropFilter(x, dy).
      const r = tf.grad((f: any) => tf.conv2d(tx, f, 1, 'same').mul(tdy).sum())(tfilter); r.dataSync(); r.dispose();
    }]);
  }
  // tfjs-cpu takes seconds per call here: a few timed calls, not a tinybench budget.
  const measure = backend === 'cpu' ? (fn: () => void) => medianOfCalls(fn, 3) : (fn: () => void) => medianOf(fn, budget);
  // Its filter gradient takes ~20 s per call on this shape: one untimed-warm-up-free call is all it gets.
  const measureOnce = async (fn: () => void) => { const start = performance.now(); fn(); return performance.now() - start; };
  for (let round = 0; round < (backend === 'cpu' ? 1 : ROUNDS); round++) {
    for (const [pass, fn] of peerTasks) {
      record(pass, library, await (backend === 'cpu' && pass === 'backprop filter' ? measureOnce : measure)(fn));
    }
    console.log(`round ${round + 1}/${ROUNDS} of ${library} done`);
  }
  tf.dispose([tx, tfilter, tbias, tdy]);
}

const sinewLabels = [...new Set(tasks.map((t) => t.library))];
const rows: Record<string, unknown>[] = [];
for (const pass of ['forward', 'backprop input', 'backprop filter'] as const) {
  const sinewMs = sinewLabels.map((label) => median(latencies.get(`${pass}|${label}`) ?? [NaN]));
  for (const library of [...sinewLabels, ...peers.map((p) => p.library)]) {
    const samples = latencies.get(`${pass}|${library}`);
    if (!samples) continue;
    const ms = median(samples);
    const row: Record<string, unknown> = { pass, library, 'median ms': ms, 'GFLOP/s': gflops(ms) };
    addSpeedups(row, library, ms, sinewLabels, sinewMs);
    rows.push(row);
  }
  console.log(`${pass}: ${rows.filter((r) => r.pass === pass).map((r) => `${r.library} ${(r['GFLOP/s'] as number).toFixed(1)}`).join(', ')} GFLOP/s`);
}

const cpus = os.cpus();
const notes = [
  machineNote(),
  `shape: x [${N},${H},${W},${C}], filter [${K},${K},${C},${OC}], stride 1, padding same; forward adds bias and relu (fused); ${(FLOPS / 1e6).toFixed(0)} MFLOP per pass`,
  `sinew: builds ${runtimes.map(({ rt }) => rt.info.variant).join(' and ')}, threads 1 and ${allThreads}; the × columns are each sinew configuration's speedup over the peer`,
  `peers: @tensorflow/tfjs ${packageVersion('@tensorflow/tfjs')}, @tensorflow/tfjs-backend-wasm ${packageVersion('@tensorflow/tfjs-backend-wasm')} (threads off in Node; no conv backprop kernels); tfjs-cpu backprop filter is timed through tf.grad (adds one forward conv)`,
  `1-min load average ${loadAtStart.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at the end on ${cpus.length} cores (other work on the cores shrinks, or reverses, the gain of a second thread)`,
  `method: tinybench p50 per task, ${ROUNDS} rounds, median of round medians (tfjs-cpu: median of 3 calls after a warm-up; its filter gradient, ~20 s a call: one call); sinew times output allocation + kernel + free (no readback), tfjs includes dataSync`,
];
const md = writeReport('conv', rows, { title: 'conv2d 3x3 (f32, NHWC)', notes,
  chart: { group: 'pass', series: 'library', value: 'GFLOP/s', unit: 'GFLOP/s, higher is better' } });
console.log(md);
