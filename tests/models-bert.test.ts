// BERT models: a tiny random BERT written with Hugging Face names is loaded and compared with a float64
// reference built from the formulas (tests/models-bert-reference.ts): hidden states, pooler, classifier and
// MLM logits with and without padding, T = 1 and 7; gradients against finite differences of the reference;
// fused vs unfused attention; save → load round trip; bad checkpoints; freezing and grouped learning rates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectClose, tf, type Tensor } from './helpers.js';
import { writeSafetensors } from '../src/io/safetensors.js';
import { readSafetensors } from '../src/io/safetensors.js';
import {
  BertForMaskedLM, BertForSequenceClassification, BertModel, GroupedAdamW, IGNORE_INDEX, bertParameterGroups,
  huggingFaceToSinew, maskTokens, seededRandom, trainStep,
} from '../src/models/index.js';
import type { LayerVariable } from '../src/nn/layer.js';
import { wordPieceFromVocab } from '../src/text/tokenizer-json.js';
import { bertVocabText } from './fixtures/text/corpus.js';
import { randomHfWeights, referenceBert, type HfWeights, type TinyConfig } from './models-bert-reference.js';

const C: TinyConfig = { vocab: 23, hidden: 12, layers: 2, heads: 2, intermediate: 20, positions: 9, types: 2, eps: 1e-12 };
const LABELS = 3;

function configJson(c: TinyConfig, extra: Record<string, unknown> = {}) {
  return {
    model_type: 'bert', vocab_size: c.vocab, hidden_size: c.hidden, num_hidden_layers: c.layers, num_attention_heads: c.heads,
    intermediate_size: c.intermediate, max_position_embeddings: c.positions, type_vocab_size: c.types, layer_norm_eps: c.eps,
    hidden_act: 'gelu', hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1, ...extra,
  };
}

async function writeFolder(dir: string, weights: HfWeights, config: Record<string, unknown>, extraTensors: Record<string, { shape: number[]; values: number[] }> = {}) {
  const tensors: Record<string, { dtype: 'F32' | 'I64'; shape: number[]; values: ArrayLike<number | bigint> }> = {};
  for (const [name, { shape, values }] of weights) tensors[name] = { dtype: 'F32', shape, values: Float32Array.from(values) };
  for (const [name, t] of Object.entries(extraTensors)) tensors[name] = { dtype: 'F32', ...t };
  await writeSafetensors(join(dir, 'model.safetensors'), tensors);
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
}

// Two sequences of 7: the second padded after 4 tokens; token types switch halfway.
const IDS = [[2, 7, 11, 5, 19, 3, 22], [2, 13, 8, 3, 0, 0, 0]];
const TYPES = [[0, 0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 0, 0, 0]];
const MASK = [[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0, 0]];
const ONES = IDS.map((row) => row.map(() => 1));

let dir: string;
let weights: HfWeights;
const TOL = { rtol: 2e-4, atol: 2e-5 };

beforeAll(async () => {
  await tf.setBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'sinew-bert-'));
  // One file holds every head (as a checkpoint fine-tuned from bert-base would), legacy gamma/beta names included.
  weights = randomHfWeights(C, 100, { mlm: true, classifierLabels: LABELS, legacyNorm: true });
  await writeFolder(dir, weights, configJson(C), { 'bert.embeddings.position_ids': { shape: [1, C.positions], values: Array.from({ length: C.positions }, (_, i) => i) } });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const values = (t: Tensor) => Array.from(t.dataSync());

