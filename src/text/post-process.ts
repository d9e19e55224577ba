// Post-processors: add the special tokens around one sequence or a pair and assign token type ids.
//   BERT:    [CLS] A [SEP]            pair: [CLS] A [SEP] B [SEP]         types 0…0 1…1
//   RoBERTa: <s> A </s>               pair: <s> A </s> </s> B </s>        types 0…0 1…1
//   Template (Llama 3 etc.): whatever the tokenizer.json template lists, with its type ids.

import type { Token } from './model.js';

/** Tokens after post-processing, with their type ids and which of them the processor inserted. */
export interface ProcessedTokens {
  tokens: Token[];
  typeIds: number[];
  special: boolean[];
}

export interface PostProcessor {
  process(first: Token[], second: Token[] | null, addSpecialTokens: boolean, original: [string, string | null]): ProcessedTokens;
  /** How many special tokens `process` adds (what truncation must leave room for). */
  specialTokenCount(pair: boolean): number;
}

/** A special token the processor inserts: [string, id]. */
export type SpecialToken = [string, number];

const specialToken = ([value, id]: SpecialToken): Token => ({ id, value, offsets: [0, 0] });

/** The processed output with no special tokens: what `addSpecialTokens: false` and a missing processor give. */
export function concatenate(first: Token[], second: Token[] | null): ProcessedTokens {
  const tokens = second ? first.concat(second) : first.slice();
  const typeIds = tokens.map((_, i) => (i < first.length ? 0 : 1));
  return { tokens, typeIds, special: tokens.map(() => false) };
}

/** Builds a sequence from parts: special tokens, or a run of text tokens, each with a type id. */
class Assembler {
  readonly out: ProcessedTokens = { tokens: [], typeIds: [], special: [] };
  special(token: SpecialToken, typeId: number): this {
    this.out.tokens.push(specialToken(token));
    this.out.typeIds.push(typeId);
    this.out.special.push(true);
    return this;
  }
  text(tokens: Token[], typeId: number): this {
    for (const token of tokens) {
      this.out.tokens.push(token);
      this.out.typeIds.push(typeId);
      this.out.special.push(false);
    }
    return this;
  }
}

/** BERT: [CLS] A [SEP] (B [SEP]). */
export class BertProcessing implements PostProcessor {
  constructor(
    readonly cls: SpecialToken,
    readonly sep: SpecialToken,
  ) {}

  process(first: Token[], second: Token[] | null, addSpecialTokens: boolean): ProcessedTokens {
    if (!addSpecialTokens) return concatenate(first, second);
    const out = new Assembler().special(this.cls, 0).text(first, 0).special(this.sep, 0);
    if (second) out.text(second, 1).special(this.sep, 1);
    return out.out;
  }

  specialTokenCount(pair: boolean): number {
    return pair ? 3 : 2;
  }
}

/** Moves offsets past leading/trailing spaces, which byte-level tokens carry at their start (`Ġword`). */
export function trimOffsets(tokens: Token[], text: string): void {
  for (const token of tokens) {
    let [start, end] = token.offsets;
    while (start < end && text[start] === ' ') start++;
    while (end > start && text[end - 1] === ' ') end--;
    token.offsets = [start, end];
  }
}

/** RoBERTa: <s> A </s> (</s> B </s>), optionally trimming spaces out of offsets. */
export class RobertaProcessing implements PostProcessor {
  constructor(
    readonly cls: SpecialToken,
    readonly sep: SpecialToken,
    readonly trim = true,
  ) {}

  process(first: Token[], second: Token[] | null, addSpecialTokens: boolean, original: [string, string | null]): ProcessedTokens {
    if (this.trim) {
      trimOffsets(first, original[0]);
      if (second) trimOffsets(second, original[1] ?? '');
    }
    if (!addSpecialTokens) return concatenate(first, second);
    const out = new Assembler().special(this.cls, 0).text(first, 0).special(this.sep, 0);
    if (second) out.special(this.sep, 1).text(second, 1).special(this.sep, 1);
    return out.out;
  }

  specialTokenCount(pair: boolean): number {
    return pair ? 4 : 2;
  }
}

