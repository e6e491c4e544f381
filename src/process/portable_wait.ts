/**
 * The portable wait: a receive at which a process declares that, until a message ends the
 * wait, it may instead be ended here and restarted anywhere as spawn(Module, Fun, Args) with
 * the same pid. Work stealing (src/vm/thread_host.ts) uses it to move a started process to
 * another scheduler thread; OTP behaviours use it between callbacks (gen_server's loop:
 * resume gen_server:loop_resume({Parent, Module, Name, State, Timeout})).
 *
 *     const msg = yield* receivePortable({ module: 'my_mod', fun: 'loop', args: [state] });
 *     const got = yield* receivePortable(() => resumeOf(loop), pattern);   // built only if needed
 *
 * Contract (what a body promises when it calls receivePortable):
 *   - restarting as spawn(Module, Fun, Args) with the same mailbox re-enters an equivalent wait
 *     (same pattern): nothing the body holds in JS locals beyond Args is needed later. What moves
 *     with the process besides Args: pid, mailbox (in order), links, monitors held and monitors
 *     on it, registered name, dictionary, trap_exit, group leader, priority, initial call.
 *   - Args are terms. They are checked when a thief takes the process (encoded with the VM's
 *     transport, which also copies them), not at each wait: a wait costs one field store. A
 *     process whose Args or mailbox do not encode (a closure, a class instance) is simply not
 *     portable at that wait; it stays and runs on where it is.
 *   - `resume` may be a function returning the MFA: called only when a thief takes the process.
 *
 * When a process is portable (thread_host.ts takes it only then):
 *   - it is WAITING in the portable wait (no message matched yet), or
 *   - it is RUNNABLE because a message (or a budget preemption) ended its slice at the portable
 *     wait and it has not run since: its next callback has not started. `Process.resume` is
 *     set by the wait when it suspends and cleared at the start of every slice (process.ts), so
 *     `resume !== undefined` means exactly "the last suspension was at a portable wait and the
 *     process has not run since";
 *   and, in both cases: spawned from an export (not pinned: a process spawned from a closure
 *   never moves, whatever it declares), not the embedding API's mailbox, not already a guest (a
 *   process moves once, from its home thread: its signals keep one path, through home), no
 *   pending exit, no erlang timer addressed to it (send_after/start_timer timers live on the
 *   home thread's wheel and would no longer be cancelled at its exit, nor by its cancel_timer).
 *   A wait with a finite timeout is never portable (decision: the remaining time would have to
 *   override the restarted body's first wait; `after` is rare between gen_server callbacks), so
 *   a gen_server with a timeout stays until the timeout fires or a message arrives; an
 *   infinite wait is.
 *
 * Threads: scheduler thread, inside a process only. Bad input: a resume that is not
 *   { module, fun, args } (names as atoms or texts, args an array) or a function throws
 *   InvalidArgumentError naming the field (uncaught in the process: it exits with badarg, as
 *   receive's bad timeout does). Outside a process: NOT_IN_PROCESS.
 */
import { InvalidArgumentError, describeValue } from '../errors/index.js';
import { Atom, atom, type CapturesOf, type PatternLike, type Simplify, type Term } from '../term/index.js';
import { currentProcess, ProcessStatus, WaitKind, type Process } from './process.js';
import { portableReceive, receive, type ProcessStep, type ReceivePattern, type Timeout, timeoutMs } from './receive.js';
import type { MessageMatcher } from './mailbox.js';

/** Where a process restarts when it moves from a portable wait: spawn(module, fun, args). */
export interface PortableResume {
  readonly module: Atom | string;
  readonly fun: Atom | string;
  readonly args: readonly Term[];
}

/** A resume, or a function that builds it when a thief asks (not at every wait). */
export type ResumeSpec = PortableResume | (() => PortableResume);

/** A resume with its names as atoms (what migration carries). */
export interface ResolvedResume {
  readonly module: Atom;
  readonly fun: Atom;
  readonly args: readonly Term[];
}

