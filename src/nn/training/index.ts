// The training module: what LayersModel's compile/fit/evaluate/predict delegate to, plus the public
// tf.metrics, tf.callbacks and learning-rate schedules.
export type { TrainableModel, LossOrMetricFn } from './model-interface.js';
export { compileModel } from './compile.js';
export type { ModelCompileArgs, CompiledModel, CompiledOutput } from './compile.js';
export {
  fitModel, fitDatasetModel, evaluateModel, predictModel, predictOnBatch, trainOnBatch,
} from './fit.js';
export type { ModelFitArgs, ModelFitDatasetArgs, DatasetLike, YieldEvery } from './fit.js';
export type { TensorArgs, ClassWeight, ClassWeightArg } from './data.js';
export {
  Callback, CustomCallback, CallbackList, History, EarlyStopping, LearningRateScheduler, ReduceLROnPlateau,
  TerminateOnNaN, ModelCheckpoint, callbacks,
} from './callbacks.js';
export type {
  Logs, TrainingParams, CustomCallbackArgs, CallbackLike, EarlyStoppingArgs, ReduceLROnPlateauArgs, ModelCheckpointArgs,
} from './callbacks.js';
export { ProgressLogger } from './progress.js';
export type { ProgressSink } from './progress.js';
export { getLoss, checkLabelShape } from './losses.js';
export type { LossSpec } from './losses.js';
export { getOptimizer, clipGradients, globalNorm } from './optimizers.js';
export * as schedules from './schedules.js';
export { scheduleLearningRate } from './schedules.js';
export type { LearningRateSchedule } from './schedules.js';
import * as metricsModule from './metrics.js';
import * as lossesModule from './losses.js';

/** tf.metrics: tfjs's metric functions (yTrue, yPred), plus sparseCategoricalAccuracy, f1 and r2Score. */
export const metrics = {
  binaryAccuracy: metricsModule.binaryAccuracy,
  categoricalAccuracy: metricsModule.categoricalAccuracy,
  sparseCategoricalAccuracy: metricsModule.sparseCategoricalAccuracy,
  precision: metricsModule.precision,
  recall: metricsModule.recall,
  f1: metricsModule.f1,
  r2Score: metricsModule.r2Score,
  cosineProximity: metricsModule.cosineProximity,
  binaryCrossentropy: metricsModule.binaryCrossentropy,
  categoricalCrossentropy: metricsModule.categoricalCrossentropy,
  sparseCategoricalCrossentropy: metricsModule.sparseCategoricalCrossentropy,
  meanSquaredError: metricsModule.meanSquaredError,
  meanAbsoluteError: metricsModule.meanAbsoluteError,
  meanAbsolutePercentageError: metricsModule.meanAbsolutePercentageError,
  mse: metricsModule.mse,
  MSE: metricsModule.MSE,
  mae: metricsModule.mae,
  MAE: metricsModule.MAE,
  mape: metricsModule.mape,
  MAPE: metricsModule.MAPE,
};

/** Keras-style loss functions by their tfjs-layers names, (yTrue, yPred) → per-example loss. */
export const kerasLosses = {
  meanSquaredError: lossesModule.meanSquaredError,
  meanAbsoluteError: lossesModule.meanAbsoluteError,
  meanAbsolutePercentageError: lossesModule.meanAbsolutePercentageError,
  meanSquaredLogarithmicError: lossesModule.meanSquaredLogarithmicError,
  huberLoss: lossesModule.huberLoss,
  hinge: lossesModule.hinge,
  squaredHinge: lossesModule.squaredHinge,
  logcosh: lossesModule.logcosh,
  kullbackLeiblerDivergence: lossesModule.kullbackLeiblerDivergence,
  poisson: lossesModule.poisson,
  binaryCrossentropy: lossesModule.binaryCrossentropy,
  categoricalCrossentropy: lossesModule.categoricalCrossentropy,
  sparseCategoricalCrossentropy: lossesModule.sparseCategoricalCrossentropy,
};
