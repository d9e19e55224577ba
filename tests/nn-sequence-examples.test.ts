// The sequence examples as end-to-end checks on real text (smaller runs than the demos):
// - Sentiment (UCI labelled sentences, 2,979 distinct, seeded 2383/596 split, vocabulary from the training part
//   only): the bidirectional-LSTM and the Transformer classifier each reach >= 75% on the 596 held-out sentences.
// - The Transformer's attention for one sentence equals softmax(q·kᵀ/√K) recomputed here in float64 from the
//   trained embedding, position and query/key weights; its heat map parses as SVG with one cell per weight.
// - Brown POS tagger: held-out token accuracy clearly above the most-frequent-tag-per-word baseline.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from './helpers.js';
import { byClass, parseXml } from './xml-reader.js';
import {
  prepareSentimentData, runSentiment, sentenceAttention, writeSentenceAttention, type SentimentData, type TransformerClassifier,
} from '../examples/sentiment.js';
import { baselines, prepareTaggerData, runTagger, wordSignature } from '../examples/brown-tagger.js';

const EPOCHS = 4;

describe('sentiment classifiers', () => {
  let data: SentimentData;
  beforeAll(() => {
    data = prepareSentimentData();
  });

  it('the split is disjoint and the vocabulary comes from the training sentences only', () => {
    expect(data.train.length).toBe(2383);
    expect(data.test.length).toBe(596);
    const key = (text: string) => text.trim().toLowerCase();
    const trainTexts = new Set(data.train.map((s) => key(s.text)));
    expect(data.test.filter((s) => trainTexts.has(key(s.text))).length).toBe(0);
    expect(data.test.filter((s) => s.label === 1).length).toBeGreaterThan(250);
    expect(data.test.filter((s) => s.label === 0).length).toBeGreaterThan(250);
    const trainWords = new Set(data.train.flatMap((s) => data.vocab.split(s.text)));
    expect(data.vocab.tokens.slice(2).every((w) => trainWords.has(w))).toBe(true);
  });

  it('LSTM classifier: >= 75% held-out accuracy', async () => {
    const before = tf.memory().numTensors;
    const r = await runSentiment('lstm', data, { epochs: EPOCHS, verbose: 0 });
    console.log(`sentiment LSTM: held-out ${(100 * r.testAccuracy).toFixed(1)}% (train ${(100 * r.trainAccuracy).toFixed(1)}%), ` +
      `${Math.round(r.samplesPerSecond)} samples/s, fit ${r.fitSeconds.toFixed(1)} s`);
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0.75);
    expect(tf.memory().numTensors).toBe(before);
  }, 90_000);

  it('Transformer classifier: >= 75% held-out accuracy; its attention matches a float64 recomputation and draws as SVG', async () => {
    let classifier: TransformerClassifier | undefined;
    const r = await runSentiment('transformer', data, { epochs: EPOCHS, verbose: 0 }, (built) => { classifier = built; });
    console.log(`sentiment Transformer: held-out ${(100 * r.testAccuracy).toFixed(1)}% (train ${(100 * r.trainAccuracy).toFixed(1)}%), ` +
      `${Math.round(r.samplesPerSecond)} samples/s, fit ${r.fitSeconds.toFixed(1)} s`);
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0.75);

    const sentence = 'The service was slow, but the food was AMAZING & cheap <3';
    const { words, heads } = sentenceAttention(classifier!, data.vocab, sentence, data.maxLength);
    expect(words).toEqual(data.vocab.split(sentence));
    const steps = words.length;
    expect(heads.length).toBe(2);

    // Reference: x = E[id] + P[t]; q, k per head from the query/key kernels [D, H, K] and biases [H, K].
    const ids = data.vocab.encode(words);
    const [table] = classifier!.embedding.getWeights();
    const [positions] = classifier!.position.getWeights();
    const width = table.shape[1];
    const e = table.dataSync();
    const p = positions.dataSync();
    const x = ids.map((id, t) => Array.from({ length: width }, (_, d) => e[id * width + d] + p[t * width + d]));
    const selfAttention = classifier!.encoder.weights.filter((w) => w.originalName.includes('self_attention/'));
    const [qKernel, qBias, kKernel, kBias] = selfAttention.slice(0, 4).map((w) => w.read().dataSync());
    const [, numHeads, keyDim] = selfAttention[0].shape;
    const project = (kernel: ArrayLike<number>, bias: ArrayLike<number>, t: number, h: number) =>
      Array.from({ length: keyDim }, (_, k) => x[t].reduce((s, v, d) => s + v * kernel[(d * numHeads + h) * keyDim + k], bias[h * keyDim + k]));
    for (let h = 0; h < numHeads; h++) {
      for (let i = 0; i < steps; i++) {
        const q = project(qKernel, qBias, i, h);
        const logits = Array.from({ length: steps }, (_, j) => project(kKernel, kBias, j, h).reduce((s, v, k) => s + v * q[k], 0) / Math.sqrt(keyDim));
        const top = Math.max(...logits);
        const exps = logits.map((l) => Math.exp(l - top));
        const total = exps.reduce((a, b) => a + b, 0);
        exps.forEach((value, j) => expect(Math.abs(heads[h][i][j] - value / total)).toBeLessThan(1e-5));
      }
    }

    const folder = mkdtempSync(join(tmpdir(), 'sinew-attention-'));
    try {
      const path = join(folder, 'attention.svg');
      await writeSentenceAttention(path, classifier!, data, sentence, false);
      const root = parseXml(readFileSync(path, 'utf8'));
      expect(byClass(root, 'cell').length).toBe(steps * steps);
      const rowLabels = byClass(root, 'row-label').map((l) => l.text);
      // Unknown words are marked; '&' and '<' arrive escaped in the file and unescaped after parsing.
      expect(rowLabels).toEqual(words.map((w) => (data.vocab.has(w) ? w : `${w} (unk)`)));
      expect(rowLabels.some((l) => l.startsWith('&'))).toBe(true);
      expect(rowLabels.some((l) => l.startsWith('<'))).toBe(true);
      await writeSentenceAttention(path, classifier!, data, sentence, true);
      expect(byClass(parseXml(readFileSync(path, 'utf8')), 'cell').length).toBe(numHeads * steps * steps);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
    tf.dispose([table, positions]);
    classifier!.model.dispose();
  }, 90_000);
});

