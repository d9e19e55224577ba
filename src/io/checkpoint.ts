// Training checkpoints: model weights AND optimizer state (Adam's moments, the iteration count), so a long
// run resumes exactly where it stopped — tfjs's model.save keeps no optimizer state.
//
// A checkpoint folder holds checkpoint.json (the manifest) and the two safetensors files it names, e.g.
// model-<stamp>.safetensors and optimizer-<stamp>.safetensors. Saving writes the new safetensors files under
// fresh names, fsyncs them, and only then replaces checkpoint.json atomically (temporary + rename); the files
// of the previous checkpoint (and any left by a save that died midway) are deleted last. A crash at any point
// leaves a checkpoint.json whose files are complete: the old one, or the new one.
//
//   await saveCheckpoint('./ckpt', {model, optimizer: model.optimizer, step: 1000, epoch: 3});
//   const {epoch} = await loadCheckpoint('./ckpt', {model: fresh, optimizer: fresh.optimizer});
//   await model.fit(x, y, {epochs: 10, initialEpoch: epoch, callbacks: [checkpointCallback({dir: './ckpt'})]});
import { nodeFileSystem } from '../runtime/node-fs.js';
import type { Tensor } from '../tensor.js';
import { clone } from '../ops/creation.js';
import type { LayerVariable } from '../nn/layer.js';
import type { NamedTensor, Optimizer } from '../optimizers/optimizer.js';
import { Callback, type Logs } from '../nn/training/callbacks.js';
import type { FileOperations } from '../nn/io/file.js';
import { isHTTPURL } from '../nn/io/http.js';
import { decodeSafetensors, fetchBytes, readSafetensors, type SafetensorsFile } from './safetensors.js';
import { SAFETENSORS_DTYPES } from './safetensors-format.js';
import { defaultFileOperations, safetensorsChunks, writeFileAtomically, writeNewFile, type ChunkedFileOperations } from './safetensors-write.js';

export const CHECKPOINT_MANIFEST = 'checkpoint.json';
const FORMAT = 'sinew-checkpoint';

/** A model or layer: anything with LayerVariable weights in a stable order. */
export interface CheckpointModel {
  readonly weights: LayerVariable[];
}

interface WeightEntry {
  /** The key in the model file: the weight's original name ('dense_Dense1/kernel'), made unique if needed. */
  key: string;
  shape: number[];
  dtype: string;
}

interface SlotEntry {
  /** The key in the optimizer file. */
  key: string;
  /** Index into `weights` of the variable this slot belongs to, or null for a variable outside the model. */
  weightIndex: number | null;
  /** The variable's name when saved, and the slot ('m', 'v', …). */
  variable: string;
  slot: string;
}

export interface CheckpointManifest {
  format: typeof FORMAT;
  version: 1;
  savedAt: string;
  step: number | null;
  epoch: number | null;
  /** Batches done in `epoch` when saved mid-epoch; null otherwise. */
  batch: number | null;
  extra: unknown;
  modelFile: string;
  weights: WeightEntry[];
  optimizer: { className: string; config: unknown; file: string; slots: SlotEntry[] } | null;
}

export interface SaveCheckpointArgs {
  model: CheckpointModel;
  optimizer?: Optimizer | null;
  /** Defaults to the optimizer's iteration count. */
  step?: number;
  /** Epochs completed (or, with `batch`, the epoch in progress). */
  epoch?: number;
  /** Batches done in `epoch`, for a checkpoint saved mid-epoch. */
  batch?: number;
  /** Anything JSON can hold (a data-loader position, the RNG seed…); returned as is by loadCheckpoint. */
  extra?: unknown;
  /** Tests substitute these to simulate a crash. */
  fileOperations?: ChunkedFileOperations;
}

/** Unique keys for the model's weights in model order: the original name, with '#index' added on a clash. */
function weightKeys(weights: LayerVariable[]): string[] {
  const seen = new Set<string>();
  return weights.map((w, i) => {
    const key = seen.has(w.originalName) ? `${w.originalName}#${i}` : w.originalName;
    seen.add(key);
    return key;
  });
}

