// Elementwise kernels: unary ops and their fused gradients, binary ops and comparisons with numpy
// broadcasting, where, cast. Each op is a scalar float64 function picked once per call; the
// loops store into the output's typed array, which applies the dtype's conversion (see storage.ts).
// Semantics follow tfjs-core's cpu backend; the comments mark where that is a choice.

import type { BinaryOp, CompareOp, DType, Shape, UnaryGradOp, UnaryOp } from '../backend.js';
import { broadcastOffsets } from './indexing.js';
import { sizeOf } from '../shape.js';
import {
  erf, gelu, geluDerivative, roundHalfToEven, SELU_ALPHA, SELU_SCALE, sigmoid, softplus,
} from './math.js';
import { allocate, type Values } from './storage.js';

type Scalar1 = (x: number) => number;
type Scalar2 = (a: number, b: number) => number;


function unaryFunction(op: UnaryOp, alpha: number | undefined): Scalar1 {
  switch (op) {
    case 'neg': return (x) => -x;
    case 'abs': return Math.abs;
    case 'square': return (x) => x * x;
    case 'sqrt': return Math.sqrt;
    case 'rsqrt': return (x) => 1 / Math.sqrt(x);
    case 'exp': return Math.exp;
    case 'expm1': return Math.expm1;
    case 'log': return Math.log;
    case 'log1p': return Math.log1p;
    case 'reciprocal': return (x) => 1 / x;
    // relu/relu6 propagate NaN, as tfjs-cpu does (Math.max would too, but say it explicitly).
    case 'relu': return (x) => (x < 0 ? 0 : x);
    case 'relu6': return (x) => (x < 0 ? 0 : x > 6 ? 6 : x);
    case 'leakyRelu': {
      const slope = alpha ?? 0;
      return (x) => (x < 0 ? slope * x : x);
    }
    case 'elu': return (x) => (x >= 0 ? x : Math.expm1(x));
    case 'selu': return (x) => (x >= 0 ? SELU_SCALE * x : SELU_SCALE * SELU_ALPHA * Math.expm1(x));
    case 'sigmoid': return sigmoid;
    case 'tanh': return Math.tanh;
    case 'gelu': return gelu;
    case 'softplus': return softplus;
    case 'sin': return Math.sin;
    case 'cos': return Math.cos;
    // tfjs: sign(NaN) = 0, sign(±0) = 0.
    case 'sign': return (x) => (x < 0 ? -1 : x > 0 ? 1 : 0);
    case 'floor': return Math.floor;
    case 'ceil': return Math.ceil;
    case 'round': return roundHalfToEven;
    // tfjs step with its default alpha 0; NaN stays NaN.
    case 'step': return (x) => (Number.isNaN(x) ? NaN : x > 0 ? 1 : 0);
    case 'erf': return erf;
    case 'logicalNot': return (x) => (x === 0 ? 1 : 0);
  }
}

/** out[i] = f(x[i]); output in `dtype` storage. */
export function unary(op: UnaryOp, x: Values, size: number, dtype: DType, alpha?: number): Values {
  const f = unaryFunction(op, alpha);
  const out = allocate(size, dtype);
  for (let i = 0; i < size; i++) out[i] = f(x[i]);
  return out;
}

/**
 * f'(·) as a function of what the kernel reads: y = f(x) for sigmoid, tanh, exp, sqrt, rsqrt, else x.
 * Kinks: relu'(0) = 0, relu6' is 1 on (0, 6], abs'(0) = 0 (tfjs says −1 there; we take the
 * subgradient 0, as the Backend contract says), leakyRelu'(0) = slope, elu'(0) = 1 and selu'(0) = scale·α, as tfjs.
 */
function derivativeFunction(op: UnaryGradOp, alpha: number | undefined): Scalar1 {
  switch (op) {
    case 'relu': return (x) => (x > 0 ? 1 : 0);
    case 'relu6': return (x) => (x > 0 && x <= 6 ? 1 : 0);
    case 'leakyRelu': {
      const slope = alpha ?? 0;
      return (x) => (x > 0 ? 1 : slope);
    }
    case 'elu': return (x) => (x > 0 ? 1 : Math.exp(x));
    case 'selu': return (x) => (x > 0 ? SELU_SCALE : SELU_SCALE * SELU_ALPHA * Math.exp(x));
    case 'gelu': return geluDerivative;
    case 'softplus': return sigmoid;
    case 'log': return (x) => 1 / x;
    case 'abs': return (x) => (x > 0 ? 1 : x < 0 ? -1 : 0);
    case 'erf': return (x) => 2 / Math.sqrt(Math.PI) * Math.exp(-x * x);
    // y-based: y = f(x).
    case 'sigmoid': return (y) => y * (1 - y);
    case 'tanh': return (y) => 1 - y * y;
    case 'exp': return (y) => y;
    case 'sqrt': return (y) => 0.5 / y;
    case 'rsqrt': return (y) => -0.5 * y * y * y; // d/dx x^(−1/2) = −½·x^(−3/2) = −½·y³
  }
}

