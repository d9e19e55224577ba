// Wrappers for assembly/softmax.ts: softmax / log-softmax over the last axis of x viewed as [rows, cols].
import type { Runtime } from '../../runtime/types.js';

export function runSoftmax(rt: Runtime, x: number, out: number, rows: number, cols: number, log: boolean): void {
  if (rows === 0 || cols === 0) return;
  rt.run('softmax', [x, out, rows, cols, log ? 1 : 0], rows, { grain: 1, costPerUnit: cols * 24 });
}

/** dx from the forward output y and upstream dy. */
export function runSoftmaxGrad(rt: Runtime, y: number, dy: number, dx: number, rows: number, cols: number, log: boolean): void {
  if (rows === 0 || cols === 0) return;
  rt.run('softmaxGrad', [y, dy, dx, rows, cols, log ? 1 : 0], rows, { grain: 1, costPerUnit: cols * (log ? 24 : 4) });
}
