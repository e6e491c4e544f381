/**
 * The module registry: process code addressed the Erlang way, by module + exported function.
 *
 * `defineModule('kvs', { loop: function* (...) {…}, start: function* () {…} })` registers the
 * module's exports under atoms; `spawn('kvs', 'loop', [args])` starts one of them. Code named
 * this way is portable: every scheduler thread that imports the file defining the module has
 * the same registry entry, so a process started from an export can run on (and later move to)
 * any scheduler. Exports are looked up by name only: JS has no reliable arity (default
 * parameters do not count in `fn.length`), so `spawn(M, F, Args)` passes Args whatever their
 * number, and `process_info` reports the arity as `Args.length`.
 *
 * Redefining a module replaces its exports (like loading new code): processes already running
 * keep the generator they started with; new spawns use the new code.
 *
 * Invariants: module and export names are atoms; every export is a function.
 * Threads: the registry is per thread (a module variable); each thread defines its modules by
 *   importing the files that call defineModule.
 * Ownership: the registry keeps the functions for the life of the thread.
 * Bad input: a name that is not a string/atom, or an export that is not a function, throws
 *   InvalidArgumentError naming it. Looking up an unknown module or export returns undefined
 *   (the spawned process then exits with `undef`, as in Erlang).
 */
import { InvalidArgumentError, describeValue } from '../errors/index.js';
import { Atom, atom } from '../term/index.js';

/**
 * A process body or an exported function: a generator function (or a plain function, whose
 * process ends when it returns). Parameters are typed by the module that defines it.
 */
export type ProcessFunction = (...args: never[]) => unknown;

/** A module's exports: name -> function. */
export type ModuleExports = Readonly<Record<string, ProcessFunction>>;

const modules = new Map<Atom, Map<Atom, ProcessFunction>>();

/** Converts a module/function name argument to an atom, or throws naming the argument. */
export function nameAtom(value: unknown, where: string, argument: string): Atom {
  if (value instanceof Atom) return value;
  if (typeof value === 'string' && value.length > 0) {
    try {
      return atom(value);
    } catch {
      // fall through to the error below (reserved or too long names)
    }
  }
  throw new InvalidArgumentError(`${where}: ${argument} must be an atom or a non-empty string; received ${describeValue(value)}`);
}

/**
 * Registers (or replaces) a module. Returns the module's atom.
 * Call it at the top level of a file that every scheduler thread imports.
 */
export function defineModule(name: string | Atom, exports: ModuleExports): Atom {
  const moduleName = nameAtom(name, 'defineModule', 'name');
  if (exports === null || typeof exports !== 'object') {
    throw new InvalidArgumentError(`defineModule: exports must be an object of functions; received ${describeValue(exports)}`);
  }
  const table = new Map<Atom, ProcessFunction>();
  for (const [key, fn] of Object.entries(exports)) {
    if (typeof fn !== 'function') {
      throw new InvalidArgumentError(`defineModule: export '${key}' of module '${moduleName.name}' must be a function; received ${describeValue(fn)}`);
    }
    table.set(atom(key), fn);
  }
  modules.set(moduleName, table);
  return moduleName;
}

/** The exported function, or undefined if the module or export is unknown. */
export function lookupExport(module: Atom, fun: Atom): ProcessFunction | undefined {
  return modules.get(module)?.get(fun);
}

/** True when the module is defined on this thread. */
export function isModuleDefined(module: Atom): boolean {
  return modules.has(module);
}
