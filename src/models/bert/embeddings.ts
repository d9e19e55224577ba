// BERT's input embeddings: word + position + token type, then layer norm and dropout.
//   inputIds, tokenTypeIds: [B, T] int32 → [B, T, H]        (positions 0..T-1, T ≤ maxPositionEmbeddings)
import type { Tensor } from '../../tensor.js';
import * as ops from '../../ops/index.js';
import type { CallArgs } from '../../nn/layer.js';
import type { Dropout } from '../../nn/layers/core.js';
import type { Embedding } from '../../nn/layers/embedding.js';
import type { LayerNormalization } from '../../nn/layers/layer-normalization.js';
import type { BertConfig } from './config.js';
import { BertBlock, dropout, embedding, layerNorm, type SeedSequence } from './block.js';

export class BertEmbeddings extends BertBlock {
  readonly wordEmbeddings: Embedding;
  readonly positionEmbeddings: Embedding;
  readonly tokenTypeEmbeddings: Embedding;
  readonly norm: LayerNormalization;
  private readonly dropout: Dropout;

  /** `prefix` is the module path: 'bert.embeddings'. */
  constructor(readonly config: BertConfig, prefix: string, seeds: SeedSequence) {
    super({ name: prefix });
    const H = config.hiddenSize;
    this.wordEmbeddings = this.own(embedding(`${prefix}.word_embeddings`, config.vocabSize, H, config, seeds));
    this.positionEmbeddings = this.own(embedding(`${prefix}.position_embeddings`, config.maxPositionEmbeddings, H, config, seeds));
    this.tokenTypeEmbeddings = this.own(embedding(`${prefix}.token_type_embeddings`, config.typeVocabSize, H, config, seeds));
    this.norm = this.own(layerNorm(`${prefix}.LayerNorm`, H, config));
    this.dropout = dropout(`${prefix}.dropout`, config.hiddenDropoutProb);
  }
  getClassName() { return 'BertEmbeddings'; }

  /** inputs: [inputIds, tokenTypeIds?], both [B, T]. */
  call(inputs: Tensor | Tensor[], kwargs: CallArgs): Tensor {
    const [inputIds, tokenTypeIds] = Array.isArray(inputs) ? inputs : [inputs];
    if (inputIds.rank !== 2) throw new Error(`BertEmbeddings: inputIds must be [batch, steps], got [${inputIds.shape}]`);
    const [batch, steps] = inputIds.shape;
    if (steps > this.config.maxPositionEmbeddings) {
      throw new Error(`BertEmbeddings: ${steps} steps exceed maxPositionEmbeddings ${this.config.maxPositionEmbeddings}`);
    }
    if (tokenTypeIds && (tokenTypeIds.rank !== 2 || tokenTypeIds.shape[0] !== batch || tokenTypeIds.shape[1] !== steps)) {
      throw new Error(`BertEmbeddings: tokenTypeIds must be [${batch}, ${steps}] like inputIds, got [${tokenTypeIds.shape}]`);
    }
    const words = this.wordEmbeddings.call(inputIds) as Tensor;
    // Positions and types broadcast over the batch: one table slice [T, H] (and [1, H] when all types are 0).
    const positions = ops.slice(this.positionEmbeddings.embeddings!.read(), [0, 0], [steps, -1]);
    const types = tokenTypeIds
      ? (this.tokenTypeEmbeddings.call(tokenTypeIds) as Tensor)
      : ops.slice(this.tokenTypeEmbeddings.embeddings!.read(), [0, 0], [1, -1]);
    const summed = ops.add(ops.add(words, positions), types);
    return this.dropout.call(this.norm.call(summed, {}) as Tensor, kwargs);
  }
}
