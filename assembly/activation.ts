// Activations fused into kernel epilogues (GEMM today, conv and others may reuse them).
// Codes match FUSED_ACTIVATION_CODE in src/backend/backend.ts:
//   0 linear, 1 relu, 2 relu6, 3 sigmoid, 4 tanh, 5 gelu (exact erf form), 6 elu (alpha 1).
// Every helper exists twice, scalar (f32) and f32x4, computing the same formulas so that a tile's edge
// (scalar) and its body (SIMD) agree to the last bit or close to it.

export const ACTIVATION_LINEAR: i32 = 0;
export const ACTIVATION_RELU: i32 = 1;
export const ACTIVATION_RELU6: i32 = 2;
export const ACTIVATION_SIGMOID: i32 = 3;
export const ACTIVATION_TANH: i32 = 4;
export const ACTIVATION_GELU: i32 = 5;
export const ACTIVATION_ELU: i32 = 6;

// exp(x) = 2^n · e^r with n = round(x·log2 e) and |r| ≤ ln2/2; ln2 is split in two so n·ln2 is exact
// enough. The degree-6 Taylor polynomial on that interval errs by < 1.3e-7 relative.
const LOG2E: f32 = 1.4426950408889634;
const LN2_HIGH: f32 = 0.693359375;
const LN2_LOW: f32 = -2.12194440e-4;
// Clamped so that 2^n stays a normal float (n in [-126, 127]) and exp never returns inf.
const EXP_MIN_INPUT: f32 = -87.0;
const EXP_MAX_INPUT: f32 = 88.0;
const INV_FACT_2: f32 = 0.5;
const INV_FACT_3: f32 = 1.6666666666666666e-1;
const INV_FACT_4: f32 = 4.1666666666666664e-2;
const INV_FACT_5: f32 = 8.333333333333333e-3;
const INV_FACT_6: f32 = 1.388888888888889e-3;

// erf by Abramowitz & Stegun 7.1.26: |error| ≤ 1.5e-7 for all x.
const ERF_P: f32 = 0.3275911;
const ERF_A1: f32 = 0.254829592;
const ERF_A2: f32 = -0.284496736;
const ERF_A3: f32 = 1.421413741;
const ERF_A4: f32 = -1.453152027;
const ERF_A5: f32 = 1.061405429;
const SQRT1_2: f32 = 0.7071067811865476;
const SIGN_MASK: i32 = 0x80000000;

// ---- scalar ----

@inline export function expScalar(x: f32): f32 {
  x = min(max(x, EXP_MIN_INPUT), EXP_MAX_INPUT);
  const n = nearest(x * LOG2E);
  const r = x - n * LN2_HIGH - n * LN2_LOW;
  let p = INV_FACT_6;
  p = p * r + INV_FACT_5;
  p = p * r + INV_FACT_4;
  p = p * r + INV_FACT_3;
  p = p * r + INV_FACT_2;
  p = p * r + 1.0;
  p = p * r + 1.0;
  return p * reinterpret<f32>((<i32>n + 127) << 23);
}

@inline export function erfScalar(x: f32): f32 {
  const ax = abs(x);
  const t: f32 = 1.0 / (1.0 + ERF_P * ax);
  let poly = ERF_A5;
  poly = poly * t + ERF_A4;
  poly = poly * t + ERF_A3;
  poly = poly * t + ERF_A2;
  poly = poly * t + ERF_A1;
  const y: f32 = 1.0 - poly * t * expScalar(-ax * ax);
  return copysign(y, x);
}

@inline export function activateScalar(x: f32, activation: i32): f32 {
  switch (activation) {
    case ACTIVATION_RELU: return max(x, 0);
    case ACTIVATION_RELU6: return min(max(x, 0), 6);
    case ACTIVATION_SIGMOID: return 1.0 / (1.0 + expScalar(-x));
    case ACTIVATION_TANH: {
      // tanh|x| = 1 - 2/(e^{2|x|}+1): no overflow, absolute error ~1e-7 near 0.
      const t: f32 = 1.0 - 2.0 / (expScalar(2.0 * abs(x)) + 1.0);
      return copysign(t, x);
    }
    case ACTIVATION_GELU: return 0.5 * x * (1.0 + erfScalar(x * SQRT1_2));
    case ACTIVATION_ELU: return x > 0 ? x : expScalar(x) - 1.0;
    default: return x;
  }
}

// ---- f32x4 ----

@inline export function expVector(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(EXP_MIN_INPUT)), f32x4.splat(EXP_MAX_INPUT));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HIGH)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LOW)));
  let p = f32x4.splat(INV_FACT_6);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(INV_FACT_5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(INV_FACT_4));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(INV_FACT_3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(INV_FACT_2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

/** Copies the sign bit of `from` onto the non-negative `magnitude`. */
@inline function withSignOf(magnitude: v128, from: v128): v128 {
  return v128.or(magnitude, v128.and(from, i32x4.splat(SIGN_MASK)));
}

@inline export function erfVector(x: v128): v128 {
  const ax = f32x4.abs(x);
  const one = f32x4.splat(1.0);
  const t = f32x4.div(one, f32x4.add(one, f32x4.mul(f32x4.splat(ERF_P), ax)));
  let poly = f32x4.splat(ERF_A5);
  poly = f32x4.add(f32x4.mul(poly, t), f32x4.splat(ERF_A4));
  poly = f32x4.add(f32x4.mul(poly, t), f32x4.splat(ERF_A3));
  poly = f32x4.add(f32x4.mul(poly, t), f32x4.splat(ERF_A2));
  poly = f32x4.add(f32x4.mul(poly, t), f32x4.splat(ERF_A1));
  const tail = f32x4.mul(f32x4.mul(poly, t), expVector(f32x4.neg(f32x4.mul(ax, ax))));
  return withSignOf(f32x4.sub(one, tail), x);
}

@inline export function activateVector(x: v128, activation: i32): v128 {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1.0);
  switch (activation) {
    case ACTIVATION_RELU: return f32x4.max(x, zero);
    case ACTIVATION_RELU6: return f32x4.min(f32x4.max(x, zero), f32x4.splat(6.0));
    case ACTIVATION_SIGMOID: return f32x4.div(one, f32x4.add(one, expVector(f32x4.neg(x))));
    case ACTIVATION_TANH: {
      const e = expVector(f32x4.mul(f32x4.splat(2.0), f32x4.abs(x)));
      const t = f32x4.sub(one, f32x4.div(f32x4.splat(2.0), f32x4.add(e, one)));
      return withSignOf(t, x);
    }
    case ACTIVATION_GELU: {
      const erf = erfVector(f32x4.mul(x, f32x4.splat(SQRT1_2)));
      return f32x4.mul(f32x4.mul(f32x4.splat(0.5), x), f32x4.add(one, erf));
    }
    case ACTIVATION_ELU: {
      const negative = f32x4.sub(expVector(x), one);
      return v128.bitselect(x, negative, f32x4.gt(x, zero));
    }
    default: return x;
  }
}
