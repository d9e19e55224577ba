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
