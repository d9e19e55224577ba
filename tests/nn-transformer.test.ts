// transformerEncoder: forward and gradients (inputs and every weight) vs a float64 keras-nlp
// TransformerEncoder written here from the formulas, post-norm and pre-norm, relu and gelu, padding and
// attention masks; bad input; a stacked encoder's save/load; a small transformer classifier that learns.
import { beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend, expectClose, tf, type Tensor } from './helpers.js';
import * as nn from '../src/nn/index.js';
import {
  GRAD_TOL, layerNormRef, mhaRef, ourGradients, paddingMask, read, referenceGradients, toTensor, values,
} from './nn-attention-reference.js';

/** erf in float64: its Taylor series below |x| = 2, Abramowitz–Stegun 7.1.26 (error < 1.5e-7) above. */
function erf(x: number): number {
  const sign = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  let y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  if (a < 2) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 60; n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    y = (2 / Math.sqrt(Math.PI)) * sum;
  }
  return sign * y;
}

const ACTIVATIONS: Record<string, (x: number) => number> = {
  relu: (x) => Math.max(0, x),
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
};

interface EncoderCase {
  batch: number; steps: number; width: number; heads: number; intermediate: number;
  normalizeFirst: boolean; activation: 'relu' | 'gelu';
  /** Padding from upstream (kwargs.mask) or from the paddingMask kwarg. */
  lengths?: number[]; paddingAs?: 'mask' | 'paddingMask';
  /** An explicit [B, T, T] attentionMask (a band: |i − j| <= 2). */
  band?: boolean;
  gradients?: boolean;
}

/** keras-nlp TransformerEncoder in float64; params in the layer's weight order. */
function encoderRef(c: EncoderCase, x: Float64Array, params: Float64Array[], allowed: (b: number, i: number, j: number) => boolean): Float64Array {
  const [wq, bq, wk, bk, wv, bv, wo, bo, g1, b1, g2, b2, w1, c1, w2, c2] = params;
  const { batch, steps, width, heads, intermediate } = c;
  const keyDim = width / heads;
  const shape = [batch, steps, width];
  const norm = (h: Float64Array, gamma: Float64Array, beta: Float64Array) => layerNormRef(h, shape, [2], gamma, beta, 1e-5);
  const attention = (h: Float64Array) => mhaRef(
    { batch, tq: steps, tk: steps, dq: width, dk: width, dv: width, heads, keyDim, valueDim: keyDim, outDim: width, useBias: true, allowed },
    [h, h, h, wq, bq, wk, bk, wv, bv, wo, bo],
  ).out;
  const dense = (h: Float64Array, w: Float64Array, bias: Float64Array, inDim: number, outDim: number, act: (v: number) => number) => {
    const rows = h.length / inDim;
    const out = new Float64Array(rows * outDim);
    for (let r = 0; r < rows; r++) for (let o = 0; o < outDim; o++) {
      let acc = bias[o];
      for (let i = 0; i < inDim; i++) acc += h[r * inDim + i] * w[i * outDim + o];
      out[r * outDim + o] = act(acc);
    }
    return out;
  };
  const add = (a: Float64Array, b: Float64Array) => a.map((v, i) => v + b[i]);
  let h: Float64Array = add(attention(c.normalizeFirst ? norm(x, g1, b1) : x), x);
  if (!c.normalizeFirst) h = norm(h, g1, b1);
  const residual = h;
  const ff = dense(dense(c.normalizeFirst ? norm(h, g2, b2) : h, w1, c1, width, intermediate, ACTIVATIONS[c.activation]), w2, c2, intermediate, width, (v) => v);
  h = add(ff, residual);
  return c.normalizeFirst ? h : norm(h, g2, b2);
}