/** Splits an optimizer weight name '<variable>/<slot>' against the model's variable names (longest match). */
function slotOwner(name: string, weights: LayerVariable[]): { weightIndex: number | null; variable: string; slot: string } {
  let best = -1;
  weights.forEach((w, i) => {
    if (name.startsWith(`${w.name}/`) && (best < 0 || w.name.length > weights[best].name.length)) best = i;
  });
  if (best >= 0) return { weightIndex: best, variable: weights[best].name, slot: name.slice(weights[best].name.length + 1) };
  const cut = name.lastIndexOf('/');
  return { weightIndex: null, variable: name.slice(0, cut), slot: name.slice(cut + 1) };
}

const stamp = () => `ckpt${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
/** Files a save of ours may leave behind if the process dies mid-save (never a Hugging Face shard name). */
const OUR_FILES = /^((model|optimizer)-ckpt[0-9a-z]+-[0-9a-z]+\.safetensors|checkpoint\.json\.tmp-.*)$/;

/** Deletes the files of earlier checkpoints and of saves that died midway; `keep` are the new manifest's. */
async function removeStaleFiles(dir: string, keep: Set<string>, files: FileOperations): Promise<void> {
  const { fs, path } = await nodeFileSystem('saveCheckpoint');
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const name of names) if (OUR_FILES.test(name) && !keep.has(name)) await files.unlink(path.join(dir, name)).catch(() => undefined);
}

/** Saves the model's weights and the optimizer's state to `dir` atomically; returns the manifest written. */
export async function saveCheckpoint(dir: string, args: SaveCheckpointArgs): Promise<CheckpointManifest> {
  const weights = args.model.weights;
  const keys = weightKeys(weights);
  const unique = stamp();
  // The snapshot is taken synchronously, before the first await, so a training step that runs while the
  // files are written cannot leak into them. Clones share the weights' buffers (no copy); a step then
  // writes to a fresh buffer (copy on write, see optimizers/state.ts). getWeights copies the slots at call.
  const snapshot: Tensor[] = [];
  const modelTensors: Record<string, Tensor> = {};
  weights.forEach((w, i) => snapshot.push((modelTensors[keys[i]] = clone(w.read()))));
  const statePromise = args.optimizer?.getWeights();
  let stateTaken = false;
  try {
    const files = args.fileOperations ?? (await defaultFileOperations());
    const { path } = await nodeFileSystem('saveCheckpoint');
    const model = safetensorsChunks(modelTensors, { metadata: { format: FORMAT } });

    let optimizerSection: CheckpointManifest['optimizer'] = null;
    let optimizer: ReturnType<typeof safetensorsChunks> | null = null;
    if (args.optimizer && statePromise) {
      const state = await statePromise;
      stateTaken = true;
      snapshot.push(...state.map((s) => s.tensor));
      const tensors: Record<string, Tensor> = {};
      const slots: SlotEntry[] = [];
      for (const { name, tensor } of state) {
        if (name === 'iter') {
          tensors.iter = tensor;
          continue;
        }
        const owner = slotOwner(name, weights);
        const key = owner.weightIndex === null ? `other/${name}` : `${keys[owner.weightIndex]}/${owner.slot}`;
        tensors[key] = tensor;
        slots.push({ key, ...owner });
      }
      optimizer = safetensorsChunks(tensors, { metadata: { format: FORMAT } });
      optimizerSection = { className: args.optimizer.getClassName(), config: args.optimizer.getConfig(), file: `optimizer-${unique}.safetensors`, slots };
    }

    const manifest: CheckpointManifest = {
      format: FORMAT,
      version: 1,
      savedAt: new Date().toISOString(),
      step: args.step ?? args.optimizer?.iterations ?? null,
      epoch: args.epoch ?? null,
      batch: args.batch ?? null,
      extra: args.extra ?? null,
      modelFile: `model-${unique}.safetensors`,
      weights: weights.map((w, i) => ({ key: keys[i], shape: w.shape.slice(), dtype: w.dtype })),
      optimizer: optimizerSection,
    };
    const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest, null, 1));

    await files.mkdir(dir);
    const written: string[] = [];
    try {
      written.push(path.join(dir, manifest.modelFile));
      await writeNewFile(written[0], model.chunks(), files);
      if (optimizerSection && optimizer) {
        written.push(path.join(dir, optimizerSection.file));
        await writeNewFile(written[1], optimizer.chunks(), files);
      }
      // The commit point: until this rename, readers see the previous manifest and its files.
      await writeFileAtomically(path.join(dir, CHECKPOINT_MANIFEST), manifestBytes, files);
    } catch (err) {
      for (const file of written) await files.unlink(file).catch(() => undefined);
      throw new Error(`saveCheckpoint: saving to ${dir} failed, the previous checkpoint is intact: ${(err as Error).message}`, { cause: err });
    }
    await removeStaleFiles(dir, new Set([manifest.modelFile, optimizerSection?.file ?? '']), files);
    return manifest;
  } finally {
    for (const t of snapshot) t.dispose();
    if (statePromise && !stateTaken) for (const { tensor } of await statePromise.catch(() => [])) tensor.dispose();
  }
}

function parseManifest(text: string, dir: string): CheckpointManifest {
  let json: CheckpointManifest;
  try {
    json = JSON.parse(text) as CheckpointManifest;
  } catch (err) {
    throw new Error(`loadCheckpoint: ${dir}/${CHECKPOINT_MANIFEST} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const valid = json && json.format === FORMAT && json.version === 1 && typeof json.modelFile === 'string' && Array.isArray(json.weights) &&
    json.weights.every((w) => typeof w?.key === 'string' && Array.isArray(w.shape)) &&
    (json.optimizer === null || (typeof json.optimizer?.file === 'string' && Array.isArray(json.optimizer.slots)));
  if (!valid) throw new Error(`loadCheckpoint: ${dir}/${CHECKPOINT_MANIFEST} is not a sinew checkpoint manifest (format '${FORMAT}', version 1)`);
  if (!/^[\w.-]+$/.test(json.modelFile) || (json.optimizer && !/^[\w.-]+$/.test(json.optimizer.file))) {
    throw new Error(`loadCheckpoint: ${dir}/${CHECKPOINT_MANIFEST} names files outside the checkpoint folder`);
  }
  return json;
}

