// Threaded and single-threaded results agree bit for bit: every kernel splits by whole rows (or elements),
// so each output is computed by the same instruction sequence whichever thread computes it.
import { beforeAll, describe, expect, it } from 'vitest';
import { WasmBackend } from '../src/backend/wasm/index.js';
import type { DataId } from '../src/backend/backend.js';
import { randomValues, tf } from './helpers.js';
import { useSingleAndThreadedRuntimes } from './runtimes.js';

describe('wasm backend: 1 thread (st build) and 2 threads (mt build) agree exactly', () => {
  const runtimes = useSingleAndThreadedRuntimes();
  let one: WasmBackend;
  let two: WasmBackend;

  beforeAll(() => {
    one = new WasmBackend(runtimes.single);
    two = new WasmBackend(runtimes.threaded);
    expect(runtimes.single.info.sharedMemory).toBe(false);
  });

  /** Runs the same computation on both backends and compares the float32 results bit for bit. */
  function agree(size: number, compute: (backend: WasmBackend, input: (values: Float32Array) => DataId) => DataId): void {
    const results = [one, two].map((backend) => {
      const out = compute(backend, (values) => backend.write(values, 'float32'));
      return backend.read(out, 'float32', size) as Float32Array;
    });
    const mismatch = results[0].findIndex((v, i) => !Object.is(v, results[1][i]));
    expect(mismatch, `first differing index ${mismatch}`).toBe(-1);
    expect(results[0].some((v) => v !== 0)).toBe(true);
  }

  it('matMul with odd sizes (both transposes, bias + gelu epilogue)', () => {
    const [m, n, k] = [389, 263, 517];
    const a = randomValues(k * m, 1);
    const b = randomValues(n * k, 2);
    const bias = randomValues(n, 3);
    agree(m * n, (backend, input) =>
      backend.matMul({
        a: input(a), aBatch: 1, b: input(b), bBatch: 1, batch: 1, m, n, k,
        transposeA: true, transposeB: true, bias: input(bias), activation: 'gelu',
      }),
    );
  });

  it('batched matMul', () => {
    const [batch, m, n, k] = [7, 127, 129, 65];
    const a = randomValues(batch * m * k, 4);
    const b = randomValues(batch * k * n, 5);
    agree(batch * m * n, (backend, input) =>
      backend.matMul({ a: input(a), aBatch: batch, b: input(b), bBatch: batch, batch, m, n, k, transposeA: false, transposeB: false }),
    );
  });

  it('elementwise, broadcasting, reductions and softmax on large inputs', () => {
    const rows = 1027;
    const cols = 513;
    const x = randomValues(rows * cols, 6, -4, 4);
    const row = randomValues(cols, 7);
    agree(rows * cols, (backend, input) => backend.unary('gelu', input(x), rows * cols, 'float32'));
    agree(rows * cols, (backend, input) => backend.binary('mul', input(x), [rows, cols], input(row), [cols], [rows, cols], 'float32'));
    agree(cols, (backend, input) => backend.reduce('sum', input(x), 1, rows, cols, 'float32'));
    agree(rows, (backend, input) => backend.reduce('logSumExp', input(x), rows, cols, 1, 'float32'));
    agree(rows * cols, (backend, input) => backend.softmax(input(x), rows, cols, true));
    agree(rows * cols, (backend, input) => backend.transpose(input(x), [rows, cols], [1, 0], 'float32'));
  });

  it('long reductions into few columns (a conv bias gradient) run as partial slabs: same on 1 and 2 threads, and right', () => {
    const [rows, cols] = [8 * 1024 * 3, 17];
    const x = randomValues(rows * cols, 8, -2, 2);
    for (const op of ['sum', 'max', 'min'] as const) {
      agree(cols, (backend, input) => backend.reduce(op, input(x), 1, rows, cols, 'float32'));
      const out = two.read(two.reduce(op, two.write(x, 'float32'), 1, rows, cols, 'float32'), 'float32', cols) as Float32Array;
      for (let c = 0; c < cols; c++) {
        let expected = op === 'sum' ? 0 : op === 'max' ? -Infinity : Infinity;
        for (let r = 0; r < rows; r++) {
          const v = x[r * cols + c];
          expected = op === 'sum' ? expected + v : op === 'max' ? Math.max(expected, v) : Math.min(expected, v);
        }
        expect(Math.abs(out[c] - expected), `${op} column ${c}`).toBeLessThan(op === 'sum' ? 1e-5 * rows : 1e-7);
      }
    }
  });
});

describe('tf.setThreads', () => {
  it('changes the thread count without changing results', async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    const a = tf.tensor(randomValues(300 * 400, 8), [300, 400]);
    const b = tf.tensor(randomValues(400 * 500, 9), [400, 500]);
    const threads = tf.backendInfo().maxThreads ?? 1;
    tf.setThreads(1);
    expect(tf.backendInfo().threads).toBe(1);
    const serial = tf.matMul(a, b).dataSync();
    tf.setThreads(threads);
    expect(tf.backendInfo().threads).toBe(threads);
    const parallel = tf.matMul(a, b).dataSync();
    expect((parallel as Float32Array).findIndex((v, i) => v !== serial[i])).toBe(-1);
    expect(() => tf.setThreads(0)).toThrow(/setThreads/);
  });
});
