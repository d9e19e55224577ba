// Layers vs tfjs-layers on identical weights (forward and gradients), dropout semantics, initializer
// statistics, regularizer penalties, names and bad-input errors.
import { describe, expect, it } from 'vitest';
import { describeEachBackend, expectClose, loadTfjs, randomValues, tf, type Tensor } from './helpers.js';
import * as nn from '../src/nn/index.js';

const tfjs = await loadTfjs();
type TfjsLayer = ReturnType<typeof tfjs.layers.dense>;

const toTfjs = (t: Tensor) => tfjs.tensor(Array.from(t.dataSync() as Float32Array), t.shape);
const random = (shape: number[], seed: number, low = -1, high = 1) =>
  tf.tensor(Array.from(randomValues(shape.reduce((p, d) => p * d, 1), seed, low, high)), shape);

/** Gives the tfjs layer our layer's weights (both built on the same input shape first). */
function shareWeights(ours: nn.Layer, theirs: TfjsLayer, inputShape: number[]): void {
  theirs.apply(tfjs.zeros(inputShape));
  const weights = ours.getWeights();
  theirs.setWeights(weights.map(toTfjs));
  tf.dispose(weights);
}

const ACTIVATIONS = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'softmax', 'elu', 'selu', 'softplus', 'softsign',
  'hardSigmoid', 'swish', 'mish', 'gelu'] as const;

