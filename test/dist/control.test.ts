/**
 * Control messages: every operation decodes to its shape (the _TT and PAYLOAD_ forms folded),
 * encode/decode round-trips, and malformed ones are rejected with a DistProtocolError naming
 * the operation and the field.
 */
import t from 'tap';
import { ControlOp, decodeControl, encodeControl, type Control } from '../../src/dist/control.js';
import { DistProtocolError } from '../../src/dist/errors.js';
import { Atom, Pid, Ref, atom, tuple, type Term } from '../../src/term/index.js';

const node = Atom.for('a@h');
const p1 = new Pid(node, 1, 0, 5);
const p2 = new Pid(Atom.for('b@h'), 2, 0, 6);
const ref = new Ref(node, 5, [1, 2, 3]);
const E = atom('');

const samples: Control[] = [
  { kind: 'send', from: undefined, to: p2, message: tuple(atom('hi'), 1) },
  { kind: 'send', from: p1, to: p2, message: 'x' },
  { kind: 'reg_send', from: p1, to: atom('kvs'), message: [1, 2] },
  { kind: 'alias_send', from: p1, alias: ref, message: 3 },
  { kind: 'link', from: p1, to: p2 },
  { kind: 'unlink', from: p1, to: p2 },
  { kind: 'unlink_id', id: 7, from: p1, to: p2 },
  { kind: 'unlink_id_ack', id: 2n ** 64n - 1n, from: p1, to: p2 },
  { kind: 'exit', from: p1, to: p2, reason: atom('boom') },
  { kind: 'exit2', from: p1, to: p2, reason: atom('kill') },
  { kind: 'monitor', from: p1, to: p2, ref },
  { kind: 'monitor', from: p1, to: atom('kvs'), ref },
  { kind: 'demonitor', from: p1, to: atom('kvs'), ref },
  { kind: 'monitor_exit', from: atom('kvs'), to: p1, ref, reason: atom('noproc') },
  { kind: 'spawn_request', reqId: ref, from: p1, groupLeader: p1, module: atom('m'), function: atom('f'), arity: 2, options: [atom('link')], args: [1, 2] },
  { kind: 'spawn_reply', reqId: ref, to: p1, flags: 3, result: p2 },
  { kind: 'group_leader', from: p1, to: p2 },
  { kind: 'node_link' },
];

t.test('every control shape round-trips through encodeControl/decodeControl', async (t) => {
  for (const c of samples) {
    const { control, payload } = encodeControl(c);
    t.same(decodeControl(control, payload, payload !== undefined), c, c.kind);
  }
});

t.test('the OTP 25 forms are decoded: _TT variants drop the token, EXIT and PAYLOAD_EXIT agree', async (t) => {
  const token = tuple(1, 2, 3, p1, 0);
  t.same(decodeControl(tuple(ControlOp.SEND_TT, E, p2, token), 'm', true), { kind: 'send', from: undefined, to: p2, message: 'm' });
  t.same(decodeControl(tuple(ControlOp.REG_SEND_TT, p1, E, atom('n'), token), 'm', true), { kind: 'reg_send', from: p1, to: atom('n'), message: 'm' });
  t.same(decodeControl(tuple(ControlOp.EXIT, p1, p2, atom('r')), undefined, false), decodeControl(tuple(ControlOp.PAYLOAD_EXIT, p1, p2), atom('r'), true));
  t.same(decodeControl(tuple(ControlOp.EXIT_TT, p1, p2, token, atom('r')), undefined, false).kind, 'exit');
  t.same(decodeControl(tuple(ControlOp.EXIT2_TT, p1, p2, token, atom('r')), undefined, false).kind, 'exit2');
  t.same(decodeControl(tuple(ControlOp.MONITOR_P_EXIT, p2, p1, ref, atom('r')), undefined, false), { kind: 'monitor_exit', from: p2, to: p1, ref, reason: atom('r') });
});

t.test('malformed control messages are rejected with the operation and field named', async (t) => {
  const cases: [Term, Term | undefined, boolean, RegExp][] = [
    [atom('x'), undefined, false, /must be a tuple whose first element is an operation number/],
    [tuple(99, p1), undefined, false, /unknown control message operation 99/],
    [tuple(ControlOp.LINK, p1), undefined, false, /control message 1: expected a tuple of 3 elements; received 2/],
    [tuple(ControlOp.LINK, p1, 42), undefined, false, /control message 1: To must be a pid; received 42/],
    [tuple(ControlOp.SEND, E, p2), undefined, false, /control message 2: the payload term is missing/],
    [tuple(ControlOp.LINK, p1, p2), 'extra', true, /unexpected payload/],
    [tuple(ControlOp.REG_SEND, p1, E, 'kvs'), 1, true, /ToName must be an atom/],
    [tuple(ControlOp.MONITOR_P, p1, p2, 'notaref'), undefined, false, /Ref must be a reference/],
    [tuple(ControlOp.UNLINK_ID, -1, p1, p2), undefined, false, /Id must be a non-negative integer/],
    [tuple(ControlOp.SPAWN_REQUEST, ref, p1, p1, tuple(atom('m'), atom('f'), 2), []), [1], true, /Arity 2 does not match the 1 arguments/],
    [tuple(ControlOp.SPAWN_REQUEST, ref, p1, p1, tuple(atom('m'), 'f', 1), []), [1], true, /\{Module, Function, Arity\}/],
    [tuple(ControlOp.SPAWN_REPLY, ref, p1, -1, p2), undefined, false, /Flags must be a non-negative integer/],
  ];
  for (const [control, payload, has, re] of cases) {
    t.throws(() => decodeControl(control, payload, has), { constructor: DistProtocolError, code: 'BEAMJS_ERR_DIST_PROTOCOL', message: re });
  }
});
