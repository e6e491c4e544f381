/**
 * `net_kernel` for beamjs processes:
 *
 * - `netKernel.monitorNodes(Flag[, Options])` (see node_monitor.ts for the semantics and the
 *   path to the main thread);
 * - `netKernel.start(Args)` / `netKernel.start(Name, Options)` and `netKernel.stop()`: OTP's
 *   net_kernel:start/1,2 and stop/0, which make the node distributed or not at run time (the
 *   work and its design are in src/vm.ts, `startDistribution`/`stopDistribution`). They
 *   return what OTP's do: {ok, Pid} or {error, Reason} for start (Reason {already_started,
 *   Pid}, or the failure as a caught error's reason), ok or {error, not_found | not_allowed}
 *   for stop. The same functions are the `net_kernel` module (defineModule), so
 *   `rpc:call(JsNode, net_kernel, stop, [])` from erl works too.
 *
 * Start arguments, as OTP's: start([Name]) (long names, as OTP's default), start([Name,
 * shortnames | longnames]), start([Name, NameDomain, TickTimeMs]) (net_ticktime =
 * ((TickTime*4-1) div 1000)+1 s), start(Name, #{name_domain, net_ticktime, hidden, ...}).
 * The cookie, epmd port and listen ports come from the VM's `netKernel` option (erl's
 * -setcookie, ERL_EPMD_PORT). Bad arguments raise in the caller as in OTP: error
 * function_clause for start/1, invalid_name, invalid_options or {invalid_option, Opt, Val}
 * for start/2.
 *
 * The path: the process hands {start, Name, LongNames, NetTicktime, Hidden} or stop to its
 * runtime's `netKernel` hook (a `net_kernel` control record from a scheduler thread, a call
 * on the main thread), then waits, with a ref-marked receive, for
 * {'$beamjs_net_kernel', Ref, Result}, which the main thread sends once every thread has the
 * new name. The process's own pid stays valid through the rename (src/term/pid.ts).
 *
 * Threads: the process functions run inside a process, on any scheduler thread;
 * `parseNetKernelRequest` is pure (the main thread uses it).
 */
import { BeamError, ErrorCode } from '../errors/index.js';
import { currentProcess } from '../process/process.js';
import { defineModule, ErlangException, receive, type ProcessGenerator } from '../process/index.js';
import { taggedReply } from '../process/receive.js';
import { Atom, atom, isPlainObject, Tuple, tuple, type Term } from '../term/index.js';
import type { DistOptions } from './dist_node.js';

export { monitorNodes } from './node_monitor.js';

/** The tag of the main thread's answer to a net_kernel request. */
export const A_NET_KERNEL_REPLY = atom('$beamjs_net_kernel');
const A_START = atom('start');
const A_STOP = atom('stop');
const A_SHORTNAMES = atom('shortnames');
const A_LONGNAMES = atom('longnames');
const A_FUNCTION_CLAUSE = atom('function_clause');
const A_INVALID_NAME = atom('invalid_name');
const A_INVALID_OPTIONS = atom('invalid_options');
const A_INVALID_OPTION = atom('invalid_option');
const A_NET_KERNEL = atom('net_kernel');

/** A request as the main thread reads it. */
export type NetKernelRequest = { readonly kind: 'stop' } | { readonly kind: 'start'; readonly options: DistOptions };

/** The request term of `start`: {start, NameText, LongNames, NetTicktime | undefined, Hidden}. */
function startRequest(name: Atom, longNames: boolean, netTicktime: number | undefined, hidden: boolean): Term {
  return tuple(A_START, name.name, longNames, netTicktime, hidden);
}

/** Reads a request term (see the header); undefined when it is not one. */
export function parseNetKernelRequest(request: Term): NetKernelRequest | undefined {
  if (request === A_STOP) return { kind: 'stop' };
  if (!(request instanceof Tuple) || request.size !== 5 || request.at(0) !== A_START) return undefined;
  const [, name, longNames, netTicktime, hidden] = request.elements;
  if (typeof name !== 'string' || typeof longNames !== 'boolean' || typeof hidden !== 'boolean') return undefined;
  if (netTicktime !== undefined && (typeof netTicktime !== 'number' || !(netTicktime > 0))) return undefined;
  return { kind: 'start', options: { name, longNames, hidden, ...(netTicktime === undefined ? {} : { netTicktime }) } };
}

