// Elementwise unary math: forward on backend.unary, gradient on backend.unaryGrad (or composed from ops),
// side by side. x: [...] → out: [...] (same shape).
//
// dtypes: ops that are exact on integers (neg, abs, square, sign, relu, relu6, floor, ceil, round, step)
// keep int32 like tfjs (bool counts as int32 there); every other op computes in float32, casting int32
// and bool inputs first. Gradients flow only through float32.
import type { DType, UnaryGradOp, UnaryOp } from '../backend/backend.js';
import { ENGINE, GradientFn } from '../engine.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { add, div, maximum, minimum, mul, sub } from './binary.js';
import { cast } from './cast.js';
import { compare } from './compare.js';
import { onesLike, zerosLike } from './creation.js';
import { where } from './where.js';
import { broadcastShapes, toTensor } from './util.js';

type Arg = Tensor | TensorLike;

const SQRT_HALF = Math.SQRT1_2;
const ONE_OVER_SQRT_TWO_PI = 0.3989422804014327;
const TWO_OVER_SQRT_PI = 1.1283791670955126;
const SELU_SCALE = 1.0507009873554805;
const SELU_ALPHA = 1.6732632423543772;

/** A scalar of the given dtype, without going through creation ops (keeps this file's imports small). */
function scalarOf(value: number, dtype: DType): Tensor {
  return ENGINE.fromValues([value], [], dtype);
}

/** Casts x to the dtype the op computes in: int32 for integer-exact ops on int/bool, else float32. */
function computeInput(x: Tensor, keepsIntegers: boolean): Tensor {
  if (x.dtype === 'float32') return x;
  if (keepsIntegers) return x.dtype === 'int32' ? x : cast(x, 'int32');
  return cast(x, 'float32');
}

interface UnaryOptions {
  keepsIntegers?: boolean;
  alpha?: number;
  /** dx from (dy, x, y); only used for float32. */
  backward?: (dy: Tensor, x: Tensor, y: Tensor) => Tensor | null;
}

function unaryOp(op: UnaryOp, opName: string, xArg: Arg, options: UnaryOptions = {}): Tensor {
  const x = computeInput(toTensor(xArg, 'x', opName), options.keepsIntegers ?? false);
  const dtype = x.dtype;
  const backward: GradientFn | undefined =
    dtype === 'float32' && options.backward
      ? ([dy], [input], [output]) => [options.backward!(dy, input, output)]
      : undefined;
  return ENGINE.runKernel({
    name: opName,
    inputs: [x],
    forward: (backend, [input]) => ({
      dataId: backend.unary(op, input.dataId, input.size, dtype, options.alpha),
      shape: input.shape,
      dtype,
    }),
    backward,
  })[0];
}

/**
 * f''(·) with respect to what the fused gradient kernel reads (y for sigmoid/tanh/exp/sqrt/rsqrt, x else),
 * composed from ops so that third and higher derivatives work too. null where f'' is 0 almost everywhere.
 */
function secondDerivative(op: UnaryGradOp, xOrY: Tensor, alpha: number | undefined): Tensor | null {
  switch (op) {
    case 'relu': case 'relu6': case 'leakyRelu': case 'abs': return null;
    case 'elu': return where(compare('greater', xOrY, scalarOf(0, 'float32'), 'elu'), zerosLike(xOrY), exp(xOrY));
    case 'selu':
      return where(compare('greater', xOrY, scalarOf(0, 'float32'), 'selu'), zerosLike(xOrY),
        mul(exp(xOrY), SELU_SCALE * SELU_ALPHA));
    case 'gelu': {
      // d/dx [Φ + xφ] = 2φ − x²φ
      const density = mul(exp(mul(square(xOrY), -0.5)), ONE_OVER_SQRT_TWO_PI);
      return mul(density, sub(2, square(xOrY)));
    }
    case 'softplus': {
      const s = sigmoid(xOrY);
      return mul(s, sub(1, s));
    }
    case 'log': return neg(reciprocal(square(xOrY)));
    case 'erf': return mul(mul(exp(neg(square(xOrY))), TWO_OVER_SQRT_PI), mul(xOrY, -2));
    case 'sigmoid': return sub(1, mul(xOrY, 2)); // d/dy y(1−y)
    case 'tanh': return mul(xOrY, -2); // d/dy (1−y²)
    case 'exp': return onesLike(xOrY);
    case 'sqrt': return neg(div(0.5, square(xOrY))); // d/dy 0.5/y
    case 'rsqrt': return mul(square(xOrY), -1.5); // d/dy −0.5y³
  }
}

