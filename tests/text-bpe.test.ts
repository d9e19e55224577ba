// Byte-level BPE (GPT-2 vocabulary): token-for-token equality with @huggingface/tokenizers and with
// gpt-3-encoder over ~5,000 real sentences and hard cases; RoBERTa-style prefix space + pair wrapping and
// a Llama-3-style regex split from tokenizer.json; exact decode round trips; offsets; the byte table.
import { Tokenizer as ReferenceTokenizer } from '@huggingface/tokenizers';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { BYTE_TO_CHAR, CHAR_TO_BYTE, byteLevelBpeFromFiles, tokenizerFromJson } from '../src/text/index.js';
import { onigurumaToJsRegExp } from '../src/text/regex.js';
import { HARD_CASES, brownSentences, gpt2Files, gpt2TokenizerJson, mergeLines, reviewSentences } from './fixtures/text/corpus.js';

const gpt3Encoder: { encode(text: string): number[] } = createRequire(import.meta.url)('gpt-3-encoder');
const { vocab, mergesText } = gpt2Files();
const merges = mergeLines(mergesText);
const gpt2Json = gpt2TokenizerJson(vocab, merges);
const reference = new ReferenceTokenizer(gpt2Json, { clean_up_tokenization_spaces: false });
const fromJson = tokenizerFromJson(gpt2Json);
const fromFiles = byteLevelBpeFromFiles(vocab, mergesText);
const corpus = [...reviewSentences(), ...brownSentences(1000), ...HARD_CASES];
const END = vocab['<|endoftext|>'];

describe('byte-level BPE matches @huggingface/tokenizers (GPT-2)', () => {
  it(`encodes ${corpus.length} real and hard sentences to the same ids (tokenizer.json, vocab.json + merges.txt)`, () => {
    let mismatches = 0;
    for (const text of corpus) {
      const expected = reference.encode(text);
      const ours = fromJson.encodeOne(text);
      if (JSON.stringify(ours.ids) !== JSON.stringify(expected.ids) && mismatches++ < 3) {
        expect({ text, tokens: ours.tokens }).toEqual({ text, tokens: expected.tokens });
      }
      expect(fromFiles.encodeOne(text).ids).toEqual(ours.ids);
    }
    expect(mismatches).toBe(0);
  });

  it('matches gpt-3-encoder (an independent GPT-2 implementation) on text without special tokens', () => {
    for (const text of corpus.filter((t, i) => i % 3 === 0 && !t.includes('<|endoftext|>'))) {
      expect(fromJson.encodeOne(text).ids).toEqual(gpt3Encoder.encode(text));
    }
  });

  it('decodes every sentence back to itself exactly, as the reference does', () => {
    for (const text of corpus.filter((t) => t.length > 0)) {
      const ids = fromJson.encodeOne(text).ids;
      expect(fromJson.decode(ids)).toBe(text);
      expect(fromJson.decode(ids)).toBe(reference.decode(ids));
    }
  });

  it('keeps <|endoftext|> whole and can skip it when decoding', () => {
    const ids = fromJson.encodeOne('a<|endoftext|>b').ids;
    expect(ids).toEqual([vocab['a'], END, vocab['b']]);
    expect(fromJson.decode(ids, { skipSpecialTokens: true })).toBe('ab');
    expect(() => fromJson.decode([vocab['a'], 50257])).toThrow(/id 50257 is outside the vocabulary \(size 50257\)/);
  });

  it('offsets: each token spans exactly the characters its bytes come from', () => {
    const utf8 = new TextEncoder();
    for (const text of [...reviewSentences().slice(0, 300), ...HARD_CASES]) {
      // Independent byte → character map: byte k of the UTF-8 text belongs to [charStart[k], charEnd[k]).
      const charStart: number[] = [];
      const charEnd: number[] = [];
      let unit = 0;
      for (const char of text) {
        for (let k = 0; k < utf8.encode(char).length; k++) {
          charStart.push(unit);
          charEnd.push(unit + char.length);
        }
        unit += char.length;
      }
      const encoding = fromJson.encodeOne(text);
      let byte = 0;
      encoding.tokens.forEach((token, i) => {
        const length = token.length; // one character per byte (<|endoftext|> is ASCII, so also one per byte)
        expect(encoding.offsets[i], `${JSON.stringify(text)} token ${i}`).toEqual([charStart[byte], charEnd[byte + length - 1]]);
        byte += length;
      });
      expect(byte).toBe(charStart.length);
    }
  });
});

