/**
 * Distribution control messages: the tuples nodes exchange (each frame carries a control
 * term and, for some operations, a payload term), as typed values, with validation.
 *
 * | op | name                  | control tuple                                   | payload   |
 * |---:|-----------------------|-------------------------------------------------|-----------|
 * |  1 | LINK                  | {1, From, To}                                   |           |
 * |  2 | SEND                  | {2, '', ToPid}                                  | message   |
 * |  3 | EXIT                  | {3, From, To, Reason}                           |           |
 * |  4 | UNLINK (pre-OTP 26)   | {4, From, To}                                   |           |
 * |  5 | NODE_LINK             | {5}                                             |           |
 * |  6 | REG_SEND              | {6, From, '', ToName}                           | message   |
 * |  7 | GROUP_LEADER          | {7, From, To}                                   |           |
 * |  8 | EXIT2                 | {8, From, To, Reason}                           |           |
 * | 12 | SEND_TT               | {12, '', ToPid, Token}                          | message   |
 * | 13 | EXIT_TT               | {13, From, To, Token, Reason}                   |           |
 * | 16 | REG_SEND_TT           | {16, From, '', ToName, Token}                   | message   |
 * | 18 | EXIT2_TT              | {18, From, To, Token, Reason}                   |           |
 * | 19 | MONITOR_P             | {19, From, ToProc, Ref}  (ToProc pid or name)   |           |
 * | 20 | DEMONITOR_P           | {20, From, ToProc, Ref}                         |           |
 * | 21 | MONITOR_P_EXIT        | {21, FromProc, To, Ref, Reason}                 |           |
 * | 22 | SEND_SENDER           | {22, From, To}                                  | message   |
 * | 23 | SEND_SENDER_TT        | {23, From, To, Token}                           | message   |
 * | 24 | PAYLOAD_EXIT          | {24, From, To}                                  | reason    |
 * | 25 | PAYLOAD_EXIT_TT       | {25, From, To, Token}                           | reason    |
 * | 26 | PAYLOAD_EXIT2         | {26, From, To}                                  | reason    |
 * | 27 | PAYLOAD_EXIT2_TT      | {27, From, To, Token}                           | reason    |
 * | 28 | PAYLOAD_MONITOR_P_EXIT| {28, FromProc, To, Ref}                         | reason    |
 * | 29 | SPAWN_REQUEST         | {29, ReqId, From, GroupLeader, {M, F, A}, Opts} | arg list  |
 * | 30 | SPAWN_REQUEST_TT      | {30, ReqId, From, GroupLeader, {M,F,A}, Opts, T}| arg list  |
 * | 31 | SPAWN_REPLY           | {31, ReqId, To, Flags, Result}                  |           |
 * | 32 | SPAWN_REPLY_TT        | {32, ReqId, To, Flags, Result, Token}           |           |
 * | 33 | ALIAS_SEND            | {33, From, Alias}                               | message   |
 * | 34 | ALIAS_SEND_TT         | {34, From, Alias, Token}                        | message   |
 * | 35 | UNLINK_ID             | {35, Id, From, To}                              |           |
 * | 36 | UNLINK_ID_ACK         | {36, Id, From, To}                              |           |
 *
 * Decoding folds the variants into one shape per meaning: *_TT forms drop the trace token
 * (beamjs has no seq_trace), PAYLOAD_EXIT* become EXIT/EXIT2 with the payload as reason,
 * SEND/SEND_SENDER/SEND_TT become `send` (from undefined for SEND). Encoding writes the
 * forms OTP 25 writes to a peer that has SEND_SENDER and EXIT_PAYLOAD (both negotiated by
 * beamjs; flags.ts): SEND_SENDER, PAYLOAD_EXIT, PAYLOAD_EXIT2, PAYLOAD_MONITOR_P_EXIT.
 *
 * Bad input: `decodeControl` throws DistProtocolError naming the operation and the field
 * that was wrong (unknown operation numbers, wrong arity, a non-pid where a pid belongs, a
 * missing or unexpected payload). The connection logs it and drops that message only.
 * Threads: stateless; any thread.
 */
