// tf.io.listModels / copyModel / moveModel / removeModel across the browser model stores
// (indexeddb://, localstorage://), as tfjs's model_management; copy and move load through any
// load handler (so http:// → indexeddb:// works too) and save through any save handler.
import { hasIndexedDB, indexedDBManager } from './indexed-db.js';
import { hasLocalStorage, localStorageManager } from './local-storage.js';
import type { ModelStoreManager } from './model-store.js';
import { getLoadHandler, getSaveHandler } from './router.js';
import type { ModelArtifactsInfo } from './types.js';

const MANAGERS: { manager: ModelStoreManager; available: () => boolean }[] = [
  { manager: indexedDBManager, available: hasIndexedDB },
  { manager: localStorageManager, available: hasLocalStorage },
];
const SCHEMES = MANAGERS.map((m) => m.manager.scheme).join(', ');

function managerFor(url: string, op: string): ModelStoreManager {
  if (typeof url !== 'string') throw new Error(`${op}: expected a model URL such as indexeddb://name, got ${typeof url}`);
  const entry = MANAGERS.find((m) => url.startsWith(m.manager.scheme));
  if (entry === undefined) throw new Error(`${op}: ${url} is not in a model store; expected a URL starting with ${SCHEMES}`);
  return entry.manager;
}

/** Every stored model in this origin, keyed by URL (indexeddb://name, localstorage://name). */
export async function listModels(): Promise<Record<string, ModelArtifactsInfo>> {
  const available = MANAGERS.filter((m) => m.available());
  if (available.length === 0) throw new Error(`listModels: no model store (${SCHEMES}) is available here; they need a browser page`);
  const models: Record<string, ModelArtifactsInfo> = {};
  for (const { manager } of available) {
    for (const [path, info] of Object.entries(await manager.listModels())) models[manager.scheme + path] = info;
  }
  return models;
}

/** Deletes a stored model; returns its info. Throws naming what is stored if the URL holds none. */
export async function removeModel(url: string): Promise<ModelArtifactsInfo> {
  return managerFor(url, 'removeModel').removeModel(url);
}

/** Copies a model from one URL to another (within or across stores); returns the copy's info. */
export async function copyModel(sourceURL: string, destinationURL: string): Promise<ModelArtifactsInfo> {
  if (sourceURL === destinationURL) throw new Error(`copyModel: the source and destination are the same: ${sourceURL}`);
  const artifacts = await getLoadHandler(sourceURL).load!();
  return (await getSaveHandler(destinationURL).save!(artifacts)).modelArtifactsInfo;
}

/**
 * Moves a stored model. The source is removed only after the copy is saved, so a failed save (a full
 * quota) loses nothing; tfjs removes first within one store, which needs less room but can lose the model.
 */
export async function moveModel(sourceURL: string, destinationURL: string): Promise<ModelArtifactsInfo> {
  if (sourceURL === destinationURL) throw new Error(`moveModel: the source and destination are the same: ${sourceURL}`);
  const source = managerFor(sourceURL, 'moveModel');
  const info = await copyModel(sourceURL, destinationURL);
  await source.removeModel(sourceURL);
  return info;
}
