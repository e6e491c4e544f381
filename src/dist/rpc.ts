/**
 * rpc, net_adm and remote spawn for beamjs processes: `yield* rpc.call(Node, M, F, A, Timeout)`,
 * `rpc.cast`, `yield* erpcCall(...)`, `yield* ping(Node)`, `yield* spawnOn(Node, M, F, A, opts)`.
 *
 * rpc.call goes through the remote node's `rex` server (gen_server:call({rex, Node},
 * {call, M, F, A, user})), which every OTP node and every beamjs node runs: the result is the
 * value, `{badrpc, nodedown}` when the node is unreachable or goes down during the call,
 * `{badrpc, {'EXIT', Reason}}` when the call raised, `{badrpc, timeout}` after Timeout ms
 * (a late reply is then dropped by the receive marker of the call's ref). erpcCall has erpc's
 * contract on top of the same path: the value, or it raises as erpc:call does:
 * error:{erpc, noconnection}, error:{erpc, timeout}, error:{exception, Reason, Stack} for a
 * remote error, exit:{exception, Reason} for a remote exit. (Through rex a remote throw comes
 * back as a value, where erpc would re-throw it: a difference from OTP.)
 * ping is net_adm:ping: {'$gen_call', {self(), Ref}, {is_auth, node()}} to {net_kernel, Node};
 * `pong` on a reply, `pang` on a 'DOWN' or after 7 s.
 *
 * The group leader sent is the atom `user` (rex's form for nodes without I/O to offer):
 * output of the remote function goes to the remote node's user.
 *
 * Threads: inside a process, on any scheduler thread of a distributed VM.
 */
import { demonitor, makeRef, monitor, node, self, send, receive, type ProcessGenerator } from '../process/index.js';
import { currentProcess } from '../process/process.js';
import { refKey } from '../process/signals.js';
import { RefTable } from '../process/ref_table.js';
import { ErlangException } from '../process/exception.js';
import { Atom, Pid, Ref, Tuple, atom, tuple, type Term } from '../term/index.js';

const A_REX = atom('rex');
const A_NET_KERNEL = atom('net_kernel');
const A_GEN_CALL = atom('$gen_call');
const A_GEN_CAST = atom('$gen_cast');
const A_CALL = atom('call');
const A_CAST = atom('cast');
const A_USER = atom('user');
const A_BADRPC = atom('badrpc');
const A_NODEDOWN = atom('nodedown');
const A_TIMEOUT = atom('timeout');
const A_EXIT = atom('EXIT');
const A_IS_AUTH = atom('is_auth');
const A_YES = atom('yes');
const A_DOWN = atom('DOWN');
const A_ERPC = atom('erpc');
const A_NOCONNECTION = atom('noconnection');
const A_EXCEPTION = atom('exception');
const A_LINK = atom('link');
const A_MONITOR = atom('monitor');
const A_SPAWN_REPLY = atom('spawn_reply');
const A_OK = atom('ok');

/** Matches {Ref, Reply} (down: false) or {'DOWN', Ref, _, _, Reason} (down: true). */
function replyOrDown(ref: Ref): (message: Term) => { down: boolean; value: Term } | undefined {
  return (message) => {
    if (!(message instanceof Tuple)) return undefined;
    if (message.size === 2 && message.at(0) instanceof Ref && (message.at(0) as Ref).equals(ref)) return { down: false, value: message.at(1) };
    if (message.size === 5 && message.at(0) === A_DOWN && message.at(1) instanceof Ref && (message.at(1) as Ref).equals(ref)) return { down: true, value: message.at(4) };
    return undefined;
  };
}

/** rpc:call(Node, M, F, A[, Timeout]): see the header. Timeout in ms or 'infinity'. */
export function* call(target: Atom, module: Atom, fun: Atom, args: readonly Term[], timeout: number | 'infinity' = 'infinity'): ProcessGenerator<Term> {
  const server = tuple(A_REX, target);
  const ref = monitor(server);
  send(server, tuple(A_GEN_CALL, tuple(self(), ref), tuple(A_CALL, module, fun, args as Term[], A_USER)));
  const got = yield* receive(replyOrDown(ref), timeout);
  if (got === undefined) {
    demonitor(ref, { flush: true });
    return tuple(A_BADRPC, A_TIMEOUT);
  }
  if (got.down) return tuple(A_BADRPC, got.value === A_NOCONNECTION ? A_NODEDOWN : tuple(A_EXIT, got.value));
  demonitor(ref, { flush: true });
  return got.value;
}

