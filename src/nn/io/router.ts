// URL → IO handler: `file://` (Node), `http://` / `https://` (fetch), the browser stores `indexeddb://`
// and `localstorage://`, `downloads://` (save only), or an IOHandler object as is.
import { FILE_SCHEME, fileSystem } from './file.js';
import { http, isHTTPURL } from './http.js';
import { browserIndexedDB, INDEXED_DB_SCHEME } from './indexed-db.js';
import { browserLocalStorage, LOCAL_STORAGE_SCHEME } from './local-storage.js';
import { browserDownloads, DOWNLOADS_SCHEME } from './browser-files.js';
import type { IOHandler, LoadOptions } from './types.js';

const SUPPORTED =
  'file://path/to/folder (Node), http(s)://…/model.json, indexeddb://name, localstorage://name, downloads://name (save only), ' +
  'or an IOHandler such as io.fromMemory / io.withSaveHandler / io.browserFiles';

/** The handler of a browser-store URL, or undefined for other strings. */
function browserStoreHandler(url: string): IOHandler | undefined {
  if (url.startsWith(INDEXED_DB_SCHEME)) return browserIndexedDB(url);
  if (url.startsWith(LOCAL_STORAGE_SCHEME)) return browserLocalStorage(url);
  return undefined;
}

function isIOHandler(value: unknown): value is IOHandler {
  return value !== null && typeof value === 'object' && ('save' in value || 'load' in value);
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : value === null ? 'null' : typeof value;
}

/** The handler that saves to `destination`; throws naming the supported schemes otherwise. */
export function getSaveHandler(destination: string | IOHandler): IOHandler {
  if (typeof destination === 'string') {
    if (destination.startsWith(FILE_SCHEME)) return fileSystem(destination);
    if (isHTTPURL(destination)) return http(destination);
    if (destination.startsWith(DOWNLOADS_SCHEME)) return browserDownloads(destination);
    const store = browserStoreHandler(destination);
    if (store) return store;
  } else if (isIOHandler(destination)) {
    if (typeof destination.save !== 'function') throw new Error('save: the IOHandler has no save method (io.fromMemory only loads; use io.withSaveHandler)');
    return destination;
  }
  throw new Error(`save: cannot save to ${describe(destination)}; expected ${SUPPORTED}`);
}

/** The handler that loads from `source`; throws naming the supported schemes otherwise. */
export function getLoadHandler(source: string | IOHandler, options: LoadOptions = {}): IOHandler {
  if (typeof source === 'string') {
    if (source.startsWith(FILE_SCHEME)) return fileSystem(source);
    if (isHTTPURL(source)) return http(source, options);
    if (source.startsWith(DOWNLOADS_SCHEME)) {
      throw new Error(`loadLayersModel: ${source}: downloads:// can only save; load the downloaded files with io.browserFiles([jsonFile, weightsFile])`);
    }
    const store = browserStoreHandler(source);
    if (store) return store;
  } else if (isIOHandler(source)) {
    if (typeof source.load !== 'function') throw new Error('loadLayersModel: the IOHandler has no load method (io.withSaveHandler only saves; use io.fromMemory)');
    return source;
  }
  throw new Error(`loadLayersModel: cannot load from ${describe(source)}; expected ${SUPPORTED}`);
}