function nameOf(value: unknown, field: string): Atom {
  if (value instanceof Atom) return value;
  if (typeof value === 'string' && value.length > 0) return atom(value);
  throw new InvalidArgumentError(`receivePortable: resume.${field} must be an atom or a non-empty text; received ${describeValue(value)}`);
}

/** Checks the shape of a resume (not that its args are terms: see the header). */
function checkResume(resume: unknown): asserts resume is PortableResume {
  if (resume === null || typeof resume !== 'object') {
    throw new InvalidArgumentError(`receivePortable: resume must be { module, fun, args } or a function returning it; received ${describeValue(resume)}`);
  }
  const r = resume as { module?: unknown; fun?: unknown; args?: unknown };
  nameOf(r.module, 'module');
  nameOf(r.fun, 'fun');
  if (!Array.isArray(r.args)) throw new InvalidArgumentError(`receivePortable: resume.args must be an array of terms; received ${describeValue(r.args)}`);
}

/**
 * The resume of a process at a portable wait, names as atoms; undefined when building it
 * failed (a resume function that threw or returned a bad shape: the process is then not
 * portable at this wait). Called by the victim thread when a thief asks.
 */
export function resolveResume(proc: Process): ResolvedResume | undefined {
  const spec = proc.resume;
  if (spec === undefined) return undefined;
  try {
    const r = typeof spec === 'function' ? spec() : spec;
    checkResume(r);
    return { module: nameOf(r.module, 'module'), fun: nameOf(r.fun, 'fun'), args: r.args };
  } catch {
    return undefined;
  }
}

/** True when a thief may take `proc` at its portable wait (see the header). */
export function isAtPortableWait(proc: Process): boolean {
  if (proc.resume === undefined || proc.pinned || proc.guest || proc.external !== undefined || proc.hasPendingExit) return false;
  if (proc.timersTo !== undefined && proc.timersTo.size > 0) return false;
  return proc.status === ProcessStatus.RUNNABLE || (proc.status === ProcessStatus.WAITING && proc.wait === WaitKind.RECEIVE);
}

/**
 * receivePortable(resume[, pattern[, timeout]]): receive, as `receive(pattern, timeout)` (any
 * message when no pattern), at which the process may move to another scheduler thread and
 * continue as spawn(resume.module, resume.fun, resume.args) with the same pid (see the header).
 * With a finite timeout it is an ordinary receive (not portable).
 */
export function receivePortable(resume: ResumeSpec): ProcessStep<Term>;
export function receivePortable<C>(resume: ResumeSpec, pattern: MessageMatcher<C> | ((message: Term) => C | undefined)): ProcessStep<C>;
export function receivePortable<const Pt extends PatternLike>(resume: ResumeSpec, pattern: Pt): ProcessStep<Simplify<CapturesOf<Pt>>>;
export function receivePortable<C>(resume: ResumeSpec, pattern: MessageMatcher<C> | ((message: Term) => C | undefined), timeout: Timeout): ProcessStep<C | undefined>;
export function receivePortable<const Pt extends PatternLike>(resume: ResumeSpec, pattern: Pt, timeout: Timeout): ProcessStep<Simplify<CapturesOf<Pt>> | undefined>;
export function receivePortable(resume: ResumeSpec, pattern: undefined, timeout: Timeout): ProcessStep<Term | undefined>;
export function receivePortable(resume: ResumeSpec, pattern?: ReceivePattern<unknown>, timeout?: Timeout): ProcessStep<unknown> {
  const proc = currentProcess('receivePortable');
  if (typeof resume !== 'function') checkResume(resume);
  // A finite timeout, a closure (pinned) or a one-thread VM (no thief): an ordinary receive.
  if (timeoutMs(timeout, 'receivePortable') >= 0 || proc.pinned || proc.runtime.cluster === undefined) {
    return (receive as unknown as (pattern: unknown, timeout?: Timeout) => ProcessStep<unknown>)(pattern, timeout);
  }
  return portableReceive(proc, pattern, resume);
}
