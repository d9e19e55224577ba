// Attention layers (Keras 3 semantics; tfjs-layers has none): attention (Luong-style dot-product or
// Bahdanau-style concat scores over [query, value, key?]) and multiHeadAttention (projections to heads,
// scaled dot-product attention per head, output projection).
// Shapes: B batch, Tq query steps, Tk key/value steps, D model width, H heads, K keyDim, V valueDim.
import type { Tensor } from '../../tensor.js';
import * as ops from '../../ops/index.js';
import { attentionWeights, scaledDotProductAttention } from '../../ops/attention.js';
import type { Seed } from '../../ops/random.js';
import { getInitializer, Initializer, serializeInitializer, type SerializedObject } from '../initializers.js';
import { type CallArgs, isShapeList, Layer, LayerArgs, LayerVariable } from '../layer.js';
import { getRegularizer, Regularizer, serializeRegularizer } from '../regularizers.js';
import { registerLayerClass } from '../serialization.js';
import { formatShape, type SymbolicShape } from '../symbolic.js';
import { dropoutRate, positiveInteger } from './arg-checks.js';
import { ConcreteOptionsLayer } from './call-options.js';

type InitializerArg = string | Initializer | SerializedObject;
type RegularizerArg = string | Regularizer | SerializedObject | null;
type MaskArg = Tensor | (Tensor | null)[] | null | undefined;

// --- the attention core shared by both layers ---------------------------------------------------------

/** Keras's masked score (it adds -1e9, which swamps any float32 score). */
const MASKED_SCORE = -1e9;

/** 1 where query i may attend key j (j <= i, Keras's use_causal_mask), as a float [Tq, Tk]. */
function causalMask(queryLength: number, keyLength: number): Tensor {
  const values = new Float32Array(queryLength * keyLength);
  for (let i = 0; i < queryLength; i++) for (let j = 0; j <= i && j < keyLength; j++) values[i * keyLength + j] = 1;
  return ops.tensor(values, [queryLength, keyLength]);
}

const asFloat = (mask: Tensor) => (mask.dtype === 'float32' ? mask : ops.cast(mask, 'float32'));

/** The logical AND of float 0/1 masks (broadcasting), null when there is none. */
function andMasks(masks: (Tensor | null | undefined)[]): Tensor | null {
  const present = masks.filter((m): m is Tensor => !!m).map(asFloat);
  return present.length === 0 ? null : present.reduce((all, m) => ops.mul(all, m));
}

/** Inverted dropout: in training, zero with probability `rate` and scale the rest by 1/(1 − rate). */
function dropout(x: Tensor, rate: number, training: boolean, seed: Seed | null): Tensor {
  if (!training || rate === 0) return x;
  return ops.dropout(x, rate, undefined, seed ?? undefined);
}

/**
 * softmax over the last axis of scores [..., Tq, Tk] with masked pairs (mask: float 0/1, broadcast) set to
 * Keras's -1e9: a fully masked row is uniform and, as in the fused kernel, masked scores get no gradient.
 */
function maskedSoftmax(scores: Tensor, mask: Tensor | null): Tensor {
  if (!mask) return ops.softmax(scores, -1);
  return ops.softmax(ops.where(ops.notEqual(mask, 0), scores, ops.fill(scores.shape, MASKED_SCORE)), -1);
}

interface AttendOptions {
  /** float 0/1 (or bool), broadcastable to [B, H, Tq, Tk]. */
  mask: Tensor | null;
  causal: boolean;
  scale: number;
  dropout: number;
  training: boolean;
  seed: Seed | null;
  returnScores: boolean;
}

/**
 * softmax(scale·q·kᵀ + mask)·v per head. q [B, H, Tq, K], k [B, H, Tk, K], v [B, H, Tk, V] →
 * output [B, H, Tq, V] and, when asked, the probabilities [B, H, Tq, Tk] (before dropout, as Keras).
 * Without scores this is the fused kernel, which never holds the whole Tq×Tk matrix.
 */
function attend(q: Tensor, k: Tensor, v: Tensor, options: AttendOptions): { output: Tensor; scores: Tensor | null } {
  const mask = options.mask ?? undefined;
  const { causal, scale } = options;
  const rate = options.training ? options.dropout : 0;
  if (!options.returnScores) {
    return { output: scaledDotProductAttention(q, k, v, { mask, causal, scale, dropout: rate, seed: options.seed ?? undefined }), scores: null };
  }
  const scores = attentionWeights(q, k, { mask, causal, scale });
  return { output: ops.matMul(dropout(scores, rate, true, options.seed), v), scores };
}

