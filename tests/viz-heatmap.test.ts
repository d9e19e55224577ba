// The SVG heat map (src/viz/heatmap.ts): the output is parsed by a small strict XML reader (tests/xml-reader.ts:
// well-formed: one root, balanced tags, quoted attributes, only the five predefined entities), then
// checked for one cell per weight with the right value and colour order, labels escaped and round-tripped,
// panels per head, and clear errors on mismatched shapes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { averageMatrices, escapeXml, heatmapSvg, matricesFromArray, writeHeatmapSvg } from '../src/viz/heatmap.js';
import { byClass, parseXml } from './xml-reader.js';

/** Sum of the rgb channels: lower = darker. */
const darkness = (fill: string) => 765 - fill.match(/\d+/g)!.map(Number).reduce((a, b) => a + b, 0);

describe('the XML reader used by these tests', () => {
  it('rejects what is not well-formed', () => {
    expect(parseXml('<a x="1"><b/>t &amp; &#233;</a>').children[0].name).toBe('b');
    expect(parseXml('<a>&#233;&#x41;</a>').text).toBe('éA');
    expect(() => parseXml('<a><b></a>')).toThrow(/closes/);
    expect(() => parseXml('<a>x < y</a>')).toThrow(/malformed tag/);
    expect(() => parseXml('<a>fish & chips</a>')).toThrow(/entity/);
    expect(() => parseXml('<a x=1/>')).toThrow(/malformed/);
    expect(() => parseXml('<a/><b/>')).toThrow(/more than one root/);
    expect(() => parseXml('<a>')).toThrow(/never closed/);
  });
});

describe('heatmapSvg', () => {
  const labels = ['<s>', 'fish & chips', '"quoted"', "it's", 'x'];
  // A 5×4 matrix with distinct values (rows = queries, columns = keys).
  const weights = labels.map((_, r) => [0, 1, 2, 3].map((c) => (r * 4 + c) / 19));
  const columnLabels = ['k<0>', 'k&1', 'k2', 'k3'];

  it('is well-formed SVG with one cell per weight carrying its value, darker for larger weights', () => {
    const svg = heatmapSvg(weights, { rowLabels: labels, columnLabels, title: 'attention <mean> & "heads"' });
    const root = parseXml(svg);
    expect(root.name).toBe('svg');
    expect(root.attributes.xmlns).toBe('http://www.w3.org/2000/svg');
    const cells = byClass(root, 'cell');
    expect(cells.length).toBe(5 * 4);
    for (const cell of cells) {
      const r = Number(cell.attributes['data-row']);
      const c = Number(cell.attributes['data-column']);
      expect(Number(cell.attributes['data-value'])).toBe(weights[r][c]);
      expect(cell.children[0].name).toBe('title');
      expect(cell.children[0].text).toBe(`${labels[r]} → ${columnLabels[c]}: ${weights[r][c].toFixed(4)}`);
    }
    const ordered = cells.slice().sort((a, b) => Number(a.attributes['data-value']) - Number(b.attributes['data-value']));
    expect(ordered[0].attributes.fill).toBe('rgb(255,255,255)');
    for (let i = 1; i < ordered.length; i++) expect(darkness(ordered[i].attributes.fill)).toBeGreaterThan(darkness(ordered[i - 1].attributes.fill));
    // Cells tile a grid: distinct positions, row r below row r-1.
    expect(new Set(cells.map((c) => `${c.attributes.x},${c.attributes.y}`)).size).toBe(20);
    const cellAt = (r: number, c: number) => cells.find((e) => e.attributes['data-row'] === String(r) && e.attributes['data-column'] === String(c))!;
    expect(Number(cellAt(1, 0).attributes.y)).toBeGreaterThan(Number(cellAt(0, 0).attributes.y));
    expect(Number(cellAt(0, 1).attributes.x)).toBeGreaterThan(Number(cellAt(0, 0).attributes.x));
    // Labels and title come back exactly after unescaping; the raw text never holds them unescaped.
    expect(byClass(root, 'row-label').map((e) => e.text)).toEqual(labels);
    expect(byClass(root, 'column-label').map((e) => e.text)).toEqual(columnLabels);
    expect(byClass(root, 'title')[0].text).toBe('attention <mean> & "heads"');
    expect(svg).not.toContain('<s>');
    expect(svg).not.toContain('fish & chips');
    expect(byClass(root, 'value').length).toBe(20);
    expect(byClass(root, 'legend')[0].text).toBe('white = 0.000, darkest = 1.000; rows attend to columns');
    // Everything drawn lies inside the canvas.
    const width = Number(root.attributes.width);
    const height = Number(root.attributes.height);
    for (const cell of cells) {
      expect(Number(cell.attributes.x) + Number(cell.attributes.width)).toBeLessThanOrEqual(width);
      expect(Number(cell.attributes.y) + Number(cell.attributes.height)).toBeLessThanOrEqual(height);
    }
  });

  it('draws one panel per head with a shared colour scale', () => {
    const heads = matricesFromArray(Float32Array.from({ length: 2 * 3 * 3 }, (_, i) => i / 17), [2, 3, 3]);
    expect(heads[1][2][0]).toBeCloseTo(15 / 17, 6);
    const svg = heatmapSvg(heads.map((w, h) => ({ title: `head ${h + 1}`, weights: w })), { rowLabels: ['a', 'b', 'c'], showValues: false });
    const root = parseXml(svg);
    const panels = byClass(root, 'panel');
    expect(panels.length).toBe(2);
    expect(panels.map((p) => byClass(p, 'cell').length)).toEqual([9, 9]);
    expect(byClass(root, 'panel-title').map((e) => e.text)).toEqual(['head 1', 'head 2']);
    expect(byClass(root, 'value').length).toBe(0);
    // The largest weight overall (head 2, last cell) is the darkest; head 1's largest is lighter.
    const fills = panels.map((p) => byClass(p, 'cell').map((c) => darkness(c.attributes.fill)));
    expect(Math.max(...fills[1])).toBe(darkness('rgb(8,48,107)'));
    expect(Math.max(...fills[0])).toBeLessThan(Math.max(...fills[1]));
  });

  it('averages heads and reads flat arrays', () => {
    expect(averageMatrices([[[1, 2]], [[3, 6]]])).toEqual([[2, 4]]);
    expect(() => matricesFromArray([1, 2, 3], [2, 2])).toThrow(/3 values do not fill shape \[2,2\]/);
    expect(() => averageMatrices([])).toThrow(/no matrices/);
  });

  it('rejects a matrix that does not match the labels', () => {
    expect(() => heatmapSvg([[1, 2], [3]], { rowLabels: ['a', 'b'] })).toThrow(/panel 0 has shape \[2, 2\|1\], expected \[2, 2\]/);
    expect(() => heatmapSvg([[1, 2]], { rowLabels: ['a', 'b'] })).toThrow(/expected \[2, 2\]/);
    expect(() => heatmapSvg([], { rowLabels: [] })).toThrow(/no panels/);
  });

  it('escapeXml escapes the five special characters', () => {
    expect(escapeXml(`<a href="x">Tom & Jerry's</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s&lt;/a&gt;');
  });

  it('writeHeatmapSvg writes the same document to a file', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sinew-heatmap-'));
    try {
      const path = join(folder, 'attention.svg');
      const options = { rowLabels: ['a', 'b'], columnLabels: ['c'] };
      await writeHeatmapSvg(path, [[0.25], [0.75]], options);
      expect(readFileSync(path, 'utf8')).toBe(heatmapSvg([[0.25], [0.75]], options));
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
