/**
 * supervisor: OTP's supervisor, as a gen_server (as in OTP) whose callback module is
 * `supervisor`, running the user's module's init/1 for its flags and child specs.
 *
 *     defineModule('my_sup', {
 *       init: () => tuple(atom('ok'), tuple({ strategy: atom('one_for_one'), intensity: 3, period: 5 }, [
 *         { id: atom('db'), start: tuple(atom('db_server'), atom('start_link'), []) },
 *       ])),
 *     });
 *     const result = yield* Supervisor.startLink('my_sup', [], { name: atom('my_sup') });
 *
 * Flags: a map {strategy, intensity, period} (defaults one_for_one, 1, 5) or the old tuple
 * {Strategy, Intensity, Period}. Child specs: maps {id, start: {M, F, A}, restart, shutdown,
 * type, modules} (defaults permanent, 5000 for a worker and infinity for a supervisor, worker,
 * [M]) or the old tuple {Id, {M, F, A}, Restart, Shutdown, Type, Modules}. A start function is an
 * export run inside the supervisor process (a generator is run with yield*, as gen_server's
 * startLink is) and returns {ok, Pid}, {ok, Pid, Info}, ignore or {error, Reason}; the child
 * must be linked to the supervisor (start_link functions are).
 *
 * Semantics (OTP's): children start in order and stop in reverse order. The supervisor traps
 * exits. When a child exits, its restart type decides: permanent always restarts, transient
 * restarts unless the reason is normal, shutdown or {shutdown, _}, temporary never (its spec is
 * dropped). The strategy decides what restarts: one_for_one the child; one_for_all every child
 * (the others are stopped first, in reverse order); rest_for_one the child and those started
 * after it; simple_one_for_one: one template, children added by start_child(Sup, ExtraArgs)
 * whose args are appended to the template's. More than `intensity` restarts within `period`
 * seconds: the supervisor stops every child and exits with reason `shutdown`. Shutdown of a
 * child: brutal_kill kills it; a number of ms sends exit(Child, shutdown) and kills it if it has
 * not exited by then; infinity waits. The supervisor's parent exit (or stop) stops all children.
 *
 * A restart that fails (the start function returns {error, R}, crashes, or returns garbage) is
 * retried as OTP 25 does: the failure is reported (start_error), the child is marked
 * `restarting` (which_children shows it so), and the supervisor casts itself {try_again_restart,
 * Id}; that retry counts toward the intensity like any restart, so a child that never starts
 * ends with the supervisor's shutdown after `intensity` + 1 attempts.
 *
 * Reports (logger.ts; OTP 25's exact fields): a supervisor report (error level, label
 * {supervisor, Context}) [{supervisor, SupName}, {errorContext, Context}, {reason, R},
 * {offender, [{pid, P}, {id, Id}, {mfargs, {M, F, A}}, {restart_type, T}, {significant, false},
 * {shutdown, S}, {child_type, worker | supervisor}]}] with Context start_error (a child that did
 * not start), child_terminated (a child exited, except a transient/temporary one with a normal
 * reason), shutdown (reason reached_max_restart_intensity) and shutdown_error (a child whose
 * shutdown ended with another reason than the expected shutdown / killed); a progress report
 * (info level, label {supervisor, progress}) [{supervisor, SupName}, {started, Offender}] for
 * each static child started. The offender's pid is the child's pid, its last pid when it has
 * none, or {restarting, LastPid} while a retry is pending, as OTP 25 reports. SupName is {local, Name}, {via, M, Name}, or {Pid, Module} when the
 * supervisor has no name.
 *
 * Differences from OTP: `auto_shutdown` and `significant` children are not supported
 * (reports say {significant, false}).
 *
 * Threads: module code; see gen_server.ts. Bad input: invalid flags or specs make init return
 * {error, Reason} as OTP does ({bad_start_spec, …}, {invalid_…, …}); start_child with an invalid
 * spec returns {error, Reason}.
 */
