// embedding and masking layers vs tfjs-layers: lookups and the gradient w.r.t. the table (ids of rank 1
// to 3, odd sizes), maskZero / maskValue masks, ids outside the vocabulary, config round trips.
import { beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend, expectClose, loadTfjs, randomValues, tf, type Tensor } from './helpers.js';
import * as nn from '../src/nn/index.js';

const tfjs = await loadTfjs();
type TfjsTensor = ReturnType<typeof tfjs.tensor>;

const ids = (count: number, vocabulary: number, seed: number) =>
  Array.from(randomValues(count, seed, 0, vocabulary), (v) => Math.min(vocabulary - 1, Math.floor(v)));

describeEachBackend('embedding vs tfjs-layers', () => {
  const cases: { shape: number[]; inputDim: number; outputDim: number; inputLength?: number | number[] }[] = [
    { shape: [5], inputDim: 3, outputDim: 1 },
    { shape: [3, 7], inputDim: 11, outputDim: 5, inputLength: 7 },
    { shape: [2, 3, 4], inputDim: 17, outputDim: 3, inputLength: [3, 4] },
  ];
  for (const { shape, inputDim, outputDim, inputLength } of cases) {
    it(`ids [${shape}], table [${inputDim}, ${outputDim}]: lookup and the table gradient (repeated ids accumulate)`, () => {
      const ours = nn.layers.embedding({ inputDim, outputDim, inputLength });
      const theirs = tfjs.layers.embedding({ inputDim, outputDim, inputLength });
      const values = ids(shape.reduce((p, d) => p * d, 1), inputDim, 3);
      const x = tf.tensor(values, shape, 'int32');
      const theirX = tfjs.tensor(values, shape, 'int32');
      tf.dispose(ours.apply(x) as Tensor);
      tfjs.dispose(theirs.apply(theirX) as TfjsTensor);
      theirs.setWeights([tfjs.tensor(Array.from(ours.getWeights()[0].dataSync()), [inputDim, outputDim])]);
      const y = ours.apply(x) as Tensor;
      const theirY = theirs.apply(theirX) as TfjsTensor;
      expect(y.shape).toEqual(theirY.shape);
      expectClose(y.dataSync() as Float32Array, theirY.dataSync(), { rtol: 0, atol: 0 });
      if (shape.length > 1) expect(ours.computeOutputShape([null, ...shape.slice(1)])).toEqual([null, ...y.shape.slice(1)]);
      const weighting = Array.from(randomValues(y.size, 9, 0.5, 1.5));
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(ours.apply(x) as Tensor, tf.tensor(weighting, y.shape))), [ours.weights[0].read()]);
      const theirVariable = (theirs.trainableWeights[0] as unknown as { val: ReturnType<typeof tfjs.variable> }).val;
      const theirGrads = tfjs.variableGrads(() => tfjs.sum(tfjs.mul(theirs.apply(theirX) as TfjsTensor, tfjs.tensor(weighting, theirY.shape))) as ReturnType<typeof tfjs.scalar>, [theirVariable]).grads;
      expectClose(grads[ours.weights[0].name].dataSync() as Float32Array, theirGrads[theirVariable.name].dataSync(), { rtol: 1e-5, atol: 1e-6 });
      tf.dispose([x, y, ...Object.values(grads)]);
      ours.dispose();
    });
  }

  it('float ids work as tfjs (cast to int32); the layer frees its temporaries', () => {
    const layer = nn.layers.embedding({ inputDim: 4, outputDim: 2 });
    const x = tf.tensor([[0, 3, 1]]);
    tf.dispose(layer.apply(x) as Tensor);
    const table = layer.getWeights()[0].dataSync() as Float32Array;
    const before = tf.memory().numTensors;
    const y = layer.apply(x) as Tensor;
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(Array.from(y.dataSync())).toEqual([table[0], table[1], table[6], table[7], table[2], table[3]]);
    tf.dispose([x, y]);
    layer.dispose();
  });
});

