/**
 * The process API: Erlang's process BIFs as TypeScript functions acting on the current process
 * (the one whose slice is running). Names follow one rule: Erlang's snake_case name in
 * camelCase (is_process_alive -> isProcessAlive, spawn_link -> spawnLink); a name that is a JS
 * keyword gets a trailing underscore (throw -> throw_, yield -> yield_). Atoms are `Atom`s
 * (`atom('kvs')`), pids `Pid`s; Erlang options lists become option objects
 * (spawn_opt(F, [link, {priority, high}]) -> spawnOpt(f, { link: true, priority: 'high' })).
 *
 * Each function documents the Erlang semantics it implements; they were checked against
 * OTP 25 (`erl`). Errors Erlang reports as `badarg` throw InvalidArgumentError with a message
 * naming the argument (a process that does not catch it exits with {badarg, Stack});
 * `system_limit` is a BeamError with code SYSTEM_LIMIT. Called outside a process, every
 * function throws NOT_IN_PROCESS (use the VM's methods from the embedding side).
 *
 * Threads: scheduler thread, inside a process. Ownership: messages are passed by reference
 * (immutable by contract), not copied.
 */
import { InvalidArgumentError, describeValue } from '../errors/index.js';
import type { Priority } from '../sched/index.js';
import { Atom, atom, Pid, Ref, Tuple, tuple, type Term } from '../term/index.js';
import { A_NOPROC, A_NORMAL } from './atoms.js';
import { ProcessDictionary } from './dictionary.js';
import { ErlangException, raiseExit } from './exception.js';
import { lookupExport, nameAtom, type ProcessFunction } from './module_registry.js';
import { currentProcess, REDUCTION_BUDGET, type Effect, type Process } from './process.js';
import { receive, taggedReply, type ProcessStep } from './receive.js';
import { RefTable } from './ref_table.js';
import { processInfoOf, type ProcessInfoItem } from './process_info.js';
import type { Runtime, SpawnOptions, SpawnPlacement } from './runtime.js';
import { pidKey, post, refKey, remoteNameTarget, sendMessage, Signal, SignalKind } from './signals.js';

export type { SpawnOptions } from './runtime.js';

/** A destination of send: a pid, a registered name, or {Name, Node}. */
export type Dest = Pid | Atom | Tuple;

const SPAWN_COST = 10;
const PRIORITIES: readonly Priority[] = ['low', 'normal', 'high', 'max'];

/** self(): the current process's pid. */
export function self(): Pid {
  return currentProcess('self').pid;
}

/** node(): the local node's name. */
export function node(): Atom {
  return currentProcess('node').runtime.node;
}

/**
 * erlang:system_info(scheduler_id): the scheduler (1-based) running the calling process, as in
 * BEAM; 1 on a one-thread VM. A process may run on another scheduler later (work stealing).
 */
export function schedulerId(): number {
  const cluster = currentProcess('schedulerId').runtime.cluster;
  return cluster === undefined ? 1 : cluster.self + 1;
}

/** make_ref(): a new reference. Also sets a receive marker (a later receive for this ref skips older messages). */
export function makeRef(): Ref {
  const proc = currentProcess('makeRef');
  return proc.runtime.makeRef(proc);
}

function checkLocalNode(runtime: Runtime, nodeName: Term, where: string, what: string): void {
  // A distributed node (runtime.remote set, src/dist) reaches every node; signals to other
  // nodes are routed there (signals.ts).
  if (nodeName !== runtime.node && !(runtime.remote !== undefined && nodeName instanceof Atom)) {
    throw new InvalidArgumentError(
      `${where}: ${what} is on node ${describeTerm(nodeName)}, but this node (${runtime.node.name}) is not distributed: start the VM with the \`distribution\` option to reach other nodes`,
    );
  }
}

function describeTerm(value: unknown): string {
  return value instanceof Atom ? `'${value.name}'` : describeValue(value);
}

