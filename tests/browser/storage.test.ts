// Browser model storage in Chromium: indexeddb:// and localstorage:// save/load with equal predictions,
// tfjs's exact layout on disk, list/copy/move/remove, a missing name, a full quota (nothing half-saved),
// downloads:// and io.browserFiles.
import { beforeEach, describe, expect, it } from 'vitest';
import { useBrowser } from './harness.js';

const browser = useBrowser();

// Each test starts from empty stores in this origin.
beforeEach(async () => {
  await browser.page.evaluate(async () => {
    localStorage.clear();
    await new Promise((resolve, reject) => {
      const request = indexedDB.deleteDatabase('tensorflowjs');
      request.onsuccess = resolve;
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error('deleteDatabase blocked: a connection was left open'));
    });
  });
});

/** Page-side helpers installed once per body (bodies cannot share test-file code). */
const SETUP = `
  globalThis.__makeModel = (tf) => {
    const model = tf.sequential();
    model.add(tf.layers.dense({ units: 3, inputShape: [4], activation: 'relu' }));
    model.add(tf.layers.dense({ units: 2 }));
    return model;
  };
  globalThis.__input = (tf) => tf.tensor([[0.5, -1, 2, 0.25], [1, 1, -0.5, 3]], [2, 4]);
  globalThis.__message = (promise) => promise.then(() => 'no error', (err) => String(err && err.message || err));
`;
async function setup(): Promise<void> {
  await browser.page.evaluate(SETUP);
}