describe('Brown POS tagger', () => {
  it('word signatures group unseen words by shape', () => {
    expect(['Running', 'quickly', '1,200', 'well-known', 'cats', 'zqx', '--'].map(wordSignature))
      .toEqual(['<cap-ing>', '<ly>', '<num>', '<hyphen>', '<s>', '<?>', '<punct>']);
  });

  it('beats the most-frequent-tag-per-word baseline by a clear margin on held-out sentences', async () => {
    const data = prepareTaggerData({ trainSentences: 2000, testSentences: 1000 });
    const base = baselines(data);
    // The baselines themselves are sane: NOUN is the commonest universal tag; per-word lookup is strong.
    expect(base.majorityTag.tag).toBe('NOUN');
    expect(base.mostFrequentTagPerWord).toBeGreaterThan(0.85);
    const r = await runTagger(data, { epochs: 3, verbose: 0 });
    console.log(`Brown tagger: held-out ${(100 * r.testAccuracy).toFixed(1)}% (unknown words ${(100 * r.unknownWordAccuracy).toFixed(1)}%), ` +
      `baselines: per-word ${(100 * base.mostFrequentTagPerWord).toFixed(1)}%, all ${base.majorityTag.tag} ${(100 * base.majorityTag.accuracy).toFixed(1)}%; ` +
      `${Math.round(r.samplesPerSecond)} sentences/s, fit ${r.fitSeconds.toFixed(1)} s`);
    expect(r.testAccuracy).toBeGreaterThan(base.mostFrequentTagPerWord + 0.02);
    expect(r.testAccuracy).toBeGreaterThan(base.majorityTag.accuracy + 0.5);
  }, 90_000);
});
