// CNN suite: training and inference throughput (samples/s) of the MNIST demo CNN (conv32 3x3 relu →
// maxPool 2 → conv64 3x3 relu → maxPool 2 → dense 128 relu → dense 10 softmax), adam,
// categoricalCrossentropy, batch 64 — sinew (1 thread and all threads) against tfjs-layers on tfjs-cpu and
// tfjs-wasm, in one process. tfjs-wasm cannot train it (no Conv2DBackpropFilter kernel): the suite tries
// and reports the error. tfjs-cpu takes seconds per batch, so it gets a few timed batches only.
//   npx tsx bench/cnn.ts [--tfjs-cpu-batches 2]       (or npm run bench -- cnn)
import os from 'node:os';
import * as tf from '../src/index.js';
import { loadMnist, NUM_CLASSES } from '../examples/shared/mnist.js';
import { cnnLayers } from '../examples/mnist-cnn.js';
import { numberFlag } from '../examples/shared/cli.js';
import { loadTfjs, packageVersion } from './peers.js';
import { writeReport } from './report.js';
import { median, rerunWithRelaxedSimd } from './harness.js';

rerunWithRelaxedSimd();

const BATCH = 64;
const TRAIN_SAMPLES = BATCH * 8;     // 8 steps per timed sinew epoch
const PREDICT_SAMPLES = 1024;
const ROUNDS = 3;
const TFJS_CPU_BATCHES = numberFlag('tfjs-cpu-batches', 2);
const MIN_SECONDS = 0.6;

const loadAtStart = os.loadavg()[0];
const mnist = await loadMnist({ trainSamples: Math.max(TRAIN_SAMPLES, PREDICT_SAMPLES), testSamples: 0 });
const labels = new Float32Array(mnist.train.count * NUM_CLASSES);
mnist.train.labels.forEach((label, i) => { labels[i * NUM_CLASSES + label] = 1; });
const images = (count: number) => mnist.train.images.subarray(0, count * 784);

/** Seconds per call, repeating the call until MIN_SECONDS have passed so that short runs are not all noise. */
async function time(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  let calls = 0;
  do { await fn(); calls++; } while (performance.now() - start < MIN_SECONDS * 1000);
  return (performance.now() - start) / 1000 / calls;
}

await tf.ready();
const allThreads = tf.backendInfo().maxThreads ?? 1;
const threadCounts = allThreads > 1 ? [1, allThreads] : [1];
const model = tf.sequential({ layers: cnnLayers(tf.layers as unknown as Parameters<typeof cnnLayers<tf.Layer>>[0]) });
model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
const x = tf.tensor4d(images(TRAIN_SAMPLES), [TRAIN_SAMPLES, 28, 28, 1]);
const y = tf.tensor2d(labels.subarray(0, TRAIN_SAMPLES * NUM_CLASSES), [TRAIN_SAMPLES, NUM_CLASSES]);
const xPredict = tf.tensor4d(images(PREDICT_SAMPLES), [PREDICT_SAMPLES, 28, 28, 1]);
const trainEpoch = async () => { await model.fit(x, y, { batchSize: BATCH, epochs: 1, shuffle: false, verbose: 0 }); };
const predictAll = async () => {
  const out = model.predict(xPredict, { batchSize: BATCH }) as tf.Tensor;
  await out.data();
  out.dispose();
};
const startWeights = model.getWeights().map((w) => ({ values: Float32Array.from(w.dataSync() as Float32Array), shape: w.shape }));

const sinewSeconds: Record<number, { train: number[]; predict: number[] }> = {};
for (const threads of threadCounts) {
  tf.setThreads(threads);
  await trainEpoch(); // warm-up: kernels compiled, buffers sized
  await predictAll();
  sinewSeconds[threads] = { train: [], predict: [] };
}
for (let round = 0; round < ROUNDS; round++) {
  for (const threads of round % 2 ? [...threadCounts].reverse() : threadCounts) {
    tf.setThreads(threads);
    sinewSeconds[threads].train.push(await time(trainEpoch));
    sinewSeconds[threads].predict.push(await time(predictAll));
  }
  console.log(`round ${round + 1}/${ROUNDS}: ` + threadCounts.map((t) => `sinew ${t}T ${(TRAIN_SAMPLES / sinewSeconds[t].train[round]).toFixed(0)} train/s`).join(', '));
}
tf.dispose([x, y, xPredict]);
model.dispose();

// --- tfjs-layers: the same model and weights --------------------------------------------------------

