// indexeddb://name: models in the origin's IndexedDB, in tfjs's layout so both libraries read each
// other's saves: database 'tensorflowjs' (version 1) with two object stores keyed by 'modelPath':
//   models_store     { modelPath, modelArtifacts, modelArtifactsInfo }   (weightData as one ArrayBuffer)
//   model_info_store { modelPath, modelArtifactsInfo }                    (what listModels reads)
// A save writes both records in one transaction, so a full quota leaves neither (tfjs uses two).
import { artifactsInfo } from './artifacts.js';
import { isQuotaError, missingModelError, modelPath, pageStorage, type ModelStoreManager } from './model-store.js';
import { weightDataBuffer } from './weights.js';
import type { IOHandler, ModelArtifacts, ModelArtifactsInfo, SaveResult } from './types.js';

export const INDEXED_DB_SCHEME = 'indexeddb://';
const DATABASE_NAME = 'tensorflowjs';
const DATABASE_VERSION = 1;
const MODEL_STORE = 'models_store';
const INFO_STORE = 'model_info_store';
const MEDIUM = 'IndexedDB';

function factory(what: string): IDBFactory {
  return pageStorage<IDBFactory>('indexedDB', MEDIUM, what, 'it needs a browser page or worker', 'in Node save to file://path instead');
}

function openDatabase(what: string): Promise<IDBDatabase> {
  const idb = factory(what);
  return new Promise((resolve, reject) => {
    const request = idb.open(DATABASE_NAME, DATABASE_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(MODEL_STORE)) db.createObjectStore(MODEL_STORE, { keyPath: 'modelPath' });
      if (!db.objectStoreNames.contains(INFO_STORE)) db.createObjectStore(INFO_STORE, { keyPath: 'modelPath' });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new Error(`${what}: cannot open the IndexedDB database '${DATABASE_NAME}': ${request.error?.message}`, { cause: request.error }));
    request.onblocked = () => reject(new Error(`${what}: the IndexedDB database '${DATABASE_NAME}' is blocked by another tab holding an older version open`));
  });
}

const requestResult = <T>(request: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

/** Runs `work` in one transaction over `stores` and resolves with its result once the transaction commits. */
async function inTransaction<T>(
  what: string,
  stores: string[],
  mode: IDBTransactionMode,
  work: (tx: IDBTransaction) => Promise<T>,
): Promise<T> {
  const db = await openDatabase(what);
  try {
    const tx = db.transaction(stores, mode);
    const done = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(tx.error ?? new DOMException('the transaction was aborted', 'AbortError'));
    });
    let result: T;
    try {
      result = await work(tx);
    } catch (err) {
      try {
        tx.abort();
      } catch {
        // already finished or aborting: the original error is what matters
      }
      done.catch(() => undefined);
      throw err;
    }
    await done;
    return result;
  } finally {
    db.close();
  }
}

async function storedPaths(tx: IDBTransaction): Promise<string[]> {
  return (await requestResult(tx.objectStore(INFO_STORE).getAllKeys())).map(String);
}

/** IO handler for indexeddb://name (`name` with or without the scheme). */
export function browserIndexedDB(url: string): IOHandler {
  const path = modelPath(url, INDEXED_DB_SCHEME, 'io.browserIndexedDB');
  factory(`${INDEXED_DB_SCHEME}${path}`);
  return { save: (artifacts) => saveModel(path, artifacts), load: () => loadModel(path) };
}

async function saveModel(path: string, artifacts: ModelArtifacts): Promise<SaveResult> {
  const url = INDEXED_DB_SCHEME + path;
  if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error(`save to ${url}: binary (GraphDef) model topologies are not supported`);
  // tfjs stores one ArrayBuffer: large models fail to store as many small ones.
  const stored: ModelArtifacts = { ...artifacts };
  if (artifacts.weightData != null) stored.weightData = weightDataBuffer(artifacts.weightData);
  const modelArtifactsInfo = artifactsInfo(stored);
  try {
    await inTransaction(`save to ${url}`, [MODEL_STORE, INFO_STORE], 'readwrite', async (tx) => {
      // Both puts are queued at once and the commit is what counts: a failed put (or a quota error at
      // commit) aborts the transaction, and inTransaction rejects with the transaction's error.
      tx.objectStore(INFO_STORE).put({ modelPath: path, modelArtifactsInfo });
      tx.objectStore(MODEL_STORE).put({ modelPath: path, modelArtifacts: stored, modelArtifactsInfo });
    });
  } catch (err) {
    if (isQuotaError(err)) {
      throw new Error(
        `save to ${url} failed: the origin's storage quota is full (${modelArtifactsInfo.weightDataBytes} bytes of weights); ` +
          'nothing was written. Free space with tf.io.removeModel or ask for more with navigator.storage.persist()',
        { cause: err },
      );
    }
    throw new Error(`save to ${url} failed: ${(err as Error).message ?? err}`, { cause: err });
  }
  return { modelArtifactsInfo };
}

async function loadModel(path: string): Promise<ModelArtifacts> {
  const url = INDEXED_DB_SCHEME + path;
  return inTransaction(`loadLayersModel(${url})`, [MODEL_STORE, INFO_STORE], 'readonly', async (tx) => {
    const record = await requestResult(tx.objectStore(MODEL_STORE).get(path));
    if (record == null) throw missingModelError('loadLayersModel', INDEXED_DB_SCHEME, path, await storedPaths(tx), MEDIUM);
    if (record.modelArtifacts == null) throw new Error(`loadLayersModel: the IndexedDB record of ${url} holds no modelArtifacts`);
    return record.modelArtifacts as ModelArtifacts;
  });
}

/** listModels / removeModel over indexeddb://. */
export const indexedDBManager: ModelStoreManager = {
  scheme: INDEXED_DB_SCHEME,
  listModels: () =>
    inTransaction('listModels', [INFO_STORE], 'readonly', async (tx) => {
      const records = await requestResult(tx.objectStore(INFO_STORE).getAll());
      const models: Record<string, ModelArtifactsInfo> = {};
      for (const record of records) models[record.modelPath] = record.modelArtifactsInfo;
      return models;
    }),
  removeModel: (url) => {
    const path = modelPath(url, INDEXED_DB_SCHEME, 'removeModel');
    return inTransaction(`removeModel(${INDEXED_DB_SCHEME}${path})`, [MODEL_STORE, INFO_STORE], 'readwrite', async (tx) => {
      const info = await requestResult(tx.objectStore(INFO_STORE).get(path));
      if (info == null) throw missingModelError('removeModel', INDEXED_DB_SCHEME, path, await storedPaths(tx), MEDIUM);
      await Promise.all([requestResult(tx.objectStore(INFO_STORE).delete(path)), requestResult(tx.objectStore(MODEL_STORE).delete(path))]);
      return info.modelArtifactsInfo as ModelArtifactsInfo;
    });
  },
};

/** Whether this host has IndexedDB (listModels skips stores it cannot reach). */
export function hasIndexedDB(): boolean {
  try {
    return (globalThis as { indexedDB?: IDBFactory }).indexedDB != null;
  } catch {
    return false;
  }
}
