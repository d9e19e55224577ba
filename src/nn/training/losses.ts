// Keras/tfjs-layers losses by name: each maps (yTrue, yPred) [batch, ...] → per-example loss [batch, ...]
// (the mean over the last axis, as Keras does); the training loop averages over the batch.
// Cross-entropies also have a fused form on the output layer's logits (softmax or sigmoid not applied),
// which is stable where the probability formula has to clip at epsilon.
//
//   const spec = getLoss('categorical_crossentropy');   // spec.name === 'categoricalCrossentropy'
import { ENGINE } from '../../engine.js';
import type { Tensor } from '../../tensor.js';
import { add, div, maximum, minimum, mul, sub } from '../../ops/binary.js';
import { cast } from '../../ops/cast.js';
import { oneHot } from '../../ops/gather.js';
import { onesLike } from '../../ops/creation.js';
import { mean, sum } from '../../ops/reduce.js';
import { reshape } from '../../ops/shape.js';
import { abs, clipByValue, floor, log, neg, softplus, square } from '../../ops/unary.js';
import { Reduction, sigmoidCrossEntropy, softmaxCrossEntropy, sparseSoftmaxCrossEntropy } from '../../ops/losses.js';
import type { LossOrMetricFn } from './model-interface.js';

/** Keras's fuzz factor (backend.epsilon()). */
export const EPSILON = 1e-7;

const lastAxisMean = (x: Tensor): Tensor => mean(x, -1);
const asFloat = (x: Tensor): Tensor => (x.dtype === 'float32' ? x : cast(x, 'float32'));

export function meanSquaredError(yTrue: Tensor, yPred: Tensor): Tensor {
  return ENGINE.tidy(() => lastAxisMean(square(sub(yPred, asFloat(yTrue)))));
}

export function meanAbsoluteError(yTrue: Tensor, yPred: Tensor): Tensor {
  return ENGINE.tidy(() => lastAxisMean(abs(sub(yPred, asFloat(yTrue)))));
}

export function meanAbsolutePercentageError(yTrue: Tensor, yPred: Tensor): Tensor {
  return ENGINE.tidy(() => {
    const truth = asFloat(yTrue);
    const relative = abs(div(sub(truth, yPred), clipByValue(abs(truth), EPSILON, Number.MAX_VALUE)));
    return mul(lastAxisMean(relative), 100);
  });
}

export function meanSquaredLogarithmicError(yTrue: Tensor, yPred: Tensor): Tensor {
  return ENGINE.tidy(() => {
    const logOf = (x: Tensor) => log(add(clipByValue(x, EPSILON, Number.MAX_VALUE), 1));
    return lastAxisMean(square(sub(logOf(yPred), logOf(asFloat(yTrue)))));
  });
}

/** Keras huber: 0.5·e² where |e| <= delta, delta·|e| - 0.5·delta² beyond; mean over the last axis. */
export function huberLoss(yTrue: Tensor, yPred: Tensor, delta = 1.0): Tensor {
  return ENGINE.tidy(() => {
    const error = abs(sub(yPred, asFloat(yTrue)));
    const quadratic = minimum(error, delta);
    return lastAxisMean(add(mul(square(quadratic), 0.5), mul(sub(error, quadratic), delta)));
  });
}

export function hinge(yTrue: Tensor, yPred: Tensor): Tensor {
  return ENGINE.tidy(() => lastAxisMean(maximum(sub(1, mul(asFloat(yTrue), yPred)), 0)));
}

export function squaredHinge(yTrue: Tensor, yPred: Tensor): Tensor {
  return ENGINE.tidy(() => lastAxisMean(square(maximum(sub(1, mul(asFloat(yTrue), yPred)), 0))));
}

/** log(cosh(e)) = e + softplus(-2e) - log 2, stable for large |e|. */
export function logcosh(yTrue: Tensor, yPred: Tensor): Tensor {
  return ENGINE.tidy(() => {
    const error = sub(yPred, asFloat(yTrue));
    return lastAxisMean(sub(add(error, softplus(mul(error, -2))), Math.log(2)));
  });
}

export function kullbackLeiblerDivergence(yTrue: Tensor, yPred: Tensor): Tensor {
  return ENGINE.tidy(() => {
    const p = clipByValue(asFloat(yTrue), EPSILON, 1);
    const q = clipByValue(yPred, EPSILON, 1);
    return sum(mul(p, log(div(p, q))), -1);
  });
}

