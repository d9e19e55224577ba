// Where each wasm build is fetched from. By default the package's own build/ folder, written as one
// `new URL('…', import.meta.url)` literal per file so that bundlers (Vite, webpack 5, Parcel) see the
// assets and emit them; `setWasmPaths` (tfjs's name and semantics) points elsewhere: a CDN, a public/
// folder, or one URL per file.
import type { Variant } from './loader.js';

/** The file name of each build, as `setWasmPaths` file maps key them. */
export const WASM_FILE_NAMES = {
  'mt-relaxed': 'sinew-mt-relaxed.wasm',
  mt: 'sinew-mt.wasm',
  'st-relaxed': 'sinew-st-relaxed.wasm',
  st: 'sinew-st.wasm',
} as const satisfies Record<Variant, string>;

export type WasmFileName = (typeof WASM_FILE_NAMES)[Variant];

// src/runtime/ (tsx, vitest) and dist/runtime/ (tsc) both sit two levels below the package root.
function packagedLocation(variant: Variant): URL {
  switch (variant) {
    case 'mt-relaxed': return new URL('../../build/sinew-mt-relaxed.wasm', import.meta.url);
    case 'mt': return new URL('../../build/sinew-mt.wasm', import.meta.url);
    case 'st-relaxed': return new URL('../../build/sinew-st-relaxed.wasm', import.meta.url);
    case 'st': return new URL('../../build/sinew-st.wasm', import.meta.url);
  }
}

let prefix: string | undefined;
let fileMap: Partial<Record<WasmFileName, string>> | undefined;
/** Set by the wasm backend once it starts loading: paths cannot change under a loaded module. */
let locked: string | undefined;

/**
 * Tells the wasm backend where its .wasm files are: a prefix (a folder URL ending in '/', absolute or
 * relative to the page) holding every `sinew-*.wasm`, or a map from file name to URL (files it omits keep
 * the package's own location). Call it before `tf.ready()` or the first op.
 *
 *   tf.setWasmPaths('https://cdn.jsdelivr.net/npm/sinew@0.1.0/build/');
 *   tf.setWasmPaths({ 'sinew-st-relaxed.wasm': '/assets/sinew-st-relaxed.wasm' });
 */
export function setWasmPaths(prefixOrFileMap: string | Partial<Record<WasmFileName, string>>): void {
  if (locked !== undefined) {
    throw new Error(
      `setWasmPaths: the wasm backend already loaded ${locked}; call setWasmPaths() before tf.ready(), ` +
        `tf.setBackend('wasm') or the first op`,
    );
  }
  if (typeof prefixOrFileMap === 'string') {
    if (!prefixOrFileMap.endsWith('/')) {
      throw new Error(
        `setWasmPaths: the prefix '${prefixOrFileMap}' must end with '/' (it names the folder holding ` +
          `${Object.values(WASM_FILE_NAMES).join(', ')}); pass a file map to name single files`,
      );
    }
    prefix = prefixOrFileMap;
    fileMap = undefined;
    return;
  }
  if (prefixOrFileMap === null || typeof prefixOrFileMap !== 'object' || Array.isArray(prefixOrFileMap)) {
    throw new Error(`setWasmPaths: expected a folder URL ending in '/' or a map of file names to URLs, got ${describeValue(prefixOrFileMap)}`);
  }
  const known = new Set<string>(Object.values(WASM_FILE_NAMES));
  for (const [name, url] of Object.entries(prefixOrFileMap)) {
    if (!known.has(name)) throw new Error(`setWasmPaths: unknown file '${name}' (sinew ships ${[...known].join(', ')})`);
    if (typeof url !== 'string' || url === '') throw new Error(`setWasmPaths: the URL for '${name}' must be a non-empty string, got ${describeValue(url)}`);
  }
  prefix = undefined;
  fileMap = { ...prefixOrFileMap };
}

function describeValue(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : `${typeof value} ${String(value)}`;
}

/** A URL relative to the page (or the worker) in browsers, to this module elsewhere. */
function resolve(url: string): URL {
  const location = (globalThis as { location?: { href?: string } }).location;
  return new URL(url, typeof location?.href === 'string' ? location.href : import.meta.url);
}

/**
 * The URL of a build: an explicit `override` (a file, or a folder ending in '/'), else what setWasmPaths
 * said, else the package's own build/ folder.
 */
export function wasmLocation(variant: Variant, override?: string | URL): URL {
  const fileName = WASM_FILE_NAMES[variant];
  if (override !== undefined) {
    const url = resolve(String(override));
    return url.pathname.endsWith('/') ? new URL(fileName, url) : url;
  }
  const mapped = fileMap?.[fileName];
  if (mapped !== undefined) return resolve(mapped);
  if (prefix !== undefined) return new URL(fileName, resolve(prefix));
  return packagedLocation(variant);
}

/** Whether setWasmPaths pointed this build somewhere (error messages then blame the paths, not the package). */
export function wasmPathsConfigured(variant: Variant): boolean {
  return prefix !== undefined || fileMap?.[WASM_FILE_NAMES[variant]] !== undefined;
}

/** Called once the backend starts loading `url`: later setWasmPaths calls fail instead of doing nothing. */
export function lockWasmPaths(url: URL): void {
  locked = url.href;
}
