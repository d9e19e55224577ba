// Kernel-level tests of assembly/attention.ts, attention-backward.ts and layernorm.ts (through the wasm wrappers) against
// float64 oracles written here from the formulas, on a private build of just those two sources (others'
// work in progress cannot break it), on the calling thread alone and on 2 threads, with and without relaxed
// SIMD (per vitest project); odd sizes (T 1…130, Dk 1…64, heads 1…8), masks (padding, causal, both, a full mask with fully masked rows), several key tiles.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import asc from 'assemblyscript/asc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttentionInfo } from '../src/backend/backend.js';
import { runAttention, runAttentionGrad } from '../src/backend/wasm/attention.js';
import { runLayerNorm, runLayerNormGrad } from '../src/backend/wasm/layernorm.js';
import { createRuntime, type Runtime } from '../src/runtime/index.js';
import { expectClose } from './helpers.js';
import { randomValues } from './random.js';

const SOURCES = ['assembly/attention.ts', 'assembly/attention-backward.ts', 'assembly/layernorm.ts'];
const FLAGS = ['--runtime', 'stub', '--importMemory', '--initialMemory', '32', '--memoryBase', '0', '--noAssert',
  '--use', 'abort=', '-O3'];

/** The relaxed-simd project runs Node with relaxed SIMD validated: build the relaxed variant there. */
const RELAXED = process.execArgv.includes('--experimental-wasm-relaxed-simd');
const VARIANT = RELAXED ? 'mt-relaxed' : 'mt';

/** Compiles just our two sources (an empty --config keeps asc from reading the repo's asconfig.json). */
async function compile(folder: string): Promise<void> {
  const config = join(folder, 'asconfig.json');
  writeFileSync(config, '{}');
  const features = RELAXED ? 'simd,threads,relaxed-simd' : 'simd,threads';
  let binary: Uint8Array | undefined;
  const { error, stderr } = await asc.main([...SOURCES, '--config', config, ...FLAGS, '--enable', features,
    '--sharedMemory', '--maximumMemory', '65536', '-o', 'out.wasm'], {
    writeFile: (name: string, contents: Uint8Array) => { if (name.endsWith('.wasm')) binary = contents; },
  });
  if (error || !binary) throw new Error(`asc failed for ${VARIANT}: ${error?.message} ${stderr.toString()}`);
  writeFileSync(join(folder, `sinew-${VARIANT}.wasm`), binary);
}

// One shared-memory build, run on the calling thread only and on 2 threads.
const runtimes = {} as { single: Runtime; threaded: Runtime };
beforeAll(async () => {
  const folder = mkdtempSync(join(tmpdir(), 'sinew-attention-'));
  await compile(folder);
  const url = pathToFileURL(folder + '/');
  runtimes.single = await createRuntime({ threads: 1, variant: VARIANT, wasmUrl: url });
  runtimes.threaded = await createRuntime({ threads: 2, variant: VARIANT, wasmUrl: url });
  await runtimes.threaded.ready();
  expect(runtimes.single.info.threads).toBe(1);
  expect(runtimes.threaded.info.threads).toBe(2);
}, 60_000);
afterAll(async () => {
  await runtimes.threaded?.terminate();
  await runtimes.single?.terminate();
});

function put(rt: Runtime, values: ArrayLike<number>): number {
  const ptr = rt.alloc(Math.max(values.length, 1) * 4);
  rt.f32().set(values, ptr >> 2);
  return ptr;
}
const take = (rt: Runtime, ptr: number, n: number) => rt.f32().slice(ptr >> 2, (ptr >> 2) + n);

// --- attention ------------------------------------------------------------------------------------

interface AttentionCase {
  batch: number; heads: number; tq: number; tk: number; dk: number; dv: number;
  causal?: boolean;
  /** Mask shape (broadcast to [B,H,Tq,Tk]); values random 0/1 with about `keepRate` ones. */
  mask?: number[];
  keepRate?: number;
}

const CASES: AttentionCase[] = [
  { batch: 1, heads: 1, tq: 1, tk: 1, dk: 1, dv: 1 },
  { batch: 2, heads: 3, tq: 7, tk: 7, dk: 3, dv: 5 },
  { batch: 1, heads: 8, tq: 33, tk: 33, dk: 8, dv: 8, causal: true },
  { batch: 2, heads: 1, tq: 7, tk: 33, dk: 64, dv: 3, mask: [2, 1, 1, 33] },
  { batch: 1, heads: 3, tq: 33, tk: 7, dk: 3, dv: 17, causal: true, mask: [1, 1, 1, 7] },
  { batch: 2, heads: 3, tq: 5, tk: 9, dk: 4, dv: 4, mask: [2, 3, 5, 9], keepRate: 0.3 },
  { batch: 1, heads: 1, tq: 4, tk: 6, dk: 2, dv: 2, causal: true, mask: [1, 1, 1, 6], keepRate: 0.4 },
  { batch: 1, heads: 2, tq: 9, tk: 5, dk: 3, dv: 2, mask: [1, 1, 1, 5], keepRate: 0 }, // every row fully masked
  { batch: 2, heads: 2, tq: 20, tk: 70, dk: 5, dv: 9, mask: [2, 1, 1, 70], keepRate: 0.5 },
  { batch: 1, heads: 2, tq: 130, tk: 130, dk: 64, dv: 64, causal: true, mask: [1, 1, 130, 1], keepRate: 0.9 },
];

