// Core layers: inputLayer, dense, activation, dropout, flatten, reshape (tfjs-layers names and args).
// Shapes: B = batch (null in symbolic shapes), D = input features, U = units.
import type { DType } from '../../backend/backend.js';
import type { Tensor } from '../../tensor.js';
import * as ops from '../../ops/index.js';
import type { Seed } from '../../ops/random.js';
import { getActivation, normalizeActivationName, type ActivationIdentifier } from '../activations.js';
import { getInitializer, Initializer, serializeInitializer, type SerializedObject } from '../initializers.js';
import { CallArgs, getUid, Layer, LayerArgs, LayerVariable, singleShape, singleTensor } from '../layer.js';
import { getRegularizer, Regularizer, serializeRegularizer } from '../regularizers.js';
import { formatShape, Node, SymbolicShape, SymbolicTensor } from '../symbolic.js';

type InitializerArg = string | Initializer | SerializedObject;
type RegularizerArg = string | Regularizer | SerializedObject | null;

// --- InputLayer ------------------------------------------------------------------------------------

export interface InputLayerArgs {
  inputShape?: SymbolicShape;
  batchSize?: number;
  batchInputShape?: SymbolicShape;
  dtype?: DType;
  sparse?: boolean;
  name?: string;
}

/** The entry point of a graph: holds the input placeholder (its only output). */
export class InputLayer extends Layer {
  static readonly className = 'InputLayer';
  readonly output: SymbolicTensor;

  constructor(args: InputLayerArgs) {
    if (!args || (!args.inputShape && !args.batchInputShape)) {
      throw new Error('inputLayer: needs inputShape or batchInputShape');
    }
    if (args.inputShape && args.batchInputShape) {
      throw new Error('inputLayer: give only one of inputShape and batchInputShape');
    }
    super({ name: args.name ?? getUid('input'), inputShape: args.inputShape, batchInputShape: args.batchInputShape, batchSize: args.batchSize, dtype: args.dtype ?? 'float32' });
    if (args.sparse) throw new Error(`inputLayer '${this.name}': sparse inputs are not supported`);
    this.trainableFlag = false;
    this.built = true;
    this.output = new SymbolicTensor(this.dtype!, this.batchInputShape!.slice(), this, 0, 0, this.name);
    this.inboundNodes.push(new Node(this, [], [this.output]));
  }
  getClassName() { return InputLayer.className; }
  call(inputs: Tensor | Tensor[]) { return singleTensor(inputs, this); }
  override getConfig() {
    return { batchInputShape: this.batchInputShape!.slice(), dtype: this.dtype, sparse: false, name: this.name };
  }
}

/** tf.input: a SymbolicTensor to start a functional model. `shape` excludes the batch dim. */
export function input(args: { shape?: SymbolicShape; batchShape?: SymbolicShape; name?: string; dtype?: DType; sparse?: boolean }): SymbolicTensor {
  if (!args || (!args.shape && !args.batchShape)) throw new Error('input: needs shape or batchShape');
  if (args.shape && args.batchShape) throw new Error('input: give only one of shape and batchShape');
  return new InputLayer({ inputShape: args.shape, batchInputShape: args.batchShape, name: args.name, dtype: args.dtype, sparse: args.sparse }).output;
}

// --- Dense -----------------------------------------------------------------------------------------

export interface DenseArgs extends LayerArgs {
  units: number;
  activation?: ActivationIdentifier | string;
  useBias?: boolean;
  kernelInitializer?: InitializerArg;
  biasInitializer?: InitializerArg;
  /** Shorthand for inputShape: [inputDim]. */
  inputDim?: number;
  kernelRegularizer?: RegularizerArg;
  biasRegularizer?: RegularizerArg;
}

/** Activations the fused GEMM epilogue applies (one kernel for x·W + b and the activation). */
const FUSED: readonly string[] = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'gelu', 'elu'];

/**
 * y = activation(x·kernel + bias) over the last axis.
 *   tf.layers.dense({units: 10, activation: 'softmax', inputShape: [784]})
 */
export class Dense extends Layer {
  static readonly className = 'Dense';
  readonly units: number;
  readonly activation: ActivationIdentifier;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  kernel: LayerVariable | null = null;
  bias: LayerVariable | null = null;

