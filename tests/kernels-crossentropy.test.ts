// The fused softmax cross-entropy kernel (assembly/crossentropy.ts, via runSoftmaxCrossEntropy) against a
// float64 reference: odd widths (1, 3, 17, 513), split row ranges, ±1000 logits, NaN rows, and bit-identical
// results on the real runtime with 1 thread and with 2. Runs with and without relaxed SIMD (vitest.config.ts).
import asc from 'assemblyscript/asc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSoftmaxCrossEntropy } from '../src/backend/wasm/crossentropy.js';
import { createRuntime, type Runtime } from '../src/runtime/index.js';
import { FakeRuntime, relaxedSimdAvailable } from './kernels-harness.js';
import { expectClose, randomValues } from './helpers.js';
import { crossEntropy64, oneHotRows, probabilityRows } from './crossentropy-reference.js';

// --- kernel runs -------------------------------------------------------------------------------------------

async function compileCrossEntropy(features: string): Promise<Uint8Array> {
  let binary: Uint8Array | undefined;
  const flags = ['--runtime', 'stub', '--importMemory', '--initialMemory', '32', '--memoryBase', '0', '--noAssert',
    '--use', 'abort=', '-O3', '--enable', features];
  const { error, stderr } = await asc.main(['assembly/crossentropy.ts', ...flags, '-o', 'crossentropy.wasm'], {
    writeFile: (name: string, contents: string | Uint8Array) => {
      if (name.endsWith('.wasm') && typeof contents !== 'string') binary = contents;
    },
  });
  if (error || !binary) throw new Error(`asc failed for ${features}: ${error?.message} ${stderr.toString()}`);
  return binary;
}

for (const features of ['simd', 'simd,relaxed-simd']) {
  describe(`softmaxCrossEntropy kernel (${features})`, () => {
    const rt = new FakeRuntime();
    let available = true;
    beforeAll(async () => {
      if (features !== 'simd' && !(await relaxedSimdAvailable())) { available = false; return; }
      await rt.init(await compileCrossEntropy(features));
    });

    function runOnce(logits: Float32Array, labels: Float32Array, rows: number, cols: number, chunks: number) {
      rt.reset();
      rt.chunks = chunks;
      const x = rt.putF32(logits), l = rt.putF32(labels), loss = rt.alloc(rows * 4), probs = rt.alloc(rows * cols * 4);
      runSoftmaxCrossEntropy(rt, x, l, loss, probs, rows, cols);
      return { loss: rt.readF32(loss, rows), probs: rt.readF32(probs, rows * cols) };
    }

    it('matches the float64 reference on odd widths (1, 3, 17, 513) and many rows, split or not', (ctx) => {
      if (!available) ctx.skip();
      for (const [rows, cols] of [[1, 1], [1, 3], [1, 17], [1, 513], [5, 1], [9, 3], [13, 17], [6, 513], [127, 5]]) {
        const logits = randomValues(rows * cols, rows * 31 + cols, -8, 8);
        const labels = rows % 2 ? probabilityRows(rows, cols, cols) : oneHotRows(rows, cols, cols);
        const expected = crossEntropy64(logits, labels, rows, cols);
        const single = runOnce(logits, labels, rows, cols, 1);
        expectClose(single.loss, expected.loss, { rtol: 1e-5, atol: 2e-6 * Math.max(1, Math.log(cols)) });
        expectClose(single.probs, expected.probs, { rtol: 2e-6, atol: 1e-9 });
        const split = runOnce(logits, labels, rows, cols, Math.min(rows, 4));
        expect(Array.from(split.loss), `${rows}x${cols} split loss`).toEqual(Array.from(single.loss));
        expect(Array.from(split.probs), `${rows}x${cols} split probs`).toEqual(Array.from(single.probs));
      }
    });

    it('stays finite and exact at logits of ±1000 and ±1e38 (the row max cancels; x - max must fit in float32)', (ctx) => {
      if (!available) ctx.skip();
      const logits = Float32Array.from([1000, -1000, 999, 0, 1, -1000, -1000, -1000, -999, -1001, 1e38, -1e38, 5e37, 0, 1]);
      const labels = Float32Array.from([0, 1, 0, 0.5, 0.5, 0, 1, 0, 0, 0, 0.25, 0.25, 0.5, 0, 0]);
      const { loss, probs } = runOnce(logits, labels, 3, 5, 1);
      const expected = crossEntropy64(logits, labels, 3, 5);
      expect(loss.every(Number.isFinite)).toBe(true);
      expectClose(loss, expected.loss, { rtol: 1e-6 });
      expectClose(probs, expected.probs, { rtol: 1e-6, atol: 1e-30 });
    });

    it('propagates NaN logits to that row only', (ctx) => {
      if (!available) ctx.skip();
      const logits = Float32Array.from([1, NaN, 2, 3, 1, 2, 3, 4, 5, 6]);
      const labels = oneHotRows(2, 5, 3);
      const { loss, probs } = runOnce(logits, labels, 2, 5, 1);
      expect(Number.isNaN(loss[0])).toBe(true);
      expect(Array.from(probs.subarray(0, 5)).every(Number.isNaN)).toBe(true);
      expectClose([loss[1]], crossEntropy64(logits.subarray(5), labels.subarray(5), 1, 5).loss, { rtol: 1e-6 });
    });
  });
}

describe('softmaxCrossEntropy kernel on the real runtime: 1 thread vs 2', () => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await createRuntime({ threads: 2 });
  });
  afterAll(async () => {
    await rt.terminate();
  });

  it('gives bit-identical loss and probs when the rows are split over threads', () => {
    const rows = 1001, cols = 67; // ~1.3 MFLOP: enough for the pool to split
    const logits = randomValues(rows * cols, 5, -20, 20);
    const labels = probabilityRows(rows, cols, 6);
    const run = () => {
      const x = rt.alloc(rows * cols * 4), l = rt.alloc(rows * cols * 4);
      const loss = rt.alloc(rows * 4), probs = rt.alloc(rows * cols * 4);
      rt.f32().set(logits, x >> 2);
      rt.f32().set(labels, l >> 2);
      runSoftmaxCrossEntropy(rt, x, l, loss, probs, rows, cols);
      const out = { loss: rt.f32().slice(loss >> 2, (loss >> 2) + rows), probs: rt.f32().slice(probs >> 2, (probs >> 2) + rows * cols) };
      [x, l, loss, probs].forEach((p) => rt.free(p));
      return out;
    };
    expect(rt.info.threads).toBe(2);
    const split = run();
    rt.setThreads(1);
    const single = run();
    rt.setThreads(2);
    expect(split.loss).toEqual(single.loss);
    expect(split.probs).toEqual(single.probs);
    expectClose(single.loss, crossEntropy64(logits, labels, rows, cols).loss, { rtol: 1e-5, atol: 1e-5 });
  });
});

