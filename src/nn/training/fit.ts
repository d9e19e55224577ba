// The training loop (fit, fitDataset), evaluate, predict and the one-batch forms, as tfjs-layers runs
// them: batches in order or shuffled each epoch, callbacks awaited in order, a yield to the event loop
// between batches, and every temporary freed so memory is flat across epochs.
import { ENGINE } from '../../engine.js';
import { Tensor } from '../../tensor.js';
import { concat } from '../../ops/concat.js';
import { uniformDraws } from '../../ops/random.js';
import { tensor1d } from '../../ops/creation.js';
import { unstack } from '../../ops/slice.js';
import { DeviceAverager, someReadBatchLogs, toLogs } from './batch-values.js';
import { CallbackList, CallbackLike, History, Logs, standardizeCallbacks, TrainingParams } from './callbacks.js';
import type { CompiledModel } from './compile.js';
import {
  checkBatchSize, ClassWeightArg, classWeightsFor, gatherRows, makeBatches, sampleCount, sliceRows,
  standardizeClassWeights, standardizeInputs, standardizeTargets, TensorArgs,
} from './data.js';
import type { TrainableModel } from './model-interface.js';
import { ProgressLogger } from './progress.js';
import { testStep, trainStep } from './step.js';

/** tfjs's yieldEvery: 'auto' yields when ~16 ms passed since the last yield. */
export type YieldEvery = 'auto' | 'batch' | 'epoch' | 'never' | number;

export interface ModelFitArgs {
  batchSize?: number;
  epochs?: number;
  /** 0 silent, 1 progress bar (default in Node), 2 one line per epoch. */
  verbose?: number;
  callbacks?: CallbackLike | CallbackLike[];
  /** The last fraction of the samples (before shuffling) is held out for validation. */
  validationSplit?: number;
  validationData?: [TensorArgs, TensorArgs];
  shuffle?: boolean;
  classWeight?: ClassWeightArg;
  initialEpoch?: number;
  yieldEvery?: YieldEvery;
}

export interface ModelFitDatasetArgs {
  epochs: number;
  batchesPerEpoch?: number;
  verbose?: number;
  callbacks?: CallbackLike | CallbackLike[];
  validationData?: [TensorArgs, TensorArgs] | DatasetLike;
  validationBatchSize?: number;
  classWeight?: ClassWeightArg;
  initialEpoch?: number;
  yieldEvery?: YieldEvery;
}

type Batch = { xs: TensorArgs; ys: TensorArgs } | [TensorArgs, TensorArgs];
/** An async iterable of {xs, ys} batches, or a tfjs-like Dataset with iterator(). */
export type DatasetLike = AsyncIterable<Batch> | { iterator(): Promise<{ next(): Promise<IteratorResult<Batch>> }> };

const defaultVerbose = (): number => (typeof process !== 'undefined' && process.stderr ? 1 : 0);
const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());
/**
 * A turn of the event loop (so a page repaints and its handlers run). Browsers clamp chained setTimeout(0) to
 * ≥ 4 ms, which cost a page's fit ~20% of its speed with a yield every 16 ms; a MessageChannel message is
 * not clamped. Node and Deno have setImmediate.
 */
let yieldChannel: MessageChannel | undefined;
/** One message per waiting fit (several may train at once), answered in order. */
const waiting: (() => void)[] = [];
const nextMacrotask = (): Promise<void> => new Promise((resolve) => {
  if (typeof setImmediate === 'function') return void setImmediate(resolve);
  if (typeof MessageChannel !== 'function') return void setTimeout(resolve, 0);
  if (!yieldChannel) {
    yieldChannel = new MessageChannel();
    yieldChannel.port1.onmessage = () => waiting.shift()?.();
  }
  waiting.push(resolve);
  yieldChannel.port2.postMessage(null);
});

/** Decides when to yield to the event loop between batches. */
class Yielder {
  private last = now();
  constructor(private readonly every: YieldEvery) {
    if (!(['auto', 'batch', 'epoch', 'never'].includes(every as string) || (typeof every === 'number' && every >= 0))) {
      throw new Error(`fit: yieldEvery must be 'auto', 'batch', 'epoch', 'never' or a number of milliseconds, got ${String(every)}`);
    }
  }
  async afterBatch(list: CallbackList, epoch: number, batch: number, logs: Logs): Promise<void> {
    const interval = this.every === 'auto' ? 16 : typeof this.every === 'number' ? this.every : null;
    if (this.every === 'batch' || (interval != null && now() - this.last >= interval)) await this.yieldNow(list, epoch, batch, logs);
  }
  async afterEpoch(list: CallbackList, epoch: number, logs: Logs): Promise<void> {
    if (this.every !== 'never') await this.yieldNow(list, epoch, -1, logs);
  }
  private async yieldNow(list: CallbackList, epoch: number, batch: number, logs: Logs): Promise<void> {
    await nextMacrotask();
    this.last = now();
    await list.onYield(epoch, batch, logs);
  }
}

