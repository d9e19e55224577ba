// Spatial layers (conv, pooling, padding, batch norm, ReLU) vs tfjs-layers on identical weights:
// forward, gradients w.r.t. the input and every trainable weight, config round trips, bad input.
import { describe, expect, it } from 'vitest';
import { analyticGradients, describeEachBackend, expectClose, loadTfjs, numericGradients, randomInput, randomValues, tf, type Tensor } from './helpers.js';
import * as nn from '../src/nn/index.js';

const tfjs = await loadTfjs();
type TfjsTensor = ReturnType<typeof tfjs.tensor>;
type TfjsLayer = ReturnType<typeof tfjs.layers.dense>;

const toTfjs = (t: Tensor) => tfjs.tensor(Array.from(t.dataSync() as Float32Array), t.shape);
const random = (shape: number[], seed: number, low = -1, high = 1) =>
  tf.tensor(Array.from(randomValues(shape.reduce((p, d) => p * d, 1), seed, low, high)), shape);

/** Weights of `ours` copied into `theirs` (both built on the same input shape first). */
function shareWeights(ours: nn.Layer, theirs: TfjsLayer, inputShape: number[]): void {
  tfjs.dispose(theirs.apply(tfjs.zeros(inputShape)) as TfjsTensor);
  const weights = ours.getWeights();
  theirs.setWeights(weights.map(toTfjs));
  tf.dispose(weights);
}

interface CompareOptions {
  seed?: number;
  training?: boolean;
  rtol?: number;
  atol?: number;
  /** Skip the gradient check (layers whose tfjs gradient is missing). */
  forwardOnly?: boolean;
}

/**
 * Runs ours and theirs on one random input: same output, and the same gradients of sum(y * weighting)
 * w.r.t. the input and each trainable weight. Disposes everything it made except the layers.
 */
function compareWithTfjs(ours: nn.Layer, theirs: TfjsLayer, inputShape: number[], options: CompareOptions = {}): void {
  const { seed = 1, training = false, rtol = 1e-4, atol = 1e-5 } = options;
  const tol = { rtol, atol };
  const x = random(inputShape, seed);
  tf.dispose(ours.apply(x, { training: false }) as Tensor); // builds
  shareWeights(ours, theirs, inputShape);
  const kwargs = { training };
  const y = ours.apply(x, kwargs) as Tensor;
  const theirX = toTfjs(x);
  const theirY = theirs.apply(theirX, kwargs) as TfjsTensor;
  expect(y.shape).toEqual(theirY.shape);
  expectClose(y.dataSync() as Float32Array, theirY.dataSync(), tol);
  const symbolicShape = ours.computeOutputShape([null, ...inputShape.slice(1)]);
  expect(symbolicShape).toEqual([null, ...y.shape.slice(1)]);
  if (!options.forwardOnly) {
    const weighting = random(y.shape, seed + 1000, 0.5, 1.5);
    const theirWeighting = toTfjs(weighting);
    const loss = (input: Tensor) => tf.sum(tf.mul(ours.apply(input, kwargs) as Tensor, weighting));
    const theirLoss = (input: TfjsTensor) => tfjs.sum(tfjs.mul(theirs.apply(input, kwargs) as TfjsTensor, theirWeighting)) as ReturnType<typeof tfjs.scalar>;
    const dx = tf.grad(loss)(x);
    const theirDx = tfjs.grad(theirLoss)(theirX);
    expectClose(dx.dataSync() as Float32Array, theirDx.dataSync(), { rtol: 1e-3, atol: 1e-4 });
    const trainable = ours.trainableWeights;
    if (trainable.length > 0) {
      const { grads } = tf.variableGrads(() => loss(x), trainable.map((w) => w.read()));
      const theirGrads = tfjs.variableGrads(() => theirLoss(theirX), theirs.trainableWeights.map((w) => (w as unknown as { val: ReturnType<typeof tfjs.variable> }).val)).grads;
      trainable.forEach((w, i) => {
        expectClose(grads[w.name].dataSync() as Float32Array, theirGrads[theirs.trainableWeights[i].name].dataSync(), { rtol: 1e-3, atol: 1e-4 });
      });
      tf.dispose(Object.values(grads));
      tfjs.dispose(Object.values(theirGrads));
    }
    tf.dispose([weighting, dx]);
    tfjs.dispose([theirWeighting, theirDx]);
  }
  tf.dispose([x, y]);
  tfjs.dispose([theirX, theirY]);
}

