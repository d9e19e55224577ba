// scaledDotProductAttention (fused) and attentionWeights (materialized): forward vs a float64 formula written
// here on odd sizes (T 1…130, Dk 1…64, heads 1…8) with padding / causal / both / full masks (bool and float,
// fully masked rows), gradients vs finite differences and vs the unfused path (attentionWeights·v), tfjs as a
// peer, second order, dropout, bad inputs, memory.
import { expect, it } from 'vitest';
import {
  analyticGradients, checkGradients, describeEachBackend, expectClose, loadTfjs, randomInput, tf,
  type Tensor, type TfjsTensor,
} from './helpers.js';
import { randomValues } from './random.js';
import { ENGINE } from '../src/engine.js';
import type { Runtime } from '../src/runtime/types.js';

const tfjs = await loadTfjs();

interface Case {
  q: [number, number, number, number]; tk: number; dv: number;
  causal?: boolean;
  /** Mask shape broadcast to [B, H, Tq, Tk] and its dtype; about 70% ones. */
  mask?: number[]; maskDtype?: 'bool' | 'float32';
}

const CASES: Case[] = [
  { q: [1, 1, 1, 1], tk: 1, dv: 1 },
  { q: [2, 3, 7, 3], tk: 7, dv: 5, mask: [2, 1, 1, 7], maskDtype: 'bool' },
  { q: [1, 2, 7, 8], tk: 7, dv: 3, causal: true },
  { q: [2, 1, 4, 3], tk: 9, dv: 2, causal: true, mask: [2, 1, 1, 9], maskDtype: 'float32' },
  { q: [1, 3, 5, 1], tk: 6, dv: 4, mask: [1, 3, 5, 6], maskDtype: 'float32' },
  { q: [1, 8, 33, 8], tk: 33, dv: 8, mask: [1, 1, 33, 33], maskDtype: 'bool' },
  { q: [1, 2, 130, 64], tk: 130, dv: 64, causal: true, mask: [1, 1, 1, 130], maskDtype: 'bool' },
];
/** Small enough for finite differences on every input element. */
const GRADIENT_CASES = CASES.slice(0, 5);

const label = (c: Case) => `q [${c.q}] Tk ${c.tk} Dv ${c.dv}${c.causal ? ' causal' : ''}${c.mask ? ` mask [${c.mask}] ${c.maskDtype}` : ''}`;

function caseInputs(c: Case, seed: number) {
  const [b, h, , dk] = c.q;
  return [randomInput(c.q, seed, -2, 2), randomInput([b, h, c.tk, dk], seed + 1, -2, 2), randomInput([b, h, c.tk, c.dv], seed + 2)];
}

function caseMask(c: Case, seed: number): { values: number[]; shape: number[] } | undefined {
  if (!c.mask) return undefined;
  const values = Array.from(randomValues(c.mask.reduce((p, d) => p * d, 1), seed + 3, 0, 1), (u) => (u < 0.7 ? 1 : 0));
  return { values, shape: c.mask };
}

const maskTensor = (c: Case, mask: ReturnType<typeof caseMask>) =>
  mask ? tf.tensor(mask.values, mask.shape, c.maskDtype) : undefined;

function options(c: Case, mask: ReturnType<typeof caseMask>) {
  return { causal: c.causal, mask: maskTensor(c, mask) };
}

