// Masked-language-model data: BERT's masking rule. Of the maskable tokens (not special, not padding),
// `probability` (15%) are chosen; a chosen token is replaced by [MASK] 80% of the time, by a random
// vocabulary token 10%, and kept 10%; its label is the original id, every other label IGNORE_INDEX.
//   ids [B, T] → { inputIds [B, T], labels [B, T] }
//
//   const {inputIds, labels} = maskTokens(batchIds, {maskTokenId: 103, vocabSize: 30522, specialIds: [0, 101, 102]}, rng);
import { IGNORE_INDEX } from './heads.js';

export interface MaskingOptions {
  maskTokenId: number;
  vocabSize: number;
  /** Ids never chosen ([PAD], [CLS], [SEP], [UNK]…). */
  specialIds: readonly number[];
  /** Share of maskable tokens chosen; default 0.15. */
  probability?: number;
  /** Random replacements are drawn from [firstRandomId, vocabSize) (skip the special ids at the front). */
  firstRandomId?: number;
}

export interface MaskedBatch {
  inputIds: number[][];
  labels: number[][];
}

/** A small seeded generator of uniform floats in [0, 1) (mulberry32), so masking is reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Applies the 80/10/10 rule to each row. At least one token of a row with any maskable token is chosen, so
 * every row contributes to the loss.
 */
export function maskTokens(ids: readonly (readonly number[])[], options: MaskingOptions, random: () => number = Math.random): MaskedBatch {
  const probability = options.probability ?? 0.15;
  if (!(probability > 0 && probability <= 1)) throw new Error(`maskTokens: probability must be in (0, 1], got ${probability}`);
  if (!Number.isInteger(options.maskTokenId) || options.maskTokenId < 0 || options.maskTokenId >= options.vocabSize) {
    throw new Error(`maskTokens: maskTokenId ${options.maskTokenId} is outside the vocabulary [0, ${options.vocabSize})`);
  }
  const special = new Set(options.specialIds);
  const firstRandom = options.firstRandomId ?? 0;
  const inputIds: number[][] = [];
  const labels: number[][] = [];
  for (const row of ids) {
    const input = row.slice();
    const label = row.map(() => IGNORE_INDEX);
    const maskable = row.map((_, i) => i).filter((i) => !special.has(row[i]));
    let chosen = maskable.filter(() => random() < probability);
    if (chosen.length === 0 && maskable.length > 0) chosen = [maskable[Math.floor(random() * maskable.length)]];
    for (const i of chosen) {
      label[i] = row[i];
      const roll = random();
      if (roll < 0.8) input[i] = options.maskTokenId;
      else if (roll < 0.9) input[i] = firstRandom + Math.floor(random() * (options.vocabSize - firstRandom));
    }
    inputIds.push(input);
    labels.push(label);
  }
  return { inputIds, labels };
}

/** Rows of token ids padded with `padId` (or cut) to `length`, and their attention masks. */
export function padRows(rows: readonly (readonly number[])[], length: number, padId = 0): { inputIds: number[][]; attentionMask: number[][] } {
  const inputIds = rows.map((row) => [...row.slice(0, length), ...new Array(Math.max(0, length - row.length)).fill(padId)]);
  const attentionMask = rows.map((row) => Array.from({ length }, (_, i) => (i < row.length ? 1 : 0)));
  return { inputIds, attentionMask };
}

/**
 * Packs consecutive sentences (token ids, no specials) into rows [CLS] s1 s2 … [SEP] of at most `length`
 * ids, as BERT's pretraining data: a row ends before the sentence that would overflow it; a sentence longer
 * than a whole row is cut.
 */
export function packSegments(sentences: readonly (readonly number[])[], { length, clsId, sepId }: { length: number; clsId: number; sepId: number }): number[][] {
  if (!Number.isInteger(length) || length < 3) throw new Error(`packSegments: length must be an integer >= 3, got ${length}`);
  const room = length - 2;
  const rows: number[][] = [];
  let current: number[] = [];
  const flush = () => {
    if (current.length > 0) rows.push([clsId, ...current, sepId]);
    current = [];
  };
  for (const sentence of sentences) {
    if (sentence.length === 0) continue;
    if (current.length + sentence.length > room) flush();
    current.push(...sentence.slice(0, room));
  }
  flush();
  return rows;
}

/**
 * A smaller vocabulary over a big one: the given special ids first, then the `maxSize − specials` most
 * frequent ids of a corpus; every other id becomes `unkId`. Keeps a tiny model's embedding table small.
 */
export class CompactVocabulary {
  /** compact id → original id. */
  readonly originalIds: number[];
  private readonly compactOf = new Map<number, number>();

  constructor(corpus: Iterable<readonly number[]>, { maxSize, specialIds, unkId }: { maxSize: number; specialIds: readonly number[]; unkId: number }) {
    if (!specialIds.includes(unkId)) throw new Error(`CompactVocabulary: unkId ${unkId} must be one of the special ids`);
    if (maxSize < specialIds.length) throw new Error(`CompactVocabulary: maxSize ${maxSize} is smaller than the ${specialIds.length} special ids`);
    const counts = new Map<number, number>();
    for (const row of corpus) for (const id of row) counts.set(id, (counts.get(id) ?? 0) + 1);
    const special = new Set(specialIds);
    // Most frequent first; ties by id so the vocabulary is the same on every run.
    const frequent = [...counts].filter(([id]) => !special.has(id)).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    this.originalIds = [...specialIds, ...frequent.slice(0, maxSize - specialIds.length).map(([id]) => id)];
    this.originalIds.forEach((id, compact) => this.compactOf.set(id, compact));
    this.unkCompactId = this.compactOf.get(unkId)!;
  }
  readonly unkCompactId: number;

  get size(): number {
    return this.originalIds.length;
  }
  /** Compact id of an original id (or of an original special id: the same position as given). */
  compact(id: number): number {
    return this.compactOf.get(id) ?? this.unkCompactId;
  }
  encode(ids: readonly number[]): number[] {
    return ids.map((id) => this.compact(id));
  }
  decode(ids: readonly number[]): number[] {
    return ids.map((id) => this.originalIds[id]);
  }
}