/**
 * dx = dy · f'(xOrY) on the fused backend kernel, as an op of its own whose gradient (needed for
 * higher-order derivatives) is composed from ops. Exported for the fused matMul's backward.
 */
export function unaryGradient(op: UnaryGradOp, xOrY: Tensor, dy: Tensor, alpha?: number): Tensor {
  return ENGINE.runKernel({
    name: `${op}Grad`,
    inputs: [xOrY, dy],
    forward: (backend, [source, upstream]) => ({
      dataId: backend.unaryGrad(op, source.dataId, upstream.dataId, source.size, alpha),
      shape: source.shape,
      dtype: 'float32',
    }),
    backward: ([g], [source, upstream]) => {
      const curvature = secondDerivative(op, source, alpha);
      return [curvature ? mul(mul(g, upstream), curvature) : null, unaryGradient(op, source, g, alpha)];
    },
  })[0];
}

const fused = (op: UnaryGradOp, readsOutput = false, alpha?: number) =>
  (dy: Tensor, x: Tensor, y: Tensor) => unaryGradient(op, readsOutput ? y : x, dy, alpha);

// --- integer-exact ops ------------------------------------------------------------------------------

export function neg(x: Arg): Tensor {
  return unaryOp('neg', 'neg', x, { keepsIntegers: true, backward: (dy) => neg(dy) });
}

export function abs(x: Arg): Tensor {
  return unaryOp('abs', 'abs', x, { keepsIntegers: true, backward: fused('abs') });
}

export function square(x: Arg): Tensor {
  return unaryOp('square', 'square', x, { keepsIntegers: true, backward: (dy, input) => mul(dy, mul(input, 2)) });
}

export function sign(x: Arg): Tensor {
  return unaryOp('sign', 'sign', x, { keepsIntegers: true, backward: (dy) => zerosLike(dy) });
}

export function relu(x: Arg): Tensor {
  return unaryOp('relu', 'relu', x, { keepsIntegers: true, backward: fused('relu') });
}

export function relu6(x: Arg): Tensor {
  return unaryOp('relu6', 'relu6', x, { keepsIntegers: true, backward: fused('relu6') });
}

/** floor/ceil/round are the identity on integers: the int32 result is a view of the input. */
function roundingOp(op: 'floor' | 'ceil' | 'round', xArg: Arg): Tensor {
  const x = computeInput(toTensor(xArg, 'x', op), true);
  if (x.dtype === 'int32') {
    return ENGINE.runKernel({
      name: op, inputs: [x], forward: (_, [input]) => ({ dataId: input.dataId, shape: input.shape, dtype: 'int32' }),
    })[0];
  }
  return unaryOp(op, op, x, { backward: (dy) => zerosLike(dy) });
}

export function floor(x: Arg): Tensor {
  return roundingOp('floor', x);
}

export function ceil(x: Arg): Tensor {
  return roundingOp('ceil', x);
}

/** Rounds half to even, as tf.round does. */
export function round(x: Arg): Tensor {
  return roundingOp('round', x);
}

/** 1 where x > 0, alpha elsewhere (NaN stays NaN). */
export function step(x: Arg, alpha = 0): Tensor {
  const unit = unaryOp('step', 'step', x, { keepsIntegers: alpha === 0, backward: (dy) => zerosLike(dy) });
  // step·(1−α) + α maps 1 → 1, 0 → α and keeps NaN.
  return alpha === 0 ? unit : add(mul(unit, 1 - alpha), alpha);
}

// --- float ops ---------------------------------------------------------------------------------------

export function sqrt(x: Arg): Tensor {
  return unaryOp('sqrt', 'sqrt', x, { backward: fused('sqrt', true) });
}

export function rsqrt(x: Arg): Tensor {
  return unaryOp('rsqrt', 'rsqrt', x, { backward: fused('rsqrt', true) });
}

export function exp(x: Arg): Tensor {
  return unaryOp('exp', 'exp', x, { backward: fused('exp', true) });
}

/** e^x − 1, accurate near 0. */
export function expm1(x: Arg): Tensor {
  return unaryOp('expm1', 'expm1', x, { backward: (dy, input) => mul(dy, exp(input)) });
}

export function log(x: Arg): Tensor {
  return unaryOp('log', 'log', x, { backward: fused('log') });
}

/** log(1 + x), accurate near 0. */
export function log1p(x: Arg): Tensor {
  return unaryOp('log1p', 'log1p', x, { backward: (dy, input) => div(dy, add(input, 1)) });
}

export function reciprocal(x: Arg): Tensor {
  return unaryOp('reciprocal', 'reciprocal', x, { backward: (dy, _, y) => neg(mul(dy, square(y))) });
}

