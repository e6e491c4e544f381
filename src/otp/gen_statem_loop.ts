/**
 * The gen_statem server process: its event queues, the state callback, transitions, actions
 * and time-outs (the API and the start handshake are in gen_statem.ts).
 *
 * Where the next event comes from, in this order (OTP 23+):
 *   1. `queue`: events inserted by next_event actions and postponed events retried after a state
 *      change (the next_events of a transition first, in their order, then the retried postponed
 *      events oldest first, then what was queued before);
 *   2. `t0q`: time-outs of time 0 (and `update` of a time-out that was not running), in the order
 *      they were set; they sit between the queue and the mailbox, so a later cancel (explicit, or
 *      a state change for a state_timeout) still removes them;
 *   3. the mailbox: {'$gen_call', From, R} -> {call, From}; {'$gen_cast', R} -> cast;
 *      {timeout, TRef, Type} of a running time-out -> the time-out event Type (`timeout`,
 *      `state_timeout` or `{timeout, Name}`) with the content it was set with; '$gen_stop' and
 *      {'EXIT', Parent, R} end the server; anything else is `info`.
 *
 * A transition (OTP's order): the actions are run in order (replies are sent at once; the
 * last time-out action of a type wins); then postpone keeps the event; on a state change
 * (NextState =/= State) the state_timeout is cancelled and the postponed events are retried;
 * then, with state_enter, the state enter call runs when the state changed or a repeat_state
 * result asked for it (OldState stays the state before the transition when an enter call
 * repeats itself); its actions join the transition's; then the time-outs are set: of several
 * actions for one type the last wins, in the place of that last one, applied to the time-outs
 * running before (so {T, update, C} after {T, cancel} updates the running timer; an update of a
 * time-out that is not running is a zero time-out). The event time-out is set only when no
 * event is queued, and any event cancels it. An enter call may not
 * change the state, postpone or insert events: {bad_state_enter_return_from_state_function, R}
 * and {bad_state_enter_action_from_state_function, A}, as OTP names them.
 *
 * Ending: terminate(Reason, State, Data) (if exported) gets the bare reason; the process exits
 * with Reason for stop results, exits and a parent's exit, and with {Reason, Stack} for class
 * error (crashes, bad return values and actions), as OTP's gen_statem re-raises. A throw from a
 * callback is its return value (OTP calls callbacks in a catch).
 *
 * Threads: runs inside the server process only; it owns every field of `Machine`. Time-outs are
 * the process layer's Erlang timers (startTimer to self), so nothing here blocks a scheduler.
 */
import { InvalidArgumentError, describeValue } from '../errors/index.js';
import {
  caught,
  cancelTimer,
  ErlangException,
  exit,
  receive,
  self,
  send,
  startTimer,
  yield_,
  type ProcessGenerator,
} from '../process/index.js';
import { currentProcess } from '../process/process.js';
import { lookupExport } from '../process/module_registry.js';
import { Atom, atom, exactEquals, format, Pid, Ref, Tuple, tuple, type Term } from '../term/index.js';
import type { GenName } from './gen_names.js';
import { debugEvent, handleSystemMessage, type SysDebug, type SystemAdapter } from './sys.js';

export const A = {
  ok: atom('ok'),
  error: atom('error'),
  ignore: atom('ignore'),
  stop: atom('stop'),
  normal: atom('normal'),
  shutdown: atom('shutdown'),
  infinity: atom('infinity'),
  undef: atom('undef'),
  call: atom('call'),
  cast: atom('cast'),
  info: atom('info'),
  timeout: atom('timeout'),
  state_timeout: atom('state_timeout'),
  internal: atom('internal'),
  enter: atom('enter'),
  next_state: atom('next_state'),
  keep_state: atom('keep_state'),
  keep_state_and_data: atom('keep_state_and_data'),
  repeat_state: atom('repeat_state'),
  repeat_state_and_data: atom('repeat_state_and_data'),
  stop_and_reply: atom('stop_and_reply'),
  postpone: atom('postpone'),
  hibernate: atom('hibernate'),
  next_event: atom('next_event'),
  reply: atom('reply'),
  cancel: atom('cancel'),
  update: atom('update'),
  abs: atom('abs'),
  state_functions: atom('state_functions'),
  handle_event_function: atom('handle_event_function'),
  state_enter: atom('state_enter'),
  handle_event: atom('handle_event'),
  terminate: atom('terminate'),
  callback_mode: atom('callback_mode'),
  gen_call: atom('$gen_call'),
  gen_cast: atom('$gen_cast'),
  gen_stop: atom('$gen_stop'),
  EXIT: atom('EXIT'),
  gen_statem: atom('gen_statem'),
  bad_return_from_callback_mode: atom('bad_return_from_callback_mode'),
  bad_return_from_init: atom('bad_return_from_init'),
  bad_return_from_state_function: atom('bad_return_from_state_function'),
  bad_action_from_state_function: atom('bad_action_from_state_function'),
  bad_state_enter_return_from_state_function: atom('bad_state_enter_return_from_state_function'),
  bad_state_enter_action_from_state_function: atom('bad_state_enter_action_from_state_function'),
  loop_state_callback_result: atom('loop_state_callback_result'),
  system: atom('system'),
  in: atom('in'),
  out: atom('out'),
  consume: atom('consume'),
  postponeEv: atom('postpone'),
  start_timer: atom('start_timer'),
  enterEv: atom('enter'),
  terminateEv: atom('terminate'),
};