  constructor(args: DenseArgs) {
    if (!args || !Number.isInteger(args.units) || args.units < 1) {
      throw new Error(`dense: units must be a positive integer, got ${args?.units}`);
    }
    const inputShape = args.inputShape ?? (args.inputDim !== undefined ? [args.inputDim] : undefined);
    super({ ...args, inputShape });
    this.units = args.units;
    this.activation = normalizeActivationName(args.activation, `Dense '${this.name}'`);
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = getInitializer(args.kernelInitializer ?? 'glorotNormal', `Dense '${this.name}' kernelInitializer`);
    this.biasInitializer = getInitializer(args.biasInitializer ?? 'zeros', `Dense '${this.name}' biasInitializer`);
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer, `Dense '${this.name}' kernelRegularizer`);
    this.biasRegularizer = getRegularizer(args.biasRegularizer, `Dense '${this.name}' biasRegularizer`);
  }
  getClassName() { return Dense.className; }
  override activationName() { return this.activation; }

  private inputDim(shape: SymbolicShape): number {
    const last = shape[shape.length - 1];
    if (shape.length < 2) throw new Error(`Dense '${this.name}': expected input of rank ≥ 2 ([batch, features]), got ${formatShape(shape)}`);
    if (last === null) throw new Error(`Dense '${this.name}': the last input dimension must be known, got ${formatShape(shape)}`);
    return last;
  }

  protected override assertInputCompatible(inputShape: SymbolicShape | SymbolicShape[]): void {
    const shape = singleShape(inputShape, this);
    const dim = this.inputDim(shape);
    if (this.kernel && dim !== this.kernel.shape[0]) {
      throw new Error(`Dense '${this.name}': expected input with last dimension ${this.kernel.shape[0]}, got ${formatShape(shape)}`);
    }
  }

  override build(inputShape: SymbolicShape | SymbolicShape[]): void {
    const dim = this.inputDim(singleShape(inputShape, this));
    this.kernel = this.addWeight('kernel', [dim, this.units], this.kernelInitializer, this.kernelRegularizer);
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], this.biasInitializer, this.biasRegularizer);
    this.built = true;
  }

  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const shape = singleShape(inputShape, this);
    this.inputDim(shape);
    return [...shape.slice(0, -1), this.units];
  }

  /** x: [..., D] → [..., U] with `activation` ('linear' for the pre-activation). */
  private affine(inputs: Tensor | Tensor[], activation: ActivationIdentifier): Tensor {
    const x = singleTensor(inputs, this);
    const kernel = this.kernel!.read();
    if (x.shape[x.rank - 1] !== kernel.shape[0] || x.rank < 2) {
      throw new Error(`Dense '${this.name}': expected input [..., ${kernel.shape[0]}], got [${x.shape}]`);
    }
    const rows = x.rank === 2 ? x : ops.reshape(x, [-1, kernel.shape[0]]);
    const bias = this.bias?.read();
    const fusable = FUSED.includes(activation);
    let y = ops.fused.matMul({ a: rows, b: kernel, bias, activation: fusable ? (activation as 'linear') : 'linear' });
    if (!fusable) y = getActivation(activation)(y);
    return x.rank === 2 ? y : ops.reshape(y, [...x.shape.slice(0, -1), this.units]);
  }

  call(inputs: Tensor | Tensor[]): Tensor {
    return this.affine(inputs, this.activation);
  }
  override callPreActivation(inputs: Tensor | Tensor[]): Tensor {
    return this.affine(inputs, 'linear');
  }

  override getConfig() {
    return {
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      kernelRegularizer: serializeRegularizer(this.kernelRegularizer),
      biasRegularizer: serializeRegularizer(this.biasRegularizer),
      activityRegularizer: null,
      kernelConstraint: null,
      biasConstraint: null,
      ...super.getConfig(),
    };
  }
}

// --- Activation ------------------------------------------------------------------------------------

export class Activation extends Layer {
  static readonly className = 'Activation';
  readonly activation: ActivationIdentifier;
  constructor(args: LayerArgs & { activation: ActivationIdentifier | string }) {
    super(args);
    this.activation = normalizeActivationName(args?.activation, `Activation '${this.name}'`);
  }
  getClassName() { return Activation.className; }
  override activationName() { return this.activation; }
  call(inputs: Tensor | Tensor[]) { return getActivation(this.activation)(singleTensor(inputs, this)); }
  override callPreActivation(inputs: Tensor | Tensor[]) { return singleTensor(inputs, this); }
  override getConfig() { return { activation: this.activation, ...super.getConfig() }; }
}

// --- Dropout ---------------------------------------------------------------------------------------

