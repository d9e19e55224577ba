// Position information for sequence models (keras-nlp semantics): sinusoidalPositionEncoding (fixed
// sin/cos table, keras-nlp SinePositionEncoding) and positionEmbedding (a learned table). Both return the
// position table broadcast to the input's shape [B, T, D] (the caller adds it to the token embeddings),
// or, with addToInput, the input plus the table, which lets a Sequential model use them.
import type { Tensor } from '../../tensor.js';
import * as ops from '../../ops/index.js';
import { getInitializer, Initializer, serializeInitializer, type SerializedObject } from '../initializers.js';
import { type CallArgs, Layer, LayerArgs, LayerVariable, singleShape, singleTensor } from '../layer.js';
import { getRegularizer, Regularizer, serializeRegularizer } from '../regularizers.js';
import { registerLayerClass } from '../serialization.js';
import { positiveInteger } from './arg-checks.js';
import { ConcreteOptionsLayer } from './call-options.js';
import { formatShape, type SymbolicShape } from '../symbolic.js';

export type PositionCallArgs = Pick<CallArgs, 'training' | 'mask' | 'startIndex'>;

/** [..., T, D] with T and D known where the table needs them; throws naming the layer. */
function sequenceShape(layer: Layer, shape: SymbolicShape): void {
  if (shape.length < 2 || shape[shape.length - 1] === null) {
    throw new Error(`${layer.getClassName()} '${layer.name}': expected input [batch, steps, features] with known features, got ${formatShape(shape)}`);
  }
}

function checkStartIndex(layer: Layer, startIndex: number): void {
  if (!Number.isInteger(startIndex) || startIndex < 0) {
    throw new Error(`${layer.getClassName()} '${layer.name}': startIndex must be a non-negative integer, got ${JSON.stringify(startIndex)}`);
  }
}

/** table [T, D] broadcast to x's shape, or added to x. */
function applyTable(x: Tensor, table: Tensor, addToInput: boolean): Tensor {
  return addToInput ? ops.add(x, table) : ops.broadcastTo(table, x.shape);
}

// --- sinusoidal -------------------------------------------------------------------------------------

export interface SinusoidalPositionEncodingArgs extends LayerArgs {
  /** Longest wavelength of the sines; default 10000 (Attention Is All You Need). */
  maxWavelength?: number;
  /** Longest sequence accepted; default unlimited. */
  maxLength?: number | null;
  /** Return input + encoding instead of the encoding; default false (keras-nlp returns the encoding). */
  addToInput?: boolean;
}

/**
 * Fixed sin/cos position encoding: feature 2i of step t is sin(t / maxWavelength^(2i/D)), feature 2i+1
 * the cos of the same angle.
 *   const positions = tf.layers.sinusoidalPositionEncoding().apply(tokenEmbeddings);   // same shape
 */
export class SinusoidalPositionEncoding extends ConcreteOptionsLayer {
  static readonly className = 'SinePositionEncoding';
  readonly maxWavelength: number;
  readonly maxLength: number | null;
  readonly addToInput: boolean;
  override supportsMasking = true;
  protected readonly concreteOnlyOptions = [] as const;

  constructor(args: SinusoidalPositionEncodingArgs = {}) {
    super(args);
    this.maxWavelength = args.maxWavelength ?? 10000;
    if (typeof this.maxWavelength !== 'number' || !(this.maxWavelength > 0)) {
      throw new Error(`SinePositionEncoding '${this.name}': maxWavelength must be a positive number, got ${JSON.stringify(args.maxWavelength)}`);
    }
    this.maxLength = args.maxLength ?? null;
    if (this.maxLength !== null && (!Number.isInteger(this.maxLength) || this.maxLength < 1)) {
      throw new Error(`SinePositionEncoding '${this.name}': maxLength must be a positive integer, got ${JSON.stringify(args.maxLength)}`);
    }
    this.addToInput = args.addToInput ?? false;
  }
  getClassName() { return SinusoidalPositionEncoding.className; }

  protected override assertInputCompatible(inputShape: SymbolicShape | SymbolicShape[]): void {
    sequenceShape(this, singleShape(inputShape, this));
  }

  /** The encoding of steps [startIndex, startIndex + steps) as [steps, features] (computed in float64). */
  private table(steps: number, features: number, startIndex: number): Tensor {
    const values = new Float32Array(steps * features);
    for (let t = 0; t < steps; t++) {
      for (let i = 0; i < features; i++) {
        const angle = (t + startIndex) * Math.pow(this.maxWavelength, -(2 * Math.floor(i / 2)) / features);
        values[t * features + i] = i % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
      }
    }
    return ops.tensor(values, [steps, features]);
  }

