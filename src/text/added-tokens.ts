// Added tokens ([CLS], [MASK], <|endoftext|>, …): found in the text before normalization (or after it, for
// tokens marked `normalized`) and kept whole, so a literal "[MASK]" in the input becomes the [MASK] id.

import type { NormalizedText } from './normalized-text.js';
import { isWhitespace } from './unicode.js';

export interface AddedToken {
  content: string;
  id: number;
  /** Special tokens are dropped by decode({skipSpecialTokens: true}). */
  special: boolean;
  /** Matched against normalized text rather than the raw input. */
  normalized: boolean;
  /** Swallow the whitespace on its left / right. */
  lstrip: boolean;
  rstrip: boolean;
  /** Only matched as a whole word (no letter or digit right before or after it). */
  singleWord: boolean;
}

export function addedTokenFromConfig(config: any): AddedToken {
  if (typeof config?.content !== 'string' || !Number.isInteger(config?.id)) {
    throw new Error(`sinew.text: added token ${JSON.stringify(config)} needs a string content and an integer id`);
  }
  const special = config.special ?? false;
  return {
    content: config.content,
    id: config.id,
    special,
    normalized: config.normalized ?? !special,
    lstrip: config.lstrip ?? false,
    rstrip: config.rstrip ?? false,
    singleWord: config.single_word ?? false,
  };
}

const wordCharacter = /[\p{L}\p{N}_]/u;

/** Nothing word-like touches [start, end) on either side. */
function isWordBoundary(text: string, start: number, end: number): boolean {
  const before = start > 0 ? String.fromCodePoint(text.codePointAt(start - 1)!) : '';
  const after = end < text.length ? String.fromCodePoint(text.codePointAt(end)!) : '';
  return !wordCharacter.test(before) && !wordCharacter.test(after);
}

/** A piece of text: either an added token, or plain text for the normal pipeline. */
export interface Segment {
  text: NormalizedText;
  token: AddedToken | null;
}

/** Finds added tokens in text: at each position, the longest one that starts there. */
export class AddedTokenMatcher {
  private byFirstUnit = new Map<string, AddedToken[]>();

  constructor(tokens: Iterable<[string, AddedToken]>) {
    for (const [content, token] of tokens) {
      if (content.length === 0) continue;
      const list = this.byFirstUnit.get(content[0]) ?? [];
      list.push({ ...token, content });
      this.byFirstUnit.set(content[0], list);
    }
    for (const list of this.byFirstUnit.values()) list.sort((a, b) => b.content.length - a.content.length);
  }

  get isEmpty(): boolean {
    return this.byFirstUnit.size === 0;
  }

  split(input: NormalizedText): Segment[] {
    if (this.isEmpty) return [{ text: input, token: null }];
    const text = input.text;
    const matches: [number, number, AddedToken][] = [];
    for (let i = 0; i < text.length; ) {
      const found = this.byFirstUnit
        .get(text[i])
        ?.find((token) => text.startsWith(token.content, i) && (!token.singleWord || isWordBoundary(text, i, i + token.content.length)));
      if (found) {
        matches.push([i, i + found.content.length, found]);
        i += found.content.length;
      } else i++;
    }
    const segments: Segment[] = [];
    let previous = 0;
    for (let m = 0; m < matches.length; m++) {
      const [start, end, token] = matches[m];
      let plainEnd = start;
      if (token.lstrip) while (plainEnd > previous && isWhitespace(text[plainEnd - 1])) plainEnd--;
      if (plainEnd > previous) segments.push({ text: input.slice(previous, plainEnd), token: null });
      segments.push({ text: input.slice(start, end), token });
      previous = end;
      if (token.rstrip) {
        const limit = m + 1 < matches.length ? matches[m + 1][0] : text.length;
        while (previous < limit && isWhitespace(text[previous])) previous++;
      }
    }
    if (previous < text.length) segments.push({ text: input.slice(previous, text.length), token: null });
    return segments;
  }
}
