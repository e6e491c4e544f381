/**
 * sys: OTP's system message protocol, its client functions, and the server-side helper a
 * behaviour calls when a system message arrives.
 *
 * Protocol (OTP's): the client sends {system, {Pid, Tag}, Request} and waits for {Tag, Reply}
 * (a monitor gives noproc / the server's death as exits, as gen:call does; default timeout
 * 5000 ms). Requests and replies:
 *
 *   | client                              | Request                          | Reply                         |
 *   |-------------------------------------|----------------------------------|-------------------------------|
 *   | getState(S)                         | get_state                        | State (or raises)             |
 *   | replaceState(S, Fun)                | {replace_state, Fun}             | NewState                      |
 *   | getStatus(S)                        | get_status                       | {status, Pid, {module, M}, [PDict, running/suspended, Parent, Debug, Misc]} |
 *   | suspend(S) / resume(S)              | suspend / resume                 | ok                            |
 *   | changeCode(S, Mod, OldVsn, Extra)   | {change_code, Mod, OldVsn, Extra} | ok | {error, R} (suspended; else unknown_system_msg) |
 *   | statistics(S, true/false/get)       | {debug, {statistics, Flag}}      | ok | {ok, Stats} | no_statistics |
 *   | trace(S, true/false)                | {debug, {trace, Flag}}           | ok                            |
 *   | log(S, true/false/get/{true, N})    | {debug, {log, Flag}}             | ok | {ok, [Event]}            |
 *   | logToFile(S, FileName/false)        | {debug, {log_to_file, FileName}} | ok | {error, open_file}       |
 *   | noDebug(S)                          | {debug, no_debug}                | ok                            |
 *
 * A suspended process handles only system messages (and its parent's exit) until resume, as
 * sys:handle_system_msg does: the helper loops inside `handleSystemMessage` until then.
 *
 * A behaviour supports sys in about ten lines: keep a `SysDebug` (newDebug()), call
 * `debugEvent(debug, name, event, print)` where it receives and answers (only when
 * `debug.active`), and on {system, From, Req} run `yield* handleSystemMessage(req, from,
 * adapter, debug)` with an adapter giving its state, status and code_change; a `{stop: R}`
 * result means the parent exited while the process was suspended (terminate with R).
 *
 * Trace output: each event is printed as OTP's "*DBG* …" line (the behaviour's print function)
 * through the runtime's logger hook, the path io:format to standard_io takes here (stderr, or
 * the VM's `logger` option; the mesh carries it from scheduler threads). log_to_file writes
 * the same lines to a file: it is created (emptied) when the option is set, each line is
 * appended as the event happens (no descriptor is held, so a process that dies leaves none
 * open), and a path that cannot be written gives {error, open_file} as in OTP. no_debug turns
 * every option off. Statistics count messages in and out from the events; reductions are the
 * process's since statistics began.
 *
 * Differences from OTP: replace_state's Fun is a JS function, which cannot cross threads: it
 * works when the client and the server share a scheduler thread, else pass an ExportFun
 * (fun M:F/1, exportFun()) that every thread has. sys:install/remove (debug funs) are not
 * offered, since a fun installed from another thread could not run there; start_time/current_time
 * are local time.
 *
 * Threads: module code, inside processes. Bad input: an unknown request gets {error,
 * {unknown_system_msg, Req}}; a Fun that throws leaves the state as it was and the client
 * exits with {callback_failed, …} as in OTP.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { replyOrDown } from './call_reply.js';
import { InvalidArgumentError, describeValue } from '../errors/index.js';
import { caught, demonitor, exit, get, monitor, processInfo, receive, self, send, whereis, writeLog, type ProcessGenerator } from '../process/index.js';
import { lookupExport } from '../process/module_registry.js';
import { Atom, atom, ErlClosure, ExportFun, Pid, Tuple, tuple, type Term } from '../term/index.js';

const A = {
  system: atom('system'),
  ok: atom('ok'),
  error: atom('error'),
  get_state: atom('get_state'),
  replace_state: atom('replace_state'),
  get_status: atom('get_status'),
  suspend: atom('suspend'),
  resume: atom('resume'),
  change_code: atom('change_code'),
  debug: atom('debug'),
  statistics: atom('statistics'),
  trace: atom('trace'),
  log: atom('log'),
  log_to_file: atom('log_to_file'),
  no_debug: atom('no_debug'),
  open_file: atom('open_file'),
  get: atom('get'),
  no_statistics: atom('no_statistics'),
  running: atom('running'),
  suspended: atom('suspended'),
  status: atom('status'),
  module: atom('module'),
  EXIT: atom('EXIT'),
  DOWN: atom('DOWN'),
  noproc: atom('noproc'),
  timeout: atom('timeout'),
  sys: atom('sys'),
  callback_failed: atom('callback_failed'),
  unknown_system_msg: atom('unknown_system_msg'),
  start_time: atom('start_time'),
  current_time: atom('current_time'),
  reductions: atom('reductions'),
  messages_in: atom('messages_in'),
  messages_out: atom('messages_out'),
  in: atom('in'),
  out: atom('out'),
  infinity: atom('infinity'),
  via: atom('via'),
  global: atom('global'),
  sys_failed: atom('$sys_failed'),
};

/** A debug event, as OTP's: {in, Msg}, {in, Msg, From}, {out, Msg, To}, {out, Msg, To, State}, or the behaviour's own. */
export type SysEvent = Term;

