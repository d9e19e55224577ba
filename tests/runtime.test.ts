// The runtime over the real build/*.wasm: loader, views, memory growth, and the thread pool, checked
// with the selftest kernels (assembly/runtime-selftest.ts) whose write patterns show which thread ran what.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, createRuntimeSync, RESERVED_BYTES, type Runtime } from '../src/runtime/index.js';
import { memoryImportLimits, wasmLocation } from '../src/runtime/loader.js';

const MiB = 1024 * 1024;
/** costPerUnit that makes a split worth waking a sleeping worker, for tests that assert the chunk layout. */
const BIG = 100;

/** The distinct chunk starts selftestChunkStart left behind over [0, n). */
function chunkStarts(rt: Runtime, owner: number, n: number): number[] {
  return [...new Set(rt.i32().subarray(owner >> 2, (owner >> 2) + n))].sort((a, b) => a - b);
}

function expectFilled(rt: Runtime, out: number, n: number, value: number): void {
  const view = rt.f32().subarray(out >> 2, (out >> 2) + n);
  let mismatches = 0;
  for (let i = 0; i < n; i++) if (view[i] !== Math.fround(value + Math.fround(i))) mismatches++; // the kernel rounds i to f32 first
  expect(mismatches).toBe(0);
}

describe('runtime (shared memory build, 2 threads)', () => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await createRuntime({ threads: 2 });
  });
  afterAll(async () => {
    await rt.terminate();
  });

  it('loads the threaded build on Node and reports it', () => {
    expect(rt.info).toMatchObject({ simd: true, sharedMemory: true, threads: 2, host: 'node' });
    expect(rt.info.variant.startsWith('mt')).toBe(true);
    expect(rt.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(typeof rt.exports.selftestFill).toBe('function');
  });

  it('allocates above the reserved 64 KiB, 64-byte aligned', () => {
    const ptr = rt.alloc(10);
    expect(ptr).toBeGreaterThanOrEqual(RESERVED_BYTES);
    expect(ptr % 64).toBe(0);
    const before = rt.allocatedBytes();
    rt.free(ptr);
    expect(rt.allocatedBytes()).toBe(before - 64);
    expect(() => rt.free(ptr)).toThrow(/free/);
  });

  it('splits a kernel across both threads, with the same result as the calling thread alone', () => {
    const n = 300_001;
    const split = rt.alloc(n * 4);
    const single = rt.alloc(n * 4);
    const owner = rt.alloc(n * 4);
    rt.run('selftestChunkStart', [owner], n, { costPerUnit: BIG });
    expect(chunkStarts(rt, owner, n)).toEqual([0, 150_001]); // ceil(n / 2): the worker ran the second half
    rt.run('selftestFill', [split, 0.25], n, { costPerUnit: BIG });
    rt.setThreads(1);
    rt.run('selftestChunkStart', [owner], n);
    expect(chunkStarts(rt, owner, n)).toEqual([0]);
    rt.run('selftestFill', [single, 0.25], n);
    rt.setThreads(2);
    const f32 = rt.f32();
    expect(f32.subarray(split >> 2, (split >> 2) + n)).toEqual(f32.subarray(single >> 2, (single >> 2) + n));
    expectFilled(rt, split, n, 0.25);
    [split, single, owner].forEach((ptr) => rt.free(ptr));
  });

  it('runs chunks on a worker at the same time as the calling thread', () => {
    // The caller's chunk waits for the other chunk's flag: only a worker running concurrently can set it
    // (the caller cannot take over a chunk while it is still inside its own).
    const flag = rt.alloc(4);
    const result = rt.alloc(4);
    for (let attempt = 0; attempt < 5; attempt++) {
      rt.i32()[flag >> 2] = 0;
      rt.i32()[result >> 2] = -1;
      rt.run('selftestRendezvous', [flag, result, 2e9], 2, { costPerUnit: 1e6 });
      expect(rt.i32()[result >> 2]).toBe(1);
    }
    rt.setThreads(1);
    rt.i32()[flag >> 2] = 0;
    rt.run('selftestRendezvous', [flag, result, 1000], 2, { costPerUnit: 1e6 }); // alone: times out, records 0
    expect(rt.i32()[result >> 2]).toBe(0);
    rt.setThreads(2);
    rt.free(flag);
    rt.free(result);
  });

  it('stays correct over many back-to-back tiny split jobs (worker takes a chunk, or the caller takes it over)', () => {
    const out = rt.alloc(64 * 4);
    const f32 = rt.f32();
    let wrong = 0;
    for (let job = 0; job < 20_000; job++) {
      const size = 2 + (job % 7);
      rt.run('selftestFill', [out, job], size, { costPerUnit: 1e6 });
      for (let i = 0; i < size; i++) if (f32[(out >> 2) + i] !== Math.fround(job + i)) wrong++;
    }
    expect(wrong).toBe(0);
    rt.free(out);
  });

  it('does not wake a sleeping worker for mid-sized work (the wake-up costs more than it saves)', async () => {
    const n = 200_000; // 100k flops per thread: above the split threshold, below the wake-up threshold
    const owner = rt.alloc(n * 4);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the worker stops polling and sleeps
    rt.run('selftestChunkStart', [owner], n);
    expect(chunkStarts(rt, owner, n)).toEqual([0]);
    rt.run('selftestChunkStart', [owner], n, { costPerUnit: BIG });
    expect(chunkStarts(rt, owner, n)).toEqual([0, n / 2]);
    rt.free(owner);
  });

  it('puts chunk boundaries on multiples of grain', () => {
    const n = 200_003;
    const owner = rt.alloc(n * 4);
    rt.run('selftestChunkStart', [owner], n, { grain: 64, costPerUnit: BIG });
    expect(chunkStarts(rt, owner, n)).toEqual([0, Math.ceil(n / 2 / 64) * 64]);
    rt.free(owner);
  });

  it('keeps small work on the calling thread', () => {
    const n = 1000;
    const owner = rt.alloc(n * 4);
    rt.run('selftestChunkStart', [owner], n);
    expect(chunkStarts(rt, owner, n)).toEqual([0]);
    rt.run('selftestChunkStart', [owner], n, { costPerUnit: 2000 }); // 1M flops per thread: worth waking a worker
    expect(chunkStarts(rt, owner, n)).toEqual([0, 500]);
    rt.free(owner);
  });

  it('gives each thread its own workspace of the requested size', () => {
    const n = 100_000;
    const src = rt.alloc(n * 4);
    const dst = rt.alloc(n * 4);
    const values = rt.f32().subarray(src >> 2, (src >> 2) + n);
    for (let i = 0; i < n; i++) values[i] = Math.fround(Math.sin(i) * 1000);
    // Both threads stage a whole chunk in scratch at once: a shared or short workspace corrupts the copy.
    rt.run('selftestScratch', [src, dst], n, { workspaceBytes: 4 * Math.ceil(n / 2), costPerUnit: 10 });
    const f32 = rt.f32();
    let mismatches = 0;
    for (let i = 0; i < n; i++) if (f32[(dst >> 2) + i] !== f32[(src >> 2) + i] * 2) mismatches++;
    expect(mismatches).toBe(0);
    rt.free(src);
    rt.free(dst);
  });

  it('keeps working after memory grows while workers exist', () => {
    const before = rt.memory.buffer.byteLength;
    const n = 20 * MiB; // 80 MiB: forces grow
    const big = rt.alloc(n * 4);
    expect(rt.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(rt.f32().length * 4).toBe(rt.memory.buffer.byteLength);
    rt.run('selftestFill', [big, 2], n);
    expectFilled(rt, big, n, 2);
    rt.run('selftestChunkStart', [big], n);
    expect(chunkStarts(rt, big, n)).toEqual([0, n / 2]);
    rt.free(big);
  });

  it("surfaces a trap in a worker's chunk or the caller's as an Error naming the kernel, then recovers", () => {
    const n = 1_000_000;
    // The worker's chunk fails in the worker, or on the caller if it got there first: either way, named.
    expect(() => rt.run('selftestTrapAt', [n - 1], n, { costPerUnit: BIG })).toThrow(/selftestTrapAt failed (in worker 0|on the calling thread) on \[500000, 1000000\): .*unreachable/);
    expect(() => rt.run('selftestTrapAt', [0], n, { costPerUnit: BIG })).toThrow(/selftestTrapAt failed on the calling thread on \[0, 500000\)/);
    expect(() => rt.run('selftestTrapAt', [3], 10)).toThrow(/selftestTrapAt failed/);
    expect(() => rt.run('noSuchKernel', [], 10)).toThrow(/no kernel named 'noSuchKernel'/);
    const owner = rt.alloc(n * 4);
    rt.run('selftestChunkStart', [owner], n, { costPerUnit: BIG });
    expect(chunkStarts(rt, owner, n)).toEqual([0, n / 2]);
    rt.free(owner);
  });

  it('spawns extra workers lazily on setThreads', async () => {
    rt.setThreads(3);
    expect(rt.info.threads).toBe(3);
    expect(rt.info.maxThreads).toBeGreaterThanOrEqual(3);
    await rt.ready();
    const n = 300_000;
    const owner = rt.alloc(n * 4);
    rt.run('selftestChunkStart', [owner], n, { costPerUnit: BIG });
    expect(chunkStarts(rt, owner, n)).toEqual([0, 100_000, 200_000]);
    rt.setThreads(2);
    rt.run('selftestChunkStart', [owner], n, { costPerUnit: BIG });
    expect(chunkStarts(rt, owner, n)).toEqual([0, 150_000]);
    rt.free(owner);
  });
});

