// Activation layers with arguments (tfjs-layers advanced_activations): reLU with an optional cap
// (maxValue 6 is MobileNet's ReLU6) and leakyReLU.
import type { Tensor } from '../../tensor.js';
import * as ops from '../../ops/index.js';
import { Layer, LayerArgs, singleTensor } from '../layer.js';
import { registerLayerClass } from '../serialization.js';

export interface ReLUArgs extends LayerArgs {
  /** Upper bound of the output; none by default. */
  maxValue?: number | null;
  /** Keras ReLU's slope below the threshold and the threshold: only 0 is supported for both. */
  negativeSlope?: number;
  threshold?: number;
}

/**
 * max(x, 0), capped at maxValue when given.
 *   tf.layers.reLU({maxValue: 6})   // ReLU6
 */
export class ReLU extends Layer {
  static readonly className = 'ReLU';
  readonly maxValue: number | null;
  constructor(args: ReLUArgs = {}) {
    super(args);
    const maxValue = args.maxValue ?? null;
    if (maxValue !== null && !(typeof maxValue === 'number' && maxValue >= 0)) {
      throw new Error(`ReLU '${this.name}': maxValue must be a non-negative number or null, got ${JSON.stringify(args.maxValue)}`);
    }
    for (const key of ['negativeSlope', 'threshold'] as const) {
      if (args[key] !== undefined && args[key] !== null && args[key] !== 0) {
        throw new Error(`ReLU '${this.name}': ${key} ${JSON.stringify(args[key])} is not supported (only 0)`);
      }
    }
    this.maxValue = maxValue;
  }
  getClassName() { return ReLU.className; }
  call(inputs: Tensor | Tensor[]): Tensor {
    const x = singleTensor(inputs, this);
    if (this.maxValue === null) return ops.relu(x);
    // relu6 is one kernel; other caps compose as tfjs does (relu, then clip).
    if (this.maxValue === 6) return ops.relu6(x);
    return ops.clipByValue(ops.relu(x), 0, this.maxValue);
  }
  override getConfig() { return { maxValue: this.maxValue, ...super.getConfig() }; }
}

export interface LeakyReLUArgs extends LayerArgs {
  /** Slope for x < 0; default 0.3 (Keras). */
  alpha?: number;
}

/** x for x ≥ 0, alpha·x below. */
export class LeakyReLU extends Layer {
  static readonly className = 'LeakyReLU';
  readonly alpha: number;
  constructor(args: LeakyReLUArgs = {}) {
    super(args);
    const alpha = args.alpha ?? 0.3;
    if (typeof alpha !== 'number' || !Number.isFinite(alpha)) {
      throw new Error(`LeakyReLU '${this.name}': alpha must be a finite number, got ${JSON.stringify(args.alpha)}`);
    }
    this.alpha = alpha;
  }
  getClassName() { return LeakyReLU.className; }
  call(inputs: Tensor | Tensor[]): Tensor { return ops.leakyRelu(singleTensor(inputs, this), this.alpha); }
  override getConfig() { return { alpha: this.alpha, ...super.getConfig() }; }
}

registerLayerClass(ReLU.className, (config) => new ReLU(config as ReLUArgs));
registerLayerClass(LeakyReLU.className, (config) => new LeakyReLU(config as LeakyReLUArgs));