/** The sys debug options of one process (OTP's Debug list, as a record). */
export interface SysDebug {
  /** True when any option is on (a behaviour checks this before building an event). */
  active: boolean;
  trace: boolean;
  stats: { readonly startTime: Term; readonly startReductions: number; messagesIn: number; messagesOut: number } | undefined;
  log: { readonly max: number; readonly events: Term[] } | undefined;
  /** log_to_file: the file the *DBG* lines are appended to. */
  logFile: string | undefined;
}

export function newDebug(): SysDebug {
  return { active: false, trace: false, stats: undefined, log: undefined, logFile: undefined };
}

function refresh(debug: SysDebug): void {
  debug.active = debug.trace || debug.stats !== undefined || debug.log !== undefined || debug.logFile !== undefined;
}

/** Prints an event as the behaviour's *DBG* line (OTP's print_event). */
export type PrintEvent = (name: Term, event: SysEvent) => string;

/** sys:handle_debug: counts the event for statistics, keeps it in the log, prints it when tracing. */
export function debugEvent(debug: SysDebug, name: Term, event: SysEvent, print: PrintEvent): void {
  if (!debug.active) return;
  if (debug.stats !== undefined && event instanceof Tuple) {
    if (event.at(0) === A.in) debug.stats.messagesIn++;
    else if (event.at(0) === A.out) debug.stats.messagesOut++;
  }
  if (debug.log !== undefined) {
    debug.log.events.push(event);
    if (debug.log.events.length > debug.log.max) debug.log.events.shift();
  }
  if (debug.trace || debug.logFile !== undefined) {
    const line = print(name, event);
    if (debug.trace) writeLog('info', line);
    if (debug.logFile !== undefined) appendLogLine(debug, line);
  }
}

function appendLogLine(debug: SysDebug, line: string): void {
  try {
    appendFileSync(debug.logFile!, line.endsWith('\n') ? line : line + '\n');
  } catch {
    // The file went away or became unwritable: OTP's write to a closed device would fail the
    // same way; the option is dropped rather than failing the process on every event.
    debug.logFile = undefined;
    refresh(debug);
  }
}