describe('indexeddb:// and localstorage://', () => {
  for (const scheme of ['indexeddb://', 'localstorage://']) {
    it(`${scheme} saves and loads a sequential model with equal predictions`, async () => {
      await setup();
      const result = await browser.run(async (tf, url) => {
        const g = globalThis as any;
        const model = g.__makeModel(tf);
        const before = model.predict(g.__input(tf)).arraySync();
        const saved = await model.save(url);
        const loaded = await tf.loadLayersModel(url);
        const after = (loaded.predict(g.__input(tf)) as any).arraySync();
        return { before, after, info: saved.modelArtifactsInfo, weights: model.getWeights().length };
      }, `${scheme}mlp`);
      expect(result.after).toEqual(result.before);
      expect(result.info.modelTopologyType).toBe('JSON');
      expect(result.info.weightDataBytes).toBe((4 * 3 + 3 + 3 * 2 + 2) * 4);
    });
  }

  it('writes tfjs\'s IndexedDB layout and localStorage keys', async () => {
    await setup();
    const layout = await browser.run(async (tf) => {
      const model = (globalThis as any).__makeModel(tf);
      await model.save('indexeddb://layout');
      await model.save('localstorage://layout');
      const db: IDBDatabase = await new Promise((resolve, reject) => {
        const request = indexedDB.open('tensorflowjs');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      const get = (store: string) =>
        new Promise<any>((resolve) => {
          const request = db.transaction(store).objectStore(store).get('layout');
          request.onsuccess = () => resolve(request.result);
        });
      const record = await get('models_store');
      const info = await get('model_info_store');
      const stores = Array.from(db.objectStoreNames);
      const keyPath = db.transaction('models_store').objectStore('models_store').keyPath;
      db.close();
      const keys = Object.keys(localStorage).sort();
      return {
        version: db.version, stores, keyPath,
        recordKeys: Object.keys(record).sort(),
        weightDataIsBuffer: record.modelArtifacts.weightData instanceof ArrayBuffer,
        topologyClass: record.modelArtifacts.modelTopology.class_name,
        infoKeys: Object.keys(info).sort(),
        keys,
        weightDataBase64Bytes: atob(localStorage.getItem('tensorflowjs_models/layout/weight_data')!).length,
        metadata: JSON.parse(localStorage.getItem('tensorflowjs_models/layout/model_metadata')!),
      };
    });
    expect(layout.version).toBe(1);
    expect(layout.stores.sort()).toEqual(['model_info_store', 'models_store']);
    expect(layout.keyPath).toBe('modelPath');
    expect(layout.recordKeys).toEqual(['modelArtifacts', 'modelArtifactsInfo', 'modelPath']);
    expect(layout.weightDataIsBuffer).toBe(true);
    expect(layout.topologyClass).toBe('Sequential');
    expect(layout.infoKeys).toEqual(['modelArtifactsInfo', 'modelPath']);
    expect(layout.keys).toEqual(['info', 'model_metadata', 'model_topology', 'weight_data', 'weight_specs'].map((k) => `tensorflowjs_models/layout/${k}`));
    expect(layout.weightDataBase64Bytes).toBe(23 * 4);
    expect(layout.metadata.format).toBe('layers-model');
  });

  it('lists, copies, moves and removes across both stores', async () => {
    await setup();
    const result = await browser.run(async (tf) => {
      const g = globalThis as any;
      const model = g.__makeModel(tf);
      const expected = model.predict(g.__input(tf)).arraySync();
      await model.save('indexeddb://a');
      const listed = async () => Object.keys(await tf.io.listModels()).sort();
      const steps: Record<string, unknown> = { afterSave: await listed() };
      await tf.io.copyModel('indexeddb://a', 'localstorage://b');
      steps.afterCopy = await listed();
      await tf.io.moveModel('localstorage://b', 'indexeddb://c');
      steps.afterMove = await listed();
      const moved = await tf.loadLayersModel('indexeddb://c');
      steps.movedEqual = JSON.stringify((moved.predict(g.__input(tf)) as any).arraySync()) === JSON.stringify(expected);
      await tf.io.moveModel('indexeddb://c', 'indexeddb://d');
      steps.afterSameStoreMove = await listed();
      const removed = await tf.io.removeModel('indexeddb://a');
      steps.removedBytes = removed.weightDataBytes;
      steps.afterRemove = await listed();
      const info = (await tf.io.listModels())['indexeddb://d'];
      steps.dateIsDate = info.dateSaved instanceof Date;
      await tf.io.copyModel('indexeddb://d', 'localstorage://e');
      const lsInfo = (await tf.io.listModels())['localstorage://e'];
      steps.lsDateIsDate = lsInfo.dateSaved instanceof Date && !Number.isNaN(lsInfo.dateSaved.getTime());
      steps.removeMissing = await g.__message(tf.io.removeModel('localstorage://nope'));
      steps.removeBadScheme = await g.__message(tf.io.removeModel('http://x/model.json'));
      steps.sameCopy = await g.__message(tf.io.copyModel('indexeddb://d', 'indexeddb://d'));
      return steps;
    });
    expect(result.afterSave).toEqual(['indexeddb://a']);
    expect(result.afterCopy).toEqual(['indexeddb://a', 'localstorage://b']);
    expect(result.afterMove).toEqual(['indexeddb://a', 'indexeddb://c']);
    expect(result.movedEqual).toBe(true);
    expect(result.afterSameStoreMove).toEqual(['indexeddb://a', 'indexeddb://d']);
    expect(result.removedBytes).toBe(23 * 4);
    expect(result.afterRemove).toEqual(['indexeddb://d']);
    expect(result.dateIsDate).toBe(true);
    expect(result.lsDateIsDate).toBe(true);
    expect(result.removeMissing).toBe('removeModel: there is no model at localstorage://nope; localStorage holds: localstorage://e');
    expect(result.removeBadScheme).toMatch(/^removeModel: http:\/\/x\/model\.json is not in a model store; expected a URL starting with indexeddb:\/\/, localstorage:\/\//);
    expect(result.sameCopy).toBe('copyModel: the source and destination are the same: indexeddb://d');
  });

  it('names the missing model and lists what exists', async () => {
    await setup();
    const messages = await browser.run(async (tf) => {
      const g = globalThis as any;
      const empty = {
        idb: await g.__message(tf.loadLayersModel('indexeddb://ghost')),
        ls: await g.__message(tf.loadLayersModel('localstorage://ghost')),
      };
      const model = g.__makeModel(tf);
      await model.save('indexeddb://kept');
      await model.save('indexeddb://also');
      await model.save('localstorage://kept');
      return {
        ...empty,
        idbListed: await g.__message(tf.loadLayersModel('indexeddb://ghost')),
        lsListed: await g.__message(tf.loadLayersModel('localstorage://ghost')),
        noName: await g.__message((async () => tf.loadLayersModel('indexeddb://'))()),
        downloadsLoad: await g.__message((async () => tf.loadLayersModel('downloads://m'))()),
      };
    });
    expect(messages.idb).toBe('loadLayersModel: there is no model at indexeddb://ghost; IndexedDB holds no models in this origin');
    expect(messages.ls).toBe('loadLayersModel: there is no model at localstorage://ghost; localStorage holds no models in this origin');
    expect(messages.idbListed).toBe('loadLayersModel: there is no model at indexeddb://ghost; IndexedDB holds: indexeddb://also, indexeddb://kept');
    expect(messages.lsListed).toBe('loadLayersModel: there is no model at localstorage://ghost; localStorage holds: localstorage://kept');
    expect(messages.noName).toMatch(/indexeddb:\/\/ needs a model name after the scheme/);
    expect(messages.downloadsLoad).toMatch(/downloads:\/\/ can only save; load the downloaded files with io\.browserFiles/);
  });
});

describe('a full quota', () => {
  it('localStorage: a QuotaExceededError on the 4th write leaves nothing new and keeps the old model', async () => {
    await setup();
    const result = await browser.run(async (tf) => {
      const g = globalThis as any;
      const old = g.__makeModel(tf);
      await old.save('localstorage://m');
      const oldPrediction = JSON.stringify(old.predict(g.__input(tf)).arraySync());
      const before = JSON.stringify(Object.entries(localStorage).sort());
      const realSetItem = Storage.prototype.setItem;
      let calls = 0;
      Storage.prototype.setItem = function (key: string, value: string) {
        calls++;
        if (calls === 4) throw new DOMException('quota exceeded (simulated)', 'QuotaExceededError');
        return realSetItem.call(this, key, value);
      };
      let overwrite: string;
      let fresh: string;
      try {
        overwrite = await g.__message(g.__makeModel(tf).save('localstorage://m'));
        calls = 0;
        fresh = await g.__message(g.__makeModel(tf).save('localstorage://new'));
      } finally {
        Storage.prototype.setItem = realSetItem;
      }
      const after = JSON.stringify(Object.entries(localStorage).sort());
      const reloaded = await tf.loadLayersModel('localstorage://m');
      return {
        overwrite, fresh, unchanged: before === after,
        keys: Object.keys(localStorage).filter((k) => k.includes('/new/')),
        oldKept: JSON.stringify((reloaded.predict(g.__input(tf)) as any).arraySync()) === oldPrediction,
      };
    });
    expect(result.overwrite).toMatch(/^save to localstorage:\/\/m failed while writing tensorflowjs_models\/m\/weight_data: the origin's localStorage quota .* is full.*nothing was changed$/);
    expect(result.fresh).toMatch(/^save to localstorage:\/\/new failed while writing tensorflowjs_models\/new\/weight_data/);
    expect(result.keys).toEqual([]);
    expect(result.unchanged).toBe(true);
    expect(result.oldKept).toBe(true);
  });

  it('IndexedDB: a QuotaExceededError from put leaves neither record', async () => {
    await setup();
    const result = await browser.run(async (tf) => {
      const g = globalThis as any;
      const realPut = IDBObjectStore.prototype.put;
      // The model record is the second put of the one transaction: failing it must undo the info record.
      IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: any[]) {
        if (this.name === 'models_store') throw new DOMException('quota exceeded (simulated)', 'QuotaExceededError');
        return (realPut as any).apply(this, args);
      };
      let message: string;
      try {
        message = await g.__message(g.__makeModel(tf).save('indexeddb://big'));
      } finally {
        IDBObjectStore.prototype.put = realPut;
      }
      return { message, listed: Object.keys(await tf.io.listModels()) };
    });
    expect(result.message).toMatch(/^save to indexeddb:\/\/big failed: the origin's storage quota is full \(92 bytes of weights\); nothing was written/);
    expect(result.listed).toEqual([]);
  });
});

describe('downloads:// and io.browserFiles', () => {
  it('downloads name.json and name.weights.bin, which browserFiles loads back with equal predictions', async () => {
    await setup();
    const downloads: { name: string; path: string }[] = [];
    const collecting = new Promise<void>((resolve) => {
      browser.page.on('download', async (download) => {
        downloads.push({ name: download.suggestedFilename(), path: (await download.path())! });
        if (downloads.length === 2) resolve();
      });
    });
    const expected = await browser.run(async (tf) => {
      const g = globalThis as any;
      const model = g.__makeModel(tf);
      (globalThis as any).__saved = model;
      await model.save('downloads://my-net');
      return model.predict(g.__input(tf)).arraySync();
    });
    await collecting;
    expect(downloads.map((d) => d.name).sort()).toEqual(['my-net.json', 'my-net.weights.bin']);
    const { readFile } = await import('node:fs/promises');
    const files = await Promise.all(downloads.map(async (d) => ({ name: d.name, bytes: Array.from(await readFile(d.path)) })));
    const json = JSON.parse(Buffer.from(files.find((f) => f.name.endsWith('.json'))!.bytes).toString('utf8'));
    expect(json.weightsManifest[0].paths).toEqual(['./my-net.weights.bin']);
    expect(json.format).toBe('layers-model');

    const result = await browser.run(async (tf, files) => {
      const g = globalThis as any;
      const asFile = (f: { name: string; bytes: number[] }) => new File([new Uint8Array(f.bytes)], f.name);
      const json = asFile(files.find((f) => f.name.endsWith('.json'))!);
      const weights = asFile(files.find((f) => f.name.endsWith('.bin'))!);
      const model = await tf.loadLayersModel(tf.io.browserFiles([json, weights]));
      return {
        prediction: (model.predict(g.__input(tf)) as any).arraySync(),
        missing: await g.__message(tf.loadLayersModel(tf.io.browserFiles([json]))),
        extra: await g.__message(tf.loadLayersModel(tf.io.browserFiles([json, weights, new File(['x'], 'other.bin')]))),
        truncated: await g.__message(tf.loadLayersModel(tf.io.browserFiles([json, new File([new Uint8Array(8)], 'my-net.weights.bin')]))),
        badJSON: await g.__message(tf.loadLayersModel(tf.io.browserFiles([new File(['{"modelTopology": '], 'broken.json')]))),
        none: await g.__message((async () => tf.io.browserFiles([]))()),
      };
    }, files);
    expect(result.prediction).toEqual(expected);
    expect(result.missing).toBe('io.browserFiles: my-net.json needs the weight file my-net.weights.bin (path ./my-net.weights.bin); no weight files were given');
    expect(result.extra).toBe('io.browserFiles: my-net.json does not list other.bin; pass only its own weight files');
    expect(result.truncated).toMatch(/^weights file my-net\.weights\.bin \(8 bytes\) is truncated/);
    expect(result.badJSON).toMatch(/^broken\.json is not valid JSON/);
    expect(result.none).toMatch(/^io\.browserFiles: expected \[model\.json File, \.\.\.weight Files\], got an empty list/);
  });
});