const caseLabel = (c: AttentionCase) => `B${c.batch} H${c.heads} Tq${c.tq} Tk${c.tk} Dk${c.dk} Dv${c.dv}` +
  `${c.causal ? ' causal' : ''}${c.mask ? ` mask [${c.mask}]` : ''}`;

function caseData(c: AttentionCase, seed: number) {
  const q = randomValues(c.batch * c.heads * c.tq * c.dk, seed, -2, 2);
  const k = randomValues(c.batch * c.heads * c.tk * c.dk, seed + 1, -2, 2);
  const v = randomValues(c.batch * c.heads * c.tk * c.dv, seed + 2);
  const dOut = randomValues(c.batch * c.heads * c.tq * c.dv, seed + 3);
  let mask: Float32Array | undefined;
  let maskStrides: [number, number, number, number] | undefined;
  if (c.mask) {
    const keepRate = c.keepRate ?? 0.7;
    mask = randomValues(c.mask.reduce((p, d) => p * d, 1), seed + 4, 0, 1).map((u) => (u < keepRate ? 1 : 0));
    const strides = [0, 0, 0, 0];
    for (let axis = 3, stride = 1; axis >= 0; axis--) {
      strides[axis] = c.mask[axis] === 1 ? 0 : stride;
      stride *= c.mask[axis];
    }
    maskStrides = strides as [number, number, number, number];
  }
  const info: AttentionInfo = {
    batch: c.batch, heads: c.heads, queryLength: c.tq, keyLength: c.tk, keyDim: c.dk, valueDim: c.dv,
    scale: 1 / Math.sqrt(c.dk), causal: !!c.causal, maskStrides,
  };
  return { q, k, v, dOut, mask, info };
}

/**
 * float64 oracle straight from the formula: P = softmax(scale·QKᵀ with masked scores = -1e9), out = P·V;
 * dV = Pᵀ·dOut, dP = dOut·Vᵀ, dS = P∘(dP - rowsum(dP∘P)) on unmasked pairs (masked scores are constants).
 */
function referenceAttention(q: Float32Array, k: Float32Array, v: Float32Array, dOut: Float32Array,
  mask: Float32Array | undefined, info: AttentionInfo) {
  const { batch: B, heads: H, queryLength: Tq, keyLength: Tk, keyDim: Dk, valueDim: Dv, scale } = info;
  const [sb, sh, si, sj] = info.maskStrides ?? [0, 0, 0, 0];
  const out = new Float64Array(B * H * Tq * Dv);
  const dq = new Float64Array(q.length), dk = new Float64Array(k.length), dv = new Float64Array(v.length);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) {
    const bh = b * H + h;
    for (let i = 0; i < Tq; i++) {
      const r = bh * Tq + i;
      const ok = Array.from({ length: Tk }, (_, j) => !(info.causal && j > i) && (!mask || mask[b * sb + h * sh + i * si + j * sj] !== 0));
      const s = ok.map((allowed, j) => {
        if (!allowed) return -1e9;
        let dot = 0;
        for (let d = 0; d < Dk; d++) dot += q[r * Dk + d] * k[(bh * Tk + j) * Dk + d];
        return scale * dot;
      });
      const m = Math.max(...s);
      const e = s.map((x) => Math.exp(x - m));
      const total = e.reduce((a, x) => a + x, 0);
      const p = e.map((x) => x / total);
      const dp = new Array<number>(Tk).fill(0);
      for (let j = 0; j < Tk; j++) for (let d = 0; d < Dv; d++) {
        out[r * Dv + d] += p[j] * v[(bh * Tk + j) * Dv + d];
        dp[j] += dOut[r * Dv + d] * v[(bh * Tk + j) * Dv + d];
        dv[(bh * Tk + j) * Dv + d] += p[j] * dOut[r * Dv + d];
      }
      const rowSum = p.reduce((a, pj, j) => a + pj * dp[j], 0);
      for (let j = 0; j < Tk; j++) {
        if (!ok[j]) continue;
        const ds = p[j] * (dp[j] - rowSum) * scale;
        for (let d = 0; d < Dk; d++) {
          dq[r * Dk + d] += ds * k[(bh * Tk + j) * Dk + d];
          dk[(bh * Tk + j) * Dk + d] += ds * q[r * Dk + d];
        }
      }
    }
  }
  return { out, dq, dk, dv };
}

