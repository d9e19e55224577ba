// Task heads on BertModel, as Hugging Face's:
//   BertForSequenceClassification: poolerOutput [B, H] → dropout → classifier dense → logits [B, numLabels]
//   BertForMaskedLM: hidden [B, T, H] → transform (dense gelu, layer norm) → · word embeddingsᵀ + bias
//                    → logits [B, T, V]   (the decoder is tied to the word embeddings)
//
//   const model = await BertForSequenceClassification.fromPretrained('./my-bert', {numLabels: 2});
//   const logits = model.predict(tokenizer.encode(['This is a great movie!'], {padding: true}));   // [1, 2]
import type { Tensor } from '../../tensor.js';
import * as ops from '../../ops/index.js';
import { ENGINE } from '../../engine.js';
import { Reduction } from '../../ops/losses.js';
import { Zeros } from '../../nn/initializers.js';
import type { CallArgs, Layer, LayerVariable } from '../../nn/layer.js';
import type { Dense, Dropout } from '../../nn/layers/core.js';
import type { LayerNormalization } from '../../nn/layers/layer-normalization.js';
import { bertConfig, type BertConfig } from './config.js';
import { BertBlock, dropout, layerNorm, linear, SeedSequence } from './block.js';
import { BertModel, bertInputTensors, fromPretrained, saveBertFolder, weightsOf, type BertCallArgs, type BertInput, type FromPretrainedOptions } from './model.js';

/** Ignored positions of MLM labels (PyTorch's cross-entropy ignore_index). */
export const IGNORE_INDEX = -100;

type LabelsLike = Tensor | number[] | number[][];

function labelValuesSync(labels: LabelsLike): Int32Array {
  if (Array.isArray(labels)) return Int32Array.from(labels.flat() as number[]);
  return Int32Array.from(labels.dataSync());
}

export interface SequenceClassificationOptions {
  numLabels?: number;
  seed?: number;
}

export class BertForSequenceClassification {
  readonly config: BertConfig;
  readonly numLabels: number;
  readonly bert: BertModel;
  readonly classifier: Dense;
  private readonly dropout: Dropout;
  readonly newWeightPrefixes: readonly string[] = ['classifier/', 'bert.pooler.'];

  constructor(config: Partial<BertConfig> | BertConfig, { numLabels = 2, seed }: SequenceClassificationOptions = {}) {
    if (!Number.isInteger(numLabels) || numLabels < 1) throw new Error(`BertForSequenceClassification: numLabels must be a positive integer, got ${numLabels}`);
    this.config = bertConfig(config);
    this.numLabels = numLabels;
    const seeds = new SeedSequence(seed);
    this.bert = new BertModel(this.config, {}, seeds);
    this.dropout = dropout('classifier.dropout', this.config.hiddenDropoutProb);
    this.classifier = linear('classifier', this.config.hiddenSize, numLabels, this.config, seeds);
  }

  get layers(): Layer[] {
    return [...this.bert.layers, this.classifier];
  }
  get weights(): LayerVariable[] {
    return weightsOf(this.layers);
  }
  get trainableWeights(): LayerVariable[] {
    return this.weights.filter((w) => w.trainable);
  }

  /** logits [B, numLabels]; the caller owns it (call inside tf.tidy). */
  call(input: BertInput, args: BertCallArgs = {}): Tensor {
    const { poolerOutput } = this.bert.call(input, args);
    return this.classifier.call(this.dropout.call(poolerOutput!, { training: args.training ?? false })) as Tensor;
  }

  /** Inference logits [B, numLabels]. */
  predict(input: BertInput): Tensor {
    return ENGINE.tidy(() => this.call(input));
  }

  /** Mean softmax cross-entropy of the logits against integer labels [B]. */
  loss(input: BertInput, labels: LabelsLike, args: BertCallArgs = {}): Tensor {
    const logits = this.call(input, args);
    const classes = ops.tensor(labelValuesSync(labels), [logits.shape[0]], 'int32');
    return ops.losses.sparseSoftmaxCrossEntropy(classes, logits, null, Reduction.MEAN);
  }

  static async fromPretrained(dir: string, options: FromPretrainedOptions & { numLabels?: number } = {}) {
    return fromPretrained(dir, options, (config) => new BertForSequenceClassification(config, { numLabels: options.numLabels, seed: options.seed }));
  }

  async save(dir: string): Promise<void> {
    await saveBertFolder(dir, this.config, this.weights, 'BertForSequenceClassification', { num_labels: this.numLabels });
  }

  dispose(): void {
    for (const layer of this.layers) layer.dispose();
  }
}

