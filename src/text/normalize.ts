// Normalizers: text → text passes run before splitting into words. Each keeps the alignment to the
// original input (NormalizedText) so offsets survive lower-casing, accent stripping and CJK spacing.

import { AlignedBuilder, NormalizedText, forEachCodePoint } from './normalized-text.js';
import { isBertControl, isChineseCodePoint, isNonspacingMark, isWhitespace } from './unicode.js';

export interface Normalizer {
  normalize(input: NormalizedText): NormalizedText;
}

/** Rebuilds `input` one code point at a time; `map` returns the replacement ('' drops the character). */
function mapCodePoints(input: NormalizedText, map: (char: string, index: number) => string): NormalizedText {
  const out = new AlignedBuilder();
  forEachCodePoint(input.text, (char, index, next) => {
    const replacement = map(char, index);
    if (replacement.length > 0) {
      const [start, end] = input.originalRange(index, next);
      out.push(replacement, start, end);
    }
  });
  return out.build();
}

/** Drops NUL, U+FFFD and control characters; every whitespace character becomes a plain space. */
export function cleanText(input: NormalizedText): NormalizedText {
  return mapCodePoints(input, (char) => {
    const code = char.charCodeAt(0);
    if (code === 0 || code === 0xfffd || isBertControl(char)) return '';
    return isWhitespace(char) ? ' ' : char;
  });
}

/** Surrounds each CJK ideograph with spaces so it becomes a word of its own. */
export function spaceChineseCharacters(input: NormalizedText): NormalizedText {
  return mapCodePoints(input, (char) => (isChineseCodePoint(char.codePointAt(0)!) ? ` ${char} ` : char));
}

const caseIgnorable = /^\p{Case_Ignorable}$/u;
const cased = /^\p{Cased}$/u;

/**
 * Full Unicode lower-casing, one code point at a time, with the one context-dependent rule JavaScript's
 * whole-string toLowerCase applies: a capital sigma that ends a word becomes final sigma `ς`.
 */
export function lowercase(input: NormalizedText): NormalizedText {
  const chars = Array.from(input.text);
  let unit = 0;
  const out = new AlignedBuilder();
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i];
    const next = unit + char.length;
    const lower = char === '\u03a3' ? (isFinalSigma(chars, i) ? '\u03c2' : '\u03c3') : char.toLowerCase();
    const [start, end] = input.originalRange(unit, next);
    out.push(lower, start, end);
    unit = next;
  }
  return out.build();
}

function isFinalSigma(chars: string[], at: number): boolean {
  let before = at - 1;
  while (before >= 0 && caseIgnorable.test(chars[before])) before--;
  if (before < 0 || !cased.test(chars[before])) return false;
  let after = at + 1;
  while (after < chars.length && caseIgnorable.test(chars[after])) after++;
  return after >= chars.length || !cased.test(chars[after]);
}

/** BERT's accent stripping: canonical decomposition, then drop nonspacing marks (é → e, ñ → n). */
export function stripAccentsBert(input: NormalizedText): NormalizedText {
  return mapCodePoints(input, (char) => {
    if (char.charCodeAt(0) < 0x80) return char;
    let kept = '';
    for (const part of char.normalize('NFD')) if (!isNonspacingMark(part)) kept += part;
    return kept;
  });
}

const anyMark = /^\p{M}$/u;

/** Unicode normalization form applied per cluster (a base character and the marks after it). */
export function unicodeNormalize(input: NormalizedText, form: 'NFC' | 'NFD' | 'NFKC' | 'NFKD'): NormalizedText {
  const out = new AlignedBuilder();
  const text = input.text;
  let clusterStart = 0;
  let clusterEnd = 0;
  const flush = () => {
    if (clusterEnd > clusterStart) {
      const [start, end] = input.originalRange(clusterStart, clusterEnd);
      out.push(text.slice(clusterStart, clusterEnd).normalize(form), start, end);
    }
    clusterStart = clusterEnd;
  };
  forEachCodePoint(text, (char, _index, next) => {
    if (!anyMark.test(char)) flush();
    clusterEnd = next;
  });
  flush();
  return out.build();
}

