// Spatial resizing layers: zeroPadding2d (zeros around the image), cropping2D (borders cut off) and
// upSampling2d (each pixel repeated size[0] × size[1] times, nearest neighbour). Both are built from differentiable ops.
// Shapes (channelsLast): x [B, H, W, C].
import type { Tensor } from '../../tensor.js';
import * as ops from '../../ops/index.js';
import { Layer, LayerArgs, singleShape, singleTensor } from '../layer.js';
import { registerLayerClass } from '../serialization.js';
import type { SymbolicShape } from '../symbolic.js';
import {
  checkDataFormat, DataFormat, expectRank, fromChannelsLast, fromChannelsLastShape, imageShape, normalizeTuple, toChannelsLast,
} from './spatial.js';

type PaddingPair = [number, number];

export interface ZeroPadding2DArgs extends LayerArgs {
  /** n (all sides), [rows, cols] (both sides), or [[top, bottom], [left, right]]; default 1. */
  padding?: number | [number, number] | [PaddingPair, PaddingPair];
  dataFormat?: DataFormat;
}

/**
 * Pads the height and width of an image batch with zeros.
 *   tf.layers.zeroPadding2d({padding: [[1, 2], [0, 1]]})   // [B, H, W, C] → [B, H+3, W+1, C]
 */
export class ZeroPadding2D extends Layer {
  static readonly className = 'ZeroPadding2D';
  readonly padding: [PaddingPair, PaddingPair];
  readonly dataFormat: DataFormat;

  constructor(args: ZeroPadding2DArgs = {}) {
    super(args);
    const context = `ZeroPadding2D '${this.name}'`;
    this.dataFormat = checkDataFormat(args.dataFormat, context);
    this.padding = parsePadding(args.padding ?? 1, context);
  }
  getClassName() { return ZeroPadding2D.className; }

  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const [b, h, w, c] = imageShape(singleShape(inputShape, this), this.dataFormat, `ZeroPadding2D '${this.name}'`);
    const [[top, bottom], [left, right]] = this.padding;
    return fromChannelsLastShape([b, h === null ? null : h + top + bottom, w === null ? null : w + left + right, c], this.dataFormat);
  }

  call(inputs: Tensor | Tensor[]): Tensor {
    const x = singleTensor(inputs, this);
    expectRank(x, 4, `ZeroPadding2D '${this.name}'`);
    const padded = ops.pad(toChannelsLast(x, this.dataFormat), [[0, 0], this.padding[0], this.padding[1], [0, 0]]);
    return fromChannelsLast(padded, this.dataFormat);
  }

  override getConfig() {
    return { padding: this.padding.map((p) => p.slice()), dataFormat: this.dataFormat, ...super.getConfig() };
  }
}

function parsePadding(padding: unknown, context: string): [PaddingPair, PaddingPair] {
  const bad = () => new Error(`${context}: ${context.startsWith('Cropping') ? 'cropping' : 'padding'} must be n, [rows, cols] or [[top, bottom], [left, right]] of non-negative integers, got ${JSON.stringify(padding)}`);
  const amount = (v: unknown): number => {
    if (!Number.isInteger(v) || (v as number) < 0) throw bad();
    return v as number;
  };
  if (typeof padding === 'number') return [[amount(padding), amount(padding)], [amount(padding), amount(padding)]];
  if (!Array.isArray(padding) || padding.length !== 2) throw bad();
  const pair = (p: unknown): PaddingPair => {
    if (typeof p === 'number') return [amount(p), amount(p)];
    if (!Array.isArray(p) || p.length !== 2) throw bad();
    return [amount(p[0]), amount(p[1])];
  };
  return [pair(padding[0]), pair(padding[1])];
}

export interface Cropping2DArgs extends LayerArgs {
  /** n (all sides), [rows, cols] (both sides), or [[top, bottom], [left, right]]. */
  cropping: number | [number, number] | [PaddingPair, PaddingPair];
  dataFormat?: DataFormat;
}

/**
 * Cuts rows and columns off the borders of an image batch.
 *   tf.layers.cropping2D({cropping: [[2, 2], [4, 4]]})   // [B, H, W, C] → [B, H-4, W-8, C]
 */
export class Cropping2D extends Layer {
  static readonly className = 'Cropping2D';
  readonly cropping: [PaddingPair, PaddingPair];
  readonly dataFormat: DataFormat;

