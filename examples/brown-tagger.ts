// Part-of-speech tagging of the Brown corpus with a bidirectional LSTM, against the classic baseline that
// tags each word with its most frequent tag in the training sentences.
// Brown tags are collapsed to the 12 universal tags (NOUN, VERB, ADJ, …, '.' for punctuation); the split
// is by sentence, seeded; sentences longer than maxLength words are left out.
// Shapes: B sentences, T = maxLength word ids (0 = padding), E embedding width, U units per direction,
// C = 13 classes (class 0 stands for padding, 1…12 the universal tags).
//   embedding (maskZero) [B, T, E] → bidirectional lstm (returnSequences) [B, T, 2U] → timeDistributed dense softmax [B, T, C]
//   npx tsx examples/brown-tagger.ts [--train 12000] [--test 2000] [--epochs 3] [--length 40]
import * as tf from '../src/index.js';
import { Vocabulary } from '../src/text/words.js';
import { isMain, numberFlag } from './shared/cli.js';
import { loadBrownSentences, shuffled, UNIVERSAL_TAGS, type TaggedSentence } from './shared/text-data.js';

/** Class 0 is padding; the universal tags follow. */
export const TAG_CLASSES = ['[PAD]', ...UNIVERSAL_TAGS];
const TAG_INDEX = new Map(TAG_CLASSES.map((tag, i) => [tag, i]));

export interface TaggerData {
  vocab: Vocabulary;
  maxLength: number;
  train: TaggedSentence[];
  test: TaggedSentence[];
}

export interface TaggerDataOptions {
  trainSentences?: number;
  testSentences?: number;
  maxLength?: number;
  /** Files of the corpus read (500 = all); fewer load faster. */
  maxFiles?: number;
  maxVocabulary?: number;
  minCount?: number;
  seed?: number;
}

// Rare and unseen words share a few learned "signature" tokens by their shape (digits, hyphen, capital,
// suffix), the classic trick for unknown words: "-ing" words are mostly verbs, "-ly" adverbs, capitalized
// ones proper nouns. Without it every unknown word is one [UNK] and the tagger can only guess from context.
const SUFFIXES = ['ing', 'ed', 'ly', 'ion', 'ness', 'ment', 'ity', 'able', 'ible', 'ful', 'ous', 'ive', 'al', 'ic', 'est', 'er', 'es', 's'];

/** The signature token of a word (in its original case): '<cap-ing>', '<num>', '<hyphen>', '<s>', '<?>'. */
export function wordSignature(word: string): string {
  if (/\d/.test(word)) return '<num>';
  if (/^[^\p{L}]+$/u.test(word)) return '<punct>';
  const lower = word.toLowerCase();
  const shape = word[0] !== lower[0] ? 'cap-' : '';
  if (lower.includes('-')) return `<${shape}hyphen>`;
  const suffix = SUFFIXES.find((end) => lower.length > end.length + 2 && lower.endsWith(end));
  return `<${shape}${suffix ?? '?'}>`;
}

/** A sentence's words as vocabulary tokens: the lower-cased word when known, else its signature. */
export function tokensOf(words: readonly string[], known: (word: string) => boolean): string[] {
  return words.map((word) => {
    const lower = word.toLowerCase();
    return known(lower) ? lower : wordSignature(word);
  });
}

