// sinew: tfjs-style tensors, autograd and kernels on WebAssembly SIMD + threads.
// `import * as tf from 'sinew'` gives the same names as @tensorflow/tfjs-core for what it covers.
import { ENGINE } from './engine.js';
import './backends.js';
import './ops/chain.js';

export { Tensor } from './tensor.js';
export type { TensorLike, NestedArray } from './tensor.js';
export { Variable } from './variable.js';
export type { DType, Shape, TypedArray, Backend } from './backend/backend.js';
export { setThreads, backendInfo, setWebGPUOptions } from './backends.js';
export { setWasmPaths } from './runtime/wasm-paths.js';
export type { WasmFileName } from './runtime/wasm-paths.js';
export type { BackendInfo } from './backends.js';
export type { MemoryInfo } from './engine.js';
export * from './autograd/gradients.js';
export * from './ops/index.js';
export { Reduction } from './ops/losses.js';
export * from './nn/index.js';
// The layer class wins over the fused-matMul activation type of the same name (tfjs exports neither at top level).
export { Activation } from './nn/index.js';
export { data, preprocessing, Dataset } from './data/index.js';
export {
  train, Optimizer, SGDOptimizer, MomentumOptimizer, AdamOptimizer, AdamWOptimizer, RMSPropOptimizer, AdagradOptimizer,
} from './optimizers/index.js';
export type { NamedTensor, NamedTensorMap, OptimizerConfig } from './optimizers/index.js';

/** Resolves when the backend is fully up (its worker threads running). Ops work before it too. */
export const ready = (): Promise<void> => ENGINE.ready();
export const setBackend = async (name: string): Promise<boolean> => {
  ENGINE.setBackend(name);
  await ENGINE.ready();
  return true;
};
export const getBackend = (): string => ENGINE.getBackend();
export const tidy = <T>(nameOrFn: string | (() => T), fn?: () => T): T => ENGINE.tidy(nameOrFn, fn);
export const keep = <T extends import('./tensor.js').Tensor>(t: T): T => ENGINE.keep(t);
export const dispose = (container: unknown): void => disposeAll(container);
export const memory = () => ENGINE.memory();

function disposeAll(container: unknown, seen = new Set<unknown>()): void {
  if (!container || typeof container !== 'object' || seen.has(container)) return;
  seen.add(container);
  if (typeof (container as { dispose?: unknown }).dispose === 'function' && 'storage' in (container as object)) {
    (container as { dispose(): void }).dispose();
    return;
  }
  for (const value of Array.isArray(container) ? container : Object.values(container)) disposeAll(value, seen);
}

// Tokenizers (tf.text.*; AutoTokenizer also at top level, as Hugging Face users reach for it).
export * as text from './text/index.js';
export { AutoTokenizer, Tokenizer, BatchEncoding } from './text/index.js';
// A word-level tokenizer and vocabulary for small models trained from scratch.
export { Vocabulary, splitWords, padIds, PAD_ID, UNK_ID, PAD_TOKEN, UNK_TOKEN } from './text/words.js';
export type { VocabularyOptions, PadOptions } from './text/words.js';
// Attention weights (or any matrix) as an SVG heat map.
export { heatmapSvg, writeHeatmapSvg } from './viz/heatmap.js';
export type { HeatmapPanel, HeatmapOptions } from './viz/heatmap.js';
// Weight files and training checkpoints.
export {
  readSafetensors, decodeSafetensors, encodeSafetensors, writeSafetensors, readHuggingFaceFolder, loadWeightsInto,
  saveCheckpoint, loadCheckpoint, checkpointCallback,
} from './io/index.js';
export type {
  SafetensorsFile, RawSafetensor, SafetensorsDtype, WeightTarget, LoadWeightsReport, LoadedCheckpoint,
  CheckpointCallbackArgs,
} from './io/index.js';
// Pretrained model families (tf.models.*; the BERT classes also at top level, as Hugging Face users name them).
export * as models from './models/index.js';
export { browser } from './browser/index.js'; // pixels ⇄ tensors in pages (tf.browser.fromPixels, toPixels, draw)
export {
  BertModel, BertForSequenceClassification, BertForMaskedLM, bertConfig, GroupedAdamW, bertParameterGroups,
} from './models/index.js';
export type { BertConfig } from './models/index.js';
