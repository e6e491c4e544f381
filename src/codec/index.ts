/**
 * src/codec: the External Term Format (term_to_binary / binary_to_term). Public surface.
 *
 * Two uses, one codec:
 * - at the Erlang boundary (files, sockets, distribution), the defaults give the bytes
 *   erl 25 gives for the same term (`termToBinary`), and read anything OTP 25 writes;
 * - inside the VM (rings between schedulers, ETS), `{ jsTypes: true, minorVersion: 2 }`
 *   adds one extension tag (tags.ts, JS_EXT) so that every JS value comes back as the
 *   same JS type, and the encoding is canonical (one encoding per value; maps of more
 *   than 32 keys excepted, see encoder.ts).
 *
 * | function        | input                          | output                               |
 * |-----------------|--------------------------------|--------------------------------------|
 * | termToBinary    | term                           | new Uint8Array, starts with 131      |
 * | encodeTermBody  | term                           | new Uint8Array, no 131 (one term)    |
 * | encodedSize     | term                           | byte length of termToBinary (plain)  |
 * | encodeInto      | term, target, offset           | end offset, or -1 if it does not fit |
 * | binaryToTerm    | bytes (whole input one term)   | term                                 |
 * | decodeFrom      | bytes, offset of the 131       | { term, end }                        |
 * | decodeTermAt    | bytes, offset of a tag         | { term, end }                        |
 * | skipTerm        | bytes, offset of a tag         | end offset                           |
 *
 * Thread-safety: every function may be called on any thread; each thread has its own
 * caches (atoms are per thread). Bad input: see encoder.ts and decoder.ts; decoding
 * errors are always BadExternalTermError with the offset, encoding errors BeamError
 * NOT_A_TERM / SYSTEM_LIMIT, bad options InvalidArgumentError.
 */
// Module order matters: src/term's pattern compiler imports this module while src/term
// is still loading (a cycle through src/term/index.ts). The leaf module tags.ts comes
// first so that its constants are initialised before anything of src/term evaluates;
// nothing below uses src/term at module evaluation time.
export { Tag, JsSubtype, VERSION, FLATMAP_MAX_KEYS, MAX_NESTING, tagName } from './tags.js';
import { MAX_NESTING, Tag, VERSION } from './tags.js';
import { BadExternalTermError, BeamError, ErrorCode, InvalidArgumentError, describeValue } from '../errors/index.js';
import type { Term } from '../term/index.js';
import { AtomStyle } from './atom_table.js';
import { compressEncoded, inflateTerm } from './compression.js';
import { releaseReader, takeReader } from './decoder.js';
import type { DecodeSettings } from './decoder.js';
import { NO_ROOM, releaseWriter, sizeOfTerm, takeWriter } from './encoder.js';
import type { EncodeSettings } from './encoder.js';
import { binaryMode, checkMinorVersion, compressionLevel } from './options.js';
import type { DecodeOptions, EncodeOptions } from './options.js';
import { NotATermSignal, notATermError } from './term_path.js';

export type { EncodeOptions, DecodeOptions } from './options.js';
export { skipTerm } from './skip.js';

// Settings objects for the common option combinations, so the hot path does not
// allocate one per call.
const ENCODE_SETTINGS: EncodeSettings[] = [];
for (const jsTypes of [false, true]) {
  for (const minor of [0, 1, 2]) {
    ENCODE_SETTINGS.push({ style: minor === 2 ? AtomStyle.UTF8 : AtomStyle.LATIN1, oldFloats: minor === 0, jsTypes });
  }
}

function encodeSettings(options: EncodeOptions | undefined): EncodeSettings {
  if (options === undefined) return ENCODE_SETTINGS[1]!;
  const minor = checkMinorVersion(options);
  const js = options.jsTypes;
  if (js !== undefined && typeof js !== 'boolean') {
    throw new InvalidArgumentError(`options.jsTypes must be a boolean; received ${describeValue(js)}`);
  }
  return ENCODE_SETTINGS[(js === true ? 3 : 0) + minor]!;
}