/** The layer rebuilt from its serialized config (through the snake_case model-file form). */
function roundTrip(layer: nn.Layer): nn.Layer {
  const pythonic = nn.modelTopology(nn.sequential({ layers: [layer] }));
  const model = nn.modelFromTopology(JSON.parse(JSON.stringify(pythonic)));
  return model.layers[model.layers.length - 1];
}

describeEachBackend('nn spatial layers without new ops', () => {
  describe('zeroPadding2d', () => {
    const cases: [number[], unknown][] = [[[2, 3, 4, 5], undefined], [[1, 5, 3, 1], 2], [[3, 4, 4, 2], [1, 3]], [[2, 3, 5, 3], [[0, 2], [3, 1]]]];
    for (const [shape, padding] of cases) {
      it(`matches tfjs for ${JSON.stringify(shape)} padding ${JSON.stringify(padding)}`, () => {
        const args = padding === undefined ? {} : { padding: padding as number };
        compareWithTfjs(nn.layers.zeroPadding2d(args), tfjs.layers.zeroPadding2d(args), shape, { seed: shape[1] });
      });
    }
    it('channelsFirst pads the last two axes', () => {
      const args = { padding: [[1, 0], [2, 1]] as [[number, number], [number, number]], dataFormat: 'channelsFirst' as const };
      compareWithTfjs(nn.layers.zeroPadding2d(args), tfjs.layers.zeroPadding2d(args), [2, 3, 4, 5]);
    });
  });

  describe('upSampling2d', () => {
    // tfjs-cpu's resizeNearestNeighbor gradient mixes up images for batch > 1, so its gradients are
    // compared at batch 1 and larger batches are checked against finite differences.
    for (const [shape, size] of [[[1, 3, 4, 5], undefined], [[1, 1, 3, 2], [3, 2]], [[1, 5, 2, 1], 3]] as [number[], number | number[] | undefined][]) {
      it(`matches tfjs for ${JSON.stringify(shape)} size ${JSON.stringify(size)}`, () => {
        const args = size === undefined ? {} : { size: size as number[] };
        // tfjs takes only [rows, cols] (a plain number gives NaN shapes there); sinew also accepts n.
        const theirArgs = typeof size === 'number' ? { size: [size, size] } : args;
        compareWithTfjs(nn.layers.upSampling2d(args), tfjs.layers.upSampling2d(theirArgs), shape, { seed: 7 });
      });
    }
    it('channelsFirst', () => {
      const args = { size: [2, 3], dataFormat: 'channelsFirst' as const };
      compareWithTfjs(nn.layers.upSampling2d(args), tfjs.layers.upSampling2d(args), [1, 3, 2, 4]);
    });
    it('batch 3: forward matches tfjs, gradient matches finite differences', () => {
      const args = { size: [2, 3] };
      compareWithTfjs(nn.layers.upSampling2d(args), tfjs.layers.upSampling2d(args), [3, 2, 3, 2], { forwardOnly: true });
      const layer = nn.layers.upSampling2d(args);
      const f = (x: Tensor) => layer.apply(x) as Tensor;
      const input = randomInput([3, 2, 3, 2], 9);
      expectClose(analyticGradients(f, [input])[0], numericGradients(f, [input])[0], { rtol: 1e-3, atol: 1e-4 });
    });
  });

  describe('global pooling', () => {
    for (const shape of [[1, 1, 1, 1], [2, 3, 5, 7], [3, 17, 4, 2]]) {
      for (const dataFormat of ['channelsLast', 'channelsFirst'] as const) {
        it(`globalAveragePooling2d and globalMaxPooling2d match tfjs for ${JSON.stringify(shape)} ${dataFormat}`, () => {
          compareWithTfjs(nn.layers.globalAveragePooling2d({ dataFormat }), tfjs.layers.globalAveragePooling2d({ dataFormat }), shape, { seed: 3 });
          compareWithTfjs(nn.layers.globalMaxPooling2d({ dataFormat }), tfjs.layers.globalMaxPooling2d({ dataFormat }), shape, { seed: 4 });
        });
      }
    }
  });

  describe('reLU and leakyReLU', () => {
    for (const maxValue of [undefined, 6, 0.5]) {
      it(`reLU maxValue ${maxValue} matches tfjs`, () => {
        const args = maxValue === undefined ? {} : { maxValue };
        // Inputs spread to ±8 so the cap at 6 is hit.
        const ours = nn.layers.reLU(args);
        const theirs = tfjs.layers.reLU(args);
        const x = random([3, 17, 5], 11, -8, 8);
        const y = ours.apply(x) as Tensor;
        const theirY = theirs.apply(toTfjs(x)) as TfjsTensor;
        expectClose(y.dataSync() as Float32Array, theirY.dataSync());
        const dx = tf.grad((input: Tensor) => tf.sum(ours.apply(input) as Tensor))(x);
        const theirDx = tfjs.grad((input: TfjsTensor) => tfjs.sum(theirs.apply(input) as TfjsTensor))(toTfjs(x));
        expectClose(dx.dataSync() as Float32Array, theirDx.dataSync());
        tf.dispose([x, y, dx]);
      });
    }
    it('leakyReLU matches tfjs', () => {
      compareWithTfjs(nn.layers.leakyReLU({ alpha: 0.2 }), tfjs.layers.leakyReLU({ alpha: 0.2 }), [2, 7, 3]);
    });
  });

  it('configs round trip through the model-file form', () => {
    const layers: nn.Layer[] = [
      nn.layers.zeroPadding2d({ padding: [[1, 2], [3, 4]], inputShape: [5, 5, 2] }),
      nn.layers.upSampling2d({ size: [2, 3], dataFormat: 'channelsFirst', inputShape: [2, 5, 5] }),
      nn.layers.globalMaxPooling2d({ dataFormat: 'channelsFirst', inputShape: [2, 5, 5] }),
      nn.layers.reLU({ maxValue: 6, inputShape: [4] }),
      nn.layers.leakyReLU({ alpha: 0.1, inputShape: [4] }),
    ];
    for (const layer of layers) {
      const copy = roundTrip(layer);
      expect(copy.getClassName()).toBe(layer.getClassName());
      const { name: _a, ...config } = layer.getConfig();
      const { name: _b, ...copyConfig } = copy.getConfig();
      expect(copyConfig).toEqual(config);
    }
  });

  it('rejects bad arguments and inputs naming the layer and shapes', () => {
    expect(() => nn.layers.zeroPadding2d({ padding: [1, 2, 3] as unknown as number })).toThrow(/ZeroPadding2D .*padding must be/);
    expect(() => nn.layers.upSampling2d({ size: 0 })).toThrow(/UpSampling2D .*size must be a positive integer/);
    expect(() => nn.layers.upSampling2d({ interpolation: 'bilinear' })).toThrow(/UpSampling2D .*bilinear/);
    expect(() => nn.layers.globalMaxPooling2d({ dataFormat: 'NHWC' as 'channelsLast' })).toThrow(/GlobalMaxPooling2D .*dataFormat/);
    expect(() => nn.layers.reLU({ maxValue: -1 })).toThrow(/ReLU .*maxValue/);
    const x = tf.ones([2, 3, 4]);
    expect(() => nn.layers.globalAveragePooling2d().apply(x)).toThrow(/GlobalAveragePooling2D .*rank-4.*\[2,3,4\]/);
    expect(() => nn.layers.zeroPadding2d().apply(x)).toThrow(/ZeroPadding2D .*rank-4/);
    x.dispose();
  });

  it('leaves no tensors behind', () => {
    const layer = nn.layers.upSampling2d({ size: 2 });
    const x = random([2, 3, 3, 2], 5);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      tf.grad((input: Tensor) => tf.sum(layer.apply(input) as Tensor))(x);
    });
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
