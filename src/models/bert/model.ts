// BertModel: embeddings → N encoder layers → pooler (dense tanh on [CLS]), as Hugging Face's BertModel,
// and the machinery every BERT model shares: inputs, the weight list, freezing, and the Hugging Face
// folder layout (config.json + model.safetensors) for fromPretrained / save.
//   inputIds, tokenTypeIds, attentionMask: [B, T] → lastHiddenState [B, T, H], poolerOutput [B, H]
//
//   const bert = new BertModel(bertConfig({vocabSize: 1000, hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 128}));
//   const {lastHiddenState} = bert.call({inputIds, attentionMask});
import { nodeFileSystem } from '../../runtime/node-fs.js';
import type { Tensor } from '../../tensor.js';
import * as ops from '../../ops/index.js';
import { ENGINE } from '../../engine.js';
import type { Layer, LayerVariable } from '../../nn/layer.js';
import type { Dense } from '../../nn/layers/core.js';
import type { EncodedTensors } from '../../text/encoding.js';
import { readHuggingFaceFolder } from '../../io/hf-folder.js';
import type { SafetensorsFile } from '../../io/safetensors.js';
import { loadWeightsInto, type WeightTarget } from '../../io/hf-folder.js';
import { writeSafetensors } from '../../io/safetensors.js';
import { bertConfig, bertConfigFromJSON, bertConfigToJSON, partialConfigToJSON, type BertConfig } from './config.js';
import { linear, SeedSequence } from './block.js';
import { BertEmbeddings } from './embeddings.js';
import { BertLayer, type AttentionPath } from './encoder.js';
import { huggingFaceToSinew, sinewToHuggingFace } from './hf-names.js';

type IdsLike = Tensor | number[][];

/** Token ids and their masks, as tensors or nested arrays ([B, T] each); or a tokenizer's batch encoding. */
export type BertInput =
  | { inputIds: IdsLike; attentionMask?: IdsLike | null; tokenTypeIds?: IdsLike | null }
  | { toTensors(): EncodedTensors };

export interface BertCallArgs {
  /** Dropout on (training) or off (default). */
  training?: boolean;
}

export interface BertOutput {
  lastHiddenState: Tensor;
  poolerOutput: Tensor | null;
}

export interface BertModelOptions {
  /** Whether to build the pooler (default true; BertForMaskedLM has none, as Hugging Face). */
  addPoolingLayer?: boolean;
  /** Seed of the weight initializers; unseeded when omitted. */
  seed?: number;
}

function intTensor(value: IdsLike, name: string): Tensor {
  const t = value instanceof Array ? ops.tensor(value, undefined, 'int32') : value;
  if (t.rank !== 2) throw new Error(`BERT: ${name} must be [batch, steps], got [${t.shape}]`);
  return t.dtype === 'int32' ? t : ops.cast(t, 'int32');
}

/** The inputs as int32 tensors [B, T] (attentionMask and tokenTypeIds null when not given). */
export function bertInputTensors(input: BertInput): { inputIds: Tensor; attentionMask: Tensor | null; tokenTypeIds: Tensor | null } {
  const given = 'inputIds' in input ? input : input.toTensors();
  const inputIds = intTensor(given.inputIds, 'inputIds');
  const check = (value: IdsLike | null | undefined, name: string) => {
    if (value === null || value === undefined) return null;
    const t = intTensor(value, name);
    if (t.shape[0] !== inputIds.shape[0] || t.shape[1] !== inputIds.shape[1]) {
      throw new Error(`BERT: ${name} must be [${inputIds.shape}] like inputIds, got [${t.shape}]`);
    }
    return t;
  };
  return { inputIds, attentionMask: check(given.attentionMask, 'attentionMask'), tokenTypeIds: check(given.tokenTypeIds, 'tokenTypeIds') };
}

/** Weights of a list of layers, each once, in layer order (stable whether a layer is frozen or not). */
export function weightsOf(layers: Layer[]): LayerVariable[] {
  const seen = new Set<LayerVariable>();
  const out: LayerVariable[] = [];
  for (const layer of layers) for (const w of layer.weights) if (!seen.has(w)) seen.add(w), out.push(w);
  return out;
}

