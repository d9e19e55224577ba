// The word-level tokenizer and vocabulary (src/text/words.ts): splitting, frequency order and limits,
// [PAD]/[UNK] ids, padding/truncation both ways, decode, bad input; and the corpus loaders of the examples
// (sentiment fixtures, Brown corpus with universal tags) that feed them.
import { describe, expect, it } from 'vitest';
import { PAD_ID, padIds, splitWords, UNK_ID, Vocabulary } from '../src/text/words.js';
import {
  loadBrownSentences, loadSentimentSentences, shuffled, splitTrainTest, universalTag, UNIVERSAL_TAGS,
} from '../examples/shared/text-data.js';

describe('splitWords', () => {
  it('lower-cases and separates words from punctuation, keeping inner apostrophes and hyphens', () => {
    expect(splitWords("Great, isn't it?? A well-made CASE...")).toEqual(
      ['great', ',', "isn't", 'it', '?', '?', 'a', 'well-made', 'case', '.', '.', '.']);
    expect(splitWords('45 minutes.MAJOR PROBLEMS!!')).toEqual(['45', 'minutes', '.', 'major', 'problems', '!', '!']);
    expect(splitWords('Café naïve – “quoted”')).toEqual(['café', 'naïve', '–', '“', 'quoted', '”']);
    expect(splitWords('   ')).toEqual([]);
    expect(splitWords("'tis -dash- end'")).toEqual(["'", 'tis', '-', 'dash', '-', 'end', "'"]);
  });
});

describe('Vocabulary', () => {
  const texts = ['the cat sat', 'The dog sat!', 'a cat, a dog, a bird', 'zebra'];
  // Counts: a 3, cat 2, dog 2, sat 2, the 2, ',' 2, then '!' bird zebra once.

  it('orders words by falling count, ties alphabetically, after [PAD] and [UNK]', () => {
    const vocab = Vocabulary.build(texts);
    expect(vocab.tokens).toEqual(['[PAD]', '[UNK]', 'a', ',', 'cat', 'dog', 'sat', 'the', '!', 'bird', 'zebra']);
    expect(vocab.size).toBe(11);
    expect(vocab.idOf('[PAD]')).toBe(PAD_ID);
    expect(vocab.idOf('never seen')).toBe(UNK_ID);
  });

  it('minCount and maxSize drop the rare words to [UNK]', () => {
    const vocab = Vocabulary.build(texts, { minCount: 2, maxSize: 6 });
    expect(vocab.tokens).toEqual(['[PAD]', '[UNK]', 'a', ',', 'cat', 'dog']);
    expect(vocab.encode('The cat saw a zebra')).toEqual([UNK_ID, 4, UNK_ID, 2, UNK_ID]);
  });

  it('accepts pre-split words and a custom splitter', () => {
    const vocab = Vocabulary.build([['Keep', 'Case'], ['Keep']]);
    expect(vocab.tokens).toEqual(['[PAD]', '[UNK]', 'Keep', 'Case']);
    expect(vocab.encode(['Case', 'case'])).toEqual([3, UNK_ID]);
    const byChar = Vocabulary.build(['abca'], { split: (t) => [...t] });
    expect(byChar.encode('cab!')).toEqual([4, 2, 3, UNK_ID]);
  });

  it('encodeBatch pads with 0 and truncates to the length, at the end or the start', () => {
    const vocab = Vocabulary.build(texts);
    const a = vocab.idOf('a');
    const cat = vocab.idOf('cat');
    const comma = vocab.idOf(',');
    const dog = vocab.idOf('dog');
    const batch = vocab.encodeBatch(['a cat', 'a cat, a dog'], 4);
    expect(batch).toBeInstanceOf(Int32Array);
    expect([...batch]).toEqual([a, cat, 0, 0, a, cat, comma, a]);
    const pre = vocab.encodeBatch(['a cat', 'a cat, a dog'], 4, { padding: 'pre', truncating: 'pre' });
    expect([...pre]).toEqual([0, 0, a, cat, cat, comma, a, dog]);
    expect(padIds([5, 6, 7], 3)).toEqual([5, 6, 7]);
    expect(padIds([], 2)).toEqual([0, 0]);
  });

  it('decode skips padding and round-trips known words', () => {
    const vocab = Vocabulary.build(texts);
    const ids = vocab.encodeBatch(['the dog sat!'], 7);
    expect(vocab.decode(ids)).toEqual(['the', 'dog', 'sat', '!']);
    expect(vocab.decode([vocab.idOf('cat'), UNK_ID])).toEqual(['cat', '[UNK]']);
    expect(new Vocabulary(vocab.toJSON().tokens).tokens).toEqual(vocab.tokens);
  });

  it('rejects bad input with clear errors', () => {
    const vocab = Vocabulary.build(texts);
    expect(() => vocab.decode([1, 99])).toThrow(/id 99 at position 1 is outside the vocabulary of 11/);
    expect(() => vocab.encodeBatch(['a'], 0)).toThrow(/length must be a positive integer, got 0/);
    expect(() => Vocabulary.build(texts, { maxSize: 1 })).toThrow(/maxSize must be at least 2/);
    expect(() => Vocabulary.build(texts, { minCount: 0 })).toThrow(/minCount must be at least 1/);
    expect(() => new Vocabulary(['a', 'b'])).toThrow(/must start with \[PAD\], \[UNK\]/);
    expect(() => new Vocabulary(['[PAD]', '[UNK]', 'x', 'x'])).toThrow(/"x" appears twice \(ids 2 and 3\)/);
  });
});

