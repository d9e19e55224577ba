// tf.math, as tfjs: confusionMatrix.
//
//   const m = tf.math.confusionMatrix(labels, predictions, 3);   // int32 [3, 3], m[i][j]: label i predicted j
import type { Tensor, TensorLike } from '../tensor.js';
import { cast } from './cast.js';
import { tensor2d } from './creation.js';
import { ENGINE } from '../engine.js';
import { checkIndices, oneHot } from './gather.js';
import { matMul } from './matmul.js';
import { toTensor } from './util.js';

/**
 * Counts of (label, prediction) pairs: an int32 [numClasses, numClasses] whose [i][j] is how many samples of
 * class i were predicted as j. labels and predictions are int32 [n] class indices in [0, numClasses).
 */
export function confusionMatrix(labelsArg: Tensor | TensorLike, predictionsArg: Tensor | TensorLike, numClasses: number): Tensor {
  const op = 'confusionMatrix';
  const labels = toTensor(labelsArg, 'labels', op, 'int32');
  const predictions = toTensor(predictionsArg, 'predictions', op, 'int32');
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`${op}: numClasses must be a positive integer, got ${numClasses}`);
  for (const [name, t] of [['labels', labels], ['predictions', predictions]] as const) {
    if (t.rank !== 1) throw new Error(`${op}: ${name} must be 1-D, got shape [${t.shape}]`);
    if (t.dtype !== 'int32') throw new Error(`${op}: ${name} must be int32 class indices, got ${t.dtype}`);
  }
  if (labels.size !== predictions.size) {
    throw new Error(`${op}: labels [${labels.shape}] and predictions [${predictions.shape}] must have the same length`);
  }
  checkIndices(labels, numClasses, op, `in labels (numClasses ${numClasses})`);
  checkIndices(predictions, numClasses, op, `in predictions (numClasses ${numClasses})`);
  if (numClasses === 1) return tensor2d([[labels.size]], [1, 1], 'int32');
  // One-hot rows of both, then labelsᵀ · predictions: exact counts in float32 up to 2^24 samples.
  return ENGINE.tidy(() => cast(matMul(oneHot(labels, numClasses, 1, 0, 'float32'), oneHot(predictions, numClasses, 1, 0, 'float32'), true, false), 'int32'));
}