/**
 * Resolves a destination to a pid: Pid as is (after the local-node check), a registered name,
 * or {Name, Node} (Node must be the local node). `unregistered` says what an unknown name does:
 * 'badarg' (send to a name) or 'undefined' (send to {Name, Node}: silent in OTP 25).
 */
export function resolveDest(runtime: Runtime, dest: unknown, where: string, unregistered: 'badarg' | 'undefined'): Pid | undefined {
  if (dest instanceof Pid) {
    checkLocalNode(runtime, dest.node, where, `pid`);
    return dest;
  }
  if (dest instanceof Atom) {
    const pid = runtime.names.whereis(dest);
    if (pid !== undefined) return pid;
    if (unregistered === 'undefined') return undefined;
    throw new InvalidArgumentError(`${where}: dest '${dest.name}' is not a registered name (badarg)`);
  }
  if (dest instanceof Tuple && dest.size === 2 && dest.at(0) instanceof Atom && dest.at(1) instanceof Atom) {
    checkLocalNode(runtime, dest.at(1), where, `{${(dest.at(0) as Atom).name}, ${(dest.at(1) as Atom).name}}`);
    if (dest.at(1) !== runtime.node) return undefined; // send() handles {Name, OtherNode} itself
    return runtime.names.whereis(dest.at(0) as Atom);
  }
  throw new InvalidArgumentError(`${where}: dest must be a pid, a registered name (an Atom) or {Name, Node}; received ${describeValue(dest)}`);
}

/**
 * send(Dest, Msg) / `Dest ! Msg`: sends asynchronously; returns the message. To a dead pid:
 * silently dropped. To an unregistered name: badarg. To {Name, LocalNode} with Name
 * unregistered: dropped silently (as OTP 25 does). To another node: an error for now.
 */
export function send<T extends Term>(dest: Dest, message: T): T {
  const proc = currentProcess('send');
  const runtime = proc.runtime;
  let pid: Pid | undefined;
  if (dest instanceof Pid && dest.node === runtime.node) {
    pid = dest;
    proc.budget -= 1;
  } else if (dest instanceof Tuple && dest.size === 2 && dest.at(1) !== runtime.node && dest.at(0) instanceof Atom && dest.at(1) instanceof Atom) {
    // {Name, Node} ! Msg for another node: a REG_SEND (signals.ts remoteNameTarget).
    checkLocalNode(runtime, dest.at(1), 'send', `{${(dest.at(0) as Atom).name}, ${(dest.at(1) as Atom).name}}`);
    proc.budget -= 2;
    post(runtime, new Signal(SignalKind.MESSAGE, proc.pid, remoteNameTarget(dest.at(1) as Atom), message, undefined, dest.at(0) as Atom));
    return message;
  } else {
    pid = resolveDest(runtime, dest, 'send', 'badarg');
    proc.budget -= 2;
  }
  if (pid !== undefined) sendMessage(runtime, proc.pid, pid, message);
  return message;
}

type SpawnArgs = [body: ProcessFunction] | [module: Atom | string, fun: Atom | string, args?: readonly unknown[]];

function doSpawn(where: string, spawnArgs: readonly unknown[], options: SpawnOptions): { pid: Pid; ref: Ref | undefined } {
  const proc = currentProcess(where);
  proc.budget -= SPAWN_COST;
  return spawnIn(proc.runtime, proc, where, spawnArgs, options);
}

