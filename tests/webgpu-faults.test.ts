// GPU faults: a device lost mid-fit (here destroyed behind sinew's back, as a driver reset would) rejects the
// fit with the reason, every later op says why, `await tf.ready()` continues on a new device, and tensors of
// the lost device fail clearly instead of reading garbage; an op over the adapter's buffer limit fails alone.
import { describe, expect, it, vi } from 'vitest';
import { tf, useSoftwareWebGPU } from './helpers.js';
import { runWebGPUTests } from './webgpu-harness.js';
import { ENGINE } from '../src/engine.js';
import type { WebGPUBackend } from '../src/backend/webgpu/index.js';
import type { InlineTransport } from '../src/backend/webgpu/transport.js';

describe.skipIf(!runWebGPUTests)('webgpu device loss', () => {
  it('rejects the fit, names the loss, and recovers on tf.ready()', async () => {
    useSoftwareWebGPU('inline');
    await tf.setBackend('webgpu');
    const backend = ENGINE.findBackend('webgpu') as WebGPUBackend;
    const x = tf.tensor2d(Array.from({ length: 64 * 4 }, (_, i) => Math.sin(i)), [64, 4]);
    const y = tf.sum(x, 1, true);
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 8, activation: 'relu', inputShape: [4] }), tf.layers.dense({ units: 1 })] });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
    const loseDevice = { onEpochEnd: (epoch: number) => { if (epoch === 1) (backend.transport as InlineTransport).exec.device.destroy(); } };
    await expect(model.fit(x, y, { epochs: 5, batchSize: 16, verbose: 0, callbacks: loseDevice })).rejects.toThrow(/GPU device was lost/);
    expect(() => tf.add(tf.scalar(1), 1)).toThrow(/GPU device was lost.*tf\.ready\(\)/);

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await tf.ready();
    expect(warn.mock.calls.some(([text]) => /opened a new one/.test(String(text)))).toBe(true);
    warn.mockRestore();
    expect(Array.from(await tf.add(tf.scalar(1), 2).data())).toEqual([3]);
    await expect(x.data()).rejects.toThrow(/tensor of a GPU device that failed \(webgpu backend: the GPU device was lost/);
    tf.dispose([x, y]); // disposing tensors of the lost device is harmless
    model.dispose();
    expect(backend.memory().buffers).toBeLessThan(5);
  });
});

describe.skipIf(!runWebGPUTests)('webgpu limits', () => {
  it('an op whose output exceeds maxStorageBufferBindingSize fails with the op and the limit; the backend goes on', async () => {
    useSoftwareWebGPU('inline');
    await tf.setBackend('webgpu');
    const limit = (ENGINE.findBackend('webgpu') as WebGPUBackend).transport.limits.maxStorageBufferBindingSize;
    const elements = Math.floor(limit / 4) + 1;
    expect(() => tf.fill([elements], 1)).toThrow(new RegExp(`webgpu backend: fill needs a buffer of ${elements} elements .*maxStorageBufferBindingSize of ${limit} bytes`));
    const x = tf.ones([1, Math.ceil(elements / 2)]);
    expect(() => tf.concat([x, x, x], 0)).toThrow(/concat needs a buffer/);
    expect(Array.from(await tf.add(tf.scalar(2), 3).data())).toEqual([5]);
    x.dispose();
  });
});
