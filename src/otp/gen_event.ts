/**
 * gen_event: OTP's event manager, with OTP 25's protocol and semantics.
 *
 * An event manager is a process holding a list of event handlers; an event sent to it is given to
 * every handler in turn. A handler is a callback module (defineModule, addressed by name on every
 * scheduler thread) plus its state; `Handler` is the module's atom, or {Module, Id} to install
 * the same module more than once (a plain module may also be added twice, as in OTP).
 *
 *     defineModule('log_handler', {
 *       init: (args) => tuple(atom('ok'), []),
 *       handle_event: (event, seen) => tuple(atom('ok'), [event, ...seen]),
 *       handle_call: (request, seen) => tuple(atom('ok'), seen, seen),
 *     });
 *     const [, mgr] = (yield* GenEvent.startLink({ name: atom('events') })).elements;
 *     yield* GenEvent.addHandler(atom('events'), atom('log_handler'), []);
 *     GenEvent.notify(atom('events'), atom('hello'));
 *
 *   user handler module                      generic part (this file)
 *   -------------------                      ------------------------
 *   init(Args)                           <-  addHandler / addSupHandler / a swap (Args = {Args2, Res})
 *     {ok, S} | {ok, S, hibernate}           installed (first in the list); the API returns ok
 *     anything else / a crash                not installed; returned as is / {'EXIT', Reason}
 *   handle_event(Event, S)               <-  notify (async), syncNotify (ok when all handled)
 *   handle_info(Info, S)                 <-  any other message (optional; else a warning report)
 *     {ok, S} | {ok, S, hibernate}           keep
 *     {swap_handler, A1, S, H2, A2}          terminate(A1, S) = Res, then H2:init({A2, Res})
 *     remove_handler                         terminate(remove_handler, S)
 *   handle_call(Request, S)              <-  call(Mgr, Handler, Request[, Timeout])
 *     {ok, Reply, S[, hibernate]}            Reply
 *     {swap_handler, Reply, A1, S, H2, A2}   Reply, then the swap
 *     {remove_handler, Reply}                Reply, then terminate(remove_handler, S)
 *   terminate(Arg, S)                    <-  the handler leaves (optional); its value is what
 *                                            deleteHandler returns and what a swap passes on
 *
 * A callback that crashes, or returns anything else, removes that handler only: terminate gets
 * {error, {'EXIT', Reason}} (a crash; Reason is {R, Stack} for class error) or {error, Value} (a
 * bad value), an error report "** gen_event handler H crashed." is logged, and the manager goes
 * on; a call gets {error, {'EXIT', Reason}} / {error, Value}. As in OTP a throw is a return value.
 * terminate's argument otherwise: deleteHandler's Args; `remove_handler`; the swap's Args1;
 * `stop` when the manager stops (stop/1,3, or its parent's exit while it traps exits, which it
 * does); {stop, Reason} when the process that added a supervised handler exits with Reason.
 *
 * Supervised handlers (addSupHandler, swapSupHandler): the manager links to the caller. When the
 * handler leaves, the caller gets {gen_event_EXIT, Handler, Reason}: normal (deleted or
 * remove_handler), shutdown (the manager stopped), {swapped, NewHandler, Pid} (swapped out), or
 * the crash reason ({'EXIT', R}, or the bad value). A plain swap of a supervised handler keeps
 * its supervisor for the new one. Every 'EXIT' the manager gets (other than its parent's) is
 * also given to the handlers' handle_info, as OTP does.
 *
 * The protocol (OTP's gen_event): notify sends {notify, Event}; the others are calls
 * {Caller, {Caller, Tag}, Request} answered {Tag, Reply} (gen:call with the caller as label):
 * {sync_notify, E}, {call, H, Q}, {add_handler, H, A}, {add_sup_handler, H, A, Pid},
 * {delete_handler, H, A}, {swap_handler, H1, A1, H2, A2}, {swap_sup_handler, H1, A1, H2, A2, Pid},
 * which_handlers. Exits: a manager that does not exist (or dies during the request) makes the
 * caller exit with noproc (or the manager's reason), except call/3,4, which exits with {Reason,
 * {gen_event, call, [Mgr, Handler, Request[, Timeout]]}} (timeout included); notify to a dead pid
 * is ok, to an unregistered name badarg (it is a send).
 *
 * Start goes through proc_lib (proc_lib.ts): the manager runs proc_lib:init_p, with
 * '$ancestors' and '$initial_call' {gen_event, init_it, 6} as OTP records it. Names
 * (gen_names.ts): Name or {local, Name}, {via, Module, Name} (notify sends through Module:send/2);
 * {global, Name} throws InvalidArgumentError. A linked manager's parent is the starter; an
 * unlinked one is its own parent (gen.erl).
 *
 * sys (sys.ts): get_state is [{Module, Id, State}] (Id false for a plain module), replace_state
 * applies its Fun to each of them (it must return {Module, Id, NewState}); get_status gives
 * OTP 25's [{header, "Status for event handler N"}, {data, [Status, Logged Events, Parent]},
 * {items, {"Installed handlers", [{handler, Module, Id, State, Supervisor | false}]}}], each
 * State through the handler's format_status; suspend/resume; change_code(Mgr, Module, OldVsn,
 * Extra) calls Module:code_change(OldVsn, State, Extra) -> {ok, NewState} of that module's
 * handlers (anything else is {error, {'EXIT', {{badmatch, V}, []}}} and no state changes);
 * trace prints OTP's "*DBG* M got event E", "*DBG* M(H) got call Q", "*DBG* M got Msg".
 * The handler crash report is a logger error (label {gen_event, terminate}: handler, name,
 * last_message, state, reason) printed with erl 25's wording; its state goes through the
 * handler's format_status/1 (#{state, message, reason, log}) or format_status(terminate,
 * [PDict, State]).
 *
 * Differences from OTP: `hibernate` is accepted and only keeps the state (a generator has no
 * heap to compact); stop/1,3 use {'$gen_stop', Reason} as gen_server.ts does; the reason's
 * stack is beamjs's one-frame Erlang stack.
 *
 * Threads: module code; the manager process is spawned from an export (proc_lib:init_p running
 * gen_event:init_it) and is
 * portable until it starts, like any such process. Bad input: a handler that is not an atom or
 * {Atom, Id} throws InvalidArgumentError from the API; a handler module that is not defined
 * fails init with {'EXIT', {undef, …}} (add returns it).
 */