export interface BertNormalizerOptions {
  cleanText?: boolean;
  handleChineseChars?: boolean;
  lowercase?: boolean;
  /** null/undefined: follow `lowercase` (as BERT does). */
  stripAccents?: boolean | null;
}

/** BERT's basic-tokenizer normalization: clean, space CJK, lower-case, strip accents. */
export class BertNormalizer implements Normalizer {
  readonly options: Required<Omit<BertNormalizerOptions, 'stripAccents'>> & { stripAccents: boolean };
  constructor(options: BertNormalizerOptions = {}) {
    const lower = options.lowercase ?? true;
    this.options = {
      cleanText: options.cleanText ?? true,
      handleChineseChars: options.handleChineseChars ?? true,
      lowercase: lower,
      stripAccents: options.stripAccents ?? lower,
    };
  }

  normalize(input: NormalizedText): NormalizedText {
    let text = input;
    if (this.options.cleanText) text = cleanText(text);
    if (this.options.handleChineseChars) text = spaceChineseCharacters(text);
    if (this.options.lowercase) text = lowercase(text);
    if (this.options.stripAccents) text = stripAccentsBert(text);
    return text;
  }
}

/** tokenizer.json `normalizer` section → Normalizer (null when absent). Unknown types fail by name. */
export function normalizerFromConfig(config: any): Normalizer | null {
  if (config === null || config === undefined) return null;
  switch (config.type) {
    case 'BertNormalizer':
      return new BertNormalizer({
        cleanText: config.clean_text,
        handleChineseChars: config.handle_chinese_chars,
        lowercase: config.lowercase,
        stripAccents: config.strip_accents,
      });
    case 'Lowercase':
      return { normalize: lowercase };
    case 'StripAccents':
      // tokenizer.json pairs this with an NFD normalizer before it; it drops every combining mark.
      return { normalize: (input) => mapCodePoints(input, (char) => (anyMark.test(char) ? '' : char)) };
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD':
      return { normalize: (input) => unicodeNormalize(input, config.type) };
    case 'Strip':
      return { normalize: (input) => stripWhitespace(input, config.strip_left ?? true, config.strip_right ?? true) };
    case 'Prepend':
      return { normalize: (input) => prepend(input, String(config.prepend ?? '')) };
    case 'Sequence': {
      const steps = (config.normalizers ?? []).map(normalizerFromConfig).filter((n: Normalizer | null) => n !== null);
      return { normalize: (input) => steps.reduce((text: NormalizedText, step: Normalizer) => step.normalize(text), input) };
    }
    default:
      throw new Error(
        `sinew.text: unsupported normalizer type "${config.type}" in tokenizer.json ` +
          '(supported: BertNormalizer, Lowercase, StripAccents, NFC, NFD, NFKC, NFKD, Strip, Prepend, Sequence)',
      );
  }
}

function stripWhitespace(input: NormalizedText, left: boolean, right: boolean): NormalizedText {
  let from = 0;
  let to = input.length;
  if (left) while (from < to && isWhitespace(input.text[from])) from++;
  if (right) while (to > from && isWhitespace(input.text[to - 1])) to--;
  return input.slice(from, to);
}

function prepend(input: NormalizedText, prefix: string): NormalizedText {
  if (input.length === 0 || prefix.length === 0) return input;
  // The prefix covers no original text: an empty range at the first character.
  const at = input.starts[0];
  const starts = new Int32Array(prefix.length + input.length).fill(at);
  const ends = new Int32Array(prefix.length + input.length).fill(at);
  starts.set(input.starts, prefix.length);
  ends.set(input.ends, prefix.length);
  return new NormalizedText(prefix + input.text, starts, ends);
}
