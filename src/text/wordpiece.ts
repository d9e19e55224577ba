// WordPiece (BERT): each word becomes the longest vocabulary prefix, then the longest `##`-prefixed
// continuation of the rest, and so on; a word with no full split, or longer than
// maxInputCharsPerWord code points, becomes a single [UNK].

import { type Token, type TokenizerModel, VocabularyModel } from './model.js';
import type { NormalizedText } from './normalized-text.js';

export interface WordPieceOptions {
  unkToken?: string;
  continuingSubwordPrefix?: string;
  maxInputCharsPerWord?: number;
}

export class WordPieceModel extends VocabularyModel implements TokenizerModel {
  readonly kind = 'WordPiece';
  readonly unkToken: string;
  readonly continuingSubwordPrefix: string;
  readonly maxInputCharsPerWord: number;
  /** No vocabulary entry is longer than this many UTF-16 units, so longer candidates are skipped unseen. */
  private longestToken = 0;

  constructor(vocab: Iterable<[string, number]>, options: WordPieceOptions = {}) {
    super(vocab);
    this.unkToken = options.unkToken ?? '[UNK]';
    this.continuingSubwordPrefix = options.continuingSubwordPrefix ?? '##';
    this.maxInputCharsPerWord = options.maxInputCharsPerWord ?? 100;
    for (const token of this.vocab.ids.keys()) this.longestToken = Math.max(this.longestToken, token.length);
    if (!this.vocab.ids.has(this.unkToken)) {
      throw new Error(`sinew.text: WordPiece unknown token ${JSON.stringify(this.unkToken)} is not in the vocabulary`);
    }
  }

  /** Parses a BERT vocab.txt: one token per line, the line number is the id. */
  static fromVocabText(vocabText: string, options: WordPieceOptions = {}): WordPieceModel {
    const lines = vocabText.split(/\r?\n/);
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return new WordPieceModel(
      lines.map((token, id) => [token, id] as [string, number]),
      options,
    );
  }

  override addToken(token: string, id: number): void {
    super.addToken(token, id);
    this.longestToken = Math.max(this.longestToken, token.length);
  }

  private unknownWord(word: NormalizedText): Token[] {
    return [{ id: this.vocab.ids.get(this.unkToken)!, value: this.unkToken, offsets: word.originalRange(0, word.length) }];
  }

  tokenizeWord(word: NormalizedText): Token[] {
    const text = word.text;
    // Code point boundaries: a piece never splits a surrogate pair.
    const bounds: number[] = [0];
    for (let i = 0; i < text.length; ) {
      const code = text.charCodeAt(i);
      i += code >= 0xd800 && code <= 0xdbff && i + 1 < text.length ? 2 : 1;
      bounds.push(i);
    }
    if (bounds.length - 1 > this.maxInputCharsPerWord) return this.unknownWord(word);

    const tokens: Token[] = [];
    let from = 0; // index into bounds
    while (from < bounds.length - 1) {
      const prefix = from > 0 ? this.continuingSubwordPrefix : '';
      let found: Token | null = null;
      for (let to = bounds.length - 1; to > from; to--) {
        const start = bounds[from];
        const end = bounds[to];
        if (end - start + prefix.length > this.longestToken) continue;
        const candidate = prefix + text.slice(start, end);
        const id = this.vocab.ids.get(candidate);
        if (id !== undefined) {
          found = { id, value: candidate, offsets: word.originalRange(start, end) };
          from = to;
          break;
        }
      }
      if (found === null) return this.unknownWord(word);
      tokens.push(found);
    }
    return tokens;
  }
}
