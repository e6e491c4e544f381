/**
 * proc_lib: OTP's process starter for OTP-compliant processes: spawn with ancestors and initial
 * call in the process dictionary, synchronous start with init acknowledgement, crash reports.
 *
 *     const pid = ProcLib.spawnLink('my_mod', 'loop', [arg]);
 *     const ret = yield* ProcLib.startLink('my_mod', 'init', [arg], 1000);  // blocks until…
 *     // …in my_mod:init:  ProcLib.initAck(tuple(atom('ok'), self()));
 *
 * Spawn: the process runs proc_lib:init_p(Parent, Ancestors, M, F, A) (so process_info's
 * initial_call is {proc_lib, init_p, 5}, as in OTP), which puts '$ancestors' = [Parent | the
 * parent's '$ancestors'] (Parent is the spawner's registered name if it has one, else its pid)
 * and '$initial_call' = {M, F, Arity} (or what defineInitialCall says: {Module, init, 1} for a
 * gen_server, as OTP's trans_init) in the dictionary, then runs M:F(A...) (a generator is run
 * with yield*).
 *
 * Start (OTP 25's proc_lib:start/start_link/start_monitor, with OTP 26's init_fail):
 *   - waits for {ack, Pid, Ret} (initAck(Ret)) and returns Ret; or {nack, Pid, Ret}
 *     (initFail(Ret, Class, Reason)), then waits until the child is gone and returns Ret;
 *   - the child dies before acking: start returns {error, Reason} (its monitor); startLink
 *     returns {error, Reason} too and, if the caller traps exits, removes the child's
 *     {'EXIT', Pid, Reason} from its mailbox (OTP 25 receives it); a caller that does not trap
 *     exits dies of the link first when Reason is abnormal, as in OTP. (OTP 25's start_link
 *     hangs until its timeout when a non-trapping caller's child exits `normal` before acking;
 *     beamjs watches the child with a monitor and returns {error, normal}.) startMonitor
 *     returns {{error, Reason}, Ref} and puts the 'DOWN' back into the caller's mailbox;
 *   - the timeout passes: the child is unlinked and killed (kill_flush), {error, timeout}.
 *
 * Crash reports: a proc_lib process that ends with an exception whose exit reason is not
 * normal, shutdown or {shutdown, _} logs OTP's crash report (logger error event, label
 * {proc_lib, crash}) and then exits with that reason (class exit: the runtime does not report
 * it a second time). Its fields: initial_call, pid, registered_name, error_info {Class, Reason,
 * Stack}, ancestors, message_queue_len, messages, links, dictionary (without '$ancestors' and
 * '$initial_call'), trap_exit, status, reductions. Not known to beamjs, so absent: heap_size and
 * stack_size (a generator has no heap of its own), and the neighbours' details (the list is
 * empty). The stack is beamjs's one-frame Erlang stack (exception.ts).
 *
 * Threads: module code, inside processes; the proc_lib module is defined on every scheduler
 * thread (src/otp/index.ts), so a proc_lib process started from an export is portable.
 * Bad input: module/function names and args are checked as spawn does (InvalidArgumentError).
 */
import { InvalidArgumentError, describeValue } from '../errors/index.js';
import {
  caught,
  defineModule,
  demonitor,
  exit,
  get,
  monitor,
  processInfo,
  put,
  receive,
  self,
  send,
  spawnOpt,
  unlink,
  ErlangException,
  type ProcessGenerator,
  type SpawnOptions,
} from '../process/index.js';
import { lookupExport } from '../process/module_registry.js';
import { Atom, atom, Pid, Ref, Tuple, tuple, type Term } from '../term/index.js';
import { Logger } from './logger.js';

const A = {
  ancestors: atom('$ancestors'),
  initial_call: atom('$initial_call'),
  ack: atom('ack'),
  nack: atom('nack'),
  error: atom('error'),
  timeout: atom('timeout'),
  kill: atom('kill'),
  normal: atom('normal'),
  shutdown: atom('shutdown'),
  EXIT: atom('EXIT'),
  DOWN: atom('DOWN'),
  proc_lib: atom('proc_lib'),
  crash: atom('crash'),
  undef: atom('undef'),
  nocatch: atom('nocatch'),
  registered_name: atom('registered_name'),
  init_p: atom('init_p'),
};