function requireCompiled(compiled: CompiledModel | undefined, where: string): CompiledModel {
  if (!compiled) throw new Error(`${where}: the model must be compiled first (model.compile)`);
  return compiled;
}

const trainingNow = new WeakSet<TrainableModel>();

/** A fresh random permutation of [0, n) drawn from tf's random stream (so tf.setRandomSeed fixes it). */
function shuffledIndices(n: number): Int32Array {
  const indices = new Int32Array(n);
  for (let i = 0; i < n; i++) indices[i] = i;
  const u = uniformDraws(Math.max(n, 1));
  for (let i = n - 1; i > 0; i--) {
    const j = Math.min(Math.floor(u[i] * (i + 1)), i);
    const swap = indices[i];
    indices[i] = indices[j];
    indices[j] = swap;
  }
  return indices;
}

/** Size-weighted mean of testStep over batches (tfjs's testLoop), as a [k] tensor left on the backend. */
function testLoop(model: TrainableModel, compiled: CompiledModel, inputs: Tensor[], targets: Tensor[], batchSize: number): Tensor {
  const n = sampleCount([...inputs, ...targets], 'evaluate');
  const averager = new DeviceAverager();
  try {
    for (const [start, end] of makeBatches(n, batchSize)) {
      const x = sliceRows(inputs, start, end);
      const y = sliceRows(targets, start, end);
      try {
        addAndDispose(averager, testStep(model, compiled, x, y), end - start);
      } finally {
        for (const t of [...x, ...y]) t.dispose();
      }
    }
    return averager.meansTensor()!;
  } finally {
    averager.dispose();
  }
}

function addAndDispose(averager: DeviceAverager, values: Tensor, size: number): void {
  try {
    averager.add(values, size);
  } finally {
    values.dispose();
  }
}

/** Adds a batch's values to the epoch's sums; reads them into batchLogs only when a callback wants them. */
async function recordBatch(averager: DeviceAverager, values: Tensor, size: number, names: string[], batchLogs: Logs, read: boolean): Promise<void> {
  try {
    averager.add(values, size);
    if (read) toLogs(await values.data(), names, batchLogs);
  } finally {
    values.dispose();
  }
}

/** The validation means, read (asynchronously) into epochLogs as val_… keys. */
async function addValidationLogs(means: Tensor, names: string[], epochLogs: Logs): Promise<void> {
  try {
    toLogs(await means.data(), names.map((n) => `val_${n}`), epochLogs);
  } finally {
    means.dispose();
  }
}

function buildCallbacks(
  model: TrainableModel, compiled: CompiledModel, user: CallbackLike | CallbackLike[] | undefined, verbose: number, params: TrainingParams,
): { list: CallbackList; history: History } {
  const history = new History();
  const progress = verbose > 0 ? [new ProgressLogger(verbose)] : [];
  // Keras's order: user callbacks see the epoch logs before the progress line and History record them.
  const list = new CallbackList([...standardizeCallbacks(user), ...progress, history]);
  list.setModel(model, compiled.optimizer);
  list.setParams(params);
  return { list, history };
}

/** Sample weights for one batch, per output (null where no class weights). */
function batchSampleWeights(targets: Tensor[], classWeights: (Record<number, number> | null)[]): (Tensor | null)[] {
  return targets.map((t, i) => (classWeights[i] ? classWeightsFor(t, classWeights[i]!) : null));
}

