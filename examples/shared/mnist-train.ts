// The sinew side of the MNIST examples: train a compiled-by-us model on the training split, then score the
// test split (shared by the MLP and CNN examples, which differ only in the model and the image shape).
import * as tf from '../../src/index.js';
import { preprocessing } from '../../src/data/index.js';
import { NUM_CLASSES, type MnistSplit } from './mnist.js';

/** Fraction of rows whose highest-scoring class equals the label. */
export function accuracy(probabilities: ArrayLike<number>, labels: Uint8Array): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < NUM_CLASSES; c++) if (probabilities[i * NUM_CLASSES + c] > probabilities[i * NUM_CLASSES + best]) best = c;
    if (best === labels[i]) correct++;
  }
  return correct / labels.length;
}

export interface MnistTrainOptions {
  /** Shape of one image as the model takes it: [784] or [28, 28, 1]. */
  imageShape: number[];
  epochs: number;
  batchSize: number;
  verbose: number;
  learningRate: number;
  predictBatchSize: number;
}

/**
 * Compiles `model` (adam, categorical cross-entropy), hands its starting weights to `initialWeights` (for a
 * fair peer run), fits it on the training split and returns the test accuracy and training samples/s. The
 * model is disposed afterwards.
 */
export async function trainAndTest(
  model: tf.Sequential, data: { train: MnistSplit; test: MnistSplit }, options: MnistTrainOptions,
  initialWeights?: (weights: tf.Tensor[]) => void,
): Promise<{ testAccuracy: number; trainSamplesPerSecond: number; fitSeconds: number }> {
  const { train, test } = data;
  const { imageShape, epochs, batchSize, verbose } = options;
  const xTrain = tf.tensor(train.images, [train.count, ...imageShape]);
  const yTrain = preprocessing.oneHot(train.labels, NUM_CLASSES);
  const xTest = tf.tensor(test.images, [test.count, ...imageShape]);
  const optimizer = tf.train.adam(options.learningRate);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  if (initialWeights) {
    const weights = model.getWeights();
    initialWeights(weights);
    tf.dispose(weights);
  }
  const start = performance.now();
  await model.fit(xTrain, yTrain, { epochs, batchSize, shuffle: true, verbose });
  const fitSeconds = (performance.now() - start) / 1000;

  const probabilities = model.predict(xTest, { batchSize: options.predictBatchSize }) as tf.Tensor;
  const testAccuracy = accuracy(await probabilities.data() as Float32Array, test.labels);
  tf.dispose([xTrain, yTrain, xTest, probabilities]);
  model.dispose();
  optimizer.dispose();
  return { testAccuracy, trainSamplesPerSecond: (epochs * train.count) / fitSeconds, fitSeconds };
}