describe('runtime lifecycle', () => {
  it('createRuntimeSync runs at once on the calling thread, and on workers once they are ready', async () => {
    const rt = createRuntimeSync({ threads: 2 });
    const n = 400_000;
    const out = rt.alloc(n * 4);
    rt.run('selftestFill', [out, 1], n); // workers may still be starting: must not wait for them
    expectFilled(rt, out, n, 1);
    await rt.ready();
    rt.run('selftestChunkStart', [out], n, { costPerUnit: BIG });
    expect(chunkStarts(rt, out, n)).toEqual([0, n / 2]);
    await rt.terminate();
    rt.run('selftestChunkStart', [out], n); // after terminate: the calling thread alone
    expect(chunkStarts(rt, out, n)).toEqual([0]);
    expect(rt.info.threads).toBe(1);
    rt.setThreads(2); // no pool any more: stays on the calling thread
    expect(rt.info.threads).toBe(1);
  });

  it('runs the single-threaded build on non-shared memory, refreshing views after growth', () => {
    const rt = createRuntimeSync({ variant: 'st', threads: 4 });
    expect(rt.info).toMatchObject({ variant: 'st', sharedMemory: false, threads: 1, maxThreads: 1 });
    expect(rt.memory.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    const small = rt.alloc(400);
    const oldView = rt.f32();
    const n = 5 * MiB;
    const big = rt.alloc(n * 4); // grows: the old buffer is detached
    expect(oldView.length).toBe(0);
    rt.run('selftestFill', [big, -3], n);
    expectFilled(rt, big, n, -3);
    rt.run('selftestChunkStart', [big], n);
    expect(chunkStarts(rt, big, n)).toEqual([0]);
    rt.setThreads(8);
    expect(rt.info.threads).toBe(1);
    expect(() => rt.run('selftestTrapAt', [7], 100)).toThrow(/selftestTrapAt failed: unreachable/);
    rt.free(small);
    rt.free(big);
    expect(rt.allocatedBytes()).toBe(0);
  });

  it('finds the build two levels above src/runtime and reads its memory import', () => {
    const url = wasmLocation('mt');
    expect(fileURLToPath(url)).toBe(fileURLToPath(new URL('../build/sinew-mt.wasm', import.meta.url)));
    expect(memoryImportLimits(readFileSync(url))).toMatchObject({ shared: true, maximumPages: 65536 });
    expect(memoryImportLimits(readFileSync(wasmLocation('st')))).toMatchObject({ shared: false });
  });

  it('runs under Deno from the TypeScript sources: worker_threads (exits by itself) and Web Workers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sinew-runtime-deno-'));
    const runtimeUrl = JSON.stringify(new URL('../src/runtime/index.ts', import.meta.url).href);
    const deno = fileURLToPath(new URL('../node_modules/.bin/deno', import.meta.url));
    const runDeno = (name: string, prelude: string, epilogue: string) => {
      const script = join(dir, name);
      writeFileSync(
        script,
        `${prelude}
const { createRuntime } = await import(${runtimeUrl});
const rt = await createRuntime({ threads: 2 });
const flag = rt.alloc(4), result = rt.alloc(4);
rt.run('selftestRendezvous', [flag, result, 2e9], 2, { costPerUnit: 1e6 });
console.log(JSON.stringify({ host: rt.info.host, shared: rt.info.sharedMemory, met: rt.i32()[result >> 2] }));
${epilogue}
`,
      );
      const output = execFileSync(deno, ['run', '--allow-read', '--allow-env', '--unstable-sloppy-imports', script], {
        encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
      });
      return JSON.parse(output.trim().split('\n').pop()!);
    };
    const expected = { host: 'deno', shared: true, met: 1 };
    // No terminate(): the idle pool must let Deno exit (execFileSync would time out otherwise).
    expect(runDeno('threads.ts', '', '')).toEqual(expected);
    // Without Deno's `process`, the pool takes the browser path: Blob-URL module Web Workers.
    expect(runDeno('web.ts', 'delete (globalThis as any).process;', 'await rt.terminate();')).toEqual(expected);
  });

  it('does not keep the Node process alive, and picks the relaxed build when relaxed SIMD validates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sinew-runtime-'));
    const script = join(dir, 'child.mts');
    const runtimeUrl = new URL('../src/runtime/index.ts', import.meta.url).href;
    writeFileSync(
      script,
      `import { createRuntimeSync } from ${JSON.stringify(runtimeUrl)};
const rt = createRuntimeSync({ threads: 2 });
await rt.ready();
const out = rt.alloc(4 * 1000);
rt.run('selftestFill', [out, 0], 1000, { costPerUnit: 1e4 });
console.log(JSON.stringify({ variant: rt.info.variant, last: rt.f32()[(out >> 2) + 999] }));
`,
    );
    const run = (flags: string[]) =>
      JSON.parse(execFileSync(process.execPath, [...flags, '--import', 'tsx', script], { timeout: 20_000, encoding: 'utf8' }));
    // The child exits on its own: an idle pool must not hold the event loop (execFileSync would time out).
    const plain = run([]);
    expect(plain.last).toBe(999);
    if (Number(process.versions.node.split('.')[0]) === 20) {
      expect(plain.variant).toBe('mt'); // Node 20 validates relaxed SIMD only behind a flag
      expect(run(['--experimental-wasm-relaxed-simd'])).toEqual({ variant: 'mt-relaxed', last: 999 });
    }
  });
});