/** Shared by the process API and the VM: validates spawn arguments and spawns. */
export function spawnIn(
  runtime: Runtime,
  parent: Process | undefined,
  where: string,
  spawnArgs: readonly unknown[],
  options: SpawnOptions & SpawnPlacement,
): { pid: Pid; ref: Ref | undefined } {
  const first = spawnArgs[0];
  if (typeof first === 'function') {
    checkSpawnOptions(options, where);
    if (spawnArgs.length > 1) {
      throw new InvalidArgumentError(`${where}: a closure takes no argument list (capture what it needs); received ${spawnArgs.length - 1} extra argument(s)`);
    }
    const fn = first as ProcessFunction;
    const { proc, ref } = runtime.spawn(fn, [], closureModule, nameAtom(fn.name || 'anonymous', where, 'fun'), true, options, parent);
    return { pid: proc.pid, ref };
  }
  const { module, fun, args } = checkExportSpawn(where, first, spawnArgs[1], spawnArgs[2] ?? [], options);
  const entry = lookupExport(module, fun);
  const { proc, ref } = runtime.spawn(entry, args, module, fun, false, options, parent);
  return { pid: proc.pid, ref };
}

const closureModule = Atom.for('js_closure');

/**
 * Validates a spawn of Module:Function(Args) with `options` (the checks of spawn, spawn_opt and
 * vm.spawn, wherever the process will run); returns the names as atoms. Throws
 * InvalidArgumentError naming the argument.
 */
export function checkExportSpawn(where: string, module: unknown, fun: unknown, args: unknown, options: SpawnOptions): { module: Atom; fun: Atom; args: unknown[] } {
  checkSpawnOptions(options, where);
  const moduleAtom = nameAtom(module, where, 'module');
  const funAtom = nameAtom(fun, where, 'fun');
  if (!Array.isArray(args)) throw new InvalidArgumentError(`${where}: args must be an array (the argument list); received ${describeValue(args)}`);
  return { module: moduleAtom, fun: funAtom, args };
}

function checkSpawnOptions(options: SpawnOptions, where: string): void {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(`${where}: options must be an object { link?, monitor?, priority? }; received ${describeValue(options)}`);
  }
  if (options.priority !== undefined && !PRIORITIES.includes(options.priority)) {
    throw new InvalidArgumentError(`${where}: options.priority must be 'low', 'normal', 'high' or 'max'; received ${describeValue(options.priority)}`);
  }
}

/**
 * spawn(Fun) / spawn(Module, Function, Args): starts a process; returns its pid at once (the
 * process runs later, from the back of the run queue). A closure is pinned to this scheduler
 * thread; an exported function (defineModule) is portable. An unknown module/function still
 * returns a pid: the process exits with {undef, [{M, F, Args, []}]}, as in Erlang.
 * Throws SYSTEM_LIMIT at the process limit.
 */
export function spawn(...args: SpawnArgs): Pid {
  return doSpawn('spawn', args, {}).pid;
}

/** spawn_link: spawn and link atomically. */
export function spawnLink(...args: SpawnArgs): Pid {
  return doSpawn('spawnLink', args, { link: true }).pid;
}

/** spawn_monitor: spawn and monitor atomically; returns {Pid, Ref} (destructure: `const [pid, ref] = ...`). */
export function spawnMonitor(...args: SpawnArgs): Tuple<readonly [Pid, Ref]> {
  const { pid, ref } = doSpawn('spawnMonitor', args, { monitor: true });
  return tuple(pid, ref!);
}

/** spawn_opt(Fun, Options) / spawn_opt(M, F, A, Options): returns Pid, or {Pid, Ref} with monitor. */
export function spawnOpt(body: ProcessFunction, options: SpawnOptions): Pid | Tuple<readonly [Pid, Ref]>;
export function spawnOpt(module: Atom | string, fun: Atom | string, args: readonly unknown[], options: SpawnOptions): Pid | Tuple<readonly [Pid, Ref]>;
export function spawnOpt(...all: unknown[]): Pid | Tuple<readonly [Pid, Ref]> {
  const options = all[all.length - 1] as SpawnOptions;
  const { pid, ref } = doSpawn('spawnOpt', all.slice(0, -1), options);
  return options.monitor === true ? tuple(pid, ref!) : pid;
}

function checkPid(value: unknown, where: string, runtime: Runtime): Pid {
  if (!(value instanceof Pid)) throw new InvalidArgumentError(`${where}: pid must be a Pid; received ${describeValue(value)}`);
  checkLocalNode(runtime, value.node, where, 'pid');
  return value;
}

