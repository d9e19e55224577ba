// Turning fit/evaluate/predict arguments into checked tensor lists (in the model's input/output order),
// slicing batches, and class weights → per-example weights.
import { ENGINE } from '../../engine.js';
import { Tensor } from '../../tensor.js';
import { argMax } from '../../ops/reduce.js';
import { gather } from '../../ops/gather.js';
import { slice } from '../../ops/slice.js';
import { fill, tensor1d } from '../../ops/creation.js';
import { cast } from '../../ops/cast.js';
import { greaterEqual, less, logicalAnd } from '../../ops/compare.js';
import { reshape } from '../../ops/shape.js';
import { round } from '../../ops/unary.js';
import { where } from '../../ops/where.js';
import { checkLabelShape } from './losses.js';
import type { CompiledModel } from './compile.js';
import type { TrainableModel } from './model-interface.js';

export type TensorArgs = Tensor | Tensor[] | Record<string, Tensor>;
/** Per output: class index → weight (tfjs ClassWeight); a single map applies to a single output. */
export type ClassWeight = Record<number, number>;
export type ClassWeightArg = ClassWeight | ClassWeight[] | Record<string, ClassWeight>;

const shapeText = (shape: readonly (number | null)[]): string => `[${shape.map((d) => (d == null ? 'null' : d)).join(',')}]`;

/** x as a list in `names` order; `what` is 'input' or 'target' for messages. */
function toList(args: TensorArgs, names: string[], what: string, where: string): Tensor[] {
  let list: Tensor[];
  if (args instanceof Tensor) list = [args];
  else if (Array.isArray(args)) list = args;
  else if (args && typeof args === 'object') {
    list = names.map((name) => {
      const t = (args as Record<string, Tensor>)[name];
      if (!t) throw new Error(`${where}: no ${what} named '${name}' among ${Object.keys(args).join(', ')}`);
      return t;
    });
  } else {
    throw new Error(`${where}: expected a Tensor, an array of Tensors or a {name: Tensor} object for the ${what}s`);
  }
  if (list.length !== names.length) {
    throw new Error(`${where}: the model has ${names.length} ${what}(s) (${names.join(', ')}) but ${list.length} ${what} tensor(s) were given`);
  }
  list.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new Error(`${where}: ${what} '${names[i]}' is not a Tensor`);
    t.throwIfDisposed(where);
  });
  return list;
}

/**
 * Inputs checked against model.inputShapes (null dims match anything). With `batchSize` (fit, evaluate,
 * predict slice the samples into batches) a fixed batch dimension (a stateful RNN's batchInputShape) constrains
 * the batches, not the sample count, as in tfjs: batchSize must equal it and the samples must fill whole batches.
 */
export function standardizeInputs(model: TrainableModel, x: TensorArgs, where: string, batchSize?: number): Tensor[] {
  const inputs = toList(x, model.inputNames, 'input', where);
  inputs.forEach((t, i) => {
    const expected = model.inputShapes[i];
    const checkedFrom = batchSize === undefined ? 0 : 1;
    const fits = expected.length === t.rank && expected.every((d, k) => k < checkedFrom || d == null || d === t.shape[k]);
    if (!fits) {
      throw new Error(`${where}: input '${model.inputNames[i]}' has shape [${t.shape}] but the model expects ${shapeText(expected)}`);
    }
    const fixedBatch = expected[0];
    const samples = t.shape[0];
    if (batchSize !== undefined && fixedBatch != null && !slicesHaveSize(samples, batchSize, fixedBatch)) {
      throw new Error(
        `${where}: input '${model.inputNames[i]}' has a fixed batch size of ${fixedBatch} (batchInputShape ${shapeText(expected)}): ` +
          `pass batchSize: ${fixedBatch} and a multiple of ${fixedBatch} samples (got batchSize ${batchSize}, ${samples} samples)`,
      );
    }
  });
  return inputs;
}

/** Every batch slice of `samples` rows has `size` rows: one slice of all of them, or whole slices of batchSize. */
function slicesHaveSize(samples: number, batchSize: number, size: number): boolean {
  return samples <= batchSize ? samples === size : batchSize === size && samples % size === 0;
}

/**
 * Targets checked against each output's loss and shape. With `batchSize` (the samples are sliced into batches)
 * a fixed batch dimension of the output is not compared with the sample count; standardizeInputs checks it.
 */
