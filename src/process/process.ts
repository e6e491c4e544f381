/**
 * Process: one Erlang process, a generator driven by its scheduler; and the ambient "current
 * process" that the process API (`self()`, `send()`, `receive()`, …) acts on.
 *
 * Words used in src/process (defined once here, used everywhere):
 *   - process: a generator (the body) plus its mailbox, links, monitors, dictionary, flags.
 *   - slice: one run of a process by its scheduler: resume the generator (`gen.next(v)`) until
 *     it suspends (waits in receive/sleep/await), yields (`erlang:yield`, budget spent), or ends.
 *   - reductions: the work unit of fairness. The cost model (BEAM counts function calls; JS
 *     cannot, so we count the operations that go through the VM):
 *         | operation                                       | reductions            |
 *         |-------------------------------------------------|-----------------------|
 *         | resume (start of a slice)                       | 1                     |
 *         | send (to a pid; to a name: +1)                  | 1                     |
 *         | receive                                         | 1 + scanned / 8       |
 *         | spawn*                                          | 10                    |
 *         | link, unlink, monitor, demonitor, exit/2, register, timers, process_info | 1 |
 *     A slice has a budget of REDUCTION_BUDGET (4000, BEAM's CONTEXT_REDS). When the budget is
 *     spent, the next receive or yield point gives the thread up (`PREEMPT`): the process goes
 *     to the back of its run queue. Plain JS computation between yield points is not counted:
 *     a process that computes for long without yielding holds the thread and is reported as a
 *     long_schedule (scheduler.ts), as BEAM reports a NIF that runs too long.
 *   - signal: anything one process sends another (message, link, unlink, exit, monitor,
 *     demonitor, down); see signals.ts, the one place where signals are handled.
 *   - effect: what a process body yields to its scheduler: WAIT (suspended in receive/sleep;
 *     woken by a message or a timer), PREEMPT (requeue at the back), a promise (await it).
 *     `yield` with no value is erlang:yield().
 *
 * States (`status`): RUNNABLE (queued or about to be), RUNNING (its slice is on the stack),
 * WAITING (suspended: `wait` says on what), EXITED. A process is EXITED as soon as it is
 * terminated: its generator is dropped without running `finally` blocks (Erlang runs no
 * `after` clause for a killed process either), so a killed process runs no more code.
 *
 * Closures vs exports: a process spawned from an exported function (module registry) is
 * portable (`pinned === false`): it can be started on or moved to any scheduler thread. A
 * process spawned from a closure is pinned to the scheduler that created it: a closure cannot
 * cross threads. A started process is moved only from a portable wait (portable_wait.ts: it
 * restarts elsewhere as its declared resume MFA); a running generator itself never moves.
 *
 * Invariants: `current` is set only while a slice runs (scheduler thread, synchronous), so JS's
 *   single thread makes the ambient context sound; `waitToken` changes on every await, so a
 *   stale promise settlement is ignored; a receive/sleep timer acts only on the current wait's
 *   `deadline` (receive.ts), so a stale one is ignored too; an EXITED process never runs again.
 * Threads: a Process belongs to one scheduler thread; nothing here is shared.
 * Ownership: the process owns its mailbox, dictionary and generator; the runtime's process
 *   table owns the Process object until it exits.
 * Bad input: a body that yields something other than an effect, a promise or nothing gets an
 *   InvalidArgumentError thrown at that yield (uncaught, the process exits with badarg).
 */
import { BeamError, ErrorCode, InvalidArgumentError, describeValue } from '../errors/index.js';
import type { Priority, Schedulable, TimerId } from '../sched/index.js';
import type { Atom, Pid, Ref, Term } from '../term/index.js';
import type { ProcessDictionary } from './dictionary.js';
import { A_NORMAL } from './atoms.js';
import { ErlangException } from './exception.js';
import { Mailbox } from './mailbox.js';
import type { RefTable } from './ref_table.js';
import type { ProcessFunction } from './module_registry.js';
import type { Runtime } from './runtime.js';
import type { RefKey } from './signals.js';
import type { ResumeSpec } from './portable_wait.js';

/** Reductions per slice (BEAM's CONTEXT_REDS). */
export const REDUCTION_BUDGET = 4000;

