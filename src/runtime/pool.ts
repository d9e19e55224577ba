// The thread pool: workers that each instantiate the same module over the shared memory and run kernel
// chunks handed to them through a control block in that memory (layout in worker.ts). Dispatch is
// synchronous for the caller: it writes the job, bumps each chosen worker's generation counter, runs its
// own chunk, then waits for the pending counter to reach zero.
import { type HostKind, canBlockOnThisThread, nodeBuiltin } from './host.js';
import {
  CONTROL_BLOCK_BYTES, JOB_OFFSET, MAX_ARGS, MAX_WORKERS, NODE_WORKER_SOURCE, PENDING_INDEX, QUIT_INDEX,
  SLOTS_OFFSET, SLOT_BYTES, SLOT_CLAIM_INT, SLOT_MESSAGE_OFFSET, SLOT_SLEEPING_INT, WEB_WORKER_SOURCE, WORKER_EXITED, WORKER_FAILED, WORKER_READY,
} from './worker.js';

export { CONTROL_BLOCK_BYTES, MAX_WORKERS };

/** How long the caller polls for its workers to finish before sleeping in Atomics.wait (ms). */
const CALLER_SPIN_MS = 0.2;

/** A chunk for worker `worker` (ignored for the caller's): the kernel runs over [start, end) with its workspace. */
export interface WorkerChunk {
  worker: number;
  start: number;
  end: number;
  workspace: number;
}

interface WorkerHandle {
  terminate(): unknown;
  readyPromise: Promise<void>;
}

export interface PoolOptions {
  host: HostKind;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** Base of CONTROL_BLOCK_BYTES allocated in the shared memory, 64-byte aligned. */
  controlPtr: number;
  /** The function exports, in kernel-id order. */
  kernelNames: readonly string[];
}

export class ThreadPool {
  private readonly workers: WorkerHandle[] = [];
  private readonly options: PoolOptions;
  private readonly canBlock: boolean;
  private i32: Int32Array;
  private f64: Float64Array;
  private terminated = false;
  private blobUrl: string | undefined;

  constructor(options: PoolOptions) {
    this.options = options;
    this.canBlock = canBlockOnThisThread();
    this.i32 = new Int32Array(options.memory.buffer);
    this.f64 = new Float64Array(options.memory.buffer);
  }

  /** Workers spawned so far (ready or not). */
  get size(): number {
    return this.workers.length;
  }

  /** Spawns workers until `count` exist; they become usable as each finishes instantiating. */
  ensureWorkers(count: number): void {
    if (this.terminated) throw new Error('sinew runtime: the thread pool was terminated');
    count = Math.min(count, MAX_WORKERS);
    while (this.workers.length < count) this.workers.push(this.spawn(this.workers.length));
  }

  /**
   * Indices of up to `limit` workers whose instance is ready, read from shared memory (no await). Waking a
   * sleeping worker costs the caller a syscall (tens of µs in a VM), so with `wakeSleeping` false only
   * workers still polling for work are taken.
   */
  readyWorkers(limit: number, wakeSleeping: boolean): number[] {
    this.refreshViews();
    const ready: number[] = [];
    for (let i = 0; i < this.workers.length && ready.length < limit; i++) {
      const slot = this.slotInt32(i);
      if (Atomics.load(this.i32, slot + 1) !== WORKER_READY) continue;
      if (wakeSleeping || Atomics.load(this.i32, slot + SLOT_SLEEPING_INT) === 0) ready.push(i);
    }
    return ready;
  }