import { InvalidArgumentError, describeValue } from '../errors/index.js';
import {
  caught,
  defineModule,
  demonitor,
  ErlangException,
  error,
  exit,
  get,
  link,
  monitor,
  processFlag,
  receive,
  self,
  send,
  type ProcessGenerator,
} from '../process/index.js';
import { lookupExport } from '../process/module_registry.js';
import { Atom, atom, exactEquals, format, isPlainObject, Pid, Ref, Tuple, tuple, type Term } from '../term/index.js';
import type { CallTimeout, ServerRef } from './gen_server.js';
import { checkName, registerName, reportName, unregisterName, whereisRef, type GenName } from './gen_names.js';
import { Logger } from './logger.js';
import { defineInitialCall, ProcLib } from './proc_lib.js';
import { logReport } from './report.js';
import { debugEvent, handleSystemMessage, newDebug, type SysDebug, type SystemAdapter } from './sys.js';

/** A handler: its module, or {Module, Id}. */
export type Handler = Atom | Tuple;

export interface ManagerOptions {
  /** Register the manager under this name: Name or {local, Name}, {via, Module, Name} ({global, Name} is {via, global, Name}). */
  readonly name?: Atom | Tuple;
  /** How long start waits for the manager to be up (ms or 'infinity'; default infinity). */
  readonly timeout?: CallTimeout;
}

const A = {
  ok: atom('ok'),
  error: atom('error'),
  EXIT: atom('EXIT'),
  DOWN: atom('DOWN'),
  hibernate: atom('hibernate'),
  swap_handler: atom('swap_handler'),
  remove_handler: atom('remove_handler'),
  notify: atom('notify'),
  sync_notify: atom('sync_notify'),
  call: atom('call'),
  add_handler: atom('add_handler'),
  add_sup_handler: atom('add_sup_handler'),
  delete_handler: atom('delete_handler'),
  swap_sup_handler: atom('swap_sup_handler'),
  which_handlers: atom('which_handlers'),
  stop: atom('stop'),
  normal: atom('normal'),
  shutdown: atom('shutdown'),
  swapped: atom('swapped'),
  noproc: atom('noproc'),
  timeout: atom('timeout'),
  infinity: atom('infinity'),
  kill: atom('kill'),
  bad_module: atom('bad_module'),
  module_not_found: atom('module_not_found'),
  gen_event: atom('gen_event'),
  gen_event_EXIT: atom('gen_event_EXIT'),
  gen_stop: atom('$gen_stop'),
  ack: atom('$gen_ack'),
  already_started: atom('already_started'),
  undef: atom('undef'),
  init: atom('init'),
  handle_event: atom('handle_event'),
  handle_info: atom('handle_info'),
  handle_call: atom('handle_call'),
  terminate: atom('terminate'),
  error_atom: atom('error'),
  init_it: atom('init_it'),
  system: atom('system'),
  in: atom('in'),
  header: atom('header'),
  data: atom('data'),
  items: atom('items'),
  handler: atom('handler'),
  code_change: atom('code_change'),
  format_status: atom('format_status'),
  badmatch: atom('badmatch'),
  terminateOpt: atom('terminate'),
  normalOpt: atom('normal'),
};

// ---------------------------------------------------------------------------------------------
// Handlers and callbacks

interface Installed {
  readonly module: Atom;
  /** The handler as the user names it: Module or {Module, Id}. */
  readonly handler: Handler;
  state: Term;
  /** The process supervising the handler (addSupHandler), or undefined. */
  supervisor: Pid | undefined;
}

