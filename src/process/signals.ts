/**
 * Signals: the one place where what processes send each other is delivered and handled, and
 * where a process's death is turned into signals.
 *
 * Signal kinds (erl_proc_sig_queue.h calls them the same): MESSAGE, LINK, UNLINK, EXIT (exit/2),
 * EXIT_LINKED (a linked process died), MONITOR, DEMONITOR, DOWN (a monitored process died; the
 * watcher turns it into a 'DOWN' message).
 *
 * Ordering: between any pair of processes, signals are handled in the order they were sent
 * (DESIGN.md). On one thread this file gets it with one FIFO per runtime: `post` appends a
 * signal and, unless a drain is already running lower in the stack, drains the FIFO at once,
 * in order. So a signal is handled before the sender's next statement runs, and a signal
 * produced while handling another (a death produces EXIT_LINKED and DOWN signals) waits behind
 * those already posted: no recursion, so a chain of 100,000 linked processes dies without
 * deepening the JS stack, and a 'DOWN' always comes after the messages the dead process sent.
 * A message sent while no drain runs skips the FIFO (it could not overtake anything): that is
 * the fast path of every send. When schedulers are threads (next issue), a signal for a process
 * of another scheduler is encoded into that scheduler's ring; the receiving scheduler drains
 * its rings in order and calls the same `handle` below, so the rules stay in this file.
 *
 * Handling rules (Erlang's documented semantics; OTP 25 checked with erl):
 *   - MESSAGE: appended to the mailbox; wakes a process waiting in receive.
 *   - LINK: the target records the link; if the target is dead, the linker gets an
 *     EXIT_LINKED with reason noproc (OTP 25's link/1 to a dead local pid returns true and
 *     sends that exit signal).
 *   - UNLINK: the target forgets the link. The caller forgot its side synchronously, and an
 *     EXIT_LINKED arriving for a link no longer known is dropped, so once unlink/1 returns the
 *     link has no further effect on the caller (OTP 23+ unlink semantics).
 *   - EXIT (exit/2): reason `kill` kills unconditionally (reason `killed`); a trapping process
 *     gets {'EXIT', From, Reason}; `normal` is ignored unless the target is the sender itself
 *     (exit(self(), normal) ends it); any other reason ends the process with that reason.
 *   - EXIT_LINKED: dropped if the link is gone; else the link is removed, and a trapping process
 *     gets {'EXIT', From, Reason}; `normal` is ignored; other reasons (including `kill`, which
 *     is not special on a link) end the process with the same reason.
 *   - MONITOR: the target records the monitor; if the target is dead, the watcher gets a DOWN
 *     with reason noproc.
 *   - DEMONITOR: the target forgets the monitor.
 *   - DOWN: dropped if the watcher no longer holds the monitor (demonitor happened); else the
 *     monitor is removed and {'DOWN', Ref, process, Object, Reason} is queued as a message.
 *   A process that must die while its own slice is running (it sent the signal that kills it)
 *   gets `pendingExit` and exits at its next yield point; otherwise it is terminated at once.
 *
 * Threads: scheduler thread only. Ownership: signals are short-lived records; the FIFO holds
 * them until handled. Bad input: a signal to a pid that is not alive is handled as the rules
 * say for a dead target (LINK/MONITOR answer noproc, everything else is dropped silently).
 */
import { atom as atomOf, localNode, Pid as PidClass, tuple, type Atom, type Pid, type Ref, type Term } from '../term/index.js';
import { A_DOWN, A_EXIT, A_KILL, A_KILLED, A_NOPROC, A_NORMAL, A_PROCESS } from './atoms.js';
import type { Caught } from './exception.js';
import { ProcessStatus, WaitKind, type Process } from './process.js';
import { RefTable } from './ref_table.js';
import { cancelWaitTimer } from './receive.js';
import type { Runtime } from './runtime.js';

export const SignalKind = {
  MESSAGE: 0,
  LINK: 1,
  UNLINK: 2,
  EXIT: 3,
  EXIT_LINKED: 4,
  MONITOR: 5,
  DEMONITOR: 6,
  DOWN: 7,
  /** The name table changed for the target (register/unregister from another thread); data: the name. */
  NAME: 8,
} as const;
export type SignalKind = (typeof SignalKind)[keyof typeof SignalKind];