describe('BERT forward vs a float64 reference', () => {
  for (const [label, mask] of [['padding mask', MASK], ['no mask', ONES]] as const) {
    it(`classification model: hidden states, pooler and logits (${label})`, async () => {
      const model = await BertForSequenceClassification.fromPretrained(dir, { numLabels: LABELS });
      const expected = referenceBert(weights, C, IDS, TYPES, mask);
      const inputs = { inputIds: IDS, tokenTypeIds: TYPES, attentionMask: label === 'no mask' ? undefined : mask };
      tf.tidy(() => {
        const out = model.bert.call(inputs);
        expect(out.lastHiddenState.shape).toEqual([2, 7, C.hidden]);
        expectClose(values(out.lastHiddenState), expected.hidden, TOL);
        expectClose(values(out.poolerOutput!), expected.pooled, TOL);
        expectClose(values(model.call(inputs)), expected.classifierLogits!, TOL);
      });
      expect(model.loadReport!.newlyInitialized).toEqual([]);
      expect(model.loadReport!.ignored.sort()).toEqual(
        ['bert.embeddings.position_ids', 'cls.predictions.bias', 'cls.predictions.transform.LayerNorm.beta',
          'cls.predictions.transform.LayerNorm.gamma', 'cls.predictions.transform.dense.bias', 'cls.predictions.transform.dense.weight'].sort(),
      );
      model.dispose();
    });
  }

  it('masked LM logits (tied decoder) and a single-token sequence (T = 1)', async () => {
    const model = await BertForMaskedLM.fromPretrained(dir);
    expect(model.loadReport!.ignored).toContain('classifier.weight');
    expect(model.loadReport!.ignored).toContain('bert.pooler.dense.weight');
    const expected = referenceBert(weights, C, IDS, TYPES, MASK);
    tf.tidy(() => expectClose(values(model.call({ inputIds: IDS, tokenTypeIds: TYPES, attentionMask: MASK })), expected.mlmLogits!, TOL));
    const single = referenceBert(weights, C, [[4]], [[0]], [[1]]);
    tf.tidy(() => expectClose(values(model.call({ inputIds: [[4]] })), single.mlmLogits!, TOL));
    model.dispose();
  });

  it('the fused attention kernel equals the unfused ops, forward and backward', async () => {
    const model = await BertForSequenceClassification.fromPretrained(dir, { numLabels: LABELS });
    const inputs = { inputIds: IDS, tokenTypeIds: TYPES, attentionMask: MASK };
    const run = () => {
      const vars = model.weights.map((w) => w.read());
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(model.call(inputs), tf.tensor([[1, -2, 0.5], [0.3, 1, -1]]))), vars);
      const out = { value: value.dataSync()[0], grads: vars.map((v) => Array.from(grads[v.name].dataSync())) };
      tf.dispose([value, grads]);
      return out;
    };
    const fused = run();
    model.bert.setAttentionPath('unfused');
    const unfused = run();
    expect(unfused.value).toBeCloseTo(fused.value, 5);
    fused.grads.forEach((g, i) => expectClose(unfused.grads[i], g, { rtol: 1e-4, atol: 1e-6 }));
    model.dispose();
  });
});

/** d(Σ output·pattern)/dW of the reference by central differences, at a few entries of an HF weight. */
function referenceGradient(name: string, entries: number[], output: (w: HfWeights) => Float64Array, pattern: (i: number) => number): number[] {
  const h = 1e-5;
  const objective = (w: HfWeights) => output(w).reduce((s, v, i) => s + v * pattern(i), 0);
  return entries.map((e) => {
    const stored = weights.get(name)!.values;
    const original = stored[e];
    stored[e] = original + h;
    const plus = objective(weights);
    stored[e] = original - h;
    const minus = objective(weights);
    stored[e] = original;
    return (plus - minus) / (2 * h);
  });
}

/** Our gradient at the same entries (mapping HF [out, in] indices onto sinew's [in, out] kernels). */
function ourGradient(model: { weights: LayerVariable[] }, name: string, entries: number[], loss: () => Tensor): number[] {
  const target = huggingFaceToSinew(name)!;
  const sinewName = typeof target === 'string' ? target : target.name;
  const weight = model.weights.find((w) => w.originalName === sinewName)!;
  const { value, grads } = tf.variableGrads(loss, [weight.read()]);
  const g = grads[weight.name].dataSync();
  const hfShape = weights.get(name)!.shape;
  const out = entries.map((e) => {
    if (typeof target === 'string') return g[e];
    const [o, i] = [Math.floor(e / hfShape[1]), e % hfShape[1]];
    return g[i * hfShape[0] + o];
  });
  tf.dispose([value, grads]);
  return out;
}

