// Batch normalization in inference form over the last axis, float64: the oracle for the wasm kernel.
//   x, y: [rows, channels];  mean, variance, offset, scale: [channels]
//   y = (x - mean) · scale / sqrt(variance + epsilon) + offset   (scale 1 and offset 0 when absent)

/** y [rows, channels] normalized per channel. */
export function batchNorm(
  x: Float64Array, rows: number, channels: number, mean: Float64Array, variance: Float64Array,
  offset: Float64Array | undefined, scale: Float64Array | undefined, epsilon: number,
): Float64Array {
  const y = new Float64Array(rows * channels);
  const factor = new Float64Array(channels);
  for (let c = 0; c < channels; c++) factor[c] = (scale ? scale[c] : 1) / Math.sqrt(variance[c] + epsilon);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++) {
      const i = r * channels + c;
      y[i] = (x[i] - mean[c]) * factor[c] + (offset ? offset[c] : 0);
    }
  }
  return y;
}