import { InvalidArgumentError, describeValue } from '../errors/index.js';
import {
  caught,
  defineModule,
  demonitor,
  exit,
  monitor,
  processFlag,
  receive,
  self,
  send,
  unlink,
  type ProcessGenerator,
} from '../process/index.js';
import { lookupExport } from '../process/module_registry.js';
import { Atom, atom, exactEquals, isPlainObject, Pid, Ref, Tuple, tuple, type Term } from '../term/index.js';
import { GenServer, type From, type ServerRef, type StartOptions } from './gen_server.js';
import { Logger } from './logger.js';

const A = {
  ok: atom('ok'),
  error: atom('error'),
  ignore: atom('ignore'),
  reply: atom('reply'),
  noreply: atom('noreply'),
  stop: atom('stop'),
  EXIT: atom('EXIT'),
  DOWN: atom('DOWN'),
  normal: atom('normal'),
  shutdown: atom('shutdown'),
  kill: atom('kill'),
  killed: atom('killed'),
  infinity: atom('infinity'),
  brutal_kill: atom('brutal_kill'),
  permanent: atom('permanent'),
  transient: atom('transient'),
  temporary: atom('temporary'),
  worker: atom('worker'),
  supervisor: atom('supervisor'),
  one_for_one: atom('one_for_one'),
  one_for_all: atom('one_for_all'),
  rest_for_one: atom('rest_for_one'),
  simple_one_for_one: atom('simple_one_for_one'),
  restarting: atom('restarting'),
  running: atom('running'),
  not_found: atom('not_found'),
  already_present: atom('already_present'),
  already_started: atom('already_started'),
  specs: atom('specs'),
  active: atom('active'),
  supervisors: atom('supervisors'),
  workers: atom('workers'),
  bad_start_spec: atom('bad_start_spec'),
  try_again_restart: atom('try_again_restart'),
  reached_max_restart_intensity: atom('reached_max_restart_intensity'),
};

type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one' | 'simple_one_for_one';

interface ChildSpec {
  readonly id: Term;
  readonly start: Tuple; // {M, F, A}
  readonly restart: Atom; // permanent | transient | temporary
  readonly shutdown: number | Atom; // ms | brutal_kill | infinity
  readonly type: Atom; // worker | supervisor
  readonly modules: Term;
}

interface Child {
  spec: ChildSpec;
  pid: Pid | undefined;
  /** A failed restart waits for its {try_again_restart, …} (which_children shows `restarting`). */
  restarting?: boolean;
  /** The pid it had before its last exit (the key of a dynamic child's retry). */
  oldPid?: Pid;
}

interface SupState {
  /** The name reports give: {local, Name}, {via, M, Name}, or {Pid, Module}. */
  readonly name: Term;
  readonly strategy: Strategy;
  readonly intensity: number;
  readonly periodMs: number;
  readonly children: Child[];
  /** simple_one_for_one: the template and the running instances. */
  readonly template: ChildSpec | undefined;
  readonly restarts: number[];
}

function specError(what: string, value: unknown): Term {
  return tuple(atom(`invalid_${what}`), value as Term);
}

/** Parses a child spec (map or tuple); a string on error (the caller wraps it in OTP's reason). */
function parseSpec(spec: Term): ChildSpec | Term {
  let id: Term;
  let start: Term;
  let restart: Term = A.permanent;
  let shutdown: Term = undefined;
  let type: Term = A.worker;
  let modules: Term = undefined;
  if (spec instanceof Tuple && spec.size === 6) {
    [id, start, restart, shutdown, type, modules] = spec.elements as Term[];
  } else if (isPlainObject(spec)) {
    const m = spec as Record<string, Term>;
    if (!('id' in m)) return tuple(atom('missing_id'), spec);
    if (!('start' in m)) return tuple(atom('missing_start'), spec);
    id = m.id;
    start = m.start;
    if ('restart' in m) restart = m.restart;
    if ('shutdown' in m) shutdown = m.shutdown;
    if ('type' in m) type = m.type;
    if ('modules' in m) modules = m.modules;
  } else {
    return specError('child_spec', spec);
  }
  if (!(start instanceof Tuple) || start.size !== 3 || !(start.at(0) instanceof Atom) || !(start.at(1) instanceof Atom) || !Array.isArray(start.at(2))) {
    return specError('mfa', start);
  }
  if (restart !== A.permanent && restart !== A.transient && restart !== A.temporary) return specError('restart_type', restart);
  if (type !== A.worker && type !== A.supervisor) return specError('child_type', type);
  if (shutdown === undefined) shutdown = type === A.worker ? 5000 : A.infinity;
  if (!(shutdown === A.brutal_kill || shutdown === A.infinity || (typeof shutdown === 'number' && Number.isSafeInteger(shutdown) && shutdown >= 0))) {
    return specError('shutdown', shutdown);
  }
  return { id, start, restart: restart as Atom, shutdown: shutdown as number | Atom, type: type as Atom, modules: modules ?? [start.at(0)] };
}