describe('byte-level BPE variants from tokenizer.json', () => {
  it('RoBERTa style: prefix space, <s> A </s></s> B </s> wrapping, type ids, trimmed offsets', () => {
    const json = gpt2TokenizerJson(vocab, merges, {
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      post_processor: { type: 'RobertaProcessing', sep: ['<|endoftext|>', END], cls: ['<|endoftext|>', END], trim_offsets: true, add_prefix_space: true },
    });
    const robertaReference = new ReferenceTokenizer(json, {});
    const roberta = tokenizerFromJson(json);
    const sentences = reviewSentences().slice(0, 600);
    for (let i = 0; i + 1 < sentences.length; i += 2) {
      const expected = robertaReference.encode(sentences[i], { text_pair: sentences[i + 1], return_token_type_ids: true });
      const ours = roberta.encodeOne(sentences[i], sentences[i + 1]);
      expect(ours.ids).toEqual(expected.ids);
      expect(ours.typeIds).toEqual(expected.token_type_ids);
      expect(roberta.encodeOne(sentences[i]).ids).toEqual(robertaReference.encode(sentences[i]).ids);
    }
    const text = 'Hello big  world';
    const encoding = roberta.encodeOne(text, null, { addSpecialTokens: false });
    expect(encoding.tokens).toEqual(['ĠHello', 'Ġbig', 'Ġ', 'Ġworld']);
    expect(encoding.offsets.map(([s, e]) => text.slice(s, e))).toEqual(['Hello', 'big', '', 'world']);
  });

  it('Llama 3 style: an Oniguruma split regex (with (?i:...)), ignore_merges, a template with a BOS token', () => {
    const llama3Pattern =
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    const json = gpt2TokenizerJson(vocab, merges, {
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Split', pattern: { Regex: llama3Pattern }, behavior: 'Isolated', invert: false },
          { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
        ],
      },
      post_processor: {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: '<|endoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
        pair: [{ SpecialToken: { id: '<|endoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<|endoftext|>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
        special_tokens: { '<|endoftext|>': { id: '<|endoftext|>', ids: [END], tokens: ['<|endoftext|>'] } },
      },
    });
    json.model.ignore_merges = true;
    const llamaReference = new ReferenceTokenizer(json, {});
    const llama = tokenizerFromJson(json);
    const texts = [...reviewSentences().slice(0, 800), ...HARD_CASES, "HE'S I'M WE'LL 12345678 line\r\n\r\nbreaks"];
    for (const text of texts) expect(llama.encodeOne(text).ids, JSON.stringify(text)).toEqual(llamaReference.encode(text).ids);
    expect(llama.encodeOne('a', 'b').typeIds).toEqual(llamaReference.encode('a', { text_pair: 'b', return_token_type_ids: true }).token_type_ids);
  });

  it('added tokens with lstrip / rstrip swallow the neighbouring spaces; single_word only matches whole words', () => {
    const json = gpt2TokenizerJson(vocab, merges);
    json.added_tokens.push(
      { id: 50257, content: '<mask>', single_word: false, lstrip: true, rstrip: false, normalized: false, special: true },
      { id: 50258, content: '<sep>', single_word: false, lstrip: false, rstrip: true, normalized: false, special: true },
    );
    const withAddedReference = new ReferenceTokenizer(json, { clean_up_tokenization_spaces: false });
    const withAdded = tokenizerFromJson(json);
    for (const text of ['Hello <mask> world', 'a  <mask>b', '<mask>', 'x <sep>   y <sep>', 'no added tokens here', ' <mask><sep> z']) {
      expect(withAdded.encodeOne(text).ids, text).toEqual(withAddedReference.encode(text).ids);
    }
    const text = 'Hello <mask> world';
    const encoding = withAdded.encodeOne(text);
    expect(encoding.offsets.map(([s, e]) => text.slice(s, e))).toEqual(['Hello', '<mask>', ' world']);
    expect(withAdded.decode(encoding.ids, { skipSpecialTokens: true })).toBe('Hello world');

    json.added_tokens.push({ id: 50259, content: 'cat', single_word: true, lstrip: false, rstrip: false, normalized: false, special: false });
    const singleWord = tokenizerFromJson(json);
    expect(singleWord.encodeOne('cat concat cats, cat.').ids.filter((id) => id === 50259)).toHaveLength(2);
  });

  it('translates the Oniguruma constructs split patterns use: (?i:...), possessive quantifiers, \\A \\z, \\x{...}', () => {
    const matches = (pattern: string, text: string) => text.match(onigurumaToJsRegExp(pattern)) ?? [];
    expect(matches("(?i:'s|'ll)|\\p{L}+", "IT'S WE'LL it's")).toEqual(['IT', "'S", 'WE', "'LL", 'it', "'s"]);
    expect(matches('(?i:[a-c]+)x', 'ABcx abx')).toEqual(['ABcx', 'abx']);
    expect(matches('a++b|\\d++', 'aaab12')).toEqual(['aaab', '12']);
    expect(matches('\\A\\x{41}|z\\z', 'AzA z')).toEqual(['A', 'z']);
    expect(() => onigurumaToJsRegExp('(?<=a+')).toThrow(/cannot translate the tokenizer.json split pattern "\(\?<=a\+"/);
  });

  it('the byte table: 256 distinct printable characters, inverse of CHAR_TO_BYTE, space → Ġ, newline → Ċ', () => {
    expect(new Set(BYTE_TO_CHAR).size).toBe(256);
    BYTE_TO_CHAR.forEach((char, byte) => {
      expect(CHAR_TO_BYTE.get(char)).toBe(byte);
      expect(char).toMatch(/^[^\s\p{Cc}]$/u);
    });
    expect([BYTE_TO_CHAR[32], BYTE_TO_CHAR[10], BYTE_TO_CHAR[65]]).toEqual(['Ġ', 'Ċ', 'A']);
  });

  it('merges by rank on a tiny hand-built vocabulary (lowest rank first, leftmost on ties)', () => {
    const tiny = { a: 0, b: 1, c: 2, ab: 3, bc: 4, abc: 5, aa: 6 };
    const tokenizer = tokenizerFromJson({ model: { type: 'BPE', vocab: tiny, merges: ['b c', 'a b', 'a bc', 'a a'] }, added_tokens: [] });
    expect(tokenizer.tokenize('abc')).toEqual(['abc']); // b c (rank 0) first, then a bc
    expect(tokenizer.tokenize('abab')).toEqual(['ab', 'ab']);
    expect(tokenizer.tokenize('aaa')).toEqual(['aa', 'a']); // leftmost of two equal-rank pairs
    expect(tokenizer.tokenize('cab')).toEqual(['c', 'ab']);
  });

  it('end-of-word suffix, continuation prefix, byte fallback and the unknown token, with offsets', () => {
    const bpe = (model: object) => tokenizerFromJson({ model: { type: 'BPE', ...model }, pre_tokenizer: { type: 'WhitespaceSplit' } });
    const suffixed = bpe({ vocab: { a: 0, b: 1, 'c</w>': 2, ab: 3, 'abc</w>': 4, 'b</w>': 5 }, merges: ['a b', 'ab c</w>'], end_of_word_suffix: '</w>' });
    const encoding = suffixed.encodeOne('abc ab');
    expect(encoding.tokens).toEqual(['abc</w>', 'a', 'b</w>']);
    expect(encoding.offsets).toEqual([[0, 3], [4, 5], [5, 6]]);
    const prefixed = bpe({ vocab: { a: 0, b: 1, d: 2, ab: 3, '##d': 4 }, merges: ['a b'], continuing_subword_prefix: '##' });
    expect(prefixed.tokenize('abd')).toEqual(['ab', '##d']);
    const fallback = bpe({ vocab: { '<unk>': 0, c: 1, a: 2, f: 3, '<0xC3>': 4, '<0xA9>': 5 }, merges: [], byte_fallback: true, unk_token: '<unk>' });
    const cafe = fallback.encodeOne('café ü');
    expect(cafe.tokens).toEqual(['c', 'a', 'f', '<0xC3>', '<0xA9>', '<unk>']);
    expect(cafe.offsets).toEqual([[0, 1], [1, 2], [2, 3], [3, 4], [3, 4], [5, 6]]);
    const dropping = bpe({ vocab: { a: 0 }, merges: [] });
    expect(dropping.tokenize('aza')).toEqual(['a', 'a']); // no unknown token: unknown pieces are dropped, as in Hugging Face
  });
});
