/**
 * application: OTP's application behaviour, its application controller and one application
 * master per running application, adapted to TypeScript (no .app files, no code loading).
 *
 * An application is described by a spec, the content of OTP's `.app` file, as a TS object or as
 * the Erlang term {application, Name, [{Key, Value}]}:
 *
 *     Application.load({ name: 'shop', description: 'the shop', vsn: '1.0', applications: ['db'],
 *                        mod: tuple(atom('shop_app'), []), env: { port: 8080 }, registered: [] });
 *     const { ok } = yield* Application.ensureAllStarted(atom('shop'));   // {ok, [db, shop]}
 *
 * The callback module (defineModule, addressed by name):
 *
 *   user callback module                      generic part (this file)
 *   --------------------                      ------------------------
 *   start(StartType, StartArgs)           <-  start / ensureAllStarted, run in the application
 *     {ok, Pid} | {ok, Pid, State}            master; Pid is the top supervisor, linked to it
 *     {error, R} | other | a crash            start returns {error, {R, {M, start, [T, A]}}}
 *                                             ({bad_return, {{M, start, [T, A]}, V}} for another
 *                                             value V, V = {'EXIT', Reason} for a crash)
 *   prep_stop(State)  (optional)          <-  before the tree stops; its value is stop's State
 *   stop(State)                           <-  after the tree has stopped (stop/1, or the top
 *                                             supervisor's own exit); the value is ignored
 *
 * Processes (OTP's): `application_controller` (a gen_server, registered under that name, started
 * by the first Application call of the VM or by startController) holds the loaded specs, their
 * env and the running applications. Each running application has an application master: it
 * runs start/2, is linked to the top supervisor and to the controller, and is the group leader
 * of every process the application starts (erlang group_leader, inherited at spawn). stop(Name)
 * makes the master call prep_stop/1, send exit(TopSup, shutdown) and wait for its exit, then
 * call stop/1 and exit; the controller then reports the application's end:
 *
 *     =INFO REPORT==== 3-Dec-2026::10:59:17.028 ===
 *         application: shop
 *         exited: stopped
 *         type: temporary
 *
 * The same report (with the reason) follows the top supervisor's own exit (the master calls
 * prep_stop/stop there too), and then the start type decides: temporary, only reported;
 * transient, only reported if the reason is normal; permanent (any reason) or transient
 * (another reason): "the node" stops. In OTP the controller exits and the runtime halts
 * ("Kernel pid terminated (application_controller) ({application_terminated,App,Reason})"). In
 * beamjs the controller stops every other running application, in reverse start order, logs
 * that line as an error, and exits with {application_terminated, App, Reason}. The VM itself
 * keeps running: the embedding API observes the event by monitoring the controller
 * (`vm.monitor(atom('application_controller'))` gives {'DOWN', Ref, process, Pid,
 * {application_terminated, App, Reason}}) and decides (e.g. `vm.stop()`, or exit the program).
 *
 * Env: getEnv(App, Key) is {ok, V} or undefined; getEnv(App, Key, Default) V or Default;
 * getEnv(Key) / getAllEnv() use the calling process's application: the application whose master
 * is the caller's group leader (OTP's rule; see group_leader in src/process/bifs.ts). A process
 * started from the embedding API, or by a process outside every application, has none
 * (undefined). Precedence, lowest first: the spec's env; the VM's config (sys.config: the JSON
 * file named by BEAMJS_CONFIG when the controller starts, or startController's `config`); the
 * config given to load(Spec, {config}); setEnv. unload forgets the env. Config terms: a list of
 * {App, [{Key, Value}]} (sys.config's shape) or an object {app: {key: value}}.
 *
 * Start types: normal. {takeover, Node} and {failover, Node} are distributed applications'
 * (src/dist): not supported yet (badarg-style error naming them). Differences from OTP: no .app
 * file search (start of an unloaded application is {error, {not_loaded, Name}}; OTP would look for
 * Name.app); `kernel` and `stdlib` are always loaded and running (so specs may list them) but
 * have no processes; strings (description, vsn) are binaries; included applications, start
 * phases, `maxT`/`maxP` and permit are not supported.
 *
 * Threads: module code, any thread; the controller and masters are ordinary processes. The
 * controller never waits for an application (starts and stops are answered when the master
 * reports), so start/2, prep_stop/1 and stop/1 may themselves call getEnv. Bad input: a spec
 * or config that is not one throws InvalidArgumentError naming the field and what arrived.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, describeValue } from '../errors/index.js';
import {
  caught,
  defineModule,
  ErlangException,
  exit,
  groupLeader,
  link,
  processFlag,
  receive,
  self,
  send,
  spawnLink,
  whereis,
  type ProcessGenerator,
} from '../process/index.js';
import { lookupExport } from '../process/module_registry.js';
import { Atom, atom, format, isPlainObject, Pid, Tuple, tuple, type Term } from '../term/index.js';
import { GenServer, type From } from './gen_server.js';
import { logReport } from './report.js';

/** An application spec as a TS object (the .app file's keys). */
export interface AppSpec {
  readonly name: Atom | string;
  readonly description?: string;
  readonly vsn?: string;
  /** Applications that must be started before this one. */
  readonly applications?: ReadonlyArray<Atom | string>;
  /** {Module, StartArgs}: the callback module; none for a library application. */
  readonly mod?: Tuple;
  /** Default env: an object {key: value} or a list of {Key, Value}. */
  readonly env?: Term;
  readonly registered?: ReadonlyArray<Atom | string>;
}

