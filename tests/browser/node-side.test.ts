// The parts of tf.browser and the browser model stores that run in Node: base64, pixel buffers, and
// the errors that say a browser is needed (this process has no DOM, IndexedDB or localStorage).
import { describe, expect, it } from 'vitest';
import * as tf from '../../src/index.js';
import { arrayBufferToBase64, base64ToArrayBuffer } from '../../src/nn/io/base64.js';

describe('base64 (localStorage weight data)', () => {
  it('matches Node\'s Buffer base64 both ways, across the 32 KiB chunk boundary', () => {
    for (const length of [0, 1, 2, 3, 4, 5, 0x8000 - 1, 0x8000, 0x8000 * 3 + 7]) {
      const bytes = new Uint8Array(length);
      for (let i = 0; i < length; i++) bytes[i] = (i * 131 + 17) % 256;
      const text = arrayBufferToBase64(bytes.buffer);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(new Uint8Array(base64ToArrayBuffer(text))).toEqual(bytes);
    }
  });

  it('names the source of text that is not base64', () => {
    expect(() => base64ToArrayBuffer('no*base64!', 'the weight data of localstorage://m')).toThrow(
      /^the weight data of localstorage:\/\/m is not valid base64 \(10 characters\)/,
    );
  });
});

describe('tf.browser without a DOM', () => {
  it('fromPixels reads {data, width, height} buffers in Node', () => {
    const data = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const rgb = tf.browser.fromPixels({ data, width: 2, height: 1 });
    expect(rgb.shape).toEqual([1, 2, 3]);
    expect(rgb.dtype).toBe('int32');
    expect(Array.from(rgb.dataSync())).toEqual([1, 2, 3, 5, 6, 7]);
    expect(Array.from(tf.browser.fromPixels({ data, width: 1, height: 2 }, 1).dataSync())).toEqual([1, 5]);
    expect(Array.from(tf.browser.fromPixels({ data: new Uint8ClampedArray(data), width: 2, height: 1 }, 4).dataSync())).toEqual(Array.from(data));
  });

  it('fromPixels says an element needs a browser and what to pass instead', () => {
    class HTMLImageElement {
      width = 4;
      height = 4;
    }
    expect(() => tf.browser.fromPixels(new HTMLImageElement() as never)).toThrow(
      'fromPixels: reading a HTMLImageElement needs a browser (a canvas to draw it on); outside a browser pass an ImageData-like object {data: Uint8Array of RGBA bytes, width, height}',
    );
  });

  it('toPixels returns bytes in Node and needs a browser only to paint a canvas', async () => {
    const bytes = await tf.browser.toPixels(tf.tensor([[[10, 20, 30]]], [1, 1, 3], 'int32'));
    expect(Array.from(bytes)).toEqual([10, 20, 30, 255]);
    const canvas = { width: 0, height: 0, getContext: () => null } as never;
    await expect(tf.browser.toPixels(tf.zeros([1, 1], 'int32'), canvas)).rejects.toThrow(/^toPixels: drawing on a canvas needs a browser \(no ImageData here\)/);
  });

  it('keeps no tensors it made (plain-array input is disposed)', async () => {
    const before = tf.memory().numTensors;
    await tf.browser.toPixels([[1, 2]] as never);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('browser model stores without a browser', () => {
  it('indexeddb://, localstorage:// and downloads:// say what they need', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
    await expect(model.save('indexeddb://m')).rejects.toThrow(
      'indexeddb://m: IndexedDB is not available here (it needs a browser page or worker); in Node save to file://path instead',
    );
    await expect(tf.loadLayersModel('localstorage://m')).rejects.toThrow(/^localstorage:\/\/m: localStorage is not available here/);
    await expect(model.save('downloads://m')).rejects.toThrow(/^downloads:\/\/m: downloads need a browser page/);
    await expect(tf.io.listModels()).rejects.toThrow(/^listModels: no model store \(indexeddb:\/\/, localstorage:\/\/\) is available here/);
    await expect(tf.io.removeModel('localstorage://m')).rejects.toThrow(/^removeModel\(localstorage:\/\/m\): localStorage is not available here/);
    expect(() => tf.io.browserFiles([])).toThrow(/^io\.browserFiles: expected \[model\.json File, \.\.\.weight Files\]/);
    model.dispose();
  });
});