import { Atom, Pid, Ref, Tuple, format, tuple, type Term } from '../term/index.js';
import { DistProtocolError } from './errors.js';

export const ControlOp = {
  LINK: 1,
  SEND: 2,
  EXIT: 3,
  UNLINK: 4,
  NODE_LINK: 5,
  REG_SEND: 6,
  GROUP_LEADER: 7,
  EXIT2: 8,
  SEND_TT: 12,
  EXIT_TT: 13,
  REG_SEND_TT: 16,
  EXIT2_TT: 18,
  MONITOR_P: 19,
  DEMONITOR_P: 20,
  MONITOR_P_EXIT: 21,
  SEND_SENDER: 22,
  SEND_SENDER_TT: 23,
  PAYLOAD_EXIT: 24,
  PAYLOAD_EXIT_TT: 25,
  PAYLOAD_EXIT2: 26,
  PAYLOAD_EXIT2_TT: 27,
  PAYLOAD_MONITOR_P_EXIT: 28,
  SPAWN_REQUEST: 29,
  SPAWN_REQUEST_TT: 30,
  SPAWN_REPLY: 31,
  SPAWN_REPLY_TT: 32,
  ALIAS_SEND: 33,
  ALIAS_SEND_TT: 34,
  UNLINK_ID: 35,
  UNLINK_ID_ACK: 36,
} as const;

/** SPAWN_REPLY flags. */
export const SpawnReplyFlag = { LINK: 1, MONITOR: 2 } as const;

/** A control message, one shape per meaning. */
export type Control =
  | { readonly kind: 'send'; readonly from: Pid | undefined; readonly to: Pid; readonly message: Term }
  | { readonly kind: 'reg_send'; readonly from: Pid; readonly to: Atom; readonly message: Term }
  | { readonly kind: 'alias_send'; readonly from: Pid; readonly alias: Ref; readonly message: Term }
  | { readonly kind: 'link'; readonly from: Pid; readonly to: Pid }
  | { readonly kind: 'unlink'; readonly from: Pid; readonly to: Pid }
  | { readonly kind: 'unlink_id'; readonly id: number | bigint; readonly from: Pid; readonly to: Pid }
  | { readonly kind: 'unlink_id_ack'; readonly id: number | bigint; readonly from: Pid; readonly to: Pid }
  | { readonly kind: 'exit'; readonly from: Pid; readonly to: Pid; readonly reason: Term }
  | { readonly kind: 'exit2'; readonly from: Pid; readonly to: Pid; readonly reason: Term }
  | { readonly kind: 'monitor'; readonly from: Pid; readonly to: Pid | Atom; readonly ref: Ref }
  | { readonly kind: 'demonitor'; readonly from: Pid; readonly to: Pid | Atom; readonly ref: Ref }
  | { readonly kind: 'monitor_exit'; readonly from: Pid | Atom; readonly to: Pid; readonly ref: Ref; readonly reason: Term }
  | {
      readonly kind: 'spawn_request';
      readonly reqId: Ref;
      readonly from: Pid;
      readonly groupLeader: Pid;
      readonly module: Atom;
      readonly function: Atom;
      readonly arity: number;
      readonly options: readonly Term[];
      readonly args: readonly Term[];
    }
  | { readonly kind: 'spawn_reply'; readonly reqId: Ref; readonly to: Pid; readonly flags: number; readonly result: Term }
  | { readonly kind: 'group_leader'; readonly from: Pid; readonly to: Pid }
  | { readonly kind: 'node_link' };

const EMPTY = Atom.for('');

function bad(op: number, text: string): DistProtocolError {
  return new DistProtocolError(`control message ${op}: ${text}`);
}

function pidAt(t: Tuple, i: number, op: number, field: string): Pid {
  const v = t.at(i);
  if (!(v instanceof Pid)) throw bad(op, `${field} must be a pid; received ${short(v)}`);
  return v;
}