/** One event: {EventType, EventContent}. */
export interface StatemEvent {
  readonly type: Term;
  readonly content: Term;
}

/** A time-out that is running: on a timer (ref), or waiting in the t0q (ref undefined). */
interface RunningTimeout {
  readonly type: Term;
  ref: Ref | undefined;
  content: Term;
}

export interface Machine {
  readonly parent: Pid;
  readonly module: Atom;
  /** The start name, checked (gen_names.ts), or undefined. */
  readonly name: GenName;
  /** What *DBG* lines and reports call the machine (gen:name/1). */
  readonly reportName: Term;
  /** sys debug options (trace, log, statistics). */
  readonly debug: SysDebug;
  /** The event being handled (the error report's "Last event"), or undefined between events. */
  current: StatemEvent | undefined;
  /** Makes the sys adapter of this machine (gen_statem.ts: get_status, code_change). */
  readonly adapter: (m: Machine) => SystemAdapter;
  mode: 'state_functions' | 'handle_event_function';
  stateEnter: boolean;
  state: Term;
  data: Term;
  /** Postponed events, oldest first. */
  postponed: StatemEvent[];
  /** Inserted and retried events, next first. */
  queue: StatemEvent[];
  /** Types of the time-outs of time 0, in the order they were set. */
  t0q: Term[];
  /** Running time-outs (few: the event time-out, the state time-out, the generic ones). */
  timeouts: RunningTimeout[];
}

/** An error-class reason raised by the engine (not by a callback): ends the server with {Reason, Stack}. */
class EngineError {
  constructor(readonly reason: Term) {}
}

/** A stop: terminate with `reason` (class exit), or with {Reason, Stack} (class error). */
export interface Stop {
  readonly reason: Term;
  readonly errorStack: Term | undefined;
}

const ENGINE_STACK: Term = [tuple(A.gen_statem, A.loop_state_callback_result, 3, [])];

function isIterator(value: unknown): value is Iterator<unknown, Term, unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { next?: unknown }).next === 'function';
}

/** Runs a callback: a plain function's result, or a generator's return value (run with yield*). A throw is a return value. */
export function* runCallback(module: Atom, name: Atom, args: readonly Term[]): ProcessGenerator<Term> {
  const fn = lookupExport(module, name);
  if (fn === undefined) throw new ErlangException('error', A.undef, undefined, [tuple(module, name, args as Term[], [])]);
  try {
    const result = (fn as (...a: readonly Term[]) => unknown)(...args);
    if (isIterator(result)) return (yield* result as unknown as ProcessGenerator<Term>) as Term;
    return result as Term;
  } catch (thrown) {
    if (thrown instanceof ErlangException && thrown.class === 'throw') return thrown.reason;
    throw thrown;
  }
}

/** The Stop of an exception thrown by a callback or by the engine. */
export function stopOf(thrown: unknown): Stop {
  if (thrown instanceof EngineError) return { reason: thrown.reason, errorStack: ENGINE_STACK };
  const c = caught(thrown);
  if (c.class === 'exit') return { reason: c.reason, errorStack: undefined };
  if (c.class === 'throw') return { reason: tuple(A.bad_return_from_state_function, c.reason), errorStack: ENGINE_STACK };
  return { reason: c.reason, errorStack: c.erlangStack ?? [] };
}