// --- shared input checks --------------------------------------------------------------------------------

/** The [query, value, key?] shapes of a call, each [B, T, features], checked. */
function attentionShapes(layer: Layer, inputShape: SymbolicShape | SymbolicShape[], allowSingle: boolean): SymbolicShape[] {
  const context = `${layer.getClassName()} '${layer.name}'`;
  let shapes: SymbolicShape[];
  if (isShapeList(inputShape)) shapes = inputShape;
  else if (allowSingle) shapes = [inputShape];
  else throw new Error(`${context}: expects a list [query, value] or [query, value, key], got one input ${formatShape(inputShape)}`);
  if (shapes.length < (allowSingle ? 1 : 2) || shapes.length > 3) {
    throw new Error(`${context}: expects [query, value] or [query, value, key], got ${shapes.length} inputs: ${shapes.map(formatShape).join(', ')}`);
  }
  for (const shape of shapes) {
    if (shape.length !== 3 || shape[2] === null) {
      throw new Error(`${context}: inputs must be [batch, steps, features] with known features, got ${shapes.map(formatShape).join(', ')}`);
    }
  }
  const [query, value, key = value ?? query] = shapes;
  const valueShape = value ?? query;
  if (key[1] !== null && valueShape[1] !== null && key[1] !== valueShape[1]) {
    throw new Error(`${context}: key and value must have the same number of steps, got key ${formatShape(key)} and value ${formatShape(valueShape)}`);
  }
  return [query, valueShape, key];
}

const asList = (inputs: Tensor | Tensor[]): Tensor[] => (Array.isArray(inputs) ? inputs : [inputs]);

/** The mask of input `index` (upstream masks come as a list aligned with the inputs), checked as [B, T]. */
function inputMask(layer: Layer, mask: MaskArg, index: number, input: Tensor, what: string): Tensor | null {
  const m = Array.isArray(mask) ? mask[index] ?? null : index === 0 ? mask ?? null : null;
  if (m === null) return null;
  if (m.rank !== 2 || m.shape[0] !== input.shape[0] || m.shape[1] !== input.shape[1]) {
    throw new Error(`${layer.getClassName()} '${layer.name}': the ${what} mask must be [batch, steps] = [${input.shape.slice(0, 2)}], got [${m.shape}]`);
  }
  return m;
}

// --- Attention ----------------------------------------------------------------------------------------

export interface AttentionArgs extends LayerArgs {
  /** Learn a scalar that multiplies the scores; default false. */
  useScale?: boolean;
  /** 'dot' (q·kᵀ) or 'concat' (sum(tanh(q + k))); default 'dot'. */
  scoreMode?: 'dot' | 'concat';
  /** Dropout on the attention probabilities in training; default 0. */
  dropout?: number;
  seed?: Seed;
}

export type AttentionCallArgs = Pick<CallArgs, 'training' | 'mask' | 'useCausalMask' | 'returnAttentionScores'>;

/**
 * Keras Attention: softmax(scores(query, key) + mask)·value, with the value mask (from upstream or
 * `mask: [queryMask, valueMask]`) hiding padded keys and the query mask zeroing padded output steps.
 *   const context = tf.layers.attention().apply([query, value]);   // [B, Tq, Dv]
 */
export class Attention extends ConcreteOptionsLayer {
  static readonly className = 'Attention';
  readonly useScale: boolean;
  readonly scoreMode: 'dot' | 'concat';
  readonly dropout: number;
  readonly seed: Seed | null;
  override supportsMasking = true;
  protected readonly concreteOnlyOptions = ['returnAttentionScores'] as const;
  scale: LayerVariable | null = null;
  concatScoreWeight: LayerVariable | null = null;

  constructor(args: AttentionArgs = {}) {
    super(args);
    this.useScale = args.useScale ?? false;
    this.scoreMode = args.scoreMode ?? 'dot';
    if (this.scoreMode !== 'dot' && this.scoreMode !== 'concat') {
      throw new Error(`Attention '${this.name}': scoreMode must be 'dot' or 'concat', got ${JSON.stringify(args.scoreMode)}`);
    }
    this.dropout = dropoutRate(args.dropout, `Attention '${this.name}'`);
    this.seed = args.seed ?? null;
    // Keras 2's constructor-level `causal` became the call option useCausalMask.
    if ((args as { causal?: unknown }).causal) {
      throw new Error(`Attention '${this.name}': the 'causal' argument is replaced by the call option useCausalMask`);
    }
  }
  getClassName() { return Attention.className; }