/** model.fit: trains for `epochs` over (x, y); returns the History. */
export async function fitModel(
  model: TrainableModel, compiledArg: CompiledModel | undefined, x: TensorArgs, y: TensorArgs, args: ModelFitArgs = {},
): Promise<History> {
  const compiled = requireCompiled(compiledArg, 'fit');
  if (trainingNow.has(model)) throw new Error('fit: cannot start training because another fit() call on this model is ongoing');
  const batchSize = args.batchSize ?? 32;
  checkBatchSize(batchSize, 'fit');
  const epochs = args.epochs ?? 1;
  const initialEpoch = args.initialEpoch ?? 0;
  const verbose = args.verbose ?? defaultVerbose();
  const shuffle = args.shuffle ?? true;
  const allInputs = standardizeInputs(model, x, 'fit', batchSize);
  const allTargets = standardizeTargets(model, compiled, y, 'fit', batchSize);
  const total = sampleCount([...allInputs, ...allTargets], 'fit');
  const classWeights = standardizeClassWeights(args.classWeight, model.outputNames);
  const owned: Tensor[] = []; // slices made here, freed at the end

  trainingNow.add(model);
  try {
    let inputs = allInputs;
    let targets = allTargets;
    let validation: { inputs: Tensor[]; targets: Tensor[] } | null = null;
    if (args.validationData) {
      const [vx, vy] = args.validationData;
      validation = { inputs: standardizeInputs(model, vx, 'fit (validationData)', batchSize), targets: standardizeTargets(model, compiled, vy, 'fit (validationData)', batchSize) };
      sampleCount([...validation.inputs, ...validation.targets], 'fit (validationData)');
    } else if (args.validationSplit != null && args.validationSplit > 0) {
      if (!(args.validationSplit < 1)) throw new Error(`fit: validationSplit must be in [0, 1), got ${args.validationSplit}`);
      const splitAt = Math.floor(total * (1 - args.validationSplit));
      if (splitAt === 0 || splitAt === total) {
        throw new Error(`fit: validationSplit ${args.validationSplit} of ${total} samples leaves an empty training or validation set`);
      }
      inputs = sliceRows(allInputs, 0, splitAt);
      targets = sliceRows(allTargets, 0, splitAt);
      validation = { inputs: sliceRows(allInputs, splitAt, total), targets: sliceRows(allTargets, splitAt, total) };
      owned.push(...inputs, ...targets, ...validation.inputs, ...validation.targets);
    }
    const samples = inputs[0].shape[0];
    const batches = makeBatches(samples, batchSize);
    const names = compiled.metricsNames;
    const params: TrainingParams = {
      epochs, initialEpoch, samples, steps: batches.length, batchSize, verbose, doValidation: validation != null,
      metrics: validation ? [...names, ...names.map((n) => `val_${n}`)] : names.slice(),
    };
    const { list, history } = buildCallbacks(model, compiled, args.callbacks, verbose, params);
    const readBatches = someReadBatchLogs(list.callbacks);
    const yielder = new Yielder(args.yieldEvery ?? 'auto');

    model.stopTraining = false;
    await list.onTrainBegin();
    for (let epoch = initialEpoch; epoch < epochs; epoch++) {
      await list.onEpochBegin(epoch);
      const averager = new DeviceAverager();
      const order = shuffle ? tensor1d(shuffledIndices(samples), 'int32') : null;
      let completed = true;
      try {
        for (let b = 0; b < batches.length; b++) {
          const [start, end] = batches[b];
          const batchLogs: Logs = { batch: b, size: end - start };
          await list.onBatchBegin(b, batchLogs);
          const values = runBatch(model, compiled, inputs, targets, order, start, end, classWeights);
          await recordBatch(averager, values, end - start, names, batchLogs, readBatches);
          await list.onBatchEnd(b, batchLogs);
          if (model.stopTraining) {
            completed = b === batches.length - 1;
            break;
          }
          await yielder.afterBatch(list, epoch, b, batchLogs);
        }
      } finally {
        order?.dispose();
      }
      const epochLogs = await averager.means(names);
      if (validation && completed) {
        await addValidationLogs(testLoop(model, compiled, validation.inputs, validation.targets, batchSize), names, epochLogs);
      }
      await list.onEpochEnd(epoch, epochLogs);
      if (model.stopTraining) break;
      await yielder.afterEpoch(list, epoch, epochLogs);
    }
    await list.onTrainEnd();
    return history;
  } finally {
    trainingNow.delete(model);
    for (const t of owned) t.dispose();
  }
}

/** Slices (or gathers, when shuffled) one batch, trains on it, frees it. */
function runBatch(
  model: TrainableModel, compiled: CompiledModel, inputs: Tensor[], targets: Tensor[], order: Tensor | null,
  start: number, end: number, classWeights: (Record<number, number> | null)[],
): Tensor {
  const batchIndices = order ? sliceRows([order], start, end)[0] : null;
  const x = batchIndices ? gatherRows(inputs, batchIndices) : sliceRows(inputs, start, end);
  const y = batchIndices ? gatherRows(targets, batchIndices) : sliceRows(targets, start, end);
  const weights = batchSampleWeights(y, classWeights);
  try {
    return trainStep(model, compiled, x, y, weights);
  } finally {
    for (const t of [...x, ...y, ...(batchIndices ? [batchIndices] : [])]) t.dispose();
    for (const w of weights) w?.dispose();
  }
}