export function standardizeTargets(
  model: TrainableModel, compiled: CompiledModel, y: TensorArgs, where: string, batchSize?: number,
): Tensor[] {
  const targets = toList(y, model.outputNames, 'target', where);
  targets.forEach((t, i) => {
    const output = compiled.outputs[i];
    const shape = batchSize === undefined ? output.shape : [null, ...output.shape.slice(1)];
    checkLabelShape(output.loss, t.shape, shape, output.name, where);
  });
  return targets;
}

/** Throws unless every tensor has the same first dimension; returns it. */
export function sampleCount(tensors: Tensor[], where: string): number {
  const count = tensors[0]?.shape[0];
  for (const t of tensors) {
    if (t.rank === 0 || t.shape[0] !== count) {
      throw new Error(`${where}: all inputs and targets need the same number of samples, got shapes ${tensors.map((u) => `[${u.shape}]`).join(', ')}`);
    }
  }
  return count;
}

/** [start, end) rows of every tensor (views/copies the caller disposes). */
export function sliceRows(tensors: Tensor[], start: number, end: number): Tensor[] {
  return tensors.map((t) => slice(t, [start, ...t.shape.slice(1).map(() => 0)], [end - start, ...t.shape.slice(1)]));
}

/** The rows listed in `indices` (int32 [k]) of every tensor. */
export function gatherRows(tensors: Tensor[], indices: Tensor): Tensor[] {
  return tensors.map((t) => gather(t, indices, 0));
}

/** [start, end) ranges of batchSize over n samples. */
export function makeBatches(n: number, batchSize: number): [number, number][] {
  const batches: [number, number][] = [];
  for (let start = 0; start < n; start += batchSize) batches.push([start, Math.min(start + batchSize, n)]);
  return batches;
}

export function checkBatchSize(batchSize: number, where: string): void {
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`${where}: batchSize must be a positive integer, got ${batchSize}`);
}

/** One class-weight map per output (or null). */
export function standardizeClassWeights(classWeight: ClassWeightArg | undefined, outputNames: string[]): (ClassWeight | null)[] {
  if (classWeight == null) return outputNames.map(() => null);
  if (Array.isArray(classWeight)) {
    if (classWeight.length !== outputNames.length) {
      throw new Error(`fit: classWeight has ${classWeight.length} entries for ${outputNames.length} output(s)`);
    }
    return classWeight;
  }
  const keys = Object.keys(classWeight);
  if (keys.length > 0 && keys.every((k) => outputNames.includes(k))) {
    return outputNames.map((name) => (classWeight as Record<string, ClassWeight>)[name] ?? null);
  }
  if (outputNames.length > 1) throw new Error('fit: with several outputs, classWeight must be an array or keyed by output name');
  return [classWeight as ClassWeight];
}

/** Class weights indexed by class, with one more entry (1) that unlisted classes read (Keras: weight 1). */
function classWeightTable(classWeight: ClassWeight): Float32Array {
  const classes = Object.keys(classWeight).map(Number);
  const bad = classes.find((c) => !(Number.isInteger(c) && c >= 0 && c < MAX_CLASS_WEIGHT_INDEX));
  if (bad !== undefined) {
    throw new Error(`fit: classWeight keys must be class indices in [0, ${MAX_CLASS_WEIGHT_INDEX}), got ${bad}`);
  }
  const table = new Float32Array(Math.max(-1, ...classes) + 2).fill(1);
  for (const c of classes) table[c] = classWeight[c];
  return table;
}
const MAX_CLASS_WEIGHT_INDEX = 1 << 20;

/**
 * Per-example weights [batch] from labels: the class is argMax of one-hot rows, else the label value
 * (rounded). Classes missing from the map weigh 1 (Keras). Computed on the backend: no labels are read.
 */
export function classWeightsFor(labels: Tensor, classWeight: ClassWeight): Tensor {
  const table = classWeightTable(classWeight);
  return ENGINE.tidy(() => {
    const lastDim = labels.shape[labels.rank - 1];
    const classes = labels.rank >= 2 && lastDim > 1 ? argMax(labels, -1) : cast(round(labels), 'int32');
    const flat = reshape(classes, [classes.size]);
    const unlisted = table.length - 1;
    const listed = logicalAnd(greaterEqual(flat, 0), less(flat, unlisted));
    return gather(tensor1d(table), where(listed, flat, fill([flat.size], unlisted, 'int32')));
  });
}
