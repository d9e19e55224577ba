// Pooling layers: maxPooling2d / averagePooling2d (a window sliding over height and width) and the
// global poolings that reduce the whole image to one value per channel.
// Shapes (channelsLast): x [B, H, W, C] → [B, OH, OW, C] (windowed) or [B, C] (global).
import type { Tensor } from '../../tensor.js';
import * as ops from '../../ops/index.js';
import { avgPool, maxPool } from '../../ops/pool.js';
import { type CallArgs, Layer, LayerArgs, singleShape, singleTensor } from '../layer.js';
import { registerLayerClass } from '../serialization.js';
import { formatShape, type SymbolicShape } from '../symbolic.js';
import {
  checkDataFormat, checkPadding, convOutputLength, DataFormat, expectRank, fromChannelsLast, fromChannelsLastShape, imageShape, normalizeTuple,
  PaddingMode, toChannelsLast,
} from './spatial.js';

// --- windowed pooling ------------------------------------------------------------------------------

export interface Pooling2DArgs extends LayerArgs {
  /** Window [rows, cols] or n for n×n; default [2, 2]. */
  poolSize?: number | number[];
  /** Window step; defaults to poolSize. */
  strides?: number | number[];
  padding?: 'valid' | 'same';
  dataFormat?: DataFormat;
}

abstract class Pooling2D extends Layer {
  readonly poolSize: number[];
  readonly strides: number[];
  readonly padding: PaddingMode;
  readonly dataFormat: DataFormat;
  constructor(args: Pooling2DArgs = {}) {
    super(args);
    const context = this.context();
    this.poolSize = normalizeTuple(args.poolSize, 2, 'poolSize', context, 2);
    this.strides = args.strides === undefined || args.strides === null ? this.poolSize.slice() : normalizeTuple(args.strides, 2, 'strides', context);
    this.padding = checkPadding(args.padding, context);
    this.dataFormat = checkDataFormat(args.dataFormat, context);
  }
  private context() { return `${this.getClassName()} '${this.name}'`; }
  /** maxPool or avgPool on NHWC. */
  protected abstract pool(x: Tensor): Tensor;

  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const [b, h, w, c] = imageShape(singleShape(inputShape, this), this.dataFormat, this.context());
    const rows = convOutputLength(h, this.poolSize[0], this.padding, this.strides[0], 1, this.context());
    const cols = convOutputLength(w, this.poolSize[1], this.padding, this.strides[1], 1, this.context());
    return fromChannelsLastShape([b, rows, cols, c], this.dataFormat);
  }
  call(inputs: Tensor | Tensor[]): Tensor {
    const x = singleTensor(inputs, this);
    expectRank(x, 4, this.context());
    this.computeOutputShape(x.shape); // names the layer when the window does not fit
    return fromChannelsLast(this.pool(toChannelsLast(x, this.dataFormat)), this.dataFormat);
  }
  override getConfig() {
    return { poolSize: this.poolSize.slice(), padding: this.padding, strides: this.strides.slice(), dataFormat: this.dataFormat, ...super.getConfig() };
  }
}

/**
 * Max over each poolSize window: [B, H, W, C] → [B, OH, OW, C].
 *   tf.layers.maxPooling2d({poolSize: 2})
 */
export class MaxPooling2D extends Pooling2D {
  static readonly className = 'MaxPooling2D';
  getClassName() { return MaxPooling2D.className; }
  protected pool(x: Tensor) { return maxPool(x, this.poolSize as [number, number], this.strides as [number, number], this.padding as 'valid' | 'same'); }
}

/**
 * Mean over each poolSize window ('same' padding averages only the pixels inside the image).
 *   tf.layers.averagePooling2d({poolSize: [2, 2], strides: 1, padding: 'same'})
 */
export class AveragePooling2D extends Pooling2D {
  static readonly className = 'AveragePooling2D';
  getClassName() { return AveragePooling2D.className; }
  protected pool(x: Tensor) { return avgPool(x, this.poolSize as [number, number], this.strides as [number, number], this.padding as 'valid' | 'same'); }
}