/** Splits a dataset element into tensor args. */
function unpackBatch(value: Batch, where: string): { xs: TensorArgs; ys: TensorArgs } {
  if (Array.isArray(value) && value.length === 2) return { xs: value[0], ys: value[1] };
  if (value && typeof value === 'object' && 'xs' in value && 'ys' in value) return value;
  throw new Error(`${where}: each dataset element must be {xs, ys} or [xs, ys]`);
}

/** A fresh iterator over the dataset (a new pass). */
async function openIterator(dataset: DatasetLike): Promise<{ next(): Promise<IteratorResult<Batch>> }> {
  if (typeof (dataset as { iterator?: unknown }).iterator === 'function') {
    return (dataset as { iterator(): Promise<{ next(): Promise<IteratorResult<Batch>> }> }).iterator();
  }
  if (typeof (dataset as AsyncIterable<Batch>)[Symbol.asyncIterator] === 'function') {
    return (dataset as AsyncIterable<Batch>)[Symbol.asyncIterator]();
  }
  throw new Error('fitDataset: the dataset must be an async iterable of {xs, ys} or have an iterator() method');
}

function disposeArgs(args: TensorArgs): void {
  const list = args instanceof Tensor ? [args] : Array.isArray(args) ? args : Object.values(args);
  for (const t of list) t.dispose();
}

/** model.fitDataset: one pass over the dataset per epoch (or batchesPerEpoch batches from one iterator). */
export async function fitDatasetModel(
  model: TrainableModel, compiledArg: CompiledModel | undefined, dataset: DatasetLike, args: ModelFitDatasetArgs,
): Promise<History> {
  const compiled = requireCompiled(compiledArg, 'fitDataset');
  if (!args || !(args.epochs > 0)) throw new Error('fitDataset: args.epochs must be a positive integer');
  if (trainingNow.has(model)) throw new Error('fitDataset: cannot start training because another fit() call on this model is ongoing');
  const verbose = args.verbose ?? defaultVerbose();
  const initialEpoch = args.initialEpoch ?? 0;
  const names = compiled.metricsNames;
  const classWeights = standardizeClassWeights(args.classWeight, model.outputNames);
  const doValidation = args.validationData != null;
  const params: TrainingParams = {
    epochs: args.epochs, initialEpoch, samples: null, steps: args.batchesPerEpoch ?? null, batchSize: null, verbose, doValidation,
    metrics: doValidation ? [...names, ...names.map((n) => `val_${n}`)] : names.slice(),
  };
  const { list, history } = buildCallbacks(model, compiled, args.callbacks, verbose, params);
  const readBatches = someReadBatchLogs(list.callbacks);
  const yielder = new Yielder(args.yieldEvery ?? 'auto');
  trainingNow.add(model);
  try {
    model.stopTraining = false;
    await list.onTrainBegin();
    let iterator = args.batchesPerEpoch != null ? await openIterator(dataset) : null;
    for (let epoch = initialEpoch; epoch < args.epochs; epoch++) {
      await list.onEpochBegin(epoch);
      const averager = new DeviceAverager();
      if (args.batchesPerEpoch == null) iterator = await openIterator(dataset);
      let batch = 0;
      while (args.batchesPerEpoch == null || batch < args.batchesPerEpoch) {
        const next = await iterator!.next();
        if (next.done) {
          if (args.batchesPerEpoch != null) {
            throw new Error(`fitDataset: the dataset ran out after ${batch} batches of epoch ${epoch + 1}, expected batchesPerEpoch = ${args.batchesPerEpoch} (use dataset.repeat())`);
          }
          break;
        }
        const { xs, ys } = unpackBatch(next.value, 'fitDataset');
        let values: Tensor;
        let size: number;
        try {
          const x = standardizeInputs(model, xs, 'fitDataset');
          const y = standardizeTargets(model, compiled, ys, 'fitDataset');
          size = sampleCount([...x, ...y], 'fitDataset');
          const batchLogs: Logs = { batch, size };
          await list.onBatchBegin(batch, batchLogs);
          const weights = batchSampleWeights(y, classWeights);
          try {
            values = trainStep(model, compiled, x, y, weights);
          } finally {
            for (const w of weights) w?.dispose();
          }
          await recordBatch(averager, values, size, names, batchLogs, readBatches);
          await list.onBatchEnd(batch, batchLogs);
          await yielder.afterBatch(list, epoch, batch, batchLogs);
        } finally {
          // Like tfjs: the batch tensors the dataset produced are consumed.
          disposeArgs(xs);
          disposeArgs(ys);
        }
        batch++;
        if (model.stopTraining) break;
      }
      const epochLogs = await averager.means(names);
      if (args.validationData) {
        await addValidationLogs(await evaluateValidation(model, compiled, args.validationData, args.validationBatchSize ?? 32), names, epochLogs);
      }
      await list.onEpochEnd(epoch, epochLogs);
      if (model.stopTraining) break;
      await yielder.afterEpoch(list, epoch, epochLogs);
    }
    await list.onTrainEnd();
    return history;
  } finally {
    trainingNow.delete(model);
  }
}