function checkHandler(handler: unknown, where: string): { module: Atom; handler: Handler } {
  if (handler instanceof Atom) return { module: handler, handler };
  if (handler instanceof Tuple && handler.size === 2 && handler.at(0) instanceof Atom) return { module: handler.at(0) as Atom, handler };
  throw new InvalidArgumentError(`${where}: a handler is a module atom or {Module, Id}; received ${describeValue(handler)}`);
}

/** The handler named by a request (a term that arrived in a message: no throw). */
function handlerOf(term: Term): { module: Atom; handler: Handler } | undefined {
  if (term instanceof Atom) return { module: term, handler: term };
  if (term instanceof Tuple && term.size === 2 && term.at(0) instanceof Atom) return { module: term.at(0) as Atom, handler: term };
  return undefined;
}

function isIterator(value: unknown): value is Iterator<unknown, Term, unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { next?: unknown }).next === 'function';
}

/** The outcome of a callback: its value, or the {'EXIT', Reason} of Erlang's `catch`. */
type Outcome = { readonly value: Term } | { readonly exit: Term };

/**
 * Runs Module:Name(Args) as Erlang's `catch` does: a throw is a value; an error is
 * {'EXIT', {Reason, Stack}}; an exit is {'EXIT', Reason}. An undefined function is undef.
 */
function* catchCallback(module: Atom, name: Atom, args: readonly Term[]): ProcessGenerator<Outcome> {
  const fn = lookupExport(module, name);
  if (fn === undefined) return { exit: tuple(tuple(A.undef, [tuple(module, name, args as Term[], [])]), []) };
  try {
    const result = (fn as (...a: readonly Term[]) => unknown)(...args);
    if (isIterator(result)) return { value: (yield* result as unknown as ProcessGenerator<Term>) as Term };
    return { value: result as Term };
  } catch (thrown) {
    if (thrown instanceof ErlangException && thrown.class === 'throw') return { value: thrown.reason };
    const c = caught(thrown);
    return { exit: c.class === 'exit' ? c.reason : tuple(c.reason, c.erlangStack ?? []) };
  }
}

const exitTerm = (reason: Term): Tuple => tuple(A.EXIT, reason);

function isTuple(term: Term, tag: Atom, size: number): term is Tuple {
  return term instanceof Tuple && term.size === size && term.at(0) === tag;
}

// ---------------------------------------------------------------------------------------------
// The manager process

interface Manager {
  readonly parent: Pid;
  readonly name: GenName;
  /** What reports and *DBG* lines call the manager (gen:name/1). */
  readonly reportName: Term;
  /** Installed handlers, most recently added first (the order events visit them, as OTP). */
  handlers: Installed[];
  readonly debug: SysDebug;
}

/** The handler's Id as sys shows it: Id of {Module, Id}, false for a plain module. */
function handlerId(h: Installed): Term {
  return h.handler instanceof Tuple ? h.handler.at(1) : false;
}

/**
 * A handler's state as a report or get_status shows it: Module:format_status/1 (#{state, log,
 * message, reason} in and out, OTP 25) or format_status/2 (Opt, [PDict, State]); else the state.
 * A format_status that crashes is ignored.
 */
function* formatHandlerState(h: Installed, opt: Atom, extra: { message?: Term; reason?: Term; log: Term[] }): ProcessGenerator<{ state: Term; message: Term; reason: Term }> {
  const plain = { state: h.state, message: extra.message, reason: extra.reason };
  const fn = lookupExport(h.module, A.format_status);
  if (fn === undefined) return plain;
  if (fn.length === 1) {
    const input: Record<string, Term> = { state: h.state, log: extra.log };
    if (extra.message !== undefined) input.message = extra.message;
    if (extra.reason !== undefined) input.reason = extra.reason;
    const out = yield* catchCallback(h.module, A.format_status, [input]);
    if (!('value' in out) || !isPlainObject(out.value)) return plain;
    const o = out.value as Record<string, Term>;
    return { state: 'state' in o ? o.state : h.state, message: 'message' in o ? o.message : extra.message, reason: 'reason' in o ? o.reason : extra.reason };
  }
  const out = yield* catchCallback(h.module, A.format_status, [opt, [get(), h.state]]);
  return 'value' in out ? { ...plain, state: out.value } : plain;
}

/** The error report of a handler that crashed or returned a bad value (OTP 25's, label {gen_event, terminate}). */
function* reportCrash(mgr: Manager, h: Installed, lastIn: Term, reason: Term): ProcessGenerator<void> {
  const f = yield* formatHandlerState(h, A.terminateOpt, { message: lastIn, reason, log: mgr.debug.log?.events ?? [] });
  Logger.log(
    'error',
    { report: { label: tuple(A.gen_event, A.terminate), handler: h.handler, name: mgr.reportName, last_message: f.message, state: f.state, reason: f.reason } },
    { mfa: tuple(A.gen_event, atom('report_error'), 5), error_logger: { tag: A.error } },
  );
}

function findIndex(mgr: Manager, handler: Term): number {
  return mgr.handlers.findIndex((h) => exactEquals(h.handler, handler));
}

/**
 * Removes handler `h` (already out of the list or not): terminate(Arg, S) and the
 * {gen_event_EXIT, H, Reason} of a supervised handler. Returns terminate's value (ok when it is
 * not exported; {'EXIT', R} when it crashes).
 */
