// One training step and one test step on a batch. The training step records one tape over the forward
// pass, the losses and the regularization penalty, applies the (clipped) gradients, and frees every
// temporary: only the values it returns outlive it, packed in one [k] tensor that stays on the backend (a
// GPU is not made to wait for a read after every batch; fit reads when a callback asks).
import { withoutTapes } from '../../autograd/tape.js';
import { ENGINE } from '../../engine.js';
import type { Tensor } from '../../tensor.js';
import { add } from '../../ops/binary.js';
import { stack } from '../../ops/concat.js';
import { mean } from '../../ops/reduce.js';
import { softmax } from '../../ops/softmax.js';
import { sigmoid } from '../../ops/unary.js';
import { computeWeightedLoss } from '../../ops/losses.js';
import type { CompiledModel } from './compile.js';
import type { TrainableModel } from './model-interface.js';
import { clipGradients } from './optimizers.js';

/** The outputs (activations applied) and what each loss reads (logits where it fuses). */
function forward(model: TrainableModel, compiled: CompiledModel, inputs: Tensor[], training: boolean) {
  if (!compiled.useLogits) {
    const outputs = model.predictTensors(inputs, training);
    return { outputs, lossInputs: outputs };
  }
  const logits = model.predictLogits!(inputs, training);
  const outputs = logits.map((l, i) => {
    const activation = compiled.outputs[i].fusedActivation;
    return activation === 'softmax' ? softmax(l) : activation === 'sigmoid' ? sigmoid(l) : l;
  });
  return { outputs, lossInputs: logits };
}

/** Mean loss per output: the per-example losses averaged, or weighted by sampleWeights (tfjs's rule). */
function outputLosses(compiled: CompiledModel, targets: Tensor[], lossInputs: Tensor[], sampleWeights: (Tensor | null)[]): Tensor[] {
  return compiled.outputs.map((output, i) => {
    const fused = output.fusedActivation ? output.loss.fused![output.fusedActivation]! : null;
    const perExample = fused ? fused(targets[i], lossInputs[i]) : output.loss.fn(targets[i], lossInputs[i]);
    const weights = sampleWeights[i];
    return weights ? computeWeightedLoss(perExample, weights) : mean(perExample);
  });
}

/** Batch-mean of every metric, in metricsNames order (after the losses). */
function metricValues(compiled: CompiledModel, targets: Tensor[], outputs: Tensor[]): Tensor[] {
  const values: Tensor[] = [];
  compiled.outputs.forEach((output, i) => {
    for (const metric of output.metrics) values.push(mean(metric.fn(targets[i], outputs[i])));
  });
  return values;
}

const sum = (terms: Tensor[]): Tensor => terms.reduce((total, t) => add(total, t));

/** Scalars packed into one [k] tensor (one read instead of k); the scalars are disposed. */
function pack(scalars: Tensor[]): Tensor {
  const packed = ENGINE.tidy(() => stack(scalars));
  for (const t of scalars) t.dispose();
  return packed;
}

/**
 * Updates the weights from one batch; returns [loss (with regularization), per-output losses when several,
 * metrics…] as one [k] tensor, measured on the forward pass before the update, as tfjs does.
 */
export function trainStep(
  model: TrainableModel, compiled: CompiledModel, inputs: Tensor[], targets: Tensor[], sampleWeights: (Tensor | null)[] = [],
): Tensor {
  const variables = model.trainableVariables;
  let logged: Tensor[] = [];
  const { value, grads } = compiled.optimizer.computeGradients(() => {
    const { outputs, lossInputs } = forward(model, compiled, inputs, true);
    const losses = outputLosses(compiled, targets, lossInputs, sampleWeights);
    const penalty = model.regularizationLoss();
    const total = penalty ? add(sum(losses), penalty) : sum(losses);
    // Metrics are off the tape (no gradient), kept past computeGradients' scope, read below.
    logged = withoutTapes(() => [
      ...(losses.length > 1 ? losses.map((l) => add(l, 0)) : []),
      ...metricValues(compiled, targets, outputs),
    ]).map((t) => ENGINE.keep(t));
    return total;
  }, variables);
  let clipped = grads;
  try {
    clipped = clipGradients(grads, compiled);
    compiled.optimizer.applyGradients(clipped);
  } finally {
    for (const g of Object.values(clipped)) g.dispose();
  }
  return pack([value, ...logged]);
}

/** Loss (without regularization, as tfjs's test function) and metrics on one batch as a [k] tensor, weights untouched. */
export function testStep(model: TrainableModel, compiled: CompiledModel, inputs: Tensor[], targets: Tensor[]): Tensor {
  const values = ENGINE.tidy(() => {
    const { outputs, lossInputs } = forward(model, compiled, inputs, false);
    const losses = outputLosses(compiled, targets, lossInputs, []);
    return [sum(losses), ...(losses.length > 1 ? losses : []), ...metricValues(compiled, targets, outputs)];
  });
  return pack(values);
}
