/**
 * Erlang exceptions in JS, and how anything thrown inside a process becomes its exit reason.
 *
 * Erlang has three classes of exception, raised by `erlang:error/1`, `erlang:exit/1` and
 * `erlang:throw/1`. Here they are `ErlangException`s (a BeamError, code EXCEPTION) raised by
 * `error(reason)`, `exit(reason)` and `throw_(value)` (`throw` is a JS keyword). A process
 * catches them with ordinary try/catch and reads them with `caught(e)`, the equivalent of
 * `catch Class:Reason:Stack`.
 *
 * The exit reason of a process whose body threw (uncaught), as BEAM makes it:
 *
 *   | thrown                                          | class | exit reason                         |
 *   |-------------------------------------------------|-------|-------------------------------------|
 *   | exit(R)                                         | exit  | R                                   |
 *   | error(R)                                        | error | {R, Stack}                          |
 *   | throw_(V)                                       | error | {{nocatch, V}, Stack}               |
 *   | InvalidArgumentError / BadExternalTermError     | error | {badarg, Stack}   (a BIF's badarg)  |
 *   | BeamError with code SYSTEM_LIMIT                | error | {system_limit, Stack}               |
 *   | any other JS Error (TypeError, …)               | error | {{js_error, Name, Message}, Stack}  |
 *   | a JS `throw v` of a non-Error value             | error | {{nocatch, v}, Stack} (if v is a term) |
 *
 * `Name` and `Message` are binaries (strings): `{js_error,<<"TypeError">>,<<"x is not a
 * function">>}` reads at once in an Erlang shell and keeps the atom table small. `Stack` is
 * Erlang-shaped, `[{Module, Function, Arity, []}]`, naming the process's current function
 * (beamjs cannot see JS call frames as MFAs); the JS stack text is kept beside the reason and
 * printed in the crash report, which is logged for the `error` class only, as BEAM does.
 *
 * Thread-safety: stateless. Bad input: none (any thrown value maps to some reason).
 */
import { BeamError, ErrorCode } from '../errors/index.js';
import { atom, Atom, tuple, Tuple, termKind, NOT_A_TERM, type Term } from '../term/index.js';

/** Erlang's exception classes. */
export type ExceptionClass = 'error' | 'exit' | 'throw';

const A_NOCATCH = atom('nocatch');
const A_BADARG = atom('badarg');
const A_SYSTEM_LIMIT = atom('system_limit');
const A_JS_ERROR = atom('js_error');

/** An Erlang exception raised in JS (error/1, exit/1, throw/1). */
export class ErlangException extends BeamError {
  /** `error`, `exit` or `throw`. */
  readonly class: ExceptionClass;
  /** The Reason (or thrown Value) as given. */
  readonly reason: Term;
  /** An Erlang stack to report instead of the process's current function (e.g. undef's [{M, F, Args, []}]). */
  readonly erlangStack: Term | undefined;

  constructor(cls: ExceptionClass, reason: Term, message?: string, erlangStack?: Term) {
    super(ErrorCode.EXCEPTION, message ?? `${cls}: ${describeReason(reason)}`);
    this.name = 'ErlangException';
    this.class = cls;
    this.reason = reason;
    this.erlangStack = erlangStack;
  }
}

/** A short text for an exception message (the full term is printed by the crash report). */
function describeReason(reason: Term): string {
  if (reason instanceof Atom) return reason.name;
  if (typeof reason === 'string') return JSON.stringify(reason);
  if (typeof reason === 'number' || typeof reason === 'bigint' || typeof reason === 'boolean') return String(reason);
  if (reason === undefined || reason === null) return String(reason);
  if (reason instanceof Tuple && reason.size > 0 && reason.at(0) instanceof Atom) return `{${(reason.at(0) as Atom).name}, …}`;
  return 'a term';
}

/** What `catch Class:Reason:Stack` sees for a caught JS value. */
export interface Caught {
  readonly class: ExceptionClass;
  /** The Erlang reason (for `throw`, the thrown value). */
  readonly reason: Term;
  /** JS stack text, when the thrown value was an Error. */
  readonly jsStack: string | undefined;
  /** The Erlang stack the exception carries, if it names one (else the process's current function is used). */
  readonly erlangStack?: Term;
}

/**
 * Classifies a value caught in a process the way Erlang's `catch Class:Reason` would see it
 * (see the table in the header): an ErlangException keeps its class and reason; beamjs's
 * argument errors are `error:badarg`; other JS errors are `error:{js_error, Name, Message}`.
 */
export function caught(thrown: unknown): Caught {
  if (thrown instanceof ErlangException) {
    return { class: thrown.class, reason: thrown.reason, jsStack: thrown.stack, erlangStack: thrown.erlangStack };
  }
  if (BeamError.is(thrown)) {
    const reason =
      thrown.code === ErrorCode.INVALID_ARGUMENT || thrown.code === ErrorCode.BAD_EXTERNAL_TERM || thrown.code === ErrorCode.INVALID_ATOM || thrown.code === ErrorCode.NOT_A_TERM
        ? A_BADARG
        : thrown.code === ErrorCode.SYSTEM_LIMIT
          ? A_SYSTEM_LIMIT
          : tuple(A_JS_ERROR, thrown.name, thrown.message);
    return { class: 'error', reason, jsStack: thrown.stack };
  }
  if (thrown instanceof Error) {
    return { class: 'error', reason: tuple(A_JS_ERROR, thrown.name, thrown.message), jsStack: thrown.stack };
  }
  // `throw 42` from plain JS: the closest Erlang meaning is throw/1.
  if (termKind(thrown) !== NOT_A_TERM) return { class: 'throw', reason: thrown as Term, jsStack: undefined };
  return { class: 'error', reason: tuple(A_JS_ERROR, typeof thrown, String(thrown)), jsStack: undefined };
}

/**
 * The exit reason of a process that ended with this uncaught exception (see the header):
 * exit -> R; error -> {R, Stack}; throw -> {{nocatch, V}, Stack}.
 */
export function exitReasonOf(c: Caught, stack: Term): Term {
  switch (c.class) {
    case 'exit':
      return c.reason;
    case 'error':
      return tuple(c.reason, stack);
    default:
      return tuple(tuple(A_NOCATCH, c.reason), stack);
  }
}

/** True when a process ending with this exception gets a crash report (BEAM: error class, incl. nocatch). */
export function isReportedClass(c: Caught): boolean {
  return c.class !== 'exit';
}

/** `erlang:error(Reason)`: raises an exception of class error. */
export function error(reason: Term): never {
  throw new ErlangException('error', reason);
}

/** `erlang:throw(Value)`: raises an exception of class throw (a non-local return). */
export function throw_(value: Term): never {
  throw new ErlangException('throw', value);
}

/** `erlang:exit(Reason)` (exit/1): raises an exception of class exit; uncaught, the process exits with Reason. */
export function raiseExit(reason: Term): never {
  throw new ErlangException('exit', reason);
}

/** A one-element Erlang stack `[{M, F, A, []}]` for a process's current function. */
export function stackOf(module: Atom, fun: Atom, arity: number): Term {
  return [tuple(module, fun, arity, [])];
}

