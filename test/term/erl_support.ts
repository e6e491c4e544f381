/**
 * Test support for the differential tests of src/term: write terms as Erlang source
 * text, run a script in real erl, generate random terms from a seeded PRNG.
 *
 * Written independently of the code under test: `toErlangSource` builds pids,
 * refs, ports, closures and floats from their external-format bytes inside erl (the
 * prelude below), so that erl, not beamjs, decides what they are.
 *
 * Not a test file itself (tap only runs *.test.js).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
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
  exportFun,
  float,
  isPlainObject,
  tuple,
} from '../../src/term/index.js';
import type { Term, TermObject } from '../../src/term/index.js';
import { mulberry32, testSeed } from '../support/prng.js';
export { mulberry32, testSeed };

/** True when the differential tests must run (they fail, not skip, without erl). */
export function erlWanted(): boolean {
  return process.env.BEAMJS_NO_ERL !== '1';
}

/** Erlang helper funs used by `toErlangSource` output; put them before the terms. */
export const ERL_PRELUDE = `
Strip = fun(<<131, R/binary>>) -> R end,
Flt = fun(B) -> <<F:64/float>> = B, F end,
MkPid = fun(N, I, S, C) -> binary_to_term(<<131, 88, (Strip(term_to_binary(N)))/binary, I:32, S:32, C:32>>) end,
MkRef = fun(N, C, Ids) -> binary_to_term(<<131, 90, (length(Ids)):16, (Strip(term_to_binary(N)))/binary, C:32, (<< <<X:32>> || X <- Ids >>)/binary>>) end,
MkPort = fun(N, I, C) -> binary_to_term(<<131, 120, (Strip(term_to_binary(N)))/binary, I:64, C:32>>) end,
MkClo = fun(Ar, Uq, Ix, M, OIx, OUq, P, Free) ->
  FreeB = << <<(Strip(term_to_binary(F)))/binary>> || F <- Free >>,
  Body = <<Ar, Uq/binary, Ix:32, (length(Free)):32, (Strip(term_to_binary(M)))/binary,
           (Strip(term_to_binary(OIx)))/binary, (Strip(term_to_binary(OUq)))/binary,
           (Strip(term_to_binary(P)))/binary, FreeB/binary>>,
  binary_to_term(<<131, 112, (byte_size(Body) + 4):32, Body/binary>>) end,
`;

