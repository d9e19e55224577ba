// Writes one benchmark suite's results as bench/results/<suite>.md (table), .json and .svg (bar chart).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ReportMeta {
  title: string;
  /** Lines printed above the table: machine, versions, method. */
  notes: string[];
  /** Row key holding the chart's group label (e.g. 'N'), the series key (e.g. 'library') and the value key. */
  chart?: { group: string; series: string; value: string; unit: string };
}

const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'results');

function cell(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 2 : 1);
  return value === undefined || value === null ? '' : String(value);
}

function markdown(rows: Record<string, unknown>[], meta: ReportMeta): string {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const lines = [`# ${meta.title}`, '', ...meta.notes.map((note) => `- ${note}`), '',
    `| ${columns.join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${columns.map((c) => cell(row[c])).join(' | ')} |`), ''];
  return lines.join('\n');
}

const PALETTE = ['#2b6cb0', '#63b3ed', '#dd6b20', '#38a169', '#9ae6b4', '#805ad5', '#718096'];
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Grouped bar chart: one group per chart.group value, one bar per series. */
function svgChart(rows: Record<string, unknown>[], meta: ReportMeta): string {
  const { group, series, value, unit } = meta.chart!;
  const groups = [...new Set(rows.map((r) => String(r[group])))];
  const seriesNames = [...new Set(rows.map((r) => String(r[series])))];
  const max = Math.max(1, ...rows.map((r) => Number(r[value]) || 0));
  const bar = 14, gap = 18, left = 50, top = 40, height = 260;
  const groupWidth = seriesNames.length * bar + gap;
  const width = left + groups.length * groupWidth + 180;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${top + height + 40}" font-family="sans-serif" font-size="11">`,
    `<text x="${left}" y="20" font-size="14">${escape(meta.title)} (${escape(unit)})</text>`,
    `<line x1="${left}" y1="${top + height}" x2="${left + groups.length * groupWidth}" y2="${top + height}" stroke="#333"/>`];
  for (let t = 0; t <= 4; t++) {
    const v = (max * t) / 4, y = top + height - (height * t) / 4;
    parts.push(`<text x="${left - 6}" y="${y + 4}" text-anchor="end">${cell(v)}</text>`,
      `<line x1="${left}" y1="${y}" x2="${left + groups.length * groupWidth}" y2="${y}" stroke="#ddd"/>`);
  }
  groups.forEach((g, gi) => {
    const x0 = left + gi * groupWidth + gap / 2;
    seriesNames.forEach((s, si) => {
      const row = rows.find((r) => String(r[group]) === g && String(r[series]) === s);
      const v = row ? Number(row[value]) || 0 : 0;
      const h = (height * v) / max;
      parts.push(`<rect x="${x0 + si * bar}" y="${top + height - h}" width="${bar - 2}" height="${h}" fill="${PALETTE[si % PALETTE.length]}"><title>${escape(s)} ${escape(g)}: ${cell(v)}</title></rect>`);
    });
    parts.push(`<text x="${x0 + (seriesNames.length * bar) / 2}" y="${top + height + 16}" text-anchor="middle">${escape(group)}=${escape(g)}</text>`);
  });
  seriesNames.forEach((s, si) => {
    const x = left + groups.length * groupWidth + 16, y = top + si * 18;
    parts.push(`<rect x="${x}" y="${y}" width="12" height="12" fill="${PALETTE[si % PALETTE.length]}"/>`,
      `<text x="${x + 18}" y="${y + 10}">${escape(s)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Writes bench/results/<suite>.{md,json,svg}; returns the Markdown. */
export function writeReport(suite: string, rows: Record<string, unknown>[], meta: ReportMeta): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const md = markdown(rows, meta);
  writeFileSync(join(RESULTS_DIR, `${suite}.md`), md);
  writeFileSync(join(RESULTS_DIR, `${suite}.json`), JSON.stringify({ meta, rows }, null, 2));
  if (meta.chart) writeFileSync(join(RESULTS_DIR, `${suite}.svg`), svgChart(rows, meta));
  return md;
}