export interface LoadOptions {
  /** Env for this application overriding its spec's and the VM config's: {key: value} or [{Key, Value}]. */
  readonly config?: Term;
}

export interface ControllerOptions {
  /** The VM's config (sys.config): [{App, [{Key, Value}]}] or {app: {key: value}}. */
  readonly config?: Term;
}

/** Start types of a running application. */
export type RestartType = 'permanent' | 'transient' | 'temporary';

const A = {
  ok: atom('ok'),
  error: atom('error'),
  EXIT: atom('EXIT'),
  application: atom('application'),
  application_controller: atom('application_controller'),
  application_terminated: atom('application_terminated'),
  normal: atom('normal'),
  shutdown: atom('shutdown'),
  stopped: atom('stopped'),
  start: atom('start'),
  stop: atom('stop'),
  prep_stop: atom('prep_stop'),
  bad_return: atom('bad_return'),
  already_loaded: atom('already_loaded'),
  already_started: atom('already_started'),
  not_loaded: atom('not_loaded'),
  not_started: atom('not_started'),
  running: atom('running'),
  terminating: atom('terminating'),
  kernel: atom('kernel'),
  stdlib: atom('stdlib'),
  ac_started: atom('$ac_started'),
  ac_stop: atom('$ac_stop'),
  reply: atom('reply'),
  noreply: atom('noreply'),
  permanent: atom('permanent'),
  transient: atom('transient'),
  temporary: atom('temporary'),
  kill: atom('kill'),
};

// ---------------------------------------------------------------------------------------------
// Specs and config

interface Spec {
  readonly name: Atom;
  readonly description: string;
  readonly vsn: string;
  readonly applications: readonly Atom[];
  readonly mod: { readonly module: Atom; readonly args: Term } | undefined;
  readonly env: ReadonlyArray<readonly [Atom, Term]>;
  readonly registered: readonly Atom[];
}

function nameOf(value: unknown, where: string): Atom {
  if (value instanceof Atom) return value;
  if (typeof value === 'string' && value.length > 0) return atom(value);
  throw new InvalidArgumentError(`${where} must be an atom (or a non-empty string); received ${describeValue(value)}`);
}

function names(value: unknown, where: string): Atom[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new InvalidArgumentError(`${where} must be a list of atoms; received ${describeValue(value)}`);
  return value.map((v, i) => nameOf(v, `${where}[${i}]`));
}

function text(value: unknown, where: string): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  throw new InvalidArgumentError(`${where} must be a string; received ${describeValue(value)}`);
}

/** Key/value pairs from {key: value}, a Map, or [{Key, Value}]. */
function pairs(value: unknown, where: string): Array<[Atom, Term]> {
  if (value === undefined) return [];
  if (Array.isArray(value)) {
    return value.map((p, i) => {
      if (!(p instanceof Tuple) || p.size !== 2) throw new InvalidArgumentError(`${where}[${i}] must be a {Key, Value} tuple; received ${describeValue(p)}`);
      return [nameOf(p.at(0), `${where}[${i}] key`), p.at(1)];
    });
  }
  if (value instanceof Map) return [...value.entries()].map(([k, v]) => [nameOf(k, `${where} key`), checkValue(v as unknown, `${where}.${String(k)}`)]);
  if (isPlainObject(value)) return Object.entries(value).map(([k, v]) => [atom(k), checkValue(v as unknown, `${where}.${k}`)]);
  throw new InvalidArgumentError(`${where} must be an object {key: value} or a list of {Key, Value}; received ${describeValue(value)}`);
}

