/**
 * Control records: what the threads of a many-thread VM say to each other besides signals
 * (spawn requests from the main thread, process_info queries, stop, work stealing).
 *
 * On the mesh a control is the ETF (VM transport options) of {'$ctl', Op, Fields...}:
 *
 *   | Op          | fields                                                            | sent by -> to          |
 *   |-------------|-------------------------------------------------------------------|------------------------|
 *   | spawn       | Req, From, Pid, Module, Fun, Args, LinkTo, MonitorRef, Watcher, Priority | main -> a scheduler |
 *   | spawned     | Req, Pid or undefined, Error (undefined or a text)                | scheduler -> main      |
 *   | info        | Req, From, Pid, Items, ReplyTo, Ref (a process asking: the answer is a message to ReplyTo) | any -> pid's thread |
 *   | info_reply  | Req, Result                                                        | back                   |
 *   | stop        | Req, From                                                          | main -> each scheduler |
 *   | stopped     | Req                                                                | back                   |
 *   | steal       | From                                                               | idle scheduler -> busiest |
 *   | migrate     | [Process state...] (see MigratedProcess)                          | victim -> thief        |
 *   | no_work     | (none)                                                             | victim -> thief        |
 *   | log         | Level, Text (crash reports, warnings; after the signals sent before) | scheduler -> main    |
 *   | dirty       | Module, Fun (texts), Args, ReplyTo, Ref (a dirty call; the answer is a message) | scheduler -> main |
 *   | node        | Req, From, Name, Commit, Distributed (a rename of the node: net_kernel start/stop) | main -> each scheduler |
 *   | node_set    | Req                                                                | back                   |
 *   | net_kernel  | Request, ReplyTo, Ref (net_kernel:start/stop from a process; the answer is a message) | scheduler -> main |
 *
 * Absent fields are the atom undefined (JS undefined). A process state is the tuple
 * {Pid, Module, Fun, Args, Priority, Links, MonitoredBy, Messages, Name, GroupLeader,
 * InitialCall, Monitors, Dictionary, TrapExit}, MonitoredBy a list of {Ref, Watcher, Object},
 * Monitors a list of {Ref, Target, Object}, Dictionary a list of {Key, Value}; InitialCall is
 * undefined for a process that has not started (see MigratedProcess).
 *
 * Threads: pure functions. Bad input: `parseControl` throws SHM_CORRUPT naming the field that
 * is wrong; the host logs it and drops the record.
 */
import { BeamError, ErrorCode, describeValue } from '../errors/index.js';
import type { Priority } from '../sched/index.js';
import { Atom, atom, Pid, Ref, Tuple, tuple, type Term } from '../term/index.js';

export const ControlOp = {
  SPAWN: 'spawn',
  SPAWNED: 'spawned',
  INFO: 'info',
  INFO_REPLY: 'info_reply',
  STOP: 'stop',
  STOPPED: 'stopped',
  STEAL: 'steal',
  MIGRATE: 'migrate',
  NO_WORK: 'no_work',
  LOG: 'log',
  DIRTY: 'dirty',
  NODE: 'node',
  NODE_SET: 'node_set',
  NET_KERNEL: 'net_kernel',
} as const;
export type ControlOp = (typeof ControlOp)[keyof typeof ControlOp];

/** The state of a process that has not started, as it moves to a thief. */
export interface MigratedProcess {
  readonly pid: Pid;
  readonly module: Atom;
  readonly fun: Atom;
  readonly args: readonly Term[];
  readonly priority: Priority;
  readonly links: readonly Pid[];
  readonly monitoredBy: ReadonlyArray<{ readonly ref: Ref; readonly watcher: Pid; readonly object: Term }>;
  readonly messages: readonly Term[];
  readonly name: Atom | undefined;
  /** erlang:group_leader/0 of the process (inherited at spawn). */
  readonly groupLeader: Pid | undefined;
  /**
   * Set for a started process taken at a portable wait (src/process/portable_wait.ts): its
   * initial call {Module, Fun, Arity} (module/fun/args above are then where it resumes).
   */
  readonly initialCall: Tuple | undefined;
  /** Monitors the process holds: {Ref, Target (a pid or undefined), Object}. */
  readonly monitors: ReadonlyArray<{ readonly ref: Ref; readonly target: Pid | undefined; readonly object: Term }>;
  /** Its process dictionary, as {Key, Value} pairs. */
  readonly dictionary: readonly Tuple[];
  readonly trapExit: boolean;
}

