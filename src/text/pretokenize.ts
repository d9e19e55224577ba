// Pre-tokenizers: split normalized text into words before the model (WordPiece / BPE) sees them.
// Every piece stays a NormalizedText, so offsets point into the user's original string.

import { byteLevelEncode } from './byte-level.js';
import { NormalizedText, forEachCodePoint } from './normalized-text.js';
import { onigurumaToJsRegExp } from './regex.js';
import { isBertPunctuation, isWhitespace } from './unicode.js';

export interface PreTokenizer {
  split(piece: NormalizedText): NormalizedText[];
}

/** BERT: split on whitespace, and make every punctuation character a word of its own. */
export class BertPreTokenizer implements PreTokenizer {
  split(piece: NormalizedText): NormalizedText[] {
    const words: NormalizedText[] = [];
    let wordStart = -1;
    const close = (at: number) => {
      if (wordStart >= 0) words.push(piece.slice(wordStart, at));
      wordStart = -1;
    };
    forEachCodePoint(piece.text, (char, index, next) => {
      if (isWhitespace(char)) {
        close(index);
      } else if (isBertPunctuation(char)) {
        close(index);
        words.push(piece.slice(index, next));
      } else if (wordStart < 0) {
        wordStart = index;
      }
    });
    close(piece.length);
    return words;
  }
}

export type SplitBehavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';

/**
 * Splits on the matches of `pattern`; `behavior` says what happens to the matched text (HF semantics).
 * With `invert`, the pattern describes the kept pieces instead of the delimiters.
 */
export function splitByPattern(piece: NormalizedText, pattern: RegExp, behavior: SplitBehavior, invert = false): NormalizedText[] {
  // Spans over the piece: [start, end, isDelimiter].
  const spans: [number, number, boolean][] = [];
  let previous = 0;
  for (const match of piece.text.matchAll(pattern)) {
    const start = match.index!;
    const end = start + match[0].length;
    if (end === start) continue;
    if (start > previous) spans.push([previous, start, invert]);
    spans.push([start, end, !invert]);
    previous = end;
  }
  if (previous < piece.length) spans.push([previous, piece.length, invert]);

  const merged: [number, number][] = [];
  for (let i = 0; i < spans.length; i++) {
    const [start, end, isDelimiter] = spans[i];
    if (!isDelimiter) {
      merged.push([start, end]);
      continue;
    }
    switch (behavior) {
      case 'Removed':
        break;
      case 'Isolated':
        merged.push([start, end]);
        break;
      case 'Contiguous': {
        const last = spans[i - 1];
        if (last && last[2] && merged.length > 0 && merged[merged.length - 1][1] === start) merged[merged.length - 1][1] = end;
        else merged.push([start, end]);
        break;
      }
      case 'MergedWithPrevious':
        if (i > 0 && !spans[i - 1][2]) merged[merged.length - 1][1] = end;
        else merged.push([start, end]);
        break;
      case 'MergedWithNext':
        if (i + 1 < spans.length && !spans[i + 1][2]) {
          spans[i + 1][0] = start;
        } else merged.push([start, end]);
        break;
      default:
        throw new Error(`sinew.text: unsupported Split behavior "${behavior}"`);
    }
  }
  return merged.map(([start, end]) => piece.slice(start, end));
}

/** GPT-2's word pattern: contractions, letters, digits, other symbols, each with at most one leading space. */
export const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** Byte-level pre-tokenizer (GPT-2, RoBERTa, Llama 3): optional GPT-2 split, then bytes → printable characters. */
export class ByteLevelPreTokenizer implements PreTokenizer {
  constructor(
    readonly addPrefixSpace = false,
    readonly useRegex = true,
  ) {}

  split(piece: NormalizedText): NormalizedText[] {
    let text = piece;
    if (this.addPrefixSpace && !text.text.startsWith(' ')) text = withLeadingSpace(text);
    const words = this.useRegex ? splitByPattern(text, GPT2_PATTERN, 'Removed', true) : [text];
    return words.map(byteLevelEncode);
  }
}

function withLeadingSpace(piece: NormalizedText): NormalizedText {
  const at = piece.length > 0 ? piece.starts[0] : 0;
  const starts = new Int32Array(piece.length + 1).fill(at);
  const ends = new Int32Array(piece.length + 1).fill(at);
  starts.set(piece.starts, 1);
  ends.set(piece.ends, 1);
  return new NormalizedText(' ' + piece.text, starts, ends);
}

function patternSplitter(pattern: RegExp, behavior: SplitBehavior, invert: boolean): PreTokenizer {
  return { split: (piece) => splitByPattern(piece, pattern, behavior, invert) };
}

/** tokenizer.json `pre_tokenizer` section → PreTokenizer (null when absent). Unknown types fail by name. */
export function preTokenizerFromConfig(config: any): PreTokenizer | null {
  if (config === null || config === undefined) return null;
  switch (config.type) {
    case 'BertPreTokenizer':
      return new BertPreTokenizer();
    case 'ByteLevel':
      return new ByteLevelPreTokenizer(config.add_prefix_space ?? false, config.use_regex ?? true);
    case 'WhitespaceSplit':
      return patternSplitter(/\S+/gu, 'Removed', true);
    case 'Whitespace':
      return patternSplitter(/\w+|[^\w\s]+/gu, 'Removed', true);
    case 'Digits':
      // ASCII digits only, as in Hugging Face (fullwidth and other scripts' digits stay in their words).
      return patternSplitter(config.individual_digits ? /[0-9]/gu : /[0-9]+/gu, 'Isolated', false);
    case 'Split': {
      const pattern = config.pattern ?? {};
      let regex: RegExp;
      if (typeof pattern.String === 'string') regex = new RegExp(pattern.String.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gu');
      else if (typeof pattern.Regex === 'string') regex = onigurumaToJsRegExp(pattern.Regex);
      else throw new Error('sinew.text: Split pre-tokenizer needs pattern.String or pattern.Regex');
      return patternSplitter(regex, config.behavior ?? 'Isolated', config.invert ?? false);
    }
    case 'Sequence': {
      const steps: PreTokenizer[] = (config.pretokenizers ?? []).map(preTokenizerFromConfig).filter((p: PreTokenizer | null) => p);
      return { split: (piece) => steps.reduce((pieces, step) => pieces.flatMap((p) => step.split(p)), [piece]) };
    }
    default:
      throw new Error(
        `sinew.text: unsupported pre_tokenizer type "${config.type}" in tokenizer.json ` +
          '(supported: BertPreTokenizer, ByteLevel, Whitespace, WhitespaceSplit, Digits, Split, Sequence)',
      );
  }
}