export function sin(x: Arg): Tensor {
  return unaryOp('sin', 'sin', x, { backward: (dy, input) => mul(dy, cos(input)) });
}

export function cos(x: Arg): Tensor {
  return unaryOp('cos', 'cos', x, { backward: (dy, input) => neg(mul(dy, sin(input))) });
}

export function erf(x: Arg): Tensor {
  return unaryOp('erf', 'erf', x, { backward: fused('erf') });
}

// --- activations ---------------------------------------------------------------------------------------

/** x for x ≥ 0, alpha·x below (tfjs default alpha 0.2). */
export function leakyRelu(x: Arg, alpha = 0.2): Tensor {
  return unaryOp('leakyRelu', 'leakyRelu', x, { alpha, backward: fused('leakyRelu', false, alpha) });
}

/** x for x ≥ 0, e^x − 1 below. */
export function elu(x: Arg): Tensor {
  return unaryOp('elu', 'elu', x, { backward: fused('elu') });
}

/** Scaled ELU with the constants of Klambauer et al. (2017), as tfjs. */
export function selu(x: Arg): Tensor {
  return unaryOp('selu', 'selu', x, { backward: fused('selu') });
}

export function sigmoid(x: Arg): Tensor {
  return unaryOp('sigmoid', 'sigmoid', x, { backward: fused('sigmoid', true) });
}

export function tanh(x: Arg): Tensor {
  return unaryOp('tanh', 'tanh', x, { backward: fused('tanh', true) });
}

/** Exact GELU x·Φ(x) with the erf form (Keras gelu approximate=false); not in tfjs-core. */
export function gelu(x: Arg): Tensor {
  return unaryOp('gelu', 'gelu', x, { backward: fused('gelu') });
}

/** log(1 + e^x), without overflow. */
export function softplus(x: Arg): Tensor {
  return unaryOp('softplus', 'softplus', x, { backward: fused('softplus') });
}

/** x / (1 + |x|) (Keras softsign; composite). */
export function softsign(x: Arg): Tensor {
  const input = computeInput(toTensor(x, 'x', 'softsign'), false);
  return div(input, add(abs(input), 1));
}

/** log(sigmoid(x)) = −softplus(−x), stable for large |x|. */
export function logSigmoid(x: Arg): Tensor {
  const input = computeInput(toTensor(x, 'x', 'logSigmoid'), false);
  return neg(softplus(neg(input)));
}

/** x where x > 0, alpha·x elsewhere; alpha broadcasts against x (tfjs prelu). */
export function prelu(x: Arg, alpha: Arg): Tensor {
  const input = computeInput(toTensor(x, 'x', 'prelu'), false);
  const slope = computeInput(toTensor(alpha, 'alpha', 'prelu'), false);
  broadcastShapes(input.shape, slope.shape, 'prelu');
  const positive = compare('greater', input, scalarOf(0, 'float32'), 'prelu');
  return where(positive, input, mul(slope, input));
}

/** Clamps x to [clipValueMin, clipValueMax]; the gradient passes where min ≤ x ≤ max, as tfjs. */
export function clipByValue(x: Arg, clipValueMin: number, clipValueMax: number): Tensor {
  const input = toTensor(x, 'x', 'clipByValue');
  if (!(clipValueMin <= clipValueMax)) {
    throw new Error(`clipByValue: clipValueMin (${clipValueMin}) must be <= clipValueMax (${clipValueMax}) (x is [${input.shape}])`);
  }
  const dtype = input.dtype === 'float32' ? 'float32' : 'int32';
  const value = computeInput(input, dtype === 'int32');
  // maximum/minimum send ties to their first argument, which makes the clip bounds inclusive.
  return minimum(maximum(value, scalarOf(clipValueMin, dtype)), scalarOf(clipValueMax, dtype));
}

// --- predicates (bool, no gradient) ----------------------------------------------------------------

export function isNaN(x: Arg): Tensor {
  const input = toTensor(x, 'x', 'isNaN');
  return compare('notEqual', input, input, 'isNaN');
}

export function isInf(x: Arg): Tensor {
  const input = toTensor(x, 'x', 'isInf');
  if (input.dtype !== 'float32') return compare('notEqual', input, input, 'isInf'); // all false
  return compare('equal', abs(input), scalarOf(Infinity, 'float32'), 'isInf');
}

export function isFinite(x: Arg): Tensor {
  const input = toTensor(x, 'x', 'isFinite');
  if (input.dtype !== 'float32') return compare('equal', input, input, 'isFinite'); // all true
  // NaN and ±Infinity both fail |x| < Infinity.
  return compare('less', abs(input), scalarOf(Infinity, 'float32'), 'isFinite');
}
