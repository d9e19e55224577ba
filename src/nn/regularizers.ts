// Weight regularizers (tfjs-layers L1L2): a penalty l1·Σ|w| + l2·Σw² that training adds to the loss.
import type { Tensor } from '../tensor.js';
import * as ops from '../ops/index.js';
import { ENGINE } from '../engine.js';
import type { SerializedObject } from './initializers.js';

export abstract class Regularizer {
  abstract getClassName(): string;
  /** The scalar penalty for weights x (differentiable). */
  abstract apply(x: Tensor): Tensor;
  abstract getConfig(): Record<string, unknown>;
}

export class L1L2 extends Regularizer {
  static readonly className = 'L1L2';
  readonly l1: number;
  readonly l2: number;
  constructor(args: { l1?: number; l2?: number } = {}) {
    super();
    this.l1 = args.l1 ?? 0;
    this.l2 = args.l2 ?? 0;
    for (const [key, value] of [['l1', this.l1], ['l2', this.l2]] as const) {
      if (typeof value !== 'number' || !(value >= 0)) throw new Error(`regularizers: ${key} must be a number ≥ 0, got ${value}`);
    }
  }
  getClassName() { return L1L2.className; }
  apply(x: Tensor): Tensor {
    return ENGINE.tidy(() => {
      let penalty = ops.zeros([]);
      if (this.l1 > 0) penalty = ops.add(penalty, ops.mul(this.l1, ops.sum(ops.abs(x))));
      if (this.l2 > 0) penalty = ops.add(penalty, ops.mul(this.l2, ops.sum(ops.square(x))));
      return penalty;
    });
  }
  getConfig() { return { l1: this.l1, l2: this.l2 }; }
}

/** The tfjs `tf.regularizers` namespace (defaults 0.01 like tfjs). */
export const regularizers = {
  l1: (args: { l1?: number } = {}) => new L1L2({ l1: args.l1 ?? 0.01 }),
  l2: (args: { l2?: number } = {}) => new L1L2({ l2: args.l2 ?? 0.01 }),
  l1l2: (args: { l1?: number; l2?: number } = {}) => new L1L2({ l1: args.l1 ?? 0.01, l2: args.l2 ?? 0.01 }),
};

const NAMES: Record<string, () => Regularizer> = { l1: regularizers.l1, l2: regularizers.l2, l1l2: regularizers.l1l2 };

export function getRegularizer(identifier: string | Regularizer | SerializedObject | null | undefined, context = 'regularizer'): Regularizer | null {
  if (identifier === null || identifier === undefined) return null;
  if (identifier instanceof Regularizer) return identifier;
  if (typeof identifier === 'string') {
    const make = NAMES[identifier.replace(/_/g, '').toLowerCase()];
    if (!make) throw new Error(`${context}: unknown regularizer '${identifier}' (known: ${Object.keys(NAMES).join(', ')})`);
    return make();
  }
  if (typeof identifier === 'object' && identifier.className === 'L1L2') return new L1L2(identifier.config as { l1?: number; l2?: number });
  throw new Error(`${context}: unknown regularizer ${JSON.stringify(identifier)} (known classes: L1L2)`);
}

export function serializeRegularizer(r: Regularizer | null): SerializedObject | null {
  return r ? { className: r.getClassName(), config: r.getConfig() } : null;
}
