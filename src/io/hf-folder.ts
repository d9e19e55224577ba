// A Hugging Face model folder (on disk or at a URL): config.json, the weights (model.safetensors, or shards
// listed by model.safetensors.index.json) and whichever tokenizer files are there; and loadWeightsInto, which
// copies named weights into a sinew model through a name mapping, checking every shape before writing any.
//
//   const folder = await readHuggingFaceFolder('./bert-base-uncased');
//   folder.config.hidden_size;                                   // 768
//   loadWeightsInto(model, folder.weights, (hf) => myMapping(hf), {strict: true});
//   folder.close();
import { nodeFileSystem } from '../runtime/node-fs.js';
import type { Tensor } from '../tensor.js';
import type { LayerVariable } from '../nn/layer.js';
import { reshape, transpose } from '../ops/shape.js';
import { fetchBytes, readSafetensors, type SafetensorsFile } from './safetensors.js';

export const TOKENIZER_FILE_NAMES = [
  'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'vocab.json', 'merges.txt',
] as const;
export type TokenizerFileName = (typeof TOKENIZER_FILE_NAMES)[number];

export interface HuggingFaceFolder {
  /** The folder path or URL as given. */
  readonly source: string;
  /** config.json, parsed. */
  readonly config: Record<string, unknown>;
  /** All weights as one file, whether stored whole or sharded. */
  readonly weights: SafetensorsFile;
  /** The tokenizer files present: name → path or URL. */
  readonly tokenizerFiles: Partial<Record<TokenizerFileName, string>>;
  /** Closes the weight files. */
  close(): void;
}

/** How a folder's files are reached: a local directory, or a base URL. */
interface FolderAccess {
  location(name: string): string;
  exists(name: string): Promise<boolean>;
  readText(name: string): Promise<string>;
  openSafetensors(name: string): Promise<SafetensorsFile>;
}

async function localFolder(dir: string): Promise<FolderAccess> {
  const { fs, path } = await nodeFileSystem('readHuggingFaceFolder');
  const stat = await fs.stat(dir).catch(() => null);
  if (!stat?.isDirectory()) throw new Error(`readHuggingFaceFolder: ${dir} is not a folder`);
  const location = (name: string) => path.join(dir, name);
  return {
    location,
    exists: async (name) => (await fs.stat(location(name)).catch(() => null))?.isFile() ?? false,
    readText: async (name) => fs.readFile(location(name), 'utf8'),
    openSafetensors: (name) => readSafetensors(location(name)),
  };
}

function urlFolder(base: string): FolderAccess {
  const root = base.endsWith('/') ? base : `${base}/`;
  const location = (name: string) => new URL(name, root).href;
  return {
    location,
    exists: async (name) => {
      try {
        return (await fetch(location(name), { method: 'HEAD' })).ok;
      } catch {
        return false;
      }
    },
    readText: async (name) => new TextDecoder().decode(await fetchBytes(location(name))),
    openSafetensors: (name) => readSafetensors(location(name)),
  };
}

