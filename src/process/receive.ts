/**
 * The suspending helpers a process body calls with `yield*`: receive, sleep, yield_ and
 * awaitPromise. They are generators: a body writes
 *
 *     const { from } = yield* receive(P.tuple(atom('ping'), P.capture('from', P.pid)));
 *     const msg = yield* receive(pattern, 1000);   // undefined after 1 s without a match
 *     yield* sleep(50);
 *     const text = yield* awaitPromise(fs.promises.readFile(path, 'utf8'));
 *
 * receive semantics (Erlang's `receive ... after T -> ... end`)
 *   - The first message, in arrival order, that the pattern matches is removed and its match
 *     result returned; messages it does not match stay, in order (mailbox.ts).
 *   - `timeout`: omitted, `Infinity` or 'infinity' waits forever; 0 looks at the queue once and
 *     returns undefined if nothing matches; N ms returns undefined after N ms without a match.
 *     A message that arrives in the same instant as the timeout wins (the queue is scanned
 *     before the timeout is taken).
 *   - The pattern is a matcher `{ match(term) => C | undefined }` (a compiled pattern from
 *     src/term/pattern.ts, whose `requiredRefs` enable the reference-marker optimisation), a
 *     pattern built with `P` (compiled once and cached), or a function `(msg) => C | undefined`.
 *     undefined means "no match", so a match result is never undefined. receive() with no
 *     pattern takes the first message (if the atom `undefined` itself can arrive, use a pattern
 *     to tell it from a timeout).
 *   - Cost: 1 reduction + 1 per 8 messages scanned. A receive entered with the slice's budget
 *     spent first yields the thread (PREEMPT); so does one entered with a pending exit.
 *
 * Threads: scheduler thread, inside a process only. Bad input: a bad timeout or pattern throws
 * InvalidArgumentError (in the process: uncaught, it exits with badarg), as erl raises
 * timeout_value / badarg. Calling any helper outside a process throws NOT_IN_PROCESS.
 */
import { InvalidArgumentError, describeValue } from '../errors/index.js';
import type { TimerId, TimerTask } from '../sched/index.js';
import { compilePattern, Ref, Tuple, type Atom, type CapturesOf, type PatternLike, type Simplify, type Term } from '../term/index.js';
import type { MessageMatcher } from './mailbox.js';
import type { ResumeSpec } from './portable_wait.js';
import { AWAIT, currentProcess, PREEMPT, ProcessStatus, WAIT, WaitKind, type Effect, type Process, type WaitTimer } from './process.js';

/** A receive timeout: milliseconds (a non-negative integer), or infinity. */
export type Timeout = number | 'infinity';

/** What receive accepts as a pattern (see the header). */
export type ReceivePattern<C> = MessageMatcher<C> | ((message: Term) => C | undefined) | PatternLike;

/** The generator type of the helpers: yields effects to the scheduler, returns R. */
export type ProcessGenerator<R> = Generator<Effect, R, unknown>;

/** What `yield*` runs for one suspending operation (receive): yields effects, returns R. */
export type ProcessStep<R> = Iterable<Effect, R, unknown>;

const compiled = new WeakMap<object, MessageMatcher<unknown>>();

/** compilePattern without its capture-type inference (the types are given by receive's overloads). */
const compileUntyped = compilePattern as unknown as (pattern: unknown) => MessageMatcher<unknown>;

/** Marker matcher for "any message". */
export const ANY: MessageMatcher<Term> = { match: (message: Term) => message };

/** Turns what receive accepts into a matcher. Cached per pattern object. */
export function toMatcher<C>(pattern: ReceivePattern<C>): MessageMatcher<C> {
  if (typeof pattern === 'function') return { match: pattern as (message: Term) => C | undefined };
  if (typeof pattern === 'object' && pattern !== null) {
    if (typeof (pattern as { match?: unknown }).match === 'function') return pattern as MessageMatcher<C>;
    const cached = compiled.get(pattern);
    if (cached !== undefined) return cached as MessageMatcher<C>;
    const matcher = compileUntyped(pattern) as MessageMatcher<C>;
    compiled.set(pattern, matcher as MessageMatcher<unknown>);
    return matcher;
  }
  return compileUntyped(pattern) as MessageMatcher<C>;
}

/**
 * The matcher of a reply {Tag, Ref, Value} to a request that carried a fresh ref (a
 * process_info of another thread, a dirty call): `{ value }` when it matches. Its required ref
 * makes the receive skip everything queued before the ref was made.
 */
