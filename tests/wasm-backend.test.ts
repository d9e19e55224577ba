// A light check of WasmBackend's own TypeScript paths (storage, movement, int/bool math, where, cast) and
// of matMul through the runtime, against the reference backend; the full op tests live in tests/ops-*.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, DataId, DType } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { WasmBackend } from '../src/backend/wasm/index.js';
import { createRuntime, type Runtime } from '../src/runtime/index.js';

let runtime: Runtime;
let wasm: WasmBackend;
const reference = new ReferenceBackend();

beforeAll(async () => {
  runtime = await createRuntime({ threads: 2 });
  wasm = new WasmBackend(runtime);
});
afterAll(async () => {
  await runtime.terminate();
});

function lcg(seed: number) {
  let state = seed >>> 0;
  return () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}
const random = lcg(42);
const floats = (n: number) => Array.from({ length: n }, () => (random() - 0.5) * 6);
const ints = (n: number) => Array.from({ length: n }, () => Math.round((random() - 0.5) * 20));
const bools = (n: number) => Array.from({ length: n }, () => (random() < 0.5 ? 1 : 0));
const valuesOf = (dtype: DType, n: number) => (dtype === 'float32' ? floats(n) : dtype === 'int32' ? ints(n) : bools(n));

/**
 * Runs `op` on both backends with the same inputs; the wasm result must equal the reference's (rounded to
 * f32), or be within `tolerance` (relative to 1 + |want|) where float32 accumulation differs from float64.
 */
