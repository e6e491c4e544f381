/**
 * gen_server: OTP's generic server, with OTP's protocol and semantics.
 *
 * A callback module is an ordinary module (defineModule) whose exports carry Erlang's callback
 * names, so it is addressed by name on every scheduler thread:
 *
 *     defineModule('counter', {
 *       init: (start: number) => tuple(atom('ok'), start),
 *       handle_call: (request, from, n) => tuple(atom('reply'), n, n + 1),
 *       handle_cast: (request, n) => tuple(atom('noreply'), n),
 *     });
 *     const { pid } = yield* GenServer.startLink('counter', 0, { name: atom('counter') });
 *     const n = yield* GenServer.call(atom('counter'), atom('next'));
 *
 * A callback returns Erlang's tuples (`{reply, R, S}`, `{noreply, S, Timeout}`, …) or, when it
 * must itself wait (call another server, receive, await a promise), is a generator that returns
 * them: it is then run with `yield*` inside the server process.
 *
 * The protocol (OTP's, so a beamjs server and an Erlang client understand each other later):
 *   call:  {'$gen_call', {From, Tag}, Request}; the reply is {Tag, Reply}. Tag is the monitor
 *          reference of the call, so the wait is a ref-marked receive (O(1) however many
 *          messages are queued). Outcomes: the reply; exit {timeout, {gen_server, call,
 *          [Server, Request, Timeout]}} after Timeout ms (default 5000, or 'infinity'); exit
 *          {noproc, {gen_server, call, …}} when the server does not exist; exit {Reason,
 *          {gen_server, call, …}} when it dies during the call (e.g. {normal, …}).
 *   cast:  {'$gen_cast', Request}; always returns ok (to a dead or unregistered server too).
 *   stop:  stop(Server, Reason = normal, Timeout = infinity) waits until the server terminated
 *          with Reason (it calls terminate/2) and exits with noproc / timeout as OTP does.
 *
 * The server loop: init/1 runs before start/start_link return (proc_lib's init_ack): {ok, S},
 * {ok, S, Timeout | hibernate | {continue, C}}, ignore, {stop, R}; a name (`options.name`) is
 * registered first, and a taken name gives {error, {already_started, Pid}}.
 * Then each message goes to handle_call/3, handle_cast/2 or handle_info/2; {continue, C}
 * calls handle_continue/2 before the next message; a Timeout in a return value delivers the
 * info `timeout` if no message arrives first. A server that traps exits and gets
 * {'EXIT', Parent, Reason} from its parent terminates with Reason (terminate/2 is called). An
 * exception in a callback terminates the server: terminate/2 gets the exit reason (for class
 * error: {Reason, Stack}) and the process exits with it; a return value that is none of the
 * above is {bad_return_value, V}.
 *
 * Names (options.name): an Atom or {local, Name}; {via, Module, Name} (Module exports
 * register_name/2 -> yes | no, unregister_name/1, whereis_name/1 -> Pid | undefined, send/2, as
 * OTP's via); {global, Name} throws an InvalidArgumentError: global registration needs
 * distribution. A server can be addressed by {via, M, Name} in call/cast/stop. The name helpers
 * are gen_names.ts, shared with gen_statem and gen_event.
 *
 * Starting goes through proc_lib (proc_lib.ts): the server runs proc_lib:init_p, so it has
 * '$ancestors' and '$initial_call' ({Module, init, 1}) and gets a crash report when it ends
 * abnormally; init/1's result reaches the starter by proc_lib:init_ack.
 *
 * sys (sys.ts): {system, From, Req} messages are handled between callbacks (get_state,
 * replace_state, get_status, suspend/resume, change_code -> Module:code_change(OldVsn, State,
 * Extra), statistics, trace, log); a suspended server handles only system messages.
 * format_status: OTP 25's format_status/1 (a map #{state, message, reason, log} in, the same
 * map out) or the old format_status/2 (Opt normal | terminate, [PDict, State]) shapes the state
 * in sys:get_status and in the terminate error report. The error report (logger error, label
 * {gen_server, terminate}) is logged when a server terminates with a reason other than normal,
 * shutdown or {shutdown, _}: name, last_message, state, reason, log, client_info (the client's
 * pid when the last message was a call from a live local process; its stack is not known, so
 * it is []).
 *
 * multiCall(Nodes, Name, Request[, Timeout]) -> {Replies, BadNodes} and abcast(Nodes, Name,
 * Msg) -> abcast reach other nodes through distribution (by {Name, Node}, one node after the
 * other); on a VM without it every other node is a bad node of multiCall and is skipped by
 * abcast. call/cast to {Name, Node} of another node go by name to that node.
 *
 * Differences from OTP: `hibernate` only waits (a generator has no heap to compact); the
 * start option `debug` and `hibernate_after` are not supported (use sys:trace etc. after start).
 *
 * Threads: module code; a gen_server process is spawned from an export (gen_server:init_it),
 * so it is portable like any such process. Bad input: a callback module that is not defined, or
 * has no init/1, makes start return {error, {undef, …}}.
 */
