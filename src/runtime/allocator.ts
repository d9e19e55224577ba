// The allocator over wasm linear memory. Pure TypeScript: it only does address arithmetic and calls
// `grow` when the heap must get larger, so it is tested without wasm.
//
// Layout: [0, heapStart) is reserved (static data of the stub runtime), then blocks bumped upward.
// Blocks are 64-byte aligned and sized to a size class, so a freed block serves any later request of the
// same class: training loops allocate the same shapes every step and reuse their blocks exactly.

export const ALIGNMENT = 64;
/** Below this, classes are every multiple of 64 bytes; above it, 4 classes per power of two. */
const EXACT_CLASS_LIMIT = 4096;
/** A request may take a free block of a larger class up to this factor before memory grows. */
const REUSE_SLACK = 2;
const MIN_GROWTH_BYTES = 16 * 1024 * 1024;

export interface AllocatorOptions {
  /** First address the allocator owns (a multiple of 64). */
  heapStart: number;
  /** Current end of memory in bytes. */
  heapEnd: number;
  /**
   * Enlarges memory to at least `minimumEnd` bytes (it asks for more first, to grow in large steps) and
   * returns the new end, or throws when the host cannot.
   */
  grow(minimumEnd: number, preferredEnd: number): number;
  /** The most bytes memory can ever reach (4 GiB for wasm32). */
  maxBytes?: number;
}

/** The block size a request of `bytes` gets: a multiple of 64, at most 25% above the request. */
export function sizeClass(bytes: number): number {
  const aligned = Math.max(ALIGNMENT, Math.ceil(bytes / ALIGNMENT) * ALIGNMENT);
  if (aligned <= EXACT_CLASS_LIMIT) return aligned;
  const quarter = 2 ** (Math.floor(Math.log2(aligned)) - 2); // four steps between 2^p and 2^(p+1)
  return Math.ceil(aligned / quarter) * quarter;
}

export class Allocator {
  private top: number; // bump pointer: everything at or above is untouched
  private end: number;
  private readonly heapStart: number;
  private readonly growMemory: AllocatorOptions['grow'];
  private readonly maxBytes: number;
  private readonly liveBlocks = new Map<number, number>(); // ptr -> block size
  private readonly freeBlocks = new Map<number, number>(); // ptr -> block size
  private readonly freeBlockEndingAt = new Map<number, number>(); // end address -> ptr, to lower `top`
  private readonly freeLists = new Map<number, Set<number>>(); // block size -> free ptrs
  private liveBytes = 0;

  constructor(options: AllocatorOptions) {
    if (options.heapStart % ALIGNMENT !== 0) throw new Error(`allocator: heapStart ${options.heapStart} is not 64-byte aligned`);
    this.heapStart = options.heapStart;
    this.top = options.heapStart;
    this.end = options.heapEnd;
    this.growMemory = options.grow;
    this.maxBytes = options.maxBytes ?? 2 ** 32;
  }

  /** A 64-byte aligned block of at least `bytes` (a 64-byte block for 0). */
  alloc(bytes: number): number {
    if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new Error(`allocator: cannot allocate ${bytes} bytes`);
    const size = sizeClass(bytes);
    const reused = this.takeFree(size);
    if (reused !== undefined) return reused;
    if (this.top + size > this.end) this.ensureEnd(this.top + size, size);
    const ptr = this.top;
    this.top += size;
    this.markLive(ptr, size);
    return ptr;
  }

  /** Returns a block; throws on a pointer alloc never returned or one already freed. */
  free(ptr: number): void {
    const size = this.liveBlocks.get(ptr);
    if (size === undefined) {
      const why = this.freeBlocks.has(ptr) ? 'double free of' : 'free of unknown (or already freed) pointer';
      throw new Error(`allocator: ${why} ${ptr}`);
    }
    this.liveBlocks.delete(ptr);
    this.liveBytes -= size;
    if (ptr + size === this.top) {
      this.top = ptr;
      this.lowerTopOverFreeBlocks();
    } else {
      this.freeBlocks.set(ptr, size);
      this.freeBlockEndingAt.set(ptr + size, ptr);
      let list = this.freeLists.get(size);
      if (!list) this.freeLists.set(size, (list = new Set()));
      list.add(ptr);
    }
  }

  /** Sum of live block sizes (request sizes rounded up to their class). */
  allocatedBytes(): number {
    return this.liveBytes;
  }
  /** Number of live blocks. */
  liveCount(): number {
    return this.liveBlocks.size;
  }
  /** The block size of a live pointer, or undefined. */
  blockSize(ptr: number): number | undefined {
    return this.liveBlocks.get(ptr);
  }
  /** The high-water mark: the first address never handed out. */
  topAddress(): number {
    return this.top;
  }
  /** Bytes the heap spans now (memory end). */
  endAddress(): number {
    return this.end;
  }

  private markLive(ptr: number, size: number): void {
    this.liveBlocks.set(ptr, size);
    this.liveBytes += size;
  }

  private removeFree(ptr: number, size: number): void {
    this.freeBlocks.delete(ptr);
    this.freeBlockEndingAt.delete(ptr + size);
    this.freeLists.get(size)!.delete(ptr);
  }

  private popFree(size: number): number | undefined {
    const list = this.freeLists.get(size);
    if (!list || list.size === 0) return undefined;
    const ptr: number = list.values().next().value!;
    this.removeFree(ptr, size);
    this.markLive(ptr, size);
    return ptr;
  }

  // Exact class first; then, only if the bump pointer would have to grow memory, a larger free block.
  private takeFree(size: number): number | undefined {
    const exact = this.popFree(size);
    if (exact !== undefined || this.top + size <= this.end) return exact;
    for (const [classSize, list] of this.freeLists) {
      if (classSize > size && classSize <= size * REUSE_SLACK && list.size > 0) return this.popFree(classSize);
    }
    return undefined;
  }

  // After the top block is freed, free blocks right below it also return to the bump region.
  private lowerTopOverFreeBlocks(): void {
    for (;;) {
      const below = this.freeBlockEndingAt.get(this.top);
      if (below === undefined) return;
      this.removeFree(below, this.top - below);
      this.top = below;
    }
  }

  private ensureEnd(minimumEnd: number, request: number): void {
    if (minimumEnd > this.maxBytes) {
      throw new Error(
        `allocator: out of memory: ${request} bytes requested with ${this.liveBytes} bytes live ` +
          `(heap ${this.top - this.heapStart} bytes, limit ${this.maxBytes})`,
      );
    }
    // Grow in large steps (+25% or +16 MiB, whichever is more): growing is slow and detaches views.
    const preferred = Math.min(this.maxBytes, Math.max(minimumEnd, this.end + MIN_GROWTH_BYTES, Math.ceil(this.end * 1.25)));
    const newEnd = this.growMemory(minimumEnd, preferred);
    if (!(newEnd >= minimumEnd)) throw new Error(`allocator: grow returned ${newEnd}, below the ${minimumEnd} bytes needed`);
    this.end = newEnd;
  }
}
