// Byte-pair encoding (GPT-2 style): start from single characters and repeatedly merge the adjacent pair
// with the lowest merge rank (the leftmost one on ties) until no ranked pair is left. Results are cached
// per word, since real text repeats words constantly.

import { type Token, type TokenizerModel, VocabularyModel } from './model.js';
import type { NormalizedText } from './normalized-text.js';

export interface BpeOptions {
  unkToken?: string | null;
  continuingSubwordPrefix?: string | null;
  endOfWordSuffix?: string | null;
  /** Llama 3: a word already in the vocabulary is one token, whatever the merges say. */
  ignoreMerges?: boolean;
  /** Unknown pieces become `<0xAB>` byte tokens when the vocabulary has them (SentencePiece-style BPE). */
  byteFallback?: boolean;
  cacheCapacity?: number;
}

/** A merge list entry: `"a b"` (merges.txt / old tokenizer.json) or `["a", "b"]` (new tokenizer.json). */
export type Merge = string | [string, string];

/** A min-heap of candidate merges keyed by (rank, position). */
class MergeQueue {
  private ranks: number[] = [];
  private positions: number[] = [];

  get size(): number {
    return this.ranks.length;
  }

  push(rank: number, position: number): void {
    this.ranks.push(rank);
    this.positions.push(position);
    let child = this.ranks.length - 1;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!this.less(child, parent)) break;
      this.swap(child, parent);
      child = parent;
    }
  }

  /** Removes the smallest entry and returns its position. */
  pop(): { rank: number; position: number } {
    const top = { rank: this.ranks[0], position: this.positions[0] };
    const lastRank = this.ranks.pop()!;
    const lastPosition = this.positions.pop()!;
    if (this.ranks.length > 0) {
      this.ranks[0] = lastRank;
      this.positions[0] = lastPosition;
      let parent = 0;
      for (;;) {
        const left = 2 * parent + 1;
        const right = left + 1;
        let smallest = parent;
        if (left < this.ranks.length && this.less(left, smallest)) smallest = left;
        if (right < this.ranks.length && this.less(right, smallest)) smallest = right;
        if (smallest === parent) break;
        this.swap(parent, smallest);
        parent = smallest;
      }
    }
    return top;
  }

  private less(a: number, b: number): boolean {
    return this.ranks[a] < this.ranks[b] || (this.ranks[a] === this.ranks[b] && this.positions[a] < this.positions[b]);
  }

  private swap(a: number, b: number): void {
    [this.ranks[a], this.ranks[b]] = [this.ranks[b], this.ranks[a]];
    [this.positions[a], this.positions[b]] = [this.positions[b], this.positions[a]];
  }
}

export class BpeModel extends VocabularyModel implements TokenizerModel {
  readonly kind = 'BPE';
  readonly unkToken: string | null;
  readonly options: BpeOptions;
  /** ranks.get(left)?.get(right): the rank of merging `left` + `right`. */
  private ranks = new Map<string, Map<string, number>>();
  /** word → its pieces as [string, length in UTF-16 units] (lengths give the offsets). */
  private cache = new Map<string, [string, number][]>();
  private cacheCapacity: number;

  constructor(vocab: Iterable<[string, number]>, merges: readonly Merge[], options: BpeOptions = {}) {
    super(vocab);
    this.options = options;
    this.unkToken = options.unkToken ?? null;
    this.cacheCapacity = options.cacheCapacity ?? 10_000;
    merges.forEach((merge, rank) => {
      const [left, right] = typeof merge === 'string' ? splitMergeLine(merge, rank) : merge;
      let byLeft = this.ranks.get(left);
      if (!byLeft) this.ranks.set(left, (byLeft = new Map()));
      if (!byLeft.has(right)) byLeft.set(right, rank);
    });
  }

  /** GPT-2 `encoder.json` (object token → id) and `merges.txt` / `vocab.bpe` (a `#version` line, then `a b` lines). */
  static fromFiles(vocabJson: Record<string, number>, mergesText: string, options: BpeOptions = {}): BpeModel {
    const merges = mergesText
      .split(/\r?\n/)
      .filter((line, index) => line.length > 0 && !(index === 0 && line.startsWith('#version')));
    return new BpeModel(Object.entries(vocabJson), merges, options);
  }

