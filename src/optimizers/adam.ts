// Adam (tfjs semantics) and AdamW (Keras's decoupled weight decay) on the fused in-place kernel:
//   m ← β1·m + (1−β1)·g;   v ← β2·v + (1−β2)·g²;   m̂ = m/(1−β1^t);   v̂ = v/(1−β2^t)
//   param ← param − lr·(m̂/(√v̂ + ε) + weightDecay·param)           (t = iterations + 1; Adam: weightDecay 0)
// Keras applies the decay first (param ← param·(1 − lr·wd)) and then the Adam step; both terms read the
// pre-step parameter either way, so the single fused update is the same arithmetic.
import { ENGINE } from '../engine.js';
import { Optimizer, OptimizerClass, OptimizerConfig } from './optimizer.js';
import {
  NamedTensor, NamedTensorMap, SlotState, checkedVariable, gradientList, gradientOnCurrentBackend, ownBufferForUpdate,
} from './state.js';
import { checkRate } from './sgd.js';

/** tfjs's backend epsilon for float32 (what its Adam, RMSProp and Adagrad default to). */
export const FLOAT32_EPSILON = 1e-7;

/**
 * Adam. Example:
 *   const opt = tf.train.adam(1e-3);
 *   for (let step = 0; step < 100; step++) opt.minimize(() => loss(model));
 */
export class AdamOptimizer extends Optimizer {
  static override get className(): string {
    return 'Adam';
  }
  protected override readonly state = new SlotState(this.getClassName(), ['m', 'v']);
  /** Decoupled decay rate; 0 for Adam (AdamW sets it). */
  protected decay = 0;

  constructor(
    public learningRate: number,
    public beta1: number,
    public beta2: number,
    public epsilon: number = FLOAT32_EPSILON,
  ) {
    super();
    if (epsilon == null) this.epsilon = FLOAT32_EPSILON;
    const name = this.getClassName().toLowerCase();
    checkRate(learningRate, 'learningRate', name);
    checkRate(beta1, 'beta1', name);
    checkRate(beta2, 'beta2', name);
    checkRate(this.epsilon, 'epsilon', name);
  }

  applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void {
    // Every variable in one call shares the step, as tfjs's accumulated beta powers do.
    const step = this.iterations + 1;
    for (const { name, tensor } of gradientList(variableGradients)) {
      const variable = checkedVariable(this.getClassName(), name, tensor);
      const [m, v] = this.state.slotsFor(variable);
      if (tensor == null) continue;
      ownBufferForUpdate(variable);
      const gradient = gradientOnCurrentBackend(tensor);
      ENGINE.backend.adamUpdate(variable.dataId, gradient.tensor.dataId, m.dataId, v.dataId, variable.size, {
        learningRate: this.learningRate,
        beta1: this.beta1,
        beta2: this.beta2,
        epsilon: this.epsilon,
        step,
        weightDecay: this.decay,
      });
      if (gradient.temporary) gradient.tensor.dispose();
    }
    this.incrementIterations();
  }

  getConfig(): OptimizerConfig {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }

  static fromConfig(cls: OptimizerClass, config: OptimizerConfig): AdamOptimizer {
    return new cls(config.learningRate as number, config.beta1 as number, config.beta2 as number, config.epsilon as number);
  }
}

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter; Keras's AdamW): every step also shrinks each
 * parameter by lr·weightDecay·param, independent of the gradient. Not in tfjs.
 */
export class AdamWOptimizer extends AdamOptimizer {
  static override get className(): string {
    return 'AdamW';
  }

  constructor(learningRate: number, public weightDecay: number, beta1: number, beta2: number, epsilon: number = FLOAT32_EPSILON) {
    super(learningRate, beta1, beta2, epsilon);
    checkRate(weightDecay, 'weightDecay', 'adamw');
  }

  override applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void {
    // Read at each step, so weightDecay can be changed between steps like learningRate.
    this.decay = this.weightDecay;
    super.applyGradients(variableGradients);
  }

  override getConfig(): OptimizerConfig {
    return { ...super.getConfig(), weightDecay: this.weightDecay };
  }

  static override fromConfig(cls: OptimizerClass, config: OptimizerConfig): AdamWOptimizer {
    return new cls(
      config.learningRate as number, config.weightDecay as number, config.beta1 as number, config.beta2 as number,
      config.epsilon as number,
    );
  }
}