/** float64 formula: masked (or causal-hidden) scores are -1e9, softmax per row, then ·V; also returns P. */
function formula(c: Case, q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, mask: ReturnType<typeof caseMask>) {
  const [B, H, Tq, Dk] = c.q;
  const Tk = c.tk, Dv = c.dv, scale = 1 / Math.sqrt(Dk);
  const padded = mask ? [...new Array(4 - mask.shape.length).fill(1), ...mask.shape] : [1, 1, 1, 1];
  const maskAt = (b: number, h: number, i: number, j: number) => {
    if (!mask) return 1;
    const index = [b, h, i, j].reduce((flat, x, axis) => flat * padded[axis] + (padded[axis] === 1 ? 0 : x), 0);
    return mask.values[index];
  };
  const out = new Float64Array(B * H * Tq * Dv);
  const probabilities = new Float64Array(B * H * Tq * Tk);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let i = 0; i < Tq; i++) {
    const bh = b * H + h, r = bh * Tq + i;
    const s = Array.from({ length: Tk }, (_, j) => {
      if ((c.causal && j > i) || maskAt(b, h, i, j) === 0) return -1e9;
      let dot = 0;
      for (let d = 0; d < Dk; d++) dot += q[r * Dk + d] * k[(bh * Tk + j) * Dk + d];
      return dot * scale;
    });
    const m = Math.max(...s);
    const e = s.map((x) => Math.exp(x - m));
    const total = e.reduce((a, x) => a + x, 0);
    for (let j = 0; j < Tk; j++) {
      const p = e[j] / total;
      probabilities[r * Tk + j] = p;
      for (let d = 0; d < Dv; d++) out[r * Dv + d] += p * v[(bh * Tk + j) * Dv + d];
    }
  }
  return { out, probabilities };
}

/** The same attention written with tfjs ops (where + softmax + matMul), as the gradient peer. */
const tfjsAttention = (c: Case, mask: ReturnType<typeof caseMask>) => (q: TfjsTensor, k: TfjsTensor, v: TfjsTensor) => {
  const [, , Tq, Dk] = c.q;
  const scores = tfjs.mul(tfjs.matMul(q, k, false, true), 1 / Math.sqrt(Dk));
  let allowed = mask ? tfjs.notEqual(tfjs.tensor(mask.values, mask.shape), 0) : null;
  if (c.causal) {
    const lower = tfjs.greaterEqual(tfjs.range(0, Tq).reshape([Tq, 1]), tfjs.range(0, c.tk).reshape([1, c.tk]));
    allowed = allowed ? tfjs.logicalAnd(allowed, lower) : lower;
  }
  const masked = allowed ? tfjs.where(tfjs.broadcastTo(allowed, scores.shape), scores, tfjs.fill(scores.shape, -1e9)) : scores;
  return tfjs.matMul(tfjs.softmax(masked), v);
};