/**
 * link(Pid): links the current process and Pid (idempotent; a link to self does nothing).
 * If Pid is dead, the caller gets an exit signal with reason noproc (a trapping caller gets
 * {'EXIT', Pid, noproc}; another one exits with noproc), as OTP 25 does. Returns true.
 */
export function link(pid: Pid): true {
  const proc = currentProcess('link');
  const runtime = proc.runtime;
  checkPid(pid, 'link', runtime);
  proc.budget -= 1;
  if (pid.equals(proc.pid)) return true;
  const key = pidKey(pid);
  if (proc.links?.has(key) === true) return true;
  (proc.links ??= new Map()).set(key, pid);
  post(runtime, new Signal(SignalKind.LINK, proc.pid, pid, undefined, undefined, undefined));
  return true;
}

/** unlink(Pid): removes the link; from then on the link has no effect on the caller. Returns true. */
export function unlink(pid: Pid): true {
  const proc = currentProcess('unlink');
  const runtime = proc.runtime;
  checkPid(pid, 'unlink', runtime);
  proc.budget -= 1;
  if (proc.links?.delete(pidKey(pid)) === true) {
    post(runtime, new Signal(SignalKind.UNLINK, proc.pid, pid, undefined, undefined, undefined));
  }
  return true;
}

/**
 * exit(Reason): ends the current process with Reason (raises an exception of class exit;
 * catchable, like Erlang's). exit(Pid, Reason): sends an exit signal (see signals.ts for the
 * rules: kill -> killed unconditionally, normal ignored unless Pid is self or traps exits).
 * exit(self(), R) that ends the caller does not return: it raises exit:R.
 */
export function exit(reason: Term): never;
export function exit(pid: Pid, reason: Term): true;
export function exit(...args: [Term] | [Pid, Term]): true {
  if (args.length === 1) raiseExit(args[0]);
  const proc = currentProcess('exit');
  const runtime = proc.runtime;
  const pid = checkPid(args[0], 'exit', runtime);
  const reason = args[1];
  proc.budget -= 1;
  post(runtime, new Signal(SignalKind.EXIT, proc.pid, pid, reason, undefined, undefined));
  if (proc.hasPendingExit && pid.equals(proc.pid)) {
    throw new ErlangException('exit', proc.pendingExit, `exit: the process exited with ${reason === A_NORMAL ? 'normal' : 'its own exit signal'}`);
  }
  return true;
}

function monitorTarget(runtime: Runtime, target: unknown): { pid: Pid | undefined; object: Term } {
  if (target instanceof Pid) {
    checkLocalNode(runtime, target.node, 'monitor', 'pid');
    return { pid: target, object: target };
  }
  if (target instanceof Atom) return { pid: runtime.names.whereis(target), object: tuple(target, runtime.node) };
  if (target instanceof Tuple && target.size === 2 && target.at(0) instanceof Atom && target.at(1) instanceof Atom) {
    checkLocalNode(runtime, target.at(1), 'monitor', `{${(target.at(0) as Atom).name}, ${(target.at(1) as Atom).name}}`);
    if (target.at(1) !== runtime.node) return { pid: remoteNameTarget(target.at(1) as Atom), object: target };
    return { pid: runtime.names.whereis(target.at(0) as Atom), object: target };
  }
  throw new InvalidArgumentError(`monitor: target must be a pid, a registered name or {Name, Node}; received ${describeValue(target)}`);
}

/**
 * monitor(process, Target) (also monitor(Target)): Target is a pid, a registered name or
 * {Name, Node}. Returns a ref; when the target dies the caller gets
 * {'DOWN', Ref, process, Object, Reason} (Object: the pid, or {Name, Node} when monitored by
 * name). A dead target or unregistered name gives 'DOWN' with reason noproc at once.
 */
