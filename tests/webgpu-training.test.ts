// model.fit on webgpu (Dawn on Mesa's OpenGL ES, device worker) against wasm from the same initial weights:
// the losses of every epoch agree, and the model learns.
import { describe, expect, it } from 'vitest';
import { tf, useSoftwareWebGPU } from './helpers.js';
import { runWebGPUTests } from './webgpu-harness.js';

describe.skipIf(!runWebGPUTests)('webgpu training', () => {
  it('an MLP fit (Adam, softmax cross-entropy) follows wasm epoch by epoch and learns', async () => {
    const n = 256;
    const xs = Array.from({ length: n * 2 }, (_, i) => Math.sin(i * 12.9898) * 0.5 + 0.5);
    const labels = Array.from({ length: n }, (_, i) => (xs[2 * i] + xs[2 * i + 1] > 1 ? 1 : 0));
    let initial: Float32Array[] | undefined;
    const histories: { loss: number[]; acc: number[] }[] = [];
    useSoftwareWebGPU('worker');
    for (const backend of ['wasm', 'webgpu']) {
      await tf.setBackend(backend);
      const model = tf.sequential({ layers: [
        tf.layers.dense({ units: 16, activation: 'relu', inputShape: [2] }), tf.layers.dense({ units: 2, activation: 'softmax' }),
      ] });
      if (!initial) initial = model.getWeights().map((w) => w.dataSync() as Float32Array);
      else model.setWeights(initial.map((values, i) => tf.tensor(values, model.weights[i].shape)));
      model.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      const x = tf.tensor(xs, [n, 2]);
      const y = tf.oneHot(tf.tensor(labels, [n], 'int32'), 2);
      const history = await model.fit(x, y, { epochs: 15, batchSize: 64, shuffle: false, verbose: 0 });
      histories.push({ loss: history.history.loss as number[], acc: history.history.acc as number[] });
      x.dispose();
      y.dispose();
      model.dispose();
    }
    await tf.setBackend('wasm');
    const [wasm, webgpu] = histories;
    webgpu.loss.forEach((loss, epoch) => expect(Math.abs(loss - wasm.loss[epoch]), `epoch ${epoch}`).toBeLessThan(1e-3 + 1e-3 * wasm.loss[epoch]));
    expect(webgpu.acc.at(-1)).toBeGreaterThan(0.9);
  });
});