/** The BERT encoder. Weight names follow Hugging Face module paths under 'bert.'. */
export class BertModel {
  readonly config: BertConfig;
  readonly embeddings: BertEmbeddings;
  readonly encoder: BertLayer[];
  readonly pooler: Dense | null;
  /** A checkpoint without a pooler (an MLM one) leaves it freshly initialized. */
  readonly newWeightPrefixes: readonly string[] = ['bert.pooler.'];

  constructor(config: Partial<BertConfig> | BertConfig, options: BertModelOptions = {}, seeds = new SeedSequence(options.seed)) {
    this.config = bertConfig(config);
    this.embeddings = new BertEmbeddings(this.config, 'bert.embeddings', seeds);
    this.encoder = Array.from({ length: this.config.numHiddenLayers }, (_, i) => new BertLayer(this.config, `bert.encoder.layer.${i}`, seeds));
    const H = this.config.hiddenSize;
    this.pooler = options.addPoolingLayer === false ? null : linear('bert.pooler.dense', H, H, this.config, seeds, 'tanh');
  }

  /** Embeddings, encoder layers, pooler: set `trainable` on any of them to freeze it. */
  get layers(): Layer[] {
    return [this.embeddings, ...this.encoder, ...(this.pooler ? [this.pooler] : [])];
  }
  get weights(): LayerVariable[] {
    return weightsOf(this.layers);
  }
  get trainableWeights(): LayerVariable[] {
    return this.weights.filter((w) => w.trainable);
  }

  /** Freezes the embeddings and/or the lowest `layers` encoder layers; everything else is made trainable. */
  freeze({ embeddings = false, layers = 0 }: { embeddings?: boolean; layers?: number } = {}): void {
    this.embeddings.trainable = !embeddings;
    this.encoder.forEach((layer, i) => (layer.trainable = i >= layers));
    if (this.pooler) this.pooler.trainable = true;
  }

  /** Selects the fused attention kernel (default) or the unfused matMul/softmax ops in every layer. */
  setAttentionPath(path: AttentionPath): void {
    for (const layer of this.encoder) layer.attentionPath = path;
  }

  /** The forward pass; the caller owns the outputs (call inside tf.tidy to free the intermediates). */
  call(input: BertInput, { training = false }: BertCallArgs = {}): BertOutput {
    const { inputIds, attentionMask, tokenTypeIds } = bertInputTensors(input);
    const [batch, steps] = inputIds.shape;
    // Key padding [B, 1, 1, T]: padded tokens are hidden as keys (their own rows are computed and ignored).
    const keyMask = attentionMask ? ops.reshape(ops.cast(attentionMask, 'float32'), [batch, 1, 1, steps]) : null;
    let hidden = this.embeddings.call(tokenTypeIds ? [inputIds, tokenTypeIds] : [inputIds], { training });
    for (const layer of this.encoder) hidden = layer.call(hidden, { training, keyMask });
    const poolerOutput = this.pooler
      ? (this.pooler.call(ops.reshape(ops.slice(hidden, [0, 0, 0], [batch, 1, -1]), [batch, this.config.hiddenSize])) as Tensor)
      : null;
    return { lastHiddenState: hidden, poolerOutput };
  }

  /** Inference: the last hidden state [B, T, H] (intermediates freed). */
  predict(input: BertInput): Tensor {
    return ENGINE.tidy(() => this.call(input).lastHiddenState);
  }

  static async fromPretrained(dir: string, options: FromPretrainedOptions = {}): Promise<BertModel> {
    return fromPretrained(dir, options, (config) => new BertModel(config, { seed: options.seed }));
  }

  async save(dir: string): Promise<void> {
    await saveBertFolder(dir, this.config, this.weights, 'BertModel');
  }

  dispose(): void {
    for (const layer of this.layers) layer.dispose();
  }
}

export interface FromPretrainedOptions {
  /** Overrides of config.json (e.g. dropout rates); sizes must agree with the weights. */
  config?: Partial<BertConfig>;
  /** Seed of the weights the checkpoint does not hold (a new classifier head). */
  seed?: number;
}

/** What a model gives the shared loader: its weights, and which of them may be absent from a checkpoint. */
export interface PretrainedTarget {
  readonly weights: LayerVariable[];
  /** Weight names (prefixes) that are freshly initialized when a checkpoint lacks them: a new head. */
  readonly newWeightPrefixes: readonly string[];
}

export interface LoadReport {
  /** Sinew weights initialized fresh because the checkpoint lacks them (a new task head). */
  newlyInitialized: string[];
  /** Checkpoint weights ignored: derived or tied ones, and heads this model does not have. */
  ignored: string[];
}