function* terminateHandler(h: Installed, arg: Term, exitReason: Term): ProcessGenerator<Term> {
  let result: Term = A.ok;
  if (lookupExport(h.module, A.terminate) !== undefined) {
    const out = yield* catchCallback(h.module, A.terminate, [arg, h.state]);
    result = 'value' in out ? out.value : exitTerm(out.exit);
  }
  if (h.supervisor !== undefined && exitReason !== undefined) send(h.supervisor, tuple(A.gen_event_EXIT, h.handler, exitReason));
  return result;
}

function removeFromList(mgr: Manager, h: Installed): void {
  const i = mgr.handlers.indexOf(h);
  if (i >= 0) mgr.handlers.splice(i, 1);
}

/** A handler whose callback crashed or returned `bad`: removed, reported; terminate({error, …}). */
function* dropFailed(mgr: Manager, h: Installed, lastIn: Term, failure: Outcome): ProcessGenerator<void> {
  removeFromList(mgr, h);
  const reason = 'exit' in failure ? failure.exit : failure.value;
  const terminateArg = tuple(A.error, 'exit' in failure ? exitTerm(failure.exit) : failure.value);
  yield* reportCrash(mgr, h, lastIn, reason);
  yield* terminateHandler(h, terminateArg, 'exit' in failure ? exitTerm(failure.exit) : failure.value);
}

/**
 * Installs Module:init(Args): ok, or init's other value (or {'EXIT', R}) when it is not
 * installed. `supervisor` is linked, as OTP links the manager to the supervising process.
 */
function* install(mgr: Manager, spec: { module: Atom; handler: Handler }, args: Term, supervisor: Pid | undefined): ProcessGenerator<Term> {
  const out = yield* catchCallback(spec.module, A.init, [args]);
  if ('exit' in out) return exitTerm(out.exit);
  const v = out.value;
  if ((isTuple(v, A.ok, 2) || (isTuple(v, A.ok, 3) && v.at(2) === A.hibernate))) {
    if (supervisor !== undefined) link(supervisor);
    mgr.handlers.unshift({ module: spec.module, handler: spec.handler, state: v.at(1), supervisor });
    return A.ok;
  }
  return v;
}

/**
 * Swaps handler `old` (in the list or already gone) for `next`: terminate(Args1, S) gives Res,
 * then next:init({Args2, Res}) (Res = error when `old` is not installed). Returns install's value.
 */
function* swap(mgr: Manager, old: Installed | undefined, args1: Term, next: { module: Atom; handler: Handler }, args2: Term, supervisor: Pid | undefined): ProcessGenerator<Term> {
  let res: Term = A.error_atom;
  if (old !== undefined) {
    removeFromList(mgr, old);
    res = yield* terminateHandler(old, args1, tuple(A.swapped, next.handler, supervisor ?? old.supervisor ?? self()));
  }
  return yield* install(mgr, next, tuple(args2, res), supervisor);
}

/** Applies an event/info callback's return for handler `h`. */
function* afterEvent(mgr: Manager, h: Installed, lastIn: Term, out: Outcome): ProcessGenerator<void> {
  if ('exit' in out) return yield* dropFailed(mgr, h, lastIn, out);
  const v = out.value;
  if (isTuple(v, A.ok, 2) || (isTuple(v, A.ok, 3) && v.at(2) === A.hibernate)) {
    h.state = v.at(1);
    return;
  }
  if (v === A.remove_handler) {
    removeFromList(mgr, h);
    yield* terminateHandler(h, A.remove_handler, A.normal);
    return;
  }
  if (isTuple(v, A.swap_handler, 5)) {
    const next = handlerOf(v.at(3));
    if (next !== undefined) {
      h.state = v.at(2);
      yield* swap(mgr, h, v.at(1), next, v.at(4), h.supervisor);
      return;
    }
  }
  yield* dropFailed(mgr, h, lastIn, out);
}

/** Gives `event` to every handler's handle_event (or handle_info), in order. */
function* notifyAll(mgr: Manager, event: Term, fn: Atom): ProcessGenerator<void> {
  for (const h of [...mgr.handlers]) {
    if (!mgr.handlers.includes(h)) continue; // removed by an earlier handler's swap (cannot happen today; kept safe)
    if (fn === A.handle_info && lookupExport(h.module, A.handle_info) === undefined) {
      logReport('warning', `** Undefined handle_info in ${format(h.module)}\n** Unhandled message: ${format(event)}\n`);
      continue;
    }
    const out = yield* catchCallback(h.module, fn, [event, h.state]);
    yield* afterEvent(mgr, h, event, out);
  }
}

