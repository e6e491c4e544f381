/**
 * logger: OTP's logger, its levels, primary config, handlers, per-module levels, and the
 * formats OTP 25's default handler prints (CRASH, SUPERVISOR, PROGRESS and ERROR reports, the
 * gen_server, gen_statem and gen_event error reports).
 *
 *     yield* Logger.setPrimaryConfig('level', 'info');         // logger:set_primary_config/2
 *     yield* Logger.addHandler(atom('mine'), 'my_h', { pid });  // logger:add_handler/3
 *     Logger.error('disk full');                                // ?LOG_ERROR
 *     Logger.log('info', { report: [tuple(atom('k'), 1)] });    // a report
 *
 * Levels, most severe first: emergency, alert, critical, error, warning, notice, info, debug
 * (plus `all` and `none` for configs). An event passes when its level is at least as severe as
 * the primary level (default notice, as OTP; the module level, when one is set for the event's
 * module, replaces the primary one), and then reaches each handler whose own level it passes.
 *
 * Events, in OTP's shape (a map): {level, msg, meta}: msg is {string, Text}, {report, Report}
 * or {Format, Args} (Format as io:format's, only ~p ~w ~s ~n ~~ are expanded); meta holds pid,
 * time (µs since the epoch, as erlang:system_time(microsecond)), and what the caller gives
 * (mfa, report_cb's label is in the report: #{label => {proc_lib, crash}, report => …}).
 *
 * Where it runs (the difference from OTP): OTP keeps the config in ETS/persistent_term and runs
 * handlers in the logging process. A beamjs VM has a thread per scheduler, so the config lives
 * in one registered process, `logger` (started on first use by whichever process logs first;
 * a race between two threads is settled by the name registry), and every event is a message to
 * it; it filters and runs the handlers. So a log call never blocks, events of one process keep
 * their order, and a debug event below the level still costs one message (filter at the call
 * site for hot paths). Handlers are modules (defineModule) exporting log(Event, Config), so they
 * run on whichever thread the logger process is. The default handler (`default`, module
 * logger_std_h) formats the event in OTP's legacy format and writes it through the runtime's
 * logger hook (src/process/log.ts), which the VM forwards from scheduler threads to the main
 * thread through the mesh: stderr by default, the VM's `logger` option, or nothing when that
 * is false. logger_send_h is a ready handler that sends {log, Event} to config.pid (tests use
 * it with the VM's own pid to capture reports).
 *
 * Threads: module code, any scheduler thread, inside a process. Bad input: an unknown level or
 * handler module is an InvalidArgumentError naming it; a handler that throws is removed (as
 * OTP does) and the removal is printed through the default path.
 */
import { BeamError, InvalidArgumentError, describeValue } from '../errors/index.js';
import { defineModule, receive, register, self, send, spawn, whereis, writeLog, exit, isModuleDefined, caught, ErlangException, monitor, demonitor, type ProcessGenerator, type LogLevel } from '../process/index.js';
import { lookupExport } from '../process/module_registry.js';
import { Atom, atom, format, isPlainObject, Pid, Ref, Tuple, tuple, type Term } from '../term/index.js';

/** OTP's log levels. */
export type Level = 'emergency' | 'alert' | 'critical' | 'error' | 'warning' | 'notice' | 'info' | 'debug';
/** A config level: a Level, or all / none. */
export type ConfigLevel = Level | 'all' | 'none';

const SEVERITY: Readonly<Record<ConfigLevel, number>> = { none: -1, emergency: 0, alert: 1, critical: 2, error: 3, warning: 4, notice: 5, info: 6, debug: 7, all: 8 };

function levelName(value: unknown, where: string, configLevel: boolean): ConfigLevel {
  const name = value instanceof Atom ? value.name : value;
  if (typeof name === 'string' && name in SEVERITY && (configLevel || (name !== 'all' && name !== 'none'))) return name as ConfigLevel;
  const allowed = configLevel ? 'emergency, alert, critical, error, warning, notice, info, debug, all or none' : 'emergency, alert, critical, error, warning, notice, info or debug';
  throw new InvalidArgumentError(`${where}: level must be ${allowed}; received ${describeValue(value)}`);
}

