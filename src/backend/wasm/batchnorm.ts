// Wrapper for assembly/batchnorm.ts: y = (x - mean) · scale / sqrt(variance + epsilon) + offset over
// x viewed as [rows, channels]. The per-channel factor is computed here once, in float64.
import type { Runtime } from '../../runtime/types.js';

export function runBatchNorm(
  rt: Runtime, x: number, y: number, rows: number, channels: number, mean: number, variance: number,
  offset: number | undefined, scale: number | undefined, epsilon: number,
): void {
  if (rows === 0 || channels === 0) return;
  const factor = rt.alloc(channels * 4);
  try {
    const f32 = rt.f32();
    for (let c = 0; c < channels; c++) {
      const gain = scale === undefined ? 1 : f32[(scale >> 2) + c];
      f32[(factor >> 2) + c] = gain / Math.sqrt(f32[(variance >> 2) + c] + epsilon);
    }
    rt.run('batchNorm', [x, mean, factor, offset ?? 0, y, channels, offset === undefined ? 0 : 1], rows,
      { costPerUnit: channels * 3 });
  } finally {
    rt.free(factor);
  }
}
