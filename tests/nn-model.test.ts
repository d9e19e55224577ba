// Models vs tfjs-layers: Sequential and functional (multi-input) predictions and gradients on shared
// weights, summary() text, the Keras JSON topology both ways, weights API, errors, memory.
import { describe, expect, it } from 'vitest';
import { describeEachBackend, expectClose, loadTfjs, randomValues, tf, type Tensor } from './helpers.js';
import * as nn from '../src/nn/index.js';

const tfjs = await loadTfjs();
type TfjsTensor = ReturnType<typeof tfjs.tensor>;
type TfjsModel = ReturnType<typeof tfjs.sequential>;

const toTfjs = (t: Tensor) => tfjs.tensor(Array.from(t.dataSync() as Float32Array), t.shape);
const random = (shape: number[], seed: number) => tf.tensor(Array.from(randomValues(shape.reduce((p, d) => p * d, 1), seed)), shape);
let unique = 0;
const uid = (base: string) => `${base}_${unique++}`;

/** Copies our model's weights into the tfjs model (same layer order). */
function shareWeights(ours: nn.LayersModel, theirs: TfjsModel | ReturnType<typeof tfjs.model>): void {
  const weights = ours.getWeights();
  theirs.setWeights(weights.map(toTfjs));
  tf.dispose(weights);
}

/** The same MLP on both sides: 17 → 9 relu → dropout → 3 softmax, with fixed names. */
function mlps(names = [uid('d'), uid('drop'), uid('out')]) {
  const ours = nn.sequential({ name: uid('seq'), layers: [
    nn.layers.dense({ units: 9, activation: 'relu', inputShape: [17], name: names[0], biasInitializer: nn.initializers.randomNormal({ seed: 1 }) }),
    nn.layers.dropout({ rate: 0.4, name: names[1] }),
    nn.layers.dense({ units: 3, activation: 'softmax', name: names[2] }),
  ] });
  const theirs = tfjs.sequential({ name: ours.name, layers: [
    tfjs.layers.dense({ units: 9, activation: 'relu', inputShape: [17], name: names[0], biasInitializer: tfjs.initializers.randomNormal({ seed: 1 }) }),
    tfjs.layers.dropout({ rate: 0.4, name: names[1] }),
    tfjs.layers.dense({ units: 3, activation: 'softmax', name: names[2] }),
  ] });
  shareWeights(ours, theirs);
  return { ours, theirs };
}

/** Two inputs (a: [5], b: [3]) → dense(b) ⊕ a → dense → two heads. */
function functionalPair() {
  const n = { a: uid('a'), b: uid('b'), d1: uid('d1'), cat: uid('cat'), h1: uid('h1'), h2: uid('h2'), m: uid('m') };
  const build = (lib: typeof nn | typeof tfjs) => {
    const L = lib.layers as typeof nn.layers;
    const a = lib.input({ shape: [5], name: n.a }) as nn.SymbolicTensor;
    const b = lib.input({ shape: [3], name: n.b }) as nn.SymbolicTensor;
    const db = L.dense({ units: 4, activation: 'tanh', name: n.d1 }).apply(b) as nn.SymbolicTensor;
    const joined = L.concatenate({ name: n.cat }).apply([a, db]) as nn.SymbolicTensor;
    const h1 = L.dense({ units: 2, activation: 'softmax', name: n.h1 }).apply(joined) as nn.SymbolicTensor;
    const h2 = L.dense({ units: 1, name: n.h2 }).apply(joined) as nn.SymbolicTensor;
    return (lib.model as typeof nn.model)({ inputs: [a, b], outputs: [h1, h2], name: n.m });
  };
  const ours = build(nn);
  const theirs = build(tfjs) as unknown as ReturnType<typeof tfjs.model>;
  shareWeights(ours, theirs);
  return { ours, theirs };
}

