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
 * {ok, S, Timeout | hibernate | {continue, C}}, ignore, {stop, R}; a name ({local, Name} here
 * as `options.name`) is registered first, and a taken name gives {error, {already_started, Pid}}.
 * Then each message goes to handle_call/3, handle_cast/2 or handle_info/2; {continue, C}
 * calls handle_continue/2 before the next message; a Timeout in a return value delivers the
 * info `timeout` if no message arrives first. A server that traps exits and gets
 * {'EXIT', Parent, Reason} from its parent terminates with Reason (terminate/2 is called). An
 * exception in a callback terminates the server: terminate/2 gets the exit reason (for class
 * error: {Reason, Stack}) and the process exits with it; a return value that is none of the
 * above is {bad_return_value, V}.
 *
 * Differences from OTP: `hibernate` only waits (a generator has no heap to compact); `{global,
 * Name}` and `{via, M, Name}` names come with distribution; code_change/format_status and `sys`
 * belong to the rest of the behaviours issue.
 *
 * Threads: module code; a gen_server process is spawned from an export (gen_server:init_it),
 * so it is portable like any such process. Bad input: a callback module that is not defined, or
 * has no init/1, makes start return {error, {undef, …}}.
 */
import { InvalidArgumentError, describeValue } from '../errors/index.js';
import {
  caught,
  defineModule,
  ErlangException,
  demonitor,
  exit,
  isModuleDefined,
  monitor,
  receive,
  register,
  self,
  send,
  spawn,
  spawnLink,
  spawnMonitor,
  unregister,
  whereis,
  type ProcessGenerator,
  type ProcessStep,
} from '../process/index.js';
import { lookupExport } from '../process/module_registry.js';
import { receivePortable, type PortableResume } from '../process/portable_wait.js';
import { Atom, atom, Pid, Ref, Tuple, tuple, type Term } from '../term/index.js';

/** Where a call came from: {Pid, Tag}; pass it to `reply`. */
export type From = Tuple<readonly [Pid, Ref]>;

/** A server: its pid, its registered name, or {Name, Node}. */
export type ServerRef = Pid | Atom | Tuple;

/** A timeout in ms, or 'infinity'. */
export type CallTimeout = number | 'infinity';

export interface StartOptions {
  /** Register the server under this name ({local, Name}). */
  readonly name?: Atom;
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
  loop_resume: atom('loop_resume'),
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

function toServerPid(server: ServerRef): Pid | undefined {
  if (server instanceof Pid) return server;
  if (server instanceof Atom) return whereis(server);
  if (server instanceof Tuple && server.size === 2 && server.at(0) instanceof Atom) return whereis(server.at(0) as Atom);
  throw new InvalidArgumentError(`gen_server: a server is a pid, a registered name or {Name, Node}; received ${describeValue(server)}`);
}

type Linkage = 'none' | 'link' | 'monitor';

function* startWith(linkage: Linkage, module: Atom | string, args: Term, options: StartOptions): ProcessGenerator<{ result: Term; ref: Ref | undefined }> {
  const mod = typeof module === 'string' ? atom(module) : module;
  if (!(mod instanceof Atom)) throw new InvalidArgumentError(`gen_server:start: module must be a name; received ${describeValue(module)}`);
  if (options.name !== undefined && !(options.name instanceof Atom)) {
    throw new InvalidArgumentError(`gen_server:start: options.name must be an Atom; received ${describeValue(options.name)}`);
  }
  const timeout = timeoutOf(options.timeout, 'gen_server:start');
  const me = self();
  const spawnArgs = [me, mod, args, options.name];
  let pid: Pid;
  let ref: Ref | undefined;
  if (linkage === 'link') pid = spawnLink('gen_server', 'init_it', spawnArgs);
  else if (linkage === 'monitor') [pid, ref] = spawnMonitor('gen_server', 'init_it', spawnArgs).elements as unknown as [Pid, Ref];
  else pid = spawn('gen_server', 'init_it', spawnArgs);
  // proc_lib: wait for the ack, or for the child's death (a monitor of our own tells us).
  const watch = monitor('process', pid);
  const got = yield* receive(
    P_ACK_OR_DOWN(pid, watch),
    timeout === 'infinity' ? 'infinity' : timeout,
  );
  demonitor(watch, { flush: true });
  if (got === undefined) {
    exit(pid, atom('kill'));
    return { result: tuple(A.error, A.timeout), ref };
  }
  if ('result' in got) return { result: got.result, ref };
  return { result: tuple(A.error, got.reason), ref };
}

/** The pattern of start's wait: {'$gen_ack', Pid, Result} or the child's 'DOWN'. */
function P_ACK_OR_DOWN(pid: Pid, watch: Ref): { match(m: Term): { result: Term } | { reason: Term } | undefined; requiredRefs?: readonly Ref[] } {
  return {
    match: (m: Term) => {
      if (!(m instanceof Tuple)) return undefined;
      if (m.size === 3 && m.at(0) === A.ack && m.at(1) instanceof Pid && (m.at(1) as Pid).equals(pid)) return { result: m.at(2) };
      if (m.size === 5 && m.at(0) === A.DOWN && m.at(1) instanceof Ref && (m.at(1) as Ref).equals(watch)) return { reason: m.at(4) };
      return undefined;
    },
  };
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
    const pid = toServerPid(server);
    if (pid === undefined) exit(tuple(A.noproc, callInfo(server, request, ms)));
    const tag = monitor('process', pid);
    send(pid, tuple(A.gen_call, tuple(self(), tag), request));
    return new Calling(receive(new CallAnswer(tag), ms)[Symbol.iterator](), tag, server, request, ms);
  },

