/**
 * `npm run bench [-- <filter>...]`: runs every benchmark in bench/<area>/<name>, or the ones
 * whose name (`codec/etf`, `process/ping_pong`, …) contains one of the filters.
 *
 * A benchmark is a module under bench/<area>/ whose default export is `async () => void`;
 * it reports through bench/harness.ts. At the end a summary table lists each figure with
 * BEAM's figure and the ratio, and the figures are written to bench/results/<time>.json.
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { note, reportedFigures, resultsDir, erlAvailable } from './harness.js';

type BenchMain = () => Promise<void> | void;

const here = dirname(fileURLToPath(import.meta.url));

function findBenchmarks(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      // erl: the BEAM twins; results: output; support: files benchmarks load (piscina workers).
      if (entry !== 'erl' && entry !== 'results' && entry !== 'support') found.push(...findBenchmarks(path));
    } else if (entry.endsWith('.js') && dir !== here) {
      found.push(path);
    }
  }
  return found.sort();
}

async function main(): Promise<void> {
  const filters = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
  const all = findBenchmarks(here).map((path) => ({ path, name: relative(here, path).replace(/\.js$/, '') }));
  const chosen = filters.length === 0 ? all : all.filter((b) => filters.some((f) => b.name.includes(f)));
  if (chosen.length === 0) {
    console.error(`bench: no benchmark matches ${filters.join(', ')}; available: ${all.map((b) => b.name).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  note(`machine: ${os.cpus().length} cpus (${os.cpus()[0]?.model ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB`);
  note(`node ${process.version}, ${os.platform()} ${os.arch()}`);
  erlAvailable();
  for (const bench of chosen) {
    note(`bench ${bench.name}`);
    const module = (await import(pathToFileURL(bench.path).href)) as { default?: BenchMain };
    if (typeof module.default !== 'function') throw new Error(`bench ${bench.name}: no default export`);
    await module.default();
  }
  printSummary();
  const file = join(resultsDir(), `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify({ node: process.version, cpus: os.cpus().length, figures: reportedFigures() }, null, 2),
  );
  note(`results written to ${relative(process.cwd(), file)}`);
}

function printSummary(): void {
  const figures = reportedFigures();
  const byName = new Map(figures.map((f) => [f.name, f]));
  const rows: string[][] = [['figure', 'beamjs', 'BEAM', 'beamjs/BEAM', 'unit']];
  for (const f of figures) {
    if (f.name.endsWith('.beam') || f.name.endsWith('.ratio')) continue;
    const beam = byName.get(`${f.name}.beam`);
    const ratio = byName.get(`${f.name}.ratio`);
    rows.push([f.name, f.value.toPrecision(4), beam ? beam.value.toPrecision(4) : '-', ratio ? ratio.value.toFixed(2) : '-', f.unit]);
  }
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  console.log('');
  for (const row of rows) console.log(`# ${row.map((cell, col) => cell.padEnd(widths[col]!)).join('  ')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