/** rpc:cast(Node, M, F, A): true, at once. */
export function cast(target: Atom, module: Atom, fun: Atom, args: readonly Term[]): true {
  send(tuple(A_REX, target), tuple(A_GEN_CAST, tuple(A_CAST, module, fun, args as Term[], A_USER)));
  return true;
}

/** erpc:call(Node, M, F, A[, Timeout]): the value, or raises as erpc does (see the header). */
export function* erpcCall(target: Atom, module: Atom, fun: Atom, args: readonly Term[], timeout: number | 'infinity' = 'infinity'): ProcessGenerator<Term> {
  const result = yield* call(target, module, fun, args, timeout);
  if (result instanceof Tuple && result.size === 2 && result.at(0) === A_BADRPC) {
    const why = result.at(1);
    if (why === A_NODEDOWN) throw new ErlangException('error', tuple(A_ERPC, A_NOCONNECTION));
    if (why === A_TIMEOUT) throw new ErlangException('error', tuple(A_ERPC, A_TIMEOUT));
    if (why instanceof Tuple && why.size === 2 && why.at(0) === A_EXIT) {
      const reason = why.at(1);
      if (reason instanceof Tuple && reason.size === 2 && Array.isArray(reason.at(1))) throw new ErlangException('error', tuple(A_EXCEPTION, reason.at(0), reason.at(1)));
      throw new ErlangException('exit', tuple(A_EXCEPTION, reason));
    }
  }
  return result;
}

/** net_adm:ping(Node): 'pong' | 'pang'. */
export function* ping(target: Atom): ProcessGenerator<Atom> {
  if (target === node()) return atom('pong');
  const server = tuple(A_NET_KERNEL, target);
  const ref = monitor(server);
  send(server, tuple(A_GEN_CALL, tuple(self(), ref), tuple(A_IS_AUTH, node())));
  const got = yield* receive(replyOrDown(ref), 7000);
  demonitor(ref, { flush: true });
  return got !== undefined && !got.down && got.value === A_YES ? atom('pong') : atom('pang');
}

/** Pid id of the stand-in target that turns a message into a SPAWN_REQUEST (no real pid has it). */
export const SPAWN_REQUEST_TARGET_ID = 0xfffffffd;

export interface SpawnOnOptions {
  readonly link?: boolean;
  readonly monitor?: boolean;
}

/**
 * spawn(Node, M, F, Args) / spawn_opt(Node, M, F, Args, [link | monitor]) on another node, by
 * SPAWN_REQUEST: returns the new pid (with `monitor`, {Pid, Ref}: the 'DOWN' comes with that
 * Ref). When the node cannot be reached the result is, as in OTP, a pid that is already dead
 * for the caller: a link gives {'EXIT', Pid, noconnection}, a monitor a 'DOWN' noconnection.
 * Here the error is raised instead when no reply comes within 7 s: error:{spawn_failed, Node}.
 */
export function* spawnOn(target: Atom, module: Atom, fun: Atom, args: readonly Term[], options: SpawnOnOptions = {}): ProcessGenerator<Pid | Tuple> {
  const proc = currentProcess('spawnOn');
  const reqId = makeRef();
  const opts: Term[] = [];
  if (options.link === true) opts.push(A_LINK);
  if (options.monitor === true) {
    opts.push(A_MONITOR);
    // Recorded before the request: a 'DOWN' for it may follow the reply at once.
    (proc.monitors ??= new RefTable()).set(refKey(reqId), { ref: reqId, target: undefined, object: undefined });
  }
  send(new Pid(target, SPAWN_REQUEST_TARGET_ID, 0, 0), tuple(reqId, self(), module, fun, args as Term[], opts));
  const got = yield* receive((m: Term) => (m instanceof Tuple && m.size === 4 && m.at(0) === A_SPAWN_REPLY && m.at(1) instanceof Ref && (m.at(1) as Ref).equals(reqId) ? m : undefined), 7000);
  if (got === undefined || got.at(2) !== A_OK) {
    proc.monitors?.delete(refKey(reqId));
    throw new ErlangException('error', tuple(atom('spawn_failed'), got === undefined ? target : got.at(3)));
  }
  const pid = got.at(3) as Pid;
  if (options.monitor === true) {
    const entry = proc.monitors?.get(refKey(reqId));
    if (entry !== undefined) proc.monitors!.set(refKey(reqId), { ref: reqId, target: pid, object: pid });
    return tuple(pid, reqId);
  }
  return pid;
}
