// Batch encodings: per-sequence token lists → padded, truncated rectangular id / mask / type-id arrays,
// and int32 tensors [B, T] for a model.

import { tensor } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import type { Token } from './model.js';
import type { ProcessedTokens } from './post-process.js';

/** One encoded sequence (after special tokens and truncation, before padding). */
export interface Encoding {
  ids: number[];
  tokens: string[];
  typeIds: number[];
  /** [start, end) UTF-16 ranges into the input text; special and padding tokens get [0, 0]. */
  offsets: [number, number][];
  /** 0 on padding, 1 elsewhere. */
  attentionMask: number[];
  /** 1 where the post-processor inserted a special token, and on padding (as Hugging Face marks it). */
  specialTokensMask: number[];
  /** Which input a token came from: 0 (first text), 1 (pair text), null (special / padding). */
  sequenceIds: (number | null)[];
}

export function encodingFromProcessed(processed: ProcessedTokens, firstLength: number): Encoding {
  let seen = 0;
  return {
    ids: processed.tokens.map((t) => t.id),
    tokens: processed.tokens.map((t) => t.value),
    typeIds: processed.typeIds.slice(),
    offsets: processed.tokens.map((t) => [t.offsets[0], t.offsets[1]] as [number, number]),
    attentionMask: processed.tokens.map(() => 1),
    specialTokensMask: processed.special.map((s) => (s ? 1 : 0)),
    sequenceIds: processed.special.map((s) => (s ? null : seen++ < firstLength ? 0 : 1)),
  };
}

export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';

/**
 * Drops tokens from the end so first + second ≤ budget. longest_first removes one token at a time from
 * whichever is longer (from the second on ties), as Hugging Face's Python tokenizers do.
 */
export function truncatePair(first: Token[], second: Token[] | null, budget: number, strategy: TruncationStrategy): void {
  const excess = first.length + (second?.length ?? 0) - Math.max(0, budget);
  if (excess <= 0) return;
  if (second === null || strategy === 'only_first') {
    if (excess > first.length) throw new Error(truncationError('first', first.length, excess));
    first.length -= excess;
    return;
  }
  if (strategy === 'only_second') {
    if (excess > second.length) throw new Error(truncationError('second', second.length, excess));
    second.length -= excess;
    return;
  }
  for (let i = 0; i < excess; i++) {
    if (first.length > second.length) first.length--;
    else second.length--;
  }
}

function truncationError(which: string, length: number, excess: number): string {
  return `sinew.text: cannot truncate: ${excess} tokens must go but the ${which} sequence has only ${length}`;
}

/** The tensors a model takes, all int32 [B, T]. */
export interface EncodedTensors {
  inputIds: Tensor;
  attentionMask: Tensor;
  tokenTypeIds: Tensor;
}

/**
 * A batch of encodings (shape legend: B texts, T tokens each after padding).
 * Without padding the rows may differ in length; toTensors() then fails with the lengths in the message.
 */
export class BatchEncoding {
  readonly inputIds: number[][];
  readonly attentionMask: number[][];
  readonly tokenTypeIds: number[][];
  readonly specialTokensMask: number[][];
  readonly tokens: string[][];
  /** Present when `returnOffsets` was asked for. */
  readonly offsets?: [number, number][][];

  constructor(
    readonly encodings: Encoding[],
    withOffsets: boolean,
  ) {
    this.inputIds = encodings.map((e) => e.ids);
    this.attentionMask = encodings.map((e) => e.attentionMask);
    this.tokenTypeIds = encodings.map((e) => e.typeIds);
    this.specialTokensMask = encodings.map((e) => e.specialTokensMask);
    this.tokens = encodings.map((e) => e.tokens);
    if (withOffsets) this.offsets = encodings.map((e) => e.offsets);
  }

  get length(): number {
    return this.inputIds.length;
  }

  /** int32 tensors [B, T]; the caller owns (and disposes) them. */
  toTensors(): EncodedTensors {
    const batch = this.inputIds.length;
    const width = batch > 0 ? this.inputIds[0].length : 0;
    const ragged = this.inputIds.findIndex((row) => row.length !== width);
    if (ragged >= 0) {
      throw new Error(
        `sinew.text: toTensors needs rows of equal length, but row 0 has ${width} tokens and row ${ragged} has ` +
          `${this.inputIds[ragged].length}; encode with {padding: true}`,
      );
    }
    const shape = [batch, width];
    const flat = (rows: number[][]) => {
      const out = new Int32Array(batch * width);
      rows.forEach((row, b) => out.set(row, b * width));
      return out;
    };
    return {
      inputIds: tensor(flat(this.inputIds), shape, 'int32'),
      attentionMask: tensor(flat(this.attentionMask), shape, 'int32'),
      tokenTypeIds: tensor(flat(this.tokenTypeIds), shape, 'int32'),
    };
  }
}

/** Pads `encoding` in place on the right to `length` with the padding token. */
export function padEncoding(encoding: Encoding, length: number, padId: number, padToken: string): void {
  while (encoding.ids.length < length) {
    encoding.ids.push(padId);
    encoding.tokens.push(padToken);
    encoding.typeIds.push(0);
    encoding.offsets.push([0, 0]);
    encoding.attentionMask.push(0);
    encoding.specialTokensMask.push(1);
    encoding.sequenceIds.push(null);
  }
}
