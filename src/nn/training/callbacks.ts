// Callbacks: the tfjs object form ({onEpochEnd(epoch, logs) {...}}), the Callback base class, the list that
// calls them in order, History (what fit returns) and the Keras callbacks: earlyStopping (with
// restoreBestWeights), learningRateScheduler, reduceLROnPlateau, terminateOnNaN, modelCheckpoint.
//
//   await model.fit(x, y, {callbacks: [tf.callbacks.earlyStopping({patience: 3, restoreBestWeights: true})]});
import type { Tensor } from '../../tensor.js';
import type { Optimizer } from '../../optimizers/optimizer.js';
import type { TrainableModel } from './model-interface.js';
import { writeStderr } from './stderr.js';

/** Numbers by key ('loss', 'acc', 'val_loss'…; 'batch' and 'size' in batch logs). */
export type Logs = Record<string, number>;

/** What fit tells its callbacks before training (Keras's callback.params). */
export interface TrainingParams {
  epochs: number;
  initialEpoch: number;
  samples: number | null;
  steps: number | null;
  batchSize: number | null;
  verbose: number;
  doValidation: boolean;
  /** Every log key an epoch produces, validation keys included. */
  metrics: string[];
}

/** tfjs's object form: any subset of these, sync or async. */
export interface CustomCallbackArgs {
  onTrainBegin?: (logs?: Logs) => void | Promise<void>;
  onTrainEnd?: (logs?: Logs) => void | Promise<void>;
  onEpochBegin?: (epoch: number, logs?: Logs) => void | Promise<void>;
  onEpochEnd?: (epoch: number, logs?: Logs) => void | Promise<void>;
  onBatchBegin?: (batch: number, logs?: Logs) => void | Promise<void>;
  onBatchEnd?: (batch: number, logs?: Logs) => void | Promise<void>;
  onYield?: (epoch: number, batch: number, logs: Logs) => void | Promise<void>;
}

export abstract class Callback {
  model!: TrainableModel;
  /** The compiled optimizer (for learning-rate callbacks). */
  optimizer?: Optimizer;
  params!: TrainingParams;

  setModel(model: TrainableModel, optimizer?: Optimizer): void {
    this.model = model;
    this.optimizer = optimizer;
  }
  setParams(params: TrainingParams): void {
    this.params = params;
  }
  async onTrainBegin(_logs?: Logs): Promise<void> {}
  async onTrainEnd(_logs?: Logs): Promise<void> {}
  async onEpochBegin(_epoch: number, _logs?: Logs): Promise<void> {}
  async onEpochEnd(_epoch: number, _logs?: Logs): Promise<void> {}
  async onBatchBegin(_batch: number, _logs?: Logs): Promise<void> {}
  async onBatchEnd(_batch: number, _logs?: Logs): Promise<void> {}
  /** Called when fit yields to the event loop (tfjs's onYield). */
  async onYield(_epoch: number, _batch: number, _logs: Logs): Promise<void> {}
  /**
   * Whether this callback looks at a batch's loss and metrics (in onBatchEnd or onYield). When none does,
   * fit leaves them on the backend and batch logs carry only `batch` and `size`. Subclasses that override
   * those methods without reading the values may say false.
   */
  get readsBatchLogs(): boolean {
    return this.onBatchEnd !== Callback.prototype.onBatchEnd || this.onYield !== Callback.prototype.onYield;
  }
}

/** Wraps the object form. */
export class CustomCallback extends Callback {
  constructor(private readonly handlers: CustomCallbackArgs) {
    super();
  }
  override async onTrainBegin(logs?: Logs) {
    await this.handlers.onTrainBegin?.(logs);
  }
  override async onTrainEnd(logs?: Logs) {
    await this.handlers.onTrainEnd?.(logs);
  }
  override async onEpochBegin(epoch: number, logs?: Logs) {
    await this.handlers.onEpochBegin?.(epoch, logs);
  }
  override async onEpochEnd(epoch: number, logs?: Logs) {
    await this.handlers.onEpochEnd?.(epoch, logs);
  }
  override async onBatchBegin(batch: number, logs?: Logs) {
    await this.handlers.onBatchBegin?.(batch, logs);
  }
  override async onBatchEnd(batch: number, logs?: Logs) {
    await this.handlers.onBatchEnd?.(batch, logs);
  }
  override async onYield(epoch: number, batch: number, logs: Logs) {
    await this.handlers.onYield?.(epoch, batch, logs);
  }
  override get readsBatchLogs(): boolean {
    return this.handlers.onBatchEnd != null || this.handlers.onYield != null;
  }
}

export type CallbackLike = Callback | CustomCallbackArgs;