describe('BERT gradients vs finite differences of the reference', () => {
  const pattern = (i: number) => 1 + 0.37 * (i % 5) - 0.2 * (i % 3);
  const cases: [string, number[]][] = [
    ['bert.encoder.layer.0.attention.self.query.weight', [0, 13, 77, 143]],
    ['bert.encoder.layer.0.attention.self.key.bias', [1, 6]],
    ['bert.encoder.layer.1.intermediate.dense.weight', [5, 100, 239]],
    ['bert.encoder.layer.1.output.LayerNorm.gamma', [0, 11]],
    ['bert.embeddings.word_embeddings.weight', [2 * C.hidden + 3, 13 * C.hidden + 7]],
    ['bert.embeddings.position_embeddings.weight', [6 * C.hidden + 1]],
    ['bert.embeddings.token_type_embeddings.weight', [C.hidden + 4]],
    ['bert.pooler.dense.weight', [17]],
    ['classifier.bias', [0, 2]],
  ];
  it('classification logits', async () => {
    const model = await BertForSequenceClassification.fromPretrained(dir, { numLabels: LABELS });
    const inputs = { inputIds: IDS, tokenTypeIds: TYPES, attentionMask: MASK };
    const weightsPattern = tf.tensor(Array.from({ length: 2 * LABELS }, (_, i) => pattern(i)), [2, LABELS]);
    for (const [name, entries] of cases) {
      const ours = ourGradient(model, name, entries, () => tf.sum(tf.mul(model.call(inputs), weightsPattern)));
      const theirs = referenceGradient(name, entries, (w) => referenceBert(w, C, IDS, TYPES, MASK).classifierLogits!, pattern);
      expectClose(ours, theirs, { rtol: 2e-3, atol: 2e-4 });
    }
    weightsPattern.dispose();
    model.dispose();
  });

  it('masked LM logits through the tied word embeddings', async () => {
    const model = await BertForMaskedLM.fromPretrained(dir);
    const ids = [IDS[1].slice(0, 5)];
    const inputs = { inputIds: ids, tokenTypeIds: [[0, 0, 0, 0, 0]], attentionMask: [[1, 1, 1, 1, 0]] };
    const n = 5 * C.vocab;
    const weightsPattern = tf.tensor(Array.from({ length: n }, (_, i) => pattern(i)), [1, 5, C.vocab]);
    for (const [name, entries] of [
      ['bert.embeddings.word_embeddings.weight', [13 * C.hidden + 2, 20 * C.hidden + 5]],
      ['cls.predictions.transform.dense.weight', [9, 40]],
      ['cls.predictions.bias', [3]],
    ] as [string, number[]][]) {
      const ours = ourGradient(model, name, entries, () => tf.sum(tf.mul(model.call(inputs), weightsPattern)));
      const theirs = referenceGradient(name, entries, (w) => referenceBert(w, C, ids, inputs.tokenTypeIds, inputs.attentionMask).mlmLogits!, pattern);
      expectClose(ours, theirs, { rtol: 2e-3, atol: 2e-4 });
    }
    weightsPattern.dispose();
    model.dispose();
  });
});

