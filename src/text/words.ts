// A simple word-level tokenizer and vocabulary, for models that learn their own embeddings from a small
// corpus (the sentiment and tagging examples): lower-case, split into words and punctuation, keep the most
// frequent words, map the rest to [UNK], and pad or truncate to a fixed length with [PAD] = 0 so that an
// embedding with maskZero hides the padding.
//   const vocab = Vocabulary.build(trainTexts, {maxSize: 5000, minCount: 2});
//   const ids = vocab.encodeBatch(texts, 32);          // Int32Array [texts.length * 32]

/** Id 0: padding (masked by embedding maskZero). */
export const PAD_ID = 0;
/** Id 1: any word outside the vocabulary. */
export const UNK_ID = 1;
export const PAD_TOKEN = '[PAD]';
export const UNK_TOKEN = '[UNK]';

// A word: letters/digits, with inner apostrophes or hyphens ("don't", "well-made"); or one punctuation mark.
const WORD_PATTERN = /[\p{L}\p{N}]+(?:['’\-][\p{L}\p{N}]+)*|[^\s\p{L}\p{N}]/gu;

/** Lower-cased words and single punctuation marks: "Great, isn't it?" → ['great', ',', "isn't", 'it', '?']. */
export function splitWords(text: string): string[] {
  return text.toLowerCase().match(WORD_PATTERN) ?? [];
}

export interface VocabularyOptions {
  /** Most words kept, counting [PAD] and [UNK]; default unlimited. */
  maxSize?: number;
  /** Words seen fewer times are [UNK]; default 1. */
  minCount?: number;
  /** The splitter applied to each text; default splitWords. */
  split?: (text: string) => string[];
}

/** Where the sequence is cut or padded when it does not fit `length`. */
export interface PadOptions {
  /** 'post' (default) pads/truncates at the end; 'pre' at the start (Keras pad_sequences' default). */
  padding?: 'pre' | 'post';
  truncating?: 'pre' | 'post';
}

/** A word ↔ id table: 0 = [PAD], 1 = [UNK], then words by falling frequency (ties alphabetically). */
export class Vocabulary {
  private readonly ids = new Map<string, number>();
  readonly split: (text: string) => string[];

  /** tokens[id] is the word with that id; tokens[0] and tokens[1] must be [PAD] and [UNK]. */
  constructor(readonly tokens: readonly string[], split: (text: string) => string[] = splitWords) {
    if (tokens[PAD_ID] !== PAD_TOKEN || tokens[UNK_ID] !== UNK_TOKEN) {
      throw new Error(`Vocabulary: tokens must start with ${PAD_TOKEN}, ${UNK_TOKEN}; got ${JSON.stringify(tokens.slice(0, 2))}`);
    }
    tokens.forEach((token, id) => {
      if (this.ids.has(token)) throw new Error(`Vocabulary: the token ${JSON.stringify(token)} appears twice (ids ${this.ids.get(token)} and ${id})`);
      this.ids.set(token, id);
    });
    this.split = split;
  }

  /** Counts the words of `texts` (strings, or already split into words) and keeps the frequent ones. */
  static build(texts: Iterable<string | readonly string[]>, options: VocabularyOptions = {}): Vocabulary {
    const { maxSize = Infinity, minCount = 1, split = splitWords } = options;
    if (!(maxSize >= 2)) throw new Error(`Vocabulary.build: maxSize must be at least 2 ([PAD] and [UNK]), got ${maxSize}`);
    if (!(minCount >= 1)) throw new Error(`Vocabulary.build: minCount must be at least 1, got ${minCount}`);
    const counts = new Map<string, number>();
    for (const text of texts) {
      for (const word of typeof text === 'string' ? split(text) : text) counts.set(word, (counts.get(word) ?? 0) + 1);
    }
    counts.delete(PAD_TOKEN);
    counts.delete(UNK_TOKEN);
    const kept = [...counts].filter(([, count]) => count >= minCount)
      .sort(([a, countA], [b, countB]) => countB - countA || (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, Math.max(0, maxSize - 2))
      .map(([word]) => word);
    return new Vocabulary([PAD_TOKEN, UNK_TOKEN, ...kept], split);
  }

  get size(): number {
    return this.tokens.length;
  }

  /** The id of a word ([UNK]'s when it is not in the vocabulary). */
  idOf(word: string): number {
    return this.ids.get(word) ?? UNK_ID;
  }

  has(word: string): boolean {
    return this.ids.has(word);
  }

  /** The words of a text (or pre-split words) as ids, without padding. */
  encode(text: string | readonly string[]): number[] {
    return (typeof text === 'string' ? this.split(text) : text).map((word) => this.idOf(word));
  }

  /** Texts as a flat [texts.length, length] row-major Int32Array of ids, padded with 0 / truncated. */
  encodeBatch(texts: readonly (string | readonly string[])[], length: number, options: PadOptions = {}): Int32Array {
    if (!Number.isInteger(length) || length < 1) throw new Error(`Vocabulary.encodeBatch: length must be a positive integer, got ${length}`);
    const out = new Int32Array(texts.length * length);
    texts.forEach((text, row) => out.set(padIds(this.encode(text), length, options), row * length));
    return out;
  }

  /** Ids back to words, skipping [PAD]. */
  decode(ids: ArrayLike<number>): string[] {
    const words: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === PAD_ID) continue;
      const token = this.tokens[id];
      if (token === undefined) throw new Error(`Vocabulary.decode: id ${id} at position ${i} is outside the vocabulary of ${this.size}`);
      words.push(token);
    }
    return words;
  }

  toJSON(): { tokens: readonly string[] } {
    return { tokens: this.tokens };
  }
}

/** ids cut or padded with PAD_ID to exactly `length` (Keras pad_sequences for one sequence). */
export function padIds(ids: readonly number[], length: number, options: PadOptions = {}): number[] {
  const { padding = 'post', truncating = 'post' } = options;
  const kept = ids.length <= length ? ids : truncating === 'post' ? ids.slice(0, length) : ids.slice(ids.length - length);
  const fill = new Array<number>(length - kept.length).fill(PAD_ID);
  return padding === 'post' ? [...kept, ...fill] : [...fill, ...kept];
}
