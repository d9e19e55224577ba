// Convolution layers (tfjs-layers names, arguments, weights and configs): conv1d, conv2d,
// conv2dTranspose, depthwiseConv2d, separableConv2d. They compute in NHWC (channelsFirst inputs are
// transposed in and out); conv1d and conv2d run bias + activation in the convolution's epilogue.
// Shapes (channelsLast): x [B, H, W, C]; kernel [KH, KW, C, F]; y [B, OH, OW, F].
import type { Tensor } from '../../tensor.js';
import * as ops from '../../ops/index.js';
import { conv2dTranspose, depthwiseConv2d, fusedConv2d, separableConv2d } from '../../ops/conv.js';
import { getActivation, normalizeActivationName, type ActivationIdentifier } from '../activations.js';
import { getInitializer, Initializer, serializeInitializer, type SerializedObject } from '../initializers.js';
import { CallArgs, Layer, LayerArgs, LayerVariable, singleShape, singleTensor } from '../layer.js';
import { getRegularizer, Regularizer, serializeRegularizer } from '../regularizers.js';
import { registerLayerClass } from '../serialization.js';
import { formatShape, type SymbolicShape } from '../symbolic.js';
import {
  checkDataFormat, checkPadding, convOutputLength, DataFormat, deconvLength, fromChannelsLast, normalizeTuple, PaddingMode, toChannelsLast,
} from './spatial.js';

type InitializerArg = string | Initializer | SerializedObject;
type RegularizerArg = string | Regularizer | SerializedObject | null;

/** Activations the convolution kernel's epilogue applies (the rest run as a separate op). */
const FUSED: readonly string[] = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'gelu', 'elu'];

export interface BaseConvArgs extends LayerArgs {
  kernelSize: number | number[];
  strides?: number | number[];
  padding?: PaddingMode;
  dataFormat?: DataFormat;
  dilationRate?: number | number[];
  activation?: ActivationIdentifier | string | null;
  useBias?: boolean;
  biasInitializer?: InitializerArg;
  biasRegularizer?: RegularizerArg;
  /** Keras' grouped convolution; only 1 (the default) is supported. */
  groups?: number;
}

export interface ConvArgs extends BaseConvArgs {
  filters: number;
  kernelInitializer?: InitializerArg;
  kernelRegularizer?: RegularizerArg;
}

/** What every convolution layer shares: window geometry, activation and bias. */
abstract class BaseConv extends Layer {
  readonly rank: 1 | 2;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: PaddingMode;
  readonly dataFormat: DataFormat;
  readonly dilationRate: number[];
  readonly activation: ActivationIdentifier;
  readonly useBias: boolean;
  readonly biasInitializer: Initializer;
  readonly biasRegularizer: Regularizer | null;
  bias: LayerVariable | null = null;

  constructor(rank: 1 | 2, args: BaseConvArgs) {
    super(args);
    const context = this.context();
    if (!args || args.kernelSize === undefined) throw new Error(`${context}: kernelSize is required`);
    this.rank = rank;
    this.kernelSize = normalizeTuple(args.kernelSize, rank, 'kernelSize', context);
    this.strides = normalizeTuple(args.strides, rank, 'strides', context, 1);
    this.padding = checkPadding(args.padding, context, rank === 1 ? ['valid', 'same', 'causal'] : ['valid', 'same']);
    this.dataFormat = checkDataFormat(args.dataFormat, context);
    this.dilationRate = normalizeTuple(args.dilationRate, rank, 'dilationRate', context, 1);
    if (this.strides.some((s) => s > 1) && this.dilationRate.some((d) => d > 1)) {
      throw new Error(`${context}: strides > 1 cannot be combined with dilationRate > 1 (strides [${this.strides}], dilationRate [${this.dilationRate}])`);
    }
    if (args.groups !== undefined && args.groups !== null && args.groups !== 1) {
      throw new Error(`${context}: groups ${JSON.stringify(args.groups)} is not supported (only 1)`);
    }
    this.activation = normalizeActivationName(args.activation, context);
    this.useBias = args.useBias ?? true;
    this.biasInitializer = getInitializer(args.biasInitializer ?? 'zeros', `${context} biasInitializer`);
    this.biasRegularizer = getRegularizer(args.biasRegularizer, `${context} biasRegularizer`);
  }

  protected context(): string {
    return `${this.getClassName()} '${this.name}'`;
  }
  override activationName() { return this.activation; }