function atomSource(name: string): string {
  if (/^[A-Za-z0-9_ @.\-+#!?]*$/.test(name)) return `'${name}'`;
  const cps: number[] = [];
  for (const ch of name) cps.push(ch.codePointAt(0)!);
  return `list_to_atom([${cps.join(',')}])`;
}

function bytesSource(bytes: Uint8Array): string {
  return `<<${Array.from(bytes).join(',')}>>`;
}

function floatSource(v: number): string {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(v);
  return `Flt(${bytesSource(b)})`;
}

/** Erlang source text that evaluates (after ERL_PRELUDE) to the same term. */
export function toErlangSource(t: Term): string {
  switch (typeof t) {
    case 'number':
      return Number.isSafeInteger(t) ? String(t) : floatSource(t);
    case 'bigint':
      return t.toString();
    case 'string':
      return bytesSource(Buffer.from(t, 'utf8'));
    case 'boolean':
      return t ? 'true' : 'false';
    case 'undefined':
      return "'undefined'";
    default:
      break;
  }
  if (t === null) return "'null'";
  if (t instanceof Atom) return atomSource(t.name);
  if (Array.isArray(t)) return `[${(t as readonly Term[]).map(toErlangSource).join(',')}]`;
  if (t instanceof Tuple) return `{${t.elements.map(toErlangSource).join(',')}}`;
  if (t instanceof Uint8Array) return bytesSource(t);
  if (t instanceof Float) return floatSource(t.value);
  if (t instanceof BitString) {
    const whole = Math.floor(t.bitLength / 8);
    const bits = t.bitLength % 8;
    const parts = Array.from(t.bytes.subarray(0, whole)).map(String);
    parts.push(`${t.bytes[whole]! >> (8 - bits)}:${bits}`);
    return `<<${parts.join(',')}>>`;
  }
  if (t instanceof ImproperList) return `[${t.head.map(toErlangSource).join(',')}|${toErlangSource(t.tail)}]`;
  if (t instanceof Pid) return `MkPid(${atomSource(t.node.name)},${t.id},${t.serial},${t.creation})`;
  if (t instanceof Ref) return `MkRef(${atomSource(t.node.name)},${t.creation},[${t.ids.join(',')}])`;
  if (t instanceof Port) return `MkPort(${atomSource(t.node.name)},${t.id},${t.creation})`;
  if (t instanceof ExportFun) return `fun ${atomSource(t.module.name)}:${atomSource(t.name.name)}/${t.arity}`;
  if (t instanceof ErlClosure) {
    return (
      `MkClo(${t.arity},${bytesSource(t.uniq)},${t.index},${atomSource(t.module.name)},${t.oldIndex},${t.oldUniq},` +
      `${toErlangSource(t.pid)},[${t.freeVars.map(toErlangSource).join(',')}])`
    );
  }
  if (t instanceof Map) {
    const parts: string[] = [];
    for (const [k, v] of t as ReadonlyMap<Term, Term>) parts.push(`${toErlangSource(k)} => ${toErlangSource(v)}`);
    return `#{${parts.join(',')}}`;
  }
  if (isPlainObject(t)) {
    const obj = t as TermObject;
    return `#{${Object.keys(obj)
      .map((k) => `${atomSource(k)} => ${toErlangSource(obj[k])}`)
      .join(',')}}`;
  }
  throw new Error(`toErlangSource: not a term: ${String(t)}`);
}

/** The result of running a script in erl. */
export interface ErlResult {
  ok: boolean;
  lines: string[];
  error: string;
}

/**
 * Evaluates Erlang expressions (a `,`-separated sequence ending with `.`) in
 * `erl -noshell`, with stdout in UTF-8; returns its output lines.
 */
export function runErl(script: string, options: { unicodePrintable?: boolean; timeoutMs?: number } = {}): ErlResult {
  const dir = mkdtempSync(join(os.tmpdir(), 'beamjs-term-'));
  try {
    const file = join(dir, 'script.erl.txt');
    writeFileSync(file, script, 'utf8');
    const driver =
      '[F] = init:get_plain_arguments(), {ok, B} = file:read_file(F), ' +
      'io:setopts([{encoding, unicode}]), ' +
      '{ok, Toks, _} = erl_scan:string(unicode:characters_to_list(B)), ' +
      '{ok, Exprs} = erl_parse:parse_exprs(Toks), ' +
      'erl_eval:exprs(Exprs, erl_eval:new_bindings()), halt().';
    const args = ['-noshell'];
    if (options.unicodePrintable) args.push('+pc', 'unicode');
    args.push('-eval', driver, '-extra', file);
    const r = spawnSync('erl', args, { encoding: 'utf8', timeout: options.timeoutMs ?? 15000, maxBuffer: 64 << 20 });
    if (r.error !== undefined) return { ok: false, lines: [], error: String(r.error) };
    const lines = r.stdout.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return { ok: r.status === 0, lines, error: r.stderr + (r.status !== 0 ? r.stdout.slice(-2000) : '') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------
// Random terms

const ATOM_NAMES = [
  'ok', 'error', 'a', 'aa', 'b', 'z', 'Z', 'A', 'hello world', 'if', 'receive', 'nil', 'x@y', 'a_b', '_x', '',
  'é', 'ÿ', 'Élan', '日本', 'a😀', '\uE000', '\uFFFD', "it's", 'back\\slash', 'tab\there', 'undefined_x', 'EXIT',
];

export const NODES = ['nonode@nohost', 'a@h', 'b@h', 'zz@host', 'é@h'];

/** Options of the random term generator. */
export interface GenOptions {
  /** No maps whose keys could be equal under =:= without equal source text. */
  forKey?: boolean;
  /** Leave out funs (closures print differently when erl shares fun entries). */
  noClosures?: boolean;
}

export class TermGen {
  constructor(private readonly rnd: () => number) {}

  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }

  atom(): Term {
    const r = this.int(12);
    if (r === 0) return true;
    if (r === 1) return false;
    if (r === 2) return undefined;
    if (r === 3) return null;
    return atom(this.pick(ATOM_NAMES));
  }

  number(forKey = false): Term {
    switch (this.int(12)) {
      case 0:
        return this.int(21) - 10;
      case 1:
        return this.int(2 ** 31) - 2 ** 30;
      case 2:
        return BigInt(this.int(1000)) * 10n ** BigInt(15 + this.int(30)) * (this.rnd() < 0.5 ? -1n : 1n);
      case 3:
        return BigInt(this.int(100) - 50); // a small integer as a bigint
      case 4:
        return float(this.int(21) - 10);
      case 5:
        return (this.rnd() - 0.5) * 10 ** (this.int(40) - 20);
      case 6:
        return this.pick([0.1, 0.5, 2.5, 1e100, 1e-10, 123456789.5, 2 ** 53 + 2, -(2 ** 60), 1e21, 5e-324]);
      case 7:
        return forKey ? float(0) : this.pick([float(0), float(-0) as Term]);
      case 8:
        return this.pick([2 ** 53 - 1, -(2 ** 53 - 1), Number.MAX_SAFE_INTEGER, 2 ** 40]);
      case 9:
        return this.pick([2n ** 53n, 2n ** 53n + 1n, -(2n ** 64n), 2n ** 70n]);
      case 10:
        return float(this.pick([2 ** 53 - 1, 2 ** 30, -(2 ** 20)]));
      default:
        return this.int(300);
    }
  }

  bytes(n: number, max = 256): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.int(max);
    return b;
  }

  binary(): Term {
    switch (this.int(9)) {
      case 0:
        return this.bytes(this.int(6));
      case 1:
        return this.pick(['', 'abc', 'ab', 'abd', 'héllo', '日本', 'a😀', '\uE000x', 'tab\tnew\nline', 'q"uote\\', "it's"]);
      case 2:
        return this.bytes(this.int(8), 128);
      case 3: {
        const s = this.pick(['abc', 'héllo', 'zz', '']);
        return Buffer.from(s, 'utf8'); // a Uint8Array equal to a string term
      }
      case 4:
        return new Uint8Array([0xe9, 0x41 + this.int(26)]); // Latin-1 text, invalid UTF-8
      case 5: {
        const len = 1 + this.int(20);
        const bytes = this.bytes(Math.ceil(len / 8));
        return len % 8 === 0 ? bytes : new BitString(bytes, len);
      }
      case 6:
        return String.fromCodePoint(0x20 + this.int(0x60), 0xa0 + this.int(0x60), 0x100 + this.int(0x1000));
      case 7:
        return this.bytes(1 + this.int(3), 32);
      default:
        return this.pick(['a', 'b', 'aa']);
    }
  }

  pid(): Pid {
    const node = this.pick(NODES);
    if (node === 'nonode@nohost') return new Pid(atom(node), this.int(40), this.int(3), 0);
    return new Pid(atom(node), this.pick([0, 1, 2, 0xffffffff, 0x10000001, this.int(50)]), this.int(3), this.pick([1, 2, 3]));
  }

  /** `sameLength`: always 3 words, so that equal refs have equal source text. */
  ref(sameLength = false): Ref {
    const node = this.pick(NODES);
    if (node === 'nonode@nohost') return new Ref(atom(node), 0, [this.int(4), this.int(4), this.int(4)]);
    const n = sameLength ? 3 : 1 + this.int(5);
    const ids: number[] = [];
    for (let i = 0; i < n; i++) ids.push(this.pick([0, 0, 1, 2, 0xffffffff]));
    return new Ref(atom(node), this.pick([1, 2]), ids);
  }

  port(): Port {
    const node = this.pick(NODES);
    if (node === 'nonode@nohost') return new Port(atom(node), BigInt(this.int(10)), 0);
    return new Port(atom(node), this.pick([0n, 1n, 7n, 2n ** 32n, 2n ** 40n + 3n]), this.pick([1, 2]));
  }

  fun(depth: number, opts: GenOptions): Term {
    if (opts.noClosures || this.rnd() < 0.5) {
      return exportFun(this.pick(['lists', 'a', 'z', 'm']), this.pick(['map', 'b', 'foldl', 'a_b']), this.int(4));
    }
    const uniq = new Uint8Array(16);
    uniq[15] = this.int(3);
    const free: Term[] = [];
    const nFree = this.int(3);
    for (let i = 0; i < nFree; i++) free.push(this.term(depth - 1, opts));
    return new ErlClosure(
      this.int(3),
      uniq,
      this.int(3),
      atom(this.pick(['m', 'a', 'mod'])),
      this.int(3),
      this.pick([0, 1, 2, 100000]),
      new Pid(atom('nonode@nohost'), 1 + this.int(3), 0, 0),
      free,
    );
  }

  /** A random term; `depth` bounds nesting. */
  term(depth: number, opts: GenOptions = {}): Term {
    const leaf = depth <= 0;
    const r = this.int(leaf ? 8 : 14);
    switch (r) {
      case 0:
      case 1:
        return this.number(opts.forKey);
      case 2:
        return this.atom();
      case 3:
        return this.binary();
      case 4:
        return this.pid();
      case 5:
        return this.ref(opts.forKey);
      case 6:
        return this.port();
      case 7:
        return opts.forKey ? exportFun('m', 'f', this.int(3)) : this.fun(depth, opts);
      case 8:
      case 9: {
        const n = this.int(4);
        const el: Term[] = [];
        for (let i = 0; i < n; i++) el.push(this.term(depth - 1, opts));
        return tuple(...el);
      }
      case 10: {
        const n = this.int(4);
        const el: Term[] = [];
        for (let i = 0; i < n; i++) el.push(this.term(depth - 1, opts));
        if (n > 0 && this.rnd() < 0.25) {
          const tail = this.term(depth - 1, opts);
          if (!Array.isArray(tail) && !(tail instanceof ImproperList)) return new ImproperList(el, tail);
        }
        return el;
      }
      case 11: {
        // A list of character codes, usually printable.
        const n = this.int(6);
        const el: Term[] = [];
        for (let i = 0; i < n; i++) el.push(this.pick([97 + this.int(26), 32, 10, 233, 255, 0x3042, 7, 127, 0x1f600]));
        return el;
      }
      default:
        if (opts.forKey) return tuple(this.term(depth - 1, opts));
        return this.map(depth, opts);
    }
  }

  map(depth: number, opts: GenOptions): Term {
    const n = this.int(6);
    if (this.rnd() < 0.4) {
      const obj: Record<string, Term> = {};
      for (let i = 0; i < n; i++) obj[this.pick(ATOM_NAMES.concat(['true', 'undefined']))] = this.term(depth - 1, opts);
      return obj;
    }
    const m = new Map<Term, Term>();
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const k = this.term(Math.min(depth - 1, 1), { ...opts, forKey: true, noClosures: true });
      const src = toErlangSource(k);
      if (seen.has(src)) continue;
      seen.add(src);
      m.set(k, this.term(depth - 1, opts));
    }
    return m;
  }
}

export { atom, float, tuple, exportFun };
export type { Term };
