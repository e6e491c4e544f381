/**
 * The wire form of a signal between scheduler threads: how signals.ts's `Signal` is encoded
 * into a ring record and decoded on the other side (issue 4: "the sender encodes straight into
 * the ring; the receiver decodes from it").
 *
 * A signal is the External Term Format (the VM transport options: `jsTypes`, so strings, bigints
 * and Maps keep their JS types; minor version 2) of the tuple
 *
 *     {Kind, From, To, Data, Ref, Object}
 *
 *   | element | meaning                                                  | absent as          |
 *   |---------|----------------------------------------------------------|--------------------|
 *   | Kind    | SignalKind as an integer 0..8 (signals.ts)               | never absent       |
 *   | From    | sender pid                                               | the atom undefined |
 *   | To      | target pid                                               | never absent       |
 *   | Data    | the message (MESSAGE), the reason (EXIT*, DOWN), the name (NAME) | the atom undefined |
 *   | Ref     | the monitor reference (MONITOR, DEMONITOR, DOWN)         | the atom undefined |
 *   | Object  | what a 'DOWN' names (the pid, or {Name, Node})           | the atom undefined |
 *
 * JS `undefined` is the atom `undefined` in beamjs's term mapping, so "absent" needs no
 * extra marker. Using ETF (rather than a private layout) keeps one codec for every boundary,
 * and the same bytes are readable by any tool that reads ETF.
 *
 * The message fast path. Most signals are messages between pids of the local node, and
 * encoding two pids (with the node's name) and decoding them back costs more than a small
 * message itself (bench/sched/multicore.ts fan-in). So a MESSAGE between local pids is a record
 * of its own, told apart by its first byte (an ETF record always starts with 131):
 *
 *   | offset | bytes | field                                                   |
 *   |-------:|------:|---------------------------------------------------------|
 *   |      0 |     1 | LOCAL_MESSAGE (1)                                       |
 *   |      1 |     3 | zero                                                    |
 *   |      4 |     4 | from: pid id, little-endian u32 (0xFFFFFFFF: no sender) |
 *   |      8 |     4 | from: pid serial                                        |
 *   |     12 |     4 | to: pid id                                              |
 *   |     16 |     4 | to: pid serial                                          |
 *   |     20 |     … | the message, ETF with the VM transport options          |
 *
 * The pids' node is the local node and their creation 0 (a Runtime's own), so the receiver
 * rebuilds them exactly.
 *
 * Threads: pure functions; `encodeSignalInto` writes only between `offset` and `limit` of the
 * caller's view (a ring slot the caller owns). Bad input: a record that is not a well-formed
 * signal (a corrupt ring) throws BeamError SHM_CORRUPT naming what was wrong; never a crash.
 */
import { decodeFrom, encodeInto, encodedSize, type EncodeOptions } from '../codec/index.js';
import { BeamError, ErrorCode, describeValue } from '../errors/index.js';
import { Pid, Ref, Tuple, tuple, type Atom, type Term } from '../term/index.js';
import { Signal, SignalKind } from './signals.js';

/** First byte of a local-message record (an ETF record starts with 131). */
export const LOCAL_MESSAGE = 1;
const LOCAL_HEADER_BYTES = 20;
const NO_SENDER = 0xffffffff;

function putU32(view: Uint8Array, at: number, value: number): void {
  view[at] = value & 0xff;
  view[at + 1] = (value >>> 8) & 0xff;
  view[at + 2] = (value >>> 16) & 0xff;
  view[at + 3] = (value >>> 24) & 0xff;
}

function getU32(view: Uint8Array, at: number): number {
  return (view[at]! | (view[at + 1]! << 8) | (view[at + 2]! << 16) | (view[at + 3]! << 24)) >>> 0;
}

/** True when `signal` can travel as a local-message record. */
export function isLocalMessage(signal: Signal, node: Atom): boolean {
  return signal.kind === SignalKind.MESSAGE && signal.to.node === node && signal.to.creation === 0 && (signal.from === undefined || (signal.from.node === node && signal.from.creation === 0));
}

/** Writes a local-message record into `view[offset..limit)`; bytes written, or -1 when it does not fit. */
export function encodeLocalMessageInto(signal: Signal, view: Uint8Array, offset: number, limit: number): number {
  if (limit - offset < LOCAL_HEADER_BYTES + 1) return -1;
  let end: number;
  const encoded = signal.encoded;
  if (encoded !== undefined) {
    // Forwarded still encoded (a home thread passing a message on to its guest): copy the bytes.
    end = offset + LOCAL_HEADER_BYTES + encoded.length;
    if (end > limit) return -1;
    view.set(encoded, offset + LOCAL_HEADER_BYTES);
  } else {
    end = encodeInto(signal.data, view, offset + LOCAL_HEADER_BYTES, TRANSPORT, limit);
    if (end < 0) return -1;
  }
  view[offset] = LOCAL_MESSAGE;
  view[offset + 1] = view[offset + 2] = view[offset + 3] = 0;
  const from = signal.from;
  putU32(view, offset + 4, from === undefined ? NO_SENDER : from.id);
  putU32(view, offset + 8, from === undefined ? 0 : from.serial);
  putU32(view, offset + 12, signal.to.id);
  putU32(view, offset + 16, signal.to.serial);
  return end - offset;
}

