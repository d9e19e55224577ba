// The runtime: one wasm build loaded over one Memory, the allocator that owns that memory above the
// reserved first 64 KiB, and (for shared-memory builds) the thread pool that splits kernels over workers.
//
//   const rt = await createRuntime();            // or createRuntimeSync() in Node / Deno
//   const out = rt.alloc(n * 4);
//   rt.run('someKernel', [out, value], n, { grain: 4, costPerUnit: 8 });
import { Allocator } from './allocator.js';
import { type HostKind, detectHost, hardwareThreads, sharedMemoryUnavailableReason } from './host.js';
import {
  type LoadedModule, type Variant, MAX_PAGES, PAGE_BYTES, canReadSync, isSharedVariant, load, loadSync, pickVariant,
  relaxedSimdSupported, simdSupported, wasmLocation,
} from './loader.js';
import { CONTROL_BLOCK_BYTES, MAX_WORKERS, ThreadPool, type WorkerChunk } from './pool.js';
import type { Runtime, RuntimeInfo, SplitOptions } from './types.js';

export type { Runtime, RuntimeInfo, SplitOptions } from './types.js';
export type { Variant } from './loader.js';

export interface RuntimeOptions {
  /** Threads to use, the calling thread included (default: the logical cores). */
  threads?: number;
  /** Force a build instead of the best one the host supports. */
  variant?: Variant;
  /** URL of the .wasm file, or of a folder (ending in '/') holding sinew-<variant>.wasm. */
  wasmUrl?: string | URL;
}

/** Static data of the stub runtime lives below this; the allocator owns everything above. */
export const RESERVED_BYTES = 64 * 1024;
/** Below this much work (flops or bytes) per thread, a hand-off to workers costs more than it saves. */
export const MIN_WORK_PER_THREAD = 64 * 1024;
/**
 * Waking a sleeping worker (Atomics.notify) costs the caller ~10-70 µs, more than 64k flops take: below
 * this much work per thread only workers still polling (right after a previous job) are used.
 */
export const MIN_WORK_TO_WAKE_PER_THREAD = 512 * 1024;

const NO_WORKERS: readonly number[] = [];

interface Workspace {
  ptr: number;
  bytes: number;
}

class WasmRuntime implements Runtime {
  readonly info: RuntimeInfo;
  readonly memory: WebAssembly.Memory;
  readonly exports: Record<string, any>;
  private readonly allocator: Allocator;
  private readonly pool: ThreadPool | undefined;
  private readonly kernelIds = new Map<string, number>();
  private readonly workspaces: Workspace[] = [];
  private terminated = false;
  private workersFailed = false;
  private viewBuffer: ArrayBufferLike | undefined;
  private f32View = new Float32Array(0);
  private i32View = new Int32Array(0);
  private u8View = new Uint8Array(0);

  constructor(loaded: LoadedModule, host: HostKind, requestedThreads: number | undefined) {
    if (loaded.staticDataEnd > RESERVED_BYTES) {
      throw new Error(
        `sinew runtime: the ${loaded.variant} build has static data up to byte ${loaded.staticDataEnd}, above the ` +
          `${RESERVED_BYTES} bytes reserved for it (kernels must not keep static data)`,
      );
    }
    this.memory = loaded.memory;
    this.exports = loaded.instance.exports as Record<string, any>;
    this.allocator = new Allocator({
      heapStart: RESERVED_BYTES,
      heapEnd: this.memory.buffer.byteLength,
      maxBytes: MAX_PAGES * PAGE_BYTES,
      grow: (minimumEnd, preferredEnd) => this.growMemory(minimumEnd, preferredEnd),
    });
    const shared = isSharedVariant(loaded.variant);
    const hostReason = shared ? undefined : sharedMemoryUnavailableReason(host);
    const cores = hardwareThreads(host);
    const maxThreads = shared ? Math.min(MAX_WORKERS + 1, Math.max(cores, requestedThreads ?? 1)) : 1;
    this.info = {
      simd: true,
      relaxedSimd: loaded.variant.endsWith('relaxed'),
      sharedMemory: shared,
      threads: 1,
      maxThreads,
      variant: loaded.variant,
      host,
      threadsUnavailable: shared ? undefined : (hostReason ?? `the single-threaded '${loaded.variant}' build was asked for`),
      wasmUrl: loaded.url.href,
    };
    // Never slower in silence: where the host (not the caller) rules threads out, say so once.
    if (hostReason) console.warn(`sinew: the wasm backend runs on 1 thread (${loaded.variant} build): ${hostReason}`);
    const kernelNames = WebAssembly.Module.exports(loaded.module).filter((e) => e.kind === 'function').map((e) => e.name);
    kernelNames.forEach((name, id) => this.kernelIds.set(name, id));
    if (shared) {
      const controlPtr = this.allocator.alloc(CONTROL_BLOCK_BYTES);
      this.u8().fill(0, controlPtr, controlPtr + CONTROL_BLOCK_BYTES);
      this.pool = new ThreadPool({ host, module: loaded.module, memory: this.memory, controlPtr, kernelNames });
    }
    this.setThreads(requestedThreads ?? cores);
  }