function checkValue(v: unknown, where: string): Term {
  if (v === null || v === undefined) throw new InvalidArgumentError(`${where}: null/undefined is not a term (use an atom such as atom('undefined'))`);
  return v as Term;
}

/** Per-application env from a config term: [{App, [{K, V}]}], {app: {k: v}} or a Map. */
function configPairs(config: unknown, where: string): Array<[Atom, Array<[Atom, Term]>]> {
  if (config === undefined) return [];
  if (Array.isArray(config)) {
    return config.map((p, i) => {
      if (!(p instanceof Tuple) || p.size !== 2) throw new InvalidArgumentError(`${where}[${i}] must be {App, [{Key, Value}]}; received ${describeValue(p)}`);
      return [nameOf(p.at(0), `${where}[${i}] application`), pairs(p.at(1), `${where}[${i}] env`)];
    });
  }
  if (config instanceof Map) return [...config.entries()].map(([k, v]) => [nameOf(k, `${where} key`), pairs(v, `${where}.${String(k)}`)]);
  if (isPlainObject(config)) return Object.entries(config).map(([k, v]) => [atom(k), pairs(v, `${where}.${k}`)]);
  throw new InvalidArgumentError(`${where} must be [{App, [{Key, Value}]}] or {app: {key: value}}; received ${describeValue(config)}`);
}

/** Parses a spec: an AppSpec object or {application, Name, [{Key, Value}]}. */
function parseSpec(spec: unknown): Spec {
  let fields: Record<string, unknown>;
  let name: Atom;
  if (spec instanceof Tuple) {
    if (spec.size !== 3 || spec.at(0) !== A.application || !Array.isArray(spec.at(2))) {
      throw new InvalidArgumentError(`application:load: a spec term must be {application, Name, [{Key, Value}]}; received ${describeValue(spec)}`);
    }
    name = nameOf(spec.at(1), 'application:load: the spec name');
    fields = {};
    for (const [k, v] of pairs(spec.at(2), 'application:load: the spec')) fields[k.name] = v;
  } else if (isPlainObject(spec)) {
    fields = spec as Record<string, unknown>;
    name = nameOf(fields.name, 'application:load: spec.name');
  } else {
    throw new InvalidArgumentError(`application:load: a spec is an object {name, …} or {application, Name, [{Key, Value}]}; received ${describeValue(spec)}`);
  }
  let mod: Spec['mod'];
  const m = fields.mod;
  if (m !== undefined && m !== null) {
    if (!(m instanceof Tuple) || m.size !== 2) throw new InvalidArgumentError(`application:load: spec.mod must be {Module, StartArgs}; received ${describeValue(m)}`);
    mod = { module: nameOf(m.at(0), 'application:load: spec.mod module'), args: m.at(1) };
  }
  return {
    name,
    description: text(fields.description, 'application:load: spec.description'),
    vsn: text(fields.vsn, 'application:load: spec.vsn'),
    applications: names(fields.applications, 'application:load: spec.applications'),
    mod,
    env: pairs(fields.env, 'application:load: spec.env'),
    registered: names(fields.registered, 'application:load: spec.registered'),
  };
}

/** A spec as a term, for the request to the controller (which may run on another thread). */
function specToTerm(spec: Spec): Tuple {
  const mod = spec.mod === undefined ? undefined : tuple(spec.mod.module, spec.mod.args);
  return tuple(spec.name, spec.description, spec.vsn, [...spec.applications], mod, spec.env.map(([k, v]) => tuple(k, v)), [...spec.registered]);
}

function specFromTerm(term: Tuple): Spec {
  const [name, description, vsn, applications, mod, env, registered] = term.elements as [Atom, string, string, Atom[], Term, Tuple[], Atom[]];
  return {
    name,
    description,
    vsn,
    applications,
    mod: mod instanceof Tuple ? { module: mod.at(0) as Atom, args: mod.at(1) } : undefined,
    env: env.map((p) => [p.at(0) as Atom, p.at(1)] as const),
    registered,
  };
}

