/**
 * rpc, net_adm and remote spawn for beamjs processes: `yield* rpc.call(Node, M, F, A, Timeout)`,
 * `rpc.cast`, `yield* erpcCall(...)`, `yield* ping(Node)`, `yield* spawnOn(Node, M, F, A, opts)`.
 *
 * rpc.call goes through the remote node's `rex` server (gen_server:call({rex, Node},
 * {call, M, F, A, user})), which every OTP node and every beamjs node runs: the result is the
 * value, `{badrpc, nodedown}` when the node is unreachable or goes down during the call,
 * `{badrpc, {'EXIT', Reason}}` when the call raised, `{badrpc, timeout}` after Timeout ms
 * (a late reply is then dropped by the receive marker of the call's ref). The group leader
 * sent is the atom `user` (rex's form for nodes without I/O to offer): output of the remote
 * function goes to the remote node's user.
 *
 * erpcCall is erpc:call as erpc.erl (OTP 25) does it, for erl and beamjs peers alike: a
 * SPAWN_REQUEST of erpc:execute_call(Res, M, F, A) with a monitor (every OTP node has erpc;
 * beamjs nodes define it in dist_modules.ts). The 'DOWN' reason is the outcome:
 *   {Res, return, V} -> V; {Res, throw, V} -> throw:V; {Res, exit, R} -> exit:{exception, R};
 *   {Res, error, R, Stack} -> error:{exception, R, Stack}; {Res, error, {erpc, E}} -> error:{erpc, E};
 *   noconnection -> error:{erpc, noconnection}; any other reason R -> exit:{signal, R}.
 * A Node, M or F that is not an atom, Args not a list, or a Timeout that is neither
 * 'infinity' nor an integer 0..4294967295 is error:{erpc, badarg}.
 * A spawn error E (noconnection when the node cannot be reached) is error:{erpc, E}; no
 * answer within Timeout ms is error:{erpc, timeout} (the request is abandoned: its monitor
 * is dropped, the remote call runs on, as in OTP 25). After a timeout that came before the
 * SPAWN_REPLY, that late {spawn_reply, ReqId, ok, Pid} message stays in the mailbox (erpc
 * asks erl not to send it: {reply, error_only}; beamjs always gets it).
 *
 * The group leader of a process spawned by spawnOn or erpcCall is the caller's pid, which
 * is no I/O server: output of the remote function is not supported there (rpc.call's `user`
 * is).
 *
 * spawnOn is spawn/spawn_opt(Node, ...): see its comment (noconnection as in OTP: at once).
 *
 * ping is net_adm:ping: {'$gen_call', {self(), Ref}, {is_auth, node()}} to {net_kernel, Node};
 * `pong` on a reply, `pang` on a 'DOWN' or after 7 s.
 *
 * Threads: inside a process, on any scheduler thread of a distributed VM.
 */
import { caught, demonitor, makeRef, monitor, node, self, send, spawnOpt, receive, type ProcessGenerator } from '../process/index.js';
import { currentProcess, type Process } from '../process/process.js';
import { refKey } from '../process/signals.js';
import { RefTable } from '../process/ref_table.js';
import { ErlangException, stackOf } from '../process/exception.js';
import { applyExport } from './dist_modules.js';
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
const A_ERROR = atom('error');
const A_RETURN = atom('return');
const A_THROW = atom('throw');
const A_EXIT_CLASS = atom('exit');
const A_SIGNAL = atom('signal');
const A_NOTSUP = atom('notsup');
const A_NONODE = atom('nonode@nohost');
const A_EXECUTE_CALL = atom('execute_call');
const A_BEAMJS_DIST = atom('beamjs_dist');
const A_CRASHER = atom('crasher');
const A_BADARG = atom('badarg');
/** erpc's largest integer timeout (?MAX_INT_TIMEOUT in erpc.erl). */
const MAX_TIMEOUT_MS = 4294967295;

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

/**
 * erpc:call(Node, M, F, A[, Timeout]) as erpc.erl (OTP 25) does it: a SPAWN_REQUEST of
 * erpc:execute_call(Res, M, F, A) with a monitor; the 'DOWN' reason carries the outcome
 * (see the header). To this node the call runs inline in the caller, as erpc's own
 * optimisation for node() does (here whatever the Timeout).
 */
