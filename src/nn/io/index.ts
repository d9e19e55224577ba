// sinew's tfjs-compatible model IO: the Layers format (model.json + weights.bin), its handlers
// (file://, http(s)://, in memory) and the `io` namespace that tf.io re-exports.
import { fromMemory, withSaveHandler } from './memory.js';
import { fileSystem } from './file.js';
import { http } from './http.js';
import { getLoadHandler, getSaveHandler } from './router.js';
import { concatenateBuffers, decodeWeights, encodeWeights } from './weights.js';
import { artifactsInfo } from './artifacts.js';

export type {
  IOHandler, LoadHandler, LoadOptions, ModelArtifacts, ModelArtifactsInfo, ModelJSON, QuantizationDType, SaveHandler,
  SaveResult, TrainingConfig, WeightData, WeightDType, WeightsManifestConfig, WeightsManifestEntry, WeightsManifestGroupConfig,
} from './types.js';
export type { DecodedWeight, NamedWeight } from './weights.js';
export type { FileOperations } from './file.js';
export { fromMemory, withSaveHandler, fileSystem, http, getLoadHandler, getSaveHandler };
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
  encodeWeights: async (...args: Parameters<typeof encodeWeights>) => encodeWeights(...args),
  decodeWeights,
  concatenateArrayBuffers: concatenateBuffers,
  getModelArtifactsInfoForJSON: artifactsInfo,
};
export { saveModel, loadLayersModel } from './model-io.js';
export type { SaveConfig } from './model-io.js';