import { replyOrDown } from './call_reply.js';
import { InvalidArgumentError, describeValue } from '../errors/index.js';
import {
  caught,
  defineModule,
  ErlangException,
  demonitor,
  exit,
  get,
  isModuleDefined,
  isProcessAlive,
  monitor,
  node,
  receive,
  self,
  send,
  whereis,
  type ProcessGenerator,
  type ProcessStep,
} from '../process/index.js';
import { lookupExport } from '../process/module_registry.js';
import { Atom, atom, format, isPlainObject, Pid, Ref, Tuple, tuple, type Term } from '../term/index.js';
import { Logger } from './logger.js';
import { checkName, registerName, reportName, unregisterName, whereisRef, type GenName } from './gen_names.js';
import { defineInitialCall, ProcLib } from './proc_lib.js';
import { debugEvent, handleSystemMessage, newDebug, type SysDebug, type SystemAdapter } from './sys.js';
import { receivePortable, type PortableResume } from '../process/portable_wait.js';

/** Where a call came from: {Pid, Tag}; pass it to `reply`. */
export type From = Tuple<readonly [Pid, Ref]>;

/** A server: its pid, its registered name, or {Name, Node}. */
export type ServerRef = Pid | Atom | Tuple;

/** A timeout in ms, or 'infinity'. */
export type CallTimeout = number | 'infinity';

export interface StartOptions {
  /** Register the server under this name: Name or {local, Name}, {via, Module, Name} ({global, Name} is {via, global, Name}). */
  readonly name?: Atom | Tuple;
  /** How long start waits for init/1 (ms or 'infinity'; default infinity, as OTP). */
  readonly timeout?: CallTimeout;
}

const A = {
  ok: atom('ok'),
  error: atom('error'),
  ignore: atom('ignore'),
  stop: atom('stop'),
  reply: atom('reply'),
  noreply: atom('noreply'),
  continue: atom('continue'),
  hibernate: atom('hibernate'),
  timeout: atom('timeout'),
  infinity: atom('infinity'),
  normal: atom('normal'),
  shutdown: atom('shutdown'),
  noproc: atom('noproc'),
  DOWN: atom('DOWN'),
  EXIT: atom('EXIT'),
  gen_call: atom('$gen_call'),
  gen_cast: atom('$gen_cast'),
  gen_stop: atom('$gen_stop'),
  ack: atom('$gen_ack'),
  gen_server: atom('gen_server'),
  call: atom('call'),
  stopFn: atom('stop'),
  already_started: atom('already_started'),
  bad_return_value: atom('bad_return_value'),
  undef: atom('undef'),
  init: atom('init'),
  handle_call: atom('handle_call'),
  handle_cast: atom('handle_cast'),
  handle_info: atom('handle_info'),
  handle_continue: atom('handle_continue'),
  terminate: atom('terminate'),
  init_it: atom('init_it'),
  system: atom('system'),
  code_change: atom('code_change'),
  format_status: atom('format_status'),
  terminateOpt: atom('terminate'),
  normalOpt: atom('normal'),
  in: atom('in'),
  out: atom('out'),
  noreplyEv: atom('noreply'),
  abcast: atom('abcast'),
  header: atom('header'),
  data: atom('data'),
  label: atom('label'),
  module: atom('module'),
  loop_resume: atom('loop_resume'),
  global: atom('global'),
};

function isIterator(value: unknown): value is Iterator<unknown, Term, unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { next?: unknown }).next === 'function';
}

/** Runs a callback: a plain function's result, or a generator's return value (run with yield*). */
function* runCallback(module: Atom, name: Atom, args: readonly Term[]): ProcessGenerator<Term> {
  const fn = lookupExport(module, name);
  if (fn === undefined) exit(tuple(A.undef, [tuple(module, name, args as Term[], [])]));
  let result: unknown;
  try {
    result = (fn as (...a: readonly Term[]) => unknown)(...args);
  } catch (thrown) {
    return thrownResult(thrown);
  }
  return isIterator(result) ? yield* runIterator(result) : (result as Term);
}

/** As OTP's gen_server (which calls callbacks in a catch): a throw is a return value. */
function thrownResult(thrown: unknown): Term {
  if (thrown instanceof ErlangException && thrown.class === 'throw') return thrown.reason;
  throw thrown;
}

/** Runs the generator a callback returned (it must itself wait): its return value. */
function* runIterator(iterator: Iterator<unknown, Term, unknown>): ProcessGenerator<Term> {
  try {
    return (yield* iterator as unknown as ProcessGenerator<Term>) as Term;
  } catch (thrown) {
    return thrownResult(thrown);
  }
}

