// Feature preprocessing with scikit-learn's fit/transform shape: statistics are learned on the training split
// only and then applied unchanged to validation/test data (fitting on everything leaks test information).
//
//   const scaler = standardScaler().fit(xTrain);        // x: [N, F]
//   const xTrainScaled = scaler.transform(xTrain);       // per-feature (x - mean) / std
//   const xTestScaled = scaler.transform(xTest);
//
// Statistics are computed in float64 in plain JS and kept as number[] (nothing to dispose).
import { Tensor } from '../tensor.js';
import { ENGINE } from '../engine.js';
import { toTensor } from '../ops/util.js';
import { tensor, tensor1d } from '../ops/creation.js';
import { add, mul, sub } from '../ops/binary.js';
import { gather, oneHot as oneHotOp } from '../ops/gather.js';
import { cast } from '../ops/cast.js';
import type { TensorLike } from '../tensor.js';
import { SeededRandom, permutation } from './random.js';

type Matrix = Tensor | TensorLike;

/** Reads a [N, F] float matrix as rows of float64 (validating rank). */
function columnsOf(x: Matrix, where: string): { rows: number; cols: number; values: Float64Array } {
  const t = toTensor(x, 'x', where);
  try {
    if (t.rank !== 2) throw new Error(`${where}: x must be a 2-D [samples, features] matrix, got shape [${t.shape}]`);
    if (t.shape[0] === 0) throw new Error(`${where}: x has no rows (shape [${t.shape}])`);
    return { rows: t.shape[0], cols: t.shape[1], values: Float64Array.from(t.dataSync() as ArrayLike<number>) };
  } finally {
    if (t !== x) t.dispose();
  }
}

function checkFeatures(x: Tensor, expected: number, where: string): void {
  if (x.rank !== 2 || x.shape[1] !== expected) {
    throw new Error(`${where}: x must have shape [N, ${expected}] (the fitted feature count), got [${x.shape}]`);
  }
}

/** (x - shift) * factor + offset per feature column, in one tidy so only the result survives. */
function affine(x: Matrix, shift: number[], factor: number[], offset: number[], where: string): Tensor {
  return ENGINE.tidy(() => {
    const t = toTensor(x, 'x', where);
    checkFeatures(t, shift.length, where);
    return add(mul(sub(cast(t, 'float32'), tensor1d(shift)), tensor1d(factor)), tensor1d(offset));
  });
}
const zerosOf = (n: number) => new Array<number>(n).fill(0);

/** Per-feature standardization to zero mean and unit variance (population std; constant features keep scale 1). */
export class StandardScaler {
  mean: number[] | null = null;
  /** The divisor per feature: the standard deviation, or 1 where it is 0. */
  scale: number[] | null = null;

  fit(x: Matrix): this {
    const { rows, cols, values } = columnsOf(x, 'StandardScaler.fit');
    const mean = new Array<number>(cols).fill(0);
    const variance = new Array<number>(cols).fill(0);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += values[r * cols + c];
    for (let c = 0; c < cols; c++) mean[c] /= rows;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) variance[c] += (values[r * cols + c] - mean[c]) ** 2;
    }
    this.mean = mean;
    this.scale = variance.map((v) => (v > 0 ? Math.sqrt(v / rows) : 1));
    return this;
  }

  transform(x: Matrix): Tensor {
    const { mean, scale } = this.fitted('transform');
    return affine(x, mean, scale.map((s) => 1 / s), zerosOf(mean.length), 'StandardScaler.transform');
  }

  fitTransform(x: Matrix): Tensor {
    return this.fit(x).transform(x);
  }

  inverseTransform(x: Matrix): Tensor {
    const { mean, scale } = this.fitted('inverseTransform');
    return affine(x, zerosOf(mean.length), scale, mean, 'StandardScaler.inverseTransform');
  }

  private fitted(method: string): { mean: number[]; scale: number[] } {
    if (!this.mean || !this.scale) throw new Error(`StandardScaler.${method}: call fit(x) first`);
    return { mean: this.mean, scale: this.scale };
  }
}

/** Per-feature rescaling to `featureRange` (default [0, 1]) from the fitted min and max. */
export class MinMaxScaler {
  min: number[] | null = null;
  max: number[] | null = null;

  constructor(readonly featureRange: [number, number] = [0, 1]) {
    if (!(featureRange[0] < featureRange[1])) {
      throw new Error(`MinMaxScaler: featureRange must be [low, high] with low < high, got [${featureRange}]`);
    }
  }