export function poisson(yTrue: Tensor, yPred: Tensor): Tensor {
  return ENGINE.tidy(() => lastAxisMean(sub(yPred, mul(asFloat(yTrue), log(add(yPred, EPSILON))))));
}

/** -(y·log p + (1-y)·log(1-p)) on p clipped to [ε, 1-ε], mean over the last axis (tfjs-layers). */
export function binaryCrossentropy(yTrue: Tensor, yPred: Tensor): Tensor {
  return ENGINE.tidy(() => {
    const y = asFloat(yTrue);
    const p = clipByValue(yPred, EPSILON, 1 - EPSILON);
    return lastAxisMean(neg(add(mul(y, log(p)), mul(sub(1, y), log(sub(1, p))))));
  });
}

/** -Σ y·log p over the last axis, p renormalized to sum to 1 and clipped to [ε, 1-ε] (tfjs-layers). */
export function categoricalCrossentropy(yTrue: Tensor, yPred: Tensor): Tensor {
  return ENGINE.tidy(() => {
    const normalized = div(yPred, sum(yPred, -1, true));
    const p = clipByValue(normalized, EPSILON, 1 - EPSILON);
    return neg(sum(mul(asFloat(yTrue), log(p)), -1));
  });
}

/** Integer class labels [batch] or [batch, 1] against probabilities [batch, C]. */
export function sparseCategoricalCrossentropy(yTrue: Tensor, yPred: Tensor): Tensor {
  return ENGINE.tidy(() => {
    const classes = yPred.shape[yPred.rank - 1];
    const labels = cast(floor(reshape(asFloat(yTrue), [-1])), 'int32');
    // oneHot needs depth >= 2; with a single class every valid label is 0 and the one-hot rows are ones.
    const onehot = classes >= 2 ? reshape(oneHot(labels, classes, 1, 0, 'float32'), yPred.shape) : onesLike(yPred);
    return categoricalCrossentropy(onehot, yPred);
  });
}

// --- fused forms: yPred is replaced by the output layer's logits --------------------------------------------

function fusedCategorical(yTrue: Tensor, logits: Tensor): Tensor {
  return softmaxCrossEntropy(asFloat(yTrue), logits, null, 0, Reduction.NONE);
}

function fusedSparseCategorical(yTrue: Tensor, logits: Tensor): Tensor {
  return ENGINE.tidy(() => {
    const labels = reshape(yTrue, logits.shape.slice(0, -1));
    return sparseSoftmaxCrossEntropy(labels.dtype === 'int32' ? labels : cast(floor(labels), 'int32'), logits, null, Reduction.NONE);
  });
}

function fusedBinary(yTrue: Tensor, logits: Tensor): Tensor {
  return ENGINE.tidy(() => lastAxisMean(sigmoidCrossEntropy(asFloat(yTrue), logits, null, 0, Reduction.NONE)));
}

/** A loss resolved from a name or a function. */
export interface LossSpec {
  /** Canonical (tfjs) name, or the function's own name for user functions. */
  name: string;
  fn: LossOrMetricFn;
  /** Fused forms keyed by the output activation they absorb. */
  fused?: Partial<Record<'softmax' | 'sigmoid', LossOrMetricFn>>;
  /** 'sparse': labels are class indices ([batch] or [batch, 1]); 'dense': labels have the output's shape. */
  labels: 'dense' | 'sparse' | 'any';
}

const builtins: Record<string, Omit<LossSpec, 'name'>> = {
  meanSquaredError: { fn: meanSquaredError, labels: 'dense' },
  meanAbsoluteError: { fn: meanAbsoluteError, labels: 'dense' },
  meanAbsolutePercentageError: { fn: meanAbsolutePercentageError, labels: 'dense' },
  meanSquaredLogarithmicError: { fn: meanSquaredLogarithmicError, labels: 'dense' },
  huberLoss: { fn: (t, p) => huberLoss(t, p), labels: 'dense' },
  hinge: { fn: hinge, labels: 'dense' },
  squaredHinge: { fn: squaredHinge, labels: 'dense' },
  logcosh: { fn: logcosh, labels: 'dense' },
  kullbackLeiblerDivergence: { fn: kullbackLeiblerDivergence, labels: 'dense' },
  poisson: { fn: poisson, labels: 'dense' },
  binaryCrossentropy: { fn: binaryCrossentropy, labels: 'dense', fused: { sigmoid: fusedBinary } },
  categoricalCrossentropy: { fn: categoricalCrossentropy, labels: 'dense', fused: { softmax: fusedCategorical } },
  sparseCategoricalCrossentropy: { fn: sparseCategoricalCrossentropy, labels: 'sparse', fused: { softmax: fusedSparseCategorical } },
};

