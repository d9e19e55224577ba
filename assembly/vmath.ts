// Vectorized float32 math on f32x4: exp, expm1, log, log1p, tanh, sigmoid, erf, erfc, plus float64 scalar
// helpers (exp, log, sin, cos, atan2, pow) for the ops that are not hot enough to vectorize.
// No tables: the same code must run in every worker with no static data, so every approximation is a
// range reduction plus a short polynomial. Accuracy on the float32 range: exp/log/expm1/log1p ≈ 1–2 ulp,
// tanh/sigmoid ≈ 2–3 ulp, erf/erfc ≈ 3e-7 relative. inf and NaN behave like Math.* (NaN propagates).

// --- f32x4 building blocks -----------------------------------------------------------------------------

/** a*b + c; fused (and possibly more accurate) where relaxed SIMD is available. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// @ts-ignore: decorator
@inline export function splat(x: f32): v128 {
  return f32x4.splat(x);
}

/** 2^n for integer lanes n in [-126, 127], built from the exponent bits. */
// @ts-ignore: decorator
@inline export function pow2i(n: v128): v128 {
  return i32x4.shl(i32x4.add(n, i32x4.splat(127)), 23);
}

const LOG2E: f32 = 1.44269504;
// ln 2 split so that n * LN2_HI is exact for |n| < 2^11.
const LN2_HI: f32 = 0.693145751953125;
const LN2_LO: f32 = 1.42860677e-6;
const ROUNDING_MAGIC: f32 = 12582912.0; // 1.5 * 2^23
const ROUNDING_MAGIC_BITS: i32 = 0x4b400000;

/** e^r - 1 for |r| <= ln2/2 (Taylor to r^8; truncation < 1e-9 relative). */
// @ts-ignore: decorator
@inline export function expm1Reduced(r: v128): v128 {
  let p = madd(r, splat(2.48015873e-5), splat(1.98412698e-4)); // 1/8!, 1/7!
  p = madd(p, r, splat(1.38888889e-3));
  p = madd(p, r, splat(8.33333333e-3));
  p = madd(p, r, splat(4.16666667e-2));
  p = madd(p, r, splat(0.166666667));
  p = madd(p, r, splat(0.5));
  return madd(f32x4.mul(p, r), r, r); // r + r^2 * p
}

/**
 * e^(hi + lo) where lo is a small correction to the argument (0 for a plain exp). Overflows to inf above
 * 88.72, underflows through subnormals to 0 below -103.9.
 */
// @ts-ignore: decorator
@inline export function expWithTailV(hi: v128, lo: v128): v128 {
  // pmax/pmin (one instruction each on x64) keep a NaN x because it is their first operand.
  const x = f32x4.pmin(f32x4.pmax(hi, splat(-104.0)), splat(89.0));
  // Adding 1.5 * 2^23 rounds x*log2(e) to the nearest integer n and leaves n in the low mantissa bits.
  const shifted = madd(x, splat(LOG2E), splat(ROUNDING_MAGIC));
  const n = f32x4.sub(shifted, splat(ROUNDING_MAGIC));
  let r = madd(n, splat(-LN2_HI), x);
  r = f32x4.add(madd(n, splat(-LN2_LO), r), lo);
  const p = f32x4.add(expm1Reduced(r), splat(1.0));
  // Scale by 2^n in two halves so that n in [-150, 128] never leaves the normal exponent range.
  const ni = i32x4.sub(shifted, i32x4.splat(ROUNDING_MAGIC_BITS));
  const half = i32x4.shr_s(ni, 1);
  return f32x4.mul(f32x4.mul(p, pow2i(half)), pow2i(i32x4.sub(ni, half)));
}

// @ts-ignore: decorator
@inline export function expV(x: v128): v128 {
  return expWithTailV(x, f32x4.splat(0));
}

