// Tests of src/process/signal_codec.ts: every signal kind survives the wire form with its JS
// types (strings, bigints, Maps stay themselves), a region too small is refused with -1 and
// nothing past `limit` is touched, and corrupt records are refused with SHM_CORRUPT.
import t from 'tap';
import { termToBinary } from '../../src/codec/index.js';
import { BeamError, ErrorCode } from '../../src/errors/index.js';
import { decodeSignal, encodeSignalInto, signalSize } from '../../src/process/signal_codec.js';
import { Signal, SignalKind } from '../../src/process/signals.js';
import { atom, exactEquals, format, localNode, Pid, Ref, tuple, type Term } from '../../src/term/index.js';

const a = new Pid(localNode(), 11, 2, 0);
const b = new Pid(localNode(), 12_345, 0, 0);
const ref = new Ref(localNode(), 0, [7, 8, 9]);
const message: Term = tuple(atom('hello'), 'a string', 2n ** 70n, new Map<Term, Term>([[1, [1, 2]], ['k', { x: 1.5 }]]));

const cases: Array<[string, Signal]> = [
  ['MESSAGE', new Signal(SignalKind.MESSAGE, a, b, message, undefined, undefined)],
  ['MESSAGE from nobody (a timer)', new Signal(SignalKind.MESSAGE, undefined, b, 42, undefined, undefined)],
  ['LINK', new Signal(SignalKind.LINK, a, b, undefined, undefined, undefined)],
  ['UNLINK', new Signal(SignalKind.UNLINK, a, b, undefined, undefined, undefined)],
  ['EXIT', new Signal(SignalKind.EXIT, a, b, atom('kill'), undefined, undefined)],
  ['EXIT_LINKED', new Signal(SignalKind.EXIT_LINKED, a, b, tuple(atom('badarith'), []), undefined, undefined)],
  ['MONITOR', new Signal(SignalKind.MONITOR, a, b, undefined, ref, b)],
  ['DEMONITOR', new Signal(SignalKind.DEMONITOR, a, b, undefined, ref, undefined)],
  ['DOWN by name', new Signal(SignalKind.DOWN, b, a, atom('noproc'), ref, tuple(atom('srv'), localNode()))],
];

function same(x: Term | undefined, y: Term | undefined): boolean {
  return x === undefined || y === undefined ? x === y : exactEquals(x, y);
}

t.test('every signal kind round-trips through its wire form, JS types included', (t) => {
  for (const [name, signal] of cases) {
    const size = signalSize(signal);
    const view = new Uint8Array(size + 16);
    const written = encodeSignalInto(signal, view, 8, 8 + size);
    t.equal(written, size, `${name}: writes exactly signalSize bytes`);
    const back = decodeSignal(view, 8, written);
    t.equal(back.kind, signal.kind, `${name}: kind`);
    t.ok(same(back.from, signal.from) && same(back.to, signal.to), `${name}: from and to`);
    t.ok(same(back.data, signal.data), `${name}: data ${format(back.data)}`);
    t.ok(same(back.ref, signal.ref) && same(back.object, signal.object), `${name}: ref and object`);
  }
  const decoded = decodeSignal(...encoded(cases[0]![1]));
  const elements = (decoded.data as { elements: readonly Term[] }).elements;
  t.equal(typeof elements[1], 'string', 'a string stays a string');
  t.equal(typeof elements[2], 'bigint', 'a bigint stays a bigint');
  t.ok(elements[3] instanceof Map, 'a Map stays a Map');
  t.end();
});

function encoded(signal: Signal): [Uint8Array, number, number] {
  const view = new Uint8Array(signalSize(signal));
  return [view, 0, encodeSignalInto(signal, view, 0, view.length)];
}

t.test('a region too small gives -1 and nothing is written past the limit', (t) => {
  const signal = cases[0]![1];
  const size = signalSize(signal);
  for (const room of [0, 1, size - 1]) {
    const view = new Uint8Array(size + 8).fill(0xee);
    t.equal(encodeSignalInto(signal, view, 0, room), -1, `${room} bytes of room: -1`);
    t.ok(view.subarray(room).every((byte) => byte === 0xee), `${room} bytes of room: nothing written past the limit`);
  }
  t.end();
});

t.test('corrupt records are refused with a clear error, never decoded into a wrong signal', (t) => {
  const isCorrupt = (fn: () => unknown): boolean => {
    try {
      fn();
      return false;
    } catch (error) {
      return BeamError.is(error) && error.code === ErrorCode.SHM_CORRUPT;
    }
  };
  const bad: Array<[string, Term]> = [
    ['not a tuple', [1, 2]],
    ['a 5-tuple', tuple(0, a, b, 1, undefined)],
    ['an unknown kind', tuple(10, a, b, 1, undefined, undefined)],
    ['a To that is no pid', tuple(0, a, atom('x'), 1, undefined, undefined)],
    ['a From that is no pid', tuple(0, 'x', b, 1, undefined, undefined)],
    ['a Ref that is no ref', tuple(5, a, b, undefined, 3, b)],
  ];
  for (const [name, term] of bad) {
    const bytes = termToBinary(term, { jsTypes: true, minorVersion: 2 });
    t.ok(isCorrupt(() => decodeSignal(bytes, 0, bytes.length)), `${name}: SHM_CORRUPT`);
  }
  const [view, offset, length] = encoded(cases[0]![1]);
  t.ok(isCorrupt(() => decodeSignal(view, offset, length + 1)), 'a length that disagrees with the term: SHM_CORRUPT');
  t.throws(() => decodeSignal(new Uint8Array([131, 255, 0]), 0, 3), 'bytes that are not ETF');
  t.end();
});
