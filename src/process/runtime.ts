/**
 * Runtime: the process world of one scheduler thread: its process table, registered names,
 * signal FIFO, Erlang timers, reference counter, logger; spawning and ending processes.
 *
 * A VM (src/vm.ts) owns one Runtime per scheduler; today there is one, in the calling thread.
 * The process API (bifs.ts, receive.ts, timers.ts) reaches the Runtime through the current
 * process (`proc.runtime`), so several VMs may coexist in one thread (tests do), each with its
 * own pids. Pids of one VM mean nothing to another.
 *
 * Crash reports: a process ended by an uncaught exception of class error (including nocatch
 * throws and JS errors, see exception.ts) is reported to the logger in BEAM's shape:
 *     =ERROR REPORT==== <date> ===
 *     Error in process <0.84.0> with exit value:
 *     {{js_error,<<"TypeError">>,<<"x is not a function">>},[{m,f,1,[]}]}
 *     JS stack:
 *         TypeError: x is not a function
 *             at ...
 * Exits of class exit (`exit(R)`, exit signals) are not reported, as in BEAM.
 * long_schedule: a slice longer than `longScheduleMs` is logged as a warning, and sent to the
 * system monitor process, if one is set (erlang:system_monitor/2), as
 * {monitor, Pid, long_schedule, [{timeout, Ms}, {in, MFA}, {out, MFA}]}.
 *
 * Threads: one Runtime per scheduler thread; nothing is shared. Ownership: the Runtime owns
 * its processes (via the table), names, timers and the scheduler; `stop()` ends them all.
 * Bad input: invalid options throw InvalidArgumentError naming the option.
 */
import { BeamError, ErrorCode, InvalidArgumentError, describeValue } from '../errors/index.js';
import { Scheduler, type BusyWaitThreshold, type Clock, type Priority, type Schedulable, type TimerId } from '../sched/index.js';
import { adoptRef, format, localNode, Pid, tuple, type Atom, type Ref, type Term } from '../term/index.js';
import { A_APPLY, A_ERLANG, A_IN, A_LONG_SCHEDULE, A_MONITOR, A_OUT, A_SHUTDOWN, A_TIMEOUT, A_UNDEF } from './atoms.js';
import { caught, ErlangException, exitReasonOf, isReportedClass, stackOf, type Caught } from './exception.js';
import { LocalNames, type Cluster, type NameRegistry } from './cluster.js';
import type { DirtyRequest } from './dirty_call.js';
import type { EtsBuffers, EtsSpace } from '../ets/ets_space.js';
import type { ProcessFunction } from './module_registry.js';
import { RefTable } from './ref_table.js';
import { Process, ProcessStatus, WaitKind, type ExternalHooks } from './process.js';
import { DEFAULT_PROCESS_LIMIT, ProcessTable } from './process_table.js';
import { pidKey, refKey, sendMessage, SignalQueue, terminate, type RefKey, type Signal } from './signals.js';

/** Log levels of the logger hook. */
export type LogLevel = 'error' | 'warning' | 'info';

/** Receives crash reports and warnings (default: stderr). */
export type Logger = (level: LogLevel, text: string) => void;

