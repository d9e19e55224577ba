// localstorage://name: models in the origin's localStorage under tfjs's keys, so both libraries read
// each other's saves:
//   tensorflowjs_models/<name>/info            JSON ModelArtifactsInfo
//   tensorflowjs_models/<name>/model_topology  JSON topology
//   tensorflowjs_models/<name>/weight_specs    JSON manifest entries
//   tensorflowjs_models/<name>/weight_data     base64 of the concatenated weights
//   tensorflowjs_models/<name>/model_metadata  JSON {format, generatedBy, convertedBy, trainingConfig, ...}
// localStorage has no transactions: a save remembers the previous values of its keys and puts them
// back if any write fails (a full quota), so a failed save leaves the store as it was.
import { artifactsInfo } from './artifacts.js';
import { arrayBufferToBase64, base64ToArrayBuffer } from './base64.js';
import { isQuotaError, missingModelError, modelPath, pageStorage, type ModelStoreManager } from './model-store.js';
import { weightDataBuffer } from './weights.js';
import type { IOHandler, ModelArtifacts, ModelArtifactsInfo, SaveResult } from './types.js';

export const LOCAL_STORAGE_SCHEME = 'localstorage://';
const KEY_PREFIX = 'tensorflowjs_models/';
const INFO_SUFFIX = '/info';
const MEDIUM = 'localStorage';
/** The artifacts fields kept in model_metadata (tfjs's list). */
const METADATA_FIELDS = ['format', 'generatedBy', 'convertedBy', 'signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature', 'trainingConfig'] as const;

function modelKeys(path: string) {
  const base = KEY_PREFIX + path;
  return {
    info: `${base}/info`,
    topology: `${base}/model_topology`,
    weightSpecs: `${base}/weight_specs`,
    weightData: `${base}/weight_data`,
    metadata: `${base}/model_metadata`,
  };
}

function storage(what: string): Storage {
  return pageStorage<Storage>('localStorage', 'localStorage', what, 'it needs a browser page; workers have none', 'use indexeddb:// in a worker or file:// in Node');
}

/** Model paths stored in `store` (keys ending in /info under the prefix). */
function storedPaths(store: Storage): string[] {
  const paths: string[] = [];
  for (let i = 0; i < store.length; i++) {
    const key = store.key(i);
    if (key?.startsWith(KEY_PREFIX) && key.endsWith(INFO_SUFFIX) && key.length > KEY_PREFIX.length + INFO_SUFFIX.length) {
      paths.push(key.slice(KEY_PREFIX.length, -INFO_SUFFIX.length));
    }
  }
  return paths.sort();
}

/** IO handler for localstorage://name (`name` with or without the scheme). */
export function browserLocalStorage(url: string): IOHandler {
  const path = modelPath(url, LOCAL_STORAGE_SCHEME, 'io.browserLocalStorage');
  const store = storage(LOCAL_STORAGE_SCHEME + path);
  return { save: async (artifacts) => saveModel(store, path, artifacts), load: async () => loadModel(store, path) };
}

function saveModel(store: Storage, path: string, artifacts: ModelArtifacts): SaveResult {
  const url = LOCAL_STORAGE_SCHEME + path;
  if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error(`save to ${url}: binary (GraphDef) model topologies are not supported`);
  const modelArtifactsInfo = artifactsInfo(artifacts);
  const keys = modelKeys(path);
  const metadata: Record<string, unknown> = {};
  for (const field of METADATA_FIELDS) if (artifacts[field] != null) metadata[field] = artifacts[field];
  const entries: [string, string][] = [
    [keys.info, JSON.stringify(modelArtifactsInfo)],
    [keys.topology, JSON.stringify(artifacts.modelTopology)],
    [keys.weightSpecs, JSON.stringify(artifacts.weightSpecs)],
    [keys.weightData, arrayBufferToBase64(artifacts.weightData == null ? new ArrayBuffer(0) : weightDataBuffer(artifacts.weightData))],
    [keys.metadata, JSON.stringify(metadata)],
  ];
  const previous = entries.map(([key]) => [key, store.getItem(key)] as const);
  let writing = '';
  try {
    for (const [key, value] of entries) {
      writing = key;
      store.setItem(key, value);
    }
  } catch (err) {
    // Remove every key first (freeing the space), then restore the old model's values, if any.
    for (const [key] of previous) store.removeItem(key);
    for (const [key, value] of previous) if (value !== null) store.setItem(key, value);
    const reason = isQuotaError(err)
      ? `the origin's localStorage quota (about 5 MB) is full; base64 weights take ${entries[3][1].length} characters. ` +
        'Use indexeddb:// for larger models or free space with tf.io.removeModel'
      : (err as Error).message;
    throw new Error(`save to ${url} failed while writing ${writing}: ${reason}; nothing was changed`, { cause: err });
  }
  return { modelArtifactsInfo };
}

