// Scalar float64 math the reference backend needs beyond Math.*: erf/erfc accurate to ~1e-15, the
// exact (erf) GELU, and tfjs's rounding rule. Everything here is float64 so the oracle is never the
// least accurate party in a comparison.

const TWO_OVER_SQRT_PI = 1.1283791670955126; // 2/√π
const ONE_OVER_SQRT_PI = 0.5641895835477563; // 1/√π
const SQRT_HALF = 0.7071067811865476; // 1/√2
const ONE_OVER_SQRT_TWO_PI = 0.3989422804014327; // 1/√(2π)

/** Below this |z| erf uses the power series, above it erfc uses the continued fraction. */
const SERIES_LIMIT = 3;

/**
 * erf(z) for z >= 0 from the series erf(z) = 2/√π · e^(−z²) · Σ z·(2z²)^n / (1·3·…·(2n+1)).
 * Every term is positive, so unlike the Taylor series of erf there is no cancellation.
 */
function erfPositiveSeries(z: number): number {
  const twoZSquared = 2 * z * z;
  let term = z;
  let sum = z;
  for (let n = 1; n < 500; n++) {
    term *= twoZSquared / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-z * z) * sum;
}

/**
 * erfc(z) for z >= SERIES_LIMIT from Laplace's continued fraction
 * erfc(z) = e^(−z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + …)))), evaluated bottom-up.
 * At z >= 3 it converges to float64 precision well within 80 levels.
 */
function erfcContinuedFraction(z: number): number {
  let tail = z;
  for (let n = 80; n >= 1; n--) tail = z + (n / 2) / tail;
  return ONE_OVER_SQRT_PI * Math.exp(-z * z) / tail;
}

/** The error function, |error| < 1e-15. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const z = Math.abs(x);
  const magnitude = z < SERIES_LIMIT ? erfPositiveSeries(z) : 1 - erfcContinuedFraction(z);
  return x < 0 ? -magnitude : magnitude;
}

/** The complementary error function 1 − erf(x), with relative accuracy kept in the far tail. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  return x < SERIES_LIMIT ? 1 - erfPositiveSeries(x) : erfcContinuedFraction(x);
}

/** Standard normal CDF Φ(x), written with erfc so the negative tail keeps its relative accuracy. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * SQRT_HALF);
}

/** Standard normal density φ(x). */
export function normalPdf(x: number): number {
  return ONE_OVER_SQRT_PI * SQRT_HALF * Math.exp(-0.5 * x * x);
}

/** Exact GELU: x·Φ(x) (not the tanh approximation). */
export function gelu(x: number): number {
  return x * normalCdf(x);
}

/** d/dx [x·Φ(x)] = Φ(x) + x·φ(x). */
export function geluDerivative(x: number): number {
  return normalCdf(x) + x * ONE_OVER_SQRT_TWO_PI * Math.exp(-0.5 * x * x);
}

export function sigmoid(x: number): number {
  // Two branches so exp never overflows to produce Infinity/Infinity.
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** log(1 + e^x) without overflow for large x or loss of precision for very negative x. */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** SELU constants (Klambauer et al. 2017), the values tfjs uses. */
export const SELU_SCALE = 1.0507009873554805;
export const SELU_ALPHA = 1.6732632423543772;

/** Round half to even, as tf.round does (2.5 → 2, 3.5 → 4, −2.5 → −2). */
export function roundHalfToEven(x: number): number {
  const base = Math.floor(x);
  const fraction = x - base;
  if (fraction < 0.5) return base;
  if (fraction > 0.5) return base + 1;
  return base % 2 === 0 ? base : base + 1;
}