/** A seeded sentence split of the Brown corpus and a vocabulary of the training words (plus signatures). */
export function prepareTaggerData(options: TaggerDataOptions = {}): TaggerData {
  const { trainSentences = 12000, testSentences = 2000, maxLength = 40, maxFiles = 500, maxVocabulary = 20000, minCount = 2, seed = 1961 } = options;
  const usable = loadBrownSentences({ maxFiles, keepCase: true }).filter((s) => s.words.length <= maxLength);
  if (usable.length < trainSentences + testSentences) {
    throw new Error(`prepareTaggerData: ${usable.length} sentences of at most ${maxLength} words, asked for ${trainSentences} + ${testSentences}`);
  }
  const all = shuffled(usable, seed);
  const train = all.slice(0, trainSentences);
  const test = all.slice(all.length - testSentences);
  // Words seen fewer than minCount times train the signature tokens, as unseen words will use them.
  const counts = new Map<string, number>();
  for (const s of train) for (const word of s.words) counts.set(word.toLowerCase(), (counts.get(word.toLowerCase()) ?? 0) + 1);
  const frequent = (word: string) => (counts.get(word) ?? 0) >= minCount;
  const vocab = Vocabulary.build(train.map((s) => tokensOf(s.words, frequent)), { maxSize: maxVocabulary });
  return { vocab, maxLength, train, test };
}

/** Word ids [N, T] and tag classes [N, T] (0 on padding) as int32 tensors. */
export function encodeTagged(data: TaggerData, sentences: readonly TaggedSentence[]): { ids: tf.Tensor; tags: tf.Tensor } {
  const length = data.maxLength;
  const ids = data.vocab.encodeBatch(sentences.map((s) => tokensOf(s.words, (word) => data.vocab.has(word))), length);
  const tags = new Int32Array(sentences.length * length);
  sentences.forEach((s, row) => s.tags.forEach((tag, t) => { tags[row * length + t] = TAG_INDEX.get(tag)!; }));
  return { ids: tf.tensor2d(ids, [sentences.length, length], 'int32'), tags: tf.tensor2d(tags, [sentences.length, length], 'int32') };
}

export function buildTagger(vocabularySize: number, maxLength: number, options: { embeddingDim?: number; units?: number; dropout?: number } = {}): tf.Sequential {
  const { embeddingDim = 64, units = 64, dropout = 0.25 } = options;
  return tf.sequential({ layers: [
    tf.layers.embedding({ inputDim: vocabularySize, outputDim: embeddingDim, maskZero: true, inputLength: maxLength }),
    tf.layers.dropout({ rate: dropout }),
    tf.layers.bidirectional({ layer: tf.layers.lstm({ units, returnSequences: true }), mergeMode: 'concat' }),
    tf.layers.dropout({ rate: dropout }),
    tf.layers.timeDistributed({ layer: tf.layers.dense({ units: TAG_CLASSES.length, activation: 'softmax' }) }),
  ] });
}

export interface Baselines {
  /** Every word tagged with the most frequent tag of the training set. */
  majorityTag: { tag: string; accuracy: number };
  /** Each word's most frequent training tag; unseen words get the majority tag. */
  mostFrequentTagPerWord: number;
}

/** The two baselines on data.test, counted from data.train in plain JS. */
export function baselines(data: TaggerData): Baselines {
  const perWord = new Map<string, Map<string, number>>();
  const overall = new Map<string, number>();
  for (const s of data.train) {
    s.words.forEach((cased, i) => {
      const word = cased.toLowerCase();
      const tag = s.tags[i];
      overall.set(tag, (overall.get(tag) ?? 0) + 1);
      const counts = perWord.get(word) ?? new Map<string, number>();
      counts.set(tag, (counts.get(tag) ?? 0) + 1);
      perWord.set(word, counts);
    });
  }
  const argMaxKey = (counts: Map<string, number>) => [...counts].reduce((best, entry) => (entry[1] > best[1] ? entry : best))[0];
  const majority = argMaxKey(overall);
  const best = new Map([...perWord].map(([word, counts]) => [word, argMaxKey(counts)]));
  let tokens = 0;
  let majorityHits = 0;
  let perWordHits = 0;
  for (const s of data.test) {
    s.words.forEach((cased, i) => {
      const word = cased.toLowerCase();
      tokens++;
      if (s.tags[i] === majority) majorityHits++;
      if ((best.get(word) ?? majority) === s.tags[i]) perWordHits++;
    });
  }
  return { majorityTag: { tag: majority, accuracy: majorityHits / tokens }, mostFrequentTagPerWord: perWordHits / tokens };
}

