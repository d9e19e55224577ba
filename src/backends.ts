// Registers the built-in backends: 'wasm' (default: SIMD kernels, threads where shared memory exists)
// and 'reference' (plain TypeScript, float64 inside: the test oracle and a fallback).
import { ENGINE } from './engine.js';
import { ReferenceBackend } from './backend/reference/index.js';
import { WasmBackend } from './backend/wasm/index.js';
import { createRuntimeSync } from './runtime/index.js';
import type { Runtime, RuntimeInfo } from './runtime/types.js';

let runtime: Runtime | undefined;
let requestedThreads: number | undefined;

ENGINE.registerBackend('wasm', {
  priority: 2,
  create: () => {
    runtime = createRuntimeSync({ threads: requestedThreads });
    return new WasmBackend(runtime);
  },
  ready: () => runtime!.ready(),
});
ENGINE.registerBackend('reference', { priority: 1, create: () => new ReferenceBackend() });

/** Sets how many threads the wasm backend uses (1 = the calling thread only). Defaults to the cores. */
export function setThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setThreads: expected a positive integer, got ${n}`);
  requestedThreads = n;
  runtime?.setThreads(n);
}

export interface BackendInfo extends Partial<RuntimeInfo> {
  backend: string;
}

/** What the current backend picked at load: SIMD, relaxed SIMD, shared memory, threads, build variant. */
export function backendInfo(): BackendInfo {
  const backend = ENGINE.getBackend();
  if (backend === 'wasm' && runtime) return { backend, ...runtime.info };
  return { backend, simd: false, relaxedSimd: false, sharedMemory: false, threads: 1, maxThreads: 1 };
}