describeEachBackend('nn models', () => {
  it('sequential predict matches tfjs on shared weights (batches 1, 3, 17)', () => {
    const { ours, theirs } = mlps();
    for (const batch of [1, 3, 17]) {
      const x = random([batch, 17], batch);
      const y = ours.predict(x) as Tensor;
      expect(y.shape).toEqual([batch, 3]);
      expectClose(y.dataSync() as Float32Array, (theirs.predict(toTfjs(x)) as TfjsTensor).dataSync(), { rtol: 1e-4, atol: 1e-6 });
      tf.dispose([x, y]);
    }
    ours.dispose();
  });

  it('gradients of a loss of the model output w.r.t. every weight match tfjs', () => {
    const { ours, theirs } = mlps();
    const x = random([5, 17], 3);
    const target = random([5, 3], 4);
    const ourGrads = tf.variableGrads(() => tf.sum(tf.square(tf.sub(ours.predictTensors([x], false)[0], target))), ours.trainableVariables).grads;
    const theirGrads = tfjs.variableGrads(
      () => tfjs.sum(tfjs.square(tfjs.sub(theirs.apply(toTfjs(x)) as TfjsTensor, toTfjs(target)))) as ReturnType<typeof tfjs.scalar>,
      theirs.trainableWeights.map((w) => (w as unknown as { val: ReturnType<typeof tfjs.variable> }).val),
    ).grads;
    expect(ours.trainableVariables.length).toBe(4);
    ours.trainableWeights.forEach((w, i) => {
      expectClose(ourGrads[w.name].dataSync() as Float32Array, theirGrads[theirs.trainableWeights[i].name].dataSync(), { rtol: 1e-3, atol: 1e-6 });
    });
    tf.dispose([x, target, ...Object.values(ourGrads)]);
    ours.dispose();
  });

  it('functional multi-input, multi-output model matches tfjs (values, layer order, names)', () => {
    const { ours, theirs } = functionalPair();
    expect(ours.layers.map((l) => l.name)).toEqual(theirs.layers.map((l) => l.name));
    expect(ours.inputNames).toEqual(theirs.inputNames);
    expect(ours.outputNames).toEqual(theirs.outputNames);
    expect(ours.outputShapes).toEqual([[null, 2], [null, 1]]);
    expect(ours.outputActivations()).toEqual(['softmax', 'linear']);
    const a = random([3, 5], 1);
    const b = random([3, 3], 2);
    const outs = ours.predict([a, b]) as Tensor[];
    const theirOuts = theirs.predict([toTfjs(a), toTfjs(b)]) as TfjsTensor[];
    outs.forEach((o, i) => expectClose(o.dataSync() as Float32Array, theirOuts[i].dataSync(), { rtol: 1e-4, atol: 1e-6 }));
    // predictLogits returns the softmax head before its activation.
    const logits = tf.tidy(() => ours.predictLogits([a, b], false));
    expectClose(tf.softmax(logits[0]).dataSync() as Float32Array, outs[0].dataSync() as Float32Array, { rtol: 1e-5, atol: 1e-6 });
    expectClose(logits[1].dataSync() as Float32Array, outs[1].dataSync() as Float32Array, { rtol: 0, atol: 0 });
    tf.dispose([a, b, ...outs, ...logits]);
    ours.dispose();
  });

  it('layer.apply on concrete tensors runs the layer; a model applies as a layer', () => {
    const { ours, theirs } = mlps();
    const x = random([2, 17], 9);
    const direct = ours.apply(x) as Tensor;
    const y = ours.predict(x) as Tensor;
    expectClose(direct.dataSync() as Float32Array, y.dataSync() as Float32Array, { rtol: 0, atol: 0 });
    const input = nn.input({ shape: [17] });
    const outer = nn.model({ inputs: input, outputs: nn.layers.dense({ units: 2 }).apply(ours.apply(input) as nn.SymbolicTensor) as nn.SymbolicTensor });
    expect((outer.predict(x) as Tensor).shape).toEqual([2, 2]);
    void theirs;
    tf.dispose([x, direct, y]);
    outer.dispose();
  });

  it('dropout inside a model is active only with training=true', () => {
    const { ours } = mlps();
    const x = random([64, 17], 5);
    const inference = tf.tidy(() => ours.predictTensors([x], false)[0]);
    const again = tf.tidy(() => ours.predictTensors([x], false)[0]);
    expect(Array.from(inference.dataSync())).toEqual(Array.from(again.dataSync()));
    const trained = tf.tidy(() => ours.predictTensors([x], true)[0]);
    expect(Array.from(trained.dataSync())).not.toEqual(Array.from(inference.dataSync()));
    tf.dispose([x, inference, again, trained]);
    ours.dispose();
  });

  it('predict inside and outside tidy leaves no tensors behind', () => {
    const { ours } = mlps();
    const x = random([7, 17], 6);
    const before = tf.memory().numTensors;
    const y = ours.predict(x) as Tensor;
    expect(tf.memory().numTensors).toBe(before + 1);
    y.dispose();
    tf.tidy(() => {
      ours.predict(x);
      ours.predictTensors([x], true);
    });
    expect(tf.memory().numTensors).toBe(before);
    // Outside tidy, predictTensors and apply leave only their outputs (intermediates are freed).
    const outputs = [...ours.predictTensors([x], true), ours.apply(x) as Tensor];
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose(outputs);
    tf.dispose(x);
    const variablesBefore = tf.memory().numTensors;
    ours.dispose();
    expect(tf.memory().numTensors).toBe(variablesBefore - 4);
  });
});

