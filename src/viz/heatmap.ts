// Attention weights as an SVG heat map: one panel per matrix (e.g. one per head, or their average), rows
// = queries labelled on the left, columns = keys labelled on top, white (0) to dark blue (the largest
// weight). Plain strings, no DOM: it runs in Node, Deno and browsers; writeHeatmapSvg saves one in Node.
//   const [out, scores] = mha.apply([x, x], {returnAttentionScores: true});   // scores [1, H, T, T]
//   const heads = matricesFromArray(await scores.data(), scores.shape.slice(1));
//   await writeHeatmapSvg('attention.svg', [{title: 'mean of heads', weights: averageMatrices(heads)}], {rowLabels: words});
import { nodeFileSystem } from '../runtime/node-fs.js';

/** One matrix to draw: weights[query][key]. */
export interface HeatmapPanel {
  title?: string;
  weights: readonly (readonly number[])[];
}

export interface HeatmapOptions {
  /** One label per row (query token). */
  rowLabels: readonly string[];
  /** One label per column (key token); default rowLabels. */
  columnLabels?: readonly string[];
  /** Heading above all panels. */
  title?: string;
  /** Side of one cell in pixels; default 24. */
  cellSize?: number;
  /** Weight drawn white; default 0. */
  min?: number;
  /** Weight drawn darkest; default the largest weight over all panels (1 if none is larger than min). */
  max?: number;
  /** Print each weight inside its cell (2 decimals); default true for cells of 24 px or more. */
  showValues?: boolean;
}

/** Text made safe for SVG/XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A flat row-major array of shape [..., rows, columns] as a list of matrices (one per leading index). */
export function matricesFromArray(data: ArrayLike<number>, shape: readonly number[]): number[][][] {
  if (shape.length < 2) throw new Error(`matricesFromArray: shape must end in [rows, columns], got [${shape}]`);
  const rows = shape[shape.length - 2];
  const columns = shape[shape.length - 1];
  const count = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  if (data.length !== count * rows * columns) throw new Error(`matricesFromArray: ${data.length} values do not fill shape [${shape}]`);
  return Array.from({ length: count }, (_, m) => Array.from({ length: rows }, (_, r) =>
    Array.from({ length: columns }, (_, c) => data[(m * rows + r) * columns + c])));
}

/** The elementwise mean of equally shaped matrices (e.g. the heads of one attention layer). */
export function averageMatrices(matrices: readonly (readonly (readonly number[])[])[]): number[][] {
  if (matrices.length === 0) throw new Error('averageMatrices: no matrices');
  const [first] = matrices;
  return first.map((row, r) => row.map((_, c) => matrices.reduce((sum, m) => sum + m[r][c], 0) / matrices.length));
}

/** White → dark blue as `rgb(...)` for t in [0, 1]. */
function shade(t: number): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const mix = (from: number, to: number) => Math.round(from + (to - from) * clamped);
  return `rgb(${mix(255, 8)},${mix(255, 48)},${mix(255, 107)})`;
}

const formatWeight = (value: number) => (Math.abs(value) >= 0.01 || value === 0 ? value.toFixed(3) : value.toExponential(2));

/** A coordinate with at most 2 decimals (keeps the file small and readable). */
const px = (value: number) => String(Math.round(value * 100) / 100);

/** Width in pixels a label of this many characters needs at the font size used (an estimate: no DOM to measure). */
const labelWidth = (labels: readonly string[], fontSize: number) => Math.max(0, ...labels.map((l) => l.length)) * fontSize * 0.62 + 8;

