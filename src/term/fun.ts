/**
 * Funs: references to exported functions, and closures received from Erlang.
 *
 * `ExportFun` is `fun Module:Function/Arity` (EXPORT_EXT): it names code by module and
 * export, so it can cross threads and nodes and be called anywhere the module is loaded.
 *
 * `ErlClosure` is a local fun made by an Erlang node (NEW_FUN_EXT). beamjs cannot run
 * Erlang code; it keeps every field so that the closure can be stored, compared, and
 * sent back byte-for-byte. A JS closure is never a term: it cannot cross threads.
 *
 * Thread-safety: immutable.
 */
import { Atom } from './atom.js';
import type { Pid } from './pid.js';
import type { Term } from './term.js';

export class ExportFun {
  constructor(
    readonly module: Atom,
    readonly name: Atom,
    readonly arity: number,
  ) {}
}

/** `fun Module:Name/Arity`. */
export function exportFun(module: Atom | string, name: Atom | string, arity: number): ExportFun {
  return new ExportFun(
    typeof module === 'string' ? Atom.for(module) : module,
    typeof name === 'string' ? Atom.for(name) : name,
    arity,
  );
}

export class ErlClosure {
  readonly freeVars: readonly Term[];

  constructor(
    readonly arity: number,
    /** 16-byte MD5 of the module's code. */
    readonly uniq: Uint8Array,
    readonly index: number,
    readonly module: Atom,
    readonly oldIndex: number,
    readonly oldUniq: number,
    readonly pid: Pid,
    freeVars: readonly Term[],
  ) {
    this.freeVars = Object.isFrozen(freeVars) ? freeVars : Object.freeze(freeVars.slice());
  }
}
