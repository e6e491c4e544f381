/**
 * Printing terms in Erlang syntax, on one line, as erl 25's
 * `io_lib:format("~9999tp", [T])` prints them.
 *
 * What erl does, and so what this file does (each rule checked against erl 25):
 * - Integers in decimal; floats with the fewest digits that read back to the same
 *   float, placed as erl's `io_lib_format:fwrite_g/1` places them: plain decimal
 *   notation when it is not longer than scientific notation (`0.001`, `100.0`,
 *   `1234567.0`), else scientific (`1.0e-10`, `1.0e100`, `1.0e3`), always with a `.`;
 *   from 2^53 up always scientific (`9.007199254740992e15`).
 * - Atoms bare when they start with a lowercase letter (a-z, or Latin-1 ß..ÿ except
 *   ÷), continue with letters, digits, `_` or `@`, and are not reserved words;
 *   otherwise quoted, escaping `'`, `\`, and control characters (`\n`, `\e`, `\d`,
 *   octal `\001`…). Characters from U+00A0 up are printed as themselves.
 * - Lists of integers that are all printable characters print as `"…"`. Printable
 *   means Latin-1 (erl's default `+pc latin1`: 32..126, 160..255, and \b \t \n \v
 *   \f \r \e); with `printableRange: 'unicode'` (erl's `+pc unicode`) also
 *   U+0100..U+D7FF, U+E000..U+FFFD and U+10000 up.
 * - Binaries (strings and Uint8Arrays alike): if the bytes are valid UTF-8 and every
 *   character is printable, `<<"abc">>` when all are ASCII, else `<<"héllo"/utf8>>`;
 *   if valid UTF-8 but not all printable, a byte list `<<1,2,3>>`; if not valid
 *   UTF-8, `<<"…">>` when every byte is a printable Latin-1 character, else a byte
 *   list. Bitstrings whose length is not whole bytes: `<<1,2,3:4>>`.
 * - Tuples `{a,b}`, lists `[a,b|c]`, maps `#{k => v,…}` with keys in map-key
 *   order (`compareExact`), no spaces after commas.
 * - Pids `<N.Id.Serial>`, references `#Ref<N.W…W>` (most significant word first, as
 *   erl prints them), ports `#Port<N.Id>`. N is 0 for the local node (see
 *   node_name.ts). For other nodes erl prints the index of its distribution entry,
 *   which means nothing outside that erl; here N is 1, 2, 3… in the order nodes are
 *   first printed on this thread.
 * - Export funs `fun m:f/2`, closures `#Fun<Module.OldIndex.OldUniq>`.
 *
 * Known differences from erl, on purpose:
 * - Maps of more than 32 keys: erl prints them in its internal hash order, which
 *   depends on its hash function; here keys are always in map-key order.
 * - Atoms inside funs: erl quotes them by its runtime's rules (no reserved words,
 *   `@` needs quotes) and prints non-ASCII names as their UTF-8 bytes read as
 *   Latin-1 (`fun Ã©:f/0`); here the runtime's quoting rules are kept but the name
 *   is printed as its characters (`fun é:f/0`).
 * - erl breaks lines once the text passes 9999 columns; `format` never does.
 *
 * Thread-safety: pure except for the per-thread node numbering above.
 *
 * Bad input: a value that is not a term, anywhere inside the argument, throws
 * `BeamError` with code `NOT_A_TERM`.
 */
import { BeamError, ErrorCode, InvalidArgumentError, describeValue } from '../errors/index.js';
import { Atom } from './atom.js';
import { BitString } from './bitstring.js';
import { compareExact } from './compare.js';
import { Float } from './float.js';
import { ErlClosure, ExportFun } from './fun.js';
import { ImproperList } from './improper_list.js';
import { localNode } from './node_name.js';
import { Pid } from './pid.js';
import { Port } from './port.js';
import { Ref } from './ref.js';
import { isPlainObject } from './term.js';
import type { Term, TermObject } from './term.js';
import { Tuple } from './tuple.js';
import { compareStrings, utf8Bytes } from './utf8.js';

/** Options of `format`. */
export interface FormatOptions {
  /**
   * Which characters make a list or binary print as text: `'latin1'` (default, as
   * erl's default `+pc latin1`) or `'unicode'` (as `erl +pc unicode`).
   */
  printableRange?: 'latin1' | 'unicode';
}