export function monitor(type: 'process' | Atom, target: Pid | Atom | Tuple): Ref;
export function monitor(target: Pid | Atom | Tuple): Ref;
export function monitor(first: unknown, second?: unknown): Ref {
  const proc = currentProcess('monitor');
  const runtime = proc.runtime;
  let target: unknown;
  // arguments.length, not a rest array: monitor is on the path of every gen_server:call.
  if (arguments.length === 2) {
    if (first !== 'process' && !(first instanceof Atom && first.name === 'process')) {
      throw new InvalidArgumentError(`monitor: type must be 'process' (ports and time offsets are not supported); received ${describeValue(first)}`);
    }
    target = second;
  } else {
    target = first;
  }
  let pid: Pid | undefined;
  let object: Term;
  if (target instanceof Pid && target.node === runtime.node) pid = object = target;
  else ({ pid, object } = monitorTarget(runtime, target));
  proc.budget -= 1;
  const ref = runtime.makeRef(proc);
  const key = refKey(ref);
  (proc.monitors ??= new RefTable()).set(key, { ref, target: pid, object });
  if (pid === undefined) {
    // Unregistered name: 'DOWN' noproc through the ordered path (from "nobody").
    post(runtime, new Signal(SignalKind.DOWN, undefined, proc.pid, A_NOPROC, ref, object));
  } else {
    const local = localTarget(runtime, pid);
    // The fast path of post(MONITOR): what handling it at once would do (signals.ts).
    if (local !== undefined) (local.monitoredBy ??= new RefTable()).set(key, { ref, watcher: proc.pid, object });
    else post(runtime, new Signal(SignalKind.MONITOR, proc.pid, pid, undefined, ref, object));
  }
  return ref;
}

/**
 * The live process of this thread a signal to `pid` would be handled on at once, or undefined
 * (no process here, a guest, or a signal drain running: then the signal must take the ordered
 * path). With no drain running, the signal FIFO is empty and `post` would hand the signal to
 * `handle` before returning, so acting on the target directly is the same, minus the Signal.
 */
function localTarget(runtime: Runtime, pid: Pid): Process | undefined {
  if (runtime.signals.draining) return undefined;
  const target = runtime.table.lookup(pid);
  return target !== undefined && !target.guest ? target : undefined;
}

/**
 * demonitor(Ref) / demonitor(Ref, { flush, info }): turns the monitor off; no 'DOWN' for it
 * arrives afterwards. `flush` also removes a 'DOWN' already queued. Returns true, or with
 * `info` whether the monitor was found (false: it already fired or never existed).
 */
export function demonitor(ref: Ref, options: { readonly flush?: boolean; readonly info?: boolean } = {}): boolean {
  const proc = currentProcess('demonitor');
  if (!(ref instanceof Ref)) throw new InvalidArgumentError(`demonitor: ref must be a Ref; received ${describeValue(ref)}`);
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(`demonitor: options must be an object { flush?, info? }; received ${describeValue(options)}`);
  }
  proc.budget -= 1;
  const key = refKey(ref);
  const entry = proc.monitors?.get(key);
  if (entry !== undefined) {
    proc.monitors!.delete(key);
    if (entry.target !== undefined) {
      const local = localTarget(proc.runtime, entry.target);
      // The fast path of post(DEMONITOR), as in monitor.
      if (local !== undefined) local.monitoredBy?.delete(key);
      else post(proc.runtime, new Signal(SignalKind.DEMONITOR, proc.pid, entry.target, undefined, ref, undefined));
    }
  }
  // A 'DOWN' carrying the ref came after the ref was made: the scan starts at its marker.
  if (options.flush === true) proc.mailbox.removeDown(ref);
  return options.info === true ? entry !== undefined : true;
}

function checkName(name: unknown, where: string): Atom {
  if (!(name instanceof Atom)) {
    throw new InvalidArgumentError(`${where}: name must be an Atom other than undefined (e.g. atom('kvs')); received ${describeValue(name)}`);
  }
  return name;
}

