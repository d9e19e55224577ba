// model.fit where the GPU can only be read asynchronously (the inline transport, as in a browser page):
// losses stay on the device between batches, labels, ids and class weights are never read on the host,
// and a bad label still rejects with a clear Error.
import { describe, expect, it } from 'vitest';
import { expectClose, tf, useSoftwareWebGPU } from './helpers.js';
import { runWebGPUTests } from './webgpu-harness.js';

/** Token ids [n, 4] whose class is (first id) mod 3, so the model can learn it. */
function data(n: number) {
  const ids = Array.from({ length: n * 4 }, (_, i) => (i * 7 + Math.floor(i / 4) * 3) % 12);
  const labels = Array.from({ length: n }, (_, i) => ids[4 * i] % 3);
  return { x: tf.tensor(ids, [n, 4], 'int32'), labels };
}

function buildModel() {
  const model = tf.sequential({ layers: [
    tf.layers.embedding({ inputDim: 12, outputDim: 8, inputLength: 4 }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 3, activation: 'softmax' }),
  ] });
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

describe.skipIf(!runWebGPUTests)('webgpu fit without synchronous reads', () => {
  it('trains an embedding model with class weights and validation, reading only with await data()', async () => {
    useSoftwareWebGPU('inline');
    await tf.setBackend('webgpu');
    const { x, labels } = data(96);
    const y = tf.tensor(labels, [96], 'float32');
    expect(() => y.dataSync()).toThrow(/data\(\)/);
    const model = buildModel();
    const batchLosses: number[] = [];
    const history = await model.fit(x, y, {
      epochs: 12, batchSize: 16, verbose: 0, validationSplit: 0.25, classWeight: { 0: 1, 1: 2, 2: 1 },
      callbacks: { onBatchEnd: (_batch, logs) => void batchLosses.push(logs!.loss) },
    });
    const loss = history.history.loss as number[];
    expect(loss.every(Number.isFinite)).toBe(true);
    expect(loss.at(-1)).toBeLessThan(loss[0] * 0.5);
    expect((history.history.val_loss as number[]).every(Number.isFinite)).toBe(true);
    expect(batchLosses).toHaveLength(12 * Math.ceil(72 / 16));
    expect(batchLosses.every(Number.isFinite)).toBe(true);
    // Memory stays flat over a thousand more steps: tensors, and bytes on the device.
    const before = tf.memory();
    await model.fit(x, y, { epochs: 42, batchSize: 4, verbose: 0 }); // 1,008 steps
    const after = tf.memory();
    expect([after.numTensors, after.numBytes, after.numBytesInBackend]).toEqual([before.numTensors, before.numBytes, before.numBytesInBackend]);
    expect(before.numBytesInBackend).toBeGreaterThan(0);

    const [evalLoss, evalAcc] = model.evaluate(x, y) as tf.Tensor[];
    expect((await evalLoss.data())[0]).toBeLessThan(loss[0]);
    expect((await evalAcc.data())[0]).toBeGreaterThan(0.8);
    tf.dispose([evalLoss, evalAcc, y]);

    // A label outside [0, 3) is found on the device and rejects the fit with the op's message.
    const bad = tf.tensor(labels.map((l, i) => (i === 5 ? 7 : l)), [96], 'float32');
    await expect(model.fit(x, bad, { epochs: 1, batchSize: 16, verbose: 0, shuffle: false })).rejects.toThrow(/sparseSoftmaxCrossEntropy.*7.*out of range/);
    // The engine goes on working.
    expect(Array.from(await tf.add(tf.scalar(1), tf.scalar(2)).data())).toEqual([3]);
    tf.dispose([bad, x]);
    model.dispose();
  });

  it('an LSTM builds (orthogonal weights drawn on the host), trains, and saves through await data()', async () => {
    await tf.setBackend('webgpu');
    const x = tf.tensor3d(Array.from({ length: 32 * 6 * 3 }, (_, i) => Math.sin(i * 0.7)), [32, 6, 3]);
    const y = tf.sum(x, [1, 2]).reshape([32, 1]);
    const model = tf.sequential({ layers: [tf.layers.lstm({ units: 8, inputShape: [6, 3] }), tf.layers.dense({ units: 1 })] });
    model.compile({ optimizer: tf.train.adam(0.02), loss: 'meanSquaredError' });
    const history = await model.fit(x, y, { epochs: 6, batchSize: 8, verbose: 0 });
    const loss = history.history.loss as number[];
    expect(loss.at(-1)).toBeLessThan(loss[0]);
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    // The saved weights, loaded on wasm, predict what the webgpu model predicts.
    const expected = await (model.predict(x) as tf.Tensor).data();
    await tf.setBackend('wasm');
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const wasmX = tf.tensor3d(Array.from({ length: 32 * 6 * 3 }, (_, i) => Math.sin(i * 0.7)), [32, 6, 3]);
    expectClose(await (loaded.predict(wasmX) as tf.Tensor).data(), expected, { rtol: 1e-4, atol: 1e-5 });
    tf.dispose([x, y, wasmX]);
    model.dispose();
    loaded.dispose();
  });
});