/** handle_call for one handler: the reply. */
function* callHandler(mgr: Manager, handlerTerm: Term, query: Term): ProcessGenerator<Term> {
  const i = findIndex(mgr, handlerTerm);
  if (i < 0) return tuple(A.error, A.bad_module);
  const h = mgr.handlers[i]!;
  const out = yield* catchCallback(h.module, A.handle_call, [query, h.state]);
  if ('exit' in out) {
    yield* dropFailed(mgr, h, query, out);
    return tuple(A.error, exitTerm(out.exit));
  }
  const v = out.value;
  if (isTuple(v, A.ok, 3) || (isTuple(v, A.ok, 4) && v.at(3) === A.hibernate)) {
    h.state = v.at(2);
    return v.at(1);
  }
  if (isTuple(v, A.remove_handler, 2)) {
    removeFromList(mgr, h);
    yield* terminateHandler(h, A.remove_handler, A.normal);
    return v.at(1);
  }
  if (isTuple(v, A.swap_handler, 6)) {
    const next = handlerOf(v.at(4));
    if (next !== undefined) {
      h.state = v.at(3);
      yield* swap(mgr, h, v.at(2), next, v.at(5), h.supervisor);
      return v.at(1);
    }
  }
  yield* dropFailed(mgr, h, query, out);
  return tuple(A.error, v);
}

/** The manager stops: every handler gets terminate(stop, S) (supervisors: shutdown); then exit. */
function* terminateServer(mgr: Manager, reason: Term): ProcessGenerator<never> {
  const all = mgr.handlers;
  mgr.handlers = [];
  for (const h of all) yield* terminateHandler(h, A.stop, A.shutdown);
  unregisterName(mgr.name);
  exit(reason);
}

/** An 'EXIT' from a process that is not the parent: its supervised handlers go ({stop, Reason}). */
function* supervisorExited(mgr: Manager, from: Pid, reason: Term): ProcessGenerator<void> {
  for (const h of mgr.handlers.filter((x) => x.supervisor !== undefined && x.supervisor.equals(from))) {
    removeFromList(mgr, h);
    h.supervisor = undefined; // it is dead: no gen_event_EXIT
    yield* terminateHandler(h, tuple(A.stop, reason), undefined);
  }
}

/** Answers {Caller, {Caller, Tag}, Request}. */
function replyTo(from: Term, reply: Term): void {
  if (from instanceof Tuple && from.size === 2 && from.at(0) instanceof Pid) send(from.at(0) as Pid, tuple(from.at(1), reply));
}

/** Handles one request of the protocol; undefined when `msg` is not one (it is an info). */
function* handleRequest(mgr: Manager, req: Term): ProcessGenerator<{ reply: Term } | undefined> {
  if (req === A.which_handlers) return { reply: mgr.handlers.map((h) => h.handler) };
  if (!(req instanceof Tuple) || !(req.at(0) instanceof Atom)) return undefined;
  const tag = req.at(0) as Atom;
  const handler = (i: number): { module: Atom; handler: Handler } | undefined => handlerOf(req.at(i));
  const pidAt = (i: number): Pid | undefined => (req.at(i) instanceof Pid ? (req.at(i) as Pid) : undefined);
  if (tag === A.sync_notify && req.size === 2) {
    yield* notifyAll(mgr, req.at(1), A.handle_event);
    return { reply: A.ok };
  }
  if (tag === A.call && req.size === 3) return { reply: yield* callHandler(mgr, req.at(1), req.at(2)) };
  if (tag === A.add_handler && req.size === 3) {
    const h = handler(1);
    return h === undefined ? undefined : { reply: yield* install(mgr, h, req.at(2), undefined) };
  }
  if (tag === A.add_sup_handler && req.size === 4) {
    const h = handler(1);
    const sup = pidAt(3);
    return h === undefined || sup === undefined ? undefined : { reply: yield* install(mgr, h, req.at(2), sup) };
  }
  if (tag === A.delete_handler && req.size === 3) {
    const i = findIndex(mgr, req.at(1));
    if (i < 0) return { reply: tuple(A.error, A.module_not_found) };
    const h = mgr.handlers[i]!;
    mgr.handlers.splice(i, 1);
    return { reply: yield* terminateHandler(h, req.at(2), A.normal) };
  }
  if ((tag === A.swap_handler && req.size === 5) || (tag === A.swap_sup_handler && req.size === 6)) {
    const next = handler(3);
    if (next === undefined) return undefined;
    const i = findIndex(mgr, req.at(1));
    const old = i < 0 ? undefined : mgr.handlers[i];
    const sup = tag === A.swap_sup_handler ? pidAt(5) : old?.supervisor;
    return { reply: yield* swap(mgr, old, req.at(2), next, req.at(4), sup) };
  }
  return undefined;
}