/** One or more heat-map panels side by side as an SVG document string. */
export function heatmapSvg(panelsOrWeights: readonly HeatmapPanel[] | readonly (readonly number[])[], options: HeatmapOptions): string {
  const panels: readonly HeatmapPanel[] = isMatrix(panelsOrWeights) ? [{ weights: panelsOrWeights }] : panelsOrWeights as readonly HeatmapPanel[];
  if (panels.length === 0) throw new Error('heatmapSvg: no panels to draw');
  const rowLabels = options.rowLabels;
  const columnLabels = options.columnLabels ?? rowLabels;
  const rows = rowLabels.length;
  const columns = columnLabels.length;
  panels.forEach((panel, p) => {
    const ok = panel.weights.length === rows && panel.weights.every((row) => row.length === columns);
    if (!ok) {
      const shape = `[${panel.weights.length}, ${panel.weights.map((row) => row.length).join('|')}]`;
      throw new Error(`heatmapSvg: panel ${p} has shape ${shape}, expected [${rows}, ${columns}] from ${rows} row labels and ${columns} column labels`);
    }
  });
  const cell = options.cellSize ?? 24;
  const fontSize = Math.max(8, Math.min(13, Math.round(cell * 0.5)));
  const min = options.min ?? 0;
  const largest = Math.max(...panels.flatMap((p) => p.weights.flatMap((row) => row.filter(Number.isFinite))));
  const max = options.max ?? (largest > min ? largest : min + 1);
  const showValues = options.showValues ?? cell >= 24;

  const left = labelWidth(rowLabels, fontSize);
  // Column labels are rotated 45°: their extent above the grid is about the longest label times sin 45°.
  const top = (options.title ? fontSize * 2 : 0) + fontSize * 1.6 + labelWidth(columnLabels, fontSize) * 0.72;
  const gap = cell;
  const panelWidth = left + columns * cell;
  const titleWidth = options.title ? options.title.length * fontSize * 0.62 + cell : 0;
  const width = Math.ceil(Math.max(panels.length * panelWidth + (panels.length - 1) * gap + labelWidth(columnLabels, fontSize) * 0.72, titleWidth));
  const height = Math.ceil(top + rows * cell + fontSize * 2.5);

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="${fontSize}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  if (options.title) parts.push(`<text class="title" x="${px(width / 2)}" y="${px(fontSize * 1.4)}" text-anchor="middle" font-weight="bold">${escapeXml(options.title)}</text>`);
  panels.forEach((panel, p) => {
    const x0 = p * (panelWidth + gap) + left;
    parts.push(`<g class="panel">`);
    if (panel.title) parts.push(`<text class="panel-title" x="${px(x0 + (columns * cell) / 2)}" y="${px(top - labelWidth(columnLabels, fontSize) * 0.72 - fontSize * 0.6)}" text-anchor="middle">${escapeXml(panel.title)}</text>`);
    rowLabels.forEach((label, r) => {
      parts.push(`<text class="row-label" x="${px(x0 - 4)}" y="${px(top + (r + 0.5) * cell)}" text-anchor="end" dominant-baseline="central">${escapeXml(label)}</text>`);
    });
    columnLabels.forEach((label, c) => {
      const x = x0 + (c + 0.5) * cell;
      parts.push(`<text class="column-label" x="${px(x)}" y="${px(top - 4)}" transform="rotate(-45 ${px(x)} ${px(top - 4)})">${escapeXml(label)}</text>`);
    });
    panel.weights.forEach((row, r) => row.forEach((value, c) => {
      const t = (value - min) / (max - min);
      const x = x0 + c * cell;
      const y = top + r * cell;
      parts.push(`<rect class="cell" x="${px(x)}" y="${px(y)}" width="${cell}" height="${cell}" fill="${shade(t)}" data-row="${r}" data-column="${c}" data-value="${value}">` +
        `<title>${escapeXml(`${rowLabels[r]} → ${columnLabels[c]}: ${value.toFixed(4)}`)}</title></rect>`);
      if (showValues) {
        parts.push(`<text class="value" x="${px(x + cell / 2)}" y="${px(y + cell / 2)}" text-anchor="middle" dominant-baseline="central" font-size="${Math.round(fontSize * 0.75)}" fill="${t > 0.55 ? 'white' : 'black'}">${value.toFixed(2).replace(/^0/, '')}</text>`);
      }
    }));
    parts.push('</g>');
  });
  // The colour scale is relative (attention over many keys is spread thin): say what the extremes mean.
  parts.push(`<text class="legend" x="${px(left)}" y="${px(top + rows * cell + fontSize * 1.6)}" font-size="${Math.round(fontSize * 0.85)}">` +
    `${escapeXml(`white = ${formatWeight(min)}, darkest = ${formatWeight(max)}; rows attend to columns`)}</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function isMatrix(value: readonly HeatmapPanel[] | readonly (readonly number[])[]): value is readonly (readonly number[])[] {
  return value.length > 0 && Array.isArray(value[0]);
}

/** heatmapSvg written to a file (Node/Deno: node:fs). */
export async function writeHeatmapSvg(path: string, panelsOrWeights: readonly HeatmapPanel[] | readonly (readonly number[])[], options: HeatmapOptions): Promise<void> {
  const svg = heatmapSvg(panelsOrWeights, options);
  const { fs } = await nodeFileSystem('writeHeatmapSvg');
  await fs.writeFile(path, svg, 'utf8');
}