/** Callback instances as given; object-form callbacks wrapped. */
export function standardizeCallbacks(callbacks: CallbackLike | CallbackLike[] | null | undefined): Callback[] {
  if (callbacks == null) return [];
  const list = Array.isArray(callbacks) ? callbacks : [callbacks];
  return list.map((c) => {
    if (c instanceof Callback) return c;
    if (c && typeof c === 'object') {
      const known = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd', 'onYield'];
      const unknown = Object.keys(c).filter((k) => !known.includes(k) && typeof (c as Record<string, unknown>)[k] === 'function');
      if (unknown.length > 0 && !Object.keys(c).some((k) => known.includes(k))) {
        throw new Error(`fit: a callback object needs some of ${known.join(', ')}; got ${unknown.join(', ')}`);
      }
      return new CustomCallback(c as CustomCallbackArgs);
    }
    throw new Error(`fit: callbacks must be Callback objects or {onEpochEnd…} objects, got ${typeof c}`);
  });
}

/** Calls every callback in order, awaiting each. */
export class CallbackList {
  constructor(readonly callbacks: Callback[]) {}
  setModel(model: TrainableModel, optimizer?: Optimizer): void {
    for (const c of this.callbacks) c.setModel(model, optimizer);
  }
  setParams(params: TrainingParams): void {
    for (const c of this.callbacks) c.setParams(params);
  }
  async onTrainBegin(logs?: Logs) {
    for (const c of this.callbacks) await c.onTrainBegin(logs);
  }
  async onTrainEnd(logs?: Logs) {
    for (const c of this.callbacks) await c.onTrainEnd(logs);
  }
  async onEpochBegin(epoch: number, logs?: Logs) {
    for (const c of this.callbacks) await c.onEpochBegin(epoch, logs);
  }
  async onEpochEnd(epoch: number, logs?: Logs) {
    for (const c of this.callbacks) await c.onEpochEnd(epoch, logs);
  }
  async onBatchBegin(batch: number, logs?: Logs) {
    for (const c of this.callbacks) await c.onBatchBegin(batch, logs);
  }
  async onBatchEnd(batch: number, logs?: Logs) {
    for (const c of this.callbacks) await c.onBatchEnd(batch, logs);
  }
  async onYield(epoch: number, batch: number, logs: Logs) {
    for (const c of this.callbacks) await c.onYield(epoch, batch, logs);
  }
}

/** Per-epoch logs, as tfjs's History: history.epoch = [0, 1, …], history.history.loss = [...]. */
export class History extends Callback {
  epoch: number[] = [];
  history: Record<string, number[]> = {};

  override async onTrainBegin() {
    this.epoch = [];
    this.history = {};
  }
  override async onEpochEnd(epoch: number, logs: Logs = {}) {
    this.epoch.push(epoch);
    for (const [key, value] of Object.entries(logs)) (this.history[key] ??= []).push(value);
  }
  /** tfjs API: values are plain numbers already, so there is nothing to read back. */
  async syncData(): Promise<void> {}
}

type Mode = 'auto' | 'min' | 'max';

/** true when `current` beats `best` by more than minDelta in the monitored direction. */
function improvementTest(monitor: string, mode: Mode, minDelta: number) {
  const maximize = mode === 'max' || (mode === 'auto' && /acc|auc|precision|recall|f1/.test(monitor));
  const delta = Math.abs(minDelta);
  const improved = maximize
    ? (current: number, best: number) => current - delta > best
    : (current: number, best: number) => current + delta < best;
  return { improved, worst: maximize ? -Infinity : Infinity };
}

function modeOf(mode: string | undefined, name: string): Mode {
  const m = mode ?? 'auto';
  if (m !== 'auto' && m !== 'min' && m !== 'max') throw new Error(`${name}: mode must be 'auto', 'min' or 'max', got '${m}'`);
  return m;
}

function warnMissing(name: string, monitor: string, logs: Logs | undefined): void {
  writeStderr(
    `${name}: metric '${monitor}' is not in the logs (available: ${Object.keys(logs ?? {}).join(', ') || 'none'})\n`,
  );
}

export interface EarlyStoppingArgs {
  monitor?: string;
  minDelta?: number;
  patience?: number;
  verbose?: number;
  mode?: Mode;
  baseline?: number;
  restoreBestWeights?: boolean;
}