function* serve(mgr: Manager): ProcessGenerator<never> {
  for (;;) {
    const { m: msg } = (yield* receive((m: Term) => ({ m }), 'infinity')) as { m: Term };
    if (msg instanceof Tuple && msg.size === 3 && msg.at(0) === A.system) {
      const r = yield* handleSystemMessage(msg.at(2), msg.at(1), systemAdapter(mgr), mgr.debug);
      if (r !== undefined) yield* terminateServer(mgr, r.stop);
      continue;
    }
    if (mgr.debug.active) debugEvent(mgr.debug, mgr.reportName, tuple(A.in, msg), printEvent);
    if (isTuple(msg, A.notify, 2)) {
      yield* notifyAll(mgr, msg.at(1), A.handle_event);
      continue;
    }
    if (msg instanceof Tuple && msg.size === 3 && msg.at(0) instanceof Pid && msg.at(1) instanceof Tuple) {
      const answered = yield* handleRequest(mgr, msg.at(2));
      if (answered !== undefined) {
        replyTo(msg.at(1), answered.reply);
        continue;
      }
    }
    if (isTuple(msg, A.gen_stop, 2)) yield* terminateServer(mgr, msg.at(1));
    if (isTuple(msg, A.EXIT, 3) && msg.at(1) instanceof Pid) {
      const from = msg.at(1) as Pid;
      if (from.equals(mgr.parent)) yield* terminateServer(mgr, msg.at(2));
      yield* supervisorExited(mgr, from, msg.at(2));
    }
    yield* notifyAll(mgr, msg, A.handle_info);
  }
}

/** gen_event's print_event: the *DBG* lines of sys:trace. */
function printEvent(name: Term, event: Term): string {
  const n = format(name);
  if (event instanceof Tuple && event.size === 2 && event.at(0) === A.in) {
    const msg = event.at(1);
    if (isTuple(msg, A.notify, 2)) return `*DBG* ${n} got event ${format(msg.at(1))}\n`;
    if (msg instanceof Tuple && msg.size === 3 && msg.at(0) instanceof Pid && isTuple(msg.at(2), A.call, 3)) {
      const q = msg.at(2) as Tuple;
      return `*DBG* ${n}(${format(q.at(1))}) got call ${format(q.at(2))}\n`;
    }
    return `*DBG* ${n} got ${format(msg)}\n`;
  }
  return `*DBG* ${n} dbg  ${format(event)}\n`;
}

/**
 * The sys adapter of a manager: get_state is [{Module, Id, State}] (Id false for a plain
 * module); replace_state applies the Fun to each of them (it must return {Module, Id, NewState});
 * change_code calls Module:code_change(OldVsn, State, Extra) -> {ok, NewState} of the handlers of
 * Module only (anything else, or a crash, is sys's {error, {'EXIT', R}} and keeps every state).
 */
function systemAdapter(mgr: Manager): SystemAdapter {
  return {
    parent: mgr.parent,
    behaviour: A.gen_event,
    getState: () => mgr.handlers.map((h) => tuple(h.module, handlerId(h), h.state)),
    setState: () => {
      throw new InvalidArgumentError('gen_event: the state of a manager is replaced handler by handler (replaceState)');
    },
    replaceState: (apply) => {
      const next = mgr.handlers.map((h) => {
        const out = apply(tuple(h.module, handlerId(h), h.state));
        if (!(out instanceof Tuple) || out.size !== 3 || out.at(0) !== h.module || !exactEquals(out.at(1), handlerId(h))) error(tuple(A.badmatch, out));
        return out.at(2);
      });
      mgr.handlers.forEach((h, i) => {
        h.state = next[i];
      });
      return mgr.handlers.map((h) => tuple(h.module, handlerId(h), h.state));
    },
    status: function* (sysState: Atom, dbg: SysDebug) {
      const log = dbg.log?.events ?? [];
      const shown: Term[] = [];
      for (const h of mgr.handlers) {
        const f = yield* formatHandlerState(h, A.normalOpt, { log });
        shown.push(tuple(A.handler, h.module, handlerId(h), f.state, h.supervisor ?? false));
      }
      return [
        tuple(A.header, `Status for event handler ${format(mgr.reportName)}`),
        tuple(A.data, [tuple('Status', sysState), tuple('Logged Events', log), tuple('Parent', mgr.parent)]),
        tuple(A.items, tuple('Installed handlers', shown)),
      ];
    },
    codeChange: function* (module: Term, oldVsn: Term, extra: Term) {
      const next = new Map<Installed, Term>();
      for (const h of mgr.handlers) {
        if (h.module !== module) continue;
        const out = yield* catchCallback(h.module, A.code_change, [oldVsn, h.state, extra]);
        if ('exit' in out) return tuple(A.error, exitTerm(out.exit));
        if (!isTuple(out.value, A.ok, 2)) return tuple(A.error, exitTerm(tuple(tuple(A.badmatch, out.value), [])));
        next.set(h, out.value.at(1));
      }
      for (const [h, state] of next) h.state = state;
      return A.ok;
    },
  };
}

// '$initial_call' of a manager: {gen_event, init_it, 6}, as OTP records it.
defineInitialCall(A.gen_event, A.init_it, () => tuple(A.gen_event, A.init_it, 6));

defineModule('gen_event', {
  /**
   * The manager process (run by proc_lib:init_p): registers, traps exits, acknowledges
   * (proc_lib:init_ack), serves (see the header).
   */
  *init_it(starter: Pid, parentOrSelf: Pid | undefined, name: GenName) {
    const me = self();
    const taken = registerName(name, me);
    if (taken !== undefined) {
      ProcLib.initAck(starter, taken);
      return;
    }
    processFlag('trap_exit', true);
    ProcLib.initAck(starter, tuple(A.ok, me));
    yield* serve({ parent: parentOrSelf ?? me, name, reportName: reportName(name, me), handlers: [], debug: newDebug() });
  },
});

