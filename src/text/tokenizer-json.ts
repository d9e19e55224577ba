// Builds a Tokenizer from a Hugging Face `tokenizer.json` (+ optional tokenizer_config.json), or from the
// older plain files: BERT's vocab.txt, GPT-2's vocab.json + merges.txt.

import { type AddedToken, addedTokenFromConfig } from './added-tokens.js';
import { BpeModel, type Merge } from './bpe.js';
import { ByteLevelDecoder, WordPieceDecoder, decoderFromConfig } from './decode.js';
import type { TokenizerModel } from './model.js';
import { BertNormalizer, normalizerFromConfig } from './normalize.js';
import { BertProcessing, ByteLevelProcessing, RobertaProcessing, postProcessorFromConfig } from './post-process.js';
import { BertPreTokenizer, ByteLevelPreTokenizer, preTokenizerFromConfig } from './pretokenize.js';
import { type SpecialTokenNames, Tokenizer } from './tokenizer.js';
import { WordPieceModel } from './wordpiece.js';

/** The parts of tokenizer_config.json the tokenizer uses (all optional). */
export interface TokenizerConfig {
  do_lower_case?: boolean;
  strip_accents?: boolean | null;
  tokenize_chinese_chars?: boolean;
  model_max_length?: number;
  clean_up_tokenization_spaces?: boolean;
  add_prefix_space?: boolean;
  tokenizer_class?: string;
  unk_token?: string | { content: string };
  pad_token?: string | { content: string };
  cls_token?: string | { content: string };
  sep_token?: string | { content: string };
  mask_token?: string | { content: string };
  bos_token?: string | { content: string };
  eos_token?: string | { content: string };
  [key: string]: unknown;
}

const tokenName = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof (value as any)?.content === 'string' ? (value as any).content : undefined;

/** Special token names from tokenizer_config.json, falling back to the usual names present in the vocabulary. */
function specialTokenNames(config: TokenizerConfig, model: TokenizerModel, defaults: SpecialTokenNames): SpecialTokenNames {
  const names: SpecialTokenNames = {};
  const fields: [keyof SpecialTokenNames, unknown][] = [
    ['unk', config.unk_token],
    ['pad', config.pad_token],
    ['cls', config.cls_token],
    ['sep', config.sep_token],
    ['mask', config.mask_token],
    ['bos', config.bos_token],
    ['eos', config.eos_token],
  ];
  for (const [key, value] of fields) {
    const name = tokenName(value) ?? defaults[key];
    if (name !== undefined && model.tokenToId(name) !== undefined) names[key] = name;
  }
  return names;
}

// HF writes a huge sentinel (1e30) for "no limit".
const maxLengthOf = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 && value < 1e9 ? value : undefined;

function modelFromConfig(config: any): TokenizerModel {
  if (config === null || typeof config !== 'object') throw new Error('sinew.text: tokenizer.json has no "model" section');
  // Old files omit the type; Hugging Face infers it from the fields.
  const type = config.type ?? (config.merges ? 'BPE' : config.continuing_subword_prefix !== undefined ? 'WordPiece' : undefined);
  if (type !== 'WordPiece' && type !== 'BPE') {
    throw new Error(`sinew.text: unsupported tokenizer model type "${type ?? 'unknown'}" in tokenizer.json (supported: WordPiece, BPE)`);
  }
  if (config.vocab === null || typeof config.vocab !== 'object' || Array.isArray(config.vocab)) {
    throw new Error(`sinew.text: tokenizer.json ${type} model needs a "vocab" object of token → id`);
  }
  const vocab = Object.entries(config.vocab as Record<string, number>);
  if (type === 'WordPiece') {
    return new WordPieceModel(vocab, {
      unkToken: config.unk_token ?? '[UNK]',
      continuingSubwordPrefix: config.continuing_subword_prefix ?? '##',
      maxInputCharsPerWord: config.max_input_chars_per_word ?? 100,
    });
  }
  if (!Array.isArray(config.merges)) throw new Error('sinew.text: tokenizer.json BPE model needs a "merges" array');
  return new BpeModel(vocab, config.merges as Merge[], {
    unkToken: config.unk_token ?? null,
    continuingSubwordPrefix: config.continuing_subword_prefix ?? null,
    endOfWordSuffix: config.end_of_word_suffix ?? null,
    ignoreMerges: config.ignore_merges ?? false,
    byteFallback: config.byte_fallback ?? false,
  });
}

