// BERT (issue 6): configs, the encoder, task heads, Hugging Face names and folders, MLM data, fine-tuning tools.
export { bertConfig, bertConfigFromJSON, bertConfigToJSON, BERT_BASE_CONFIG, partialConfigToJSON } from './config.js';
export type { BertActivation, BertConfig } from './config.js';
export { BertEmbeddings } from './embeddings.js';
export { BertLayer } from './encoder.js';
export type { AttentionPath, BertLayerCallArgs } from './encoder.js';
export { BertModel, bertInputTensors, loadBertWeights, saveBertFolder } from './model.js';
export type { BertCallArgs, BertInput, BertModelOptions, BertOutput, FromPretrainedOptions, LoadReport } from './model.js';
export { BertForMaskedLM, BertForSequenceClassification, BertLMPredictionHead, IGNORE_INDEX } from './heads.js';
export type { SequenceClassificationOptions } from './heads.js';
export { huggingFaceToSinew, isDerivedHuggingFaceName, sinewToHuggingFace } from './hf-names.js';
export { CompactVocabulary, maskTokens, packSegments, padRows, seededRandom } from './pretrain.js';
export type { MaskedBatch, MaskingOptions } from './pretrain.js';
export { bertDepthOf, bertParameterGroups, GroupedAdamW, trainStep } from './training.js';
export type { ParameterGroup, ParameterGroups, TrainStepOptions } from './training.js';