/** True when an event of `level` passes a config of `threshold`. */
export function levelPasses(level: Level, threshold: ConfigLevel): boolean {
  return SEVERITY[level] <= SEVERITY[threshold];
}

/** What Logger.log accepts as the message. */
export type LogMessage = string | { readonly report: Term } | { readonly format: string; readonly args: readonly Term[] };

/** A log event as handlers get it (a map with atom keys). */
export interface LogEvent {
  readonly level: Atom;
  readonly msg: Tuple;
  readonly meta: Record<string, Term>;
}

const A = {
  logger: atom('logger'),
  log: atom('log'),
  string: atom('string'),
  report: atom('report'),
  ok: atom('ok'),
  error: atom('error'),
  call: atom('$logger_call'),
  event: atom('$logger_event'),
  reply: atom('$logger_reply'),
  DOWN: atom('DOWN'),
  default: atom('default'),
  logger_std_h: atom('logger_std_h'),
  label: atom('label'),
  proc_lib: atom('proc_lib'),
  crash: atom('crash'),
  supervisor: atom('supervisor'),
  progress: atom('progress'),
  gen_server: atom('gen_server'),
  gen_statem: atom('gen_statem'),
  gen_event: atom('gen_event'),
  terminate: atom('terminate'),
  application_controller: atom('application_controller'),
  not_found: atom('not_found'),
  already_exist: atom('already_exist'),
};

