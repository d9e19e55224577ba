// Attention-family layers: layerNormalization vs tfjs-layers; attention, multiHeadAttention and the
// position layers vs plain float64 references written here from the formulas (tfjs has none of them),
// forward and gradients (finite differences of the float64 reference), masks, bad input, save/load.
import { beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend, expectClose, loadTfjs, tf, type Tensor } from './helpers.js';
import * as nn from '../src/nn/index.js';
import {
  attentionRef, AttentionRefConfig, GRAD_TOL, layerNormRef, lossWeights, mhaRef, MhaRefConfig, ourGradients, paddingMask, read,
  referenceGradients, toTensor, values,
} from './nn-attention-reference.js';

const tfjs = await loadTfjs();
type TfjsTensor = ReturnType<typeof tfjs.tensor>;

// --- layerNormalization ----------------------------------------------------------------------------------

describe('layerNormalization vs tfjs-layers', () => {
  const cases: { shape: number[]; args: nn.LayerArgs & Record<string, unknown> }[] = [
    { shape: [2, 7, 5], args: {} },
    { shape: [3, 33], args: { epsilon: 1e-5 } },
    { shape: [2, 1, 3], args: { center: false } },
    { shape: [2, 3, 4], args: { scale: false, center: false } },
    { shape: [2, 3, 4], args: { axis: [1, 2] } },
    { shape: [2, 3, 4], args: { axis: 1 } },
  ];
  for (const { shape, args } of cases) {
    it(`input [${shape}] ${JSON.stringify(args)}: forward and gradients w.r.t. x, gamma, beta`, () => {
      const ours = nn.layers.layerNormalization(args);
      const theirs = tfjs.layers.layerNormalization(args as never);
      const x = toTensor(values(shape, 3, -2, 2), shape);
      tf.dispose(ours.apply(x) as Tensor);
      tfjs.dispose(theirs.apply(tfjs.zeros(shape)) as TfjsTensor);
      // Non-trivial gamma/beta so their gradients and effect show.
      const weights = ours.weights.map((w, i) => toTensor(values(w.shape, 10 + i, 0.5, 1.5), w.shape));
      ours.setWeights(weights);
      theirs.setWeights(weights.map((w) => tfjs.tensor(Array.from(w.dataSync()), w.shape)));
      const theirX = tfjs.tensor(Array.from(x.dataSync()), shape);
      const y = ours.apply(x) as Tensor;
      expectClose(y.dataSync(), (theirs.apply(theirX) as TfjsTensor).dataSync(), { rtol: 1e-4, atol: 1e-5 });
      const ourGrads = ourGradients(ours, [x], ([input]) => ours.apply(input) as Tensor);
      const axes = (Array.isArray(args.axis) ? args.axis : [args.axis ?? -1]).map((a) => (a < 0 ? a + shape.length : a));
      const [gamma, beta] = [args.scale === false ? null : read(weights[0]), args.center === false ? null : read(weights[args.scale === false ? 0 : 1])];
      const expected = referenceGradients(
        ([input, ...ps]) => layerNormRef(input, shape, axes, args.scale === false ? null : ps[0], args.center === false ? null : ps[args.scale === false ? 0 : 1], (args.epsilon as number) ?? 1e-3),
        [read(x), ...([gamma, beta].filter((p) => p !== null) as Float64Array[])],
      );
      ourGrads.forEach((g, i) => expectClose(g, expected[i], GRAD_TOL));
      if (args.center !== false && args.scale !== false) {
        // tfjs as a second opinion (its gradient fails without gamma or beta).
        const w = tfjs.tensor(Array.from(lossWeights(y.size)), y.shape);
        const theirLoss = (input: TfjsTensor) => tfjs.sum(tfjs.mul(theirs.apply(input) as TfjsTensor, w)) as never;
        expectClose(ourGrads[0], tfjs.grad(theirLoss)(theirX).dataSync(), GRAD_TOL);
        const theirWeightGrads = tfjs.variableGrads(() => theirLoss(theirX), theirs.trainableWeights.map((v) => (v as unknown as { val: never }).val)).grads;
        theirs.trainableWeights.forEach((v, i) => expectClose(ourGrads[1 + i], theirWeightGrads[v.name].dataSync(), GRAD_TOL));
      }
      expect(ours.computeOutputShape([null, ...shape.slice(1)])).toEqual([null, ...shape.slice(1)]);
      tf.dispose([x, y, ...weights]);
      ours.dispose();
    });
  }

  it('model files move both ways between tfjs-layers and sinew', async () => {
    const theirs = tfjs.sequential({
      layers: [
        tfjs.layers.dense({ units: 6, inputShape: [4, 3] }),
        tfjs.layers.layerNormalization({ epsilon: 1e-4, betaInitializer: 'randomUniform', gammaInitializer: 'randomUniform' }),
        tfjs.layers.layerNormalization({ axis: [1, 2], center: false }),
      ],
    });
    let artifacts: unknown;
    await theirs.save(tfjs.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const ours = await nn.loadLayersModel(nn.io.fromMemory(artifacts as never));
    const x = values([2, 4, 3], 12);
    const expected = (theirs.predict(tfjs.tensor(Array.from(x), [2, 4, 3])) as TfjsTensor).dataSync();
    expectClose((ours.predict(toTensor(x, [2, 4, 3])) as Tensor).dataSync(), expected, { rtol: 1e-4, atol: 1e-5 });
    let back: unknown;
    await ours.save(nn.io.withSaveHandler(async (a) => {
      back = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const reloaded = await tfjs.loadLayersModel(tfjs.io.fromMemory(back as never));
    expectClose((reloaded.predict(tfjs.tensor(Array.from(x), [2, 4, 3])) as TfjsTensor).dataSync(), expected, { rtol: 1e-5, atol: 1e-6 });
    ours.dispose();
  });

  it('refuses an input whose normalized axis changed, naming the layer and shapes', () => {
    const layer = nn.layers.layerNormalization({ name: 'ln_bad' });
    tf.tidy(() => {
      layer.apply(tf.zeros([2, 3, 4]));
      expect(() => layer.apply(tf.zeros([2, 3, 5]))).toThrow(/LayerNormalization 'ln_bad'.*\[4\].*\[2,3,5\]/);
    });
    expect(() => nn.layers.layerNormalization({ axis: 3 }).apply(tf.zeros([2, 3]))).toThrow(/axis \[3\] is out of range.*\[2,3\]/);
  });
});

// --- attention (Keras Attention) ------------------------------------------------------------------------

describe('attention vs a float64 reference', () => {
  const cases = [
    { batch: 2, tq: 7, tk: 5, d: 3, dv: 4, scoreMode: 'dot' as const, useScale: false, withKey: true },
    { batch: 1, tq: 1, tk: 1, d: 1, dv: 1, scoreMode: 'dot' as const, useScale: true, withKey: false },
    { batch: 2, tq: 5, tk: 6, d: 3, dv: 3, scoreMode: 'dot' as const, useScale: true, withKey: false, causal: true, lengths: [6, 3] },
    { batch: 2, tq: 4, tk: 5, d: 3, dv: 2, scoreMode: 'concat' as const, useScale: true, withKey: true, lengths: [2, 5], queryLengths: [4, 1] },
    { batch: 1, tq: 3, tk: 4, d: 2, dv: 2, scoreMode: 'concat' as const, useScale: false, withKey: false, causal: true },
    { batch: 1, tq: 33, tk: 33, d: 2, dv: 3, scoreMode: 'dot' as const, useScale: true, withKey: true, causal: true, lengths: [30] },
  ];
  for (const c of cases) {
    it(`${JSON.stringify(c)}: forward, scores, gradients`, () => {
      const layer = nn.layers.attention({ useScale: c.useScale, scoreMode: c.scoreMode });
      const query = values([c.batch, c.tq, c.d], 1);
      const value = values([c.batch, c.tk, c.dv], 2);
      const key = c.withKey ? values([c.batch, c.tk, c.d], 3) : null;
      const inputs = [toTensor(query, [c.batch, c.tq, c.d]), toTensor(value, [c.batch, c.tk, c.dv])];
      if (key) inputs.push(toTensor(key, [c.batch, c.tk, c.d]));
      const valueMask = c.lengths ? paddingMask(c.lengths, c.tk) : null;
      const queryMask = c.queryLengths ? paddingMask(c.queryLengths, c.tq) : null;
      const mask = valueMask || queryMask ? [queryMask?.tensor ?? null, valueMask?.tensor ?? null] : undefined;
      const kwargs = { mask, useCausalMask: c.causal ?? false };
      tf.dispose(layer.apply(inputs, kwargs) as Tensor);
      // Non-trivial scalar weights.
      const weights = layer.weights.map((w, i) => tf.scalar(0.7 + 0.4 * i));
      layer.setWeights(weights);
      const config: AttentionRefConfig = {
        ...c,
        allowed: (b, i, j) => (!valueMask || valueMask.valid(b, j)) && (!c.causal || j <= i),
        queryMask: queryMask?.valid,
      };
      const params = [query, value, key ?? value, ...weights.map(read)];
      const reference = (ps: Float64Array[]) => {
        const [q, v, k, ...rest] = ps;
        const [scale, concat] = c.scoreMode === 'concat' && !c.useScale ? [undefined, rest[0]] : rest;
        return attentionRef(config, [q, v, c.withKey ? k : v, scale, concat]);
      };
      const [y, scores] = layer.apply(inputs, { ...kwargs, returnAttentionScores: true } as nn.CallArgs) as Tensor[];
      expect(y.shape).toEqual([c.batch, c.tq, c.dv]);
      expect(scores.shape).toEqual([c.batch, c.tq, c.tk]);
      expectClose(read(y), reference(params), { rtol: 1e-5, atol: 1e-5 });
      const rowSums = tf.sum(scores, -1).dataSync();
      expectClose(rowSums, new Float64Array(c.batch * c.tq).fill(1), { rtol: 1e-5, atol: 1e-5 });

      const ours = ourGradients(layer, inputs, (xs) => layer.apply(xs, kwargs) as Tensor);
      const expected = referenceGradients(
        (ps) => reference(c.withKey ? ps : [ps[0], ps[1], ps[1], ...ps.slice(2)]),
        c.withKey ? params : [params[0], params[1], ...params.slice(3)],
      );
      expect(ours.length).toBe(expected.length);
      ours.forEach((g, i) => expectClose(g, expected[i], GRAD_TOL));
      tf.dispose([...inputs, y, scores, ...weights, ...(mask?.filter((m): m is Tensor => !!m) ?? [])]);
      layer.dispose();
    });
  }

  it('passes the query mask on; refuses a value mask of the wrong shape and mismatched features', () => {
    const layer = nn.layers.attention({ name: 'att_bad' });
    tf.tidy(() => {
      const q = tf.zeros([2, 3, 4]);
      const v = tf.zeros([2, 5, 4]);
      const qMask = tf.ones([2, 3]);
      expect(layer.computeMask([q, v], [qMask, null])).toBe(qMask);
      expect(() => layer.apply([q, v], { mask: [null, tf.ones([2, 4])] })).toThrow(/Attention 'att_bad': the value mask must be \[batch, steps\] = \[2,5\], got \[2,4\]/);
      expect(() => layer.apply([q, tf.zeros([2, 5, 3]), v])).not.toThrow();
      expect(() => layer.apply([q, tf.zeros([2, 5, 3])])).toThrow(/Attention 'att_bad': query and key must have the same features, got query \[2,3,4\] and key \[2,5,3\]/);
      expect(() => layer.apply(q)).toThrow(/expects a list \[query, value\]/);
    });
  });
});

// --- multiHeadAttention ---------------------------------------------------------------------------------

interface MhaCase {
  batch: number; tq: number; tk: number; dq: number; dk?: number; dv?: number; heads: number; keyDim: number;
  valueDim?: number; outputShape?: number; useBias?: boolean; causal?: boolean; lengths?: number[]; explicitMask?: boolean;
  gradients?: boolean;
}

function runMhaCase(c: MhaCase): void {
  const dk = c.dk ?? c.dq;
  const dv = c.dv ?? c.dq;
  const valueDim = c.valueDim ?? c.keyDim;
  const layer = nn.layers.multiHeadAttention({ numHeads: c.heads, keyDim: c.keyDim, valueDim: c.valueDim, outputShape: c.outputShape, useBias: c.useBias });
  const separateKey = c.dk !== undefined;
  const query = values([c.batch, c.tq, c.dq], 1);
  const value = values([c.batch, c.tk, dv], 2);
  const key = separateKey ? values([c.batch, c.tk, dk], 3) : value;
  const inputs = [toTensor(query, [c.batch, c.tq, c.dq]), toTensor(value, [c.batch, c.tk, dv])];
  if (separateKey) inputs.push(toTensor(key, [c.batch, c.tk, dk]));
  const padding = c.lengths ? paddingMask(c.lengths, c.tk) : null;
  // An explicit [B, Tq, Tk] mask: a checkerboard that leaves key 0 always visible.
  const checker = (b: number, i: number, j: number) => j === 0 || (b + i + j) % 3 !== 0;
  const explicit = c.explicitMask
    ? tf.tensor(Array.from({ length: c.batch * c.tq * c.tk }, (_, n) => {
      const j = n % c.tk; const i = Math.floor(n / c.tk) % c.tq; const b = Math.floor(n / (c.tk * c.tq));
      return checker(b, i, j);
    }), [c.batch, c.tq, c.tk], 'bool')
    : null;
  const kwargs = { mask: padding ? [null, padding.tensor] : undefined, attentionMask: explicit, useCausalMask: c.causal ?? false };
  tf.dispose(layer.apply(inputs, kwargs) as Tensor);
  // Small weights from a seed (biases too), so a wrong index anywhere shows.
  const weights = layer.weights.map((w, i) => toTensor(values(w.shape, 20 + i, -0.6, 0.6), w.shape));
  layer.setWeights(weights);
  const outDim = c.outputShape ?? c.dq;
  const config: MhaRefConfig = {
    batch: c.batch, tq: c.tq, tk: c.tk, dq: c.dq, dk, dv, heads: c.heads, keyDim: c.keyDim, valueDim, outDim, useBias: c.useBias ?? true,
    allowed: (b, i, j) => (!padding || padding.valid(b, j)) && (!c.causal || j <= i) && (!explicit || checker(b, i, j)),
  };
  const weightValues = weights.map(read);
  const withBias = (ws: Float64Array[]) => (config.useBias ? ws : [ws[0], null, ws[1], null, ws[2], null, ws[3], null] as Float64Array[]);
  const reference = (q: Float64Array, v: Float64Array, k: Float64Array, ws: Float64Array[]) => mhaRef(config, [q, v, k, ...withBias(ws)]);
  const expected = reference(query, value, key, weightValues);
  const [y, scores] = layer.apply(inputs, { ...kwargs, returnAttentionScores: true } as nn.CallArgs) as Tensor[];
  expect(y.shape).toEqual([c.batch, c.tq, outDim]);
  expect(scores.shape).toEqual([c.batch, c.heads, c.tq, c.tk]);
  expectClose(read(y), expected.out, { rtol: 1e-4, atol: 1e-5 });
  expectClose(read(scores), expected.probs, { rtol: 1e-4, atol: 1e-6 });
  // The fused path (no scores returned) gives the same output.
  const plain = layer.apply(inputs, kwargs) as Tensor;
  expectClose(read(plain), expected.out, { rtol: 1e-4, atol: 1e-5 });
  expect(layer.computeOutputShape(inputs.map((t) => [null, ...t.shape.slice(1)]))).toEqual([null, c.tq, outDim]);
  if (c.gradients) {
    const ours = ourGradients(layer, inputs, (xs) => layer.apply(xs, kwargs) as Tensor);
    const inputCount = inputs.length;
    const referenceGrads = referenceGradients((ps) => {
      const [q, v] = ps;
      const k = separateKey ? ps[2] : v;
      return reference(q, v, k, ps.slice(inputCount)).out;
    }, [query, value, ...(separateKey ? [key] : []), ...weightValues]);
    expect(ours.length).toBe(referenceGrads.length);
    ours.forEach((g, i) => expectClose(g, referenceGrads[i], GRAD_TOL));
  }
  tf.dispose([...inputs, y, scores, plain, ...weights, ...(padding ? [padding.tensor] : []), ...(explicit ? [explicit] : [])]);
  layer.dispose();
}

describeEachBackend('multiHeadAttention vs a float64 reference', () => {
  const cases: MhaCase[] = [
    { batch: 2, tq: 7, tk: 7, dq: 6, heads: 3, keyDim: 2, gradients: true },
    { batch: 1, tq: 1, tk: 1, dq: 3, heads: 1, keyDim: 3, gradients: true },
    { batch: 2, tq: 5, tk: 4, dq: 4, dk: 3, dv: 5, heads: 2, keyDim: 3, valueDim: 2, outputShape: 3, gradients: true, lengths: [4, 2] },
    { batch: 2, tq: 6, tk: 6, dq: 5, heads: 3, keyDim: 2, useBias: false, causal: true, explicitMask: true, gradients: true },
    { batch: 1, tq: 33, tk: 33, dq: 16, heads: 8, keyDim: 2, causal: true, lengths: [30] },
    { batch: 2, tq: 33, tk: 7, dq: 8, heads: 1, keyDim: 8, lengths: [7, 1] },
    { batch: 1, tq: 3, tk: 3, dq: 8, heads: 8, keyDim: 1, valueDim: 2, lengths: [2], gradients: true },
    { batch: 1, tq: 33, tk: 33, dq: 4, heads: 1, keyDim: 3, causal: true, gradients: true },
  ];
  for (const c of cases) it(JSON.stringify(c), () => runMhaCase(c));

  it('self-attention on one tensor equals [x, x]; a fully masked row attends uniformly', () => {
    tf.tidy(() => {
      const layer = nn.layers.multiHeadAttention({ numHeads: 2, keyDim: 3 });
      const x = toTensor(values([2, 4, 5], 7), [2, 4, 5]);
      expectClose((layer.apply(x) as Tensor).dataSync(), (layer.apply([x, x]) as Tensor).dataSync(), { rtol: 1e-6, atol: 1e-7 });
      const none = tf.zeros([2, 4, 4]);
      const [, scores] = layer.apply([x, x], { attentionMask: none, returnAttentionScores: true } as nn.CallArgs) as Tensor[];
      expectClose(scores.dataSync(), new Float32Array(2 * 2 * 4 * 4).fill(0.25), { rtol: 1e-5, atol: 1e-6 });
    });
  });

  it('dropout drops attention only in training', () => {
    tf.tidy(() => {
      const layer = nn.layers.multiHeadAttention({ numHeads: 2, keyDim: 2, dropout: 0.5 });
      const x = toTensor(values([2, 6, 4], 8), [2, 6, 4]);
      const a = (layer.apply([x, x], { training: false }) as Tensor).dataSync();
      const b = (layer.apply([x, x], { training: false }) as Tensor).dataSync();
      expectClose(a, b, { rtol: 0, atol: 0 });
      const dropped = (layer.apply([x, x], { training: true }) as Tensor).dataSync();
      expect(Array.from(dropped).some((v, i) => Math.abs(v - a[i]) > 1e-4)).toBe(true);
    });
  });

  it('bad input: clear Errors naming the layer and the shapes', () => {
    expect(() => nn.layers.multiHeadAttention({ numHeads: 0, keyDim: 2 })).toThrow(/numHeads must be a positive integer/);
    expect(() => nn.deserializeLayer({ className: 'MultiHeadAttention', config: { numHeads: 2, keyDim: 2, attentionAxes: [1, 2] } })).toThrow(/attentionAxes \[1,2\] is not supported/);
    expect(nn.deserializeLayer({ className: 'MultiHeadAttention', config: { numHeads: 2, keyDim: 2, attentionAxes: [1] } })).toBeInstanceOf(nn.MultiHeadAttention);
    expect(() => nn.deserializeLayer({ className: 'Attention', config: { causal: true } })).toThrow(/replaced by the call option useCausalMask/);
    expect(() => nn.deserializeLayer({ className: 'LayerNormalization', config: { rmsScaling: true } })).toThrow(/rmsScaling \(Keras 3\) is not supported/);
    const layer = nn.layers.multiHeadAttention({ name: 'mha_bad', numHeads: 2, keyDim: 2 });
    tf.tidy(() => {
      const q = tf.zeros([2, 3, 4]);
      const v = tf.zeros([2, 5, 4]);
      layer.apply([q, v]);
      expect(() => layer.apply([q, v], { attentionMask: tf.ones([2, 5, 3]) } as nn.CallArgs)).toThrow(
        /MultiHeadAttention 'mha_bad': attentionMask must be \[batch, querySteps, keySteps\] = \[2,3,5\].*got \[2,5,3\]/,
      );
      expect(() => layer.apply([q, v], { mask: [null, tf.ones([2, 3])] })).toThrow(/mha_bad.*value mask must be \[batch, steps\] = \[2,5\], got \[2,3\]/);
      expect(() => layer.apply([tf.zeros([2, 3, 6]), v])).toThrow(/mha_bad.*built for query\/key\/value features 4\/4\/4.*\[2,3,6\]/);
      expect(() => layer.apply([q, v, tf.zeros([2, 4, 4])])).toThrow(/key and value must have the same number of steps/);
      expect(() => layer.apply(tf.zeros([2, 4]))).toThrow(/\[batch, steps, features\]/);
    });
    // A functional graph records plain call options; tensors and output-changing options are refused, not dropped.
    const symbolic = nn.input({ shape: [3, 4] });
    expect(() => layer.apply([symbolic, symbolic], { returnAttentionScores: true })).toThrow(
      /MultiHeadAttention 'mha_bad': the call option\(s\) returnAttentionScores work only on concrete tensors/,
    );
    expect(layer.apply([symbolic, symbolic], { useCausalMask: false, training: true })).toBeInstanceOf(nn.SymbolicTensor);
  });
});

describe('call options in functional models', () => {
  beforeAll(async () => { await tf.setBackend('wasm'); });
  it('useCausalMask is recorded in the graph, replayed on every run and kept through save/load', async () => {
    const input = nn.input({ shape: [5, 4] });
    const mha = nn.layers.multiHeadAttention({ numHeads: 2, keyDim: 3, name: 'causal_mha' });
    const output = mha.apply([input, input], { useCausalMask: true }) as nn.SymbolicTensor;
    const model = nn.model({ inputs: input, outputs: output });
    const x = tf.randomNormal([2, 5, 4], 0, 1, 'float32', 5);
    const viaModel = model.predict(x) as Tensor;
    const causal = mha.apply([x, x], { useCausalMask: true }) as Tensor;
    const open = mha.apply([x, x]) as Tensor;
    expectClose(viaModel.dataSync() as Float32Array, causal.dataSync() as Float32Array, { rtol: 1e-6, atol: 1e-6 });
    expect(Math.max(...Array.from(tf.abs(tf.sub(viaModel, open)).dataSync()))).toBeGreaterThan(1e-3);
    let saved: any;
    await model.save(nn.io.withSaveHandler(async (artifacts: any) => { saved = artifacts; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
    const loaded = await nn.loadLayersModel(nn.io.fromMemory(saved));
    expectClose((loaded.predict(x) as Tensor).dataSync() as Float32Array, causal.dataSync() as Float32Array, { rtol: 1e-6, atol: 1e-6 });
  });
});

// --- position layers --------------------------------------------------------------------------------

describe('position layers', () => {
  beforeAll(async () => { await tf.setBackend('wasm'); });
  it('sinusoidalPositionEncoding matches the keras-nlp formula, from a start index, and added to the input', () => {
    tf.tidy(() => {
      const steps = 33;
      const features = 7;
      const x = toTensor(values([2, steps, features], 4), [2, steps, features]);
      const layer = nn.layers.sinusoidalPositionEncoding();
      const expected = (start: number) => {
        const out = new Float64Array(2 * steps * features);
        for (let b = 0; b < 2; b++) for (let t = 0; t < steps; t++) for (let i = 0; i < features; i++) {
          const timescale = Math.pow(1 / 10000, (2 * Math.floor(i / 2)) / features);
          const angle = (t + start) * timescale;
          out[(b * steps + t) * features + i] = i % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
        }
        return out;
      };
      expectClose((layer.apply(x) as Tensor).dataSync(), expected(0), { rtol: 1e-5, atol: 1e-6 });
      expectClose((layer.apply(x, { startIndex: 5 } as nn.CallArgs) as Tensor).dataSync(), expected(5), { rtol: 1e-5, atol: 1e-5 });
      const added = nn.layers.sinusoidalPositionEncoding({ addToInput: true }).apply(x) as Tensor;
      expectClose(added.dataSync(), expected(0).map((v, i) => v + x.dataSync()[i]), { rtol: 1e-5, atol: 1e-5 });
      const limited = nn.layers.sinusoidalPositionEncoding({ maxLength: 32, name: 'sine_short' });
      expect(() => limited.apply(x)).toThrow(/SinePositionEncoding 'sine_short': input \[2,33,7\] has 33 steps, longer than maxLength 32/);
    });
  });

  it('positionEmbedding: the first T rows of the table, gradients into the table; too long → Error with shapes', () => {
    const layer = nn.layers.positionEmbedding({ sequenceLength: 9, name: 'pos_emb' });
    const x = toTensor(values([3, 7, 5], 5), [3, 7, 5]);
    tf.dispose(layer.apply(x) as Tensor);
    const table = values([9, 5], 6);
    const tableTensor = toTensor(table, [9, 5]);
    layer.setWeights([tableTensor]);
    const y = layer.apply(x) as Tensor;
    const expected = Float64Array.from({ length: 3 * 7 * 5 }, (_, n) => table[n % 35]);
    expectClose(read(y), expected, { rtol: 0, atol: 1e-7 });
    const fromTwo = layer.apply(x, { startIndex: 2 } as nn.CallArgs) as Tensor;
    expectClose(read(fromTwo), Float64Array.from({ length: 105 }, (_, n) => table[10 + (n % 35)]), { rtol: 0, atol: 1e-7 });
    // d/d table of sum(y · w): each used row collects the weights of every sample at that step.
    const [tableGrad] = ourGradients(layer, [], () => layer.apply(x) as Tensor);
    const w = lossWeights(105);
    const expectedGrad = new Float64Array(45);
    for (let n = 0; n < 105; n++) expectedGrad[n % 35] += w[n];
    expectClose(tableGrad, expectedGrad, { rtol: 1e-5, atol: 1e-6 });
    expect(() => layer.apply(tf.zeros([3, 10, 5]))).toThrow(/PositionEmbedding 'pos_emb': input \[3,10,5\] has 10 steps, more than sequenceLength 9/);
    expect(() => layer.apply(x, { startIndex: 3 } as nn.CallArgs)).toThrow(/pos_emb.*7 steps from position 3, more than sequenceLength 9/);
    tf.dispose([x, y, fromTwo, tableTensor]);
    layer.dispose();
  });
});

// --- save / load ------------------------------------------------------------------------------------

describe('attention layers save and load', () => {
  beforeAll(async () => { await tf.setBackend('wasm'); });
  it('a functional model with multiHeadAttention, attention, layerNormalization and position layers round-trips', async () => {
    const input = nn.input({ shape: [6, 8] });
    const positions = nn.layers.positionEmbedding({ sequenceLength: 6 }).apply(input) as nn.SymbolicTensor;
    const sum = nn.layers.add().apply([input, positions]) as nn.SymbolicTensor;
    const sine = nn.layers.sinusoidalPositionEncoding({ addToInput: true, maxLength: 10 }).apply(sum) as nn.SymbolicTensor;
    const attended = nn.layers.multiHeadAttention({ numHeads: 2, keyDim: 3, valueDim: 5, outputShape: 8 }).apply([sine, sine]) as nn.SymbolicTensor;
    const normed = nn.layers.layerNormalization({ epsilon: 1e-5 }).apply(attended) as nn.SymbolicTensor;
    const context = nn.layers.attention({ useScale: true, scoreMode: 'concat' }).apply([normed, input]) as nn.SymbolicTensor;
    const model = nn.model({ inputs: input, outputs: context });
    let artifacts: unknown;
    await model.save(nn.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await nn.loadLayersModel(nn.io.fromMemory(artifacts as never));
    const x = toTensor(values([2, 6, 8], 9), [2, 6, 8]);
    const a = model.predict(x) as Tensor;
    const b = loaded.predict(x) as Tensor;
    expect(a.shape).toEqual([2, 6, 8]);
    expectClose(b.dataSync(), a.dataSync(), { rtol: 0, atol: 0 });
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(model.layers.map((l) => l.getClassName()));
    tf.dispose([x, a, b]);
    model.dispose();
    loaded.dispose();
  });
});