/** Byte-level post-processing: no special tokens, offsets optionally trimmed. */
export class ByteLevelProcessing implements PostProcessor {
  constructor(readonly trim = false) {}

  process(first: Token[], second: Token[] | null, _addSpecialTokens: boolean, original: [string, string | null]): ProcessedTokens {
    if (this.trim) {
      trimOffsets(first, original[0]);
      if (second) trimOffsets(second, original[1] ?? '');
    }
    return concatenate(first, second);
  }

  specialTokenCount(): number {
    return 0;
  }
}

type TemplatePiece = { special: SpecialToken; typeId: number } | { sequence: 'A' | 'B'; typeId: number };

/** tokenizer.json TemplateProcessing: `single` and `pair` templates of special tokens and sequences A / B. */
export class TemplateProcessing implements PostProcessor {
  constructor(
    readonly single: TemplatePiece[],
    readonly pair: TemplatePiece[],
  ) {}

  process(first: Token[], second: Token[] | null, addSpecialTokens: boolean): ProcessedTokens {
    const out = new Assembler();
    for (const piece of second ? this.pair : this.single) {
      if ('special' in piece) {
        if (addSpecialTokens) out.special(piece.special, piece.typeId);
      } else {
        out.text(piece.sequence === 'A' ? first : (second ?? []), piece.typeId);
      }
    }
    return out.out;
  }

  specialTokenCount(pair: boolean): number {
    return (pair ? this.pair : this.single).filter((piece) => 'special' in piece).length;
  }
}

/** Applies processors in order; only the last may add special tokens (how tokenizer.json files use Sequence). */
class SequenceProcessing implements PostProcessor {
  constructor(readonly steps: PostProcessor[]) {}

  process(first: Token[], second: Token[] | null, addSpecialTokens: boolean, original: [string, string | null]): ProcessedTokens {
    if (this.steps.length === 0) return concatenate(first, second);
    for (const step of this.steps.slice(0, -1)) step.process(first, second, false, original);
    return this.steps[this.steps.length - 1].process(first, second, addSpecialTokens, original);
  }

  specialTokenCount(pair: boolean): number {
    return this.steps.reduce((count, step) => count + step.specialTokenCount(pair), 0);
  }
}

function templateFromConfig(items: any[], specialTokens: Record<string, { ids: number[]; tokens: string[] }>): TemplatePiece[] {
  return (items ?? []).map((item: any) => {
    if (item.SpecialToken) {
      const name = item.SpecialToken.id;
      const entry = specialTokens?.[name];
      if (!entry || entry.ids.length !== 1) {
        throw new Error(`sinew.text: TemplateProcessing special token ${JSON.stringify(name)} is missing or spans several ids`);
      }
      return { special: [entry.tokens[0] ?? name, entry.ids[0]] as SpecialToken, typeId: item.SpecialToken.type_id ?? 0 };
    }
    if (item.Sequence) return { sequence: item.Sequence.id === 'B' ? 'B' : 'A', typeId: item.Sequence.type_id ?? 0 };
    throw new Error(`sinew.text: unknown TemplateProcessing item ${JSON.stringify(item)}`);
  });
}

/** tokenizer.json `post_processor` section → PostProcessor (null when absent). Unknown types fail by name. */
export function postProcessorFromConfig(config: any): PostProcessor | null {
  if (config === null || config === undefined) return null;
  switch (config.type) {
    case 'BertProcessing':
      return new BertProcessing(config.cls, config.sep);
    case 'RobertaProcessing':
      return new RobertaProcessing(config.cls, config.sep, config.trim_offsets ?? true);
    case 'ByteLevel':
      return new ByteLevelProcessing(config.trim_offsets ?? false);
    case 'TemplateProcessing':
      return new TemplateProcessing(
        templateFromConfig(config.single, config.special_tokens),
        templateFromConfig(config.pair, config.special_tokens),
      );
    case 'Sequence':
      return new SequenceProcessing((config.processors ?? []).map(postProcessorFromConfig).filter((p: PostProcessor | null) => p));
    default:
      throw new Error(
        `sinew.text: unsupported post_processor type "${config.type}" in tokenizer.json ` +
          '(supported: BertProcessing, RobertaProcessing, ByteLevel, TemplateProcessing, Sequence)',
      );
  }
}