/** Process states (see the header). Numbers cross no thread; they are compared in this package. */
export const ProcessStatus = {
  RUNNABLE: 0,
  RUNNING: 1,
  WAITING: 2,
  EXITED: 3,
} as const;
export type ProcessStatus = (typeof ProcessStatus)[keyof typeof ProcessStatus];

/** What a WAITING process waits for. */
export const WaitKind = {
  NONE: 0,
  /** A message (or the receive timeout). */
  RECEIVE: 1,
  /** A timer only (sleep); messages do not wake it. */
  SLEEP: 2,
  /** A promise to settle. */
  AWAIT: 3,
} as const;
export type WaitKind = (typeof WaitKind)[keyof typeof WaitKind];

/** Effects a body yields (through the helpers in receive.ts). */
export const WAIT: unique symbol = Symbol('beamjs.wait');
export const PREEMPT: unique symbol = Symbol('beamjs.preempt');
export const AWAIT: unique symbol = Symbol('beamjs.await');
export type Effect = typeof WAIT | typeof PREEMPT | typeof AWAIT;

/** A process's receive/sleep timer in its scheduler's wheel (receive.ts). */
export interface WaitTimer {
  /** The wheel timer's id. */
  readonly id: TimerId;
  /** When it is due (scheduler clock ms). */
  readonly at: number;
}

/** A monitor held by a watcher (key: the ref's key). */
export interface MonitorOut {
  readonly ref: Ref;
  /** The monitored process (undefined: a name that was not registered; its 'DOWN' is already on the way). */
  readonly target: Pid | undefined;
  /** What the 'DOWN' message names: the pid, or `{Name, Node}` for a monitor by name. */
  readonly object: Term;
}

/** A monitor on this process, as the target sees it. */
export interface MonitorIn {
  readonly ref: Ref;
  readonly watcher: Pid;
  readonly object: Term;
}

/** Hooks of a process with no body: the embedding API's external mailbox (vm.receive). */
export interface ExternalHooks {
  onMessage(): void;
}

let current: Process | undefined;

/** The process whose slice is running on this thread, if any. */
export function currentProcessOrUndefined(): Process | undefined {
  return current;
}

/**
 * Runs `fn` with `proc` as the current process (the embedding API acts through its external
 * process this way, so it shares the process API's semantics). Restores the previous one.
 */
export function runAs<R>(proc: Process, fn: () => R): R {
  const previous = current;
  current = proc;
  try {
    return fn();
  } finally {
    current = previous;
  }
}

/**
 * The embedding processes of this thread: the external mailbox of each running VM started here
 * (src/vm.ts registers it at start and removes it at stop). Synchronous APIs usable from the
 * embedding code (ets) act as that process when no process is running; with several VMs on one
 * thread the caller must say which (`vm.run(() => …)`).
 */
const embedding: Process[] = [];
/** Per embedding process: what publishes its sends to other threads (the VM's flush). */
const embeddingFlush = new Map<Process, () => void>();

export function registerEmbedding(proc: Process, flush: () => void): void {
  embedding.push(proc);
  embeddingFlush.set(proc, flush);
}

export function unregisterEmbedding(proc: Process): void {
  const i = embedding.indexOf(proc);
  if (i >= 0) embedding.splice(i, 1);
  embeddingFlush.delete(proc);
}

/** The current process, else this thread's only embedding process; undefined when there is none or more than one. */
export function callerProcessOrUndefined(): Process | undefined {
  return current ?? (embedding.length === 1 ? embedding[0] : undefined);
}

/** After an embedding process sent messages outside its VM's API: publishes them (no-op for a process). */
export function flushEmbedding(proc: Process): void {
  if (proc !== current) embeddingFlush.get(proc)?.();
}

/** How many embedding processes this thread has (for error messages). */
export function embeddingCount(): number {
  return embedding.length;
}

/**
 * The current process, or a NOT_IN_PROCESS error naming the function that needs one. A process
 * that already has a pending exit (it was killed during its own slice, e.g. by exit(self(), R))
 * gets that exit re-raised instead: a doomed process has no further effect, even if its JS code
 * caught the first exception.
 */