export function* erpcCall(target: Atom, module: Atom, fun: Atom, args: readonly Term[], timeout: number | 'infinity' = 'infinity'): ProcessGenerator<Term> {
  const validTimeout = timeout === 'infinity' || (Number.isSafeInteger(timeout) && timeout >= 0 && timeout <= MAX_TIMEOUT_MS);
  if (!(target instanceof Atom) || !(module instanceof Atom) || !(fun instanceof Atom) || !Array.isArray(args) || !validTimeout) throw new ErlangException('error', tuple(A_ERPC, A_BADARG));
  if (target === node()) return yield* erpcLocal(module, fun, args);
  const proc = currentProcess('erpcCall');
  const res = makeRef();
  const reqId = requestSpawn(proc, target, A_ERPC, A_EXECUTE_CALL, [res, module, fun, args as Term[]], { monitor: true });
  const deadline = timeout === 'infinity' ? Infinity : performance.now() + timeout;
  for (;;) {
    const left = timeout === 'infinity' ? 'infinity' : Math.max(0, Math.ceil(deadline - performance.now()));
    let got = yield* receive(erpcAnswer(reqId), left);
    if (got === undefined) {
      // erpc's call_abandon: if the 'DOWN' came meanwhile (the monitor is gone), it is the answer.
      if (demonitor(reqId, { info: true })) throw new ErlangException('error', tuple(A_ERPC, A_TIMEOUT));
      got = yield* receive(erpcAnswer(reqId), 0);
      if (got === undefined) throw new ErlangException('error', tuple(A_ERPC, A_TIMEOUT));
    }
    if (got.kind === 'spawned') {
      noteSpawned(proc, reqId, got.value as Pid);
      continue;
    }
    if (got.kind === 'spawn_error') {
      proc.monitors?.delete(refKey(reqId));
      throw new ErlangException('error', tuple(A_ERPC, got.value));
    }
    return erpcResult(res, got.value);
  }
}

/** erpc's result(down, ...): the value of a 'DOWN' reason, or the exception it stands for. */
function erpcResult(res: Ref, reason: Term): Term {
  if (reason instanceof Tuple && reason.size >= 3 && reason.at(0) instanceof Ref && (reason.at(0) as Ref).equals(res)) {
    const kind = reason.at(1);
    if (reason.size === 3 && kind === A_RETURN) return reason.at(2);
    if (reason.size === 3 && kind === A_THROW) throw new ErlangException('throw', reason.at(2));
    if (reason.size === 3 && kind === A_EXIT_CLASS) throw new ErlangException('exit', tuple(A_EXCEPTION, reason.at(2)));
    if (reason.size === 4 && kind === A_ERROR) throw new ErlangException('error', tuple(A_EXCEPTION, reason.at(2), reason.at(3)));
    const erpcError = reason.at(2);
    if (reason.size === 3 && kind === A_ERROR && erpcError instanceof Tuple && erpcError.size === 2 && erpcError.at(0) === A_ERPC) throw new ErlangException('error', erpcError);
  }
  if (reason === A_NOCONNECTION) throw new ErlangException('error', tuple(A_ERPC, A_NOCONNECTION));
  throw new ErlangException('exit', tuple(A_SIGNAL, reason));
}

/** erpc:call to node(): M:F(A) in the caller; exit and error are wrapped as erpc wraps them, a throw passes. */
function* erpcLocal(module: Atom, fun: Atom, args: readonly Term[]): ProcessGenerator<Term> {
  try {
    return yield* applyExport(module, fun, args);
  } catch (thrown) {
    const c = caught(thrown);
    if (c.class === 'exit') throw new ErlangException('exit', tuple(A_EXCEPTION, c.reason));
    if (c.class === 'error') throw new ErlangException('error', tuple(A_EXCEPTION, c.reason, c.erlangStack ?? stackOf(module, fun, args.length)));
    throw thrown;
  }
}

type ErpcAnswer = { kind: 'spawned' | 'spawn_error' | 'down'; value: Term };