function readJSON(store: Storage, key: string, url: string, what: string): unknown {
  const text = store.getItem(key);
  if (text === null) throw new Error(`loadLayersModel: ${url} is incomplete: the ${what} (${key}) is missing`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`loadLayersModel: the ${what} of ${url} (${key}) is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

function loadModel(store: Storage, path: string): ModelArtifacts {
  const url = LOCAL_STORAGE_SCHEME + path;
  const keys = modelKeys(path);
  if (store.getItem(keys.info) === null) throw missingModelError('loadLayersModel', LOCAL_STORAGE_SCHEME, path, storedPaths(store), MEDIUM);
  const info = readJSON(store, keys.info, url, 'model info') as ModelArtifactsInfo;
  if (info.modelTopologyType !== 'JSON') throw new Error(`loadLayersModel: ${url} holds a ${info.modelTopologyType} topology; only JSON (Layers) is supported`);
  const artifacts: ModelArtifacts = {
    modelTopology: readJSON(store, keys.topology, url, 'model topology') as {},
    weightSpecs: readJSON(store, keys.weightSpecs, url, 'weight specs') as ModelArtifacts['weightSpecs'],
  };
  // model_metadata is optional: tfjs before 1.x did not write it.
  if (store.getItem(keys.metadata) !== null) {
    const metadata = readJSON(store, keys.metadata, url, 'model metadata') as Record<string, unknown>;
    for (const field of METADATA_FIELDS) if (metadata[field] != null) (artifacts as Record<string, unknown>)[field] = metadata[field];
  }
  const weights = store.getItem(keys.weightData);
  if (weights === null) throw new Error(`loadLayersModel: ${url} is incomplete: the weight data (${keys.weightData}) is missing`);
  artifacts.weightData = base64ToArrayBuffer(weights, `the weight data of ${url} (${keys.weightData})`);
  return artifacts;
}

/** listModels / removeModel over localstorage://. */
export const localStorageManager: ModelStoreManager = {
  scheme: LOCAL_STORAGE_SCHEME,
  async listModels() {
    const store = storage('listModels');
    const models: Record<string, ModelArtifactsInfo> = {};
    for (const path of storedPaths(store)) {
      const info = JSON.parse(store.getItem(modelKeys(path).info)!) as ModelArtifactsInfo;
      // JSON turns the Date into a string; give it back as IndexedDB does.
      models[path] = { ...info, dateSaved: new Date(info.dateSaved) };
    }
    return models;
  },
  async removeModel(url) {
    const path = modelPath(url, LOCAL_STORAGE_SCHEME, 'removeModel');
    const store = storage(`removeModel(${LOCAL_STORAGE_SCHEME}${path})`);
    const keys = modelKeys(path);
    const infoText = store.getItem(keys.info);
    if (infoText === null) throw missingModelError('removeModel', LOCAL_STORAGE_SCHEME, path, storedPaths(store), MEDIUM);
    for (const key of Object.values(keys)) store.removeItem(key);
    const info = JSON.parse(infoText) as ModelArtifactsInfo;
    return { ...info, dateSaved: new Date(info.dateSaved) };
  },
};

/** Whether this host has a usable localStorage. */
export function hasLocalStorage(): boolean {
  try {
    return (globalThis as { localStorage?: Storage }).localStorage != null;
  } catch {
    return false;
  }
}