/** One signal in flight. `data` is the message or the exit reason; `ref`/`object` for monitors. */
export class Signal {
  /** Set by the receiving thread when the signal came from its target's home thread (guests accept only those). */
  viaHome = false;
  /**
   * A MESSAGE that arrived from another thread still encoded (its ETF; `data` is then unused):
   * it goes into the mailbox as bytes and is decoded only when a receive needs it (mailbox.ts).
   */
  encoded: Uint8Array | undefined = undefined;

  constructor(
    readonly kind: SignalKind,
    readonly from: Pid | undefined,
    readonly to: Pid,
    readonly data: Term,
    readonly ref: Ref | undefined,
    readonly object: Term,
  ) {}
}

/** Pid id of the stand-in target of a signal addressed by name to another node (no real pid has it). */
export const NAME_TARGET_ID = 0xffffffff;

/**
 * The stand-in target of a signal for `{Name, Node}` on another node: a pid of `node` that
 * names no process; the signal's `object` carries the name (MESSAGE) or `{Name, Node}`
 * (MONITOR, DEMONITOR). The distribution turns it into REG_SEND / MONITOR_P by name.
 */
export function remoteNameTarget(node: Atom): Pid {
  return new PidClass(node, NAME_TARGET_ID, 0, 0);
}

/**
 * A map key for a pid (links). A local pid's key leaves its node out (`L.` prefix): the
 * node's name changes at net_kernel:start/stop, and a link made before must be found after.
 */
export function pidKey(pid: Pid): string {
  const node = pid.node;
  return pid.creation === 0 && node === localNode() ? `L.${pid.id}.${pid.serial}` : `${node.index}.${pid.id}.${pid.serial}.${pid.creation}`;
}

/** A map key for a ref (monitors, timers). */
export function refKey(ref: Ref): RefKey {
  // A ref of this node made by a Runtime ([low, high, thread], high almost always 0) gets a
  // number key (thread * 2^32 + low): building a string per lookup was a tenth of a
  // gen_server call. Any other ref gets the string of all its words (missing words are 0,
  // as `Ref.equals` counts them).
  const ids = ref.ids;
  let length = ids.length;
  while (length > 1 && ids[length - 1] === 0) length--; // trailing zero words do not count
  if (ref.creation === 0 && length <= 3 && (ids[1] ?? 0) === 0 && ref.node === localNode()) return (length === 3 ? ids[2]! : 0) * 0x100000000 + ids[0]!;
  const node = ref.node;
  return `${ref.creation === 0 && node === localNode() ? 'L' : node.index}.${ref.creation}.${ids.slice(0, length).join('.')}`;
}

/** A map key for a ref (refKey). */
export type RefKey = string | number;

/** The per-runtime FIFO of signals being handled (see the header). */
export class SignalQueue {
  items: Signal[] = [];
  head = 0;
  draining = false;
}

/** Sends a message (the fast path of `send`): handled at once unless a drain is running. */
export function sendMessage(runtime: Runtime, from: Pid | undefined, to: Pid, message: Term): void {
  const queue = runtime.signals;
  // A local pid has no `home` (src/term/pid.ts): one field read decides the common case.
  if (to.home !== undefined && to.home !== runtime.node) {
    post(runtime, new Signal(SignalKind.MESSAGE, from, to, message, undefined, undefined));
    return;
  }
  if (!queue.draining) {
    const target = runtime.table.lookup(to);
    if (target !== undefined && !target.guest) deliverMessage(target, message);
    else if (runtime.cluster !== undefined) forwardIfElsewhere(runtime, new Signal(SignalKind.MESSAGE, from, to, message, undefined, undefined));
    return;
  }
  queue.items.push(new Signal(SignalKind.MESSAGE, from, to, message, undefined, undefined));
}

/** Posts any signal; handles it (and everything it causes) before returning, unless nested. */
export function post(runtime: Runtime, signal: Signal): void {
  const queue = runtime.signals;
  queue.items.push(signal);
  if (!queue.draining) drain(runtime);
}

function drain(runtime: Runtime): void {
  const queue = runtime.signals;
  queue.draining = true;
  try {
    while (queue.head < queue.items.length) {
      const signal = queue.items[queue.head]!;
      queue.items[queue.head++] = undefined as unknown as Signal;
      handle(runtime, signal);
    }
  } finally {
    queue.items = [];
    queue.head = 0;
    queue.draining = false;
  }
}

