// Fine-tuning tools: AdamW with per-parameter-group learning-rate (and weight-decay) multipliers, the
// usual BERT grouping (no decay on biases and layer norms; layer-wise rate decay), and one training step
// with global-norm gradient clipping. Freezing is `layer.trainable = false` (or model.bert.freeze()).
//
//   const optimizer = scheduleLearningRate(
//     new GroupedAdamW(2e-5, 0.01, bertParameterGroups({layerDecay: 0.8, numLayers: 2})),
//     warmup(100, linearDecay({initialLearningRate: 2e-5, decaySteps: 900})));
//   for (const batch of batches) trainStep(model, () => model.loss(batch.inputs, batch.labels, {training: true}), optimizer, {clipNorm: 1});
import type { Tensor } from '../../tensor.js';
import type { Variable } from '../../variable.js';
import type { LayerVariable } from '../../nn/layer.js';
import { variableGrads } from '../../autograd/gradients.js';
import { clipGradients } from '../../nn/training/optimizers.js';
import { AdamWOptimizer, FLOAT32_EPSILON } from '../../optimizers/adam.js';
import type { NamedTensor, NamedTensorMap } from '../../optimizers/state.js';
import { gradientList } from '../../optimizers/state.js';

/** Multipliers of the optimizer's learning rate and weight decay for one variable (default 1 each). */
export interface ParameterGroup {
  learningRate?: number;
  weightDecay?: number;
}

/** A variable's group, by its name ('bert.encoder.layer.1.attention.self.query/kernel'). */
export type ParameterGroups = (variableName: string) => ParameterGroup;

/**
 * AdamW where each variable's step uses learningRate·group.learningRate and weightDecay·group.weightDecay:
 * discriminative learning rates in one optimizer (one step count, one state to checkpoint; its class name
 * stays 'AdamW', so checkpoints restore into a plain AdamW too).
 */
export class GroupedAdamW extends AdamWOptimizer {
  constructor(
    learningRate: number, weightDecay: number, readonly groups: ParameterGroups,
    beta1 = 0.9, beta2 = 0.999, epsilon: number = FLOAT32_EPSILON,
  ) {
    super(learningRate, weightDecay, beta1, beta2, epsilon);
  }

  override applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void {
    // Variables sharing multipliers update together; each update runs as step `start + 1`.
    const buckets = new Map<string, { group: Required<ParameterGroup>; list: NamedTensor[] }>();
    for (const entry of gradientList(variableGradients)) {
      const group = this.groups(entry.name);
      const full = { learningRate: group.learningRate ?? 1, weightDecay: group.weightDecay ?? 1 };
      const key = `${full.learningRate}|${full.weightDecay}`;
      if (!buckets.has(key)) buckets.set(key, { group: full, list: [] });
      buckets.get(key)!.list.push(entry as NamedTensor);
    }
    const baseRate = this.learningRate;
    const baseDecay = this.weightDecay;
    const start = this.iterationCount;
    try {
      for (const { group, list } of buckets.values()) {
        this.iterationCount = start;
        this.learningRate = baseRate * group.learningRate;
        this.weightDecay = baseDecay * group.weightDecay;
        super.applyGradients(list);
      }
    } finally {
      this.learningRate = baseRate;
      this.weightDecay = baseDecay;
      this.iterationCount = start + 1;
    }
  }
}

/** Encoder layer index of a weight name, -1 for the embeddings, Infinity for heads and the pooler. */
export function bertDepthOf(name: string): number {
  if (name.startsWith('bert.embeddings')) return -1;
  const match = /^bert\.encoder\.layer\.(\d+)\./.exec(name);
  return match ? Number(match[1]) : Infinity;
}

/**
 * BERT's usual groups: no weight decay on biases and layer-norm weights; with layerDecay d < 1, encoder
 * layer i of numLayers trains at d^(numLayers − i) of the rate, the embeddings at d^(numLayers + 1), heads at 1.
 */
export function bertParameterGroups({ layerDecay = 1, numLayers = 0 }: { layerDecay?: number; numLayers?: number } = {}): ParameterGroups {
  if (!(layerDecay > 0 && layerDecay <= 1)) throw new Error(`bertParameterGroups: layerDecay must be in (0, 1], got ${layerDecay}`);
  return (name) => {
    const noDecay = /\/(bias|gamma|beta)(_\d+)?$/.test(name);
    const depth = bertDepthOf(name);
    const learningRate = depth === Infinity ? 1 : Math.pow(layerDecay, numLayers - depth);
    return { learningRate, weightDecay: noDecay ? 0 : 1 };
  };
}

export interface TrainStepOptions {
  /** Scale all gradients down so their global norm is at most this (clip_grad_norm_). */
  clipNorm?: number;
}

/** One optimizer step on the trainable weights of `model` against `loss()`; returns the loss value. */
export function trainStep(
  model: { readonly weights: LayerVariable[] }, loss: () => Tensor, optimizer: { applyGradients(g: NamedTensorMap): void },
  { clipNorm }: TrainStepOptions = {},
): number {
  const variables: Variable[] = model.weights.filter((w) => w.trainable).map((w) => w.read());
  if (variables.length === 0) throw new Error('trainStep: the model has no trainable weights (everything is frozen)');
  const { value, grads } = variableGrads(loss, variables);
  const clipped = clipGradients(grads, { clipNorm });
  try {
    optimizer.applyGradients(clipped);
  } finally {
    for (const g of Object.values(clipped)) g.dispose();
  }
  const result = value.dataSync()[0];
  value.dispose();
  return result;
}
