/**
 * gen_names: the names of behaviour processes (gen_server, gen_statem, gen_event), as OTP's
 * gen.erl handles them: checking a start name, registering it in init_it, releasing it, finding
 * the process a ServerRef names, and gen:name/1 (what reports and *DBG* lines call a process).
 *
 *   | start name (options.name)   | registered by                     | addressed as            |
 *   |-----------------------------|-----------------------------------|-------------------------|
 *   | Name (an Atom), {local, N}  | register/2                        | N, {N, Node}, pid       |
 *   | {via, Module, N}            | Module:register_name(N, Pid)      | {via, Module, N}        |
 *   | {global, N}                 | as {via, global, N} (src/dist/global_module.ts) | {global, N}, {via, global, N} |
 *
 * A via module exports register_name/2 (-> yes | no), unregister_name/1, whereis_name/1
 * (-> Pid | undefined) and send/2, as OTP's via modules do; a start name naming a module that
 * lacks one of them is refused when the start is called.
 *
 * Invariants: a checked name is a term, {local, N} or {via, M, N}, so it travels in init_it's
 * arguments to any scheduler thread. registerName runs in the new process (init_it's first
 * step), so a taken name is reported to the starter as {error, {already_started, Pid}} before
 * init runs, as gen.erl does.
 *
 * Threads: module code, inside processes (or the caller's thread for checkName). Bad input:
 * InvalidArgumentError naming the function (`where`) and what arrived.
 */
import { InvalidArgumentError, describeValue } from '../errors/index.js';
import { register, unregister, whereis } from '../process/index.js';
import { lookupExport } from '../process/module_registry.js';
import { Atom, atom, Pid, Tuple, tuple, type Term } from '../term/index.js';

/** A start name, checked: {local, Name} or {via, Module, Name}, or undefined (no name). */
export type GenName = Tuple | undefined;

const A = {
  local: atom('local'),
  via: atom('via'),
  global: atom('global'),
  yes: atom('yes'),
  error: atom('error'),
  already_started: atom('already_started'),
};

const VIA_EXPORTS = [['register_name', 2], ['unregister_name', 1], ['whereis_name', 1], ['send', 2]] as const;

function viaExport(module: Atom, fn: string, arity: number, where: string): (...a: Term[]) => Term {
  const f = lookupExport(module, atom(fn));
  if (f === undefined) throw new InvalidArgumentError(`${where}: the via module ${module.name} must export ${fn}/${arity} (register_name/2, unregister_name/1, whereis_name/1, send/2)`);
  return f as (...a: Term[]) => Term;
}

/** Module:whereis_name(Name) of a via registry: the pid, or undefined. */
export function viaWhereis(module: Atom, name: Term, where = 'gen'): Pid | undefined {
  const pid = viaExport(module, 'whereis_name', 1, where)(name);
  return pid instanceof Pid ? pid : undefined;
}

/** Checks options.name of a start (`where` is e.g. 'gen_statem:start'); see the header. */
export function checkName(name: unknown, where: string): GenName {
  if (name === undefined) return undefined;
  if (name instanceof Atom) return tuple(A.local, name);
  if (name instanceof Tuple && name.size === 2 && name.at(0) === A.local && name.at(1) instanceof Atom) return name;
  // {global, N} is {via, global, N}, as in OTP (global is a via module: src/dist/global_module.ts).
  if (name instanceof Tuple && name.size === 2 && name.at(0) === A.global) return checkName(tuple(A.via, A.global, name.at(1)), where);
  if (name instanceof Tuple && name.size === 3 && name.at(0) === A.via && name.at(1) instanceof Atom) {
    for (const [fn, arity] of VIA_EXPORTS) viaExport(name.at(1) as Atom, fn, arity, where);
    return name;
  }
  throw new InvalidArgumentError(`${where}: options.name must be an Atom, {local, Name}, {global, Name} or {via, Module, Name}; received ${describeValue(name)}`);
}

/**
 * The pid a ServerRef names now: a pid; a registered name or {Name, Node} (the local node only
 * until distribution); {via, M, N}. undefined when no process has the name. `what` says what a
 * ref is in the error ("a server", "an event manager").
 */
export function whereisRef(server: unknown, where: string, what = 'a server'): Pid | undefined {
  if (server instanceof Pid) return server;
  if (server instanceof Atom) return whereis(server);
  if (server instanceof Tuple && server.size === 2 && server.at(0) instanceof Atom) {
    if (server.at(0) === A.global) return viaWhereis(A.global, server.at(1), where);
    return whereis(server.at(0) as Atom);
  }
  if (server instanceof Tuple && server.size === 3 && server.at(0) === A.via && server.at(1) instanceof Atom) return viaWhereis(server.at(1) as Atom, server.at(2), where);
  throw new InvalidArgumentError(`${where}: ${what} is a pid, a registered name, {Name, Node} or {via, Module, Name}; received ${describeValue(server)}`);
}

/** Registers a checked name for `me` (init_it's first step): undefined, or the {error, {already_started, Pid}} to acknowledge. */
export function registerName(name: GenName, me: Pid): Term | undefined {
  if (name === undefined) return undefined;
  if (name.at(0) === A.local) {
    const holder = whereis(name.at(1) as Atom);
    if (holder !== undefined) return tuple(A.error, tuple(A.already_started, holder));
    register(name.at(1) as Atom, me);
    return undefined;
  }
  const module = name.at(1) as Atom;
  if (viaExport(module, 'register_name', 2, 'gen:register_name')(name.at(2), me) === A.yes) return undefined;
  return tuple(A.error, tuple(A.already_started, viaWhereis(module, name.at(2))));
}

/** Releases a checked name (a failed init, a terminating process that unregisters itself). */
export function unregisterName(name: GenName): void {
  if (name === undefined) return;
  if (name.at(0) === A.local) {
    if (whereis(name.at(1) as Atom) !== undefined) unregister(name.at(1) as Atom);
    return;
  }
  viaExport(name.at(1) as Atom, 'unregister_name', 1, 'gen:unregister_name')(name.at(2));
}

/** gen:name/1: what reports print ({local, N} and {via, _, N} -> N; unnamed -> the pid). */
export function reportName(name: GenName, pid: Pid): Term {
  return name === undefined ? pid : name.at(name.size - 1);
}
