// Test harness for the elementwise / reduce / softmax / optimizer / transpose kernels: compiles their
// AssemblyScript sources in memory (not build/, so others' work in progress cannot break these tests) and
// wraps the instance in a minimal Runtime: bump allocation above 64 KiB, and run() that calls the kernel
// over [0, total) in `chunks` pieces on grain boundaries, so split ranges are exercised too.
import asc from 'assemblyscript/asc';
import type { Runtime, SplitOptions } from '../src/runtime/types.js';

const SOURCES = ['assembly/unary.ts', 'assembly/binary.ts', 'assembly/reduce.ts', 'assembly/softmax.ts',
  'assembly/optimizer.ts', 'assembly/transpose.ts'];
const FLAGS = ['--runtime', 'stub', '--importMemory', '--initialMemory', '32', '--memoryBase', '0', '--noAssert',
  '--use', 'abort=', '-O3'];

export async function compileKernels(features = 'simd'): Promise<Uint8Array> {
  let binary: Uint8Array | undefined;
  const { error, stderr } = await asc.main([...SOURCES, ...FLAGS, '--enable', features, '-o', 'kernels.wasm'], {
    writeFile: (name: string, contents: Uint8Array) => { if (name.endsWith('.wasm')) binary = contents; },
  });
  if (error || !binary) throw new Error(`asc failed for ${features}: ${error?.message} ${stderr.toString()}`);
  return binary;
}

export class FakeRuntime implements Runtime {
  readonly memory = new WebAssembly.Memory({ initial: 64 });
  exports: Record<string, any> = {};
  readonly info = { simd: true, relaxedSimd: false, sharedMemory: false, threads: 1, maxThreads: 1, variant: 'st', host: 'node' as const };
  /** How many pieces run() cuts [0, total) into. */
  chunks = 1;
  private top = 65536;
  private live = new Map<number, number>();

  async init(binary: Uint8Array): Promise<this> {
    const { instance } = await WebAssembly.instantiate(binary, { env: { memory: this.memory } });
    this.exports = instance.exports as Record<string, any>;
    return this;
  }
  alloc(bytes: number): number {
    const ptr = (this.top + 63) & ~63;
    this.top = ptr + Math.max(bytes, 1);
    const needed = Math.ceil(this.top / 65536) - this.memory.buffer.byteLength / 65536;
    if (needed > 0) this.memory.grow(needed);
    this.live.set(ptr, bytes);
    return ptr;
  }
  free(ptr: number): void {
    if (!this.live.delete(ptr)) throw new Error(`free of unknown pointer ${ptr}`);
  }
  allocatedBytes(): number {
    let sum = 0;
    for (const bytes of this.live.values()) sum += bytes;
    return sum;
  }
  /** Forgets every block (between tests). */
  reset(): void {
    this.top = 65536;
    this.live.clear();
  }
  f32(): Float32Array { return new Float32Array(this.memory.buffer); }
  i32(): Int32Array { return new Int32Array(this.memory.buffer); }
  u8(): Uint8Array { return new Uint8Array(this.memory.buffer); }
  run(kernel: string, args: readonly number[], total: number, options?: SplitOptions): void {
    const fn = this.exports[kernel];
    if (typeof fn !== 'function') throw new Error(`no kernel ${kernel}`);
    const grain = options?.grain ?? 1;
    const per = Math.max(grain, Math.ceil(total / this.chunks / grain) * grain);
    for (let start = 0; start < total; start += per) fn(...args, Math.min(start, total), Math.min(start + per, total));
  }
  setThreads(): void {}
  async ready(): Promise<void> {}
  async terminate(): Promise<void> {}

  /** Copies float values into a fresh block. */
  putF32(values: ArrayLike<number>): number {
    const ptr = this.alloc(values.length * 4);
    this.f32().set(values, ptr >> 2);
    return ptr;
  }
  putI32(values: ArrayLike<number>): number {
    const ptr = this.alloc(values.length * 4);
    this.i32().set(values, ptr >> 2);
    return ptr;
  }
  readF32(ptr: number, length: number): Float32Array {
    return this.f32().slice(ptr >> 2, (ptr >> 2) + length);
  }
  readI32(ptr: number, length: number): Int32Array {
    return this.i32().slice(ptr >> 2, (ptr >> 2) + length);
  }
}

/** Deterministic uniform values in [lo, hi). */
export function randomValues(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let state = (seed * 2654435761) >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = lo + (hi - lo) * (state / 4294967296);
  }
  return out;
}

/** True when this Node validates relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd). */
export async function relaxedSimdAvailable(): Promise<boolean> {
  try {
    return WebAssembly.validate(await compileKernels('simd,relaxed-simd'));
  } catch {
    return false;
  }
}