/**
 * register(Name, Pid): badarg if Name is not an atom (or is undefined), Name is taken, Pid is
 * not alive, or Pid already has a name. The name is freed when the process exits.
 */
export function register(name: Atom, pid: Pid): true {
  const proc = currentProcess('register');
  return registerIn(proc.runtime, name, pid, 'register');
}

export function registerIn(runtime: Runtime, name: Atom, pid: Pid, where: string): true {
  checkName(name, where);
  checkPid(pid, where, runtime);
  const target = runtime.lookup(pid);
  const elsewhere = target === undefined && runtime.cluster !== undefined && runtime.cluster.locate(pid) >= 0;
  if (target === undefined && !elsewhere) {
    throw new InvalidArgumentError(`${where}: the process ${pidText(pid)} is not alive (badarg)`);
  }
  const current = target !== undefined ? target.registeredName : runtime.names.nameOf(pid);
  if (current !== undefined) {
    throw new InvalidArgumentError(`${where}: the process ${pidText(pid)} is already registered as '${current.name}' (badarg)`);
  }
  if (!runtime.names.register(name, pid)) {
    throw new InvalidArgumentError(`${where}: the name '${name.name}' is already registered (badarg)`);
  }
  if (target !== undefined) target.registeredName = name;
  else post(runtime, new Signal(SignalKind.NAME, undefined, pid, name, undefined, undefined));
  return true;
}

function pidText(pid: Pid): string {
  return `<0.${pid.id}.${pid.serial}>`;
}

/** unregister(Name): badarg if the name is not registered. */
export function unregister(name: Atom): true {
  const proc = currentProcess('unregister');
  const runtime = proc.runtime;
  checkName(name, 'unregister');
  const pid = runtime.names.unregister(name);
  if (pid === undefined) throw new InvalidArgumentError(`unregister: the name '${name.name}' is not registered (badarg)`);
  const target = runtime.lookup(pid);
  if (target !== undefined) target.registeredName = undefined;
  else if (runtime.cluster !== undefined) post(runtime, new Signal(SignalKind.NAME, undefined, pid, name, undefined, undefined));
  return true;
}

/** whereis(Name): the pid registered as Name, or undefined. */
export function whereis(name: Atom): Pid | undefined {
  const proc = currentProcess('whereis');
  checkName(name, 'whereis');
  return proc.runtime.names.whereis(name);
}

/** registered(): every registered name. */
export function registered(): Atom[] {
  return currentProcess('registered').runtime.names.registered();
}

/** is_process_alive(Pid): true while the (local) process exists. Signals sent before the call are already handled. */
export function isProcessAlive(pid: Pid): boolean {
  const proc = currentProcess('isProcessAlive');
  const runtime = proc.runtime;
  checkPid(pid, 'isProcessAlive', runtime);
  return runtime.lookup(pid) !== undefined || (runtime.cluster !== undefined && runtime.cluster.locate(pid) >= 0);
}

/**
 * group_leader() / group_leader(Leader, Pid): the calling process's group leader (undefined when it
 * has none: a process spawned from the embedding API, and whatever it spawns), or sets the
 * group leader of `pid` and returns true. A spawned process inherits its parent's. beamjs has no
 * I/O server: the group leader only marks which application a process belongs to (OTP's
 * application master is its processes' group leader; src/otp/application.ts). Setting it is
 * supported for processes of the caller's scheduler thread (a process of another thread:
 * InvalidArgumentError); a dead local pid is Erlang's badarg.
 */
