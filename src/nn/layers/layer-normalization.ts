// layerNormalization (tfjs-layers semantics): normalizes each sample over `axis` (default the last)
// with its own mean and biased variance, then scales by gamma and shifts by beta; no running statistics,
// so training and inference compute the same thing.
// Shapes: x [B, ..., C] with axis -1; gamma, beta [C] (the normalized axes' sizes in general).
import type { Tensor } from '../../tensor.js';
import * as ops from '../../ops/index.js';
import { layerNorm } from '../../ops/layernorm.js';
import { getInitializer, Initializer, serializeInitializer, type SerializedObject } from '../initializers.js';
import { CallArgs, Layer, LayerArgs, LayerVariable, singleShape, singleTensor } from '../layer.js';
import { getRegularizer, Regularizer, serializeRegularizer } from '../regularizers.js';
import { registerLayerClass } from '../serialization.js';
import { formatShape, type SymbolicShape } from '../symbolic.js';

type InitializerArg = string | Initializer | SerializedObject;
type RegularizerArg = string | Regularizer | SerializedObject | null;

export interface LayerNormalizationArgs extends LayerArgs {
  /** The axis or axes to normalize over; default -1 (the features). */
  axis?: number | number[];
  /** Added to the variance; default 1e-3 (tfjs and Keras). */
  epsilon?: number;
  /** Learn an offset beta; default true. */
  center?: boolean;
  /** Learn a scale gamma; default true. */
  scale?: boolean;
  betaInitializer?: InitializerArg;
  gammaInitializer?: InitializerArg;
  betaRegularizer?: RegularizerArg;
  gammaRegularizer?: RegularizerArg;
}

/**
 * (x − mean) / sqrt(variance + epsilon) · gamma + beta, statistics per sample over `axis`.
 * Weights (tfjs order): gamma, beta.
 *   tf.layers.layerNormalization({epsilon: 1e-5})
 */
export class LayerNormalization extends Layer {
  static readonly className = 'LayerNormalization';
  readonly axis: number[];
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly betaInitializer: Initializer;
  readonly gammaInitializer: Initializer;
  readonly betaRegularizer: Regularizer | null;
  readonly gammaRegularizer: Regularizer | null;
  override supportsMasking = true;
  gamma: LayerVariable | null = null;
  beta: LayerVariable | null = null;

  constructor(args: LayerNormalizationArgs = {}) {
    super(args);
    const context = this.context();
    const axis = args.axis ?? -1;
    const axes = Array.isArray(axis) ? axis : [axis];
    if (axes.length === 0 || axes.some((a) => !Number.isInteger(a))) {
      throw new Error(`${context}: axis must be an integer or a non-empty list of integers, got ${JSON.stringify(args.axis)}`);
    }
    this.axis = axes.slice();
    this.epsilon = args.epsilon ?? 1e-3;
    if (typeof this.epsilon !== 'number' || !(this.epsilon >= 0)) {
      throw new Error(`${context}: epsilon must be a non-negative number, got ${JSON.stringify(args.epsilon)}`);
    }
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    if ((args as { rmsScaling?: unknown }).rmsScaling) throw new Error(`${context}: rmsScaling (Keras 3) is not supported`);
    this.betaInitializer = getInitializer(args.betaInitializer ?? 'zeros', `${context} betaInitializer`);
    this.gammaInitializer = getInitializer(args.gammaInitializer ?? 'ones', `${context} gammaInitializer`);
    this.betaRegularizer = getRegularizer(args.betaRegularizer, `${context} betaRegularizer`);
    this.gammaRegularizer = getRegularizer(args.gammaRegularizer, `${context} gammaRegularizer`);
  }
  getClassName() { return LayerNormalization.className; }
  private context() { return `LayerNormalization '${this.name}'`; }

  /** The normalized axes as non-negative, sorted, distinct indices for an input of this shape, checked. */
  private normalizedAxes(shape: SymbolicShape): number[] {
    const axes = this.axis.map((a) => (a < 0 ? a + shape.length : a));
    if (axes.some((a) => a < 0 || a >= shape.length) || new Set(axes).size !== axes.length) {
      throw new Error(`${this.context()}: axis ${JSON.stringify(this.axis)} is out of range (or repeated) for input ${formatShape(shape)}`);
    }
    if (axes.some((a) => shape[a] === null)) {
      throw new Error(`${this.context()}: the normalized axes ${JSON.stringify(this.axis)} must have known sizes, got input ${formatShape(shape)}`);
    }
    return axes.sort((a, b) => a - b);
  }

  /** gamma/beta shape: the sizes of the normalized axes (one axis → [C]). */
  private paramShape(shape: SymbolicShape): number[] {
    return this.normalizedAxes(shape).map((a) => shape[a] as number);
  }

  protected override assertInputCompatible(inputShape: SymbolicShape | SymbolicShape[]): void {
    const shape = singleShape(inputShape, this);
    const expected = this.gamma?.shape ?? this.beta?.shape;
    const got = this.paramShape(shape);
    if (expected && (expected.length !== got.length || expected.some((d, i) => d !== got[i]))) {
      throw new Error(`${this.context()}: built for normalized axes of size [${expected}], got input ${formatShape(shape)}`);
    }
  }

  override build(inputShape: SymbolicShape | SymbolicShape[]): void {
    const shape = this.paramShape(singleShape(inputShape, this));
    if (this.scale) this.gamma = this.addWeight('gamma', shape, this.gammaInitializer, this.gammaRegularizer);
    if (this.center) this.beta = this.addWeight('beta', shape, this.betaInitializer, this.betaRegularizer);
    this.built = true;
  }

  call(inputs: Tensor | Tensor[], _kwargs: CallArgs): Tensor {
    const x = singleTensor(inputs, this);
    const axes = this.normalizedAxes(x.shape);
    const gamma = this.gamma?.read() ?? null;
    const beta = this.beta?.read() ?? null;
    if (axes.length === 1 && axes[0] === x.rank - 1) return layerNorm(x, gamma, beta, this.epsilon);
    // Several axes (or not the last): moments over them, parameters broadcast on those axes only.
    const broadcastShape = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
    const { mean, variance } = ops.moments(x, axes, true);
    let y = ops.mul(ops.sub(x, mean), ops.rsqrt(ops.add(variance, this.epsilon)));
    if (gamma) y = ops.mul(y, ops.reshape(gamma, broadcastShape));
    if (beta) y = ops.add(y, ops.reshape(beta, broadcastShape));
    return y;
  }

  override getConfig() {
    return {
      axis: this.axis.length === 1 ? this.axis[0] : this.axis.slice(),
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: serializeInitializer(this.betaInitializer),
      gammaInitializer: serializeInitializer(this.gammaInitializer),
      betaRegularizer: serializeRegularizer(this.betaRegularizer),
      gammaRegularizer: serializeRegularizer(this.gammaRegularizer),
      ...super.getConfig(),
    };
  }
}

registerLayerClass(LayerNormalization.className, (config) => new LayerNormalization(config as LayerNormalizationArgs));
