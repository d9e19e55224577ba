// Float64 references for the attention-family layer tests, written from the formulas (Keras Attention,
// MultiHeadAttention, layer norm), plus central differences of them and our layers' gradients.
import { randomValues, tf, type Tensor } from './helpers.js';
import type * as nn from '../src/nn/index.js';

export const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);
export const values = (shape: number[], seed: number, low = -1, high = 1) => Float64Array.from(randomValues(size(shape), seed, low, high));
export const toTensor = (v: ArrayLike<number>, shape: number[]) => tf.tensor(Array.from(v), shape);
export const read = (t: Tensor) => Float64Array.from(t.dataSync() as Float32Array);
/** The fixed loss weighting sum(y · w) both sides differentiate: checks every output element. */
export const lossWeights = (n: number) => Float64Array.from({ length: n }, (_, i) => 0.5 + ((i * 7) % 11) / 10);

/** Central differences (float64) of sum(f(params) · weights) w.r.t. every entry of every parameter. */
export function referenceGradients(f: (params: Float64Array[]) => Float64Array, params: Float64Array[], eps = 1e-5): Float64Array[] {
  const loss = (ps: Float64Array[]) => {
    const y = f(ps);
    const w = lossWeights(y.length);
    return y.reduce((total, v, i) => total + v * w[i], 0);
  };
  return params.map((p, which) => {
    const grad = new Float64Array(p.length);
    for (let i = 0; i < p.length; i++) {
      const copy = params.map((q) => q.slice());
      copy[which][i] = p[i] + eps;
      const plus = loss(copy);
      copy[which][i] = p[i] - eps;
      grad[i] = (plus - loss(copy)) / (2 * eps);
    }
    return grad;
  });
}

/** Our gradients of sum(layerOutput · weights) w.r.t. the inputs and the layer's trainable weights. */
export function ourGradients(layer: nn.Layer, inputs: Tensor[], run: (xs: Tensor[]) => Tensor): Float64Array[] {
  return tf.tidy(() => {
    const loss = (...xs: Tensor[]) => {
      const y = run(xs);
      return tf.sum(tf.mul(y, tf.tensor(Array.from(lossWeights(y.size)), y.shape)));
    };
    const inputGrads = inputs.length ? tf.grads(loss)(inputs).map(read) : [];
    const { grads } = tf.variableGrads(() => loss(...inputs) as never, layer.trainableWeights.map((w) => w.read()));
    return [...inputGrads, ...layer.trainableWeights.map((w) => read(grads[w.name]))];
  });
}

export const GRAD_TOL = { rtol: 2e-3, atol: 2e-4 };

// --- float64 references -------------------------------------------------------------------------------

/**
 * A masked score. Keras adds -1e9, which in float32 swamps the score: a fully masked row comes out
 * uniform, which float64 arithmetic would not reproduce with s − 1e9, so the reference uses -1e9 itself.
 */
const MASKED = -1e9;

export function softmaxRow(scores: number[]): number[] {
  const max = Math.max(...scores);
  const e = scores.map((s) => Math.exp(s - max));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / total);
}

/** x [T, D] (row-major, one sample) · kernel [D, H, K] + bias [H, K] → [H][T][K]. */
export function projectRef(x: Float64Array, offset: number, steps: number, features: number, kernel: Float64Array, bias: Float64Array | null, heads: number, dim: number): number[][][] {
  const out: number[][][] = [];
  for (let h = 0; h < heads; h++) {
    out.push([]);
    for (let t = 0; t < steps; t++) {
      const row: number[] = [];
      for (let k = 0; k < dim; k++) {
        let acc = bias ? bias[h * dim + k] : 0;
        for (let d = 0; d < features; d++) acc += x[offset + t * features + d] * kernel[(d * heads + h) * dim + k];
        row.push(acc);
      }
      out[h].push(row);
    }
  }
  return out;
}

export interface MhaRefConfig {
  batch: number; tq: number; tk: number; dq: number; dk: number; dv: number;
  heads: number; keyDim: number; valueDim: number; outDim: number; useBias: boolean;
  /** may query i of sample b attend key j? */
  allowed?: (b: number, i: number, j: number) => boolean;
}