  protected override assertInputCompatible(inputShape: SymbolicShape | SymbolicShape[]): void {
    const [query, , key] = attentionShapes(this, inputShape, false);
    if (query[2] !== key[2]) {
      throw new Error(`Attention '${this.name}': query and key must have the same features, got query ${formatShape(query)} and key ${formatShape(key)}`);
    }
  }

  override build(inputShape: SymbolicShape | SymbolicShape[]): void {
    attentionShapes(this, inputShape, false);
    const ones = getInitializer('ones', 'Attention');
    if (this.useScale) this.scale = this.addWeight('scale', [], ones);
    if (this.scoreMode === 'concat') this.concatScoreWeight = this.addWeight('concat_score_weight', [], ones);
    this.built = true;
  }

  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const [query, value] = attentionShapes(this, inputShape, false);
    return [query[0], query[1], value[2]];
  }

  /** Scores [B, Tq, Tk] before masking. */
  private scores(query: Tensor, key: Tensor): Tensor {
    const scale = this.scale?.read();
    if (this.scoreMode === 'dot') {
      const scores = ops.matMul(query, key, false, true);
      return scale ? ops.mul(scores, scale) : scores;
    }
    // concat: [B, Tq, 1, D] + [B, 1, Tk, D] → tanh → sum over D.
    let pairs = ops.add(ops.expandDims(query, 2), ops.expandDims(key, 1));
    if (scale) pairs = ops.mul(pairs, scale);
    return ops.mul(ops.sum(ops.tanh(pairs), -1), this.concatScoreWeight!.read());
  }

  call(inputs: Tensor | Tensor[], kwargs: AttentionCallArgs): Tensor | Tensor[] {
    const list = asList(inputs);
    attentionShapes(this, list.map((t) => t.shape), false);
    const [query, value, key = value] = list;
    const queryMask = inputMask(this, kwargs.mask, 0, query, 'query');
    const valueMask = inputMask(this, kwargs.mask, 1, value, 'value');
    const training = kwargs.training ?? false;
    let output: Tensor;
    let weights: Tensor | null = null;
    const keyMask = valueMask ? ops.expandDims(valueMask, 1) : null; // [B, 1, Tk]
    if (this.scoreMode === 'dot') {
      // One head: q·(scale)·kᵀ is the scaled dot-product attention with H = 1 and scale 1.
      const scaled = this.scale ? ops.mul(query, this.scale.read()) : query;
      const result = attend(ops.expandDims(scaled, 1), ops.expandDims(key, 1), ops.expandDims(value, 1), {
        mask: keyMask ? ops.expandDims(keyMask, 1) : null, causal: kwargs.useCausalMask ?? false, scale: 1,
        dropout: this.dropout, training, seed: this.seed, returnScores: kwargs.returnAttentionScores ?? false,
      });
      output = ops.squeeze(result.output, [1]);
      weights = result.scores ? ops.squeeze(result.scores, [1]) : null;
    } else {
      const causal = kwargs.useCausalMask ? causalMask(query.shape[1], key.shape[1]) : null;
      weights = maskedSoftmax(this.scores(query, key), andMasks([keyMask, causal]));
      output = ops.matMul(dropout(weights, this.dropout, training, this.seed), value);
    }
    if (queryMask) output = ops.mul(output, ops.expandDims(asFloat(queryMask), 2));
    return kwargs.returnAttentionScores ? [output, weights!] : output;
  }

  /** The output steps are the query's: its mask goes on. */
  override computeMask(_inputs: Tensor | Tensor[], mask: MaskArg): Tensor | (Tensor | null)[] | null {
    return Array.isArray(mask) ? mask[0] ?? null : mask ?? null;
  }

  override getConfig() {
    return { useScale: this.useScale, scoreMode: this.scoreMode, dropout: this.dropout, seed: this.seed, ...super.getConfig() };
  }
}

// --- MultiHeadAttention --------------------------------------------------------------------------------

export interface MultiHeadAttentionArgs extends LayerArgs {
  numHeads: number;
  /** Size of each head for query and key. */
  keyDim: number;
  /** Size of each head for value; default keyDim. */
  valueDim?: number;
  /** Dropout on the attention probabilities in training; default 0. */
  dropout?: number;
  useBias?: boolean;
  /** Output features; default the query's features. */
  outputShape?: number | number[];
  kernelInitializer?: InitializerArg;
  biasInitializer?: InitializerArg;
  kernelRegularizer?: RegularizerArg;
  biasRegularizer?: RegularizerArg;
  seed?: Seed;
}

export type MultiHeadAttentionCallArgs = Pick<CallArgs, 'training' | 'mask' | 'useCausalMask' | 'returnAttentionScores' | 'attentionMask'>;

