// `file://` IO handler for Node (and Deno's node: modules): a folder holding model.json + weights.bin.
// Saving is atomic per file and ordered: both files are written to temporaries in the same folder and
// fsynced, then weights.bin is renamed into place before model.json, so a crash at any point leaves
// either the old model.json or a new one whose weights are complete — never a partial file. If replacing
// model.json fails after weights.bin was replaced, the previous weights.bin (kept as a hard link) is put back.
import { nodeFileSystem } from '../../runtime/node-fs.js';
import { artifactsFromModelJSON, artifactsInfo, checkShardLengths, MODEL_JSON_FILE_NAME, modelJSONFromArtifacts, parseModelJSON, WEIGHTS_FILE_NAME } from './artifacts.js';
import { concatenateBuffers, weightDataBuffer } from './weights.js';
import type { IOHandler, ModelArtifacts, SaveResult } from './types.js';

export const FILE_SCHEME = 'file://';

/** The file operations the handler uses; tests substitute one to simulate a crash mid-save. */
export interface FileOperations {
  /** Creates `path` (which must not exist), writes all of `data`, fsyncs and closes it. */
  writeDurably(path: string, data: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Hard link (a second name for the same bytes); used to keep the old weights until model.json is replaced. */
  link(existing: string, newPath: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  isDirectory(path: string): Promise<boolean>;
  /** Makes renames inside `dir` durable (best effort; not every platform can fsync a folder). */
  syncDirectory(dir: string): Promise<void>;
}

async function nodeModules() {
  const { fs, path } = await nodeFileSystem('file:// models');
  return { fs, path };
}

/** The real file system through node:fs/promises (loaded lazily so browser bundles never need it). */
export async function nodeFileOperations(): Promise<FileOperations> {
  const { fs } = await nodeModules();
  return {
    async writeDurably(path, data) {
      const handle = await fs.open(path, 'wx');
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
    },
    rename: (from, to) => fs.rename(from, to),
    link: (existing, newPath) => fs.link(existing, newPath),
    unlink: (path) => fs.unlink(path),
    mkdir: async (path) => void (await fs.mkdir(path, { recursive: true })),
    readFile: async (path) => new Uint8Array(await fs.readFile(path)),
    isDirectory: async (path) => (await fs.stat(path)).isDirectory(),
    async syncDirectory(dir) {
      try {
        const handle = await fs.open(dir, 'r');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
      } catch {
        // Windows cannot open a folder for fsync; the renames are still atomic there.
      }
    },
  };
}

/** Strips `file://` and decodes %-escapes; both `file:///abs/dir` and `file://relative/dir` are accepted like tfjs-node. */
export function pathFromFileURL(url: string): string {
  if (!url.startsWith(FILE_SCHEME)) throw new Error(`expected a file:// URL, got ${url}`);
  const rest = url.slice(FILE_SCHEME.length);
  if (rest === '') throw new Error(`file:// URL has no path: ${url}`);
  return decodeURIComponent(rest);
}

let temporaryCounter = 0;

/**
 * IO handler for a model folder (`file://path/to/dir` or a plain path). save writes dir/model.json and
 * dir/weights.bin, creating the folder; load accepts the folder or the model.json path itself.
 */
export function fileSystem(pathOrURL: string, options: { fileOperations?: FileOperations } = {}): IOHandler {
  const target = pathOrURL.startsWith(FILE_SCHEME) ? pathFromFileURL(pathOrURL) : pathOrURL;
  const operations = async () => options.fileOperations ?? (await nodeFileOperations());
  return {
    save: async (artifacts) => saveToFolder(target, artifacts, await operations()),
    load: async () => loadFromPath(target, await operations()),
  };
}

async function saveToFolder(dir: string, artifacts: ModelArtifacts, files: FileOperations): Promise<SaveResult> {
  const { path } = await nodeModules();
  const modelJSON = modelJSONFromArtifacts(artifacts, [WEIGHTS_FILE_NAME]);
  const weightBytes = new Uint8Array(artifacts.weightData == null ? new ArrayBuffer(0) : weightDataBuffer(artifacts.weightData));
  const jsonBytes = new TextEncoder().encode(JSON.stringify(modelJSON));

  await files.mkdir(dir);
  const unique = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}-${temporaryCounter++}`;
  const weightsPath = path.join(dir, WEIGHTS_FILE_NAME);
  const modelPath = path.join(dir, MODEL_JSON_FILE_NAME);
  const weightsTemporary = `${weightsPath}.tmp-${unique}`;
  const modelTemporary = `${modelPath}.tmp-${unique}`;
  // Hard link to the previous weights.bin: if replacing model.json fails after weights.bin was replaced,
  // the old weights go back so the old model.json still reads its own weights.
  const previousWeights = `${weightsPath}.old-${unique}`;
  const pending = new Set<string>();
  let restorePrevious = false;
  try {
    pending.add(weightsTemporary);
    await files.writeDurably(weightsTemporary, weightBytes);
    pending.add(modelTemporary);
    await files.writeDurably(modelTemporary, jsonBytes);
    const hasPrevious = await files.link(weightsPath, previousWeights).then(() => true, () => false);
    if (hasPrevious) pending.add(previousWeights);
    // Weights first: until model.json is replaced, the old model.json stays the one a reader sees.
    await files.rename(weightsTemporary, weightsPath);
    pending.delete(weightsTemporary);
    restorePrevious = hasPrevious;
    await files.rename(modelTemporary, modelPath);
    pending.delete(modelTemporary);
    restorePrevious = false;
    await files.syncDirectory(dir);
  } catch (err) {
    if (restorePrevious) {
      await files.rename(previousWeights, weightsPath).then(() => pending.delete(previousWeights), () => undefined);
    }
    for (const leftover of pending) await files.unlink(leftover).catch(() => undefined);
    throw new Error(`save to ${FILE_SCHEME}${dir} failed, previous files left unchanged: ${(err as Error).message}`, { cause: err });
  }
  if (pending.has(previousWeights)) await files.unlink(previousWeights).catch(() => undefined);
  return { modelArtifactsInfo: artifactsInfo(artifacts) };
}

async function loadFromPath(target: string, files: FileOperations): Promise<ModelArtifacts> {
  const { path } = await nodeModules();
  let modelPath = target;
  try {
    if (await files.isDirectory(target)) modelPath = path.join(target, MODEL_JSON_FILE_NAME);
  } catch (err) {
    throw new Error(`loadLayersModel: ${target} does not exist (expected a model folder or its model.json)`, { cause: err });
  }
  let text: string;
  try {
    text = new TextDecoder().decode(await files.readFile(modelPath));
  } catch (err) {
    throw new Error(`loadLayersModel: cannot read ${modelPath}: ${(err as Error).message}`, { cause: err });
  }
  const json = parseModelJSON(text, modelPath);

  const dir = path.dirname(modelPath);
  const shardNames = json.weightsManifest.map((group) => group.paths.map((p) => path.resolve(dir, decodeURIComponent(p))));
  const shards: Uint8Array[][] = [];
  for (const names of shardNames) {
    const group: Uint8Array[] = [];
    for (const name of names) {
      try {
        group.push(await files.readFile(name));
      } catch (err) {
        throw new Error(`loadLayersModel: weights file ${name} listed in ${modelPath} cannot be read: ${(err as Error).message}`, { cause: err });
      }
    }
    shards.push(group);
  }
  checkShardLengths(json.weightsManifest, shardNames, shards.map((g) => g.map((s) => s.byteLength)));
  const buffers = shards.flat().map((s) => s.slice().buffer as ArrayBuffer);
  return artifactsFromModelJSON(json, concatenateBuffers(buffers));
}