/** The term in Erlang syntax on one line, as `io_lib:format("~9999tp", [T])`. */
export function format(t: Term, options?: FormatOptions): string {
  const unicode = options?.printableRange === 'unicode';
  if (options !== undefined && options.printableRange !== undefined && !unicode && options.printableRange !== 'latin1') {
    throw new InvalidArgumentError(
      `options.printableRange must be 'latin1' or 'unicode'; received ${describeValue(options.printableRange)}`,
    );
  }
  return write(t, unicode);
}

/** An atom as erl writes it, quoted when needed (`ok`, `'EXIT'`, `'hello world'`). */
export function formatAtom(name: string): string {
  return atomNeedsQuotes(name, true) ? `'${escapeChars(name, 0x27)}'` : name;
}

/** A float as erl's `~p` writes it (`0.1`, `1.0`, `1.0e100`, `-0.0`). */
export function formatFloat(v: number): string {
  if (!Number.isFinite(v)) {
    throw new BeamError(ErrorCode.NOT_A_TERM, `formatFloat: expected a finite number, found ${String(v)}`);
  }
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const sign = v < 0 ? '-' : '';
  // Number::toString gives the fewest digits that read back to v, and the closest
  // such digits when there is a choice (ECMA-262 says so; toExponential() does not
  // promise the latter), as erl's float_to_digits does. Take its digits and
  // decimal exponent, whatever notation it chose.
  const text = String(Math.abs(v));
  let digits: string;
  let place: number; // v = 0.DIGITS × 10^place
  const e = text.indexOf('e');
  if (e >= 0) {
    digits = text.slice(0, e).replace('.', '');
    place = Number(text.slice(e + 1)) + 1;
  } else {
    const dot = text.indexOf('.');
    const whole = dot < 0 ? text : text.slice(0, dot);
    const fraction = dot < 0 ? '' : text.slice(dot + 1);
    if (whole !== '0') {
      digits = (whole + fraction).replace(/0+$/, '');
      place = whole.length;
    } else {
      const zeros = fraction.length - fraction.replace(/^0+/, '').length;
      digits = fraction.slice(zeros);
      place = -zeros;
    }
  }
  // From 2^53 up erl always uses scientific notation: not every integer there is a
  // float, so "9007199254740994.0" would claim digits the float does not have.
  if (Math.abs(v) >= 9007199254740992) return sign + scientific(place, digits);
  return sign + placeDecimal(place, digits);
}

// ---------------------------------------------------------------------------------

function write(t: Term, unicode: boolean): string {
  switch (typeof t) {
    case 'number':
      if (Number.isSafeInteger(t)) return String(t);
      return formatFloat(t);
    case 'string':
      return writeBinary(utf8Bytes(t), unicode);
    case 'boolean':
      return t ? 'true' : 'false';
    case 'undefined':
      return 'undefined';
    case 'bigint':
      return t.toString();
    case 'object':
      break;
    default:
      throw notATerm(t);
  }
  if (t === null) return 'null';
  if (t instanceof Atom) return formatAtom(t.name);
  if (Array.isArray(t)) return writeList(t as readonly Term[], false, undefined, unicode);
  if (t instanceof Tuple) {
    let s = '{';
    const el = t.elements;
    for (let i = 0; i < el.length; i++) s += (i === 0 ? '' : ',') + write(el[i], unicode);
    return s + '}';
  }
  if (t instanceof Uint8Array) return writeBinary(t, unicode);
  if (t instanceof Float) return formatFloat(t.value);
  if (t instanceof Pid) return `<${nodeNumber(t.node)}.${t.id}.${t.serial}>`;
  if (t instanceof Ref) {
    let s = `#Ref<${nodeNumber(t.node)}`;
    for (let i = t.ids.length - 1; i >= 0; i--) s += '.' + String(t.ids[i]);
    return s + '>';
  }
  if (t instanceof Port) return `#Port<${nodeNumber(t.node)}.${t.id}>`;
  if (t instanceof Map) return writeMap(Array.from(t as ReadonlyMap<Term, Term>), unicode);
  if (t instanceof ImproperList) return writeList(t.head, true, t.tail, unicode);
  if (t instanceof BitString) return writeBits(t);
  if (t instanceof ExportFun) return `fun ${runtimeAtom(t.module.name)}:${runtimeAtom(t.name.name)}/${t.arity}`;
  if (t instanceof ErlClosure) return `#Fun<${t.module.name}.${t.oldIndex}.${t.oldUniq}>`;
  if (isPlainObject(t)) {
    const obj = t as TermObject;
    const names = Object.keys(obj).sort(compareStrings);
    let s = '#{';
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      s += (i === 0 ? '' : ',') + formatAtom(name) + ' => ' + write(obj[name], unicode);
    }
    return s + '}';
  }
  throw notATerm(t);
}

