// Learning-rate schedules: functions of the optimizer step (0-based) → learning rate, as Keras's
// LearningRateSchedule. scheduleLearningRate attaches one to an optimizer so every applyGradients
// (model.fit, optimizer.minimize) first sets the rate for that step.
//
//   const opt = scheduleLearningRate(tf.train.adam(), exponentialDecay({initialLearningRate: 1e-3, decaySteps: 100, decayRate: 0.9}));
import type { Optimizer } from '../../optimizers/optimizer.js';
import type { NamedTensor, NamedTensorMap } from '../../optimizers/state.js';

export type LearningRateSchedule = (step: number) => number;

function checkPositive(value: number, name: string, schedule: string): void {
  if (!(value > 0) || !Number.isFinite(value)) throw new Error(`${schedule}: ${name} must be a positive number, got ${value}`);
}

/** initial · decayRate^(step / decaySteps); staircase floors the exponent. */
export function exponentialDecay(args: {
  initialLearningRate: number; decaySteps: number; decayRate: number; staircase?: boolean;
}): LearningRateSchedule {
  checkPositive(args.decaySteps, 'decaySteps', 'exponentialDecay');
  return (step) => {
    const exponent = step / args.decaySteps;
    return args.initialLearningRate * Math.pow(args.decayRate, args.staircase ? Math.floor(exponent) : exponent);
  };
}

/** values[i] while step <= boundaries[i] (and values[last] after the last boundary), as Keras. */
export function piecewiseConstant(boundaries: number[], values: number[]): LearningRateSchedule {
  if (values.length !== boundaries.length + 1) {
    throw new Error(`piecewiseConstant: expected ${boundaries.length + 1} values for ${boundaries.length} boundaries, got ${values.length}`);
  }
  for (let i = 1; i < boundaries.length; i++) {
    if (!(boundaries[i] > boundaries[i - 1])) throw new Error(`piecewiseConstant: boundaries must increase, got [${boundaries}]`);
  }
  return (step) => {
    const index = boundaries.findIndex((boundary) => step <= boundary);
    return values[index === -1 ? values.length - 1 : index];
  };
}

/** Cosine from initial down to initial·alpha over decaySteps, then flat (Keras CosineDecay, no warmup). */
export function cosineDecay(args: { initialLearningRate: number; decaySteps: number; alpha?: number }): LearningRateSchedule {
  checkPositive(args.decaySteps, 'cosineDecay', 'decaySteps');
  const alpha = args.alpha ?? 0;
  return (step) => {
    const progress = Math.min(step, args.decaySteps) / args.decaySteps;
    const cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
    return args.initialLearningRate * ((1 - alpha) * cosine + alpha);
  };
}

/** Linear from initial to end over decaySteps (Keras PolynomialDecay with power 1), then flat. */
export function linearDecay(args: { initialLearningRate: number; decaySteps: number; endLearningRate?: number }): LearningRateSchedule {
  checkPositive(args.decaySteps, 'linearDecay', 'decaySteps');
  const end = args.endLearningRate ?? 0;
  return (step) => {
    const progress = Math.min(step, args.decaySteps) / args.decaySteps;
    return args.initialLearningRate + (end - args.initialLearningRate) * progress;
  };
}

/** Linear warmup from 0 to `after(0)` over warmupSteps, then `after(step - warmupSteps)`. */
export function warmup(warmupSteps: number, after: LearningRateSchedule): LearningRateSchedule {
  checkPositive(warmupSteps, 'warmup', 'warmupSteps');
  return (step) => (step < warmupSteps ? (after(0) * (step + 1)) / warmupSteps : after(step - warmupSteps));
}

interface HasLearningRate {
  learningRate: number;
}

/** Makes `optimizer` set its learningRate from `schedule(iterations)` before every update. Returns it. */
export function scheduleLearningRate<T extends Optimizer>(optimizer: T, schedule: LearningRateSchedule): T {
  if (typeof (optimizer as unknown as HasLearningRate).learningRate !== 'number') {
    throw new Error(`scheduleLearningRate: ${optimizer.getClassName()} has no learningRate to schedule`);
  }
  const apply = optimizer.applyGradients.bind(optimizer);
  optimizer.applyGradients = (variableGradients: NamedTensorMap | NamedTensor[]) => {
    (optimizer as unknown as HasLearningRate).learningRate = schedule(optimizer.iterations);
    apply(variableGradients);
  };
  return optimizer;
}