export interface LoadCheckpointArgs {
  model: CheckpointModel;
  /** Restored when given (it must be of the class that saved the state). */
  optimizer?: Optimizer | null;
}

export interface LoadedCheckpoint {
  step: number | null;
  epoch: number | null;
  batch: number | null;
  extra: unknown;
  manifest: CheckpointManifest;
}

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Where a checkpoint is read from: a folder path (Node, Deno), the http(s) URL of a folder (fetch, so pages
 * and workers), or its files by name: an array of File (from `<input type="file" multiple>`, a FileList
 * too) or a record of name → Blob / bytes.
 */
export type CheckpointSource = string | ArrayLike<File> | Record<string, Blob | Uint8Array | ArrayBuffer>;

interface CheckpointReader {
  /** The source in words, for errors. */
  where: string;
  text(name: string): Promise<string>;
  safetensors(name: string): Promise<SafetensorsFile>;
}

async function checkpointReader(source: CheckpointSource): Promise<CheckpointReader> {
  if (typeof source === 'string' && isHTTPURL(source)) {
    const folder = source.endsWith('/') ? source : `${source}/`;
    return {
      where: folder,
      text: async (name) => new TextDecoder().decode(await fetchBytes(new URL(name, folder).href)),
      safetensors: (name) => readSafetensors(new URL(name, folder)),
    };
  }
  if (typeof source === 'string') {
    const { fs, path } = await nodeFileSystem('loadCheckpoint');
    return { where: source, text: (name) => fs.readFile(path.join(source, name), 'utf8'), safetensors: (name) => readSafetensors(path.join(source, name)) };
  }
  if (source === null || typeof source !== 'object') {
    throw new Error(`loadCheckpoint: expected a folder path, an http(s) URL, File objects or a record of files, got ${source === null ? 'null' : typeof source}`);
  }
  const files = new Map<string, Blob | Uint8Array | ArrayBuffer>(
    'length' in source && typeof source.length === 'number'
      ? Array.from(source as ArrayLike<File>, (file) => [file.name, file])
      : Object.entries(source as Record<string, Blob | Uint8Array | ArrayBuffer>),
  );
  const where = `the files given (${[...files.keys()].join(', ') || 'none'})`;
  const bytes = async (name: string) => {
    const file = files.get(name);
    if (file === undefined) throw new Error(`${name} is not among ${where}`);
    return file instanceof Uint8Array ? file : new Uint8Array(file instanceof ArrayBuffer ? file : await file.arrayBuffer());
  };
  return { where, text: async (name) => new TextDecoder().decode(await bytes(name)), safetensors: async (name) => decodeSafetensors(await bytes(name), name) };
}

