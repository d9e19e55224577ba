// Elementwise unary ops and their fused backward (dx = dy * f'(·)) on f32x4.
// Units of start/end: elements. Op codes mirror UNARY_OP_CODE in src/backend/backend.ts.
import {
  splat, madd, expV, expm1V, logV, log1pV, tanhV, sigmoidV, erfV, normalCdfV, expNegScaledSquareV, sinCosF64,
} from './vmath';

// The vmath functions are @inline; these local (not inlined) copies keep each one's body in the module
// once, so the per-op loops stay small and the optimizer fast.
function expVec(x: v128): v128 { return expV(x); }
function expm1Vec(x: v128): v128 { return expm1V(x); }
function logVec(x: v128): v128 { return logV(x); }
function log1pVec(x: v128): v128 { return log1pV(x); }
function tanhVec(x: v128): v128 { return tanhV(x); }
function sigmoidVec(x: v128): v128 { return sigmoidV(x); }
function erfVec(x: v128): v128 { return erfV(x); }
function normalCdfVec(x: v128): v128 { return normalCdfV(x); }
function softplusVec(x: v128): v128 {
  // max(x, 0) + log1p(e^-|x|): no overflow for large x, no underflow to 0 for small
  return f32x4.add(f32x4.max(x, f32x4.splat(0)), log1pV(expV(f32x4.neg(f32x4.abs(x)))));
}
function geluGradVec(x: v128): v128 { // Φ(x) + x φ(x)
  const density = f32x4.mul(splat(INV_SQRT_2PI), expNegScaledSquareV(x, 0.5));
  return madd(x, density, normalCdfV(x));
}
function erfGradVec(x: v128): v128 {
  return f32x4.mul(splat(TWO_OVER_SQRT_PI), expNegScaledSquareV(x, 1.0));
}

const OP_NEG = 0; const OP_ABS = 1; const OP_SQUARE = 2; const OP_SQRT = 3;
const OP_RSQRT = 4; const OP_EXP = 5; const OP_EXPM1 = 6; const OP_LOG = 7;
const OP_LOG1P = 8; const OP_RECIPROCAL = 9; const OP_RELU = 10; const OP_RELU6 = 11;
const OP_LEAKY_RELU = 12; const OP_ELU = 13; const OP_SELU = 14; const OP_SIGMOID = 15;
const OP_TANH = 16; const OP_GELU = 17; const OP_SOFTPLUS = 18; const OP_SIN = 19;
const OP_COS = 20; const OP_SIGN = 21; const OP_FLOOR = 22; const OP_CEIL = 23;
const OP_ROUND = 24; const OP_STEP = 25; const OP_ERF = 26; const OP_LOGICAL_NOT = 27;

const SELU_SCALE: f32 = 1.05070098735548;
const SELU_ALPHA: f32 = 1.67326324235438;
const INV_SQRT_2PI: f32 = 0.398942280;
const TWO_OVER_SQRT_PI: f32 = 1.12837917;

// @ts-ignore: decorator
@inline function positiveMask(x: v128): v128 {
  return f32x4.gt(x, f32x4.splat(0));
}

/** sin or cos lane by lane in float64 (not a hot op). */
function sinCosV(x: v128, cosine: bool): v128 {
  let y = x;
  y = f32x4.replace_lane(y, 0, <f32>sinCosF64(<f64>f32x4.extract_lane(x, 0), cosine));
  y = f32x4.replace_lane(y, 1, <f32>sinCosF64(<f64>f32x4.extract_lane(x, 1), cosine));
  y = f32x4.replace_lane(y, 2, <f32>sinCosF64(<f64>f32x4.extract_lane(x, 2), cosine));
  y = f32x4.replace_lane(y, 3, <f32>sinCosF64(<f64>f32x4.extract_lane(x, 3), cosine));
  return y;
}

