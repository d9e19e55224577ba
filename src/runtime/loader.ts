// Finds, reads and compiles build/sinew-<variant>.wasm for Node, Deno and browsers, picks the variant
// the host supports, and builds the import object (one WebAssembly.Memory as env.memory).
import { fetchModule } from './fetch-wasm.js';
import { type HostKind, detectHost, nodeBuiltin, sharedMemoryAvailable } from './host.js';
import { wasmLocation } from './wasm-paths.js';

export { wasmLocation } from './wasm-paths.js';

export type Variant = 'mt-relaxed' | 'mt' | 'st-relaxed' | 'st';
export const VARIANTS: readonly Variant[] = ['mt-relaxed', 'mt', 'st-relaxed', 'st'];

declare const Deno: any;

/** Module bytes (on a plain ArrayBuffer, as the WebAssembly API wants). */
export type WasmBytes = Uint8Array<ArrayBuffer>;

/** 64 KiB pages; 65536 pages = 4 GiB, the wasm32 limit, declared as maximum for every build. */
export const PAGE_BYTES = 65536;
export const MAX_PAGES = 65536;

// A module whose only function applies one SIMD instruction to `operands` zero vectors. With
// f32x4.relaxed_madd it validates only where relaxed SIMD is on (Node 20 needs a flag; newer V8 has it).
function probeModule(operands: number, opcode: number[]): WasmBytes {
  const zeroVector = [0xfd, 0x0c, ...new Array(16).fill(0)]; // v128.const 0
  const body = [0x00, ...new Array(operands).fill(zeroVector).flat(), ...opcode, 0x0b];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
    0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
    0x0a, body.length + 2, 0x01, body.length, ...body, // code section
  ]);
}
const SIMD_PROBE = probeModule(2, [0xfd, 0xe4, 0x01]); // f32x4.add (0xe4)
const RELAXED_SIMD_PROBE = probeModule(3, [0xfd, 0x85, 0x02]); // f32x4.relaxed_madd (0x105)

export function simdSupported(): boolean {
  return WebAssembly.validate(SIMD_PROBE);
}
export function relaxedSimdSupported(): boolean {
  return WebAssembly.validate(RELAXED_SIMD_PROBE);
}

/** The best build this host runs: threads where shared memory works, relaxed SIMD where it validates. */
export function pickVariant(host: HostKind = detectHost()): Variant {
  const threads = sharedMemoryAvailable(host) ? 'mt' : 'st';
  return relaxedSimdSupported() ? `${threads}-relaxed` : threads;
}

export function isSharedVariant(variant: Variant): boolean {
  return variant.startsWith('mt');
}

/** Reads the wasm bytes synchronously (Node, Deno): the tensor engine can then initialize on first use. */
export function readWasmSync(url: URL, host: HostKind = detectHost()): WasmBytes {
  if (url.protocol === 'file:' && host !== 'browser') {
    try {
      if (host === 'deno') return Deno.readFileSync(url);
      const fs = nodeBuiltin<any>('node:fs');
      if (fs) return fs.readFileSync(url);
    } catch (error) {
      throw new Error(`sinew: cannot read ${url.href}: ${error instanceof Error ? error.message : error}; ${MISSING_FILE_FIX}`);
    }
  }
  throw new Error(
    `sinew: cannot read ${url.href} synchronously on host '${host}': \`await tf.ready()\` (or createRuntime()) loads it asynchronously`,
  );
}

const MISSING_FILE_FIX = "reinstall the package (npm install builds build/*.wasm) or point sinew at the files with tf.setWasmPaths()";

/** Whether this host can read `url` synchronously (a file: URL in Node or Deno). */
export function canReadSync(url: URL, host: HostKind = detectHost()): boolean {
  return url.protocol === 'file:' && (host === 'deno' || (host === 'node' && nodeBuiltin('node:fs') !== undefined));
}

