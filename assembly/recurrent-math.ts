// Shared pieces of the recurrent kernels (recurrent.ts forward, recurrent-backward.ts BPTT): the gate
// activations and their slopes on f32x4, and loads/stores of a block of n ≤ 4 units, so that a unit count
// that is not a multiple of 4 needs no separate scalar path (the missing lanes are zero and never stored).
// Activation codes match RECURRENT_ACTIVATION_CODE in src/backend/backend.ts.
import { expm1Reduced, madd, pow2i, sigmoidV, splat } from './vmath';

export const RECURRENT_LINEAR: i32 = 0;
export const RECURRENT_RELU: i32 = 1;
export const RECURRENT_SIGMOID: i32 = 2;
export const RECURRENT_TANH: i32 = 3;
export const RECURRENT_HARD_SIGMOID: i32 = 4;

const LOG2E: f32 = 1.44269504;
// ln 2 in two parts: n·LN2_HIGH is exact for the |n| <= 29 used here.
const LN2_HIGH: f32 = 0.693145751953125;
const LN2_LOW: f32 = 1.42860677e-6;

/**
 * tanh(x) = -t / (t + 2) with t = e^(-2|x|) - 1, sign restored. The argument of e^z - 1 is never positive,
 * so unlike the general expm1 no second, overflow-safe exp is needed: z = n·ln2 + r, |r| <= ln2/2, and
 * e^z - 1 = 2^n·(e^r - 1) + (2^n - 1) with e^r - 1 from its Taylor series to r^8 (error < 1e-9 relative).
 * Below z = -20, t is -1 to float precision. The gates call tanh twice per unit and step.
 */
// @ts-ignore: decorator
@inline function tanhGate(x: v128): v128 {
  const z = f32x4.max(f32x4.mul(f32x4.abs(x), splat(-2.0)), splat(-20.0));
  const n = f32x4.nearest(f32x4.mul(z, splat(LOG2E)));
  const r = madd(n, splat(-LN2_LOW), madd(n, splat(-LN2_HIGH), z));
  const scale = pow2i(i32x4.trunc_sat_f32x4_s(n));
  const t = madd(expm1Reduced(r), scale, f32x4.sub(scale, splat(1.0)));
  const y = f32x4.div(f32x4.neg(t), f32x4.add(t, splat(2.0)));
  return v128.or(y, v128.and(x, i32x4.splat(0x80000000)));
}

/** tfjs's hard sigmoid: clip(0.2·x + 0.5, 0, 1). */
// @ts-ignore: decorator
@inline export function activateGate(x: v128, code: i32): v128 {
  if (code == RECURRENT_SIGMOID) return sigmoidV(x);
  if (code == RECURRENT_TANH) return tanhGate(x);
  if (code == RECURRENT_HARD_SIGMOID) return f32x4.min(f32x4.max(madd(x, splat(0.2), splat(0.5)), splat(0)), splat(1));
  if (code == RECURRENT_RELU) return f32x4.max(x, splat(0));
  return x;
}

/** The activation's derivative written through its output y (every supported activation allows it). */
// @ts-ignore: decorator
@inline export function gateSlope(y: v128, code: i32): v128 {
  const one = splat(1);
  if (code == RECURRENT_SIGMOID) return f32x4.mul(y, f32x4.sub(one, y));
  if (code == RECURRENT_TANH) return f32x4.sub(one, f32x4.mul(y, y));
  if (code == RECURRENT_HARD_SIGMOID) {
    // 0.2 strictly inside (0, 1), 0 where the clip is active.
    return v128.and(splat(0.2), v128.and(f32x4.gt(y, splat(0)), f32x4.lt(y, one)));
  }
  if (code == RECURRENT_RELU) return v128.and(one, f32x4.gt(y, splat(0)));
  return one;
}

/** n (1…4) floats from ptr into the low lanes, zeros above. */
// @ts-ignore: decorator
@inline export function loadUnits(ptr: usize, n: i32): v128 {
  if (n >= 4) return v128.load(ptr);
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(ptr));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(ptr, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(ptr, 8));
  return v;
}

/** Stores the low n (1…4) lanes of v at ptr. */
// @ts-ignore: decorator
@inline export function storeUnits(ptr: usize, v: v128, n: i32): void {
  if (n >= 4) {
    v128.store(ptr, v);
    return;
  }
  store<f32>(ptr, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(ptr, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(ptr, f32x4.extract_lane(v, 2), 8);
}

/** 0 when the step is masked out for this row (mask value 0), else all ones; mask 0 means no mask. */
// @ts-ignore: decorator
@inline export function stepValid(mask: usize, row: i32, maskStride: i32): bool {
  return mask == 0 || load<f32>(mask + ((<usize>row * <usize>maskStride) << 2)) != 0;
}

/** Horizontal sum of the four lanes. */
// @ts-ignore: decorator
@inline export function laneSum(v: v128): f32 {
  const pairs = f32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(pairs, 0) + f32x4.extract_lane(pairs, 1);
}