/** Matches the SPAWN_REPLY ({spawn_reply, ReqId, ok | error, X}) and the 'DOWN' of an erpc request. */
function erpcAnswer(reqId: Ref): (message: Term) => ErpcAnswer | undefined {
  return (message) => {
    if (!(message instanceof Tuple) || !(message.at(1) instanceof Ref) || !(message.at(1) as Ref).equals(reqId)) return undefined;
    if (message.size === 4 && message.at(0) === A_SPAWN_REPLY) return { kind: message.at(2) === A_OK ? 'spawned' : 'spawn_error', value: message.at(3) };
    if (message.size === 5 && message.at(0) === A_DOWN) return { kind: 'down', value: message.at(4) };
    return undefined;
  };
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
 * Sends a SPAWN_REQUEST of M:F(Args) to `target`; returns its ReqId (with `monitor`, also the
 * monitor's ref). The answer is the message {spawn_reply, ReqId, ok, Pid} or {spawn_reply,
 * ReqId, error, Reason}: error noconnection when the node cannot be reached or the connection
 * goes before the reply (vm_bridge.ts), and at once on a node that is not alive.
 */
function requestSpawn(proc: Process, target: Atom, module: Atom, fun: Atom, args: readonly Term[], options: SpawnOnOptions): Ref {
  const reqId = makeRef();
  if (node() === A_NONODE) {
    send(self(), tuple(A_SPAWN_REPLY, reqId, A_ERROR, A_NOCONNECTION));
    return reqId;
  }
  const opts: Term[] = [];
  if (options.link === true) opts.push(A_LINK);
  if (options.monitor === true) {
    opts.push(A_MONITOR);
    // Recorded before the request: a 'DOWN' for it may follow the reply at once.
    (proc.monitors ??= new RefTable()).set(refKey(reqId), { ref: reqId, target: undefined, object: undefined });
  }
  send(new Pid(target, SPAWN_REQUEST_TARGET_ID, 0, 0), tuple(reqId, self(), module, fun, args as Term[], opts));
  return reqId;
}

/** The spawned pid is the target of the request's monitor from now on (demonitor reaches it). */
function noteSpawned(proc: Process, reqId: Ref, pid: Pid): void {
  if (proc.monitors?.get(refKey(reqId)) !== undefined) proc.monitors.set(refKey(reqId), { ref: reqId, target: pid, object: pid });
}

/**
 * spawn(Node, M, F, Args) / spawn_opt(Node, M, F, Args, [link | monitor]) on another node, by
 * SPAWN_REQUEST: returns the new pid (with `monitor`, {Pid, Ref}: the 'DOWN' comes with that
 * Ref). It waits for the SPAWN_REPLY as erlang:spawn_opt/5 does (no timeout). When the node
 * cannot be reached (spawn_reply error noconnection, which comes at once when epmd does not
 * know the name) the result is, as in OTP, the pid of a local process that exits with
 * noconnection at once (erts_internal:crasher): a link gives {'EXIT', Pid, noconnection}, a
 * monitor a 'DOWN' noconnection. Another spawn error raises error:Reason. To node() it is a
 * local spawn_opt.
 */
export function* spawnOn(target: Atom, module: Atom, fun: Atom, args: readonly Term[], options: SpawnOnOptions = {}): ProcessGenerator<Pid | Tuple> {
  const proc = currentProcess('spawnOn');
  if (target === node()) return spawnOpt(module, fun, args, { link: options.link === true, monitor: options.monitor === true });
  const reqId = requestSpawn(proc, target, module, fun, args, options);
  const got = yield* receive((m: Term) => (m instanceof Tuple && m.size === 4 && m.at(0) === A_SPAWN_REPLY && m.at(1) instanceof Ref && (m.at(1) as Ref).equals(reqId) ? m : undefined));
  if (got.at(2) !== A_OK) {
    proc.monitors?.delete(refKey(reqId));
    const reason = got.at(3);
    if (reason === A_NOCONNECTION || reason === A_NOTSUP) {
      const opts: Term[] = [];
      if (options.link === true) opts.push(A_LINK);
      if (options.monitor === true) opts.push(A_MONITOR);
      return spawnOpt(A_BEAMJS_DIST, A_CRASHER, [target, module, fun, args as Term[], opts, reason], { link: options.link === true, monitor: options.monitor === true });
    }
    throw new ErlangException('error', reason);
  }
  const pid = got.at(3) as Pid;
  if (options.monitor === true) {
    noteSpawned(proc, reqId, pid);
    return tuple(pid, reqId);
  }
  return pid;
}
