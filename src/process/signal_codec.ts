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
 * Threads: pure functions; `encodeSignalInto` writes only between `offset` and `limit` of the
 * caller's view (a ring slot the caller owns). Bad input: a record that is not a well-formed
 * signal (a corrupt ring) throws BeamError SHM_CORRUPT naming what was wrong; never a crash.
 */
import { decodeFrom, encodeInto, encodedSize, type EncodeOptions } from '../codec/index.js';
import { BeamError, ErrorCode, describeValue } from '../errors/index.js';
import { Pid, Ref, Tuple, tuple, type Term } from '../term/index.js';
import { Signal, SignalKind } from './signals.js';

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
  const target = limit === view.length ? view : view.subarray(0, limit);
  const end = encodeInto(wireTuple(signal), target, offset, TRANSPORT);
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