  /** [B, ...space, C] of a channelsLast input shape, after checking the rank and the channel count. */
  protected channelsLastShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const shape = singleShape(inputShape, this);
    if (shape.length !== this.rank + 2) {
      throw new Error(`${this.context()}: expected a rank-${this.rank + 2} input, got ${formatShape(shape)}`);
    }
    const last = this.dataFormat === 'channelsLast' ? shape : [shape[0], ...shape.slice(2), shape[1]];
    if (last[last.length - 1] === null) throw new Error(`${this.context()}: the channel dimension must be known, got ${formatShape(shape)}`);
    return last;
  }

  /** The input channel count the built kernel expects. */
  protected abstract expectedChannels(): number | null;

  protected override assertInputCompatible(inputShape: SymbolicShape | SymbolicShape[]): void {
    const shape = this.channelsLastShape(inputShape);
    const expected = this.expectedChannels();
    if (expected !== null && shape[shape.length - 1] !== expected) {
      throw new Error(`${this.context()}: expected ${expected} input channels, got input ${formatShape(singleShape(inputShape, this))}`);
    }
  }

  /** Output spatial dims of a forward convolution. */
  protected outputSpace(space: SymbolicShape): SymbolicShape {
    return space.map((length, i) => convOutputLength(length, this.kernelSize[i], this.padding, this.strides[i], this.dilationRate[i], this.context()));
  }

  /** The activation (and bias, when the convolution did not add it) in NHWC, then back to the layer's format. */
  protected finish(y: Tensor, activation: ActivationIdentifier, addBias: boolean): Tensor {
    let out = addBias && this.bias ? ops.add(y, this.bias.read()) : y;
    out = getActivation(activation)(out);
    return fromChannelsLast(out, this.dataFormat);
  }

  /** The convolution with `activation` ('linear' for the pre-activation), output in the layer's format. */
  protected abstract convolve(x: Tensor, activation: ActivationIdentifier): Tensor;

  call(inputs: Tensor | Tensor[], _kwargs?: CallArgs): Tensor {
    const x = singleTensor(inputs, this);
    this.computeOutputShape([null, ...x.shape.slice(1)]); // names the layer when the window does not fit
    return this.convolve(toChannelsLast(x, this.dataFormat), this.activation);
  }
  override callPreActivation(inputs: Tensor | Tensor[]): Tensor {
    return this.convolve(toChannelsLast(singleTensor(inputs, this), this.dataFormat), 'linear');
  }

  override getConfig(): Record<string, unknown> {
    return {
      kernelSize: this.kernelSize.slice(),
      strides: this.strides.slice(),
      padding: this.padding,
      dataFormat: this.dataFormat,
      dilationRate: this.dilationRate.slice(),
      activation: this.activation,
      useBias: this.useBias,
      biasInitializer: serializeInitializer(this.biasInitializer),
      biasRegularizer: serializeRegularizer(this.biasRegularizer),
      activityRegularizer: null,
      biasConstraint: null,
      ...super.getConfig(),
    };
  }
}

/** Convolutions with a full [...window, C, F] kernel: conv1d, conv2d, conv2dTranspose. */
abstract class Conv extends BaseConv {
  readonly filters: number;
  readonly kernelInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | null;
  kernel: LayerVariable | null = null;

  constructor(rank: 1 | 2, args: ConvArgs) {
    super(rank, args);
    if (!Number.isInteger(args.filters) || args.filters < 1) {
      throw new Error(`${this.context()}: filters must be a positive integer, got ${JSON.stringify(args.filters)}`);
    }
    this.filters = args.filters;
    this.kernelInitializer = getInitializer(args.kernelInitializer ?? 'glorotNormal', `${this.context()} kernelInitializer`);
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer, `${this.context()} kernelRegularizer`);
  }

  protected expectedChannels() { return this.kernel ? this.kernel.shape[this.rank] : null; }

  override build(inputShape: SymbolicShape | SymbolicShape[]): void {
    const shape = this.channelsLastShape(inputShape);
    const channels = shape[shape.length - 1] as number;
    this.kernel = this.addWeight('kernel', [...this.kernelSize, channels, this.filters], this.kernelInitializer, this.kernelRegularizer);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], this.biasInitializer, this.biasRegularizer);
    this.built = true;
  }

  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const shape = this.channelsLastShape(inputShape);
    const out = [shape[0], ...this.outputSpace(shape.slice(1, -1)), this.filters];
    return this.dataFormat === 'channelsLast' ? out : [out[0], this.filters, ...out.slice(1, -1)];
  }

  override getConfig(): Record<string, unknown> {
    return {
      filters: this.filters,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      kernelRegularizer: serializeRegularizer(this.kernelRegularizer),
      kernelConstraint: null,
      ...super.getConfig(),
    };
  }
}