function runEncoderCase(c: EncoderCase): void {
  const layer = nn.layers.transformerEncoder({
    intermediateDim: c.intermediate, numHeads: c.heads, activation: c.activation, normalizeFirst: c.normalizeFirst,
  });
  const shape = [c.batch, c.steps, c.width];
  const xValues = values(shape, 1, -2, 2);
  const x = toTensor(xValues, shape);
  const padding = c.lengths ? paddingMask(c.lengths, c.steps) : null;
  const inBand = (i: number, j: number) => Math.abs(i - j) <= 2;
  const band = c.band
    ? tf.tensor(Array.from({ length: c.batch * c.steps * c.steps }, (_, n) => (inBand(Math.floor(n / c.steps) % c.steps, n % c.steps) ? 1 : 0)), [c.batch, c.steps, c.steps])
    : null;
  const kwargs: nn.TransformerEncoderCallArgs = { attentionMask: band };
  if (padding) kwargs[c.paddingAs === 'paddingMask' ? 'paddingMask' : 'mask'] = padding.tensor;
  tf.dispose(layer.apply(x, kwargs) as Tensor);
  // Gamma/beta near 1/0 but not equal, so a swapped or skipped norm parameter shows.
  const weights = layer.weights.map((w, i) => {
    const isGamma = w.originalName.endsWith('gamma');
    return toTensor(values(w.shape, 30 + i, isGamma ? 0.7 : -0.5, isGamma ? 1.3 : 0.5), w.shape);
  });
  layer.setWeights(weights);
  const allowed = (b: number, i: number, j: number) => (!padding || padding.valid(b, j)) && (!band || inBand(i, j));
  const weightValues = weights.map(read);
  const y = layer.apply(x, kwargs) as Tensor;
  expect(y.shape).toEqual(shape);
  expectClose(read(y), encoderRef(c, xValues, weightValues, allowed), { rtol: 2e-4, atol: 2e-5 });
  const [same, scores] = layer.apply(x, { ...kwargs, returnAttentionScores: true } as nn.CallArgs) as unknown as Tensor[];
  expectClose(same.dataSync(), y.dataSync(), { rtol: 1e-5, atol: 1e-6 });
  expect(scores.shape).toEqual([c.batch, c.heads, c.steps, c.steps]);
  // Each query's probabilities sum to 1 and vanish on the keys it may not attend (unless none is allowed).
  const probabilities = scores.dataSync();
  for (let b = 0; b < c.batch; b++) for (let h = 0; h < c.heads; h++) for (let i = 0; i < c.steps; i++) {
    const row = Array.from(probabilities.subarray(((b * c.heads + h) * c.steps + i) * c.steps, ((b * c.heads + h) * c.steps + i + 1) * c.steps));
    expect(Math.abs(row.reduce((a, v) => a + v, 0) - 1)).toBeLessThan(1e-5);
    const anyAllowed = row.some((_, j) => allowed(b, i, j));
    row.forEach((v, j) => { if (anyAllowed && !allowed(b, i, j)) expect(v).toBe(0); });
  }
  tf.dispose([same, scores]);
  if (c.gradients) {
    const ours = ourGradients(layer, [x], ([input]) => layer.apply(input, kwargs) as Tensor);
    const expected = referenceGradients(([input, ...ps]) => encoderRef(c, input, ps, allowed), [xValues, ...weightValues]);
    expect(ours.length).toBe(expected.length);
    ours.forEach((g, i) => expectClose(g, expected[i], GRAD_TOL));
  }
  tf.dispose([x, y, ...weights, ...(padding ? [padding.tensor] : []), ...(band ? [band] : [])]);
  layer.dispose();
}