const ITEMS = ['registered_name', 'message_queue_len', 'messages', 'links', 'dictionary', 'trap_exit', 'status', 'reductions'] as const;

function nameOf(value: unknown, where: string, what: string): Atom {
  const a = typeof value === 'string' ? atom(value) : value;
  if (!(a instanceof Atom)) throw new InvalidArgumentError(`${where}: ${what} must be a name (string or Atom); received ${describeValue(value)}`);
  return a;
}

function check(where: string, module: unknown, fun: unknown, args: unknown): [Atom, Atom, Term[]] {
  const m = nameOf(module, where, 'module');
  const f = nameOf(fun, where, 'function');
  if (!Array.isArray(args)) throw new InvalidArgumentError(`${where}: args must be an array (the argument list); received ${describeValue(args)}`);
  return [m, f, args as Term[]];
}

/** process_info(self(), Item): always answered at once (the caller is local to itself). */
function selfInfo(item: 'registered_name'): Term {
  const step = processInfo(self(), item)[Symbol.iterator]().next();
  const info = step.done === true ? step.value : undefined;
  return info instanceof Tuple ? info.at(1) : undefined;
}

/** The spawner as OTP's get_my_name/0 and get_ancestors/0 see it. */
function parentAndAncestors(): [Term, Term[]] {
  const name = selfInfo('registered_name');
  const ancestors = get(A.ancestors);
  return [name instanceof Atom ? name : self(), Array.isArray(ancestors) ? (ancestors as Term[]) : []];
}

function isNormalExit(reason: Term): boolean {
  return reason === A.normal || reason === A.shutdown || (reason instanceof Tuple && reason.size === 2 && reason.at(0) === A.shutdown);
}

function isIterator(value: unknown): value is Iterator<unknown, Term, unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { next?: unknown }).next === 'function';
}

/** Logs the crash report of the calling process (see the header). */
function* crashReport(cls: string, reason: Term, stack: Term): ProcessGenerator<void> {
  const info = ((yield* processInfo(self(), [...ITEMS])) ?? []) as Tuple[];
  const item = (k: string): Term => info.find((t) => (t.at(0) as Atom).name === k)?.at(1);
  const dict = (item('dictionary') as Tuple[] | undefined ?? []).filter((t) => t.at(0) !== A.ancestors && t.at(0) !== A.initial_call);
  const ancestors = get(A.ancestors);
  const crasher: Term[] = [
    tuple(atom('initial_call'), get(A.initial_call) ?? A.undef),
    tuple(atom('pid'), self()),
    tuple(atom('registered_name'), item('registered_name') ?? []),
    tuple(atom('error_info'), tuple(atom(cls), reason, stack)),
    tuple(atom('ancestors'), Array.isArray(ancestors) ? ancestors : []),
    tuple(atom('message_queue_len'), item('message_queue_len') ?? 0),
    tuple(atom('messages'), item('messages') ?? []),
    tuple(atom('links'), item('links') ?? []),
    tuple(atom('dictionary'), dict),
    tuple(atom('trap_exit'), item('trap_exit') ?? false),
    tuple(atom('status'), atom('running')),
    tuple(atom('reductions'), item('reductions') ?? 0),
  ];
  Logger.log('error', { report: { label: tuple(A.proc_lib, A.crash), report: [crasher, []] } }, { mfa: tuple(A.proc_lib, atom('crash_report'), 4), error_logger: { tag: atom('error_report'), type: atom('crash_report') } });
}

defineModule('proc_lib', {
  /** The body of every proc_lib process (see the header). */
  *init_p(parent: Term, ancestors: Term[], module: Atom, fun: Atom, args: Term[]) {
    put(A.ancestors, [parent, ...ancestors]);
    put(A.initial_call, translateInitialCall(module, fun, args));
    try {
      const fn = lookupExport(module, fun);
      if (fn === undefined) throw new ErlangException('error', A.undef, `undef: ${module.name}:${fun.name}/${args.length}`, [tuple(module, fun, args, [])]);
      const result = (fn as (...a: readonly Term[]) => unknown)(...args);
      if (isIterator(result)) yield* result as unknown as ProcessGenerator<Term>;
    } catch (thrown) {
      const c = caught(thrown);
      const stack = c.erlangStack ?? [tuple(module, fun, args.length, [])];
      const reason = c.class === 'exit' ? c.reason : c.class === 'error' ? tuple(c.reason, stack) : tuple(tuple(A.nocatch, c.reason), stack);
      if (c.class !== 'exit' || !isNormalExit(reason)) yield* crashReport(c.class, c.class === 'throw' ? c.reason : c.reason, stack);
      exit(reason);
    }
  },
});

