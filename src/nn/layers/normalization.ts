// batchNormalization (tfjs-layers semantics): in training, normalizes with the batch's mean and
// (biased) variance over every axis but `axis` and moves the running statistics toward them
// (moving = moving·momentum + batch·(1 − momentum)); at inference it uses the running statistics.
// Shapes: x [B, ..., C] with axis -1 (C channels); gamma, beta, movingMean, movingVariance [C].
import type { Tensor } from '../../tensor.js';
import * as ops from '../../ops/index.js';
import { batchNorm } from '../../ops/batchnorm.js';
import { getInitializer, Initializer, serializeInitializer, type SerializedObject } from '../initializers.js';
import { CallArgs, Layer, LayerArgs, LayerVariable, singleShape, singleTensor } from '../layer.js';
import { getRegularizer, Regularizer, serializeRegularizer } from '../regularizers.js';
import { registerLayerClass } from '../serialization.js';
import { formatShape, type SymbolicShape } from '../symbolic.js';

type InitializerArg = string | Initializer | SerializedObject;
type RegularizerArg = string | Regularizer | SerializedObject | null;

export interface BatchNormalizationArgs extends LayerArgs {
  /** The feature axis (channels); default -1. Keras files may give it as a one-element list. */
  axis?: number | number[];
  /** Weight of the old running statistics in each update; default 0.99. */
  momentum?: number;
  /** Added to the variance; default 1e-3. */
  epsilon?: number;
  /** Learn an offset beta; default true. */
  center?: boolean;
  /** Learn a scale gamma; default true. */
  scale?: boolean;
  betaInitializer?: InitializerArg;
  gammaInitializer?: InitializerArg;
  movingMeanInitializer?: InitializerArg;
  movingVarianceInitializer?: InitializerArg;
  betaRegularizer?: RegularizerArg;
  gammaRegularizer?: RegularizerArg;
}

/**
 * Normalizes each channel to zero mean and unit variance, then scales by gamma and shifts by beta.
 * Weights (tfjs order): gamma, beta (trainable), moving_mean, moving_variance (not trainable).
 *   tf.layers.batchNormalization({momentum: 0.9})
 */
export class BatchNormalization extends Layer {
  static readonly className = 'BatchNormalization';
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly betaInitializer: Initializer;
  readonly gammaInitializer: Initializer;
  readonly movingMeanInitializer: Initializer;
  readonly movingVarianceInitializer: Initializer;
  readonly betaRegularizer: Regularizer | null;
  readonly gammaRegularizer: Regularizer | null;
  gamma: LayerVariable | null = null;
  beta: LayerVariable | null = null;
  movingMean: LayerVariable | null = null;
  movingVariance: LayerVariable | null = null;

  constructor(args: BatchNormalizationArgs = {}) {
    super(args);
    const context = this.context();
    const axis = Array.isArray(args.axis) && args.axis.length === 1 ? args.axis[0] : args.axis ?? -1;
    if (!Number.isInteger(axis)) throw new Error(`${context}: axis must be one integer, got ${JSON.stringify(args.axis)}`);
    this.axis = axis as number;
    this.momentum = args.momentum ?? 0.99;
    if (typeof this.momentum !== 'number' || !(this.momentum >= 0 && this.momentum <= 1)) {
      throw new Error(`${context}: momentum must be in [0, 1], got ${JSON.stringify(args.momentum)}`);
    }
    this.epsilon = args.epsilon ?? 1e-3;
    if (typeof this.epsilon !== 'number' || !(this.epsilon >= 0)) throw new Error(`${context}: epsilon must be a non-negative number, got ${JSON.stringify(args.epsilon)}`);
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.betaInitializer = getInitializer(args.betaInitializer ?? 'zeros', `${context} betaInitializer`);
    this.gammaInitializer = getInitializer(args.gammaInitializer ?? 'ones', `${context} gammaInitializer`);
    this.movingMeanInitializer = getInitializer(args.movingMeanInitializer ?? 'zeros', `${context} movingMeanInitializer`);
    this.movingVarianceInitializer = getInitializer(args.movingVarianceInitializer ?? 'ones', `${context} movingVarianceInitializer`);
    this.betaRegularizer = getRegularizer(args.betaRegularizer, `${context} betaRegularizer`);
    this.gammaRegularizer = getRegularizer(args.gammaRegularizer, `${context} gammaRegularizer`);
  }
  getClassName() { return BatchNormalization.className; }
  private context() { return `BatchNormalization '${this.name}'`; }

