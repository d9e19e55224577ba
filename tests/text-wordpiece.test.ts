// WordPiece (bert-base-uncased): token-for-token equality with @huggingface/tokenizers over ~5,000 real
// sentences and hand-written hard cases, from tokenizer.json and from vocab.txt; pairs and type ids;
// offsets checked against the input text; decode; max chars per word.
import { Tokenizer as ReferenceTokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { tokenizerFromJson, wordPieceFromVocab } from '../src/text/index.js';
import { HARD_CASES, bertTokenizerJson, bertVocabText, brownSentences, reviewSentences, vocabObject } from './fixtures/text/corpus.js';

const vocabText = bertVocabText();
const vocab = vocabObject(vocabText);
const tokenizerJson = bertTokenizerJson(vocab);
const reference = new ReferenceTokenizer(tokenizerJson, {});
const fromJson = tokenizerFromJson(tokenizerJson);
const fromVocab = wordPieceFromVocab(vocabText);

// The reference splits CJK ideographs per UTF-16 unit, so it misses the astral ones (Extension B, U+20000+)
// that BERT and the Rust `tokenizers` split; that one case is checked separately below.
const hasAstralIdeograph = (text: string) => /[\u{20000}-\u{2FA1F}]/u.test(text);
const corpus = [...reviewSentences(), ...brownSentences(2000), ...HARD_CASES.filter((t) => !hasAstralIdeograph(t))];

describe('WordPiece matches @huggingface/tokenizers', () => {
  it('the vocab conversion gives bert-base-uncased ids', () => {
    expect(fromVocab.vocabSize).toBe(30522);
    expect([vocab['[PAD]'], vocab['[UNK]'], vocab['[CLS]'], vocab['[SEP]'], vocab['[MASK]'], vocab['the'], vocab['##s']]).toEqual([0, 100, 101, 102, 103, 1996, 2015]);
  });

  it(`encodes ${corpus.length} real and hard sentences to the same ids and tokens (tokenizer.json and vocab.txt)`, () => {
    expect(corpus.length).toBeGreaterThan(5000);
    let mismatches = 0;
    for (const text of corpus) {
      const expected = reference.encode(text);
      const ours = fromJson.encodeOne(text);
      const oursFromVocab = fromVocab.encodeOne(text);
      if (JSON.stringify(ours.ids) !== JSON.stringify(expected.ids) || JSON.stringify(oursFromVocab.ids) !== JSON.stringify(expected.ids)) {
        if (mismatches++ < 3) expect({ text, tokens: ours.tokens }).toEqual({ text, tokens: expected.tokens });
      }
      expect(ours.tokens).toEqual(expected.tokens);
    }
    expect(mismatches).toBe(0);
  });

  it('encodes sentence pairs with the same ids and token type ids', () => {
    const sentences = reviewSentences().slice(0, 400);
    for (let i = 0; i + 1 < sentences.length; i += 2) {
      const expected = reference.encode(sentences[i], { text_pair: sentences[i + 1], return_token_type_ids: true });
      const ours = fromJson.encodeOne(sentences[i], sentences[i + 1]);
      expect(ours.ids).toEqual(expected.ids);
      expect(ours.typeIds).toEqual(expected.token_type_ids);
      expect(fromVocab.encodeOne(sentences[i], sentences[i + 1]).typeIds).toEqual(expected.token_type_ids);
    }
  });

  it('decodes like the reference, with and without special tokens', () => {
    for (const text of [...reviewSentences().slice(0, 300), ...HARD_CASES.filter((t) => t.trim() && !hasAstralIdeograph(t))]) {
      const ids = reference.encode(text).ids;
      expect(fromJson.decode(ids)).toBe(reference.decode(ids));
      expect(fromJson.decode(ids, { skipSpecialTokens: true })).toBe(reference.decode(ids, { skip_special_tokens: true }));
    }
  });

  it('a Sequence[NFD, Lowercase, StripAccents] normalizer with Whitespace + Digits pre-tokenizers matches too', () => {
    const json = {
      ...tokenizerJson,
      normalizer: { type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'Lowercase' }, { type: 'StripAccents' }] },
      pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Whitespace' }, { type: 'Digits', individual_digits: true }] },
    };
    const sequenceReference = new ReferenceTokenizer(json, {});
    const sequence = tokenizerFromJson(json);
    for (const text of [...reviewSentences().slice(0, 1000), ...HARD_CASES.filter((t) => !hasAstralIdeograph(t))]) {
      expect(sequence.encodeOne(text).tokens, JSON.stringify(text)).toEqual(sequenceReference.encode(text).tokens);
    }
  });

  it('splits astral CJK ideographs like BERT and Rust tokenizers (each is its own word)', () => {
    const tokens = fromJson.tokenize('\u{20000}\u{20001}abc');
    expect(tokens).toEqual(['[UNK]', '[UNK]', 'abc']);
  });
});