/**
 * callback_mode/0: state_functions | handle_event_function, alone or in a list with state_enter.
 * Anything else is an engine error {bad_return_from_callback_mode, CM}.
 */
export function* readCallbackMode(m: Machine): ProcessGenerator<void> {
  const cm = yield* runCallback(m.module, A.callback_mode, []);
  const items = Array.isArray(cm) ? (cm as Term[]) : [cm];
  let mode: Machine['mode'] | undefined;
  let enter = false;
  for (const item of items) {
    if (item === A.state_enter) enter = true;
    else if ((item === A.state_functions || item === A.handle_event_function) && mode === undefined) mode = item === A.state_functions ? 'state_functions' : 'handle_event_function';
    else throw new EngineError(tuple(A.bad_return_from_callback_mode, cm));
  }
  if (mode === undefined) throw new EngineError(tuple(A.bad_return_from_callback_mode, cm));
  m.mode = mode;
  m.stateEnter = enter;
}

/** Calls the state callback: Module:State(Type, Content, Data) or Module:handle_event(Type, Content, State, Data). */
function* stateCallback(m: Machine, type: Term, content: Term): ProcessGenerator<Term> {
  if (m.mode === 'handle_event_function') return yield* runCallback(m.module, A.handle_event, [type, content, m.state, m.data]);
  if (!(m.state instanceof Atom)) throw new EngineError(tuple(A.bad_return_from_state_function, m.state));
  return yield* runCallback(m.module, m.state, [type, content, m.data]);
}

// ---------------------------------------------------------------------------------------------
// sys debug events (OTP 25's): {in, Event, State}, {out, Reply, From}, {consume | postpone,
// Event, State, NextState}, {start_timer, {Type, Time, Content, Opts}, State}, {enter, Module,
// State}, {terminate, Reason, State}; Event is {Type, Content}.

function eventTerm(ev: StatemEvent): Tuple {
  return tuple(ev.type, ev.content);
}

/** OTP's event_string: "call R from Pid" for a call, else "Type Content". */
function eventString(ev: Term): string {
  if (ev instanceof Tuple && ev.size === 2) {
    const type = ev.at(0);
    if (type instanceof Tuple && type.size === 2 && type.at(0) === A.call && type.at(1) instanceof Tuple) return `call ${format(ev.at(1))} from ${format((type.at(1) as Tuple).at(0))}`;
    return `${format(type)} ${format(ev.at(1))}`;
  }
  return format(ev);
}

/** gen_statem's print_event: the *DBG* lines of sys:trace. */
export function printEvent(name: Term, event: Term): string {
  const n = format(name);
  if (event instanceof Tuple) {
    const tag = event.at(0);
    if (tag === A.in && event.size === 3) return `*DBG* ${n} receive ${eventString(event.at(1))} in state ${format(event.at(2))}\n`;
    if (tag === A.out && event.size === 3) return `*DBG* ${n} send ${format(event.at(1))} to ${format((event.at(2) as Tuple).at(0))}\n`;
    if ((tag === A.consume || tag === A.postponeEv) && event.size === 4) {
      const to = exactEquals(event.at(2), event.at(3)) ? '' : ` => ${format(event.at(3))}`;
      return `*DBG* ${n} ${(tag as Atom).name} ${eventString(event.at(1))} in state ${format(event.at(2))}${to}\n`;
    }
    if (tag === A.start_timer && event.size === 3) return `*DBG* ${n} start_timer ${format(event.at(1))} in state ${format(event.at(2))}\n`;
    if (tag === A.enterEv && event.size === 3) return `*DBG* ${n} enter ${format(event.at(1))} in state ${format(event.at(2))}\n`;
    if (tag === A.terminateEv && event.size === 3) return `*DBG* ${n} terminate ${format(event.at(1))} in state ${format(event.at(2))}\n`;
  }
  return `*DBG* ${n} dbg  ${format(event)}\n`;
}

/** Records a debug event (only when a sys debug option is on). */
export function debug(m: Machine, event: Term): void {
  if (m.debug.active) debugEvent(m.debug, m.reportName, event, printEvent);
}

// ---------------------------------------------------------------------------------------------
// Time-outs

function isTimeoutType(type: Term): boolean {
  return type === A.timeout || type === A.state_timeout || (type instanceof Tuple && type.size === 2 && type.at(0) === A.timeout);
}

