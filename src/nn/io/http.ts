// http(s):// IO handler over fetch, as tfjs's io.http: load reads model.json, then every weight shard
// at its path relative to model.json's URL (keeping the URL's query string); save POSTs a multipart
// form with model.json and model.weights.bin.
import { artifactsFromModelJSON, artifactsInfo, checkShardLengths, modelJSONFromArtifacts, parseModelJSON } from './artifacts.js';
import { concatenateBuffers, weightDataBuffer } from './weights.js';
import type { IOHandler, LoadOptions, ModelArtifacts, SaveResult } from './types.js';

export const isHTTPURL = (url: string): boolean => /^https?:\/\//i.test(url);

const POSTED_WEIGHTS_NAME = 'model.weights.bin';

/** IO handler for a model.json URL (load) or an endpoint accepting the multipart upload (save). */
export function http(url: string, options: LoadOptions & { method?: string } = {}): IOHandler {
  const fetchFunction = (options.fetchFunc ?? globalThis.fetch) as typeof fetch | undefined;
  if (typeof fetchFunction !== 'function') throw new Error(`io.http(${url}): no fetch in this environment; pass options.fetchFunc`);
  return {
    load: () => loadOverHTTP(url, fetchFunction, options),
    save: (artifacts) => saveOverHTTP(url, fetchFunction, artifacts, options),
  };
}

/** Base URL (up to the last '/') and the query suffix that tfjs appends to every weight path. */
function splitModelURL(url: string): { base: string; query: string } {
  const queryStart = url.indexOf('?');
  const path = queryStart >= 0 ? url.slice(0, queryStart) : url;
  const query = queryStart >= 0 ? url.slice(queryStart) : '';
  return { base: path.slice(0, path.lastIndexOf('/') + 1), query };
}

async function fetchOK(fetchFunction: typeof fetch, url: string, init: RequestInit | undefined, what: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetchFunction(url, init);
  } catch (err) {
    throw new Error(`loadLayersModel: fetching ${what} ${url} failed: ${(err as Error).message}`, { cause: err });
  }
  if (!response.ok) throw new Error(`loadLayersModel: fetching ${what} ${url} returned HTTP ${response.status} ${response.statusText}`.trimEnd());
  return response;
}

async function loadOverHTTP(url: string, fetchFunction: typeof fetch, options: LoadOptions): Promise<ModelArtifacts> {
  const response = await fetchOK(fetchFunction, url, options.requestInit, 'model.json');
  const json = parseModelJSON(await response.text(), url);
  const { base, query } = splitModelURL(url);
  const shardURLs: string[][] = [];
  for (const group of json.weightsManifest) {
    const urls: string[] = [];
    for (const path of group.paths) {
      urls.push(options.weightUrlConverter ? await options.weightUrlConverter(path) : base + path + query);
    }
    shardURLs.push(urls);
  }
  const shards = await Promise.all(
    shardURLs.map((urls) =>
      Promise.all(urls.map(async (u) => (await fetchOK(fetchFunction, u, options.requestInit, 'weights')).arrayBuffer())),
    ),
  );
  checkShardLengths(json.weightsManifest, shardURLs, shards.map((g) => g.map((s) => s.byteLength)));
  return artifactsFromModelJSON(json, concatenateBuffers(shards.flat()));
}

async function saveOverHTTP(
  url: string,
  fetchFunction: typeof fetch,
  artifacts: ModelArtifacts,
  options: LoadOptions & { method?: string },
): Promise<SaveResult> {
  const modelJSON = modelJSONFromArtifacts(artifacts, [`./${POSTED_WEIGHTS_NAME}`]);
  const form = new FormData();
  form.append('model.json', new Blob([JSON.stringify(modelJSON)], { type: 'application/json' }), 'model.json');
  if (artifacts.weightData != null) {
    form.append(POSTED_WEIGHTS_NAME, new Blob([weightDataBuffer(artifacts.weightData)], { type: 'application/octet-stream' }), POSTED_WEIGHTS_NAME);
  }
  const init: RequestInit = { ...options.requestInit, method: options.method ?? 'POST', body: form };
  const response = await fetchFunction(url, init);
  if (!response.ok) throw new Error(`save to ${url} failed: HTTP ${response.status} ${response.statusText}`.trimEnd());
  return { modelArtifactsInfo: artifactsInfo(artifacts), responses: [response] };
}