export type Control =
  | {
      readonly op: typeof ControlOp.SPAWN;
      readonly req: number;
      readonly from: number;
      /** Allocated by the requester, so its links and monitors exist before the process does. */
      readonly pid: Pid;
      readonly module: Atom;
      readonly fun: Atom;
      readonly args: readonly Term[];
      readonly linkTo: Pid | undefined;
      readonly monitorRef: Ref | undefined;
      readonly watcher: Pid | undefined;
      readonly priority: Priority | undefined;
    }
  | { readonly op: typeof ControlOp.SPAWNED; readonly req: number; readonly pid: Pid | undefined; readonly error: Term }
  | {
      readonly op: typeof ControlOp.INFO;
      readonly req: number;
      readonly from: number;
      readonly pid: Pid;
      readonly items: Term;
      readonly replyTo?: Pid | undefined;
      readonly ref?: Ref | undefined;
    }
  | { readonly op: typeof ControlOp.INFO_REPLY; readonly req: number; readonly result: Term }
  | { readonly op: typeof ControlOp.STOP; readonly req: number; readonly from: number }
  | { readonly op: typeof ControlOp.STOPPED; readonly req: number }
  | { readonly op: typeof ControlOp.STEAL; readonly from: number }
  | { readonly op: typeof ControlOp.MIGRATE; readonly processes: readonly MigratedProcess[] }
  | { readonly op: typeof ControlOp.NO_WORK }
  | { readonly op: typeof ControlOp.LOG; readonly level: 'error' | 'warning' | 'info'; readonly text: string }
  | { readonly op: typeof ControlOp.DIRTY; readonly module: string; readonly fun: string; readonly args: readonly Term[]; readonly replyTo: Pid; readonly ref: Ref }
  | {
      readonly op: typeof ControlOp.NODE;
      readonly req: number;
      readonly from: number;
      /** The node's new name (`nonode@nohost` when distribution stops). */
      readonly name: Atom;
      /** false: accept the name as local (first step); true: take it (second step). */
      readonly commit: boolean;
      /** With commit: whether signals for other nodes now go to the main thread. */
      readonly distributed: boolean;
    }
  | { readonly op: typeof ControlOp.NODE_SET; readonly req: number }
  | { readonly op: typeof ControlOp.NET_KERNEL; readonly request: Term; readonly replyTo: Pid; readonly ref: Ref };

const CTL = atom('$ctl');
const PRIORITIES: readonly string[] = ['low', 'normal', 'high', 'max'];

function stateTerm(p: MigratedProcess): Tuple {
  return tuple(
    p.pid,
    p.module,
    p.fun,
    p.args as Term[],
    atom(p.priority),
    p.links as Pid[],
    p.monitoredBy.map((m) => tuple(m.ref, m.watcher, m.object)),
    p.messages as Term[],
    p.name,
    p.groupLeader,
    p.initialCall,
    p.monitors.map((m) => tuple(m.ref, m.target, m.object)),
    p.dictionary as Tuple[],
    p.trapExit,
  );
}

/** The wire term of a control. */
export function controlTerm(control: Control): Tuple {
  const op = atom(control.op);
  switch (control.op) {
    case ControlOp.SPAWN:
      return tuple(CTL, op, control.req, control.from, control.pid, control.module, control.fun, control.args as Term[], control.linkTo, control.monitorRef, control.watcher, control.priority === undefined ? undefined : atom(control.priority));
    case ControlOp.SPAWNED:
      return tuple(CTL, op, control.req, control.pid, control.error);
    case ControlOp.INFO:
      return tuple(CTL, op, control.req, control.from, control.pid, control.items, control.replyTo, control.ref);
    case ControlOp.INFO_REPLY:
      return tuple(CTL, op, control.req, control.result);
    case ControlOp.STOP:
      return tuple(CTL, op, control.req, control.from);
    case ControlOp.STOPPED:
      return tuple(CTL, op, control.req);
    case ControlOp.STEAL:
      return tuple(CTL, op, control.from);
    case ControlOp.MIGRATE:
      return tuple(CTL, op, control.processes.map(stateTerm));
    case ControlOp.NO_WORK:
      return tuple(CTL, op);
    case ControlOp.LOG:
      return tuple(CTL, op, atom(control.level), control.text);
    case ControlOp.DIRTY:
      return tuple(CTL, op, control.module, control.fun, control.args as Term[], control.replyTo, control.ref);
    case ControlOp.NODE:
      return tuple(CTL, op, control.req, control.from, control.name, control.commit, control.distributed);
    case ControlOp.NODE_SET:
      return tuple(CTL, op, control.req);
    case ControlOp.NET_KERNEL:
      return tuple(CTL, op, control.request, control.replyTo, control.ref);
  }
}