  /** gen_server:cast(Server, Request): ok, always. */
  cast(server: ServerRef, request: Term): Atom {
    const pid = toServerPid(server);
    if (pid !== undefined) send(pid, tuple(A.gen_cast, request));
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
  readonly name: Atom | undefined;
  state: Term;
  timeout: number | 'infinity';
  continuation: Term | undefined;
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

/** terminate/2 (if exported), then exit with Reason. */
function* terminate(loop: Loop, reason: Term): ProcessGenerator<never> {
  if (lookupExport(loop.module, A.terminate) !== undefined) yield* runCallback(loop.module, A.terminate, [reason, loop.state]);
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

/** A {noreply, S[, Tail]} or {stop, R, S} result: CONTINUE, or the reason to stop with. */
function afterNoReply(loop: Loop, result: Term): Next {
  if (isTuple(result, A.noreply, [2, 3])) {
    loop.state = result.at(1);
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

/** Handles one message (or a pending continue); CONTINUE, or the reason to stop with. */
function* handleOne(loop: Loop): ProcessGenerator<Next> {
  if (loop.continuation !== undefined) {
    const c = loop.continuation;
    loop.continuation = undefined;
    return afterNoReply(loop, yield* runCallback(loop.module, A.handle_continue, [c, loop.state]));
  }
  // Between callbacks the server is portable: work stealing may restart it on another thread as
  // gen_server:loop_resume({Parent, Module, Name, State, Timeout}) (src/process/portable_wait.ts).
  const got = yield* receivePortable(() => loopResume(loop), TAKE_ANY, loop.timeout);
  const msg: Term = got === undefined ? A.timeout : taken;
  taken = undefined;
  if (msg instanceof Tuple && msg.size === 3 && msg.at(0) === A.gen_call) {
    const from = msg.at(1) as From;
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

defineModule('gen_server', {
  /** The server loop, resumed on another scheduler thread (work stealing: see handleOne). */
  *loop_resume(loopState: Tuple) {
    const [parent, module, name, state, timeout] = loopState.elements as [Pid, Atom, Atom | undefined, Term, number | Atom];
    yield* serve({ parent, module, name, state, timeout: timeout === A.infinity ? 'infinity' : (timeout as number), continuation: undefined });
  },
  /** The server process: registers, runs init/1, acknowledges, then serves (see the header). */
  *init_it(parent: Pid, module: Atom, args: Term, name: Atom | undefined) {
    const me = self();
    const ack = (result: Term): void => {
      send(parent, tuple(A.ack, me, result));
    };
    if (name !== undefined) {
      const holder = whereis(name);
      if (holder !== undefined) {
        ack(tuple(A.error, tuple(A.already_started, holder)));
        return;
      }
      register(name, me);
    }
    if (!isModuleDefined(module) || lookupExport(module, A.init) === undefined) {
      const reason = tuple(A.undef, [tuple(module, A.init, [args], [])]);
      ack(tuple(A.error, reason));
      exit(reason);
    }
    let result: Term;
    try {
      result = yield* runCallback(module, A.init, [args]);
    } catch (thrown) {
      const reason = crashReason(thrown);
      ack(tuple(A.error, reason));
      exit(reason);
    }
    const loop: Loop = { parent, module, name, state: undefined, timeout: 'infinity', continuation: undefined };
    if (isTuple(result, A.ok, [2, 3]) && (result.size === 2 || applyTail(loop, result.at(2)))) {
      loop.state = result.at(1);
      if (result.size === 2) applyTail(loop, undefined);
      ack(tuple(A.ok, me));
      yield* serve(loop);
    }
    if (name !== undefined) unregister(name);
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