describe('summary', () => {
  const capture = (m: { summary(l?: number, p?: number[], f?: (line: string) => void): void }) => {
    const lines: string[] = [];
    m.summary(undefined, undefined, (line: string) => lines.push(line));
    return lines;
  };

  it('sequential table is line-for-line the tfjs one, incl. non-trainable counts', () => {
    const { ours, theirs } = mlps();
    ours.layers[2].trainable = false;
    theirs.layers[2].trainable = false;
    const lines = capture(ours);
    expect(lines).toEqual(capture(theirs as never));
    expect(lines.join('\n')).toMatch(/Total params: 192\nTrainable params: 162\nNon-trainable params: 30/);
    expect(ours.trainableVariables.length).toBe(2);
    ours.dispose();
  });

  it('functional table (with Receives inputs) is line-for-line the tfjs one', () => {
    const { ours, theirs } = functionalPair();
    expect(capture(ours)).toEqual(capture(theirs as never));
    ours.dispose();
  });

  it('prints to console.log by default', () => {
    const { ours } = mlps();
    const logged: string[] = [];
    const original = console.log;
    console.log = (line: string) => logged.push(line);
    try {
      ours.summary();
    } finally {
      console.log = original;
    }
    expect(logged[1]).toMatch(/^Layer \(type\) +Input Shape +Output shape +Param #/);
    ours.dispose();
  });
});

describe('topology (Keras JSON as tfjs writes it)', () => {
  const tfjsTopology = async (m: { save: TfjsModel['save'] }) => {
    let topology: Record<string, unknown> = {};
    await m.save(tfjs.io.withSaveHandler(async (artifacts) => {
      topology = artifacts.modelTopology as Record<string, unknown>;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    return topology;
  };
  const withoutVersion = (t: object) => ({ ...(t as Record<string, unknown>), keras_version: undefined });

  it('sequential and functional topologies equal tfjs\'s', async () => {
    const seq = mlps();
    expect(withoutVersion(nn.modelTopology(seq.ours))).toEqual(withoutVersion(await tfjsTopology(seq.theirs)));
    const fn = functionalPair();
    expect(withoutVersion(nn.modelTopology(fn.ours))).toEqual(withoutVersion(await tfjsTopology(fn.theirs as never)));
    seq.ours.dispose();
    fn.ours.dispose();
  });

  it('a topology written by tfjs rebuilds the same model (summary and predictions)', async () => {
    const { theirs } = functionalPair();
    const topology = await tfjsTopology(theirs as never);
    const rebuilt = nn.modelFromTopology(topology);
    const lines: string[] = [];
    const theirLines: string[] = [];
    rebuilt.summary(undefined, undefined, (l) => lines.push(l));
    theirs.summary(undefined, undefined, (l) => theirLines.push(l));
    expect(lines).toEqual(theirLines);
    rebuilt.setWeights(theirs.getWeights().map((w) => tf.tensor(Array.from(w.dataSync()), w.shape)));
    const a = random([2, 5], 1);
    const b = random([2, 3], 2);
    const outs = rebuilt.predict([a, b]) as Tensor[];
    const theirOuts = theirs.predict([toTfjs(a), toTfjs(b)]) as TfjsTensor[];
    outs.forEach((o, i) => expectClose(o.dataSync() as Float32Array, theirOuts[i].dataSync(), { rtol: 1e-4, atol: 1e-6 }));
    // Round trip through our own writer gives the same JSON again.
    expect(nn.modelTopology(rebuilt)).toEqual({ ...topology, keras_version: nn.modelTopology(rebuilt).keras_version });
    tf.dispose([a, b, ...outs]);
    rebuilt.dispose();
  });

  it('sequential with an explicit inputLayer, flatten, reshape, activation and regularizer round-trips', async () => {
    const names = [uid('in'), uid('f'), uid('r'), uid('act'), uid('f'), uid('d')];
    const make = (lib: typeof nn | typeof tfjs) => {
      const L = lib.layers as typeof nn.layers;
      return (lib.sequential as typeof nn.sequential)({ name: uid('s'), layers: [
        L.inputLayer({ inputShape: [2, 3], name: names[0] }), L.flatten({ name: names[1] }),
        L.reshape({ targetShape: [3, 2], name: names[2] }), L.activation({ activation: 'hardSigmoid', name: names[3] }),
        L.flatten({ name: names[4] }),
        L.dense({ units: 2, useBias: false, kernelInitializer: 'heUniform', name: names[5],
          kernelRegularizer: (lib.regularizers as typeof nn.regularizers).l1l2({ l1: 0.01, l2: 0.02 }) }),
      ] });
    };
    const ours = make(nn);
    const theirs = make(tfjs) as unknown as TfjsModel;
    const topology = nn.modelTopology(ours) as { config: object };
    const theirTopology = await tfjsTopology(theirs);
    expect({ ...topology, keras_version: 0, config: { ...topology.config, name: 0 } })
      .toEqual({ ...theirTopology, keras_version: 0, config: { ...(theirTopology.config as object), name: 0 } });
    const rebuilt = nn.modelFromTopology(theirTopology);
    expect(rebuilt.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'Flatten', 'Reshape', 'Activation', 'Flatten', 'Dense']);
    expect(rebuilt.regularizationLoss()).not.toBeNull();
    ours.dispose();
    rebuilt.dispose();
  });

  it('rejects malformed topologies naming the layer or class', () => {
    expect(() => nn.modelFromTopology({ foo: 1 })).toThrow(/modelFromTopology: expected \{class_name, config\}/);
    expect(() => nn.modelFromTopology({ class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Conv9D', config: { name: 'c' } }] } }))
      .toThrow(/layer 'c' has unknown class 'Conv9D' \(known: InputLayer, Dense/);
    expect(() => nn.modelFromTopology({ class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'd', units: 2, activation: 'nope', batch_input_shape: [null, 2] } }] } }))
      .toThrow(/layer 'd' \(Dense\).*unknown activation 'nope'/);
    expect(() => nn.modelFromTopology({ class_name: 'Model', config: { name: 'm', layers: [{ name: 'x', class_name: 'Dense', config: { name: 'x', units: 1 }, inbound_nodes: [[['ghost', 0, 0, {}]]] }], input_layers: [], output_layers: [] } }))
      .toThrow(/layer 'x' refers to unknown layer 'ghost'/);
    expect(() => nn.modelFromTopology({ class_name: 'Weird', config: {} })).toThrow(/unknown model class 'Weird'/);
  });
});

describe('weights and errors', () => {
  it('getWeights/setWeights in model.weights order with tfjs names; shape errors name the weight', () => {
    const { ours } = mlps();
    expect(ours.weights.map((w) => w.originalName)).toEqual(ours.layers.flatMap((l) => l.weights.map((w) => w.originalName)));
    expect(ours.weights[0].originalName).toMatch(/\/kernel$/);
    const weights = ours.getWeights();
    const doubled = weights.map((w) => tf.mul(w, 2));
    ours.setWeights(doubled);
    const after = ours.getWeights();
    after.forEach((w, i) => expectClose(w.dataSync() as Float32Array, doubled[i].dataSync() as Float32Array, { rtol: 0, atol: 0 }));
    expect(() => ours.setWeights(doubled.slice(1))).toThrow(/setWeights: .*has 4 weight\(s\)/);
    expect(() => ours.setWeights([doubled[1], ...doubled.slice(1)])).toThrow(/setWeights: .*kernel.*has shape \[17,9\], got \[9\]/);
    tf.dispose([weights, doubled, after]);
    ours.dispose();
  });

  it('a second model with the same layer names gets unique variable names', () => {
    const first = nn.modelFromTopology(nn.modelTopology(mlps().ours));
    const second = nn.modelFromTopology(nn.modelTopology(first));
    expect(second.weights.map((w) => w.originalName)).toEqual(first.weights.map((w) => w.originalName));
    expect(second.weights[0].name).not.toBe(first.weights[0].name);
    first.dispose();
    second.dispose();
  });

  it('clear errors: wrong input shape, add() without inputShape, incompatible layers, disconnected graphs', () => {
    const model = nn.sequential({ layers: [nn.layers.dense({ units: 3, inputShape: [784], name: uid('first') })] });
    // predict() checks through the training module; predictTensors (what fit and predict run) checks too.
    expect(() => model.predict(tf.ones([32, 100]))).toThrow(/predict: .*\[32,100\].*\[null,784\]/);
    expect(() => model.predictTensors([tf.ones([32, 100])], false)).toThrow(/predict: expected input of shape \[null,784\], got \[32,100\] \(input layer 'first_\d+_input'/);
    expect(() => model.predict([tf.ones([2, 784]), tf.ones([2, 784])])).toThrow(/predict: .*1 input\(s\).*2 input/);
    expect(() => nn.sequential().add(nn.layers.dense({ units: 3 }))).toThrow(/first layer .* must get an inputShape or batchInputShape/);
    expect(() => model.add(nn.layers.reshape({ targetShape: [2, 2] }))).toThrow(/Reshape .*cannot reshape input \[null,3\]/);
    const shared = nn.layers.dense({ units: 4, name: uid('shared') });
    nn.sequential({ layers: [nn.layers.dense({ units: 5, inputShape: [2] }), shared] });
    expect(() => model.add(shared)).toThrow(/expected input with last dimension 5, got \[null,3\]/);
    const a = nn.input({ shape: [2] });
    const b = nn.input({ shape: [2] });
    const out = nn.layers.add().apply([a, b]) as nn.SymbolicTensor;
    expect(() => nn.model({ inputs: a, outputs: out })).toThrow(/graph disconnected/);
    model.dispose();
  });

  it('compile/fit/trainOnBatch delegate to training; fit before compile fails clearly', async () => {
    const model = nn.sequential({ layers: [nn.layers.dense({ units: 1, inputShape: [3], kernelRegularizer: nn.regularizers.l2({ l2: 0.001 }) })] });
    const x = random([32, 3], 1);
    const y = tf.sum(x, 1, true);
    await expect(model.fit(x, y)).rejects.toThrow(/fit: the model must be compiled first/);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    expect(model.optimizer).toBeDefined();
    const first = model.trainOnBatch(x, y) as number;
    await model.fit(x, y, { epochs: 20, batchSize: 8, verbose: 0 });
    const last = model.trainOnBatch(x, y) as number;
    expect(last).toBeLessThan(first / 2);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('save() writes through IO and loadLayersModel predicts the same', async () => {
    const { ours } = mlps();
    let saved: unknown;
    await ours.save(nn.io.withSaveHandler(async (artifacts: unknown) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' as const } };
    }));
    const loaded = await nn.loadLayersModel(nn.io.fromMemory(saved as never));
    const x = random([3, 17], 8);
    const [a, b] = [ours.predict(x) as Tensor, loaded.predict(x) as Tensor];
    expectClose(a.dataSync() as Float32Array, b.dataSync() as Float32Array, { rtol: 0, atol: 0 });
    tf.dispose([x, a, b]);
    ours.dispose();
    loaded.dispose();
  });
});
