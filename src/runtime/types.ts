// The contract between the runtime (loader, allocator, thread pool) and the wasm backend.

/** What was picked at load, as shown by tf.backendInfo(). */
export interface RuntimeInfo {
  simd: boolean;
  relaxedSimd: boolean;
  sharedMemory: boolean;
  /** Threads in use, the calling thread included (1 when shared memory is unavailable). */
  threads: number;
  /** Threads the pool may use at most (cores, or what setThreads asked for). */
  maxThreads: number;
  /** Which build was loaded: 'mt-relaxed' | 'mt' | 'st-relaxed' | 'st'. */
  variant: string;
  /** Host the loader detected. */
  host: 'node' | 'deno' | 'browser';
  /** Why this runtime cannot use threads (no shared memory, a single-threaded build), or undefined. */
  threadsUnavailable?: string;
  /** Where the module was loaded from. */
  wasmUrl?: string;
}

/** How a splittable kernel is divided over the pool. */
export interface SplitOptions {
  /** Chunk boundaries fall on multiples of this (e.g. the GEMM micro-tile rows). Default 1. */
  grain?: number;
  /**
   * Rough cost of one unit of the range in flops (or bytes touched). Work below the runtime's
   * threshold (~50k flops per thread) stays on the calling thread.
   */
  costPerUnit?: number;
  /**
   * Upper bound on threads for this call, for kernels whose split has a cost the flop count misses
   * (GEMM: every thread packs all of B). Default: no bound beyond the runtime's own rule.
   */
  maxThreads?: number;
  /** When set, each thread's private scratch pointer of at least this many bytes is passed before start/end. */
  workspaceBytes?: number;
}

export interface Runtime {
  readonly info: RuntimeInfo;
  readonly memory: WebAssembly.Memory;
  /** Exports of the calling thread's instance (kernels callable directly, single-threaded). */
  readonly exports: Record<string, any>;

  /** Allocates `bytes` (64-byte aligned, never 0 for bytes > 0); grows memory as needed. */
  alloc(bytes: number): number;
  /** Returns a block from alloc. */
  free(ptr: number): void;
  /** Bytes currently allocated (sum of live block sizes as requested, rounded to the size class). */
  allocatedBytes(): number;

  /** Views over wasm memory, re-created after memory.grow(); never cache them across allocations. */
  f32(): Float32Array;
  i32(): Int32Array;
  u8(): Uint8Array;

  /**
   * Calls exports[kernel](...args, [workspace,] start, end) over [0, total), split into chunks across the
   * pool when the work is large enough, else on the calling thread. Synchronous: returns when all chunks
   * are done. Every arg must be a number (pointers, sizes, f32 values, op codes).
   */
  run(kernel: string, args: readonly number[], total: number, options?: SplitOptions): void;

  /** Sets the thread count (1 = calling thread only). Clamped to [1, maxThreads available]. */
  setThreads(n: number): void;
  /** Resolves when every worker of the pool is running. */
  ready(): Promise<void>;
  /** Stops the workers (tests and process exit). */
  terminate(): Promise<void>;
}