function refAt(t: Tuple, i: number, op: number, field: string): Ref {
  const v = t.at(i);
  if (!(v instanceof Ref)) throw bad(op, `${field} must be a reference; received ${short(v)}`);
  return v;
}

function atomAt(t: Tuple, i: number, op: number, field: string): Atom {
  const v = t.at(i);
  if (!(v instanceof Atom)) throw bad(op, `${field} must be an atom; received ${short(v)}`);
  return v;
}

function procAt(t: Tuple, i: number, op: number, field: string): Pid | Atom {
  const v = t.at(i);
  if (!(v instanceof Pid) && !(v instanceof Atom)) throw bad(op, `${field} must be a pid or a registered name; received ${short(v)}`);
  return v;
}

function short(v: unknown): string {
  try {
    const s = format(v as Term);
    return s.length > 80 ? s.slice(0, 80) + '…' : s;
  } catch {
    return String(v);
  }
}

/** Arity of each control tuple (element 0 included), and whether a payload follows. */
const SHAPES: Record<number, { readonly size: number; readonly payload: boolean }> = {
  1: { size: 3, payload: false },
  2: { size: 3, payload: true },
  3: { size: 4, payload: false },
  4: { size: 3, payload: false },
  5: { size: 1, payload: false },
  6: { size: 4, payload: true },
  7: { size: 3, payload: false },
  8: { size: 4, payload: false },
  12: { size: 4, payload: true },
  13: { size: 5, payload: false },
  16: { size: 5, payload: true },
  18: { size: 5, payload: false },
  19: { size: 4, payload: false },
  20: { size: 4, payload: false },
  21: { size: 5, payload: false },
  22: { size: 3, payload: true },
  23: { size: 4, payload: true },
  24: { size: 3, payload: true },
  25: { size: 4, payload: true },
  26: { size: 3, payload: true },
  27: { size: 4, payload: true },
  28: { size: 4, payload: true },
  29: { size: 6, payload: true },
  30: { size: 7, payload: true },
  31: { size: 5, payload: false },
  32: { size: 6, payload: false },
  33: { size: 3, payload: true },
  34: { size: 4, payload: true },
  35: { size: 4, payload: false },
  36: { size: 4, payload: false },
};