  /** The non-negative feature axis for an input of `rank`, checked. */
  private featureAxis(shape: SymbolicShape): number {
    const axis = this.axis < 0 ? this.axis + shape.length : this.axis;
    if (axis < 0 || axis >= shape.length || shape.length < 2) {
      throw new Error(`${this.context()}: axis ${this.axis} is out of range for input ${formatShape(shape)}`);
    }
    if (shape[axis] === null) throw new Error(`${this.context()}: axis ${this.axis} of the input must be known, got ${formatShape(shape)}`);
    return axis;
  }

  protected override assertInputCompatible(inputShape: SymbolicShape | SymbolicShape[]): void {
    const shape = singleShape(inputShape, this);
    const axis = this.featureAxis(shape);
    if (this.movingMean && shape[axis] !== this.movingMean.shape[0]) {
      throw new Error(`${this.context()}: expected ${this.movingMean.shape[0]} features on axis ${this.axis}, got input ${formatShape(shape)}`);
    }
  }

  override build(inputShape: SymbolicShape | SymbolicShape[]): void {
    const shape = singleShape(inputShape, this);
    const features = shape[this.featureAxis(shape)] as number;
    if (this.scale) this.gamma = this.addWeight('gamma', [features], this.gammaInitializer, this.gammaRegularizer);
    if (this.center) this.beta = this.addWeight('beta', [features], this.betaInitializer, this.betaRegularizer);
    this.movingMean = this.addWeight('moving_mean', [features], this.movingMeanInitializer, null, false);
    this.movingVariance = this.addWeight('moving_variance', [features], this.movingVarianceInitializer, null, false);
    this.built = true;
  }

  call(inputs: Tensor | Tensor[], kwargs: CallArgs): Tensor {
    const x = singleTensor(inputs, this);
    const axis = this.featureAxis(x.shape);
    // Per-channel vectors broadcast over a last feature axis as they are; another axis needs [1, C, 1, …].
    const broadcastShape = x.shape.map((d, i) => (i === axis ? d : 1));
    const lastAxis = axis === x.rank - 1;
    const shaped = (t: Tensor | undefined) => (t === undefined || lastAxis ? t : ops.reshape(t, broadcastShape));
    const gamma = shaped(this.gamma?.read());
    const beta = shaped(this.beta?.read());
    if (!kwargs.training) {
      return batchNorm(x, shaped(this.movingMean!.read())!, shaped(this.movingVariance!.read())!, beta, gamma, this.epsilon);
    }
    const reductionAxes = x.shape.map((_, i) => i).filter((i) => i !== axis);
    const { mean, variance } = ops.moments(x, reductionAxes);
    const normalized = batchNorm(x, shaped(mean)!, shaped(variance)!, beta, gamma, this.epsilon);
    this.moveToward(this.movingMean!, mean);
    this.moveToward(this.movingVariance!, variance);
    return normalized;
  }

  /** moving ← moving − (moving − batch)·(1 − momentum), as tfjs (Keras uses the same biased variance). */
  private moveToward(moving: LayerVariable, batch: Tensor): void {
    const current = moving.read();
    moving.write(ops.sub(current, ops.mul(ops.sub(current, batch), 1 - this.momentum)));
  }

  override getConfig() {
    return {
      axis: this.axis,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: serializeInitializer(this.betaInitializer),
      gammaInitializer: serializeInitializer(this.gammaInitializer),
      movingMeanInitializer: serializeInitializer(this.movingMeanInitializer),
      movingVarianceInitializer: serializeInitializer(this.movingVarianceInitializer),
      betaRegularizer: serializeRegularizer(this.betaRegularizer),
      gammaRegularizer: serializeRegularizer(this.gammaRegularizer),
      betaConstraint: null,
      gammaConstraint: null,
      ...super.getConfig(),
    };
  }
}

registerLayerClass(BatchNormalization.className, (config) => new BatchNormalization(config as BatchNormalizationArgs));
