// Sentiment of short reviews (UCI Sentiment Labelled Sentences: 3,000 amazon/imdb/yelp sentences, half
// positive; 2,979 distinct) with two models trained on the same seeded 80/20 split, each printing held-out accuracy:
// - LSTM: word ids → embedding (maskZero) → bidirectional LSTM → dense sigmoid.
// - Transformer: word ids → embedding (maskZero) + learned position embedding → transformerEncoder →
//   average over the real (unmasked) words → dense sigmoid.
// Shapes: B sentences, T = maxLength word ids (0 = padding), D = embedding width.
//   npx tsx examples/sentiment.ts [--epochs 8] [--model lstm|transformer|both] [--heatmap attention.svg]
//                                [--sentence "The food was great but the service was slow."] [--per-head]
// --heatmap writes the Transformer's self-attention of one sentence (mean of heads, or one panel per head
// with --per-head) as an SVG heat map.
import * as tf from '../src/index.js';
import { Layer, type CallArgs } from '../src/nn/layer.js';
import type { SymbolicShape } from '../src/nn/symbolic.js';
import type { TransformerEncoder } from '../src/nn/layers/transformer.js';
import { Vocabulary } from '../src/text/words.js';
import { averageMatrices, matricesFromArray, writeHeatmapSvg, type HeatmapPanel } from '../src/viz/heatmap.js';
import { hasFlag, isMain, numberFlag } from './shared/cli.js';
import { loadSentimentSentences, splitTrainTest, type LabelledSentence } from './shared/text-data.js';

export interface SentimentData {
  vocab: Vocabulary;
  maxLength: number;
  train: LabelledSentence[];
  test: LabelledSentence[];
}

/** The seeded split of the distinct sentences and a vocabulary built from the training sentences only. */
export function prepareSentimentData(options: { maxLength?: number; maxVocabulary?: number; minCount?: number; testFraction?: number; seed?: number } = {}): SentimentData {
  const { maxLength = 32, maxVocabulary = 5000, minCount = 2, testFraction = 0.2, seed = 2015 } = options;
  // 21 sentences repeat ("Great phone." four times, all with one label): keep each text once so that no
  // held-out sentence was seen in training.
  const seen = new Set<string>();
  const unique = loadSentimentSentences().filter((s) => {
    const key = s.text.trim().toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const { train, test } = splitTrainTest(unique, testFraction, seed);
  const vocab = Vocabulary.build(train.map((s) => s.text), { maxSize: maxVocabulary, minCount });
  return { vocab, maxLength, train, test };
}

/**
 * Mean over the steps whose mask is set: [B, T, D] + mask [B, T] → [B, D] (plain mean without a mask).
 * Keras's GlobalAveragePooling1D does this when a mask arrives; padding must not dilute short sentences.
 */
export class MaskedAveragePooling1D extends Layer {
  static readonly className = 'MaskedAveragePooling1D';
  override supportsMasking = true;
  getClassName() { return MaskedAveragePooling1D.className; }
  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as SymbolicShape;
    return [shape[0], shape[2]];
  }
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallArgs): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const mask = Array.isArray(kwargs.mask) ? kwargs.mask[0] : kwargs.mask;
    if (!mask) return tf.mean(x, 1);
    const weights = tf.expandDims(tf.cast(mask, 'float32'), 2); // [B, T, 1]
    return tf.div(tf.sum(tf.mul(x, weights), 1), tf.maximum(tf.sum(weights, 1), 1));
  }
  override computeMask(): null { return null; }
}

export interface ClassifierOptions {
  embeddingDim?: number;
  /** LSTM units per direction. */
  units?: number;
  numHeads?: number;
  intermediateDim?: number;
  dropout?: number;
}

/** embedding (maskZero) → dropout → bidirectional LSTM → dropout → dense sigmoid. */
export function buildLstmClassifier(vocabularySize: number, maxLength: number, options: ClassifierOptions = {}): tf.LayersModel {
  const { embeddingDim = 32, units = 32, dropout = 0.3 } = options;
  return tf.sequential({ layers: [
    tf.layers.embedding({ inputDim: vocabularySize, outputDim: embeddingDim, maskZero: true, inputLength: maxLength }),
    tf.layers.dropout({ rate: dropout }),
    tf.layers.bidirectional({ layer: tf.layers.lstm({ units }), mergeMode: 'concat' }),
    tf.layers.dropout({ rate: dropout }),
    tf.layers.dense({ units: 1, activation: 'sigmoid' }),
  ] });
}