function isSpec(value: ChildSpec | Term): value is ChildSpec {
  return value !== null && typeof value === 'object' && 'start' in (value as object) && (value as { start: unknown }).start instanceof Tuple && 'restart' in (value as object);
}

function parseFlags(flags: Term): { strategy: Strategy; intensity: number; periodMs: number } | Term {
  let strategy: Term = A.one_for_one;
  let intensity: Term = 1;
  let period: Term = 5;
  if (flags instanceof Tuple && flags.size === 3) {
    [strategy, intensity, period] = flags.elements as Term[];
  } else if (isPlainObject(flags)) {
    const m = flags as Record<string, Term>;
    if ('strategy' in m) strategy = m.strategy;
    if ('intensity' in m) intensity = m.intensity;
    if ('period' in m) period = m.period;
  } else {
    return specError('sup_flags', flags);
  }
  if (!(strategy instanceof Atom) || !['one_for_one', 'one_for_all', 'rest_for_one', 'simple_one_for_one'].includes(strategy.name)) return specError('strategy', strategy);
  if (typeof intensity !== 'number' || !Number.isSafeInteger(intensity) || intensity < 0) return specError('intensity', intensity);
  if (typeof period !== 'number' || !Number.isSafeInteger(period) || period < 1) return specError('period', period);
  return { strategy: strategy.name as Strategy, intensity, periodMs: period * 1000 };
}

function sameId(a: Term, b: Term): boolean {
  return exactEquals(a, b);
}

function isIterator(value: unknown): value is Iterator<unknown, Term, unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { next?: unknown }).next === 'function';
}

/** Runs a child's start function in the supervisor: {ok, Pid} | ignore | {error, Reason}. */
function* startChild(spec: ChildSpec, extra: readonly Term[] = []): ProcessGenerator<Term> {
  const [m, f, args] = spec.start.elements as [Atom, Atom, Term[]];
  const all = [...args, ...extra];
  const fn = lookupExport(m, f);
  if (fn === undefined) return tuple(A.error, tuple(atom('undef'), [tuple(m, f, all, [])]));
  try {
    const result = (fn as (...a: readonly Term[]) => unknown)(...all);
    const value = isIterator(result) ? yield* result as unknown as ProcessGenerator<Term> : (result as Term);
    if (value instanceof Tuple && value.at(0) === A.ok && (value.size === 2 || value.size === 3) && value.at(1) instanceof Pid) return value;
    if (value === A.ignore) return A.ignore;
    if (value instanceof Tuple && value.size === 2 && value.at(0) === A.error) return value;
    return tuple(A.error, tuple(atom('bad_return_value'), value));
  } catch (thrown) {
    return tuple(A.error, caught(thrown).reason);
  }
}

/**
 * Stops one child as its shutdown says, and waits until it is gone (OTP's shutdown/2); a child
 * that ended with another reason than the one expected (shutdown; killed for brutal_kill) is
 * reported as shutdown_error (normal is fine for a non-permanent child, as in OTP).
 */