/** e^x - 1 without cancellation near 0: 2^n * expm1(r) + (2^n - 1). */
// @ts-ignore: decorator
@inline export function expm1V(x: v128): v128 {
  const xc = f32x4.min(f32x4.max(x, splat(-20.0)), splat(16.0));
  const n = f32x4.nearest(f32x4.mul(xc, splat(LOG2E)));
  let r = madd(n, splat(-LN2_HI), xc);
  r = madd(n, splat(-LN2_LO), r);
  const scale = pow2i(i32x4.trunc_sat_f32x4_s(n));
  const small = madd(expm1Reduced(r), scale, f32x4.sub(scale, splat(1.0)));
  // Above 16, e^x dwarfs the -1 (and the clamped path would be wrong).
  const big = f32x4.sub(expV(x), splat(1.0));
  return v128.bitselect(big, small, f32x4.gt(x, splat(16.0)));
}

const SQRT_HALF_BITS: i32 = 0x3f3504f3; // float bits of sqrt(1/2)

/** Natural log: x = m * 2^e with m in [sqrt(1/2), sqrt(2)), log(m) = 2 atanh((m-1)/(m+1)). */
// @ts-ignore: decorator
@inline export function logV(x: v128): v128 {
  // Subnormals: scale up by 2^23 first so the exponent field is meaningful.
  const tiny = f32x4.lt(x, splat(1.17549435e-38));
  const xs = v128.bitselect(f32x4.mul(x, splat(8388608.0)), x, tiny);
  // Shift the mantissa so it lands in [sqrt(1/2), sqrt(2)) and the exponent absorbs the rest.
  const bits = i32x4.sub(xs, i32x4.splat(SQRT_HALF_BITS));
  const e = i32x4.sub(i32x4.shr_s(bits, 23), v128.and(tiny, i32x4.splat(23)));
  const mBits = i32x4.add(v128.and(bits, i32x4.splat(0x007fffff)), i32x4.splat(SQRT_HALF_BITS));
  const f = f32x4.sub(mBits, splat(1.0));
  const s = f32x4.div(f, f32x4.add(f, splat(2.0)));
  const s2 = f32x4.mul(s, s);
  let p = madd(s2, splat(0.111111111), splat(0.142857143)); // 1/9, 1/7
  p = madd(p, s2, splat(0.2));
  p = madd(p, s2, splat(0.333333333));
  // log(1+f) = 2s(1 + s^2 p) and 2s = f - s f, so the leading term f stays exact.
  const logm = f32x4.sub(f, f32x4.mul(s, f32x4.sub(f, f32x4.mul(f32x4.add(s2, s2), p))));
  const ef = f32x4.convert_i32x4_s(e);
  let y = madd(ef, splat(LN2_HI), madd(ef, splat(LN2_LO), logm));
  // Specials: log(0) = -inf, log(<0) = NaN, log(inf) = inf, NaN stays NaN.
  y = v128.bitselect(splat(-Infinity), y, f32x4.eq(x, splat(0)));
  y = v128.bitselect(splat(NaN), y, f32x4.lt(x, splat(0)));
  y = v128.bitselect(x, y, v128.or(f32x4.eq(x, splat(Infinity)), f32x4.ne(x, x)));
  return y;
}

/** log(1 + x): log(u) plus the rounding error of u = 1 + x, divided by u. */
// @ts-ignore: decorator
@inline export function log1pV(x: v128): v128 {
  const u = f32x4.add(x, splat(1.0));
  const logu = logV(u);
  const correction = f32x4.div(f32x4.sub(x, f32x4.sub(u, splat(1.0))), u);
  const useLogOnly = v128.or(f32x4.eq(u, splat(0)), f32x4.eq(u, splat(Infinity)));
  return v128.bitselect(logu, f32x4.add(logu, correction), useLogOnly);
}

/** tanh(x) = -t / (t + 2) with t = expm1(-2|x|), sign restored: no cancellation anywhere. */
// @ts-ignore: decorator
@inline export function tanhV(x: v128): v128 {
  const a = f32x4.abs(x);
  const t = expm1V(f32x4.mul(a, splat(-2.0)));
  const y = f32x4.div(f32x4.neg(t), f32x4.add(t, splat(2.0)));
  return v128.or(y, v128.and(x, i32x4.splat(0x80000000))); // copy the sign of x
}

