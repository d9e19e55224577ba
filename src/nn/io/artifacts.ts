// model.json ⇄ ModelArtifacts: parsing with errors that name the file and the position, validation of
// the manifest, and the artifacts summary (ModelArtifactsInfo) that save handlers return.
import { jsonErrorPosition } from './json-position.js';
import { weightByteLength, weightDataBuffer } from './weights.js';
import type { ModelArtifacts, ModelArtifactsInfo, ModelJSON, WeightsManifestConfig, WeightsManifestEntry } from './types.js';

/** Shard name used for the single weights file sinew writes. */
export const WEIGHTS_FILE_NAME = 'weights.bin';
export const MODEL_JSON_FILE_NAME = 'model.json';
export const LAYERS_MODEL_FORMAT = 'layers-model';
export const SINEW_VERSION = '0.1.0';

/** Parses model.json text; a syntax error names `source` with the line and column of the fault. */
export function parseModelJSON(text: string, source: string): ModelJSON {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    if (text.trim() === '') throw new Error(`${source} is not valid JSON: the file is empty`);
    const position = jsonErrorPosition(text);
    const where = position >= 0 ? ` at ${lineAndColumn(text, position)}` : '';
    throw new Error(`${source} is not valid JSON${where}: ${(err as Error).message}`, { cause: err });
  }
  validateModelJSON(parsed, source);
  return parsed;
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position).split('\n');
  const place = `line ${before.length} column ${before[before.length - 1].length + 1} (position ${position})`;
  return position >= text.length ? `the end, ${place}: the file ends early` : place;
}

/** Checks the shape of a parsed model.json: modelTopology and a well-formed weightsManifest. */
export function validateModelJSON(json: unknown, source: string): asserts json is ModelJSON {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new Error(`${source}: expected a JSON object with modelTopology and weightsManifest, got ${describe(json)}`);
  }
  const model = json as Record<string, unknown>;
  if (model.modelTopology === undefined || model.modelTopology === null) {
    throw new Error(`${source}: missing "modelTopology" (is this a tfjs Layers model.json?)`);
  }
  if (typeof model.modelTopology !== 'object' || Array.isArray(model.modelTopology)) {
    throw new Error(`${source}: "modelTopology" must be an object, got ${describe(model.modelTopology)}`);
  }
  if (model.weightsManifest === undefined || model.weightsManifest === null) {
    throw new Error(`${source}: missing "weightsManifest" (the list of weight files and their weights)`);
  }
  validateManifest(model.weightsManifest, source);
}

/** Checks a weightsManifest: groups of {paths: string[], weights: entries} with valid entries. */
export function validateManifest(manifest: unknown, source: string): asserts manifest is WeightsManifestConfig {
  if (!Array.isArray(manifest)) throw new Error(`${source}: "weightsManifest" must be an array, got ${describe(manifest)}`);
  manifest.forEach((group: unknown, g) => {
    const where = `${source}: weightsManifest[${g}]`;
    if (group === null || typeof group !== 'object') throw new Error(`${where} must be an object, got ${describe(group)}`);
    const { paths, weights } = group as Record<string, unknown>;
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string' && p !== '')) {
      throw new Error(`${where}.paths must be an array of file names, got ${describe(paths)}`);
    }
    if (!Array.isArray(weights)) throw new Error(`${where}.weights must be an array, got ${describe(weights)}`);
    for (const spec of weights) weightByteLength(spec as WeightsManifestEntry, where);
    if (paths.length === 0 && weights.some((w: WeightsManifestEntry) => weightByteLength(w, where) > 0)) {
      throw new Error(`${where} lists weights but no paths to read them from`);
    }
  });
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** All entries of a manifest, group after group: the order of the concatenated weight data. */
export function manifestWeightSpecs(manifest: WeightsManifestConfig): WeightsManifestEntry[] {
  return manifest.flatMap((group) => group.weights);
}

/**
 * Checks that each group's shards hold at least the bytes its weights need, before decoding, so a
 * truncated file is named: `shardNames[g]` are the files/URLs of group g, `shardBytes[g]` their sizes.
 */
export function checkShardLengths(manifest: WeightsManifestConfig, shardNames: string[][], shardBytes: number[][]): void {
  manifest.forEach((group, g) => {
    const available = shardBytes[g].reduce((a, b) => a + b, 0);
    let offset = 0;
    for (const spec of group.weights) {
      const length = weightByteLength(spec);
      if (offset + length > available) {
        const files = shardNames[g].map((name, i) => `${name} (${shardBytes[g][i]} bytes)`).join(' + ');
        const needed = group.weights.reduce((sum, w) => sum + weightByteLength(w), 0);
        throw new Error(
          `weights file ${files} is truncated: weight "${spec.name}" (shape [${spec.shape}], ${spec.dtype}) needs bytes ` +
            `${offset}..${offset + length} of ${available}; the manifest describes ${needed} bytes`,
        );
      }
      offset += length;
    }
  });
}

/** The model.json for artifacts whose weights are written to `weightsPaths` (one group, as tfjs does). */
export function modelJSONFromArtifacts(artifacts: ModelArtifacts, weightsPaths: string[] = [WEIGHTS_FILE_NAME]): ModelJSON {
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new Error('save: binary (GraphDef) model topologies are not supported; expected a Layers model topology object');
  }
  if (artifacts.modelTopology === undefined || artifacts.modelTopology === null) throw new Error('save: the artifacts have no modelTopology');
  const json: ModelJSON = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format ?? LAYERS_MODEL_FORMAT,
    generatedBy: artifacts.generatedBy ?? `sinew ${SINEW_VERSION}`,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: weightsPaths, weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig !== undefined) json.trainingConfig = artifacts.trainingConfig;
  if (artifacts.signature !== undefined) json.signature = artifacts.signature;
  if (artifacts.userDefinedMetadata !== undefined) json.userDefinedMetadata = artifacts.userDefinedMetadata;
  if (artifacts.modelInitializer !== undefined) json.modelInitializer = artifacts.modelInitializer;
  if (artifacts.initializerSignature !== undefined) json.initializerSignature = artifacts.initializerSignature;
  return json;
}

/** ModelArtifacts from a parsed model.json and the concatenated bytes of all its shards. */
export function artifactsFromModelJSON(json: ModelJSON, weightData: ArrayBuffer): ModelArtifacts {
  const artifacts: ModelArtifacts = {
    modelTopology: json.modelTopology,
    weightSpecs: manifestWeightSpecs(json.weightsManifest),
    weightData,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
  };
  for (const key of ['trainingConfig', 'signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature'] as const) {
    if (json[key] !== undefined) (artifacts as Record<string, unknown>)[key] = json[key];
  }
  return artifacts;
}

/** The summary a save handler returns (tfjs getModelArtifactsInfoForJSON). */
export function artifactsInfo(artifacts: ModelArtifacts): ModelArtifactsInfo {
  if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error('Expected JSON model topology, received ArrayBuffer.');
  const utf8Bytes = (value: unknown) => (value == null ? 0 : new TextEncoder().encode(JSON.stringify(value)).byteLength);
  return {
    dateSaved: new Date(),
    modelTopologyType: 'JSON',
    modelTopologyBytes: utf8Bytes(artifacts.modelTopology),
    weightSpecsBytes: utf8Bytes(artifacts.weightSpecs),
    weightDataBytes: artifacts.weightData == null ? 0 : weightDataBuffer(artifacts.weightData).byteLength,
  };
}