async function evaluateValidation(
  model: TrainableModel, compiled: CompiledModel, data: [TensorArgs, TensorArgs] | DatasetLike, batchSize: number,
): Promise<Tensor> {
  if (Array.isArray(data)) {
    return testLoop(model, compiled, standardizeInputs(model, data[0], 'fitDataset (validationData)'),
      standardizeTargets(model, compiled, data[1], 'fitDataset (validationData)'), batchSize);
  }
  const iterator = await openIterator(data);
  const averager = new DeviceAverager();
  try {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      const { xs, ys } = unpackBatch(next.value, 'fitDataset (validationData)');
      try {
        const x = standardizeInputs(model, xs, 'fitDataset (validationData)');
        const y = standardizeTargets(model, compiled, ys, 'fitDataset (validationData)');
        const size = sampleCount([...x, ...y], 'fitDataset (validationData)');
        addAndDispose(averager, testStep(model, compiled, x, y), size);
      } finally {
        disposeArgs(xs);
        disposeArgs(ys);
      }
    }
    const means = averager.meansTensor();
    if (!means) throw new Error('fitDataset: the validation dataset is empty');
    return means;
  } finally {
    averager.dispose();
  }
}

/** model.evaluate: loss then metrics as scalar tensors (one scalar when there is only the loss), as tfjs. */
export function evaluateModel(
  model: TrainableModel, compiledArg: CompiledModel | undefined, x: TensorArgs, y: TensorArgs,
  args: { batchSize?: number; verbose?: number } = {},
): Tensor | Tensor[] {
  const compiled = requireCompiled(compiledArg, 'evaluate');
  const batchSize = args.batchSize ?? 32;
  checkBatchSize(batchSize, 'evaluate');
  const inputs = standardizeInputs(model, x, 'evaluate', batchSize);
  const targets = standardizeTargets(model, compiled, y, 'evaluate', batchSize);
  const means = testLoop(model, compiled, inputs, targets, batchSize);
  const values = unstack(means);
  means.dispose();
  return values.length === 1 ? values[0] : values;
}

/** model.predict: the outputs for every sample, computed batchSize rows at a time. */
export function predictModel(model: TrainableModel, x: TensorArgs, args: { batchSize?: number; verbose?: number } = {}): Tensor | Tensor[] {
  const batchSize = args.batchSize ?? 32;
  checkBatchSize(batchSize, 'predict');
  const inputs = standardizeInputs(model, x, 'predict', batchSize);
  const n = sampleCount(inputs, 'predict');
  const parts: Tensor[][] = model.outputNames.map(() => []);
  try {
    for (const [start, end] of makeBatches(n, batchSize)) {
      const outputs = ENGINE.tidy(() => model.predictTensors(sliceRows(inputs, start, end), false));
      outputs.forEach((o, i) => parts[i].push(o));
    }
    const joined = parts.map((list) => (list.length === 1 ? list[0] : concat(list, 0)));
    return joined.length === 1 ? joined[0] : joined;
  } finally {
    for (const list of parts) if (list.length > 1) for (const t of list) t.dispose();
  }
}

/** model.predictOnBatch: one forward pass over all of x. */
export function predictOnBatch(model: TrainableModel, x: TensorArgs): Tensor | Tensor[] {
  const inputs = standardizeInputs(model, x, 'predictOnBatch');
  const outputs = ENGINE.tidy(() => model.predictTensors(inputs, false));
  return outputs.length === 1 ? outputs[0] : outputs;
}

/** model.trainOnBatch: one update on (x, y); the loss, or [loss, metrics…] when there are metrics. */
export function trainOnBatch(model: TrainableModel, compiledArg: CompiledModel | undefined, x: TensorArgs, y: TensorArgs): number | number[] {
  const compiled = requireCompiled(compiledArg, 'trainOnBatch');
  const inputs = standardizeInputs(model, x, 'trainOnBatch');
  const targets = standardizeTargets(model, compiled, y, 'trainOnBatch');
  sampleCount([...inputs, ...targets], 'trainOnBatch');
  const packed = trainStep(model, compiled, inputs, targets);
  const values = Array.from(packed.dataSync());
  packed.dispose();
  return values.length === 1 ? values[0] : values;
}