/** f(x) for one vector. Inlined into a loop per op, where `op` is a constant and the switch folds away. */
// @ts-ignore: decorator
@inline function unaryV(op: i32, x: v128, alpha: f32): v128 {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  switch (op) {
    case OP_NEG: return f32x4.neg(x);
    case OP_ABS: return f32x4.abs(x);
    case OP_SQUARE: return f32x4.mul(x, x);
    case OP_SQRT: return f32x4.sqrt(x);
    case OP_RSQRT: return f32x4.div(one, f32x4.sqrt(x));
    case OP_EXP: return expV(x);
    case OP_EXPM1: return expm1Vec(x);
    case OP_LOG: return logVec(x);
    case OP_LOG1P: return log1pVec(x);
    case OP_RECIPROCAL: return f32x4.div(one, x);
    case OP_RELU: return f32x4.max(x, zero); // max keeps NaN, like Math.max
    case OP_RELU6: return f32x4.min(f32x4.max(x, zero), f32x4.splat(6));
    case OP_LEAKY_RELU: return v128.bitselect(x, f32x4.mul(x, f32x4.splat(alpha)), positiveMask(x));
    case OP_ELU: return v128.bitselect(x, expm1Vec(x), positiveMask(x));
    case OP_SELU: return f32x4.mul(splat(SELU_SCALE),
      v128.bitselect(x, f32x4.mul(splat(SELU_ALPHA), expm1Vec(x)), positiveMask(x)));
    case OP_SIGMOID: return sigmoidVec(x);
    case OP_TANH: return tanhVec(x);
    case OP_GELU: return f32x4.mul(x, normalCdfVec(x));
    case OP_SOFTPLUS: return softplusVec(x);
    case OP_SIN: return sinCosV(x, false);
    case OP_COS: return sinCosV(x, true);
    case OP_SIGN: {
      // sign(NaN) = 0, as in tfjs: NaN is neither positive nor negative.
      return v128.or(v128.and(positiveMask(x), one), v128.and(f32x4.lt(x, zero), f32x4.splat(-1)));
    }
    case OP_FLOOR: return f32x4.floor(x);
    case OP_CEIL: return f32x4.ceil(x);
    case OP_ROUND: return f32x4.nearest(x); // half to even, like tf.round
    case OP_STEP: {
      const stepped = v128.bitselect(one, f32x4.splat(alpha), positiveMask(x));
      return v128.bitselect(x, stepped, f32x4.ne(x, x));
    }
    case OP_ERF: return erfVec(x);
    case OP_LOGICAL_NOT: return v128.and(f32x4.eq(x, zero), one);
    default: return f32x4.splat(NaN);
  }
}

// @ts-ignore: decorator
@inline function unaryLoop(op: i32, x: usize, y: usize, alpha: f32, start: i32, end: i32): void {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const offset = <usize>i << 2;
    v128.store(y + offset, unaryV(op, v128.load(x + offset), alpha));
  }
  for (; i < end; i++) {
    const offset = <usize>i << 2;
    store<f32>(y + offset, f32x4.extract_lane(unaryV(op, f32x4.splat(load<f32>(x + offset)), alpha), 0));
  }
}

/** y[i] = f(x[i]) for i in [start, end). x and y may alias. */
export function unary(op: i32, x: usize, y: usize, alpha: f32, start: i32, end: i32): void {
  switch (op) {
    case OP_NEG: unaryLoop(OP_NEG, x, y, alpha, start, end); break;
    case OP_ABS: unaryLoop(OP_ABS, x, y, alpha, start, end); break;
    case OP_SQUARE: unaryLoop(OP_SQUARE, x, y, alpha, start, end); break;
    case OP_SQRT: unaryLoop(OP_SQRT, x, y, alpha, start, end); break;
    case OP_RSQRT: unaryLoop(OP_RSQRT, x, y, alpha, start, end); break;
    case OP_EXP: unaryLoop(OP_EXP, x, y, alpha, start, end); break;
    case OP_EXPM1: unaryLoop(OP_EXPM1, x, y, alpha, start, end); break;
    case OP_LOG: unaryLoop(OP_LOG, x, y, alpha, start, end); break;
    case OP_LOG1P: unaryLoop(OP_LOG1P, x, y, alpha, start, end); break;
    case OP_RECIPROCAL: unaryLoop(OP_RECIPROCAL, x, y, alpha, start, end); break;
    case OP_RELU: unaryLoop(OP_RELU, x, y, alpha, start, end); break;
    case OP_RELU6: unaryLoop(OP_RELU6, x, y, alpha, start, end); break;
    case OP_LEAKY_RELU: unaryLoop(OP_LEAKY_RELU, x, y, alpha, start, end); break;
    case OP_ELU: unaryLoop(OP_ELU, x, y, alpha, start, end); break;
    case OP_SELU: unaryLoop(OP_SELU, x, y, alpha, start, end); break;
    case OP_SIGMOID: unaryLoop(OP_SIGMOID, x, y, alpha, start, end); break;
    case OP_TANH: unaryLoop(OP_TANH, x, y, alpha, start, end); break;
    case OP_GELU: unaryLoop(OP_GELU, x, y, alpha, start, end); break;
    case OP_SOFTPLUS: unaryLoop(OP_SOFTPLUS, x, y, alpha, start, end); break;
    case OP_SIN: unaryLoop(OP_SIN, x, y, alpha, start, end); break;
    case OP_COS: unaryLoop(OP_COS, x, y, alpha, start, end); break;
    case OP_SIGN: unaryLoop(OP_SIGN, x, y, alpha, start, end); break;
    case OP_FLOOR: unaryLoop(OP_FLOOR, x, y, alpha, start, end); break;
    case OP_CEIL: unaryLoop(OP_CEIL, x, y, alpha, start, end); break;
    case OP_ROUND: unaryLoop(OP_ROUND, x, y, alpha, start, end); break;
    case OP_STEP: unaryLoop(OP_STEP, x, y, alpha, start, end); break;
    case OP_ERF: unaryLoop(OP_ERF, x, y, alpha, start, end); break;
    case OP_LOGICAL_NOT: unaryLoop(OP_LOGICAL_NOT, x, y, alpha, start, end); break;
    default: break;
  }
}

// --- backward --------------------------------------------------------------------------------------------

