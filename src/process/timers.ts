/**
 * Erlang timers: erlang:send_after/3, start_timer/3, cancel_timer/1, read_timer/1.
 *
 * All timers of a scheduler live in its one TimerWheel (src/sched/timer_wheel.ts), armed on
 * the event loop with a single setTimeout; a timer costs a wheel node, not a JS timer.
 *   - sendAfter(Ms, Dest, Msg) sends Msg to Dest after Ms; startTimer sends {timeout, TRef, Msg}.
 *     Both return the timer reference TRef.
 *   - Dest is a pid of this node or a registered name. A name is looked up when the timer fires
 *     (nothing happens if it is not registered then). A pid timer is cancelled automatically
 *     when that process exits, or at once if it is already dead (erlang docs).
 *   - A pid of another node, or {Name, Node}, is badarg, as in OTP 25 (erl 25 raises badarg
 *     for both; compared in test/dist/erpc_spawn.test.ts). To time a message to another node,
 *     time it to a local process that forwards it.
 *   - cancelTimer(TRef) returns the ms that were left (rounded up), or false if the timer
 *     already fired, was cancelled, or is unknown; readTimer(TRef) the same without cancelling.
 *   - The Erlang options ({abs, true}, {async, true}, {info, false}) are not supported yet.
 * Threads: scheduler thread, inside a process. Bad input: a time that is not a non-negative
 * integer, or a Dest that is neither a pid nor an atom, throws InvalidArgumentError (badarg).
 */
import { InvalidArgumentError, describeValue } from '../errors/index.js';
import { Atom, Pid, Ref, type Term } from '../term/index.js';
import { currentProcess, type Process } from './process.js';
import type { Runtime } from './runtime.js';
import { refKey } from './signals.js';

function checkTime(time: unknown, where: string): number {
  if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0) {
    throw new InvalidArgumentError(`${where}: time must be a non-negative integer of milliseconds; received ${describeValue(time)}`);
  }
  return time;
}

function checkDest(runtime: Runtime, dest: unknown, where: string): Pid | Atom {
  if (dest instanceof Atom) return dest;
  if (dest instanceof Pid) {
    if (dest.node !== runtime.node) {
      throw new InvalidArgumentError(`${where}: dest must be a pid of this node or a name, as in OTP (badarg for a pid of node '${dest.node.name}'; to time a message to another node, start the timer to a local process that sends it on)`);
    }
    return dest;
  }
  throw new InvalidArgumentError(`${where}: dest must be a pid or a registered name (an Atom); received ${describeValue(dest)}`);
}

/** Starts a timer from a process or from the embedding API (owner undefined). */
export function startTimerIn(runtime: Runtime, owner: Process | undefined, where: string, time: unknown, dest: unknown, message: Term, wrap: boolean): Ref {
  const ms = checkTime(time, where);
  const target = checkDest(runtime, dest, where);
  return runtime.startErlangTimer(ms, target, message, wrap, owner);
}

/** erlang:send_after(Time, Dest, Msg): returns the timer reference. */
export function sendAfter(time: number, dest: Pid | Atom, message: Term): Ref {
  const proc = currentProcess('sendAfter');
  proc.budget -= 1;
  return startTimerIn(proc.runtime, proc, 'sendAfter', time, dest, message, false);
}

/** erlang:start_timer(Time, Dest, Msg): sends {timeout, TRef, Msg}; returns TRef. */
export function startTimer(time: number, dest: Pid | Atom, message: Term): Ref {
  const proc = currentProcess('startTimer');
  proc.budget -= 1;
  return startTimerIn(proc.runtime, proc, 'startTimer', time, dest, message, true);
}

function checkRef(ref: unknown, where: string): Ref {
  if (!(ref instanceof Ref)) throw new InvalidArgumentError(`${where}: timer ref must be a Ref; received ${describeValue(ref)}`);
  return ref;
}

/** erlang:cancel_timer(TRef): ms left, or false when it fired, was cancelled, or is unknown. */
export function cancelTimer(ref: Ref): number | false {
  const proc = currentProcess('cancelTimer');
  proc.budget -= 1;
  return proc.runtime.cancelErlangTimer(refKey(checkRef(ref, 'cancelTimer')));
}

/** erlang:read_timer(TRef): ms left, or false. */
export function readTimer(ref: Ref): number | false {
  const proc = currentProcess('readTimer');
  return proc.runtime.readErlangTimer(refKey(checkRef(ref, 'readTimer')));
}
