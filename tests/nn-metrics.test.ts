// tf.metrics and Keras losses vs tfjs-layers' metrics/losses on random inputs (odd sizes), plus the
// 'accuracy' rule (binary / categorical / sparse from the loss and output shape) and float64 references.
import { describe, expect, it } from 'vitest';
import { expectClose, loadTfjs, randomValues, tf } from './helpers.js';
import type { Tensor } from './helpers.js';
import { compileModel, getLoss, kerasLosses, metrics } from '../src/nn/training/index.js';
import { FakeMLP } from './nn-fake-model.js';

const tfjs = await loadTfjs();

/** tfjs-layers' own loss function for a name (tfjs exports no layers losses; compile resolves them). */
function tfjsLoss(name: string) {
  const model = tfjs.sequential({ layers: [tfjs.layers.dense({ units: 1, inputShape: [1] })] });
  model.compile({ optimizer: 'sgd', loss: name });
  const fn = (model as unknown as { model: { lossFunctions: ((a: never, b: never) => never)[] } }).model.lossFunctions[0];
  model.dispose();
  return fn;
}

const probabilities = (rows: number, cols: number, seed: number) => {
  const raw = randomValues(rows * cols, seed, 0.05, 1);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += raw[r * cols + c];
    for (let c = 0; c < cols; c++) raw[r * cols + c] /= s;
  }
  return Array.from(raw);
};
const oneHotRows = (rows: number, cols: number, seed: number) =>
  Array.from(randomValues(rows, seed, 0, cols), (v) => Math.floor(v)).flatMap((c) => Array.from({ length: cols }, (_, k) => (k === c ? 1 : 0)));
const binary = (n: number, seed: number) => Array.from(randomValues(n, seed), (v) => (v > 0 ? 1 : 0));

type Pair = { yTrue: number[]; yPred: number[]; shape: number[]; trueShape?: number[] };
function both(p: Pair, fn: (a: Tensor, b: Tensor) => Tensor, theirs: (a: never, b: never) => { dataSync(): ArrayLike<number>; shape: number[] }) {
  const a = tf.tensor(p.yTrue, p.trueShape ?? p.shape);
  const b = tf.tensor(p.yPred, p.shape);
  const ours = fn(a, b);
  const reference = theirs(tfjs.tensor(p.yTrue, p.trueShape ?? p.shape) as never, tfjs.tensor(p.yPred, p.shape) as never);
  expect(ours.shape).toEqual(reference.shape);
  expectClose(ours.dataSync(), reference.dataSync(), { rtol: 1e-5, atol: 1e-6 });
  tf.dispose([a, b, ours]);
}

