// tokenizer.json split patterns are written for Oniguruma (the Rust crate's regex engine). The patterns
// real tokenizers use (GPT-2/4, Llama 3, Qwen) need only three translations to run as JavaScript `u`
// regexes: scoped case-insensitive groups `(?i:...)`, possessive quantifiers, and `\A` / `\z` anchors.

const isAsciiLetter = (char: string) => (char >= 'a' && char <= 'z') || (char >= 'A' && char <= 'Z');
const otherCase = (char: string) => (char === char.toLowerCase() ? char.toUpperCase() : char.toLowerCase());

/** Translates an Oniguruma pattern to a global Unicode JS RegExp; clear Error if it still does not compile. */
export function onigurumaToJsRegExp(pattern: string): RegExp {
  let out = '';
  const groupIsCaseless: boolean[] = [];
  let caseless = false;
  let inClass = false;
  let afterQuantifier = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '\\') {
      let escape = pattern.slice(i, i + 2);
      const braced = /^\\[pPx]\{[^}]*\}/.exec(pattern.slice(i));
      if (braced) escape = braced[0];
      i += escape.length - 1;
      if (escape === '\\A') escape = '^';
      else if (escape === '\\z' || escape === '\\Z') escape = '$';
      else if (escape.startsWith('\\x{')) escape = `\\u{${escape.slice(3, -1)}}`;
      out += escape;
      afterQuantifier = false;
      continue;
    }
    if (inClass) {
      if (char === ']') inClass = false;
      if (caseless && isAsciiLetter(char)) {
        // A letter range a-z also gets its other-case twin A-Z.
        if (pattern[i + 1] === '-' && isAsciiLetter(pattern[i + 2] ?? '')) {
          const last = pattern[i + 2];
          out += `${char}-${last}${otherCase(char)}-${otherCase(last)}`;
          i += 2;
        } else out += char + otherCase(char);
        continue;
      }
      out += char;
      continue;
    }
    if (char === '+' && afterQuantifier) {
      afterQuantifier = false; // possessive: JS has none; the greedy form matches the same on these patterns
      continue;
    }
    afterQuantifier = char === '*' || char === '+' || char === '?' || char === '}';
    if (char === '[') {
      inClass = true;
      out += char;
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') out += pattern[++i];
    } else if (char === '(') {
      groupIsCaseless.push(caseless);
      if (pattern.startsWith('(?i:', i)) {
        caseless = true;
        out += '(?:';
        i += 3;
      } else out += char;
    } else if (char === ')') {
      caseless = groupIsCaseless.pop() ?? false;
      out += char;
    } else if (caseless && isAsciiLetter(char)) {
      out += `[${char}${otherCase(char)}]`;
    } else {
      out += char;
    }
  }
  try {
    return new RegExp(out, 'gu');
  } catch (error) {
    throw new Error(`sinew.text: cannot translate the tokenizer.json split pattern ${JSON.stringify(pattern)}: ${(error as Error).message}`);
  }
}