/** dx[i] = dy[i] · f'(xOrY[i]). float32 only. */
export function unaryGrad(op: UnaryGradOp, xOrY: Values, dy: Values, size: number, alpha?: number): Values {
  const derivative = derivativeFunction(op, alpha);
  const dx = new Float64Array(size);
  for (let i = 0; i < size; i++) dx[i] = dy[i] * derivative(xOrY[i]);
  return dx;
}

function binaryFunction(op: BinaryOp, dtype: DType): Scalar2 {
  switch (op) {
    case 'add': return (a, b) => a + b;
    case 'sub': return (a, b) => a - b;
    case 'mul': return (a, b) => a * b;
    // tfjs divides int32 by int32 with floor (tf.div routes int32 to floorDiv): −5/3 = −2.
    case 'div': return dtype === 'int32' ? (a, b) => Math.floor(a / b) : (a, b) => a / b;
    // NaN in either operand gives NaN, as tfjs-cpu does (Math.max/min already do).
    case 'maximum': return Math.max;
    case 'minimum': return Math.min;
    case 'pow': return Math.pow;
    case 'squaredDifference': return (a, b) => (a - b) * (a - b);
    case 'floorDiv': return (a, b) => Math.floor(a / b);
    // The result takes the divisor's sign (Python's %), written as tfjs writes it.
    case 'mod': return (a, b) => {
      const remainder = a % b;
      return (a < 0 && b < 0) || (a >= 0 && b >= 0) ? remainder : (remainder + b) % b;
    };
    case 'atan2': return Math.atan2;
  }
}

function compareFunction(op: CompareOp): Scalar2 {
  switch (op) {
    case 'equal': return (a, b) => (a === b ? 1 : 0);
    case 'notEqual': return (a, b) => (a !== b ? 1 : 0);
    case 'less': return (a, b) => (a < b ? 1 : 0);
    case 'lessEqual': return (a, b) => (a <= b ? 1 : 0);
    case 'greater': return (a, b) => (a > b ? 1 : 0);
    case 'greaterEqual': return (a, b) => (a >= b ? 1 : 0);
    case 'logicalAnd': return (a, b) => (a !== 0 && b !== 0 ? 1 : 0);
    case 'logicalOr': return (a, b) => (a !== 0 || b !== 0 ? 1 : 0);
  }
}

/** out[i] = f(a[·], b[·]) over outShape with both inputs broadcast; output in `outDtype` storage. */
function broadcastBinary(
  f: Scalar2, a: Values, aShape: Shape, b: Values, bShape: Shape, outShape: Shape, outDtype: DType,
): Values {
  const size = sizeOf(outShape);
  const out = allocate(size, outDtype);
  const aOffsets = broadcastOffsets(aShape, outShape);
  const bOffsets = broadcastOffsets(bShape, outShape);
  for (let i = 0; i < size; i++) {
    out[i] = f(a[aOffsets ? aOffsets[i] : i], b[bOffsets ? bOffsets[i] : i]);
  }
  return out;
}

export function binary(
  op: BinaryOp, a: Values, aShape: Shape, b: Values, bShape: Shape, outShape: Shape, dtype: DType,
): Values {
  return broadcastBinary(binaryFunction(op, dtype), a, aShape, b, bShape, outShape, dtype);
}

export function compare(
  op: CompareOp, a: Values, aShape: Shape, b: Values, bShape: Shape, outShape: Shape,
): Values {
  return broadcastBinary(compareFunction(op), a, aShape, b, bShape, outShape, 'bool');
}

export function where(
  cond: Values, condShape: Shape, a: Values, aShape: Shape, b: Values, bShape: Shape,
  outShape: Shape, dtype: DType,
): Values {
  const size = sizeOf(outShape);
  const out = allocate(size, dtype);
  const condOffsets = broadcastOffsets(condShape, outShape);
  const aOffsets = broadcastOffsets(aShape, outShape);
  const bOffsets = broadcastOffsets(bShape, outShape);
  for (let i = 0; i < size; i++) {
    const takeA = cond[condOffsets ? condOffsets[i] : i] !== 0;
    out[i] = takeA ? a[aOffsets ? aOffsets[i] : i] : b[bOffsets ? bOffsets[i] : i];
  }
  return out;
}

/**
 * Converts between dtypes like tfjs: float → int32 truncates toward zero (NaN → 0, wraps mod 2³²,
 * done by the Int32Array store); anything → bool is x ≠ 0 (so NaN → true).
 */
export function cast(x: Values, size: number, to: DType): Values {
  const out = allocate(size, to);
  if (to === 'bool') {
    for (let i = 0; i < size; i++) out[i] = x[i] !== 0 ? 1 : 0;
  } else {
    for (let i = 0; i < size; i++) out[i] = x[i];
  }
  return out;
}