function findTimeout(m: Machine, type: Term): number {
  return m.timeouts.findIndex((t) => exactEquals(t.type, type));
}

/** Cancels a running time-out of this type (timer or t0q entry); its message is flushed if it already fired. */
function* cancelTimeout(m: Machine, type: Term): ProcessGenerator<void> {
  const i = findTimeout(m, type);
  if (i < 0) return;
  const [t] = m.timeouts.splice(i, 1);
  if (t!.ref === undefined) {
    const j = m.t0q.findIndex((x) => exactEquals(x, type));
    if (j >= 0) m.t0q.splice(j, 1);
    return;
  }
  const ref = t!.ref;
  if (cancelTimer(ref) === false) {
    // It fired: its {timeout, TRef, Type} is in the mailbox (the timer is our own scheduler's).
    yield* receive(
      { match: (msg: Term) => (msg instanceof Tuple && msg.size === 3 && msg.at(0) === A.timeout && msg.at(1) instanceof Ref && (msg.at(1) as Ref).equals(ref) ? { msg } : undefined), requiredRefs: [ref] },
      0,
    );
  }
}

function* startTimeout(m: Machine, type: Term, time: number, content: Term): ProcessGenerator<void> {
  yield* cancelTimeout(m, type);
  if (time === 0) {
    m.timeouts.push({ type, ref: undefined, content });
    m.t0q.push(type);
    return;
  }
  m.timeouts.push({ type, ref: startTimer(time, self(), type), content });
}

/** A time-out action, parsed: start (time), cancel, or update. */
type TimeoutAction =
  | { readonly type: Term; readonly op: 'start'; readonly time: number | 'infinity'; readonly content: Term }
  | { readonly type: Term; readonly op: 'cancel' }
  | { readonly type: Term; readonly op: 'update'; readonly content: Term };

function timeOf(value: Term): number | 'infinity' | undefined {
  if (value === A.infinity) return 'infinity';
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  return undefined;
}

/** Timeout options: [] or [{abs, false}] (absolute times need erlang:monotonic_time, which beamjs lacks). */
function timeoutOptionsOk(opts: Term): boolean {
  if (!Array.isArray(opts)) return false;
  return (opts as Term[]).every((o) => o instanceof Tuple && o.size === 2 && o.at(0) === A.abs && o.at(1) === false);
}