describeEachBackend('transformerEncoder vs a float64 keras-nlp reference', () => {
  const cases: EncoderCase[] = [
    { batch: 2, steps: 7, width: 6, heads: 3, intermediate: 5, normalizeFirst: false, activation: 'relu', lengths: [7, 4], gradients: true },
    { batch: 1, steps: 1, width: 4, heads: 1, intermediate: 3, normalizeFirst: true, activation: 'gelu', gradients: true },
    { batch: 2, steps: 5, width: 6, heads: 2, intermediate: 7, normalizeFirst: true, activation: 'relu', lengths: [2, 5], paddingAs: 'paddingMask', band: true, gradients: true },
    { batch: 2, steps: 33, width: 16, heads: 8, intermediate: 12, normalizeFirst: false, activation: 'gelu', lengths: [33, 20], band: true },
  ];
  for (const c of cases) it(JSON.stringify(c), () => runEncoderCase(c));

  it('weights come in keras-nlp order with scoped names, and freeze with the block', () => {
    const layer = nn.layers.transformerEncoder({ intermediateDim: 8, numHeads: 2, name: 'enc' });
    tf.dispose(layer.apply(tf.zeros([1, 3, 4])) as Tensor);
    expect(layer.weights.map((w) => w.originalName)).toEqual([
      ...['query', 'key', 'value', 'attention_output'].flatMap((p) => [`enc/self_attention/${p}/kernel`, `enc/self_attention/${p}/bias`]),
      'enc/self_attention_layer_norm/gamma', 'enc/self_attention_layer_norm/beta',
      'enc/feedforward_layer_norm/gamma', 'enc/feedforward_layer_norm/beta',
      'enc/feedforward_intermediate_dense/kernel', 'enc/feedforward_intermediate_dense/bias',
      'enc/feedforward_output_dense/kernel', 'enc/feedforward_output_dense/bias',
    ]);
    expect(layer.weights[0].shape).toEqual([4, 2, 2]);
    layer.trainable = false;
    expect(layer.trainableWeights).toEqual([]);
    expect(layer.nonTrainableWeights.length).toBe(16);
    layer.dispose();
  });

  it('apply, gradients and returned scores leave no tensors behind', () => {
    const layer = nn.layers.transformerEncoder({ intermediateDim: 8, numHeads: 2, dropout: 0.2 });
    const attention = nn.layers.multiHeadAttention({ numHeads: 2, keyDim: 3 });
    const x = toTensor(values([2, 5, 6], 3), [2, 5, 6]);
    const mask = paddingMask([5, 2], 5).tensor;
    tf.dispose([layer.apply(x) as Tensor, attention.apply([x, x]) as Tensor]);
    const before = tf.memory().numTensors;
    tf.dispose(layer.apply(x, { training: true, paddingMask: mask } as nn.CallArgs) as Tensor);
    tf.dispose(attention.apply([x, x], { returnAttentionScores: true, useCausalMask: true } as nn.CallArgs) as Tensor[]);
    const weights = [...layer.trainableWeights, ...attention.trainableWeights].map((w) => w.read());
    const { value, grads } = tf.variableGrads(
      () => tf.add(tf.sum(layer.apply(x, { training: true, paddingMask: mask } as nn.CallArgs) as Tensor), tf.sum(attention.apply([x, x]) as Tensor)) as never,
      weights,
    );
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, mask]);
    layer.dispose();
    attention.dispose();
  });

  it('bad input: clear Errors naming the layer and shapes', () => {
    const layer = nn.layers.transformerEncoder({ intermediateDim: 8, numHeads: 3, name: 'enc_bad' });
    expect(() => layer.apply(tf.zeros([2, 4, 10]))).toThrow(/TransformerEncoder 'enc_bad': the model width 10 \(input \[2,4,10\]\) is not divisible by numHeads 3/);
    const ok = nn.layers.transformerEncoder({ intermediateDim: 8, numHeads: 2, name: 'enc_mask' });
    tf.tidy(() => {
      const x = tf.zeros([2, 4, 6]);
      ok.apply(x);
      expect(() => ok.apply(x, { paddingMask: tf.ones([2, 5]) } as nn.TransformerEncoderCallArgs)).toThrow(/enc_mask.*padding mask must be \[batch, steps\] = \[2,4\], got \[2,5\]/);
      expect(() => ok.apply(x, { attentionMask: tf.ones([2, 4]) } as nn.TransformerEncoderCallArgs)).toThrow(/enc_mask.*attentionMask must be \[batch, steps, steps\] = \[2,4,4\], got \[2,4\]/);
      expect(() => ok.apply(tf.zeros([2, 4, 8]))).toThrow(/enc_mask.*built for 6 features, got input \[2,4,8\]/);
    });
    expect(() => nn.layers.transformerEncoder({ intermediateDim: 0, numHeads: 2 })).toThrow(/intermediateDim must be a positive integer/);
  });
});

