/**
 * dirtyCall: a process runs a long CPU function on the VM's dirty pool (src/dirty) and waits
 * for its result without blocking its scheduler, as a dirty NIF does in BEAM.
 *
 *     const digest = yield* dirtyCall('crypto_work', 'hash', [bytes]);
 *
 * The function is an export of a module defined with defineModule (a plain function that
 * returns a term, not a generator) in a file of the VM's `modules`. The request goes to the
 * thread that owns the pool (the runtime's `dirty` hook); the answer comes back as the message
 * {'$beamjs_dirty', Ref, {ok, Result} | {error, Reason}}, received with a ref-marked receive (so
 * other queued messages cost nothing). {error, Reason} is raised in the caller as an error of
 * class error with that reason: uncaught, the process exits with it, as a crashing process
 * would (a JS Error in the function becomes {js_error, <<"Name">>, <<"Message">>}).
 *
 * Threads: scheduler thread, inside a process. Bad input: names that are not strings or atoms,
 * or args that are not an array, throw InvalidArgumentError; args that are not terms throw the
 * codec's NOT_A_TERM error.
 */
import { BeamError, ErrorCode, InvalidArgumentError, describeValue } from '../errors/index.js';
import { Atom, atom, Ref, Tuple, type Pid, type Term } from '../term/index.js';
import { ErlangException } from './exception.js';
import { currentProcess, type Effect } from './process.js';
import { receive, taggedReply } from './receive.js';

/** A dirty request, as the runtime's `dirty` hook gets it. */
export interface DirtyRequest {
  readonly module: string;
  readonly fun: string;
  readonly args: readonly Term[];
  readonly replyTo: Pid;
  readonly ref: Ref;
}

/** The message that answers a dirty call. */
export const A_DIRTY_REPLY = atom('$beamjs_dirty');
const A_OK = atom('ok');

function nameOf(value: unknown, what: string): string {
  if (value instanceof Atom) return value.name;
  if (typeof value === 'string' && value.length > 0) return value;
  throw new InvalidArgumentError(`dirtyCall: ${what} must be a name (a string or an Atom); received ${describeValue(value)}`);
}

export function dirtyCall(module: Atom | string, fun: Atom | string, args: readonly Term[] = []): Generator<Effect, Term, unknown> {
  const proc = currentProcess('dirtyCall');
  const request = { module: nameOf(module, 'module'), fun: nameOf(fun, 'fun'), args };
  if (!Array.isArray(args)) throw new InvalidArgumentError(`dirtyCall: args must be an array (the argument list); received ${describeValue(args)}`);
  const runtime = proc.runtime;
  if (runtime.dirty === undefined) {
    throw new BeamError(ErrorCode.NOT_IN_PROCESS, 'dirtyCall: this runtime has no dirty pool (processes of a VM started with VM.start have one)');
  }
  const ref = runtime.makeRef(proc);
  runtime.dirty({ ...request, replyTo: proc.pid, ref });
  return awaitReply(ref, `${request.module}:${request.fun}/${args.length}`);
}

function* awaitReply(ref: Ref, what: string): Generator<Effect, Term, unknown> {
  const { value: outcome } = yield* receive(taggedReply(A_DIRTY_REPLY, ref));
  if (outcome instanceof Tuple && outcome.size === 2 && outcome.at(0) === A_OK) return outcome.at(1);
  const reason = outcome instanceof Tuple && outcome.size === 2 ? outcome.at(1) : outcome;
  throw new ErlangException('error', reason, `dirty call ${what} failed`);
}