// ---------------------------------------------------------------------------------------------
// Formatting (OTP 25's default handler: logger_formatter with legacy_header and single_line
// false). Terms are printed on one line by term/format.ts (OTP wraps long terms at 80 columns).

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** OTP's legacy header time: 3-Dec-2026::11:01:57.904270 (local time, µs). */
export function legacyTime(micros: number): string {
  const d = new Date(Math.floor(micros / 1000));
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getDate()}-${MONTHS[d.getMonth()]}-${d.getFullYear()}::${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(Math.floor(micros % 1_000_000), 6)}`;
}

function proplist(list: Term): Array<[string, Term]> {
  const out: Array<[string, Term]> = [];
  if (!Array.isArray(list)) return out;
  for (const item of list as Term[]) {
    if (item instanceof Tuple && item.size === 2) {
      const key = item.at(0);
      out.push([key instanceof Atom ? key.name : typeof key === 'string' ? key : format(key), item.at(1)]);
    }
  }
  return out;
}

function text(value: Term): string {
  return typeof value === 'string' ? value : format(value);
}

/** io:format's ~p ~w ~s ~n ~~ (the rest is printed as written). */
export function formatIo(fmt: string, args: readonly Term[]): string {
  let i = 0;
  return fmt.replace(/~(-?\d*)(t?)([pPwWsn~])/g, (_m, _w, _t, c: string) => {
    if (c === 'n') return '\n';
    if (c === '~') return '~';
    const arg = args[i++];
    if (c === 's' && (typeof arg === 'string' || arg instanceof Atom)) return arg instanceof Atom ? arg.name : arg;
    return format(arg);
  });
}

function labelOf(report: Term): Tuple | undefined {
  if (isPlainObject(report)) {
    const label = (report as Record<string, Term>).label;
    if (label instanceof Tuple && label.size === 2) return label;
  }
  return undefined;
}

/** The body of a report (after the =… REPORT==== header line), as OTP 25 prints it. */
export function formatReport(report: Term): { header: string | undefined; body: string } {
  const label = labelOf(report);
  const map = report as Record<string, Term>;
  if (label !== undefined && label.at(0) === A.proc_lib && label.at(1) === A.crash) {
    const [crash, linkInfo] = map.report as [Term, Term];
    let body = '  crasher:\n';
    for (const [key, value] of proplist(crash)) {
      if (key === 'initial_call') body += `    initial call: ${formatMfa(value)}\n`;
      else if (key === 'error_info') body += formatErrorInfo(value);
      else body += `    ${key}: ${text(value)}\n`;
    }
    body += '  neighbours:\n';
    for (const n of Array.isArray(linkInfo) ? (linkInfo as Term[]) : []) body += `    neighbour: ${text(n)}\n`;
    return { header: 'CRASH REPORT', body };
  }
  if (label !== undefined && label.at(0) === A.supervisor) {
    let body = '';
    for (const [key, value] of proplist(map.report)) body += `    ${key}: ${text(value)}\n`;
    return { header: label.at(1) === A.progress ? 'PROGRESS REPORT' : 'SUPERVISOR REPORT', body };
  }
  if (label !== undefined && label.at(0) === A.application_controller) {
    let body = '';
    for (const [key, value] of proplist(map.report)) body += `    ${key}: ${text(value)}\n`;
    return { header: label.at(1) === A.progress ? 'PROGRESS REPORT' : undefined, body };
  }
  if (label !== undefined && label.at(0) === A.gen_server && label.at(1) === A.terminate) {
    let body = `** Generic server ${text(map.name)} terminating \n** Last message in was ${text(map.last_message)}\n** When Server state == ${text(map.state)}\n** Reason for termination ==\n** ${text(map.reason)}\n`;
    const client = map.client_info;
    if (client instanceof Tuple && client.size === 2 && client.at(0) instanceof Pid) {
      const info = client.at(1);
      if (info instanceof Tuple && info.size === 2) body += `** Client ${text(info.at(0))} stacktrace\n** ${text(info.at(1))}\n`;
      else if (info === atom('dead')) body += `** Client ${text(client.at(0))} is dead\n`;
    }
    return { header: undefined, body };
  }
  if (label !== undefined && label.at(0) === A.gen_statem && label.at(1) === A.terminate) return { header: undefined, body: formatStatemTerminate(map) };
  if (label !== undefined && label.at(0) === A.gen_event && label.at(1) === A.terminate) {
    const body = `** gen_event handler ${text(map.handler)} crashed.\n** Was installed in ${text(map.name)}\n** Last event was: ${text(map.last_message)}\n** When handler state == ${text(map.state)}\n** Reason == ${text(map.reason)}\n`;
    return { header: undefined, body };
  }
  if (Array.isArray(report)) {
    let body = '';
    for (const [key, value] of proplist(report)) body += `    ${key}: ${text(value)}\n`;
    return { header: undefined, body };
  }
  return { header: undefined, body: `${text(report)}\n` };
}

/** OTP 25's gen_statem:format_log (the lines it prints, in its order; empty parts are left out). */
function formatStatemTerminate(map: Record<string, Term>): string {
  const queue = Array.isArray(map.queue) ? (map.queue as Term[]) : [];
  const postponed = Array.isArray(map.postponed) ? (map.postponed as Term[]) : [];
  const log = Array.isArray(map.log) ? (map.log as Term[]) : [];
  const reason = map.reason instanceof Tuple && map.reason.size === 3 ? map.reason : tuple(atom('exit'), map.reason, []);
  const stack = reason.at(2);
  let body = `** State machine ${text(map.name)} terminating\n`;
  if (queue.length > 0) body += `** Last event = ${text(queue[0])}\n`;
  body += `** When server state  = ${text(map.state)}\n`;
  body += `** Reason for termination = ${text(reason.at(0))}:${text(reason.at(1))}\n`;
  body += `** Callback modules = ${text(map.modules)}\n`;
  body += `** Callback mode = ${text(map.callback_mode)}\n`;
  if (queue.length > 1) body += `** Queued = ${text(queue.slice(1))}\n`;
  if (postponed.length > 0) body += `** Postponed = ${text(postponed)}\n`;
  if (Array.isArray(stack) && stack.length > 0) body += `** Stacktrace =\n**  ${text(stack)}\n`;
  const timeouts = map.timeouts;
  if (timeouts instanceof Tuple && timeouts.size === 2 && timeouts.at(0) !== 0) body += `** Time-outs: ${text(timeouts)}\n`;
  if (log.length > 0) body += `** Log =\n**  ${text(log)}\n`;
  const client = map.client_info;
  if (client instanceof Tuple && client.size === 2 && client.at(0) instanceof Pid) {
    const info = client.at(1);
    if (info instanceof Tuple && info.size === 2) body += `** Client ${text(info.at(0))} stacktrace\n** ${text(info.at(1))}\n`;
    else if (info === atom('dead')) body += `** Client ${text(client.at(0))} is dead\n`;
  }
  return body;
}

function formatMfa(value: Term): string {
  if (value instanceof Tuple && value.size === 3 && value.at(0) instanceof Atom && value.at(1) instanceof Atom) {
    const args = value.at(2);
    const arity = Array.isArray(args) ? args.length : (args as number);
    return `${format(value.at(0))}:${format(value.at(1))}/${arity}`;
  }
  return text(value);
}

function formatErrorInfo(value: Term): string {
  if (value instanceof Tuple && value.size === 3) {
    const [cls, reason, stack] = value.elements as [Atom, Term, Term];
    let out = `    exception ${cls.name}: ${text(reason)}\n`;
    if (Array.isArray(stack)) {
      (stack as Term[]).forEach((frame, i) => {
        if (frame instanceof Tuple && frame.size === 4) out += `      ${i === 0 ? 'in function ' : 'in call from'} ${formatMfa(tuple(frame.at(0), frame.at(1), frame.at(2)))}\n`;
      });
    }
    return out;
  }
  return `    error_info: ${text(value)}\n`;
}

const HEADERS: Readonly<Record<Level, string>> = {
  emergency: 'EMERGENCY REPORT',
  alert: 'ALERT REPORT',
  critical: 'CRITICAL REPORT',
  error: 'ERROR REPORT',
  warning: 'WARNING REPORT',
  notice: 'NOTICE REPORT',
  info: 'INFO REPORT',
  debug: 'DEBUG REPORT',
};

/** An event as the default handler prints it: the legacy header, then the message. */
export function formatEvent(event: LogEvent): string {
  const level = event.level.name as Level;
  const time = typeof event.meta.time === 'number' ? event.meta.time : Date.now() * 1000;
  const msg = event.msg;
  let header = HEADERS[level];
  let body: string;
  if (msg.at(0) === A.string) body = `${text(msg.at(1))}\n`;
  else if (msg.at(0) === A.report) {
    const r = formatReport(msg.at(1));
    if (r.header !== undefined) header = r.header;
    body = r.body;
  } else body = `${formatIo(text(msg.at(0)), (msg.at(1) as Term[]) ?? [])}\n`;
  return `=${header}==== ${legacyTime(time)} ===\n${body}`;
}

function hookLevel(level: Level): LogLevel {
  return SEVERITY[level] <= SEVERITY.error ? 'error' : level === 'warning' ? 'warning' : 'info';
}

// ---------------------------------------------------------------------------------------------
// The logger process

interface HandlerEntry {
  readonly id: Atom;
  readonly module: Atom;
  level: ConfigLevel;
  readonly config: Record<string, Term>;
}

interface LoggerState {
  primary: ConfigLevel;
  readonly moduleLevels: Map<Atom, ConfigLevel>;
  readonly handlers: HandlerEntry[];
}

function defaultState(): LoggerState {
  return { primary: 'notice', moduleLevels: new Map(), handlers: [{ id: A.default, module: A.logger_std_h, level: 'all', config: {} }] };
}

function dispatch(state: LoggerState, event: LogEvent): void {
  const level = event.level.name as Level;
  const mfa = event.meta.mfa;
  const module = mfa instanceof Tuple && mfa.at(0) instanceof Atom ? (mfa.at(0) as Atom) : undefined;
  const threshold = (module !== undefined ? state.moduleLevels.get(module) : undefined) ?? state.primary;
  if (!levelPasses(level, threshold)) return;
  for (const h of [...state.handlers]) {
    if (!levelPasses(level, h.level)) continue;
    const fn = lookupExport(h.module, A.log);
    try {
      if (fn === undefined) throw new InvalidArgumentError(`logger: handler module ${h.module.name} has no log/2`);
      (fn as (e: Term, c: Term) => unknown)(event as unknown as Term, { ...h.config, id: h.id, level: atom(h.level) });
    } catch (thrown) {
      // OTP removes a handler that crashes, and says so.
      state.handlers.splice(state.handlers.indexOf(h), 1);
      writeLog('error', `=ERROR REPORT==== ${legacyTime(Date.now() * 1000)} ===\nlogger: handler ${h.id.name} (${h.module.name}) crashed and was removed: ${format(caught(thrown).reason)}\n`);
    }
  }
}

function configReply(state: LoggerState, request: Tuple): Term {
  const op = (request.at(0) as Atom).name;
  switch (op) {
    case 'set_primary_level':
      state.primary = request.at(1) as unknown as ConfigLevel;
      return A.ok;
    case 'get_primary':
      return { level: atom(state.primary) };
    case 'set_module_level':
      for (const m of request.at(1) as Atom[]) state.moduleLevels.set(m, request.at(2) as unknown as ConfigLevel);
      return A.ok;
    case 'unset_module_level':
      for (const m of request.at(1) as Atom[]) state.moduleLevels.delete(m);
      return A.ok;
    case 'get_module_level':
      return [...state.moduleLevels].map(([m, l]) => tuple(m, atom(l)));
    case 'add_handler': {
      const id = request.at(1) as Atom;
      if (state.handlers.some((h) => h.id === id)) return tuple(A.error, tuple(A.already_exist, id));
      const config = request.at(3) as Record<string, Term>;
      const level = config.level instanceof Atom ? (config.level.name as ConfigLevel) : 'all';
      state.handlers.push({ id, module: request.at(2) as Atom, level, config });
      return A.ok;
    }
    case 'remove_handler': {
      const index = state.handlers.findIndex((h) => h.id === request.at(1));
      if (index < 0) return tuple(A.error, tuple(A.not_found, request.at(1)));
      state.handlers.splice(index, 1);
      return A.ok;
    }
    case 'set_handler_level': {
      const h = state.handlers.find((x) => x.id === request.at(1));
      if (h === undefined) return tuple(A.error, tuple(A.not_found, request.at(1)));
      h.level = request.at(2) as unknown as ConfigLevel;
      return A.ok;
    }
    case 'handler_ids':
      return state.handlers.map((h) => h.id);
    default:
      return tuple(A.error, tuple(atom('bad_request'), request));
  }
}

defineModule('logger', {
  /** The logger process: config and handlers (see the header). */
  *server() {
    const state = defaultState();
    for (;;) {
      const got = yield* receive((m: Term) => ({ m }));
      const m = got.m;
      if (m instanceof Tuple && m.size === 2 && m.at(0) === A.event) dispatch(state, m.at(1) as unknown as LogEvent);
      else if (m instanceof Tuple && m.size === 4 && m.at(0) === A.call) send(m.at(1) as Pid, tuple(A.reply, m.at(2), configReply(state, m.at(3) as Tuple)));
    }
  },
});

defineModule('logger_std_h', {
  /** The default handler: OTP's legacy format, through the runtime's logger hook. */
  log(event: LogEvent, _config: Term) {
    writeLog(hookLevel(event.level.name as Level), formatEvent(event));
    return A.ok;
  },
});

defineModule('logger_send_h', {
  /** Sends {log, Event} to config.pid (a handler for tests and for forwarding). */
  log(event: LogEvent, config: Record<string, Term>) {
    const pid = config.pid;
    if (pid instanceof Pid) send(pid, tuple(A.log, event as unknown as Term));
    return A.ok;
  },
});

/** The logger process's pid; started (and registered as `logger`) on first use. */
function loggerPid(): Pid {
  const running = whereis(A.logger);
  if (running !== undefined) return running;
  const pid = spawn('logger', 'server', []);
  try {
    register(A.logger, pid);
    return pid;
  } catch {
    // Another process (maybe on another thread) registered its own first: use that one.
    exit(pid, atom('kill'));
    const winner = whereis(A.logger);
    if (winner === undefined) throw new InvalidArgumentError('logger: the logger process could not be registered');
    return winner;
  }
}

function* loggerCall(request: Tuple): ProcessGenerator<Term> {
  const pid = loggerPid();
  const ref = monitor('process', pid);
  send(pid, tuple(A.call, self(), ref, request));
  const got = yield* receive(
    {
      match: (m: Term) => {
        if (!(m instanceof Tuple)) return undefined;
        if (m.size === 3 && m.at(0) === A.reply && m.at(1) instanceof Ref && (m.at(1) as Ref).equals(ref)) return { value: m.at(2) };
        if (m.size === 5 && m.at(0) === A.DOWN && m.at(1) instanceof Ref && (m.at(1) as Ref).equals(ref)) return { down: m.at(4) };
        return undefined;
      },
      requiredRefs: [ref],
    },
    5000,
  );
  demonitor(ref, { flush: true });
  if (got === undefined) exit(tuple(atom('timeout'), tuple(A.logger, request.at(0))));
  if ('down' in got) exit(tuple(got.down, tuple(A.logger, request.at(0))));
  return got.value;
}

function toMsg(message: LogMessage, where: string): Tuple {
  if (typeof message === 'string') return tuple(A.string, message);
  if (message !== null && typeof message === 'object' && 'report' in message) return tuple(A.report, message.report);
  if (message !== null && typeof message === 'object' && 'format' in message && typeof message.format === 'string' && Array.isArray(message.args)) return tuple(message.format, [...message.args]);
  throw new InvalidArgumentError(`${where}: message must be a string, { report } or { format, args }; received ${describeValue(message)}`);
}

function moduleAtom(module: unknown, where: string): Atom {
  const m = typeof module === 'string' ? atom(module) : module;
  if (!(m instanceof Atom)) throw new InvalidArgumentError(`${where}: module must be a name (string or Atom); received ${describeValue(module)}`);
  return m;
}

/** The logger API (inside processes; config functions are used with yield*). */
export const Logger = {
  /** logger:log(Level, Msg[, Meta]): sends the event to the logger process; returns ok. */
  log(level: Level | Atom, message: LogMessage, meta: Record<string, Term> = {}): Atom {
    const name = levelName(level, 'logger:log', false) as Level;
    if (!isPlainObject(meta)) throw new InvalidArgumentError(`logger:log: meta must be a map (plain object); received ${describeValue(meta)}`);
    const event: LogEvent = { level: atom(name), msg: toMsg(message, 'logger:log'), meta: { pid: self(), time: Date.now() * 1000, ...meta } };
    const logger = loggerPid();
    try {
      send(logger, tuple(A.event, event as unknown as Term));
    } catch (thrown) {
      // The event holds a value that is not a term (a server's state that is a class instance),
      // and the logger process lives on another thread: send it printed here instead, as the
      // same text the handler would have printed.
      if (!(thrown instanceof ErlangException) && !BeamError.is(thrown)) throw thrown;
      const meta = { pid: event.meta.pid, time: event.meta.time };
      let text: string;
      try {
        text = formatEvent({ ...event, meta });
      } catch (unprintable) {
        text = `a ${name} event of ${format(self())} that holds a value which is not an Erlang term (${unprintable instanceof Error ? unprintable.message : String(unprintable)})`;
      }
      const printed: LogEvent = { level: event.level, msg: tuple(A.string, text), meta };
      send(logger, tuple(A.event, printed as unknown as Term));
    }
    return A.ok;
  },
  emergency: (m: LogMessage, meta?: Record<string, Term>): Atom => Logger.log('emergency', m, meta),
  alert: (m: LogMessage, meta?: Record<string, Term>): Atom => Logger.log('alert', m, meta),
  critical: (m: LogMessage, meta?: Record<string, Term>): Atom => Logger.log('critical', m, meta),
  error: (m: LogMessage, meta?: Record<string, Term>): Atom => Logger.log('error', m, meta),
  warning: (m: LogMessage, meta?: Record<string, Term>): Atom => Logger.log('warning', m, meta),
  notice: (m: LogMessage, meta?: Record<string, Term>): Atom => Logger.log('notice', m, meta),
  info: (m: LogMessage, meta?: Record<string, Term>): Atom => Logger.log('info', m, meta),
  debug: (m: LogMessage, meta?: Record<string, Term>): Atom => Logger.log('debug', m, meta),

  /** logger:set_primary_config(level, L). */
  *setPrimaryConfig(key: 'level' | Atom, value: ConfigLevel | Atom): ProcessGenerator<Term> {
    const k = key instanceof Atom ? key.name : key;
    if (k !== 'level') throw new InvalidArgumentError(`logger:set_primary_config: only the key level is supported; received ${describeValue(key)}`);
    return yield* loggerCall(tuple(atom('set_primary_level'), levelName(value, 'logger:set_primary_config', true) as unknown as Term));
  },
  /** logger:get_primary_config(): #{level => L}. */
  *getPrimaryConfig(): ProcessGenerator<Term> {
    return yield* loggerCall(tuple(atom('get_primary')));
  },
  /** logger:set_module_level(Modules, Level). */
  *setModuleLevel(modules: string | Atom | ReadonlyArray<string | Atom>, level: ConfigLevel | Atom): ProcessGenerator<Term> {
    const list = (Array.isArray(modules) ? modules : [modules]).map((m) => moduleAtom(m, 'logger:set_module_level'));
    return yield* loggerCall(tuple(atom('set_module_level'), list, levelName(level, 'logger:set_module_level', true) as unknown as Term));
  },
  /** logger:unset_module_level(Modules). */
  *unsetModuleLevel(modules: string | Atom | ReadonlyArray<string | Atom>): ProcessGenerator<Term> {
    const list = (Array.isArray(modules) ? modules : [modules]).map((m) => moduleAtom(m, 'logger:unset_module_level'));
    return yield* loggerCall(tuple(atom('unset_module_level'), list));
  },
  /** logger:get_module_level(): [{Module, Level}]. */
  *getModuleLevel(): ProcessGenerator<Term> {
    return yield* loggerCall(tuple(atom('get_module_level')));
  },
  /** logger:add_handler(Id, Module, Config): Module exports log(Event, Config); Config.level filters. */
  *addHandler(id: Atom, module: string | Atom, config: Record<string, Term> = {}): ProcessGenerator<Term> {
    if (!(id instanceof Atom)) throw new InvalidArgumentError(`logger:add_handler: id must be an Atom; received ${describeValue(id)}`);
    const m = moduleAtom(module, 'logger:add_handler');
    if (!isModuleDefined(m) || lookupExport(m, A.log) === undefined) throw new InvalidArgumentError(`logger:add_handler: module ${m.name} must be defined (defineModule) with log(Event, Config) in every thread`);
    if (!isPlainObject(config)) throw new InvalidArgumentError(`logger:add_handler: config must be a map (plain object); received ${describeValue(config)}`);
    const level = config.level === undefined ? 'all' : levelName(config.level, 'logger:add_handler', true);
    return yield* loggerCall(tuple(atom('add_handler'), id, m, { ...config, level: atom(level) }));
  },
  /** logger:remove_handler(Id). */
  *removeHandler(id: Atom): ProcessGenerator<Term> {
    return yield* loggerCall(tuple(atom('remove_handler'), id));
  },
  /** logger:set_handler_config(Id, level, L). */
  *setHandlerLevel(id: Atom, level: ConfigLevel | Atom): ProcessGenerator<Term> {
    return yield* loggerCall(tuple(atom('set_handler_level'), id, levelName(level, 'logger:set_handler_config', true) as unknown as Term));
  },
  /** logger:get_handler_ids(). */
  *getHandlerIds(): ProcessGenerator<Term> {
    return yield* loggerCall(tuple(atom('handler_ids')));
  },
};