  fit(x: Matrix): this {
    const { rows, cols, values } = columnsOf(x, 'MinMaxScaler.fit');
    this.min = new Array<number>(cols).fill(Infinity);
    this.max = new Array<number>(cols).fill(-Infinity);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = values[r * cols + c];
        if (v < this.min[c]) this.min[c] = v;
        if (v > this.max[c]) this.max[c] = v;
      }
    }
    return this;
  }

  transform(x: Matrix): Tensor {
    const [low, high] = this.featureRange;
    const { min, max } = this.fitted('transform');
    // A constant feature maps to `low` (its range is treated as 1, as scikit-learn does).
    const factor = min.map((m, c) => (high - low) / (max[c] - m || 1));
    return affine(x, min, factor, min.map(() => low), 'MinMaxScaler.transform');
  }

  fitTransform(x: Matrix): Tensor {
    return this.fit(x).transform(x);
  }

  inverseTransform(x: Matrix): Tensor {
    const [low, high] = this.featureRange;
    const { min, max } = this.fitted('inverseTransform');
    const factor = min.map((m, c) => (max[c] - m || 1) / (high - low));
    return affine(x, min.map(() => low), factor, min, 'MinMaxScaler.inverseTransform');
  }

  private fitted(method: string): { min: number[]; max: number[] } {
    if (!this.min || !this.max) throw new Error(`MinMaxScaler.${method}: call fit(x) first`);
    return { min: this.min, max: this.max };
  }
}

export const standardScaler = (): StandardScaler => new StandardScaler();
export const minMaxScaler = (featureRange?: [number, number]): MinMaxScaler => new MinMaxScaler(featureRange);

/**
 * Class indices → float32 one-hot rows [N, numClasses], ready as categoricalCrossentropy targets
 * (tf.oneHot gives int32, as in tfjs). Labels outside [0, numClasses) are refused.
 */
export function oneHot(labels: Tensor | ArrayLike<number>, numClasses: number): Tensor {
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new Error(`oneHot: numClasses must be an integer >= 2, got ${numClasses}`);
  }
  const values = labels instanceof Tensor ? labels.dataSync() : labels;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new Error(`oneHot: label ${v} at index ${i} is not an integer in [0, ${numClasses})`);
    }
  }
  return ENGINE.tidy(() => oneHotOp(tensor(Int32Array.from(values as ArrayLike<number>), [values.length], 'int32'), numClasses, 1, 0, 'float32'));
}

export interface TrainTestSplitOptions {
  /** Fraction of samples for the test split, in (0, 1); the test count is rounded up (scikit-learn). Default 0.2. */
  testFraction?: number;
  /** Seed of the shuffle; omit for a different split each run. */
  seed?: number | string;
  /** Shuffle before splitting (default true); false takes the last samples as the test split. */
  shuffle?: boolean;
}

export interface TrainTestSplit {
  xTrain: Tensor;
  xTest: Tensor;
  yTrain: Tensor;
  yTest: Tensor;
}

/** Splits x and y (matching first dimension) into train and test rows; the caller owns the four tensors. */
export function trainTestSplit(x: Matrix, y: Matrix, options: TrainTestSplitOptions = {}): TrainTestSplit {
  const { testFraction = 0.2, seed, shuffle = true } = options;
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new Error(`trainTestSplit: testFraction must be in (0, 1), got ${testFraction}`);
  }
  return ENGINE.tidy(() => {
    const xs = toTensor(x, 'x', 'trainTestSplit');
    const ys = toTensor(y, 'y', 'trainTestSplit');
    if (xs.rank === 0 || ys.rank === 0 || xs.shape[0] !== ys.shape[0]) {
      throw new Error(`trainTestSplit: x and y must have the same number of rows, got shapes [${xs.shape}] and [${ys.shape}]`);
    }
    const n = xs.shape[0];
    const testCount = Math.ceil(n * testFraction);
    if (testCount >= n) {
      throw new Error(`trainTestSplit: testFraction ${testFraction} of ${n} samples leaves no training samples`);
    }
    const order = shuffle ? permutation(n, new SeededRandom(seed)) : Int32Array.from({ length: n }, (_, i) => i);
    const trainIndices = tensor(order.slice(0, n - testCount), [n - testCount], 'int32');
    const testIndices = tensor(order.slice(n - testCount), [testCount], 'int32');
    return {
      xTrain: gather(xs, trainIndices),
      xTest: gather(xs, testIndices),
      yTrain: gather(ys, trainIndices),
      yTest: gather(ys, testIndices),
    };
  });
}