// Every combination of decode settings (3 binary modes x 8 flag sets), made once, for
// the same reason. Index: flags * 3 + binary mode.
const DECODE_SETTINGS: DecodeSettings[] = [];
for (let flags = 0; flags < 8; flags++) {
  for (let binaries = 0; binaries < 3; binaries++) {
    DECODE_SETTINGS.push({
      binaries: binaries as DecodeSettings['binaries'],
      jsTypes: (flags & 1) !== 0,
      safe: (flags & 2) !== 0,
      copyBinaries: (flags & 4) === 0,
    });
  }
}
const DEFAULT_DECODE = DECODE_SETTINGS[binaryMode(undefined)]!;

function decodeSettings(options: DecodeOptions | undefined): DecodeSettings {
  if (options === undefined) return DEFAULT_DECODE;
  const flags = (options.jsTypes === true ? 1 : 0) | (options.safe === true ? 2 : 0) | (options.copyBinaries === false ? 4 : 0);
  return DECODE_SETTINGS[flags * 3 + binaryMode(options)]!;
}

/** Turns the encoder's internal signals into the public errors. */
function encodeError(term: unknown, error: unknown): unknown {
  if (error instanceof NotATermSignal) return notATermError(term, error);
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return new BeamError(ErrorCode.SYSTEM_LIMIT, `cannot encode the term: it is nested too deeply for the JS stack (limit ${MAX_NESTING})`);
  }
  if (BeamError.is(error) && error.code === ErrorCode.NOT_A_TERM && !error.message.startsWith('cannot encode')) {
    // From compareExact while sorting map keys: say where.
    return new BeamError(ErrorCode.NOT_A_TERM, `cannot encode a map key: ${error.message}`);
  }
  return error;
}

function encodePlain(term: Term, settings: EncodeSettings, withVersion: boolean): Uint8Array {
  const w = takeWriter();
  try {
    w.reset(w.scratch, 0, w.scratch.length, true, settings);
    if (withVersion) {
      w.buf[0] = VERSION;
      w.pos = 1;
    }
    w.term(term);
    return w.buf.slice(0, w.pos);
  } catch (error) {
    throw encodeError(term, error);
  } finally {
    releaseWriter(w);
  }
}

/**
 * The external term format of `term` (erl's term_to_binary/2 with the same options),
 * starting with the version byte 131.
 */
export function termToBinary(term: Term, options?: EncodeOptions): Uint8Array {
  const settings = encodeSettings(options);
  const level = options === undefined ? 0 : compressionLevel(options);
  const plain = encodePlain(term, settings, true);
  return level === 0 ? plain : compressEncoded(plain, level);
}

/**
 * The encoding of `term` without the version byte: exactly the bytes a containing
 * encoding holds for it. The pattern compiler compares these with message bytes.
 * Compression does not apply.
 */
export function encodeTermBody(term: Term, options?: EncodeOptions): Uint8Array {
  return encodePlain(term, encodeSettings(options), false);
}

/** The exact length of `termToBinary(term, options)` without compression (131 included). */
export function encodedSize(term: Term, options?: EncodeOptions): number {
  const settings = encodeSettings(options);
  try {
    return 1 + sizeOfTerm(term, settings, 0);
  } catch (error) {
    throw encodeError(term, error);
  }
}

/**
 * Encodes `term` (with the 131 byte) straight into `target[offset..limit)` (`limit`
 * defaults to `target.length`); returns the end offset, or -1 when it does not fit. Bytes at
 * or past `limit` are never written; bytes between `offset` and `limit` may have been written
 * even when -1 is returned. No compression (the option is ignored). `target` may be a view of
 * a SharedArrayBuffer: the caller owns the region for the duration of the call.
 */
export function encodeInto(term: Term, target: Uint8Array, offset: number, options?: EncodeOptions, limit: number = target.length): number {
  if (!(target instanceof Uint8Array)) {
    throw new InvalidArgumentError(`target must be a Uint8Array; received ${describeValue(target)}`);
  }
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > target.length) {
    throw new InvalidArgumentError(`offset must be an integer in 0..target.length (${target.length}); received ${describeValue(offset)}`);
  }
  if (!Number.isSafeInteger(limit) || limit < offset || limit > target.length) {
    throw new InvalidArgumentError(`limit must be an integer in offset..target.length (${offset}..${target.length}); received ${describeValue(limit)}`);
  }
  const settings = encodeSettings(options);
  if (offset >= limit) return -1;
  const w = takeWriter();
  try {
    w.reset(target, offset, limit, false, settings);
    target[offset] = VERSION;
    w.pos = offset + 1;
    w.term(term);
    return w.pos;
  } catch (error) {
    if (error === NO_ROOM) return -1;
    throw encodeError(term, error);
  } finally {
    releaseWriter(w);
  }
}

