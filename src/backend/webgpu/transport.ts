// How the webgpu backend's calls reach the device. Inline: the device lives on this thread (a browser page),
// calls run at once and only asynchronous reads exist. Worker: the device lives in a worker thread (Node,
// Deno), calls stream to it in batches, and a synchronous read blocks this thread in Atomics.wait until the
// worker has copied the values into shared memory — which is what makes dataSync() work on a GPU there.
import type { AdapterSummary, GpuLimits, WebGPUOptions } from './gpu.js';
import { openDevice } from './gpu.js';
import { GpuExecutor } from './executor.js';
import { runCommand, type Command } from './commands.js';
import { detectHost, nodeBuiltin } from '../../runtime/host.js';

export interface Transport {
  readonly adapter: AdapterSummary;
  readonly limits: GpuLimits;
  /** 'inline' (device on this thread) or 'worker'. */
  readonly kind: 'inline' | 'worker';
  send(command: Command): void;
  readSync(id: number, elements: number, op: string): ArrayBuffer;
  read(id: number, elements: number): Promise<ArrayBuffer>;
  /** Resolves once the GPU has done everything sent so far. */
  finish(): Promise<void>;
  /** Why the device stopped working (lost, or an error it reported), once it has. */
  readonly failure: Error | undefined;
  destroy(): void;
}

export class InlineTransport implements Transport {
  readonly kind = 'inline';
  constructor(readonly exec: GpuExecutor, readonly adapter: AdapterSummary) {}
  get limits(): GpuLimits { return this.exec.limits; }
  get failure(): Error | undefined { return this.exec.failure; }
  send(command: Command): void { runCommand(this.exec, command); }
  readSync(_id: number, _elements: number, op: string): ArrayBuffer {
    throw new Error(
      `${op}: the webgpu backend cannot read GPU memory synchronously on this thread (a browser page's main thread ` +
        `may not block): use \`await tensor.data()\` / \`await tensor.array()\``,
    );
  }
  read(id: number, elements: number): Promise<ArrayBuffer> { return this.exec.read(id, elements); }
  finish(): Promise<void> { return this.exec.finish(); }
  destroy(): void { this.exec.destroy(); }
}

/** Opens the device on this thread. */
export async function createInlineTransport(options: WebGPUOptions): Promise<InlineTransport> {
  const { device, adapter, limits } = await openDevice(options);
  const transport = new InlineTransport(new GpuExecutor(device, limits), adapter);
  watchLoss(transport.exec, (reason) => (transport.exec.failure ??= reason));
  return transport;
}

/** Calls onLost when the executor's device is lost, unless sinew destroyed it itself (someone else may have). */
export function watchLoss(exec: GpuExecutor, onLost: (reason: Error) => void): void {
  void exec.device.lost?.then((info: any) => {
    if (exec.destroyed) return;
    onLost(new Error(`webgpu backend: the GPU device was lost (${info?.reason ?? 'unknown'}: ${info?.message || 'no message'}); ` +
      'await tf.ready() opens a new one (tensors made before are gone)'));
  });
}

// --- the worker route ---------------------------------------------------------------------------------

/** Commands sent before the batch goes out even without a microtask turn (a long synchronous loop). */
const BATCH_COMMANDS = 128;
/** How long a synchronous read may wait for the worker before it is declared hung. */
const READ_TIMEOUT_MS = 120_000;

/**
 * Control words of the shared read channel: state (0 waiting, 1 done, 2 this read failed (an index check),
 * 3 the device failed for good), byte length.
 */
const STATE = 0;
const LENGTH = 1;

export class WorkerTransport implements Transport {
  readonly kind = 'worker';
  private batch: Command[] = [];
  private flushQueued = false;
  private control = new Int32Array(new SharedArrayBuffer(8));
  private shared = new SharedArrayBuffer(1 << 16);
  private nextRequest = 0;
  private replies = new Map<number, { resolve: (b: ArrayBuffer) => void; reject: (e: Error) => void }>();
  failure: Error | undefined;

  constructor(private readonly worker: any, readonly adapter: AdapterSummary, readonly limits: GpuLimits) {
    worker.on('message', (message: any) => this.onMessage(message));
    worker.on('error', (error: Error) => this.fail(new Error(`webgpu backend: the device worker failed: ${error.message}`)));
    worker.on('exit', (code: number) => this.fail(new Error(`webgpu backend: the device worker exited (code ${code})`)));
    worker.unref();
  }

  send(command: Command): void {
    if (this.failure) throw this.failure;
    this.batch.push(command);
    if (this.batch.length >= BATCH_COMMANDS) this.flush();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }

  readSync(id: number, elements: number, op: string): ArrayBuffer {
    if (this.failure) throw this.failure;
    const bytes = elements * 4;
    if (this.shared.byteLength < bytes) this.shared = new SharedArrayBuffer(2 ** Math.ceil(Math.log2(bytes)));
    Atomics.store(this.control, STATE, 0);
    this.batch.push({ method: 'readShared', outs: [], args: [id, elements, this.control, this.shared] });
    this.flush();
    const waited = Atomics.wait(this.control, STATE, 0, READ_TIMEOUT_MS);
    if (waited === 'timed-out') {
      throw this.fail(new Error(`${op}: the webgpu device worker did not answer a read within ${READ_TIMEOUT_MS / 1000} s`));
    }
    const length = Atomics.load(this.control, LENGTH);
    const copy = new Uint8Array(length);
    copy.set(new Uint8Array(this.shared, 0, length));
    const state = Atomics.load(this.control, STATE);
    if (state === 2) throw new Error(new TextDecoder().decode(copy));
    if (state === 3) throw this.fail(new Error(new TextDecoder().decode(copy)));
    return copy.buffer;
  }

  read(id: number, elements: number): Promise<ArrayBuffer> {
    if (this.failure) return Promise.reject(this.failure);
    const request = this.nextRequest++;
    const reply = new Promise<ArrayBuffer>((resolve, reject) => this.replies.set(request, { resolve, reject }));
    this.batch.push({ method: 'readReply', outs: [], args: [id, elements, request] });
    this.flush();
    this.worker.ref();
    return reply.finally(() => { if (this.replies.size === 0) this.worker.unref(); });
  }

  finish(): Promise<void> {
    return this.read(-1, 0).then(() => undefined);
  }

  destroy(): void {
    this.flush();
    void this.worker.terminate();
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.batch.length === 0 || this.failure) return;
    const batch = this.batch;
    this.batch = [];
    this.worker.postMessage(batch);
  }

  private onMessage(message: any): void {
    if (message.reply !== undefined) {
      const waiting = this.replies.get(message.reply);
      this.replies.delete(message.reply);
      if (message.error) waiting?.reject(message.fatal ? this.fail(new Error(message.error)) : new Error(message.error));
      else waiting?.resolve(message.bytes);
    } else if (message.error) {
      this.fail(new Error(message.error));
    }
  }

  private fail(error: Error): Error {
    this.failure ??= error;
    for (const waiting of this.replies.values()) waiting.reject(this.failure);
    this.replies.clear();
    return this.failure;
  }
}

/**
 * The worker runs device-worker.js beside this file. Run from TypeScript sources (tests, tsx) it is a .ts
 * file, which a worker can only load after registering the same loader, so a small bootstrap does that.
 */
function startDeviceWorker(threads: any, options: WebGPUOptions): any {
  const fromSource = import.meta.url.endsWith('.ts');
  // Not `new URL('…', import.meta.url)`: bundlers would take the Node-only worker as an asset of browser bundles.
  const here = import.meta.url;
  const url = new URL(`./device-worker.${fromSource ? 'ts' : 'js'}`, here);
  if (!fromSource || detectHost() !== 'node') return new threads.Worker(url, { workerData: { options } });
  const { createRequire } = nodeBuiltin<any>('node:module');
  const { pathToFileURL } = nodeBuiltin<any>('node:url');
  // require.resolve would pick the CommonJS build of tsx's API; the ESM one sits beside it.
  const tsxPackage = createRequire(url).resolve('tsx/package.json');
  const tsx = new URL('dist/esm/api/index.mjs', pathToFileURL(tsxPackage)).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(url.href)}); });`;
  return new threads.Worker(bootstrap, { eval: true, workerData: { options } });
}

/** Starts the device worker and waits for its device; rejects with the worker's reason when it has none. */
export async function createWorkerTransport(options: WebGPUOptions): Promise<WorkerTransport> {
  const name = 'node:worker_threads';
  const threads = nodeBuiltin<any>(name) ?? (detectHost() === 'deno' ? await import(/* webpackIgnore: true */ /* @vite-ignore */ name) : undefined);
  if (!threads) throw new Error('webgpu backend: this host has no worker threads for the device worker');
  const worker = startDeviceWorker(threads, options);
  const listeners: [string, (value: any) => void][] = [];
  const ready = await new Promise<any>((resolve, reject) => {
    listeners.push(['message', resolve], ['error', reject], ['exit', (code: number) =>
      reject(new Error(`webgpu backend: the device worker exited (code ${code}) before opening a device`))]);
    for (const [event, listener] of listeners) worker.once(event, listener);
  });
  // Only our own listeners: removeAllListeners would also drop the worker's internal ones.
  for (const [event, listener] of listeners) worker.off(event, listener);
  if (ready.error) {
    void worker.terminate();
    throw new Error(ready.error);
  }
  return new WorkerTransport(worker, ready.adapter, ready.limits);
}