describeEachBackend('scaledDotProductAttention', (backendName) => {
  it('matches the float64 formula (fused output and materialized probabilities)', () => {
    for (const [n, c] of CASES.entries()) {
      const [q, k, v] = caseInputs(c, 10 * n);
      const mask = caseMask(c, 10 * n);
      const expected = formula(c, q.values, k.values, v.values, mask);
      const qt = tf.tensor(q.values, q.shape), kt = tf.tensor(k.values, k.shape), vt = tf.tensor(v.values, v.shape);
      const out = tf.scaledDotProductAttention(qt, kt, vt, options(c, mask));
      const probabilities = tf.attentionWeights(qt, kt, options(c, mask));
      expect(out.shape).toEqual([c.q[0], c.q[1], c.q[2], c.dv]);
      expect(probabilities.shape).toEqual([c.q[0], c.q[1], c.q[2], c.tk]);
      try {
        expectClose(out.dataSync(), expected.out, { rtol: 1e-5, atol: 1e-5 });
        expectClose(probabilities.dataSync(), expected.probabilities, { rtol: 1e-5, atol: 1e-6 });
      } catch (error) {
        throw new Error(`${label(c)}: ${(error as Error).message}`);
      }
    }
  });

  it('gradients of q, k, v match finite differences and tfjs', () => {
    for (const [n, c] of GRADIENT_CASES.entries()) {
      const mask = caseMask(c, 100 + 10 * n);
      const ours = (q: Tensor, k: Tensor, v: Tensor) => tf.scaledDotProductAttention(q, k, v, options(c, mask));
      try {
        checkGradients(tfjs, ours, tfjsAttention(c, mask), caseInputs(c, 100 + 10 * n), {
          numeric: { rtol: 1e-3, atol: 1e-4 }, peer: { rtol: 1e-4, atol: 1e-5 },
        });
      } catch (error) {
        throw new Error(`${label(c)}: ${(error as Error).message}`);
      }
    }
  });

  it('the fused gradients equal the unfused path (attentionWeights·v) on larger sizes', () => {
    for (const [n, c] of CASES.slice(5).entries()) {
      const mask = caseMask(c, 200 + 10 * n);
      const inputs = caseInputs(c, 200 + 10 * n);
      const fused = analyticGradients((q, k, v) => tf.scaledDotProductAttention(q, k, v, options(c, mask)), inputs);
      const unfused = analyticGradients((q, k, v) => tf.matMul(tf.attentionWeights(q, k, options(c, mask)), v), inputs);
      fused.forEach((g, i) => expectClose(g, unfused[i], { rtol: 1e-4, atol: 1e-5 }));
    }
  });

  it('computes only the gradients the tape needs, with the same values', () => {
    const c = CASES[3];
    const mask = caseMask(c, 600);
    const [q, k, v] = caseInputs(c, 600).map((t) => tf.tensor(t.values, t.shape));
    const m = maskTensor(c, mask);
    const f = (a: Tensor, b: Tensor, w: Tensor) => tf.sum(tf.square(tf.scaledDotProductAttention(a, b, w, { mask: m, causal: true })));
    const all = tf.grads(f)([q, k, v]).map((g) => g.dataSync());
    expectClose(tf.grad((a: Tensor) => f(a, k, v))(q).dataSync(), all[0], { rtol: 0, atol: 0 });
    expectClose(tf.grad((b: Tensor) => f(q, b, v))(k).dataSync(), all[1], { rtol: 0, atol: 0 });
    expectClose(tf.grad((w: Tensor) => f(q, k, w))(v).dataSync(), all[2], { rtol: 0, atol: 0 });
  });

  it('a fully masked row attends uniformly and passes no gradient to q (Keras adds -1e9)', () => {
    const q = tf.tensor(randomValues(2 * 3, 1), [1, 1, 2, 3]);
    const k = tf.tensor(randomValues(4 * 3, 2), [1, 1, 4, 3]);
    const v = tf.tensor(randomValues(4 * 2, 3), [1, 1, 4, 2]);
    const mask = tf.tensor([[false, false, false, false], [true, false, true, false]], [2, 4], 'bool');
    const out = tf.scaledDotProductAttention(q, k, v, { mask }).dataSync();
    const values = v.dataSync();
    const mean = [0, 1].map((d) => (values[d] + values[2 + d] + values[4 + d] + values[6 + d]) / 4);
    expectClose(out.slice(0, 2), mean);
    const dq = tf.grad((x: Tensor) => tf.sum(tf.scaledDotProductAttention(x, k, v, { mask })))(q).dataSync();
    expect(Array.from(dq.slice(0, 3))).toEqual([0, 0, 0]);
    expect(dq.slice(3).some((g) => g !== 0)).toBe(true);
  });

  it('takes a scale, and is differentiable twice', () => {
    const c = CASES[1];
    const mask = caseMask(c, 300);
    const [q, k, v] = caseInputs(c, 300);
    const qt = tf.tensor(q.values, q.shape), kt = tf.tensor(k.values, k.shape), vt = tf.tensor(v.values, v.shape);
    const scaled = tf.scaledDotProductAttention(qt, kt, vt, { mask: maskTensor(c, mask), scale: 0.3 });
    const byHand = tf.scaledDotProductAttention(tf.mul(qt, 0.3 * Math.sqrt(c.q[3])), kt, vt, { mask: maskTensor(c, mask) });
    expectClose(scaled.dataSync(), byHand.dataSync(), { rtol: 1e-5, atol: 1e-6 });
    const small: Case = { q: [1, 1, 3, 2], tk: 4, dv: 2, causal: true };
    const second = (a: Tensor, b: Tensor, w: Tensor) =>
      tf.grads((x: Tensor, y: Tensor) => tf.sum(tf.square(tf.scaledDotProductAttention(x, y, w, { causal: true }))))([a, b])[0];
    checkGradients(tfjs, second, null, caseInputs(small, 310), { numeric: { rtol: 2e-3, atol: 2e-4 } });
  });

  it('dropout takes the unfused path: seeded, scaled by 1/(1 - rate), differentiable', () => {
    const c = CASES[1];
    const [q, k, v] = caseInputs(c, 400).map((t) => tf.tensor(t.values, t.shape));
    const a = tf.scaledDotProductAttention(q, k, v, { dropout: 0.5, seed: 7 });
    const b = tf.scaledDotProductAttention(q, k, v, { dropout: 0.5, seed: 7 });
    expectClose(a.dataSync(), b.dataSync(), { rtol: 0, atol: 0 });
    const plain = tf.scaledDotProductAttention(q, k, v).dataSync();
    expect(Array.from(a.dataSync()).some((x, i) => Math.abs(x - plain[i]) > 1e-3)).toBe(true);
    const dq = tf.grad((x: Tensor) => tf.sum(tf.scaledDotProductAttention(x, k, v, { dropout: 0.5, seed: 7 })))(q);
    expect(dq.shape).toEqual(q.shape);
  });

  it('rejects bad ranks, mismatched shapes, unbroadcastable masks and no keys, naming the shapes', () => {
    const q = tf.zeros([1, 2, 3, 4]), k = tf.zeros([1, 2, 5, 4]), v = tf.zeros([1, 2, 5, 6]);
    expect(() => tf.scaledDotProductAttention(tf.zeros([2, 3, 4]), k, v)).toThrow(/scaledDotProductAttention: q, k, v must be rank 4.*q \[2,3,4\]/);
    expect(() => tf.scaledDotProductAttention(q, tf.zeros([1, 2, 5, 3]), v)).toThrow(/k must be \[1, 2, Tk, 4\].*k \[1,2,5,3\]/);
    expect(() => tf.scaledDotProductAttention(q, k, tf.zeros([1, 2, 4, 6]))).toThrow(/v must be \[1, 2, 5, Dv\].*v \[1,2,4,6\]/);
    expect(() => tf.scaledDotProductAttention(q, k, v, { mask: tf.ones([3, 4]) })).toThrow(/mask \[3,4\] does not broadcast to \[batch, heads, Tq, Tk\] = \[1,2,3,5\]/);
    expect(() => tf.attentionWeights(q, tf.zeros([1, 2, 0, 4]))).toThrow(/attentionWeights: there must be at least one key/);
    expect(() => tf.scaledDotProductAttention(q, k, v, { dropout: 1 })).toThrow(/dropout must be in \[0, 1\), got 1/);
  });

  it('never allocates the T×T scores: forward and backward at T 2048 stay under 1 MiB per allocation (wasm)', () => {
    if (backendName !== 'wasm') return;
    const runtime = (ENGINE.findBackend('wasm') as unknown as { runtime: Runtime }).runtime;
    const [T, D] = [2048, 8];
    const [q, k, v] = [1, 2, 3].map((seed) => tf.tensor(randomValues(T * D, seed), [1, 1, T, D]));
    // Every buffer the backend allocates and every per-thread scratch block a kernel asks for.
    const alloc = runtime.alloc.bind(runtime);
    const run = runtime.run.bind(runtime);
    let largest = 0;
    const kernels = new Set<string>();
    runtime.alloc = (bytes: number) => { largest = Math.max(largest, bytes); return alloc(bytes); };
    runtime.run = (kernel, args, total, options) => {
      kernels.add(kernel);
      largest = Math.max(largest, options?.workspaceBytes ?? 0);
      run(kernel, args, total, options);
    };
    try {
      tf.tidy(() => {
        tf.grads((a: Tensor, b: Tensor, c: Tensor) => tf.sum(tf.scaledDotProductAttention(a, b, c, { causal: true })))([q, k, v]);
      });
    } finally {
      runtime.alloc = alloc;
      runtime.run = run;
    }
    expect([...kernels]).toEqual(expect.arrayContaining(['attention', 'attentionGradQuery', 'attentionGradKeyValue']));
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThan(2 ** 20); // the scores would take T²·4 = 16 MiB
  });

  it('leaves no tensors behind inside tidy, forward and backward', () => {
    const c = CASES[3];
    const mask = caseMask(c, 500);
    const [q, k, v] = caseInputs(c, 500).map((t) => tf.tensor(t.values, t.shape));
    const m = maskTensor(c, mask);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      tf.scaledDotProductAttention(q, k, v, { mask: m, causal: true });
      tf.grads((a: Tensor, b: Tensor, w: Tensor) => tf.sum(tf.scaledDotProductAttention(a, b, w, { mask: m, causal: true })))([q, k, v]);
      tf.attentionWeights(q, k, { mask: m });
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
