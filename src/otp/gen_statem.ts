/**
 * gen_statem: OTP's generic state machine, with OTP's protocol and semantics.
 *
 * A callback module is an ordinary module (defineModule), addressed by name on every scheduler
 * thread. Its callbacks:
 *   init(Args)             -> {ok, State, Data} | {ok, State, Data, Actions} | ignore | {stop, R}
 *   callback_mode()        -> state_functions | handle_event_function, or a list of one of them
 *                             and state_enter ([handle_event_function, state_enter])
 *   StateName(Type, Content, Data)        (state_functions: the export named after the state)
 *   handle_event(Type, Content, State, Data)  (handle_event_function: any term is a state)
 *   terminate(Reason, State, Data)        (optional)
 * A callback returns Erlang's tuples or, when it must itself wait, is a generator returning them
 * (run with yield* inside the server process); a throw is a return value.
 *
 *     defineModule('door', {
 *       init: (code: string) => tuple(atom('ok'), atom('locked'), code),
 *       callback_mode: () => atom('state_functions'),
 *       locked: (type, content, code) => content === code
 *         ? tuple(atom('next_state'), atom('open'), code, [tuple(atom('state_timeout'), 1000, atom('lock'))])
 *         : atom('keep_state_and_data'),
 *       open: (type, content, code) => type === atom('state_timeout')
 *         ? tuple(atom('next_state'), atom('locked'), code) : tuple(atom('keep_state_and_data'), [atom('postpone')]),
 *     });
 *
 * Event types: {call, From}, cast, info, timeout, {timeout, Name}, state_timeout, internal,
 * enter (OldState is the content). Results: {next_state, S, D[, Actions]}, {keep_state, D[, A]},
 * keep_state_and_data, {keep_state_and_data, A}, {repeat_state, D[, A]}, repeat_state_and_data,
 * {repeat_state_and_data, A}, {stop, R}, {stop, R, D}, {stop_and_reply, R, Replies[, D]}.
 * Actions (a list, or one action): postpone, {postpone, Bool}, {next_event, Type, Content},
 * {reply, From, Reply}, hibernate, {hibernate, Bool}, Time (event time-out, content Time),
 * infinity, {timeout | state_timeout | {timeout, Name}, Time, Content[, Opts]},
 * {Type, cancel}, {Type, update, Content}. The queue, transition and time-out rules are OTP's
 * and are spelled out in gen_statem_loop.ts.
 *
 * Protocol: gen_server's ('$gen_call' with {Pid, Tag}, the reply {Tag, Reply}; '$gen_cast'),
 * so a gen_server client and a gen_statem server understand each other. call exits as
 * gen_server:call does, with {gen_statem, call, [Server, Request, Timeout]} as the location:
 * {timeout, …}, {noproc, …}, {Reason, …} when the server dies. stop(Server, Reason, Timeout)
 * waits until the server terminated.
 *
 * Start: as gen_server (proc_lib's init_ack): the name is registered first ({error,
 * {already_started, Pid}} when taken); init/1 runs before start returns;
 * then callback_mode/0 (a bad mode crashes the machine with {bad_return_from_callback_mode, M},
 * as OTP 25 does, after start returned {ok, Pid}), the init actions (postpone is ignored: there
 * is no event) and the enter call of the initial state (OldState = State), before any event. A
 * bad init return is {error, {bad_return_from_init, V}}; a crash in init is {error, Reason}
 * with the exit reason ({Reason, Stack} for class error).
 *
 * Differences from OTP: `hibernate` only waits (a generator has no heap to compact); time-out
 * option {abs, true} is refused as a bad action (beamjs has no erlang:monotonic_time yet);
 * {global, Name}/{via, …} names, `sys`, code_change and format_status are not there; a
 * state_functions state that is not an atom is {bad_return_from_state_function, State}.
 *
 * Threads: module code; the server is spawned from an export (gen_statem:init_it), so it is
 * portable like any such process. Bad arguments to the API throw InvalidArgumentError.
 */
import { InvalidArgumentError, describeValue } from '../errors/index.js';
import {
  defineModule,
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
} from '../process/index.js';
import { lookupExport } from '../process/module_registry.js';
import { Atom, atom, Pid, Ref, Tuple, tuple, type Term } from '../term/index.js';
import type { CallTimeout, From, ServerRef, StartOptions } from './gen_server.js';
import { A, readCallbackMode, runCallback, sendReply, serve, stopOf, terminate, timeoutOf, transition, type Machine } from './gen_statem_loop.js';

const ack_ = atom('$gen_ack');
const DOWN = atom('DOWN');
const already_started = atom('already_started');
const init_ = atom('init');
const kill = atom('kill');

