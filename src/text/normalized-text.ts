// Text that remembers where each of its UTF-16 units came from in the original input, so tokens can
// report offsets into the string the user passed even after lower-casing, accent stripping or byte mapping.

/**
 * `text[i]` came from `original.slice(starts[i], ends[i])`. Units inserted by a normalizer (e.g. the spaces
 * around CJK characters) map to the range of the character that caused them.
 */
export class NormalizedText {
  constructor(
    readonly text: string,
    readonly starts: Int32Array,
    readonly ends: Int32Array,
  ) {}

  /** The identity alignment over `original`. */
  static fromOriginal(original: string, offset = 0): NormalizedText {
    const n = original.length;
    const starts = new Int32Array(n);
    const ends = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const code = original.charCodeAt(i);
      // Both halves of a surrogate pair map to the whole pair.
      if (code >= 0xd800 && code <= 0xdbff && i + 1 < n) {
        starts[i] = starts[i + 1] = offset + i;
        ends[i] = ends[i + 1] = offset + i + 2;
        i++;
      } else {
        starts[i] = offset + i;
        ends[i] = offset + i + 1;
      }
    }
    return new NormalizedText(original, starts, ends);
  }

  get length(): number {
    return this.text.length;
  }

  /** Units [from, to) with their alignment. */
  slice(from: number, to: number): NormalizedText {
    // Alignments are never mutated after construction, so views are safe and save a copy per word.
    return new NormalizedText(this.text.slice(from, to), this.starts.subarray(from, to), this.ends.subarray(from, to));
  }

  /** The original range covered by units [from, to); empty ranges sit at the start of unit `from`. */
  originalRange(from: number, to: number): [number, number] {
    if (to <= from) {
      const at = from < this.length ? this.starts[from] : this.length > 0 ? this.ends[this.length - 1] : 0;
      return [at, at];
    }
    let start = this.starts[from];
    let end = this.ends[from];
    for (let i = from + 1; i < to; i++) {
      if (this.starts[i] < start) start = this.starts[i];
      if (this.ends[i] > end) end = this.ends[i];
    }
    return [start, end];
  }
}

/** Accumulates output units with their original ranges; what every normalizer builds its result with. */
export class AlignedBuilder {
  private text = '';
  private starts: Int32Array;
  private ends: Int32Array;
  private length = 0;

  constructor(capacity = 16) {
    this.starts = new Int32Array(Math.max(16, capacity));
    this.ends = new Int32Array(Math.max(16, capacity));
  }

  /** Appends `piece`, every unit of it mapped to [start, end). */
  push(piece: string, start: number, end: number): void {
    const needed = this.length + piece.length;
    if (needed > this.starts.length) {
      const capacity = Math.max(needed, this.starts.length * 2);
      const starts = new Int32Array(capacity);
      const ends = new Int32Array(capacity);
      starts.set(this.starts.subarray(0, this.length));
      ends.set(this.ends.subarray(0, this.length));
      this.starts = starts;
      this.ends = ends;
    }
    for (let i = this.length; i < needed; i++) {
      this.starts[i] = start;
      this.ends[i] = end;
    }
    this.length = needed;
    this.text += piece;
  }

  build(): NormalizedText {
    return new NormalizedText(this.text, this.starts.subarray(0, this.length), this.ends.subarray(0, this.length));
  }
}

/** Calls `visit(char, index, nextIndex)` for each code point of `text`. */
export function forEachCodePoint(text: string, visit: (char: string, index: number, next: number) => void): void {
  for (let i = 0; i < text.length; ) {
    const code = text.charCodeAt(i);
    const width = code >= 0xd800 && code <= 0xdbff && i + 1 < text.length ? 2 : 1;
    visit(width === 1 ? text[i] : text.slice(i, i + 2), i, i + width);
    i += width;
  }
}
