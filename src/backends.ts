// Registers the built-in backends: 'wasm' (the default: SIMD kernels, threads where shared memory exists)
// and 'reference' (plain TypeScript, float64 inside: the test oracle, used only when asked for by name).
import { ENGINE } from './engine.js';
import { ReferenceBackend } from './backend/reference/index.js';
import { WasmBackend } from './backend/wasm/index.js';
import { canCreateRuntimeSync, createRuntime, createRuntimeSync } from './runtime/index.js';
import { detectHost, sharedMemoryUnavailableReason } from './runtime/host.js';
import type { Runtime, RuntimeInfo } from './runtime/types.js';
import { lockWasmPaths } from './runtime/wasm-paths.js';
import { WebGPUBackend } from './backend/webgpu/index.js';
import { describeAdapter, type AdapterSummary, type WebGPUOptions } from './backend/webgpu/gpu.js';
import { createInlineTransport, createWorkerTransport, type Transport } from './backend/webgpu/transport.js';

let runtime: Runtime | undefined;
let requestedThreads: number | undefined;

function adopt(loaded: Runtime): WasmBackend {
  runtime = loaded;
  if (loaded.info.wasmUrl) lockWasmPaths(new URL(loaded.info.wasmUrl));
  return new WasmBackend(loaded);
}

ENGINE.registerBackend('wasm', {
  priority: 2,
  createSync: () => (canCreateRuntimeSync() ? adopt(createRuntimeSync({ threads: requestedThreads })) : undefined),
  create: async () => adopt(await createRuntime({ threads: requestedThreads })),
  ready: () => runtime!.ready(),
});
ENGINE.registerBackend('reference', {
  priority: 1,
  createSync: () => new ReferenceBackend(),
  create: async () => new ReferenceBackend(),
});

let webgpuOptions: WebGPUOptions & { transport?: 'inline' | 'worker' } = {};
let webgpu: WebGPUBackend | undefined;

// Never picked by default (priority 0): a GPU is used only when asked for, `await tf.setBackend('webgpu')`.
ENGINE.registerBackend('webgpu', {
  priority: 0,
  createSync: () => undefined,
  create: async () => {
    webgpu = new WebGPUBackend(await openTransport());
    return webgpu;
  },
  // After a device loss (or any error that stopped the device), tf.ready() continues on a new device.
  ready: async (backend) => {
    const gpu = backend as WebGPUBackend;
    if (!gpu.transport.failure) return;
    const reason = gpu.transport.failure.message;
    gpu.replaceTransport(await openTransport());
    console.warn(`sinew: the webgpu device had failed (${reason}); tf.ready() opened a new one`);
  },
});

function openTransport(): Promise<Transport> {
  const transport = webgpuOptions.transport ?? (detectHost() === 'node' ? 'worker' : 'inline');
  return (transport === 'inline' ? createInlineTransport : createWorkerTransport)(webgpuOptions);
}

/**
 * Options for the webgpu backend, read when it is created (`await tf.setBackend('webgpu')`). `transport`:
 * 'worker' (the default in Node) runs the device in a worker thread so that dataSync() can block on it;
 * 'inline' (the default elsewhere) keeps it on this thread, where values are read with `await data()`.
 */
export function setWebGPUOptions(options: WebGPUOptions & { transport?: 'inline' | 'worker' }): void {
  if (webgpu) console.warn('sinew: setWebGPUOptions after the webgpu backend was created applies to the next device only');
  webgpuOptions = { ...options };
}

/**
 * Sets how many threads the wasm backend uses (1 = the calling thread only). Defaults to the cores. Where
 * threads cannot run (a page that is not cross-origin isolated), warns why and keeps 1.
 */
export function setThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setThreads: expected a positive integer, got ${n}`);
  requestedThreads = n;
  const unavailable = runtime ? runtime.info.threadsUnavailable : sharedMemoryUnavailableReason(detectHost());
  if (n > 1 && unavailable !== undefined) console.warn(`sinew: setThreads(${n}) keeps 1 thread: ${unavailable}`);
  runtime?.setThreads(n);
}

export interface BackendInfo extends Partial<RuntimeInfo> {
  backend: string;
  /** False until the backend has loaded (`await tf.ready()`); the other fields are then absent. */
  loaded: boolean;
  /** webgpu: the adapter (vendor, architecture, fallback or not, limits, features) and where the device runs. */
  adapter?: AdapterSummary & { name: string };
  transport?: 'inline' | 'worker';
}

/** What the current backend picked at load: host, build variant, SIMD, threads and why threads are off. */
export function backendInfo(): BackendInfo {
  const backend = ENGINE.getBackend();
  const loaded = ENGINE.findBackend(backend) !== undefined;
  if (backend === 'wasm' && runtime) return { backend, loaded, ...runtime.info };
  if (backend === 'wasm') return { backend, loaded, host: detectHost() };
  if (backend === 'webgpu' && webgpu && loaded) {
    const t = webgpu.transport;
    return { backend, loaded, host: detectHost(), threads: 1, maxThreads: 1, adapter: { ...t.adapter, name: describeAdapter(t.adapter) }, transport: t.kind };
  }
  return { backend, loaded, host: detectHost(), simd: false, relaxedSimd: false, sharedMemory: false, threads: 1, maxThreads: 1 };
}