/** Stops when `monitor` has not improved for `patience` epochs; can restore the best epoch's weights. */
export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly patience: number;
  readonly restoreBestWeights: boolean;
  private readonly improved: (current: number, best: number) => boolean;
  private readonly worst: number;
  private readonly baseline?: number;
  private readonly verbose: number;
  private wait = 0;
  private best = Infinity;
  private bestWeights: Tensor[] | null = null;
  stoppedEpoch = 0;
  bestEpoch = 0;

  constructor(args: EarlyStoppingArgs = {}) {
    super();
    this.monitor = args.monitor ?? 'val_loss';
    this.patience = args.patience ?? 0;
    this.verbose = args.verbose ?? 0;
    this.baseline = args.baseline;
    this.restoreBestWeights = args.restoreBestWeights ?? false;
    const mode = modeOf(args.mode, 'earlyStopping');
    ({ improved: this.improved, worst: this.worst } = improvementTest(this.monitor, mode, args.minDelta ?? 0));
    if (!(this.patience >= 0)) throw new Error(`earlyStopping: patience must be >= 0, got ${args.patience}`);
  }

  override async onTrainBegin() {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.disposeBest();
    this.best = this.baseline ?? this.worst;
  }

  override async onEpochEnd(epoch: number, logs?: Logs) {
    const current = logs?.[this.monitor];
    if (current == null) {
      warnMissing('earlyStopping', this.monitor, logs);
      return;
    }
    if (this.improved(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restoreBestWeights) {
        this.disposeBest();
        this.bestWeights = this.model.getWeights();
      }
      return;
    }
    this.wait++;
    if (this.wait >= this.patience) {
      this.stoppedEpoch = epoch;
      this.model.stopTraining = true;
      if (this.restoreBestWeights && this.bestWeights) {
        if (this.verbose > 0) writeStderr(`earlyStopping: restoring the weights of epoch ${this.bestEpoch + 1}\n`);
        this.model.setWeights(this.bestWeights);
      }
    }
  }

  override async onTrainEnd() {
    if (this.stoppedEpoch > 0 && this.verbose > 0) writeStderr(`Epoch ${this.stoppedEpoch + 1}: early stopping\n`);
    this.disposeBest();
  }

  private disposeBest(): void {
    for (const w of this.bestWeights ?? []) w.dispose();
    this.bestWeights = null;
  }
}

interface HasLearningRate {
  learningRate: number;
}

function learningRateOf(callback: Callback, name: string): HasLearningRate {
  const optimizer = callback.optimizer as unknown as HasLearningRate | undefined;
  if (!optimizer || typeof optimizer.learningRate !== 'number') {
    throw new Error(`${name}: the model's optimizer has no numeric learningRate to change`);
  }
  return optimizer;
}

/** Sets the optimizer's learning rate at each epoch's start to schedule(epoch, currentRate). */
export class LearningRateScheduler extends Callback {
  constructor(private readonly schedule: (epoch: number, learningRate: number) => number | Promise<number>, private readonly verbose = 0) {
    super();
    if (typeof schedule !== 'function') throw new Error('learningRateScheduler: schedule must be a function (epoch, lr) => lr');
  }
  override async onEpochBegin(epoch: number) {
    const optimizer = learningRateOf(this, 'learningRateScheduler');
    const rate = await this.schedule(epoch, optimizer.learningRate);
    if (typeof rate !== 'number' || !Number.isFinite(rate)) {
      throw new Error(`learningRateScheduler: the schedule returned ${String(rate)} for epoch ${epoch}; expected a finite number`);
    }
    optimizer.learningRate = rate;
    if (this.verbose > 0) writeStderr(`Epoch ${epoch + 1}: learning rate set to ${rate}\n`);
  }
  override async onEpochEnd(_epoch: number, logs?: Logs) {
    if (logs) logs.lr = learningRateOf(this, 'learningRateScheduler').learningRate;
  }
}

export interface ReduceLROnPlateauArgs {
  monitor?: string;
  factor?: number;
  patience?: number;
  verbose?: number;
  mode?: Mode;
  minDelta?: number;
  cooldown?: number;
  minLr?: number;
}

/** Multiplies the learning rate by `factor` after `patience` epochs without improvement (Keras defaults). */
export class ReduceLROnPlateau extends Callback {
  readonly monitor: string;
  private readonly factor: number;
  private readonly patience: number;
  private readonly cooldown: number;
  private readonly minLr: number;
  private readonly verbose: number;
  private readonly improved: (current: number, best: number) => boolean;
  private readonly worst: number;
  private best = Infinity;
  private wait = 0;
  private cooldownLeft = 0;

