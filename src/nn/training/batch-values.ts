// Per-batch losses and metrics as fit keeps them: on the backend. A GPU would otherwise wait for a read
// after every batch; here the epoch's size-weighted sums grow on the device and are read once at the
// epoch's end, and a batch's own values are read only when a callback looks at them (readsBatchLogs).
import { ENGINE } from '../../engine.js';
import type { Tensor } from '../../tensor.js';
import { add, div, mul } from '../../ops/binary.js';
import type { Callback, Logs } from './callbacks.js';

/** Σ values·size over batches of [k] values (in metricsNames order), and the sample count. */
export class DeviceAverager {
  private sums: Tensor | null = null;
  private seen = 0;

  add(values: Tensor, size: number): void {
    const previous = this.sums;
    this.sums = ENGINE.keep(ENGINE.tidy(() => (previous ? add(previous, mul(values, size)) : mul(values, size))));
    previous?.dispose();
    this.seen += size;
  }

  /** The means as a [k] tensor (the caller owns it), or null before any batch. */
  meansTensor(): Tensor | null {
    if (!this.sums) return null;
    const sums = this.sums;
    const means = ENGINE.tidy(() => div(sums, this.seen));
    this.dispose();
    return means;
  }

  /** The means by name, read asynchronously (works where synchronous reads do not). */
  async means(names: string[]): Promise<Logs> {
    const means = this.meansTensor();
    if (!means) return {};
    try {
      return toLogs(await means.data(), names);
    } finally {
      means.dispose();
    }
  }

  dispose(): void {
    this.sums?.dispose();
    this.sums = null;
  }
}

export function toLogs(values: ArrayLike<number>, names: string[], into: Logs = {}): Logs {
  names.forEach((name, i) => (into[name] = values[i]));
  return into;
}

/** Whether any callback reads a batch's loss and metrics (so fit must read them after that batch). */
export function someReadBatchLogs(callbacks: readonly Callback[]): boolean {
  return callbacks.some((c) => c.readsBatchLogs);
}
