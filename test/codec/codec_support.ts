/**
 * Helpers shared by the codec tests (not a test file itself): a seeded PRNG, a random
 * term generator, a strict "same JS value and type" comparison, and a runner for the
 * Erlang side of the differential tests.
 *
 * Seeds: `testSeed()` reads BEAMJS_SEED or makes one; every test prints the seed it
 * used so that a failure can be replayed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Atom,
  BitString,
  ErlClosure,
  ExportFun,
  Float,
  ImproperList,
  Pid,
  Port,
  Ref,
  Tuple,
  atom,
  exactEquals,
  float,
  tuple,
} from '../../src/term/index.js';
import type { Term } from '../../src/term/index.js';
import { mulberry32, testSeed } from '../support/prng.js';
export { mulberry32, testSeed };

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
export const unhex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

/** The repository root (works from test/ as .ts and from dist/test/ as .js). */
export const repoRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root');
    dir = parent;
  }
  return dir;
})();

/** False only when BEAMJS_NO_ERL=1 (then differential tests are left out on purpose). */
export function erlWanted(): boolean {
  return process.env.BEAMJS_NO_ERL !== '1';
}

export function erlInstalled(): boolean {
  const r = spawnSync('erl', ['-noshell', '-eval', 'halt().'], { stdio: 'ignore', timeout: 30_000 });
  return r.status === 0;
}

/**
 * Compiles test/codec/<module>.erl and runs `module:main(InFile, OutFile)` in ONE erl
 * process; returns the text the module wrote to OutFile.
 */
