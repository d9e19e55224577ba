// sinew and @tensorflow/tfjs read each other's browser saves, in one page: tfjs → sinew and sinew →
// tfjs through indexeddb:// and localstorage://, predictions equal to float32 rounding.
import { describe, expect, it } from 'vitest';
import { useBrowser } from './harness.js';

// tfjs's UMD build defines window.tf; the body's `tf` argument is sinew.
const browser = useBrowser({ scripts: ['/node_modules/@tensorflow/tfjs/dist/tf.min.js'] });

function expectClose(actual: number[][], expected: number[][]): void {
  expect(actual.length).toBe(expected.length);
  actual.flat().forEach((value, i) => expect(value).toBeCloseTo(expected.flat()[i], 5));
}

describe('tfjs interop', () => {
  for (const scheme of ['indexeddb://', 'localstorage://']) {
    it(`a model saved by tfjs to ${scheme} loads in sinew, and one saved by sinew loads in tfjs`, async () => {
      const result = await browser.run(async (sinew, scheme) => {
        const tfjs = (globalThis as any).tf;
        await tfjs.setBackend('cpu');
        const input = [[0.5, -1, 2, 0.25], [1, 1, -0.5, 3]];

        const byTfjs = tfjs.sequential();
        byTfjs.add(tfjs.layers.dense({ units: 3, inputShape: [4], activation: 'relu' }));
        byTfjs.add(tfjs.layers.dense({ units: 2, activation: 'softmax' }));
        await byTfjs.save(`${scheme}from-tfjs`);
        const tfjsSays = byTfjs.predict(tfjs.tensor(input)).arraySync();
        const inSinew = await sinew.loadLayersModel(`${scheme}from-tfjs`);
        const sinewSays = (inSinew.predict(sinew.tensor(input)) as any).arraySync();

        const bySinew = sinew.sequential();
        bySinew.add(sinew.layers.dense({ units: 3, inputShape: [4], activation: 'tanh' }));
        bySinew.add(sinew.layers.dense({ units: 2 }));
        await bySinew.save(`${scheme}from-sinew`);
        const sinewOwn = (bySinew.predict(sinew.tensor(input)) as any).arraySync();
        const inTfjs = await tfjs.loadLayersModel(`${scheme}from-sinew`);
        const tfjsReads = inTfjs.predict(tfjs.tensor(input)).arraySync();

        // Each library lists the other's save.
        const sinewLists = Object.keys(await sinew.io.listModels()).sort();
        const tfjsLists = Object.keys(await tfjs.io.listModels()).sort();
        return { tfjsSays, sinewSays, sinewOwn, tfjsReads, sinewLists, tfjsLists, tfjsVersion: tfjs.version.tfjs };
      }, scheme);
      console.log(`tfjs ${result.tfjsVersion}`);
      expectClose(result.sinewSays, result.tfjsSays);
      expectClose(result.tfjsReads, result.sinewOwn);
      expect(result.sinewLists).toEqual(expect.arrayContaining([`${scheme}from-sinew`, `${scheme}from-tfjs`]));
      expect(result.tfjsLists).toEqual(result.sinewLists);
    });
  }

  it('tf.io.copyModel in sinew produces a copy tfjs loads, and tfjs.io.removeModel removes a sinew save', async () => {
    const result = await browser.run(async (sinew) => {
      const tfjs = (globalThis as any).tf;
      await tfjs.setBackend('cpu');
      const model = sinew.sequential();
      model.add(sinew.layers.dense({ units: 2, inputShape: [3] }));
      await model.save('indexeddb://original');
      await sinew.io.copyModel('indexeddb://original', 'localstorage://copy');
      const own = (model.predict(sinew.tensor([[1, 2, 3]])) as any).arraySync();
      const copy = (await tfjs.loadLayersModel('localstorage://copy')).predict(tfjs.tensor([[1, 2, 3]])).arraySync();
      await tfjs.io.removeModel('indexeddb://original');
      return { own, copy, left: Object.keys(await sinew.io.listModels()).filter((u) => u.includes('original')) };
    });
    expectClose(result.copy, result.own);
    expect(result.left).toEqual([]);
  });
});
