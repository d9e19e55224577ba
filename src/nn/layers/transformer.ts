// transformerEncoder (keras-nlp TransformerEncoder): self-attention and a two-layer feed-forward
// network, each wrapped in dropout + residual + layer norm (post-norm, the original Transformer), or
// with the norm first (pre-norm, normalizeFirst). Stack several for an encoder.
// Shapes: x [B, T, D]; heads H = numHeads of size D/H; feed-forward D → intermediateDim → D.
import type { Tensor } from '../../tensor.js';
import * as ops from '../../ops/index.js';
import { normalizeActivationName, type ActivationIdentifier } from '../activations.js';
import { getInitializer, Initializer, serializeInitializer, type SerializedObject } from '../initializers.js';
import { type CallArgs, LayerArgs, singleShape, singleTensor } from '../layer.js';
import { registerLayerClass } from '../serialization.js';
import { formatShape, type SymbolicShape } from '../symbolic.js';
import { Dense, Dropout } from './core.js';
import { LayerNormalization } from './layer-normalization.js';
import { MultiHeadAttention } from './attention.js';
import { dropoutRate, positiveInteger } from './arg-checks.js';
import { ConcreteOptionsLayer } from './call-options.js';

type InitializerArg = string | Initializer | SerializedObject;

export interface TransformerEncoderArgs extends LayerArgs {
  /** Hidden width of the feed-forward network. */
  intermediateDim: number;
  numHeads: number;
  /** Dropout after attention and after the feed-forward network (and on the attention probabilities); default 0. */
  dropout?: number;
  /** Feed-forward activation; default 'relu' ('gelu' is the exact erf form, as Keras). */
  activation?: ActivationIdentifier | string;
  /** Default 1e-5 (keras-nlp). */
  layerNormEpsilon?: number;
  kernelInitializer?: InitializerArg;
  biasInitializer?: InitializerArg;
  /** Pre-norm (normalize before attention and feed-forward) instead of post-norm; default false. */
  normalizeFirst?: boolean;
}

/** transformerEncoder's call options (attentionMask [B, T, T] combines with the padding mask). */
export type TransformerEncoderCallArgs = Pick<CallArgs, 'training' | 'mask' | 'paddingMask' | 'attentionMask' | 'returnAttentionScores'>;

/**
 * One Transformer encoder block. Weights (keras-nlp order): self_attention (query, key, value,
 * attention_output kernels and biases), self_attention_layer_norm (gamma, beta), feedforward_layer_norm,
 * feedforward_intermediate_dense, feedforward_output_dense.
 *   let x = tf.layers.transformerEncoder({intermediateDim: 64, numHeads: 4}).apply(embedded);
 */
export class TransformerEncoder extends ConcreteOptionsLayer {
  static readonly className = 'TransformerEncoder';
  readonly intermediateDim: number;
  readonly numHeads: number;
  readonly dropout: number;
  readonly activation: ActivationIdentifier;
  readonly layerNormEpsilon: number;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly normalizeFirst: boolean;
  override supportsMasking = true;
  protected readonly concreteOnlyOptions = ['paddingMask', 'attentionMask', 'returnAttentionScores'] as const;
  private parts: {
    selfAttention: MultiHeadAttention;
    selfAttentionNorm: LayerNormalization;
    selfAttentionDropout: Dropout;
    feedforwardNorm: LayerNormalization;
    intermediate: Dense;
    output: Dense;
    feedforwardDropout: Dropout;
  } | null = null;

  constructor(args: TransformerEncoderArgs) {
    super(args);
    const context = this.context();
    this.intermediateDim = positiveInteger(args?.intermediateDim, 'intermediateDim', context);
    this.numHeads = positiveInteger(args.numHeads, 'numHeads', context);
    this.dropout = dropoutRate(args.dropout, context);
    this.activation = normalizeActivationName(args.activation ?? 'relu', context);
    this.layerNormEpsilon = args.layerNormEpsilon ?? 1e-5;
    this.kernelInitializer = getInitializer(args.kernelInitializer ?? 'glorotUniform', `${context} kernelInitializer`);
    this.biasInitializer = getInitializer(args.biasInitializer ?? 'zeros', `${context} biasInitializer`);
    this.normalizeFirst = args.normalizeFirst ?? false;
  }
  getClassName() { return TransformerEncoder.className; }
  private context() { return `TransformerEncoder '${this.name}'`; }

  /** The model width D of an input [B, T, D], checked against numHeads. */
  private modelWidth(shape: SymbolicShape): number {
    const width = shape[2];
    if (shape.length !== 3 || width === null) {
      throw new Error(`${this.context()}: expected input [batch, steps, features] with known features, got ${formatShape(shape)}`);
    }
    if (width % this.numHeads !== 0) {
      throw new Error(`${this.context()}: the model width ${width} (input ${formatShape(shape)}) is not divisible by numHeads ${this.numHeads}`);
    }
    return width;
  }

  protected override assertInputCompatible(inputShape: SymbolicShape | SymbolicShape[]): void {
    const shape = singleShape(inputShape, this);
    const width = this.modelWidth(shape);
    const built = this.parts?.output.units;
    if (built !== undefined && width !== built) {
      throw new Error(`${this.context()}: built for ${built} features, got input ${formatShape(shape)}`);
    }
  }