describe('embedding masks and errors [wasm]', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });
  it('maskZero: computeMask is ids != 0; without maskZero there is no mask', () => {
    const masked = nn.layers.embedding({ inputDim: 5, outputDim: 2, maskZero: true });
    const plain = nn.layers.embedding({ inputDim: 5, outputDim: 2 });
    const x = tf.tensor([[1, 0, 4], [0, 0, 2]], [2, 3], 'int32');
    const mask = masked.computeMask(x, null) as Tensor;
    expect(mask.dtype).toBe('bool');
    expect(Array.from(mask.dataSync())).toEqual([1, 0, 1, 0, 0, 1]);
    expect(plain.computeMask(x, null)).toBeNull();
    expect(masked.supportsMasking).toBe(true);
    tf.dispose([x, mask]);
  });

  it('ids outside [0, inputDim) or fractional ids: an Error naming the layer, the id and the input shape', () => {
    const layer = nn.layers.embedding({ inputDim: 10, outputDim: 3, name: 'words' });
    expect(() => layer.apply(tf.tensor([[1, 2, 10]], [1, 3], 'int32'))).toThrow(/Embedding 'words': id 10 at flat index 2 of input \[1,3\] is outside the vocabulary \[0, 10\)/);
    expect(() => layer.apply(tf.tensor([[-1, 2]], [1, 2], 'int32'))).toThrow(/id -1 at flat index 0/);
    expect(() => layer.apply(tf.tensor([[2.5]]))).toThrow(/id 2.5 at flat index 0/);
    expect(() => nn.layers.embedding({ inputDim: 0, outputDim: 3 })).toThrow(/inputDim must be a positive integer, got 0/);
    expect(() => nn.layers.embedding({ inputDim: 3, outputDim: 1.5 })).toThrow(/outputDim must be a positive integer, got 1.5/);
    layer.dispose();
  });

  it('masking: steps whose features all equal maskValue become zeros and are masked, as tfjs', () => {
    const values = [1, 2, -1, -1, 0, -1, -1, -1, 3, 3];
    const ours = nn.layers.masking({ maskValue: -1 });
    const theirs = tfjs.layers.masking({ maskValue: -1 });
    const x = tf.tensor(values, [1, 5, 2]);
    const y = ours.apply(x) as Tensor;
    expectClose(y.dataSync() as Float32Array, (theirs.apply(tfjs.tensor(values, [1, 5, 2])) as TfjsTensor).dataSync(), { rtol: 0, atol: 0 });
    const mask = ours.computeMask(x, null) as Tensor;
    expect(Array.from(mask.dataSync())).toEqual([1, 0, 1, 0, 1]);
    tf.dispose([x, y, mask]);
  });

  it('configs round trip through the model-file form and load in tfjs with the same table', async () => {
    const model = nn.sequential({ layers: [
      nn.layers.embedding({ inputDim: 6, outputDim: 3, maskZero: true, inputLength: 4, embeddingsInitializer: 'glorotUniform' }),
      nn.layers.masking({ maskValue: 0.5 }),
    ] });
    const copy = nn.modelFromTopology(JSON.parse(JSON.stringify(nn.modelTopology(model))));
    expect(copy.layers.map((l) => l.getConfig())).toEqual(model.layers.map((l) => l.getConfig()));
    copy.dispose();
    let saved: Parameters<typeof nn.io.fromMemory>[0] | undefined;
    await model.save(nn.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const theirs = await tfjs.loadLayersModel(tfjs.io.fromMemory(saved as unknown as Parameters<typeof tfjs.io.fromMemory>[0]));
    const x = tf.tensor([[1, 5, 0, 2]], [1, 4]);
    const expected = model.predict(x) as Tensor;
    expectClose((theirs.predict(tfjs.tensor([[1, 5, 0, 2]], [1, 4])) as TfjsTensor).dataSync(), expected.dataSync() as Float32Array, { rtol: 0, atol: 0 });
    tf.dispose([x, expected]);
    model.dispose();
  });
});