/** sys's log_to_file FileName: a binary, a string, an atom or a char list. */
function fileNameOf(name: Term): string | undefined {
  if (typeof name === 'string') return name;
  if (name instanceof Uint8Array) return new TextDecoder().decode(name);
  if (name instanceof Atom) return name.name;
  if (Array.isArray(name) && name.length > 0 && name.every((c) => Number.isSafeInteger(c) && (c as number) >= 0 && (c as number) <= 0x10ffff)) {
    return String.fromCodePoint(...(name as number[]));
  }
  return undefined;
}

/** What a behaviour gives handleSystemMessage. */
export interface SystemAdapter {
  /** The parent (whose exit ends a suspended process). */
  readonly parent: Pid;
  /** The callback module (get_status's {module, M} names the behaviour module instead: `behaviour`). */
  readonly behaviour: Atom;
  getState(): Term;
  /** Sets the state (after the Fun of replace_state ran). */
  setState(state: Term): void;
  /**
   * replace_state for a behaviour whose Fun is not applied to its whole state (gen_event applies
   * it to each handler's {Module, Id, State}): applies `apply` as it needs, returns the reply.
   */
  replaceState?(apply: (state: Term) => Term): Term;
  /** The behaviour's part of get_status: [PDict, SysState, Parent, Debug, Misc]'s Misc. */
  status(sysState: Atom, debug: SysDebug): ProcessGenerator<Term>;
  /** Mod:code_change(OldVsn, State, Extra): ok (state replaced) or {error, R}. */
  codeChange?(module: Term, oldVsn: Term, extra: Term): ProcessGenerator<Term>;
}

function isSystemFrom(from: Term): from is Tuple {
  return from instanceof Tuple && from.size === 2 && from.at(0) instanceof Pid;
}

function replyTo(from: Term, reply: Term): void {
  if (isSystemFrom(from)) send(from.at(0) as Pid, tuple(from.at(1), reply));
}

function localTime(): Term {
  const d = new Date();
  return tuple(tuple(d.getFullYear(), d.getMonth() + 1, d.getDate()), tuple(d.getHours(), d.getMinutes(), d.getSeconds()));
}

function* reductionsNow(): ProcessGenerator<number> {
  const info = yield* processInfo(self(), 'reductions');
  return info instanceof Tuple ? (info.at(1) as number) : 0;
}

/** Applies replace_state's Fun (a JS function or an ExportFun of arity 1). */
function applyFun(fun: Term, state: Term): Term {
  if (typeof fun === 'function') return (fun as (s: Term) => Term)(state);
  if (fun instanceof ExportFun && fun.arity === 1) {
    const fn = lookupExport(fun.module, fun.name);
    if (fn !== undefined) return (fn as (s: Term) => Term)(state);
    exit(tuple(atom('undef'), [tuple(fun.module, fun.name, [state], [])]));
  }
  if (fun instanceof ErlClosure) exit(tuple(atom('badfun'), fun));
  throw new InvalidArgumentError(`sys:replace_state: the function must be a JS function or fun M:F/1; received ${describeValue(fun)}`);
}

