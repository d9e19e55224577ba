// tf.data: datasets for fitDataset and input pipelines, plus feature preprocessing helpers.
import { Dataset } from './dataset.js';
import { array, generator, zip } from './sources.js';
import { MinMaxScaler, StandardScaler, minMaxScaler, oneHot, standardScaler, trainTestSplit } from './preprocessing.js';

export { Dataset } from './dataset.js';
export type { DatasetIterator } from './dataset.js';
export { array, generator, zip } from './sources.js';
export { SeededRandom, permutation } from './random.js';
export { StandardScaler, MinMaxScaler, standardScaler, minMaxScaler, trainTestSplit } from './preprocessing.js';
export type { TrainTestSplit, TrainTestSplitOptions } from './preprocessing.js';

/** The `tf.data` namespace (tfjs names). */
export const data = { Dataset, array, zip, generator };

/**
 * Preprocessing helpers, grouped so `oneHot` (float32 targets from class indices) does not shadow the op
 * tf.oneHot (int32, as in tfjs).
 */
export const preprocessing = { StandardScaler, MinMaxScaler, standardScaler, minMaxScaler, oneHot, trainTestSplit };
