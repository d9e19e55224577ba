// What the browser model stores (indexeddb://, localstorage://) share: the manager interface that
// listModels / removeModel / moveModel use, URL → model path, and the errors naming what is stored.
import type { ModelArtifactsInfo } from './types.js';

/** A store of named models in this origin (tfjs ModelStoreManager). Paths are given without the scheme. */
export interface ModelStoreManager {
  /** 'indexeddb://' or 'localstorage://'. */
  readonly scheme: string;
  listModels(): Promise<Record<string, ModelArtifactsInfo>>;
  /** Deletes the model and returns its info; throws naming what exists if there is none. */
  removeModel(path: string): Promise<ModelArtifactsInfo>;
}

/** The model path of `url` under `scheme` (a bare path is accepted too, as tfjs accepts it). */
export function modelPath(url: string, scheme: string, what: string): string {
  if (typeof url !== 'string') throw new Error(`${what}: expected a model name or ${scheme}name, got ${typeof url}`);
  const path = url.startsWith(scheme) ? url.slice(scheme.length) : url;
  if (path === '') throw new Error(`${what}: ${scheme} needs a model name after the scheme, e.g. ${scheme}my-model`);
  return path;
}

/** The error for a model that is not stored: names the URL and lists the stored ones. */
export function missingModelError(op: string, scheme: string, path: string, storedPaths: string[], medium: string): Error {
  const stored = storedPaths.length === 0 ? `${medium} holds no models in this origin` : `${medium} holds: ${storedPaths.map((p) => scheme + p).join(', ')}`;
  return new Error(`${op}: there is no model at ${scheme}${path}; ${stored}`);
}

/** True for the DOMException browsers throw when an origin's storage quota is used up. */
export function isQuotaError(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  // Firefox used to name it NS_ERROR_DOM_QUOTA_REACHED; code 22 is the legacy QUOTA_EXCEEDED_ERR.
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || (err as { code?: number } | null)?.code === 22;
}

/**
 * A storage global of this page (indexedDB, localStorage). Sandboxed frames, opaque origins and disabled site
 * data throw on access instead of returning undefined: both cases become an Error naming `what` and the fix.
 */
export function pageStorage<T>(name: 'indexedDB' | 'localStorage', medium: string, what: string, needs: string, instead: string): T {
  let value: T | undefined;
  try {
    value = (globalThis as Record<string, unknown>)[name] as T | undefined;
  } catch (err) {
    throw new Error(`${what}: ${medium} is blocked in this page: ${(err as Error).message}`, { cause: err });
  }
  if (value == null) throw new Error(`${what}: ${medium} is not available here (${needs}); ${instead}`);
  return value;
}