export function currentProcess(where: string): Process {
  const proc = current;
  if (proc === undefined) {
    throw new BeamError(
      ErrorCode.NOT_IN_PROCESS,
      `${where}() must be called inside a process body (a generator run by the VM); it was called outside any process. From the embedding side use the VM methods instead (vm.send, vm.receive, …)`,
    );
  }
  if (proc.hasPendingExit) throw new ErlangException('exit', proc.pendingExit, `${where}: the process is exiting`);
  return proc;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

export class Process implements Schedulable {
  queued = false;
  priority: Priority = 'normal';
  status: ProcessStatus = ProcessStatus.RUNNABLE;
  wait: WaitKind = WaitKind.NONE;
  /** Changes on every suspension; timers and promise callbacks carry the value they saw. */
  waitToken = 0;
  /** Set by the receive/sleep timer when the current wait's deadline passed. */
  timedOut = false;
  /** Absolute time (scheduler clock ms) at which the current receive/sleep times out; -1: none (receive.ts). */
  deadline = -1;
  /** The process's one receive/sleep wheel timer (its id and when it is due), armed and cancelled lazily (receive.ts). */
  timer: WaitTimer | undefined = undefined;
  /** Reductions left in this slice. */
  budget = 0;
  /** Reductions spent over the process's life. */
  reductions = 0;
  trapExit = false;
  /** What the next resume passes in (gen.next(v)) or throws in (gen.throw(e)). */
  resumeValue: unknown = undefined;
  resumeThrows = false;
  /** A fatal exit signal arrived while the process was running: it exits at its next yield. */
  hasPendingExit = false;
  pendingExit: Term = undefined;
  /** The promise an AWAIT effect waits for. */
  awaiting: PromiseLike<unknown> | undefined = undefined;
  gen: Iterator<unknown, unknown, unknown> | undefined = undefined;
  readonly mailbox = new Mailbox();
  links: Map<string, Pid> | undefined = undefined;
  /** Monitors this process holds, by ref key (ref_table.ts: not a Map, for the cost of delete). */
  monitors: RefTable<MonitorOut> | undefined = undefined;
  /** Monitors on this process, by ref key. */
  monitoredBy: RefTable<MonitorIn> | undefined = undefined;
  dictionary: ProcessDictionary | undefined = undefined;
  registeredName: Atom | undefined = undefined;
  /**
   * erlang:group_leader/0: inherited from the spawning process (runtime.spawn), carried when the
   * process migrates; undefined for a process spawned from the embedding API. OTP's application
   * master is the group leader of its application's processes (src/otp/application.ts).
   */
  groupLeader: Pid | undefined = undefined;
  /** Keys of erlang timers (send_after/start_timer) addressed to this pid: cancelled at exit. */
  timersTo: Set<RefKey> | undefined = undefined;
  external: ExternalHooks | undefined = undefined;
  /**
   * The process moved here from its home thread (work stealing). Every signal to it goes
   * through its home thread, which forwards it here, so that each sender's signals keep one
   * path and their order (src/vm/thread_host.ts).
   */
  guest = false;
  /**
   * Set while the process is at a portable wait (portable_wait.ts): where it restarts if a
   * thief takes it. Cleared at the start of every slice, so it is never stale.
   */
  resume: ResumeSpec | undefined = undefined;
  /** In its runtime's `portableWaiters` list (portable_wait.ts; compacted by the steal). */
  portableListed = false;

  constructor(
    readonly runtime: Runtime,
    readonly pid: Pid,
    /** The body, or undefined for an external process. */
    public entry: ProcessFunction | undefined,
    public args: readonly unknown[],
    /** Initial call, for process_info and stacks: {Module, Function, Arity}. */
    readonly module: Atom,
    readonly fun: Atom,
    readonly arity: number,
    /** Spawned from a closure: bound to its scheduler thread. */
    readonly pinned: boolean,
  ) {}

  /** True until the process exits. */
  get alive(): boolean {
    return this.status !== ProcessStatus.EXITED;
  }

  /** Runs one slice (see the header). Never throws: a crash becomes the exit reason. */
  runSlice(): void {
    if (this.status === ProcessStatus.EXITED) return; // killed while queued
    const runtime = this.runtime;
    if (this.hasPendingExit) {
      runtime.terminate(this, this.pendingExit, undefined);
      return;
    }
    this.status = ProcessStatus.RUNNING;
    this.wait = WaitKind.NONE;
    this.resume = undefined; // its next callback starts now: no longer portable (portable_wait.ts)
    this.budget = REDUCTION_BUDGET - 1;
    const previous = current;
    current = this;
    let step: IteratorResult<unknown, unknown>;
    try {
      let gen = this.gen;
      if (gen === undefined) {
        const started = this.#start();
        if (started === undefined) {
          current = previous;
          this.reductions += REDUCTION_BUDGET - this.budget;
          runtime.terminate(this, A_NORMAL, undefined);
          return;
        }
        gen = started;
      }
      const value = this.resumeValue;
      this.resumeValue = undefined;
      if (this.resumeThrows) {
        this.resumeThrows = false;
        step = gen.throw!(value);
      } else {
        step = gen.next(value);
      }
    } catch (thrown) {
      current = previous;
      this.reductions += REDUCTION_BUDGET - this.budget;
      if (this.hasPendingExit) runtime.terminate(this, this.pendingExit, undefined);
      else runtime.crash(this, thrown);
      return;
    }
    current = previous;
    this.reductions += REDUCTION_BUDGET - this.budget;
    if (this.hasPendingExit) {
      runtime.terminate(this, this.pendingExit, undefined);
      return;
    }
    if (step.done === true) {
      runtime.terminate(this, A_NORMAL, undefined);
      return;
    }
    const effect = step.value;
    if (effect === WAIT) {
      this.status = ProcessStatus.WAITING;
    } else if (effect === PREEMPT || effect === undefined) {
      this.status = ProcessStatus.RUNNABLE;
      runtime.scheduler.enqueue(this);
    } else if (effect === AWAIT) {
      const promise = this.awaiting;
      this.awaiting = undefined;
      this.#await(promise);
    } else if (isThenable(effect)) {
      this.#await(effect);
    } else {
      // A bare `yield x`: tell the body at that very yield, so its stack points at the mistake.
      this.resumeThrows = true;
      this.resumeValue = new InvalidArgumentError(
        `a process body yielded ${describeValue(effect)}; yield only through the helpers (yield* receive(...), yield* sleep(ms), yield* awaitPromise(p)), a promise, or nothing (erlang:yield)`,
      );
      this.status = ProcessStatus.RUNNABLE;
      runtime.scheduler.enqueue(this);
    }
  }

  /** Creates the generator; undefined when the entry returned something that is not an iterator. */
  #start(): Iterator<unknown, unknown, unknown> | undefined {
    const entry = this.entry;
    if (entry === undefined) this.runtime.raiseUndef(this);
    const args = this.args;
    this.entry = undefined;
    this.args = EMPTY_ARGS;
    const result = (entry as (...a: readonly unknown[]) => unknown)(...args);
    if (result !== null && typeof result === 'object' && typeof (result as { next?: unknown }).next === 'function') {
      this.gen = result as Iterator<unknown, unknown, unknown>;
      return this.gen;
    }
    return undefined;
  }

  #await(promise: PromiseLike<unknown> | undefined): void {
    if (promise === undefined) {
      this.status = ProcessStatus.RUNNABLE;
      this.runtime.scheduler.enqueue(this);
      return;
    }
    this.status = ProcessStatus.WAITING;
    this.wait = WaitKind.AWAIT;
    const token = ++this.waitToken;
    promise.then(
      (value) => this.#settle(token, value, false),
      (reason: unknown) => this.#settle(token, reason, true),
    );
  }

  #settle(token: number, value: unknown, rejected: boolean): void {
    if (this.status !== ProcessStatus.WAITING || this.wait !== WaitKind.AWAIT || this.waitToken !== token) return;
    if (this.runtime.stopped) return;
    this.resumeValue = value;
    this.resumeThrows = rejected;
    this.wait = WaitKind.NONE;
    this.status = ProcessStatus.RUNNABLE;
    this.runtime.scheduler.enqueue(this);
  }
}

const EMPTY_ARGS: readonly unknown[] = Object.freeze([]);