describe('WordPiece details', () => {
  // Independent of the tokenizer: what BERT's normalizer does to a slice of the input (final sigma ς depends
  // on context outside the slice, so both sides compare with plain σ; control characters are dropped).
  const normalizeSlice = (text: string) => text.replace(/[\p{Cc}\p{Cf}\p{Co}\ufffd]/gu, '').toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '').replace(/ς/g, 'σ');

  it('offsets point at the input text each token came from', () => {
    const texts = [...reviewSentences().slice(0, 500), ...brownSentences(300), ...HARD_CASES];
    let checked = 0;
    for (const text of texts) {
      const encoding = fromJson.encodeOne(text);
      let previousEnd = 0;
      // Pieces of one decomposed character (Hangul syllable → jamo) share its offsets: compare them joined.
      let group = '';
      encoding.tokens.forEach((token, i) => {
        const [start, end] = encoding.offsets[i];
        if (encoding.specialTokensMask[i]) {
          expect([start, end]).toEqual([0, 0]);
          return;
        }
        const [nextStart, nextEnd] = encoding.offsets[i + 1] ?? [-1, -1];
        const sharedWithNext = nextStart === start && nextEnd === end && !encoding.specialTokensMask[i + 1];
        if (!group) {
          expect(start).toBeGreaterThanOrEqual(previousEnd);
          expect(end).toBeGreaterThan(start);
        }
        previousEnd = end;
        const slice = text.slice(start, end);
        if (token === '[UNK]') {
          expect(slice).not.toMatch(/\s/);
          return;
        }
        if (/^\[.*\]$/.test(token)) return;
        group += token.replace(/^##/, '');
        if (sharedWithNext) return;
        expect(normalizeSlice(slice), `${JSON.stringify(text)} token ${token}`).toBe(group.replace(/ς/g, 'σ'));
        group = '';
        checked++;
      });
    }
    expect(checked).toBeGreaterThan(10000);
  });

  it('maps offsets back through accents, CJK spacing and dropped control characters', () => {
    const text = 'Ca\u0000fé 北京!';
    const encoding = fromJson.encodeOne(text, null, { addSpecialTokens: false });
    expect(encoding.tokens).toEqual(['cafe', '北', '京', '!']);
    expect(encoding.offsets.map(([s, e]) => text.slice(s, e))).toEqual(['Ca\u0000fé', '北', '京', '!']);
  });

  it('a word longer than max_input_chars_per_word (100) is one [UNK]; 100 characters still split', () => {
    expect(fromJson.tokenize('c'.repeat(101))).toEqual(['[UNK]']);
    expect(fromJson.tokenize('c'.repeat(100))).not.toContain('[UNK]');
    expect(fromJson.tokenize('c'.repeat(100)).join('').replace(/##/g, '')).toBe('c'.repeat(100));
  });

  it('keeps literal special tokens whole and cased; empty and whitespace-only text give only [CLS] [SEP]', () => {
    expect(fromVocab.tokenize('a [MASK] b [mask]')).toEqual(['a', '[MASK]', 'b', '[', 'mask', ']']);
    expect(fromJson.encodeOne('').tokens).toEqual(['[CLS]', '[SEP]']);
    expect(fromVocab.encodeOne(' \t\n ').tokens).toEqual(['[CLS]', '[SEP]']);
  });

  it('do_lower_case false keeps case and accents (the uncased vocab then lacks "The" and "é")', () => {
    const cased = wordPieceFromVocab(vocabText, { do_lower_case: false });
    expect(cased.tokenize('the The café cafe')).toEqual(['the', '[UNK]', '[UNK]', 'cafe']);
    expect(fromVocab.tokenize('the The café cafe')).toEqual(['the', 'the', 'cafe', 'cafe']);
  });
});
