// Metrics with tfjs-layers' names and (yTrue, yPred) signature, exported as tf.metrics, and the rule that
// turns 'accuracy' into binary / categorical / sparse accuracy from the loss and output shape (as Keras).
//
//   tf.metrics.categoricalAccuracy(tf.oneHot([1, 0], 3), probs)   // [batch] of 0/1
import { ENGINE } from '../../engine.js';
import type { Tensor } from '../../tensor.js';
import { add, div, maximum, mul, sub } from '../../ops/binary.js';
import { cast } from '../../ops/cast.js';
import { equal, greater, lessEqual, logicalAnd } from '../../ops/compare.js';
import { argMax, mean, sum } from '../../ops/reduce.js';
import { reshape } from '../../ops/shape.js';
import { neg, sqrt, square } from '../../ops/unary.js';
import { where } from '../../ops/where.js';
import { scalar } from '../../ops/creation.js';
import * as losses from './losses.js';
import type { LossSpec } from './losses.js';
import type { LossOrMetricFn } from './model-interface.js';

const asFloat = (x: Tensor): Tensor => (x.dtype === 'float32' ? x : cast(x, 'float32'));

/** Fraction of entries (last axis) where yPred > 0.5 agrees with the 0/1 labels: [batch]. */
export function binaryAccuracy(yTrue: Tensor, yPred: Tensor): Tensor {
  return ENGINE.tidy(() => mean(cast(equal(asFloat(yTrue), cast(greater(yPred, 0.5), 'float32')), 'float32'), -1));
}

/** 1 where argMax of labels and predictions agree: [batch]. */
export function categoricalAccuracy(yTrue: Tensor, yPred: Tensor): Tensor {
  return ENGINE.tidy(() => cast(equal(argMax(yTrue, -1), argMax(yPred, -1)), 'float32'));
}

/** Integer labels [batch] or [batch, 1] against scores [batch, C]: 1 where argMax(yPred) is the label. */
export function sparseCategoricalAccuracy(yTrue: Tensor, yPred: Tensor): Tensor {
  return ENGINE.tidy(() => {
    const labels = yTrue.rank === yPred.rank ? reshape(yTrue, yTrue.shape.slice(0, -1)) : yTrue;
    return cast(equal(asFloat(labels), cast(argMax(yPred, -1), 'float32')), 'float32');
  });
}

/** Counts over the whole batch, predictions thresholded at 0.5 (0/1 predictions count as tfjs counts them). */
function confusionCounts(yTrue: Tensor, yPred: Tensor) {
  const positive = equal(asFloat(yTrue), 1);
  const negative = equal(asFloat(yTrue), 0);
  const predictedPositive = greater(yPred, 0.5);
  const predictedNegative = lessEqual(yPred, 0.5);
  const count = (mask: Tensor) => sum(cast(mask, 'float32'));
  return {
    truePositives: count(logicalAnd(positive, predictedPositive)),
    falsePositives: count(logicalAnd(negative, predictedPositive)),
    falseNegatives: count(logicalAnd(positive, predictedNegative)),
  };
}

const safeRatio = (numerator: Tensor, denominator: Tensor): Tensor =>
  where(greater(denominator, 0), div(numerator, denominator), scalar(0));

/** tp / (tp + fp) over the batch (a scalar); 0 when nothing is predicted positive. */
export function precision(yTrue: Tensor, yPred: Tensor): Tensor {
  return ENGINE.tidy(() => {
    const c = confusionCounts(yTrue, yPred);
    return safeRatio(c.truePositives, add(c.truePositives, c.falsePositives));
  });
}

/** tp / (tp + fn) over the batch (a scalar); 0 when there are no positive labels. */
export function recall(yTrue: Tensor, yPred: Tensor): Tensor {
  return ENGINE.tidy(() => {
    const c = confusionCounts(yTrue, yPred);
    return safeRatio(c.truePositives, add(c.truePositives, c.falseNegatives));
  });
}

/** Harmonic mean of precision and recall, 2tp / (2tp + fp + fn), over the batch (a scalar). */
export function f1(yTrue: Tensor, yPred: Tensor): Tensor {
  return ENGINE.tidy(() => {
    const c = confusionCounts(yTrue, yPred);
    const twiceTp = add(c.truePositives, c.truePositives);
    return safeRatio(twiceTp, add(twiceTp, add(c.falsePositives, c.falseNegatives)));
  });
}

/** Coefficient of determination over the batch (a scalar), as tfjs's r2Score. */
export function r2Score(yTrue: Tensor, yPred: Tensor): Tensor {
  return ENGINE.tidy(() => {
    const truth = asFloat(yTrue);
    const residual = sum(square(sub(truth, yPred)));
    const total = sum(square(sub(truth, mean(truth))));
    return sub(1, div(residual, total));
  });
}

