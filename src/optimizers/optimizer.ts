// The optimizer base class, shaped like tfjs-core's: minimize = computeGradients + applyGradients,
// an iteration counter, and state that can be saved (getWeights) and restored (setWeights).
import { ENGINE } from '../engine.js';
import type { Tensor } from '../tensor.js';
import type { Variable } from '../variable.js';
import { variableGrads } from '../autograd/gradients.js';
import type { NamedTensor, NamedTensorMap, SlotState } from './state.js';

export type { NamedTensor, NamedTensorMap } from './state.js';
export type OptimizerConfig = Record<string, number | boolean | null>;
/** What fromConfig(cls, config) constructs (tfjs passes the class so subclasses reuse it). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OptimizerClass = new (...args: any[]) => any;

export abstract class Optimizer {
  /** tfjs/Keras class name ('SGD', 'Adam'…), used in saved configs. */
  static get className(): string {
    return 'Optimizer';
  }
  protected iterationCount = 0;

  /**
   * Runs f, and moves the trainable variables (all of them, or those in varList) against the gradient of
   * its scalar result. Returns that result when returnCost is true (the caller then owns it).
   */
  minimize(f: () => Tensor, returnCost = false, varList?: Variable[]): Tensor | null {
    // tfjs prunes non-trainable variables even from an explicit list.
    const { value, grads } = this.computeGradients(f, varList?.filter((v) => v.trainable));
    try {
      if (varList) this.applyGradients(varList.map((v) => ({ name: v.name, tensor: grads[v.name] })));
      else this.applyGradients(grads);
    } catch (error) {
      value.dispose();
      throw error;
    } finally {
      for (const name of Object.keys(grads)) grads[name].dispose();
    }
    if (returnCost) return value;
    value.dispose();
    return null;
  }

  /** f's scalar value and its gradient for each variable that gets one (name → gradient). */
  computeGradients(f: () => Tensor, varList?: Variable[]): { value: Tensor; grads: NamedTensorMap } {
    return variableGrads(f, varList);
  }

  /** Updates each named variable from its gradient; entries without a gradient are skipped. */
  abstract applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void;

  /** How many times applyGradients has run. */
  get iterations(): number {
    return this.iterationCount;
  }

  protected incrementIterations(): void {
    this.iterationCount++;
  }

  /** Per-variable state (velocities, moments…) of optimizers that keep any; dispose/getWeights/setWeights use it. */
  protected state?: SlotState;

  /** Frees the optimizer's state tensors. */
  dispose(): void {
    this.state?.dispose();
  }

  /** 'iter' then the state tensors, named and ordered as tfjs does. The caller owns the returned copies. */
  async getWeights(): Promise<NamedTensor[]> {
    return [this.saveIterations(), ...(this.state?.snapshot() ?? [])];
  }

  /** Restores what getWeights returned (from this class, or tfjs's); the inputs stay the caller's. */
  async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    if (this.state) {
      this.state.restore(rest);
    } else if (rest.length !== 0) {
      const name = this.getClassName();
      throw new Error(`${name}.setWeights: ${name} has no state besides the iteration count`);
    }
  }
  abstract getConfig(): OptimizerConfig;

  getClassName(): string {
    return (this.constructor as typeof Optimizer).className;
  }

  protected saveIterations(): NamedTensor {
    return { name: 'iter', tensor: ENGINE.fromValues(new Int32Array([this.iterationCount]), [], 'int32') };
  }

  /** Reads the leading 'iter' entry into the counter; returns the rest. */
  protected async extractIterations(weightValues: NamedTensor[]): Promise<NamedTensor[]> {
    const first = weightValues[0];
    if (!first || first.tensor.size !== 1) {
      throw new Error(`${this.getClassName()}.setWeights: expected the iteration count (a scalar named 'iter') first`);
    }
    this.iterationCount = (await first.tensor.data())[0];
    return weightValues.slice(1);
  }
}