describe('tf.metrics vs tfjs.metrics', () => {
  for (const [rows, cols] of [[1, 3], [17, 5], [127, 2]]) {
    it(`accuracies, mse, mae, crossentropies on [${rows},${cols}]`, () => {
      const dense: Pair = { yTrue: oneHotRows(rows, cols, rows), yPred: probabilities(rows, cols, cols), shape: [rows, cols] };
      both(dense, metrics.categoricalAccuracy, tfjs.metrics.categoricalAccuracy);
      both(dense, metrics.categoricalCrossentropy, tfjs.metrics.categoricalCrossentropy);
      both(dense, metrics.meanSquaredError, tfjs.metrics.meanSquaredError);
      both(dense, metrics.mae, tfjs.metrics.meanAbsoluteError);
      both(dense, metrics.mape, tfjs.metrics.MAPE);
      const bin: Pair = { yTrue: binary(rows * cols, 3), yPred: Array.from(randomValues(rows * cols, 4, 0.01, 0.99)), shape: [rows, cols] };
      both(bin, metrics.binaryAccuracy, tfjs.metrics.binaryAccuracy);
      both(bin, metrics.binaryCrossentropy, tfjs.metrics.binaryCrossentropy);
      const classes = Array.from(randomValues(rows, 9, 0, cols), (v) => Math.floor(v));
      for (const trueShape of [[rows], [rows, 1]]) {
        const sparse: Pair = { yTrue: classes, yPred: probabilities(rows, cols, 5), shape: [rows, cols], trueShape };
        both(sparse, metrics.sparseCategoricalAccuracy, tfjs.metrics.sparseCategoricalAccuracy);
        both(sparse, metrics.sparseCategoricalCrossentropy, tfjsLoss('sparseCategoricalCrossentropy'));
      }
    });
  }

  it('precision and recall agree with tfjs on 0/1 predictions; f1 with the float64 formula', () => {
    for (const n of [1, 17, 513]) {
      const p: Pair = { yTrue: binary(n, n), yPred: binary(n, n + 1), shape: [n] };
      both(p, metrics.precision, tfjs.metrics.precision);
      both(p, metrics.recall, tfjs.metrics.recall);
      let tp = 0, fp = 0, fn = 0;
      p.yTrue.forEach((t, i) => {
        if (t === 1 && p.yPred[i] === 1) tp++;
        if (t === 0 && p.yPred[i] === 1) fp++;
        if (t === 1 && p.yPred[i] === 0) fn++;
      });
      const f1 = metrics.f1(tf.tensor(p.yTrue), tf.tensor(p.yPred));
      expectClose(f1.dataSync(), [tp + fp + fn === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn)], { rtol: 1e-6 });
      f1.dispose();
    }
    // Probabilities are thresholded at 0.5, as Keras does.
    const r = metrics.recall(tf.tensor([1, 1, 0, 1]), tf.tensor([0.9, 0.2, 0.7, 0.6]));
    expectClose(r.dataSync(), [2 / 3], { rtol: 1e-6 });
    const none = metrics.precision(tf.tensor([1, 0]), tf.tensor([0.1, 0.2]));
    expect(none.dataSync()[0]).toBe(0);
    tf.dispose([r, none]);
  });

  it('r2Score vs tfjs', () => {
    both({ yTrue: Array.from(randomValues(17, 1)), yPred: Array.from(randomValues(17, 2)), shape: [17] }, metrics.r2Score, tfjs.metrics.r2Score);
  });

  it('cosineProximity vs tfjs (a zero row included), and by name in compile', () => {
    for (const [rows, cols] of [[1, 1], [3, 17], [5, 4]]) {
      const yTrue = Array.from(randomValues(rows * cols, 21));
      yTrue.fill(0, 0, cols); // a zero row: the norm floor keeps it finite
      both({ yTrue, yPred: Array.from(randomValues(rows * cols, 22)), shape: [rows, cols] }, metrics.cosineProximity, tfjs.metrics.cosineProximity);
    }
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError', metrics: ['cosineProximity'] });
    expect(model.metricsNames).toEqual(['loss', 'cosineProximity']);
    model.dispose();
  });
});

describe('tf.math.confusionMatrix vs tfjs', () => {
  it('counts (label, prediction) pairs, odd sizes, and rejects bad input by name', () => {
    // tfjs rejects one class (its oneHot needs depth >= 2); sinew counts every pair.
    expect(Array.from(tf.math.confusionMatrix(tf.tensor([0, 0, 0], [3], 'int32'), tf.tensor([0, 0, 0], [3], 'int32'), 1).dataSync())).toEqual([3]);
    for (const [n, classes] of [[1, 2], [17, 3], [513, 7]]) {
      const labels = Array.from(randomValues(n, 31, 0, classes), Math.floor);
      const predictions = Array.from(randomValues(n, 32, 0, classes), Math.floor);
      const ours = tf.math.confusionMatrix(tf.tensor(labels, [n], 'int32'), tf.tensor(predictions, [n], 'int32'), classes);
      const theirs = tfjs.math.confusionMatrix(tfjs.tensor1d(labels, 'int32'), tfjs.tensor1d(predictions, 'int32'), classes);
      expect(ours.dtype).toBe('int32');
      expect(ours.shape).toEqual([classes, classes]);
      expect(Array.from(ours.dataSync())).toEqual(Array.from(theirs.dataSync()));
      ours.dispose();
      theirs.dispose();
    }
    const ok = tf.tensor([0, 1], [2], 'int32');
    expect(() => tf.math.confusionMatrix(ok, tf.tensor([0, 3], [2], 'int32'), 3)).toThrow(/confusionMatrix: index 3 .*in predictions \(numClasses 3\)/);
    expect(() => tf.math.confusionMatrix(ok, tf.tensor([0], [1], 'int32'), 3)).toThrow(/same length/);
    expect(() => tf.math.confusionMatrix(tf.tensor([0.5, 1]), ok, 3)).toThrow(/labels must be int32/);
    expect(() => tf.math.confusionMatrix(ok, ok, 0)).toThrow(/numClasses must be a positive integer/);
  });
});