  constructor(args: ReduceLROnPlateauArgs = {}) {
    super();
    this.monitor = args.monitor ?? 'val_loss';
    this.factor = args.factor ?? 0.1;
    if (!(this.factor < 1 && this.factor > 0)) throw new Error(`reduceLROnPlateau: factor must be in (0, 1), got ${this.factor}`);
    this.patience = args.patience ?? 10;
    this.cooldown = args.cooldown ?? 0;
    this.minLr = args.minLr ?? 0;
    this.verbose = args.verbose ?? 0;
    ({ improved: this.improved, worst: this.worst } = improvementTest(this.monitor, modeOf(args.mode, 'reduceLROnPlateau'), args.minDelta ?? 1e-4));
  }

  override async onTrainBegin() {
    this.best = this.worst;
    this.wait = 0;
    this.cooldownLeft = 0;
  }

  override async onEpochEnd(epoch: number, logs?: Logs) {
    const optimizer = learningRateOf(this, 'reduceLROnPlateau');
    if (logs) logs.lr = optimizer.learningRate;
    const current = logs?.[this.monitor];
    if (current == null) {
      warnMissing('reduceLROnPlateau', this.monitor, logs);
      return;
    }
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.wait = 0;
    }
    if (this.improved(current, this.best)) {
      this.best = current;
      this.wait = 0;
      return;
    }
    if (this.cooldownLeft > 0) return;
    this.wait++;
    if (this.wait >= this.patience) {
      const reduced = Math.max(optimizer.learningRate * this.factor, this.minLr);
      if (reduced < optimizer.learningRate) {
        optimizer.learningRate = reduced;
        if (this.verbose > 0) writeStderr(`Epoch ${epoch + 1}: reduceLROnPlateau reducing learning rate to ${reduced}\n`);
        this.cooldownLeft = this.cooldown;
        this.wait = 0;
      }
    }
  }
}

/** Stops training at the first batch whose loss is NaN or infinite, saying so on stderr. */
export class TerminateOnNaN extends Callback {
  override async onBatchEnd(batch: number, logs?: Logs) {
    const loss = logs?.loss;
    if (loss != null && !Number.isFinite(loss)) {
      writeStderr(`terminateOnNaN: batch ${batch}: invalid loss ${loss}, terminating training\n`);
      this.model.stopTraining = true;
    }
  }
}

export interface ModelCheckpointArgs {
  monitor?: string;
  saveBestOnly?: boolean;
  mode?: Mode;
  verbose?: number;
}

/**
 * Saves the model (model.save) after each epoch, or only when `monitor` improves with saveBestOnly.
 * '{epoch}' in the path becomes the 1-based epoch number.
 */
export class ModelCheckpoint extends Callback {
  private readonly monitor: string;
  private readonly saveBestOnly: boolean;
  private readonly verbose: number;
  private readonly improved: (current: number, best: number) => boolean;
  private readonly worst: number;
  private best = Infinity;
  /** Paths written, in order. */
  readonly saved: string[] = [];

  constructor(private readonly path: string, args: ModelCheckpointArgs = {}) {
    super();
    if (typeof path !== 'string' || path.length === 0) throw new Error('modelCheckpoint: path must be a non-empty string (e.g. file://./ckpt)');
    this.monitor = args.monitor ?? 'val_loss';
    this.saveBestOnly = args.saveBestOnly ?? false;
    this.verbose = args.verbose ?? 0;
    ({ improved: this.improved, worst: this.worst } = improvementTest(this.monitor, modeOf(args.mode, 'modelCheckpoint'), 0));
  }

  override async onTrainBegin() {
    this.best = this.worst;
  }

  override async onEpochEnd(epoch: number, logs?: Logs) {
    if (this.saveBestOnly) {
      const current = logs?.[this.monitor];
      if (current == null) {
        warnMissing('modelCheckpoint', this.monitor, logs);
        return;
      }
      if (!this.improved(current, this.best)) return;
      this.best = current;
    }
    const target = this.path.replace(/\{epoch\}/g, String(epoch + 1));
    await this.model.save(target);
    this.saved.push(target);
    if (this.verbose > 0) writeStderr(`Epoch ${epoch + 1}: saved the model to ${target}\n`);
  }
}

/** tf.callbacks: factories for the built-in callbacks (tfjs has earlyStopping here). */
export const callbacks = {
  earlyStopping: (args?: EarlyStoppingArgs) => new EarlyStopping(args),
  learningRateScheduler: (schedule: (epoch: number, learningRate: number) => number | Promise<number>, verbose = 0) =>
    new LearningRateScheduler(schedule, verbose),
  reduceLROnPlateau: (args?: ReduceLROnPlateauArgs) => new ReduceLROnPlateau(args),
  terminateOnNaN: () => new TerminateOnNaN(),
  modelCheckpoint: (path: string, args?: ModelCheckpointArgs) => new ModelCheckpoint(path, args),
};