export interface RuntimeOptions {
  /** Maximum number of processes (erl +P); spawn beyond it raises system_limit. Default 1,048,576. */
  readonly processLimit?: number;
  /** Logger for crash reports and long_schedule warnings; `false` silences them. Default: stderr. */
  readonly logger?: Logger | false;
  /** Slices longer than this (ms) are reported as long_schedule. Default 100. */
  readonly longScheduleMs?: number;
  /** Seeded shuffle of the run queue (replayable interleavings in tests). */
  readonly shuffleSeed?: number;
  /** Wall time (ms) a batch of slices may take before the event loop gets a turn. Default 4. */
  readonly batchMs?: number;
  /**
   * How long a scheduler busy waits when it runs out of work before it sleeps, as erl's +sbwt:
   * 'none' | 'very_short' | 'short' | 'medium' | 'long' | 'very_long', or µs (src/sched/busy_wait.ts).
   * Default 'medium' (200 µs).
   */
  readonly busyWait?: BusyWaitThreshold;
  /** Clock for timers (ms). Default performance.now(). */
  readonly clock?: Clock;
  /** The other scheduler threads of the VM (cluster.ts); undefined for a one-thread VM. */
  readonly cluster?: Cluster;
  /** Runs dirty calls (src/process/dirty_call.ts); set by the VM. */
  readonly dirty?: (request: DirtyRequest) => void;
  /** Scheduler hooks of a thread of a many-thread VM (see SchedulerOptions). */
  readonly beforeBatch?: () => void;
  readonly afterBatch?: (idle: boolean) => void;
  readonly duringBatch?: () => void;
  readonly busyWaitPoll?: () => boolean;
  readonly onIdle?: () => void;
  /** The VM's shared ETS memory (src/ets/ets_space.ts); undefined: a one-thread VM creates its own at first use. */
  readonly ets?: EtsBuffers;
}

/** Options of spawn_opt (Erlang's [link, monitor, {priority, P}]). */
export interface SpawnOptions {
  readonly link?: boolean;
  readonly monitor?: boolean;
  readonly priority?: Priority;
}

/** How the VM places a spawn: a pid allocated by the thread that asked (src/vm.ts). Internal. */
export interface SpawnPlacement {
  readonly pid?: Pid;
}

/** An erlang timer (send_after / start_timer). */
class ErlangTimer {
  id: TimerId | 0 = 0;
  constructor(
    readonly runtime: Runtime,
    readonly key: RefKey,
    readonly dest: Pid | Atom,
    readonly message: Term,
    readonly target: Process | undefined,
  ) {}

  fire(): void {
    this.runtime.fireErlangTimer(this);
  }
}

let refLow = 0;
let refHigh = 0;

function defaultLogger(_level: LogLevel, text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : text + '\n');
}