describe('a transformer model', () => {
  beforeAll(async () => { await tf.setBackend('wasm'); });
  it('two stacked encoders in a Sequential model save and load with the same predictions', async () => {
    const model = nn.sequential({
      layers: [
        nn.layers.dense({ units: 8, inputShape: [5, 3] }),
        nn.layers.sinusoidalPositionEncoding({ addToInput: true }),
        nn.layers.transformerEncoder({ intermediateDim: 16, numHeads: 2, activation: 'gelu' }),
        nn.layers.transformerEncoder({ intermediateDim: 16, numHeads: 4, normalizeFirst: true, dropout: 0.1 }),
        nn.layers.globalAveragePooling1d(),
        nn.layers.dense({ units: 2 }),
      ],
    });
    let artifacts: unknown;
    await model.save(nn.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await nn.loadLayersModel(nn.io.fromMemory(artifacts as never));
    const x = toTensor(values([3, 5, 3], 2), [3, 5, 3]);
    const a = model.predict(x) as Tensor;
    const b = loaded.predict(x) as Tensor;
    expect(b.shape).toEqual([3, 2]);
    expectClose(b.dataSync(), a.dataSync(), { rtol: 0, atol: 0 });
    tf.dispose([x, a, b]);
    model.dispose();
    loaded.dispose();
  });

  it('embedding maskZero masks padded tokens through the encoders: real positions ignore how much padding follows', () => {
    const model = nn.sequential({
      layers: [
        nn.layers.embedding({ inputDim: 10, outputDim: 8, maskZero: true, inputShape: [null] }),
        nn.layers.sinusoidalPositionEncoding({ addToInput: true }),
        nn.layers.transformerEncoder({ intermediateDim: 12, numHeads: 2 }),
        nn.layers.transformerEncoder({ intermediateDim: 12, numHeads: 4, normalizeFirst: true }),
      ],
    });
    tf.tidy(() => {
      const short = model.predict(tf.tensor([[5, 3, 7, 0], [2, 0, 0, 0]], [2, 4], 'int32')) as Tensor;
      const long = model.predict(tf.tensor([[5, 3, 7, 0, 0, 0, 0], [2, 0, 0, 0, 0, 0, 0]], [2, 7], 'int32')) as Tensor;
      const realSteps = (t: Tensor, lengths: number[]) => lengths.map((n, b) => tf.slice(t, [b, 0, 0], [1, n, 8]).dataSync());
      const [a0, a1] = realSteps(short, [3, 1]);
      const [b0, b1] = realSteps(long, [3, 1]);
      expectClose(b0, a0, { rtol: 1e-5, atol: 1e-5 });
      expectClose(b1, a1, { rtol: 1e-5, atol: 1e-5 });
      // Without the mask the padding is attended, and the same positions change.
      const unmasked = nn.sequential({ layers: [nn.layers.inputLayer({ inputShape: [null, 8] }), model.layers[2], model.layers[3]] });
      const embed = (ids: number[][]) => model.layers[1].apply(model.layers[0].apply(tf.tensor(ids, [ids.length, ids[0].length], 'int32')) as Tensor) as Tensor;
      const free = unmasked.predict(embed([[5, 3, 7, 0], [2, 0, 0, 0]])) as Tensor;
      expect(Math.max(...Array.from(free.dataSync()).map((v, i) => Math.abs(v - short.dataSync()[i])))).toBeGreaterThan(1e-3);
    });
    model.dispose();
  });

  it('a small transformer classifier fit lowers the loss and learns an order-dependent task (held-out accuracy)', async () => {
    // Label: does the marker (feature 0 large) come before the other marker (feature 1 large)?
    // Only attention across steps can compare positions; a per-step model averaged over time cannot.
    const samples = 256;
    const trainSamples = 192;
    const steps = 6;
    const features = 3;
    const xs = new Float32Array(samples * steps * features);
    const ys = new Float32Array(samples);
    const rand = values([samples * 3], 77, 0, 1);
    for (let s = 0; s < samples; s++) {
      const first = Math.floor(rand[3 * s] * steps);
      let second = Math.floor(rand[3 * s + 1] * (steps - 1));
      if (second >= first) second++;
      xs[(s * steps + first) * features] = 1;
      xs[(s * steps + second) * features + 1] = 1;
      for (let t = 0; t < steps; t++) xs[(s * steps + t) * features + 2] = rand[3 * s + 2] - 0.5;
      ys[s] = first < second ? 1 : 0;
    }
    tf.setRandomSeed(5);
    const model = nn.sequential({
      layers: [
        nn.layers.dense({ units: 8, inputShape: [steps, features] }),
        nn.layers.sinusoidalPositionEncoding({ addToInput: true }),
        nn.layers.transformerEncoder({ intermediateDim: 16, numHeads: 2, dropout: 0.1 }),
        nn.layers.globalAveragePooling1d(),
        nn.layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const x = tf.tensor(xs.subarray(0, trainSamples * steps * features), [trainSamples, steps, features]);
    const y = tf.tensor(ys.subarray(0, trainSamples), [trainSamples, 1]);
    const history = await model.fit(x, y, { epochs: 20, batchSize: 32, verbose: 0 });
    const losses = history.history.loss as number[];
    expect(losses[losses.length - 1]).toBeLessThan(0.5 * losses[0]);
    const heldOut = samples - trainSamples;
    const testX = tf.tensor(xs.subarray(trainSamples * steps * features), [heldOut, steps, features]);
    const predicted = model.predict(testX) as Tensor;
    const predictions = predicted.dataSync();
    const correct = Array.from(predictions).filter((p, i) => (p > 0.5 ? 1 : 0) === ys[trainSamples + i]).length;
    expect(correct / heldOut).toBeGreaterThan(0.9);
    tf.dispose([x, y, testX, predicted]);
    model.dispose();
  });
});