function toServerPid(server: ServerRef): Pid | undefined {
  if (server instanceof Pid) return server;
  if (server instanceof Atom) return whereis(server);
  if (server instanceof Tuple && server.size === 2 && server.at(0) instanceof Atom) return whereis(server.at(0) as Atom);
  throw new InvalidArgumentError(`gen_statem: a server is a pid, a registered name or {Name, Node}; received ${describeValue(server)}`);
}

type Linkage = 'none' | 'link' | 'monitor';

function* startWith(linkage: Linkage, module: Atom | string, args: Term, options: StartOptions): ProcessGenerator<{ result: Term; ref: Ref | undefined }> {
  const mod = typeof module === 'string' ? atom(module) : module;
  if (!(mod instanceof Atom)) throw new InvalidArgumentError(`gen_statem:start: module must be a name; received ${describeValue(module)}`);
  if (options.name !== undefined && !(options.name instanceof Atom)) {
    throw new InvalidArgumentError(`gen_statem:start: options.name must be an Atom; received ${describeValue(options.name)}`);
  }
  const timeout = timeoutOf(options.timeout, 'gen_statem:start');
  const spawnArgs = [self(), mod, args, options.name];
  let pid: Pid;
  let ref: Ref | undefined;
  if (linkage === 'link') pid = spawnLink('gen_statem', 'init_it', spawnArgs);
  else if (linkage === 'monitor') [pid, ref] = spawnMonitor('gen_statem', 'init_it', spawnArgs).elements as unknown as [Pid, Ref];
  else pid = spawn('gen_statem', 'init_it', spawnArgs);
  // proc_lib: wait for the ack, or for the child's death (a monitor of our own tells us).
  const watch = monitor('process', pid);
  const got = yield* receive(
    {
      match: (m: Term): { result: Term } | { reason: Term } | undefined => {
        if (!(m instanceof Tuple)) return undefined;
        if (m.size === 3 && m.at(0) === ack_ && m.at(1) instanceof Pid && (m.at(1) as Pid).equals(pid)) return { result: m.at(2) };
        if (m.size === 5 && m.at(0) === DOWN && m.at(1) instanceof Ref && (m.at(1) as Ref).equals(watch)) return { reason: m.at(4) };
        return undefined;
      },
      requiredRefs: [watch],
    },
    timeout,
  );
  demonitor(watch, { flush: true });
  if (got === undefined) {
    exit(pid, kill);
    return { result: tuple(A.error, A.timeout), ref };
  }
  if ('result' in got) return { result: got.result, ref };
  return { result: tuple(A.error, got.reason), ref };
}

