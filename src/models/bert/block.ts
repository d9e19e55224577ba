// Building blocks shared by the BERT modules: a composite Layer that owns its parts' weights (so
// `trainable`, saving and disposal act on the whole block), and the factories that give every part its
// Hugging Face module path as its name ('bert.encoder.layer.0.attention.self.query'), so a weight's
// original name reads 'bert.encoder.layer.0.attention.self.query/kernel'.
import type { Tensor } from '../../tensor.js';
import { Dense, Dropout } from '../../nn/layers/core.js';
import { Embedding } from '../../nn/layers/embedding.js';
import { LayerNormalization } from '../../nn/layers/layer-normalization.js';
import { TruncatedNormal, Zeros } from '../../nn/initializers.js';
import { Layer, type CallArgs } from '../../nn/layer.js';
import type { SymbolicShape } from '../../nn/symbolic.js';
import type { BertConfig } from './config.js';

/** Seeds the weight initializers of one model: each weight draws from its own seed after `base`. */
export class SeedSequence {
  private next: number | undefined;
  constructor(base?: number) {
    this.next = base;
  }
  take(): number | undefined {
    return this.next === undefined ? undefined : this.next++;
  }
}

/** A Layer made of sub-layers built up front; it owns their weights. Subclasses implement call(). */
export abstract class BertBlock extends Layer {
  protected readonly parts: Layer[] = [];

  /** Registers a built part: its weights become this block's. */
  protected own<T extends Layer>(part: T): T {
    part.built = true;
    this.parts.push(part);
    this.ownTrainableWeights.push(...part.trainableWeights);
    this.ownNonTrainableWeights.push(...part.nonTrainableWeights);
    return part;
  }

  override set trainable(value: boolean) {
    super.trainable = value;
    for (const part of this.parts) part.trainable = value;
  }
  override get trainable(): boolean {
    return super.trainable;
  }

  /** Blocks are built in their constructors. */
  override build(_shape: SymbolicShape | SymbolicShape[]): void {
    this.built = true;
  }

  abstract override call(inputs: Tensor | Tensor[], kwargs: CallArgs): Tensor | Tensor[];
}

/** A Linear layer (Hugging Face nn.Linear) as a sinew dense: kernel [in, out], bias [out]. */
export function linear(name: string, inputs: number, units: number, config: BertConfig, seeds: SeedSequence, activation = 'linear'): Dense {
  const layer = new Dense({
    name,
    units,
    activation,
    kernelInitializer: new TruncatedNormal({ stddev: config.initializerRange, seed: seeds.take() }),
    biasInitializer: new Zeros(),
  });
  layer.build([null, inputs]);
  layer.built = true;
  return layer;
}

export function layerNorm(name: string, width: number, config: BertConfig): LayerNormalization {
  const layer = new LayerNormalization({ name, epsilon: config.layerNormEps });
  layer.build([null, width]);
  layer.built = true;
  return layer;
}

export function embedding(name: string, rows: number, width: number, config: BertConfig, seeds: SeedSequence): Embedding {
  const layer = new Embedding({
    name,
    inputDim: rows,
    outputDim: width,
    embeddingsInitializer: new TruncatedNormal({ stddev: config.initializerRange, seed: seeds.take() }),
  });
  layer.build();
  layer.built = true;
  return layer;
}

export function dropout(name: string, rate: number): Dropout {
  return new Dropout({ name, rate });
}