  alloc(bytes: number): number {
    return this.allocator.alloc(bytes);
  }
  free(ptr: number): void {
    this.allocator.free(ptr);
  }
  allocatedBytes(): number {
    return this.allocator.allocatedBytes();
  }

  f32(): Float32Array {
    this.refreshViews();
    return this.f32View;
  }
  i32(): Int32Array {
    this.refreshViews();
    return this.i32View;
  }
  u8(): Uint8Array {
    this.refreshViews();
    return this.u8View;
  }

  run(kernel: string, args: readonly number[], total: number, options: SplitOptions = {}): void {
    const kernelFunction = this.exports[kernel];
    if (typeof kernelFunction !== 'function') {
      throw new Error(`sinew runtime: no kernel named '${kernel}' in the ${this.info.variant} build`);
    }
    if (total <= 0) return;
    const grain = Math.max(1, Math.floor(options.grain ?? 1));
    const workspaceBytes = options.workspaceBytes;
    const threads = Math.min(this.threadsFor(total, grain, options.costPerUnit ?? 1), Math.max(1, options.maxThreads ?? Infinity));
    const wakeSleeping = (total * (options.costPerUnit ?? 1)) / threads >= MIN_WORK_TO_WAKE_PER_THREAD;
    const workers = threads > 1 ? this.pool!.readyWorkers(threads - 1, wakeSleeping) : NO_WORKERS;
    if (workers.length === 0) {
      // The common small case: no chunking, no closures.
      try {
        if (workspaceBytes === undefined) kernelFunction(...args, 0, total);
        else kernelFunction(...args, this.workspace(0, workspaceBytes), 0, total);
      } catch (error) {
        throw new Error(`sinew runtime: kernel ${kernel} failed: ${error instanceof Error ? error.message : error}`);
      }
      return;
    }
    const chunkSize = Math.ceil(Math.ceil(total / (workers.length + 1)) / grain) * grain;
    const chunkCount = Math.ceil(total / chunkSize);
    // Workspaces first: allocating may grow memory, which must not happen while workers run.
    const workspaces: number[] = [];
    if (workspaceBytes !== undefined) for (let t = 0; t < chunkCount; t++) workspaces.push(this.workspace(t, workspaceBytes));
    const chunks: WorkerChunk[] = [];
    for (let c = 1; c < chunkCount; c++) {
      chunks.push({
        worker: workers[c - 1],
        start: c * chunkSize,
        end: Math.min(total, (c + 1) * chunkSize),
        workspace: workspaceBytes !== undefined ? workspaces[c] : 0,
      });
    }
    const callerChunk: WorkerChunk = { worker: -1, start: 0, end: Math.min(total, chunkSize), workspace: workspaces[0] ?? 0 };
    this.pool!.dispatch(kernel, this.kernelIds.get(kernel)!, args, workspaceBytes !== undefined, callerChunk, chunks,
      (start, end, workspace) => {
        if (workspaceBytes === undefined) kernelFunction(...args, start, end);
        else kernelFunction(...args, workspace, start, end);
      });
  }

  setThreads(n: number): void {
    const poolUsable = this.pool !== undefined && !this.terminated;
    // After workers failed to start, more would fail the same way: stay within those that came up.
    const limit = !poolUsable ? 1 : this.workersFailed ? this.info.maxThreads : MAX_WORKERS + 1;
    const threads = Math.max(1, Math.min(Math.floor(n) || 1, limit));
    this.info.threads = threads;
    this.info.maxThreads = Math.max(this.info.maxThreads, threads);
    if (this.pool && threads > 1) this.pool.ensureWorkers(threads - 1);
  }