describe('Keras losses vs tfjs-layers losses', () => {
  const names = ['meanSquaredError', 'meanAbsoluteError', 'meanAbsolutePercentageError', 'meanSquaredLogarithmicError',
    'hinge', 'squaredHinge', 'logcosh', 'kullbackLeiblerDivergence', 'poisson', 'binaryCrossentropy', 'categoricalCrossentropy'] as const;
  for (const name of names) {
    it(name, () => {
      const p: Pair = { yTrue: probabilities(17, 3, 2), yPred: probabilities(17, 3, 3), shape: [17, 3] };
      both(p, kerasLosses[name], tfjsLoss(name));
    });
  }

  it('huber: float64 reference', () => {
    const t = Array.from(randomValues(15, 1, -3, 3));
    const p = Array.from(randomValues(15, 2, -3, 3));
    const out = kerasLosses.huberLoss(tf.tensor(t, [5, 3]), tf.tensor(p, [5, 3])).dataSync();
    const expected = Array.from({ length: 5 }, (_, r) => {
      let s = 0;
      for (let c = 0; c < 3; c++) {
        const e = Math.abs(p[r * 3 + c] - t[r * 3 + c]);
        s += e <= 1 ? 0.5 * e * e : e - 0.5;
      }
      return s / 3;
    });
    expectClose(out, expected, { rtol: 1e-5, atol: 1e-6 });
  });

  it('fused forms equal the probability formulas away from clipping', () => {
    const logits = tf.tensor(Array.from(randomValues(21, 4, -2, 2)), [7, 3]);
    const labels = tf.tensor(oneHotRows(7, 3, 5), [7, 3]);
    const spec = getLoss('categoricalCrossentropy');
    expectClose(spec.fused!.softmax!(labels, logits).dataSync(), spec.fn(labels, tf.softmax(logits)).dataSync(), { rtol: 1e-5, atol: 1e-6 });
    const sparse = getLoss('sparseCategoricalCrossentropy');
    const classes = tf.tensor([0, 2, 1, 1, 0, 2, 2], [7, 1], 'int32');
    expectClose(sparse.fused!.softmax!(classes, logits).dataSync(), sparse.fn(classes, tf.softmax(logits)).dataSync(), { rtol: 1e-5, atol: 1e-6 });
    const bin = getLoss('binaryCrossentropy');
    const targets = tf.tensor(binary(21, 6), [7, 3]);
    expectClose(bin.fused!.sigmoid!(targets, logits).dataSync(), bin.fn(targets, tf.sigmoid(logits)).dataSync(), { rtol: 1e-5, atol: 1e-6 });
    // Stable where probabilities saturate: logits of ±100 still give finite, exact losses.
    const extreme = tf.tensor([[100, -100, 0]]);
    const loss = spec.fused!.softmax!(tf.tensor([[0, 1, 0]]), extreme).dataSync()[0];
    expect(loss).toBeCloseTo(200, 3);
  });
});

describe("the 'accuracy' rule", () => {
  const resolved = (loss: string, outputs: number, metric = 'accuracy') => {
    const model = new FakeMLP({ inputs: 2, hidden: 2, outputs, activation: 'softmax' });
    const compiled = compileModel(model, { optimizer: 'sgd', loss, metrics: [metric] });
    model.dispose();
    return { fn: compiled.outputs[0].metrics[0].fn, names: compiled.metricsNames };
  };
  it('picks binary, sparse or categorical accuracy from the loss and output shape; the key is acc (tfjs)', () => {
    expect(resolved('categoricalCrossentropy', 3).fn).toBe(metrics.categoricalAccuracy);
    expect(resolved('sparseCategoricalCrossentropy', 3).fn).toBe(metrics.sparseCategoricalAccuracy);
    expect(resolved('binaryCrossentropy', 3).fn).toBe(metrics.binaryAccuracy);
    expect(resolved('meanSquaredError', 1).fn).toBe(metrics.binaryAccuracy);
    expect(resolved('categoricalCrossentropy', 3).names).toEqual(['loss', 'acc']);
    expect(resolved('categoricalCrossentropy', 3, 'acc').names).toEqual(['loss', 'acc']);
    expect(resolved('categoricalCrossentropy', 3, 'ce').names).toEqual(['loss', 'ce']);
    expect(resolved('categoricalCrossentropy', 3, 'mse').names).toEqual(['loss', 'mse']);
  });
});