/** Checkpoint prefixes of heads a model may lack: ignored rather than reported as unexpected. */
const OTHER_HEAD_PREFIXES = ['cls.', 'classifier.', 'bert.pooler.', 'pooler.', 'qa_outputs.'];

/**
 * Copies a Hugging Face BERT checkpoint's weights into `target`. Throws naming every problem before writing
 * anything: a weight the checkpoint lacks (outside the new-head prefixes), a checkpoint weight with no
 * counterpart (outside other heads), a shape that does not fit the config.
 */
export function loadBertWeights(target: PretrainedTarget, file: SafetensorsFile): LoadReport {
  const byName = new Map(target.weights.map((w) => [w.originalName, w]));
  const plan = new Map<string, WeightTarget>();
  const ignored: string[] = [];
  const unexpected: string[] = [];
  for (const name of file.names) {
    const mapped = huggingFaceToSinew(name);
    const sinewName = mapped === null ? null : typeof mapped === 'string' ? mapped : mapped.name;
    if (sinewName !== null && byName.has(sinewName)) plan.set(name, mapped);
    else if (sinewName === null || OTHER_HEAD_PREFIXES.some((p) => name.startsWith(p))) ignored.push(name);
    else unexpected.push(`'${name}' (→ '${sinewName}')`);
  }
  const covered = new Set([...plan.values()].map((t) => (typeof t === 'string' ? t : t!.name)));
  const missing = target.weights.map((w) => w.originalName).filter((n) => !covered.has(n));
  const newlyInitialized = missing.filter((n) => target.newWeightPrefixes.some((p) => n.startsWith(p)));
  const absent = missing.filter((n) => !newlyInitialized.includes(n));
  const problems: string[] = [];
  if (absent.length > 0) problems.push(`weights missing from ${file.source}: ${absent.join(', ')}`);
  if (unexpected.length > 0) problems.push(`weights in ${file.source} that this model does not have: ${unexpected.join(', ')}`);
  if (problems.length > 0) throw new Error(`BERT fromPretrained: ${problems.join('; ')}`);
  // Shapes (against the config) are checked by loadWeightsInto before anything is written.
  const targets = new Map([...byName].filter(([n]) => covered.has(n)));
  try {
    loadWeightsInto(targets, file, (name) => plan.get(name) ?? null, { strict: true });
  } catch (err) {
    throw new Error(`BERT fromPretrained: the checkpoint does not fit the config: ${(err as Error).message}`, { cause: err });
  }
  return { newlyInitialized, ignored };
}

/** Reads a Hugging Face BERT folder: config.json (with overrides) → build → load weights. */
export async function fromPretrained<M extends PretrainedTarget & { dispose(): void }>(
  dir: string, options: FromPretrainedOptions, build: (config: BertConfig) => M,
): Promise<M & { loadReport?: LoadReport }> {
  const folder = await readHuggingFaceFolder(dir);
  try {
    const config = bertConfigFromJSON({ ...folder.config, ...partialConfigToJSON(options.config ?? {}) });
    const model = build(config) as M & { loadReport?: LoadReport };
    try {
      model.loadReport = loadBertWeights(model, folder.weights);
    } catch (err) {
      model.dispose();
      throw err;
    }
    return model;
  } finally {
    folder.close();
  }
}

/** Writes config.json and model.safetensors with Hugging Face names (Linear weights back to [out, in]). */
export async function saveBertFolder(dir: string, config: BertConfig, weights: LayerVariable[], architecture: string, extraConfig: Record<string, unknown> = {}): Promise<void> {
  const { fs, path } = await nodeFileSystem('saveBertFolder');
  await fs.mkdir(dir, { recursive: true });
  const tensors: Record<string, Tensor> = {};
  const temporaries: Tensor[] = [];
  try {
    for (const w of weights) {
      const { name, transpose } = sinewToHuggingFace(w.originalName);
      const value = transpose ? ops.transpose(w.read()) : w.read();
      if (transpose) temporaries.push(value);
      tensors[name] = value;
    }
    await writeSafetensors(path.join(dir, 'model.safetensors'), tensors, { metadata: { format: 'pt' } });
  } finally {
    for (const t of temporaries) t.dispose();
  }
  const json = bertConfigToJSON(config, architecture, extraConfig);
  await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(json, null, 2) + '\n');
}