function timeoutOf(value: CallTimeout | undefined, where: string): number | 'infinity' {
  if (value === undefined || value === 'infinity') return 'infinity';
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${where}: timeout must be a non-negative integer of ms or 'infinity'; received ${describeValue(value)}`);
  }
  return value;
}

/** {Name, Node} naming another node than this one (reached by name through distribution). */
function isRemoteName(server: ServerRef): boolean {
  return server instanceof Tuple && server.size === 2 && server.at(0) instanceof Atom && server.at(1) instanceof Atom && server.at(0) !== atom('global') && server.at(1) !== node();
}

function toServerPid(server: ServerRef): Pid | undefined {
  return whereisRef(server, 'gen_server');
}

type Linkage = 'none' | 'link' | 'monitor';

/** A start name, checked: {local, Name} or {via, Module, Name} (as a term), or undefined. */
type ServerName = GenName;

function* startWith(linkage: Linkage, module: Atom | string, args: Term, options: StartOptions): ProcessGenerator<{ result: Term; ref: Ref | undefined }> {
  const mod = typeof module === 'string' ? atom(module) : module;
  if (!(mod instanceof Atom)) throw new InvalidArgumentError(`gen_server:start: module must be a name; received ${describeValue(module)}`);
  const name = checkName(options.name, 'gen_server:start');
  const timeout = timeoutOf(options.timeout, 'gen_server:start');
  // As gen.erl: a linked server's parent is the starter; an unlinked (or monitored) one is its
  // own parent (undefined here), so the starter's exit does not concern it.
  const initArgs: Term[] = [self(), linkage === 'link' ? self() : undefined, mod, args, name];
  if (linkage === 'link') return { result: yield* ProcLib.startLink(A.gen_server, A.init_it, initArgs, timeout), ref: undefined };
  if (linkage === 'monitor') {
    const got = yield* ProcLib.startMonitor(A.gen_server, A.init_it, initArgs, timeout);
    return { result: got.at(0), ref: got.at(1) as Ref };
  }
  return { result: yield* ProcLib.start(A.gen_server, A.init_it, initArgs, timeout), ref: undefined };
}

function* multiCallWith(nodes: readonly Atom[], name: Atom, request: Term, timeout: number | 'infinity'): ProcessGenerator<Tuple> {
  const local = node();
  const replies: Term[] = [];
  const bad: Atom[] = [];
  for (const n of nodes) {
    if (!(n instanceof Atom)) throw new InvalidArgumentError(`gen_server:multi_call: nodes must be Atoms; received ${describeValue(n)}`);
    // The local server by its pid; another node's by {Name, Node} (a node that cannot be
    // reached, or a VM without distribution, makes it a bad node).
    const target = n === local ? whereis(name) : tuple(name, n);
    if (target === undefined) {
      bad.push(n);
      continue;
    }
    let tag: Ref;
    try {
      tag = monitor('process', target);
    } catch {
      bad.push(n);
      continue;
    }
    send(target, tuple(A.gen_call, tuple(self(), tag), request));
    const got = yield* receive(replyOrDown(tag), timeout);
    demonitor(tag, { flush: true });
    if (got !== undefined && 'reply' in got) replies.push(tuple(n, got.reply));
    else bad.push(n);
  }
  return tuple(replies, bad);
}

/** {gen_server, call, [Server, Request, Timeout]}: the second element of a call's exit reason. */
function callInfo(server: ServerRef, request: Term, ms: number | 'infinity'): Term {
  return tuple(A.gen_server, A.call, [server as Term, request, ms === 'infinity' ? A.infinity : ms]);
}

const FLUSH = Object.freeze({ flush: true });

/**
 * What a call waits for: the reply {Tag, Reply} or the server's {'DOWN', Tag, process, _, Reason}
 * (Tag is the call's monitor ref). The match result is the message itself (told apart by size):
 * nothing is allocated per match.
 */
class CallAnswer {
  readonly requiredRefs: readonly Ref[];

  constructor(readonly tag: Ref) {
    this.requiredRefs = [tag];
  }

  match(m: Term): Tuple | undefined {
    if (!(m instanceof Tuple)) return undefined;
    if (m.size === 2) return m.at(0) instanceof Ref && (m.at(0) as Ref).equals(this.tag) ? m : undefined;
    return m.size === 5 && m.at(0) === A.DOWN && m.at(1) instanceof Ref && (m.at(1) as Ref).equals(this.tag) ? m : undefined;
  }
}

/** What a process body yields to its scheduler (receive.ts's effects). */
type Effect = ProcessGenerator<unknown> extends Generator<infer E, unknown, unknown> ? E : never;

/**
 * The wait of a call: runs the receive of its answer (`yield*` hands our steps to the scheduler
 * as they are), then demonitors (flush) and returns the reply, or exits as the header says.
 * An exception thrown into the wait (the process is resumed with one) ends the receive and
 * propagates, as it would through a generator.
 */
class Calling implements Iterator<Effect, Term, unknown> {
  constructor(
    readonly wait: Iterator<Effect, Tuple | undefined, unknown>,
    readonly tag: Ref,
    readonly server: ServerRef,
    readonly request: Term,
    readonly ms: number | 'infinity',
  ) {}

  [Symbol.iterator](): this {
    return this;
  }

  next(value?: unknown): IteratorResult<Effect, Term> {
    const step = this.wait.next(value);
    return step.done === true ? { value: this.#answer(step.value), done: true } : step;
  }

  throw(error: unknown): IteratorResult<Effect, Term> {
    const step = this.wait.throw!(error);
    return step.done === true ? { value: this.#answer(step.value), done: true } : step;
  }

  return(value?: Term): IteratorResult<Effect, Term> {
    this.wait.return?.();
    return { value: value as Term, done: true };
  }

  #answer(got: Tuple | undefined): Term {
    if (got === undefined) {
      demonitor(this.tag, FLUSH);
      exit(tuple(A.timeout, callInfo(this.server, this.request, this.ms)));
    }
    if (got.size === 2) {
      demonitor(this.tag, FLUSH);
      return got.at(1);
    }
    exit(tuple(got.at(4), callInfo(this.server, this.request, this.ms)));
  }
}

/** The gen_server API, used with yield* inside processes. */
export const GenServer = {
  /** gen_server:start(Module, Args, Options): {ok, Pid} | ignore | {error, Reason}. */
  *start(module: Atom | string, args: Term = [], options: StartOptions = {}): ProcessGenerator<Term> {
    return (yield* startWith('none', module, args, options)).result;
  },

  /** gen_server:start_link(Module, Args, Options): as start, linked to the caller. */
  *startLink(module: Atom | string, args: Term = [], options: StartOptions = {}): ProcessGenerator<Term> {
    return (yield* startWith('link', module, args, options)).result;
  },

  /** gen_server:start_monitor(Module, Args, Options): {ok, {Pid, MonitorRef}} | ignore | {error, R}. */
  *startMonitor(module: Atom | string, args: Term = [], options: StartOptions = {}): ProcessGenerator<Term> {
    const { result, ref } = yield* startWith('monitor', module, args, options);
    if (result instanceof Tuple && result.at(0) === A.ok) return tuple(A.ok, tuple(result.at(1), ref!));
    return result;
  },

  /**
   * gen_server:call(Server, Request[, Timeout]) (see the header for its exits), used as
   * `yield* GenServer.call(...)`. The request is sent when call() is evaluated; the returned
   * step waits for the answer (a hand-written iterator, not a generator: one generator level
   * less to resume per call).
   */
  call(server: ServerRef, request: Term, timeout: CallTimeout = 5000): ProcessStep<Term> {
    const ms = timeoutOf(timeout, 'gen_server:call');
    // {Name, Node} of another node: monitored and sent to by name, on that node (as gen.erl).
    const target = isRemoteName(server) ? (server as Tuple) : toServerPid(server);
    if (target === undefined) exit(tuple(A.noproc, callInfo(server, request, ms)));
    const tag = monitor('process', target);
    send(target, tuple(A.gen_call, tuple(self(), tag), request));
    return new Calling(receive(new CallAnswer(tag), ms)[Symbol.iterator](), tag, server, request, ms);
  },

  /** gen_server:cast(Server, Request): ok, always. */
  cast(server: ServerRef, request: Term): Atom {
    const target = isRemoteName(server) ? (server as Tuple) : toServerPid(server);
    if (target !== undefined) send(target, tuple(A.gen_cast, request));
    return A.ok;
  },

  /** gen_server:reply(From, Reply): answers a call whose handle_call returned noreply. */
  reply(from: From, reply: Term): Atom {
    if (!(from instanceof Tuple) || from.size !== 2 || !(from.at(0) instanceof Pid)) {
      throw new InvalidArgumentError(`gen_server:reply: from must be the {Pid, Tag} given to handle_call; received ${describeValue(from)}`);
    }
    send(from.at(0), tuple(from.at(1), reply));
    return A.ok;
  },

  /**
   * gen_server:multi_call(Nodes, Name, Request[, Timeout]): {[{Node, Reply}], BadNodes}. Only the
   * local node is reachable until distribution exists: every other node is a bad node.
   */
  *multiCall(nodes: readonly Atom[] | Atom, name: Atom, request: Term, timeout: CallTimeout = 'infinity'): ProcessGenerator<Tuple> {
    if (!(name instanceof Atom)) throw new InvalidArgumentError(`gen_server:multi_call: name must be an Atom (a locally registered name); received ${describeValue(name)}`);
    const list = nodes instanceof Atom ? [nodes] : nodes;
    if (!Array.isArray(list)) throw new InvalidArgumentError(`gen_server:multi_call: nodes must be a list of node names; received ${describeValue(nodes)}`);
    return yield* multiCallWith(list, name, request, timeoutOf(timeout, 'gen_server:multi_call'));
  },

  /**
   * gen_server:abcast(Nodes, Name, Request): casts to Name on each node (other nodes through
   * distribution; on a VM without it they are unreachable and skipped); returns abcast.
   */
  abcast(nodes: readonly Atom[] | Atom, name: Atom, request: Term): Atom {
    if (!(name instanceof Atom)) throw new InvalidArgumentError(`gen_server:abcast: name must be an Atom (a locally registered name); received ${describeValue(name)}`);
    const list = nodes instanceof Atom ? [nodes] : nodes;
    if (!Array.isArray(list)) throw new InvalidArgumentError(`gen_server:abcast: nodes must be a list of node names; received ${describeValue(nodes)}`);
    const local = node();
    for (const n of list) {
      if (n === local) {
        const pid = whereis(name);
        if (pid !== undefined) send(pid, tuple(A.gen_cast, request));
        continue;
      }
      try {
        send(tuple(name, n), tuple(A.gen_cast, request));
      } catch {
        // A VM without distribution: the other node cannot be reached (abcast never fails).
      }
    }
    return A.abcast;
  },

  /** gen_server:stop(Server[, Reason[, Timeout]]): waits until the server terminated with Reason. */
  *stop(server: ServerRef, reason: Term = A.normal, timeout: CallTimeout = 'infinity'): ProcessGenerator<Atom> {
    const ms = timeoutOf(timeout, 'gen_server:stop');
    const pid = toServerPid(server);
    if (pid === undefined) exit(A.noproc);
    const ref = monitor('process', pid);
    send(pid, tuple(A.gen_stop, reason));
    const down = yield* receive(
      { match: (m: Term) => (m instanceof Tuple && m.size === 5 && m.at(0) === A.DOWN && m.at(1) instanceof Ref && (m.at(1) as Ref).equals(ref) ? { reason: m.at(4) } : undefined), requiredRefs: [ref] },
      ms,
    );
    if (down === undefined) {
      demonitor(ref, { flush: true });
      exit(A.timeout);
    }
    if (down.reason === A.noproc) exit(A.noproc);
    return A.ok;
  },
};

// ---------------------------------------------------------------------------------------------
// The server process

interface Loop {
  readonly parent: Pid;
  readonly module: Atom;
  readonly name: ServerName;
  /** What *DBG* lines and reports call the server (gen:name/1). */
  readonly reportName: Term;
  state: Term;
  timeout: number | 'infinity';
  continuation: Term | undefined;
  /** The message being handled (the error report's "Last message in was": a call's Request, else the message). */
  lastMessage: Term;
  /** The From of that message when it was a call (the report's client_info). */
  lastFrom: From | undefined;
  readonly debug: SysDebug;
}

/** Applies a callback's {noreply, S[, Timeout | hibernate | {continue, C}]}-style tail. */
function applyTail(loop: Loop, tail: Term | undefined): boolean {
  loop.timeout = 'infinity';
  loop.continuation = undefined;
  if (tail === undefined || tail === A.hibernate || tail === A.infinity) return true;
  if (typeof tail === 'number' && Number.isSafeInteger(tail) && tail >= 0) {
    loop.timeout = tail;
    return true;
  }
  if (tail instanceof Tuple && tail.size === 2 && tail.at(0) === A.continue) {
    loop.continuation = tail.at(1);
    return true;
  }
  return false;
}

function isNormalReason(reason: Term): boolean {
  return reason === A.normal || reason === A.shutdown || (reason instanceof Tuple && reason.size === 2 && reason.at(0) === A.shutdown);
}

/**
 * format_status: OTP 25's format_status/1 (map in, map out), else the old format_status/2
 * (its result is the Misc data), else the state as it is. Returns the state to print and, for
 * get_status, the data list. A format_status that crashes is ignored (OTP prints the raw state).
 */
function* formatStatus(loop: Loop, opt: Atom, fields: { state: Term; message?: Term; reason?: Term; log: Term[] }): ProcessGenerator<{ state: Term; message: Term; reason: Term; data: Term[] }> {
  const plain = { state: fields.state, message: fields.message, reason: fields.reason, data: [tuple(A.data, [tuple('State', fields.state)])] as Term[] };
  const fn = lookupExport(loop.module, A.format_status);
  if (fn === undefined) return plain;
  try {
    if (fn.length === 1) {
      const input: Record<string, Term> = { state: fields.state, log: fields.log };
      if (fields.message !== undefined) input.message = fields.message;
      if (fields.reason !== undefined) input.reason = fields.reason;
      const out = yield* runCallback(loop.module, A.format_status, [input]);
      if (!isPlainObject(out)) return plain;
      const m = out as Record<string, Term>;
      const state = 'state' in m ? m.state : fields.state;
      return { state, message: 'message' in m ? m.message : fields.message, reason: 'reason' in m ? m.reason : fields.reason, data: [tuple(A.data, [tuple('State', state)])] };
    }
    const out = yield* runCallback(loop.module, A.format_status, [opt, [get(), fields.state]]);
    if (opt === A.terminateOpt) return { ...plain, state: out };
    return { ...plain, state: out, data: Array.isArray(out) ? (out as Term[]) : [out] };
  } catch {
    return plain;
  }
}

/** OTP's gen_server error report at termination (see the header). */
function* errorReport(loop: Loop, reason: Term): ProcessGenerator<void> {
  const last = loop.lastMessage;
  const f = yield* formatStatus(loop, A.terminateOpt, { state: loop.state, message: last, reason, log: loop.debug.log?.events ?? [] });
  let client: Term = undefined;
  const pid = loop.lastFrom?.at(0);
  if (pid instanceof Pid && pid.node === node()) client = isProcessAlive(pid) ? tuple(pid, tuple(pid, [])) : tuple(pid, atom('dead'));
  Logger.log(
    'error',
    { report: { label: tuple(A.gen_server, A.terminate), name: loop.reportName, last_message: f.message, state: f.state, log: loop.debug.log?.events ?? [], reason: f.reason, client_info: client } },
    { mfa: tuple(A.gen_server, atom('error_info'), 8), error_logger: { tag: A.error } },
  );
}

/** terminate/2 (if exported), the error report for an abnormal reason, then exit with Reason. */
function* terminate(loop: Loop, reason: Term): ProcessGenerator<never> {
  if (lookupExport(loop.module, A.terminate) !== undefined) {
    try {
      yield* runCallback(loop.module, A.terminate, [reason, loop.state]);
    } catch (thrown) {
      // As OTP: a crash in terminate/2 replaces the reason.
      const r = crashReason(thrown);
      yield* errorReport(loop, r);
      exit(r);
    }
  }
  if (!isNormalReason(reason)) yield* errorReport(loop, reason);
  exit(reason);
}

/** The exit reason of an exception thrown by a callback, as OTP's gen_server gives it. */
function crashReason(thrown: unknown): Term {
  const c = caught(thrown);
  if (c.class === 'exit') return c.reason;
  return tuple(c.reason, c.erlangStack ?? []);
}

function isTuple(term: Term, tag: Atom, sizes: readonly number[]): term is Tuple {
  return term instanceof Tuple && term.at(0) === tag && sizes.includes(term.size);
}

/** Keep serving (as opposed to a stop reason). */
const CONTINUE: unique symbol = Symbol('continue');
type Next = Term | typeof CONTINUE;

/** gen_server's print_event: the *DBG* lines of sys:trace. */
function printEvent(name: Term, event: Term): string {
  const n = format(name);
  if (event instanceof Tuple && event.at(0) === A.in && event.size === 2) {
    const msg = event.at(1);
    if (msg instanceof Tuple && msg.size === 3 && msg.at(0) === A.gen_call) return `*DBG* ${n} got call ${format(msg.at(2))} from ${format((msg.at(1) as Tuple).at(0))}\n`;
    if (msg instanceof Tuple && msg.size === 2 && msg.at(0) === A.gen_cast) return `*DBG* ${n} got cast ${format(msg.at(1))}\n`;
    return `*DBG* ${n} got ${format(msg)}\n`;
  }
  if (event instanceof Tuple && event.at(0) === A.out && event.size === 4) return `*DBG* ${n} sent ${format(event.at(1))} to ${format((event.at(2) as Tuple).at(0))}, new state ${format(event.at(3))}\n`;
  if (event instanceof Tuple && event.at(0) === A.noreplyEv && event.size === 2) return `*DBG* ${n} new state ${format(event.at(1))}\n`;
  if (event instanceof Tuple && event.at(0) === A.continue && event.size === 2) return `*DBG* ${n} continue ${format(event.at(1))}\n`;
  return `*DBG* ${n} dbg  ${format(event)}\n`;
}

/** A {noreply, S[, Tail]} or {stop, R, S} result: CONTINUE, or the reason to stop with. */
function afterNoReply(loop: Loop, result: Term): Next {
  if (isTuple(result, A.noreply, [2, 3])) {
    loop.state = result.at(1);
    if (loop.debug.active) debugEvent(loop.debug, loop.reportName, tuple(A.noreplyEv, loop.state), printEvent);
    return applyTail(loop, result.size === 3 ? result.at(2) : undefined) ? CONTINUE : tuple(A.bad_return_value, result);
  }
  if (isTuple(result, A.stop, [3])) {
    loop.state = result.at(2);
    return result.at(1);
  }
  return tuple(A.bad_return_value, result);
}

/**
 * The server's receive takes any message; its matcher leaves the message in `taken` (read and
 * cleared right after the receive returns) and answers `true`, so a message that is the atom
 * `undefined` is told from a timeout without a result object per message.
 */
let taken: Term;
const TAKE_ANY = {
  match(m: Term): true {
    taken = m;
    return true;
  },
};
const REPLY_SIZES: readonly number[] = [3, 4];

/** The sys adapter of a server loop (see sys.ts). */
function systemAdapter(loop: Loop): SystemAdapter {
  return {
    parent: loop.parent,
    behaviour: A.gen_server,
    getState: () => loop.state,
    setState: (state: Term) => {
      loop.state = state;
    },
    status: function* (sysState: Atom, debug: SysDebug) {
      const f = yield* formatStatus(loop, A.normalOpt, { state: loop.state, log: debug.log?.events ?? [] });
      const header = `Status for generic server ${format(loop.reportName)}`;
      return [
        tuple(A.header, header),
        tuple(A.data, [tuple('Status', sysState), tuple('Parent', loop.parent), tuple('Logged events', debug.log?.events ?? [])]),
        ...f.data,
      ];
    },
    codeChange: function* (_module: Term, oldVsn: Term, extra: Term) {
      if (lookupExport(loop.module, A.code_change) === undefined) return A.ok; // OTP: an absent code_change keeps the state
      try {
        const result = yield* runCallback(loop.module, A.code_change, [oldVsn, loop.state, extra]);
        if (isTuple(result, A.ok, [2])) {
          loop.state = result.at(1);
          return A.ok;
        }
        return tuple(A.error, result);
      } catch (thrown) {
        const c = caught(thrown);
        return tuple(A.error, tuple(atom('EXIT'), c.reason));
      }
    },
  };
}

/** Handles one message (or a pending continue); CONTINUE, or the reason to stop with. */
function* handleOne(loop: Loop): ProcessGenerator<Next> {
  if (loop.continuation !== undefined) {
    const c = loop.continuation;
    loop.continuation = undefined;
    if (loop.debug.active) debugEvent(loop.debug, loop.reportName, tuple(A.continue, c), printEvent);
    return afterNoReply(loop, yield* runCallback(loop.module, A.handle_continue, [c, loop.state]));
  }
  // Between callbacks the server is portable: work stealing may restart it on another thread as
  // gen_server:loop_resume({Parent, Module, Name, State, Timeout}) (src/process/portable_wait.ts).
  // Not while sys debugging is on: the debug options are not carried.
  const got = loop.debug.active ? yield* receive(TAKE_ANY, loop.timeout) : yield* receivePortable(() => loopResume(loop), TAKE_ANY, loop.timeout);
  const msg: Term = got === undefined ? A.timeout : taken;
  taken = undefined;
  if (msg instanceof Tuple && msg.size === 3 && msg.at(0) === A.system) {
    const r = yield* handleSystemMessage(msg.at(2), msg.at(1), systemAdapter(loop), loop.debug);
    return r === undefined ? CONTINUE : r.stop;
  }
  loop.lastMessage = msg;
  loop.lastFrom = undefined;
  if (loop.debug.active) debugEvent(loop.debug, loop.reportName, tuple(A.in, msg), printEvent);
  if (msg instanceof Tuple && msg.size === 3 && msg.at(0) === A.gen_call) {
    const from = msg.at(1) as From;
    loop.lastMessage = msg.at(2);
    loop.lastFrom = from;
    // handle_call called here rather than through runCallback: no generator, no argument array.
    const fn = lookupExport(loop.module, A.handle_call) as ((request: Term, from: From, state: Term) => unknown) | undefined;
    let direct: unknown;
    if (fn !== undefined) {
      try {
        direct = fn(msg.at(2), from, loop.state);
      } catch (thrown) {
        direct = thrownResult(thrown);
      }
    }
    const result =
      fn === undefined ? yield* runCallback(loop.module, A.handle_call, [msg.at(2), from, loop.state]) : isIterator(direct) ? yield* runIterator(direct) : (direct as Term);
    if (isTuple(result, A.reply, REPLY_SIZES)) {
      GenServer.reply(from, result.at(1));
      loop.state = result.at(2);
      if (loop.debug.active) debugEvent(loop.debug, loop.reportName, tuple(A.out, result.at(1), from, loop.state), printEvent);
      return applyTail(loop, result.size === 4 ? result.at(3) : undefined) ? CONTINUE : tuple(A.bad_return_value, result);
    }
    if (isTuple(result, A.stop, [4])) {
      loop.state = result.at(3);
      GenServer.reply(from, result.at(2));
      return result.at(1);
    }
    return afterNoReply(loop, result);
  }
  if (msg instanceof Tuple && msg.size === 2 && msg.at(0) === A.gen_cast) {
    return afterNoReply(loop, yield* runCallback(loop.module, A.handle_cast, [msg.at(1), loop.state]));
  }
  if (msg instanceof Tuple && msg.size === 2 && msg.at(0) === A.gen_stop) return msg.at(1);
  if (msg instanceof Tuple && msg.size === 3 && msg.at(0) === A.EXIT && msg.at(1) instanceof Pid && (msg.at(1) as Pid).equals(loop.parent)) return msg.at(2);
  if (lookupExport(loop.module, A.handle_info) !== undefined) return afterNoReply(loop, yield* runCallback(loop.module, A.handle_info, [msg, loop.state]));
  return CONTINUE;
}

/**
 * The server loop. An exception in a callback, of any class (exit/1 included, as OTP's
 * try ... catch does), stops the server with its reason; terminate/2 runs outside the handler,
 * so its own exit is the process's end.
 */
function* serve(loop: Loop): ProcessGenerator<never> {
  for (;;) {
    let next: Next;
    try {
      next = yield* handleOne(loop);
    } catch (thrown) {
      next = crashReason(thrown);
    }
    if (next !== CONTINUE) yield* terminate(loop, next);
  }
}

/** Where a server taken between callbacks resumes (see handleOne). */
function loopResume(loop: Loop): PortableResume {
  const timeout = loop.timeout === 'infinity' ? A.infinity : loop.timeout;
  return { module: A.gen_server, fun: A.loop_resume, args: [tuple(loop.parent, loop.module, loop.name, loop.state, timeout)] };
}

// '$initial_call' of a server: {Module, init, 1} (init_it's third argument), as OTP records it.
defineInitialCall(atom('gen_server'), atom('init_it'), (args) => tuple(args[2], atom('init'), 1));

defineModule('gen_server', {
  /** The server loop, resumed on another scheduler thread (work stealing: see handleOne). */
  *loop_resume(loopState: Tuple) {
    const [parent, module, name, state, timeout] = loopState.elements as [Pid, Atom, ServerName, Term, number | Atom];
    const loop: Loop = {
      parent,
      module,
      name,
      reportName: reportName(name, self()),
      state,
      timeout: timeout === A.infinity ? 'infinity' : (timeout as number),
      continuation: undefined,
      lastMessage: undefined,
      lastFrom: undefined,
      debug: newDebug(),
    };
    yield* serve(loop);
  },
  /**
   * The server process (run by proc_lib:init_p): registers, runs init/1, acknowledges to the
   * starter (proc_lib:init_ack), then serves (see the header). As OTP's init_it, a failed init
   * unregisters the name before the starter hears of the failure, so a retry can take it.
   */
  *init_it(starter: Pid, parentOrSelf: Pid | undefined, module: Atom, args: Term, name: ServerName) {
    const me = self();
    const parent = parentOrSelf ?? me;
    const ack = (result: Term): void => {
      ProcLib.initAck(starter, result);
    };
    const taken = registerName(name, me);
    if (taken !== undefined) {
      ack(taken);
      return;
    }
    if (!isModuleDefined(module) || lookupExport(module, A.init) === undefined) {
      const reason = tuple(A.undef, [tuple(module, A.init, [args], [])]);
      unregisterName(name);
      ack(tuple(A.error, reason));
      exit(reason);
    }
    let result: Term;
    try {
      result = yield* runCallback(module, A.init, [args]);
    } catch (thrown) {
      const reason = crashReason(thrown);
      unregisterName(name);
      ack(tuple(A.error, reason));
      exit(reason);
    }
    const loop: Loop = { parent, module, name, reportName: reportName(name, me), state: undefined, timeout: 'infinity', continuation: undefined, lastMessage: undefined, lastFrom: undefined, debug: newDebug() };
    if (isTuple(result, A.ok, [2, 3]) && (result.size === 2 || applyTail(loop, result.at(2)))) {
      loop.state = result.at(1);
      if (result.size === 2) applyTail(loop, undefined);
      ack(tuple(A.ok, me));
      yield* serve(loop);
    }
    unregisterName(name);
    if (result === A.ignore) {
      ack(A.ignore);
      return;
    }
    if (isTuple(result, A.stop, [2])) {
      ack(tuple(A.error, result.at(1)));
      exit(result.at(1));
    }
    const reason = tuple(A.bad_return_value, result);
    ack(tuple(A.error, reason));
    exit(reason);
  },
});