function parseTimeoutAction(action: Term): TimeoutAction | undefined {
  const t = timeOf(action);
  if (t !== undefined) return { type: A.timeout, op: 'start', time: t, content: action };
  if (!(action instanceof Tuple) || action.size < 2 || !isTimeoutType(action.at(0))) return undefined;
  const type = action.at(0);
  if (action.size === 2 && action.at(1) === A.cancel) return { type, op: 'cancel' };
  if (action.size === 3 && action.at(1) === A.update) return { type, op: 'update', content: action.at(2) };
  if (action.size === 3 || (action.size === 4 && timeoutOptionsOk(action.at(3)))) {
    const time = timeOf(action.at(1));
    if (time !== undefined) return { type, op: 'start', time, content: action.at(2) };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Transitions

/** What the actions of one transition (the event's callback plus its enter calls) asked for. */
interface Transition {
  postpone: boolean;
  nextEvents: StatemEvent[];
  timeouts: TimeoutAction[];
}

function isEventType(type: Term): boolean {
  if (type === A.cast || type === A.info || type === A.internal || isTimeoutType(type)) return true;
  return type instanceof Tuple && type.size === 2 && type.at(0) === A.call && type.at(1) instanceof Tuple;
}

/** Sends the reply of a {reply, From, Reply} action. */
export function sendReply(from: Term, reply: Term): boolean {
  if (!(from instanceof Tuple) || from.size !== 2 || !(from.at(0) instanceof Pid)) return false;
  send(from.at(0) as Pid, tuple(from.at(1), reply));
  return true;
}

function isReplyAction(a: Term): a is Tuple {
  return a instanceof Tuple && a.size === 3 && a.at(0) === A.reply;
}

/** Runs a list of actions (or one action) into `tr`; enter calls may not postpone nor insert events. */
function runActions(m: Machine, actions: Term, tr: Transition, enter: boolean): void {
  const list = Array.isArray(actions) ? (actions as Term[]) : [actions];
  const bad = (a: Term): never => {
    throw new EngineError(tuple(enter ? A.bad_state_enter_action_from_state_function : A.bad_action_from_state_function, a));
  };
  for (const a of list) {
    if (a === A.postpone || (a instanceof Tuple && a.size === 2 && a.at(0) === A.postpone && (a.at(1) === true || a.at(1) === false))) {
      if (enter) bad(a);
      tr.postpone = a === A.postpone || (a as Tuple).at(1) === true;
      continue;
    }
    if (a === A.hibernate || (a instanceof Tuple && a.size === 2 && a.at(0) === A.hibernate && (a.at(1) === true || a.at(1) === false))) continue; // wait only
    if (a instanceof Tuple && a.size === 3 && a.at(0) === A.next_event) {
      if (enter || !isEventType(a.at(1))) bad(a);
      tr.nextEvents.push({ type: a.at(1), content: a.at(2) });
      continue;
    }
    if (isReplyAction(a)) {
      if (!sendReply(a.at(1), a.at(2))) bad(a);
      debug(m, tuple(A.out, a.at(2), a.at(1)));
      continue;
    }
    const t = parseTimeoutAction(a);
    if (t === undefined) bad(a);
    tr.timeouts.push(t!);
  }
}

/** A state callback's result, parsed. */
type Result =
  | { readonly kind: 'next'; readonly state: Term; readonly data: Term; readonly actions: Term; readonly repeat: boolean }
  | { readonly kind: 'stop'; readonly reason: Term; readonly data: Term; readonly replies: Term };

function parseResult(m: Machine, r: Term): Result | undefined {
  const keep = (data: Term, actions: Term, repeat: boolean): Result => ({ kind: 'next', state: m.state, data, actions, repeat });
  if (r === A.keep_state_and_data) return keep(m.data, [], false);
  if (r === A.repeat_state_and_data) return keep(m.data, [], true);
  if (!(r instanceof Tuple) || r.size < 2) return undefined;
  const tag = r.at(0);
  const n = r.size;
  if (tag === A.next_state && (n === 3 || n === 4)) return { kind: 'next', state: r.at(1), data: r.at(2), actions: n === 4 ? r.at(3) : [], repeat: false };
  if (tag === A.keep_state && (n === 2 || n === 3)) return keep(r.at(1), n === 3 ? r.at(2) : [], false);
  if (tag === A.repeat_state && (n === 2 || n === 3)) return keep(r.at(1), n === 3 ? r.at(2) : [], true);
  if (tag === A.keep_state_and_data && n === 2) return keep(m.data, r.at(1), false);
  if (tag === A.repeat_state_and_data && n === 2) return keep(m.data, r.at(1), true);
  if (tag === A.stop && (n === 2 || n === 3)) return { kind: 'stop', reason: r.at(1), data: n === 3 ? r.at(2) : m.data, replies: [] };
  if (tag === A.stop_and_reply && (n === 3 || n === 4)) return { kind: 'stop', reason: r.at(1), data: n === 4 ? r.at(3) : m.data, replies: r.at(2) };
  return undefined;
}

/** Sends the replies of a stop_and_reply (reply actions only). */
function stopReplies(m: Machine, replies: Term, enter: boolean): void {
  for (const a of Array.isArray(replies) ? (replies as Term[]) : [replies]) {
    if (!isReplyAction(a) || !sendReply(a.at(1), a.at(2))) {
      throw new EngineError(tuple(enter ? A.bad_state_enter_action_from_state_function : A.bad_action_from_state_function, a));
    }
    debug(m, tuple(A.out, (a as Tuple).at(2), (a as Tuple).at(1)));
  }
}

/**
 * Runs the state enter calls of a transition into `tr` (state_enter only): again as long as they
 * return repeat_state. Returns a Stop when an enter call stopped the server.
 */
function* enterCalls(m: Machine, oldState: Term, tr: Transition): ProcessGenerator<Stop | undefined> {
  for (;;) {
    const raw = yield* stateCallback(m, A.enter, oldState);
    const r = parseResult(m, raw);
    if (r === undefined || (r.kind === 'next' && !exactEquals(r.state, m.state))) {
      throw new EngineError(tuple(A.bad_state_enter_return_from_state_function, raw));
    }
    m.data = r.data;
    if (r.kind === 'stop') {
      stopReplies(m, r.replies, true);
      return { reason: r.reason, errorStack: undefined };
    }
    runActions(m, r.actions, tr, true);
    if (!r.repeat) return undefined;
  }
}

/**
 * Applies a state callback's result for `event` (undefined for init's {ok, State, Data, Actions}).
 * Returns a Stop, or undefined to go on.
 */
export function* transition(m: Machine, event: StatemEvent | undefined, raw: Term, init: boolean): ProcessGenerator<Stop | undefined> {
  let result: Result | undefined;
  if (init) result = { kind: 'next', state: m.state, data: m.data, actions: raw, repeat: false };
  else result = parseResult(m, raw);
  if (result === undefined) throw new EngineError(tuple(A.bad_return_from_state_function, raw));
  if (result.kind === 'stop') {
    m.data = result.data;
    stopReplies(m, result.replies, false);
    return { reason: result.reason, errorStack: undefined };
  }
  const tr: Transition = { postpone: false, nextEvents: [], timeouts: [] };
  runActions(m, result.actions, tr, false);
  const oldState = m.state;
  const changed = init || !exactEquals(result.state, oldState);
  m.data = result.data;
  if (event !== undefined && tr.postpone) m.postponed.push(event);
  if (changed && !init) {
    yield* cancelTimeout(m, A.state_timeout);
    m.queue = [...m.postponed, ...m.queue];
    m.postponed = [];
  }
  m.state = result.state;
  if (m.debug.active) {
    // As OTP: inserted events are logged as received when inserted (retried postponed ones are not).
    for (const ev of tr.nextEvents) debug(m, tuple(A.in, eventTerm(ev), m.state));
    // init's transition is the pseudo event {internal, init_state}, as OTP logs it.
    const ev = event !== undefined ? eventTerm(event) : tuple(A.internal, atom('init_state'));
    debug(m, tuple(event !== undefined && tr.postpone ? A.postponeEv : A.consume, ev, oldState, m.state));
  }
  if (m.stateEnter && (changed || result.repeat)) {
    const stop = yield* enterCalls(m, init ? m.state : oldState, tr);
    if (stop !== undefined) return stop;
  }
  m.queue = [...tr.nextEvents, ...m.queue];
  // Time-outs (OTP's rules, checked against erl): of several actions for one type the last
  // wins, at the place of that last one; each is applied to the time-outs running before this
  // transition (so `update` after `cancel` updates the running timer); the event time-out only
  // when no event is queued.
  const last = tr.timeouts.filter((t, i) => !tr.timeouts.some((u, j) => j > i && exactEquals(u.type, t.type)));
  if (m.debug.active) {
    // OTP logs the started time-outs last action first, the event time-out too.
    for (let i = last.length - 1; i >= 0; i--) {
      const t = last[i]!;
      if (t.op === 'start' && t.time !== 'infinity') debug(m, tuple(A.start_timer, tuple(t.type, t.time, t.content, []), m.state));
    }
  }
  for (const t of last) {
    if (t.type === A.timeout && m.queue.length > 0) continue;
    if (t.op === 'cancel' || (t.op === 'start' && t.time === 'infinity')) yield* cancelTimeout(m, t.type);
    else if (t.op === 'start') yield* startTimeout(m, t.type, t.time as number, t.content);
    else {
      const i = findTimeout(m, t.type);
      if (i >= 0) m.timeouts[i]!.content = t.content;
      else yield* startTimeout(m, t.type, 0, t.content);
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The loop

/**
 * The next event, or a Stop ('$gen_stop', the parent's exit). An event of the queue or the t0q
 * costs a reduction, as a receive does, and the process yields when its slice's budget is spent:
 * a machine that keeps inserting events (or loops through postpone and state changes, as OTP
 * allows) must not hold its scheduler.
 */
function* nextEvent(m: Machine): ProcessGenerator<StatemEvent | Stop> {
  if (m.queue.length > 0 || m.t0q.length > 0) {
    const proc = currentProcess('gen_statem');
    proc.budget -= 1;
    if (proc.budget <= 0) yield* yield_();
  }
  const queued = m.queue.shift();
  if (queued !== undefined) return queued;
  const t0 = m.t0q.shift();
  if (t0 !== undefined) {
    const i = findTimeout(m, t0);
    const [t] = m.timeouts.splice(i, 1);
    const ev = { type: t0, content: t!.content };
    debug(m, tuple(A.in, eventTerm(ev), m.state));
    return ev;
  }
  for (;;) {
    const { msg } = yield* receive((x: Term) => ({ msg: x }));
    if (msg instanceof Tuple && msg.size === 3 && msg.at(0) === A.system) {
      // sys: handled between events, from the mailbox only (as OTP's loop_receive).
      const r = yield* handleSystemMessage(msg.at(2), msg.at(1), m.adapter(m), m.debug);
      if (r !== undefined) return { reason: r.stop, errorStack: undefined };
      continue;
    }
    const ev = mailboxEvent(m, msg);
    if (m.debug.active && !isStop(ev)) debug(m, tuple(A.in, eventTerm(ev), m.state));
    return ev;
  }
}

/** The event a mailbox message is (or a Stop: '$gen_stop', the parent's exit). */
function mailboxEvent(m: Machine, msg: Term): StatemEvent | Stop {
  if (msg instanceof Tuple) {
    const tag = msg.at(0);
    if (msg.size === 3 && tag === A.gen_call) return { type: tuple(A.call, msg.at(1)), content: msg.at(2) };
    if (msg.size === 2 && tag === A.gen_cast) return { type: A.cast, content: msg.at(1) };
    if (msg.size === 2 && tag === A.gen_stop) return { reason: msg.at(1), errorStack: undefined };
    if (msg.size === 3 && tag === A.EXIT && msg.at(1) instanceof Pid && (msg.at(1) as Pid).equals(m.parent)) return { reason: msg.at(2), errorStack: undefined };
    if (msg.size === 3 && tag === A.timeout && msg.at(1) instanceof Ref) {
      const i = m.timeouts.findIndex((t) => t.ref !== undefined && t.ref.equals(msg.at(1) as Ref));
      if (i >= 0 && exactEquals(m.timeouts[i]!.type, msg.at(2))) {
        const [t] = m.timeouts.splice(i, 1);
        return { type: t!.type, content: t!.content };
      }
    }
  }
  return { type: A.info, content: msg };
}

function isStop(x: StatemEvent | Stop): x is Stop {
  return 'reason' in x;
}

/** Handles events until the server stops; returns the Stop. */
export function* serve(m: Machine): ProcessGenerator<Stop> {
  for (;;) {
    let stop: Stop | undefined;
    try {
      m.current = undefined;
      const ev = yield* nextEvent(m);
      if (isStop(ev)) return ev;
      m.current = ev;
      // Any event cancels the event time-out.
      if (ev.type !== A.timeout) yield* cancelTimeout(m, A.timeout);
      const raw = yield* stateCallback(m, ev.type, ev.content);
      stop = yield* transition(m, ev, raw, false);
    } catch (thrown) {
      stop = stopOf(thrown);
    }
    if (stop !== undefined) return stop;
  }
}

function isNormalReason(reason: Term): boolean {
  return reason === A.normal || reason === A.shutdown || (reason instanceof Tuple && reason.size === 2 && reason.at(0) === A.shutdown);
}

/**
 * terminate/3 (if exported), the error report of an abnormal end (gen_statem.ts builds it), then
 * the process ends: an exit with Reason, or for class error the error re-raised with its stack,
 * so proc_lib's crash report says "exception error" and the exit reason is {Reason, Stack}.
 * A crash in terminate/3 replaces the reason, as in OTP.
 */
export function* terminate(m: Machine, stop0: Stop, report: (m: Machine, stop: Stop, cls: 'error' | 'exit') => ProcessGenerator<void>): ProcessGenerator<never> {
  let stop = stop0;
  if (lookupExport(m.module, A.terminate) !== undefined) {
    try {
      yield* runCallback(m.module, A.terminate, [stop.reason, m.state, m.data]);
    } catch (thrown) {
      stop = stopOf(thrown);
    }
  }
  const cls = stop.errorStack === undefined ? 'exit' : 'error';
  // As OTP: a normal end is a {terminate, Reason, State} debug event; any other, the error report.
  if (cls === 'error' || !isNormalReason(stop.reason)) yield* report(m, stop, cls);
  else debug(m, tuple(A.terminateEv, stop.reason, m.state));
  if (cls === 'error') throw new ErlangException('error', stop.reason, undefined, stop.errorStack);
  exit(stop.reason);
}

/** Checks a timeout argument of the API. */
export function timeoutOf(value: unknown, where: string): number | 'infinity' {
  if (value === undefined || value === 'infinity' || value === A.infinity) return 'infinity';
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${where}: timeout must be a non-negative integer of ms or 'infinity'; received ${describeValue(value)}`);
  }
  return value;
}