function* shutdownChild(state: { readonly name: Term }, child: Child): ProcessGenerator<void> {
  const pid = child.pid;
  child.pid = undefined;
  child.restarting = false;
  if (pid === undefined) return;
  child.oldPid = pid;
  const reason = yield* shutdownPid(child, pid);
  if (reason !== undefined && !(reason === A.normal && child.spec.restart !== A.permanent)) reportError(state, 'shutdown_error', reason, child, pid);
}

/** undefined when the child ended as expected, else the reason it ended with. */
function* shutdownPid(child: Child, pid: Pid): ProcessGenerator<Term | undefined> {
  const ref = monitor('process', pid);
  unlink(pid); // from now on its exit arrives as the 'DOWN' only
  // An {'EXIT', Pid, R} that arrived before the unlink: the child is already gone with R (OTP's
  // unlink_flush); its 'DOWN' says noproc, so R is the reason to judge.
  const early = yield* receive((m: Term) => (m instanceof Tuple && m.size === 3 && m.at(0) === A.EXIT && m.at(1) instanceof Pid && (m.at(1) as Pid).equals(pid) ? { r: m.at(2) } : undefined), 0);
  const waitDown = function* (ms: number | 'infinity'): ProcessGenerator<Term | undefined> {
    const got = yield* receive((m: Term) => (m instanceof Tuple && m.size === 5 && m.at(0) === A.DOWN && m.at(1) instanceof Ref && (m.at(1) as Ref).equals(ref) ? { r: m.at(4) } : undefined), ms);
    if (got === undefined) return undefined;
    return early !== undefined && got.r === atom('noproc') ? early.r : got.r;
  };
  const shutdown = child.spec.shutdown;
  if (shutdown === A.brutal_kill) {
    exit(pid, A.kill);
    const r = yield* waitDown('infinity');
    return r === A.killed ? undefined : r;
  }
  exit(pid, A.shutdown);
  let r = yield* waitDown(shutdown === A.infinity ? 'infinity' : (shutdown as number));
  if (r === undefined) {
    exit(pid, A.kill);
    r = yield* waitDown('infinity');
  }
  demonitor(ref, { flush: true });
  return r === A.shutdown ? undefined : r;
}

function* shutdownAll(state: { readonly name: Term }, children: readonly Child[]): ProcessGenerator<void> {
  for (let i = children.length - 1; i >= 0; i--) yield* shutdownChild(state, children[i]!);
}

/** Counts a restart; false when the intensity is exceeded (the supervisor must stop). */
function addRestart(state: SupState): boolean {
  const now = performance.now();
  state.restarts.push(now);
  while (state.restarts.length > 0 && now - state.restarts[0]! > state.periodMs) state.restarts.shift();
  return state.restarts.length <= state.intensity;
}

function transientDone(reason: Term): boolean {
  return reason === A.normal || reason === A.shutdown || (reason instanceof Tuple && reason.size === 2 && reason.at(0) === A.shutdown);
}

/** The extra args a simple_one_for_one child was started with (kept to restart it). */
const extraArgs = new WeakMap<Child, readonly Term[]>();

/** A report's pid of a child, as OTP 25 gives it: the pid, the last pid, or {restarting, LastPid} while a retry is pending. */
function offenderPid(child: Child): Term {
  if (child.restarting === true) return tuple(A.restarting, child.oldPid);
  return child.pid ?? child.oldPid;
}

/** OTP's extract_child/1: the offender / started list of a report. */
function extractChild(child: Child, pid: Term = offenderPid(child)): Term[] {
  const [m, f, args] = child.spec.start.elements as [Atom, Atom, Term[]];
  const extra = extraArgs.get(child);
  return [
    tuple(atom('pid'), pid),
    tuple(atom('id'), child.spec.id),
    tuple(atom('mfargs'), tuple(m, f, extra === undefined ? args : [...args, ...extra])),
    tuple(atom('restart_type'), child.spec.restart),
    tuple(atom('significant'), false),
    tuple(atom('shutdown'), child.spec.shutdown),
    tuple(atom('child_type'), child.spec.type),
  ];
}

const REPORT_META = { mfa: tuple(A.supervisor, atom('report_error'), 4), error_logger: { tag: A.error, type: atom('supervisor_report') } };

