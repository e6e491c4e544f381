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
 * Start: as gen_server, through proc_lib (proc_lib.ts): the machine runs proc_lib:init_p, so it
 * has '$ancestors' and '$initial_call' ({Module, init, 1}), gets a crash report when it ends
 * abnormally, and init/1's result reaches the starter by proc_lib:init_ack. The name is
 * registered first ({error, {already_started, Pid}} when taken); init/1 runs before start returns;
 * then callback_mode/0 (a bad mode crashes the machine with {bad_return_from_callback_mode, M},
 * as OTP 25 does, after start returned {ok, Pid}), the init actions (postpone is ignored: there
 * is no event) and the enter call of the initial state (OldState = State), before any event. A
 * bad init return is {error, {bad_return_from_init, V}}; a crash in init is {error, Reason}
 * with the exit reason ({Reason, Stack} for class error).
 *
 * Names (gen_names.ts, shared with gen_server and gen_event): Name or {local, Name}, {via,
 * Module, Name} (start and every API function); {global, Name} is {via, global, Name}
 * (src/dist/global_module.ts). A linked machine's parent is the starter; an
 * unlinked or monitored one is its own parent (gen.erl).
 *
 * sys (sys.ts), between events (from the mailbox, as OTP's loop_receive): get_state is {State,
 * Data}; replace_state's Fun gets {State, Data} and must return {NewState, NewData} (else the
 * client exits with callback_failed and the machine keeps its state); get_status gives OTP 25's
 * [{header, "Status for state machine N"}, {data, [Status, Parent, Modules, Time-outs ({N,
 * [{Type, Content}]}), Logged Events, Postponed]}, {data, [{"State", {State, Data}}]}];
 * suspend/resume; change_code (suspended) calls code_change(OldVsn, State, Data, Extra) ->
 * {ok, NewState, NewData} (another value R is {error, R}, a crash {error, {'EXIT', R}}) and
 * reads callback_mode/0 again; statistics, log and trace record OTP 25's debug events and print
 * its *DBG* lines: {in, {Type, Content}, State} ("receive …"; an inserted event when inserted, a
 * retried postponed one not again), {out, Reply, From} ("send R to Pid"), {consume | postpone,
 * Event, State, NextState}, {start_timer, {Type, Time, Content, Opts}, State}, {enter, Module,
 * State} and {internal, init_state} at start (with the start option `debug: ['trace', 'log']`),
 * {terminate, Reason, State} for a normal end. format_status/1 (OTP 25: #{state, data, reason,
 * queue, postponed, timeouts, log} in and out) or format_status/2 (Opt, [PDict, State, Data])
 * shapes the status and the report.
 *
 * The error report (logger error, label {gen_statem, terminate}, formatted as erl 25 prints it:
 * "** State machine N terminating", Last event, When server state, Reason for termination =
 * Class:Reason, Callback modules, Callback mode, Queued, Postponed, Stacktrace, Time-outs, Log,
 * Client) is logged when the machine ends with a reason other than normal, shutdown or
 * {shutdown, _}, or with an error; an error is then re-raised, so proc_lib's crash report says
 * "exception error" and the exit reason is {Reason, Stack}.
 *
 * Differences from OTP: `hibernate` only waits (a generator has no heap to compact); time-out
 * option {abs, true} is refused as a bad action (beamjs has no erlang:monotonic_time yet); a
 * state_functions state that is not an atom is {bad_return_from_state_function, State}; the
 * report's stack is beamjs's one-frame Erlang stack and a client's stack is []; a bad
 * callback_mode/0 after change_code keeps the old mode (OTP crashes at the next event); the
 * start options hibernate_after and debug's statistics/log_to_file are not supported.
 *
 * Threads: module code; the server is spawned from an export (proc_lib:init_p running
 * gen_statem:init_it), so it is portable like any such process. Bad arguments to the API throw InvalidArgumentError.
 */
import { replyOrDown } from './call_reply.js';
import { InvalidArgumentError, describeValue } from '../errors/index.js';
import { caught, defineModule, demonitor, error, exit, get, isModuleDefined, isProcessAlive, monitor, node, receive, self, send, type ProcessGenerator } from '../process/index.js';
import { lookupExport } from '../process/module_registry.js';
import { Atom, atom, format, isPlainObject, Pid, Ref, Tuple, tuple, type Term } from '../term/index.js';
import type { CallTimeout, From, ServerRef, StartOptions } from './gen_server.js';
import { checkName, registerName, reportName, unregisterName, whereisRef, type GenName } from './gen_names.js';
import { A, debug, readCallbackMode, runCallback, sendReply, serve, stopOf, terminate, timeoutOf, transition, type Machine, type StatemEvent, type Stop } from './gen_statem_loop.js';
import { Logger } from './logger.js';
import { defineInitialCall, ProcLib } from './proc_lib.js';
import { newDebug, type SysDebug, type SystemAdapter } from './sys.js';