/** A Tokenizer from the contents of tokenizer.json (object or JSON text) and optionally tokenizer_config.json. */
export function tokenizerFromJson(json: object | string, config: TokenizerConfig = {}): Tokenizer {
  const spec: any = typeof json === 'string' ? JSON.parse(json) : json;
  if (spec === null || typeof spec !== 'object') throw new Error('sinew.text: tokenizer.json must be a JSON object');
  const model = modelFromConfig(spec.model);
  const addedTokens: AddedToken[] = (spec.added_tokens ?? []).map(addedTokenFromConfig);
  for (const token of addedTokens) model.addToken(token.content, token.id);
  const padding = spec.padding ?? {};
  const postProcessor = postProcessorFromConfig(spec.post_processor);
  const wrapping = postProcessor instanceof RobertaProcessing || postProcessor instanceof BertProcessing ? postProcessor : null;
  const defaults: SpecialTokenNames =
    model.kind === 'WordPiece'
      ? { unk: model.unkToken ?? undefined, pad: padding.pad_token ?? '[PAD]', cls: '[CLS]', sep: '[SEP]', mask: '[MASK]' }
      : {
          unk: model.unkToken ?? undefined,
          pad: padding.pad_token ?? '<pad>',
          cls: wrapping?.cls[0] ?? '<s>',
          sep: wrapping?.sep[0] ?? '</s>',
          mask: '<mask>',
          bos: '<s>',
          eos: '</s>',
        };
  return new Tokenizer({
    model,
    normalizer: normalizerFromConfig(spec.normalizer),
    preTokenizer: preTokenizerFromConfig(spec.pre_tokenizer),
    postProcessor,
    decoder: decoderFromConfig(spec.decoder),
    addedTokens,
    specialTokens: specialTokenNames(config, model, defaults),
    modelMaxLength: maxLengthOf(config.model_max_length) ?? maxLengthOf(spec.truncation?.max_length),
    cleanUpTokenizationSpaces: config.clean_up_tokenization_spaces,
  });
}

/** Special tokens present in the vocabulary, as added tokens (matched in raw text, never split). */
function namedAddedTokens(model: TokenizerModel, names: SpecialTokenNames): AddedToken[] {
  const seen = new Set<string>();
  const tokens: AddedToken[] = [];
  for (const name of Object.values(names)) {
    if (name === undefined || seen.has(name)) continue;
    seen.add(name);
    const id = model.tokenToId(name);
    if (id !== undefined) tokens.push({ content: name, id, special: true, normalized: false, lstrip: false, rstrip: false, singleWord: false });
  }
  return tokens;
}

/** A BERT WordPiece tokenizer from the text of vocab.txt (uncased by default, as bert-base-uncased). */
export function wordPieceFromVocab(vocabText: string, config: TokenizerConfig = {}): Tokenizer {
  const unk = tokenName(config.unk_token) ?? '[UNK]';
  const model = WordPieceModel.fromVocabText(vocabText, { unkToken: unk });
  const lowercase = config.do_lower_case ?? true;
  const names = specialTokenNames(config, model, { unk, pad: '[PAD]', cls: '[CLS]', sep: '[SEP]', mask: '[MASK]' });
  const cls = names.cls;
  const sep = names.sep;
  return new Tokenizer({
    model,
    normalizer: new BertNormalizer({
      lowercase,
      stripAccents: config.strip_accents ?? null,
      handleChineseChars: config.tokenize_chinese_chars ?? true,
    }),
    preTokenizer: new BertPreTokenizer(),
    postProcessor: cls && sep ? new BertProcessing([cls, model.tokenToId(cls)!], [sep, model.tokenToId(sep)!]) : null,
    decoder: new WordPieceDecoder('##', true),
    addedTokens: namedAddedTokens(model, names),
    specialTokens: names,
    modelMaxLength: maxLengthOf(config.model_max_length),
    cleanUpTokenizationSpaces: config.clean_up_tokenization_spaces,
  });
}

/**
 * A byte-level BPE tokenizer (GPT-2 family) from vocab.json (token → id) and merges.txt.
 * RoBERTa-style <s> A </s> wrapping when tokenizer_class names RoBERTa, otherwise none (GPT-2).
 */
export function byteLevelBpeFromFiles(vocabJson: Record<string, number> | string, mergesText: string, config: TokenizerConfig = {}): Tokenizer {
  const vocab = typeof vocabJson === 'string' ? (JSON.parse(vocabJson) as Record<string, number>) : vocabJson;
  const model = BpeModel.fromFiles(vocab, mergesText, { unkToken: tokenName(config.unk_token) ?? null });
  const isRoberta = /roberta/i.test(config.tokenizer_class ?? '');
  const names = specialTokenNames(
    config,
    model,
    isRoberta
      ? { unk: '<unk>', pad: '<pad>', cls: '<s>', sep: '</s>', mask: '<mask>', bos: '<s>', eos: '</s>' }
      : { unk: '<|endoftext|>', bos: '<|endoftext|>', eos: '<|endoftext|>' },
  );
  const postProcessor =
    isRoberta && names.cls && names.sep
      ? new RobertaProcessing([names.cls, model.tokenToId(names.cls)!], [names.sep, model.tokenToId(names.sep)!], true)
      : new ByteLevelProcessing(false);
  return new Tokenizer({
    model,
    preTokenizer: new ByteLevelPreTokenizer(config.add_prefix_space ?? isRoberta, true),
    postProcessor,
    decoder: new ByteLevelDecoder(),
    addedTokens: namedAddedTokens(model, names),
    specialTokens: names,
    modelMaxLength: maxLengthOf(config.model_max_length),
    cleanUpTokenizationSpaces: config.clean_up_tokenization_spaces ?? false,
  });
}