// --- 1-D pooling: [B, steps, C], pooled as a [B, steps, 1, C] image -------------------------------------

export interface Pooling1DArgs extends LayerArgs {
  /** Window length; default 2. */
  poolSize?: number | number[];
  /** Window step; defaults to poolSize. */
  strides?: number | number[];
  padding?: 'valid' | 'same';
}

abstract class Pooling1D extends Layer {
  readonly poolSize: number[];
  readonly strides: number[];
  readonly padding: PaddingMode;
  constructor(args: Pooling1DArgs = {}) {
    super(args);
    const context = this.context();
    this.poolSize = normalizeTuple(args.poolSize, 1, 'poolSize', context, 2);
    this.strides = args.strides === undefined || args.strides === null ? this.poolSize.slice() : normalizeTuple(args.strides, 1, 'strides', context);
    this.padding = checkPadding(args.padding, context);
  }
  private context() { return `${this.getClassName()} '${this.name}'`; }
  protected abstract pool(x: Tensor, window: [number, number], strides: [number, number]): Tensor;
  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const shape = singleShape(inputShape, this);
    if (shape.length !== 3) throw new Error(`${this.context()}: expected a rank-3 input (batch, steps, channels), got ${formatShape(shape)}`);
    return [shape[0], convOutputLength(shape[1], this.poolSize[0], this.padding, this.strides[0], 1, this.context()), shape[2]];
  }
  call(inputs: Tensor | Tensor[]): Tensor {
    const x = singleTensor(inputs, this);
    expectRank(x, 3, this.context());
    this.computeOutputShape(x.shape);
    const [batch, steps, channels] = x.shape;
    const y = this.pool(ops.reshape(x, [batch, steps, 1, channels]), [this.poolSize[0], 1], [this.strides[0], 1]);
    return ops.reshape(y, [batch, y.shape[1], channels]);
  }
  override getConfig() { return { poolSize: this.poolSize.slice(), padding: this.padding, strides: this.strides.slice(), ...super.getConfig() }; }
}

/** Max over each window of steps: [B, steps, C] → [B, outSteps, C]. */
export class MaxPooling1D extends Pooling1D {
  static readonly className = 'MaxPooling1D';
  getClassName() { return MaxPooling1D.className; }
  protected pool(x: Tensor, window: [number, number], strides: [number, number]) { return maxPool(x, window, strides, this.padding as 'valid' | 'same'); }
}

/** Mean over each window of steps: [B, steps, C] → [B, outSteps, C]. */
export class AveragePooling1D extends Pooling1D {
  static readonly className = 'AveragePooling1D';
  getClassName() { return AveragePooling1D.className; }
  protected pool(x: Tensor, window: [number, number], strides: [number, number]) { return avgPool(x, window, strides, this.padding as 'valid' | 'same'); }
}

/** Mean over the steps: [B, steps, C] → [B, C]. */
export class GlobalAveragePooling1D extends Layer {
  static readonly className = 'GlobalAveragePooling1D';
  getClassName() { return GlobalAveragePooling1D.className; }
  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape { return globalShape1d(this, singleShape(inputShape, this)); }
  // An upstream mask [B, steps] (embedding maskZero) averages over the real steps only, as Keras does.
  override supportsMasking = true;
  override computeMask(): null { return null; }
  call(inputs: Tensor | Tensor[], kwargs: CallArgs = {}): Tensor {
    const x = rank3(this, singleTensor(inputs, this));
    const mask = Array.isArray(kwargs.mask) ? kwargs.mask[0] : kwargs.mask;
    if (!mask) return ops.mean(x, 1);
    if (mask.rank !== 2 || mask.shape[0] !== x.shape[0] || mask.shape[1] !== x.shape[1]) {
      throw new Error(`GlobalAveragePooling1D '${this.name}': mask must be [batch, steps] = [${x.shape.slice(0, 2)}], got [${mask.shape}]`);
    }
    const weights = ops.expandDims(ops.cast(mask, 'float32'), 2);
    return ops.div(ops.sum(ops.mul(x, weights), 1), ops.maximum(ops.sum(weights, 1), 1e-7));
  }
}

