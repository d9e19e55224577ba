// An MLP with dropout and L2 weight decay on MNIST, trained side by side with the same MLP without them,
// on a small training set where the regularized one should overfit less.
//   npx tsx examples/mlp-regularized.ts [--train 5000] [--epochs 15]
import * as tf from '../src/index.js';
import { preprocessing } from '../src/data/index.js';
import { loadMnist, IMAGE_SIZE, NUM_CLASSES } from './shared/mnist.js';
import { isMain, numberFlag } from './shared/cli.js';

/** 784 → 256 relu → 128 relu → 10 softmax; with `regularized`, L2 on every kernel and dropout after each hidden layer. */
export function buildMlp(regularized: boolean, l2 = 1e-4, dropoutRate = 0.3): tf.Sequential {
  const kernelRegularizer = regularized ? tf.regularizers.l2({ l2 }) : undefined;
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [IMAGE_SIZE], units: 256, activation: 'relu', kernelRegularizer }));
  if (regularized) model.add(tf.layers.dropout({ rate: dropoutRate }));
  model.add(tf.layers.dense({ units: 128, activation: 'relu', kernelRegularizer }));
  if (regularized) model.add(tf.layers.dropout({ rate: dropoutRate }));
  model.add(tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax', kernelRegularizer }));
  return model;
}

export interface RegularizedRun {
  regularized: boolean;
  trainAccuracy: number;
  testAccuracy: number;
}

/** Trains both variants from the same seed and reports train and test accuracy of each. */
export async function runRegularizedComparison(trainSamples: number, epochs: number, verbose = 0): Promise<RegularizedRun[]> {
  const { train, test } = await loadMnist({ trainSamples, testSamples: 10000 });
  const xTrain = tf.tensor2d(train.images, [train.count, IMAGE_SIZE]);
  const yTrain = preprocessing.oneHot(train.labels, NUM_CLASSES);
  const xTest = tf.tensor2d(test.images, [test.count, IMAGE_SIZE]);
  const yTest = preprocessing.oneHot(test.labels, NUM_CLASSES);
  const runs: RegularizedRun[] = [];
  for (const regularized of [false, true]) {
    tf.setRandomSeed(7);
    const model = buildMlp(regularized);
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    await model.fit(xTrain, yTrain, { epochs, batchSize: 64, verbose });
    const accuracyOn = (x: tf.Tensor, y: tf.Tensor) => {
      const [loss, accuracy] = model.evaluate(x, y, { batchSize: 1024 }) as tf.Tensor[];
      const value = accuracy.dataSync()[0];
      tf.dispose([loss, accuracy]);
      return value;
    };
    runs.push({ regularized, trainAccuracy: accuracyOn(xTrain, yTrain), testAccuracy: accuracyOn(xTest, yTest) });
    model.dispose();
  }
  tf.dispose([xTrain, yTrain, xTest, yTest]);
  return runs;
}

if (isMain(import.meta.url)) {
  const trainSamples = numberFlag('train', 5000);
  const epochs = numberFlag('epochs', 15);
  console.log(`MLP 784-256-128-10 on ${trainSamples} MNIST training images, ${epochs} epochs, with and without dropout 0.3 + L2 1e-4`);
  for (const run of await runRegularizedComparison(trainSamples, epochs, 2)) {
    console.log(`${run.regularized ? 'dropout + L2' : 'plain       '}  train accuracy ${(100 * run.trainAccuracy).toFixed(2)}%  ` +
      `test accuracy ${(100 * run.testAccuracy).toFixed(2)}%  (gap ${(100 * (run.trainAccuracy - run.testAccuracy)).toFixed(2)} points)`);
  }
  process.exit(0);
}