// @ts-ignore: decorator
@inline export function sigmoidV(x: v128): v128 {
  return f32x4.div(splat(1.0), f32x4.add(splat(1.0), expV(f32x4.neg(x))));
}

/**
 * e^(-k x^2) without the error of rounding x^2: x = xh + xl with xh holding 12 significant bits, so xh*xh
 * is exact and x^2 = xh^2 + xl*(x + xh). (k is 1 or 1/2: a power of two keeps k*xh^2 exact.)
 */
// @ts-ignore: decorator
@inline export function expNegScaledSquareV(x: v128, k: f32): v128 {
  // |x| beyond 64 underflows either way; clamping keeps inf from producing inf - inf. NaN stays NaN.
  const xa = f32x4.min(f32x4.abs(x), splat(64.0));
  const xh = v128.and(xa, i32x4.splat(0xfffff000));
  const xl = f32x4.sub(xa, xh);
  return expWithTailV(f32x4.mul(splat(-k), f32x4.mul(xh, xh)), f32x4.mul(splat(-k), f32x4.mul(xl, f32x4.add(xa, xh))));
}

/** erfc(a) * e^(a^2) for a >= 1 as t * P(t), t = 1 / (1 + a/2) (least-squares fit, 2.7e-7 relative). */
function erfcxLargeV(a: v128): v128 {
  const t = f32x4.div(splat(1.0), madd(a, splat(0.5), splat(1.0)));
  let p = madd(t, splat(0.0940336436), splat(-0.227778897));
  p = madd(p, t, splat(0.0842147693));
  p = madd(p, t, splat(0.0599176213));
  p = madd(p, t, splat(0.179167151));
  p = madd(p, t, splat(0.246884823));
  p = madd(p, t, splat(0.282048136));
  p = madd(p, t, splat(0.282098025));
  return f32x4.mul(t, p);
}

/** erfc(a) for a >= 1 (underflows to 0 near a = 10). */
// @ts-ignore: decorator
@inline function erfcLargeV(a: v128): v128 {
  return f32x4.mul(erfcxLargeV(a), expNegScaledSquareV(a, 1.0));
}

/** erf(a)/a for |a| <= 1 as a polynomial in a^2 (least-squares fit, 1.1e-7 relative). */
// @ts-ignore: decorator
@inline function erfSmallOverX(a2: v128): v128 {
  let p = madd(a2, splat(-0.000562540255), splat(0.00491602533));
  p = madd(p, a2, splat(-0.0267099515));
  p = madd(p, a2, splat(0.112801306));
  p = madd(p, a2, splat(-0.37612319));
  return madd(p, a2, splat(1.12837911));
}

// @ts-ignore: decorator
@inline export function erfV(x: v128): v128 {
  const a = f32x4.abs(x);
  const small = f32x4.mul(x, erfSmallOverX(f32x4.mul(x, x)));
  // erfc underflows to 0 long before |x| = 10; clamping keeps ±Infinity out of the tail formula (NaN stays NaN).
  const large = f32x4.sub(splat(1.0), erfcLargeV(f32x4.min(f32x4.max(a, splat(1.0)), splat(10.0))));
  const signedLarge = v128.or(large, v128.and(x, i32x4.splat(0x80000000)));
  return v128.bitselect(small, signedLarge, f32x4.lt(a, splat(1.0))); // NaN takes the large path: NaN
}

const SQRT_HALF: f32 = 0.707106781;

/**
 * Standard normal CDF Φ(x) = erfc(-x/√2)/2, the heart of exact GELU. The Gaussian factor is taken from
 * x itself (e^(-x²/2)), not from the rounded x/√2, so the far negative tail stays accurate in relative terms.
 */
