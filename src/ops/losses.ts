// tf.losses: tfjs-core's loss functions with the same names, argument order, defaults and Reduction rules,
// plus sparseSoftmaxCrossEntropy (integer class labels, as Keras' sparse categorical cross-entropy needs).
// Every loss is elementwise losses → computeWeightedLoss(losses, weights, reduction).
// softmaxCrossEntropy runs one fused, stable backend kernel (backend.softmaxCrossEntropy):
//   logits, labels: [...batch, C] → per-example loss [...batch] (and probs [...batch, C], kept for the backward).
//
//   const loss = losses.softmaxCrossEntropy(tf.oneHot([2, 0], 3), logits); // scalar, SUM_BY_NONZERO_WEIGHTS
import { activeTapes } from '../autograd/tape.js';
import { ENGINE } from '../engine.js';
import { sizeFromShape, Tensor, TensorLike } from '../tensor.js';
import { add, div, minimum, mul, sub } from './binary.js';
import { cast } from './cast.js';
import { equal, notEqual } from './compare.js';
import { fill, ones } from './creation.js';
import { checkIndices, indicesCheckedOnDevice, oneHot } from './gather.js';
import { sum, mean } from './reduce.js';
import { reshape } from './shape.js';
import { logSoftmax, softmax } from './softmax.js';
import { abs, floor, log, neg, relu, softplus, square } from './unary.js';
import { where } from './where.js';
import { broadcastShapes, toTensor } from './util.js';

type Arg = Tensor | TensorLike;