function* debugRequest(option: Term, debug: SysDebug): ProcessGenerator<Term> {
  if (option === A.no_debug) {
    Object.assign(debug, newDebug());
    return A.ok;
  }
  if (!(option instanceof Tuple) || option.size !== 2) return tuple(A.error, tuple(A.unknown_system_msg, tuple(A.debug, option)));
  const [kind, flag] = option.elements as [Term, Term];
  let reply: Term = A.ok;
  if (kind === A.trace) debug.trace = flag === true;
  else if (kind === A.statistics) {
    if (flag === true) debug.stats = { startTime: localTime(), startReductions: yield* reductionsNow(), messagesIn: 0, messagesOut: 0 };
    else if (flag === false) debug.stats = undefined;
    else if (flag === A.get) {
      const s = debug.stats;
      reply =
        s === undefined
          ? A.no_statistics
          : tuple(A.ok, [
              tuple(A.start_time, s.startTime),
              tuple(A.current_time, localTime()),
              tuple(A.reductions, (yield* reductionsNow()) - s.startReductions),
              tuple(A.messages_in, s.messagesIn),
              tuple(A.messages_out, s.messagesOut),
            ]);
    }
  } else if (kind === A.log) {
    if (flag === true) debug.log = { max: 10, events: debug.log?.events ?? [] };
    else if (flag instanceof Tuple && flag.size === 2 && flag.at(0) === true && typeof flag.at(1) === 'number') debug.log = { max: flag.at(1) as number, events: debug.log?.events ?? [] };
    else if (flag === false) debug.log = undefined;
    else if (flag === A.get) reply = tuple(A.ok, debug.log === undefined ? [] : [...debug.log.events]);
  } else if (kind === A.log_to_file) {
    debug.logFile = undefined;
    const file = flag === false ? undefined : fileNameOf(flag);
    if (flag !== false) {
      try {
        if (file === undefined) throw new Error('not a file name');
        writeFileSync(file, '');
        debug.logFile = file;
      } catch {
        reply = tuple(A.error, A.open_file);
      }
    }
  } else {
    reply = tuple(A.error, tuple(A.unknown_system_msg, tuple(A.debug, option)));
  }
  refresh(debug);
  return reply;
}

/**
 * Handles one system message, and, after `suspend`, every message until `resume`: returns
 * undefined to go on, or {stop: Reason} when the parent exited while suspended.
 */
export function* handleSystemMessage(request: Term, from: Term, adapter: SystemAdapter, debug: SysDebug): ProcessGenerator<{ stop: Term } | undefined> {
  let suspended = false;
  let req = request;
  let who = from;
  for (;;) {
    let reply: Term;
    if (req === A.get_state) reply = adapter.getState();
    else if (req instanceof Tuple && req.size === 2 && req.at(0) === A.replace_state) {
      try {
        const fun = req.at(1);
        if (adapter.replaceState !== undefined) reply = adapter.replaceState((state) => applyFun(fun, state));
        else {
          const next = applyFun(fun, adapter.getState());
          adapter.setState(next);
          reply = next;
        }
      } catch (thrown) {
        // The state stays; the client exits with {callback_failed, …} (sys's replace_state).
        const c = caught(thrown);
        reply = tuple(A.sys_failed, tuple(A.callback_failed, tuple(adapter.behaviour, atom('system_replace_state')), tuple(atom(c.class), c.reason)));
      }
    } else if (req === A.get_status) {
      const misc = yield* adapter.status(suspended ? A.suspended : A.running, debug);
      reply = tuple(A.status, self(), tuple(A.module, adapter.behaviour), [get(), suspended ? A.suspended : A.running, adapter.parent, debugTerm(debug), misc]);
    } else if (req === A.suspend) {
      suspended = true;
      reply = A.ok;
    } else if (req === A.resume) {
      suspended = false;
      reply = A.ok;
    } else if (req instanceof Tuple && req.size === 4 && req.at(0) === A.change_code) {
      // As sys's do_cmd: change_code is a command of a suspended process only.
      if (!suspended) reply = tuple(A.error, tuple(A.unknown_system_msg, req));
      else if (adapter.codeChange === undefined) reply = tuple(A.error, atom('not_supported'));
      else reply = yield* adapter.codeChange(req.at(1), req.at(2), req.at(3));
    } else if (req instanceof Tuple && req.size === 2 && req.at(0) === A.debug) {
      reply = yield* debugRequest(req.at(1), debug);
    } else {
      reply = tuple(A.error, tuple(A.unknown_system_msg, req));
    }
    replyTo(who, reply);
    if (!suspended) return undefined;
    // Suspended: only system messages and the parent's exit (sys:suspend_loop).
    const parent = adapter.parent;
    const got = yield* receive((m: Term) => {
      if (!(m instanceof Tuple)) return undefined;
      if (m.size === 3 && m.at(0) === A.system) return { req: m.at(2), from: m.at(1) };
      if (m.size === 3 && m.at(0) === A.EXIT && m.at(1) instanceof Pid && (m.at(1) as Pid).equals(parent)) return { stop: m.at(2) };
      return undefined;
    });
    if ('stop' in got) return { stop: got.stop };
    req = got.req;
    who = got.from;
  }
}