/** A supervisor report (errorContext start_error | child_terminated | shutdown | shutdown_error). */
function reportError(state: { readonly name: Term }, context: string, reason: Term, child: Child, pid?: Term): void {
  Logger.log(
    'error',
    { report: { label: tuple(A.supervisor, atom(context)), report: [tuple(A.supervisor, state.name), tuple(atom('errorContext'), atom(context)), tuple(atom('reason'), reason), tuple(atom('offender'), extractChild(child, pid))] } },
    REPORT_META,
  );
}

/** A progress report: the child started. */
function reportProgress(state: { readonly name: Term }, child: Child): void {
  Logger.log(
    'info',
    { report: { label: tuple(A.supervisor, atom('progress')), report: [tuple(A.supervisor, state.name), tuple(atom('started'), extractChild(child))] } },
    { mfa: tuple(A.supervisor, atom('report_progress'), 2), error_logger: { tag: atom('info_report'), type: atom('progress') } },
  );
}

/** Starts `child` again: true, or false after reporting start_error (the caller retries). */
function* restartOne(state: SupState, child: Child, extra: readonly Term[] | undefined): ProcessGenerator<boolean> {
  const result = yield* startChild(child.spec, extra);
  if (result instanceof Tuple && result.at(0) === A.ok) {
    child.pid = result.at(1) as Pid;
    child.restarting = false;
    if (state.strategy !== 'simple_one_for_one') reportProgress(state, child);
    return true;
  }
  child.pid = undefined;
  if (result === A.ignore) {
    child.restarting = false;
    return true;
  }
  reportError(state, 'start_error', (result as Tuple).at(1), child);
  child.restarting = true;
  return false;
}

/** The try_again_restart cast to self (OTP 25's supervisor:try_again_restart/1). */
function tryAgain(child: Child): void {
  send(self(), tuple(atom('$gen_cast'), tuple(A.try_again_restart, child.oldPid !== undefined && extraArgs.has(child) ? child.oldPid : child.spec.id)));
}

/**
 * OTP's restart/2: counts the restart (false: the intensity is exceeded, the supervisor must
 * shut down), then restarts per the strategy; a failed start is retried by a cast to self.
 */
function* restart(state: SupState, child: Child): ProcessGenerator<Term | undefined> {
  if (!addRestart(state)) {
    reportError(state, 'shutdown', A.reached_max_restart_intensity, child);
    yield* shutdownAll(state, state.children);
    return A.shutdown;
  }
  const index = state.children.indexOf(child);
  let group: Child[];
  switch (state.strategy) {
    case 'one_for_one':
    case 'simple_one_for_one':
      group = [child];
      break;
    case 'one_for_all':
      yield* shutdownAll(state, state.children.filter((c) => c !== child));
      group = [...state.children];
      break;
    case 'rest_for_one':
      yield* shutdownAll(state, state.children.slice(index + 1));
      group = state.children.slice(index);
      break;
  }
  for (let i = 0; i < group.length; i++) {
    const c = group[i]!;
    if (c.pid !== undefined) continue;
    if (!(yield* restartOne(state, c, extraArgs.get(c)))) {
      // As OTP: the failed child and those after it wait for the retry.
      for (const rest of group.slice(i + 1)) rest.restarting = true;
      tryAgain(c);
      break;
    }
  }
  return undefined;
}

/** Handles a child's exit per its restart type and the strategy (OTP's do_restart); returns a stop reason or undefined. */
function* childExited(state: SupState, pid: Pid, reason: Term): ProcessGenerator<Term | undefined> {
  const index = state.children.findIndex((c) => c.pid !== undefined && c.pid.equals(pid));
  if (index < 0) return undefined;
  const child = state.children[index]!;
  child.oldPid = pid;
  const restartType = child.spec.restart;
  if (restartType === A.temporary || (restartType === A.transient && transientDone(reason))) {
    if (restartType === A.temporary && !transientDone(reason)) reportError(state, 'child_terminated', reason, child);
    child.pid = undefined;
    if (restartType === A.temporary || state.strategy === 'simple_one_for_one') state.children.splice(index, 1);
    return undefined;
  }
  reportError(state, 'child_terminated', reason, child);
  child.pid = undefined;
  return yield* restart(state, child);
}