const DOWN = atom('DOWN');
const init_ = atom('init');
const B = {
  init_it: atom('init_it'),
  header: atom('header'),
  data: atom('data'),
  code_change: atom('code_change'),
  format_status: atom('format_status'),
  normal: atom('normal'),
  terminate: atom('terminate'),
  EXIT: atom('EXIT'),
  badmatch: atom('badmatch'),
  case_clause: atom('case_clause'),
  dead: atom('dead'),
};

/** Options of a start: gen_server's (name, timeout), plus sys debug options from the start (OTP's {debug, [trace, log]}). */
export interface StatemStartOptions extends StartOptions {
  readonly debug?: readonly ('trace' | 'log')[];
}

function toServerPid(server: ServerRef, where: string): Pid | undefined {
  return whereisRef(server, where);
}

type Linkage = 'none' | 'link' | 'monitor';

function* startWith(linkage: Linkage, module: Atom | string, args: Term, options: StatemStartOptions): ProcessGenerator<{ result: Term; ref: Ref | undefined }> {
  const mod = typeof module === 'string' ? atom(module) : module;
  if (!(mod instanceof Atom)) throw new InvalidArgumentError(`gen_statem:start: module must be a name; received ${describeValue(module)}`);
  const name = checkName(options.name, 'gen_statem:start');
  const timeout = timeoutOf(options.timeout, 'gen_statem:start');
  const dbg = options.debug ?? [];
  if (!Array.isArray(dbg) || !dbg.every((d) => d === 'trace' || d === 'log')) {
    throw new InvalidArgumentError(`gen_statem:start: options.debug must be a list of 'trace' and 'log'; received ${describeValue(options.debug)}`);
  }
  // As gen.erl: a linked machine's parent is the starter; an unlinked (or monitored) one is its own parent.
  const initArgs: Term[] = [self(), linkage === 'link' ? self() : undefined, mod, args, name, dbg.map((d) => atom(d))];
  if (linkage === 'link') return { result: yield* ProcLib.startLink(A.gen_statem, B.init_it, initArgs, timeout), ref: undefined };
  if (linkage === 'monitor') {
    const got = yield* ProcLib.startMonitor(A.gen_statem, B.init_it, initArgs, timeout);
    return { result: got.at(0), ref: got.at(1) as Ref };
  }
  return { result: yield* ProcLib.start(A.gen_statem, B.init_it, initArgs, timeout), ref: undefined };
}

// ---------------------------------------------------------------------------------------------
// sys, format_status, code_change and the error report

function eventTerm(ev: StatemEvent): Tuple {
  return tuple(ev.type, ev.content);
}

/** {N, [{Type, Content}]}: the running time-outs, as get_status and the report list them. */
function timeoutsTerm(m: Machine): Tuple {
  return tuple(m.timeouts.length, m.timeouts.map((t) => tuple(t.type, t.content)));
}

/** The postponed events, most recent first (as OTP keeps them). */
function postponedTerm(m: Machine): Term[] {
  return [...m.postponed].reverse().map(eventTerm);
}

interface StatusFields {
  state: Term;
  data: Term;
  reason?: Term;
  queue?: Term[];
  postponed: Term[];
  timeouts: Tuple;
  log: Term[];
}

/**
 * format_status: OTP 25's format_status/1 (a map #{state, data, reason, queue, postponed,
 * timeouts, log} in, the same map out), else format_status/2 (Opt, [PDict, State, Data]): for
 * normal its value is the status' data list (a non-list is wrapped), for terminate the state the
 * report prints. Returns the fields to print, `shown` ({State, Data} or format_status/2's term)
 * and the data list. A format_status that crashes is ignored (the raw fields are printed).
 */
function* formatStatus(m: Machine, opt: Atom, f: StatusFields): ProcessGenerator<{ fields: StatusFields; shown: Term; data: Term[] }> {
  const plain = { fields: f, shown: tuple(f.state, f.data), data: [tuple(B.data, [tuple('State', tuple(f.state, f.data))])] as Term[] };
  const fn = lookupExport(m.module, B.format_status);
  if (fn === undefined) return plain;
  try {
    if (fn.length === 1) {
      const input: Record<string, Term> = { state: f.state, data: f.data, postponed: f.postponed, timeouts: f.timeouts, log: f.log };
      if (f.reason !== undefined) input.reason = f.reason;
      if (f.queue !== undefined) input.queue = f.queue;
      const out = yield* runCallback(m.module, B.format_status, [input]);
      if (!isPlainObject(out)) return plain;
      const o = out as Record<string, Term>;
      const pick = <K extends keyof StatusFields>(k: K): StatusFields[K] => (k in o ? (o[k] as StatusFields[K]) : f[k]);
      const fields: StatusFields = { state: pick('state'), data: pick('data'), reason: pick('reason'), queue: pick('queue'), postponed: pick('postponed'), timeouts: pick('timeouts'), log: pick('log') };
      const shown = tuple(fields.state, fields.data);
      return { fields, shown, data: [tuple(B.data, [tuple('State', shown)])] };
    }
    const out = yield* runCallback(m.module, B.format_status, [opt, [get(), f.state, f.data]]);
    if (opt === B.terminate) return { ...plain, shown: out };
    return { ...plain, shown: out, data: Array.isArray(out) ? (out as Term[]) : [out] };
  } catch {
    return plain;
  }
}