  /**
   * Resolves when the pool's workers are up. One that cannot start (a worker crashed, a page's CSP blocks
   * workers) leaves the runtime working on the threads that did come up: threadsUnavailable says why and
   * one warning is printed, rather than a rejection for a backend that still computes.
   */
  async ready(): Promise<void> {
    try {
      await this.pool?.ready();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (!this.workersFailed) {
        this.workersFailed = true;
        const working = 1 + this.pool!.readyCount();
        this.info.threadsUnavailable = reason;
        this.info.threads = Math.min(this.info.threads, working);
        this.info.maxThreads = working;
        console.warn(`sinew: the wasm backend continues on ${working} thread${working === 1 ? '' : 's'}: ${reason}`);
      }
    }
  }

  async terminate(): Promise<void> {
    this.terminated = true;
    this.info.threads = 1;
    await this.pool?.terminate();
  }

  /** Threads worth using for this much work: every thread gets at least MIN_WORK_PER_THREAD. */
  private threadsFor(total: number, grain: number, costPerUnit: number): number {
    if (this.info.threads <= 1) return 1;
    const byCost = Math.floor((total * costPerUnit) / MIN_WORK_PER_THREAD);
    return Math.max(1, Math.min(this.info.threads, byCost, Math.ceil(total / grain)));
  }

  // One scratch block per thread, kept and grown on demand (never shrunk: kernels ask for the same sizes).
  private workspace(thread: number, bytes: number): number {
    const current = this.workspaces[thread];
    if (current && current.bytes >= bytes) return current.ptr;
    if (current) this.allocator.free(current.ptr);
    const ptr = this.allocator.alloc(bytes);
    this.workspaces[thread] = { ptr, bytes: this.allocator.blockSize(ptr)! };
    return ptr;
  }

  private growMemory(minimumEnd: number, preferredEnd: number): number {
    const pagesNow = this.memory.buffer.byteLength / PAGE_BYTES;
    const toPages = (bytes: number) => Math.min(MAX_PAGES, Math.ceil(bytes / PAGE_BYTES));
    try {
      this.memory.grow(toPages(preferredEnd) - pagesNow);
    } catch {
      try {
        this.memory.grow(toPages(minimumEnd) - pagesNow);
      } catch (error) {
        throw new Error(
          `sinew runtime: out of wasm memory: cannot grow from ${pagesNow * PAGE_BYTES} to ${minimumEnd} bytes ` +
            `(${this.allocator.allocatedBytes()} bytes live): ${error instanceof Error ? error.message : error}`,
        );
      }
    }
    return this.memory.buffer.byteLength;
  }

  // After grow, a non-shared buffer is detached and a shared one keeps its old length: re-create views.
  private refreshViews(): void {
    const buffer = this.memory.buffer;
    if (buffer === this.viewBuffer && this.u8View.length === buffer.byteLength) return;
    this.viewBuffer = buffer;
    this.f32View = new Float32Array(buffer);
    this.i32View = new Int32Array(buffer);
    this.u8View = new Uint8Array(buffer);
  }
}

function resolveVariant(options: RuntimeOptions, host: HostKind): Variant {
  if (!simdSupported()) throw new Error('sinew runtime: this host lacks WebAssembly SIMD, which every sinew build needs');
  const variant = options.variant ?? pickVariant(host);
  const noSharedMemory = sharedMemoryUnavailableReason(host);
  if (isSharedVariant(variant) && noSharedMemory !== undefined) {
    throw new Error(`sinew runtime: variant '${variant}' needs shared memory, but ${noSharedMemory}`);
  }
  if (variant.endsWith('relaxed') && !relaxedSimdSupported()) {
    throw new Error(`sinew runtime: variant '${variant}' needs relaxed SIMD, which this host does not validate`);
  }
  return variant;
}

/** Loads the best build for this host (or options.variant) and starts its thread pool. */
export async function createRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const host = detectHost();
  const runtime = new WasmRuntime(await load(resolveVariant(options, host), options.wasmUrl, host), host, options.threads);
  await runtime.ready();
  return runtime;
}

/**
 * Synchronous load for Node and Deno (file system + synchronous compile), so the tensor engine can
 * initialize on first use. Workers join the pool as they come up; `await runtime.ready()` waits for all.
 */
export function createRuntimeSync(options: RuntimeOptions = {}): Runtime {
  const host = detectHost();
  return new WasmRuntime(loadSync(resolveVariant(options, host), options.wasmUrl, host), host, options.threads);
}

/** Whether createRuntimeSync can work here: the build is a file this host reads synchronously (Node, Deno). */
export function canCreateRuntimeSync(options: RuntimeOptions = {}): boolean {
  const host = detectHost();
  return canReadSync(wasmLocation(resolveVariant(options, host), options.wasmUrl), host);
}
