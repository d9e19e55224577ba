// The tokenizer pipeline, as in Hugging Face `tokenizers`:
//   text → added-token split → normalizer → pre-tokenizer (words) → model (WordPiece / BPE tokens)
//        → truncation → post-processor ([CLS] … [SEP], type ids) → padding → ids, masks, offsets
// Offsets are [start, end) UTF-16 indices into the caller's string: text.slice(start, end).

import { type AddedToken, AddedTokenMatcher } from './added-tokens.js';
import { type Decoder, cleanUpTokenization } from './decode.js';
import { BatchEncoding, type Encoding, type TruncationStrategy, encodingFromProcessed, padEncoding, truncatePair } from './encoding.js';
import type { Token, TokenizerModel } from './model.js';
import { NormalizedText } from './normalized-text.js';
import type { Normalizer } from './normalize.js';
import { type PostProcessor, concatenate } from './post-process.js';
import type { PreTokenizer } from './pretokenize.js';
import { assertWellFormedText } from './unicode.js';

/** Names of the special tokens a model uses (strings; ids are looked up in the vocabulary). */
export interface SpecialTokenNames {
  unk?: string;
  pad?: string;
  cls?: string;
  sep?: string;
  mask?: string;
  bos?: string;
  eos?: string;
}

export interface TokenizerParts {
  model: TokenizerModel;
  normalizer?: Normalizer | null;
  preTokenizer?: PreTokenizer | null;
  postProcessor?: PostProcessor | null;
  decoder?: Decoder | null;
  addedTokens?: AddedToken[];
  specialTokens?: SpecialTokenNames;
  /** Default truncation / 'max_length' padding length (tokenizer_config.json `model_max_length`). */
  modelMaxLength?: number;
  /** decode() removes spaces before punctuation by default when true (BERT-style). */
  cleanUpTokenizationSpaces?: boolean;
}

/** One text, or a batch of texts, or a batch of [text, pairText] pairs (for sentence-pair tasks). */
export type TextInput = string | readonly string[] | readonly (readonly [string, string])[];

export interface EncodeOptions {
  /** true / 'longest': pad to the longest row; 'max_length': pad to maxLength. Default false. */
  padding?: boolean | 'longest' | 'max_length';
  /** true = 'longest_first'. Truncates to maxLength (default: modelMaxLength), special tokens included. */
  truncation?: boolean | TruncationStrategy;
  maxLength?: number;
  /** [CLS]/[SEP] etc. Default true. */
  addSpecialTokens?: boolean;
  /** Adds `offsets` to the result. */
  returnOffsets?: boolean;
}

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
  cleanUpTokenizationSpaces?: boolean;
}

export class Tokenizer {
  readonly model: TokenizerModel;
  readonly normalizer: Normalizer | null;
  readonly preTokenizer: PreTokenizer | null;
  readonly postProcessor: PostProcessor | null;
  readonly decoder: Decoder | null;
  readonly addedTokens: readonly AddedToken[];
  readonly specialTokens: SpecialTokenNames;
  modelMaxLength: number | undefined;
  cleanUpTokenizationSpaces: boolean;
  private rawMatcher: AddedTokenMatcher;
  private normalizedMatcher: AddedTokenMatcher;
  private addedByContent = new Map<string, AddedToken>();
  private specialIds = new Set<number>();

  constructor(parts: TokenizerParts) {
    this.model = parts.model;
    this.normalizer = parts.normalizer ?? null;
    this.preTokenizer = parts.preTokenizer ?? null;
    this.postProcessor = parts.postProcessor ?? null;
    this.decoder = parts.decoder ?? null;
    this.addedTokens = parts.addedTokens ?? [];
    this.specialTokens = { ...parts.specialTokens };
    this.modelMaxLength = parts.modelMaxLength;
    this.cleanUpTokenizationSpaces = parts.cleanUpTokenizationSpaces ?? this.model.kind === 'WordPiece';

    const raw: [string, AddedToken][] = [];
    const normalized: [string, AddedToken][] = [];
    for (const token of this.addedTokens) {
      this.model.addToken(token.content, token.id);
      this.addedByContent.set(token.content, token);
      if (token.special) this.specialIds.add(token.id);
      if (token.normalized && this.normalizer) {
        normalized.push([this.normalizer.normalize(NormalizedText.fromOriginal(token.content)).text, token]);
      } else raw.push([token.content, token]);
    }
    this.rawMatcher = new AddedTokenMatcher(raw);
    this.normalizedMatcher = new AddedTokenMatcher(normalized);
    // Named special tokens count as special even when the file did not list them as added tokens.
    for (const name of Object.values(this.specialTokens)) {
      const id = name === undefined ? undefined : this.model.tokenToId(name);
      if (id !== undefined) this.specialIds.add(id);
    }
  }

  get vocabSize(): number {
    return this.model.vocabSize;
  }

  tokenToId(token: string): number | undefined {
    return this.model.tokenToId(token);
  }

  idToToken(id: number): string | undefined {
    return this.model.idToToken(id);
  }

  private specialId(name: keyof SpecialTokenNames): number | undefined {
    const token = this.specialTokens[name];
    return token === undefined ? undefined : this.model.tokenToId(token);
  }

  get padTokenId(): number | undefined {
    return this.specialId('pad');
  }
  get unkTokenId(): number | undefined {
    return this.specialId('unk');
  }
  get clsTokenId(): number | undefined {
    return this.specialId('cls');
  }
  get sepTokenId(): number | undefined {
    return this.specialId('sep');
  }
  get maskTokenId(): number | undefined {
    return this.specialId('mask');
  }