  constructor(args: Cropping2DArgs) {
    super(args);
    const context = `Cropping2D '${this.name}'`;
    if (args?.cropping === undefined) throw new Error(`${context}: cropping is required`);
    this.dataFormat = checkDataFormat(args.dataFormat, context);
    this.cropping = parsePadding(args.cropping, context).map((p) => p.slice()) as [PaddingPair, PaddingPair];
  }
  getClassName() { return Cropping2D.className; }

  private croppedLength(length: number | null, [before, after]: PaddingPair, shape: string): number | null {
    if (length === null) return null;
    if (before + after >= length) throw new Error(`Cropping2D '${this.name}': cropping ${before}+${after} leaves nothing of length ${length} (input ${shape})`);
    return length - before - after;
  }
  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const shape = singleShape(inputShape, this);
    const [b, h, w, c] = imageShape(shape, this.dataFormat, `Cropping2D '${this.name}'`);
    const text = JSON.stringify(shape);
    return fromChannelsLastShape([b, this.croppedLength(h, this.cropping[0], text), this.croppedLength(w, this.cropping[1], text), c], this.dataFormat);
  }
  call(inputs: Tensor | Tensor[]): Tensor {
    const x = singleTensor(inputs, this);
    expectRank(x, 4, `Cropping2D '${this.name}'`);
    this.computeOutputShape(x.shape);
    const image = toChannelsLast(x, this.dataFormat);
    const [b, h, w, c] = image.shape;
    const [[top, bottom], [left, right]] = this.cropping;
    return fromChannelsLast(ops.slice(image, [0, top, left, 0], [b, h - top - bottom, w - left - right, c]), this.dataFormat);
  }
  override getConfig() {
    return { cropping: this.cropping.map((p) => p.slice()), dataFormat: this.dataFormat, ...super.getConfig() };
  }
}

export interface UpSampling2DArgs extends LayerArgs {
  /** Repeats along height and width; default [2, 2]. */
  size?: number | number[];
  dataFormat?: DataFormat;
  /** Only 'nearest' is implemented. */
  interpolation?: 'nearest' | 'bilinear';
}

/**
 * Repeats each pixel size[0] times down and size[1] times across (nearest-neighbour upsampling).
 *   tf.layers.upSampling2d({size: [2, 3]})   // [B, H, W, C] → [B, 2H, 3W, C]
 */
export class UpSampling2D extends Layer {
  static readonly className = 'UpSampling2D';
  readonly size: number[];
  readonly dataFormat: DataFormat;
  readonly interpolation: 'nearest';

  constructor(args: UpSampling2DArgs = {}) {
    super(args);
    const context = `UpSampling2D '${this.name}'`;
    this.size = normalizeTuple(args.size, 2, 'size', context, 2);
    this.dataFormat = checkDataFormat(args.dataFormat, context);
    const interpolation = args.interpolation ?? 'nearest';
    if (interpolation !== 'nearest') {
      throw new Error(`${context}: interpolation '${interpolation}' is not supported (only 'nearest')`);
    }
    this.interpolation = interpolation;
  }
  getClassName() { return UpSampling2D.className; }

  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const [b, h, w, c] = imageShape(singleShape(inputShape, this), this.dataFormat, `UpSampling2D '${this.name}'`);
    return fromChannelsLastShape([b, h === null ? null : h * this.size[0], w === null ? null : w * this.size[1], c], this.dataFormat);
  }

  call(inputs: Tensor | Tensor[]): Tensor {
    const x = singleTensor(inputs, this);
    expectRank(x, 4, `UpSampling2D '${this.name}'`);
    const image = toChannelsLast(x, this.dataFormat);
    const [b, h, w, c] = image.shape;
    const [rows, cols] = this.size;
    // [B, H, 1, W, 1, C] broadcast to [B, H, rows, W, cols, C]: each pixel repeated; the gradient sums the copies.
    const spread = ops.broadcastTo(ops.reshape(image, [b, h, 1, w, 1, c]), [b, h, rows, w, cols, c]);
    return fromChannelsLast(ops.reshape(spread, [b, h * rows, w * cols, c]), this.dataFormat);
  }

  override getConfig() {
    return { size: this.size.slice(), dataFormat: this.dataFormat, interpolation: this.interpolation, ...super.getConfig() };
  }
}

registerLayerClass(ZeroPadding2D.className, (config) => new ZeroPadding2D(config as ZeroPadding2DArgs));
registerLayerClass(Cropping2D.className, (config) => new Cropping2D(config as unknown as Cropping2DArgs));
registerLayerClass(UpSampling2D.className, (config) => new UpSampling2D(config as UpSampling2DArgs));