export function taggedReply(tag: Atom, ref: Ref): MessageMatcher<{ readonly value: Term }> {
  return {
    match: (m: Term) => (m instanceof Tuple && m.size === 3 && m.at(0) === tag && m.at(1) instanceof Ref && (m.at(1) as Ref).equals(ref) ? { value: m.at(2) } : undefined),
    requiredRefs: [ref],
  };
}

/** Validates a timeout; returns ms, or -1 for infinity. */
export function timeoutMs(timeout: Timeout | undefined, where: string): number {
  if (timeout === undefined || timeout === 'infinity' || timeout === Number.POSITIVE_INFINITY) return -1;
  if (typeof timeout !== 'number' || !Number.isSafeInteger(timeout) || timeout < 0) {
    throw new InvalidArgumentError(
      `${where}: timeout must be a non-negative integer of milliseconds or 'infinity'; received ${describeValue(timeout)}`,
    );
  }
  return timeout;
}

/**
 * The timer of a receive ... after, or of sleep: one per process, armed lazily and cancelled
 * lazily (a gen_server:call arms and ends a 5 s timeout per call; a wheel insert and cancel per
 * call were a tenth of its cost).
 *
 *   - `proc.deadline` is the absolute clock time (scheduler clock, whole ms rounded up) at which
 *     the current wait times out, or -1 when the process waits for no timeout. It is the truth; the wheel timer
 *     only makes sure someone looks at it in time.
 *   - `proc.timer` is the process's one wheel timer (undefined: none), due at `proc.timer.at`.
 *     Invariant: while `proc.deadline >= 0`, a timer is armed with `at <= deadline`.
 *   - arming (a wait with a timeout suspends): set the deadline; keep the armed timer if it is
 *     due no later than the deadline, else cancel it and arm one at the deadline.
 *   - ending the wait (a message matched, the process was resumed with an exception): only
 *     `deadline = -1`; the wheel timer stays. When it fires it finds no deadline and does
 *     nothing, or a later deadline (a later wait) and re-arms for it, or a deadline that has
 *     passed and times the wait out. So a process has at most one wheel timer, and a loop of
 *     calls costs one clock read per call and one wheel insert per timeout period.
 *   - the process's exit cancels its timer (signals.ts terminate, cancelWaitTimer).
 *   - a timer whose wait ended is counted in the scheduler's `idleTimers` until it is useful
 *     again or gone: idle timers alone do not keep Node's event loop alive, as cancelled ones
 *     would not (an inline VM whose processes all wait forever lets Node exit).
 * A timeout never fires early: the wheel timer is due at or after the deadline it is checked
 * against, and `fire` compares the deadline with the clock again.
 */
class WaitTimeout implements TimerTask, WaitTimer {
  id = 0 as TimerId;
  /** Its wait ended: counted in the scheduler's idleTimers until it is useful again or gone. */
  idle = false;

  constructor(
    readonly proc: Process,
    public at: number,
  ) {}

  /** Puts this timer in the wheel at `at` and makes it the process's timer. */
  arm(): void {
    this.id = this.proc.runtime.scheduler.addTimerAt(this.at, this);
    this.proc.timer = this;
  }

  /** Counts this timer as useful again, or as gone (it fired or was cancelled). */
  unidle(): void {
    if (this.idle) {
      this.idle = false;
      this.proc.runtime.scheduler.idleTimers(-1);
    }
  }

  fire(): void {
    const proc = this.proc;
    proc.timer = undefined;
    this.unidle();
    const deadline = proc.deadline;
    if (deadline < 0 || proc.status === ProcessStatus.EXITED) return; // the wait it was armed for ended
    if (deadline > proc.runtime.scheduler.now()) {
      // Armed for an earlier wait that ended; the current one times out later.
      this.at = deadline;
      this.arm();
      return;
    }
    proc.deadline = -1;
    proc.timedOut = true;
    if (proc.status === ProcessStatus.WAITING && (proc.wait === WaitKind.RECEIVE || proc.wait === WaitKind.SLEEP)) {
      proc.status = ProcessStatus.RUNNABLE;
      proc.wait = WaitKind.NONE;
      proc.runtime.scheduler.enqueue(proc);
    }
  }
}

function armTimer(proc: Process, ms: number): void {
  const scheduler = proc.runtime.scheduler;
  // Whole ms, rounded up (never early; an integer stays a small integer in the process object).
  const deadline = Math.ceil(scheduler.now()) + ms;
  proc.timedOut = false;
  proc.deadline = deadline;
  const armed = proc.timer as WaitTimeout | undefined;
  if (armed !== undefined) {
    armed.unidle();
    if (armed.at <= deadline) return; // it fires first and re-arms for this deadline
    scheduler.cancelTimer(armed.id);
  }
  new WaitTimeout(proc, deadline).arm();
}