function expectSame(
  inputs: [number[], DType][], op: (backend: Backend, ids: DataId[]) => DataId, outDtype: DType, outSize: number,
  tolerance = 0,
): void {
  const [got, want] = [wasm, reference].map((backend) => {
    const ids = inputs.map(([values, dtype]) => backend.write(values, dtype));
    const out = op(backend, ids);
    const values = Array.from(backend.read(out, outDtype, outSize));
    [...ids, out].forEach((id) => backend.dispose(id));
    return values;
  });
  if (tolerance === 0) {
    expect(got).toEqual(want);
    return;
  }
  expect(got.length).toBe(want.length);
  const worst = Math.max(...got.map((value, i) => Math.abs(value - want[i]) / (1 + Math.abs(want[i]))));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

const DTYPES: DType[] = ['float32', 'int32', 'bool'];

describe('WasmBackend movement (every dtype, odd shapes)', () => {
  const shape = [3, 5, 7];
  const size = 105;
  for (const dtype of DTYPES) {
    it(`stridedSlice, concat, pad, tile, gather, where, oneHot: ${dtype}`, () => {
      const x = valuesOf(dtype, size);
      expectSame([[x, dtype]], (b, [a]) => b.stridedSlice(a, shape, [2, 1, 6], [-1, 2, -2], [3, 2, 4], dtype), dtype, 24);
      expectSame([[x, dtype]], (b, [a]) => b.stridedSlice(a, shape, [1, 0, 0], [1, 1, 1], [2, 5, 7], dtype), dtype, 70);
      expectSame([[x, dtype], [x.slice(0, 45), dtype]], (b, [a, c]) => b.concat([a, c], [shape, [3, 5, 3]], 2, dtype), dtype, 150);
      expectSame([[x, dtype], [x, dtype]], (b, [a, c]) => b.concat([a, c], [shape, shape], 0, dtype), dtype, 210);
      expectSame([[x, dtype]], (b, [a]) => b.pad(a, shape, [[1, 0], [0, 2], [0, 0]], 1, dtype), dtype, 4 * 7 * 7);
      expectSame([[x, dtype]], (b, [a]) => b.pad(a, shape, [[0, 0], [2, 1], [1, 3]], 0, dtype), dtype, 3 * 8 * 11);
      expectSame([[x, dtype]], (b, [a]) => b.tile(a, shape, [2, 1, 3], dtype), dtype, 6 * 5 * 21);
      expectSame([[x, dtype], [[4, 0, 4, 2], 'int32']], (b, [a, i]) => b.gather(a, 3, 5, 7, i, 4, dtype), dtype, 84);
      expectSame([[x, dtype], [[6, 0, 3], 'int32']], (b, [a, i]) => b.gather(a, 15, 7, 1, i, 3, dtype), dtype, 45);
      expectSame([[bools(5), 'bool'], [x, dtype], [x.slice(0, 7), dtype]],
        (b, [c, a, y]) => b.where(c, [5, 1], a, shape, y, [7], shape, dtype), dtype, size);
      expectSame([[[0, 3, 4, -1, 2], 'int32']], (b, [i]) => b.oneHot(i, 5, 4, 1, 0, dtype), dtype, 20);
    });
  }

  it('transposes every dtype through the shared 4-byte kernel', () => {
    for (const dtype of DTYPES) {
      const x = valuesOf(dtype, 105);
      expectSame([[x, dtype]], (b, [a]) => b.transpose(a, [3, 5, 7], [2, 0, 1], dtype), dtype, 105);
      expectSame([[x, dtype]], (b, [a]) => b.transpose(a, [3, 5, 7], [0, 2, 1], dtype), dtype, 105);
    }
  });

  it('tiles and pads a large vector (the copyWithin paths) and scatterAdds repeated indices', () => {
    const x = floats(100_003);
    expectSame([[x, 'float32']], (b, [a]) => b.tile(a, [100_003], [3], 'float32'), 'float32', 300_009);
    expectSame([[x, 'float32']], (b, [a]) => b.pad(a, [100_003], [[5, 17]], -1.5, 'float32'), 'float32', 100_025);
    expectSame([[floats(84), 'float32'], [[4, 0, 4, 2], 'int32']], (b, [u, i]) => b.scatterAdd(u, 3, 5, 7, i, 4), 'float32', 105, 1e-6);
  });
});

describe('WasmBackend int32 / bool math, cast, storage', () => {
  it('int32 binary ops with broadcasting, unary ops, comparisons, reductions', () => {
    const a = ints(105);
    const b = [1, 2, -3, 4, 5];
    for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'floorDiv', 'mod', 'squaredDifference'] as const) {
      expectSame([[a, 'int32'], [b, 'int32']], (be, [x, y]) => be.binary(op, x, [3, 5, 7], y, [5, 1], [3, 5, 7], 'int32'), 'int32', 105);
    }
    for (const op of ['neg', 'abs', 'square', 'sign', 'relu', 'relu6', 'step'] as const) {
      expectSame([[a, 'int32']], (be, [x]) => be.unary(op, x, 105, 'int32'), 'int32', 105);
    }
    expectSame([[bools(9), 'bool']], (be, [x]) => be.unary('logicalNot', x, 9, 'bool'), 'bool', 9);
    for (const dtype of ['int32', 'bool'] as const) {
      const x = valuesOf(dtype, 105);
      for (const op of ['equal', 'notEqual', 'less', 'greaterEqual', 'logicalAnd', 'logicalOr'] as const) {
        expectSame([[x, dtype], [x.slice(3, 8), dtype]], (be, [p, q]) => be.compare(op, p, [3, 5, 7], q, [5, 1], [3, 5, 7], dtype), 'bool', 105);
      }
      // (bool any/all go to the SIMD reduce kernel on the i32 0/1 storage; the rest stay in TypeScript)
      for (const op of ['sum', 'max', 'min', 'argMax', 'argMin', 'any', 'all'] as const) {
        const outDtype = op === 'argMax' || op === 'argMin' ? 'int32' : dtype;
        expectSame([[x, dtype]], (be, [p]) => be.reduce(op, p, 3, 5, 7, dtype), outDtype, 21);
      }
    }
  });

  it('casts between every pair of dtypes like the reference (truncation, NaN, != 0)', () => {
    const specials = [0, -0, 1.5, -1.5, 2.5, -7.9, NaN, 3221225472, -3221225472, 16777216]; // f32-exact: int32 wraps
    for (const from of DTYPES) {
      const x = from === 'float32' ? specials : valuesOf(from, 10);
      for (const to of DTYPES) expectSame([[x, from]], (be, [p]) => be.cast(p, x.length, from, to), to, x.length);
    }
  });

  it('runs matMul with batch broadcast, transposes, bias and activation', () => {
    const [batch, m, n, k] = [3, 5, 4, 7];
    expectSame([[floats(batch * m * k), 'float32'], [floats(k * n), 'float32'], [floats(n), 'float32']],
      (be, [a, b, bias]) => be.matMul({ a, aBatch: batch, b, bBatch: 1, batch, m, n, k, transposeA: false, transposeB: false, bias, activation: 'relu' }),
      'float32', batch * m * n, 1e-5);
  });

  it('accounts memory per buffer, frees on dispose (idempotent), rejects disposed handles', () => {
    const before = wasm.memory();
    const liveBefore = runtime.allocatedBytes();
    const x = wasm.write(new Float32Array([1, 2, 3]), 'float32');
    const y = wasm.fill(1000, 7, 'int32');
    expect(wasm.memory()).toMatchObject({ bytes: before.bytes + 4012, buffers: before.buffers + 2 });
    expect(wasm.memory().reservedBytes).toBe(runtime.memory.buffer.byteLength);
    expect(Array.from(wasm.read(y, 'int32', 3))).toEqual([7, 7, 7]);
    expect(wasm.read(wasm.write([2, 0, -1], 'bool'), 'bool', 3)).toEqual(new Uint8Array([1, 0, 1]));
    wasm.dispose(x);
    wasm.dispose(x);
    wasm.dispose(y);
    expect(wasm.memory().buffers).toBe(before.buffers + 1);
    expect(runtime.allocatedBytes()).toBe(liveBefore + 64); // the bool buffer above is still live
    expect(() => wasm.read(x, 'float32', 3)).toThrow(/disposed buffer/);
  });
});