/**
 * Restores model weights (and optimizer state when `optimizer` is given) from a checkpoint folder (see
 * CheckpointSource). Weights match by name
 * when the checkpoint's names are the model's, else by position (a model rebuilt in the same process gets
 * new layer names). Everything is checked before anything is written; a mismatch names the weight and both shapes.
 */
export async function loadCheckpoint(source: CheckpointSource, args: LoadCheckpointArgs): Promise<LoadedCheckpoint> {
  const files = await checkpointReader(source);
  const dir = files.where;
  let text: string;
  try {
    text = await files.text(CHECKPOINT_MANIFEST);
  } catch (err) {
    throw new Error(`loadCheckpoint: no checkpoint in ${dir} (${CHECKPOINT_MANIFEST} cannot be read: ${(err as Error).message})`, { cause: err });
  }
  const manifest = parseManifest(text, dir);
  const weights = args.model.weights;
  const order = matchWeights(manifest, weights);

  const modelFile = await files.safetensors(manifest.modelFile);
  let optimizerFile: SafetensorsFile | null = null;
  try {
    manifest.weights.forEach((entry, i) => {
      const stored = modelFile.has(entry.key) ? modelFile.info(entry.key).shape : null;
      if (!stored) throw new Error(`loadCheckpoint: ${manifest.modelFile} has no tensor '${entry.key}' listed in the manifest`);
      const weight = weights[order[i]];
      if (!sameShape(stored, weight.shape)) {
        throw new Error(`loadCheckpoint: weight '${weight.originalName}' is ${shapeText(weight.shape)} in the model but '${entry.key}' is ${shapeText(stored)} in the checkpoint`);
      }
      const storedDtype = SAFETENSORS_DTYPES[modelFile.info(entry.key).dtype].sinew;
      if (storedDtype !== weight.dtype) {
        throw new Error(`loadCheckpoint: weight '${weight.originalName}' is ${weight.dtype} in the model but '${entry.key}' is ${storedDtype} in the checkpoint`);
      }
    });
    if (args.optimizer) optimizerFile = await checkOptimizerState(files, manifest, args.optimizer, weights, order);

    // Everything checked: write.
    manifest.weights.forEach((entry, i) => {
      const value = modelFile.tensor(entry.key);
      try {
        weights[order[i]].write(value);
      } finally {
        value.dispose();
      }
    });
    if (args.optimizer && optimizerFile) await restoreOptimizer(manifest, args.optimizer, optimizerFile, weights, order);
  } finally {
    modelFile.close();
    optimizerFile?.close();
  }
  return { step: manifest.step, epoch: manifest.epoch, batch: manifest.batch ?? null, extra: manifest.extra, manifest };
}

/** order[i] = index in the model of the checkpoint's i-th weight. */
function matchWeights(manifest: CheckpointManifest, weights: LayerVariable[]): number[] {
  if (manifest.weights.length !== weights.length) {
    throw new Error(
      `loadCheckpoint: the checkpoint has ${manifest.weights.length} weights but the model has ${weights.length} ` +
        `(checkpoint: ${manifest.weights.map((w) => `${w.key} ${shapeText(w.shape)}`).join(', ')}; model: ${weights.map((w) => `${w.originalName} ${shapeText(w.shape)}`).join(', ')})`,
    );
  }
  const keys = weightKeys(weights);
  const byKey = new Map(keys.map((k, i) => [k, i]));
  const allByName = manifest.weights.every((w) => byKey.has(w.key));
  return manifest.weights.map((w, i) => (allByName ? byKey.get(w.key)! : i));
}

async function checkOptimizerState(files: CheckpointReader, manifest: CheckpointManifest, optimizer: Optimizer, weights: LayerVariable[], order: number[]): Promise<SafetensorsFile> {
  const section = manifest.optimizer;
  if (!section) throw new Error(`loadCheckpoint: the checkpoint in ${files.where} holds no optimizer state (saved without an optimizer)`);
  if (section.className !== optimizer.getClassName()) {
    throw new Error(`loadCheckpoint: the checkpoint holds ${section.className} state but the optimizer is ${optimizer.getClassName()}`);
  }
  const file = await files.safetensors(section.file);
  try {
    if (!file.has('iter')) throw new Error(`loadCheckpoint: ${section.file} has no 'iter'`);
    for (const slot of section.slots) {
      if (!file.has(slot.key)) throw new Error(`loadCheckpoint: ${section.file} has no tensor '${slot.key}' listed in the manifest`);
      if (slot.weightIndex === null) continue;
      if (!Number.isInteger(slot.weightIndex) || slot.weightIndex < 0 || slot.weightIndex >= order.length) {
        throw new Error(`loadCheckpoint: optimizer slot '${slot.key}' refers to weight ${slot.weightIndex}, which does not exist`);
      }
      const weight = weights[order[slot.weightIndex]];
      const stored = file.info(slot.key).shape;
      if (!sameShape(stored, weight.shape)) {
        throw new Error(`loadCheckpoint: optimizer slot '${slot.key}' is ${shapeText(stored)} but weight '${weight.originalName}' is ${shapeText(weight.shape)}`);
      }
    }
  } catch (err) {
    file.close();
    throw err;
  }
  return file;
}

