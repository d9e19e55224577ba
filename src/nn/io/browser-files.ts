// downloads://name saves a model as two browser downloads, name.json and name.weights.bin (tfjs's
// names); io.browserFiles([jsonFile, ...weightFiles]) loads one back from user-picked File objects,
// matching each manifest path to a file by its base name.
import { artifactsFromModelJSON, artifactsInfo, checkShardLengths, modelJSONFromArtifacts, parseModelJSON } from './artifacts.js';
import { concatenateBuffers, weightDataBuffer } from './weights.js';
import type { IOHandler, ModelArtifacts, SaveResult } from './types.js';

export const DOWNLOADS_SCHEME = 'downloads://';
const DEFAULT_PREFIX = 'model';
// Long enough for the browser to start both downloads; the object URLs are freed after it.
const REVOKE_AFTER_MS = 60_000;

/** Save handler that downloads `<prefix>.json` and `<prefix>.weights.bin` (prefix 'model' by default). */
export function browserDownloads(prefixOrURL: string = DEFAULT_PREFIX): IOHandler {
  let prefix = prefixOrURL.startsWith(DOWNLOADS_SCHEME) ? prefixOrURL.slice(DOWNLOADS_SCHEME.length) : prefixOrURL;
  if (prefix === '') prefix = DEFAULT_PREFIX;
  if (typeof document === 'undefined' || typeof URL.createObjectURL !== 'function') {
    throw new Error(`${DOWNLOADS_SCHEME}${prefix}: downloads need a browser page (a document to click a link in); in Node save to file://path`);
  }
  return { save: (artifacts) => download(prefix, artifacts) };
}

// Each click waits a macrotask: browsers drop all but one of several downloads started in one task.
const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

async function download(prefix: string, artifacts: ModelArtifacts): Promise<SaveResult> {
  const jsonName = `${prefix}.json`;
  const weightsName = `${prefix}.weights.bin`;
  const modelJSON = modelJSONFromArtifacts(artifacts, [`./${weightsName}`]);
  const files: [string, Blob][] = [[jsonName, new Blob([JSON.stringify(modelJSON)], { type: 'application/json' })]];
  if (artifacts.weightData != null) {
    files.push([weightsName, new Blob([weightDataBuffer(artifacts.weightData)], { type: 'application/octet-stream' })]);
  }
  for (const [name, blob] of files) {
    const url = URL.createObjectURL(blob);
    const anchor = document.createElement('a');
    anchor.download = name;
    anchor.href = url;
    await nextTask();
    anchor.dispatchEvent(new MouseEvent('click'));
    setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
  }
  return { modelArtifactsInfo: artifactsInfo(artifacts) };
}

const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** Load handler over File objects: model.json first, then its weight files in any order. */
export function browserFiles(files: readonly File[]): IOHandler {
  if (files == null || typeof (files as File[]).length !== 'number' || files.length === 0) {
    throw new Error('io.browserFiles: expected [model.json File, ...weight Files], got ' + (files == null ? String(files) : 'an empty list'));
  }
  const [jsonFile, ...weightFiles] = Array.from(files);
  return { load: () => loadFiles(jsonFile, weightFiles) };
}

async function loadFiles(jsonFile: File, weightFiles: File[]): Promise<ModelArtifacts> {
  const json = parseModelJSON(await jsonFile.text(), jsonFile.name);
  const byName = new Map<string, File>();
  for (const file of weightFiles) {
    if (byName.has(file.name)) throw new Error(`io.browserFiles: two weight files are named ${file.name}`);
    byName.set(file.name, file);
  }
  const groups = json.weightsManifest.map((group) =>
    group.paths.map((path) => {
      const file = byName.get(baseName(path));
      if (file === undefined) {
        const given = weightFiles.length === 0 ? 'no weight files were given' : `given: ${weightFiles.map((f) => f.name).join(', ')}`;
        throw new Error(`io.browserFiles: ${jsonFile.name} needs the weight file ${baseName(path)} (path ${path}); ${given}`);
      }
      return file;
    }),
  );
  const needed = new Set(groups.flat());
  const unused = weightFiles.filter((file) => !needed.has(file));
  if (unused.length > 0) throw new Error(`io.browserFiles: ${jsonFile.name} does not list ${unused.map((f) => f.name).join(', ')}; pass only its own weight files`);
  const buffers = await Promise.all(groups.map((group) => Promise.all(group.map((file) => file.arrayBuffer()))));
  checkShardLengths(json.weightsManifest, groups.map((g) => g.map((f) => f.name)), buffers.map((g) => g.map((b) => b.byteLength)));
  const artifacts = artifactsFromModelJSON(json, concatenateBuffers(buffers.flat()));
  // A manifest without files is a topology-only model.json: the model keeps its initial weights.
  if (json.weightsManifest.every((group) => group.paths.length === 0)) {
    delete artifacts.weightSpecs;
    delete artifacts.weightData;
  }
  return artifacts;
}
