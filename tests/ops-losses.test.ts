// tf.losses (src/ops/losses.ts): every loss vs tfjs-cpu for every Reduction with no / scalar / per-element /
// broadcast weights and label smoothing; softmaxCrossEntropy (the fused kernel) vs a float64 reference on odd
// shapes and at logits ±1000; gradients (and a second derivative) vs finite differences and tfjs; errors; memory.
// The kernel itself is tested in kernels-crossentropy.test.ts.
import { beforeAll, expect, it } from 'vitest';
import * as losses from '../src/ops/losses.js';
import { Reduction } from '../src/ops/losses.js';
import { crossEntropy64, oneHotRows, probabilityRows } from './crossentropy-reference.js';
import {
  analyticGradients, describeEachBackend, expectClose, expectIndexError, loadTfjs, numericGradients, randomValues, tf,
} from './helpers.js';
import type { Tensor } from './helpers.js';

type Tfjs = Awaited<ReturnType<typeof loadTfjs>>;
let tfjs: Tfjs;
beforeAll(async () => {
  tfjs = await loadTfjs();
});

const sizeOf = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

// --- the ops vs tfjs --------------------------------------------------------------------------------------

// Ours or tfjs.losses: the signatures are identical, but a union of the two is not callable in TS.
type Lib = any;
type AnyTensor = any; // ours or tfjs's: the loss signatures are identical

interface LossCase {
  name: string;
  shape: number[];
  /** Shape of the per-element losses before reduction (what weights broadcast against). */
  lossShape: number[];
  labels(seed: number): Float32Array;
  predictions(seed: number): Float32Array;
  call(lib: Lib, labels: AnyTensor, predictions: AnyTensor, weights: AnyTensor, reduction: Reduction): AnyTensor;
}

const SHAPE = [4, 5];
const CASES: LossCase[] = [
  {
    name: 'absoluteDifference', shape: SHAPE, lossShape: SHAPE,
    labels: (s) => randomValues(20, s), predictions: (s) => randomValues(20, s + 1),
    call: (lib, l, p, w, r) => lib.absoluteDifference(l, p, w, r),
  },
  {
    name: 'meanSquaredError', shape: [3, 171], lossShape: [3, 171],
    labels: (s) => randomValues(513, s), predictions: (s) => randomValues(513, s + 1),
    call: (lib, l, p, w, r) => lib.meanSquaredError(l, p, w, r),
  },
  {
    name: 'huberLoss (delta 0.5)', shape: SHAPE, lossShape: SHAPE,
    labels: (s) => randomValues(20, s), predictions: (s) => randomValues(20, s + 1),
    call: (lib, l, p, w, r) => lib.huberLoss(l, p, w, 0.5, r),
  },
  {
    name: 'logLoss', shape: SHAPE, lossShape: SHAPE,
    labels: (s) => randomValues(20, s, 0, 1), predictions: (s) => randomValues(20, s + 1, 0.05, 0.95),
    call: (lib, l, p, w, r) => lib.logLoss(l, p, w, 1e-7, r),
  },
  {
    name: 'hingeLoss', shape: SHAPE, lossShape: SHAPE,
    labels: (s) => randomValues(20, s, 0, 1).map(Math.round), predictions: (s) => randomValues(20, s + 1, -2, 2),
    call: (lib, l, p, w, r) => lib.hingeLoss(l, p, w, r),
  },
  {
    name: 'cosineDistance (axis 1)', shape: SHAPE, lossShape: [4, 1],
    labels: (s) => randomValues(20, s), predictions: (s) => randomValues(20, s + 1),
    call: (lib, l, p, w, r) => lib.cosineDistance(l, p, 1, w, r),
  },
  {
    name: 'sigmoidCrossEntropy', shape: SHAPE, lossShape: SHAPE,
    labels: (s) => randomValues(20, s, 0, 1), predictions: (s) => randomValues(20, s + 1, -6, 6),
    call: (lib, l, p, w, r) => lib.sigmoidCrossEntropy(l, p, w, 0, r),
  },
  {
    name: 'sigmoidCrossEntropy (labelSmoothing 0.2)', shape: SHAPE, lossShape: SHAPE,
    labels: (s) => randomValues(20, s, 0, 1).map(Math.round), predictions: (s) => randomValues(20, s + 1, -6, 6),
    call: (lib, l, p, w, r) => lib.sigmoidCrossEntropy(l, p, w, 0.2, r),
  },
  {
    name: 'softmaxCrossEntropy', shape: SHAPE, lossShape: [4],
    labels: (s) => probabilityRows(4, 5, s), predictions: (s) => randomValues(20, s + 1, -4, 4),
    call: (lib, l, p, w, r) => lib.softmaxCrossEntropy(l, p, w, 0, r),
  },
  {
    name: 'softmaxCrossEntropy (labelSmoothing 0.1)', shape: [6, 17], lossShape: [6],
    labels: (s) => oneHotRows(6, 17, s), predictions: (s) => randomValues(102, s + 1, -4, 4),
    call: (lib, l, p, w, r) => lib.softmaxCrossEntropy(l, p, w, 0.1, r),
  },
];