export function runErlModule(module: string, input: string, timeoutMs = 60_000): { ok: boolean; output: string; error: string } {
  const source = join(repoRoot, 'test', 'codec', `${module}.erl`);
  const dir = mkdtempSync(join(os.tmpdir(), 'beamjs-codec-'));
  try {
    const inFile = join(dir, 'in.txt');
    const outFile = join(dir, 'out.txt');
    writeFileSync(inFile, input, 'utf8');
    const q = (s: string): string => JSON.stringify(s); // also a valid Erlang string literal here (ASCII paths)
    const driver =
      `{ok, M} = compile:file(${q(source)}, [{outdir, ${q(dir)}}, return_errors]), ` +
      `code:add_patha(${q(dir)}), M:main(${q(inFile)}, ${q(outFile)}), halt().`;
    const r = spawnSync('erl', ['-noshell', '-eval', driver], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
    const output = existsSync(outFile) ? readFileSync(outFile, 'utf8') : '';
    return { ok: r.status === 0 && output !== '', output, error: `${String(r.error ?? '')} ${r.stderr} ${r.stdout.slice(-2000)}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------
// Random terms

export interface GenOptions {
  /** Also generate values that only round-trip with jsTypes (small bigints, atom-keyed Maps). */
  readonly jsTypes?: boolean;
  /** Leave out ErlClosure (erl may refuse closures of unknown modules in some contexts). */
  readonly noClosures?: boolean;
}

const NAMES = ['a', 'ok', 'error', 'hello_world', '', 'åäö', 'ÿ', 'αβγ', '日本語', '😀x', 'with space', 'x'.repeat(255), 'é'.repeat(200), 'Z', 'ab', 'abc'];
const NODES = ['nonode@nohost', 'a@b.c', 'node@host', 'ñ@h'];
const INTS = [0, 1, 127, 128, 255, 256, -1, -128, -129, -256, 2 ** 27 - 1, 2 ** 27, -(2 ** 27), -(2 ** 27) - 1,
  2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 40 + 7, 65535, 65536];
const BIGS = [2n ** 53n, -(2n ** 53n), 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n, -(2n ** 64n), 2n ** 100n + 12345n,
  2n ** 2040n - 1n, 2n ** 2040n, -(2n ** 3000n) + 7n];
const FLOATS = [0.5, -0.5, 0.1, 1.5, 1e300, -1e-300, 5e-324, 1.7976931348623157e308, 2.2250738585072014e-308, 3.141592653589793,
  2 ** 53, 2 ** 60, -(2 ** 70), 123456789.125, 1e21, 1e-7];
const INT_FLOATS = [0, -0, 1, -1, 42, 2 ** 53 - 1];

export class TermGen {
  readonly rand: () => number;
  constructor(
    seed: number,
    readonly options: GenOptions = {},
  ) {
    this.rand = mulberry32(seed);
  }

  int(n: number): number {
    return Math.floor(this.rand() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  atom(): Atom | boolean | null | undefined {
    const r = this.int(12);
    if (r === 0) return this.pick([true, false, null, undefined]);
    if (r === 1) return atom(`g${this.int(50)}`);
    return atom(this.pick(NAMES));
  }

  node(): Atom {
    return atom(this.pick(NODES));
  }

  integer(): number | bigint {
    const r = this.int(10);
    if (r < 3) return this.int(256);
    if (r < 6) return this.pick(INTS);
    if (r < 8) return Math.floor((this.rand() - 0.5) * 2 ** (1 + this.int(53)));
    if (this.options.jsTypes && r === 9) return BigInt(this.int(2 ** 31)) - 2n ** 30n;
    return this.pick(BIGS);
  }

  floatTerm(): number | Float {
    const r = this.int(4);
    if (r === 0) return float(this.pick(INT_FLOATS)) as number | Float;
    if (r === 1) return this.pick(FLOATS);
    const x = (this.rand() - 0.5) * 10 ** (this.int(40) - 20);
    return float(x) as number | Float;
  }

  text(): string {
    const n = this.int(4) === 0 ? this.int(200) : this.int(12);
    let s = '';
    for (let i = 0; i < n; i++) {
      const r = this.int(10);
      if (r < 6) s += String.fromCharCode(32 + this.int(95));
      else if (r < 8) s += String.fromCharCode(0xa0 + this.int(0x700));
      else if (r < 9) s += String.fromCharCode(0x3000 + this.int(0x5000));
      else s += String.fromCodePoint(0x1f300 + this.int(0x200));
    }
    return s;
  }

  bytes(): Uint8Array {
    const n = this.int(4) === 0 ? this.int(300) : this.int(8);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    // Keep Uint8Arrays distinguishable from strings in the default decode mode: make
    // most of them invalid UTF-8 (a lone 0xFF byte).
    if (n > 0 && this.int(4) !== 0) out[this.int(n)] = 0xff;
    return out;
  }

  bitString(): BitString {
    const bits = 1 + this.int(7) + 8 * this.int(4);
    const bytes = new Uint8Array(Math.ceil(bits / 8));
    for (let i = 0; i < bytes.length; i++) bytes[i] = this.int(256);
    return new BitString(bytes, bits);
  }

  pid(): Pid {
    const node = this.node();
    const local = node.name === 'nonode@nohost';
    return new Pid(node, local ? this.int(2 ** 15) : this.int(2 ** 32), local ? this.int(8) : this.int(2 ** 32), local ? 0 : this.int(2 ** 32));
  }

  ref(): Ref {
    const node = atom(this.pick(NODES.slice(1)));
    const words = 1 + this.int(5);
    const ids: number[] = [];
    for (let i = 0; i < words; i++) ids.push(this.int(2 ** 32));
    return new Ref(node, this.int(2 ** 32), ids);
  }

  port(): Port {
    const node = atom(this.pick(NODES.slice(1)));
    const r = this.int(3);
    const id = r === 0 ? BigInt(this.int(2 ** 28)) : r === 1 ? BigInt(2 ** 28 + this.int(2 ** 30)) : (BigInt(this.int(2 ** 32)) << 32n) | BigInt(this.int(2 ** 32));
    return new Port(node, id, this.int(2 ** 32));
  }

  closure(depth: number): ErlClosure {
    const uniq = new Uint8Array(16);
    for (let i = 0; i < 16; i++) uniq[i] = this.int(256);
    const free: Term[] = [];
    const n = this.int(3);
    for (let i = 0; i < n; i++) free.push(this.term(depth + 1));
    const pid = new Pid(atom('nonode@nohost'), this.int(2 ** 15), 0, 0);
    return new ErlClosure(this.int(5), uniq, this.int(20), atom(`mod${this.int(5)}`), this.int(20), this.int(2 ** 27), pid, free);
  }

  /** A random term; `depth` bounds nesting. */
  term(depth = 0): Term {
    const leaf = depth > 4 || this.int(3) === 0;
    const r = this.int(leaf ? 14 : 22);
    switch (r) {
      case 0:
      case 1:
        return this.integer();
      case 2:
        return this.floatTerm();
      case 3:
      case 4:
        return this.atom();
      case 5:
        return this.text();
      case 6:
        return this.bytes();
      case 7:
        return this.bitString();
      case 8:
        return this.pid();
      case 9:
        return this.ref();
      case 10:
        return this.port();
      case 11:
        return new ExportFun(atom(this.pick(['lists', 'erlang', 'm'])), atom(this.pick(['map', 'length', 'f'])), this.int(256));
      case 12:
        return [];
      case 13: {
        // A byte list (STRING_EXT), sometimes at the 65535 boundary.
        const n = this.int(20) === 0 ? 65535 + this.int(2) : 1 + this.int(20);
        const out: number[] = [];
        for (let i = 0; i < n; i++) out.push(this.int(256));
        return out;
      }
      case 14:
      case 15: {
        const n = this.int(6);
        const out: Term[] = [];
        for (let i = 0; i < n; i++) out.push(this.term(depth + 1));
        return out;
      }
      case 16: {
        const n = this.int(300) === 0 ? 256 + this.int(10) : this.int(6);
        const out: Term[] = [];
        for (let i = 0; i < n; i++) out.push(this.term(depth + 1));
        return new Tuple(out);
      }
      case 17: {
        const n = 1 + this.int(4);
        const head: Term[] = [];
        for (let i = 0; i < n; i++) head.push(this.term(depth + 1));
        let tail = this.term(depth + 1);
        while (Array.isArray(tail) || tail instanceof ImproperList) tail = this.atom();
        return new ImproperList(head, tail);
      }
      case 18:
        return this.plainObject(depth);
      case 19:
        return this.map(depth);
      case 20:
        if (this.options.noClosures) return tuple(this.atom());
        return this.closure(depth);
      default:
        return tuple(this.term(depth + 1), this.term(depth + 1));
    }
  }

  plainObject(depth: number): Term {
    const n = this.int(15) === 0 ? 33 + this.int(30) : this.int(6);
    const out: Record<string, Term> = {};
    for (let i = 0; i < n; i++) {
      const key = this.int(3) === 0 ? this.pick(NAMES) : `k${this.int(1000)}`;
      if (key.length <= 255) out[key] = this.term(depth + 1);
    }
    if (this.int(10) === 0) Object.defineProperty(out, '__proto__', { value: 1, enumerable: true, writable: true, configurable: true });
    return out;
  }

  map(depth: number): Term {
    const n = this.int(15) === 0 ? 33 + this.int(30) : this.int(6);
    const keys: Term[] = [];
    for (let i = 0; i < n; i++) {
      const r = this.int(6);
      let k: Term;
      if (r === 0) k = this.integer();
      else if (r === 1) k = this.floatTerm();
      else if (r === 2) k = this.text();
      else if (r === 3) k = tuple(this.atom(), this.int(5));
      else if (r === 4 && this.options.jsTypes) k = this.atom();
      else k = this.term(depth + 2);
      // -0.0 and 0.0 are the same key in OTP 25.
      if (k instanceof Float && k.value === 0) continue;
      if (keys.some((x) => exactEquals(x, k))) continue;
      keys.push(k);
    }
    const m = new Map<Term, Term>();
    for (const k of keys) m.set(k, this.term(depth + 1));
    // Without jsTypes a Map whose keys are all atoms comes back as a plain object;
    // make sure at least one key is not an atom.
    if (!this.options.jsTypes && [...m.keys()].every((k) => k instanceof Atom || k === true || k === false || k === null || k === undefined)) {
      m.set(-12345, 0);
    }
    return m;
  }
}

// ---------------------------------------------------------------------------------
// Strict comparison: same JS types and values (for jsTypes round trips).

/** A description of the first difference, or undefined when `a` and `b` are the same. */
export function sameJs(a: unknown, b: unknown, path = 'term'): string | undefined {
  if (typeof a !== typeof b) return `${path}: ${typeof a} vs ${typeof b}`;
  if (typeof a !== 'object' || a === null || b === null) {
    if (typeof a === 'number') return a === b ? undefined : `${path}: ${String(a)} vs ${String(b)}`;
    return Object.is(a, b) ? undefined : `${path}: ${String(a)} vs ${String(b)}`;
  }
  const pa = Object.getPrototypeOf(a) as unknown;
  const pb = Object.getPrototypeOf(b) as unknown;
  const plain = (p: unknown): boolean => p === Object.prototype || p === null;
  if (!(plain(pa) && plain(pb)) && pa !== pb) {
    return `${path}: ${(a as object).constructor?.name} vs ${(b as object).constructor?.name}`;
  }
  if (a instanceof Float) return Object.is(a.value, (b as Float).value) ? undefined : `${path}: float ${a.value} vs ${(b as Float).value}`;
  if (a instanceof Uint8Array) return Buffer.compare(a, b as Uint8Array) === 0 ? undefined : `${path}: bytes differ`;
  if (Array.isArray(a)) return sameList(a, b as unknown[], path);
  if (a instanceof Tuple) return sameList(a.elements, (b as Tuple).elements, `${path}/tuple`);
  if (a instanceof ImproperList) {
    const bb = b as ImproperList;
    return sameList(a.head, bb.head, `${path}/head`) ?? sameJs(a.tail, bb.tail, `${path}/tail`);
  }
  if (a instanceof Map) {
    const bm = b as Map<unknown, unknown>;
    if (a.size !== bm.size) return `${path}: map sizes ${a.size} vs ${bm.size}`;
    const rest = [...bm];
    for (const [k, v] of a) {
      const i = rest.findIndex(([k2]) => sameJs(k, k2) === undefined);
      if (i < 0) return `${path}: key missing`;
      const d = sameJs(v, rest[i]![1], `${path}/value`);
      if (d) return d;
      rest.splice(i, 1);
    }
    return undefined;
  }
  if (a instanceof BitString) {
    const bb = b as BitString;
    return a.bitLength === bb.bitLength && Buffer.compare(a.bytes, bb.bytes) === 0 ? undefined : `${path}: bitstrings differ`;
  }
  if (a instanceof Pid || a instanceof Ref || a instanceof Port) {
    return (a as Pid).equals(b as Pid) ? undefined : `${path}: ${a.constructor.name} differs`;
  }
  if (a instanceof Atom) return a === b ? undefined : `${path}: atoms ${a.name} vs ${(b as Atom).name}`;
  if (a instanceof ExportFun) {
    const bb = b as ExportFun;
    return a.module === bb.module && a.name === bb.name && a.arity === bb.arity ? undefined : `${path}: export funs differ`;
  }
  if (a instanceof ErlClosure) {
    const bb = b as ErlClosure;
    const same =
      a.arity === bb.arity && Buffer.compare(a.uniq, bb.uniq) === 0 && a.index === bb.index && a.module === bb.module &&
      a.oldIndex === bb.oldIndex && a.oldUniq === bb.oldUniq && a.pid.equals(bb.pid);
    return same ? sameList(a.freeVars, bb.freeVars, `${path}/free`) : `${path}: closures differ`;
  }
  // Plain objects.
  const ka = Object.keys(a as object).sort();
  const kb = Object.keys(b as object).sort();
  if (ka.join('\u0000') !== kb.join('\u0000')) return `${path}: object keys differ`;
  for (const k of ka) {
    const d = sameJs((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    if (d) return d;
  }
  return undefined;
}

function sameList(a: readonly unknown[], b: readonly unknown[], path: string): string | undefined {
  if (a.length !== b.length) return `${path}: lengths ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    const d = sameJs(a[i], b[i], `${path}[${i}]`);
    if (d) return d;
  }
  return undefined;
}
