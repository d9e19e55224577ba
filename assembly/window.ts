// Sliding-window bounds shared by the depthwise and pooling kernels (imported, not exported by index.ts).
// A window starts at `origin` = out·stride - pad and reads origin + k·dilation for k < taps; the taps
// inside [0, size) form one contiguous range [firstTap, endTap) because the position grows with k.

/** The first k with origin + k·dilation >= 0. */
// @ts-ignore: decorator
@inline export function firstTap(origin: i32, dilation: i32): i32 {
  return origin >= 0 ? 0 : (dilation - 1 - origin) / dilation;
}

/** One past the last k < taps with origin + k·dilation < size (may be <= firstTap: no tap inside). */
// @ts-ignore: decorator
@inline export function endTap(origin: i32, dilation: i32, size: i32, taps: i32): i32 {
  if (origin >= size) return 0;
  return min(taps, (size - origin + dilation - 1) / dilation);
}

/**
 * The output position whose window reads input position `position` at tap k, or -1: the window origin
 * position - k·dilation must be out·stride - pad for an integer out in [0, outSize).
 */
// @ts-ignore: decorator
@inline export function outputOfTap(position: i32, k: i32, dilation: i32, stride: i32, pad: i32, outSize: i32): i32 {
  const shifted = position + pad - k * dilation;
  if (shifted < 0 || shifted % stride != 0) return -1;
  const out = shifted / stride;
  return out < outSize ? out : -1;
}

// The taps k of a window that reach input position p (the adjoint view, used by the backprop gathers):
// p + pad - k·dilation must be a multiple of stride, >= 0, and below outSize·stride. Those k form an
// arithmetic progression with step stride / gcd(stride, dilation); the matching outputs fall by
// step·dilation / stride per step. These helpers let the gather loop walk them with no division.

/** The step between consecutive taps that reach one input position. */
// @ts-ignore: decorator
@inline export function adjointTapStep(dilation: i32, stride: i32): i32 {
  let a = dilation, b = stride;
  while (b != 0) { const t = a % b; a = b; b = t; }
  return stride / a;
}

/** The first tap k that reaches position p with an output below outSize, or taps when none does. */
export function adjointFirstTap(p: i32, pad: i32, dilation: i32, stride: i32, outSize: i32, taps: i32, step: i32): i32 {
  let k = 0;
  while (k < taps && k < step && (p + pad - k * dilation) % stride != 0) k++;
  if (k >= taps || k >= step) return taps;
  while (k < taps && p + pad - k * dilation >= outSize * stride) k += step;
  return k < taps ? k : taps;
}

/** One past the last tap k with p + pad - k·dilation >= 0 (bounded by taps). */
// @ts-ignore: decorator
@inline export function adjointEndTap(p: i32, pad: i32, dilation: i32, taps: i32): i32 {
  const reach = p + pad;
  return reach < 0 ? 0 : min(taps, reach / dilation + 1);
}
