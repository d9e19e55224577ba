// Callbacks: the order and logs tfjs-layers gives on the same fit, History, earlyStopping (incl.
// restoreBestWeights), learningRateScheduler, reduceLROnPlateau, terminateOnNaN, modelCheckpoint, yielding.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { expectClose, loadTfjs, tf } from './helpers.js';
import { callbacks, Callback, compileModel, fitModel } from '../src/nn/training/index.js';
import type { Logs } from '../src/nn/training/index.js';
import { FakeMLP, makeData, tfjsTwin } from './nn-fake-model.js';

const tfjs = await loadTfjs();
const live: FakeMLP[] = [];
afterEach(() => {
  for (const m of live.splice(0)) m.dispose();
});
function fake(options: ConstructorParameters<typeof FakeMLP>[0]): FakeMLP {
  const m = new FakeMLP(options);
  live.push(m);
  return m;
}

function regressionData(n = 20, seed = 3) {
  const d = makeData(n, 3, 1, 'regression', seed);
  return { x: tf.tensor(d.x, d.xShape), y: tf.tensor(d.y, d.yShape), raw: d };
}

/** Records every event with a copy of its logs. */
function recorder() {
  const events: [string, number | null, Record<string, number> | undefined][] = [];
  const copy = (logs?: Record<string, number>) => (logs ? { ...logs } : undefined);
  return {
    events,
    handlers: {
      onTrainBegin: async (logs?: Logs) => void events.push(['onTrainBegin', null, copy(logs)]),
      onTrainEnd: async (logs?: Logs) => void events.push(['onTrainEnd', null, copy(logs)]),
      onEpochBegin: async (epoch: number, logs?: Logs) => void events.push(['onEpochBegin', epoch, copy(logs)]),
      onEpochEnd: async (epoch: number, logs?: Logs) => void events.push(['onEpochEnd', epoch, copy(logs)]),
      onBatchBegin: async (batch: number) => void events.push(['onBatchBegin', batch, undefined]),
      onBatchEnd: async (batch: number, logs?: Logs) => void events.push(['onBatchEnd', batch, copy(logs)]),
    },
  };
}

