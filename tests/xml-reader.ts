// A strict reader for the subset of XML an SVG writer produces, for tests that check generated SVG:
// one root, balanced tags, quoted unique attributes, only the five predefined entities and numeric
// references, no bare '&' or '<' in text. No comments, CDATA or doctype (sinew never writes them).

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Character data with its entity references resolved; throws on a bare '&' or '<' or an unknown entity. */
function decodeText(raw: string, where: string): string {
  if (raw.includes('<')) throw new Error(`XML: '<' in ${where}`);
  return raw.replace(/&([^;]*);?/g, (match, name: string) => {
    if (!match.endsWith(';')) throw new Error(`XML: unterminated entity in ${where}: ${JSON.stringify(match)}`);
    if (name in ENTITIES) return ENTITIES[name];
    const code = /^#(\d+)$/.exec(name)?.[1] ?? (/^#x([0-9a-f]+)$/i.exec(name)?.[1] !== undefined ? String(parseInt(name.slice(2), 16)) : undefined);
    if (code === undefined) throw new Error(`XML: unknown entity &${name}; in ${where}`);
    return String.fromCodePoint(Number(code));
  });
}

/** A strict reader for the subset of XML an SVG writer produces (no comments, CDATA or doctype). */
export function parseXml(source: string): XmlElement {
  const root: XmlElement = { name: '#document', attributes: {}, children: [], text: '' };
  const stack = [root];
  const tagPattern = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/y;
  let i = 0;
  while (i < source.length) {
    const lt = source.indexOf('<', i);
    const text = source.slice(i, lt === -1 ? source.length : lt);
    const top = stack[stack.length - 1];
    if (text.trim() !== '') {
      if (top === root) throw new Error(`XML: text outside the root element: ${JSON.stringify(text.slice(0, 40))}`);
      top.text += decodeText(text, `<${top.name}>`);
    }
    if (lt === -1) break;
    tagPattern.lastIndex = lt;
    const m = tagPattern.exec(source);
    if (!m) throw new Error(`XML: malformed tag at ${lt}: ${JSON.stringify(source.slice(lt, lt + 60))}`);
    const [whole, closing, name, attributeText, selfClosing] = m;
    if (closing) {
      if (attributeText || selfClosing) throw new Error(`XML: bad closing tag ${whole}`);
      const open = stack.pop()!;
      if (open.name !== name) throw new Error(`XML: </${name}> closes <${open.name}>`);
    } else {
      const attributes: Record<string, string> = {};
      for (const a of attributeText.matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        if (a[1] in attributes) throw new Error(`XML: attribute ${a[1]} repeated on <${name}>`);
        attributes[a[1]] = decodeText(a[2] ?? a[3], `attribute ${a[1]} of <${name}>`);
      }
      const element: XmlElement = { name, attributes, children: [], text: '' };
      if (top === root && root.children.length > 0) throw new Error('XML: more than one root element');
      top.children.push(element);
      if (!selfClosing) stack.push(element);
    }
    i = lt + whole.length;
  }
  if (stack.length !== 1) throw new Error(`XML: <${stack[stack.length - 1].name}> is never closed`);
  if (root.children.length !== 1) throw new Error('XML: no root element');
  return root.children[0];
}

export function findAll(element: XmlElement, predicate: (e: XmlElement) => boolean, out: XmlElement[] = []): XmlElement[] {
  if (predicate(element)) out.push(element);
  for (const child of element.children) findAll(child, predicate, out);
  return out;
}
export const byClass = (root: XmlElement, className: string) => findAll(root, (e) => e.attributes.class === className);