function parseJSON(text: string, where: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`readHuggingFaceFolder: ${where} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`readHuggingFaceFolder: ${where} must hold a JSON object`);
  return value as Record<string, unknown>;
}

/** Reads config.json, opens the weights (whole or sharded) and lists the tokenizer files of a folder or URL. */
export async function readHuggingFaceFolder(dirOrUrl: string): Promise<HuggingFaceFolder> {
  const isUrl = /^https?:\/\//i.test(dirOrUrl);
  const dir = dirOrUrl.startsWith('file://') ? decodeURIComponent(dirOrUrl.slice('file://'.length)) : dirOrUrl;
  const folder = isUrl ? urlFolder(dirOrUrl) : await localFolder(dir);

  if (!(await folder.exists('config.json'))) throw new Error(`readHuggingFaceFolder: no config.json in ${dirOrUrl}`);
  const config = parseJSON(await folder.readText('config.json'), folder.location('config.json'));

  let weights: SafetensorsFile;
  if (await folder.exists('model.safetensors')) {
    weights = await folder.openSafetensors('model.safetensors');
  } else if (await folder.exists('model.safetensors.index.json')) {
    const indexName = folder.location('model.safetensors.index.json');
    weights = await openShards(parseJSON(await folder.readText('model.safetensors.index.json'), indexName), indexName, folder);
  } else {
    const pickle = (await folder.exists('pytorch_model.bin')) ? ' (only pytorch_model.bin, a pickle sinew does not read: convert it to safetensors)' : '';
    throw new Error(`readHuggingFaceFolder: no model.safetensors or model.safetensors.index.json in ${dirOrUrl}${pickle}`);
  }

  const tokenizerFiles: Partial<Record<TokenizerFileName, string>> = {};
  for (const name of TOKENIZER_FILE_NAMES) if (await folder.exists(name)) tokenizerFiles[name] = folder.location(name);
  return { source: dirOrUrl, config, weights, tokenizerFiles, close: () => weights.close() };
}

/**
 * The shards of a sharded checkpoint as one SafetensorsFile. The index is
 * {"metadata": {...}, "weight_map": {"tensor name": "model-00001-of-00002.safetensors", ...}}; every listed
 * tensor must be in its shard, and a shard may not hold tensors the index does not list.
 */
async function openShards(index: Record<string, unknown>, indexName: string, folder: FolderAccess): Promise<SafetensorsFile> {
  const weightMap = index.weight_map;
  if (weightMap === null || typeof weightMap !== 'object' || Array.isArray(weightMap)) {
    throw new Error(`readHuggingFaceFolder: ${indexName} has no weight_map object`);
  }
  const shardOf = new Map<string, string>();
  for (const [name, shard] of Object.entries(weightMap as Record<string, unknown>)) {
    if (typeof shard !== 'string' || shard.includes('..') || shard.startsWith('/')) {
      throw new Error(`readHuggingFaceFolder: ${indexName}: weight '${name}' maps to ${JSON.stringify(shard)}, not a file name in the folder`);
    }
    shardOf.set(name, shard);
  }
  const shards = new Map<string, SafetensorsFile>();
  const closeAll = () => {
    for (const s of shards.values()) s.close();
  };
  try {
    for (const shardName of new Set(shardOf.values())) shards.set(shardName, await folder.openSafetensors(shardName));
    for (const [name, shardName] of shardOf) {
      if (!shards.get(shardName)!.has(name)) throw new Error(`readHuggingFaceFolder: ${indexName} puts '${name}' in ${shardName}, which does not hold it`);
    }
    for (const [shardName, shard] of shards) {
      const stray = shard.names.find((n) => shardOf.get(n) !== shardName);
      if (stray !== undefined) throw new Error(`readHuggingFaceFolder: ${shardName} holds '${stray}', which ${indexName} does not list there`);
    }
  } catch (err) {
    closeAll();
    throw err;
  }
  const shardFor = (name: string): SafetensorsFile => {
    const shard = shardOf.get(name);
    if (shard === undefined) throw new Error(`safetensors: ${indexName}: no tensor named '${name}'`);
    return shards.get(shard)!;
  };
  const metadata: Record<string, string> = {};
  if (index.metadata && typeof index.metadata === 'object') {
    for (const [k, v] of Object.entries(index.metadata as Record<string, unknown>)) metadata[k] = String(v);
  }
  const names = [...shardOf.keys()];
  const file: SafetensorsFile = {
    source: indexName,
    names,
    metadata,
    has: (name) => shardOf.has(name),
    info: (name) => shardFor(name).info(name),
    bytes: (name) => shardFor(name).bytes(name),
    values: (name) => shardFor(name).values(name),
    tensor: (name) => shardFor(name).tensor(name),
    tensors: (wanted = names) => {
      const out: Record<string, Tensor> = {};
      try {
        for (const name of wanted) out[name] = shardFor(name).tensor(name);
      } catch (err) {
        for (const t of Object.values(out)) t.dispose();
        throw err;
      }
      return out;
    },
    close: closeAll,
  };
  return file;
}

/**
 * Where a file weight goes: a sinew weight name; optionally transposed first (a 2-D [out, in] Linear weight
 * → [in, out] Dense kernel) and then reshaped (e.g. [hidden, hidden] → [hidden, heads, headSize]).
 */
export type WeightTarget = string | { name: string; transpose?: boolean; reshape?: readonly number[] } | null;

export interface LoadWeightsReport {
  /** File name → sinew name of each weight copied. */
  loaded: Record<string, string>;
  /** Sinew weights that no file weight mapped to. */
  missing: string[];
  /** File weights whose mapped name is not a sinew weight. */
  unexpected: string[];
  /** File weights the mapping returned null for (deliberately ignored). */
  skipped: string[];
}

/** The weights of a model or layer ({weights: LayerVariable[]}), or an explicit name → weight map. */
export type WeightContainer = { readonly weights: LayerVariable[] } | Map<string, LayerVariable>;

/** Name → weight: by original name ('dense_Dense1/kernel'), and also by the variable's unique name. */
function weightsByName(target: WeightContainer): Map<string, LayerVariable> {
  if (target instanceof Map) return target;
  const out = new Map<string, LayerVariable>();
  for (const w of target.weights) out.set(w.originalName, w);
  for (const w of target.weights) if (!out.has(w.name)) out.set(w.name, w);
  return out;
}

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/**
 * Copies weights from `file` into `target`. `mapping(fileName)` names the sinew weight (or null to skip it).
 * Every shape and dtype is checked before any weight is written, so a bad file leaves the model as it was.
 * strict (default): a sinew weight left unloaded or a file weight with no sinew counterpart is an Error;
 * otherwise both are only reported.
 */
export function loadWeightsInto(
  target: WeightContainer,
  file: SafetensorsFile,
  mapping: (fileName: string) => WeightTarget = (name) => name,
  { strict = true }: { strict?: boolean } = {},
): LoadWeightsReport {
  const weights = weightsByName(target);
  const report: LoadWeightsReport = { loaded: {}, missing: [], unexpected: [], skipped: [] };
  const plan: { fileName: string; weight: LayerVariable; transpose: boolean; reshape: readonly number[] | null }[] = [];
  const claimedBy = new Map<LayerVariable, string>();
  const problems: string[] = [];
  for (const fileName of file.names) {
    const mapped = mapping(fileName);
    if (mapped === null || mapped === undefined) {
      report.skipped.push(fileName);
      continue;
    }
    const { name, transpose: flip = false, reshape: newShape = null } = typeof mapped === 'string' ? { name: mapped } : mapped;
    const weight = weights.get(name);
    if (!weight) {
      report.unexpected.push(fileName);
      continue;
    }
    const previous = claimedBy.get(weight);
    if (previous !== undefined) {
      problems.push(`'${fileName}' and '${previous}' both map to sinew weight '${name}'`);
      continue;
    }
    claimedBy.set(weight, fileName);
    const info = file.info(fileName);
    const shape = newShape ?? (flip ? info.shape.slice().reverse() : info.shape);
    const how = [flip ? 'transposed' : '', newShape ? `reshaped from ${shapeText(info.shape)}` : ''].filter(Boolean).join(', ');
    if (flip && info.shape.length !== 2) problems.push(`'${fileName}' is ${shapeText(info.shape)}; transpose needs a 2-D weight`);
    else if (newShape && sizeOf(newShape) !== sizeOf(info.shape)) {
      problems.push(`'${fileName}' is ${shapeText(info.shape)} (${sizeOf(info.shape)} values) and cannot be reshaped to ${shapeText(newShape)}`);
    } else if (shape.length !== weight.shape.length || shape.some((d, i) => d !== weight.shape[i])) {
      problems.push(`'${fileName}' is ${shapeText(shape)}${how ? ` (${how})` : ''} but sinew weight '${name}' is ${shapeText(weight.shape)}`);
    }
    const fileKind = info.dtype === 'BOOL' ? 'bool' : /^(F|BF)/.test(info.dtype) ? 'float32' : 'int32';
    if (fileKind !== weight.dtype) problems.push(`'${fileName}' is ${info.dtype} but sinew weight '${name}' is ${weight.dtype}`);
    plan.push({ fileName, weight, transpose: flip, reshape: newShape });
  }
  const listed = new Set<LayerVariable>();
  const candidates = target instanceof Map ? [...target.entries()] : target.weights.map((w) => [w.originalName, w] as const);
  for (const [name, weight] of candidates) {
    if (!claimedBy.has(weight) && !listed.has(weight)) report.missing.push(name);
    listed.add(weight);
  }
  if (strict) {
    if (report.missing.length > 0) problems.push(`sinew weights not in ${file.source}: ${report.missing.join(', ')}`);
    if (report.unexpected.length > 0) {
      problems.push(`weights in ${file.source} with no sinew weight: ${report.unexpected.map((n) => `'${n}' → '${nameOf(mapping(n))}'`).join(', ')}`);
    }
  }
  if (problems.length > 0) throw new Error(`loadWeightsInto: ${problems.join('; ')}`);

  for (const { fileName, weight, transpose: flip, reshape: newShape } of plan) {
    const temporaries: Tensor[] = [file.tensor(fileName)];
    try {
      if (flip) temporaries.push(transpose(temporaries[temporaries.length - 1]));
      if (newShape) temporaries.push(reshape(temporaries[temporaries.length - 1], newShape));
      weight.write(temporaries[temporaries.length - 1]);
    } finally {
      for (const t of temporaries) t.dispose();
    }
    report.loaded[fileName] = weight.originalName;
  }
  return report;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);
const nameOf = (target: WeightTarget): string => (target === null ? 'null' : typeof target === 'string' ? target : target.name);