// @ts-ignore: decorator
@inline export function normalCdfV(x: v128): v128 {
  const a = f32x4.mul(f32x4.abs(x), splat(SQRT_HALF));
  const z = f32x4.mul(x, splat(SQRT_HALF));
  const small = madd(z, f32x4.mul(splat(0.5), erfSmallOverX(f32x4.mul(z, z))), splat(0.5));
  const halfTail = f32x4.mul(f32x4.mul(splat(0.5), erfcxLargeV(f32x4.max(a, splat(1.0)))), expNegScaledSquareV(x, 0.5));
  const large = v128.bitselect(halfTail, f32x4.sub(splat(1.0), halfTail), f32x4.lt(x, splat(0)));
  return v128.bitselect(small, large, f32x4.lt(a, splat(1.0)));
}

/** erfc(x) = 1 - erf(x), accurate in relative terms for large positive x (where it underflows at ~10). */
// @ts-ignore: decorator
@inline export function erfcV(x: v128): v128 {
  const a = f32x4.abs(x);
  const small = f32x4.sub(splat(1.0), f32x4.mul(x, erfSmallOverX(f32x4.mul(x, x))));
  const tail = erfcLargeV(f32x4.max(a, splat(1.0)));
  const large = v128.bitselect(f32x4.sub(splat(2.0), tail), tail, f32x4.lt(x, splat(0)));
  return v128.bitselect(small, large, f32x4.lt(a, splat(1.0)));
}

// --- float64 scalar helpers (pow, atan2, sin, cos run lane by lane) -----------------------------------

const LN2_F64: f64 = 0.6931471805599453;

/** e^x in float64 (relative error ~1e-15), for pow. */
export function expF64(x: f64): f64 {
  if (x != x) return x;
  if (x > 709.7) return Infinity;
  if (x < -745.2) return 0;
  const n = nearest(x * 1.4426950408889634);
  const r = (x - n * 0.6931471803691238) - n * 1.9082149292705877e-10;
  // Taylor to r^12 on |r| <= 0.347: truncation < 1e-16.
  let p: f64 = 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  const ni = <i64>n;
  const half = ni >> 1;
  const s1 = reinterpret<f64>((half + 1023) << 52);
  const s2 = reinterpret<f64>((ni - half + 1023) << 52);
  return p * s1 * s2;
}

/** Natural log in float64 for finite x > 0 (callers handle the rest). */
export function logF64(x: f64): f64 {
  let bits = reinterpret<i64>(x);
  let e: i64 = 0;
  if (x < 2.2250738585072014e-308) { x *= 18014398509481984.0; bits = reinterpret<i64>(x); e = -54; }
  const shifted = bits - 0x3fe6a09e667f3bcd; // sqrt(1/2)
  e += shifted >> 52;
  const m = reinterpret<f64>((shifted & 0x000fffffffffffff) + 0x3fe6a09e667f3bcd);
  const f = m - 1.0;
  const s = f / (2.0 + f);
  const s2 = s * s;
  // 2 atanh(s) = 2s (1 + s^2/3 + s^4/5 + …), |s| <= 0.1716: 10 terms reach 1e-17.
  let p: f64 = 1.0 / 21.0;
  p = p * s2 + 1.0 / 19.0;
  p = p * s2 + 1.0 / 17.0;
  p = p * s2 + 1.0 / 15.0;
  p = p * s2 + 1.0 / 13.0;
  p = p * s2 + 1.0 / 11.0;
  p = p * s2 + 1.0 / 9.0;
  p = p * s2 + 1.0 / 7.0;
  p = p * s2 + 1.0 / 5.0;
  p = p * s2 + 1.0 / 3.0;
  return <f64>e * LN2_F64 + (f - s * (f - 2.0 * s2 * p)); // 2s(1 + s2 p) = f - s(f - 2 s2 p)
}

// @ts-ignore: decorator
@inline function isOddInteger(b: f64): bool {
  return floor(b) == b && abs(b) < 9007199254740992.0 && floor(b * 0.5) * 2.0 != b;
}