/** Ends the wait's timeout (lazily: see WaitTimeout). */
function disarmTimer(proc: Process): void {
  proc.deadline = -1;
  proc.timedOut = false;
  const armed = proc.timer as WaitTimeout | undefined;
  if (armed !== undefined && !armed.idle) {
    armed.idle = true;
    proc.runtime.scheduler.idleTimers(1);
  }
}

/** Cancels the process's receive/sleep timer for good (the process exits). */
export function cancelWaitTimer(proc: Process): void {
  const armed = proc.timer as WaitTimeout | undefined;
  if (armed === undefined) return;
  armed.unidle();
  proc.runtime.scheduler.cancelTimer(armed.id);
  proc.timer = undefined;
}

/**
 * The signatures of receive (and of vm.receive, with Promise instead of ProcessGenerator).
 * An interface rather than function overloads: TypeScript would otherwise check the overloads
 * against the implementation by instantiating the capture types at their constraint, which
 * does not terminate for the recursive PatternLike type.
 */
export interface ReceiveSignatures<W extends 'generator' | 'promise'> {
  /** Receives the first message of the mailbox (any message); waits forever. */
  (): Wrap<W, Term>;
  /** Receives the first message the matcher (or function) accepts; waits forever. */
  <C>(pattern: MessageMatcher<C> | ((message: Term) => C | undefined)): Wrap<W, C>;
  /** Receives the first message the pattern matches (its captures object); waits forever. */
  <const Pt extends PatternLike>(pattern: Pt): Wrap<W, Simplify<CapturesOf<Pt>>>;
  /** Receives the first matching message, or undefined after `timeout` ms (0: do not wait). */
  <C>(pattern: MessageMatcher<C> | ((message: Term) => C | undefined), timeout: Timeout): Wrap<W, C | undefined>;
  /** Receives the first message the pattern matches, or undefined after `timeout` ms. */
  <const Pt extends PatternLike>(pattern: Pt, timeout: Timeout): Wrap<W, Simplify<CapturesOf<Pt>> | undefined>;
  /** Receives any message, or undefined after `timeout` ms. */
  (pattern: undefined, timeout: Timeout): Wrap<W, Term>;
}

type Wrap<W, R> = W extends 'generator' ? ProcessStep<R> : Promise<R>;

/**
 * receive: selective receive (see the header).
 *   const { from } = yield* receive(P.tuple(atom('ping'), P.capture('from', P.pid)));
 *   const msg = yield* receive(pattern, 100);   // undefined on timeout
 */
export const receive: ReceiveSignatures<'generator'> = receiveImpl as unknown as ReceiveSignatures<'generator'>;

function receiveImpl(pattern?: unknown, timeout?: Timeout): Receiving<unknown> {
  const proc = currentProcess('receive');
  const matcher = pattern === undefined ? (ANY as MessageMatcher<unknown>) : toMatcher(pattern as ReceivePattern<unknown>);
  return new Receiving(proc, matcher, timeoutMs(timeout, 'receive'));
}

/**
 * A receive whose suspensions are portable (portable_wait.ts's receivePortable; it checks the
 * resume and passes -1, an infinite wait, as `ms`).
 */
export function portableReceive(proc: Process, pattern: unknown, resume: ResumeSpec): ProcessStep<unknown> {
  const matcher = pattern === undefined ? (ANY as MessageMatcher<unknown>) : toMatcher(pattern as ReceivePattern<unknown>);
  return new Receiving(proc, matcher, -1, resume);
}

/**
 * Marks a process suspended at a portable wait (see portable_wait.ts): where it restarts, and
 * once in its runtime's list of portable waiters (many-thread VMs only: no thief otherwise; not
 * a guest: a process moves once, from its home thread).
 */
function markPortable(proc: Process, resume: ResumeSpec): void {
  proc.resume = resume;
  if (!proc.portableListed && !proc.guest && proc.runtime.cluster !== undefined) {
    proc.portableListed = true;
    proc.runtime.portableWaiters.push(proc);
  }
}

/** What a suspended receive hands to the scheduler through `yield*` (shared: never mutated). */
const WAIT_STEP: IteratorYieldResult<Effect> = Object.freeze({ value: WAIT, done: false });
const PREEMPT_STEP: IteratorYieldResult<Effect> = Object.freeze({ value: PREEMPT, done: false });

const Phase = { START: 0, SCANNING: 1, DONE: 2 } as const;
type Phase = (typeof Phase)[keyof typeof Phase];