/** Keras MultiHeadAttention in float64: returns output [B, Tq, O] and probabilities [B, H, Tq, Tk]. */
export function mhaRef(c: MhaRefConfig, [query, value, key, wq, bq, wk, bk, wv, bv, wo, bo]: Float64Array[]) {
  const out = new Float64Array(c.batch * c.tq * c.outDim);
  const probs = new Float64Array(c.batch * c.heads * c.tq * c.tk);
  for (let b = 0; b < c.batch; b++) {
    const q = projectRef(query, b * c.tq * c.dq, c.tq, c.dq, wq, c.useBias ? bq : null, c.heads, c.keyDim);
    const k = projectRef(key, b * c.tk * c.dk, c.tk, c.dk, wk, c.useBias ? bk : null, c.heads, c.keyDim);
    const v = projectRef(value, b * c.tk * c.dv, c.tk, c.dv, wv, c.useBias ? bv : null, c.heads, c.valueDim);
    for (let i = 0; i < c.tq; i++) {
      const headOutputs: number[][] = [];
      for (let h = 0; h < c.heads; h++) {
        const scores = k[h].map((kj, j) => {
          const s = q[h][i].reduce((acc, qi, d) => acc + qi * kj[d], 0) / Math.sqrt(c.keyDim);
          return c.allowed && !c.allowed(b, i, j) ? MASKED : s;
        });
        const p = softmaxRow(scores);
        p.forEach((pj, j) => { probs[((b * c.heads + h) * c.tq + i) * c.tk + j] = pj; });
        headOutputs.push(Array.from({ length: c.valueDim }, (_, d) => p.reduce((acc, pj, j) => acc + pj * v[h][j][d], 0)));
      }
      for (let o = 0; o < c.outDim; o++) {
        let acc = c.useBias ? bo[o] : 0;
        for (let h = 0; h < c.heads; h++) for (let d = 0; d < c.valueDim; d++) acc += headOutputs[h][d] * wo[(h * c.valueDim + d) * c.outDim + o];
        out[(b * c.tq + i) * c.outDim + o] = acc;
      }
    }
  }
  return { out, probs };
}

export interface AttentionRefConfig {
  batch: number; tq: number; tk: number; d: number; dv: number;
  scoreMode: 'dot' | 'concat';
  allowed?: (b: number, i: number, j: number) => boolean;
  queryMask?: (b: number, i: number) => boolean;
}

/** Keras Attention in float64. params: query, value, key, then scale and concat weight when used. */
export function attentionRef(c: AttentionRefConfig, [query, value, key, scale, concatWeight]: (Float64Array | undefined)[]) {
  const out = new Float64Array(c.batch * c.tq * c.dv);
  for (let b = 0; b < c.batch; b++) {
    for (let i = 0; i < c.tq; i++) {
      const scores: number[] = [];
      for (let j = 0; j < c.tk; j++) {
        let s = 0;
        for (let d = 0; d < c.d; d++) {
          const qv = query![(b * c.tq + i) * c.d + d];
          const kv = key![(b * c.tk + j) * c.d + d];
          s += c.scoreMode === 'dot' ? qv * kv : Math.tanh((scale ? scale[0] : 1) * (qv + kv));
        }
        if (c.scoreMode === 'dot' && scale) s *= scale[0];
        if (c.scoreMode === 'concat') s *= concatWeight![0];
        scores.push(c.allowed && !c.allowed(b, i, j) ? MASKED : s);
      }
      const p = softmaxRow(scores);
      const keep = c.queryMask && !c.queryMask(b, i) ? 0 : 1;
      for (let d = 0; d < c.dv; d++) {
        out[(b * c.tq + i) * c.dv + d] = keep * p.reduce((acc, pj, j) => acc + pj * value![(b * c.tk + j) * c.dv + d], 0);
      }
    }
  }
  return out;
}

/** layer norm in float64 over `axes` of x (shape), gamma/beta laid out over those axes. */
export function layerNormRef(x: Float64Array, shape: number[], axes: number[], gamma: Float64Array | null, beta: Float64Array | null, epsilon: number): Float64Array {
  const strides = shape.map((_, i) => size(shape.slice(i + 1)));
  const groups = new Map<number, number[]>();
  for (let n = 0; n < x.length; n++) {
    const index = shape.map((d, i) => Math.floor(n / strides[i]) % d);
    const group = index.reduce((key, v, i) => (axes.includes(i) ? key : key * shape[i] + v), 0);
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group)!.push(n);
  }
  const out = new Float64Array(x.length);
  for (const members of groups.values()) {
    const mean = members.reduce((a, n) => a + x[n], 0) / members.length;
    const variance = members.reduce((a, n) => a + (x[n] - mean) ** 2, 0) / members.length;
    members.forEach((n, p) => {
      out[n] = ((x[n] - mean) / Math.sqrt(variance + epsilon)) * (gamma ? gamma[p] : 1) + (beta ? beta[p] : 0);
    });
  }
  return out;
}

/** A [B, T] 0/1 padding mask: sample b keeps its first lengths[b] steps. */
export function paddingMask(lengths: number[], steps: number): { tensor: Tensor; valid: (b: number, t: number) => boolean } {
  const valid = (b: number, t: number) => t < lengths[b];
  const data = lengths.flatMap((_, b) => Array.from({ length: steps }, (_, t) => (valid(b, t) ? 1 : 0)));
  return { tensor: tf.tensor(data, [lengths.length, steps]), valid };
}