function corrupt(what: string): BeamError {
  return new BeamError(ErrorCode.SHM_CORRUPT, `control record: ${what}`);
}

function int(term: Term, field: string): number {
  if (typeof term !== 'number' || !Number.isSafeInteger(term)) throw corrupt(`${field} must be an integer, got ${describeValue(term)}`);
  return term;
}

function pid(term: Term, field: string): Pid {
  if (!(term instanceof Pid)) throw corrupt(`${field} must be a pid, got ${describeValue(term)}`);
  return term;
}

function optional<T>(term: Term, field: string, check: (t: Term, f: string) => T): T | undefined {
  return term === undefined ? undefined : check(term, field);
}

function ref(term: Term, field: string): Ref {
  if (!(term instanceof Ref)) throw corrupt(`${field} must be a reference, got ${describeValue(term)}`);
  return term;
}

function atomField(term: Term, field: string): Atom {
  if (!(term instanceof Atom)) throw corrupt(`${field} must be an atom, got ${describeValue(term)}`);
  return term;
}

function priority(term: Term, field: string): Priority {
  const name = atomField(term, field).name;
  if (!PRIORITIES.includes(name)) throw corrupt(`${field} must be a priority, got ${name}`);
  return name as Priority;
}

function bool(term: Term, field: string): boolean {
  if (typeof term !== 'boolean') throw corrupt(`${field} must be a boolean, got ${describeValue(term)}`);
  return term;
}

function list(term: Term, field: string): Term[] {
  if (!Array.isArray(term)) throw corrupt(`${field} must be a list, got ${describeValue(term)}`);
  return term as Term[];
}

function parseState(term: Term): MigratedProcess {
  if (!(term instanceof Tuple) || term.size !== 14) throw corrupt(`a process state must be a 14-tuple, got ${describeValue(term)}`);
  const e = term.elements;
  return {
    pid: pid(e[0], 'state.pid'),
    module: atomField(e[1], 'state.module'),
    fun: atomField(e[2], 'state.fun'),
    args: list(e[3], 'state.args'),
    priority: priority(e[4], 'state.priority'),
    links: list(e[5], 'state.links').map((p) => pid(p, 'state.links[]')),
    monitoredBy: list(e[6], 'state.monitoredBy').map((m) => {
      if (!(m instanceof Tuple) || m.size !== 3) throw corrupt(`state.monitoredBy[] must be {Ref, Watcher, Object}, got ${describeValue(m)}`);
      return { ref: ref(m.at(0), 'state.monitoredBy[].ref'), watcher: pid(m.at(1), 'state.monitoredBy[].watcher'), object: m.at(2) };
    }),
    messages: list(e[7], 'state.messages'),
    name: optional(e[8], 'state.name', atomField),
    groupLeader: optional(e[9], 'state.groupLeader', pid),
    initialCall: optional(e[10], 'state.initialCall', (t, f) => {
      if (!(t instanceof Tuple) || t.size !== 3 || !(t.at(0) instanceof Atom) || !(t.at(1) instanceof Atom) || !Number.isSafeInteger(t.at(2))) throw corrupt(`${f} must be {Module, Fun, Arity}, got ${describeValue(t)}`);
      return t;
    }),
    monitors: list(e[11], 'state.monitors').map((m) => {
      if (!(m instanceof Tuple) || m.size !== 3) throw corrupt(`state.monitors[] must be {Ref, Target, Object}, got ${describeValue(m)}`);
      return { ref: ref(m.at(0), 'state.monitors[].ref'), target: optional(m.at(1), 'state.monitors[].target', pid), object: m.at(2) };
    }),
    dictionary: list(e[12], 'state.dictionary').map((kv) => {
      if (!(kv instanceof Tuple) || kv.size !== 2) throw corrupt(`state.dictionary[] must be {Key, Value}, got ${describeValue(kv)}`);
      return kv;
    }),
    trapExit: bool(e[13], 'state.trapExit'),
  };
}