describe('Hugging Face folders', () => {
  it('save writes Hugging Face names and layouts; loading it back gives the same outputs', async () => {
    const model = await BertForSequenceClassification.fromPretrained(dir, { numLabels: LABELS });
    const out = await mkdtemp(join(tmpdir(), 'sinew-bert-save-'));
    try {
      await model.save(out);
      const file = await readSafetensors(join(out, 'model.safetensors'));
      const expectedNames = [...weights.keys()].filter((n) => !n.startsWith('cls.')).map((n) => n.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias'));
      expect(file.names.slice().sort()).toEqual(expectedNames.sort());
      const q = weights.get('bert.encoder.layer.1.attention.self.query.weight')!;
      expect(file.info('bert.encoder.layer.1.attention.self.query.weight').shape).toEqual(q.shape);
      expectClose(file.values('bert.encoder.layer.1.attention.self.query.weight').values, q.values, { rtol: 1e-6, atol: 1e-7 });
      file.close();
      const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
      expect(config).toMatchObject({ model_type: 'bert', hidden_size: C.hidden, num_labels: LABELS, architectures: ['BertForSequenceClassification'] });
      const again = await BertForSequenceClassification.fromPretrained(out, { numLabels: LABELS });
      const inputs = { inputIds: IDS, attentionMask: MASK };
      tf.tidy(() => expectClose(values(again.call(inputs)), values(model.call(inputs)), { rtol: 0, atol: 0 }));
      again.dispose();
    } finally {
      model.dispose();
      await rm(out, { recursive: true, force: true });
    }
  });

  it('a bare BertModel checkpoint (no bert. prefix) loads into BertModel; an MLM checkpoint gets a fresh classifier', async () => {
    const bare = await mkdtemp(join(tmpdir(), 'sinew-bert-bare-'));
    try {
      const stripped: HfWeights = new Map([...weights].filter(([n]) => n.startsWith('bert.')).map(([n, w]) => [n.slice(5), w]));
      await writeFolder(bare, stripped, configJson(C));
      // Config overrides from the caller win over config.json (here: dropout off).
      const model = await BertModel.fromPretrained(bare, { config: { hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 } });
      expect(model.config.hiddenDropoutProb).toBe(0);
      expect(model.config.hiddenSize).toBe(C.hidden);
      const expected = referenceBert(weights, C, IDS, TYPES, MASK);
      tf.tidy(() => expectClose(values(model.call({ inputIds: IDS, tokenTypeIds: TYPES, attentionMask: MASK }).lastHiddenState), expected.hidden, TOL));
      model.dispose();
      const classifier = await BertForSequenceClassification.fromPretrained(bare, { numLabels: 4, seed: 3 });
      expect(classifier.loadReport!.newlyInitialized).toEqual(['classifier/kernel', 'classifier/bias']);
      classifier.dispose();
    } finally {
      await rm(bare, { recursive: true, force: true });
    }
  });

  it('bad checkpoints fail with a clear Error naming the weight and shapes, leaving no variables behind', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'sinew-bert-bad-'));
    const before = tf.memory().numTensors;
    try {
      // The config says 16 positions; the file holds 9.
      await writeFolder(bad, weights, configJson(C, { max_position_embeddings: 16 }));
      await expect(BertForSequenceClassification.fromPretrained(bad, { numLabels: LABELS })).rejects.toThrow(
        /bert\.embeddings\.position_embeddings\.weight' is \[9, 12\] but sinew weight 'bert\.embeddings\.position_embeddings\/embeddings' is \[16, 12\]/,
      );
      // A transposed (wrong-orientation) Linear weight of a non-square layer.
      const flipped: HfWeights = new Map(weights);
      const w = weights.get('bert.encoder.layer.0.intermediate.dense.weight')!;
      flipped.set('bert.encoder.layer.0.intermediate.dense.weight', { shape: [w.shape[1], w.shape[0]], values: w.values });
      await writeFolder(bad, flipped, configJson(C));
      await expect(BertForSequenceClassification.fromPretrained(bad, { numLabels: LABELS })).rejects.toThrow(/intermediate\.dense\.weight' is \[20, 12\] \(transposed\)/);
      // A missing encoder weight, and a weight the model does not have.
      const partial: HfWeights = new Map(weights);
      partial.delete('bert.encoder.layer.1.attention.self.value.bias');
      partial.set('bert.encoder.layer.2.attention.self.value.bias', weights.get('bert.encoder.layer.1.attention.self.value.bias')!);
      await writeFolder(bad, partial, configJson(C));
      const error = await BertModel.fromPretrained(bad).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/missing from .*bert\.encoder\.layer\.1\.attention\.self\.value\/bias/);
      expect((error as Error).message).toMatch(/does not have: 'bert\.encoder\.layer\.2\.attention\.self\.value\.bias'/);
      // Not a BERT config.
      await writeFolder(bad, weights, configJson(C, { model_type: 'gpt2' }));
      await expect(BertModel.fromPretrained(bad)).rejects.toThrow(/model_type 'gpt2', not 'bert'/);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });
});

describe('tokenizer input', () => {
  it("predict takes a tokenizer's batch encoding (bert-base-uncased WordPiece, padded)", async () => {
    const tokenizer = wordPieceFromVocab(bertVocabText());
    const model = new BertForSequenceClassification({ vocabSize: tokenizer.vocabSize, hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 16 }, { numLabels: 2, seed: 1 });
    const encoding = tokenizer.encode(['This is a great movie!', 'Dull.'], { padding: true, truncation: true });
    const logits = model.predict(encoding);
    expect(logits.shape).toEqual([2, 2]);
    const explicit = model.predict({ inputIds: encoding.inputIds, attentionMask: encoding.attentionMask, tokenTypeIds: encoding.tokenTypeIds });
    expectClose(values(logits), values(explicit), { rtol: 0, atol: 0 });
    // The short sentence's padding changes nothing: alone, unpadded, it gives the same logits.
    const alone = model.predict(tokenizer.encode(['Dull.']));
    expectClose(values(alone), values(logits).slice(2), { rtol: 1e-5, atol: 1e-6 });
    tf.dispose([logits, explicit, alone]);
    model.dispose();
  });
});

