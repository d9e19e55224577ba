// SGD and momentum SGD (optionally Nesterov), as tfjs computes them, on the fused in-place kernel:
//   velocity ← momentum·velocity + g
//   param    ← param − lr·(nesterov ? g + momentum·velocity : velocity)        (plain SGD: param − lr·g)
import { ENGINE } from '../engine.js';
import { Optimizer, OptimizerClass, OptimizerConfig } from './optimizer.js';
import {
  NamedTensor, NamedTensorMap, SlotState, checkedVariable, gradientList, gradientOnCurrentBackend, ownBufferForUpdate,
} from './state.js';

/**
 * Plain gradient descent. Example:
 *   const opt = tf.train.sgd(0.1);
 *   opt.minimize(() => tf.sum(tf.square(tf.sub(tf.matMul(x, w), y))));
 */
export class SGDOptimizer extends Optimizer {
  static override get className(): string {
    return 'SGD';
  }

  constructor(public learningRate: number) {
    super();
    checkRate(learningRate, 'learningRate', 'sgd');
  }

  applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void {
    for (const { name, tensor } of gradientList(variableGradients)) {
      const variable = checkedVariable(this.getClassName(), name, tensor);
      if (tensor == null) continue;
      ownBufferForUpdate(variable);
      const gradient = gradientOnCurrentBackend(tensor);
      ENGINE.backend.sgdUpdate(variable.dataId, gradient.tensor.dataId, undefined, variable.size, this.learningRate, 0, false);
      if (gradient.temporary) gradient.tensor.dispose();
    }
    this.incrementIterations();
  }

  setLearningRate(learningRate: number): void {
    this.learningRate = learningRate;
  }

  getConfig(): OptimizerConfig {
    return { learningRate: this.learningRate };
  }

  static fromConfig(cls: OptimizerClass, config: OptimizerConfig): SGDOptimizer {
    return new cls(config.learningRate as number);
  }
}

/** Gradient descent with momentum (heavy ball, or Nesterov's look-ahead with useNesterov). */
export class MomentumOptimizer extends SGDOptimizer {
  static override get className(): string {
    return 'Momentum';
  }
  protected override readonly state = new SlotState('Momentum', ['momentum']);

  constructor(learningRate: number, public momentum: number, public useNesterov = false) {
    super(learningRate);
    checkRate(momentum, 'momentum', 'momentum');
  }

  override applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void {
    for (const { name, tensor } of gradientList(variableGradients)) {
      const variable = checkedVariable(this.getClassName(), name, tensor);
      // Like tfjs, state exists for every listed variable, with or without a gradient this step.
      const [velocity] = this.state.slotsFor(variable);
      if (tensor == null) continue;
      ownBufferForUpdate(variable);
      const gradient = gradientOnCurrentBackend(tensor);
      ENGINE.backend.sgdUpdate(
        variable.dataId, gradient.tensor.dataId, velocity.dataId, variable.size, this.learningRate, this.momentum, this.useNesterov,
      );
      if (gradient.temporary) gradient.tensor.dispose();
    }
    this.incrementIterations();
  }

  setMomentum(momentum: number): void {
    this.momentum = momentum;
  }

  override getConfig(): OptimizerConfig {
    return { learningRate: this.learningRate, momentum: this.momentum, useNesterov: this.useNesterov };
  }

  static override fromConfig(cls: OptimizerClass, config: OptimizerConfig): MomentumOptimizer {
    return new cls(config.learningRate as number, config.momentum as number, Boolean(config.useNesterov));
  }
}

/** Rejects a missing or non-finite hyperparameter up front (tfjs would produce NaN weights later). */
export function checkRate(value: unknown, name: string, opName: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`${opName}: ${name} must be a finite number, got ${value}`);
  }
}
