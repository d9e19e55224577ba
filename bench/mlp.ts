// MLP suite: training and inference throughput (samples/s) of the MNIST MLP 784-128(relu)-10(softmax),
// adam, categoricalCrossentropy, batch 128 — sinew (1 thread and all threads) against tfjs-layers on its
// wasm and cpu backends, in one process. Each measurement is one model.fit epoch (or one model.predict) over
// the same real MNIST samples; the libraries take turns, round after round, and the median round counts.
//   npx tsx bench/mlp.ts            (or npm run bench -- mlp)
import os from 'node:os';
import * as tf from '../src/index.js';
import { loadMnist, IMAGE_SIZE, NUM_CLASSES } from '../examples/shared/mnist.js';
import { loadTfjs, packageVersion } from './peers.js';
import { writeReport } from './report.js';
import { median, rerunWithRelaxedSimd } from './harness.js';

rerunWithRelaxedSimd();

const BATCH = 128;
const TRAIN_SAMPLES = 128 * 24;    // 24 steps per timed epoch
const PREDICT_SAMPLES = 8192;
const ROUNDS = 5;

const loadAtStart = os.loadavg()[0];
const mnist = await loadMnist({ trainSamples: Math.max(TRAIN_SAMPLES, PREDICT_SAMPLES), testSamples: 0 });
const labels = new Float32Array(mnist.train.count * NUM_CLASSES);
mnist.train.labels.forEach((label, i) => { labels[i * NUM_CLASSES + label] = 1; });

/** One library configuration: fit one epoch, predict once, and clean up. */
interface Contender {
  name: string;
  trainEpoch(): Promise<void>;
  predictAll(): Promise<void>;
  dispose(): void;
}

async function sinewContender(threads: number): Promise<Contender> {
  const model = tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [IMAGE_SIZE], units: 128, activation: 'relu' }),
    tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax' }),
  ] });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const x = tf.tensor2d(mnist.train.images.subarray(0, TRAIN_SAMPLES * IMAGE_SIZE), [TRAIN_SAMPLES, IMAGE_SIZE]);
  const y = tf.tensor2d(labels.subarray(0, TRAIN_SAMPLES * NUM_CLASSES), [TRAIN_SAMPLES, NUM_CLASSES]);
  const xPredict = tf.tensor2d(mnist.train.images.subarray(0, PREDICT_SAMPLES * IMAGE_SIZE), [PREDICT_SAMPLES, IMAGE_SIZE]);
  return {
    name: `sinew ${threads}T`,
    trainEpoch: async () => {
      tf.setThreads(threads);
      await model.fit(x, y, { batchSize: BATCH, epochs: 1, shuffle: false, verbose: 0 });
    },
    predictAll: async () => {
      tf.setThreads(threads);
      const out = model.predict(xPredict, { batchSize: BATCH }) as tf.Tensor;
      await out.data();
      out.dispose();
    },
    dispose: () => tf.dispose([x, y, xPredict]),
  };
}

const tfjs = await loadTfjs();

