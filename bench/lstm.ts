// LSTM suite: one LSTM layer over x [32, 100, 64] with 128 units (629 MFLOP forward: the input GEMM
// 2·B·T·F·4U plus 100 recurrent steps 2·B·U·4U), sinew's fused op on 1 and all threads against tfjs-layers'
// lstm predict on tfjs-wasm and tfjs-cpu; then training steps per second (forward, BPTT, Adam on the three
// weights, loss mean((h - target)²)) against tfjs-wasm's trainOnBatch on the same layer.
//   npx tsx bench/lstm.ts            (or npm run bench -- lstm)
// On Node 20 the script re-runs itself with --experimental-wasm-relaxed-simd so sinew can load its relaxed build.
import os from 'node:os';
import * as sinew from '../src/index.js';
import { gru, lstm } from '../src/ops/recurrent.js';
import { loadTfjs, packageVersion } from './peers.js';
import { writeReport } from './report.js';
import { addSpeedups, machineNote, median, medianOfCalls, rerunWithRelaxedSimd } from './harness.js';

rerunWithRelaxedSimd();

const loadAtStart = os.loadavg()[0];
const ROUNDS = 3;
const CALLS_PER_ROUND = 5;
const [B, T, F, U] = [32, 100, 64, 128];
const FLOPS = 2 * B * T * F * 4 * U + 2 * B * T * U * 4 * U;

const random = (n: number, scale: number) => Float32Array.from({ length: n }, () => (Math.random() - 0.5) * scale);
const data = {
  x: random(B * T * F, 2), kernel: random(F * 4 * U, 0.3), recurrentKernel: random(U * 4 * U, 0.3), bias: random(4 * U, 0.2),
  target: random(B * U, 1),
  gruKernel: random(F * 3 * U, 0.3), gruRecurrentKernel: random(U * 3 * U, 0.3), gruBias: random(3 * U, 0.2),
};
/** The GRU of the same size (3 gate blocks instead of 4), forward only: a second data point. */
const GRU_FLOPS = (FLOPS * 3) / 4;

// --- sinew -------------------------------------------------------------------------------------------
await sinew.setBackend('wasm');
await sinew.ready();
const allThreads = sinew.backendInfo().maxThreads ?? 1;
const threadCounts = allThreads > 1 ? [1, allThreads] : [1];
const x = sinew.tensor(data.x, [B, T, F]);
const zeros = sinew.zeros([B, U]);
const target = sinew.tensor(data.target, [B, U]);
const weights = [sinew.variable(sinew.tensor(data.kernel, [F, 4 * U])), sinew.variable(sinew.tensor(data.recurrentKernel, [U, 4 * U])),
  sinew.variable(sinew.tensor(data.bias, [4 * U]))];
const optimizer = sinew.train.adam(1e-3);
const sinewForward = () => sinew.tidy(() => { lstm(x, weights[0], weights[1], weights[2], zeros, zeros).h.dataSync(); });
const gruWeights = [sinew.tensor(data.gruKernel, [F, 3 * U]), sinew.tensor(data.gruRecurrentKernel, [U, 3 * U]), sinew.tensor(data.gruBias, [3 * U])];
const sinewGruForward = () => sinew.tidy(() => { gru(x, gruWeights[0], gruWeights[1], gruWeights[2], zeros).h.dataSync(); });
const sinewTrainStep = () => sinew.tidy(() => {
  optimizer.minimize(() => sinew.mean(sinew.square(sinew.sub(lstm(x, weights[0], weights[1], weights[2], zeros, zeros).h, target))));
});
const ms: Record<string, { forward: number[]; train: number[]; gru: number[] }> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const threads of round % 2 ? [...threadCounts].reverse() : threadCounts) {
    sinew.setThreads(threads);
    const label = `sinew ${threads}T`;
    ms[label] ??= { forward: [], train: [], gru: [] };
    ms[label].forward.push(await medianOfCalls(sinewForward, CALLS_PER_ROUND));
    ms[label].gru.push(await medianOfCalls(sinewGruForward, CALLS_PER_ROUND));
    ms[label].train.push(await medianOfCalls(sinewTrainStep, CALLS_PER_ROUND));
  }
  console.log(`round ${round + 1}/${ROUNDS} of sinew: ${Object.entries(ms).map(([l, v]) => `${l} ${v.forward[round].toFixed(1)} ms`).join(', ')}`);
}
sinew.dispose([x, zeros, target, ...weights, ...gruWeights]);

