// Normalizers: text → text passes run before splitting into words. Each keeps the alignment to the
// original input (NormalizedText) so offsets survive lower-casing, accent stripping and CJK spacing.

import { AlignedBuilder, NormalizedText, forEachCodePoint } from './normalized-text.js';
import { isBertControl, isChineseCodePoint, isNonspacingMark, isWhitespace } from './unicode.js';

export interface Normalizer {
  normalize(input: NormalizedText): NormalizedText;
}

/** Rebuilds `input` one code point at a time; `map` returns the replacement ('' drops the character). */
function mapCodePoints(input: NormalizedText, map: (char: string) => string): NormalizedText {
  const out = new AlignedBuilder(input.length);
  forEachCodePoint(input.text, (char, index, next) => {
    const replacement = map(char);
    if (replacement.length > 0) {
      const [start, end] = input.originalRange(index, next);
      out.push(replacement, start, end);
    }
  });
  return out.build();
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
  const out = new AlignedBuilder(input.length);
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

/** Σ at `at` ends a word: a cased letter before it and none after it (case-ignorable characters skipped). */
function isFinalSigma(chars: string[], at: number, skipDropped = false): boolean {
  // With clean-text on, dropped control characters are not there when lower-casing runs: skip them too.
  const ignorable = (char: string) => caseIgnorable.test(char) || (skipDropped && (char === '\u0000' || char === '\ufffd' || isBertControl(char)));
  let before = at - 1;
  while (before >= 0 && ignorable(chars[before])) before--;
  if (before < 0 || !cased.test(chars[before])) return false;
  let after = at + 1;
  while (after < chars.length && ignorable(chars[after])) after++;
  return after >= chars.length || !cased.test(chars[after]);
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

  /** All four steps in one pass over the code points (the separate passes above cost 4× the allocation). */
  normalize(input: NormalizedText): NormalizedText {
    const { cleanText: clean, handleChineseChars, lowercase: lower, stripAccents } = this.options;
    const text = input.text;
    const out = new AlignedBuilder(text.length);
    // Final sigma needs the neighbours; only texts containing Σ pay for the code point array.
    const chars = lower && text.includes('\u03a3') ? Array.from(text) : null;
    let charIndex = 0;
    for (let i = 0; i < text.length; charIndex++) {
      const code = text.charCodeAt(i);
      const width = code >= 0xd800 && code <= 0xdbff && i + 1 < text.length ? 2 : 1;
      const next = i + width;
      const start = input.starts[i];
      const end = input.ends[next - 1];
      i = next;
      if (code < 0x80) {
        if (clean && (code === 0 || isBertControl(text[next - 1]))) continue;
        if (clean && isWhitespace(text[next - 1])) out.push(' ', start, end);
        else out.push(lower && code >= 65 && code <= 90 ? String.fromCharCode(code + 32) : text[next - 1], start, end);
        continue;
      }
      let char = width === 1 ? text[next - 1] : text.slice(next - 2, next);
      if (clean) {
        if (code === 0xfffd || isBertControl(char)) continue;
        if (isWhitespace(char)) char = ' ';
      }
      const isIdeograph = handleChineseChars && isChineseCodePoint(char.codePointAt(0)!);
      if (lower) char = char === '\u03a3' ? (isFinalSigma(chars!, charIndex, clean) ? '\u03c2' : '\u03c3') : char.toLowerCase();
      if (stripAccents) {
        let kept = '';
        for (const part of char.normalize('NFD')) if (!isNonspacingMark(part)) kept += part;
        char = kept;
      }
      if (isIdeograph) char = ` ${char} `;
      if (char.length > 0) out.push(char, start, end);
    }
    return out.build();
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
