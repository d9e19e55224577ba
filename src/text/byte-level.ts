// GPT-2's byte-level alphabet: every UTF-8 byte maps to one printable character, so BPE works on bytes
// (no unknown token is ever needed) while vocabularies stay JSON-friendly text.
// Printable Latin-1 bytes map to themselves; the other 68 (controls, space, NBSP, soft hyphen) are
// shifted to U+0100 upwards in byte order: space (0x20) → 'Ġ' (U+0120), newline (0x0A) → 'Ċ' (U+010A).

import { AlignedBuilder, NormalizedText, forEachCodePoint } from './normalized-text.js';

function isPrintableLatin1(byte: number): boolean {
  return (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
}

/** BYTE_TO_CHAR[b] is the character standing for byte b. */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const table: string[] = new Array(256);
  let shifted = 0;
  for (let byte = 0; byte < 256; byte++) {
    table[byte] = String.fromCharCode(isPrintableLatin1(byte) ? byte : 0x100 + shifted++);
  }
  return table;
})();

/** The inverse of BYTE_TO_CHAR. */
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((char, byte) => [char, byte]));

const utf8 = new TextEncoder();

/** Replaces each code point of `piece` by its UTF-8 bytes as byte-level characters, keeping the alignment. */
export function byteLevelEncode(piece: NormalizedText): NormalizedText {
  const out = new AlignedBuilder();
  forEachCodePoint(piece.text, (char, index, next) => {
    const code = char.charCodeAt(0);
    const [start, end] = piece.originalRange(index, next);
    if (code < 0x80) {
      out.push(BYTE_TO_CHAR[code], start, end);
      return;
    }
    let mapped = '';
    for (const byte of utf8.encode(char)) mapped += BYTE_TO_CHAR[byte];
    out.push(mapped, start, end);
  });
  return out.build();
}

/** Byte-level characters → the UTF-8 bytes they stand for; characters outside the alphabet are UTF-8 encoded as-is. */
export function byteLevelToBytes(text: string): Uint8Array {
  const bytes: number[] = [];
  for (const char of text) {
    const byte = CHAR_TO_BYTE.get(char);
    if (byte !== undefined) bytes.push(byte);
    else for (const raw of utf8.encode(char)) bytes.push(raw);
  }
  return Uint8Array.from(bytes);
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** Decodes byte-level tokens back to text; byte sequences that are not valid UTF-8 become U+FFFD. */
export function byteLevelDecode(tokens: readonly string[]): string {
  return utf8Decoder.decode(byteLevelToBytes(tokens.join('')));
}