const REDUCTIONS = [Reduction.NONE, Reduction.MEAN, Reduction.SUM, Reduction.SUM_BY_NONZERO_WEIGHTS];

/** Weight variants: none, a scalar, one per loss element (some zero), and one per row broadcast along the rest. */
function weightVariants(lossShape: number[], seed: number): { label: string; values?: Float32Array; shape?: number[] }[] {
  const perElement = randomValues(sizeOf(lossShape), seed, 0, 2).map((v, i) => (i % 3 === 1 ? 0 : v));
  const variants: { label: string; values?: Float32Array; shape?: number[] }[] = [
    { label: 'no weights' },
    { label: 'scalar weight', values: Float32Array.of(0.7), shape: [] },
    { label: 'per-element weights', values: perElement, shape: lossShape },
  ];
  if (lossShape.length === 2 && lossShape[1] > 1) {
    variants.push({ label: 'per-row weights', values: randomValues(lossShape[0], seed + 1, 0.5, 1.5), shape: [lossShape[0], 1] });
  }
  return variants;
}

describeEachBackend('losses', () => {
  for (const lossCase of CASES) {
    it(`${lossCase.name} matches tfjs for every Reduction and weighting`, () => {
      const labels = lossCase.labels(11), predictions = lossCase.predictions(11);
      for (const weights of weightVariants(lossCase.lossShape, 3)) {
        for (const reduction of REDUCTIONS) {
          const ours = tf.tidy(() => {
            const w = weights.values ? tf.tensor(weights.values, weights.shape) : undefined;
            const y = lossCase.call(losses, tf.tensor(labels, lossCase.shape), tf.tensor(predictions, lossCase.shape), w, reduction);
            return { values: Array.from(y.dataSync() as Float32Array), shape: y.shape };
          });
          const theirs = tfjs.tidy(() => {
            const w = weights.values ? tfjs.tensor(weights.values, weights.shape) : undefined;
            const y = lossCase.call(tfjs.losses, tfjs.tensor(labels, lossCase.shape), tfjs.tensor(predictions, lossCase.shape), w, reduction);
            return { values: Array.from(y.dataSync() as Float32Array), shape: y.shape };
          });
          const context = `${lossCase.name}, ${weights.label}, ${Reduction[reduction]}`;
          expect(ours.shape, context).toEqual(theirs.shape);
          try {
            expectClose(ours.values, theirs.values, { rtol: 2e-5, atol: 2e-6 });
          } catch (error) {
            throw new Error(`${context}: ${(error as Error).message}`);
          }
        }
      }
    });
  }

  it('computeWeightedLoss matches tfjs, including all-zero weights (0/0 = NaN) and the MEAN broadcast factor', () => {
    const values = randomValues(12, 9, 0, 3);
    const check = (weights: Float32Array | undefined, weightShape: number[] | undefined, reduction: Reduction) => {
      const ours = tf.tidy(() => Array.from(losses.computeWeightedLoss(
        tf.tensor(values, [3, 4]), weights && tf.tensor(weights, weightShape), reduction).dataSync()));
      const theirs = tfjs.tidy(() => Array.from(tfjs.losses.computeWeightedLoss(
        tfjs.tensor(values, [3, 4]), weights && tfjs.tensor(weights, weightShape), reduction).dataSync()));
      expectClose(ours, theirs, { rtol: 1e-6 });
    };
    for (const reduction of REDUCTIONS) {
      check(undefined, undefined, reduction);
      check(new Float32Array(4), [1, 4], reduction);
      check(Float32Array.of(1, 0, 2, 3), [1, 4], reduction);
      check(Float32Array.of(2, 0.5, 1), [3, 1], reduction);
    }
    // The default reduction is SUM_BY_NONZERO_WEIGHTS.
    const byDefault = tf.tidy(() => losses.computeWeightedLoss(tf.tensor(values, [3, 4]), tf.tensor([1, 0, 2, 3], [1, 4])).dataSync()[0]);
    const explicit = tf.tidy(() => losses.computeWeightedLoss(
      tf.tensor(values, [3, 4]), tf.tensor([1, 0, 2, 3], [1, 4]), Reduction.SUM_BY_NONZERO_WEIGHTS).dataSync()[0]);
    expect(byDefault).toBe(explicit);
  });

  // --- softmaxCrossEntropy -----------------------------------------------------------------------------

  for (const shape of [[1, 1], [1, 2], [3, 17], [127, 5], [7, 3, 11], [5]]) {
    it(`softmaxCrossEntropy on [${shape}] matches a float64 reference and tfjs`, () => {
      const cols = shape[shape.length - 1], rows = sizeOf(shape) / cols;
      const logits = randomValues(sizeOf(shape), rows + cols, -5, 5);
      const labels = probabilityRows(rows, cols, cols);
      const expected = crossEntropy64(logits, labels, rows, cols).loss;
      const ours = tf.tidy(() => {
        const y = losses.softmaxCrossEntropy(tf.tensor(labels, shape), tf.tensor(logits, shape), null, 0, Reduction.NONE);
        expect(y.shape).toEqual(shape.slice(0, -1));
        return Array.from(y.dataSync());
      });
      expectClose(ours, expected, { rtol: 1e-5, atol: 2e-6 });
      const theirs = tfjs.tidy(() => Array.from(tfjs.losses.softmaxCrossEntropy(
        tfjs.tensor(labels, shape), tfjs.tensor(logits, shape), undefined, 0, tfjs.Reduction.NONE).dataSync()));
      expectClose(ours, theirs, { rtol: 1e-5, atol: 2e-6 });
    });
  }

  it('softmaxCrossEntropy label smoothing on rank 3 uses the class (last) axis', () => {
    const shape = [2, 3, 4];
    const logits = randomValues(24, 4, -3, 3);
    const onehot = oneHotRows(6, 4, 2);
    const smoothed = onehot.map((v) => v * 0.7 + 0.3 / 4);
    const ours = tf.tidy(() => Array.from(losses.softmaxCrossEntropy(
      tf.tensor(onehot, shape), tf.tensor(logits, shape), undefined, 0.3, Reduction.NONE).dataSync()));
    expectClose(ours, crossEntropy64(logits, smoothed, 6, 4).loss, { rtol: 1e-5, atol: 1e-6 });
  });

  it('softmaxCrossEntropy is finite and exact at logits of ±1000', () => {
    const logits = [1000, -1000, 999, -1000, -1000, -1000, 0, 1000, -1000, 1000, 1000, 1000];
    const labels = [0, 1, 0, 0, 1, 0, 1, 0, 0, 0.25, 0.25, 0.5];
    const ours = tf.tidy(() => Array.from(losses.softmaxCrossEntropy(
      tf.tensor(labels, [4, 3]), tf.tensor(logits, [4, 3]), undefined, 0, Reduction.NONE).dataSync()));
    const expected = crossEntropy64(logits, labels, 4, 3).loss; // [2000, log 3, 1000, log 3]
    expect(ours.every(Number.isFinite)).toBe(true);
    expectClose(ours, expected, { rtol: 1e-6, atol: 1e-6 });
    // The gradient stays finite too: (probs - labels) with probs exactly 0 or 1.
    const [dLogits] = tf.tidy(() => tf.grads((x: Tensor) => losses.softmaxCrossEntropy(tf.tensor(labels, [4, 3]), x))(
      [tf.tensor(logits, [4, 3])]).map((g) => Array.from(g.dataSync())));
    const probs = crossEntropy64(logits, labels, 4, 3).probs;
    expectClose(dLogits, probs.map((p, i) => (p - labels[i]) / 4), { rtol: 1e-5, atol: 1e-7 });
  });

  // --- gradients ---------------------------------------------------------------------------------------

  for (const lossCase of CASES) {
    it(`${lossCase.name} gradients match finite differences and tfjs`, () => {
      if (sizeOf(lossCase.shape) > 200) return; // the 513-element case is for the forward; 4x5 covers its gradient
      const labels = lossCase.labels(21);
      const predictions = lossCase.predictions(21);
      const weights = randomValues(sizeOf(lossCase.lossShape), 8, 0.5, 1.5);
      const f = (l: Tensor, p: Tensor) => lossCase.call(losses, l, p, tf.tensor(weights, lossCase.lossShape), Reduction.SUM);
      const inputs = [{ values: labels, shape: lossCase.shape }, { values: predictions, shape: lossCase.shape }];
      const numeric = numericGradients(f, inputs);
      const analytic = analyticGradients(f, inputs);
      const isSoftmax = lossCase.name.startsWith('softmax');
      for (let i = 0; i < 2; i++) {
        try {
          expectClose(analytic[i], numeric[i], { rtol: 1e-3, atol: 1e-4 });
        } catch (error) {
          throw new Error(`${lossCase.name} d/d${i === 0 ? 'labels' : 'predictions'} vs finite differences: ${(error as Error).message}`);
        }
      }
      // The loss is a scalar (SUM), so analyticGradients' output weighting is just 1.
      const theirs = tfjs.tidy(() => tfjs.grads((l: AnyTensor, p: AnyTensor) =>
        lossCase.call(tfjs.losses, l, p, tfjs.tensor(weights, lossCase.lossShape), Reduction.SUM),
      )([tfjs.tensor(labels, lossCase.shape), tfjs.tensor(predictions, lossCase.shape)]).map((g) => g.dataSync()));
      // tfjs's softmax cross-entropy returns dy·(labels - probs) for labels, which is not that derivative
      // (it is -dy·log_softmax); so only the logits gradient is compared with it.
      for (let i = isSoftmax ? 1 : 0; i < 2; i++) expectClose(analytic[i], theirs[i], { rtol: 1e-4, atol: 1e-5 });
    });
  }

  it('softmaxCrossEntropy gradients on odd shapes ([1,2], [3,17], [2,3,4], [5]) vs finite differences', () => {
    for (const shape of [[1, 2], [3, 17], [2, 3, 4], [5]]) {
      const cols = shape[shape.length - 1], rows = sizeOf(shape) / cols;
      const inputs = [
        { values: probabilityRows(rows, cols, 3), shape },
        { values: randomValues(sizeOf(shape), 4, -3, 3), shape },
      ];
      const f = (l: Tensor, x: Tensor) => losses.softmaxCrossEntropy(l, x, undefined, 0, Reduction.NONE);
      const numeric = numericGradients(f, inputs);
      const analytic = analyticGradients(f, inputs);
      expectClose(analytic[0], numeric[0], { rtol: 1e-3, atol: 1e-4 });
      expectClose(analytic[1], numeric[1], { rtol: 1e-3, atol: 1e-4 });
    }
  });

  it('softmaxCrossEntropy second derivative (d/dlogits of the logits gradient) matches finite differences', () => {
    const shape = [3, 4];
    const labels = probabilityRows(3, 4, 12);
    const input = { values: randomValues(12, 13, -2, 2), shape };
    const firstGradient = (x: Tensor) => tf.grad((z: Tensor) => tf.sum(tf.mul(
      losses.softmaxCrossEntropy(tf.tensor(labels, shape), z, undefined, 0, Reduction.NONE), tf.tensor([1, 2, 3]))))(x);
    const numeric = numericGradients(firstGradient, [input]);
    const analytic = analyticGradients(firstGradient, [input]);
    expectClose(analytic[0], numeric[0], { rtol: 1e-3, atol: 1e-4 });
  });

  it('sparseSoftmaxCrossEntropy equals softmaxCrossEntropy on one-hot labels, forward and gradient', () => {
    for (const [batch, cols] of [[[4], 5], [[2, 3], 7], [[3], 1]] as [number[], number][]) {
      const rows = sizeOf(batch);
      const classes = Array.from(randomValues(rows, cols, 0, cols), (v) => Math.min(cols - 1, Math.floor(v)));
      const onehot = new Float32Array(rows * cols).map((_, i) => (classes[Math.floor(i / cols)] === i % cols ? 1 : 0));
      const logits = randomValues(rows * cols, 2, -3, 3);
      const shape = [...batch, cols];
      for (const reduction of REDUCTIONS) {
        const sparse = tf.tidy(() => Array.from(losses.sparseSoftmaxCrossEntropy(
          tf.tensor(classes, batch, 'int32'), tf.tensor(logits, shape), undefined, reduction).dataSync()));
        const dense = tf.tidy(() => Array.from(losses.softmaxCrossEntropy(
          tf.tensor(onehot, shape), tf.tensor(logits, shape), undefined, 0, reduction).dataSync()));
        expectClose(sparse, dense, { rtol: 1e-6, atol: 1e-7 });
      }
      const [sparseGrad] = tf.tidy(() => tf.grads((x: Tensor) => losses.sparseSoftmaxCrossEntropy(tf.tensor(classes, batch, 'int32'), x))(
        [tf.tensor(logits, shape)]).map((g) => Array.from(g.dataSync())));
      const probs = crossEntropy64(logits, onehot, rows, cols).probs;
      expectClose(sparseGrad, probs.map((p, i) => (p - onehot[i]) / rows), { rtol: 1e-5, atol: 1e-7 });
    }
  });

  // --- errors and memory -------------------------------------------------------------------------------

  it('rejects mismatched shapes, bad labels and unknown reductions with the op and the shapes', async () => {
    expect(() => losses.softmaxCrossEntropy(tf.zeros([2, 3]), tf.zeros([2, 4])))
      .toThrow(/softmaxCrossEntropy.*\[2,3\].*\[2,4\]/);
    expect(() => losses.meanSquaredError(tf.zeros([3]), tf.zeros([4]))).toThrow(/meanSquaredError.*\[3\].*\[4\]/);
    expect(() => losses.softmaxCrossEntropy(tf.scalar(1), tf.scalar(1))).toThrow(/softmaxCrossEntropy.*rank/);
    expect(() => losses.absoluteDifference(tf.zeros([2, 3]), tf.zeros([2, 3]), tf.ones([4])))
      .toThrow(/absoluteDifference.*weights.*\[4\].*\[2,3\]/);
    expect(() => losses.meanSquaredError(tf.zeros([2]), tf.zeros([2]), undefined, 7 as Reduction))
      .toThrow(/meanSquaredError.*reduction 7/);
    expect(() => losses.cosineDistance(tf.zeros([2, 3]), tf.zeros([2, 3]), 2)).toThrow(/cosineDistance.*axis 2/);
    const logits = tf.zeros([2, 3]);
    // The host check names the label; a device check (webgpu) the index, a fractional label reading as -1.
    await expectIndexError(() => losses.sparseSoftmaxCrossEntropy(tf.tensor([0, 3], [2], 'int32'), logits),
      /sparseSoftmaxCrossEntropy: (label|index) 3 .*\[0, 2\].*3 classes/);
    await expectIndexError(() => losses.sparseSoftmaxCrossEntropy(tf.tensor([-1, 0], [2], 'int32'), logits),
      /sparseSoftmaxCrossEntropy: (label|index) -1 /);
    await expectIndexError(() => losses.sparseSoftmaxCrossEntropy([0.5, 1], logits),
      /sparseSoftmaxCrossEntropy: (label 0.5 |index -1 .*a fractional label)/);
    expect(() => losses.sparseSoftmaxCrossEntropy(tf.tensor([0, 1, 2], [3], 'int32'), logits))
      .toThrow(/sparseSoftmaxCrossEntropy.*labels \[3\].*logits \[2,3\]/);
    // Float arrays holding whole numbers are accepted as class indices.
    expect(losses.sparseSoftmaxCrossEntropy([0, 2], logits).dataSync()[0]).toBeCloseTo(Math.log(3), 5);
  });

  it('leaves no tensors behind, with or without gradients', () => {
    const labels = tf.tensor(probabilityRows(4, 5, 1), [4, 5]);
    const logits = tf.tensor(randomValues(20, 2), [4, 5]);
    const weights = tf.tensor(randomValues(4, 3, 0, 1), [4]);
    const before = tf.memory().numTensors;
    const loss = losses.softmaxCrossEntropy(labels, logits, weights, 0.1);
    expect(tf.memory().numTensors).toBe(before + 1); // only the result: probs and temporaries are freed
    loss.dispose();
    tf.tidy(() => {
      for (const lossCase of CASES.filter((c) => c.shape === SHAPE)) {
        lossCase.call(losses, labels, logits, undefined, Reduction.MEAN);
      }
      tf.grads((l: Tensor, x: Tensor) => losses.softmaxCrossEntropy(l, x, weights))([labels, logits]);
      tf.grads((x: Tensor) => losses.sparseSoftmaxCrossEntropy(tf.tensor([0, 1, 2, 3], [4], 'int32'), x))([logits]);
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([labels, logits, weights]);
  });
});

describeEachBackend('sigmoidCrossEntropy at logit 0', () => {
  it('has gradient sigmoid(0) - z = 0.5 - z (a zero-initialised sigmoid output must train correctly)', () => {
    const labels = tf.tensor2d([[1, 0, 0.25]]);
    const g = tf.grad((x: Tensor) => tf.losses.sigmoidCrossEntropy(labels, x, undefined, 0, tf.Reduction.SUM))(tf.zeros([1, 3]));
    expectClose(g.dataSync(), [-0.5, 0.5, 0.25], { rtol: 1e-6, atol: 1e-7 });
  });
});