// --- tfjs-layers on tfjs-wasm and tfjs-cpu ------------------------------------------------------------
const tf = await loadTfjs();
for (const backend of ['wasm', 'cpu'] as const) {
  await tf.setBackend(backend);
  await tf.ready();
  const label = `tfjs-${backend} 1T`;
  ms[label] = { forward: [], train: [], gru: [] };
  const model = tf.sequential({ layers: [tf.layers.lstm({ units: U, inputShape: [T, F], unitForgetBias: false })] });
  model.setWeights([tf.tensor(data.kernel, [F, 4 * U]), tf.tensor(data.recurrentKernel, [U, 4 * U]), tf.tensor(data.bias, [4 * U])]);
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
  const tx = tf.tensor(data.x, [B, T, F]);
  const ttarget = tf.tensor(data.target, [B, U]);
  const forward = () => { const y = model.predict(tx) as ReturnType<typeof tf.tensor>; y.dataSync(); y.dispose(); };
  const gruModel = tf.sequential({ layers: [tf.layers.gru({ units: U, inputShape: [T, F] })] });
  gruModel.setWeights([tf.tensor(data.gruKernel, [F, 3 * U]), tf.tensor(data.gruRecurrentKernel, [U, 3 * U]), tf.tensor(data.gruBias, [3 * U])]);
  const gruForward = () => { const y = gruModel.predict(tx) as ReturnType<typeof tf.tensor>; y.dataSync(); y.dispose(); };
  // tfjs-cpu takes about a second per call: one warm-up and one or two timed calls.
  const calls = backend === 'cpu' ? 1 : CALLS_PER_ROUND;
  for (let round = 0; round < (backend === 'cpu' ? 1 : ROUNDS); round++) {
    ms[label].forward.push(await medianOfCalls(forward, calls));
    if (backend === 'wasm') {
      ms[label].gru.push(await medianOfCalls(gruForward, calls));
      try {
        ms[label].train.push(await medianOfCalls(() => model.trainOnBatch(tx, ttarget), calls));
      } catch (error) {
        console.log(`${label} cannot train: ${error instanceof Error ? error.message : error}`);
      }
    }
    console.log(`round ${round + 1} of ${label}: forward ${ms[label].forward[round].toFixed(1)} ms`);
  }
  tf.dispose([tx, ttarget]);
  model.dispose();
  gruModel.dispose();
}

// --- report --------------------------------------------------------------------------------------------
const sinewLabels = threadCounts.map((t) => `sinew ${t}T`);
const rows: Record<string, unknown>[] = [];
for (const pass of ['forward', 'train step', 'gru forward'] as const) {
  const key = pass === 'forward' ? 'forward' : pass === 'gru forward' ? 'gru' : 'train';
  const sinewMs = sinewLabels.map((label) => median(ms[label][key]));
  for (const [library, samples] of Object.entries(ms)) {
    if (samples[key].length === 0) continue;
    const time = median(samples[key]);
    const row: Record<string, unknown> = { pass, library, 'median ms': time, 'per second': 1000 / time };
    if (pass !== 'train step') row['GFLOP/s'] = (pass === 'forward' ? FLOPS : GRU_FLOPS) / (time * 1e6);
    addSpeedups(row, library, time, sinewLabels, sinewMs);
    rows.push(row);
  }
}
const cpus = os.cpus();
const notes = [
  machineNote(),
  `shape: x [${B},${T},${F}], LSTM ${U} units (tanh, hardSigmoid), zero initial state; ${(FLOPS / 1e6).toFixed(0)} MFLOP per forward`,
  `gru forward: a GRU of the same size (${(GRU_FLOPS / 1e6).toFixed(0)} MFLOP, resetAfter false as tfjs), sinew vs tfjs-wasm`,
  `sinew: build ${sinew.backendInfo().variant}, threads ${threadCounts.join(' and ')}, the fused lstm op (h read back); train step = forward + BPTT + Adam on kernel, recurrentKernel, bias with loss mean((h - target)²)`,
  `peers: @tensorflow/tfjs ${packageVersion('@tensorflow/tfjs')} layers lstm predict (read back) and trainOnBatch (mse, Adam), @tensorflow/tfjs-backend-wasm ${packageVersion('@tensorflow/tfjs-backend-wasm')} (threads off in Node); tfjs-cpu forward only, one timed call`,
  `1-min load average ${loadAtStart.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at the end on ${cpus.length} cores (other work on the cores shrinks, or reverses, the gain of a second thread)`,
  `method: ${ROUNDS} rounds alternating the thread order, each the median of ${CALLS_PER_ROUND} calls after a warm-up; median of round medians; the × columns are each sinew configuration's speedup over the peer`,
];
const md = writeReport('lstm', rows, { title: 'LSTM layer (f32): forward and training step', notes,
  chart: { group: 'pass', series: 'library', value: 'per second', unit: 'calls per second, higher is better' } });
console.log(md);
process.exit(0);
