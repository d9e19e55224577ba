// Elementwise binary arithmetic with numpy broadcasting: forward and gradient side by side.
// a: [...], b: [...] → out: broadcast(a.shape, b.shape)
import type { BinaryOp } from '../backend/backend.js';
import { ENGINE, GradientFn } from '../engine.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { sum } from './reduce.js';
import { reshape } from './shape.js';
import { broadcastedAxes, broadcastShapes, toTensor, upcastDtype } from './util.js';
import { cast } from './cast.js';
import { compare } from './compare.js';
import { where } from './where.js';
import { log, neg, square } from './unary.js';
import { onesLike, zerosLike } from './creation.js';

type Arg = Tensor | TensorLike;

/** Sums a broadcast gradient back to the input's shape. */
export function sumToShape(dy: Tensor, shape: readonly number[]): Tensor {
  const axes = broadcastedAxes(shape, dy.shape);
  const reduced = axes.length ? sum(dy, axes) : dy;
  return reduced.shape.length === shape.length && reduced.shape.every((d, i) => d === shape[i]) ? reduced : reshape(reduced, shape);
}

function binaryOp(op: BinaryOp, opName: string, aArg: Arg, bArg: Arg, backward?: GradientFn): Tensor {
  let a = toTensor(aArg, 'a', opName);
  let b = toTensor(bArg, 'b', opName);
  const dtype = upcastDtype(a.dtype, b.dtype);
  // tfjs upcasts mixed dtypes; bool arithmetic is done in int32.
  const computeDtype = dtype === 'bool' ? 'int32' : dtype;
  if (a.dtype !== computeDtype) a = cast(a, computeDtype);
  if (b.dtype !== computeDtype) b = cast(b, computeDtype);
  const outShape = broadcastShapes(a.shape, b.shape, opName);
  return ENGINE.runKernel({
    name: opName,
    inputs: [a, b],
    forward: (backend, [x, y]) => ({
      dataId: backend.binary(op, x.dataId, x.shape, y.dataId, y.shape, outShape, computeDtype),
      shape: outShape,
      dtype: computeDtype,
    }),
    backward: computeDtype === 'float32' ? backward : undefined,
  })[0];
}

export function add(a: Arg, b: Arg): Tensor {
  return binaryOp('add', 'add', a, b, ([dy], [x, y]) => [sumToShape(dy, x.shape), sumToShape(dy, y.shape)]);
}

export function sub(a: Arg, b: Arg): Tensor {
  return binaryOp('sub', 'sub', a, b, ([dy], [x, y]) => [sumToShape(dy, x.shape), sumToShape(neg(dy), y.shape)]);
}

export function mul(a: Arg, b: Arg): Tensor {
  return binaryOp('mul', 'mul', a, b, ([dy], [x, y]) => [sumToShape(mul(dy, y), x.shape), sumToShape(mul(dy, x), y.shape)]);
}

export function div(a: Arg, b: Arg): Tensor {
  return binaryOp('div', 'div', a, b, ([dy], [x, y]) => [
    sumToShape(div(dy, y), x.shape),
    sumToShape(neg(div(mul(dy, x), square(y))), y.shape),
  ]);
}

/** Division that yields 0 where the divisor is 0 (tfjs divNoNan). */
export function divNoNan(a: Arg, b: Arg): Tensor {
  const x = toTensor(a, 'a', 'divNoNan');
  const y = toTensor(b, 'b', 'divNoNan');
  broadcastShapes(x.shape, y.shape, 'divNoNan');
  const isZero = compare('equal', y, zerosLike(y), 'divNoNan');
  // onesLike keeps y's dtype, so int32 / int32 stays int32 as in tfjs.
  const quotient = div(x, where(isZero, onesLike(y), y));
  return where(isZero, zerosLike(quotient), quotient);
}

/** floor(a / b); the result is int32 for every input dtype, as in tfjs. */
export function floorDiv(a: Arg, b: Arg): Tensor {
  const quotient = binaryOp('floorDiv', 'floorDiv', a, b, ([dy], [x, y]) => [zerosLike(x), zerosLike(y)]);
  return quotient.dtype === 'int32' ? quotient : cast(quotient, 'int32');
}

export function mod(a: Arg, b: Arg): Tensor {
  // d/da = 1, d/db = -floor(a/b)
  return binaryOp('mod', 'mod', a, b, ([dy], [x, y]) => [
    sumToShape(dy, x.shape),
    sumToShape(mul(dy, neg(floorDiv(x, y))), y.shape),
  ]);
}

export function maximum(a: Arg, b: Arg): Tensor {
  // Ties send the gradient to a, like tfjs.
  return binaryOp('maximum', 'maximum', a, b, ([dy], [x, y]) => {
    const aWins = cast(compare('greaterEqual', x, y, 'maximum'), 'float32');
    return [sumToShape(mul(dy, aWins), x.shape), sumToShape(mul(dy, sub(1, aWins)), y.shape)];
  });
}

export function minimum(a: Arg, b: Arg): Tensor {
  return binaryOp('minimum', 'minimum', a, b, ([dy], [x, y]) => {
    const aWins = cast(compare('lessEqual', x, y, 'minimum'), 'float32');
    return [sumToShape(mul(dy, aWins), x.shape), sumToShape(mul(dy, sub(1, aWins)), y.shape)];
  });
}

export function pow(base: Arg, exp: Arg): Tensor {
  return binaryOp('pow', 'pow', base, exp, ([dy], [x, y], [out]) => {
    const dx = mul(dy, mul(y, pow(x, sub(y, 1))));
    // d/dy x^y = x^y * log(x), defined as 0 where x <= 0 (tfjs does the same).
    const positive = compare('greater', x, zerosLike(x), 'pow');
    const logX = where(positive, log(where(positive, x, add(zerosLike(x), 1))), zerosLike(x));
    return [sumToShape(dx, x.shape), sumToShape(mul(dy, mul(out, logX)), y.shape)];
  });
}

export function squaredDifference(a: Arg, b: Arg): Tensor {
  return binaryOp('squaredDifference', 'squaredDifference', a, b, ([dy], [x, y]) => {
    const twoDiff = mul(sub(x, y), 2);
    return [sumToShape(mul(dy, twoDiff), x.shape), sumToShape(neg(mul(dy, twoDiff)), y.shape)];
  });
}

export function atan2(a: Arg, b: Arg): Tensor {
  return binaryOp('atan2', 'atan2', a, b, ([dy], [x, y]) => {
    const denominator = add(square(x), square(y));
    return [sumToShape(div(mul(dy, y), denominator), x.shape), sumToShape(div(neg(mul(dy, x)), denominator), y.shape)];
  });
}
