// The tokenizer's batch API and loaders: padding, truncation (pairs too), attention masks, type ids,
// offsets, int32 tensors [B, T]; AutoTokenizer from folders holding tokenizer.json, vocab.txt or
// vocab.json + merges.txt; and clear errors for bad input (lone surrogates, unsupported files).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../src/index.js';
import { AutoTokenizer, tokenizerFromJson, wordPieceFromVocab } from '../src/text/index.js';
import { bertTokenizerJson, bertVocabText, gpt2Files, gpt2TokenizerJson, mergeLines, vocabObject } from './fixtures/text/corpus.js';

const vocabText = bertVocabText();
const vocab = vocabObject(vocabText);
const bert = wordPieceFromVocab(vocabText, { model_max_length: 512 });
const [CLS, SEP, PAD, UNK, MASK] = [101, 102, 0, 100, 103];
const id = (token: string) => vocab[token];

describe('batch encoding', () => {
  beforeAll(async () => {
    await tf.setBackend('reference');
  });

  it('one text → [CLS] tokens [SEP] as a batch of one, masks all 1, type ids 0', () => {
    const batch = bert.encode('Hello, world!');
    expect(batch.inputIds).toEqual([[CLS, id('hello'), id(','), id('world'), id('!'), SEP]]);
    expect(batch.attentionMask).toEqual([[1, 1, 1, 1, 1, 1]]);
    expect(batch.tokenTypeIds).toEqual([[0, 0, 0, 0, 0, 0]]);
    expect(batch.offsets).toBeUndefined();
  });

  it('padding: true pads to the longest row with [PAD] and mask 0; max_length pads further', () => {
    const texts = ['a great movie', 'dull', ''];
    const batch = bert.encode(texts, { padding: true });
    expect(batch.inputIds).toEqual([
      [CLS, id('a'), id('great'), id('movie'), SEP],
      [CLS, id('dull'), SEP, PAD, PAD],
      [CLS, SEP, PAD, PAD, PAD],
    ]);
    expect(batch.attentionMask).toEqual([
      [1, 1, 1, 1, 1],
      [1, 1, 1, 0, 0],
      [1, 1, 0, 0, 0],
    ]);
    expect(batch.specialTokensMask[1]).toEqual([1, 0, 1, 1, 1]);
    const fixed = bert.encode(texts, { padding: 'max_length', maxLength: 8 });
    expect(fixed.inputIds.map((row) => row.length)).toEqual([8, 8, 8]);
    expect(fixed.attentionMask[0]).toEqual([1, 1, 1, 1, 1, 0, 0, 0]);
  });

  it('truncation keeps room for the special tokens; defaults to model_max_length', () => {
    const text = 'one two three four five six seven';
    const cut = bert.encode(text, { truncation: true, maxLength: 5 });
    expect(cut.inputIds).toEqual([[CLS, id('one'), id('two'), id('three'), SEP]]);
    const long = Array.from({ length: 600 }, () => 'word').join(' ');
    expect(bert.encode(long, { truncation: true }).inputIds[0].length).toBe(512);
    expect(bert.encode(long).inputIds[0].length).toBe(602);
    expect(bert.encode(text, { truncation: true, maxLength: 5, addSpecialTokens: false }).inputIds[0]).toHaveLength(5);
  });

  it('pairs: [CLS] A [SEP] B [SEP], type ids 0…0 1…1; longest_first trims the longer one, only_second the second', () => {
    const batch = bert.encode([['how are you', 'fine thanks']], { returnOffsets: true });
    expect(batch.inputIds[0]).toEqual([CLS, id('how'), id('are'), id('you'), SEP, id('fine'), id('thanks'), SEP]);
    expect(batch.tokenTypeIds[0]).toEqual([0, 0, 0, 0, 0, 1, 1, 1]);
    expect(batch.offsets![0]).toEqual([[0, 0], [0, 3], [4, 7], [8, 11], [0, 0], [0, 4], [5, 11], [0, 0]]);
    const a = 'one two three four five six';
    const b = 'alpha beta';
    const longestFirst = bert.encodeOne(a, b, { truncation: true, maxLength: 9 });
    expect(longestFirst.tokens).toEqual(['[CLS]', 'one', 'two', 'three', 'four', '[SEP]', 'alpha', 'beta', '[SEP]']);
    const both = bert.encodeOne('one two three', 'four five six', { truncation: 'longest_first', maxLength: 7 });
    expect(both.tokens).toEqual(['[CLS]', 'one', 'two', '[SEP]', 'four', 'five', '[SEP]']);
    const onlySecond = bert.encodeOne(a, b, { truncation: 'only_second', maxLength: 10 });
    expect(onlySecond.tokens).toEqual(['[CLS]', 'one', 'two', 'three', 'four', 'five', 'six', '[SEP]', 'alpha', '[SEP]']);
    expect(() => bert.encodeOne(a, b, { truncation: 'only_second', maxLength: 5 })).toThrow(/cannot truncate: 6 tokens must go but the second sequence has only 2/);
  });

  it('toTensors gives int32 [B, T] tensors; ragged rows fail with their lengths', () => {
    const before = tf.memory().numTensors;
    const { inputIds, attentionMask, tokenTypeIds } = bert.encode([['a b', 'c'], ['d', 'e f g']], { padding: true }).toTensors();
    expect(inputIds.shape).toEqual([2, 7]);
    expect(inputIds.dtype).toBe('int32');
    expect(inputIds.arraySync()).toEqual([
      [CLS, id('a'), id('b'), SEP, id('c'), SEP, PAD],
      [CLS, id('d'), SEP, id('e'), id('f'), id('g'), SEP],
    ]);
    expect(attentionMask.arraySync()).toEqual([
      [1, 1, 1, 1, 1, 1, 0],
      [1, 1, 1, 1, 1, 1, 1],
    ]);
    expect(tokenTypeIds.arraySync()).toEqual([
      [0, 0, 0, 0, 1, 1, 0],
      [0, 0, 0, 1, 1, 1, 1],
    ]);
    tf.dispose([inputIds, attentionMask, tokenTypeIds]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => bert.encode(['a', 'b c']).toTensors()).toThrow(/row 0 has 3 tokens and row 1 has 4; encode with \{padding: true\}/);
  });

  it('decode: joins ## pieces, skips special tokens on request, cleans spaces before punctuation', () => {
    const ids = bert.encode("Tokenization isn't hard, really!", { padding: 'max_length', maxLength: 16 }).inputIds[0];
    expect(bert.decode(ids, { skipSpecialTokens: true })).toBe("tokenization isn't hard, really!");
    expect(bert.decode(ids)).toMatch(/^\[CLS\] tokenization isn't hard, really! \[SEP\] \[PAD\]/);
    expect(bert.batchDecode([[id('hello'), MASK]], { cleanUpTokenizationSpaces: false })).toEqual(['hello [MASK]']);
    expect(bert.decode([UNK])).toBe('[UNK]');
  });

  it('special token ids and names', () => {
    expect([bert.clsTokenId, bert.sepTokenId, bert.padTokenId, bert.unkTokenId, bert.maskTokenId]).toEqual([CLS, SEP, PAD, UNK, MASK]);
    expect(bert.allSpecialIds).toEqual([PAD, UNK, CLS, SEP, MASK]);
  });
});

describe('bad input', () => {
  it('lone surrogates are a clear Error, in any text of a batch or pair', () => {
    expect(() => bert.encode('ok \ud83d broken')).toThrow(/invalid UTF-16 in text: lone high surrogate U\+D83D at index 3/);
    expect(() => bert.encode(['fine', 'x\udc00'])).toThrow(/lone low surrogate U\+DC00 at index 1/);
    expect(() => bert.encode([['fine', 'end\ud800']])).toThrow(/lone high surrogate U\+D800 at index 3/);
    expect(bert.encode('pair 😀 ok').inputIds[0]).toContain(UNK);
  });

  it('wrong input types are a clear Error', () => {
    expect(() => bert.encode(42 as any)).toThrow(/encode expects a string, an array of strings/);
    expect(() => bert.encode([['a', 'b', 'c']] as any)).toThrow(/encode input 0 is neither a string nor a \[text, pair\]/);
    expect(() => bert.encode([null] as any)).toThrow(/encode input 0/);
    expect(() => bert.decode([1.5])).toThrow(/integer ids/);
    expect(() => bert.encode('a', { truncation: true, maxLength: 0 })).toThrow(/maxLength must be a positive integer, got 0/);
    expect(() => bert.encode('a', { padding: 'max_length', maxLength: 2.5 })).toThrow(/maxLength must be a positive integer, got 2.5/);
    expect(() => bert.encode([['a', 'b']], { truncation: true, maxLength: 2 })).toThrow(/maxLength 2 leaves no room: the special tokens alone take 3/);
  });

  it('an unsupported model, normalizer or pre-tokenizer type names itself', () => {
    const json = bertTokenizerJson(vocab);
    expect(() => tokenizerFromJson({ ...json, model: { type: 'Unigram', vocab: [['a', 0]] } })).toThrow(
      /unsupported tokenizer model type "Unigram" in tokenizer.json \(supported: WordPiece, BPE\)/,
    );
    expect(() => tokenizerFromJson({ ...json, normalizer: { type: 'Precompiled' } })).toThrow(/unsupported normalizer type "Precompiled"/);
    expect(() => tokenizerFromJson({ ...json, pre_tokenizer: { type: 'Metaspace' } })).toThrow(/unsupported pre_tokenizer type "Metaspace"/);
    expect(() => tokenizerFromJson({ ...json, model: undefined })).toThrow(/no "model" section/);
    expect(() => tokenizerFromJson('{not json')).toThrow();
  });

  it('padding without a pad token, or to max_length without a length, is a clear Error', () => {
    const { vocab: gptVocab, mergesText } = gpt2Files();
    const gpt2 = tokenizerFromJson(gpt2TokenizerJson(gptVocab, mergeLines(mergesText)));
    expect(() => gpt2.encode(['a', 'a b'], { padding: true })).toThrow(/padding needs a pad token/);
    gpt2.specialTokens.pad = '<|endoftext|>';
    expect(gpt2.encode(['a', 'a b'], { padding: true }).inputIds[0]).toEqual([gptVocab['a'], gptVocab['<|endoftext|>']]);
    expect(() => gpt2.encode('a', { padding: 'max_length' })).toThrow(/padding 'max_length' needs maxLength/);
  });
});

describe('AutoTokenizer.fromPretrained', () => {
  let root: string;
  const folder = (name: string, files: Record<string, string>) => {
    const dir = join(root, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    return dir;
  };
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'sinew-text-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reads tokenizer.json (+ tokenizer_config.json model_max_length)', async () => {
    const dir = folder('bert-json', {
      'tokenizer.json': JSON.stringify(bertTokenizerJson(vocab)),
      'tokenizer_config.json': JSON.stringify({ model_max_length: 8, do_lower_case: true }),
    });
    const tokenizer = await AutoTokenizer.fromPretrained(dir);
    expect(tokenizer.encode('The quick brown fox jumps over the lazy dog', { truncation: true }).inputIds[0]).toHaveLength(8);
    expect((await AutoTokenizer.fromPretrained(join(dir, 'tokenizer.json'))).modelMaxLength).toBe(8);
    expect(tokenizer.tokenize('Héllo')).toEqual(['hello']);
  });

  it('falls back to vocab.txt with tokenizer_config.json casing', async () => {
    const dir = folder('bert-vocab', { 'vocab.txt': vocabText, 'tokenizer_config.json': JSON.stringify({ do_lower_case: false }) });
    const tokenizer = await AutoTokenizer.fromPretrained(dir);
    expect(tokenizer.tokenize('the The')).toEqual(['the', '[UNK]']);
    const uncased = await AutoTokenizer.fromPretrained(folder('bert-vocab-only', { 'vocab.txt': vocabText }));
    expect(uncased.tokenize('the The')).toEqual(['the', 'the']);
    const renamed = folder('bert-special-map', { 'vocab.txt': vocabText, 'special_tokens_map.json': JSON.stringify({ cls_token: '[unused7]' }) });
    expect((await AutoTokenizer.fromPretrained(renamed)).encode('hi').tokens[0]).toEqual(['[unused7]', 'hi', '[SEP]']);
  });

  it('falls back to vocab.json + merges.txt (byte-level BPE, GPT-2)', async () => {
    const { vocab: gptVocab, mergesText } = gpt2Files();
    const dir = folder('gpt2', { 'vocab.json': JSON.stringify(gptVocab), 'merges.txt': mergesText });
    const tokenizer = await AutoTokenizer.fromPretrained(dir);
    expect(tokenizer.encode('Hello world').inputIds).toEqual([[15496, 995]]);
    expect(tokenizer.decode([15496, 995])).toBe('Hello world');
  });

  it('loads from a URL (a local HTTP server serving the folder); a 404 file falls through, a 500 fails', async () => {
    const dir = folder('served', { 'vocab.txt': vocabText, 'tokenizer_config.json': JSON.stringify({ model_max_length: 6 }) });
    const requested: string[] = [];
    const server = createServer((request, response) => {
      requested.push(request.url!);
      if (request.url === '/broken/tokenizer_config.json') return void response.writeHead(500).end();
      try {
        response.end(readFileSync(join(dir, request.url!.split('/').pop()!)));
      } catch {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const tokenizer = await AutoTokenizer.fromPretrained(`${base}/bert/`);
      expect(tokenizer.encode('a b c d e f g', { truncation: true }).inputIds[0]).toEqual([CLS, id('a'), id('b'), id('c'), id('d'), SEP]);
      expect(requested.sort()).toEqual(['/bert/special_tokens_map.json', '/bert/tokenizer.json', '/bert/tokenizer_config.json', '/bert/vocab.txt']);
      await expect(AutoTokenizer.fromPretrained(`${base}/broken`)).rejects.toThrow(/fetching .*tokenizer_config.json failed: HTTP 500/);
    } finally {
      server.close();
    }
  });

  it('a folder without tokenizer files, or with broken JSON, is a clear Error', async () => {
    await expect(AutoTokenizer.fromPretrained(folder('empty', {}))).rejects.toThrow(/no tokenizer found in .*expected tokenizer.json, vocab.txt, or vocab.json \+ merges.txt/);
    await expect(AutoTokenizer.fromPretrained(folder('broken', { 'tokenizer.json': '{"model": ' }))).rejects.toThrow(/tokenizer.json in .* is not valid JSON/);
    const unigram = folder('unigram', { 'tokenizer.json': JSON.stringify({ model: { type: 'Unigram', vocab: [] } }) });
    await expect(AutoTokenizer.fromPretrained(unigram)).rejects.toThrow(/unsupported tokenizer model type "Unigram"/);
  });
});