/** The gen_statem API, used with yield* inside processes. */
export const GenStatem = {
  /** gen_statem:start(Module, Args, Options): {ok, Pid} | ignore | {error, Reason}. */
  *start(module: Atom | string, args: Term = [], options: StartOptions = {}): ProcessGenerator<Term> {
    return (yield* startWith('none', module, args, options)).result;
  },

  /** gen_statem:start_link(Module, Args, Options): as start, linked to the caller. */
  *startLink(module: Atom | string, args: Term = [], options: StartOptions = {}): ProcessGenerator<Term> {
    return (yield* startWith('link', module, args, options)).result;
  },

  /** gen_statem:start_monitor(Module, Args, Options): {ok, {Pid, MonitorRef}} | ignore | {error, R}. */
  *startMonitor(module: Atom | string, args: Term = [], options: StartOptions = {}): ProcessGenerator<Term> {
    const { result, ref } = yield* startWith('monitor', module, args, options);
    if (result instanceof Tuple && result.at(0) === A.ok) return tuple(A.ok, tuple(result.at(1), ref!));
    return result;
  },

  /** gen_statem:call(Server, Request[, Timeout]): the reply, or an exit (see the header). */
  *call(server: ServerRef, request: Term, timeout: CallTimeout = 'infinity'): ProcessGenerator<Term> {
    const ms = timeoutOf(timeout, 'gen_statem:call');
    const where = (): Term => tuple(A.gen_statem, A.call, [server as Term, request, ms === 'infinity' ? A.infinity : ms]);
    const pid = toServerPid(server);
    if (pid === undefined) exit(tuple(atom('noproc'), where()));
    const tag = monitor('process', pid);
    send(pid, tuple(A.gen_call, tuple(self(), tag), request));
    const got = yield* receive(
      {
        match: (m: Term): { reply: Term } | { down: Term } | undefined => {
          if (!(m instanceof Tuple)) return undefined;
          if (m.size === 2 && m.at(0) instanceof Ref && (m.at(0) as Ref).equals(tag)) return { reply: m.at(1) };
          if (m.size === 5 && m.at(0) === DOWN && m.at(1) instanceof Ref && (m.at(1) as Ref).equals(tag)) return { down: m.at(4) };
          return undefined;
        },
        requiredRefs: [tag],
      },
      ms,
    );
    if (got === undefined) {
      demonitor(tag, { flush: true });
      exit(tuple(A.timeout, where()));
    }
    if ('reply' in got) {
      demonitor(tag, { flush: true });
      return got.reply;
    }
    exit(tuple(got.down, where()));
  },

  /** gen_statem:cast(Server, Request): ok, always. */
  cast(server: ServerRef, request: Term): Atom {
    const pid = toServerPid(server);
    if (pid !== undefined) send(pid, tuple(A.gen_cast, request));
    return A.ok;
  },

  /** gen_statem:reply(From, Reply), or reply([{reply, From, Reply}, …]). */
  reply(fromOrReplies: From | readonly Term[], reply?: Term): Atom {
    const list: readonly Term[] = Array.isArray(fromOrReplies) ? fromOrReplies : [tuple(A.reply, fromOrReplies as Term, reply as Term)];
    for (const r of list) {
      if (!(r instanceof Tuple) || r.size !== 3 || r.at(0) !== A.reply || !sendReply(r.at(1), r.at(2))) {
        throw new InvalidArgumentError(`gen_statem:reply: a reply is {reply, From, Reply} with the From of a {call, From} event; received ${describeValue(r)}`);
      }
    }
    return A.ok;
  },

  /** gen_statem:stop(Server[, Reason[, Timeout]]): waits until the server terminated with Reason. */
  *stop(server: ServerRef, reason: Term = A.normal, timeout: CallTimeout = 'infinity'): ProcessGenerator<Atom> {
    const ms = timeoutOf(timeout, 'gen_statem:stop');
    const pid = toServerPid(server);
    if (pid === undefined) exit(atom('noproc'));
    const ref = monitor('process', pid);
    send(pid, tuple(A.gen_stop, reason));
    const down = yield* receive(
      { match: (m: Term) => (m instanceof Tuple && m.size === 5 && m.at(0) === DOWN && m.at(1) instanceof Ref && (m.at(1) as Ref).equals(ref) ? { reason: m.at(4) } : undefined), requiredRefs: [ref] },
      ms,
    );
    if (down === undefined) {
      demonitor(ref, { flush: true });
      exit(A.timeout);
    }
    if (down.reason === atom('noproc')) exit(atom('noproc'));
    return A.ok;
  },
};

defineModule('gen_statem', {
  /** The server process: registers, runs init/1 and callback_mode/0, acknowledges, then serves. */
  *init_it(parent: Pid, module: Atom, args: Term, name: Atom | undefined) {
    const me = self();
    const ack = (result: Term): void => {
      send(parent, tuple(ack_, me, result));
    };
    if (name !== undefined) {
      const holder = whereis(name);
      if (holder !== undefined) {
        ack(tuple(A.error, tuple(already_started, holder)));
        return;
      }
      register(name, me);
    }
    // As gen_server.erl's init_it: the name is released before the parent hears of a failed
    // start, so that a supervisor's immediate restart can take it again.
    const fail = (reason: Term): never => {
      if (name !== undefined) unregister(name);
      ack(tuple(A.error, reason));
      exit(reason);
    };
    if (!isModuleDefined(module) || lookupExport(module, init_) === undefined) fail(tuple(A.undef, [tuple(module, init_, [args], [])]));
    const m: Machine = { parent, module, mode: 'handle_event_function', stateEnter: false, state: undefined, data: undefined, postponed: [], queue: [], t0q: [], timeouts: [] };
    let result: Term;
    try {
      result = yield* runCallback(module, init_, [args]);
    } catch (thrown) {
      const stop = stopOf(thrown);
      fail(stop.errorStack === undefined ? stop.reason : tuple(stop.reason, stop.errorStack));
    }
    if (result! === A.ignore) {
      if (name !== undefined) unregister(name);
      ack(A.ignore);
      return;
    }
    if (result! instanceof Tuple && result.at(0) === A.stop && result.size === 2) fail(result.at(1));
    if (!(result! instanceof Tuple && result.at(0) === A.ok && (result.size === 3 || result.size === 4))) {
      fail(tuple(A.bad_return_from_init, result!));
    }
    const ok = result! as Tuple;
    m.state = ok.at(1);
    m.data = ok.at(2);
    ack(tuple(A.ok, me));
    let stop;
    try {
      // As OTP 25: callback_mode/0 is read after the ack (a bad one crashes the started machine).
      yield* readCallbackMode(m);
      stop = yield* transition(m, undefined, ok.size === 4 ? ok.at(3) : [], true);
    } catch (thrown) {
      stop = stopOf(thrown);
    }
    if (stop === undefined) stop = yield* serve(m);
    yield* terminate(m, stop);
  },
});