async function tfjsContender(backend: 'wasm' | 'cpu'): Promise<Contender> {
  await tfjs.setBackend(backend);
  await tfjs.ready();
  const model = tfjs.sequential({ layers: [
    tfjs.layers.dense({ inputShape: [IMAGE_SIZE], units: 128, activation: 'relu' }),
    tfjs.layers.dense({ units: NUM_CLASSES, activation: 'softmax' }),
  ] });
  model.compile({ optimizer: tfjs.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const x = tfjs.tensor2d(mnist.train.images.subarray(0, TRAIN_SAMPLES * IMAGE_SIZE), [TRAIN_SAMPLES, IMAGE_SIZE]);
  const y = tfjs.tensor2d(labels.subarray(0, TRAIN_SAMPLES * NUM_CLASSES), [TRAIN_SAMPLES, NUM_CLASSES]);
  const xPredict = tfjs.tensor2d(mnist.train.images.subarray(0, PREDICT_SAMPLES * IMAGE_SIZE), [PREDICT_SAMPLES, IMAGE_SIZE]);
  // Tensors live on the backend that made them, so switch back to it before each turn.
  const use = async () => { if (tfjs.getBackend() !== backend) await tfjs.setBackend(backend); };
  return {
    name: `tfjs-${backend}`,
    trainEpoch: async () => {
      await use();
      await model.fit(x, y, { batchSize: BATCH, epochs: 1, shuffle: false, verbose: 0 });
    },
    predictAll: async () => {
      await use();
      const out = model.predict(xPredict, { batchSize: BATCH }) as ReturnType<typeof tfjs.tensor>;
      await out.data();
      out.dispose();
    },
    dispose: () => tfjs.dispose([x, y, xPredict]),
  };
}

await tf.ready();
const allThreads = tf.backendInfo().maxThreads ?? 1;
const contenders: Contender[] = [await sinewContender(1)];
if (allThreads > 1) contenders.push(await sinewContender(allThreads));
contenders.push(await tfjsContender('wasm'), await tfjsContender('cpu'));

const seconds: Record<string, { train: number[]; predict: number[] }> = {};
for (const c of contenders) {
  seconds[c.name] = { train: [], predict: [] };
  await c.trainEpoch(); // warm-up: compiles kernels, sizes buffers, lets the JIT settle
  await c.predictAll();
}
/** Seconds per call, repeating the call until MIN_SECONDS have passed so that short runs are not all noise. */
const MIN_SECONDS = 0.6;
const time = async (fn: () => Promise<void>) => {
  const start = performance.now();
  let calls = 0;
  do { await fn(); calls++; } while (performance.now() - start < MIN_SECONDS * 1000);
  return (performance.now() - start) / 1000 / calls;
};
for (let round = 0; round < ROUNDS; round++) {
  // Rotate the order each round so no library always runs first or right after a heavy one.
  for (let i = 0; i < contenders.length; i++) {
    const c = contenders[(i + round) % contenders.length];
    seconds[c.name].train.push(await time(c.trainEpoch));
    seconds[c.name].predict.push(await time(c.predictAll));
  }
  console.log(`round ${round + 1}/${ROUNDS}: ` + contenders.map((c) => `${c.name} ${(TRAIN_SAMPLES / seconds[c.name].train[round]).toFixed(0)}/s`).join(', '));
}
contenders.forEach((c) => c.dispose());

const rows: Record<string, unknown>[] = [];
for (const [task, samples] of [['train', TRAIN_SAMPLES], ['predict', PREDICT_SAMPLES]] as const) {
  const rate = (name: string) => samples / median(seconds[name][task]);
  const tfjsWasm = rate('tfjs-wasm');
  for (const c of contenders) {
    rows.push({ task, library: c.name, 'samples/s': Math.round(rate(c.name)), 'vs tfjs-wasm': `${(rate(c.name) / tfjsWasm).toFixed(2)}x` });
  }
}
const info = tf.backendInfo();
const md = writeReport('mlp', rows, {
  title: 'MLP 784-128-10 on MNIST: training and predict throughput',
  notes: [
    `Machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} logical cores, Node ${process.versions.node}; ` +
      `1-min load average ${loadAtStart.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at the end (other work on the cores shrinks the gain of a second thread)`,
    `sinew wasm build ${info.variant ?? '?'} (relaxed SIMD ${info.relaxedSimd ? 'on' : 'off'}), @tensorflow/tfjs ${packageVersion('@tensorflow/tfjs')}, tfjs-backend-wasm ${packageVersion('@tensorflow/tfjs-backend-wasm')} (1 thread in Node)`,
    `Train: model.fit one epoch of ${TRAIN_SAMPLES} MNIST samples, batch ${BATCH}, adam(1e-3), categoricalCrossentropy, no shuffle, verbose 0`,
    `Predict: model.predict on ${PREDICT_SAMPLES} samples, batch ${BATCH}, read back`,
    `Each round times each library for at least ${MIN_SECONDS} s (whole epochs / predicts); median of ${ROUNDS} rounds after one warm-up; libraries alternate within each round`,
  ],
  chart: { group: 'task', series: 'library', value: 'samples/s', unit: 'samples/s' },
});
console.log('\n' + md);

