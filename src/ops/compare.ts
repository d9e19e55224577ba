// Comparisons and logical ops with numpy broadcasting. a: [...], b: [...] → bool broadcast(a, b).
// Not differentiable: no gradient flows through a bool.
import type { CompareOp } from '../backend/backend.js';
import { ENGINE } from '../engine.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { cast } from './cast.js';
import { assertDtype, broadcastShapes, toTensor, upcastDtype } from './util.js';

type Arg = Tensor | TensorLike;

/** Runs one comparison on a and b upcast to their common dtype (as tfjs); the result is bool. */
export function compare(op: CompareOp, aArg: Arg, bArg: Arg, opName: string): Tensor {
  let a = toTensor(aArg, 'a', opName);
  let b = toTensor(bArg, 'b', opName);
  const dtype = upcastDtype(a.dtype, b.dtype);
  if (a.dtype !== dtype) a = cast(a, dtype);
  if (b.dtype !== dtype) b = cast(b, dtype);
  const outShape = broadcastShapes(a.shape, b.shape, opName);
  return ENGINE.runKernel({
    name: opName,
    inputs: [a, b],
    forward: (backend, [x, y]) => ({
      dataId: backend.compare(op, x.dataId, x.shape, y.dataId, y.shape, outShape, dtype),
      shape: outShape,
      dtype: 'bool',
    }),
  })[0];
}

export function equal(a: Arg, b: Arg): Tensor {
  return compare('equal', a, b, 'equal');
}

export function notEqual(a: Arg, b: Arg): Tensor {
  return compare('notEqual', a, b, 'notEqual');
}

export function less(a: Arg, b: Arg): Tensor {
  return compare('less', a, b, 'less');
}

export function lessEqual(a: Arg, b: Arg): Tensor {
  return compare('lessEqual', a, b, 'lessEqual');
}

export function greater(a: Arg, b: Arg): Tensor {
  return compare('greater', a, b, 'greater');
}

export function greaterEqual(a: Arg, b: Arg): Tensor {
  return compare('greaterEqual', a, b, 'greaterEqual');
}

/** tfjs requires bool inputs for the logical ops; so do we, naming the op and shape. */
function boolArgs(aArg: Arg, bArg: Arg, opName: string): [Tensor, Tensor] {
  const a = toTensor(aArg, 'a', opName);
  const b = toTensor(bArg, 'b', opName);
  assertDtype(a, ['bool'], opName, 'a');
  assertDtype(b, ['bool'], opName, 'b');
  return [a, b];
}

export function logicalAnd(a: Arg, b: Arg): Tensor {
  return compare('logicalAnd', ...boolArgs(a, b, 'logicalAnd'), 'logicalAnd');
}

export function logicalOr(a: Arg, b: Arg): Tensor {
  return compare('logicalOr', ...boolArgs(a, b, 'logicalOr'), 'logicalOr');
}

/** On bools, "not equal" is exclusive or. */
export function logicalXor(a: Arg, b: Arg): Tensor {
  return compare('notEqual', ...boolArgs(a, b, 'logicalXor'), 'logicalXor');
}

export function logicalNot(xArg: Arg): Tensor {
  const x = toTensor(xArg, 'x', 'logicalNot');
  assertDtype(x, ['bool'], 'logicalNot');
  return ENGINE.runKernel({
    name: 'logicalNot',
    inputs: [x],
    forward: (backend, [input]) => ({
      dataId: backend.unary('logicalNot', input.dataId, input.size, 'bool'),
      shape: input.shape,
      dtype: 'bool',
    }),
  })[0];
}