/** The Transformer classifier and the layers the attention heat map re-runs. */
export interface TransformerClassifier {
  model: tf.LayersModel;
  embedding: Layer;
  position: Layer;
  encoder: TransformerEncoder;
}

/** ids → embedding (maskZero) + positionEmbedding → transformerEncoder → masked mean → dropout → dense sigmoid. */
export function buildTransformerClassifier(vocabularySize: number, maxLength: number, options: ClassifierOptions = {}): TransformerClassifier {
  const { embeddingDim = 32, numHeads = 2, intermediateDim = 64, dropout = 0.2 } = options;
  const ids = tf.input({ shape: [maxLength] });
  const embedding = tf.layers.embedding({ inputDim: vocabularySize, outputDim: embeddingDim, maskZero: true });
  // Positions start at the embeddings' small scale (±0.05) so that word identity dominates at first.
  const position = tf.layers.positionEmbedding({
    sequenceLength: maxLength, addToInput: true, initializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05 }),
  });
  const encoder = tf.layers.transformerEncoder({ numHeads, intermediateDim, dropout: 0.1 });
  let h = position.apply(embedding.apply(ids) as tf.SymbolicTensor) as tf.SymbolicTensor;
  h = encoder.apply(h) as tf.SymbolicTensor;
  h = new MaskedAveragePooling1D({}).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dropout({ rate: dropout }).apply(h) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: 1, activation: 'sigmoid' }).apply(h) as tf.SymbolicTensor;
  return { model: tf.model({ inputs: ids, outputs: output }), embedding, position, encoder };
}

export interface SentimentRunOptions extends ClassifierOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  /** 0 silent, 1 progress bar, 2 one line per epoch (as model.fit). */
  verbose?: number;
}

export interface SentimentResult {
  kind: 'lstm' | 'transformer';
  testAccuracy: number;
  trainAccuracy: number;
  samplesPerSecond: number;
  fitSeconds: number;
}

/** Fraction of sentences whose predicted probability falls on the side of 0.5 their label is on. */
async function accuracyOf(model: tf.LayersModel, x: tf.Tensor, labels: readonly LabelledSentence[]): Promise<number> {
  const probabilities = model.predict(x, { batchSize: 256 }) as tf.Tensor;
  const p = await probabilities.data();
  probabilities.dispose();
  return labels.reduce((correct, s, i) => correct + ((p[i] >= 0.5 ? 1 : 0) === s.label ? 1 : 0), 0) / labels.length;
}

export const encodeSentences = (data: SentimentData, sentences: readonly LabelledSentence[]): tf.Tensor =>
  tf.tensor2d(data.vocab.encodeBatch(sentences.map((s) => s.text), data.maxLength), [sentences.length, data.maxLength], 'int32');