describe('object-form callbacks', () => {
  it('fire in the order tfjs fires them, with the same logs', async () => {
    const model = fake({ inputs: 3, hidden: 4, outputs: 1, seed: 5 });
    const twin = await tfjsTwin(tfjs, model);
    const compiled = compileModel(model, { optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError', metrics: ['mae'] });
    twin.compile({ optimizer: tfjs.train.sgd(0.1), loss: 'meanSquaredError', metrics: ['mae'] });
    const { x, y, raw } = regressionData();
    const ours = recorder();
    const theirs = recorder();
    const args = { epochs: 3, batchSize: 7, shuffle: false, verbose: 0, validationSplit: 0.25 };
    await fitModel(model, compiled, x, y, { ...args, callbacks: ours.handlers });
    await twin.fit(tfjs.tensor(raw.x, raw.xShape), tfjs.tensor(raw.y, raw.yShape), { ...args, callbacks: theirs.handlers });
    expect(ours.events.map((e) => `${e[0]}:${e[1]}`)).toEqual(theirs.events.map((e) => `${e[0]}:${e[1]}`));
    ours.events.forEach(([name, , logs], i) => {
      const expected = theirs.events[i][2];
      if (name !== 'onBatchEnd' && name !== 'onEpochEnd') return;
      expect(Object.keys(logs!).sort()).toEqual(Object.keys(expected!).sort());
      for (const key of Object.keys(expected!)) expectClose([logs![key]], [expected![key]], { rtol: 1e-4, atol: 1e-6 });
    });
    tf.dispose([x, y]);
    twin.dispose();
  });

  it('a Callback subclass gets model, optimizer and params; History has epoch and history', async () => {
    const model = fake({ inputs: 3, hidden: 4, outputs: 1 });
    const compiled = compileModel(model, { optimizer: 'adam', loss: 'mse' });
    const { x, y } = regressionData(10);
    let seen: { params?: unknown; model?: unknown; optimizer?: unknown } = {};
    class Probe extends Callback {
      override async onTrainBegin() {
        seen = { params: this.params, model: this.model, optimizer: this.optimizer };
      }
    }
    const history = await fitModel(model, compiled, x, y, { epochs: 3, batchSize: 4, verbose: 0, initialEpoch: 1, callbacks: [new Probe()] });
    expect(seen.model).toBe(model);
    expect(seen.optimizer).toBe(compiled.optimizer);
    expect(seen.params).toMatchObject({ epochs: 3, initialEpoch: 1, samples: 10, steps: 3, batchSize: 4, metrics: ['loss'] });
    expect(history.epoch).toEqual([1, 2]);
    expect(history.history.loss.length).toBe(2);
    tf.dispose([x, y]);
  });

  it('stopTraining set in onBatchEnd stops after that batch; onEpochEnd and onTrainEnd still run', async () => {
    const model = fake({ inputs: 3, hidden: 4, outputs: 1 });
    const compiled = compileModel(model, { optimizer: 'sgd', loss: 'mse' });
    const { x, y } = regressionData(20);
    const rec = recorder();
    await fitModel(model, compiled, x, y, {
      epochs: 5, batchSize: 5, verbose: 0,
      callbacks: [rec.handlers, { onBatchEnd: (batch) => void (batch === 1 && (model.stopTraining = true)) }],
    });
    expect(rec.events.map((e) => `${e[0]}:${e[1]}`)).toEqual([
      'onTrainBegin:null', 'onEpochBegin:0', 'onBatchBegin:0', 'onBatchEnd:0', 'onBatchBegin:1', 'onBatchEnd:1', 'onEpochEnd:0', 'onTrainEnd:null',
    ]);
    tf.dispose([x, y]);
  });

  it('yields to the event loop between batches so timers and async callbacks run', async () => {
    const model = fake({ inputs: 3, hidden: 4, outputs: 1 });
    const compiled = compileModel(model, { optimizer: 'sgd', loss: 'mse' });
    const { x, y } = regressionData(20);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    let yields = 0;
    await fitModel(model, compiled, x, y, { epochs: 2, batchSize: 2, verbose: 0, yieldEvery: 'batch', callbacks: { onYield: () => void yields++ } });
    clearInterval(timer);
    expect(yields).toBe(20 + 2); // every batch, and each epoch's end
    expect(ticks).toBeGreaterThan(0);
    tf.dispose([x, y]);
  });
});

describe('earlyStopping', () => {
  /** A fit whose val_loss follows `losses` (the callback sees these numbers in epoch logs). */
  async function withScriptedLoss(losses: number[], args: Parameters<typeof callbacks.earlyStopping>[0]) {
    const model = fake({ inputs: 3, hidden: 4, outputs: 1 });
    const compiled = compileModel(model, { optimizer: tf.train.sgd(0.05), loss: 'mse' });
    const { x, y } = regressionData(8);
    const snapshots: Float32Array[][] = [];
    const script = { onEpochEnd: async (epoch: number, logs?: Logs) => {
      logs!.val_loss = losses[epoch];
      snapshots.push(await model.values());
    } };
    const stopper = callbacks.earlyStopping(args);
    const history = await fitModel(model, compiled, x, y, { epochs: losses.length, batchSize: 4, verbose: 0, callbacks: [script, stopper] });
    tf.dispose([x, y]);
    return { model, history, snapshots, stopper };
  }

  it('stops after `patience` epochs without improvement beyond minDelta', async () => {
    const { history } = await withScriptedLoss([1, 0.8, 0.79, 0.85, 0.9, 0.5, 0.4], { patience: 2, minDelta: 0.05 });
    expect(history.epoch).toEqual([0, 1, 2, 3]);
    const noPatience = await withScriptedLoss([1, 0.8, 0.9, 0.7], {});
    expect(noPatience.history.epoch).toEqual([0, 1, 2]);
  });

  it('restoreBestWeights puts back the weights of the best epoch', async () => {
    const { model, snapshots, history, stopper } = await withScriptedLoss([1, 0.5, 0.7, 0.8, 0.9], { patience: 2, restoreBestWeights: true });
    expect(history.epoch).toEqual([0, 1, 2, 3]);
    expect(stopper.bestEpoch).toBe(1);
    const now = await model.values();
    now.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(snapshots[1][i])));
    expect(Array.from(now[0])).not.toEqual(Array.from(snapshots[3][0]));
  });

  it('mode max for accuracy-like monitors, baseline', async () => {
    const model = fake({ inputs: 3, hidden: 4, outputs: 1 });
    const compiled = compileModel(model, { optimizer: 'sgd', loss: 'mse' });
    const { x, y } = regressionData(8);
    const accs = [0.5, 0.6, 0.55, 0.58, 0.7];
    const script = { onEpochEnd: (epoch: number, logs?: Logs) => void (logs!.val_acc = accs[epoch]) };
    const h = await fitModel(model, compiled, x, y, { epochs: 5, verbose: 0, callbacks: [script, callbacks.earlyStopping({ monitor: 'val_acc', patience: 2 })] });
    expect(h.epoch).toEqual([0, 1, 2, 3]);
    const withBaseline = await fitModel(model, compiled, x, y, { epochs: 5, verbose: 0, callbacks: [script, callbacks.earlyStopping({ monitor: 'val_acc', baseline: 0.65, patience: 1 })] });
    expect(withBaseline.epoch).toEqual([0]);
    tf.dispose([x, y]);
  });

  it('agrees with tfjs earlyStopping on a real fit', async () => {
    const model = fake({ inputs: 3, hidden: 4, outputs: 1, seed: 2 });
    const twin = await tfjsTwin(tfjs, model);
    const compiled = compileModel(model, { optimizer: tf.train.sgd(2.5), loss: 'meanSquaredError' });
    twin.compile({ optimizer: tfjs.train.sgd(2.5), loss: 'meanSquaredError' });
    const { x, y, raw } = regressionData(20, 8);
    const args = { epochs: 12, batchSize: 5, shuffle: false, verbose: 0, validationSplit: 0.25 };
    const ours = await fitModel(model, compiled, x, y, { ...args, callbacks: callbacks.earlyStopping({ patience: 1 }) });
    const theirs = await twin.fit(tfjs.tensor(raw.x, raw.xShape), tfjs.tensor(raw.y, raw.yShape), { ...args, callbacks: tfjs.callbacks.earlyStopping({ patience: 1 }) });
    expect(ours.epoch).toEqual(theirs.epoch);
    tf.dispose([x, y]);
    twin.dispose();
  });
});

