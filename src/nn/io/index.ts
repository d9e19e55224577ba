// sinew's tfjs-compatible model IO: the Layers format (model.json + weights.bin), its handlers
// (file://, http(s)://, indexeddb://, localstorage://, downloads://, browser files, in memory) and the `io` namespace that tf.io re-exports.
import { fromMemory, withSaveHandler } from './memory.js';
import { fileSystem } from './file.js';
import { http } from './http.js';
import { getLoadHandler, getSaveHandler } from './router.js';
import { concatenateBuffers, decodeWeights, encodeWeightsAsync } from './weights.js';
import { artifactsInfo } from './artifacts.js';
import { browserIndexedDB } from './indexed-db.js';
import { browserLocalStorage } from './local-storage.js';
import { browserDownloads, browserFiles } from './browser-files.js';
import { copyModel, listModels, moveModel, removeModel } from './model-management.js';

export type {
  IOHandler, LoadHandler, LoadOptions, ModelArtifacts, ModelArtifactsInfo, ModelJSON, QuantizationDType, SaveHandler,
  SaveResult, TrainingConfig, WeightData, WeightDType, WeightsManifestConfig, WeightsManifestEntry, WeightsManifestGroupConfig,
} from './types.js';
export type { DecodedWeight, NamedWeight } from './weights.js';
export type { FileOperations } from './file.js';
export type { ModelStoreManager } from './model-store.js';
export { fromMemory, withSaveHandler, fileSystem, http, getLoadHandler, getSaveHandler };
export { browserIndexedDB, browserLocalStorage, browserDownloads, browserFiles, copyModel, listModels, moveModel, removeModel };
export { arrayBufferToBase64, base64ToArrayBuffer } from './base64.js';
export { decodeWeights, decodeWeightValues, encodeWeights, float16ToFloat32 } from './weights.js';
export { parseModelJSON, validateModelJSON, modelJSONFromArtifacts, artifactsFromModelJSON, artifactsInfo } from './artifacts.js';

/** The tf.io namespace (tfjs names). */
export const io = {
  fromMemory,
  withSaveHandler,
  fileSystem,
  http,
  browserHTTPRequest: http,
  getSaveHandlers: (url: string) => [getSaveHandler(url)],
  getLoadHandlers: (url: string) => [getLoadHandler(url)],
  encodeWeights: encodeWeightsAsync,
  decodeWeights,
  concatenateArrayBuffers: concatenateBuffers,
  getModelArtifactsInfoForJSON: artifactsInfo,
  browserIndexedDB,
  browserLocalStorage,
  browserDownloads,
  browserFiles,
  listModels,
  copyModel,
  moveModel,
  removeModel,
};
export { saveModel, loadLayersModel } from './model-io.js';
export type { SaveConfig } from './model-io.js';
