// Training module vs tfjs-layers on the same network and weights: fit histories, evaluate, predict,
// trainOnBatch; memory across epochs; clipping, schedules, shuffling, class weights, progress output, errors.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { expectClose, loadTfjs, tf } from './helpers.js';
import type { Tensor } from './helpers.js';
import {
  compileModel, evaluateModel, fitDatasetModel, fitModel, predictModel, scheduleLearningRate, schedules, trainOnBatch,
} from '../src/nn/training/index.js';
import type { ModelCompileArgs } from '../src/nn/training/index.js';
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

type Kind = 'regression' | 'onehot' | 'sparse' | 'binary';
interface Case {
  title: string;
  loss: string;
  kind: Kind;
  activation: 'linear' | 'softmax' | 'sigmoid';
  optimizer: 'sgd' | 'adam';
  metrics?: string[];
  noLogits?: boolean;
  l2?: number;
}

const cases: Case[] = [
  { title: 'mse, sgd', loss: 'meanSquaredError', kind: 'regression', activation: 'linear', optimizer: 'sgd', metrics: ['mae'] },
  { title: 'mse + L2, adam', loss: 'mse', kind: 'regression', activation: 'linear', optimizer: 'adam', l2: 0.01 },
  { title: 'categoricalCrossentropy on fused softmax, sgd', loss: 'categoricalCrossentropy', kind: 'onehot', activation: 'softmax', optimizer: 'sgd', metrics: ['accuracy'] },
  { title: 'categoricalCrossentropy on probabilities, adam', loss: 'categoricalCrossentropy', kind: 'onehot', activation: 'softmax', optimizer: 'adam', metrics: ['acc'], noLogits: true },
  { title: 'sparseCategoricalCrossentropy on fused softmax, adam', loss: 'sparseCategoricalCrossentropy', kind: 'sparse', activation: 'softmax', optimizer: 'adam', metrics: ['accuracy'] },
  { title: 'binaryCrossentropy on fused sigmoid, sgd', loss: 'binaryCrossentropy', kind: 'binary', activation: 'sigmoid', optimizer: 'sgd', metrics: ['accuracy'] },
];

const optimizers = {
  sgd: () => [tf.train.sgd(0.1), tfjs.train.sgd(0.1)] as const,
  adam: () => [tf.train.adam(0.01), tfjs.train.adam(0.01)] as const,
};

function dataFor(c: Case, n: number, inputs: number, outputs: number, seed = 7) {
  const d = makeData(n, inputs, outputs, c.kind, seed);
  const yDtype = c.kind === 'sparse' ? 'int32' : 'float32';
  return {
    ours: { x: tf.tensor(d.x, d.xShape), y: tf.tensor(d.y, d.yShape, yDtype) },
    theirs: { x: tfjs.tensor(d.x, d.xShape), y: tfjs.tensor(d.y, d.yShape, c.kind === 'sparse' ? 'float32' : 'float32') },
    dispose(this: { ours: { x: Tensor; y: Tensor }; theirs: { x: { dispose(): void }; y: { dispose(): void } } }) {
      this.ours.x.dispose();
      this.ours.y.dispose();
      this.theirs.x.dispose();
      this.theirs.y.dispose();
    },
  };
}

describe('fit matches tfjs-layers (same weights, shuffle false)', () => {
  for (const c of cases) {
    it(c.title, async () => {
      const inputs = 5, hidden = 7, outputs = c.kind === 'binary' ? 1 : 3;
      const model = fake({ inputs, hidden, outputs, activation: c.activation, noLogits: c.noLogits, l2: c.l2, seed: 11 });
      const twin = await tfjsTwin(tfjs, model);
      const [ourOpt, theirOpt] = optimizers[c.optimizer]();
      const compiled = compileModel(model, { optimizer: ourOpt, loss: c.loss, metrics: c.metrics });
      twin.compile({ optimizer: theirOpt, loss: compiled.outputs[0].loss.name, metrics: c.metrics }); // tfjs knows no 'mse' loss string
      expect(compiled.useLogits).toBe(c.activation !== 'linear' && !c.noLogits);
      const data = dataFor(c, 21, inputs, outputs);
      const args = { epochs: 4, batchSize: 8, shuffle: false, verbose: 0, validationSplit: 0.2 };
      const ours = await fitModel(model, compiled, data.ours.x, data.ours.y, args);
      const theirs = await twin.fit(data.theirs.x, data.theirs.y, args);
      expect(Object.keys(ours.history).sort()).toEqual(Object.keys(theirs.history).sort());
      expect(ours.epoch).toEqual(theirs.epoch);
      for (const key of Object.keys(theirs.history)) {
        expectClose(ours.history[key], theirs.history[key] as number[], { rtol: 1e-4, atol: 1e-6 });
      }
      const ourWeights = await model.values();
      const theirWeights = twin.getWeights().map((w) => w.dataSync());
      ourWeights.forEach((w, i) => expectClose(w, theirWeights[i], { rtol: 1e-4, atol: 1e-5 }));
      data.dispose();
      twin.dispose();
    });
  }
});

