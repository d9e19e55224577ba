// The wasm-memory allocator, tested without wasm: a fake `grow` stands in for memory.grow.
import { describe, expect, it } from 'vitest';
import { ALIGNMENT, Allocator, sizeClass } from '../src/runtime/allocator.js';

const MiB = 1024 * 1024;

function makeAllocator(heapEnd = 1 * MiB, maxBytes = 2 ** 32) {
  const grows: { minimumEnd: number; preferredEnd: number }[] = [];
  const allocator = new Allocator({
    heapStart: 65536,
    heapEnd,
    maxBytes,
    grow(minimumEnd, preferredEnd) {
      grows.push({ minimumEnd, preferredEnd });
      return Math.ceil(preferredEnd / 65536) * 65536;
    },
  });
  return { allocator, grows };
}

// A tiny deterministic generator so failures reproduce.
function lcg(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('sizeClass', () => {
  it('rounds small sizes to exact 64-byte multiples', () => {
    expect(sizeClass(0)).toBe(64);
    expect(sizeClass(1)).toBe(64);
    expect(sizeClass(64)).toBe(64);
    expect(sizeClass(65)).toBe(128);
    expect(sizeClass(4000)).toBe(4032);
  });

  it('keeps large classes 64-byte aligned, at least the request and at most 25% above it', () => {
    for (const bytes of [4097, 5000, 12345, 65537, 1_000_001, 3 * MiB + 7, 123_456_789]) {
      const size = sizeClass(bytes);
      expect(size % ALIGNMENT).toBe(0);
      expect(size).toBeGreaterThanOrEqual(bytes);
      expect(size).toBeLessThanOrEqual(Math.ceil(bytes * 1.25 / 64) * 64 + 64);
    }
  });

  it('has about four classes per power of two above 4 KiB', () => {
    const classes = new Set<number>();
    for (let bytes = 65536 + 1; bytes <= 131072; bytes += 97) classes.add(sizeClass(bytes));
    expect(classes.size).toBe(4);
  });
});

describe('Allocator', () => {
  it('returns 64-byte aligned, non-overlapping blocks above the reserved area', () => {
    const { allocator } = makeAllocator();
    const random = lcg(7);
    const live = new Map<number, number>();
    for (let step = 0; step < 3000; step++) {
      if (live.size > 0 && random() < 0.45) {
        const keys = [...live.keys()];
        const ptr = keys[Math.floor(random() * keys.length)];
        allocator.free(ptr);
        live.delete(ptr);
      } else {
        const bytes = Math.floor(random() ** 3 * 200_000);
        const ptr = allocator.alloc(bytes);
        expect(ptr % 64).toBe(0);
        expect(ptr).toBeGreaterThanOrEqual(65536);
        expect(allocator.blockSize(ptr)).toBeGreaterThanOrEqual(bytes);
        live.set(ptr, allocator.blockSize(ptr)!);
      }
      if (step % 250 === 0 || step === 2999) {
        const blocks = [...live.entries()].sort((a, b) => a[0] - b[0]);
        for (let i = 1; i < blocks.length; i++) expect(blocks[i - 1][0] + blocks[i - 1][1]).toBeLessThanOrEqual(blocks[i][0]);
        const last = blocks[blocks.length - 1];
        if (last) expect(last[0] + last[1]).toBeLessThanOrEqual(allocator.endAddress());
        expect(allocator.allocatedBytes()).toBe(blocks.reduce((sum, [, size]) => sum + size, 0));
        expect(allocator.liveCount()).toBe(blocks.length);
      }
    }
  });

  it('reuses freed blocks of the same class (a training step reallocates the same sizes)', () => {
    const { allocator, grows } = makeAllocator(64 * MiB);
    const sizes = [4 * 1000, 4 * 4096, 4 * 100_000, 4 * 17, 4 * 513];
    const pin = allocator.alloc(64); // keeps the step's blocks off the top, so reuse is by free list
    const firstStep = sizes.map((bytes) => allocator.alloc(bytes));
    allocator.alloc(64);
    firstStep.forEach((ptr) => allocator.free(ptr));
    const top = allocator.topAddress();
    for (let step = 0; step < 50; step++) {
      const ptrs = sizes.map((bytes) => allocator.alloc(bytes));
      expect(new Set(ptrs)).toEqual(new Set(firstStep));
      ptrs.forEach((ptr) => allocator.free(ptr));
    }
    expect(allocator.topAddress()).toBe(top);
    expect(grows).toHaveLength(0);
    expect(allocator.liveCount()).toBe(2);
    expect(pin).toBe(65536);
  });

  it('lowers the bump pointer when the top blocks are freed, in any order', () => {
    const { allocator } = makeAllocator();
    const a = allocator.alloc(1000);
    const b = allocator.alloc(5000);
    const c = allocator.alloc(300);
    allocator.free(b);
    expect(allocator.topAddress()).toBe(c + allocator.blockSize(c)!);
    allocator.free(c); // c is on top; b right below it is free too
    expect(allocator.topAddress()).toBe(a + allocator.blockSize(a)!);
    allocator.free(a);
    expect(allocator.topAddress()).toBe(65536);
    expect(allocator.allocatedBytes()).toBe(0);
  });

  it('grows in large steps (at least +25% or +16 MiB) and only when needed', () => {
    const { allocator, grows } = makeAllocator(1 * MiB);
    allocator.alloc(512 * 1024);
    expect(grows).toHaveLength(0);
    const big = allocator.alloc(2 * MiB);
    expect(grows).toHaveLength(1);
    expect(grows[0].minimumEnd).toBe(big + allocator.blockSize(big)!);
    expect(grows[0].preferredEnd).toBeGreaterThanOrEqual(1 * MiB + 16 * MiB);
    expect(allocator.endAddress()).toBeGreaterThanOrEqual(17 * MiB);
    for (let i = 0; i < 7; i++) allocator.alloc(1 * MiB); // fits in the step just taken
    expect(grows).toHaveLength(1);
    const huge = allocator.alloc(100 * MiB);
    expect(grows).toHaveLength(2);
    expect(allocator.endAddress()).toBeGreaterThanOrEqual(huge + 100 * MiB);
  });

  it('takes a somewhat larger free block before growing memory', () => {
    const { allocator, grows } = makeAllocator(1 * MiB);
    const large = allocator.alloc(600 * 1024);
    allocator.alloc(64);
    allocator.free(large);
    const smaller = allocator.alloc(400 * 1024); // different class, memory full: reuse the 600 KiB block
    expect(smaller).toBe(large);
    expect(grows).toHaveLength(0);
  });

  it('throws clear errors for double free, unknown pointers and exhaustion', () => {
    const { allocator } = makeAllocator(1 * MiB, 8 * MiB);
    const a = allocator.alloc(100);
    allocator.alloc(100);
    allocator.free(a);
    expect(() => allocator.free(a)).toThrow(/double free of 65536/);
    expect(() => allocator.free(12345)).toThrow(/unknown .*pointer 12345/);
    expect(() => allocator.alloc(64 * MiB)).toThrow(/out of memory/);
    expect(() => allocator.alloc(-1)).toThrow(/cannot allocate -1/);
  });

  it('never returns the same pointer twice while live, also for zero-byte requests', () => {
    const { allocator } = makeAllocator();
    const ptrs = Array.from({ length: 100 }, () => allocator.alloc(0));
    expect(new Set(ptrs).size).toBe(100);
    expect(allocator.allocatedBytes()).toBe(100 * 64);
  });
});