function debugTerm(debug: SysDebug): Term {
  const out: Term[] = [];
  if (debug.trace) out.push(A.trace);
  if (debug.stats !== undefined) out.push(tuple(A.statistics, tuple(debug.stats.startTime, debug.stats.messagesIn, debug.stats.messagesOut)));
  if (debug.log !== undefined) out.push(tuple(A.log, tuple(debug.log.max, [...debug.log.events])));
  if (debug.logFile !== undefined) out.push(tuple(A.log_to_file, debug.logFile));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Client side

/** A process to talk to: pid, registered name, {Name, Node}, {via, M, Name}. */
export type SysName = Pid | Atom | Tuple;

function resolve(name: SysName, where: string): Pid | undefined {
  if (name instanceof Pid) return name;
  if (name instanceof Atom) return whereis(name);
  if (name instanceof Tuple && name.size === 2 && name.at(0) instanceof Atom) {
    if (name.at(0) === A.global) return resolve(tuple(A.via, A.global, name.at(1)), where);
    return whereis(name.at(0) as Atom);
  }
  if (name instanceof Tuple && name.size === 3 && name.at(0) === A.via && name.at(1) instanceof Atom) {
    const fn = lookupExport(name.at(1) as Atom, atom('whereis_name'));
    if (fn === undefined) throw new InvalidArgumentError(`${where}: the via module ${(name.at(1) as Atom).name} has no whereis_name/1`);
    const pid = (fn as (n: Term) => Term)(name.at(2));
    return pid instanceof Pid ? pid : undefined;
  }
  throw new InvalidArgumentError(`${where}: a process is a pid, a registered name, {Name, Node} or {via, Module, Name}; received ${describeValue(name)}`);
}

/** gen:call(Name, system, Request, Timeout): the reply, or exits as OTP's sys functions do. */
export function* systemCall(name: SysName, request: Term, timeout: number | 'infinity' = 5000, fn = 'sys'): ProcessGenerator<Term> {
  if (timeout !== 'infinity' && (typeof timeout !== 'number' || !Number.isSafeInteger(timeout) || timeout < 0)) {
    throw new InvalidArgumentError(`sys: timeout must be a non-negative integer of ms or 'infinity'; received ${describeValue(timeout)}`);
  }
  const info = (): Term => tuple(A.sys, atom(fn), [name as Term]);
  const pid = resolve(name, `sys:${fn}`);
  if (pid === undefined) exit(tuple(A.noproc, info()));
  const tag = monitor('process', pid);
  send(pid, tuple(A.system, tuple(self(), tag), request));
  const got = yield* receive(replyOrDown(tag), timeout);
  demonitor(tag, { flush: true });
  if (got === undefined) exit(tuple(A.timeout, info()));
  if ('down' in got) exit(tuple(got.down, info()));
  const reply = got.reply;
  if (reply instanceof Tuple && reply.size === 2 && reply.at(0) === A.sys_failed) exit(tuple(reply.at(1), info()));
  return reply;
}

function flagOf(value: unknown, where: string, allowed: readonly Term[]): Term {
  if (allowed.includes(value as Term)) return value as Term;
  throw new InvalidArgumentError(`${where}: flag must be ${allowed.map((a) => (a instanceof Atom ? a.name : String(a))).join(', ')}; received ${describeValue(value)}`);
}

/** The sys API, used with yield* inside processes. */
export const Sys = {
  /** sys:get_state(Name[, Timeout]). */
  *getState(name: SysName, timeout: number | 'infinity' = 5000): ProcessGenerator<Term> {
    const reply = yield* systemCall(name, A.get_state, timeout, 'get_state');
    return reply;
  },
  /** sys:replace_state(Name, Fun[, Timeout]): the new state. */
  *replaceState(name: SysName, fun: ((state: Term) => Term) | ExportFun, timeout: number | 'infinity' = 5000): ProcessGenerator<Term> {
    if (typeof fun !== 'function' && !(fun instanceof ExportFun)) throw new InvalidArgumentError(`sys:replace_state: fun must be a function or fun M:F/1; received ${describeValue(fun)}`);
    return yield* systemCall(name, tuple(A.replace_state, fun as unknown as Term), timeout, 'replace_state');
  },
  /** sys:get_status(Name[, Timeout]). */
  *getStatus(name: SysName, timeout: number | 'infinity' = 5000): ProcessGenerator<Term> {
    return yield* systemCall(name, A.get_status, timeout, 'get_status');
  },
  /** sys:suspend(Name[, Timeout]). */
  *suspend(name: SysName, timeout: number | 'infinity' = 5000): ProcessGenerator<Term> {
    return yield* systemCall(name, A.suspend, timeout, 'suspend');
  },
  /** sys:resume(Name[, Timeout]). */
  *resume(name: SysName, timeout: number | 'infinity' = 5000): ProcessGenerator<Term> {
    return yield* systemCall(name, A.resume, timeout, 'resume');
  },
  /** sys:change_code(Name, Module, OldVsn, Extra[, Timeout]): the process must be suspended. */
  *changeCode(name: SysName, module: Atom, oldVsn: Term, extra: Term, timeout: number | 'infinity' = 5000): ProcessGenerator<Term> {
    return yield* systemCall(name, tuple(A.change_code, module, oldVsn, extra), timeout, 'change_code');
  },
  /** sys:statistics(Name, true | false | get). */
  *statistics(name: SysName, flag: boolean | Atom): ProcessGenerator<Term> {
    return yield* systemCall(name, tuple(A.debug, tuple(A.statistics, flagOf(flag, 'sys:statistics', [true, false, A.get]))), 5000, 'statistics');
  },
  /** sys:trace(Name, true | false): prints *DBG* lines through the logger hook. */
  *trace(name: SysName, flag: boolean): ProcessGenerator<Term> {
    return yield* systemCall(name, tuple(A.debug, tuple(A.trace, flagOf(flag, 'sys:trace', [true, false]))), 5000, 'trace');
  },
  /** sys:log(Name, true | {true, N} | false | get): keeps the last N events (10 by default). */
  *log(name: SysName, flag: boolean | Atom | Tuple): ProcessGenerator<Term> {
    const ok = flag === true || flag === false || flag === A.get || (flag instanceof Tuple && flag.size === 2 && flag.at(0) === true && Number.isSafeInteger(flag.at(1)));
    if (!ok) throw new InvalidArgumentError(`sys:log: flag must be true, false, get or {true, N}; received ${describeValue(flag)}`);
    return yield* systemCall(name, tuple(A.debug, tuple(A.log, flag)), 5000, 'log');
  },
  /** sys:log_to_file(Name, FileName | false): writes the *DBG* lines to the file (ok | {error, open_file}). */
  *logToFile(name: SysName, fileName: string | false): ProcessGenerator<Term> {
    if (fileName !== false && (typeof fileName !== 'string' || fileName.length === 0)) {
      throw new InvalidArgumentError(`sys:log_to_file: the file name must be a non-empty string or false; received ${describeValue(fileName)}`);
    }
    return yield* systemCall(name, tuple(A.debug, tuple(A.log_to_file, fileName)), 5000, 'log_to_file');
  },
  /** sys:no_debug(Name): turns every debug option off. */
  *noDebug(name: SysName): ProcessGenerator<Term> {
    return yield* systemCall(name, tuple(A.debug, A.no_debug), 5000, 'no_debug');
  },
};