/** How per-element losses are reduced; the numbering is tfjs's. */
export enum Reduction {
  NONE,
  MEAN,
  SUM,
  SUM_BY_NONZERO_WEIGHTS,
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function assertSameShape(a: Tensor, aName: string, b: Tensor, bName: string, opName: string): void {
  if (!sameShape(a.shape, b.shape)) {
    throw new Error(`${opName}: ${aName} and ${bName} must have the same shape, got ${aName} [${a.shape}] and ${bName} [${b.shape}]`);
  }
}

function asFloat(x: Tensor): Tensor {
  return x.dtype === 'float32' ? x : cast(x, 'float32');
}

/** Weighted reduction shared by every loss; `opName` is the loss the user called, for errors. */
function weightedLoss(losses: Tensor, weightsArg: Arg | null | undefined, reduction: Reduction, opName: string): Tensor {
  const known = [Reduction.NONE, Reduction.MEAN, Reduction.SUM, Reduction.SUM_BY_NONZERO_WEIGHTS];
  if (!known.includes(reduction)) {
    throw new Error(`${opName}: unknown reduction ${String(reduction)} (expected one of Reduction.NONE, MEAN, SUM, SUM_BY_NONZERO_WEIGHTS)`);
  }
  const weights = weightsArg == null ? null : asFloat(toTensor(weightsArg, 'weights', opName));
  if (weights) {
    try {
      broadcastShapes(losses.shape, weights.shape, opName);
    } catch {
      throw new Error(`${opName}: weights of shape [${weights.shape}] cannot be broadcast to the losses of shape [${losses.shape}]`);
    }
  }
  const weighted = weights ? mul(losses, weights) : losses;
  switch (reduction) {
    case Reduction.NONE:
      return weighted;
    case Reduction.SUM:
      return sum(weighted);
    case Reduction.MEAN: {
      if (!weights) return mean(weighted);
      // tfjs: Σ w·loss / Σ w, divided again by how many times the weights were broadcast.
      const result = div(sum(weighted), sum(weights));
      const broadcastFactor = losses.size / weights.size;
      return broadcastFactor > 1 ? div(result, broadcastFactor) : result;
    }
    case Reduction.SUM_BY_NONZERO_WEIGHTS: {
      if (!weights) return div(sum(weighted), losses.size);
      const nonZero = cast(sum(notEqual(mul(weights, ones(losses.shape)), 0)), 'float32');
      return div(sum(weighted), nonZero);
    }
  }
}

/** Runs a loss body in its own scope, so only the result outlives the call (the tape keeps what it needs). */
function lossScope(opName: string, body: () => Tensor): Tensor {
  return ENGINE.tidy(opName, body);
}

/** Applies weights and reduces per-element losses (tfjs computeWeightedLoss). */
export function computeWeightedLoss(
  losses: Arg, weights?: Arg | null, reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS,
): Tensor {
  return lossScope('computeWeightedLoss', () =>
    weightedLoss(asFloat(toTensor(losses, 'losses', 'computeWeightedLoss')), weights, reduction, 'computeWeightedLoss'));
}

/** Converts and shape-checks the (labels, predictions) pair every elementwise loss takes. */
function pair(labelsArg: Arg, predictionsArg: Arg, opName: string, labelsName = 'labels', predictionsName = 'predictions') {
  const labels = toTensor(labelsArg, labelsName, opName);
  const predictions = toTensor(predictionsArg, predictionsName, opName);
  assertSameShape(labels, labelsName, predictions, predictionsName, opName);
  return { labels: asFloat(labels), predictions: asFloat(predictions) };
}

/** |labels - predictions|, weighted and reduced. */
export function absoluteDifference(
  labels: Arg, predictions: Arg, weights?: Arg | null, reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS,
): Tensor {
  return lossScope('absoluteDifference', () => {
    const p = pair(labels, predictions, 'absoluteDifference');
    return weightedLoss(abs(sub(p.labels, p.predictions)), weights, reduction, 'absoluteDifference');
  });
}

/** (labels - predictions)², weighted and reduced. */
export function meanSquaredError(
  labels: Arg, predictions: Arg, weights?: Arg | null, reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS,
): Tensor {
  return lossScope('meanSquaredError', () => {
    const p = pair(labels, predictions, 'meanSquaredError');
    return weightedLoss(square(sub(p.labels, p.predictions)), weights, reduction, 'meanSquaredError');
  });
}

/** Quadratic for |error| <= delta, linear beyond: 0.5·q² + delta·(|e| - q) with q = min(|e|, delta). */
export function huberLoss(
  labels: Arg, predictions: Arg, weights?: Arg | null, delta = 1.0,
  reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS,
): Tensor {
  return lossScope('huberLoss', () => {
    const p = pair(labels, predictions, 'huberLoss');
    const error = abs(sub(p.predictions, p.labels));
    const quadratic = minimum(error, delta);
    const losses = add(mul(square(quadratic), 0.5), mul(sub(error, quadratic), delta));
    return weightedLoss(losses, weights, reduction, 'huberLoss');
  });
}

/** Binary log loss on probabilities: -l·log(p + ε) - (1 - l)·log(1 - p + ε). */
export function logLoss(
  labels: Arg, predictions: Arg, weights?: Arg | null, epsilon = 1e-7,
  reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS,
): Tensor {
  return lossScope('logLoss', () => {
    const p = pair(labels, predictions, 'logLoss');
    const positive = neg(mul(p.labels, log(add(p.predictions, epsilon))));
    const negative = mul(sub(1, p.labels), log(add(sub(1, p.predictions), epsilon)));
    return weightedLoss(sub(positive, negative), weights, reduction, 'logLoss');
  });
}

/** max(0, 1 - y·p) with 0/1 labels mapped to y = ±1. */
export function hingeLoss(
  labels: Arg, predictions: Arg, weights?: Arg | null, reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS,
): Tensor {
  return lossScope('hingeLoss', () => {
    const p = pair(labels, predictions, 'hingeLoss');
    const signs = sub(mul(p.labels, 2), 1);
    return weightedLoss(relu(sub(1, mul(signs, p.predictions))), weights, reduction, 'hingeLoss');
  });
}

/** 1 - Σ labels·predictions along `axis` (kept as size 1); inputs are assumed unit-normalized, as in tfjs. */
export function cosineDistance(
  labels: Arg, predictions: Arg, axis: number, weights?: Arg | null,
  reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS,
): Tensor {
  return lossScope('cosineDistance', () => {
    const p = pair(labels, predictions, 'cosineDistance');
    if (!Number.isInteger(axis) || axis < -p.labels.rank || axis >= p.labels.rank) {
      throw new Error(`cosineDistance: axis ${axis} is out of range for inputs of shape [${p.labels.shape}]`);
    }
    return weightedLoss(sub(1, sum(mul(p.labels, p.predictions), axis, true)), weights, reduction, 'cosineDistance');
  });
}

/**
 * Per-element sigmoid cross-entropy on logits x with targets z, stable for any x:
 * max(x, 0) - x·z + log(1 + exp(-|x|)). labelSmoothing moves targets toward 1/2: z·(1 - s) + s/2.
 */
export function sigmoidCrossEntropy(
  multiClassLabels: Arg, logits: Arg, weights?: Arg | null, labelSmoothing = 0,
  reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS,
): Tensor {
  return lossScope('sigmoidCrossEntropy', () => {
    const p = pair(multiClassLabels, logits, 'sigmoidCrossEntropy', 'multiClassLabels', 'logits');
    let targets = p.labels;
    if (labelSmoothing > 0) targets = add(mul(targets, 1 - labelSmoothing), 0.5 * labelSmoothing);
    const x = p.predictions;
    // softplus(x) - x*z equals max(x,0) - x*z + log1p(exp(-|x|)) and its gradient is exactly sigmoid(x) - z,
    // also at x = 0 where the max/abs form would need abs'(0) = -1.
    const losses = sub(softplus(x), mul(x, targets));
    return weightedLoss(losses, weights, reduction, 'sigmoidCrossEntropy');
  });
}

// --- fused softmax cross-entropy -------------------------------------------------------------------------
// Shapes: labels, logits, probs [...batch, C]; loss, dy [...batch]; dyColumn = dy as [...batch, 1].

/**
 * d logits = (probs - labels)·dy, as an op of its own so that higher derivatives stay exact: its gradient
 * is written against softmax(logits) (recomputed, differentiable), never against the saved probs, so no
 * gradient ever has to flow back into the forward kernel's probs output.
 */
function softmaxCrossEntropyLogitsGrad(labels: Tensor, logits: Tensor, dyColumn: Tensor, probs: Tensor): Tensor {
  return ENGINE.runKernel({
    name: 'softmaxCrossEntropyGrad',
    inputs: [labels, logits, dyColumn, probs],
    forward: (backend, [l, , d, p]) => {
      const difference = backend.binary('sub', p.dataId, p.shape, l.dataId, l.shape, p.shape, 'float32');
      const dataId = backend.binary('mul', difference, p.shape, d.dataId, d.shape, p.shape, 'float32');
      backend.dispose(difference);
      return { dataId, shape: p.shape, dtype: 'float32' };
    },
    backward: ([g], [l, x, d]) => {
      const lastAxis = x.rank - 1;
      const p = softmax(x);
      // Softmax Jacobian applied to g: p ⊙ (g - Σ g·p), scaled by dy.
      const dLogits = mul(mul(p, sub(g, sum(mul(g, p), lastAxis, true))), d);
      const dLabels = neg(mul(g, d));
      const dDy = sum(mul(g, sub(p, l)), lastAxis, true);
      return [dLabels, dLogits, dDy, null];
    },
  })[0];
}

/** labels, logits: float32 [...batch, C] of equal shape (checked by callers) → loss [...batch]. */
function softmaxCrossEntropyWithLogits(labels: Tensor, logits: Tensor): Tensor {
  const cols = logits.shape[logits.rank - 1];
  const batchShape = logits.shape.slice(0, -1);
  const rows = sizeFromShape(batchShape);
  // The gradient for labels costs a log-softmax; compute it only when some tape can use it (a tape records
  // labels' dependence now or never, so this is decided once here).
  const labelsNeedGradient = activeTapes.some((tape) => tape.dependsOnWatched.has(labels.id));
  const [loss, probs] = ENGINE.runKernel({
    name: 'softmaxCrossEntropy',
    inputs: [labels, logits],
    forward: (backend, [l, x]) => {
      const out = backend.softmaxCrossEntropy(x.dataId, l.dataId, rows, cols);
      return [
        { dataId: out.loss, shape: batchShape, dtype: 'float32' },
        { dataId: out.probs, shape: x.shape, dtype: 'float32' },
      ];
    },
    // dys[1] (for probs) is always zero: probs never leaves this file, and the only op that reads it
    // (softmaxCrossEntropyGrad) returns no gradient for it.
    backward: ([dy], [l, x], [, p]) => {
      const dyColumn = reshape(dy, [...batchShape, 1]);
      const dLogits = softmaxCrossEntropyLogitsGrad(l, x, dyColumn, p);
      const dLabels = labelsNeedGradient ? neg(mul(logSoftmax(x), dyColumn)) : null;
      return [dLabels, dLogits];
    },
  });
  probs.dispose(); // the tape holds its own reference when it needs one
  return loss;
}

function checkLogits(logits: Tensor, opName: string): void {
  if (logits.rank === 0) throw new Error(`${opName}: logits must have rank >= 1 (classes on the last axis), got a scalar`);
}

/**
 * Cross-entropy between probability rows `onehotLabels` and softmax(logits) over the last axis, stable for
 * any finite logits. labelSmoothing s turns labels into labels·(1 - s) + s/C. tfjs's SUM_BY_NONZERO_WEIGHTS
 * default. (tfjs takes C from shape[1]; here it is the class axis, the last, which agrees for rank 2.)
 */
export function softmaxCrossEntropy(
  onehotLabels: Arg, logits: Arg, weights?: Arg | null, labelSmoothing = 0,
  reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS,
): Tensor {
  return lossScope('softmaxCrossEntropy', () => {
    const p = pair(onehotLabels, logits, 'softmaxCrossEntropy', 'onehotLabels', 'logits');
    checkLogits(p.predictions, 'softmaxCrossEntropy');
    let labels = p.labels;
    if (labelSmoothing > 0) {
      const numClasses = labels.shape[labels.rank - 1];
      labels = add(mul(labels, 1 - labelSmoothing), labelSmoothing / numClasses);
    }
    return weightedLoss(softmaxCrossEntropyWithLogits(labels, p.predictions), weights, reduction, 'softmaxCrossEntropy');
  });
}

/**
 * softmaxCrossEntropy with integer class labels [...batch] (int32, or floats holding integers) against
 * logits [...batch, C]; every label must lie in [0, C). Not in tfjs-core; TF's
 * tf.losses.sparse_softmax_cross_entropy(labels, logits, weights, reduction) with tfjs's default reduction.
 */
export function sparseSoftmaxCrossEntropy(
  labels: Arg, logits: Arg, weights?: Arg | null, reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS,
): Tensor {
  const opName = 'sparseSoftmaxCrossEntropy';
  return lossScope(opName, () => {
    const classes = toTensor(labels, 'labels', opName);
    const x = asFloat(toTensor(logits, 'logits', opName));
    checkLogits(x, opName);
    const depth = x.shape[x.rank - 1];
    if (!sameShape(classes.shape, x.shape.slice(0, -1))) {
      throw new Error(`${opName}: labels must have the shape of logits without its last axis, got labels [${classes.shape}] and logits [${x.shape}]`);
    }
    if (classes.dtype === 'bool') throw new Error(`${opName}: labels must be int32 class indices, got a bool tensor of shape [${classes.shape}]`);
    // The backend must never see a class outside [0, C): checked on the device where the backend does that
    // (a fractional float label becomes -1 there, so it fails too), else here with a read of the labels.
    const onDevice = indicesCheckedOnDevice(opName);
    const wholeOrMinusOne = (t: Tensor) => (onDevice ? where(equal(t, floor(t)), t, fill(t.shape, -1)) : t);
    const indices = classes.dtype === 'int32' ? classes : cast(wholeOrMinusOne(classes), 'int32');
    if (onDevice) {
      checkIndices(indices, depth, opName, `for ${depth} classes (logits [${x.shape}]; a fractional label reads as -1)`);
    } else {
      const values = classes.dataSync();
      for (let i = 0; i < values.length; i++) {
        const label = values[i];
        if (!Number.isInteger(label) || label < 0 || label >= depth) {
          throw new Error(`${opName}: label ${label} at flat index ${i} is out of range [0, ${depth - 1}] for ${depth} classes (logits [${x.shape}])`);
        }
      }
    }
    // oneHot wants depth >= 2; with one class every (valid) label is 0 and the one-hot rows are all ones.
    const onehot = depth >= 2 ? oneHot(indices, depth, 1, 0, 'float32') : ones(x.shape);
    return weightedLoss(softmaxCrossEntropyWithLogits(onehot, x), weights, reduction, opName);
  });
}
