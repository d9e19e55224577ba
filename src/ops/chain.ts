// Chained methods (x.add(y).relu()), as in tfjs: each method forwards to the op of the same name with the
// tensor as its first argument. Attached here rather than in tensor.ts to keep tensor.ts free of op imports.
import { Tensor } from '../tensor.js';
import * as ops from './index.js';

type Ops = typeof ops;
type Rest<F> = F extends (first: any, ...rest: infer R) => any ? R : never;
type Method<K extends keyof Ops> = (...args: Rest<Ops[K]>) => ReturnType<Ops[K] extends (...a: any) => any ? Ops[K] : never>;

const CHAINED = [
  // arithmetic and math
  'add', 'sub', 'mul', 'div', 'divNoNan', 'floorDiv', 'mod', 'maximum', 'minimum', 'pow', 'squaredDifference', 'atan2',
  'neg', 'abs', 'square', 'sqrt', 'rsqrt', 'exp', 'expm1', 'log', 'log1p', 'reciprocal', 'sign', 'floor', 'ceil',
  'round', 'sin', 'cos', 'erf', 'step', 'clipByValue',
  // activations
  'relu', 'relu6', 'leakyRelu', 'elu', 'selu', 'sigmoid', 'tanh', 'gelu', 'softplus', 'logSigmoid', 'prelu',
  // comparisons
  'equal', 'notEqual', 'less', 'lessEqual', 'greater', 'greaterEqual', 'logicalAnd', 'logicalOr', 'logicalNot',
  'logicalXor',
  // reductions and softmax
  'sum', 'mean', 'max', 'min', 'prod', 'argMax', 'argMin', 'logSumExp', 'any', 'all', 'softmax', 'logSoftmax',
  // linear algebra
  'matMul', 'dot',
  // shape and movement
  'reshape', 'transpose', 'expandDims', 'squeeze', 'broadcastTo', 'reverse', 'slice', 'stridedSlice', 'split',
  'unstack', 'gather', 'pad', 'tile', 'cast', 'clone', 'oneHot',
  // convolution, pooling, normalization
  'conv1d', 'conv2d', 'conv2dTranspose', 'depthwiseConv2d', 'separableConv2d', 'maxPool', 'avgPool', 'pool', 'batchNorm',
] as const;

type ChainedName = (typeof CHAINED)[number] & keyof Ops;

declare module '../tensor.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-interface
  interface Tensor extends ChainedMethods {}
}
type ChainedMethods = { [K in ChainedName]: Method<K> } & {
  flatten(): Tensor;
  asScalar(): Tensor;
  as1D(): Tensor;
  as2D(rows: number, columns: number): Tensor;
  toFloat(): Tensor;
  toInt(): Tensor;
  toBool(): Tensor;
  reshapeAs(other: Tensor): Tensor;
  concat(others: Tensor | Tensor[], axis?: number): Tensor;
};

const proto = Tensor.prototype as unknown as Record<string, unknown>;
for (const name of CHAINED) {
  const op = (ops as Record<string, unknown>)[name];
  if (typeof op !== 'function') throw new Error(`chain: op '${name}' is missing from src/ops`);
  proto[name] = function (this: Tensor, ...args: unknown[]) {
    return (op as (...a: unknown[]) => unknown)(this, ...args);
  };
}
Object.assign(proto, {
  flatten(this: Tensor) {
    return ops.reshape(this, [this.size]);
  },
  asScalar(this: Tensor) {
    if (this.size !== 1) throw new Error(`asScalar: tensor of shape [${this.shape}] has ${this.size} elements, not 1`);
    return ops.reshape(this, []);
  },
  as1D(this: Tensor) {
    return ops.reshape(this, [this.size]);
  },
  as2D(this: Tensor, rows: number, columns: number) {
    return ops.reshape(this, [rows, columns]);
  },
  toFloat(this: Tensor) {
    return ops.cast(this, 'float32');
  },
  toInt(this: Tensor) {
    return ops.cast(this, 'int32');
  },
  toBool(this: Tensor) {
    return ops.cast(this, 'bool');
  },
  reshapeAs(this: Tensor, other: Tensor) {
    return ops.reshape(this, other.shape);
  },
  concat(this: Tensor, others: Tensor | Tensor[], axis = 0) {
    return ops.concat([this, ...(Array.isArray(others) ? others : [others])], axis);
  },
});