  call(inputs: Tensor | Tensor[], kwargs: PositionCallArgs): Tensor {
    const x = singleTensor(inputs, this);
    sequenceShape(this, x.shape);
    const startIndex = kwargs.startIndex ?? 0;
    checkStartIndex(this, startIndex);
    const steps = x.shape[x.rank - 2];
    if (this.maxLength !== null && startIndex + steps > this.maxLength) {
      throw new Error(`SinePositionEncoding '${this.name}': input [${x.shape}] has ${steps} steps${startIndex ? ` from position ${startIndex}` : ''}, longer than maxLength ${this.maxLength}`);
    }
    return applyTable(x, this.table(steps, x.shape[x.rank - 1], startIndex), this.addToInput);
  }

  override getConfig() {
    return { maxWavelength: this.maxWavelength, maxLength: this.maxLength, addToInput: this.addToInput, ...super.getConfig() };
  }
}

// --- learned ----------------------------------------------------------------------------------------

type InitializerArg = string | Initializer | SerializedObject;
type RegularizerArg = string | Regularizer | SerializedObject | null;

export interface PositionEmbeddingArgs extends LayerArgs {
  /** Longest sequence (rows of the table). */
  sequenceLength: number;
  /** Default 'glorotUniform' (keras-nlp). */
  initializer?: InitializerArg;
  regularizer?: RegularizerArg;
  /** Return input + embedding instead of the embedding; default false (keras-nlp returns the embedding). */
  addToInput?: boolean;
}

/**
 * A learned table of sequenceLength position vectors (weight 'embeddings' [sequenceLength, D]); a call
 * on [B, T, D] returns its first T rows broadcast to the input's shape.
 *   const positions = tf.layers.positionEmbedding({sequenceLength: 128}).apply(tokenEmbeddings);
 */
export class PositionEmbedding extends ConcreteOptionsLayer {
  static readonly className = 'PositionEmbedding';
  readonly sequenceLength: number;
  readonly initializer: Initializer;
  readonly regularizer: Regularizer | null;
  readonly addToInput: boolean;
  override supportsMasking = true;
  protected readonly concreteOnlyOptions = [] as const;
  embeddings: LayerVariable | null = null;

  constructor(args: PositionEmbeddingArgs) {
    super(args);
    this.sequenceLength = positiveInteger(args?.sequenceLength, 'sequenceLength', `PositionEmbedding '${this.name}'`);
    this.initializer = getInitializer(args.initializer ?? 'glorotUniform', `PositionEmbedding '${this.name}' initializer`);
    this.regularizer = getRegularizer(args.regularizer, `PositionEmbedding '${this.name}' regularizer`);
    this.addToInput = args.addToInput ?? false;
  }
  getClassName() { return PositionEmbedding.className; }

  protected override assertInputCompatible(inputShape: SymbolicShape | SymbolicShape[]): void {
    const shape = singleShape(inputShape, this);
    sequenceShape(this, shape);
    const steps = shape[shape.length - 2];
    if (steps !== null && steps > this.sequenceLength) {
      throw new Error(`PositionEmbedding '${this.name}': input ${formatShape(shape)} has ${steps} steps, more than sequenceLength ${this.sequenceLength}`);
    }
    if (this.embeddings && shape[shape.length - 1] !== this.embeddings.shape[1]) {
      throw new Error(`PositionEmbedding '${this.name}': built for ${this.embeddings.shape[1]} features, got input ${formatShape(shape)}`);
    }
  }

  override build(inputShape: SymbolicShape | SymbolicShape[]): void {
    const shape = singleShape(inputShape, this);
    const features = shape[shape.length - 1] as number;
    this.embeddings = this.addWeight('embeddings', [this.sequenceLength, features], this.initializer, this.regularizer);
    this.built = true;
  }

  call(inputs: Tensor | Tensor[], kwargs: PositionCallArgs): Tensor {
    const x = singleTensor(inputs, this);
    const startIndex = kwargs.startIndex ?? 0;
    checkStartIndex(this, startIndex);
    const [steps, features] = x.shape.slice(-2);
    if (startIndex + steps > this.sequenceLength) {
      throw new Error(`PositionEmbedding '${this.name}': input [${x.shape}] has ${steps} steps${startIndex ? ` from position ${startIndex}` : ''}, more than sequenceLength ${this.sequenceLength}`);
    }
    const table = ops.slice(this.embeddings!.read(), [startIndex, 0], [steps, features]);
    return applyTable(x, table, this.addToInput);
  }

  override getConfig() {
    return {
      sequenceLength: this.sequenceLength,
      initializer: serializeInitializer(this.initializer),
      regularizer: serializeRegularizer(this.regularizer),
      addToInput: this.addToInput,
      ...super.getConfig(),
    };
  }
}

registerLayerClass(SinusoidalPositionEncoding.className, (config) => new SinusoidalPositionEncoding(config as SinusoidalPositionEncodingArgs));
registerLayerClass(PositionEmbedding.className, (config) => new PositionEmbedding(config as unknown as PositionEmbeddingArgs));
