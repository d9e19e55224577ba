// Decoders: token strings back to text (WordPiece joins `##` pieces, byte-level maps bytes back to UTF-8).

import { byteLevelDecode } from './byte-level.js';

export interface Decoder {
  /** `isAddedToken(t)`: added tokens are copied verbatim rather than decoded as model pieces. */
  decode(tokens: string[], isAddedToken: (token: string) => boolean): string;
}

/** Hugging Face's `clean_up_tokenization`: remove the spaces word-level joining puts before punctuation and clitics. */
export function cleanUpTokenization(text: string): string {
  return text
    .replace(/ \./g, '.')
    .replace(/ \?/g, '?')
    .replace(/ !/g, '!')
    .replace(/ ,/g, ',')
    .replace(/ ' /g, "'")
    .replace(/ n't/g, "n't")
    .replace(/ 'm/g, "'m")
    .replace(/ 's/g, "'s")
    .replace(/ 've/g, "'ve")
    .replace(/ 're/g, "'re");
}

/** WordPiece: `##` continuations glue to the previous piece, other tokens are separated by a space. */
export class WordPieceDecoder implements Decoder {
  constructor(
    readonly prefix = '##',
    readonly cleanup = true,
  ) {}

  decode(tokens: string[]): string {
    const parts = tokens.map((token, i) => {
      let part = token;
      if (i > 0) part = this.prefix && token.startsWith(this.prefix) ? token.slice(this.prefix.length) : ' ' + token;
      return this.cleanup ? cleanUpTokenization(part) : part;
    });
    return parts.join('');
  }
}

/** Byte-level: consecutive model tokens are decoded together, so characters split across tokens come back whole. */
export class ByteLevelDecoder implements Decoder {
  decode(tokens: string[], isAddedToken: (token: string) => boolean): string {
    const parts: string[] = [];
    let run: string[] = [];
    for (const token of tokens) {
      if (isAddedToken(token)) {
        if (run.length > 0) parts.push(byteLevelDecode(run));
        run = [];
        parts.push(token);
      } else run.push(token);
    }
    if (run.length > 0) parts.push(byteLevelDecode(run));
    return parts.join('');
  }
}

/** tokenizer.json `decoder` section → Decoder (null when absent: tokens are joined with spaces). */
export function decoderFromConfig(config: any): Decoder | null {
  if (config === null || config === undefined) return null;
  switch (config.type) {
    case 'WordPiece':
      return new WordPieceDecoder(config.prefix ?? '##', config.cleanup ?? true);
    case 'ByteLevel':
      return new ByteLevelDecoder();
    default:
      throw new Error(`sinew.text: unsupported decoder type "${config.type}" in tokenizer.json (supported: WordPiece, ByteLevel)`);
  }
}