/** Max over the steps: [B, steps, C] → [B, C]. */
export class GlobalMaxPooling1D extends Layer {
  static readonly className = 'GlobalMaxPooling1D';
  getClassName() { return GlobalMaxPooling1D.className; }
  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape { return globalShape1d(this, singleShape(inputShape, this)); }
  call(inputs: Tensor | Tensor[]): Tensor { return ops.max(rank3(this, singleTensor(inputs, this)), 1); }
}

function globalShape1d(layer: Layer, shape: SymbolicShape): SymbolicShape {
  if (shape.length !== 3) throw new Error(`${layer.getClassName()} '${layer.name}': expected a rank-3 input (batch, steps, channels), got ${formatShape(shape)}`);
  return [shape[0], shape[2]];
}
function rank3(layer: Layer, x: Tensor): Tensor {
  expectRank(x, 3, `${layer.getClassName()} '${layer.name}'`);
  return x;
}

// --- global pooling --------------------------------------------------------------------------------

export interface GlobalPooling2DArgs extends LayerArgs {
  dataFormat?: DataFormat;
}

abstract class GlobalPooling2D extends Layer {
  readonly dataFormat: DataFormat;
  constructor(args: GlobalPooling2DArgs = {}) {
    super(args);
    this.dataFormat = checkDataFormat(args.dataFormat, `${this.getClassName()} '${this.name}'`);
  }
  /** mean or max over the given axes. */
  protected abstract reduce(x: Tensor, axes: number[]): Tensor;

  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const [batch, , , channels] = imageShape(singleShape(inputShape, this), this.dataFormat, `${this.getClassName()} '${this.name}'`);
    return [batch, channels];
  }
  call(inputs: Tensor | Tensor[]): Tensor {
    const x = singleTensor(inputs, this);
    expectRank(x, 4, `${this.getClassName()} '${this.name}'`);
    return this.reduce(x, this.dataFormat === 'channelsLast' ? [1, 2] : [2, 3]);
  }
  override getConfig() { return { dataFormat: this.dataFormat, ...super.getConfig() }; }
}

/**
 * Mean over height and width: [B, H, W, C] → [B, C].
 *   tf.layers.globalAveragePooling2d({})
 */
export class GlobalAveragePooling2D extends GlobalPooling2D {
  static readonly className = 'GlobalAveragePooling2D';
  getClassName() { return GlobalAveragePooling2D.className; }
  protected reduce(x: Tensor, axes: number[]) { return ops.mean(x, axes); }
}

/**
 * Max over height and width: [B, H, W, C] → [B, C].
 *   tf.layers.globalMaxPooling2d({})
 */
export class GlobalMaxPooling2D extends GlobalPooling2D {
  static readonly className = 'GlobalMaxPooling2D';
  getClassName() { return GlobalMaxPooling2D.className; }
  protected reduce(x: Tensor, axes: number[]) { return ops.max(x, axes); }
}

registerLayerClass(MaxPooling2D.className, (config) => new MaxPooling2D(config as Pooling2DArgs));
registerLayerClass(AveragePooling2D.className, (config) => new AveragePooling2D(config as Pooling2DArgs));
registerLayerClass(MaxPooling1D.className, (config) => new MaxPooling1D(config as Pooling1DArgs));
registerLayerClass(AveragePooling1D.className, (config) => new AveragePooling1D(config as Pooling1DArgs));
registerLayerClass(GlobalAveragePooling1D.className, (config) => new GlobalAveragePooling1D(config as LayerArgs));
registerLayerClass(GlobalMaxPooling1D.className, (config) => new GlobalMaxPooling1D(config as LayerArgs));
registerLayerClass(GlobalAveragePooling2D.className, (config) => new GlobalAveragePooling2D(config as GlobalPooling2DArgs));
registerLayerClass(GlobalMaxPooling2D.className, (config) => new GlobalMaxPooling2D(config as GlobalPooling2DArgs));