/**
 * A local-message record's signal with its message left encoded (`encoded` = a copy of the
 * message's ETF, owned by the caller from now on): the receiver decodes it only if a receive
 * needs it. The record is checked as far as its header; the ETF is checked when decoded.
 */
export function localMessageKeepingBytes(view: Uint8Array, offset: number, length: number, node: Atom): Signal {
  if (length < LOCAL_HEADER_BYTES + 2 || view[offset + LOCAL_HEADER_BYTES] !== 131) {
    throw corrupt(`a local-message record of ${length} bytes has no ETF message after its header`);
  }
  const fromId = getU32(view, offset + 4);
  const from = fromId === NO_SENDER ? undefined : new Pid(node, fromId, getU32(view, offset + 8), 0);
  const to = new Pid(node, getU32(view, offset + 12), getU32(view, offset + 16), 0);
  const signal = new Signal(SignalKind.MESSAGE, from, to, undefined, undefined, undefined);
  signal.encoded = view.slice(offset + LOCAL_HEADER_BYTES, offset + length);
  return signal;
}

/** Decodes a local-message record (its first byte is LOCAL_MESSAGE). */
export function decodeLocalMessage(view: Uint8Array, offset: number, length: number, node: Atom): Signal {
  if (length < LOCAL_HEADER_BYTES + 1) throw corrupt(`a local-message record of ${length} bytes is shorter than its header`);
  const fromId = getU32(view, offset + 4);
  const from = fromId === NO_SENDER ? undefined : new Pid(node, fromId, getU32(view, offset + 8), 0);
  const to = new Pid(node, getU32(view, offset + 12), getU32(view, offset + 16), 0);
  const { term, end } = decodeFrom(view, offset + LOCAL_HEADER_BYTES, { jsTypes: true });
  if (end !== offset + length) throw corrupt(`the record is ${length} bytes but its message ends after ${end - offset}`);
  return new Signal(SignalKind.MESSAGE, from, to, term, undefined, undefined);
}

/** The codec options of the VM's own transport (see src/codec/options.ts). */
const TRANSPORT: EncodeOptions = { jsTypes: true, minorVersion: 2 };

/** The wire tuple of a signal (for a caller that wraps it in a larger record). */
export function wireTuple(signal: Signal): Tuple {
  return tuple(signal.kind, signal.from, signal.to, signal.data, signal.ref, signal.object);
}

/** Bytes the encoded signal takes. */
export function signalSize(signal: Signal): number {
  return encodedSize(wireTuple(signal), TRANSPORT);
}

/**
 * Encodes `signal` into `view[offset..limit)`; returns the bytes written, or -1 when it does
 * not fit (the caller then asks for a larger slot, spills, or sends it out of band).
 */
export function encodeSignalInto(signal: Signal, view: Uint8Array, offset: number, limit: number): number {
  const end = encodeInto(wireTuple(signal), view, offset, TRANSPORT, limit);
  return end < 0 ? -1 : end - offset;
}

function corrupt(what: string): BeamError {
  return new BeamError(ErrorCode.SHM_CORRUPT, `decodeSignal: ${what}`);
}

/** Decodes the signal in `view[offset..offset+length)`. */
export function decodeSignal(view: Uint8Array, offset: number, length: number): Signal {
  const { term, end } = decodeFrom(view, offset, { jsTypes: true });
  if (end !== offset + length) throw corrupt(`the record is ${length} bytes but its term ends after ${end - offset}`);
  return signalFromWire(term);
}

/** True when a decoded record is a signal's wire tuple (a 6-tuple whose first element is an integer). */
export function isWireSignal(term: Term): boolean {
  return term instanceof Tuple && term.size === 6 && typeof term.at(0) === 'number';
}

/** The signal of a decoded wire tuple; SHM_CORRUPT when it is not one. */
export function signalFromWire(term: Term): Signal {
  if (!(term instanceof Tuple) || term.size !== 6) throw corrupt(`expected a 6-tuple {Kind, From, To, Data, Ref, Object}, got ${describeValue(term)}`);
  const [kind, from, to, data, ref, object] = term.elements as readonly [Term, Term, Term, Term, Term, Term];
  if (typeof kind !== 'number' || !Number.isInteger(kind) || kind < SignalKind.MESSAGE || kind > SignalKind.NAME) {
    throw corrupt(`Kind must be a signal kind 0..8, got ${describeValue(kind)}`);
  }
  if (from !== undefined && !(from instanceof Pid)) throw corrupt(`From must be a pid or undefined, got ${describeValue(from)}`);
  if (!(to instanceof Pid)) throw corrupt(`To must be a pid, got ${describeValue(to)}`);
  if (ref !== undefined && !(ref instanceof Ref)) throw corrupt(`Ref must be a reference or undefined, got ${describeValue(ref)}`);
  return new Signal(kind as SignalKind, from, to, data, ref, object);
}