function callbackModeTerm(m: Machine): Term {
  const mode = atom(m.mode);
  return m.stateEnter ? [mode, A.state_enter] : mode;
}

/** OTP 25's gen_statem error report ("** State machine X terminating"), through the logger. */
function* errorReport(m: Machine, stop: Stop, cls: 'error' | 'exit'): ProcessGenerator<void> {
  const log = m.debug.log?.events ?? [];
  const queue = [...(m.current !== undefined ? [eventTerm(m.current)] : []), ...m.queue.map(eventTerm)];
  const f = yield* formatStatus(m, B.terminate, { state: m.state, data: m.data, reason: stop.reason, queue, postponed: postponedTerm(m), timeouts: timeoutsTerm(m), log });
  let client: Term = undefined;
  const type = m.current?.type;
  if (type instanceof Tuple && type.size === 2 && type.at(0) === A.call && type.at(1) instanceof Tuple) {
    const pid = (type.at(1) as Tuple).at(0);
    if (pid instanceof Pid && pid.node === node()) client = isProcessAlive(pid) ? tuple(pid, tuple(pid, [])) : tuple(pid, B.dead);
  }
  Logger.log(
    'error',
    {
      report: {
        label: tuple(A.gen_statem, B.terminate),
        name: m.reportName,
        queue: f.fields.queue ?? queue,
        postponed: f.fields.postponed,
        modules: [m.module],
        callback_mode: callbackModeTerm(m),
        state_enter: m.stateEnter,
        state: f.shown,
        timeouts: f.fields.timeouts,
        log: f.fields.log,
        reason: tuple(atom(cls), f.fields.reason ?? stop.reason, stop.errorStack ?? []),
        client_info: client,
      },
    },
    { mfa: tuple(A.gen_statem, atom('error_info'), 7), error_logger: { tag: A.error } },
  );
}

/** The sys adapter of a machine: get_state/replace_state {State, Data}, get_status, code_change/4. */
function systemAdapter(m: Machine): SystemAdapter {
  return {
    parent: m.parent,
    behaviour: A.gen_statem,
    getState: () => tuple(m.state, m.data),
    setState: (next: Term) => {
      // OTP: {NewState, NewData} = StateFun({State, Data}); anything else is a badmatch (the client gets callback_failed).
      if (!(next instanceof Tuple) || next.size !== 2) error(tuple(B.badmatch, next));
      m.state = next.at(0);
      m.data = next.at(1);
    },
    status: function* (sysState: Atom, dbg: SysDebug) {
      const log = dbg.log?.events ?? [];
      const f = yield* formatStatus(m, B.normal, { state: m.state, data: m.data, postponed: postponedTerm(m), timeouts: timeoutsTerm(m), log });
      return [
        tuple(B.header, `Status for state machine ${format(m.reportName)}`),
        tuple(B.data, [
          tuple('Status', sysState),
          tuple('Parent', m.parent),
          tuple('Modules', [m.module]),
          tuple('Time-outs', f.fields.timeouts),
          tuple('Logged Events', f.fields.log),
          tuple('Postponed', f.fields.postponed),
        ]),
        ...f.data,
      ];
    },
    codeChange: function* (_module: Term, oldVsn: Term, extra: Term) {
      // OTP: Module:code_change(OldVsn, State, Data, Extra) -> {ok, NewState, NewData} | Reason
      // (a throw is a value; a crash is sys's {error, {'EXIT', R}}); callback_mode/0 is read again.
      let result: Term;
      try {
        result = yield* runCallback(m.module, B.code_change, [oldVsn, m.state, m.data, extra]);
      } catch (thrown) {
        const c = caught(thrown);
        return tuple(A.error, tuple(B.EXIT, c.class === 'error' ? tuple(c.reason, c.erlangStack ?? []) : c.reason));
      }
      if (result instanceof Tuple && result.size === 3 && result.at(0) === A.ok) {
        m.state = result.at(1);
        m.data = result.at(2);
        try {
          yield* readCallbackMode(m);
        } catch {
          // A bad callback_mode/0 of the new code: OTP crashes at the next event; beamjs keeps the old mode.
        }
        return A.ok;
      }
      if (result instanceof Tuple && result.size === 2 && result.at(0) === A.ok) return tuple(A.error, tuple(B.EXIT, tuple(B.case_clause, result)));
      return tuple(A.error, result);
    },
  };
}