type Linkage = 'none' | 'link' | 'monitor';

function doSpawn(where: string, module: unknown, fun: unknown, args: unknown, options: SpawnOptions, parent: Term, ancestors: Term[]): Pid | Tuple<readonly [Pid, Ref]> {
  const [m, f, a] = check(where, module, fun, args);
  return spawnOpt(A.proc_lib, A.init_p, [parent, ancestors, m, f, a], options);
}

/** OTP's trans_init: what '$initial_call' records for M:F(A) (gen_server: {Module, init, 1}). */
const translators = new Map<string, (args: readonly Term[]) => Term>();

function translateInitialCall(module: Atom, fun: Atom, args: readonly Term[]): Term {
  const translate = translators.get(`${module.name}:${fun.name}`);
  return translate !== undefined ? translate(args) : tuple(module, fun, args.length);
}

/**
 * Says what '$initial_call' records for processes started as module:fun(args) (OTP's
 * trans_init does it for gen:init_it). Call it at module load, so every thread has it.
 */
export function defineInitialCall(module: Atom, fun: Atom, translate: (args: readonly Term[]) => Term): void {
  translators.set(`${module.name}:${fun.name}`, translate);
}

function timeoutOf(value: unknown, where: string): number | 'infinity' {
  if (value === undefined || value === 'infinity' || (value instanceof Atom && value.name === 'infinity')) return 'infinity';
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${where}: timeout must be a non-negative integer of ms or 'infinity'; received ${describeValue(value)}`);
  }
  return value;
}

function* syncStart(where: string, linkage: Linkage, module: unknown, fun: unknown, args: unknown, timeoutValue: unknown): ProcessGenerator<{ ret: Term; ref: Ref | undefined }> {
  const timeout = timeoutOf(timeoutValue, where);
  const [parent, ancestors] = parentAndAncestors();
  const spawned = doSpawn(where, module, fun, args, { link: linkage === 'link', monitor: linkage === 'monitor' }, parent, ancestors);
  const [pid, userRef] = spawned instanceof Tuple ? (spawned.elements as unknown as [Pid, Ref]) : [spawned, undefined];
  const watch = userRef ?? monitor('process', pid);
  const got = yield* receive(
    {
      match: (m: Term) => {
        if (!(m instanceof Tuple)) return undefined;
        if (m.size === 3 && (m.at(0) === A.ack || m.at(0) === A.nack) && m.at(1) instanceof Pid && (m.at(1) as Pid).equals(pid)) return { kind: m.at(0) as Atom, ret: m.at(2) };
        if (m.size === 5 && m.at(0) === A.DOWN && m.at(1) instanceof Ref && (m.at(1) as Ref).equals(watch)) return { down: m.at(4), message: m };
        return undefined;
      },
      requiredRefs: [watch],
    },
    timeout,
  );
  const flushExit = function* (): ProcessGenerator<void> {
    if (linkage !== 'link') return;
    yield* receive((m: Term) => (m instanceof Tuple && m.size === 3 && m.at(0) === A.EXIT && m.at(1) instanceof Pid && (m.at(1) as Pid).equals(pid) ? { m } : undefined), 0);
  };
  if (got === undefined) {
    // kill_flush: the caller must not die of the link to a child it gave up on.
    unlink(pid);
    exit(pid, A.kill);
    if (userRef === undefined) demonitor(watch, { flush: true });
    yield* flushExit();
    return { ret: tuple(A.error, A.timeout), ref: userRef };
  }
  if ('down' in got) {
    yield* flushExit();
    if (userRef !== undefined) send(self(), got.message); // OTP's start_monitor puts the 'DOWN' back
    return { ret: tuple(A.error, got.down), ref: userRef };
  }
  if (got.kind === A.nack) {
    // init_fail: the child raises after the nack; the start returns once it is gone.
    yield* receive((m: Term) => (m instanceof Tuple && m.size === 5 && m.at(0) === A.DOWN && m.at(1) instanceof Ref && (m.at(1) as Ref).equals(watch) ? { m } : undefined));
    if (userRef !== undefined) send(self(), tuple(A.DOWN, watch, atom('process'), pid, A.normal));
    yield* flushExit();
    return { ret: got.ret, ref: userRef };
  }
  if (userRef === undefined) demonitor(watch, { flush: true });
  return { ret: got.ret, ref: userRef };
}

/** The proc_lib API (start functions are used with yield*). */
export const ProcLib = {
  /** proc_lib:spawn(M, F, A). */
  spawn(module: Atom | string, fun: Atom | string, args: readonly Term[] = []): Pid {
    const [parent, ancestors] = parentAndAncestors();
    return doSpawn('proc_lib:spawn', module, fun, args, {}, parent, ancestors) as Pid;
  },
  /** proc_lib:spawn_link(M, F, A). */
  spawnLink(module: Atom | string, fun: Atom | string, args: readonly Term[] = []): Pid {
    const [parent, ancestors] = parentAndAncestors();
    return doSpawn('proc_lib:spawn_link', module, fun, args, { link: true }, parent, ancestors) as Pid;
  },
  /** proc_lib:spawn_opt(M, F, A, Opts): Pid, or {Pid, Ref} with monitor. */
  spawnOpt(module: Atom | string, fun: Atom | string, args: readonly Term[], options: SpawnOptions): Pid | Tuple<readonly [Pid, Ref]> {
    const [parent, ancestors] = parentAndAncestors();
    return doSpawn('proc_lib:spawn_opt', module, fun, args, options, parent, ancestors);
  },
  /** proc_lib:start(M, F, A[, Timeout]): Ret of initAck(Ret) (see the header). */
  *start(module: Atom | string, fun: Atom | string, args: readonly Term[] = [], timeout: number | 'infinity' = 'infinity'): ProcessGenerator<Term> {
    return (yield* syncStart('proc_lib:start', 'none', module, fun, args, timeout)).ret;
  },
  /** proc_lib:start_link(M, F, A[, Timeout]). */
  *startLink(module: Atom | string, fun: Atom | string, args: readonly Term[] = [], timeout: number | 'infinity' = 'infinity'): ProcessGenerator<Term> {
    return (yield* syncStart('proc_lib:start_link', 'link', module, fun, args, timeout)).ret;
  },
  /** proc_lib:start_monitor(M, F, A[, Timeout]): {Ret, MonitorRef}. */
  *startMonitor(module: Atom | string, fun: Atom | string, args: readonly Term[] = [], timeout: number | 'infinity' = 'infinity'): ProcessGenerator<Tuple> {
    const { ret, ref } = yield* syncStart('proc_lib:start_monitor', 'monitor', module, fun, args, timeout);
    return tuple(ret, ref!);
  },
  /** proc_lib:init_ack([Parent, ]Ret): tells the starter that init is done. */
  initAck(...args: [Term] | [Pid | Atom, Term]): Atom {
    const [parent, ret] = args.length === 2 ? args : [firstAncestor('proc_lib:init_ack'), args[0]];
    send(parent, tuple(A.ack, self(), ret));
    return atom('ok');
  },
  /** proc_lib:init_fail([Parent, ]Ret, {Class, Reason}) (OTP 26): the start returns Ret, then this process raises. */
  initFail(ret: Term, exception: { readonly class: 'error' | 'exit' | 'throw'; readonly reason: Term }, parent?: Pid | Atom): never {
    send(parent ?? firstAncestor('proc_lib:init_fail'), tuple(A.nack, self(), ret));
    throw new ErlangException(exception.class, exception.reason);
  },
  /** proc_lib:translate_initial_call/1 for the calling process: '$initial_call', or {erlang, apply, 2}. */
  initialCall(): Term {
    return get(A.initial_call) ?? tuple(atom('erlang'), atom('apply'), 2);
  },
};

function firstAncestor(where: string): Pid | Atom {
  const ancestors = get(A.ancestors);
  const first = Array.isArray(ancestors) ? (ancestors as Term[])[0] : undefined;
  if (!(first instanceof Pid) && !(first instanceof Atom)) throw new InvalidArgumentError(`${where}: the calling process was not started by proc_lib (no '$ancestors'); pass the parent`);
  return first;
}

// Kept for readers of the dictionary keys.
export const PROC_LIB_KEYS = { ancestors: A.ancestors, initialCall: A.initial_call } as const;
