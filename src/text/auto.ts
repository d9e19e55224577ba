// AutoTokenizer: load a tokenizer from a Hugging Face model folder on disk or at a URL, the way
// transformers' AutoTokenizer does: tokenizer.json when present, else vocab.txt (WordPiece) or
// vocab.json + merges.txt (byte-level BPE), with tokenizer_config.json (and special_tokens_map.json)
// for casing, special tokens and the maximum length.

import { nodeFileSystem } from '../runtime/node-fs.js';
import type { Tokenizer } from './tokenizer.js';
import { type TokenizerConfig, byteLevelBpeFromFiles, tokenizerFromJson, wordPieceFromVocab } from './tokenizer-json.js';

const isUrl = (location: string) => /^https?:\/\//i.test(location);

/** Reads `name` in the folder (or under the URL); null when the file does not exist. */
async function readOptional(location: string, name: string): Promise<string | null> {
  if (isUrl(location)) {
    const url = location.replace(/\/+$/, '') + '/' + name;
    const response = await fetch(url);
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(`sinew.text: fetching ${url} failed: HTTP ${response.status}`);
    return response.text();
  }
  const { fs, path } = await nodeFileSystem('sinew.text: reading a tokenizer folder');
  try {
    return await fs.readFile(path.join(location, name), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function parseJson(text: string, name: string, location: string): any {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`sinew.text: ${name} in ${location} is not valid JSON: ${(error as Error).message}`);
  }
}

export const AutoTokenizer = {
  /**
   * Loads the tokenizer of a model folder or URL.
   * @example const tokenizer = await AutoTokenizer.fromPretrained('./bert-base-uncased');
   */
  async fromPretrained(dirOrUrl: string): Promise<Tokenizer> {
    // A path or URL naming tokenizer.json itself means its folder.
    if (/(^|\/)tokenizer\.json$/.test(dirOrUrl)) dirOrUrl = dirOrUrl.slice(0, -'tokenizer.json'.length) || '.';
    const [configText, specialMapText] = await Promise.all([
      readOptional(dirOrUrl, 'tokenizer_config.json'),
      readOptional(dirOrUrl, 'special_tokens_map.json'),
    ]);
    // Older folders name their special tokens in special_tokens_map.json; tokenizer_config.json wins.
    const config: TokenizerConfig = {
      ...(specialMapText === null ? {} : parseJson(specialMapText, 'special_tokens_map.json', dirOrUrl)),
      ...(configText === null ? {} : parseJson(configText, 'tokenizer_config.json', dirOrUrl)),
    };
    const tokenizerJson = await readOptional(dirOrUrl, 'tokenizer.json');
    if (tokenizerJson !== null) return tokenizerFromJson(parseJson(tokenizerJson, 'tokenizer.json', dirOrUrl), config);
    const vocabTxt = await readOptional(dirOrUrl, 'vocab.txt');
    if (vocabTxt !== null) return wordPieceFromVocab(vocabTxt, config);
    const [vocabJson, merges] = await Promise.all([readOptional(dirOrUrl, 'vocab.json'), readOptional(dirOrUrl, 'merges.txt')]);
    if (vocabJson !== null && merges !== null) return byteLevelBpeFromFiles(parseJson(vocabJson, 'vocab.json', dirOrUrl), merges, config);
    throw new Error(
      `sinew.text: no tokenizer found in ${dirOrUrl}: expected tokenizer.json, vocab.txt, or vocab.json + merges.txt`,
    );
  },
};
