// Character classes the tokenizers agree on with Hugging Face `tokenizers` (BERT's basic tokenizer),
// and the UTF-16 validity check every entry point runs first.

/** Throws a clear Error when `text` holds a lone surrogate (invalid UTF-16): tokenizers would silently mangle it. */
export function assertWellFormedText(text: string, where = 'text'): void {
  if (typeof text !== 'string') {
    throw new Error(`sinew.text: ${where} must be a string, got ${text === null ? 'null' : typeof text}`);
  }
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    const isHigh = unit <= 0xdbff;
    const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
    if (isHigh && next >= 0xdc00 && next <= 0xdfff) {
      i++;
      continue;
    }
    const hex = unit.toString(16).toUpperCase();
    throw new Error(
      `sinew.text: invalid UTF-16 in ${where}: lone ${isHigh ? 'high' : 'low'} surrogate U+${hex} at index ${i}`,
    );
  }
}

/** CJK Unified Ideographs blocks, as BERT defines "Chinese character" (Hangul and kana are not in it). */
export function isChineseCodePoint(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

// BERT counts every ASCII non-alphanumeric printable as punctuation (e.g. `$`, `^`, `` ` ``), plus Unicode P*.
const punctuationPattern = /^[\p{P}\u0021-\u002F\u003A-\u0040\u005B-\u0060\u007B-\u007E]$/u;
const controlPattern = /^[\p{Cc}\p{Cf}\p{Co}\p{Cs}]$/u;
const whitespacePattern = /^\s$/u;
const combiningMarkPattern = /^\p{Mn}$/u;

// ASCII answers without a regex: most text is ASCII and these run once per character.
const enum Ascii {
  Other = 0,
  Punctuation = 1,
  Control = 2,
  Whitespace = 3,
}
const asciiClass = new Uint8Array(128).map((_, code) => {
  if (code === 9 || code === 10 || code === 13 || code === 32 || code === 11 || code === 12) {
    return code === 11 || code === 12 ? Ascii.Control : Ascii.Whitespace;
  }
  if (code < 32 || code === 127) return Ascii.Control;
  const char = String.fromCharCode(code);
  return /[0-9A-Za-z]/.test(char) ? Ascii.Other : Ascii.Punctuation;
});

/** `char` is one code point. */
export function isBertPunctuation(char: string): boolean {
  const code = char.charCodeAt(0);
  if (code < 128) return asciiClass[code] === Ascii.Punctuation;
  return punctuationPattern.test(char);
}

/** Control and format characters BERT drops; tab, newline and carriage return count as whitespace instead. */
export function isBertControl(char: string): boolean {
  const code = char.charCodeAt(0);
  if (code < 128) return asciiClass[code] === Ascii.Control;
  return controlPattern.test(char);
}

export function isWhitespace(char: string): boolean {
  const code = char.charCodeAt(0);
  if (code < 128) return code === 32 || (code >= 9 && code <= 13);
  return whitespacePattern.test(char);
}

/** Nonspacing marks: what accent stripping removes after NFD. */
export function isNonspacingMark(char: string): boolean {
  return combiningMarkPattern.test(char);
}