function writeMap(entries: Array<[Term, Term]>, unicode: boolean): string {
  entries.sort((x, y) => compareExact(x[0], y[0]));
  let s = '#{';
  for (let i = 0; i < entries.length; i++) {
    const [k, v] = entries[i]!;
    s += (i === 0 ? '' : ',') + write(k, unicode) + ' => ' + write(v, unicode);
  }
  return s + '}';
}

/** `[…]`, or `[…|tail]` when `improper` (the tail may be any term, even `undefined`). */
function writeList(head: readonly Term[], improper: boolean, tail: Term, unicode: boolean): string {
  if (head.length === 0) return '[]';
  if (!improper && isPrintableList(head, unicode)) {
    let s = '"';
    for (const c of head) s += escapeChar(toCharCode(c)!, 0x22);
    return s + '"';
  }
  let s = '[';
  for (let i = 0; i < head.length; i++) s += (i === 0 ? '' : ',') + write(head[i], unicode);
  if (improper) s += '|' + write(tail, unicode);
  return s + ']';
}

/** The character code of a list element that is an integer, else undefined. */
function toCharCode(t: Term): number | undefined {
  if (typeof t === 'number') return Number.isSafeInteger(t) ? t : undefined;
  if (typeof t === 'bigint') return t >= 0n && t <= 0x10ffffn ? Number(t) : undefined;
  return undefined;
}

function isPrintableList(list: readonly Term[], unicode: boolean): boolean {
  for (const t of list) {
    const c = toCharCode(t);
    if (c === undefined || !isPrintableChar(c, unicode)) return false;
  }
  return true;
}

/** erl's io_lib:printable_latin1_list / printable_unicode_list, per character. */
function isPrintableChar(c: number, unicode: boolean): boolean {
  if (c >= 0x20 && c <= 0x7e) return true;
  if (c >= 0xa0 && c <= 0xff) return true;
  if (c >= 8 && c <= 13) return true;
  if (c === 27) return true;
  if (!unicode) return false;
  return (c >= 0x100 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

function writeBinary(bytes: Uint8Array, unicode: boolean): string {
  if (bytes.length === 0) return '<<>>';
  const chars = decodeUtf8Strict(bytes);
  if (chars !== undefined) {
    let printable = true;
    for (const c of chars) {
      if (!isPrintableChar(c, unicode)) {
        printable = false;
        break;
      }
    }
    if (!printable) return writeByteList(bytes);
    let s = '<<"';
    for (const c of chars) s += escapeChar(c, 0x22);
    return s + (chars.length === bytes.length ? '">>' : '"/utf8>>');
  }
  for (const b of bytes) if (!isPrintableChar(b, false)) return writeByteList(bytes);
  let s = '<<"';
  for (const b of bytes) s += escapeChar(b, 0x22);
  return s + '">>';
}

function writeByteList(bytes: Uint8Array): string {
  return '<<' + bytes.join(',') + '>>';
}

function writeBits(b: BitString): string {
  const whole = Math.floor(b.bitLength / 8);
  const bits = b.bitLength % 8;
  let s = '<<';
  for (let i = 0; i < whole; i++) s += String(b.bytes[i]) + ',';
  return s + String(b.bytes[whole]! >> (8 - bits)) + ':' + String(bits) + '>>';
}

/**
 * Code points of valid UTF-8 as erl's `<<C/utf8>>` matching accepts it (no overlong
 * forms, no surrogates, nothing above U+10FFFF), or undefined.
 */
function decodeUtf8Strict(b: Uint8Array): number[] | undefined {
  const out: number[] = [];
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      out.push(c);
      i++;
      continue;
    }
    let need: number;
    let cp: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      cp = c & 0x1f;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      cp = c & 0x0f;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      cp = c & 0x07;
      min = 0x10000;
    } else {
      return undefined;
    }
    if (i + need >= n) return undefined;
    for (let k = 1; k <= need; k++) {
      const d = b[i + k]!;
      if ((d & 0xc0) !== 0x80) return undefined;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
    out.push(cp);
    i += need + 1;
  }
  return out;
}