  /** Resolves when every spawned worker is ready; rejects if one failed to start. */
  async ready(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.readyPromise));
  }

  /** Workers that came up (the others failed to start or are still starting). */
  readyCount(): number {
    return this.readyWorkers(this.workers.length, true).length;
  }

  /**
   * Runs `kernelId` over the caller's chunk (on this thread) and the worker chunks; returns when all are
   * done. Chunks a worker has not claimed by the time the caller finishes its own, the caller runs too.
   * A failure anywhere is thrown after every chunk has finished, naming the kernel and the range.
   */
  dispatch(
    kernelName: string, kernelId: number, args: readonly number[], hasWorkspace: boolean,
    callerChunk: WorkerChunk, chunks: readonly WorkerChunk[], runChunk: (start: number, end: number, workspace: number) => void,
  ): void {
    if (args.length > MAX_ARGS) throw new Error(`sinew runtime: kernel ${kernelName} has ${args.length} args, the pool carries at most ${MAX_ARGS}`);
    this.refreshViews();
    const { i32, f64 } = this;
    const job = (this.options.controlPtr + JOB_OFFSET) >> 3;
    f64[job] = kernelId;
    f64[job + 1] = args.length;
    f64[job + 2] = hasWorkspace ? 1 : 0;
    for (let a = 0; a < args.length; a++) f64[job + 3 + a] = args[a];
    const pendingIndex = (this.options.controlPtr >> 2) + PENDING_INDEX;
    Atomics.store(i32, pendingIndex, chunks.length);
    for (const chunk of chunks) {
      const slot = this.slotInt32(chunk.worker);
      const slotF64 = (slot >> 1) + 2;
      f64[slotF64] = chunk.start;
      f64[slotF64 + 1] = chunk.end;
      f64[slotF64 + 2] = chunk.workspace;
      i32[slot + 2] = 0;
      Atomics.store(i32, slot + SLOT_CLAIM_INT, 0); // publishes the job: a worker reads it after claiming
      Atomics.add(i32, slot, 1);
      if (Atomics.load(i32, slot + SLOT_SLEEPING_INT) !== 0) Atomics.notify(i32, slot, 1);
    }
    let failure: { chunk: WorkerChunk; error: unknown } | undefined;
    const runHere = (chunk: WorkerChunk) => {
      try {
        runChunk(chunk.start, chunk.end, chunk.workspace);
      } catch (error) {
        failure ??= { chunk, error };
      }
    };
    runHere(callerChunk);
    for (const chunk of chunks) {
      if (Atomics.compareExchange(i32, this.slotInt32(chunk.worker) + SLOT_CLAIM_INT, 0, 2) === 0) {
        runHere(chunk);
        Atomics.sub(i32, pendingIndex, 1);
      }
    }
    this.waitForZero(pendingIndex);
    if (failure) {
      const message = failure.error instanceof Error ? failure.error.message : String(failure.error);
      throw new Error(`sinew runtime: kernel ${kernelName} failed on the calling thread on [${failure.chunk.start}, ${failure.chunk.end}): ${message}`);
    }
    for (const chunk of chunks) {
      const slot = this.slotInt32(chunk.worker);
      if (Atomics.load(this.i32, slot + 2) !== 0) {
        const length = this.i32[slot + 3];
        const start = this.options.controlPtr + SLOTS_OFFSET + chunk.worker * SLOT_BYTES + SLOT_MESSAGE_OFFSET;
        const message = new TextDecoder().decode(new Uint8Array(this.options.memory.buffer, start, length).slice());
        throw new Error(`sinew runtime: kernel ${kernelName} failed in worker ${chunk.worker} on [${chunk.start}, ${chunk.end}): ${message}`);
      }
    }
  }

  /** Asks every worker to leave its loop, then terminates it. */
  async terminate(): Promise<void> {
    if (this.terminated) return;
    this.terminated = true;
    this.refreshViews();
    Atomics.store(this.i32, (this.options.controlPtr >> 2) + QUIT_INDEX, 1);
    for (let i = 0; i < this.workers.length; i++) {
      const slot = this.slotInt32(i);
      Atomics.add(this.i32, slot, 1);
      Atomics.notify(this.i32, slot);
    }
    await Promise.all(this.workers.map((worker) => worker.terminate()));
    this.workers.length = 0;
    if (this.blobUrl) URL.revokeObjectURL(this.blobUrl);
  }

  private slotInt32(worker: number): number {
    return (this.options.controlPtr + SLOTS_OFFSET + worker * SLOT_BYTES) >> 2;
  }

  private refreshViews(): void {
    if (this.i32.buffer.byteLength !== this.options.memory.buffer.byteLength) {
      this.i32 = new Int32Array(this.options.memory.buffer);
      this.f64 = new Float64Array(this.options.memory.buffer);
    }
  }

  // Node and Deno may block the main thread in Atomics.wait; a browser page must poll.
  private waitForZero(index: number): void {
    const i32 = this.i32;
    let pending = Atomics.load(i32, index);
    if (pending === 0) return;
    const spinUntil = performance.now() + CALLER_SPIN_MS;
    while ((pending = Atomics.load(i32, index)) !== 0 && performance.now() < spinUntil) {}
    let nextHealthCheck = performance.now() + 1000;
    while (pending !== 0) {
      if (this.canBlock) Atomics.wait(i32, index, pending, 1000);
      pending = Atomics.load(i32, index);
      if (pending !== 0 && performance.now() > nextHealthCheck) {
        this.checkWorkersAlive();
        nextHealthCheck = performance.now() + 1000;
      }
    }
  }

  // A worker that left its loop (crashed outside a kernel) will never finish its chunk: fail, not hang.
  private checkWorkersAlive(): void {
    for (let i = 0; i < this.workers.length; i++) {
      const state = Atomics.load(this.i32, this.slotInt32(i) + 1);
      if (state === WORKER_EXITED) throw new Error(`sinew runtime: worker ${i} exited while a job was pending`);
    }
  }

  private spawn(index: number): WorkerHandle {
    const { module, memory, controlPtr, kernelNames, host } = this.options;
    const data = { module, memory, controlPtr, index, kernelNames: [...kernelNames] };
    const slotState = this.slotInt32(index) + 1;
    Atomics.store(this.i32, slotState, 0);
    Atomics.store(this.i32, this.slotInt32(index), 0);
    // Deno too takes the worker_threads path when it offers it: its Web Workers cannot be unref'd, so an
    // idle pool would keep a Deno script from exiting.
    const workerThreads = host === 'browser' ? undefined : nodeBuiltin<any>('node:worker_threads');
    if (workerThreads) {
      const { Worker } = workerThreads;
      const worker = new Worker(NODE_WORKER_SOURCE, { eval: true, workerData: data });
      // Referenced until ready (so `await ready()` keeps the process alive), then unref'd so an idle pool
      // never keeps the process running.
      const readyPromise = new Promise<void>((resolve, reject) => {
        worker.on('message', (message: any) => {
          if (message.type === 'ready') { worker.unref(); resolve(); }
          else if (message.type === 'failed') { worker.unref(); reject(new Error(`sinew runtime: worker ${index} failed to start: ${message.message}`)); }
        });
        worker.on('error', (error: Error) => { worker.unref(); reject(new Error(`sinew runtime: worker ${index} crashed: ${error.message}`)); });
      });
      readyPromise.catch(() => {}); // surfaced through ready(); run() just skips workers that are not ready
      return { terminate: () => worker.terminate(), readyPromise };
    }
    this.blobUrl ??= URL.createObjectURL(new Blob([WEB_WORKER_SOURCE], { type: 'text/javascript' }));
    // A Content-Security-Policy whose worker-src excludes blob: blocks the worker with an error event that has no
    // message (Chromium), or makes the constructor throw: either way, say what to change.
    const blocked = `a Content-Security-Policy may block blob: workers: allow them with worker-src blob: (or child-src blob:)`;
    let worker: Worker;
    try {
      worker = new Worker(this.blobUrl, { type: 'module', name: `sinew-worker-${index}` });
    } catch (error) {
      const failed = Promise.reject(new Error(`sinew runtime: worker ${index} could not be created: ${error instanceof Error ? error.message : error}; ${blocked}`));
      failed.catch(() => {});
      return { terminate: () => undefined, readyPromise: failed };
    }
    const readyPromise = new Promise<void>((resolve, reject) => {
      worker.onmessage = (event: MessageEvent) => {
        if (event.data.type === 'ready') resolve();
        else if (event.data.type === 'failed') reject(new Error(`sinew runtime: worker ${index} failed to start: ${event.data.message}`));
      };
      worker.onerror = (event: ErrorEvent) => reject(new Error(`sinew runtime: worker ${index} did not start: ${event.message || blocked}`));
    });
    readyPromise.catch(() => {});
    worker.postMessage(data);
    return { terminate: () => worker.terminate(), readyPromise };
  }
}
