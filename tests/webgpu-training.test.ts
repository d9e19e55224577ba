// model.fit on webgpu (Dawn on Mesa's OpenGL ES, device worker) against wasm from the same initial weights:
// an MLP, the MNIST CNN on a subset, an LSTM and a Transformer encoder. The losses of every epoch agree and
// the models learn to the same accuracy.
import { describe, expect, it } from 'vitest';
import { tf, useSoftwareWebGPU, type Tensor } from './helpers.js';
import { runWebGPUTests } from './webgpu-harness.js';
import { buildCnn } from '../examples/mnist-cnn.js';
import { loadMnist, NUM_CLASSES } from '../examples/shared/mnist.js';

interface Run { loss: number[]; accuracy: number }
interface Task {
  build: () => tf.LayersModel;
  /** A fresh optimizer per model: one optimizer's state must not carry over from the wasm run. */
  compile: () => Parameters<tf.LayersModel['compile']>[0];
  /** Built on the current backend. */
  data: () => { x: Tensor; y: Tensor; testX: Tensor; testY: Tensor };
  epochs: number;
  batchSize: number;
}

/** Trains the same model from the same weights on wasm, then webgpu. */
async function trainOnBoth(task: Task): Promise<{ wasm: Run; webgpu: Run }> {
  useSoftwareWebGPU('worker');
  let initial: { values: Float32Array; shape: number[] }[] | undefined;
  const runs: Run[] = [];
  for (const backend of ['wasm', 'webgpu']) {
    await tf.setBackend(backend);
    const model = task.build();
    if (!initial) initial = model.getWeights().map((w) => ({ values: Float32Array.from(w.dataSync() as Float32Array), shape: w.shape }));
    else model.setWeights(initial.map(({ values, shape }) => tf.tensor(values, shape)));
    model.compile(task.compile());
    const { x, y, testX, testY } = task.data();
    const history = await model.fit(x, y, { epochs: task.epochs, batchSize: task.batchSize, shuffle: false, verbose: 0 });
    const evaluated = model.evaluate(testX, testY) as Tensor[];
    runs.push({ loss: history.history.loss as number[], accuracy: (await evaluated[1].data())[0] });
    tf.dispose([x, y, testX, testY, ...evaluated]);
    model.dispose();
  }
  await tf.setBackend('wasm');
  return { wasm: runs[0], webgpu: runs[1] };
}

function expectSameTraining({ wasm, webgpu }: { wasm: Run; webgpu: Run }, rtol: number, minAccuracy: number): void {
  webgpu.loss.forEach((loss, epoch) => expect(Math.abs(loss - wasm.loss[epoch]), `epoch ${epoch} loss ${loss} vs wasm ${wasm.loss[epoch]}`)
    .toBeLessThan(rtol * (1 + wasm.loss[epoch])));
  expect(webgpu.loss.at(-1)!).toBeLessThan(webgpu.loss[0]);
  expect(Math.abs(webgpu.accuracy - wasm.accuracy)).toBeLessThanOrEqual(0.02);
  expect(webgpu.accuracy).toBeGreaterThan(minAccuracy);
}

const adam = (rate: number) => () => ({ optimizer: tf.train.adam(rate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
/** A deterministic stand-in for random data: values in [0, 1). */
const hash = (i: number) => { const s = Math.sin(i * 12.9898 + 78.233) * 43758.5453; return s - Math.floor(s); };

describe.skipIf(!runWebGPUTests)('webgpu training', () => {
  it('an MLP (Adam, softmax cross-entropy) follows wasm epoch by epoch and learns', async () => {
    const n = 256;
    const xs = Array.from({ length: n * 2 }, (_, i) => hash(i));
    const labels = Array.from({ length: n }, (_, i) => (xs[2 * i] + xs[2 * i + 1] > 1 ? 1 : 0));
    const result = await trainOnBoth({
      build: () => tf.sequential({ layers: [
        tf.layers.dense({ units: 16, activation: 'relu', inputShape: [2] }), tf.layers.dense({ units: 2, activation: 'softmax' })] }),
      compile: adam(0.05),
      data: () => {
        const x = tf.tensor(xs, [n, 2]);
        const y = tf.oneHot(tf.tensor(labels, [n], 'int32'), 2);
        return { x, y, testX: x.clone(), testY: y.clone() };
      },
      epochs: 15, batchSize: 64,
    });
    expectSameTraining(result, 1e-3, 0.9);
  });

  it('the MNIST CNN on 256 real images', async () => {
    const { train, test } = await loadMnist({ trainSamples: 256, testSamples: 128 });
    const oneHot = (labels: ArrayLike<number>) => {
      const rows = new Float32Array(labels.length * NUM_CLASSES);
      Array.from(labels).forEach((label, i) => { rows[i * NUM_CLASSES + label] = 1; });
      return tf.tensor2d(rows, [labels.length, NUM_CLASSES]);
    };
    const result = await trainOnBoth({
      build: () => buildCnn(),
      compile: adam(2e-3),
      data: () => ({
        x: tf.tensor4d(train.images, [train.count, 28, 28, 1]), y: oneHot(train.labels),
        testX: tf.tensor4d(test.images, [test.count, 28, 28, 1]), testY: oneHot(test.labels),
      }),
      epochs: 3, batchSize: 32,
    });
    expectSameTraining(result, 2e-3, 0.6);
  });

  it('an LSTM classifying sequences by the sign of their sum', async () => {
    const [n, steps, features] = [192, 10, 3];
    const xs = Array.from({ length: n * steps * features }, (_, i) => hash(i) * 2 - 1);
    const labels = Array.from({ length: n }, (_, b) => {
      let sum = 0;
      for (let t = 0; t < steps; t++) sum += xs[(b * steps + t) * features];
      return sum > 0 ? 1 : 0;
    });
    const result = await trainOnBoth({
      build: () => tf.sequential({ layers: [
        tf.layers.lstm({ units: 12, inputShape: [steps, features] }), tf.layers.dense({ units: 2, activation: 'softmax' })] }),
      compile: adam(0.02),
      data: () => {
        const x = tf.tensor3d(xs, [n, steps, features]);
        const y = tf.oneHot(tf.tensor(labels, [n], 'int32'), 2);
        return { x, y, testX: x.clone(), testY: y.clone() };
      },
      epochs: 12, batchSize: 32,
    });
    expectSameTraining(result, 2e-3, 0.8);
  });

  it('a Transformer encoder finding whether token 3 occurs', async () => {
    const [n, length, vocabulary] = [192, 8, 12];
    const tokens = Array.from({ length: n * length }, (_, i) => Math.floor(hash(i) * vocabulary));
    const labels = Array.from({ length: n }, (_, b) => (tokens.slice(b * length, (b + 1) * length).includes(3) ? 1 : 0));
    const result = await trainOnBoth({
      build: () => tf.sequential({ layers: [
        tf.layers.embedding({ inputDim: vocabulary, outputDim: 16, inputLength: length }),
        tf.layers.transformerEncoder({ intermediateDim: 32, numHeads: 2 }),
        tf.layers.globalAveragePooling1d(),
        tf.layers.dense({ units: 2, activation: 'softmax' })] }),
      compile: adam(5e-3),
      data: () => {
        const x = tf.tensor2d(tokens, [n, length], 'int32');
        const y = tf.oneHot(tf.tensor(labels, [n], 'int32'), 2);
        return { x, y, testX: x.clone(), testY: y.clone() };
      },
      epochs: 12, batchSize: 32,
    });
    expectSameTraining(result, 2e-3, 0.8);
  });
});