/** act(x ⋆ kernel + bias) in NHWC through the fused conv2d (bias and the common activations in its epilogue). */
function fusedConvolution(x: Tensor, kernel: Tensor, bias: Tensor | undefined, strides: number[], padding: 'valid' | 'same', dilations: number[], activation: ActivationIdentifier): Tensor {
  const fusable = FUSED.includes(activation);
  const y = fusedConv2d({
    x, filter: kernel, strides: strides as [number, number], pad: padding, dilations: dilations as [number, number], bias,
    activation: fusable ? (activation as 'linear') : 'linear',
  });
  return fusable ? y : getActivation(activation)(y);
}

/**
 * 2-D convolution over height and width.
 *   tf.layers.conv2d({filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1]})
 */
export class Conv2D extends Conv {
  static readonly className = 'Conv2D';
  constructor(args: ConvArgs) { super(2, args); }
  getClassName() { return Conv2D.className; }
  protected convolve(x: Tensor, activation: ActivationIdentifier): Tensor {
    const y = fusedConvolution(x, this.kernel!.read(), this.bias?.read(), this.strides, this.padding as 'valid' | 'same', this.dilationRate, activation);
    return fromChannelsLast(y, this.dataFormat);
  }
}

/**
 * 1-D convolution over the steps of [B, steps, C]; padding 'causal' looks only backwards.
 *   tf.layers.conv1d({filters: 8, kernelSize: 5, padding: 'causal', inputShape: [100, 3]})
 */
export class Conv1D extends Conv {
  static readonly className = 'Conv1D';
  constructor(args: ConvArgs) { super(1, args); }
  getClassName() { return Conv1D.className; }
  protected convolve(x: Tensor, activation: ActivationIdentifier): Tensor {
    const [batch, steps, channels] = x.shape;
    let input = ops.reshape(x, [batch, 1, steps, channels]);
    let padding: 'valid' | 'same' = this.padding === 'same' ? 'same' : 'valid';
    if (this.padding === 'causal') {
      // Left-pad by the dilated window so output step t sees inputs ≤ t only.
      input = ops.pad(input, [[0, 0], [0, 0], [this.dilationRate[0] * (this.kernelSize[0] - 1), 0], [0, 0]]);
      padding = 'valid';
    }
    const kernel = this.kernel!.read();
    const y = fusedConvolution(input, ops.reshape(kernel, [1, ...kernel.shape]), this.bias?.read(), [1, this.strides[0]], padding, [1, this.dilationRate[0]], activation);
    return fromChannelsLast(ops.reshape(y, [y.shape[0], y.shape[2], y.shape[3]]), this.dataFormat);
  }
  protected override outputSpace(space: SymbolicShape): SymbolicShape {
    // Causal padding keeps the length, as 'same' does.
    return space.map((length, i) => convOutputLength(length, this.kernelSize[i], this.padding === 'causal' ? 'same' : this.padding, this.strides[i], this.dilationRate[i], this.context()));
  }
  override getConfig() {
    const config = super.getConfig();
    delete config.dataFormat; // as tfjs
    return config;
  }
}

/**
 * Transposed 2-D convolution (the gradient of conv2d w.r.t. its input): upsamples by `strides`.
 * Kernel [KH, KW, F, C].
 *   tf.layers.conv2dTranspose({filters: 16, kernelSize: 3, strides: 2, padding: 'same'})
 */
export class Conv2DTranspose extends Conv {
  static readonly className = 'Conv2DTranspose';
  constructor(args: ConvArgs) {
    super(2, args);
    if (this.dilationRate.some((d) => d !== 1)) throw new Error(`${this.context()}: dilationRate is not supported, got [${this.dilationRate}]`);
  }
  getClassName() { return Conv2DTranspose.className; }
  protected override expectedChannels() { return this.kernel ? this.kernel.shape[3] : null; }

