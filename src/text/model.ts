// What a tokenization model (WordPiece, BPE) gives the Tokenizer: words in, tokens with offsets out.

import type { NormalizedText } from './normalized-text.js';

/** One token: its id, its vocabulary string, and the [start, end) UTF-16 range it covers in the input text. */
export interface Token {
  id: number;
  value: string;
  offsets: [number, number];
}

export interface TokenizerModel {
  readonly kind: 'WordPiece' | 'BPE';
  readonly unkToken: string | null;
  /** Tokens of one pre-tokenized word. */
  tokenizeWord(word: NormalizedText): Token[];
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** Registers an added token's id (special tokens may live outside the model's vocabulary). */
  addToken(token: string, id: number): void;
  readonly vocabSize: number;
}

/** A vocabulary in both directions. */
export class Vocabulary {
  readonly ids = new Map<string, number>();
  readonly tokens: string[] = [];

  constructor(entries: Iterable<[string, number]>) {
    for (const [token, id] of entries) this.add(token, id);
  }

  add(token: string, id: number): void {
    if (!Number.isInteger(id) || id < 0) throw new Error(`sinew.text: token ${JSON.stringify(token)} has invalid id ${id}`);
    this.ids.set(token, id);
    if (this.tokens[id] === undefined) this.tokens[id] = token;
  }

  get size(): number {
    return this.tokens.length;
  }
}

/** The vocabulary side of a TokenizerModel (lookups both ways, added tokens), shared by WordPiece and BPE. */
export abstract class VocabularyModel {
  readonly vocab: Vocabulary;

  constructor(entries: Iterable<[string, number]>) {
    this.vocab = new Vocabulary(entries);
  }

  get vocabSize(): number {
    return this.vocab.size;
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.ids.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.vocab.tokens[id];
  }

  addToken(token: string, id: number): void {
    this.vocab.add(token, id);
  }
}