/** Appends a message to a live process's mailbox and wakes it if it waits in receive. */
export function deliverMessage(target: Process, message: Term, encoded?: Uint8Array): void {
  if (encoded === undefined) target.mailbox.push(message);
  else target.mailbox.pushEncoded(encoded);
  if (target.status === ProcessStatus.WAITING && target.wait === WaitKind.RECEIVE) {
    target.status = ProcessStatus.RUNNABLE;
    target.wait = WaitKind.NONE;
    target.runtime.scheduler.enqueue(target);
  } else if (target.external !== undefined) {
    target.external.onMessage();
  }
}

/**
 * A signal whose target is not on this thread: hands it to the thread that holds the target
 * and returns true; false when the target is not alive anywhere (the caller applies the rules
 * for a dead target).
 */
function forwardIfElsewhere(runtime: Runtime, signal: Signal): boolean {
  const cluster = runtime.cluster!;
  const where = cluster.locate(signal.to);
  if (where < 0 || where === cluster.self) return false;
  cluster.forward(signal, where);
  return true;
}

/** Handles a signal that arrived from another scheduler thread (in that thread's send order). */
export function receiveForwarded(runtime: Runtime, signal: Signal): void {
  post(runtime, signal);
}

/** The reason of exit signals and 'DOWN's for links and monitors across a lost (or absent) connection. */
const A_NOCONNECTION = atomOf('noconnection');

/**
 * A signal for a process of another node: handed to the distribution (runtime.remote), which
 * sends it over the connection (or, on a scheduler thread, to the main thread that owns the
 * sockets, through the mesh in send order). Without distribution, a link or monitor is answered
 * with noconnection, as OTP answers one whose connection cannot be set up; the rest is dropped.
 */
function routeRemote(runtime: Runtime, signal: Signal): void {
  if (runtime.remote !== undefined) {
    runtime.remote(signal);
    return;
  }
  if (signal.kind === SignalKind.LINK && signal.from !== undefined) {
    runtime.signals.items.push(new Signal(SignalKind.EXIT_LINKED, signal.to, signal.from, A_NOCONNECTION, undefined, undefined));
  } else if (signal.kind === SignalKind.MONITOR && signal.from !== undefined) {
    runtime.signals.items.push(new Signal(SignalKind.DOWN, signal.to, signal.from, A_NOCONNECTION, signal.ref, signal.object));
  }
}

function handle(runtime: Runtime, signal: Signal): void {
  const home = signal.to.home;
  if (home !== undefined && home !== runtime.node) {
    routeRemote(runtime, signal);
    return;
  }
  const target = runtime.table.lookup(signal.to);
  if (runtime.cluster !== undefined && (target === undefined || (target.guest && !signal.viaHome)) && forwardIfElsewhere(runtime, signal)) return;
  switch (signal.kind) {
    case SignalKind.MESSAGE:
      if (target !== undefined) deliverMessage(target, signal.data, signal.encoded);
      return;
    case SignalKind.LINK:
      if (target === undefined) {
        runtime.signals.items.push(new Signal(SignalKind.EXIT_LINKED, signal.to, signal.from!, A_NOPROC, undefined, undefined));
      } else {
        (target.links ??= new Map()).set(pidKey(signal.from!), signal.from!);
      }
      return;
    case SignalKind.UNLINK:
      target?.links?.delete(pidKey(signal.from!));
      return;
    case SignalKind.EXIT:
      if (target !== undefined) handleExit(runtime, target, signal.from, signal.data);
      return;
    case SignalKind.EXIT_LINKED:
      if (target !== undefined) handleLinkedExit(runtime, target, signal.from!, signal.data);
      return;
    case SignalKind.MONITOR:
      if (target === undefined) {
        runtime.signals.items.push(new Signal(SignalKind.DOWN, signal.to, signal.from!, A_NOPROC, signal.ref, signal.object));
      } else {
        (target.monitoredBy ??= new RefTable()).set(refKey(signal.ref!), { ref: signal.ref!, watcher: signal.from!, object: signal.object });
      }
      return;
    case SignalKind.DEMONITOR:
      target?.monitoredBy?.delete(refKey(signal.ref!));
      return;
    case SignalKind.NAME:
      // The shared table is the truth; the process keeps a copy to free its name at exit.
      if (target !== undefined) target.registeredName = runtime.names.nameOf(target.pid);
      else runtime.names.unregisterIfOwner(signal.data as Atom, signal.to);
      return;
    case SignalKind.DOWN: {
      if (target === undefined) return;
      const key = refKey(signal.ref!);
      if (target.monitors === undefined || !target.monitors.delete(key)) return;
      deliverMessage(target, tuple(A_DOWN, signal.ref!, A_PROCESS, signal.object, signal.data));
      return;
    }
  }
}