export const meanSquaredError = losses.meanSquaredError;
export const meanAbsoluteError = losses.meanAbsoluteError;
export const meanAbsolutePercentageError = losses.meanAbsolutePercentageError;
export const binaryCrossentropy = losses.binaryCrossentropy;
export const categoricalCrossentropy = losses.categoricalCrossentropy;
export const sparseCategoricalCrossentropy = losses.sparseCategoricalCrossentropy;
export const mse = meanSquaredError;
export const MSE = meanSquaredError;
export const mae = meanAbsoluteError;
export const MAE = meanAbsoluteError;
export const mape = meanAbsolutePercentageError;
export const MAPE = meanAbsolutePercentageError;

/**
 * tfjs's cosineProximity: -Σ l2Normalize(yTrue)·l2Normalize(yPred) over the last axis, the squared norm
 * floored at 1e-7 (tfjs-layers' epsilon) so a zero row gives 0 instead of NaN.
 */
export function cosineProximity(yTrue: Tensor, yPred: Tensor): Tensor {
  return ENGINE.tidy(() => {
    const normalize = (t: Tensor) => div(t, sqrt(maximum(sum(square(t), -1, true), 1e-7)));
    return neg(sum(mul(normalize(yTrue), normalize(yPred)), -1));
  });
}
export const cosine = cosineProximity;

/** Metric names accepted in compile({metrics}); the log key is the name as given (tfjs). */
const metricsByName: Record<string, LossOrMetricFn> = {
  binaryAccuracy, categoricalAccuracy, sparseCategoricalAccuracy, precision, recall, f1, r2Score,
  binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy, cosineProximity, cosine,
  cosine_proximity: cosineProximity, meanSquaredError, meanAbsoluteError, meanAbsolutePercentageError, mse, MSE, mae, MAE, mape, MAPE,
  binary_accuracy: binaryAccuracy, categorical_accuracy: categoricalAccuracy,
  sparse_categorical_accuracy: sparseCategoricalAccuracy, f1_score: f1, r2_score: r2Score,
  binary_crossentropy: binaryCrossentropy, categorical_crossentropy: categoricalCrossentropy,
  sparse_categorical_crossentropy: sparseCategoricalCrossentropy,
  mean_squared_error: meanSquaredError, mean_absolute_error: meanAbsoluteError,
};

export interface ResolvedMetric {
  /** The log key: 'acc' for 'accuracy'/'acc', 'ce' for 'crossentropy'/'ce', else the name given (tfjs). */
  name: string;
  fn: LossOrMetricFn;
}

/** Resolves one compile() metric for an output with `loss` and `outputShape`. */
export function resolveMetric(identifier: string | LossOrMetricFn, loss: LossSpec, outputShape: readonly (number | null)[]): ResolvedMetric {
  if (typeof identifier === 'function') return { name: functionName(identifier), fn: identifier };
  const isAccuracy = identifier === 'accuracy' || identifier === 'acc';
  const isCrossentropy = identifier === 'crossentropy' || identifier === 'ce';
  if (isAccuracy || isCrossentropy) {
    // Keras's rule: a single unit or a binary loss means binary; a sparse loss means sparse labels.
    const binary = outputShape[outputShape.length - 1] === 1 || loss.name === 'binaryCrossentropy';
    const sparse = loss.name === 'sparseCategoricalCrossentropy';
    if (isAccuracy) {
      return { name: 'acc', fn: binary ? binaryAccuracy : sparse ? sparseCategoricalAccuracy : categoricalAccuracy };
    }
    return { name: 'ce', fn: binary ? binaryCrossentropy : sparse ? sparseCategoricalCrossentropy : categoricalCrossentropy };
  }
  const fn = metricsByName[identifier];
  if (!fn) {
    throw new Error(`compile: unknown metric '${identifier}'; known metrics: accuracy, acc, crossentropy, ce, ${Object.keys(metricsByName).join(', ')}`);
  }
  return { name: identifier, fn };
}

/** tfjs's getLossOrMetricName for a function: its loss name, else its metric name, else fn.name. */
function functionName(fn: LossOrMetricFn): string {
  try {
    const spec = losses.getLoss(fn);
    if (spec.labels !== 'any') return spec.name;
  } catch {
    // not a built-in loss
  }
  const entry = Object.entries(metricsByName).find(([, f]) => f === fn);
  return entry ? entry[0] : fn.name || 'metric';
}
