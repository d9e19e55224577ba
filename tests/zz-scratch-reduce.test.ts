// TEMPORARY scratch test (to be deleted): webgpu reduce/softmax kernels vs wasm, backend level.
import { expect, it } from 'vitest';
import { appendFileSync } from 'node:fs';
import { tf, useSoftwareWebGPU, randomValues } from './helpers.js';
import { ENGINE } from '../src/engine.js';
import type { DType, ReduceOp } from '../src/backend/backend.js';

function same(a: ArrayLike<number>, b: ArrayLike<number>, what: string, rtol = 2e-5, atol = 2e-6) {
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    if (Number.isNaN(y)) { if (!Number.isNaN(x)) throw new Error(`${what} @${i}: got ${x}, want NaN`); continue; }
    if (x === y) continue;
    if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y))) throw new Error(`${what} @${i}: got ${x}, want ${y}`);
  }
}

type Case = { op: ReduceOp; dtype: DType; outer: number; n: number; inner: number; values: number[] | Float32Array };
function run(name: string, c: Case): ArrayLike<number> {
  const b = ENGINE.backend;
  const x = b.write(c.dtype === 'float32' ? Float32Array.from(c.values) : c.dtype === 'int32' ? Int32Array.from(c.values) : Uint8Array.from(c.values), c.dtype);
  const out = b.reduce(c.op, x, c.outer, c.n, c.inner, c.dtype);
  const outDtype: DType = c.op === 'argMax' || c.op === 'argMin' ? 'int32' : c.dtype;
  const r = Array.from(b.read(out, outDtype, c.outer * c.inner));
  b.dispose(x); b.dispose(out);
  return r;
}

it('scratch', async () => {
  useSoftwareWebGPU();
  const cases: Case[] = [];
  const ops: ReduceOp[] = ['sum', 'max', 'min', 'prod', 'argMax', 'argMin', 'logSumExp', 'any', 'all'];
  const shapes = [[1, 1, 1], [2, 3, 4], [3, 17, 1], [1, 513, 1], [2, 1000, 3], [1, 5000, 1], [4, 40, 70], [70, 40, 70], [1, 0, 3], [3, 7, 0], [2, 33, 1], [1, 64, 64]];
  let seed = 1;
  for (const op of ops) for (const dtype of ['float32', 'int32', 'bool'] as DType[]) for (const [outer, n, inner] of shapes) {
    if (dtype === 'float32' && (op === 'any' || op === 'all')) { /* allowed on backend */ }
    const size = outer * n * inner;
    let values: number[] = Array.from(randomValues(size, seed++, op === 'prod' ? 0.9 : -5, op === 'prod' ? 1.1 : 5));
    if (dtype === 'int32') values = values.map((v) => Math.round(v * (op === 'prod' ? 1 : 3)));
    if (dtype === 'bool') values = values.map((v) => (v > 2 ? 1 : 0));
    if (dtype === 'float32' && (op === 'any' || op === 'all')) values = values.map((v) => (v > 4 ? 0 : v));
    cases.push({ op, dtype, outer, n, inner, values });
  }
  // NaN / inf / ties specials
  const nan = NaN, inf = Infinity;
  for (const op of ops) for (const v of [[nan, 1, 2], [1, nan, 2], [2, 2, 1], [1, 2, 2], [-inf, -inf, -inf], [inf, 1, 2], [-inf, 1, 2], [nan, nan, nan], [0, 0, 0], [inf, -inf, 0]]) {
    cases.push({ op, dtype: 'float32', outer: 1, n: 3, inner: 1, values: v });
    const long = Array.from({ length: 300 }, (_, i) => v[i % 3] * (i < 3 ? 1 : 1));
    cases.push({ op, dtype: 'float32', outer: 1, n: 300, inner: 1, values: long });
  }
  const only = process.env.ONLY;
  if (only) { const keep = only.split(',').map(Number); const sel = keep.map((k) => cases[k]); cases.length = 0; cases.push(...sel); }
  await tf.setBackend('wasm');
  const want = cases.map((c) => run('wasm', c));
  await tf.setBackend('webgpu');
  const got = cases.map((c, k) => { appendFileSync('/tmp/prog.txt', `case ${k} ${c.op} ${c.dtype} ${c.outer},${c.n},${c.inner}\n`); return run("webgpu", c); });
  const errors: string[] = [];
  cases.forEach((c, k) => {
    try { same(got[k], want[k], `${c.op} ${c.dtype} [${c.outer},${c.n},${c.inner}] ${c.n <= 3 ? c.values.join(',') : ''}`, c.op === 'prod' ? 1e-4 : 2e-5); } catch (e) { errors.push((e as Error).message); }
  });
  // softmax / grad / crossentropy
  const sm: [number, number][] = [[1, 1], [4, 3], [6, 17], [5, 127], [3, 513], [2, 3000], [1, 0], [0, 5], [300, 10]];
  const rowsOut = async (backend: string) => {
    await tf.setBackend(backend);
    const b = ENGINE.backend;
    const res: number[][] = [];
    sm.forEach(([rows, cols], k) => {
      appendFileSync('/tmp/prog.txt', `sm ${backend} ${rows}x${cols}\n`);
      const x = b.write(randomValues(rows * cols, 100 + k, -8, 8), 'float32');
      const dy = b.write(randomValues(rows * cols, 200 + k, -1, 1), 'float32');
      const lab = b.write(randomValues(rows * cols, 300 + k, 0, 1), 'float32');
      const mark = (s: string) => appendFileSync('/tmp/prog.txt', `  ${s}\n`);
      for (const log of [false, true]) {
        mark('softmax');
        const y = b.softmax(x, rows, cols, log);
        mark('read');
        res.push(Array.from(b.read(y, 'float32', rows * cols)));
        mark('grad');
        const g = b.softmaxGrad(y, dy, rows, cols, log);
        mark('read');
        res.push(Array.from(b.read(g, 'float32', rows * cols)));
      }
      mark('sce');
      const { loss, probs } = b.softmaxCrossEntropy(x, lab, rows, cols);
      mark('read');
      res.push(Array.from(b.read(loss, 'float32', rows)));
      mark('read');
      res.push(Array.from(b.read(probs, 'float32', rows * cols)));
      mark('done');
    });
    return res;
  };
  if (process.env.SKIPSM) sm.length = 0;
  const w = await rowsOut('wasm');
  const g = await rowsOut('webgpu');
  w.forEach((want, k) => { try { same(g[k], want, `softmax-family #${k} (case ${Math.floor(k / 6)} item ${k % 6})`, 1e-4, 1e-5); } catch (e) { errors.push((e as Error).message); } });
  console.log(`cases ${cases.length}, errors ${errors.length}\n${errors.slice(0, 60).join('\n')}`);
  expect(errors).toEqual([]);
}, 600_000);
