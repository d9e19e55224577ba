// embedding (token ids → vectors, with maskZero for padded sequences) and masking (steps whose
// features all equal maskValue are masked), as tfjs-layers. Both start the masks that recurrent
// layers downstream read (a model carries them along the graph).
// Shapes: B = batch, T = time steps (any number of id axes), D = outputDim.
import type { Tensor } from '../../tensor.js';
import * as ops from '../../ops/index.js';
import { indicesCheckedOnDevice } from '../../ops/gather.js';
import { getInitializer, Initializer, serializeInitializer, type SerializedObject } from '../initializers.js';
import { CallArgs, Layer, LayerArgs, LayerVariable, singleShape, singleTensor } from '../layer.js';
import { getRegularizer, Regularizer, serializeRegularizer } from '../regularizers.js';
import { registerLayerClass } from '../serialization.js';
import { formatShape, SymbolicShape } from '../symbolic.js';

export interface EmbeddingArgs extends LayerArgs {
  /** Vocabulary size: ids must lie in [0, inputDim). */
  inputDim: number;
  outputDim: number;
  embeddingsInitializer?: string | Initializer | SerializedObject;
  embeddingsRegularizer?: string | Regularizer | SerializedObject | null;
  /** Id 0 is padding: the output mask is ids != 0 (so id 0 must not be a real token). */
  maskZero?: boolean;
  /** The sequence length(s) when the layer is first (gives inputShape). */
  inputLength?: number | number[];
}

/**
 * Looks up a learned vector per id: [B, T] ids → [B, T, D].
 *   tf.layers.embedding({inputDim: 10000, outputDim: 64, maskZero: true, inputLength: 40})
 */
export class Embedding extends Layer {
  static readonly className = 'Embedding';
  readonly inputDim: number;
  readonly outputDim: number;
  readonly embeddingsInitializer: Initializer;
  readonly embeddingsRegularizer: Regularizer | null;
  readonly maskZero: boolean;
  readonly inputLength: number | number[] | null;
  embeddings: LayerVariable | null = null;

  constructor(args: EmbeddingArgs) {
    const inputLength = args?.inputLength ?? null;
    const lengthShape = inputLength === null ? [null] : Array.isArray(inputLength) ? inputLength : [inputLength];
    const inputShape = args?.inputShape ?? (args?.batchInputShape ? undefined : lengthShape);
    super({ ...args, inputShape, dtype: args?.dtype ?? 'float32' });
    const context = `Embedding '${this.name}'`;
    if (!args || !Number.isInteger(args.inputDim) || args.inputDim < 1) throw new Error(`${context}: inputDim must be a positive integer, got ${args?.inputDim}`);
    if (!Number.isInteger(args.outputDim) || args.outputDim < 1) throw new Error(`${context}: outputDim must be a positive integer, got ${args.outputDim}`);
    this.inputDim = args.inputDim;
    this.outputDim = args.outputDim;
    this.embeddingsInitializer = getInitializer(args.embeddingsInitializer ?? 'randomUniform', `${context} embeddingsInitializer`);
    this.embeddingsRegularizer = getRegularizer(args.embeddingsRegularizer, `${context} embeddingsRegularizer`);
    this.maskZero = args.maskZero ?? false;
    this.inputLength = inputLength;
    this.supportsMasking = this.maskZero;
  }
  getClassName() { return Embedding.className; }

  override build(): void {
    this.embeddings = this.addWeight('embeddings', [this.inputDim, this.outputDim], this.embeddingsInitializer, this.embeddingsRegularizer);
    this.built = true;
  }

  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const shape = singleShape(inputShape, this);
    const lengths = this.inputLength === null ? null : Array.isArray(this.inputLength) ? this.inputLength : [this.inputLength];
    if (lengths && lengths.length !== shape.length - 1) {
      throw new Error(`Embedding '${this.name}': inputLength [${lengths}] does not fit input shape ${formatShape(shape)}`);
    }
    const ids = shape.slice(1).map((d, i) => lengths?.[i] ?? d);
    return [shape[0], ...ids, this.outputDim];
  }

  override computeMask(inputs: Tensor | Tensor[]): Tensor | null {
    if (!this.maskZero) return null;
    return ops.notEqual(singleTensor(inputs, this), 0);
  }

  call(inputs: Tensor | Tensor[]): Tensor {
    const x = singleTensor(inputs, this);
    const ids = x.dtype === 'int32' ? x : ops.cast(x, 'int32');
    // On a GPU gather checks the ids on the device (a host read would stall the queue every batch).
    if (!indicesCheckedOnDevice(`Embedding '${this.name}'`)) this.checkIds(x);
    const rows = ops.gather(this.embeddings!.read(), ops.reshape(ids, [ids.size]), 0);
    return ops.reshape(rows, [...x.shape, this.outputDim]);
  }

  /** A clear Error for ids outside [0, inputDim) (gather would read past the table or clamp). */
  private checkIds(x: Tensor): void {
    const values = x.dataSync();
    for (let i = 0; i < values.length; i++) {
      const id = values[i];
      if (!(id >= 0 && id < this.inputDim && Math.floor(id) === id)) {
        throw new Error(`Embedding '${this.name}': id ${id} at flat index ${i} of input [${x.shape}] is outside the vocabulary [0, ${this.inputDim})`);
      }
    }
  }

  override getConfig() {
    return {
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      embeddingsInitializer: serializeInitializer(this.embeddingsInitializer),
      embeddingsRegularizer: serializeRegularizer(this.embeddingsRegularizer),
      activityRegularizer: null,
      embeddingsConstraint: null,
      maskZero: this.maskZero,
      inputLength: this.inputLength,
      ...super.getConfig(),
    };
  }
}

export interface MaskingArgs extends LayerArgs {
  /** Steps whose features all equal this value are masked (default 0). */
  maskValue?: number;
}

/**
 * Masks time steps whose features all equal maskValue: they output zeros and downstream recurrent
 * layers skip them. [B, T, F] → [B, T, F] with mask [B, T].
 *   tf.layers.masking({maskValue: 0, inputShape: [20, 3]})
 */
export class Masking extends Layer {
  static readonly className = 'Masking';
  readonly maskValue: number;
  constructor(args: MaskingArgs = {}) {
    super(args);
    this.maskValue = args.maskValue ?? 0;
    this.supportsMasking = true;
  }
  getClassName() { return Masking.className; }

  /** [B, T]: true where some feature differs from maskValue. */
  private stepMask(x: Tensor): Tensor {
    if (x.rank < 2) throw new Error(`Masking '${this.name}': expected input of rank >= 2, got [${x.shape}]`);
    return ops.any(ops.notEqual(x, this.maskValue), -1);
  }
  override computeMask(inputs: Tensor | Tensor[]): Tensor {
    return this.stepMask(singleTensor(inputs, this));
  }
  call(inputs: Tensor | Tensor[], _kwargs: CallArgs): Tensor {
    const x = singleTensor(inputs, this);
    return ops.mul(x, ops.expandDims(ops.cast(this.stepMask(x), x.dtype), -1));
  }
  override getConfig() { return { maskValue: this.maskValue, ...super.getConfig() }; }
}

registerLayerClass(Embedding.className, (config) => new Embedding(config as unknown as EmbeddingArgs));
registerLayerClass(Masking.className, (config) => new Masking(config as MaskingArgs));