async function restoreOptimizer(manifest: CheckpointManifest, optimizer: Optimizer, file: SafetensorsFile, weights: LayerVariable[], order: number[]): Promise<void> {
  const state: NamedTensor[] = [{ name: 'iter', tensor: file.tensor('iter') }];
  try {
    for (const slot of manifest.optimizer!.slots) {
      // Slots are named after the variable they belong to, whose name in this process may differ from the saved one.
      const variable = slot.weightIndex === null ? slot.variable : weights[order[slot.weightIndex]].name;
      state.push({ name: `${variable}/${slot.slot}`, tensor: file.tensor(slot.key) });
    }
    await optimizer.setWeights(state);
  } finally {
    for (const { tensor } of state) tensor.dispose();
  }
}

export interface CheckpointCallbackArgs {
  dir: string;
  /** Save after every this many epochs (default 1; 0 turns epoch saves off). */
  everyEpochs?: number;
  /**
   * Also save after every this many batches (for long epochs, e.g. pretraining). Such a checkpoint's epoch
   * is the epoch in progress and its `batch` the batches done in it (null at an epoch's end).
   */
  everyBatches?: number;
  /** What to store as `extra` (default: {logs}, the epoch's or batch's logs). */
  extra?: (epoch: number, logs?: Logs) => unknown;
  fileOperations?: ChunkedFileOperations;
}

/** A fit callback that saves a checkpoint (weights + optimizer state) every `everyEpochs` epochs and/or `everyBatches` batches. */
export class CheckpointCallback extends Callback {
  private readonly everyEpochs: number;
  private readonly everyBatches: number;
  private epoch = 0;
  constructor(private readonly args: CheckpointCallbackArgs) {
    super();
    this.everyEpochs = args.everyEpochs ?? 1;
    this.everyBatches = args.everyBatches ?? 0;
    for (const [key, value] of [['everyEpochs', this.everyEpochs], ['everyBatches', this.everyBatches]] as const) {
      if (!Number.isInteger(value) || value < 0) throw new Error(`checkpointCallback: ${key} must be a non-negative integer, got ${value}`);
    }
    if (typeof args.dir !== 'string' || args.dir === '') throw new Error('checkpointCallback: dir must be a folder path');
  }
  override async onEpochBegin(epoch: number): Promise<void> {
    this.epoch = epoch;
  }
  override async onBatchEnd(batch: number, logs?: Logs): Promise<void> {
    if (this.everyBatches > 0 && (batch + 1) % this.everyBatches === 0) await this.save(this.epoch, batch + 1, logs);
  }
  override async onEpochEnd(epoch: number, logs?: Logs): Promise<void> {
    if (this.everyEpochs > 0 && (epoch + 1) % this.everyEpochs === 0) await this.save(epoch + 1, null, logs);
  }
  private async save(epoch: number, batch: number | null, logs?: Logs): Promise<void> {
    const model = this.model as unknown as Partial<CheckpointModel>;
    if (!Array.isArray(model.weights)) throw new Error('checkpointCallback: the model has no layer weights to save');
    await saveCheckpoint(this.args.dir, {
      model: model as CheckpointModel,
      optimizer: this.optimizer,
      epoch,
      batch: batch ?? undefined,
      extra: this.args.extra ? this.args.extra(epoch, logs) : { logs: { ...logs } },
      fileOperations: this.args.fileOperations,
    });
  }
}

/** Saves checkpoints during fit: `callbacks: [checkpointCallback({dir: './ckpt', everyBatches: 500})]`. */
export function checkpointCallback(args: CheckpointCallbackArgs): CheckpointCallback {
  return new CheckpointCallback(args);
}
