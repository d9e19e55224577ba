// Boston house prices: linear regression two ways on the same standardized features, and how they compare.
//   1. Closed form: the normal equations (XᵀX) w = Xᵀy, with XᵀX and Xᵀy computed by tf.matMul and the
//      14×14 system solved by Cholesky in plain JS (float64).
//   2. Gradient descent: tf.sequential([dense(1)]) trained full-batch with sgd on meanSquaredError.
// Full-batch GD on a convex loss converges to the closed-form minimizer, so the coefficients should agree.
//   npx tsx examples/boston-housing.ts [--epochs 1500] [--lr 0.1]
import * as tf from '../src/index.js';
import { preprocessing } from '../src/data/index.js';
import { loadBoston } from './shared/datasets.js';
import { solveSpd, type LinearFit } from './shared/least-squares.js';
import { isMain, numberFlag } from './shared/cli.js';

export interface BostonResult {
  featureNames: string[];
  /** Standardized training features [N, 13] and targets [N] as plain arrays (for independent checks). */
  xTrain: number[][];
  yTrain: number[];
  closedForm: LinearFit;
  gradientDescent: LinearFit;
  trainMse: { closedForm: number; gradientDescent: number };
  testMse: { closedForm: number; gradientDescent: number };
}

/** Normal equations through sinew ops: [1 | x] augmented, gram = AᵀA, moment = Aᵀy, then Cholesky. */
function normalEquation(x: tf.Tensor, y: tf.Tensor): LinearFit {
  const [gram, moment] = tf.tidy(() => {
    const augmented = tf.concat([tf.ones([x.shape[0], 1]), x], 1);
    return [tf.matMul(augmented, augmented, true, false), tf.matMul(augmented, tf.reshape(y, [-1, 1]), true, false)];
  });
  const gramRows = gram.arraySync() as number[][];
  const [intercept, ...weights] = solveSpd(gramRows, Array.from(moment.dataSync()));
  tf.dispose([gram, moment]);
  return { intercept, weights };
}

function mseOf(fit: LinearFit, x: tf.Tensor, y: tf.Tensor): number {
  return tf.tidy(() => {
    const prediction = tf.add(tf.matMul(x, tf.tensor2d(fit.weights, [fit.weights.length, 1])), fit.intercept);
    return tf.mean(tf.square(tf.sub(tf.reshape(prediction, [-1]), y))).dataSync()[0];
  });
}

export async function runBostonHousing(options: { epochs?: number; learningRate?: number; seed?: number } = {}): Promise<BostonResult> {
  const { epochs = 1500, learningRate = 0.1, seed = 42 } = options;
  const boston = loadBoston();
  const split = preprocessing.trainTestSplit(boston.features, boston.target, { testFraction: 0.2, seed });
  // Scale with training statistics only, so the test split stays unseen.
  const scaler = preprocessing.standardScaler().fit(split.xTrain);
  const xTrain = scaler.transform(split.xTrain);
  const xTest = scaler.transform(split.xTest);

  const closedForm = normalEquation(xTrain, split.yTrain);

  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [boston.featureNames.length], units: 1, kernelInitializer: 'zeros' })] });
  const optimizer = tf.train.sgd(learningRate);
  model.compile({ optimizer, loss: 'meanSquaredError' });
  const yColumn = tf.reshape(split.yTrain, [-1, 1]);
  await model.fit(xTrain, yColumn, { epochs, batchSize: xTrain.shape[0], shuffle: false, verbose: 0 });
  const [kernel, bias] = model.getWeights();
  const gradientDescent: LinearFit = { intercept: bias.dataSync()[0], weights: Array.from(kernel.dataSync()) };
  tf.dispose([kernel, bias]);

  const result: BostonResult = {
    featureNames: boston.featureNames,
    xTrain: xTrain.arraySync() as number[][],
    yTrain: Array.from(split.yTrain.dataSync()),
    closedForm,
    gradientDescent,
    trainMse: { closedForm: mseOf(closedForm, xTrain, split.yTrain), gradientDescent: mseOf(gradientDescent, xTrain, split.yTrain) },
    testMse: { closedForm: mseOf(closedForm, xTest, split.yTest), gradientDescent: mseOf(gradientDescent, xTest, split.yTest) },
  };
  tf.dispose([split, xTrain, xTest, yColumn]);
  model.dispose();
  optimizer.dispose();
  return result;
}

if (isMain(import.meta.url)) {
  const epochs = numberFlag('epochs', 1500);
  const start = performance.now();
  const r = await runBostonHousing({ epochs, learningRate: numberFlag('lr', 0.1) });
  console.log(`Boston housing: ${r.xTrain.length} training tracts, 13 standardized features, target MEDV ($1000s)\n`);
  console.log('feature     normal eq.   grad. descent');
  console.log(`intercept   ${r.closedForm.intercept.toFixed(4).padStart(10)}   ${r.gradientDescent.intercept.toFixed(4).padStart(10)}`);
  r.featureNames.forEach((name, i) => {
    console.log(`${name.padEnd(10)}  ${r.closedForm.weights[i].toFixed(4).padStart(10)}   ${r.gradientDescent.weights[i].toFixed(4).padStart(10)}`);
  });
  const gap = Math.max(...r.closedForm.weights.map((w, i) => Math.abs(w - r.gradientDescent.weights[i])));
  console.log(`\nlargest coefficient difference: ${gap.toExponential(2)} after ${epochs} full-batch sgd epochs`);
  console.log(`train MSE: normal eq. ${r.trainMse.closedForm.toFixed(3)}, gradient descent ${r.trainMse.gradientDescent.toFixed(3)}`);
  console.log(`test  MSE: normal eq. ${r.testMse.closedForm.toFixed(3)}, gradient descent ${r.testMse.gradientDescent.toFixed(3)}`);
  console.log(`(${((performance.now() - start) / 1000).toFixed(1)} s)`);
}