describe('example corpora', () => {
  it('sentiment: 3,000 labelled sentences, half positive, 1,000 per source, no empty trailing record', () => {
    const sentences = loadSentimentSentences();
    expect(sentences.length).toBe(3000);
    expect(sentences.filter((s) => s.label === 1).length).toBe(1500);
    for (const source of ['amazon', 'imdb', 'yelp']) expect(sentences.filter((s) => s.source === source).length).toBe(1000);
    expect(sentences.every((s) => s.text.trim().length > 0 && (s.label === 0 || s.label === 1))).toBe(true);
  });

  it('the seeded split is a fixed partition', () => {
    const items = Array.from({ length: 101 }, (_, i) => i);
    const a = splitTrainTest(items, 0.2, 5);
    const b = splitTrainTest(items, 0.2, 5);
    expect(a).toEqual(b);
    expect(a.test.length).toBe(20);
    expect([...a.train, ...a.test].sort((x, y) => x - y)).toEqual(items);
    expect(shuffled(items, 6)).not.toEqual(a.train.concat(a.test));
  });

  it('Brown tags collapse to the universal tags', () => {
    const cases: [string, string][] = [
      ['at', 'DET'], ['np-tl', 'NOUN'], ['nns$', 'NOUN'], ['vbd', 'VERB'], ['bedz*', 'VERB'], ['md', 'VERB'], ['hvz', 'VERB'],
      ['jjt', 'ADJ'], ['od', 'ADJ'], ['ql', 'ADV'], ['*', 'ADV'], ['wrb', 'ADV'], ['pps+bez', 'PRON'], ['pp$$', 'PRON'],
      ['wdt', 'DET'], ['abn', 'DET'], ['in-hl', 'ADP'], ['cs', 'ADP'], ['cd', 'NUM'], ['cc', 'CONJ'], ['to', 'PRT'], ['rp', 'PRT'],
      ['``', '.'], ['--', '.'], ['.-hl', '.'], ['fw-nn', 'X'], ['uh', 'X'], ['nil', 'X'],
    ];
    for (const [brown, universal] of cases) expect([brown, universalTag(brown)]).toEqual([brown, universal]);
  });

  it('Brown corpus: word/tag tokens, one sentence per line', () => {
    const sentences = loadBrownSentences({ maxFiles: 1 });
    expect(sentences[0].words.slice(0, 6)).toEqual(['the', 'fulton', 'county', 'grand', 'jury', 'said']);
    expect(sentences[0].tags.slice(0, 6)).toEqual(['DET', 'NOUN', 'NOUN', 'ADJ', 'NOUN', 'VERB']);
    expect(loadBrownSentences({ maxFiles: 1, keepCase: true })[0].words[1]).toBe('Fulton');
    for (const s of sentences) {
      expect(s.words.length).toBe(s.tags.length);
      for (const tag of s.tags) expect(UNIVERSAL_TAGS).toContain(tag);
    }
    expect(sentences.length).toBeGreaterThan(90);
  });
});
