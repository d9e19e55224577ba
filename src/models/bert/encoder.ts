// One BERT encoder layer (post-norm, as the original):
//   x: [B, T, H];  heads N of size D = H / N;  key padding mask [B, 1, 1, T] (1 = real token)
//   q, k, v = x·Wq + bq, x·Wk + bk, x·Wv + bv             → [B, N, T, D] each
//   a = softmax(q·kᵀ / √D + mask) · v                      → [B, T, H]   (fused kernel, or unfused ops)
//   h = LayerNorm(x + dropout(a·Wo + bo))
//   y = LayerNorm(h + dropout(gelu(h·W1 + b1)·W2 + b2))
import type { Tensor } from '../../tensor.js';
import * as ops from '../../ops/index.js';
import type { CallArgs } from '../../nn/layer.js';
import type { Dense, Dropout } from '../../nn/layers/core.js';
import type { LayerNormalization } from '../../nn/layers/layer-normalization.js';
import type { BertConfig } from './config.js';
import { BertBlock, dropout, layerNorm, linear, type SeedSequence } from './block.js';

/** 'fused': the flash-style scaledDotProductAttention kernel; 'unfused': matMul + softmax + matMul ops. */
export type AttentionPath = 'fused' | 'unfused';

export interface BertLayerCallArgs extends CallArgs {
  /** Key padding mask [B, 1, 1, T], float 0/1; null when every token is real. */
  keyMask?: Tensor | null;
}

/** The additive score of a masked key in the unfused path (as Hugging Face's extended attention mask). */
const MASKED_SCORE = -1e9;

export class BertLayer extends BertBlock {
  readonly query: Dense;
  readonly key: Dense;
  readonly value: Dense;
  readonly attentionOutput: Dense;
  readonly attentionNorm: LayerNormalization;
  readonly intermediate: Dense;
  readonly output: Dense;
  readonly outputNorm: LayerNormalization;
  private readonly attentionDropout: Dropout;
  private readonly outputDropout: Dropout;
  attentionPath: AttentionPath = 'fused';

  /** `prefix` is the module path: 'bert.encoder.layer.3'. */
  constructor(readonly config: BertConfig, prefix: string, seeds: SeedSequence) {
    super({ name: prefix });
    const H = config.hiddenSize;
    this.query = this.own(linear(`${prefix}.attention.self.query`, H, H, config, seeds));
    this.key = this.own(linear(`${prefix}.attention.self.key`, H, H, config, seeds));
    this.value = this.own(linear(`${prefix}.attention.self.value`, H, H, config, seeds));
    this.attentionOutput = this.own(linear(`${prefix}.attention.output.dense`, H, H, config, seeds));
    this.attentionNorm = this.own(layerNorm(`${prefix}.attention.output.LayerNorm`, H, config));
    this.intermediate = this.own(linear(`${prefix}.intermediate.dense`, H, config.intermediateSize, config, seeds, config.hiddenAct));
    this.output = this.own(linear(`${prefix}.output.dense`, config.intermediateSize, H, config, seeds));
    this.outputNorm = this.own(layerNorm(`${prefix}.output.LayerNorm`, H, config));
    this.attentionDropout = dropout(`${prefix}.attention.output.dropout`, config.hiddenDropoutProb);
    this.outputDropout = dropout(`${prefix}.output.dropout`, config.hiddenDropoutProb);
  }
  getClassName() { return 'BertLayer'; }

  /** [B, T, H] → [B, N, T, D]. */
  private splitHeads(x: Tensor): Tensor {
    const [batch, steps] = x.shape;
    const heads = this.config.numAttentionHeads;
    return ops.transpose(ops.reshape(x, [batch, steps, heads, this.config.hiddenSize / heads]), [0, 2, 1, 3]);
  }

  /** Self-attention of x [B, T, H] → [B, T, H] (before the output projection). */
  private selfAttention(x: Tensor, keyMask: Tensor | null, training: boolean): Tensor {
    const [batch, steps, width] = x.shape;
    const q = this.splitHeads(this.query.call(x) as Tensor);
    const k = this.splitHeads(this.key.call(x) as Tensor);
    const v = this.splitHeads(this.value.call(x) as Tensor);
    const dropoutRate = training ? this.config.attentionProbsDropoutProb : 0;
    let context: Tensor;
    if (this.attentionPath === 'fused') {
      context = ops.scaledDotProductAttention(q, k, v, { mask: keyMask ?? undefined, dropout: dropoutRate });
    } else {
      let scores = ops.mul(ops.matMul(q, k, false, true), 1 / Math.sqrt(width / this.config.numAttentionHeads));
      if (keyMask) scores = ops.add(scores, ops.mul(ops.sub(1, keyMask), MASKED_SCORE));
      let probabilities = ops.softmax(scores);
      if (dropoutRate > 0) {
        probabilities = ops.dropout(probabilities, dropoutRate);
      }
      context = ops.matMul(probabilities, v);
    }
    return ops.reshape(ops.transpose(context, [0, 2, 1, 3]), [batch, steps, width]);
  }

  call(inputs: Tensor | Tensor[], kwargs: BertLayerCallArgs): Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const training = { training: kwargs.training ?? false };
    const attended = this.attentionOutput.call(this.selfAttention(x, kwargs.keyMask ?? null, training.training)) as Tensor;
    const h = this.attentionNorm.call(ops.add(this.attentionDropout.call(attended, training), x), {}) as Tensor;
    const fed = this.output.call(this.intermediate.call(h)) as Tensor;
    return this.outputNorm.call(ops.add(this.outputDropout.call(fed, training), h), {}) as Tensor;
  }
}