export interface MemoryImportLimits {
  initialPages: number;
  maximumPages?: number;
  shared: boolean;
}

function readLeb(bytes: Uint8Array, at: { pos: number }): number {
  let result = 0;
  let scale = 1;
  for (;;) {
    const byte = bytes[at.pos++];
    result += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return result;
    scale *= 128;
  }
}

/**
 * The limits of the module's env.memory import, read from its import section: the Memory we create
 * must match the module's `shared` flag and hold at least its initial pages. Undefined if none.
 */
export function memoryImportLimits(bytes: Uint8Array): MemoryImportLimits | undefined {
  const at = { pos: 8 };
  const skipName = () => {
    const length = readLeb(bytes, at);
    at.pos += length;
  };
  const readLimits = () => {
    const flags = bytes[at.pos++];
    const initialPages = readLeb(bytes, at);
    const maximumPages = flags & 1 ? readLeb(bytes, at) : undefined;
    return { initialPages, maximumPages, shared: (flags & 2) !== 0 };
  };
  while (at.pos < bytes.length) {
    const sectionId = bytes[at.pos++];
    const sectionSize = readLeb(bytes, at);
    const sectionEnd = at.pos + sectionSize;
    if (sectionId === 2) {
      const count = readLeb(bytes, at);
      for (let i = 0; i < count; i++) {
        skipName();
        skipName();
        const kind = bytes[at.pos++];
        if (kind === 0) readLeb(bytes, at); // function: type index
        else if (kind === 1) { at.pos++; readLimits(); } // table: reftype + limits
        else if (kind === 2) return readLimits();
        else if (kind === 3) at.pos += 2; // global: valtype + mutability
        else return undefined;
      }
      return undefined;
    }
    at.pos = sectionEnd;
  }
  return undefined;
}

/**
 * The end of the module's static data (its active data segments at constant offsets), or 0. Every
 * instance (one per worker) re-writes these bytes into the shared memory, so they must stay below the
 * region the allocator owns.
 */
export function staticDataEnd(bytes: Uint8Array): number {
  const at = { pos: 8 };
  let end = 0;
  while (at.pos < bytes.length) {
    const sectionId = bytes[at.pos++];
    const sectionSize = readLeb(bytes, at);
    const sectionEnd = at.pos + sectionSize;
    if (sectionId === 11) {
      const count = readLeb(bytes, at);
      for (let i = 0; i < count; i++) {
        const flags = readLeb(bytes, at);
        let offset = -1;
        if (flags !== 1) {
          if (flags === 2) readLeb(bytes, at); // memory index
          if (bytes[at.pos] !== 0x41) return Number.POSITIVE_INFINITY; // not i32.const: cannot tell
          at.pos++;
          offset = readSignedLeb(bytes, at);
          at.pos++; // end
        }
        const length = readLeb(bytes, at);
        at.pos += length;
        if (offset >= 0) end = Math.max(end, offset + length);
      }
      return end;
    }
    at.pos = sectionEnd;
  }
  return end;
}

function readSignedLeb(bytes: Uint8Array, at: { pos: number }): number {
  let result = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = bytes[at.pos++];
    result |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  return shift < 32 && byte & 0x40 ? result | (~0 << shift) : result;
}

/** The one Memory every instance shares; shared builds need `shared: true` and a maximum. */
export function createMemory(limits: MemoryImportLimits | undefined, shared: boolean): WebAssembly.Memory {
  const initial = Math.max(limits?.initialPages ?? 1, 32);
  const descriptor: WebAssembly.MemoryDescriptor & { shared?: boolean } = { initial, maximum: MAX_PAGES };
  if (shared) descriptor.shared = true;
  return new WebAssembly.Memory(descriptor);
}

/**
 * The import object for an instance over `memory`. The builds use `--use abort=`, but if a module still
 * imports env.abort (or anything else), it gets a function that throws instead of a link error.
 * Kept as plain source too (IMPORTS_SOURCE) so workers build the same object without importing TS.
 */