/** Reads a control term (and its payload, `undefined` when the frame had none). */
export function decodeControl(control: Term, payload: Term | undefined, hasPayload: boolean): Control {
  if (!(control instanceof Tuple) || control.size === 0 || typeof control.at(0) !== 'number') {
    throw new DistProtocolError(`a control message must be a tuple whose first element is an operation number; received ${short(control)}`);
  }
  const op = control.at(0) as number;
  const shape = SHAPES[op];
  if (shape === undefined) throw new DistProtocolError(`unknown control message operation ${op}: ${short(control)}`);
  if (control.size !== shape.size) throw bad(op, `expected a tuple of ${shape.size} elements; received ${control.size}: ${short(control)}`);
  if (shape.payload !== hasPayload) throw bad(op, shape.payload ? 'the payload term is missing' : 'unexpected payload term after the control term');
  const c = control;
  const p = payload as Term;
  switch (op) {
    case ControlOp.LINK:
      return { kind: 'link', from: pidAt(c, 1, op, 'From'), to: pidAt(c, 2, op, 'To') };
    case ControlOp.SEND:
    case ControlOp.SEND_TT:
      return { kind: 'send', from: undefined, to: pidAt(c, 2, op, 'To'), message: p };
    case ControlOp.SEND_SENDER:
    case ControlOp.SEND_SENDER_TT:
      return { kind: 'send', from: pidAt(c, 1, op, 'From'), to: pidAt(c, 2, op, 'To'), message: p };
    case ControlOp.REG_SEND:
    case ControlOp.REG_SEND_TT:
      return { kind: 'reg_send', from: pidAt(c, 1, op, 'From'), to: atomAt(c, 3, op, 'ToName'), message: p };
    case ControlOp.ALIAS_SEND:
    case ControlOp.ALIAS_SEND_TT:
      return { kind: 'alias_send', from: pidAt(c, 1, op, 'From'), alias: refAt(c, 2, op, 'Alias'), message: p };
    case ControlOp.EXIT:
      return { kind: 'exit', from: pidAt(c, 1, op, 'From'), to: pidAt(c, 2, op, 'To'), reason: c.at(3) };
    case ControlOp.EXIT_TT:
      return { kind: 'exit', from: pidAt(c, 1, op, 'From'), to: pidAt(c, 2, op, 'To'), reason: c.at(4) };
    case ControlOp.PAYLOAD_EXIT:
    case ControlOp.PAYLOAD_EXIT_TT:
      return { kind: 'exit', from: pidAt(c, 1, op, 'From'), to: pidAt(c, 2, op, 'To'), reason: p };
    case ControlOp.EXIT2:
      return { kind: 'exit2', from: pidAt(c, 1, op, 'From'), to: pidAt(c, 2, op, 'To'), reason: c.at(3) };
    case ControlOp.EXIT2_TT:
      return { kind: 'exit2', from: pidAt(c, 1, op, 'From'), to: pidAt(c, 2, op, 'To'), reason: c.at(4) };
    case ControlOp.PAYLOAD_EXIT2:
    case ControlOp.PAYLOAD_EXIT2_TT:
      return { kind: 'exit2', from: pidAt(c, 1, op, 'From'), to: pidAt(c, 2, op, 'To'), reason: p };
    case ControlOp.UNLINK:
      return { kind: 'unlink', from: pidAt(c, 1, op, 'From'), to: pidAt(c, 2, op, 'To') };
    case ControlOp.UNLINK_ID:
    case ControlOp.UNLINK_ID_ACK: {
      const id = c.at(1);
      if (!((typeof id === 'number' && Number.isInteger(id) && id >= 0) || (typeof id === 'bigint' && id >= 0n))) {
        throw bad(op, `Id must be a non-negative integer; received ${short(id)}`);
      }
      return { kind: op === ControlOp.UNLINK_ID ? 'unlink_id' : 'unlink_id_ack', id, from: pidAt(c, 2, op, 'From'), to: pidAt(c, 3, op, 'To') };
    }
    case ControlOp.MONITOR_P:
      return { kind: 'monitor', from: pidAt(c, 1, op, 'From'), to: procAt(c, 2, op, 'ToProc'), ref: refAt(c, 3, op, 'Ref') };
    case ControlOp.DEMONITOR_P:
      return { kind: 'demonitor', from: pidAt(c, 1, op, 'From'), to: procAt(c, 2, op, 'ToProc'), ref: refAt(c, 3, op, 'Ref') };
    case ControlOp.MONITOR_P_EXIT:
      return { kind: 'monitor_exit', from: procAt(c, 1, op, 'FromProc'), to: pidAt(c, 2, op, 'To'), ref: refAt(c, 3, op, 'Ref'), reason: c.at(4) };
    case ControlOp.PAYLOAD_MONITOR_P_EXIT:
      return { kind: 'monitor_exit', from: procAt(c, 1, op, 'FromProc'), to: pidAt(c, 2, op, 'To'), ref: refAt(c, 3, op, 'Ref'), reason: p };
    case ControlOp.SPAWN_REQUEST:
    case ControlOp.SPAWN_REQUEST_TT: {
      const mfa = c.at(4);
      if (!(mfa instanceof Tuple) || mfa.size !== 3 || !(mfa.at(0) instanceof Atom) || !(mfa.at(1) instanceof Atom) || typeof mfa.at(2) !== 'number') {
        throw bad(op, `{Module, Function, Arity} must be a tuple of two atoms and an integer; received ${short(mfa)}`);
      }
      const options = c.at(5);
      if (!Array.isArray(options)) throw bad(op, `OptList must be a proper list; received ${short(options)}`);
      if (!Array.isArray(p)) throw bad(op, `the argument list (payload) must be a proper list; received ${short(p)}`);
      if (p.length !== mfa.at(2)) throw bad(op, `Arity ${String(mfa.at(2))} does not match the ${p.length} arguments`);
      return {
        kind: 'spawn_request',
        reqId: refAt(c, 1, op, 'ReqId'),
        from: pidAt(c, 2, op, 'From'),
        groupLeader: pidAt(c, 3, op, 'GroupLeader'),
        module: mfa.at(0) as Atom,
        function: mfa.at(1) as Atom,
        arity: mfa.at(2) as number,
        options: options as Term[],
        args: p as Term[],
      };
    }
    case ControlOp.SPAWN_REPLY:
    case ControlOp.SPAWN_REPLY_TT: {
      const flags = c.at(3);
      if (typeof flags !== 'number' || !Number.isInteger(flags) || flags < 0) throw bad(op, `Flags must be a non-negative integer; received ${short(flags)}`);
      return { kind: 'spawn_reply', reqId: refAt(c, 1, op, 'ReqId'), to: pidAt(c, 2, op, 'To'), flags, result: c.at(4) };
    }
    case ControlOp.GROUP_LEADER:
      return { kind: 'group_leader', from: pidAt(c, 1, op, 'From'), to: pidAt(c, 2, op, 'To') };
    case ControlOp.NODE_LINK:
      return { kind: 'node_link' };
    default:
      throw new DistProtocolError(`unknown control message operation ${op}`);
  }
}