/** The VM config from BEAMJS_CONFIG (a JSON file {app: {key: value}}), read when the controller starts. */
function configFromEnvironment(): Term {
  const path = process.env.BEAMJS_CONFIG;
  if (path === undefined || path === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (e) {
    throw new InvalidArgumentError(`BEAMJS_CONFIG: cannot read the config file ${JSON.stringify(path)} as JSON {app: {key: value}}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return parsed as Term;
}

// ---------------------------------------------------------------------------------------------
// The application controller (a gen_server)

interface Loaded {
  readonly spec: Spec;
}

interface Running {
  readonly name: Atom;
  readonly type: RestartType;
  /** The master; undefined for kernel/stdlib (no processes). */
  readonly master: Pid | undefined;
  /** start is still waiting for the master's report. */
  starting: From | undefined;
  /** stop(Name) callers waiting for the master's exit. */
  stoppers: From[];
}

interface Controller {
  readonly loaded: Map<Atom, Loaded>;
  /** Env per application (also for applications not loaded: setEnv, config). */
  readonly env: Map<Atom, Map<Atom, Term>>;
  /** The VM config, kept to apply at each load. */
  readonly vmConfig: Map<Atom, Array<[Atom, Term]>>;
  /** Running (and starting) applications, in start order. */
  readonly running: Running[];
  /** Set when a permanent (or transient) application ended: the node is stopping. */
  terminating: Term | undefined;
}

const ctl = (s: Term): Controller => s as unknown as Controller;
const asTerm = (c: Controller): Term => c as unknown as Term;

function builtinSpec(name: Atom): Spec {
  return { name, description: `beamjs ${name.name}`, vsn: '0', applications: [], mod: undefined, env: [], registered: [] };
}

function envOf(c: Controller, app: Atom): Map<Atom, Term> {
  let env = c.env.get(app);
  if (env === undefined) c.env.set(app, (env = new Map()));
  return env;
}

function appOfMaster(c: Controller, pid: Term): Running | undefined {
  if (!(pid instanceof Pid)) return undefined;
  return c.running.find((r) => r.master !== undefined && r.master.equals(pid));
}

function report(app: Atom, reason: Term, type: RestartType): void {
  logReport('info', `    application: ${format(app)}\n    exited: ${format(reason)}\n    type: ${type}\n`);
}

/** Asks the next running application (last started first) to stop, while the node stops. */
function stopNextForTermination(c: Controller): boolean {
  for (let i = c.running.length - 1; i >= 0; i--) {
    const r = c.running[i]!;
    if (r.master === undefined) continue;
    send(r.master, tuple(A.ac_stop));
    return true;
  }
  return false;
}

function terminationDone(c: Controller): Tuple {
  const reason = c.terminating!;
  logReport('error', `Kernel pid terminated (application_controller) (${format(reason)})\n`);
  return tuple(A.stop, reason, asTerm(c));
}

/** A master exited: answers its starter or stoppers, reports, and applies the restart type. */
function masterExited(c: Controller, r: Running, reason: Term): Tuple {
  c.running.splice(c.running.indexOf(r), 1);
  if (r.starting !== undefined) {
    // The start failed (the master has sent {error, R} before exiting; this is a crash in between).
    GenServer.reply(r.starting, tuple(A.error, reason));
    return tuple(A.noreply, asTerm(c));
  }
  const requested = r.stoppers.length > 0;
  for (const from of r.stoppers) GenServer.reply(from, A.ok);
  if (c.terminating !== undefined) {
    report(r.name, A.stopped, r.type); // stopped by the controller, as by stop/1
    return stopNextForTermination(c) ? tuple(A.noreply, asTerm(c)) : terminationDone(c);
  }
  if (requested) {
    report(r.name, A.stopped, r.type);
    return tuple(A.noreply, asTerm(c));
  }
  report(r.name, reason, r.type);
  if (r.type === 'permanent' || (r.type === 'transient' && reason !== A.normal)) {
    c.terminating = tuple(A.application_terminated, r.name, reason);
    return stopNextForTermination(c) ? tuple(A.noreply, asTerm(c)) : terminationDone(c);
  }
  return tuple(A.noreply, asTerm(c));
}

function load(c: Controller, spec: Spec, overrides: Array<[Atom, Term]>): Term {
  if (c.loaded.has(spec.name)) return tuple(A.error, tuple(A.already_loaded, spec.name));
  c.loaded.set(spec.name, { spec });
  const env = envOf(c, spec.name);
  for (const [k, v] of spec.env) env.set(k, v);
  for (const [k, v] of c.vmConfig.get(spec.name) ?? []) env.set(k, v);
  for (const [k, v] of overrides) env.set(k, v);
  return A.ok;
}

const isRunning = (c: Controller, app: Atom): Running | undefined => c.running.find((r) => r.name === app);

defineModule('application_controller', {
  init(config: Term) {
    processFlag('trap_exit', true);
    groupLeader(self(), self());
    const c: Controller = { loaded: new Map(), env: new Map(), vmConfig: new Map(), running: [], terminating: undefined };
    let vmConfig: Array<[Atom, Array<[Atom, Term]>]>;
    try {
      vmConfig = [...configPairs(configFromEnvironment(), 'BEAMJS_CONFIG'), ...configPairs(config, 'startController: options.config')];
    } catch (e) {
      return tuple(A.stop, tuple(atom('bad_config'), e instanceof Error ? e.message : String(e)));
    }
    for (const [app, kvs] of vmConfig) c.vmConfig.set(app, [...(c.vmConfig.get(app) ?? []), ...kvs]);
    for (const name of [A.kernel, A.stdlib]) {
      load(c, builtinSpec(name), []);
      c.running.push({ name, type: 'permanent', master: undefined, starting: undefined, stoppers: [] });
    }
    return tuple(A.ok, asTerm(c));
  },

  handle_call(request: Tuple, from: From, s: Term) {
    const c = ctl(s);
    const reply = (r: Term): Tuple => tuple(A.reply, r, s);
    const op = (request.at(0) as Atom).name;
    switch (op) {
      case 'load':
        return reply(load(c, specFromTerm(request.at(1) as Tuple), (request.at(2) as Tuple[]).map((p) => [p.at(0) as Atom, p.at(1)])));
      case 'unload': {
        const app = request.at(1) as Atom;
        if (!c.loaded.has(app)) return reply(tuple(A.error, tuple(A.not_loaded, app)));
        if (isRunning(c, app) !== undefined) return reply(tuple(A.error, tuple(A.running, app)));
        c.loaded.delete(app);
        c.env.delete(app);
        return reply(A.ok);
      }
      case 'start': {
        const app = request.at(1) as Atom;
        const type = (request.at(2) as Atom).name as RestartType;
        if (c.terminating !== undefined) return reply(tuple(A.error, A.terminating));
        const loaded = c.loaded.get(app);
        if (loaded === undefined) return reply(tuple(A.error, tuple(A.not_loaded, app)));
        if (isRunning(c, app) !== undefined) return reply(tuple(A.error, tuple(A.already_started, app)));
        for (const dep of loaded.spec.applications) {
          const r = isRunning(c, dep);
          if (r === undefined || r.starting !== undefined) return reply(tuple(A.error, tuple(A.not_started, dep)));
        }
        const master = spawnLink('application_master', 'init_it', [self(), app, loaded.spec.mod?.module, loaded.spec.mod?.args ?? [], A.normal]);
        c.running.push({ name: app, type, master, starting: from, stoppers: [] });
        return tuple(A.noreply, s);
      }
      case 'stop': {
        const app = request.at(1) as Atom;
        const r = isRunning(c, app);
        if (r === undefined || r.master === undefined || r.starting !== undefined) return reply(tuple(A.error, tuple(A.not_started, app)));
        if (r.stoppers.length === 0) send(r.master, tuple(A.ac_stop));
        r.stoppers.push(from);
        return tuple(A.noreply, s);
      }
      case 'which_applications':
        return reply(
          c.running
            .filter((r) => r.starting === undefined)
            .reverse()
            .map((r) => {
              const spec = c.loaded.get(r.name)!.spec;
              return tuple(r.name, spec.description, spec.vsn);
            }),
        );
      case 'loaded_applications':
        return reply([...c.loaded.values()].map(({ spec }) => tuple(spec.name, spec.description, spec.vsn)));
      case 'deps': {
        const loaded = c.loaded.get(request.at(1) as Atom);
        return reply(loaded === undefined ? undefined : [...loaded.spec.applications]);
      }
      case 'get_application': {
        const r = appOfMaster(c, request.at(1));
        return reply(r === undefined ? undefined : tuple(A.ok, r.name));
      }
      case 'get_env': {
        // {get_env, App | {gl, Pid}, Key}
        const app = resolveApp(c, request.at(1));
        const v = app === undefined ? undefined : c.env.get(app)?.get(request.at(2) as Atom);
        return reply(v === undefined ? undefined : tuple(A.ok, v));
      }
      case 'get_all_env': {
        const app = resolveApp(c, request.at(1));
        const env = app === undefined ? undefined : c.env.get(app);
        return reply(env === undefined ? [] : [...env.entries()].map(([k, v]) => tuple(k, v)));
      }
      case 'set_env':
        envOf(c, request.at(1) as Atom).set(request.at(2) as Atom, request.at(3));
        return reply(A.ok);
      case 'unset_env':
        c.env.get(request.at(1) as Atom)?.delete(request.at(2) as Atom);
        return reply(A.ok);
      default:
        return reply(tuple(A.error, tuple(atom('bad_request'), request)));
    }
  },

  handle_cast(_request: Term, s: Term) {
    return tuple(A.noreply, s);
  },

  handle_info(info: Term, s: Term) {
    const c = ctl(s);
    if (info instanceof Tuple && info.size === 3 && info.at(0) === A.ac_started) {
      const r = appOfMaster(c, info.at(1));
      if (r !== undefined && r.starting !== undefined) {
        const result = info.at(2);
        const from = r.starting;
        if (result === A.ok) {
          r.starting = undefined;
          GenServer.reply(from, A.ok);
        } else {
          // The master exits next; its 'EXIT' finds no starter.
          // Not reported: it never ran (erl reports nothing for {error, R} either).
          c.running.splice(c.running.indexOf(r), 1);
          GenServer.reply(from, result);
        }
      }
      return tuple(A.noreply, s);
    }
    if (info instanceof Tuple && info.size === 3 && info.at(0) === A.EXIT) {
      const r = appOfMaster(c, info.at(1));
      if (r !== undefined) return masterExited(c, r, info.at(2));
    }
    return tuple(A.noreply, s);
  },
});

function resolveApp(c: Controller, which: Term): Atom | undefined {
  if (which instanceof Atom) return which;
  if (which instanceof Tuple && which.size === 2 && which.at(0) === atom('gl')) return appOfMaster(c, which.at(1))?.name;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The application master

function isIterator(value: unknown): value is Iterator<unknown, Term, unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { next?: unknown }).next === 'function';
}

/** Runs Module:Name(Args) as Erlang's catch: {value} or {exit: Reason} ({R, Stack} for errors). */
function* catchCall(module: Atom, name: Atom, args: readonly Term[]): ProcessGenerator<{ value: Term } | { exit: Term }> {
  const fn = lookupExport(module, name);
  if (fn === undefined) return { exit: tuple(tuple(atom('undef'), [tuple(module, name, args as Term[], [])]), []) };
  try {
    const result = (fn as (...a: readonly Term[]) => unknown)(...args);
    return { value: isIterator(result) ? ((yield* result as unknown as ProcessGenerator<Term>) as Term) : (result as Term) };
  } catch (thrown) {
    if (thrown instanceof ErlangException && thrown.class === 'throw') return { value: thrown.reason };
    const c = caught(thrown);
    return { exit: c.class === 'exit' ? c.reason : tuple(c.reason, c.erlangStack ?? []) };
  }
}

const isExitFrom = (m: Term, pid: Pid): boolean => m instanceof Tuple && m.size === 3 && m.at(0) === A.EXIT && m.at(1) instanceof Pid && (m.at(1) as Pid).equals(pid);

/** prep_stop/1 (if exported) then stop/1, as the master does when the application ends. */
function* stopCallbacks(module: Atom, state: Term): ProcessGenerator<void> {
  let s = state;
  if (lookupExport(module, A.prep_stop) !== undefined) {
    const out = yield* catchCall(module, A.prep_stop, [s]);
    if ('value' in out) s = out.value;
  }
  yield* catchCall(module, A.stop, [s]);
}

defineModule('application_master', {
  /** The master of one application (see the header): start/2, then wait for the end. */
  *init_it(controller: Pid, _app: Atom, mod: Atom | undefined, startArgs: Term, startType: Term) {
    const module = mod; // undefined: a library application, no start/2
    const me = self();
    groupLeader(me, me); // every process the application starts inherits it
    processFlag('trap_exit', true);
    let sup: Pid | undefined;
    let state: Term = [];
    if (module !== undefined) {
      const mfa = tuple(module, A.start, [startType, startArgs]);
      const out = yield* catchCall(module, A.start, [startType, startArgs]);
      let failure: Term | undefined;
      if ('exit' in out) failure = tuple(A.bad_return, tuple(mfa, tuple(A.EXIT, out.exit))); // erl: a caught crash is a bad value
      else {
        const v = out.value;
        if (v instanceof Tuple && v.at(0) === A.ok && (v.size === 2 || v.size === 3) && v.at(1) instanceof Pid) {
          sup = v.at(1) as Pid;
          if (v.size === 3) state = v.at(2);
          link(sup);
        } else if (v instanceof Tuple && v.size === 2 && v.at(0) === A.error) failure = tuple(v.at(1), mfa);
        else failure = tuple(A.bad_return, tuple(mfa, v));
      }
      if (failure !== undefined) {
        send(controller, tuple(A.ac_started, me, tuple(A.error, failure)));
        return;
      }
    }
    send(controller, tuple(A.ac_started, me, A.ok));
    for (;;) {
      const { m } = (yield* receive((x: Term) => ({ m: x }))) as { m: Term };
      if (m instanceof Tuple && m.size === 1 && m.at(0) === A.ac_stop) {
        // stop(Name): prep_stop, the tree with shutdown, then stop/1.
        let s = state;
        if (module !== undefined && lookupExport(module, A.prep_stop) !== undefined) {
          const out = yield* catchCall(module, A.prep_stop, [s]);
          if ('value' in out) s = out.value;
        }
        if (sup !== undefined) {
          const top = sup;
          exit(top, A.shutdown);
          yield* receive((x: Term) => (isExitFrom(x, top) ? { x } : undefined));
        }
        if (module !== undefined) yield* catchCall(module, A.stop, [s]);
        return; // normal: the controller knows it asked
      }
      if (sup !== undefined && isExitFrom(m, sup)) {
        // The top supervisor ended by itself: the application ends with its reason.
        if (module !== undefined) yield* stopCallbacks(module, state);
        exit((m as Tuple).at(2));
      }
      if (isExitFrom(m, controller)) {
        if (sup !== undefined) exit(sup, A.kill);
        exit((m as Tuple).at(2));
      }
    }
  },
});

// ---------------------------------------------------------------------------------------------
// The API

/** The controller's pid, started on first use (not linked to the caller, as OTP's is the kernel's). */
function* controller(config?: Term): ProcessGenerator<Pid> {
  const pid = whereis(A.application_controller);
  if (pid !== undefined) return pid;
  const started = (yield* GenServer.start('application_controller', config, { name: A.application_controller })) as Tuple;
  if (started.at(0) === A.ok) return started.at(1) as Pid;
  const reason = started.at(1);
  if (reason instanceof Tuple && reason.at(0) === A.already_started) return reason.at(1) as Pid;
  return exit(tuple(atom('application_controller'), reason));
}

function* ac(request: Tuple): ProcessGenerator<Term> {
  return yield* GenServer.call(yield* controller(), request, 'infinity');
}

function restartType(type: unknown, where: string): Atom {
  const name = type instanceof Atom ? type.name : type;
  if (name === 'permanent' || name === 'transient' || name === 'temporary') return atom(name);
  throw new InvalidArgumentError(`${where}: the type must be permanent, transient or temporary; received ${describeValue(type)}`);
}

function keyOf(key: unknown, where: string): Atom {
  return nameOf(key, `${where}: the key`);
}

/** Which application the caller belongs to, for getEnv/1, getAllEnv/0: {gl, GroupLeader}. */
function callerApp(): Term {
  const gl = groupLeader();
  return gl === undefined ? undefined : tuple(atom('gl'), gl);
}

/** The application API, used with yield* inside processes. */
export const Application = {
  /** Starts the controller with the VM's config (sys.config); {error, {already_started, Pid}} if it runs. */
  *startController(options: ControllerOptions = {}): ProcessGenerator<Term> {
    if (options.config !== undefined) configPairs(options.config, 'startController: options.config'); // validate here, in the caller
    return yield* GenServer.start('application_controller', options.config, { name: A.application_controller });
  },

  /** application:load(Spec): ok | {error, {already_loaded, Name}}. `options.config` overrides the env. */
  *load(spec: AppSpec | Tuple, options: LoadOptions = {}): ProcessGenerator<Term> {
    const parsed = parseSpec(spec);
    const overrides = pairs(options.config, 'application:load: options.config');
    return yield* ac(tuple(atom('load'), specToTerm(parsed), overrides.map(([k, v]) => tuple(k, v))));
  },

  /** application:unload(Name): ok | {error, {not_loaded, Name}} | {error, {running, Name}}. */
  *unload(name: Atom | string): ProcessGenerator<Term> {
    return yield* ac(tuple(atom('unload'), nameOf(name, 'application:unload: the name')));
  },

  /** application:start(Name[, Type = temporary]): ok | {error, Reason}. Dependencies must be running. */
  *start(name: Atom | string, type: RestartType | Atom = 'temporary'): ProcessGenerator<Term> {
    return yield* ac(tuple(atom('start'), nameOf(name, 'application:start: the name'), restartType(type, 'application:start')));
  },

  /**
   * application:ensure_all_started(Name[, Type]): starts the dependencies not running, depth
   * first in spec order, then Name: {ok, Started} (in start order), or {error, {App, Reason}}
   * after stopping those it started.
   */
  *ensureAllStarted(name: Atom | string, type: RestartType | Atom = 'temporary'): ProcessGenerator<Term> {
    const root = nameOf(name, 'application:ensure_all_started: the name');
    const t = restartType(type, 'application:ensure_all_started');
    const started: Atom[] = [];
    const order = (yield* dependencyOrder(root)) as Atom[] | Tuple;
    if (order instanceof Tuple) return order;
    for (const app of order) {
      const r = yield* ac(tuple(atom('start'), app, t));
      if (r === A.ok) {
        started.push(app);
        continue;
      }
      if (r instanceof Tuple && r.at(0) === A.error && r.at(1) instanceof Tuple && (r.at(1) as Tuple).at(0) === A.already_started) continue;
      for (let i = started.length - 1; i >= 0; i--) yield* ac(tuple(atom('stop'), started[i]!));
      return tuple(A.error, tuple(app, (r as Tuple).at(1)));
    }
    return tuple(A.ok, started);
  },

  /** application:stop(Name): ok | {error, {not_started, Name}}. */
  *stop(name: Atom | string): ProcessGenerator<Term> {
    return yield* ac(tuple(atom('stop'), nameOf(name, 'application:stop: the name')));
  },

  /** application:which_applications(): [{Name, Description, Vsn}], most recently started first. */
  *whichApplications(): ProcessGenerator<Term> {
    return yield* ac(tuple(atom('which_applications')));
  },

  /** application:loaded_applications(): [{Name, Description, Vsn}]. */
  *loadedApplications(): ProcessGenerator<Term> {
    return yield* ac(tuple(atom('loaded_applications')));
  },

  /** application:get_application(): {ok, App} for a process of a running application, else undefined. */
  *getApplication(): ProcessGenerator<Term> {
    const gl = groupLeader();
    if (gl === undefined) return undefined;
    return yield* ac(tuple(atom('get_application'), gl));
  },

  /**
   * application:get_env(Key) (the caller's application), get_env(App, Key): {ok, Value} |
   * undefined; get_env(App, Key, Default): Value | Default.
   */
  *getEnv(...args: [Atom | string] | [Atom | string, Atom | string] | [Atom | string, Atom | string, Term]): ProcessGenerator<Term> {
    if (args.length === 1) return yield* ac(tuple(atom('get_env'), callerApp(), keyOf(args[0], 'application:get_env')));
    const app = nameOf(args[0], 'application:get_env: the application');
    const got = yield* ac(tuple(atom('get_env'), app, keyOf(args[1], 'application:get_env')));
    if (args.length === 2) return got;
    return got instanceof Tuple ? got.at(1) : args[2];
  },

  /** application:get_all_env([App]): [{Key, Value}] (the caller's application without App). */
  *getAllEnv(app?: Atom | string): ProcessGenerator<Term> {
    const which = app === undefined ? callerApp() : nameOf(app, 'application:get_all_env: the application');
    return yield* ac(tuple(atom('get_all_env'), which));
  },

  /** application:set_env(App, Key, Value): ok. */
  *setEnv(app: Atom | string, key: Atom | string, value: Term): ProcessGenerator<Term> {
    return yield* ac(tuple(atom('set_env'), nameOf(app, 'application:set_env: the application'), keyOf(key, 'application:set_env'), checkValue(value, 'application:set_env: the value')));
  },

  /** application:unset_env(App, Key): ok. */
  *unsetEnv(app: Atom | string, key: Atom | string): ProcessGenerator<Term> {
    return yield* ac(tuple(atom('unset_env'), nameOf(app, 'application:unset_env: the application'), keyOf(key, 'application:unset_env')));
  },
};

/**
 * The applications to start for `root`, dependencies first (depth first, in each spec's order),
 * root last; {error, {App, {not_loaded, App}}} for a dependency that is not loaded.
 */
function* dependencyOrder(root: Atom): ProcessGenerator<Atom[] | Tuple> {
  const order: Atom[] = [];
  const seen = new Set<Atom>();
  function* visit(app: Atom): ProcessGenerator<Tuple | undefined> {
    if (seen.has(app)) return undefined;
    seen.add(app);
    const deps = yield* ac(tuple(atom('deps'), app));
    if (!Array.isArray(deps)) return tuple(A.error, tuple(app, tuple(A.not_loaded, app)));
    for (const d of deps as Atom[]) {
      const failed = yield* visit(d);
      if (failed !== undefined) return failed;
    }
    order.push(app);
    return undefined;
  }
  const failed = yield* visit(root);
  return failed ?? order;
}
