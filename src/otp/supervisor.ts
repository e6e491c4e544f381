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
 * Differences from OTP: no reports to a logger yet (supervisor reports belong with the logger
 * of the behaviours issue); `auto_shutdown` and `significant` children are not supported.
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
  unlink,
  type ProcessGenerator,
} from '../process/index.js';
import { lookupExport } from '../process/module_registry.js';
import { Atom, atom, exactEquals, isPlainObject, Pid, Ref, Tuple, tuple, type Term } from '../term/index.js';
import { GenServer, type From, type ServerRef, type StartOptions } from './gen_server.js';

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
}

interface SupState {
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

/** Stops one child as its shutdown says, and waits until it is gone (OTP's shutdown/2). */
function* shutdownChild(child: Child): ProcessGenerator<void> {
  const pid = child.pid;
  child.pid = undefined;
  if (pid === undefined) return;
  const ref = monitor('process', pid);
  unlink(pid); // from now on its exit arrives as the 'DOWN' only
  // An {'EXIT', Pid, _} that arrived before the unlink is stale: drop it.
  yield* receive((m: Term) => (m instanceof Tuple && m.size === 3 && m.at(0) === A.EXIT && m.at(1) instanceof Pid && (m.at(1) as Pid).equals(pid) ? { m } : undefined), 0);
  const waitDown = (ms: number | 'infinity'): ProcessGenerator<Term | undefined> =>
    receive((m: Term) => (m instanceof Tuple && m.size === 5 && m.at(0) === A.DOWN && m.at(1) instanceof Ref && (m.at(1) as Ref).equals(ref) ? { m } : undefined), ms) as unknown as ProcessGenerator<Term | undefined>;
  const shutdown = child.spec.shutdown;
  if (shutdown === A.brutal_kill) {
    exit(pid, A.kill);
    yield* waitDown('infinity');
    return;
  }
  exit(pid, A.shutdown);
  const down = yield* waitDown(shutdown === A.infinity ? 'infinity' : (shutdown as number));
  if (down === undefined) {
    exit(pid, A.kill);
    yield* waitDown('infinity');
  }
  demonitor(ref, { flush: true });
}

function* shutdownAll(children: readonly Child[]): ProcessGenerator<void> {
  for (let i = children.length - 1; i >= 0; i--) yield* shutdownChild(children[i]!);
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

/** Starts `child` again; on failure schedules another try (counted against the intensity). */
function* restartOne(child: Child, extra: readonly Term[] | undefined): ProcessGenerator<void> {
  const result = yield* startChild(child.spec, extra);
  if (result instanceof Tuple && result.at(0) === A.ok) child.pid = result.at(1) as Pid;
  else child.pid = undefined;
}

/** The extra args a simple_one_for_one child was started with (kept to restart it). */
const extraArgs = new WeakMap<Child, readonly Term[]>();

/** Handles a child's exit per its restart type and the strategy; returns a stop reason or undefined. */
function* childExited(state: SupState, pid: Pid, reason: Term): ProcessGenerator<Term | undefined> {
  const index = state.children.findIndex((c) => c.pid !== undefined && c.pid.equals(pid));
  if (index < 0) return undefined;
  const child = state.children[index]!;
  child.pid = undefined;
  const restart = child.spec.restart;
  if (restart === A.temporary || (restart === A.transient && transientDone(reason))) {
    if (restart === A.temporary || state.strategy === 'simple_one_for_one') state.children.splice(index, 1);
    return undefined;
  }
  if (!addRestart(state)) {
    yield* shutdownAll(state.children);
    return A.shutdown;
  }
  switch (state.strategy) {
    case 'one_for_one':
    case 'simple_one_for_one':
      yield* restartOne(child, extraArgs.get(child));
      break;
    case 'one_for_all':
      yield* shutdownAll(state.children);
      for (const c of state.children) yield* restartOne(c, extraArgs.get(c));
      break;
    case 'rest_for_one': {
      const rest = state.children.slice(index + 1);
      yield* shutdownAll(rest);
      for (const c of state.children.slice(index)) yield* restartOne(c, extraArgs.get(c));
      break;
    }
  }
  return undefined;
}

function findChild(state: SupState, ref: Term): number {
  if (ref instanceof Pid) return state.children.findIndex((c) => c.pid !== undefined && c.pid.equals(ref));
  return state.children.findIndex((c) => sameId(c.spec.id, ref));
}

function childInfo(c: Child): Tuple {
  return tuple(c.spec.id, c.pid, c.spec.type, c.spec.modules); // a stopped child: the atom undefined
}

const stateOf = (s: Term): SupState => s as unknown as SupState;
const asTerm = (s: SupState): Term => s as unknown as Term;

// The supervisor's gen_server callbacks.
defineModule('supervisor', {
  *init(args: Tuple) {
    processFlag('trap_exit', true);
    const [module, initArgs] = args.elements as [Atom, Term];
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
    const state: SupState = { strategy, intensity, periodMs, children: [], template: strategy === 'simple_one_for_one' ? specs[0] : undefined, restarts: [] };
    if (strategy !== 'simple_one_for_one') {
      for (const spec of specs) {
        const child: Child = { spec, pid: undefined };
        const result = yield* startChild(spec);
        if (result instanceof Tuple && result.at(0) === A.ok) {
          child.pid = result.at(1) as Pid;
          state.children.push(child);
        } else if (result === A.ignore) {
          state.children.push(child);
        } else {
          yield* shutdownAll(state.children);
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
        if (result instanceof Tuple && result.at(0) === A.ok) child.pid = result.at(1) as Pid;
        if ((result instanceof Tuple && result.at(0) === A.ok) || result === A.ignore) state.children.push(child);
        return reply(result);
      }
      case 'terminate_child': {
        const index = findChild(state, request.at(1));
        if (index < 0) return reply(tuple(A.error, A.not_found));
        const child = state.children[index]!;
        yield* shutdownChild(child);
        if (state.strategy === 'simple_one_for_one' || child.spec.restart === A.temporary) state.children.splice(index, 1);
        return reply(A.ok);
      }
      case 'restart_child': {
        const index = findChild(state, request.at(1));
        if (index < 0 || state.strategy === 'simple_one_for_one') return reply(tuple(A.error, A.not_found));
        const child = state.children[index]!;
        if (child.pid !== undefined) return reply(tuple(A.error, A.running));
        const result = yield* startChild(child.spec);
        if (result instanceof Tuple && result.at(0) === A.ok) child.pid = result.at(1) as Pid;
        return reply(result);
      }
      case 'delete_child': {
        const index = findChild(state, request.at(1));
        if (index < 0 || state.strategy === 'simple_one_for_one') return reply(tuple(A.error, A.not_found));
        if (state.children[index]!.pid !== undefined) return reply(tuple(A.error, A.running));
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

  handle_cast(_request: Term, s: Term) {
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
    yield* shutdownAll(state.children);
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
    return yield* GenServer.startLink('supervisor', tuple(mod, args), { timeout: 'infinity', ...options });
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