function reportDate(): string {
  const d = new Date();
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getDate())}-${months[d.getMonth()]}-${d.getFullYear()}::${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export class Runtime {
  readonly scheduler: Scheduler;
  readonly table: ProcessTable<Process>;
  readonly names: NameRegistry;
  /** The other threads of the VM, or undefined (one thread: every pid is local or dead). */
  readonly cluster: Cluster | undefined;
  readonly signals = new SignalQueue();
  readonly creation = 0;
  readonly erlangTimers = new Map<RefKey, ErlangTimer>();
  /**
   * Processes that suspended at a portable wait (portable_wait.ts), listed once each while
   * `portableListed`; entries no longer at one are dropped when a thief looks (thread_host.ts).
   * Kept only when the VM has several threads.
   */
  readonly portableWaiters: Process[] = [];
  readonly logger: Logger | undefined;
  readonly #logLongScheduleMs: number;
  /** erlang:system_monitor settings, or undefined. */
  systemMonitor: { readonly pid: Pid; readonly longScheduleMs: number } | undefined;
  stopped = false;
  /** Where dirty calls go (the VM sets it; see dirty_call.ts). */
  dirty: ((request: DirtyRequest) => void) | undefined;
  /**
   * Where net_kernel:start/stop of a process go (src/dist/net_kernel.ts): the VM's main thread,
   * which owns the distribution. The answer is the message {'$beamjs_net_kernel', Ref, Result}
   * to `replyTo`. Set by the VM on every thread; undefined for a Runtime without a VM.
   */
  netKernel: ((request: Term, replyTo: Pid, ref: Ref) => void) | undefined = undefined;
  /** This thread's ETS space (src/ets), attached at the first ETS call (src/ets/ets_space.ts `spaceOf`). */
  ets: EtsSpace | undefined = undefined;
  /** The VM's shared ETS buffers, or undefined (a one-thread VM: its space is created at first use). */
  readonly etsBuffers: EtsBuffers | undefined;
  /**
   * Where signals for processes of other nodes go (src/dist): set on every thread of a VM
   * started with distribution (a scheduler thread hands them to the main thread, which owns
   * the sockets). Undefined: this node is not distributed, and a pid of another node is a
   * badarg where the process API checks it (signals.ts answers noconnection otherwise).
   */
  remote: ((signal: Signal) => void) | undefined = undefined;

  constructor(options: RuntimeOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError(`VM options must be an object; received ${describeValue(options)}`);
    }
    const logger = options.logger;
    if (logger !== undefined && logger !== false && typeof logger !== 'function') {
      throw new InvalidArgumentError(`options.logger must be a function (level, text) or false; received ${describeValue(logger)}`);
    }
    this.logger = logger === false ? undefined : (logger ?? defaultLogger);
    this.cluster = options.cluster;
    this.dirty = options.dirty;
    this.etsBuffers = options.ets;
    this.names = options.cluster?.names ?? new LocalNames();
    const ids = options.cluster === undefined ? undefined : { allocate: () => options.cluster!.allocate(), release: (id: number, serial: number) => options.cluster!.release(id, serial) };
    this.table = new ProcessTable<Process>(this.creation, options.processLimit ?? DEFAULT_PROCESS_LIMIT, ids);
    this.#logLongScheduleMs = options.longScheduleMs ?? 100;
    this.scheduler = new Scheduler({
      ...(options.shuffleSeed === undefined ? {} : { shuffleSeed: options.shuffleSeed }),
      ...(options.batchMs === undefined ? {} : { batchMs: options.batchMs }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      longScheduleMs: this.#logLongScheduleMs,
      onLongSchedule: (item, ms) => this.#longSchedule(item, ms),
      onInternalError: (error) => this.#internalError(error),
      ...(options.beforeBatch === undefined ? {} : { beforeBatch: options.beforeBatch }),
      ...(options.afterBatch === undefined ? {} : { afterBatch: options.afterBatch }),
      ...(options.duringBatch === undefined ? {} : { duringBatch: options.duringBatch }),
      ...(options.busyWait === undefined ? {} : { busyWait: options.busyWait }),
      ...(options.busyWaitPoll === undefined ? {} : { busyWaitPoll: options.busyWaitPoll }),
      ...(options.onIdle === undefined ? {} : { onIdle: options.onIdle }),
    });
  }

  /**
   * The local node's name: `nonode@nohost`, or the name distribution started with; it changes
   * at net_kernel:start/stop (src/vm.ts), and this thread's pids and refs follow it (pid.ts).
   */
  get node(): Atom {
    return localNode();
  }

  /** A new reference; when made by a process, its mailbox gets a receive marker (mailbox.ts). */
  makeRef(owner: Process | undefined): Ref {
    if (++refLow > 0xffffffff) {
      refLow = 0;
      refHigh = (refHigh + 1) >>> 0;
    }
    // The third word is the thread's endpoint in its VM: each thread counts on its own, and a
    // ref must be unique across the threads of a VM (monitors are keyed by their ref on every
    // thread). OTP puts the scheduler id in its refs for the same reason.
    const ref = adoptRef(this.node, this.creation, [refLow, refHigh, this.cluster === undefined ? 0 : this.cluster.self]);
    owner?.mailbox.mark(ref);
    return ref;
  }

  /** The live process with this pid, or undefined. */
  lookup(pid: Pid): Process | undefined {
    return this.table.lookup(pid);
  }

  /**
   * Creates a process and makes it runnable. `parent` is the spawning process (needed for
   * link/monitor options). Throws SYSTEM_LIMIT at the process limit.
   */
  spawn(
    entry: ProcessFunction | undefined,
    args: readonly unknown[],
    module: Atom,
    fun: Atom,
    pinned: boolean,
    options: SpawnOptions & SpawnPlacement,
    parent: Process | undefined,
  ): { proc: Process; ref: Ref | undefined } {
    if (this.stopped) throw new BeamError(ErrorCode.VM_STOPPED, 'spawn: the VM is stopped');
    const given = options.pid;
    const pid = given ?? this.table.allocate();
    const proc = new Process(this, pid, entry, args, module, fun, args.length, pinned);
    if (options.priority !== undefined) proc.priority = options.priority;
    if (parent !== undefined) proc.groupLeader = parent.groupLeader; // inherited, as in Erlang
    if (given === undefined) this.table.insert(proc);
    else this.table.adopt(proc);
    this.cluster?.publish(pid.id, pid.serial);
    // The child is new: no signal can be in flight to or from it, so both sides of a link or
    // monitor are set directly (what the LINK/MONITOR signals would do, without the FIFO).
    if (options.link === true && parent !== undefined) {
      (parent.links ??= new Map()).set(pidKey(pid), pid);
      (proc.links ??= new Map()).set(pidKey(parent.pid), parent.pid);
    }
    let ref: Ref | undefined;
    if (options.monitor === true && parent !== undefined) {
      ref = this.makeRef(parent);
      const key = refKey(ref);
      (parent.monitors ??= new RefTable()).set(key, { ref, target: pid, object: pid });
      (proc.monitoredBy ??= new RefTable()).set(key, { ref, watcher: parent.pid, object: pid });
    }
    this.scheduler.enqueue(proc);
    return { proc, ref };
  }

  /** Creates a process with no body: an external mailbox for the embedding API. */
  spawnExternal(hooks: ExternalHooks, module: Atom, fun: Atom): Process {
    const pid = this.table.allocate();
    const proc = new Process(this, pid, undefined, [], module, fun, 0, true);
    proc.external = hooks;
    proc.trapExit = true;
    proc.status = ProcessStatus.WAITING;
    proc.wait = WaitKind.NONE;
    this.table.insert(proc);
    this.cluster?.publish(pid.id, pid.serial);
    return proc;
  }

  /** Throws the `undef` error of a process whose module or export does not exist. */
  raiseUndef(proc: Process): never {
    const args = proc.args as readonly Term[];
    throw new ErlangException(
      'error',
      A_UNDEF,
      `undef: ${proc.module.name}:${proc.fun.name}/${args.length} is not defined (defineModule('${proc.module.name}', { ${proc.fun.name}: ... }) in every thread that runs it)`,
      [tuple(proc.module, proc.fun, args, [])],
    );
  }

  /** Ends a process whose body threw `thrown` (uncaught). */
  crash(proc: Process, thrown: unknown): void {
    const c = caught(thrown);
    const stack = c.erlangStack ?? stackOf(proc.module, proc.fun, proc.arity);
    terminate(this, proc, exitReasonOf(c, stack), isReportedClass(c) ? c : undefined);
  }

  /** Ends a process with a reason (normal end, exit signal, VM stop). */
  terminate(proc: Process, reason: Term, crash: Caught | undefined): void {
    terminate(this, proc, reason, crash);
  }

  /** Logs the crash report of a process (see the header). */
  reportCrash(proc: Process, reason: Term, c: Caught): void {
    if (this.logger === undefined || this.stopped) return;
    let text = `=ERROR REPORT==== ${reportDate()} ===\nError in process ${format(proc.pid)} with exit value:\n${format(reason)}\n`;
    if (c.jsStack !== undefined) text += `JS stack:\n${c.jsStack.replace(/^/gm, '    ')}\n`;
    this.#log('error', text);
  }

  /** Starts an erlang timer (send_after / start_timer); returns its reference. */
  startErlangTimer(delayMs: number, dest: Pid | Atom, message: Term, wrap: boolean, owner: Process | undefined): Ref {
    const ref = this.makeRef(owner);
    const key = refKey(ref);
    const target = dest instanceof Pid ? this.lookup(dest) : undefined;
    const payload = wrap ? tuple(A_TIMEOUT, ref, message) : message;
    const timer = new ErlangTimer(this, key, dest, payload, target);
    if (dest instanceof Pid && target === undefined && !(this.cluster !== undefined && this.cluster.locate(dest) >= 0)) {
      // A dead pid: the timer is "automatically canceled" (erlang docs); the ref is still returned.
      return ref;
    }
    timer.id = this.scheduler.addTimer(delayMs, timer);
    this.erlangTimers.set(key, timer);
    if (target !== undefined) (target.timersTo ??= new Set()).add(key);
    return ref;
  }

  /** cancel_timer: ms that were left, or false if the timer is unknown (fired, cancelled). */
  /**
   * A timer to a process of another thread is cancelled when that process is gone (as a timer
   * to a local pid is at its exit): checked here, when the timer is read or cancelled, and when
   * it fires (the message is then dropped, as to any dead pid).
   */
  #dropIfTargetGone(key: RefKey, timer: ErlangTimer): boolean {
    if (timer.target !== undefined || !(timer.dest instanceof Pid) || this.cluster === undefined || this.cluster.locate(timer.dest) >= 0) return false;
    this.erlangTimers.delete(key);
    if (timer.id !== 0) this.scheduler.cancelTimer(timer.id);
    return true;
  }

  cancelErlangTimer(key: RefKey): number | false {
    const timer = this.erlangTimers.get(key);
    if (timer === undefined || this.#dropIfTargetGone(key, timer)) return false;
    this.erlangTimers.delete(key);
    timer.target?.timersTo?.delete(key);
    return timer.id === 0 ? false : this.scheduler.cancelTimer(timer.id);
  }

  /** read_timer: ms left, or false. */
  readErlangTimer(key: RefKey): number | false {
    const timer = this.erlangTimers.get(key);
    if (timer === undefined || timer.id === 0 || this.#dropIfTargetGone(key, timer)) return false;
    return this.scheduler.readTimer(timer.id);
  }

  fireErlangTimer(timer: ErlangTimer): void {
    this.erlangTimers.delete(timer.key);
    timer.target?.timersTo?.delete(timer.key);
    const dest = timer.dest;
    if (timer.target !== undefined) {
      sendMessage(this, undefined, timer.target.pid, timer.message);
    } else if (dest instanceof Pid) {
      // A process of another scheduler thread (a dead one drops the message).
      sendMessage(this, undefined, dest, timer.message);
    } else {
      // A name is looked up when the timer fires; an unregistered name drops the message.
      const pid = this.names.whereis(dest as Atom);
      if (pid !== undefined) sendMessage(this, undefined, pid, timer.message);
    }
  }

  /** Ends every process with reason `shutdown`, drops timers and event-loop handles. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const proc of [...this.table.all()]) terminate(this, proc, A_SHUTDOWN, undefined);
    this.erlangTimers.clear();
    this.names.clear();
    this.scheduler.stop();
  }

  #log(level: LogLevel, text: string): void {
    if (this.logger === undefined) return;
    try {
      this.logger(level, text);
    } catch {
      // A broken logger must not take the scheduler down; nothing better to do with its error.
    }
  }

  #longSchedule(item: Schedulable, ms: number): void {
    if (!(item instanceof Process)) return;
    const mfa = item.pinned ? tuple(A_ERLANG, A_APPLY, 2) : tuple(item.module, item.fun, item.arity);
    const rounded = Math.round(ms);
    if (ms > this.#logLongScheduleMs) {
      this.#log(
        'warning',
        `=WARNING REPORT==== ${reportDate()} ===\nlong_schedule: process ${format(item.pid)} (${format(mfa)}) ran for ${rounded} ms without yielding; yield (yield* yield_()) or move the work off the scheduler\n`,
      );
    }
    const monitor = this.systemMonitor;
    if (monitor !== undefined && ms > monitor.longScheduleMs) {
      const info = [tuple(A_TIMEOUT, rounded), tuple(A_IN, mfa), tuple(A_OUT, mfa)];
      sendMessage(this, undefined, monitor.pid, tuple(A_MONITOR, item.pid, A_LONG_SCHEDULE, info));
    }
  }

  /** Sets erlang:system_monitor (long_schedule only); returns the old setting. */
  setSystemMonitor(setting: { readonly pid: Pid; readonly longScheduleMs: number } | undefined): void {
    this.systemMonitor = setting;
    this.scheduler.longScheduleMs = Math.min(this.#logLongScheduleMs, setting?.longScheduleMs ?? Number.POSITIVE_INFINITY);
  }

  #internalError(error: unknown): void {
    this.#log('error', `beamjs internal error (please report): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}

