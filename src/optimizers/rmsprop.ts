// RMSProp and Adagrad, as tfjs computes them. No fused kernel exists for these, so they are composite:
// each step builds new state and parameter tensors from ops and swaps them in (nothing is updated in place).
import { ENGINE } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { add, div, mul, sub } from '../ops/binary.js';
import { sqrt, square } from '../ops/unary.js';
import { Optimizer, OptimizerClass, OptimizerConfig } from './optimizer.js';
import { NamedTensor, NamedTensorMap, SlotState, checkedVariable, gradientList } from './state.js';
import { checkRate } from './sgd.js';
import { FLOAT32_EPSILON } from './adam.js';

/**
 * RMSProp (tfjs semantics; centered divides by an estimate of the gradient's variance instead):
 *   ms  ← decay·ms + (1−decay)·g²                 mg ← decay·mg + (1−decay)·g   (centered only)
 *   mom ← momentum·mom + lr·g / √(ms + ε)         (centered: √(ms − (mg² + ε)))
 *   param ← param − mom
 */
export class RMSPropOptimizer extends Optimizer {
  static override get className(): string {
    return 'RMSProp';
  }
  protected override readonly state: SlotState;

  constructor(
    public learningRate: number,
    public decay = 0.9,
    public momentum = 0,
    public epsilon: number = FLOAT32_EPSILON,
    public centered = false,
  ) {
    super();
    if (epsilon == null) this.epsilon = FLOAT32_EPSILON;
    for (const [name, value] of [['learningRate', learningRate], ['decay', decay], ['momentum', momentum], ['epsilon', this.epsilon]] as const) {
      checkRate(value, name, 'rmsprop');
    }
    // tfjs's names and order: mean squares, moments, then (centered) mean gradients.
    this.state = new SlotState('RMSProp', centered ? ['rms', 'momentum', 'mg'] : ['rms', 'momentum']);
  }

  applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void {
    for (const { name, tensor: gradient } of gradientList(variableGradients)) {
      const variable = checkedVariable(this.getClassName(), name, gradient);
      const [meanSquare, moment, meanGradient] = this.state.slotsFor(variable);
      if (gradient == null) continue;
      const updated = ENGINE.tidy(() => {
        const newMeanSquare = add(mul(meanSquare, this.decay), mul(square(gradient), 1 - this.decay));
        let denominator: Tensor;
        let newMeanGradient: Tensor | undefined;
        if (this.centered) {
          newMeanGradient = add(mul(meanGradient, this.decay), mul(gradient, 1 - this.decay));
          denominator = sqrt(sub(newMeanSquare, add(square(newMeanGradient), this.epsilon)));
        } else {
          denominator = sqrt(add(newMeanSquare, this.epsilon));
        }
        const newMoment = add(mul(moment, this.momentum), div(mul(gradient, this.learningRate), denominator));
        variable.assign(sub(variable, newMoment));
        return { newMeanSquare, newMoment, newMeanGradient };
      });
      this.state.replace(name, 0, updated.newMeanSquare);
      this.state.replace(name, 1, updated.newMoment);
      if (updated.newMeanGradient) this.state.replace(name, 2, updated.newMeanGradient);
    }
    this.incrementIterations();
  }

  getConfig(): OptimizerConfig {
    return { learningRate: this.learningRate, decay: this.decay, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }

  static fromConfig(cls: OptimizerClass, config: OptimizerConfig): RMSPropOptimizer {
    return new cls(
      config.learningRate as number, config.decay as number, config.momentum as number, config.epsilon as number,
      Boolean(config.centered),
    );
  }
}

/**
 * Adagrad (tfjs semantics): accumulator ← accumulator + g²;  param ← param − lr·g / √(accumulator + ε),
 * the accumulator starting at initialAccumulatorValue.
 */
export class AdagradOptimizer extends Optimizer {
  static override get className(): string {
    return 'Adagrad';
  }
  protected override readonly state: SlotState;

  constructor(public learningRate: number, public initialAccumulatorValue = 0.1) {
    super();
    checkRate(learningRate, 'learningRate', 'adagrad');
    checkRate(initialAccumulatorValue, 'initialAccumulatorValue', 'adagrad');
    this.state = new SlotState('Adagrad', ['accumulator'], () => this.initialAccumulatorValue);
  }

  applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void {
    for (const { name, tensor: gradient } of gradientList(variableGradients)) {
      const variable = checkedVariable(this.getClassName(), name, gradient);
      const [accumulator] = this.state.slotsFor(variable);
      if (gradient == null) continue;
      const newAccumulator = ENGINE.tidy(() => {
        const sum = add(accumulator, square(gradient));
        variable.assign(add(mul(div(gradient, sqrt(add(sum, FLOAT32_EPSILON))), -this.learningRate), variable));
        return sum;
      });
      this.state.replace(name, 0, newAccumulator);
    }
    this.incrementIterations();
  }

  getConfig(): OptimizerConfig {
    return { learningRate: this.learningRate, initialAccumulatorValue: this.initialAccumulatorValue };
  }

  static fromConfig(cls: OptimizerClass, config: OptimizerConfig): AdagradOptimizer {
    return new cls(config.learningRate as number, config.initialAccumulatorValue as number);
  }
}
