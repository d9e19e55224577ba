// Checkpoints (src/io/checkpoint.ts): resume is exact (2 epochs straight = 1 epoch, save, fresh model +
// optimizer, load, 1 more epoch, bit for bit, Adam's moments and iteration count included), the fit
// callback, a crash at each stage of a save leaving the previous checkpoint loadable, and clear Errors for
// shape mismatches, a different optimizer, and a missing or foreign checkpoint.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointCallback, loadCheckpoint, saveCheckpoint } from '../src/io/checkpoint.js';
import { nodeFileOperations } from '../src/nn/io/file.js';
import { layers, sequential } from '../src/nn/index.js';
import type { LayersModel } from '../src/nn/index.js';
import { randomValues, tf } from './helpers.js';
import type { Tensor } from './helpers.js';

let scratch: string;
beforeAll(async () => {
  await tf.setBackend('wasm');
  scratch = await mkdtemp(join(tmpdir(), 'sinew-checkpoint-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const live: (LayersModel | Tensor)[] = [];
function track<T extends LayersModel | Tensor>(x: T): T {
  live.push(x);
  return x;
}
afterAll(() => {
  for (const x of live) x.dispose();
});

/** A small MLP with a batch-norm layer (so non-trainable weights are in the checkpoint too). */
function buildModel(hidden = 6): LayersModel {
  return track(sequential({
    layers: [
      layers.dense({ units: hidden, inputShape: [5], activation: 'relu' }),
      layers.batchNormalization(),
      layers.dense({ units: 3, activation: 'softmax' }),
    ],
  }));
}

const samples = 37; // not a multiple of the batch size: the last batch is short
const x = track(tf.tensor(Array.from(randomValues(samples * 5, 1)), [samples, 5]));
const y = track(tf.oneHot(tf.tensor(Array.from({ length: samples }, (_, i) => (i * 7) % 3), [samples], 'int32'), 3));
const fitArgs = { batchSize: 8, shuffle: false, verbose: 0 } as const;

const weightValues = (model: LayersModel) => model.weights.map((w) => Array.from(w.read().dataSync()));

function compiled(model: LayersModel): LayersModel {
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  return model;
}

describe('resume', () => {
  it('train 2 epochs == train 1, save, load into a fresh model and optimizer, train 1 more (bit for bit)', async () => {
    const straight = compiled(buildModel());
    const initial = straight.getWeights();
    await straight.fit(x, y, { ...fitArgs, epochs: 2 });

    const first = compiled(buildModel());
    first.setWeights(initial);
    const dir = join(scratch, 'resume');
    await first.fit(x, y, { ...fitArgs, epochs: 1, callbacks: [checkpointCallback({ dir })] });

    const resumed = compiled(buildModel());
    const loaded = await loadCheckpoint(dir, { model: resumed, optimizer: resumed.optimizer });
    expect(loaded.epoch).toBe(1);
    expect(loaded.step).toBe(Math.ceil(samples / fitArgs.batchSize));
    expect(resumed.optimizer!.iterations).toBe(loaded.step);
    expect(weightValues(resumed)).toEqual(weightValues(first));
    await resumed.fit(x, y, { ...fitArgs, epochs: 2, initialEpoch: loaded.epoch! });
    expect(weightValues(resumed)).toEqual(weightValues(straight));

    // Control: the same resume without the optimizer state (fresh Adam moments) ends elsewhere.
    const withoutState = compiled(buildModel());
    await loadCheckpoint(dir, { model: withoutState });
    await withoutState.fit(x, y, { ...fitArgs, epochs: 1 });
    expect(weightValues(withoutState)).not.toEqual(weightValues(straight));
    tf.dispose(initial);
  });

  it('saves every N epochs with the logs as extra, and a reload restores step/epoch/extra', async () => {
    const model = compiled(buildModel());
    const dir = join(scratch, 'every2');
    const seen: number[] = [];
    await model.fit(x, y, {
      ...fitArgs,
      epochs: 3,
      callbacks: [checkpointCallback({ dir, everyEpochs: 2 }), { onEpochEnd: async (e: number) => void seen.push(e) }],
    });
    expect(seen).toEqual([0, 1, 2]);
    const fresh = compiled(buildModel());
    const { epoch, step, extra } = await loadCheckpoint(dir, { model: fresh, optimizer: fresh.optimizer });
    expect(epoch).toBe(2);
    expect(step).toBe(2 * Math.ceil(samples / fitArgs.batchSize));
    expect((extra as { logs: { loss: number } }).logs.loss).toBeGreaterThan(0);
    // Only one checkpoint's files remain.
    expect((await readdir(dir)).sort()).toEqual(expect.arrayContaining(['checkpoint.json']));
    expect((await readdir(dir)).length).toBe(3);
  });
});

describe('mid-epoch checkpoints', () => {
  it('everyBatches saves the state after that batch, with the epoch in progress and the batches done', async () => {
    const dir = join(scratch, 'batches');
    const model = compiled(buildModel());
    let epoch = 0;
    let atLastSave: number[][] = [];
    await model.fit(x, y, {
      ...fitArgs,
      epochs: 2,
      callbacks: [
        checkpointCallback({ dir, everyEpochs: 0, everyBatches: 2 }),
        { onEpochBegin: async (e: number) => void (epoch = e), onBatchEnd: async (b: number) => void (epoch === 1 && b === 3 && (atLastSave = weightValues(model))) },
      ],
    });
    const fresh = compiled(buildModel());
    const loaded = await loadCheckpoint(dir, { model: fresh, optimizer: fresh.optimizer });
    const batchesPerEpoch = Math.ceil(samples / fitArgs.batchSize);
    expect([loaded.epoch, loaded.batch, loaded.step]).toEqual([1, 4, batchesPerEpoch + 4]);
    expect(weightValues(fresh)).toEqual(atLastSave);
    expect(() => checkpointCallback({ dir, everyBatches: -1 })).toThrow(/everyBatches must be a non-negative integer/);
  });
});

describe('memory', () => {
  it('saving and loading (weights and Adam state) leave no tensor or buffer behind', async () => {
    const dir = join(scratch, 'memory');
    const model = compiled(buildModel());
    await model.fit(x, y, { ...fitArgs, epochs: 1 });
    const fresh = compiled(buildModel());
    // Loading creates the fresh optimizer's slots (2 per trainable weight); do it once so the count settles.
    await saveCheckpoint(dir, { model, optimizer: model.optimizer });
    await loadCheckpoint(dir, { model: fresh, optimizer: fresh.optimizer });
    const before = tf.memory();
    await saveCheckpoint(dir, { model, optimizer: model.optimizer });
    await loadCheckpoint(dir, { model: fresh, optimizer: fresh.optimizer });
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numDataBuffers).toBe(before.numDataBuffers);
    expect(after.numBytes).toBe(before.numBytes);
  });
});

describe('snapshot', () => {
  it('a training step taken while the save is being written does not leak into it', async () => {
    const dir = join(scratch, 'snapshot');
    const model = compiled(buildModel());
    await model.fit(x, y, { ...fitArgs, epochs: 1 });
    const before = weightValues(model);
    const iterations = model.optimizer!.iterations;
    const pending = saveCheckpoint(dir, { model, optimizer: model.optimizer });
    // Synchronously, before the save's first await: one more Adam step (in place on the weights and moments).
    model.optimizer!.minimize(() => tf.mean(tf.square(model.apply(x) as Tensor)));
    await pending;
    expect(weightValues(model)).not.toEqual(before);
    const fresh = compiled(buildModel());
    await loadCheckpoint(dir, { model: fresh, optimizer: fresh.optimizer });
    expect(weightValues(fresh)).toEqual(before);
    expect(fresh.optimizer!.iterations).toBe(iterations);
  });
});

describe('atomic saves', () => {
  async function savedOnce(dir: string) {
    const model = compiled(buildModel());
    await model.fit(x, y, { ...fitArgs, epochs: 1 });
    await saveCheckpoint(dir, { model, optimizer: model.optimizer, step: 5, extra: { note: 'first' } });
    return model;
  }

  const crashes: [string, (real: Awaited<ReturnType<typeof nodeFileOperations>>) => Partial<Awaited<ReturnType<typeof nodeFileOperations>>>][] = [
    ['while writing the model file', (real) => ({
      writeDurably: async (path, data) => {
        if (path.includes('model-')) {
          await real.writeDurably(path, data.subarray(0, data.length >> 1));
          throw new Error('simulated crash');
        }
        return real.writeDurably(path, data);
      },
    })],
    ['while writing the optimizer file', (real) => ({
      writeDurably: async (path, data) => {
        if (path.includes('optimizer-')) throw new Error('simulated crash');
        return real.writeDurably(path, data);
      },
    })],
    ['at the manifest rename', () => ({ rename: async () => Promise.reject(new Error('simulated crash')) })],
  ];

  it.each(crashes)('a crash %s leaves the previous checkpoint intact', async (_name, crash) => {
    const dir = join(scratch, `crash-${_name.replace(/\W+/g, '-')}`);
    const model = await savedOnce(dir);
    const before = weightValues(model);
    const filesBefore = (await readdir(dir)).sort();
    await model.fit(x, y, { ...fitArgs, epochs: 1 });
    const real = await nodeFileOperations();
    await expect(saveCheckpoint(dir, { model, optimizer: model.optimizer, step: 10, fileOperations: { ...real, ...crash(real) } }))
      .rejects.toThrow(/previous checkpoint is intact: .*simulated crash/);
    expect((await readdir(dir)).sort()).toEqual(filesBefore);
    const fresh = compiled(buildModel());
    const loaded = await loadCheckpoint(dir, { model: fresh, optimizer: fresh.optimizer });
    expect(loaded.step).toBe(5);
    expect(loaded.extra).toEqual({ note: 'first' });
    expect(weightValues(fresh)).toEqual(before);
  });
});

describe('stale files', () => {
  it('a save removes what a save killed midway left behind, and nothing else', async () => {
    const dir = join(scratch, 'orphans');
    const model = await (async () => {
      const m = compiled(buildModel());
      await saveCheckpoint(dir, { model: m, optimizer: m.optimizer });
      return m;
    })();
    const left = ['model-ckptzz1-abc.safetensors', 'optimizer-ckptzz1-abc.safetensors', 'checkpoint.json.tmp-zz1-abc-0'];
    const foreign = ['model-00001-of-00002.safetensors', 'model.safetensors', 'notes.txt'];
    for (const name of [...left, ...foreign]) await writeFile(join(dir, name), 'x');
    const manifest = await saveCheckpoint(dir, { model, optimizer: model.optimizer });
    expect((await readdir(dir)).sort()).toEqual(['checkpoint.json', manifest.modelFile, manifest.optimizer!.file, ...foreign].sort());
  });
});

describe('bad checkpoints: a clear Error', () => {
  it('names the weight and both shapes when the model does not match, and changes nothing', async () => {
    const dir = join(scratch, 'shapes');
    const small = compiled(buildModel(4));
    await saveCheckpoint(dir, { model: small, optimizer: small.optimizer });
    const other = compiled(buildModel(5));
    const before = weightValues(other);
    await expect(loadCheckpoint(dir, { model: other, optimizer: other.optimizer })).rejects.toThrow(
      /weight '.*\/kernel' is \[5, 5\] in the model but '.*\/kernel' is \[5, 4\] in the checkpoint/,
    );
    expect(weightValues(other)).toEqual(before);
  });

  it('refuses a model with a different number of weights, listing both', async () => {
    const dir = join(scratch, 'count');
    await saveCheckpoint(dir, { model: buildModel() });
    const shorter = track(sequential({ layers: [layers.dense({ units: 3, inputShape: [5] })] }));
    await expect(loadCheckpoint(dir, { model: shorter })).rejects.toThrow(/the checkpoint has 8 weights but the model has 2/);
  });

  it('refuses optimizer state of another class, and a missing optimizer state', async () => {
    const dir = join(scratch, 'adam');
    const model = compiled(buildModel());
    await model.fit(x, y, { ...fitArgs, epochs: 1 });
    await saveCheckpoint(dir, { model, optimizer: model.optimizer });
    const sgdModel = buildModel();
    sgdModel.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
    await expect(loadCheckpoint(dir, { model: sgdModel, optimizer: sgdModel.optimizer })).rejects.toThrow(/holds Adam state but the optimizer is SGD/);
    const noState = join(scratch, 'no-optimizer');
    await saveCheckpoint(noState, { model });
    await expect(loadCheckpoint(noState, { model, optimizer: model.optimizer })).rejects.toThrow(/holds no optimizer state/);
  });

  it('names a missing or foreign checkpoint', async () => {
    await expect(loadCheckpoint(join(scratch, 'nothing-here'), { model: buildModel() })).rejects.toThrow(/no checkpoint in .*nothing-here/);
    const dir = join(scratch, 'foreign');
    await saveCheckpoint(dir, { model: buildModel() });
    await writeFile(join(dir, 'checkpoint.json'), JSON.stringify({ format: 'something-else' }));
    await expect(loadCheckpoint(dir, { model: buildModel() })).rejects.toThrow(/not a sinew checkpoint manifest/);
  });
});

describe('loading without a file system (pages and workers)', () => {
  async function savedCheckpoint() {
    const model = compiled(buildModel());
    await model.fit(x, y, { ...fitArgs, epochs: 1 });
    const dir = await mkdtemp(join(scratch, 'web-'));
    await saveCheckpoint(dir, { model, optimizer: model.optimizer, epoch: 1 });
    const names = await readdir(dir);
    const { readFile } = await import('node:fs/promises');
    const files = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await readFile(join(dir, name))] as const)));
    return { model, dir, names, files };
  }

  it('from File objects (a file input), a record of Blobs, and an http(s) folder URL: same weights and optimizer state', async () => {
    const { model, dir, names, files } = await savedCheckpoint();
    const { createServer } = await import('node:http');
    const { readFile } = await import('node:fs/promises');
    const server = createServer(async (request, response) => {
      const name = decodeURIComponent(new URL(request.url!, 'http://x').pathname.replace('/ckpt/', ''));
      try {
        const bytes = await readFile(join(dir, name));
        response.writeHead(200);
        response.end(bytes);
      } catch {
        response.writeHead(404);
        response.end();
      }
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const port = (server.address() as { port: number }).port;
      const sources = [
        names.map((name) => new File([files[name]], name)),
        Object.fromEntries(names.map((name) => [name, new Blob([files[name]])])),
        `http://127.0.0.1:${port}/ckpt`,
      ];
      for (const source of sources) {
        const fresh = compiled(buildModel());
        const loaded = await loadCheckpoint(source as never, { model: fresh, optimizer: fresh.optimizer });
        expect(loaded.epoch).toBe(1);
        expect(weightValues(fresh)).toEqual(weightValues(model));
        const [a, b] = [await model.optimizer!.getWeights(), await fresh.optimizer!.getWeights()];
        expect(b.map((w) => Array.from(w.tensor.dataSync()))).toEqual(a.map((w) => Array.from(w.tensor.dataSync())));
        tf.dispose([...a, ...b].map((w) => w.tensor));
      }
      await expect(loadCheckpoint(`http://127.0.0.1:${port}/missing/`, { model })).rejects.toThrow(
        /loadCheckpoint: no checkpoint in http:\/\/127\.0\.0\.1:\d+\/missing\/ \(checkpoint\.json cannot be read: .*404/,
      );
    } finally {
      server.close();
    }
  });

  it('names the missing file among those given', async () => {
    const { model, files } = await savedCheckpoint();
    const onlyManifest = { 'checkpoint.json': new Blob([files['checkpoint.json']]) };
    await expect(loadCheckpoint(onlyManifest, { model })).rejects.toThrow(/model-[\w-]+\.safetensors is not among the files given \(checkpoint\.json\)/);
    await expect(loadCheckpoint(null as never, { model })).rejects.toThrow(/expected a folder path, an http\(s\) URL, File objects or a record of files, got null/);
  });
});
