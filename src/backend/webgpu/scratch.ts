// Executor buffers one kernel call borrows and frees before it returns. Their ids are negative, clear of the
// backend's (positive) and of the executor's check buffer (-1), and unique across families and calls.
import type { GpuExecutor } from './executor.js';

let nextScratchId = -2;

export class Scratch {
  private ids: number[] = [];
  constructor(private readonly exec: GpuExecutor) {}

  /** An id for a buffer someone else creates (a kernel given it as its output). */
  id(): number {
    const id = nextScratchId--;
    this.ids.push(id);
    return id;
  }

  /** A new buffer of `elements` 4-byte values (contents undefined). */
  create(elements: number): number {
    const id = this.id();
    this.exec.create(id, elements);
    return id;
  }

  /** Frees every buffer borrowed through this Scratch. Safe at once: later work is encoded after the kernels that used them. */
  freeAll(): void {
    for (const id of this.ids) this.exec.free(id);
    this.ids = [];
  }
}
