/**
 * `global` for beamjs processes: `Global.registerName / whereisName / unregisterName / send`,
 * and the process module `global` (defineModule) with register_name/2, unregister_name/1,
 * whereis_name/1 and send/2, so `{via, global, Name}` names a gen_server (and
 * `{global, Name}` once the behaviours map it to that via form).
 *
 * The table: the ETS set GLOBAL_TABLE ({Name, Pid}, public, named), created by the VM at start
 * (createGlobalTable), read and written directly by every scheduler thread: register_name is
 * ets:insert_new, so two processes of one node racing for a name get one `yes` and one `no`.
 * On a distributed VM the main thread's GlobalNames (global.ts) tells the other beamjs nodes
 * (a notice at a stand-in target, the path of node_monitor.ts) and writes their names into the
 * same table; on a non-distributed VM the table is the whole story.
 *
 * Semantics (global.erl, OTP 25): register_name(Name, Pid) -> yes | no (no when Name is taken;
 * a pid may hold several names); unregister_name(Name) -> _ (here `true`); whereis_name(Name)
 * -> Pid | undefined; send(Name, Msg) -> Pid, or exits {badarg, {Name, Msg}} for an unknown
 * name. A name whose local pid is no longer alive counts as free: on a distributed VM the main
 * thread's global server monitors every holder and removes its names when it exits, as OTP does
 * (global.ts); on a VM without distribution the name goes at the next look-up.
 *
 * Threads: any scheduler thread, inside a process (createGlobalTable: the VM's main thread).
 */
import { defineModule, isProcessAlive, makeRef, node, receive, self, send as sendBif, type ProcessGenerator } from '../process/index.js';
import { raiseExit } from '../process/exception.js';
import { ets } from '../ets/index.js';
import { Atom, P, Pid, Ref, Tuple, atom, tuple, type Term } from '../term/index.js';
import { NET_KERNEL_NODE } from './node_monitor.js';

/** The ETS table of global names. */
export const GLOBAL_TABLE = atom('$beamjs_global_names');
/** Pid id of the stand-in target of global notices to the main thread: {register, Name, Pid} | {unregister, Name}. */
export const GLOBAL_TARGET_ID = 0xfffffffa;
/** The stand-in pid that monitors this node's name holders for the main thread's global server (global.ts). */
export const GLOBAL_WATCHER_PID = new Pid(NET_KERNEL_NODE, GLOBAL_TARGET_ID, 0, 0);

const A_YES = atom('yes');
const A_NO = atom('no');
const A_BADARG = atom('badarg');
const A_REGISTER = atom('register');
const A_UNREGISTER = atom('unregister');
const A_NONODE = atom('nonode@nohost');
const A_OK = atom('ok');
const A_SYNC = atom('sync');
/** The main thread's answer to a sync request: {'$beamjs_global_synced', Ref}. */
export const A_SYNCED = atom('$beamjs_global_synced');

/** Creates the table (the VM calls it once, as its external process). */
export function createGlobalTable(): void {
  ets.new(GLOBAL_TABLE, [atom('set'), atom('public'), atom('named_table'), tuple(atom('read_concurrency'), true)]);
}

function notify(message: Term): void {
  if (node() !== A_NONODE) sendBif(new Pid(NET_KERNEL_NODE, GLOBAL_TARGET_ID, 0, 0), message);
}

function held(name: Term): Pid | undefined {
  const found = ets.lookup(GLOBAL_TABLE, name);
  if (found.length === 0) return undefined;
  const pid = found[0]!.at(1) as Pid;
  if (pid.node === node() && !isProcessAlive(pid)) {
    ets.deleteObject(GLOBAL_TABLE, found[0]!);
    notify(tuple(A_UNREGISTER, name));
    return undefined;
  }
  return pid;
}

/** global:register_name(Name, Pid): 'yes' | 'no'. */
function registerName(name: Term, pid: Pid): Atom {
  if (!(pid instanceof Pid)) raiseExit(tuple(A_BADARG, tuple(name, pid)));
  held(name); // a dead holder's name is free
  if (!ets.insertNew(GLOBAL_TABLE, tuple(name, pid))) return A_NO;
  notify(tuple(A_REGISTER, name, pid));
  return A_YES;
}

/** global:unregister_name(Name). */
function unregisterName(name: Term): true {
  const found = ets.lookup(GLOBAL_TABLE, name);
  if (found.length > 0) {
    ets.deleteObject(GLOBAL_TABLE, found[0]!);
    notify(tuple(A_UNREGISTER, name));
  }
  return true;
}

/** global:whereis_name(Name): the pid, or undefined. */
function whereisName(name: Term): Pid | undefined {
  return held(name);
}

/** global:send(Name, Msg): the pid; exits {badarg, {Name, Msg}} for an unknown name. */
function send(name: Term, message: Term): Pid {
  const pid = held(name);
  if (pid === undefined) raiseExit(tuple(A_BADARG, tuple(name, message)));
  sendBif(pid, message);
  return pid;
}

/**
 * global:sync/0: waits until every visible node connected now has synced its names with this
 * one (global.ts `sync()`, on the main thread), then 'ok'. At once on a VM without distribution.
 */
function* sync(): ProcessGenerator<Atom> {
  if (node() === A_NONODE) return A_OK;
  const ref = makeRef();
  sendBif(new Pid(NET_KERNEL_NODE, GLOBAL_TARGET_ID, 0, 0), tuple(A_SYNC, self(), ref));
  yield* receive(P.tuple(A_SYNCED, ref));
  return A_OK;
}

/** The TS API. */
export const Global = { registerName, unregisterName, whereisName, send, sync };

defineModule('global', {
  register_name: (name: Term, pid: Pid) => registerName(name, pid),
  unregister_name: (name: Term) => unregisterName(name),
  whereis_name: (name: Term) => whereisName(name),
  send: (name: Term, message: Term) => send(name, message),
  sync,
});

/** A notice at the global stand-in target: {register, Name, Pid} | {unregister, Name} | {sync, Pid, Ref}. */
export function isGlobalNotice(message: Term): message is Tuple {
  return (
    message instanceof Tuple &&
    ((message.size === 3 && message.at(0) === A_REGISTER && message.at(2) instanceof Pid) ||
      (message.size === 2 && message.at(0) === A_UNREGISTER) ||
      (message.size === 3 && message.at(0) === A_SYNC && message.at(1) instanceof Pid && message.at(2) instanceof Ref))
  );
}