/**
 * Keras MultiHeadAttention: query/key/value projected to H heads ([D, H, K] kernels), softmax(q·kᵀ/√K +
 * mask)·v per head, and the heads projected back ([H, V, out] kernel). Weights (Keras order and names):
 * query/kernel, query/bias, key/…, value/…, attention_output/kernel, attention_output/bias.
 * Called on [query, value], [query, value, key], or one tensor for self-attention.
 *   const y = tf.layers.multiHeadAttention({numHeads: 4, keyDim: 16}).apply([x, x]);
 */
export class MultiHeadAttention extends ConcreteOptionsLayer {
  static readonly className = 'MultiHeadAttention';
  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly dropout: number;
  readonly useBias: boolean;
  /** Output features (Keras output_shape), null = the query's features. */
  readonly outputDim: number | null;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  readonly seed: Seed | null;
  override supportsMasking = true;
  protected readonly concreteOnlyOptions = ['returnAttentionScores', 'attentionMask'] as const;
  private projections: { kernel: LayerVariable; bias: LayerVariable | null }[] = [];

  constructor(args: MultiHeadAttentionArgs) {
    super(args);
    const context = this.context();
    this.numHeads = positiveInteger(args?.numHeads, 'numHeads', context);
    this.keyDim = positiveInteger(args.keyDim, 'keyDim', context);
    this.valueDim = positiveInteger(args.valueDim ?? args.keyDim, 'valueDim', context);
    this.dropout = dropoutRate(args.dropout, context);
    this.useBias = args.useBias ?? true;
    const outputShape = Array.isArray(args.outputShape) && args.outputShape.length === 1 ? args.outputShape[0] : args.outputShape;
    this.outputDim = outputShape === undefined || outputShape === null ? null : positiveInteger(outputShape, 'outputShape (one output dimension)', context);
    this.kernelInitializer = getInitializer(args.kernelInitializer ?? 'glorotUniform', `${context} kernelInitializer`);
    this.biasInitializer = getInitializer(args.biasInitializer ?? 'zeros', `${context} biasInitializer`);
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer, `${context} kernelRegularizer`);
    this.biasRegularizer = getRegularizer(args.biasRegularizer, `${context} biasRegularizer`);
    this.seed = args.seed ?? null;
    // Keras files may carry attention_axes; only attention over the steps axis (1) is supported.
    const axes = (args as { attentionAxes?: unknown }).attentionAxes;
    if (axes !== undefined && axes !== null && !(Array.isArray(axes) ? axes.length === 1 && (axes[0] === 1 || axes[0] === -2) : axes === 1 || axes === -2)) {
      throw new Error(`${context}: attentionAxes ${JSON.stringify(axes)} is not supported (attention runs over the steps axis of [batch, steps, features])`);
    }
  }
  getClassName() { return MultiHeadAttention.className; }
  private context() { return `MultiHeadAttention '${this.name}'`; }

  protected override assertInputCompatible(inputShape: SymbolicShape | SymbolicShape[]): void {
    const shapes = attentionShapes(this, inputShape, true);
    if (!this.built) return;
    const expected = this.projections.slice(0, 3).map((p) => p.kernel.shape[0]);
    const [query, value, key] = shapes;
    if (query[2] !== expected[0] || key[2] !== expected[1] || value[2] !== expected[2]) {
      throw new Error(`${this.context()}: built for query/key/value features ${expected.join('/')}, got query ${formatShape(query)}, value ${formatShape(value)}, key ${formatShape(key)}`);
    }
  }

  override build(inputShape: SymbolicShape | SymbolicShape[]): void {
    const [query, value, key] = attentionShapes(this, inputShape, true);
    const { numHeads: h, keyDim, valueDim } = this;
    const add = (name: string, kernelShape: number[], biasShape: number[]) => ({
      kernel: this.addWeight(`${name}/kernel`, kernelShape, this.kernelInitializer, this.kernelRegularizer),
      bias: this.useBias ? this.addWeight(`${name}/bias`, biasShape, this.biasInitializer, this.biasRegularizer) : null,
    });
    const outputDim = this.outputDim ?? (query[2] as number);
    this.projections = [
      add('query', [query[2] as number, h, keyDim], [h, keyDim]),
      add('key', [key[2] as number, h, keyDim], [h, keyDim]),
      add('value', [value[2] as number, h, valueDim], [h, valueDim]),
      add('attention_output', [h, valueDim, outputDim], [outputDim]),
    ];
    this.built = true;
  }

  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const [query] = attentionShapes(this, inputShape, true);
    return [query[0], query[1], this.outputDim ?? query[2]];
  }

  /** x [B, T, D] → [B, H, T, K] through a [D, H, K] kernel (+ [H, K] bias): one GEMM for all heads. */
  private toHeads(x: Tensor, which: number): Tensor {
    const { kernel, bias } = this.projections[which];
    const [batch, steps, features] = x.shape;
    const [, heads, size] = kernel.shape;
    const projected = ops.fused.matMul({
      a: ops.reshape(x, [batch * steps, features]), b: ops.reshape(kernel.read(), [features, heads * size]),
      bias: bias ? ops.reshape(bias.read(), [heads * size]) : undefined,
    });
    return ops.transpose(ops.reshape(projected, [batch, steps, heads, size]), [0, 2, 1, 3]);
  }

  /** heads [B, H, Tq, V] → [B, Tq, out] through the [H, V, out] kernel: one GEMM. */
  private fromHeads(heads: Tensor): Tensor {
    const { kernel, bias } = this.projections[3];
    const [batch, h, steps, size] = heads.shape;
    const outputDim = kernel.shape[2];
    const rows = ops.reshape(ops.transpose(heads, [0, 2, 1, 3]), [batch * steps, h * size]);
    const out = ops.fused.matMul({ a: rows, b: ops.reshape(kernel.read(), [h * size, outputDim]), bias: bias?.read() });
    return ops.reshape(out, [batch, steps, outputDim]);
  }

  /** Keras's mask: attentionMask AND query mask [B, Tq, 1] AND value/key masks [B, 1, Tk], as [B, 1, Tq, Tk]. */
  private attentionMask(list: Tensor[], query: Tensor, value: Tensor, key: Tensor, kwargs: MultiHeadAttentionCallArgs): Tensor | null {
    const queryMask = inputMask(this, kwargs.mask, 0, query, 'query');
    // Self-attention on one tensor: its mask is also the value's.
    const valueMask = list.length === 1 ? queryMask : inputMask(this, kwargs.mask, 1, value, 'value');
    const keyMask = list.length < 3 ? null : inputMask(this, kwargs.mask, 2, key, 'key');
    const given = kwargs.attentionMask ?? null;
    if (given) {
      const expected = [query.shape[0], query.shape[1], key.shape[1]];
      if (given.rank !== 3 || given.shape.some((d, i) => d !== expected[i] && d !== 1)) {
        throw new Error(`${this.context()}: attentionMask must be [batch, querySteps, keySteps] = [${expected}] (or broadcastable), got [${given.shape}]`);
      }
    }
    const mask = andMasks([
      given, queryMask && ops.expandDims(queryMask, 2), valueMask && ops.expandDims(valueMask, 1), keyMask && ops.expandDims(keyMask, 1),
    ]);
    return mask && ops.expandDims(mask, 1);
  }

  call(inputs: Tensor | Tensor[], kwargs: MultiHeadAttentionCallArgs): Tensor | Tensor[] {
    const list = asList(inputs);
    attentionShapes(this, list.map((t) => t.shape), true);
    const query = list[0];
    const value = list[1] ?? query;
    const key = list[2] ?? value;
    const { output, scores } = attend(this.toHeads(query, 0), this.toHeads(key, 1), this.toHeads(value, 2), {
      mask: this.attentionMask(list, query, value, key, kwargs),
      causal: kwargs.useCausalMask ?? false,
      scale: 1 / Math.sqrt(this.keyDim),
      dropout: this.dropout,
      training: kwargs.training ?? false,
      seed: this.seed,
      returnScores: kwargs.returnAttentionScores ?? false,
    });
    const out = this.fromHeads(output);
    return scores ? [out, scores] : out;
  }

  /** The output steps are the query's: its mask goes on. */
  override computeMask(_inputs: Tensor | Tensor[], mask: MaskArg): Tensor | (Tensor | null)[] | null {
    return Array.isArray(mask) ? mask[0] ?? null : mask ?? null;
  }

  override getConfig() {
    return {
      numHeads: this.numHeads,
      keyDim: this.keyDim,
      valueDim: this.valueDim,
      dropout: this.dropout,
      useBias: this.useBias,
      outputShape: this.outputDim,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      kernelRegularizer: serializeRegularizer(this.kernelRegularizer),
      biasRegularizer: serializeRegularizer(this.biasRegularizer),
      seed: this.seed,
      ...super.getConfig(),
    };
  }
}

registerLayerClass(Attention.className, (config) => new Attention(config as AttentionArgs));
registerLayerClass(MultiHeadAttention.className, (config) => new MultiHeadAttention(config as unknown as MultiHeadAttentionArgs));
