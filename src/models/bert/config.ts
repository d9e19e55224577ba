// BertConfig: the sizes and options of a BERT model, with Hugging Face's BertConfig names in camelCase
// and its defaults (bert-base-uncased), read from and written to config.json's snake_case keys.
//
//   const config = bertConfig({vocabSize: 1000, hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 128});
//   const same = bertConfigFromJSON(JSON.parse(fs.readFileSync('config.json', 'utf8')));

export type BertActivation = 'gelu' | 'gelu_new' | 'relu' | 'tanh';

export interface BertConfig {
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  /** Feed-forward and MLM-transform activation; 'gelu' is the exact erf form (Hugging Face's default). */
  hiddenAct: BertActivation;
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  /** Standard deviation of the truncated-normal weight initializer. */
  initializerRange: number;
  layerNormEps: number;
  padTokenId: number;
}

export const BERT_BASE_CONFIG: Readonly<BertConfig> = Object.freeze({
  vocabSize: 30522,
  hiddenSize: 768,
  numHiddenLayers: 12,
  numAttentionHeads: 12,
  intermediateSize: 3072,
  hiddenAct: 'gelu',
  hiddenDropoutProb: 0.1,
  attentionProbsDropoutProb: 0.1,
  maxPositionEmbeddings: 512,
  typeVocabSize: 2,
  initializerRange: 0.02,
  layerNormEps: 1e-12,
  padTokenId: 0,
});

const ACTIVATIONS: readonly string[] = ['gelu', 'gelu_new', 'relu', 'tanh'];

/** A full config from a partial one (bert-base defaults), validated; throws naming the bad field. */
export function bertConfig(partial: Partial<BertConfig> = {}): BertConfig {
  const config: BertConfig = { ...BERT_BASE_CONFIG, ...stripUndefined(partial) };
  const positiveInts: (keyof BertConfig)[] = [
    'vocabSize', 'hiddenSize', 'numHiddenLayers', 'numAttentionHeads', 'intermediateSize', 'maxPositionEmbeddings', 'typeVocabSize',
  ];
  for (const key of positiveInts) {
    const value = config[key];
    if (!Number.isInteger(value) || (value as number) < 1) throw new Error(`BertConfig: ${key} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  if (config.hiddenSize % config.numAttentionHeads !== 0) {
    throw new Error(`BertConfig: hiddenSize ${config.hiddenSize} is not divisible by numAttentionHeads ${config.numAttentionHeads}`);
  }
  if (!ACTIVATIONS.includes(config.hiddenAct)) {
    throw new Error(`BertConfig: hiddenAct must be one of ${ACTIVATIONS.join(', ')}, got ${JSON.stringify(config.hiddenAct)}`);
  }
  for (const key of ['hiddenDropoutProb', 'attentionProbsDropoutProb'] as const) {
    const p = config[key];
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new Error(`BertConfig: ${key} must be in [0, 1), got ${JSON.stringify(p)}`);
  }
  if (!(config.layerNormEps > 0)) throw new Error(`BertConfig: layerNormEps must be positive, got ${config.layerNormEps}`);
  if (!(config.initializerRange > 0)) throw new Error(`BertConfig: initializerRange must be positive, got ${config.initializerRange}`);
  return config;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** camelCase field ↔ Hugging Face config.json key. */
const JSON_KEYS: Record<keyof BertConfig, string> = {
  vocabSize: 'vocab_size',
  hiddenSize: 'hidden_size',
  numHiddenLayers: 'num_hidden_layers',
  numAttentionHeads: 'num_attention_heads',
  intermediateSize: 'intermediate_size',
  hiddenAct: 'hidden_act',
  hiddenDropoutProb: 'hidden_dropout_prob',
  attentionProbsDropoutProb: 'attention_probs_dropout_prob',
  maxPositionEmbeddings: 'max_position_embeddings',
  typeVocabSize: 'type_vocab_size',
  initializerRange: 'initializer_range',
  layerNormEps: 'layer_norm_eps',
  padTokenId: 'pad_token_id',
};

/** A config from a Hugging Face config.json object (snake_case; camelCase keys are accepted too). */
export function bertConfigFromJSON(json: Record<string, unknown>): BertConfig {
  if (json.model_type !== undefined && json.model_type !== 'bert') {
    throw new Error(`BertConfig: config.json is for model_type '${String(json.model_type)}', not 'bert'`);
  }
  if (json.position_embedding_type !== undefined && json.position_embedding_type !== 'absolute') {
    throw new Error(`BertConfig: position_embedding_type '${String(json.position_embedding_type)}' is not supported (only 'absolute')`);
  }
  const partial: Record<string, unknown> = {};
  for (const [field, key] of Object.entries(JSON_KEYS)) {
    const value = json[key] ?? json[field];
    if (value !== undefined && value !== null) partial[field] = value;
  }
  return bertConfig(partial as Partial<BertConfig>);
}

/** Only the given fields of a partial config, under their config.json keys (for overriding a loaded config.json). */
export function partialConfigToJSON(partial: Partial<BertConfig>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(partial)) {
    const key = JSON_KEYS[field as keyof BertConfig];
    if (!key) throw new Error(`BertConfig: unknown field '${field}'`);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** The config.json object Hugging Face's BertConfig writes (with model_type and architectures). */
export function bertConfigToJSON(config: BertConfig, architecture?: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const json: Record<string, unknown> = { model_type: 'bert' };
  if (architecture) json.architectures = [architecture];
  for (const [field, key] of Object.entries(JSON_KEYS)) json[key] = config[field as keyof BertConfig];
  json.position_embedding_type = 'absolute';
  return { ...json, ...extra };
}