/** Math.pow semantics (negative base with integer exponent works; NaN/inf cases as in JS). */
export function powF64(a: f64, b: f64): f64 {
  if (b == 0) return 1.0;
  if (a != a || b != b) return NaN;
  const absA = abs(a);
  if (absA == 1.0 && abs(b) == Infinity) return NaN;
  const isInteger = floor(b) == b;
  if (a < 0 && absA != Infinity && !isInteger && abs(b) != Infinity) return NaN;
  let magnitude: f64;
  if (absA == 0) magnitude = b > 0 ? 0 : Infinity;
  else if (absA == Infinity) magnitude = b > 0 ? Infinity : 0;
  else magnitude = expF64(b * logF64(absA));
  const negative = (reinterpret<i64>(a) < 0) && isOddInteger(b);
  return negative ? -magnitude : magnitude;
}

const PI_F64: f64 = 3.141592653589793;

/** atan for |x| <= 1 via reduction to |t| <= tan(pi/8) and an odd Taylor series. */
function atanUnit(x: f64): f64 {
  let base: f64 = 0;
  let t = x;
  if (x > 0.4142135623730951) { base = PI_F64 / 4; t = (x - 1.0) / (x + 1.0); }
  else if (x < -0.4142135623730951) { base = -PI_F64 / 4; t = (x + 1.0) / (1.0 - x); }
  const t2 = t * t;
  let p: f64 = 0;
  for (let k = 25; k >= 1; k -= 2) p = p * t2 + (((k >> 1) & 1) ? -1.0 : 1.0) / <f64>k;
  return base + t * p;
}

/** Math.atan2 semantics. */
export function atan2F64(y: f64, x: f64): f64 {
  if (y != y || x != x) return NaN;
  const ay = abs(y), ax = abs(x);
  const yNeg = reinterpret<i64>(y) < 0;
  let angle: f64;
  if (ay == Infinity && ax == Infinity) angle = reinterpret<i64>(x) < 0 ? 3 * PI_F64 / 4 : PI_F64 / 4;
  else if (ax == 0 && ay == 0) angle = reinterpret<i64>(x) < 0 ? PI_F64 : 0;
  else if (ay <= ax) {
    angle = atanUnit(ay / ax);
    if (x < 0) angle = PI_F64 - angle;
  } else {
    angle = PI_F64 / 2 - atanUnit(ax / ay);
    if (x < 0) angle = PI_F64 - angle;
  }
  return yNeg ? -angle : angle;
}

/** sin (cosine = false) or cos of x in float64; Cody–Waite reduction, accurate for |x| < 2^30. */
export function sinCosF64(x: f64, cosine: bool): f64 {
  if (abs(x) == Infinity || x != x) return NaN;
  const k = nearest(x * 0.6366197723675814);
  const r = (x - k * 1.5707963267341256) - k * 6.077100506506192e-11;
  const r2 = r * r;
  // sin(r) and cos(r) Taylor on |r| <= pi/4 up to r^17 / r^16.
  let s: f64 = 1.0 / 355687428096000.0;
  s = s * r2 - 1.0 / 1307674368000.0;
  s = s * r2 + 1.0 / 6227020800.0;
  s = s * r2 - 1.0 / 39916800.0;
  s = s * r2 + 1.0 / 362880.0;
  s = s * r2 - 1.0 / 5040.0;
  s = s * r2 + 1.0 / 120.0;
  s = s * r2 - 1.0 / 6.0;
  const sinR = r + r * r2 * s;
  let c: f64 = 1.0 / 20922789888000.0;
  c = c * r2 - 1.0 / 87178291200.0;
  c = c * r2 + 1.0 / 479001600.0;
  c = c * r2 - 1.0 / 3628800.0;
  c = c * r2 + 1.0 / 40320.0;
  c = c * r2 - 1.0 / 720.0;
  c = c * r2 + 1.0 / 24.0;
  c = c * r2 - 0.5;
  const cosR = 1.0 + r2 * c;
  const quadrant = (<i64>k + (cosine ? 1 : 0)) & 3;
  if (quadrant == 0) return sinR;
  if (quadrant == 1) return cosR;
  if (quadrant == 2) return -sinR;
  return -cosR;
}