  override build(inputShape: SymbolicShape | SymbolicShape[]): void {
    const shape = singleShape(inputShape, this);
    const width = this.modelWidth(shape);
    const sub = (name: string) => ({ name: `${this.name}/${name}` });
    const init = { kernelInitializer: this.kernelInitializer, biasInitializer: this.biasInitializer };
    const parts = {
      selfAttention: new MultiHeadAttention({ ...sub('self_attention'), numHeads: this.numHeads, keyDim: width / this.numHeads, dropout: this.dropout, ...init }),
      selfAttentionNorm: new LayerNormalization({ ...sub('self_attention_layer_norm'), epsilon: this.layerNormEpsilon }),
      selfAttentionDropout: new Dropout({ ...sub('self_attention_dropout'), rate: this.dropout }),
      feedforwardNorm: new LayerNormalization({ ...sub('feedforward_layer_norm'), epsilon: this.layerNormEpsilon }),
      intermediate: new Dense({ ...sub('feedforward_intermediate_dense'), units: this.intermediateDim, activation: this.activation, ...init }),
      output: new Dense({ ...sub('feedforward_output_dense'), units: width, ...init }),
      feedforwardDropout: new Dropout({ ...sub('feedforward_dropout'), rate: this.dropout }),
    };
    parts.selfAttention.build([shape, shape]);
    parts.selfAttentionNorm.build(shape);
    parts.feedforwardNorm.build(shape);
    parts.intermediate.build(shape);
    parts.output.build([...shape.slice(0, -1), this.intermediateDim]);
    // The block owns its parts' weights: they train, save and dispose with it.
    for (const part of Object.values(parts)) {
      part.built = true;
      this.ownTrainableWeights.push(...part.trainableWeights);
      this.ownNonTrainableWeights.push(...part.nonTrainableWeights);
    }
    this.parts = parts;
    this.built = true;
  }

  /** The attention mask [B, T, T] (or [B, 1, T] from padding alone), checked; null when there is none. */
  private selfAttentionMask(x: Tensor, kwargs: TransformerEncoderCallArgs): Tensor | null {
    const [batch, steps] = x.shape;
    const upstream = Array.isArray(kwargs.mask) ? kwargs.mask[0] : kwargs.mask;
    const padding = kwargs.paddingMask ?? upstream ?? null;
    if (padding && (padding.rank !== 2 || padding.shape[0] !== batch || padding.shape[1] !== steps)) {
      throw new Error(`${this.context()}: the padding mask must be [batch, steps] = [${batch},${steps}], got [${padding.shape}]`);
    }
    const attention = kwargs.attentionMask ?? null;
    if (attention && (attention.rank !== 3 || attention.shape[0] !== batch || attention.shape[1] !== steps || attention.shape[2] !== steps)) {
      throw new Error(`${this.context()}: attentionMask must be [batch, steps, steps] = [${batch},${steps},${steps}], got [${attention.shape}]`);
    }
    const asFloat = (m: Tensor) => (m.dtype === 'float32' ? m : ops.cast(m, 'float32'));
    // keras-nlp hides padded tokens as keys only: [B, 1, T].
    const keys = padding ? ops.expandDims(asFloat(padding), 1) : null;
    if (keys && attention) return ops.mul(keys, asFloat(attention));
    return keys ?? (attention && asFloat(attention));
  }

  call(inputs: Tensor | Tensor[], kwargs: TransformerEncoderCallArgs): Tensor | Tensor[] {
    const x = singleTensor(inputs, this);
    const p = this.parts!;
    const training = { training: kwargs.training ?? false };
    const attentionMask = this.selfAttentionMask(x, kwargs);
    const norm = (layer: LayerNormalization, t: Tensor) => layer.call(t, training);

    let residual = x;
    let h = this.normalizeFirst ? norm(p.selfAttentionNorm, x) : x;
    const returnAttentionScores = kwargs.returnAttentionScores ?? false;
    const attended = p.selfAttention.call([h, h], { ...training, attentionMask, returnAttentionScores });
    const [context, scores] = Array.isArray(attended) ? attended : [attended];
    h = context;
    h = ops.add(p.selfAttentionDropout.call(h, training), residual);
    if (!this.normalizeFirst) h = norm(p.selfAttentionNorm, h);

    residual = h;
    if (this.normalizeFirst) h = norm(p.feedforwardNorm, h);
    h = p.output.call(p.intermediate.call(h));
    h = ops.add(p.feedforwardDropout.call(h, training), residual);
    if (!this.normalizeFirst) h = norm(p.feedforwardNorm, h);
    return returnAttentionScores ? [h, scores] : h;
  }

  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const shape = singleShape(inputShape, this);
    this.modelWidth(shape);
    return shape.slice();
  }

  override getConfig() {
    return {
      intermediateDim: this.intermediateDim,
      numHeads: this.numHeads,
      dropout: this.dropout,
      activation: this.activation,
      layerNormEpsilon: this.layerNormEpsilon,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      normalizeFirst: this.normalizeFirst,
      ...super.getConfig(),
    };
  }
}

registerLayerClass(TransformerEncoder.className, (config) => new TransformerEncoder(config as unknown as TransformerEncoderArgs));
