// The view of a model that the training loop needs. LayersModel (src/nn/model.ts) implements it; tests
// implement it with a few tf.variables, so training never depends on how layers are built.
import type { Tensor } from '../../tensor.js';
import type { Variable } from '../../variable.js';

export interface TrainableModel {
  readonly name: string;
  /** One per model input. */
  readonly inputNames: string[];
  /** One per model output (prefixes log keys when there are several). */
  readonly outputNames: string[];
  /** With a null batch dimension, e.g. [null, 784]. */
  readonly inputShapes: (number | null)[][];
  readonly outputShapes: (number | null)[][];
  /** Forward pass on concrete tensors (training toggles dropout etc.); records on the tape like any op. */
  predictTensors(inputs: Tensor[], training: boolean): Tensor[];
  /**
   * The outputs before their layer's activation (see outputActivations). Optional; when present and the
   * loss fuses with that activation, the loss is computed from these logits, which is stable.
   */
  predictLogits?(inputs: Tensor[], training: boolean): Tensor[];
  /** The trainable tf.Variables, in a stable order. */
  readonly trainableVariables: Variable[];
  /** Sum of all weight-regularizer penalties for the current weights, or null when no layer has one. */
  regularizationLoss(): Tensor | null;
  /** Activation name of each output layer ('softmax', 'sigmoid', 'linear'…). */
  outputActivations(): string[];
  /** Copies; the caller owns them. */
  getWeights(): Tensor[];
  setWeights(weights: Tensor[]): void;
  stopTraining: boolean;
  /** For modelCheckpoint; the handler type is IO's (a URL string or an IOHandler object). */
  save(handlerOrUrl: string | object): Promise<unknown>;
}

/** (yTrue, yPred) → per-example values [batch] (or a scalar), as Keras/tfjs losses and metrics return. */
export type LossOrMetricFn = (yTrue: Tensor, yPred: Tensor) => Tensor;