function runOnWasm(rt: Runtime, data: ReturnType<typeof caseData>, keyTile?: number) {
  const { info } = data;
  const rows = info.batch * info.heads * info.queryLength;
  const keyRows = info.batch * info.heads * info.keyLength;
  const q = put(rt, data.q), k = put(rt, data.k), v = put(rt, data.v), dOut = put(rt, data.dOut);
  const mask = data.mask ? put(rt, data.mask) : 0;
  const out = rt.alloc(rows * info.valueDim * 4), lse = rt.alloc(rows * 4), delta = rt.alloc(rows * 4);
  const dq = rt.alloc(data.q.length * 4), dk = rt.alloc(data.k.length * 4), dv = rt.alloc(data.v.length * 4);
  runAttention(rt, q, k, v, mask, out, lse, info, keyTile);
  runAttentionGrad(rt, q, k, v, mask, out, lse, dOut, delta, dq, dk, dv, info, keyTile);
  const result = {
    out: take(rt, out, rows * info.valueDim), logSumExp: take(rt, lse, rows),
    dq: take(rt, dq, data.q.length), dk: take(rt, dk, keyRows * info.keyDim), dv: take(rt, dv, keyRows * info.valueDim),
  };
  for (const ptr of [q, k, v, dOut, out, lse, delta, dq, dk, dv, ...(mask ? [mask] : [])]) rt.free(ptr);
  return result;
}