export function groupLeader(): Pid | undefined;
export function groupLeader(leader: Pid, pid: Pid): true;
export function groupLeader(...args: [] | [Pid, Pid]): Pid | undefined | true {
  const proc = currentProcess('groupLeader');
  if (args.length === 0) return proc.groupLeader;
  const [leader, pid] = args;
  const runtime = proc.runtime;
  if (!(leader instanceof Pid)) throw new InvalidArgumentError(`groupLeader: leader must be a Pid; received ${describeValue(leader)}`);
  checkPid(pid, 'groupLeader', runtime);
  const target = runtime.lookup(pid);
  if (target === undefined) {
    if (runtime.cluster !== undefined && runtime.cluster.locate(pid) >= 0) {
      throw new InvalidArgumentError(`groupLeader: setting the group leader of a process of another scheduler thread is not supported; received ${describeValue(pid)}`);
    }
    throw new ErlangException('error', atom('badarg'), `groupLeader: no process ${describeValue(pid)}`);
  }
  target.groupLeader = leader;
  return true;
}

/** processes(): the pids of every live process (external mailboxes included). */
export function processes(): Pid[] {
  const runtime = currentProcess('processes').runtime;
  if (runtime.cluster !== undefined) return runtime.cluster.allPids();
  const out: Pid[] = [];
  for (const p of runtime.table.all()) out.push(p.pid);
  return out;
}

/**
 * process_flag(trap_exit, Bool) / process_flag(priority, Level): sets the flag, returns the old
 * value. Trapping turns exit signals (except kill) into {'EXIT', From, Reason} messages; a
 * priority change applies from the next time the process is queued.
 */
export function processFlag(flag: 'trap_exit', value: boolean): boolean;
export function processFlag(flag: 'priority', value: Priority): Priority;
export function processFlag(flag: 'trap_exit' | 'priority', value: boolean | Priority): boolean | Priority {
  const proc = currentProcess('processFlag');
  const rawFlag: unknown = flag;
  const name = rawFlag instanceof Atom ? rawFlag.name : rawFlag;
  if (name === 'trap_exit') {
    if (typeof value !== 'boolean') throw new InvalidArgumentError(`processFlag: trap_exit must be true or false; received ${describeValue(value)}`);
    const old = proc.trapExit;
    proc.trapExit = value;
    return old;
  }
  if (name === 'priority') {
    const rawValue: unknown = value;
    const level = (rawValue instanceof Atom ? rawValue.name : rawValue) as Priority;
    if (!PRIORITIES.includes(level)) {
      throw new InvalidArgumentError(`processFlag: priority must be 'low', 'normal', 'high' or 'max'; received ${describeValue(value)}`);
    }
    const old = proc.priority;
    proc.priority = level;
    return old;
  }
  throw new InvalidArgumentError(`processFlag: flag must be 'trap_exit' or 'priority'; received ${describeValue(flag)}`);
}

/**
 * process_info(Pid) / process_info(Pid, Item) / process_info(Pid, [Items]), used with yield*:
 *     const info = yield* processInfo(pid, 'message_queue_len');
 * Erlang's shapes: a list of {Item, Value}, one {Item, Value}, or a list; undefined when Pid is
 * dead. Items: status, message_queue_len, messages, links, monitors, monitored_by,
 * registered_name, reductions, current_function, initial_call, dictionary, priority, trap_exit.
 * An unknown item is badarg. For a process of this thread the answer is immediate; a process
 * of another scheduler thread answers with a signal, and the caller waits for it in a
 * ref-marked receive (OTP 21+ implements process_info of another process the same way).
 */
export function processInfo(pid: Pid): ProcessStep<Tuple[] | undefined>;
export function processInfo(pid: Pid, item: ProcessInfoItem | Atom): ProcessStep<Tuple | undefined>;
export function processInfo(pid: Pid, items: ReadonlyArray<ProcessInfoItem | Atom>): ProcessStep<Tuple[] | undefined>;
export function processInfo(pid: Pid, item?: ProcessInfoItem | Atom | ReadonlyArray<ProcessInfoItem | Atom>): ProcessStep<Tuple | Tuple[] | undefined> {
  const proc = currentProcess('processInfo');
  proc.budget -= 1;
  const runtime = proc.runtime;
  checkPid(pid, 'processInfo', runtime);
  const cluster = runtime.cluster;
  const where = cluster === undefined || runtime.lookup(pid) !== undefined ? -1 : cluster.locate(pid);
  if (where < 0 || where === cluster!.self) return immediate(processInfoOf(runtime, pid, item));
  processInfoOf(runtime, proc.pid, item); // the same badarg for a bad item as for a local process
  const ref = runtime.makeRef(proc);
  cluster!.askInfo(where, pid, (item ?? undefined) as Term, proc.pid, ref);
  return infoReply(ref);
}