describe('learning-rate callbacks, terminateOnNaN, modelCheckpoint', () => {
  it('learningRateScheduler sets the rate at each epoch start and logs lr', async () => {
    const model = fake({ inputs: 3, hidden: 4, outputs: 1 });
    const optimizer = tf.train.sgd(0.1);
    const compiled = compileModel(model, { optimizer, loss: 'mse' });
    const { x, y } = regressionData(8);
    const rates: number[] = [];
    const h = await fitModel(model, compiled, x, y, {
      epochs: 3, verbose: 0,
      callbacks: [callbacks.learningRateScheduler((epoch, lr) => (epoch === 0 ? lr : lr / 2)), { onBatchEnd: () => void rates.push(optimizer.learningRate) }],
    });
    expect(rates).toEqual([0.1, 0.05, 0.025]);
    expect(h.history.lr).toEqual([0.1, 0.05, 0.025]);
    tf.dispose([x, y]);
  });

  it('reduceLROnPlateau multiplies by factor after patience, respects cooldown and minLr', async () => {
    const model = fake({ inputs: 3, hidden: 4, outputs: 1 });
    const optimizer = tf.train.sgd(1);
    const compiled = compileModel(model, { optimizer, loss: 'mse' });
    const { x, y } = regressionData(8);
    const losses = [1, 1, 1, 1, 1, 1, 1, 1];
    const rates: number[] = [];
    await fitModel(model, compiled, x, y, {
      epochs: losses.length, verbose: 0,
      callbacks: [
        { onEpochEnd: (epoch, logs) => void (logs!.val_loss = losses[epoch]) },
        callbacks.reduceLROnPlateau({ patience: 2, factor: 0.5, cooldown: 1, minLr: 0.2 }),
        { onEpochEnd: () => void rates.push(optimizer.learningRate) },
      ],
    });
    // Keras: epoch 0 sets the best; waits at 1, 2 → halve at 2; the cooldown epoch (3) resets the wait and counts
    // as a wait once it ends, so 4 halves again; 6 would give 0.125 but stops at minLr.
    expect(rates).toEqual([1, 1, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2]);
    tf.dispose([x, y]);
  });

  it('terminateOnNaN stops at the first NaN loss and says so on stderr', async () => {
    const model = fake({ inputs: 3, hidden: 4, outputs: 1 });
    const compiled = compileModel(model, { optimizer: 'sgd', loss: 'mse' });
    const d = makeData(12, 3, 1, 'regression');
    d.y[5] = NaN;
    const x = tf.tensor(d.x, d.xShape);
    const y = tf.tensor(d.y, d.yShape);
    const writes: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => void writes.push(String(chunk)) || true);
    const batches: number[] = [];
    try {
      await fitModel(model, compiled, x, y, { epochs: 3, batchSize: 4, shuffle: false, verbose: 0, callbacks: [callbacks.terminateOnNaN(), { onBatchEnd: (b) => void batches.push(b) }] });
    } finally {
      spy.mockRestore();
    }
    expect(batches).toEqual([0, 1]);
    expect(writes.join('')).toMatch(/terminateOnNaN: batch 1: invalid loss NaN, terminating training/);
    tf.dispose([x, y]);
  });

  it('modelCheckpoint calls model.save each epoch, or on improvement with saveBestOnly', async () => {
    const model = fake({ inputs: 3, hidden: 4, outputs: 1 });
    const compiled = compileModel(model, { optimizer: 'sgd', loss: 'mse' });
    const { x, y } = regressionData(8);
    await fitModel(model, compiled, x, y, { epochs: 3, verbose: 0, callbacks: callbacks.modelCheckpoint('file:///tmp/ckpt-{epoch}') });
    expect(model.saves).toEqual(['file:///tmp/ckpt-1', 'file:///tmp/ckpt-2', 'file:///tmp/ckpt-3']);
    model.saves = [];
    const losses = [3, 2, 2.5, 1];
    await fitModel(model, compiled, x, y, {
      epochs: 4, verbose: 0,
      callbacks: [{ onEpochEnd: (e, logs) => void (logs!.val_loss = losses[e]) }, callbacks.modelCheckpoint('file:///tmp/best', { saveBestOnly: true })],
    });
    expect(model.saves.length).toBe(3);
    tf.dispose([x, y]);
  });
});