// ---------------------------------------------------------------------------------------------
// The API

type Linkage = 'none' | 'link' | 'monitor';

function timeoutOf(value: CallTimeout | undefined, where: string, fallback: number | 'infinity'): number | 'infinity' {
  if (value === undefined) return fallback;
  if (value === 'infinity') return 'infinity';
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${where}: timeout must be a non-negative integer of ms or 'infinity'; received ${describeValue(value)}`);
  }
  return value;
}

function* startWith(linkage: Linkage, options: ManagerOptions): ProcessGenerator<{ result: Term; ref: Ref | undefined }> {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`gen_event:start: options must be an object; received ${describeValue(options)}`);
  const name = checkName(options.name, 'gen_event:start');
  const timeout = timeoutOf(options.timeout, 'gen_event:start', 'infinity');
  // As gen.erl: a linked manager's parent is the starter; an unlinked (or monitored) one is its own parent.
  const args: Term[] = [self(), linkage === 'link' ? self() : undefined, name];
  if (linkage === 'link') return { result: yield* ProcLib.startLink(A.gen_event, A.init_it, args, timeout), ref: undefined };
  if (linkage === 'monitor') {
    const got = yield* ProcLib.startMonitor(A.gen_event, A.init_it, args, timeout);
    return { result: got.at(0), ref: got.at(1) as Ref };
  }
  return { result: yield* ProcLib.start(A.gen_event, A.init_it, args, timeout), ref: undefined };
}

function toManagerPid(mgr: ServerRef, where: string): Pid | undefined {
  return whereisRef(mgr, where, 'an event manager');
}

/**
 * gen:call with the caller as label: the reply, or {exit: Reason} (noproc, the manager's exit
 * reason, timeout).
 */
function* request(mgr: ServerRef, req: Term, timeout: number | 'infinity', where: string): ProcessGenerator<{ reply: Term } | { exit: Term }> {
  const pid = toManagerPid(mgr, where);
  if (pid === undefined) return { exit: A.noproc };
  const tag = monitor('process', pid);
  const me = self();
  send(pid, tuple(me, tuple(me, tag), req));
  const got = yield* receive(
    {
      match: (m: Term) => {
        if (!(m instanceof Tuple)) return undefined;
        if (m.size === 2 && m.at(0) instanceof Ref && (m.at(0) as Ref).equals(tag)) return { reply: m.at(1) };
        if (m.size === 5 && m.at(0) === A.DOWN && m.at(1) instanceof Ref && (m.at(1) as Ref).equals(tag)) return { exit: m.at(4) };
        return undefined;
      },
      requiredRefs: [tag],
    },
    timeout,
  );
  if (got === undefined) {
    demonitor(tag, { flush: true });
    return { exit: A.timeout };
  }
  if ('reply' in got) demonitor(tag, { flush: true });
  return got;
}

/** gen_event's rpc: the reply, or exit with the request's failure reason (noproc, …). */
function* rpc(mgr: ServerRef, req: Term, where: string): ProcessGenerator<Term> {
  const got = yield* request(mgr, req, 'infinity', where);
  if ('exit' in got) exit(got.exit);
  return got.reply;
}

/** The gen_event API, used with yield* inside processes (notify is a plain call). */
export const GenEvent = {
  /** gen_event:start([{name}]): {ok, Pid} | {error, {already_started, Pid}}. */
  *start(options: ManagerOptions = {}): ProcessGenerator<Term> {
    return (yield* startWith('none', options)).result;
  },
  /** gen_event:start_link([{name}]): as start, linked to the caller. */
  *startLink(options: ManagerOptions = {}): ProcessGenerator<Term> {
    return (yield* startWith('link', options)).result;
  },
  /** gen_event:start_monitor([{name}]): {ok, {Pid, MonitorRef}} | {error, R}. */
  *startMonitor(options: ManagerOptions = {}): ProcessGenerator<Term> {
    const { result, ref } = yield* startWith('monitor', options);
    if (result instanceof Tuple && result.at(0) === A.ok) return tuple(A.ok, tuple(result.at(1), ref!));
    return result;
  },
  /** gen_event:stop(Mgr[, Reason, Timeout]): handlers get terminate(stop, S); waits for the exit. */
  *stop(mgr: ServerRef, reason: Term = A.normal, timeout: CallTimeout = 'infinity'): ProcessGenerator<Atom> {
    const ms = timeoutOf(timeout, 'gen_event:stop', 'infinity');
    const pid = toManagerPid(mgr, 'gen_event:stop');
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
  /** gen_event:notify(Mgr, Event): ok (a send: badarg for an unregistered name). */
  notify(mgr: ServerRef, event: Term): Atom {
    if (!(mgr instanceof Pid) && !(mgr instanceof Atom) && !(mgr instanceof Tuple)) {
      throw new InvalidArgumentError(`gen_event:notify: an event manager is a pid, a registered name or {Name, Node}; received ${describeValue(mgr)}`);
    }
    if (mgr instanceof Tuple && mgr.size === 3 && mgr.at(0) === atom('via') && mgr.at(1) instanceof Atom) {
      // {via, M, N}: M:send(N, Msg), as gen_event:send does.
      const viaSend = lookupExport(mgr.at(1) as Atom, atom('send'));
      if (viaSend === undefined) throw new InvalidArgumentError(`gen_event:notify: the via module ${(mgr.at(1) as Atom).name} must export send/2`);
      (viaSend as (n: Term, m: Term) => Term)(mgr.at(2), tuple(A.notify, event));
      return A.ok;
    }
    if (mgr instanceof Tuple && mgr.size === 2 && mgr.at(0) === atom('global')) whereisRef(mgr, 'gen_event:notify', 'an event manager');
    send(mgr, tuple(A.notify, event));
    return A.ok;
  },
  /** gen_event:sync_notify(Mgr, Event): ok once every handler has handled it. */
  *syncNotify(mgr: ServerRef, event: Term): ProcessGenerator<Term> {
    return yield* rpc(mgr, tuple(A.sync_notify, event), 'gen_event:sync_notify');
  },
  /** gen_event:call(Mgr, Handler, Request[, Timeout = 5000]): the reply, {error, bad_module}, {error, {'EXIT', R}}, … */
  *call(mgr: ServerRef, handler: Handler, req: Term, timeout?: CallTimeout): ProcessGenerator<Term> {
    checkHandler(handler, 'gen_event:call');
    const ms = timeoutOf(timeout, 'gen_event:call', 5000);
    const got = yield* request(mgr, tuple(A.call, handler, req), ms, 'gen_event:call');
    if ('reply' in got) return got.reply;
    const args: Term[] = timeout !== undefined ? [mgr as Term, handler, req, ms === 'infinity' ? A.infinity : ms] : [mgr as Term, handler, req];
    exit(tuple(got.exit, tuple(A.gen_event, A.call, args)));
  },
  /** gen_event:add_handler(Mgr, Handler, Args): ok | {'EXIT', R} | init's other value. */
  *addHandler(mgr: ServerRef, handler: Handler, args: Term): ProcessGenerator<Term> {
    checkHandler(handler, 'gen_event:add_handler');
    return yield* rpc(mgr, tuple(A.add_handler, handler, args), 'gen_event:add_handler');
  },
  /** gen_event:add_sup_handler(Mgr, Handler, Args): as addHandler; the handler is supervised by the caller. */
  *addSupHandler(mgr: ServerRef, handler: Handler, args: Term): ProcessGenerator<Term> {
    checkHandler(handler, 'gen_event:add_sup_handler');
    return yield* rpc(mgr, tuple(A.add_sup_handler, handler, args, self()), 'gen_event:add_sup_handler');
  },
  /** gen_event:delete_handler(Mgr, Handler, Args): terminate's value | {error, module_not_found}. */
  *deleteHandler(mgr: ServerRef, handler: Handler, args: Term): ProcessGenerator<Term> {
    checkHandler(handler, 'gen_event:delete_handler');
    return yield* rpc(mgr, tuple(A.delete_handler, handler, args), 'gen_event:delete_handler');
  },
  /** gen_event:swap_handler(Mgr, {H1, Args1}, {H2, Args2}): ok | {error, R} (H2:init's failure). */
  *swapHandler(mgr: ServerRef, old: Tuple, next: Tuple): ProcessGenerator<Term> {
    const [h1, a1, h2, a2] = swapArgs(old, next, 'gen_event:swap_handler');
    return yield* rpc(mgr, tuple(A.swap_handler, h1, a1, h2, a2), 'gen_event:swap_handler');
  },
  /** gen_event:swap_sup_handler(Mgr, {H1, Args1}, {H2, Args2}): as swapHandler; H2 supervised by the caller. */
  *swapSupHandler(mgr: ServerRef, old: Tuple, next: Tuple): ProcessGenerator<Term> {
    const [h1, a1, h2, a2] = swapArgs(old, next, 'gen_event:swap_sup_handler');
    return yield* rpc(mgr, tuple(A.swap_sup_handler, h1, a1, h2, a2, self()), 'gen_event:swap_sup_handler');
  },
  /** gen_event:which_handlers(Mgr): [Handler], most recently added first. */
  *whichHandlers(mgr: ServerRef): ProcessGenerator<Term> {
    return yield* rpc(mgr, A.which_handlers, 'gen_event:which_handlers');
  },
};

function swapArgs(old: unknown, next: unknown, where: string): [Handler, Term, Handler, Term] {
  for (const [arg, what] of [[old, 'the old handler'], [next, 'the new handler']] as const) {
    if (!(arg instanceof Tuple) || arg.size !== 2) throw new InvalidArgumentError(`${where}: ${what} must be {Handler, Args}; received ${describeValue(arg)}`);
    checkHandler(arg.at(0), where);
  }
  const o = old as Tuple;
  const n = next as Tuple;
  return [o.at(0) as Handler, o.at(1), n.at(0) as Handler, n.at(1)];
}