/** handle_cast({try_again_restart, Key}): retries a child whose restart failed. */
function* tryAgainRestart(state: SupState, key: Term): ProcessGenerator<Term | undefined> {
  const child = state.children.find((c) => c.restarting === true && (key instanceof Pid ? c.oldPid !== undefined && c.oldPid.equals(key) : sameId(c.spec.id, key)));
  if (child === undefined) return undefined;
  return yield* restart(state, child);
}

function findChild(state: SupState, ref: Term): number {
  if (ref instanceof Pid) return state.children.findIndex((c) => c.pid !== undefined && c.pid.equals(ref));
  return state.children.findIndex((c) => sameId(c.spec.id, ref));
}

function childInfo(c: Child): Tuple {
  // A stopped child: the atom undefined; one waiting for its retry: restarting.
  return tuple(c.spec.id, c.restarting === true ? A.restarting : c.pid, c.spec.type, c.spec.modules);
}

const stateOf = (s: Term): SupState => s as unknown as SupState;
const asTerm = (s: SupState): Term => s as unknown as Term;

// The supervisor's gen_server callbacks.
defineModule('supervisor', {
  *init(args: Tuple) {
    processFlag('trap_exit', true);
    const [module, initArgs, supName] = args.elements as [Atom, Term, Term];
    const name = supName instanceof Tuple ? supName : tuple(self(), module);
    let ret: Term;
    try {
      const fn = lookupExport(module, atom('init'));
      if (fn === undefined) return tuple(A.stop, tuple(atom('undef'), [tuple(module, atom('init'), [initArgs], [])]));
      const r = (fn as (a: Term) => unknown)(initArgs);
      ret = isIterator(r) ? yield* r as unknown as ProcessGenerator<Term> : (r as Term);
    } catch (thrown) {
      return tuple(A.stop, caught(thrown).reason);
    }
    if (ret === A.ignore) return A.ignore;
    if (!(ret instanceof Tuple) || ret.size !== 2 || ret.at(0) !== A.ok || !(ret.at(1) instanceof Tuple) || (ret.at(1) as Tuple).size !== 2) {
      return tuple(A.stop, tuple(atom('bad_return'), tuple(module, atom('init'), ret)));
    }
    const [flagsTerm, specsTerm] = (ret.at(1) as Tuple).elements as [Term, Term];
    const flags = parseFlags(flagsTerm);
    if (!('strategy' in (flags as object))) return tuple(A.stop, tuple(atom('supervisor_data'), flags as Term));
    const { strategy, intensity, periodMs } = flags as { strategy: Strategy; intensity: number; periodMs: number };
    if (!Array.isArray(specsTerm)) return tuple(A.stop, tuple(A.bad_start_spec, specsTerm));
    const specs: ChildSpec[] = [];
    for (const raw of specsTerm as Term[]) {
      const spec = parseSpec(raw);
      if (!isSpec(spec)) return tuple(A.stop, tuple(A.bad_start_spec, spec));
      if (specs.some((s) => sameId(s.id, spec.id))) return tuple(A.stop, tuple(A.bad_start_spec, tuple(atom('duplicate_child_name'), spec.id)));
      specs.push(spec);
    }
    if (strategy === 'simple_one_for_one' && specs.length !== 1) return tuple(A.stop, tuple(A.bad_start_spec, specsTerm));
    const state: SupState = { name, strategy, intensity, periodMs, children: [], template: strategy === 'simple_one_for_one' ? specs[0] : undefined, restarts: [] };
    if (strategy !== 'simple_one_for_one') {
      for (const spec of specs) {
        const child: Child = { spec, pid: undefined };
        const result = yield* startChild(spec);
        if (result instanceof Tuple && result.at(0) === A.ok) {
          child.pid = result.at(1) as Pid;
          state.children.push(child);
          reportProgress(state, child);
        } else if (result === A.ignore) {
          state.children.push(child);
        } else {
          reportError(state, 'start_error', (result as Tuple).at(1), child);
          yield* shutdownAll(state, state.children);
          return tuple(A.stop, tuple(atom('shutdown'), tuple(atom('failed_to_start_child'), spec.id, (result as Tuple).at(1))));
        }
      }
    }
    return tuple(A.ok, asTerm(state));
  },

  *handle_call(request: Tuple, _from: From, s: Term) {
    const state = stateOf(s);
    const op = (request.at(0) as Atom).name;
    const reply = (r: Term): Tuple => tuple(A.reply, r, s);
    switch (op) {
      case 'start_child': {
        if (state.strategy === 'simple_one_for_one') {
          const extra = request.at(1) as Term[];
          const child: Child = { spec: state.template!, pid: undefined };
          const result = yield* startChild(state.template!, extra);
          if (result instanceof Tuple && result.at(0) === A.ok) {
            child.pid = result.at(1) as Pid;
            extraArgs.set(child, extra);
            state.children.push(child);
          }
          return reply(result);
        }
        const spec = parseSpec(request.at(1));
        if (!isSpec(spec)) return reply(tuple(A.error, spec));
        const existing = state.children.find((c) => sameId(c.spec.id, spec.id));
        if (existing !== undefined) return reply(tuple(A.error, existing.pid !== undefined ? tuple(A.already_started, existing.pid) : A.already_present));
        const child: Child = { spec, pid: undefined };
        const result = yield* startChild(spec);
        if (result instanceof Tuple && result.at(0) === A.ok) {
          child.pid = result.at(1) as Pid;
          reportProgress(state, child);
        }
        if ((result instanceof Tuple && result.at(0) === A.ok) || result === A.ignore) state.children.push(child);
        return reply(result);
      }
      case 'terminate_child': {
        const index = findChild(state, request.at(1));
        if (index < 0) return reply(tuple(A.error, A.not_found));
        const child = state.children[index]!;
        yield* shutdownChild(state, child);
        if (state.strategy === 'simple_one_for_one' || child.spec.restart === A.temporary) state.children.splice(index, 1);
        return reply(A.ok);
      }
      case 'restart_child': {
        const index = findChild(state, request.at(1));
        if (index < 0 || state.strategy === 'simple_one_for_one') return reply(tuple(A.error, A.not_found));
        const child = state.children[index]!;
        if (child.pid !== undefined) return reply(tuple(A.error, A.running));
        if (child.restarting === true) return reply(tuple(A.error, A.restarting));
        const result = yield* startChild(child.spec);
        if (result instanceof Tuple && result.at(0) === A.ok) {
          child.pid = result.at(1) as Pid;
          reportProgress(state, child);
        }
        return reply(result);
      }
      case 'delete_child': {
        const index = findChild(state, request.at(1));
        if (index < 0 || state.strategy === 'simple_one_for_one') return reply(tuple(A.error, A.not_found));
        if (state.children[index]!.pid !== undefined) return reply(tuple(A.error, A.running));
        if (state.children[index]!.restarting === true) return reply(tuple(A.error, A.restarting));
        state.children.splice(index, 1);
        return reply(A.ok);
      }
      case 'which_children':
        return reply(state.children.map(childInfo));
      case 'count_children': {
        const specs = state.strategy === 'simple_one_for_one' ? 1 : state.children.length;
        const active = state.children.filter((c) => c.pid !== undefined).length;
        const supervisors = state.children.filter((c) => c.spec.type === A.supervisor).length;
        return reply([tuple(A.specs, specs), tuple(A.active, active), tuple(A.supervisors, supervisors), tuple(A.workers, state.children.length - supervisors)]);
      }
      default:
        return reply(tuple(A.error, tuple(atom('bad_request'), request)));
    }
  },

  *handle_cast(request: Term, s: Term) {
    if (request instanceof Tuple && request.size === 2 && request.at(0) === A.try_again_restart) {
      const stopReason = yield* tryAgainRestart(stateOf(s), request.at(1));
      if (stopReason !== undefined) return tuple(A.stop, stopReason, s);
    }
    return tuple(A.noreply, s);
  },

  *handle_info(info: Term, s: Term) {
    const state = stateOf(s);
    if (info instanceof Tuple && info.size === 3 && info.at(0) === A.EXIT && info.at(1) instanceof Pid) {
      const stopReason = yield* childExited(state, info.at(1) as Pid, info.at(2));
      if (stopReason !== undefined) return tuple(A.stop, stopReason, s);
    }
    return tuple(A.noreply, s);
  },

  *terminate(_reason: Term, s: Term) {
    const state = stateOf(s);
    yield* shutdownAll(state, state.children);
    return A.ok;
  },
});