/** The MLM prediction head (cls.predictions): transform, then the decoder tied to the word embeddings. */
export class BertLMPredictionHead extends BertBlock {
  readonly transform: Dense;
  readonly norm: LayerNormalization;
  readonly bias: LayerVariable;

  constructor(readonly config: BertConfig, private readonly wordEmbeddings: LayerVariable, seeds: SeedSequence) {
    super({ name: 'cls.predictions' });
    const H = config.hiddenSize;
    this.transform = this.own(linear('cls.predictions.transform.dense', H, H, config, seeds, config.hiddenAct));
    this.norm = this.own(layerNorm('cls.predictions.transform.LayerNorm', H, config));
    this.bias = this.addWeight('bias', [config.vocabSize], new Zeros());
  }
  getClassName() { return 'BertLMPredictionHead'; }

  /** hidden [..., H] → logits [..., V]. */
  call(inputs: Tensor | Tensor[], _kwargs: CallArgs = {}): Tensor {
    const hidden = Array.isArray(inputs) ? inputs[0] : inputs;
    const H = this.config.hiddenSize;
    const rows = ops.reshape(hidden, [-1, H]);
    const transformed = this.norm.call(this.transform.call(rows) as Tensor, {}) as Tensor;
    const logits = ops.add(ops.matMul(transformed, this.wordEmbeddings.read(), false, true), this.bias.read());
    return ops.reshape(logits, [...hidden.shape.slice(0, -1), this.config.vocabSize]);
  }
}

export class BertForMaskedLM {
  readonly config: BertConfig;
  readonly bert: BertModel;
  readonly head: BertLMPredictionHead;
  readonly newWeightPrefixes: readonly string[] = [];

  constructor(config: Partial<BertConfig> | BertConfig, { seed }: { seed?: number } = {}) {
    this.config = bertConfig(config);
    const seeds = new SeedSequence(seed);
    this.bert = new BertModel(this.config, { addPoolingLayer: false }, seeds);
    this.head = new BertLMPredictionHead(this.config, this.bert.embeddings.wordEmbeddings.embeddings!, seeds);
  }

  get layers(): Layer[] {
    return [...this.bert.layers, this.head];
  }
  get weights(): LayerVariable[] {
    return weightsOf(this.layers);
  }
  get trainableWeights(): LayerVariable[] {
    return this.weights.filter((w) => w.trainable);
  }

  /** logits [B, T, V] at every position; the caller owns it. */
  call(input: BertInput, args: BertCallArgs = {}): Tensor {
    return this.head.call(this.bert.call(input, args).lastHiddenState);
  }

  predict(input: BertInput): Tensor {
    return ENGINE.tidy(() => this.call(input));
  }

  /**
   * Mean cross-entropy over the positions whose label is not IGNORE_INDEX (labels [B, T]); the vocabulary
   * projection runs only on those rows. A scalar 0 when no position is labelled.
   */
  loss(input: BertInput, labels: LabelsLike, args: BertCallArgs = {}): Tensor {
    const values = labelValuesSync(labels);
    const { inputIds } = bertInputTensors(input);
    if (values.length !== inputIds.size) throw new Error(`BertForMaskedLM.loss: labels must be [${inputIds.shape}] like inputIds, got ${values.length} values`);
    const positions: number[] = [];
    const targets: number[] = [];
    values.forEach((label, i) => {
      if (label === IGNORE_INDEX) return;
      if (!(label >= 0 && label < this.config.vocabSize)) throw new Error(`BertForMaskedLM.loss: label ${label} at ${i} is outside [0, ${this.config.vocabSize})`);
      positions.push(i);
      targets.push(label);
    });
    if (positions.length === 0) return ops.scalar(0);
    const hidden = this.bert.call(input, args).lastHiddenState;
    const rows = ops.gather(ops.reshape(hidden, [-1, this.config.hiddenSize]), ops.tensor(positions, [positions.length], 'int32'), 0);
    const logits = this.head.call(rows);
    return ops.losses.sparseSoftmaxCrossEntropy(ops.tensor(targets, [targets.length], 'int32'), logits, null, Reduction.MEAN);
  }

  static async fromPretrained(dir: string, options: FromPretrainedOptions = {}) {
    return fromPretrained(dir, options, (config) => new BertForMaskedLM(config, { seed: options.seed }));
  }

  async save(dir: string): Promise<void> {
    await saveBertFolder(dir, this.config, this.weights, 'BertForMaskedLM');
  }

  dispose(): void {
    for (const layer of this.layers) layer.dispose();
  }
}