  override build(inputShape: SymbolicShape | SymbolicShape[]): void {
    const shape = this.channelsLastShape(inputShape);
    const channels = shape[3] as number;
    this.kernel = this.addWeight('kernel', [...this.kernelSize, this.filters, channels], this.kernelInitializer, this.kernelRegularizer);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], this.biasInitializer, this.biasRegularizer);
    this.built = true;
  }

  private outputLengths(space: SymbolicShape): SymbolicShape {
    return space.map((length, i) => deconvLength(length, this.strides[i], this.kernelSize[i], this.padding));
  }
  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const shape = this.channelsLastShape(inputShape);
    const out = [shape[0], ...this.outputLengths(shape.slice(1, 3)), this.filters];
    return this.dataFormat === 'channelsLast' ? out : [out[0], this.filters, out[1], out[2]];
  }
  protected convolve(x: Tensor, activation: ActivationIdentifier): Tensor {
    const [height, width] = this.outputLengths(x.shape.slice(1, 3)) as number[];
    const y = conv2dTranspose(x, this.kernel!.read(), [x.shape[0], height, width, this.filters], this.strides as [number, number], this.padding as 'valid' | 'same');
    return this.finish(y, activation, true);
  }
  override getConfig() {
    const config = super.getConfig();
    delete config.dilationRate; // as tfjs
    return config;
  }
}

export interface DepthwiseConv2DArgs extends BaseConvArgs {
  /** Output channels per input channel; default 1. */
  depthMultiplier?: number;
  depthwiseInitializer?: InitializerArg;
  depthwiseRegularizer?: RegularizerArg;
}

function checkDepthMultiplier(value: unknown, context: string): number {
  const multiplier = value ?? 1;
  if (!Number.isInteger(multiplier) || (multiplier as number) < 1) throw new Error(`${context}: depthMultiplier must be a positive integer, got ${JSON.stringify(value)}`);
  return multiplier as number;
}

/**
 * Each input channel convolved with its own depthMultiplier filters: [B, H, W, C] → [B, OH, OW, C·M].
 * Kernel 'depthwise_kernel' [KH, KW, C, M].
 *   tf.layers.depthwiseConv2d({kernelSize: 3, padding: 'same', useBias: false})
 */
export class DepthwiseConv2D extends BaseConv {
  static readonly className = 'DepthwiseConv2D';
  readonly depthMultiplier: number;
  readonly depthwiseInitializer: Initializer;
  readonly depthwiseRegularizer: Regularizer | null;
  depthwiseKernel: LayerVariable | null = null;

  constructor(args: DepthwiseConv2DArgs) {
    super(2, args);
    this.depthMultiplier = checkDepthMultiplier(args.depthMultiplier, this.context());
    this.depthwiseInitializer = getInitializer(args.depthwiseInitializer ?? 'glorotNormal', `${this.context()} depthwiseInitializer`);
    this.depthwiseRegularizer = getRegularizer(args.depthwiseRegularizer, `${this.context()} depthwiseRegularizer`);
  }
  getClassName() { return DepthwiseConv2D.className; }
  protected expectedChannels() { return this.depthwiseKernel ? this.depthwiseKernel.shape[2] : null; }

  override build(inputShape: SymbolicShape | SymbolicShape[]): void {
    const channels = this.channelsLastShape(inputShape)[3] as number;
    this.depthwiseKernel = this.addWeight('depthwise_kernel', [...this.kernelSize, channels, this.depthMultiplier], this.depthwiseInitializer, this.depthwiseRegularizer);
    if (this.useBias) this.bias = this.addWeight('bias', [channels * this.depthMultiplier], this.biasInitializer, this.biasRegularizer);
    this.built = true;
  }
  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const shape = this.channelsLastShape(inputShape);
    const channels = (shape[3] as number) * this.depthMultiplier;
    const [height, width] = this.outputSpace(shape.slice(1, 3));
    return this.dataFormat === 'channelsLast' ? [shape[0], height, width, channels] : [shape[0], channels, height, width];
  }
  protected convolve(x: Tensor, activation: ActivationIdentifier): Tensor {
    const y = depthwiseConv2d(x, this.depthwiseKernel!.read(), this.strides as [number, number], this.padding as 'valid' | 'same', 'NHWC', this.dilationRate as [number, number]);
    return this.finish(y, activation, true);
  }
  override getConfig() {
    return {
      ...super.getConfig(),
      depthMultiplier: this.depthMultiplier,
      depthwiseInitializer: serializeInitializer(this.depthwiseInitializer),
      depthwiseRegularizer: serializeRegularizer(this.depthwiseRegularizer),
      depthwiseConstraint: null,
    };
  }
}

export interface SeparableConv2DArgs extends BaseConvArgs {
  filters: number;
  depthMultiplier?: number;
  depthwiseInitializer?: InitializerArg;
  pointwiseInitializer?: InitializerArg;
  depthwiseRegularizer?: RegularizerArg;
  pointwiseRegularizer?: RegularizerArg;
}