describeEachBackend('nn layers', () => {
  describe('dense', () => {
    for (const [batch, inputDim, units] of [[1, 1, 1], [3, 17, 5], [17, 3, 1], [4, 33, 17]]) {
      it(`matches tfjs forward for [${batch},${inputDim}] → ${units} units, every activation`, () => {
        for (const activation of ACTIVATIONS) {
          const ours = nn.layers.dense({ units, activation, kernelInitializer: nn.initializers.randomUniform({ minval: -1, maxval: 1, seed: 7 }), biasInitializer: nn.initializers.randomNormal({ seed: 3, stddev: 0.5 }) });
          const theirs = tfjs.layers.dense({ units, activation });
          const x = random([batch, inputDim], batch * 100 + inputDim);
          const y = ours.apply(x) as Tensor;
          shareWeights(ours, theirs, [batch, inputDim]);
          const expected = (theirs.apply(toTfjs(x)) as ReturnType<typeof tfjs.tensor>).dataSync();
          expectClose(y.dataSync() as Float32Array, expected, { rtol: 1e-4, atol: 1e-5 });
          tf.dispose([x, y]);
          ours.dispose();
        }
      });
    }

    it('applies to the last axis of rank-3 input, and without bias', () => {
      const ours = nn.layers.dense({ units: 3, useBias: false, activation: 'tanh' });
      const theirs = tfjs.layers.dense({ units: 3, useBias: false, activation: 'tanh' });
      const x = random([2, 5, 7], 11);
      const y = ours.apply(x) as Tensor;
      shareWeights(ours, theirs, [2, 5, 7]);
      expect(y.shape).toEqual([2, 5, 3]);
      expect(ours.weights.map((w) => w.shape)).toEqual([[7, 3]]);
      expectClose(y.dataSync() as Float32Array, (theirs.apply(toTfjs(x)) as ReturnType<typeof tfjs.tensor>).dataSync(), { rtol: 1e-4, atol: 1e-5 });
      ours.dispose();
    });

    it('gradients w.r.t. kernel and bias match tfjs (variableGrads over a weighted sum of the output)', () => {
      for (const activation of ['relu', 'sigmoid', 'softmax', 'gelu', 'linear'] as const) {
        const ours = nn.layers.dense({ units: 5, activation, biasInitializer: nn.initializers.randomNormal({ seed: 9 }) });
        const theirs = tfjs.layers.dense({ units: 5, activation });
        const x = random([3, 17], 21);
        ours.apply(x);
        shareWeights(ours, theirs, [3, 17]);
        const weighting = random([3, 5], 5);
        const { grads } = tf.variableGrads(() => tf.sum(tf.mul(ours.apply(x) as Tensor, weighting)), ours.trainableWeights.map((w) => w.read()));
        const theirGrads = tfjs.variableGrads(
          () => tfjs.sum(tfjs.mul(theirs.apply(toTfjs(x)) as ReturnType<typeof tfjs.tensor>, toTfjs(weighting))) as ReturnType<typeof tfjs.scalar>,
          theirs.trainableWeights.map((w) => (w as unknown as { val: ReturnType<typeof tfjs.variable> }).val),
        ).grads;
        ours.trainableWeights.forEach((w, i) => {
          const theirName = theirs.trainableWeights[i].name;
          expectClose(grads[w.name].dataSync() as Float32Array, theirGrads[theirName].dataSync(), { rtol: 1e-3, atol: 1e-5 });
        });
        tf.dispose([x, weighting, ...Object.values(grads)]);
        ours.dispose();
      }
    });

    it('names layers and weights like tfjs, and builds lazily', () => {
      const layer = nn.layers.dense({ units: 2 });
      expect(layer.name).toMatch(/^dense_Dense\d+$/);
      expect(layer.weights).toEqual([]);
      const y = layer.apply(tf.ones([1, 3])) as Tensor;
      expect(layer.weights.map((w) => w.originalName)).toEqual([`${layer.name}/kernel`, `${layer.name}/bias`]);
      expect(layer.countParams()).toBe(8);
      tf.dispose(y);
      layer.dispose();
    });

    it('trainable = false moves its weights out of trainableWeights', () => {
      const layer = nn.layers.dense({ units: 2, inputShape: [3] });
      tf.dispose(layer.apply(tf.ones([1, 3])) as Tensor);
      expect(layer.trainableWeights.length).toBe(2);
      layer.trainable = false;
      expect(layer.trainableWeights.length).toBe(0);
      expect(layer.nonTrainableWeights.length).toBe(2);
      expect(layer.weights.every((w) => !w.read().trainable)).toBe(true);
      layer.dispose();
    });

    it('rejects bad arguments and inputs with the layer named', () => {
      expect(() => nn.layers.dense({ units: 0 })).toThrow(/dense: units must be a positive integer/);
      expect(() => nn.layers.dense({ units: 2, activation: 'foo' })).toThrow(/unknown activation 'foo' \(known: linear, relu.*softmax/);
      expect(() => nn.layers.dense({ units: 2, kernelInitializer: 'bogus' })).toThrow(/unknown initializer 'bogus' \(known: zeros, ones.*glorotUniform/);
      const layer = nn.layers.dense({ units: 2, name: 'myDense' });
      tf.dispose(layer.apply(tf.ones([1, 3])) as Tensor);
      expect(() => layer.apply(tf.ones([1, 4]))).toThrow(/Dense 'myDense': expected input with last dimension 3, got \[1,4\]/);
      expect(() => layer.apply(tf.ones([4]))).toThrow(/Dense 'myDense'.*rank/);
      layer.dispose();
    });
  });

  describe('activation, flatten, reshape', () => {
    it('activation layer matches tfjs for every activation', () => {
      const x = random([3, 17], 4, -3, 3);
      for (const activation of ACTIVATIONS) {
        const y = nn.layers.activation({ activation }).apply(x) as Tensor;
        const expected = (tfjs.layers.activation({ activation }).apply(toTfjs(x)) as ReturnType<typeof tfjs.tensor>).dataSync();
        expectClose(y.dataSync() as Float32Array, expected, { rtol: 1e-4, atol: 1e-5 });
        if (y !== x) tf.dispose(y); // 'linear' hands back its input, as in tfjs
      }
      tf.dispose(x);
    });

    it('flatten and reshape give tfjs shapes and values', () => {
      const x = random([2, 3, 5], 8);
      const flat = nn.layers.flatten().apply(x) as Tensor;
      expect(flat.shape).toEqual([2, 15]);
      expectClose(flat.dataSync() as Float32Array, x.dataSync() as Float32Array);
      const reshaped = nn.layers.reshape({ targetShape: [5, -1] }).apply(x) as Tensor;
      expect(reshaped.shape).toEqual([2, 5, 3]);
      const theirs = tfjs.layers.reshape({ targetShape: [5, 3] }).apply(toTfjs(x)) as ReturnType<typeof tfjs.tensor>;
      expectClose(reshaped.dataSync() as Float32Array, theirs.dataSync());
      expect(() => nn.layers.reshape({ targetShape: [4, 4] }).apply(x)).toThrow(/Reshape .*cannot reshape input \[2,3,5\] \(15 values per sample\) to \[4,4\]/);
      expect(() => nn.layers.reshape({ targetShape: [-1, -1] })).toThrow(/at most one -1/);
      tf.dispose([x, flat, reshaped]);
    });
  });

  describe('dropout', () => {
    it('passes the input through unless training', () => {
      const x = random([4, 17], 1);
      const layer = nn.layers.dropout({ rate: 0.5 });
      const y = layer.apply(x) as Tensor;
      expectClose(y.dataSync() as Float32Array, x.dataSync() as Float32Array, { rtol: 0, atol: 0 });
      const yFalse = layer.apply(x, { training: false }) as Tensor;
      expectClose(yFalse.dataSync() as Float32Array, x.dataSync() as Float32Array, { rtol: 0, atol: 0 });
      tf.dispose([x, y, yFalse]);
    });

    it('in training drops a `rate` fraction and scales the rest by 1/(1 - rate)', () => {
      for (const rate of [0.1, 0.3, 0.75]) {
        const x = tf.add(random([100, 200], 2, 0.5, 1.5), 0);
        const y = nn.layers.dropout({ rate, seed: 42 }).apply(x, { training: true }) as Tensor;
        const xs = x.dataSync() as Float32Array;
        const ys = y.dataSync() as Float32Array;
        let dropped = 0;
        for (let i = 0; i < ys.length; i++) {
          if (ys[i] === 0) dropped++;
          else expect(Math.abs(ys[i] - xs[i] / (1 - rate))).toBeLessThan(1e-5 * Math.abs(ys[i]) + 1e-6);
        }
        expect(Math.abs(dropped / ys.length - rate)).toBeLessThan(0.015);
        tf.dispose([x, y]);
      }
    });

    it('is reproducible with a seed and validates the rate', () => {
      const x = tf.ones([3, 17]);
      const a = nn.layers.dropout({ rate: 0.5, seed: 1 }).apply(x, { training: true }) as Tensor;
      const b = nn.layers.dropout({ rate: 0.5, seed: 1 }).apply(x, { training: true }) as Tensor;
      expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
      expect(() => nn.layers.dropout({ rate: 1 })).toThrow(/rate must be in \[0, 1\)/);
      tf.dispose([x, a, b]);
    });
  });
});

describe('initializers', () => {
  const stats = (t: Tensor) => {
    const v = Array.from(t.dataSync() as Float32Array);
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    const variance = v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length;
    return { mean, std: Math.sqrt(variance), min: Math.min(...v), max: Math.max(...v) };
  };

  it('glorotUniform stays within ±√(6/(fanIn+fanOut)) with the uniform variance', () => {
    const t = nn.initializers.glorotUniform({ seed: 5 }).apply([200, 100]);
    const limit = Math.sqrt(6 / 300);
    const s = stats(t);
    expect(s.max).toBeLessThanOrEqual(limit);
    expect(s.min).toBeGreaterThanOrEqual(-limit);
    expect(s.max).toBeGreaterThan(limit * 0.99);
    expect(Math.abs(s.std - limit / Math.sqrt(3)) / (limit / Math.sqrt(3))).toBeLessThan(0.02);
    t.dispose();
  });

  it('heNormal has std √(2/fanIn) (truncated normal, corrected) and glorotNormal √(2/(in+out))', () => {
    const he = nn.initializers.heNormal({ seed: 11 }).apply([300, 200]);
    const s = stats(he);
    expect(Math.abs(s.std - Math.sqrt(2 / 300)) / Math.sqrt(2 / 300)).toBeLessThan(0.03);
    expect(Math.abs(s.mean)).toBeLessThan(0.002);
    // Truncated at 2 stddev of the pre-truncation normal.
    expect(Math.max(Math.abs(s.min), s.max)).toBeLessThanOrEqual((2 * Math.sqrt(2 / 300)) / 0.87962566103423978 + 1e-6);
    const glorot = nn.initializers.glorotNormal({ seed: 12 }).apply([300, 200]);
    expect(Math.abs(stats(glorot).std - Math.sqrt(2 / 500)) / Math.sqrt(2 / 500)).toBeLessThan(0.03);
    const heU = nn.initializers.heUniform({ seed: 13 }).apply([300, 200]);
    expect(stats(heU).max).toBeLessThanOrEqual(Math.sqrt(6 / 300));
    tf.dispose([he, glorot, heU]);
  });

  it('seeds reproduce, and constants/zeros/ones/identity are exact', () => {
    const a = nn.initializers.randomNormal({ seed: 3 }).apply([17]);
    const b = nn.initializers.randomNormal({ seed: 3 }).apply([17]);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(Array.from(nn.initializers.constant({ value: 2.5 }).apply([3]).dataSync())).toEqual([2.5, 2.5, 2.5]);
    expect(Array.from(nn.initializers.zeros().apply([2]).dataSync())).toEqual([0, 0]);
    expect(Array.from(nn.initializers.ones().apply([2]).dataSync())).toEqual([1, 1]);
    expect(Array.from(nn.initializers.identity().apply([2, 2]).dataSync())).toEqual([1, 0, 0, 1]);
    expect(() => nn.initializers.varianceScaling({ mode: 'fanBogus' as 'fanIn' })).toThrow(/unknown mode 'fanBogus'/);
    tf.dispose([a, b]);
  });

  it("'orthogonal' works for any layer (dense, conv), round-trips through the model file, and gives WᵀW = gain²·I", async () => {
    const dense = nn.layers.dense({ units: 7, inputShape: [12], kernelInitializer: 'orthogonal' });
    const conv = nn.layers.conv2d({ filters: 3, kernelSize: 2, inputShape: [5, 5, 4], kernelInitializer: nn.initializers.orthogonal({ gain: 2, seed: 4 }) });
    const model = tf.sequential({ layers: [dense] });
    tf.sequential({ layers: [conv] });
    expect(conv.getWeights().length).toBeGreaterThan(0);
    // A [12, 7] kernel has orthonormal columns: WᵀW = I.
    const w = dense.getWeights()[0];
    expectClose(tf.matMul(w, w, true, false).dataSync(), tf.eye(7).dataSync(), { atol: 1e-5 });
    // A conv kernel [2, 2, 4, 3] viewed as [16, 3]: gain 2 gives WᵀW = 4·I.
    const k = tf.reshape(conv.getWeights()[0], [16, 3]);
    expectClose(tf.matMul(k, k, true, false).dataSync(), tf.mul(tf.eye(3), 4).dataSync(), { atol: 1e-4 });
    expect(dense.getConfig().kernelInitializer).toEqual({ className: 'Orthogonal', config: { gain: 1 } });
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    expect(loaded.layers[0].getConfig().kernelInitializer).toEqual({ className: 'Orthogonal', config: { gain: 1 } });
    expect(() => nn.initializers.orthogonal().apply([5])).toThrow(/orthogonal: needs a shape of rank >= 2/);
  });
});

describe('regularizers', () => {
  it('l1, l2 and l1l2 penalties match the formula and tfjs', () => {
    const values = Array.from(randomValues(51, 17));
    const x = tf.tensor(values, [3, 17]);
    const l1 = values.reduce((s, v) => s + Math.abs(v), 0);
    const l2 = values.reduce((s, v) => s + v * v, 0);
    const cases: [nn.Regularizer, number, ReturnType<typeof tfjs.regularizers.l1l2>][] = [
      [nn.regularizers.l1({ l1: 0.1 }), 0.1 * l1, tfjs.regularizers.l1({ l1: 0.1 })],
      [nn.regularizers.l2({ l2: 0.3 }), 0.3 * l2, tfjs.regularizers.l2({ l2: 0.3 })],
      [nn.regularizers.l1l2({ l1: 0.01, l2: 0.02 }), 0.01 * l1 + 0.02 * l2, tfjs.regularizers.l1l2({ l1: 0.01, l2: 0.02 })],
    ];
    for (const [regularizer, expected, theirs] of cases) {
      const penalty = regularizer.apply(x);
      expect(penalty.shape).toEqual([]);
      expectClose(penalty.dataSync() as Float32Array, [expected], { rtol: 1e-5 });
      expectClose(penalty.dataSync() as Float32Array, theirs.apply(toTfjs(x)).dataSync(), { rtol: 1e-5 });
      penalty.dispose();
    }
    x.dispose();
  });

  it('a dense kernelRegularizer penalty equals the one tfjs adds to the layer losses', () => {
    const ours = nn.layers.dense({ units: 3, kernelRegularizer: nn.regularizers.l1l2({ l1: 0.1, l2: 0.2 }) });
    const theirs = tfjs.layers.dense({ units: 3, kernelRegularizer: tfjs.regularizers.l1l2({ l1: 0.1, l2: 0.2 }) });
    tf.dispose(ours.apply(tf.ones([1, 17])) as Tensor);
    shareWeights(ours, theirs, [1, 17]);
    const [penalty] = ours.regularizationPenalties();
    const theirPenalty = (theirs.losses[0] as unknown as () => ReturnType<typeof tfjs.scalar>)();
    expectClose(penalty.dataSync() as Float32Array, theirPenalty.dataSync(), { rtol: 1e-5 });
    expect(() => nn.layers.dense({ units: 1, kernelRegularizer: 'l3' })).toThrow(/unknown regularizer 'l3'/);
    tf.dispose(penalty);
    ours.dispose();
  });
});
