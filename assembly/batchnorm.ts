// Batch normalization in inference form over the last axis, f32x4 over channels.
//   x, y: [rows, channels];  mean, factor, offset: [channels]
//   y = (x - mean) · factor + offset, where the caller precomputes factor = scale / sqrt(variance + epsilon)
//   once per channel (in float64) instead of once per element. hasOffset = 0: no offset.
// Units of start/end: rows.

// @ts-ignore: decorator
@inline function at(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/** y rows [start, end) of the batch-normalized x. */
export function batchNorm(
  x: usize, mean: usize, factor: usize, offset: usize, y: usize, channels: i32, hasOffset: i32, start: i32, end: i32,
): void {
  for (let row = start; row < end; row++) {
    const xr = at(x, row * channels), yr = at(y, row * channels);
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      const shift = hasOffset ? v128.load(at(offset, c)) : f32x4.splat(0);
      const centered = f32x4.sub(v128.load(at(xr, c)), v128.load(at(mean, c)));
      // Not fused on purpose: the same rounding on every build (relaxed or not).
      v128.store(at(yr, c), f32x4.add(f32x4.mul(centered, v128.load(at(factor, c))), shift));
    }
    for (; c < channels; c++) {
      const shift: f32 = hasOffset ? load<f32>(at(offset, c)) : 0;
      store<f32>(at(yr, c), (load<f32>(at(xr, c)) - load<f32>(at(mean, c))) * load<f32>(at(factor, c)) + shift);
    }
  }
}