  tokenizeWord(word: NormalizedText): Token[] {
    const text = word.text;
    if (text.length === 0) return [];
    const directId = this.options.ignoreMerges ? this.vocab.ids.get(text) : undefined;
    const pieces: [string, number][] = directId !== undefined ? [[text, text.length]] : this.mergedPieces(text);
    const tokens: Token[] = [];
    let at = 0;
    for (const [piece, length] of pieces) {
      const offsets = word.originalRange(at, at + length);
      at += length;
      const id = this.vocab.ids.get(piece);
      if (id !== undefined) {
        tokens.push({ id, value: piece, offsets });
      } else if (this.options.byteFallback && this.pushByteTokens(piece, offsets, tokens)) {
        // byte tokens pushed
      } else if (this.unkToken !== null) {
        const unkId = this.vocab.ids.get(this.unkToken);
        if (unkId === undefined) throw new Error(`sinew.text: BPE unknown token ${JSON.stringify(this.unkToken)} is not in the vocabulary`);
        tokens.push({ id: unkId, value: this.unkToken, offsets });
      }
      // Without an unknown token a piece outside the vocabulary is dropped, as Hugging Face does.
    }
    return tokens;
  }

  private pushByteTokens(piece: string, offsets: [number, number], into: Token[]): boolean {
    const bytes = new TextEncoder().encode(piece);
    const ids: [string, number][] = [];
    for (const byte of bytes) {
      const name = `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`;
      const id = this.vocab.ids.get(name);
      if (id === undefined) return false;
      ids.push([name, id]);
    }
    for (const [value, id] of ids) into.push({ id, value, offsets });
    return true;
  }

  /** The BPE pieces of one word (cached). */
  private mergedPieces(text: string): [string, number][] {
    const cached = this.cache.get(text);
    if (cached) return cached;
    const chars = Array.from(text);
    const suffix = this.options.endOfWordSuffix;
    if (suffix) chars[chars.length - 1] += suffix;
    const pieces = this.merge(chars);
    const result: [string, number][] = pieces.map((piece, i) => {
      // The suffix and continuation prefix are vocabulary decorations, not input text.
      let length = piece.length;
      if (suffix && i === pieces.length - 1) length -= suffix.length;
      return [piece, length];
    });
    const prefix = this.options.continuingSubwordPrefix;
    if (prefix) for (let i = 1; i < result.length; i++) result[i][0] = prefix + result[i][0];
    if (this.cache.size >= this.cacheCapacity) this.cache.clear();
    if (text.length < 256) this.cache.set(text, result);
    return result;
  }

  /** Merges adjacent symbols by rank; a doubly linked list over `symbols` with a heap of candidate pairs. */
  private merge(symbols: string[]): string[] {
    const n = symbols.length;
    if (n < 2) return symbols.slice();
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const alive = new Uint8Array(n).fill(1);
    const text = symbols.slice();
    const queue = new MergeQueue();
    const queuePair = (left: number) => {
      const right = next[left];
      if (right < 0) return;
      const rank = this.ranks.get(text[left])?.get(text[right]);
      if (rank !== undefined) queue.push(rank, left);
    };
    for (let i = 0; i + 1 < n; i++) queuePair(i);
    while (queue.size > 0) {
      const { rank, position: left } = queue.pop();
      const right = next[left];
      // Stale entry: one side was merged away since it was queued.
      if (!alive[left] || right < 0 || this.ranks.get(text[left])?.get(text[right]) !== rank) continue;
      text[left] += text[right];
      alive[right] = 0;
      next[left] = next[right];
      if (next[right] >= 0) prev[next[right]] = left;
      if (prev[left] >= 0) queuePair(prev[left]);
      queuePair(left);
    }
    const result: string[] = [];
    for (let i = 0; i >= 0; i = next[i]) result.push(text[i]);
    return result;
  }
}

function splitMergeLine(line: string, rank: number): [string, string] {
  const space = line.indexOf(' ', 1);
  if (space < 0) throw new Error(`sinew.text: BPE merge ${rank} ${JSON.stringify(line)} is not "left right"`);
  return [line.slice(0, space), line.slice(space + 1)];
}
