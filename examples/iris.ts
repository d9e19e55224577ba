// Iris: a softmax classifier (multinomial logistic regression, one dense layer) on the four standardized
// measurements, trained with adam on categoricalCrossentropy; accuracy on a held-out 30%.
//   npx tsx examples/iris.ts [--epochs 100]
import * as tf from '../src/index.js';
import { preprocessing } from '../src/data/index.js';
import { loadIris } from './shared/datasets.js';
import { isMain, numberFlag } from './shared/cli.js';

export interface IrisResult {
  trainAccuracy: number;
  testAccuracy: number;
  testCount: number;
  /** confusion[true][predicted] on the test split. */
  confusion: number[][];
  classNames: string[];
}

const accuracyOf = (predicted: number[], actual: number[]) => predicted.filter((p, i) => p === actual[i]).length / actual.length;

export async function runIris(options: { epochs?: number; seed?: number } = {}): Promise<IrisResult> {
  const { epochs = 100, seed = 7 } = options;
  tf.setRandomSeed(seed);
  const iris = loadIris();
  const classes = iris.classNames.length;
  const split = preprocessing.trainTestSplit(iris.features, iris.labels, { testFraction: 0.3, seed });
  const scaler = preprocessing.standardScaler().fit(split.xTrain);
  const xTrain = scaler.transform(split.xTrain);
  const xTest = scaler.transform(split.xTest);
  const yTrain = preprocessing.oneHot(split.yTrain, classes);

  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: classes, activation: 'softmax' })] });
  const optimizer = tf.train.adam(0.05);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  await model.fit(xTrain, yTrain, { epochs, batchSize: 16, verbose: 0 });

  const predictClasses = (x: tf.Tensor) => tf.tidy(() => Array.from(tf.argMax(model.predict(x) as tf.Tensor, -1).dataSync()));
  const trainPredicted = predictClasses(xTrain);
  const testPredicted = predictClasses(xTest);
  const trainActual = Array.from(split.yTrain.dataSync());
  const testActual = Array.from(split.yTest.dataSync());
  const confusion = iris.classNames.map(() => new Array<number>(classes).fill(0));
  testActual.forEach((actual, i) => confusion[actual][testPredicted[i]]++);
  tf.dispose([split, xTrain, xTest, yTrain]);
  model.dispose();
  optimizer.dispose();
  return {
    trainAccuracy: accuracyOf(trainPredicted, trainActual),
    testAccuracy: accuracyOf(testPredicted, testActual),
    testCount: testActual.length,
    confusion,
    classNames: iris.classNames,
  };
}

if (isMain(import.meta.url)) {
  const r = await runIris({ epochs: numberFlag('epochs', 100) });
  console.log(`Iris softmax classifier: train accuracy ${(100 * r.trainAccuracy).toFixed(1)}%, held-out accuracy ${(100 * r.testAccuracy).toFixed(1)}% (${r.testCount} flowers)`);
  console.log('\nconfusion (rows: true species, columns: predicted)');
  r.confusion.forEach((row, i) => console.log(`${r.classNames[i].padEnd(11)} ${row.map((n) => String(n).padStart(4)).join('')}`));
}