/** Trains one classifier on data.train and measures it on data.test; `keep` receives the transformer to inspect afterwards. */
export async function runSentiment(
  kind: 'lstm' | 'transformer', data: SentimentData, options: SentimentRunOptions = {}, keep?: (built: TransformerClassifier) => void,
): Promise<SentimentResult> {
  const { epochs = 8, batchSize = 32, learningRate = kind === 'lstm' ? 0.005 : 0.002, seed = 7, verbose = 1 } = options;
  tf.setRandomSeed(seed);
  const built = kind === 'lstm' ? { model: buildLstmClassifier(data.vocab.size, data.maxLength, options) } : buildTransformerClassifier(data.vocab.size, data.maxLength, options);
  const { model } = built;
  const optimizer = tf.train.adam(learningRate);
  model.compile({ optimizer, loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  const xTrain = encodeSentences(data, data.train);
  const yTrain = tf.tensor2d(data.train.map((s) => s.label), [data.train.length, 1]);
  const xTest = encodeSentences(data, data.test);

  const start = performance.now();
  await model.fit(xTrain, yTrain, { epochs, batchSize, shuffle: true, verbose });
  const fitSeconds = (performance.now() - start) / 1000;
  const testAccuracy = await accuracyOf(model, xTest, data.test);
  const trainAccuracy = await accuracyOf(model, xTrain, data.train);
  tf.dispose([xTrain, yTrain, xTest]);
  optimizer.dispose();
  if (keep && kind === 'transformer') keep(built as TransformerClassifier);
  else model.dispose();
  return { kind, testAccuracy, trainAccuracy, samplesPerSecond: (epochs * data.train.length) / fitSeconds, fitSeconds };
}

/**
 * The encoder's self-attention probabilities for one sentence: [H][T][T] with T its words (no padding).
 * Re-runs the trained embedding, positions and the encoder's attention weights in a standalone
 * multiHeadAttention layer that returns its scores (the encoder itself returns only its output).
 */
export function sentenceAttention(classifier: TransformerClassifier, vocab: Vocabulary, text: string, maxLength: number): { words: string[]; heads: number[][][] } {
  const words = vocab.split(text).slice(0, maxLength);
  if (words.length === 0) throw new Error(`sentenceAttention: no words in ${JSON.stringify(text)}`);
  const { encoder } = classifier;
  const attentionWeights = encoder.weights.filter((w) => w.originalName.includes('self_attention/'));
  if (attentionWeights.length !== 8) {
    throw new Error(`sentenceAttention: expected the encoder's 8 self_attention weights, found ${attentionWeights.map((w) => w.originalName).join(', ')}`);
  }
  const width = attentionWeights[0].read().shape[0];
  const heads = encoder.numHeads;
  const attention = tf.layers.multiHeadAttention({ numHeads: heads, keyDim: width / heads });
  const scores = tf.tidy(() => {
    const ids = tf.tensor2d(vocab.encode(words), [1, words.length], 'int32');
    const x = classifier.position.apply(classifier.embedding.apply(ids) as tf.Tensor) as tf.Tensor;
    attention.apply([x, x]);
    attention.setWeights(attentionWeights.map((w) => w.read()));
    return (attention.apply([x, x], { returnAttentionScores: true } as CallArgs) as tf.Tensor[])[1]; // [1, H, T, T]
  });
  const matrices = matricesFromArray(scores.dataSync(), scores.shape.slice(1));
  scores.dispose();
  attention.dispose();
  return { words, heads: matrices };
}

/** Writes the attention of `text` as an SVG heat map: the mean of the heads, or one panel per head. */
export async function writeSentenceAttention(path: string, classifier: TransformerClassifier, data: SentimentData, text: string, perHead: boolean): Promise<void> {
  const { words, heads } = sentenceAttention(classifier, data.vocab, text, data.maxLength);
  const panels: HeatmapPanel[] = perHead
    ? heads.map((weights, h) => ({ title: `head ${h + 1}`, weights }))
    : [{ title: `mean of ${heads.length} heads`, weights: averageMatrices(heads) }];
  const labels = words.map((w) => (data.vocab.has(w) ? w : `${w} (unk)`));
  await writeHeatmapSvg(path, panels, { rowLabels: labels, title: `self-attention: "${text}"` });
}

function stringFlag(name: string): string | undefined {
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const [key, inline] = args[i].split('=', 2);
    if (key === `--${name}`) return inline ?? args[i + 1];
  }
  return undefined;
}

async function main(): Promise<void> {
  await tf.ready();
  const which = stringFlag('model') ?? 'both';
  if (!['lstm', 'transformer', 'both'].includes(which)) throw new Error(`--model expects lstm, transformer or both, got '${which}'`);
  const epochs = numberFlag('epochs', 8);
  const data = prepareSentimentData();
  console.log(`sentiment: ${data.train.length} training / ${data.test.length} held-out sentences (seeded split), ` +
    `vocabulary ${data.vocab.size} words, length ${data.maxLength}; backend ${tf.getBackend()}, ${tf.backendInfo().threads} thread(s)`);
  const heatmapPath = stringFlag('heatmap');
  let transformer: TransformerClassifier | undefined;
  for (const kind of ['lstm', 'transformer'] as const) {
    if (which !== 'both' && which !== kind) continue;
    console.log(`\n${kind === 'lstm' ? 'LSTM (embedding → bidirectional lstm → dense)' : 'Transformer (embedding + positions → encoder → masked mean → dense)'}`);
    const r = await runSentiment(kind, data, { epochs, verbose: hasFlag('quiet') ? 0 : 1 }, (built) => { transformer = built; });
    console.log(`${kind}: held-out accuracy ${(100 * r.testAccuracy).toFixed(1)}% (train ${(100 * r.trainAccuracy).toFixed(1)}%), ` +
      `${Math.round(r.samplesPerSecond)} samples/s, fit ${r.fitSeconds.toFixed(1)} s`);
  }
  if (heatmapPath) {
    if (!transformer) throw new Error('--heatmap needs the transformer model (--model transformer or both)');
    const sentence = stringFlag('sentence') ?? 'The food was great but the service was really slow.';
    await writeSentenceAttention(heatmapPath, transformer, data, sentence, hasFlag('per-head'));
    console.log(`attention heat map of "${sentence}" written to ${heatmapPath}`);
  }
  transformer?.model.dispose();
}

if (isMain(import.meta.url)) await main();
