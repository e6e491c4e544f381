/**
 * The process code distribution runs on this node, as modules loaded in every scheduler
 * thread (scheduler_worker.ts imports this file; the inline VM imports it too):
 *
 * - `erpc`: execute_call/4 and execute_cast/3, what an OTP node's erpc:call/cast spawn here
 *   with SPAWN_REQUEST: execute_call exits with {Ref, return, Value} | {Ref, throw, V} |
 *   {Ref, exit, R} | {Ref, error, R, Stack}, the reason erpc on the calling node reads from
 *   its monitor's 'DOWN' (erpc.erl, OTP 23+).
 * - `beamjs_dist`:
 *   - spawned/6: the first function of every process a SPAWN_REQUEST starts. It sets up the
 *     link and monitor the request asked for on this side, sends the SPAWN_REPLY (as a
 *     message to a stand-in target the distribution turns into the control message: it
 *     travels the same ordered path as every later signal of the process, so the requester
 *     sees the reply before any exit or 'DOWN' of the process), then becomes M:F(Args).
 *   - rex_call/5 and rex_cast/3: what the `rex` server of this node runs for rpc:call and
 *     rpc:cast arriving the pre-erpc way ({'$gen_call', From, {call, M, F, A, GL}}): the
 *     reply is {Tag, Result} with Result = the value, or {badrpc, {'EXIT', Reason}} (Reason
 *     {R, Stack} for error, R for exit; a throw returns the thrown value, as `catch` does).
 *   - crasher/6 (Node, M, F, Args, Opts, Reason): what rpc.ts spawnOn spawns locally, with the
 *     caller's link/monitor options, when Node cannot be reached: it logs the warning erl logs
 *     ("** Can not start M:F,Args on Node **") and exits with Reason (noconnection), as
 *     erts_internal:crasher/6 does for spawn/4 in OTP 25.
 *
 * M:F(Args) is a beamjs export (defineModule): a generator function runs with yield*, a plain
 * function's return value is the result. An unknown export is error:undef with the stack
 * [{M, F, Args, []}], as in erl.
 *
 * Threads: module code; runs in processes on any scheduler thread.
 */
import { caught, defineModule, ErlangException, self, send, writeLog } from '../process/index.js';
import { lookupExport } from '../process/module_registry.js';
import { currentProcess } from '../process/process.js';
import { raiseExit, stackOf } from '../process/exception.js';
import { pidKey, refKey } from '../process/signals.js';
import { RefTable } from '../process/ref_table.js';
import { Atom, atom, format, Pid, Ref, tuple, type Term } from '../term/index.js';
import { SpawnReplyFlag } from './control.js';
import './global_module.js'; // the `global` module, in every scheduler thread
import './net_kernel.js'; // the `net_kernel` module (start/stop), in every scheduler thread

const A_UNDEF = atom('undef');
const A_RETURN = atom('return');
const A_THROW = atom('throw');
const A_EXIT = atom('exit');
const A_ERROR = atom('error');
const A_BADRPC = atom('badrpc');
const A_EXIT_TAG = atom('EXIT');

/** Pid id of the stand-in target that turns a message into a SPAWN_REPLY (no real pid has it). */
export const SPAWN_REPLY_TARGET_ID = 0xfffffffe;

function isIterator(value: unknown): value is Generator<never, Term, unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { next?: unknown }).next === 'function' && typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

/** apply(M, F, Args) for beamjs exports, inside a process. */
export function* applyExport(module: Atom, fun: Atom, args: readonly Term[]): Generator<never, Term, unknown> {
  const fn = lookupExport(module, fun);
  if (fn === undefined) {
    throw new ErlangException('error', A_UNDEF, `undef: ${module.name}:${fun.name}/${args.length} is not exported`, [tuple(module, fun, args as Term[], [])]);
  }
  const result = (fn as (...a: readonly Term[]) => unknown)(...args);
  if (isIterator(result)) return yield* result;
  return result as Term;
}

defineModule('erpc', {
  *execute_call(ref: Ref, module: Atom, fun: Atom, args: Term[]) {
    let reply: Term;
    try {
      reply = tuple(ref, A_RETURN, yield* applyExport(module, fun, args));
    } catch (thrown) {
      const c = caught(thrown);
      if (c.class === 'throw') reply = tuple(ref, A_THROW, c.reason);
      else if (c.class === 'exit') reply = tuple(ref, A_EXIT, c.reason);
      else reply = tuple(ref, A_ERROR, c.reason, c.erlangStack ?? stackOf(module, fun, args.length));
    }
    raiseExit(reply);
  },
  *execute_cast(module: Atom, fun: Atom, args: Term[]) {
    yield* applyExport(module, fun, args);
  },
});

defineModule('beamjs_dist', {
  *spawned(reqId: Ref, requester: Pid, flags: number, module: Atom, fun: Atom, args: Term[]) {
    const proc = currentProcess('beamjs_dist:spawned');
    if ((flags & SpawnReplyFlag.LINK) !== 0) (proc.links ??= new Map()).set(pidKey(requester), requester);
    if ((flags & SpawnReplyFlag.MONITOR) !== 0) (proc.monitoredBy ??= new RefTable()).set(refKey(reqId), { ref: reqId, watcher: requester, object: proc.pid });
    send(new Pid(requester.node, SPAWN_REPLY_TARGET_ID, 0, 0), tuple(reqId, requester, flags, self()));
    return yield* applyExport(module, fun, args);
  },
  *rex_call(replyTo: Pid, tag: Term, module: Atom, fun: Atom, args: Term[]) {
    let result: Term;
    try {
      result = yield* applyExport(module, fun, args);
    } catch (thrown) {
      const c = caught(thrown);
      if (c.class === 'throw') result = c.reason;
      else if (c.class === 'exit') result = tuple(A_BADRPC, tuple(A_EXIT_TAG, c.reason));
      else result = tuple(A_BADRPC, tuple(A_EXIT_TAG, tuple(c.reason, c.erlangStack ?? stackOf(module, fun, args.length))));
    }
    send(replyTo, tuple(tag, result));
  },
  *rex_cast(module: Atom, fun: Atom, args: Term[]) {
    yield* applyExport(module, fun, args);
  },
  crasher(target: Atom, module: Atom, fun: Atom, args: Term[], opts: Term[], reason: Term) {
    const options = opts.length === 0 ? '' : ` (${format(opts)})`;
    writeLog('warning', `** Can not start ${format(module)}:${format(fun)},${format(args)}${options} on ${format(target)} **`);
    raiseExit(reason);
  },
});