export interface TaggerResult {
  /** Over the real words of the held-out sentences (padding excluded). */
  testAccuracy: number;
  /** The same, on held-out words outside the vocabulary only. */
  unknownWordAccuracy: number;
  baselines: Baselines;
  samplesPerSecond: number;
  fitSeconds: number;
}

/** Predicted tags (argmax over the 12 real tags) of `sentences`, compared to their gold tags on real words. */
async function taggedAccuracy(model: tf.Sequential, data: TaggerData, sentences: readonly TaggedSentence[], ids: tf.Tensor) {
  const probabilities = model.predict(ids, { batchSize: 256 }) as tf.Tensor; // [N, T, C]
  const p = await probabilities.data();
  probabilities.dispose();
  const classes = TAG_CLASSES.length;
  let correct = 0;
  let tokens = 0;
  let unknownCorrect = 0;
  let unknown = 0;
  sentences.forEach((s, row) => s.words.forEach((word, t) => {
    const offset = (row * data.maxLength + t) * classes;
    let best = 1;
    for (let c = 2; c < classes; c++) if (p[offset + c] > p[offset + best]) best = c;
    const hit = TAG_CLASSES[best] === s.tags[t] ? 1 : 0;
    correct += hit;
    tokens++;
    if (!data.vocab.has(word.toLowerCase())) {
      unknownCorrect += hit;
      unknown++;
    }
  }));
  return { accuracy: correct / tokens, unknownWordAccuracy: unknown ? unknownCorrect / unknown : NaN };
}

export async function runTagger(
  data: TaggerData, options: { epochs?: number; batchSize?: number; learningRate?: number; seed?: number; verbose?: number; embeddingDim?: number; units?: number } = {},
): Promise<TaggerResult> {
  const { epochs = 3, batchSize = 32, learningRate = 0.005, seed = 3, verbose = 1 } = options;
  tf.setRandomSeed(seed);
  const model = buildTagger(data.vocab.size, data.maxLength, options);
  const optimizer = tf.train.adam(learningRate);
  model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy' });
  const train = encodeTagged(data, data.train);
  const test = encodeTagged(data, data.test);
  const start = performance.now();
  await model.fit(train.ids, train.tags, { epochs, batchSize, shuffle: true, verbose });
  const fitSeconds = (performance.now() - start) / 1000;
  const measured = await taggedAccuracy(model, data, data.test, test.ids);
  tf.dispose([train, test]);
  model.dispose();
  optimizer.dispose();
  return {
    testAccuracy: measured.accuracy, unknownWordAccuracy: measured.unknownWordAccuracy, baselines: baselines(data),
    samplesPerSecond: (epochs * data.train.length) / fitSeconds, fitSeconds,
  };
}

async function main(): Promise<void> {
  await tf.ready();
  const data = prepareTaggerData({
    trainSentences: numberFlag('train', 12000), testSentences: numberFlag('test', 2000), maxLength: numberFlag('length', 40),
  });
  const trainTokens = data.train.reduce((n, s) => n + s.words.length, 0);
  console.log(`Brown POS tagger: ${data.train.length} training sentences (${trainTokens} words), ${data.test.length} held-out; ` +
    `vocabulary ${data.vocab.size}; 12 universal tags; backend ${tf.getBackend()}, ${tf.backendInfo().threads} thread(s)`);
  const r = await runTagger(data, { epochs: numberFlag('epochs', 3) });
  const percent = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(`held-out token accuracy: ${percent(r.testAccuracy)} (words outside the vocabulary: ${percent(r.unknownWordAccuracy)})`);
  console.log(`baselines: most frequent tag per word ${percent(r.baselines.mostFrequentTagPerWord)}, ` +
    `always ${r.baselines.majorityTag.tag} ${percent(r.baselines.majorityTag.accuracy)}`);
  console.log(`${Math.round(r.samplesPerSecond)} sentences/s, fit ${r.fitSeconds.toFixed(1)} s`);
}

if (isMain(import.meta.url)) await main();
