// Pooling layers: maxPooling2d / averagePooling2d (a window sliding over height and width) and the
// global poolings that reduce the whole image to one value per channel.
// Shapes (channelsLast): x [B, H, W, C] → [B, OH, OW, C] (windowed) or [B, C] (global).
import type { Tensor } from '../../tensor.js';
import * as ops from '../../ops/index.js';
import { Layer, LayerArgs, singleShape, singleTensor } from '../layer.js';
import { registerLayerClass } from '../serialization.js';
import type { SymbolicShape } from '../symbolic.js';
import { checkDataFormat, DataFormat, expectRank, imageShape } from './spatial.js';

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

registerLayerClass(GlobalAveragePooling2D.className, (config) => new GlobalAveragePooling2D(config as GlobalPooling2DArgs));
registerLayerClass(GlobalMaxPooling2D.className, (config) => new GlobalMaxPooling2D(config as GlobalPooling2DArgs));
