// A plain-TypeScript float64 BERT written from the formulas (Hugging Face's BertModel, post-norm), on
// weights stored with Hugging Face names and layouts (Linear weight [out, in]); the oracle of
// tests/models-bert.test.ts. Also writes such weights as a Hugging Face folder.
import { randomValues } from './random.js';

export interface TinyConfig {
  vocab: number; hidden: number; layers: number; heads: number; intermediate: number; positions: number; types: number;
  eps: number;
}

/** name → { shape, values (float64) } in Hugging Face layout. */
export type HfWeights = Map<string, { shape: number[]; values: Float64Array }>;

/** Random Hugging Face BERT weights; gammas near 1, biases small. `legacyNorm` names layer norms gamma/beta. */
export function randomHfWeights(c: TinyConfig, seed: number, { mlm = true, classifierLabels = 0, legacyNorm = false } = {}): HfWeights {
  const weights: HfWeights = new Map();
  let next = seed;
  const put = (name: string, shape: number[], low = -0.5, high = 0.5) => {
    const n = shape.reduce((p, d) => p * d, 1);
    weights.set(name, { shape, values: Float64Array.from(randomValues(n, next++, low, high)) });
  };
  const linear = (prefix: string, out: number, inp: number) => {
    put(`${prefix}.weight`, [out, inp]);
    put(`${prefix}.bias`, [out], -0.1, 0.1);
  };
  const norm = (prefix: string) => {
    put(`${prefix}.${legacyNorm ? 'gamma' : 'weight'}`, [c.hidden], 0.8, 1.2);
    put(`${prefix}.${legacyNorm ? 'beta' : 'bias'}`, [c.hidden], -0.1, 0.1);
  };
  put('bert.embeddings.word_embeddings.weight', [c.vocab, c.hidden], -1, 1);
  put('bert.embeddings.position_embeddings.weight', [c.positions, c.hidden], -1, 1);
  put('bert.embeddings.token_type_embeddings.weight', [c.types, c.hidden], -1, 1);
  norm('bert.embeddings.LayerNorm');
  for (let l = 0; l < c.layers; l++) {
    const p = `bert.encoder.layer.${l}`;
    for (const part of ['query', 'key', 'value']) linear(`${p}.attention.self.${part}`, c.hidden, c.hidden);
    linear(`${p}.attention.output.dense`, c.hidden, c.hidden);
    norm(`${p}.attention.output.LayerNorm`);
    linear(`${p}.intermediate.dense`, c.intermediate, c.hidden);
    linear(`${p}.output.dense`, c.hidden, c.intermediate);
    norm(`${p}.output.LayerNorm`);
  }
  linear('bert.pooler.dense', c.hidden, c.hidden);
  if (mlm) {
    linear('cls.predictions.transform.dense', c.hidden, c.hidden);
    norm('cls.predictions.transform.LayerNorm');
    put('cls.predictions.bias', [c.vocab], -0.1, 0.1);
  }
  if (classifierLabels > 0) linear('classifier', classifierLabels, c.hidden);
  return weights;
}

/** erf: its Maclaurin series below 3, the asymptotic expansion of erfc above. */
function erf(x: number): number {
  const a = Math.abs(x);
  if (a < 3) {
    let term = a;
    let total = a;
    for (let n = 1; n < 80; n++) {
      term *= (-a * a) / n;
      total += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * total;
  }
  const inv = 1 / (2 * a * a);
  const series = 1 - inv + 3 * inv * inv - 15 * inv * inv * inv + 105 * inv ** 4;
  return Math.sign(x) * (1 - (Math.exp(-a * a) / (a * Math.sqrt(Math.PI))) * series);
}
export const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));

type Matrix = { rows: number; cols: number; v: Float64Array };

function get(w: HfWeights, name: string): Float64Array {
  const found = w.get(name) ?? w.get(name.replace(/\.weight$/, '.gamma')) ?? w.get(name.replace(/\.bias$/, '.beta'));
  if (!found) throw new Error(`reference: no weight ${name}`);
  return found.values;
}

/** x [rows, in] · Wᵀ + b with W [out, in] (torch Linear). */
function linear(w: HfWeights, prefix: string, x: Matrix, act: (v: number) => number = (v) => v): Matrix {
  const W = get(w, `${prefix}.weight`);
  const b = get(w, `${prefix}.bias`);
  const out = b.length;
  const y = new Float64Array(x.rows * out);
  for (let r = 0; r < x.rows; r++) {
    for (let o = 0; o < out; o++) {
      let s = b[o];
      for (let i = 0; i < x.cols; i++) s += x.v[r * x.cols + i] * W[o * x.cols + i];
      y[r * out + o] = act(s);
    }
  }
  return { rows: x.rows, cols: out, v: y };
}

