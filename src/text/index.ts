// sinew.text: tokenizers compatible with Hugging Face `tokenizers` (WordPiece for BERT, byte-level BPE for GPT-2).

export { AutoTokenizer } from './auto.js';
export { Tokenizer } from './tokenizer.js';
export type { DecodeOptions, EncodeOptions, SpecialTokenNames, TextInput, TokenizerParts } from './tokenizer.js';
export { BatchEncoding } from './encoding.js';
export type { EncodedTensors, Encoding, TruncationStrategy } from './encoding.js';
export { byteLevelBpeFromFiles, tokenizerFromJson, wordPieceFromVocab } from './tokenizer-json.js';
export type { TokenizerConfig } from './tokenizer-json.js';
export { WordPieceModel } from './wordpiece.js';
export type { WordPieceOptions } from './wordpiece.js';
export { BpeModel } from './bpe.js';
export type { BpeOptions, Merge } from './bpe.js';
export type { Token, TokenizerModel } from './model.js';
export { BertNormalizer } from './normalize.js';
export type { Normalizer } from './normalize.js';
export { BertPreTokenizer, ByteLevelPreTokenizer } from './pretokenize.js';
export type { PreTokenizer } from './pretokenize.js';
export { BertProcessing, ByteLevelProcessing, RobertaProcessing, TemplateProcessing } from './post-process.js';
export type { PostProcessor } from './post-process.js';
export { ByteLevelDecoder, WordPieceDecoder } from './decode.js';
export type { Decoder } from './decode.js';
export { BYTE_TO_CHAR, CHAR_TO_BYTE } from './byte-level.js';
export { NormalizedText } from './normalized-text.js';