function checkSup(sup: unknown): ServerRef {
  if (!(sup instanceof Pid) && !(sup instanceof Atom) && !(sup instanceof Tuple)) {
    throw new InvalidArgumentError(`supervisor: a supervisor is a pid or a registered name; received ${describeValue(sup)}`);
  }
  return sup;
}

/** The supervisor API, used with yield* inside processes. */
export const Supervisor = {
  /** supervisor:start_link(Module, Args[, {name}]): {ok, Pid} | ignore | {error, Reason}. */
  *startLink(module: Atom | string, args: Term = [], options: StartOptions = {}): ProcessGenerator<Term> {
    const mod = typeof module === 'string' ? atom(module) : module;
    const name = options.name instanceof Atom ? tuple(atom('local'), options.name) : options.name;
    return yield* GenServer.startLink('supervisor', tuple(mod, args, name), { timeout: 'infinity', ...options });
  },
  /** supervisor:start_child(Sup, ChildSpec | ExtraArgs). */
  *startChild(sup: ServerRef, specOrArgs: Term): ProcessGenerator<Term> {
    return yield* GenServer.call(checkSup(sup), tuple(atom('start_child'), specOrArgs), 'infinity');
  },
  /** supervisor:terminate_child(Sup, Id | Pid). */
  *terminateChild(sup: ServerRef, idOrPid: Term): ProcessGenerator<Term> {
    return yield* GenServer.call(checkSup(sup), tuple(atom('terminate_child'), idOrPid), 'infinity');
  },
  /** supervisor:restart_child(Sup, Id). */
  *restartChild(sup: ServerRef, id: Term): ProcessGenerator<Term> {
    return yield* GenServer.call(checkSup(sup), tuple(atom('restart_child'), id), 'infinity');
  },
  /** supervisor:delete_child(Sup, Id). */
  *deleteChild(sup: ServerRef, id: Term): ProcessGenerator<Term> {
    return yield* GenServer.call(checkSup(sup), tuple(atom('delete_child'), id), 'infinity');
  },
  /** supervisor:which_children(Sup): [{Id, Child, Type, Modules}]. */
  *whichChildren(sup: ServerRef): ProcessGenerator<Term> {
    return yield* GenServer.call(checkSup(sup), tuple(atom('which_children')), 'infinity');
  },
  /** supervisor:count_children(Sup): [{specs, N}, {active, N}, {supervisors, N}, {workers, N}]. */
  *countChildren(sup: ServerRef): ProcessGenerator<Term> {
    return yield* GenServer.call(checkSup(sup), tuple(atom('count_children')), 'infinity');
  },
  /** supervisor:check_childspecs(Specs): ok | {error, Reason}. */
  checkChildspecs(specs: Term): Term {
    if (!Array.isArray(specs)) return tuple(A.error, tuple(A.bad_start_spec, specs));
    const seen: Term[] = [];
    for (const raw of specs as Term[]) {
      const spec = parseSpec(raw);
      if (!isSpec(spec)) return tuple(A.error, spec);
      if (seen.some((id) => sameId(id, spec.id))) return tuple(A.error, tuple(atom('duplicate_child_name'), spec.id));
      seen.push(spec.id);
    }
    return A.ok;
  },
};
