/**
 * The benchmark harness: what every file in bench/ uses to measure and to report.
 *
 * Output contract (read by people and by scripts):
 *   - one line per figure: `name value unit` (for example `codec.encode.small 2.1e6 terms/s`);
 *   - context lines start with `#` (machine, Node version, native or JS, erl version);
 *   - a figure measured in erl in the same run is `<name>.beam value unit`, followed by
 *     `<name>.ratio value beamjs/BEAM` (> 1 means beamjs is faster for rates, and for
 *     durations the ratio is still beamjs/BEAM, so < 1 means beamjs is faster: the unit says which).
 * Every run also writes bench/results/<timestamp>.json with all figures.
 *
 * The BEAM side: `runErl(module, fun, args, { schedulers })` compiles bench/erl/<module>.erl
 * with erlc into a temporary folder once, runs `erl -noshell +S N` on it, and parses the
 * same `name value unit` lines from its standard output. When erl is not installed, the
 * harness says so once and benchmarks print beamjs's figures alone.
 *
 * Each benchmark checks its own result (a count, a checksum) and throws when it is wrong,
 * so that a fast wrong run cannot pass for a fast right one.
 *
 * Thread-safety: main thread only; benchmarks run one after the other.
 */
import Benchmark from 'benchmark';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, existsSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One reported figure. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

/** The repository root (works from bench/ as .ts and from dist/bench/ as .js). */
export const repoRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('bench harness: cannot find the repository root');
    dir = parent;
  }
  return dir;
})();

const figures: Figure[] = [];

/** All figures reported so far in this run. */
export function reportedFigures(): readonly Figure[] {
  return figures;
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && (Math.abs(value) >= 1e7 || Math.abs(value) < 1e-3)) return value.toExponential(3);
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}

/** Prints and records one figure as `name value unit`. */
export function report(name: string, value: number, unit: string): void {
  if (/\s/.test(name) || /\s/.test(unit)) throw new Error(`bench: name and unit must not contain spaces: "${name}" "${unit}"`);
  figures.push({ name, value, unit });
  console.log(`${name} ${formatValue(value)} ${unit}`);
}

/** Prints a context line (`# ...`). */
export function note(text: string): void {
  console.log(`# ${text}`);
}

/**
 * Reports a beamjs figure beside BEAM's figure for the same workload, and their ratio
 * beamjs/BEAM. `beam` is undefined when erl is not available: then only beamjs's figure
 * is printed.
 */
export function reportVersusBeam(name: string, beamjs: number, beam: number | undefined, unit: string): void {
  report(name, beamjs, unit);
  if (beam === undefined) return;
  report(`${name}.beam`, beam, unit);
  report(`${name}.ratio`, beam === 0 ? Number.NaN : beamjs / beam, 'beamjs/BEAM');
}

/**
 * Measures a synchronous function with benchmark.js and returns operations per second
 * (each call of `fn` counts `opsPerCall` operations).
 */
export function measureOps(label: string, fn: () => void, options: { opsPerCall?: number; maxTime?: number } = {}): number {
  const bench = new Benchmark(label, fn, { maxTime: options.maxTime ?? 1.5, minSamples: 10 });
  bench.run({ async: false });
  if (bench.error) throw bench.error;
  return bench.hz * (options.opsPerCall ?? 1);
}

/** Times an async workload once (after `warmup` runs); returns seconds. */
export async function timeOnce(fn: () => Promise<void> | void, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

let erlChecked: boolean | undefined;

/** True when `erl` and `erlc` can be run; prints a `#` line saying so the first time. */
export function erlAvailable(): boolean {
  if (erlChecked === undefined) {
    const probe = spawnSync('erl', ['-noshell', '-eval', 'io:format("~s", [erlang:system_info(otp_release)]), halt().'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    erlChecked = probe.status === 0;
    note(erlChecked ? `erl: OTP ${probe.stdout.trim()}` : 'erl: not installed; BEAM figures are left out');
  }
  return erlChecked;
}

const compiledErl = new Map<string, string>();

/** Compiles bench/erl/<module>.erl once per run; returns the folder holding the .beam. */
function compileErl(module: string): string {
  const cached = compiledErl.get(module);
  if (cached !== undefined) return cached;
  const source = join(repoRoot, 'bench', 'erl', `${module}.erl`);
  if (!existsSync(source)) throw new Error(`bench: no Erlang twin at ${source}`);
  const out = mkdtempSync(join(os.tmpdir(), 'beamjs-bench-'));
  execFileSync('erlc', ['-o', out, source], { stdio: 'inherit' });
  compiledErl.set(module, out);
  return out;
}

/**
 * Runs `module:fun(Args)` in a fresh `erl -noshell +S schedulers` and returns the figures it
 * printed as `name value unit` lines, keyed by name. Undefined when erl is not installed.
 * `args` are Erlang source terms, e.g. ['100000', '"abc"'].
 */
export function runErl(
  module: string,
  fun: string,
  args: readonly string[] = [],
  options: { schedulers?: number; timeoutMs?: number; extraFlags?: readonly string[] } = {},
): Map<string, Figure> | undefined {
  if (!erlAvailable()) return undefined;
  const dir = compileErl(module);
  const schedulers = options.schedulers ?? 1;
  const flags = ['-noshell', '+S', `${schedulers}:${schedulers}`, ...(options.extraFlags ?? []), '-pa', dir];
  const call = `${module}:${fun}(${args.join(', ')}), halt().`;
  const result = spawnSync('erl', [...flags, '-eval', call], {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 300_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(`bench: erl ${module}:${fun} failed (status ${result.status}): ${result.stderr || result.stdout}`);
  }
  const found = new Map<string, Figure>();
  for (const line of result.stdout.split('\n')) {
    const match = /^(\S+) (\S+) (\S+)$/.exec(line.trim());
    if (match === null) continue;
    const value = Number(match[2]);
    if (Number.isNaN(value)) continue;
    found.set(match[1]!, { name: match[1]!, value, unit: match[3]! });
  }
  return found;
}

/** The value erl printed under `name`, or undefined (erl absent); throws if erl ran but did not print it. */
export function beamFigure(figuresFromErl: Map<string, Figure> | undefined, name: string): number | undefined {
  if (figuresFromErl === undefined) return undefined;
  const figure = figuresFromErl.get(name);
  if (figure === undefined) throw new Error(`bench: the Erlang twin did not report ${name}`);
  return figure.value;
}

/** Throws when a benchmark's own check fails. */
export function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(`bench check failed: ${what}`);
}

/** Folder where run results are written. */
export function resultsDir(): string {
  const dir = resolve(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  return dir;
}