describe('evaluate, predict, trainOnBatch', () => {
  it('evaluate returns the loss then metrics as scalars, like tfjs', async () => {
    const c = cases[2];
    const model = fake({ inputs: 4, hidden: 6, outputs: 3, activation: 'softmax', seed: 3 });
    const twin = await tfjsTwin(tfjs, model);
    const compiled = compileModel(model, { optimizer: 'sgd', loss: c.loss, metrics: ['accuracy', 'mse'] });
    twin.compile({ optimizer: 'sgd', loss: c.loss, metrics: ['accuracy', 'mse'] });
    const data = dataFor(c, 19, 4, 3, 5);
    const ours = evaluateModel(model, compiled, data.ours.x, data.ours.y, { batchSize: 5 }) as Tensor[];
    const theirs = twin.evaluate(data.theirs.x, data.theirs.y, { batchSize: 5 }) as { dataSync(): Float32Array; rank: number }[];
    expect(ours.length).toBe(3);
    expect(compiled.metricsNames).toEqual(twin.metricsNames);
    ours.forEach((s, i) => {
      expect(s.rank).toBe(0);
      expectClose(s.dataSync(), theirs[i].dataSync(), { rtol: 1e-5, atol: 1e-6 });
    });
    tf.dispose(ours);
    // Only the loss: a single scalar.
    const lossOnly = compileModel(model, { optimizer: 'sgd', loss: c.loss });
    const single = evaluateModel(model, lossOnly, data.ours.x, data.ours.y) as Tensor;
    expect(single.rank).toBe(0);
    single.dispose();
    data.dispose();
    twin.dispose();
  });

  it('predict concatenates batches and matches tfjs; predictOnBatch-sized batches too', async () => {
    const model = fake({ inputs: 4, hidden: 6, outputs: 2, activation: 'sigmoid', seed: 4 });
    const twin = await tfjsTwin(tfjs, model);
    const d = makeData(23, 4, 2, 'regression', 9);
    const x = tf.tensor(d.x, d.xShape);
    const before = tf.memory().numTensors;
    const ours = predictModel(model, x, { batchSize: 5 }) as Tensor;
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(ours.shape).toEqual([23, 2]);
    const theirs = twin.predict(tfjs.tensor(d.x, d.xShape)) as { dataSync(): Float32Array };
    expectClose(ours.dataSync(), theirs.dataSync(), { rtol: 1e-5, atol: 1e-6 });
    ours.dispose();
    x.dispose();
    twin.dispose();
  });

  it('trainOnBatch returns numbers equal to tfjs', async () => {
    const model = fake({ inputs: 3, hidden: 5, outputs: 3, activation: 'softmax', seed: 8 });
    const twin = await tfjsTwin(tfjs, model);
    const compiled = compileModel(model, { optimizer: tf.train.sgd(0.5), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    twin.compile({ optimizer: tfjs.train.sgd(0.5), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const d = dataFor(cases[2], 10, 3, 3, 2);
    for (let step = 0; step < 3; step++) {
      const ours = trainOnBatch(model, compiled, d.ours.x, d.ours.y) as number[];
      const theirs = (await twin.trainOnBatch(d.theirs.x, d.theirs.y)) as number[];
      expect(typeof ours[0]).toBe('number');
      expectClose(ours, theirs, { rtol: 1e-5, atol: 1e-6 });
    }
    const lossOnly = compileModel(model, { optimizer: 'sgd', loss: 'mse' });
    expect(typeof trainOnBatch(model, lossOnly, d.ours.x, d.ours.y)).toBe('number');
    d.dispose();
    twin.dispose();
  });
});

describe('memory', () => {
  it('5 epochs of fit (shuffle, validation, metrics, clipping, L2) leave tf.memory() where it began', async () => {
    const model = fake({ inputs: 6, hidden: 8, outputs: 4, activation: 'softmax', l2: 0.01 });
    const compiled = compileModel(model, { optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy', 'precision'], clipNorm: 1 });
    const d = dataFor(cases[2], 50, 6, 4);
    await fitModel(model, compiled, d.ours.x, d.ours.y, { epochs: 1, batchSize: 8, verbose: 0 }); // optimizer state exists now
    const before = tf.memory();
    const history = await fitModel(model, compiled, d.ours.x, d.ours.y, { epochs: 5, batchSize: 8, verbose: 0, validationSplit: 0.2 });
    expect(history.history.loss.length).toBe(5);
    tf.dispose(evaluateModel(model, compiled, d.ours.x, d.ours.y));
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    // Sparse labels, shuffled gathers, validationData.
    const sparseModel = fake({ inputs: 6, hidden: 8, outputs: 4, activation: 'softmax' });
    const sparse = compileModel(sparseModel, { optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['acc'] });
    const ds = dataFor(cases[4], 30, 6, 4);
    await fitModel(sparseModel, sparse, ds.ours.x, ds.ours.y, { epochs: 1, verbose: 0 });
    const beforeSparse = tf.memory();
    await fitModel(sparseModel, sparse, ds.ours.x, ds.ours.y, { epochs: 5, batchSize: 7, verbose: 0, validationData: [ds.ours.x, ds.ours.y] });
    expect(tf.memory().numTensors).toBe(beforeSparse.numTensors);
    expect(tf.memory().numBytes).toBe(beforeSparse.numBytes);
    d.dispose();
    ds.dispose();
  });
});

describe('gradient clipping', () => {
  async function oneStep(clip: Pick<ModelCompileArgs, 'clipNorm' | 'clipValue'>) {
    const model = fake({ inputs: 3, hidden: 4, outputs: 2, seed: 21 });
    const d = makeData(6, 3, 2, 'regression', 4);
    const x = tf.tensor(d.x, d.xShape);
    const y = tf.tensor(d.y, d.yShape);
    const before = await model.values();
    // The raw gradient of the same loss (mean over the batch of the per-example mse).
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.mean(tf.square(tf.sub(model.predictTensors([x])[0], y)), -1)), model.weights);
    const raw = model.weights.map((w) => grads[w.name].dataSync() as Float32Array);
    tf.dispose([value, grads]);
    const lr = 0.5;
    const compiled = compileModel(model, { optimizer: tf.train.sgd(lr), loss: 'mse', ...clip });
    trainOnBatch(model, compiled, x, y);
    const after = await model.values();
    const steps = after.map((w, i) => Array.from(w, (v, k) => (before[i][k] - v) / lr));
    x.dispose();
    y.dispose();
    return { raw, steps };
  }

  it('clipNorm scales all gradients by clipNorm / globalNorm when the norm is larger', async () => {
    const unclipped = await oneStep({});
    const norm = Math.sqrt(unclipped.raw.reduce((s, g) => s + g.reduce((a, v) => a + v * v, 0), 0));
    const clipNorm = norm / 3;
    const { raw, steps } = await oneStep({ clipNorm });
    raw.forEach((g, i) => expectClose(steps[i], Array.from(g, (v) => (v * clipNorm) / norm), { rtol: 1e-3, atol: 1e-5 }));
    // A bound above the norm changes nothing.
    const loose = await oneStep({ clipNorm: norm * 2 });
    loose.raw.forEach((g, i) => expectClose(loose.steps[i], g, { rtol: 1e-3, atol: 1e-5 }));
  });

  it('clipValue bounds each element', async () => {
    const { raw, steps } = await oneStep({ clipValue: 0.05 });
    expect(raw.some((g) => g.some((v) => Math.abs(v) > 0.05))).toBe(true);
    raw.forEach((g, i) => expectClose(steps[i], Array.from(g, (v) => Math.max(-0.05, Math.min(0.05, v))), { rtol: 1e-3, atol: 1e-5 }));
  });
});

describe('shuffle, class weights, schedules, datasets', () => {
  it('shuffle is on by default and reproducible with tf.setRandomSeed', async () => {
    const run = async (shuffle: boolean | undefined, seed: number) => {
      const model = fake({ inputs: 4, hidden: 5, outputs: 1, seed: 2 });
      const compiled = compileModel(model, { optimizer: tf.train.sgd(0.2), loss: 'mse' });
      const d = makeData(16, 4, 1, 'regression', 3);
      const x = tf.tensor(d.x, d.xShape);
      const y = tf.tensor(d.y, d.yShape);
      tf.setRandomSeed(seed);
      const h = await fitModel(model, compiled, x, y, { epochs: 2, batchSize: 4, verbose: 0, shuffle });
      x.dispose();
      y.dispose();
      return h.history.loss;
    };
    const a = await run(undefined, 5);
    const b = await run(true, 5);
    const unshuffled = await run(false, 5);
    expect(a).toEqual(b);
    expect(a).not.toEqual(unshuffled);
    expect(await run(true, 6)).not.toEqual(a);
  });

  it('classWeight weights examples like tfjs', async () => {
    const model = fake({ inputs: 4, hidden: 5, outputs: 3, activation: 'softmax', seed: 6 });
    const twin = await tfjsTwin(tfjs, model);
    const compiled = compileModel(model, { optimizer: tf.train.sgd(0.3), loss: 'categoricalCrossentropy' });
    twin.compile({ optimizer: tfjs.train.sgd(0.3), loss: 'categoricalCrossentropy' });
    const d = dataFor(cases[2], 18, 4, 3, 8);
    const classWeight = { 0: 1, 1: 3, 2: 0.5 };
    const args = { epochs: 3, batchSize: 6, shuffle: false, verbose: 0, classWeight };
    const ours = await fitModel(model, compiled, d.ours.x, d.ours.y, args);
    const theirs = await twin.fit(d.theirs.x, d.theirs.y, args);
    expectClose(ours.history.loss, theirs.history.loss as number[], { rtol: 1e-4, atol: 1e-6 });
    d.dispose();
    twin.dispose();
  });

  it('a schedule sets the learning rate of every step', async () => {
    const make = () => fake({ inputs: 3, hidden: 4, outputs: 1, seed: 9 });
    const d = makeData(8, 3, 1, 'regression', 1);
    const x = tf.tensor(d.x, d.xShape);
    const y = tf.tensor(d.y, d.yShape);
    const schedule = schedules.piecewiseConstant([1], [0.2, 0.05]);
    const scheduled = make();
    const compiled = compileModel(scheduled, { optimizer: scheduleLearningRate(tf.train.sgd(1), schedule), loss: 'mse' });
    for (let i = 0; i < 4; i++) trainOnBatch(scheduled, compiled, x, y);
    const manual = make();
    const optimizer = tf.train.sgd(1);
    const manualCompiled = compileModel(manual, { optimizer, loss: 'mse' });
    for (let i = 0; i < 4; i++) {
      optimizer.setLearningRate(i <= 1 ? 0.2 : 0.05);
      trainOnBatch(manual, manualCompiled, x, y);
    }
    const [a, b] = [await scheduled.values(), await manual.values()];
    a.forEach((w, i) => expectClose(w, b[i], { rtol: 1e-6, atol: 1e-7 }));
    expect(schedules.exponentialDecay({ initialLearningRate: 1, decaySteps: 10, decayRate: 0.5 })(20)).toBeCloseTo(0.25);
    expect(schedules.cosineDecay({ initialLearningRate: 1, decaySteps: 10 })(5)).toBeCloseTo(0.5);
    expect(schedules.warmup(4, () => 1)(1)).toBeCloseTo(0.5);
    expect(schedules.linearDecay({ initialLearningRate: 1, decaySteps: 4, endLearningRate: 0 })(3)).toBeCloseTo(0.25);
    x.dispose();
    y.dispose();
  });

  it('fitDataset over an async iterable equals fit on the same batches and frees the batches', async () => {
    const d = makeData(12, 3, 2, 'regression', 2);
    const make = () => fake({ inputs: 3, hidden: 4, outputs: 2, seed: 12 });
    const viaFit = make();
    const x = tf.tensor(d.x, d.xShape);
    const y = tf.tensor(d.y, d.yShape);
    const h1 = await fitModel(viaFit, compileModel(viaFit, { optimizer: tf.train.sgd(0.1), loss: 'mse' }), x, y, { epochs: 2, batchSize: 4, shuffle: false, verbose: 0 });
    const viaDataset = make();
    const dataset = {
      async *[Symbol.asyncIterator]() {
        for (let start = 0; start < 12; start += 4) {
          yield { xs: tf.slice(x, [start, 0], [4, 3]), ys: tf.slice(y, [start, 0], [4, 2]) };
        }
      },
    };
    const before = tf.memory().numTensors;
    const h2 = await fitDatasetModel(viaDataset, compileModel(viaDataset, { optimizer: tf.train.sgd(0.1), loss: 'mse' }), dataset, { epochs: 2, verbose: 0 });
    expect(tf.memory().numTensors).toBe(before);
    expectClose(h2.history.loss, h1.history.loss, { rtol: 1e-6, atol: 1e-7 });
    x.dispose();
    y.dispose();
  });
});

describe('progress output', () => {
  async function captured(verbose: number | undefined): Promise<string> {
    const model = fake({ inputs: 3, hidden: 4, outputs: 3, activation: 'softmax' });
    const compiled = compileModel(model, { optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const d = dataFor(cases[2], 20, 3, 3);
    const writes: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    const isTTY = process.stderr.isTTY;
    process.stderr.isTTY = false;
    try {
      await fitModel(model, compiled, d.ours.x, d.ours.y, { epochs: 2, batchSize: 8, validationSplit: 0.2, ...(verbose === undefined ? {} : { verbose }) });
    } finally {
      spy.mockRestore();
      process.stderr.isTTY = isTTY;
      d.dispose();
    }
    return writes.join('');
  }

  it('verbose 1 (the Node default): "Epoch i/n" and a full bar with time, per-step time and logs', async () => {
    const text = await captured(undefined);
    const lines = text.trimEnd().split('\n');
    expect(lines.length).toBe(4);
    expect(lines[0]).toBe('Epoch 1/2');
    expect(lines[2]).toBe('Epoch 2/2');
    expect(lines[1]).toMatch(/^2\/2 \[={30}\] - \d+s \d+(us|ms|s)\/step - loss: \d\.\d{4} - acc: \d\.\d{4} - val_loss: \d\.\d{4} - val_acc: \d\.\d{4}$/);
  });

  it('verbose 2: one line per epoch; verbose 0: nothing', async () => {
    const lines = (await captured(2)).trimEnd().split('\n');
    expect(lines.length).toBe(4);
    expect(lines[1]).toMatch(/^2\/2 - \d+s - loss: \d\.\d{4} - acc: \d\.\d{4} - val_loss: \d\.\d{4} - val_acc: \d\.\d{4} - \d+ms\/epoch - \d+(us|ms|s)\/step$/);
    expect(await captured(0)).toBe('');
  });
});

describe('errors', () => {
  it('fit before compile, unknown names, bad label and input shapes', async () => {
    const model = fake({ inputs: 3, hidden: 4, outputs: 3, activation: 'softmax' });
    const x = tf.zeros([4, 3]);
    const y = tf.zeros([4, 3]);
    await expect(fitModel(model, undefined, x, y)).rejects.toThrow('fit: the model must be compiled first (model.compile)');
    expect(() => compileModel(model, { optimizer: 'sgd', loss: 'meanSquaredErr' })).toThrow(/unknown loss 'meanSquaredErr'.*meanSquaredError.*sparseCategoricalCrossentropy/);
    expect(() => compileModel(model, { optimizer: 'adamm', loss: 'mse' })).toThrow(/unknown optimizer 'adamm'.*adam/);
    expect(() => compileModel(model, { optimizer: 'sgd', loss: 'mse', metrics: ['acuracy'] })).toThrow(/unknown metric 'acuracy'/);
    expect(() => compileModel(model, { optimizer: 'sgd', loss: 'mse', clipNorm: -1 })).toThrow(/clipNorm/);
    const sparse = compileModel(model, { optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await expect(fitModel(model, sparse, x, y, { verbose: 0 })).rejects.toThrow(
      /fit: labels of shape \[4,3\] do not fit loss 'sparseCategoricalCrossentropy' for output 'output' of shape \[null,3\]/,
    );
    const dense = compileModel(model, { optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const wrongLabels = tf.zeros([4, 2]);
    await expect(fitModel(model, dense, x, wrongLabels, { verbose: 0 })).rejects.toThrow(/labels of shape \[4,2\] do not fit loss 'categoricalCrossentropy'.*\[null,3\]/);
    const wrongInput = tf.zeros([4, 5]);
    await expect(fitModel(model, dense, wrongInput, y, { verbose: 0 })).rejects.toThrow(/input 'input' has shape \[4,5\] but the model expects \[null,3\]/);
    const fewerLabels = tf.zeros([3, 3]);
    await expect(fitModel(model, dense, x, fewerLabels, { verbose: 0 })).rejects.toThrow(/same number of samples/);
    expect(() => evaluateModel(model, dense, x, wrongLabels)).toThrow(/evaluate: labels of shape/);
    tf.dispose([x, y, wrongLabels, wrongInput, fewerLabels]);
  });

  it('optimizers by name use tfjs-layers defaults; loss aliases resolve to one loss', () => {
    const model = fake({ inputs: 2, hidden: 2, outputs: 1 });
    const rate = (name: string) => (compileModel(model, { optimizer: name, loss: 'mse' }).optimizer as unknown as { learningRate: number }).learningRate;
    expect(rate('adam')).toBe(0.001);
    expect(rate('sgd')).toBe(0.01);
    expect(rate('rmsprop')).toBe(0.001);
    expect(rate('adagrad')).toBe(0.01);
    for (const [alias, name] of [['mse', 'meanSquaredError'], ['mean_squared_error', 'meanSquaredError'], ['mae', 'meanAbsoluteError'], ['huber', 'huberLoss'], ['binary_crossentropy', 'binaryCrossentropy'], ['sparse_categorical_crossentropy', 'sparseCategoricalCrossentropy']]) {
      expect(compileModel(model, { optimizer: 'sgd', loss: alias }).outputs[0].loss.name).toBe(name);
    }
  });
});

describe('with the real tf.sequential (src/nn/model.ts)', () => {
  it('a dense relu → dense softmax model fits like tfjs-layers (fused loss path) and leaves memory flat', async () => {
    const nn = await import('../src/nn/index.js');
    const build = (lib: typeof tfjs | typeof nn) =>
      (lib as typeof tfjs).sequential({
        layers: [
          (lib as typeof tfjs).layers.dense({ units: 6, activation: 'relu', inputShape: [4] }),
          (lib as typeof tfjs).layers.dense({ units: 3, activation: 'softmax' }),
        ],
      });
    const ours = build(nn) as unknown as import('../src/nn/model.js').Sequential;
    const theirs = build(tfjs);
    ours.setWeights(theirs.getWeights().map((w) => tf.tensor(Array.from(w.dataSync()), w.shape)));
    ours.compile({ optimizer: tf.train.adam(0.02), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    theirs.compile({ optimizer: tfjs.train.adam(0.02), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const d = dataFor(cases[2], 25, 4, 3, 13);
    const args = { epochs: 3, batchSize: 8, shuffle: false, verbose: 0, validationSplit: 0.2 };
    const h1 = await ours.fit(d.ours.x, d.ours.y, args);
    const h2 = await theirs.fit(d.theirs.x, d.theirs.y, args);
    for (const key of ['loss', 'acc', 'val_loss', 'val_acc']) expectClose(h1.history[key], h2.history[key] as number[], { rtol: 1e-4, atol: 1e-6 });
    const before = tf.memory();
    await ours.fit(d.ours.x, d.ours.y, { ...args, epochs: 5, shuffle: true });
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    const p1 = ours.predict(d.ours.x) as Tensor;
    expect(p1.shape).toEqual([25, 3]);
    p1.dispose();
    d.dispose();
    theirs.dispose();
  });
});

describe('models with a fixed batch size (stateful RNNs)', () => {
  it('fit, evaluate and predict slice the samples into batches of the fixed size, as tfjs; other sizes get a clear error', async () => {
    const model = tf.sequential({ layers: [
      tf.layers.lstm({ units: 4, stateful: true, batchInputShape: [2, 3, 5] }),
      tf.layers.dense({ units: 1 }),
    ] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = tf.randomNormal([6, 3, 5], 0, 1, 'float32', 1);
    const y = tf.randomNormal([6, 1], 0, 1, 'float32', 2);
    const history = await model.fit(x, y, { batchSize: 2, epochs: 2, shuffle: false, verbose: 0 });
    expect(history.history.loss).toHaveLength(2);
    expect((model.predict(x, { batchSize: 2 }) as Tensor).shape).toEqual([6, 1]);
    expect((model.evaluate(x, y, { batchSize: 2 }) as Tensor).rank).toBe(0);
    await expect(model.fit(x, y, { batchSize: 3, verbose: 0 })).rejects.toThrow(/fixed batch size of 2.*pass batchSize: 2.*got batchSize 3, 6 samples/);
    const odd = tf.randomNormal([5, 3, 5], 0, 1, 'float32', 3);
    expect(() => model.predict(odd, { batchSize: 2 })).toThrow(/fixed batch size of 2.*multiple of 2 samples.*5 samples/);
    expect(() => model.predict(tf.randomNormal([2, 4, 5]), { batchSize: 2 })).toThrow(/has shape \[2,4,5\] but the model expects/);
  });
});