/** dy * f'(·) for one vector; `v` is y = f(x) for sigmoid, tanh, exp, sqrt, rsqrt and x for the rest. */
// @ts-ignore: decorator
@inline function unaryGradV(op: i32, v: v128, dy: v128, alpha: f32): v128 {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  switch (op) {
    case OP_RELU: return v128.and(dy, positiveMask(v)); // relu'(0) = 0 like tfjs
    case OP_RELU6: return v128.and(dy, v128.and(positiveMask(v), f32x4.le(v, f32x4.splat(6))));
    case OP_LEAKY_RELU: return v128.bitselect(dy, f32x4.mul(dy, f32x4.splat(alpha)), positiveMask(v));
    case OP_ELU: return v128.bitselect(dy, f32x4.mul(dy, expVec(v)), positiveMask(v));
    case OP_SELU: return f32x4.mul(f32x4.mul(dy, splat(SELU_SCALE)),
      v128.bitselect(one, f32x4.mul(splat(SELU_ALPHA), expVec(v)), positiveMask(v)));
    case OP_SIGMOID: return f32x4.mul(dy, f32x4.mul(v, f32x4.sub(one, v)));
    case OP_TANH: return f32x4.mul(dy, f32x4.sub(one, f32x4.mul(v, v)));
    case OP_GELU: return f32x4.mul(dy, geluGradVec(v));
    case OP_SOFTPLUS: return f32x4.mul(dy, sigmoidVec(v));
    case OP_SQRT: return f32x4.div(dy, f32x4.add(v, v));
    case OP_RSQRT: return f32x4.mul(f32x4.mul(dy, f32x4.splat(-0.5)), f32x4.mul(v, f32x4.mul(v, v)));
    case OP_EXP: return f32x4.mul(dy, v);
    case OP_LOG: return f32x4.div(dy, v);
    case OP_ABS: // dy * sign(x): 0 at x = 0 (tfjs gives -dy there; the reference backend and we take 0)
      return v128.and(v128.bitselect(dy, f32x4.neg(dy), positiveMask(v)), f32x4.ne(v, f32x4.splat(0)));
    case OP_ERF: return f32x4.mul(dy, erfGradVec(v));
    default: return f32x4.splat(NaN);
  }
}

// @ts-ignore: decorator
@inline function unaryGradLoop(op: i32, xOrY: usize, dy: usize, dx: usize, alpha: f32, start: i32, end: i32): void {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const offset = <usize>i << 2;
    v128.store(dx + offset, unaryGradV(op, v128.load(xOrY + offset), v128.load(dy + offset), alpha));
  }
  for (; i < end; i++) {
    const offset = <usize>i << 2;
    const g = unaryGradV(op, f32x4.splat(load<f32>(xOrY + offset)), f32x4.splat(load<f32>(dy + offset)), alpha);
    store<f32>(dx + offset, f32x4.extract_lane(g, 0));
  }
}

/** dx[i] = dy[i] * f'(·)[i] over [start, end); see unaryGradV for which input each op reads. */
export function unaryGrad(op: i32, xOrY: usize, dy: usize, dx: usize, alpha: f32, start: i32, end: i32): void {
  switch (op) {
    case OP_RELU: unaryGradLoop(OP_RELU, xOrY, dy, dx, alpha, start, end); break;
    case OP_RELU6: unaryGradLoop(OP_RELU6, xOrY, dy, dx, alpha, start, end); break;
    case OP_LEAKY_RELU: unaryGradLoop(OP_LEAKY_RELU, xOrY, dy, dx, alpha, start, end); break;
    case OP_ELU: unaryGradLoop(OP_ELU, xOrY, dy, dx, alpha, start, end); break;
    case OP_SELU: unaryGradLoop(OP_SELU, xOrY, dy, dx, alpha, start, end); break;
    case OP_SIGMOID: unaryGradLoop(OP_SIGMOID, xOrY, dy, dx, alpha, start, end); break;
    case OP_TANH: unaryGradLoop(OP_TANH, xOrY, dy, dx, alpha, start, end); break;
    case OP_GELU: unaryGradLoop(OP_GELU, xOrY, dy, dx, alpha, start, end); break;
    case OP_SOFTPLUS: unaryGradLoop(OP_SOFTPLUS, xOrY, dy, dx, alpha, start, end); break;
    case OP_SQRT: unaryGradLoop(OP_SQRT, xOrY, dy, dx, alpha, start, end); break;
    case OP_RSQRT: unaryGradLoop(OP_RSQRT, xOrY, dy, dx, alpha, start, end); break;
    case OP_EXP: unaryGradLoop(OP_EXP, xOrY, dy, dx, alpha, start, end); break;
    case OP_LOG: unaryGradLoop(OP_LOG, xOrY, dy, dx, alpha, start, end); break;
    case OP_ABS: unaryGradLoop(OP_ABS, xOrY, dy, dx, alpha, start, end); break;
    case OP_ERF: unaryGradLoop(OP_ERF, xOrY, dy, dx, alpha, start, end); break;
    default: break;
  }
}