export interface DropoutArgs extends LayerArgs {
  rate: number;
  /** Shape of the keep mask, broadcast against the input (e.g. [batch, 1, features]). */
  noiseShape?: number[];
  seed?: Seed;
}

/**
 * In training, zeroes each input with probability `rate` and scales the rest by 1/(1 − rate), so the
 * expected value is unchanged; at inference it passes the input through.
 */
export class Dropout extends Layer {
  static readonly className = 'Dropout';
  readonly rate: number;
  readonly noiseShape: number[] | null;
  readonly seed: Seed | null;
  constructor(args: DropoutArgs) {
    super(args);
    if (!args || typeof args.rate !== 'number' || !(args.rate >= 0 && args.rate < 1)) {
      throw new Error(`Dropout '${this.name}': rate must be in [0, 1), got ${args?.rate}`);
    }
    this.rate = args.rate;
    this.noiseShape = args.noiseShape ?? null;
    this.seed = args.seed ?? null;
  }
  getClassName() { return Dropout.className; }
  call(inputs: Tensor | Tensor[], kwargs: CallArgs): Tensor {
    const x = singleTensor(inputs, this);
    if (!kwargs.training || this.rate === 0) return x;
    const maskShape = this.noiseShape ? this.noiseShape.map((d, i) => (d === null ? x.shape[i] : d)) : x.shape;
    return ops.dropout(x, this.rate, maskShape, this.seed ?? undefined);
  }
  override getConfig() { return { rate: this.rate, noiseShape: this.noiseShape, seed: this.seed, ...super.getConfig() }; }
}

// --- Flatten / Reshape -----------------------------------------------------------------------------

/** [B, d1, d2, …] → [B, d1·d2·…]. */
export class Flatten extends Layer {
  static readonly className = 'Flatten';
  getClassName() { return Flatten.className; }
  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const shape = singleShape(inputShape, this);
    const rest = shape.slice(1);
    if (rest.some((d) => d === null)) {
      throw new Error(`Flatten '${this.name}': the input shape must be fully known except the batch, got ${formatShape(shape)}`);
    }
    return [shape[0] ?? null, (rest as number[]).reduce((p, d) => p * d, 1)];
  }
  call(inputs: Tensor | Tensor[]): Tensor {
    const x = singleTensor(inputs, this);
    return ops.reshape(x, [x.shape[0], x.shape.slice(1).reduce((p, d) => p * d, 1)]);
  }
}

/** [B, …] → [B, …targetShape]; one target dim may be -1 (inferred). */
export class Reshape extends Layer {
  static readonly className = 'Reshape';
  readonly targetShape: number[];
  constructor(args: LayerArgs & { targetShape: number[] }) {
    super(args);
    const target = args?.targetShape;
    if (!Array.isArray(target) || target.some((d) => !Number.isInteger(d) || (d < 1 && d !== -1)) || target.filter((d) => d === -1).length > 1) {
      throw new Error(`Reshape '${this.name}': targetShape must be positive integers with at most one -1, got ${JSON.stringify(target)}`);
    }
    this.targetShape = target.slice();
  }
  getClassName() { return Reshape.className; }

  /** The target with -1 resolved from `sampleSize` (elements per sample), checking they agree. */
  private resolve(sampleSize: number, inputShape: string): number[] {
    const known = this.targetShape.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
    const unknownAt = this.targetShape.indexOf(-1);
    if (unknownAt === -1 ? known !== sampleSize : sampleSize % known !== 0) {
      throw new Error(`Reshape '${this.name}': cannot reshape input ${inputShape} (${sampleSize} values per sample) to [${this.targetShape}]`);
    }
    return this.targetShape.map((d) => (d === -1 ? sampleSize / known : d));
  }

  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const shape = singleShape(inputShape, this);
    const rest = shape.slice(1);
    if (rest.some((d) => d === null)) return [shape[0] ?? null, ...this.targetShape.map((d) => (d === -1 ? null : d))];
    return [shape[0] ?? null, ...this.resolve((rest as number[]).reduce((p, d) => p * d, 1), formatShape(shape))];
  }
  call(inputs: Tensor | Tensor[]): Tensor {
    const x = singleTensor(inputs, this);
    const batch = x.shape[0];
    return ops.reshape(x, [batch, ...this.resolve(x.shape.slice(1).reduce((p, d) => p * d, 1), `[${x.shape}]`)]);
  }
  override getConfig() { return { targetShape: this.targetShape.slice(), ...super.getConfig() }; }
}