function handleExit(runtime: Runtime, target: Process, from: Pid | undefined, reason: Term): void {
  if (target.external !== undefined) {
    deliverMessage(target, tuple(A_EXIT, from, reason));
    return;
  }
  if (reason === A_KILL) {
    die(runtime, target, A_KILLED);
  } else if (target.trapExit) {
    deliverMessage(target, tuple(A_EXIT, from, reason));
  } else if (reason === A_NORMAL) {
    if (from !== undefined && from.equals(target.pid)) die(runtime, target, A_NORMAL);
  } else {
    die(runtime, target, reason);
  }
}

function handleLinkedExit(runtime: Runtime, target: Process, from: Pid, reason: Term): void {
  if (target.links === undefined || !target.links.delete(pidKey(from))) return;
  if (target.trapExit || target.external !== undefined) {
    deliverMessage(target, tuple(A_EXIT, from, reason));
  } else if (reason !== A_NORMAL) {
    die(runtime, target, reason);
  }
}

function die(runtime: Runtime, target: Process, reason: Term): void {
  if (target.status === ProcessStatus.RUNNING) {
    if (!target.hasPendingExit) {
      target.hasPendingExit = true;
      target.pendingExit = reason;
    }
    return;
  }
  terminate(runtime, target, reason, undefined);
}

/**
 * Hooks run by `terminate` for layers above this one. `ets` (set by src/ets/ets_space.ts when it
 * loads): the exiting process's tables go to their heirs or are deleted, before its links and
 * monitors fire (as in BEAM, an heir's 'ETS-TRANSFER' comes before the owner's 'DOWN'). The hook
 * itself returns at once for a process that owns no table (one byte load).
 */
export const exitHooks: { ets: ((runtime: Runtime, proc: Process) => void) | undefined } = { ets: undefined };

/**
 * Ends a process with `reason`: drops its generator and mailbox, frees its name and timers,
 * and sends EXIT_LINKED to its links, DOWN to its watchers, DEMONITOR to what it watched.
 * `crash` is set when an uncaught exception ended it (for the crash report).
 */
export function terminate(runtime: Runtime, proc: Process, reason: Term, crash: Caught | undefined): void {
  if (proc.status === ProcessStatus.EXITED) return;
  proc.status = ProcessStatus.EXITED;
  proc.wait = WaitKind.NONE;
  proc.gen = undefined;
  proc.entry = undefined;
  proc.awaiting = undefined;
  proc.resumeValue = undefined;
  cancelWaitTimer(proc);
  proc.mailbox.clear();
  proc.dictionary = undefined;
  if (proc.registeredName !== undefined) {
    runtime.names.unregisterIfOwner(proc.registeredName, proc.pid);
    proc.registeredName = undefined;
  }
  if (proc.timersTo !== undefined) {
    for (const key of proc.timersTo) runtime.cancelErlangTimer(key);
    proc.timersTo = undefined;
  }
  exitHooks.ets?.(runtime, proc);
  runtime.table.remove(proc);
  const pid = proc.pid;
  const queue = runtime.signals;
  const nested = queue.draining;
  if (proc.links !== undefined) {
    for (const linked of proc.links.values()) queue.items.push(new Signal(SignalKind.EXIT_LINKED, pid, linked, reason, undefined, undefined));
    proc.links = undefined;
  }
  if (proc.monitoredBy !== undefined) {
    for (const m of proc.monitoredBy.values()) queue.items.push(new Signal(SignalKind.DOWN, pid, m.watcher, reason, m.ref, m.object));
    proc.monitoredBy = undefined;
  }
  if (proc.monitors !== undefined) {
    for (const m of proc.monitors.values()) if (m.target !== undefined) queue.items.push(new Signal(SignalKind.DEMONITOR, pid, m.target, undefined, m.ref, undefined));
    proc.monitors = undefined;
  }
  if (crash !== undefined) runtime.reportCrash(proc, reason, crash);
  if (!nested && queue.items.length > queue.head) drain(runtime);
}