  /** Ids of every special token (added tokens marked special, and the named ones). */
  get allSpecialIds(): number[] {
    return [...this.specialIds].sort((a, b) => a - b);
  }

  /** Model tokens of one text, without special tokens. */
  tokenizeToTokens(text: string): Token[] {
    assertWellFormedText(text);
    const out: Token[] = [];
    for (const segment of this.rawMatcher.split(NormalizedText.fromOriginal(text))) {
      if (segment.token) {
        out.push(this.addedTokenAt(segment.token, segment.text));
        continue;
      }
      const normalized = this.normalizer ? this.normalizer.normalize(segment.text) : segment.text;
      for (const piece of this.normalizedMatcher.split(normalized)) {
        if (piece.token) {
          out.push(this.addedTokenAt(piece.token, piece.text));
          continue;
        }
        const words = this.preTokenizer ? this.preTokenizer.split(piece.text) : [piece.text];
        for (const word of words) for (const token of this.model.tokenizeWord(word)) out.push(token);
      }
    }
    return out;
  }

  private addedTokenAt(token: AddedToken, text: NormalizedText): Token {
    return { id: token.id, value: token.content, offsets: text.originalRange(0, text.length) };
  }

  /** Token strings of one text, without special tokens. */
  tokenize(text: string): string[] {
    return this.tokenizeToTokens(text).map((t) => t.value);
  }

  /** Encodes one text (or pair) to a single Encoding, truncated to `maxLength` when given. */
  encodeOne(text: string, pair: string | null = null, options: EncodeOptions = {}): Encoding {
    const addSpecialTokens = options.addSpecialTokens ?? true;
    const first = this.tokenizeToTokens(text);
    const second = pair === null ? null : this.tokenizeToTokens(pair);
    const truncation = options.truncation ?? false;
    const maxLength = options.maxLength ?? this.modelMaxLength;
    if (truncation !== false && maxLength !== undefined) {
      const reserved = addSpecialTokens && this.postProcessor ? this.postProcessor.specialTokenCount(second !== null) : 0;
      if (maxLength < reserved) {
        throw new Error(`sinew.text: maxLength ${maxLength} leaves no room: the special tokens alone take ${reserved}`);
      }
      truncatePair(first, second, maxLength - reserved, truncation === true ? 'longest_first' : truncation);
    }
    const processed = this.postProcessor
      ? this.postProcessor.process(first, second, addSpecialTokens, [text, pair])
      : concatenate(first, second);
    return encodingFromProcessed(processed, first.length);
  }

  /**
   * Encodes a text, a batch of texts, or a batch of [text, pair] pairs.
   * @example tokenizer.encode(['a great movie', 'dull'], {padding: true}).toTensors().inputIds  // int32 [2, T]
   */
  encode(texts: TextInput, options: EncodeOptions = {}): BatchEncoding {
    if (options.maxLength !== undefined && !(Number.isInteger(options.maxLength) && options.maxLength >= 1)) {
      throw new Error(`sinew.text: maxLength must be a positive integer, got ${options.maxLength}`);
    }
    const batch = typeof texts === 'string' ? [texts] : texts;
    if (!Array.isArray(batch)) throw new Error('sinew.text: encode expects a string, an array of strings, or an array of [text, pair]');
    const encodings = batch.map((item, index) => {
      if (typeof item === 'string') return this.encodeOne(item, null, options);
      if (Array.isArray(item) && item.length === 2) return this.encodeOne(item[0], item[1], options);
      throw new Error(`sinew.text: encode input ${index} is neither a string nor a [text, pair] array`);
    });
    const padding = options.padding ?? false;
    if (padding !== false) {
      let length: number;
      if (padding === 'max_length') {
        const maxLength = options.maxLength ?? this.modelMaxLength;
        if (maxLength === undefined) throw new Error("sinew.text: padding 'max_length' needs maxLength (the tokenizer has no modelMaxLength)");
        length = maxLength;
      } else length = Math.max(0, ...encodings.map((e) => e.ids.length));
      const padId = this.padTokenId;
      if (padId === undefined && encodings.some((e) => e.ids.length < length)) {
        throw new Error('sinew.text: padding needs a pad token, and this tokenizer has none (set tokenizer.specialTokens.pad)');
      }
      for (const encoding of encodings) padEncoding(encoding, length, padId ?? 0, this.specialTokens.pad ?? '');
    }
    return new BatchEncoding(encodings, options.returnOffsets ?? false);
  }

  /** Ids back to text. */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const tokens: string[] = [];
    for (const id of ids) {
      if (!Number.isInteger(id)) throw new Error(`sinew.text: decode expects integer ids, got ${id}`);
      if (options.skipSpecialTokens && this.specialIds.has(id)) continue;
      const token = this.model.idToToken(id) ?? this.model.unkToken;
      if (token === null || token === undefined) throw new Error(`sinew.text: id ${id} is outside the vocabulary (size ${this.vocabSize})`);
      tokens.push(token);
    }
    const text = this.decoder ? this.decoder.decode(tokens, (t) => this.addedByContent.has(t)) : tokens.join(' ');
    return options.cleanUpTokenizationSpaces ?? this.cleanUpTokenizationSpaces ? cleanUpTokenization(text) : text;
  }

  batchDecode(batch: readonly (readonly number[])[], options: DecodeOptions = {}): string[] {
    return batch.map((ids) => this.decode(ids, options));
  }
}