/**
 * One receive in progress: the iterator that `yield* receive(...)` runs. A hand-written
 * iterator rather than a generator: a generator object and its delegation frame cost more
 * than the rest of a local message round trip (bench/process). `yield*` hands our step objects
 * to the scheduler as they are (for a sync generator the spec re-yields the inner result
 * object), so a suspension allocates nothing. Each `next()` is one look at the mailbox:
 *   START     spend the budget check (PREEMPT first if the slice's budget is spent), then scan;
 *   SCANNING  scan from the saved position; a match, `after 0`, or a fired timer ends it (DONE,
 *             `done: true` with the result); otherwise arm the timer once and WAIT.
 * `throw(e)` (the scheduler resumes the process with an exception) disarms the timer and lets
 * the exception surface at the `yield*`; `return()` disarms it too.
 */
class Receiving<C> implements Iterator<Effect, C | undefined, unknown> {
  #phase: Phase = Phase.START;
  #armed = false;

  constructor(
    readonly proc: Process,
    readonly matcher: MessageMatcher<C>,
    /** Timeout in ms; -1 for infinity. */
    readonly ms: number,
    /** A portable wait's resume (portable_wait.ts): set on the process at each suspension. */
    readonly resume: ResumeSpec | undefined = undefined,
  ) {}

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<Effect, C | undefined> {
    const proc = this.proc;
    const mailbox = proc.mailbox;
    if (this.#phase !== Phase.SCANNING) {
      if (this.#phase === Phase.DONE) return { value: undefined, done: true };
      this.#phase = Phase.SCANNING;
      if (proc.budget <= 0) {
        mailbox.beginReceive(this.matcher.requiredRefs);
        if (this.resume !== undefined) markPortable(proc, this.resume);
        return PREEMPT_STEP;
      }
      mailbox.beginReceive(this.matcher.requiredRefs);
    }
    const matcher = this.matcher;
    const result = matcher === ANY ? (mailbox.scanAny() as C | undefined) : mailbox.scan(matcher);
    proc.budget -= 1 + (mailbox.scanned >> 3);
    if (result !== undefined || (matcher === ANY && mailbox.took)) {
      if (this.#armed) disarmTimer(proc);
      this.#phase = Phase.DONE;
      return { value: result, done: true };
    }
    const ms = this.ms;
    if (ms === 0) {
      this.#phase = Phase.DONE;
      return { value: undefined, done: true };
    }
    if (this.#armed) {
      if (proc.timedOut) {
        proc.timedOut = false;
        this.#phase = Phase.DONE;
        return { value: undefined, done: true };
      }
    } else if (ms > 0) {
      armTimer(proc, ms);
      this.#armed = true;
    }
    proc.wait = WaitKind.RECEIVE;
    if (this.resume !== undefined) markPortable(proc, this.resume);
    return WAIT_STEP;
  }

  throw(error: unknown): IteratorResult<Effect, C | undefined> {
    this.#finish();
    throw error;
  }

  return(value?: C | undefined): IteratorResult<Effect, C | undefined> {
    this.#finish();
    return { value, done: true };
  }

  #finish(): void {
    if (this.#armed) disarmTimer(this.proc);
    this.#armed = false;
    this.#phase = Phase.DONE;
  }
}

/** timer:sleep(ms): suspends for ms (messages do not wake it); 'infinity' sleeps until killed. */
export function* sleep(timeout: Timeout): ProcessGenerator<void> {
  const proc = currentProcess('sleep');
  const ms = timeoutMs(timeout, 'sleep');
  if (ms < 0) {
    for (;;) {
      proc.wait = WaitKind.SLEEP;
      yield WAIT;
    }
  }
  armTimer(proc, ms);
  while (!proc.timedOut) {
    proc.wait = WaitKind.SLEEP;
    yield WAIT;
  }
  proc.timedOut = false;
}

/** erlang:yield(): gives the thread to the other runnable processes (back of the run queue). */
export function* yield_(): ProcessGenerator<void> {
  currentProcess('yield_');
  yield PREEMPT;
}

/**
 * Suspends the process until the promise settles; returns its value, or throws its rejection
 * reason at this point (uncaught, the process exits: a JS Error becomes {js_error, ...}).
 * Messages arriving meanwhile wait in the mailbox; exit signals still end the process.
 */
export function* awaitPromise<T>(promise: PromiseLike<T> | T): ProcessGenerator<T> {
  const proc = currentProcess('awaitPromise');
  if (promise === null || (typeof promise !== 'object' && typeof promise !== 'function') || typeof (promise as { then?: unknown }).then !== 'function') {
    return promise as T;
  }
  proc.awaiting = promise as PromiseLike<unknown>;
  return (yield AWAIT) as T;
}