/** The gen_statem API, used with yield* inside processes. */
export const GenStatem = {
  /** gen_statem:start(Module, Args, Options): {ok, Pid} | ignore | {error, Reason}. */
  *start(module: Atom | string, args: Term = [], options: StatemStartOptions = {}): ProcessGenerator<Term> {
    return (yield* startWith('none', module, args, options)).result;
  },

  /** gen_statem:start_link(Module, Args, Options): as start, linked to the caller. */
  *startLink(module: Atom | string, args: Term = [], options: StatemStartOptions = {}): ProcessGenerator<Term> {
    return (yield* startWith('link', module, args, options)).result;
  },

  /** gen_statem:start_monitor(Module, Args, Options): {ok, {Pid, MonitorRef}} | ignore | {error, R}. */
  *startMonitor(module: Atom | string, args: Term = [], options: StatemStartOptions = {}): ProcessGenerator<Term> {
    const { result, ref } = yield* startWith('monitor', module, args, options);
    if (result instanceof Tuple && result.at(0) === A.ok) return tuple(A.ok, tuple(result.at(1), ref!));
    return result;
  },

  /** gen_statem:call(Server, Request[, Timeout]): the reply, or an exit (see the header). */
  *call(server: ServerRef, request: Term, timeout: CallTimeout = 'infinity'): ProcessGenerator<Term> {
    const ms = timeoutOf(timeout, 'gen_statem:call');
    const where = (): Term => tuple(A.gen_statem, A.call, [server as Term, request, ms === 'infinity' ? A.infinity : ms]);
    const pid = toServerPid(server, 'gen_statem:call');
    if (pid === undefined) exit(tuple(atom('noproc'), where()));
    const tag = monitor('process', pid);
    send(pid, tuple(A.gen_call, tuple(self(), tag), request));
    const got = yield* receive(replyOrDown(tag), ms);
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
    const pid = toServerPid(server, 'gen_statem:cast');
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
    const pid = toServerPid(server, 'gen_statem:stop');
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


// '$initial_call' of a machine: {Module, init, 1} (init_it's third argument), as OTP records it.
defineInitialCall(atom('gen_statem'), atom('init_it'), (args) => tuple(args[2], init_, 1));

defineModule('gen_statem', {
  /**
   * The server process (run by proc_lib:init_p): registers, runs init/1, acknowledges to the
   * starter (proc_lib:init_ack), reads callback_mode/0, then serves. As gen_server.erl's init_it,
   * the name is released before the starter hears of a failed start, so that a supervisor's
   * immediate restart can take it again.
   */
  *init_it(starter: Pid, parentOrSelf: Pid | undefined, module: Atom, args: Term, name: GenName, dbg: Atom[]) {
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
    const fail = (reason: Term): never => {
      unregisterName(name);
      ack(tuple(A.error, reason));
      exit(reason);
    };
    if (!isModuleDefined(module) || lookupExport(module, init_) === undefined) fail(tuple(A.undef, [tuple(module, init_, [args], [])]));
    const sysDebug = newDebug();
    for (const d of dbg ?? []) {
      if (d.name === 'trace') sysDebug.trace = true;
      if (d.name === 'log') sysDebug.log = { max: 10, events: [] };
    }
    sysDebug.active = sysDebug.trace || sysDebug.log !== undefined;
    const m: Machine = {
      parent,
      module,
      name,
      reportName: reportName(name, me),
      debug: sysDebug,
      current: undefined,
      adapter: systemAdapter,
      mode: 'handle_event_function',
      stateEnter: false,
      state: undefined,
      data: undefined,
      postponed: [],
      queue: [],
      t0q: [],
      timeouts: [],
    };
    let result: Term;
    try {
      result = yield* runCallback(module, init_, [args]);
    } catch (thrown) {
      const stop = stopOf(thrown);
      fail(stop.errorStack === undefined ? stop.reason : tuple(stop.reason, stop.errorStack));
    }
    if (result! === A.ignore) {
      unregisterName(name);
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
      debug(m, tuple(A.enter, module, m.state));
      stop = yield* transition(m, undefined, ok.size === 4 ? ok.at(3) : [], true);
    } catch (thrown) {
      stop = stopOf(thrown);
    }
    if (stop === undefined) stop = yield* serve(m);
    yield* terminate(m, stop, errorReport);
  },
});