function layerNorm(w: HfWeights, prefix: string, x: Matrix, eps: number): Matrix {
  const g = get(w, `${prefix}.weight`);
  const b = get(w, `${prefix}.bias`);
  const y = new Float64Array(x.v.length);
  for (let r = 0; r < x.rows; r++) {
    const row = x.v.subarray(r * x.cols, (r + 1) * x.cols);
    const mean = row.reduce((s, v) => s + v, 0) / x.cols;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / x.cols;
    for (let i = 0; i < x.cols; i++) y[r * x.cols + i] = ((row[i] - mean) / Math.sqrt(variance + eps)) * g[i] + b[i];
  }
  return { rows: x.rows, cols: x.cols, v: y };
}

const addMatrices = (a: Matrix, b: Matrix): Matrix => ({ rows: a.rows, cols: a.cols, v: a.v.map((v, i) => v + b.v[i]) });

export interface ReferenceOutputs {
  /** [B, T, H] flat. */
  hidden: Float64Array;
  /** [B, H]. */
  pooled: Float64Array;
  /** [B, labels] when the weights have a classifier. */
  classifierLogits: Float64Array | null;
  /** [B, T, V] when the weights have an MLM head. */
  mlmLogits: Float64Array | null;
}

/** The forward pass; mask [B][T] 1 = real token (keys with 0 get -∞ scores). */
export function referenceBert(w: HfWeights, c: TinyConfig, ids: number[][], types: number[][], mask: number[][]): ReferenceOutputs {
  const B = ids.length;
  const T = ids[0].length;
  const H = c.hidden;
  const D = H / c.heads;
  const word = get(w, 'bert.embeddings.word_embeddings.weight');
  const pos = get(w, 'bert.embeddings.position_embeddings.weight');
  const type = get(w, 'bert.embeddings.token_type_embeddings.weight');
  const embedded = new Float64Array(B * T * H);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let h = 0; h < H; h++) {
    embedded[(b * T + t) * H + h] = word[ids[b][t] * H + h] + pos[t * H + h] + type[types[b][t] * H + h];
  }
  let x = layerNorm(w, 'bert.embeddings.LayerNorm', { rows: B * T, cols: H, v: embedded }, c.eps);
  for (let l = 0; l < c.layers; l++) {
    const p = `bert.encoder.layer.${l}`;
    const q = linear(w, `${p}.attention.self.query`, x);
    const k = linear(w, `${p}.attention.self.key`, x);
    const v = linear(w, `${p}.attention.self.value`, x);
    const context = new Float64Array(B * T * H);
    for (let b = 0; b < B; b++) for (let head = 0; head < c.heads; head++) for (let i = 0; i < T; i++) {
      const scores: number[] = [];
      for (let j = 0; j < T; j++) {
        let s = 0;
        for (let d = 0; d < D; d++) s += q.v[(b * T + i) * H + head * D + d] * k.v[(b * T + j) * H + head * D + d];
        scores.push(mask[b][j] ? s / Math.sqrt(D) : -Infinity);
      }
      const top = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - top));
      const z = e.reduce((s, val) => s + val, 0);
      for (let d = 0; d < D; d++) {
        let s = 0;
        for (let j = 0; j < T; j++) s += (e[j] / z) * v.v[(b * T + j) * H + head * D + d];
        context[(b * T + i) * H + head * D + d] = s;
      }
    }
    const attended = linear(w, `${p}.attention.output.dense`, { rows: B * T, cols: H, v: context });
    const h = layerNorm(w, `${p}.attention.output.LayerNorm`, addMatrices(attended, x), c.eps);
    const fed = linear(w, `${p}.output.dense`, linear(w, `${p}.intermediate.dense`, h, gelu));
    x = layerNorm(w, `${p}.output.LayerNorm`, addMatrices(fed, h), c.eps);
  }
  const first = new Float64Array(B * H);
  for (let b = 0; b < B; b++) first.set(x.v.subarray(b * T * H, b * T * H + H), b * H);
  const pooled = linear(w, 'bert.pooler.dense', { rows: B, cols: H, v: first }, Math.tanh);
  const classifierLogits = w.has('classifier.weight') ? linear(w, 'classifier', pooled).v : null;
  let mlmLogits: Float64Array | null = null;
  if (w.has('cls.predictions.bias')) {
    const transformed = layerNorm(w, 'cls.predictions.transform.LayerNorm', linear(w, 'cls.predictions.transform.dense', x, gelu), c.eps);
    const bias = get(w, 'cls.predictions.bias');
    mlmLogits = new Float64Array(B * T * c.vocab);
    for (let r = 0; r < B * T; r++) for (let o = 0; o < c.vocab; o++) {
      let s = bias[o];
      for (let i = 0; i < H; i++) s += transformed.v[r * H + i] * word[o * H + i];
      mlmLogits[r * c.vocab + o] = s;
    }
  }
  return { hidden: x.v, pooled: pooled.v, classifierLogits, mlmLogits };
}