/** The step of an answer known at once. */
function immediate<R>(value: R): ProcessStep<R> {
  return {
    [Symbol.iterator]: () => ({ next: () => ({ done: true as const, value }) }),
  };
}

const A_INFO_REPLY = atom('$beamjs_info');

function* infoReply(ref: Ref): Generator<Effect, Tuple | Tuple[] | undefined, unknown> {
  const reply = yield* receive(taggedReply(A_INFO_REPLY, ref));
  return reply.value as Tuple | Tuple[] | undefined;
}

function dictionaryOf(proc: Process): ProcessDictionary {
  return (proc.dictionary ??= new ProcessDictionary());
}

/** put(Key, Value): returns the old value, or undefined. */
export function put(key: Term, value: Term): Term {
  return dictionaryOf(currentProcess('put')).put(key, value);
}

/** get(Key): the value, or undefined. get(): every {Key, Value}. */
export function get(): Tuple[];
export function get(key: Term): Term;
export function get(...args: [] | [Term]): Term | Tuple[] {
  const proc = currentProcess('get');
  if (args.length === 0) return proc.dictionary?.entries() ?? [];
  return proc.dictionary?.get(args[0]);
}

/** erase(Key): removes it, returns the old value or undefined. erase(): removes all, returns every {Key, Value}. */
export function erase(): Tuple[];
export function erase(key: Term): Term;
export function erase(...args: [] | [Term]): Term | Tuple[] {
  const proc = currentProcess('erase');
  const dict = proc.dictionary;
  if (args.length === 0) {
    const all = dict?.entries() ?? [];
    dict?.clear();
    return all;
  }
  return dict?.erase(args[0]);
}

/** get_keys(): every key; get_keys(Value): the keys whose value =:= Value. */
export function getKeys(...value: [] | [Term]): Term[] {
  return currentProcess('getKeys').dictionary?.keys(...value) ?? [];
}

/**
 * erlang:system_monitor(MonitorPid, [{long_schedule, Ms}]): slices longer than Ms are reported
 * to MonitorPid as {monitor, Pid, long_schedule, [{timeout, Ms}, {in, MFA}, {out, MFA}]}.
 * systemMonitor(undefined) turns it off. Returns the previous setting as {Pid, [{long_schedule, Ms}]}, or undefined.
 */
export function systemMonitor(monitorPid: Pid | undefined, options?: { readonly longSchedule: number }): Term {
  const proc = currentProcess('systemMonitor');
  const runtime = proc.runtime;
  const old = runtime.systemMonitor;
  if (monitorPid === undefined) {
    runtime.setSystemMonitor(undefined);
  } else {
    checkPid(monitorPid, 'systemMonitor', runtime);
    const ms = options?.longSchedule;
    if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms <= 0) {
      throw new InvalidArgumentError(`systemMonitor: options.longSchedule must be a positive integer of ms; received ${describeValue(ms)}`);
    }
    runtime.setSystemMonitor({ pid: monitorPid, longScheduleMs: ms });
  }
  return old === undefined ? undefined : tuple(old.pid, [tuple(Atom.for('long_schedule'), old.longScheduleMs)]);
}

/** Reductions of a process including the slice in progress. */
export function reductionsOf(proc: Process, running: boolean): number {
  return running ? proc.reductions + (REDUCTION_BUDGET - proc.budget) : proc.reductions;
}