/** The control of a decoded record (see the header); SHM_CORRUPT when it is not one. */
export function parseControl(term: Term): Control {
  if (!(term instanceof Tuple) || term.size < 2 || term.at(0) !== CTL || !(term.at(1) instanceof Atom)) {
    throw corrupt(`expected {'$ctl', Op, ...}, got ${describeValue(term)}`);
  }
  const e = term.elements;
  const op = (e[1] as Atom).name;
  const arity = (n: number): void => {
    if (term.size !== n) throw corrupt(`${op} has ${n - 2} fields, got ${term.size - 2}`);
  };
  switch (op) {
    case ControlOp.SPAWN:
      arity(12);
      return {
        op,
        req: int(e[2], 'req'),
        from: int(e[3], 'from'),
        pid: pid(e[4], 'pid'),
        module: atomField(e[5], 'module'),
        fun: atomField(e[6], 'fun'),
        args: list(e[7], 'args'),
        linkTo: optional(e[8], 'linkTo', pid),
        monitorRef: optional(e[9], 'monitorRef', ref),
        watcher: optional(e[10], 'watcher', pid),
        priority: optional(e[11], 'priority', priority),
      };
    case ControlOp.SPAWNED:
      arity(5);
      return { op, req: int(e[2], 'req'), pid: optional(e[3], 'pid', pid), error: e[4] };
    case ControlOp.INFO:
      arity(8);
      return { op, req: int(e[2], 'req'), from: int(e[3], 'from'), pid: pid(e[4], 'pid'), items: e[5], replyTo: optional(e[6], 'replyTo', pid), ref: optional(e[7], 'ref', ref) };
    case ControlOp.INFO_REPLY:
      arity(4);
      return { op, req: int(e[2], 'req'), result: e[3] };
    case ControlOp.STOP:
      arity(4);
      return { op, req: int(e[2], 'req'), from: int(e[3], 'from') };
    case ControlOp.STOPPED:
      arity(3);
      return { op, req: int(e[2], 'req') };
    case ControlOp.STEAL:
      arity(3);
      return { op, from: int(e[2], 'from') };
    case ControlOp.MIGRATE:
      arity(3);
      return { op, processes: list(e[2], 'processes').map(parseState) };
    case ControlOp.NO_WORK:
      arity(2);
      return { op };
    case ControlOp.LOG: {
      arity(4);
      const level = atomField(e[2], 'level').name;
      if (level !== 'error' && level !== 'warning' && level !== 'info') throw corrupt(`level must be error, warning or info, got ${level}`);
      if (typeof e[3] !== 'string') throw corrupt(`text must be a string, got ${describeValue(e[3])}`);
      return { op, level, text: e[3] };
    }
    case ControlOp.DIRTY:
      arity(7);
      if (typeof e[2] !== 'string' || typeof e[3] !== 'string') throw corrupt(`dirty: module and function must be texts, got ${describeValue(e[2])}, ${describeValue(e[3])}`);
      return { op, module: e[2], fun: e[3], args: list(e[4], 'args'), replyTo: pid(e[5], 'replyTo'), ref: ref(e[6], 'ref') };
    case ControlOp.NODE:
      arity(7);
      if (typeof e[5] !== 'boolean' || typeof e[6] !== 'boolean') throw corrupt(`node: commit and distributed must be booleans, got ${describeValue(e[5])}, ${describeValue(e[6])}`);
      return { op, req: int(e[2], 'req'), from: int(e[3], 'from'), name: atomField(e[4], 'name'), commit: e[5], distributed: e[6] };
    case ControlOp.NODE_SET:
      arity(3);
      return { op, req: int(e[2], 'req') };
    case ControlOp.NET_KERNEL:
      arity(5);
      return { op, request: e[2], replyTo: pid(e[3], 'replyTo'), ref: ref(e[4], 'ref') };
    default:
      throw corrupt(`unknown op '${op}'`);
  }
}
