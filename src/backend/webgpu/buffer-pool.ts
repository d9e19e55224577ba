// Storage buffers recycled by size bucket (powers of two up to 1 MiB, then 1/8 steps of each power), so a
// model whose shapes vary reuses buffers instead of growing one list per exact size, as tfjs's pool does.
// Idle bytes are capped: past the cap the oldest idle buffers are destroyed (WebGPU defers the destruction
// until the queue is done with them).
import type { GPUDeviceLike } from './gpu.js';

declare const GPUBufferUsage: { STORAGE: number; COPY_SRC: number; COPY_DST: number; MAP_READ: number; UNIFORM: number };

export const STORAGE_USAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** The allocation size for a request of `bytes` (at least 16, a multiple of 16). */
export function bucketBytes(bytes: number): number {
  const want = Math.max(16, Math.ceil(bytes / 16) * 16);
  if (want <= 1 << 20) return 2 ** Math.ceil(Math.log2(want));
  const power = 2 ** Math.floor(Math.log2(want));
  const step = power / 8;
  return Math.ceil(want / step) * step;
}

export class BufferPool {
  private idle = new Map<number, any[]>();
  private idleOrder: any[] = [];
  idleBytes = 0;
  /** Bytes of every buffer this pool made that is not destroyed (live + idle). */
  allocatedBytes = 0;

  constructor(private readonly device: GPUDeviceLike, private readonly usage: number, private readonly maxIdleBytes: number) {}

  acquire(bytes: number): any {
    const size = bucketBytes(bytes);
    const list = this.idle.get(size);
    const reused = list?.pop();
    if (reused) {
      this.idleBytes -= size;
      this.idleOrder.splice(this.idleOrder.indexOf(reused), 1);
      return reused;
    }
    this.allocatedBytes += size;
    return this.device.createBuffer({ size, usage: this.usage });
  }

  release(buffer: any): void {
    const size = buffer.size as number;
    let list = this.idle.get(size);
    if (!list) this.idle.set(size, (list = []));
    list.push(buffer);
    this.idleOrder.push(buffer);
    this.idleBytes += size;
    while (this.idleBytes > this.maxIdleBytes && this.idleOrder.length > 0) this.destroyOldest();
  }

  /** Destroys every idle buffer. */
  trim(): void {
    while (this.idleOrder.length > 0) this.destroyOldest();
  }

  private destroyOldest(): void {
    const buffer = this.idleOrder.shift();
    const list = this.idle.get(buffer.size)!;
    list.splice(list.indexOf(buffer), 1);
    this.idleBytes -= buffer.size;
    this.allocatedBytes -= buffer.size;
    buffer.destroy();
  }
}