describe('attention kernels', () => {
  it('forward and backward match the float64 formula on odd sizes and masks, 1 and 2 threads', () => {
    for (const [n, c] of CASES.entries()) {
      const data = caseData(c, 100 + 10 * n);
      const expected = referenceAttention(data.q, data.k, data.v, data.dOut, data.mask, data.info);
      for (const rt of [runtimes.single, runtimes.threaded]) {
        const got = runOnWasm(rt, data);
        const context = `${caseLabel(c)} on ${rt.info.threads} thread(s)`;
        try {
          expectClose(got.out, expected.out, { rtol: 1e-5, atol: 1e-5 });
          expectClose(got.dq, expected.dq, { rtol: 1e-4, atol: 1e-5 });
          expectClose(got.dk, expected.dk, { rtol: 1e-4, atol: 1e-5 });
          expectClose(got.dv, expected.dv, { rtol: 1e-4, atol: 1e-5 });
        } catch (error) {
          throw new Error(`${context}: ${(error as Error).message}`);
        }
      }
    }
  });

  it('1 thread and 2 threads agree bit for bit', () => {
    const c = CASES[CASES.length - 1];
    const data = caseData(c, 7);
    const single = runOnWasm(runtimes.single, data);
    const threaded = runOnWasm(runtimes.threaded, data);
    for (const key of ['out', 'logSumExp', 'dq', 'dk', 'dv'] as const) expect(threaded[key]).toEqual(single[key]);
  });

  it('the tile only changes rounding: tiles of 1, 5, 8 and 64 agree with the formula, forward and backward', () => {
    const c: AttentionCase = { batch: 1, heads: 2, tq: 9, tk: 33, dk: 5, dv: 6, mask: [1, 1, 9, 33], keepRate: 0.5 };
    const data = caseData(c, 3);
    const expected = referenceAttention(data.q, data.k, data.v, data.dOut, data.mask, data.info);
    for (const tile of [1, 5, 8, 64]) {
      const got = runOnWasm(runtimes.single, data, tile);
      expectClose(got.out, expected.out, { rtol: 1e-5, atol: 1e-5 });
      expectClose(got.dq, expected.dq, { rtol: 1e-4, atol: 1e-5 });
      expectClose(got.dk, expected.dk, { rtol: 1e-4, atol: 1e-5 });
      expectClose(got.dv, expected.dv, { rtol: 1e-4, atol: 1e-5 });
    }
  });

  it('a fully masked row attends uniformly to every key, flags logSumExp -inf and passes no gradient to q', () => {
    const c: AttentionCase = { batch: 1, heads: 1, tq: 3, tk: 5, dk: 4, dv: 3, causal: true, mask: [1, 1, 3, 5] };
    const data = caseData(c, 11);
    data.mask!.set([0, 1, 1, 1, 1, /* row 1: keys 0, 1 masked, causal hides the rest */ 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
    const got = runOnWasm(runtimes.single, data);
    const mean = [0, 1, 2].map((d) => [0, 1, 2, 3, 4].reduce((a, j) => a + data.v[j * 3 + d], 0) / 5);
    expectClose(got.out.slice(0, 3), mean);
    expectClose(got.out.slice(3, 6), mean);
    expect(got.logSumExp[0]).toBe(-Infinity);
    expect(got.logSumExp[1]).toBe(-Infinity);
    expect(Number.isFinite(got.logSumExp[2])).toBe(true);
    expect(Array.from(got.dq.slice(0, 8))).toEqual(new Array(8).fill(0));
    const expected = referenceAttention(data.q, data.k, data.v, data.dOut, data.mask, data.info);
    expectClose(got.dk, expected.dk, { rtol: 1e-4, atol: 1e-5 });
    expectClose(got.dv, expected.dv, { rtol: 1e-4, atol: 1e-5 });
  });
});

// --- layer norm -----------------------------------------------------------------------------------

function referenceLayerNorm(x: Float32Array, gamma: Float32Array | null, beta: Float32Array | null, dy: Float32Array,
  rows: number, cols: number, epsilon: number) {
  const y = new Float64Array(x.length), dx = new Float64Array(x.length);
  const dgamma = new Float64Array(cols), dbeta = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const row = Array.from(x.subarray(r * cols, (r + 1) * cols));
    const mean = row.reduce((a, b) => a + b, 0) / cols;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / cols;
    const rstd = 1 / Math.sqrt(variance + epsilon);
    const xhat = row.map((value) => (value - mean) * rstd);
    const g = xhat.map((_, c) => dy[r * cols + c] * (gamma ? gamma[c] : 1));
    const meanG = g.reduce((a, b) => a + b, 0) / cols;
    const meanGX = g.reduce((a, b, c) => a + b * xhat[c], 0) / cols;
    for (let c = 0; c < cols; c++) {
      y[r * cols + c] = xhat[c] * (gamma ? gamma[c] : 1) + (beta ? beta[c] : 0);
      dx[r * cols + c] = rstd * (g[c] - meanG - xhat[c] * meanGX);
      dgamma[c] += dy[r * cols + c] * xhat[c];
      dbeta[c] += dy[r * cols + c];
    }
  }
  return { y, dx, dgamma, dbeta };
}

describe('layer norm kernels', () => {
  const SHAPES: [number, number][] = [[1, 1], [3, 7], [17, 33], [5, 64], [300, 129], [2, 1024]];
  it('forward, dx, dgamma, dbeta match the float64 formula with and without gamma/beta, 1 and 2 threads', () => {
    for (const [n, [rows, cols]] of SHAPES.entries()) {
      for (const affine of [true, false]) {
        const x = randomValues(rows * cols, 50 + n, -3, 5);
        const dy = randomValues(rows * cols, 60 + n);
        const gamma = affine ? randomValues(cols, 70 + n, 0.5, 1.5) : null;
        const beta = affine ? randomValues(cols, 80 + n) : null;
        const epsilon = n % 2 ? 1e-5 : 1e-3;
        const expected = referenceLayerNorm(x, gamma, beta, dy, rows, cols, epsilon);
        const outputs: Float32Array[][] = [];
        for (const rt of [runtimes.single, runtimes.threaded]) {
          const xp = put(rt, x), dyp = put(rt, dy), gp = gamma ? put(rt, gamma) : 0, bp = beta ? put(rt, beta) : 0;
          const y = rt.alloc(x.length * 4), mean = rt.alloc(rows * 4), rstd = rt.alloc(rows * 4);
          const dx = rt.alloc(x.length * 4), dgamma = rt.alloc(cols * 4), dbeta = rt.alloc(cols * 4);
          runLayerNorm(rt, xp, gp, bp, y, mean, rstd, rows, cols, epsilon);
          runLayerNormGrad(rt, xp, dyp, gp, mean, rstd, dx, dgamma, dbeta, rows, cols);
          const got = [take(rt, y, x.length), take(rt, dx, x.length), take(rt, dgamma, cols), take(rt, dbeta, cols)];
          outputs.push(got);
          const context = `[${rows}, ${cols}] ${affine ? 'affine' : 'plain'} on ${rt.info.threads} thread(s)`;
          try {
            expectClose(got[0], expected.y, { rtol: 1e-5, atol: 1e-5 });
            expectClose(got[1], expected.dx, { rtol: 1e-4, atol: 1e-4 });
            expectClose(got[2], expected.dgamma, { rtol: 1e-4, atol: 1e-3 });
            expectClose(got[3], expected.dbeta, { rtol: 1e-4, atol: 1e-3 });
          } catch (error) {
            throw new Error(`${context}: ${(error as Error).message}`);
          }
          for (const ptr of [xp, dyp, y, mean, rstd, dx, dgamma, dbeta, ...(gp ? [gp, bp] : [])]) rt.free(ptr);
        }
        outputs[0].forEach((values, i) => expect(outputs[1][i]).toEqual(values));
      }
    }
  });
});