/**
 * A depthwise convolution then a 1x1 convolution mixing the channels: far fewer weights than conv2d.
 * Weights 'depthwise_kernel' [KH, KW, C, M], 'pointwise_kernel' [1, 1, C·M, F], 'bias' [F].
 *   tf.layers.separableConv2d({filters: 64, kernelSize: 3, padding: 'same', activation: 'relu'})
 */
export class SeparableConv2D extends BaseConv {
  static readonly className = 'SeparableConv2D';
  readonly filters: number;
  readonly depthMultiplier: number;
  readonly depthwiseInitializer: Initializer;
  readonly pointwiseInitializer: Initializer;
  readonly depthwiseRegularizer: Regularizer | null;
  readonly pointwiseRegularizer: Regularizer | null;
  depthwiseKernel: LayerVariable | null = null;
  pointwiseKernel: LayerVariable | null = null;

  constructor(args: SeparableConv2DArgs) {
    super(2, args);
    const context = this.context();
    if (!Number.isInteger(args.filters) || args.filters < 1) throw new Error(`${context}: filters must be a positive integer, got ${JSON.stringify(args.filters)}`);
    this.filters = args.filters;
    this.depthMultiplier = checkDepthMultiplier(args.depthMultiplier, context);
    this.depthwiseInitializer = getInitializer(args.depthwiseInitializer ?? 'glorotUniform', `${context} depthwiseInitializer`);
    this.pointwiseInitializer = getInitializer(args.pointwiseInitializer ?? 'glorotUniform', `${context} pointwiseInitializer`);
    this.depthwiseRegularizer = getRegularizer(args.depthwiseRegularizer, `${context} depthwiseRegularizer`);
    this.pointwiseRegularizer = getRegularizer(args.pointwiseRegularizer, `${context} pointwiseRegularizer`);
  }
  getClassName() { return SeparableConv2D.className; }
  protected expectedChannels() { return this.depthwiseKernel ? this.depthwiseKernel.shape[2] : null; }

  override build(inputShape: SymbolicShape | SymbolicShape[]): void {
    const channels = this.channelsLastShape(inputShape)[3] as number;
    this.depthwiseKernel = this.addWeight('depthwise_kernel', [...this.kernelSize, channels, this.depthMultiplier], this.depthwiseInitializer, this.depthwiseRegularizer);
    this.pointwiseKernel = this.addWeight('pointwise_kernel', [1, 1, channels * this.depthMultiplier, this.filters], this.pointwiseInitializer, this.pointwiseRegularizer);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], this.biasInitializer, this.biasRegularizer);
    this.built = true;
  }
  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const shape = this.channelsLastShape(inputShape);
    const [height, width] = this.outputSpace(shape.slice(1, 3));
    return this.dataFormat === 'channelsLast' ? [shape[0], height, width, this.filters] : [shape[0], this.filters, height, width];
  }
  protected convolve(x: Tensor, activation: ActivationIdentifier): Tensor {
    const y = separableConv2d(x, this.depthwiseKernel!.read(), this.pointwiseKernel!.read(), this.strides as [number, number], this.padding as 'valid' | 'same', this.dilationRate as [number, number], 'NHWC');
    return this.finish(y, activation, true);
  }
  override getConfig() {
    return {
      filters: this.filters,
      ...super.getConfig(),
      depthMultiplier: this.depthMultiplier,
      depthwiseInitializer: serializeInitializer(this.depthwiseInitializer),
      pointwiseInitializer: serializeInitializer(this.pointwiseInitializer),
      depthwiseRegularizer: serializeRegularizer(this.depthwiseRegularizer),
      pointwiseRegularizer: serializeRegularizer(this.pointwiseRegularizer),
      depthwiseConstraint: null,
      pointwiseConstraint: null,
    };
  }
}

registerLayerClass(Conv1D.className, (config) => new Conv1D(config as unknown as ConvArgs));
registerLayerClass(Conv2D.className, (config) => new Conv2D(config as unknown as ConvArgs));
registerLayerClass(Conv2DTranspose.className, (config) => new Conv2DTranspose(config as unknown as ConvArgs));
registerLayerClass(DepthwiseConv2D.className, (config) => new DepthwiseConv2D(config as unknown as DepthwiseConv2DArgs));
registerLayerClass(SeparableConv2D.className, (config) => new SeparableConv2D(config as unknown as SeparableConv2DArgs));
