/**
 * `npm run bench:chart [-- <out.svg>]`: draws beamjs against BEAM as an SVG bar chart, from the
 * newest file in bench/results/ (each run of `npm run bench` writes one; run the whole suite
 * first for a full chart), for the README. MB/s twins of a figure are left out (same ratio). One bar per `<name>.ratio` figure (beamjs/BEAM, same
 * run, same machine), on a log scale centred on 1 (parity); for figures where lower is better
 * (time, bytes) the ratio is inverted, so that a longer bar to the right always means beamjs
 * does better. Default output: bench/chart.svg.
 *
 * Thread-safety: a command-line tool. Bad input: no results gives a clear error.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

interface Results {
  readonly node?: string;
  readonly cpus?: number;
  readonly figures: readonly Figure[];
}

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const resultsDir = join(root, 'bench', 'results');

/** Units where a smaller value is better (the ratio is turned round for the chart). */
const LOWER_IS_BETTER = /^(ms|us\/process|bytes\/process|s)$/;

function latestFigures(): { figures: Map<string, Figure>; node: string; cpus: number } {
  const files = readdirSync(resultsDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .slice(-1);
  if (files.length === 0) throw new Error(`bench:chart: no results in ${resultsDir}; run npm run bench first`);
  const figures = new Map<string, Figure>();
  let node = '?';
  let cpus = 0;
  for (const file of files) {
    const results = JSON.parse(readFileSync(join(resultsDir, file), 'utf8')) as Results;
    for (const figure of results.figures) figures.set(figure.name, figure);
    node = results.node ?? node;
    cpus = results.cpus ?? cpus;
  }
  return { figures, node, cpus };
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function drawChart(out: string): number {
  const { figures, node, cpus } = latestFigures();
  const rows: Array<{ label: string; ratio: number; better: number }> = [];
  for (const [name, figure] of figures) {
    if (!name.endsWith('.ratio') || name.endsWith('.mb.ratio')) continue;
    const base = name.slice(0, -'.ratio'.length);
    const unit = figures.get(base)?.unit ?? '';
    const better = LOWER_IS_BETTER.test(unit) ? 1 / figure.value : figure.value;
    rows.push({ label: `${base} (${unit})`, ratio: figure.value, better });
  }
  if (rows.length === 0) throw new Error('bench:chart: no beamjs/BEAM ratios in the results (is erl installed?)');
  rows.sort((a, b) => a.label.localeCompare(b.label));
  const rowHeight = 26;
  const labelWidth = 330;
  const plotWidth = 420;
  const top = 50;
  const height = top + rows.length * rowHeight + 40;
  const width = labelWidth + plotWidth + 120;
  const maxLog = Math.log10(10); // the axis spans 0.1x .. 10x
  const x = (better: number): number => labelWidth + plotWidth / 2 + (Math.max(-maxLog, Math.min(maxLog, Math.log10(better))) / maxLog) * (plotWidth / 2);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="100%" height="100%" fill="white"/>`);
  parts.push(`<text x="10" y="20" font-size="14" font-weight="bold">beamjs / BEAM, same run, same machine (right of 1x: beamjs better)</text>`);
  parts.push(`<text x="10" y="38" fill="#555">${cpus} CPUs, Node ${escape(node)}; log scale 0.1x to 10x; from npm run bench</text>`);
  for (const tick of [0.1, 0.25, 0.5, 1, 2, 4, 10]) {
    const tx = x(tick);
    parts.push(`<line x1="${tx}" y1="${top - 4}" x2="${tx}" y2="${top + rows.length * rowHeight}" stroke="${tick === 1 ? '#000' : '#ddd'}"/>`);
    parts.push(`<text x="${tx}" y="${top + rows.length * rowHeight + 16}" text-anchor="middle" fill="#555">${tick}x</text>`);
  }
  rows.forEach((row, i) => {
    const y = top + i * rowHeight;
    const x0 = x(1);
    const x1 = x(row.better);
    const color = row.better >= 1 ? '#2e7d32' : '#c62828';
    parts.push(`<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end">${escape(row.label)}</text>`);
    parts.push(`<rect x="${Math.min(x0, x1)}" y="${y + 5}" width="${Math.max(1, Math.abs(x1 - x0))}" height="${rowHeight - 10}" fill="${color}"/>`);
    parts.push(`<text x="${labelWidth + plotWidth + 8}" y="${y + 16}">${row.better.toFixed(2)}x</text>`);
  });
  parts.push('</svg>');
  writeFileSync(out, parts.join('\n') + '\n');
  return rows.length;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = resolve(process.argv[2] ?? join(root, 'bench', 'chart.svg'));
  const count = drawChart(out);
  console.log(`bench:chart: ${count} figures drawn to ${out}`);
}
