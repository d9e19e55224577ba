// Which JavaScript host we run in, and the few host services the runtime needs from it. Everything
// Node-specific is reached through process.getBuiltinModule so this file imports nothing and bundles
// cleanly for browsers.

export type HostKind = 'node' | 'deno' | 'browser';

declare const Deno: any;

/** Deno first: Deno also exposes a `process` global for npm compatibility. */
export function detectHost(): HostKind {
  if (typeof Deno !== 'undefined' && typeof Deno.version === 'object') return 'deno';
  const proc = (globalThis as any).process;
  if (proc && proc.versions && typeof proc.versions.node === 'string') return 'node';
  return 'browser';
}

/** A Node builtin module, loaded synchronously (Node >= 20.16), or undefined where unavailable. */
export function nodeBuiltin<T = any>(name: string): T | undefined {
  const proc = (globalThis as any).process;
  if (proc && typeof proc.getBuiltinModule === 'function') return proc.getBuiltinModule(name) as T;
  return undefined;
}

/** Logical cores: os.availableParallelism in Node, navigator.hardwareConcurrency elsewhere. */
export function hardwareThreads(host: HostKind = detectHost()): number {
  if (host === 'node') {
    const os = nodeBuiltin<any>('node:os');
    if (os) return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
  }
  const nav = (globalThis as any).navigator;
  return Math.max(1, (nav && nav.hardwareConcurrency) || 1);
}

/**
 * Why shared wasm memory (and so the thread pool) is unavailable here, or undefined when it is available.
 * It needs SharedArrayBuffer, which browsers give only to cross-origin isolated pages and their workers.
 */
export function sharedMemoryUnavailableReason(host: HostKind = detectHost()): string | undefined {
  if (host === 'browser' && (globalThis as any).crossOriginIsolated !== true) {
    return 'the page is not cross-origin isolated: serve it with the headers Cross-Origin-Opener-Policy: same-origin ' +
      'and Cross-Origin-Embedder-Policy: require-corp (or credentialless) to get SharedArrayBuffer';
  }
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return 'this host has no SharedArrayBuffer/Atomics';
  return undefined;
}

export function sharedMemoryAvailable(host: HostKind = detectHost()): boolean {
  return sharedMemoryUnavailableReason(host) === undefined;
}

/** Whether this thread may block in Atomics.wait (Node and Deno main threads may; a browser page may not). */
export function canBlockOnThisThread(): boolean {
  try {
    const probe = new Int32Array(new SharedArrayBuffer(4));
    Atomics.wait(probe, 0, 1, 0); // value differs: returns 'not-equal' at once where blocking is allowed
    return true;
  } catch {
    return false;
  }
}