/** The control term and payload to send for `c` (the forms OTP 25 sends; see the header). */
export function encodeControl(c: Control): { control: Tuple; payload?: Term } {
  switch (c.kind) {
    case 'send':
      return c.from === undefined
        ? { control: tuple(ControlOp.SEND, EMPTY, c.to), payload: c.message }
        : { control: tuple(ControlOp.SEND_SENDER, c.from, c.to), payload: c.message };
    case 'reg_send':
      return { control: tuple(ControlOp.REG_SEND, c.from, EMPTY, c.to), payload: c.message };
    case 'alias_send':
      return { control: tuple(ControlOp.ALIAS_SEND, c.from, c.alias), payload: c.message };
    case 'link':
      return { control: tuple(ControlOp.LINK, c.from, c.to) };
    case 'unlink':
      return { control: tuple(ControlOp.UNLINK, c.from, c.to) };
    case 'unlink_id':
      return { control: tuple(ControlOp.UNLINK_ID, c.id, c.from, c.to) };
    case 'unlink_id_ack':
      return { control: tuple(ControlOp.UNLINK_ID_ACK, c.id, c.from, c.to) };
    case 'exit':
      return { control: tuple(ControlOp.PAYLOAD_EXIT, c.from, c.to), payload: c.reason };
    case 'exit2':
      return { control: tuple(ControlOp.PAYLOAD_EXIT2, c.from, c.to), payload: c.reason };
    case 'monitor':
      return { control: tuple(ControlOp.MONITOR_P, c.from, c.to, c.ref) };
    case 'demonitor':
      return { control: tuple(ControlOp.DEMONITOR_P, c.from, c.to, c.ref) };
    case 'monitor_exit':
      return { control: tuple(ControlOp.PAYLOAD_MONITOR_P_EXIT, c.from, c.to, c.ref), payload: c.reason };
    case 'spawn_request':
      return {
        control: tuple(ControlOp.SPAWN_REQUEST, c.reqId, c.from, c.groupLeader, tuple(c.module, c.function, c.arity), c.options as Term[]),
        payload: c.args as Term[],
      };
    case 'spawn_reply':
      return { control: tuple(ControlOp.SPAWN_REPLY, c.reqId, c.to, c.flags, c.result) };
    case 'group_leader':
      return { control: tuple(ControlOp.GROUP_LEADER, c.from, c.to) };
    case 'node_link':
      return { control: tuple(ControlOp.NODE_LINK) };
  }
}