const tfjs = await loadTfjs();
type TfjsTensor = ReturnType<typeof tfjs.tensor>;
async function tfjsModel(backend: 'cpu' | 'wasm') {
  await tfjs.setBackend(backend);
  await tfjs.ready();
  const peer = tfjs.sequential({ layers: cnnLayers(tfjs.layers as unknown as Parameters<typeof cnnLayers<ReturnType<typeof tfjs.layers.dense>>>[0]) });
  peer.setWeights(startWeights.map((w) => tfjs.tensor(w.values, w.shape)));
  peer.compile({ optimizer: tfjs.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  return peer;
}
const batchX = () => tfjs.tensor4d(images(BATCH), [BATCH, 28, 28, 1]);
const batchY = () => tfjs.tensor2d(labels.subarray(0, BATCH * NUM_CLASSES), [BATCH, NUM_CLASSES]);
async function tfjsPredictSeconds(peer: Awaited<ReturnType<typeof tfjsModel>>, samples: number): Promise<number> {
  const input = tfjs.tensor4d(images(samples), [samples, 28, 28, 1]);
  const run = async () => { const out = peer.predict(input, { batchSize: BATCH }) as TfjsTensor; await out.data(); out.dispose(); };
  await run();
  const seconds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) seconds.push(await time(run));
  input.dispose();
  return median(seconds);
}

// tfjs-wasm: forward only; training fails for want of a backward conv kernel.
const wasmPeer = await tfjsModel('wasm');
let wasmTrainError = '';
try {
  const [bx, by] = [batchX(), batchY()];
  await wasmPeer.trainOnBatch(bx, by);
  tfjs.dispose([bx, by]);
} catch (error) {
  wasmTrainError = (error as Error).message.split('\n')[0];
}
const wasmPredictRate = PREDICT_SAMPLES / await tfjsPredictSeconds(wasmPeer, PREDICT_SAMPLES);
console.log(`tfjs-wasm: predict ${wasmPredictRate.toFixed(0)}/s; training: ${wasmTrainError || 'worked'}`);

// tfjs-cpu: one warm-up batch, then TFJS_CPU_BATCHES timed batches of trainOnBatch.
const cpuPeer = await tfjsModel('cpu');
const cpuBatchSeconds: number[] = [];
for (let b = 0; b <= TFJS_CPU_BATCHES; b++) {
  const [bx, by] = [batchX(), batchY()];
  const start = performance.now();
  await cpuPeer.trainOnBatch(bx, by);
  if (b > 0) cpuBatchSeconds.push((performance.now() - start) / 1000);
  tfjs.dispose([bx, by]);
}
const cpuTrainRate = BATCH / median(cpuBatchSeconds);
const cpuPredictRate = 256 / await tfjsPredictSeconds(cpuPeer, 256);
console.log(`tfjs-cpu: train ${cpuTrainRate.toFixed(2)}/s, predict ${cpuPredictRate.toFixed(0)}/s`);

// --- report ------------------------------------------------------------------------------------------

const rows: Record<string, unknown>[] = [];
const ratio = (rate: number, peer: number) => `${(rate / peer).toFixed(rate / peer >= 100 ? 0 : 2)}x`;
for (const threads of threadCounts) {
  const rate = TRAIN_SAMPLES / median(sinewSeconds[threads].train);
  rows.push({ task: 'train', library: `sinew ${threads}T`, 'samples/s': Math.round(rate), 'vs tfjs-cpu': ratio(rate, cpuTrainRate), 'vs tfjs-wasm': 'cannot train' });
}
rows.push({ task: 'train', library: 'tfjs-cpu', 'samples/s': Number(cpuTrainRate.toFixed(2)), 'vs tfjs-cpu': '1.00x', 'vs tfjs-wasm': 'cannot train' });
rows.push({ task: 'train', library: 'tfjs-wasm', 'samples/s': 0, 'vs tfjs-cpu': '-', 'vs tfjs-wasm': wasmTrainError ? 'cannot train' : '?' });
for (const threads of threadCounts) {
  const rate = PREDICT_SAMPLES / median(sinewSeconds[threads].predict);
  rows.push({ task: 'predict', library: `sinew ${threads}T`, 'samples/s': Math.round(rate), 'vs tfjs-cpu': ratio(rate, cpuPredictRate), 'vs tfjs-wasm': ratio(rate, wasmPredictRate) });
}
rows.push({ task: 'predict', library: 'tfjs-cpu', 'samples/s': Math.round(cpuPredictRate), 'vs tfjs-cpu': '1.00x', 'vs tfjs-wasm': ratio(cpuPredictRate, wasmPredictRate) });
rows.push({ task: 'predict', library: 'tfjs-wasm', 'samples/s': Math.round(wasmPredictRate), 'vs tfjs-cpu': ratio(wasmPredictRate, cpuPredictRate), 'vs tfjs-wasm': '1.00x' });

const info = tf.backendInfo();
const md = writeReport('cnn', rows, {
  title: 'MNIST CNN (conv32-pool-conv64-pool-dense128-dense10): training and predict throughput, batch 64',
  notes: [
    `Machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} logical cores, Node ${process.versions.node}; ` +
      `1-min load average ${loadAtStart.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at the end`,
    `sinew wasm build ${info.variant ?? '?'} (relaxed SIMD ${info.relaxedSimd ? 'on' : 'off'}), @tensorflow/tfjs ${packageVersion('@tensorflow/tfjs')}, tfjs-backend-wasm ${packageVersion('@tensorflow/tfjs-backend-wasm')} (1 thread in Node)`,
    `Train: sinew model.fit one epoch of ${TRAIN_SAMPLES} MNIST samples (batch ${BATCH}, adam 1e-3, categoricalCrossentropy, no shuffle), ` +
      `median of ${ROUNDS} rounds of ≥ ${MIN_SECONDS} s after a warm-up; tfjs-cpu: model.trainOnBatch on ${BATCH} samples, median of ${TFJS_CPU_BATCHES} batches after one warm-up batch`,
    `tfjs-wasm training fails: ${wasmTrainError || '(it did not fail)'}`,
    `Predict: model.predict (batch ${BATCH}) on ${PREDICT_SAMPLES} samples (tfjs-cpu: 256), read back; median of ${ROUNDS} rounds`,
    'Same architecture and starting weights on every library',
  ],
  chart: { group: 'task', series: 'library', value: 'samples/s', unit: 'samples/s' },
});
console.log('\n' + md);