/** Short and Keras snake_case names tfjs or Keras accept, mapped to the canonical name. */
const aliases: Record<string, string> = {
  mse: 'meanSquaredError', MSE: 'meanSquaredError', mean_squared_error: 'meanSquaredError',
  mae: 'meanAbsoluteError', MAE: 'meanAbsoluteError', mean_absolute_error: 'meanAbsoluteError',
  mape: 'meanAbsolutePercentageError', MAPE: 'meanAbsolutePercentageError', mean_absolute_percentage_error: 'meanAbsolutePercentageError',
  msle: 'meanSquaredLogarithmicError', MSLE: 'meanSquaredLogarithmicError', mean_squared_logarithmic_error: 'meanSquaredLogarithmicError',
  huber: 'huberLoss', huber_loss: 'huberLoss', Huber: 'huberLoss',
  squared_hinge: 'squaredHinge', log_cosh: 'logcosh',
  kld: 'kullbackLeiblerDivergence', KLD: 'kullbackLeiblerDivergence', kl_divergence: 'kullbackLeiblerDivergence',
  kullback_leibler_divergence: 'kullbackLeiblerDivergence',
  binary_crossentropy: 'binaryCrossentropy', BinaryCrossentropy: 'binaryCrossentropy',
  categorical_crossentropy: 'categoricalCrossentropy', CategoricalCrossentropy: 'categoricalCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy', SparseCategoricalCrossentropy: 'sparseCategoricalCrossentropy',
  MeanSquaredError: 'meanSquaredError', MeanAbsoluteError: 'meanAbsoluteError',
};

/** Canonical name for a loss name, or undefined. */
export function canonicalLossName(name: string): string | undefined {
  if (name in builtins) return name;
  return aliases[name];
}

/** Resolves a loss name or function; unknown names throw listing the known ones. */
export function getLoss(identifier: string | LossOrMetricFn): LossSpec {
  if (typeof identifier === 'function') {
    const known = Object.entries(builtins).find(([, spec]) => spec.fn === identifier);
    if (known) return { name: known[0], ...known[1] };
    return { name: identifier.name || 'loss', fn: identifier, labels: 'any' };
  }
  const canonical = typeof identifier === 'string' ? canonicalLossName(identifier) : undefined;
  if (!canonical) {
    const known = [...Object.keys(builtins), ...Object.keys(aliases)].join(', ');
    throw new Error(`compile: unknown loss '${String(identifier)}'; known losses: ${known}`);
  }
  return { name: canonical, ...builtins[canonical] };
}

const shapeText = (shape: readonly (number | null)[]): string => `[${shape.map((d) => (d == null ? 'null' : d)).join(',')}]`;

/**
 * Throws unless labels of `labelShape` fit `loss` for an output of `outputShape` (null = any size).
 * Dense losses want the output's shape; sparse ones the output's shape without its last axis (or with a 1).
 */
export function checkLabelShape(
  loss: LossSpec, labelShape: readonly number[], outputShape: readonly (number | null)[], outputName: string, where: string,
): void {
  if (loss.labels === 'any') return;
  const matches = (expected: readonly (number | null)[]) =>
    expected.length === labelShape.length && expected.every((d, i) => d == null || d === labelShape[i]);
  const outer = outputShape.slice(0, -1);
  const ok = loss.labels === 'dense' ? matches(outputShape) : matches(outer) || matches([...outer, 1]);
  if (ok) return;
  const expected = loss.labels === 'dense'
    ? `labels of the output's shape ${shapeText(outputShape)}`
    : `integer class labels of shape ${shapeText(outer)} or ${shapeText([...outer, 1])}`;
  throw new Error(
    `${where}: labels of shape ${shapeText(labelShape)} do not fit loss '${loss.name}' for output '${outputName}' ` +
      `of shape ${shapeText(outputShape)}: expected ${expected}`,
  );
}