function checkBytes(bytes: unknown, offset: number, name: string): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidArgumentError(`bytes must be a Uint8Array; received ${describeValue(bytes)}`);
  }
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > bytes.length) {
    throw new InvalidArgumentError(`${name} must be an integer in 0..bytes.length (${bytes.length}); received ${describeValue(offset)}`);
  }
}

function decodeTerm(bytes: Uint8Array, tagOffset: number, settings: DecodeSettings): { term: Term; end: number } {
  const r = takeReader();
  try {
    r.reset(bytes, tagOffset, bytes.length, settings);
    const term = r.term();
    return { term, end: r.p };
  } catch (error) {
    throw stackError(error, tagOffset);
  } finally {
    releaseReader(r);
  }
}

/** A JS stack overflow while decoding becomes a BadExternalTermError; others pass. */
function stackError(error: unknown, at: number): unknown {
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return new BadExternalTermError('term is nested too deeply for the JS stack', at);
  }
  return error;
}

/**
 * Decodes one external term starting (with its 131 byte) at `offset`, in place: the
 * input is not copied (binaries are, unless `copyBinaries: false`). Returns the term
 * and the offset just after it. A compressed term is inflated first.
 */
export function decodeFrom(bytes: Uint8Array, offset: number, options?: DecodeOptions): { term: Term; end: number } {
  checkBytes(bytes, offset, 'offset');
  const settings = decodeSettings(options);
  if (offset >= bytes.length) throw new BadExternalTermError('truncated input: expected the version byte 131', offset);
  if (bytes[offset] !== VERSION) {
    throw new BadExternalTermError(`expected the version byte 131, found ${bytes[offset]}`, offset);
  }
  if (bytes[offset + 1] === Tag.COMPRESSED) {
    const inflated = inflateTerm(bytes, offset + 1, bytes.length);
    const inner = decodeTerm(inflated.body, 0, settings);
    if (inner.end !== inflated.body.length) {
      throw badTerm(`compressed term has ${inflated.body.length - inner.end} bytes after the term`, offset + 1);
    }
    return { term: inner.term, end: inflated.end };
  }
  return decodeTerm(bytes, offset + 1, settings);
}

/** Like erl's binary_to_term/2: the whole input must be exactly one external term. */
export function binaryToTerm(bytes: Uint8Array, options?: DecodeOptions): Term {
  checkBytes(bytes, 0, 'offset');
  if (bytes[0] !== VERSION || bytes[1] === Tag.COMPRESSED) {
    // Rare paths (and the errors) go through decodeFrom.
    const { term, end } = decodeFrom(bytes, 0, options);
    if (end !== bytes.length) throw badTerm(`${bytes.length - end} trailing bytes after the term`, end);
    return term;
  }
  // The hot path of message passing: no result object.
  const r = takeReader();
  try {
    r.reset(bytes, 1, bytes.length, decodeSettings(options));
    const term = r.term();
    if (r.p !== bytes.length) throw badTerm(`${bytes.length - r.p} trailing bytes after the term`, r.p);
    return term;
  } catch (error) {
    throw stackError(error, 1);
  } finally {
    releaseReader(r);
  }
}

/**
 * Decodes the term whose tag is at `tagOffset` (no 131 byte; e.g. a capture found by
 * the pattern byte-program), in place. Returns the term and the offset after it.
 */
export function decodeTermAt(bytes: Uint8Array, tagOffset: number, options?: DecodeOptions): { term: Term; end: number } {
  checkBytes(bytes, tagOffset, 'tagOffset');
  return decodeTerm(bytes, tagOffset, decodeSettings(options));
}

function badTerm(message: string, at: number): BadExternalTermError {
  return new BadExternalTermError(message, at);
}