function badArgs(reason: Term, fun: string, args: readonly Term[]): never {
  throw new ErlangException('error', reason, `net_kernel:${fun}/${args.length}: bad arguments`, [tuple(A_NET_KERNEL, atom(fun), args as Term[], [])]);
}

function nameDomain(value: Term): boolean | undefined {
  if (value === A_SHORTNAMES) return false;
  if (value === A_LONGNAMES) return true;
  return undefined;
}

/** start/1's list, as OTP's clauses read it. */
function startListRequest(args: Term): Term {
  const list = Array.isArray(args) ? (args as Term[]) : undefined;
  if (list === undefined || list.length < 1 || list.length > 3 || !(list[0] instanceof Atom)) return badArgs(A_FUNCTION_CLAUSE, 'start', [args]);
  const longNames = list.length === 1 ? true : nameDomain(list[1]);
  const tickTime = list[2];
  if (longNames === undefined || (list.length === 3 && (typeof tickTime !== 'number' || !Number.isInteger(tickTime) || tickTime <= 0))) return badArgs(A_FUNCTION_CLAUSE, 'start', [args]);
  const netTicktime = typeof tickTime === 'number' ? Math.floor((tickTime * 4 - 1) / 1000) + 1 : undefined;
  return startRequest(list[0], longNames, netTicktime, false);
}

/** The entries of an options map (a Map with atom keys, or a plain object). */
function mapEntries(options: Term): Array<[Term, Term]> | undefined {
  if (options instanceof Map) return [...(options as Map<Term, Term>)];
  if (isPlainObject(options)) return Object.entries(options as Record<string, Term>).map(([k, v]) => [atom(k), v]);
  return undefined;
}

/** start/2's name and map, checked as OTP's start/2 checks them. */
function startMapRequest(name: Term, options: Term): Term {
  const entries = mapEntries(options);
  if (entries === undefined) return badArgs(A_INVALID_OPTIONS, 'start', [name, options]);
  if (!(name instanceof Atom)) return badArgs(A_INVALID_NAME, 'start', [name, options]);
  let longNames = true;
  let netTicktime: number | undefined;
  let hidden = false;
  for (const [key, value] of entries) {
    const k = key instanceof Atom ? key.name : undefined;
    const positiveInteger = typeof value === 'number' && Number.isInteger(value) && value > 0;
    if (k === 'name_domain' && nameDomain(value) !== undefined) longNames = nameDomain(value)!;
    else if (k === 'net_ticktime' && positiveInteger) netTicktime = value;
    else if (k === 'net_tickintensity' && positiveInteger && value >= 4 && value <= 1000) continue; // beamjs ticks 4 times per net_ticktime
    else if (k === 'dist_listen' && typeof value === 'boolean') continue;
    else if (k === 'hidden' && typeof value === 'boolean') hidden = value;
    else badArgs(tuple(A_INVALID_OPTION, key, value), 'start', [name, options]);
  }
  return startRequest(name, longNames, netTicktime, hidden);
}

function* ask(request: Term, where: string): ProcessGenerator<Term> {
  const proc = currentProcess(where);
  const runtime = proc.runtime;
  if (runtime.netKernel === undefined) {
    throw new BeamError(ErrorCode.NOT_IN_PROCESS, `${where}: this runtime belongs to no VM (processes of a VM started with VM.start can start and stop distribution)`);
  }
  const ref = runtime.makeRef(proc);
  runtime.netKernel(request, proc.pid, ref);
  const { value } = yield* receive(taggedReply(A_NET_KERNEL_REPLY, ref));
  return value;
}

/**
 * net_kernel:start/1 (`start([Name, shortnames])`) or start/2 (`start(Name, Map)`): makes this
 * node distributed; returns {ok, Pid} or {error, Reason} (see the header).
 */
export function start(args: Term, options?: Term): ProcessGenerator<Term> {
  const request = options === undefined ? startListRequest(args) : startMapRequest(args, options);
  return ask(request, 'net_kernel:start');
}

/** net_kernel:stop/0: ok, or {error, not_found | not_allowed}. */
export function stop(): ProcessGenerator<Term> {
  return ask(A_STOP, 'net_kernel:stop');
}

defineModule('net_kernel', {
  start(...args: Term[]): ProcessGenerator<Term> {
    if (args.length === 1) return start(args[0]);
    if (args.length === 2) return start(args[0], args[1]);
    return badArgs(atom('undef'), 'start', args);
  },
  stop(): ProcessGenerator<Term> {
    return stop();
  },
});