describe('fine-tuning controls', () => {
  const tiny = { vocabSize: 30, hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 16, maxPositionEmbeddings: 8 };
  const batch = { inputIds: [[1, 5, 9, 2], [1, 7, 2, 0]], attentionMask: [[1, 1, 1, 1], [1, 1, 1, 0]] };
  const snapshot = (model: { weights: LayerVariable[] }) => new Map(model.weights.map((w) => [w.originalName, Array.from(w.read().dataSync())]));

  it('frozen embeddings and lower layers do not move; the rest does; no tensors leak per step', () => {
    const model = new BertForSequenceClassification(tiny, { numLabels: 2, seed: 7 });
    model.bert.freeze({ embeddings: true, layers: 1 });
    expect(model.bert.embeddings.trainable).toBe(false);
    expect(model.trainableWeights.some((w) => w.originalName.startsWith('bert.encoder.layer.0.'))).toBe(false);
    const before = snapshot(model);
    const optimizer = tf.train.adamw(0.01);
    trainStep(model, () => model.loss(batch, [0, 1], { training: true }), optimizer, { clipNorm: 1 });
    const tensors = tf.memory().numTensors;
    trainStep(model, () => model.loss(batch, [0, 1], { training: true }), optimizer, { clipNorm: 1 });
    expect(tf.memory().numTensors).toBe(tensors);
    const after = snapshot(model);
    for (const [name, value] of before) {
      const frozen = name.startsWith('bert.embeddings') || name.startsWith('bert.encoder.layer.0.');
      expect(value.every((v, i) => v === after.get(name)![i]), name).toBe(frozen);
    }
    model.bert.freeze();
    expect(model.trainableWeights.length).toBe(model.weights.length);
    optimizer.dispose();
    model.dispose();
  });

  it('GroupedAdamW: multiplier 1 is AdamW, 0 freezes a group, layer-wise decay scales the first step', () => {
    const a = new BertForSequenceClassification(tiny, { numLabels: 2, seed: 11 });
    const b = new BertForSequenceClassification(tiny, { numLabels: 2, seed: 11 });
    const plain = tf.train.adamw(0.01, 0.01);
    const decay = 0.5;
    const groups = bertParameterGroups({ layerDecay: decay, numLayers: 2 });
    const grouped = new GroupedAdamW(0.01, 0.01, (name) => (name.startsWith('bert.embeddings') ? { learningRate: 0 } : groups(name)));
    const start = snapshot(a);
    trainStep(a, () => a.loss(batch, [1, 0]), plain);
    trainStep(b, () => b.loss(batch, [1, 0]), grouped);
    expect(grouped.iterations).toBe(1);
    const stepA = snapshot(a);
    const stepB = snapshot(b);
    for (const [name, initial] of start) {
      const moveA = stepA.get(name)!.map((v, i) => v - initial[i]);
      const moveB = stepB.get(name)!.map((v, i) => v - initial[i]);
      if (name.startsWith('bert.embeddings')) {
        expect(moveB.every((m) => m === 0), name).toBe(true);
        continue;
      }
      const depth = name.startsWith('bert.encoder.layer.') ? Number(name.split('.')[3]) : 2;
      // Biases and norms have no decay in the groups: compare only the kernels, where both decay.
      if (!name.endsWith('/kernel')) continue;
      expectClose(moveB, moveA.map((m) => m * Math.pow(decay, 2 - depth)), { rtol: 1e-3, atol: 1e-7 });
    }
    plain.dispose();
    grouped.dispose();
    a.dispose();
    b.dispose();
  });

  it('maskTokens: 15% chosen, 80/10/10 rule, special tokens never chosen, labels only at chosen positions', () => {
    const rows = Array.from({ length: 400 }, (_, r) => [1, ...Array.from({ length: 48 }, (_, i) => 5 + ((r * 7 + i * 3) % 90)), 2, 0, 0]);
    const { inputIds, labels } = maskTokens(rows, { maskTokenId: 4, vocabSize: 100, specialIds: [0, 1, 2, 3, 4], firstRandomId: 5 }, seededRandom(5));
    let chosen = 0;
    let masked = 0;
    let kept = 0;
    let maskable = 0;
    const violations: string[] = [];
    rows.forEach((row, r) => row.forEach((id, i) => {
      const special = id <= 4;
      if (!special) maskable++;
      if (labels[r][i] === IGNORE_INDEX) {
        if (inputIds[r][i] !== id) violations.push(`unlabelled ${r},${i} changed`);
        return;
      }
      if (special || labels[r][i] !== id || inputIds[r][i] < 4) violations.push(`bad choice at ${r},${i}`);
      chosen++;
      if (inputIds[r][i] === 4) masked++;
      else if (inputIds[r][i] === id) kept++;
    }));
    expect(violations).toEqual([]);
    expect(chosen / maskable).toBeGreaterThan(0.13);
    expect(chosen / maskable).toBeLessThan(0.17);
    expect(masked / chosen).toBeGreaterThan(0.76);
    expect(masked / chosen).toBeLessThan(0.84);
    // Kept: 10% plus the random draws that hit the same id (about 1%).
    expect(kept / chosen).toBeGreaterThan(0.07);
    expect(kept / chosen).toBeLessThan(0.14);
  });
});