/** Escapes one character inside `"…"` (quote 0x22) or `'…'` (quote 0x27). */
function escapeChar(c: number, quote: number): string {
  switch (c) {
    case 0x5c:
      return '\\\\';
    case 8:
      return '\\b';
    case 9:
      return '\\t';
    case 10:
      return '\\n';
    case 11:
      return '\\v';
    case 12:
      return '\\f';
    case 13:
      return '\\r';
    case 27:
      return '\\e';
    case 127:
      return '\\d';
    default:
      if (c === quote) return '\\' + String.fromCharCode(c);
      if (c < 0x20 || (c >= 0x80 && c < 0xa0)) return '\\' + c.toString(8).padStart(3, '0');
      return String.fromCodePoint(c);
  }
}

function escapeChars(s: string, quote: number): string {
  let out = '';
  for (const ch of s) out += escapeChar(ch.codePointAt(0)!, quote);
  return out;
}

const RESERVED_WORDS = new Set([
  'after', 'and', 'andalso', 'band', 'begin', 'bnot', 'bor', 'bsl', 'bsr', 'bxor', 'case', 'catch', 'cond',
  'div', 'end', 'fun', 'if', 'let', 'not', 'of', 'or', 'orelse', 'receive', 'rem', 'try', 'when', 'xor',
]);

function isLowerStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0xdf && c <= 0xff && c !== 0xf7);
}

function isNameChar(c: number, allowAt: boolean): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x5f ||
    (allowAt && c === 0x40) ||
    (c >= 0xc0 && c <= 0xff && c !== 0xd7 && c !== 0xf7)
  );
}

/** io_lib's rules (`allowAt`, reserved words) or the runtime's (fun names). */
function atomNeedsQuotes(name: string, ioLib: boolean): boolean {
  if (name.length === 0) return true;
  let first = true;
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (first) {
      if (!isLowerStart(c)) return true;
      first = false;
    } else if (!isNameChar(c, ioLib)) {
      return true;
    }
  }
  return ioLib && RESERVED_WORDS.has(name);
}

/** An atom inside a fun as the runtime prints it (quoting rules only; see header). */
function runtimeAtom(name: string): string {
  if (!atomNeedsQuotes(name, false)) return name;
  let out = "'";
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    out += c === 127 ? ch : escapeChar(c, 0x27); // the runtime leaves DEL as is
  }
  return out + "'";
}

/**
 * io_lib_format's choice between plain and scientific notation for the digits
 * `digits` of 0.DIGITS × 10^place: the shorter one, plain on a tie.
 */
function placeDecimal(place: number, digits: string): string {
  const len = digits.length;
  if (place === 0) return '0.' + digits;
  if (place > 0 && place < len) return digits.slice(0, place) + '.' + digits.slice(place);
  const scientificCost = String(place - 1).length + 1 + (len === 1 ? 2 : 1);
  if (place < 0) {
    if (2 - place <= scientificCost) return '0.' + '0'.repeat(-place) + digits;
  } else if (place - len + 2 <= scientificCost) {
    return digits + '0'.repeat(place - len) + '.0';
  }
  return scientific(place, digits);
}

function scientific(place: number, digits: string): string {
  const exponent = String(place - 1);
  return digits.length === 1 ? digits + '.0e' + exponent : digits[0] + '.' + digits.slice(1) + 'e' + exponent;
}

/** Node numbers for printing: 0 for the local node, then 1, 2, 3… per thread. */
const nodeNumbers = new Map<Atom, number>();

function nodeNumber(node: Atom): number {
  if (node === localNode()) return 0;
  let n = nodeNumbers.get(node);
  if (n === undefined) {
    n = nodeNumbers.size + 1;
    nodeNumbers.set(node, n);
  }
  return n;
}

function notATerm(value: unknown): BeamError {
  return new BeamError(ErrorCode.NOT_A_TERM, `format: expected an Erlang term, found ${describeValue(value)}`);
}