export function buildImports(module: WebAssembly.Module, memory: WebAssembly.Memory): WebAssembly.Imports {
  const imports: Record<string, Record<string, any>> = {};
  for (const { module: moduleName, name, kind } of WebAssembly.Module.imports(module)) {
    const table = (imports[moduleName] ??= {});
    if (kind === 'memory') table[name] = memory;
    else if (kind === 'function' && moduleName === 'env' && name === 'abort') {
      table[name] = () => { throw new Error('sinew wasm kernel aborted'); };
    } else if (kind === 'function') {
      table[name] = () => { throw new Error(`sinew wasm kernel called the missing import ${moduleName}.${name}`); };
    } else {
      throw new Error(`sinew: the wasm module imports ${kind} ${moduleName}.${name}, which the runtime does not provide`);
    }
  }
  return imports;
}

export interface LoadedModule {
  variant: Variant;
  /** End of the module's static data in memory (see staticDataEnd). */
  staticDataEnd: number;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  instance: WebAssembly.Instance;
  /** Where the bytes came from. */
  url: URL;
}

/**
 * V8 compiles wasm with a baseline tier (Liftoff) first and optimizes a function once it has run enough. A
 * worker sharing the module kept running baseline code long after the main thread's calls were optimized
 * (measured: a 1024³ GEMM on 2 threads no faster than on 1 in about half the runs; max pooling on 2 threads
 * slower than on 1 for ~800 calls), and one long call never leaves the code it started in. Neither turning
 * off dynamic tiering nor switching Liftoff off just around this compile cured it (lazily compiled functions
 * and the workers still got baseline code in some runs); only Liftoff off for the process did, every run. So in
 * Node sinew turns Liftoff off process-wide before compiling: other wasm in the same process then compiles with
 * the optimizing tier only too (slower startup for very large modules). SINEW_WASM_LIFTOFF=1 keeps V8's default.
 */
function preferOptimizingTier(host: HostKind): void {
  const proc = (globalThis as any).process;
  if (host !== 'node' || proc?.env?.SINEW_WASM_LIFTOFF === '1') return;
  try {
    nodeBuiltin<{ setFlagsFromString(flags: string): void }>('node:v8')?.setFlagsFromString('--no-liftoff');
  } catch {
    // A host whose node:v8 shim cannot set flags keeps the default tiering.
  }
}

function compileModule(bytes: WasmBytes, host: HostKind): WebAssembly.Module {
  preferOptimizingTier(host);
  return new WebAssembly.Module(bytes);
}

function instantiate(variant: Variant, module: WebAssembly.Module, bytes: WasmBytes, url: URL): LoadedModule {
  const memory = createMemory(memoryImportLimits(bytes), isSharedVariant(variant));
  const instance = new WebAssembly.Instance(module, buildImports(module, memory));
  return { variant, module, memory, instance, staticDataEnd: staticDataEnd(bytes), url };
}

/** Loads and instantiates a build synchronously (Node, Deno). */
export function loadSync(variant: Variant, wasmUrl?: string | URL, host: HostKind = detectHost()): LoadedModule {
  const url = wasmLocation(variant, wasmUrl);
  const bytes = readWasmSync(url, host);
  return instantiate(variant, compileModule(bytes, host), bytes, url);
}

/**
 * Loads and instantiates a build on any host: the file system for file: URLs in Node and Deno, fetch()
 * with a streaming compile elsewhere (browsers must compile large modules asynchronously).
 */
export async function load(variant: Variant, wasmUrl?: string | URL, host: HostKind = detectHost()): Promise<LoadedModule> {
  const url = wasmLocation(variant, wasmUrl);
  if (canReadSync(url, host)) return loadSync(variant, url, host);
  preferOptimizingTier(host);
  const { module, bytes } = await fetchModule(url);
  return instantiate(variant, module, bytes, url);
}
