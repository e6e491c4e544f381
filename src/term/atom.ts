/**
 * Atoms: interned names.
 *
 * An `Atom` is created once per name and per thread (`Atom.for` / `atom`), so atoms
 * compare with `===` and can key a JS `Map`. Each thread has its own intern table:
 * atoms never cross threads as objects, they cross as encoded terms and are interned
 * again on arrival.
 *
 * Four atoms are represented by JS values instead of `Atom` objects, so that ordinary
 * TypeScript reads naturally:
 *
 *   | Erlang atom | JS value    |
 *   |-------------|-------------|
 *   | `true`      | `true`      |
 *   | `false`     | `false`     |
 *   | `undefined` | `undefined` |
 *   | `null`      | `null`      |
 *
 * `atom('true')` therefore throws (use `true`); `atomTerm(name)` returns the JS value
 * for any name and is what decoders and `list_to_atom` use.
 *
 * Invariants: `name` is at most 255 characters (code points), as in Erlang; an Atom
 * object is never created for the four reserved names; `index` is unique per thread
 * and dense (0, 1, 2, …) so caches can be arrays indexed by it.
 *
 * Thread-safety: the intern table is thread-local; nothing here is shared.
 */
import { BeamError, ErrorCode, describeValue } from '../errors/index.js';

/** The longest atom Erlang accepts, in characters. */
export const MAX_ATOM_CHARACTERS = 255;

/** Atom names represented by JS values rather than by `Atom` objects. */
export type ReservedAtomValue = boolean | null | undefined;

const internTable = new Map<string, Atom>();
const atomsByIndex: Atom[] = [];

export class Atom {
  /** Dense per-thread intern index, for caches indexed by atom. */
  readonly index: number;

  private constructor(readonly name: string) {
    this.index = atomsByIndex.length;
  }

  /**
   * The atom with this name, interned. Throws for names longer than 255 characters
   * and for the reserved names `true`, `false`, `undefined` and `null`.
   */
  static for(name: string): Atom {
    const existing = internTable.get(name);
    if (existing !== undefined) return existing;
    if (typeof name !== 'string') {
      throw new BeamError(ErrorCode.INVALID_ATOM, `atom name must be a string; received ${describeValue(name)}`);
    }
    if (isReservedAtomName(name)) {
      throw new BeamError(
        ErrorCode.INVALID_ATOM,
        `the atom '${name}' is the JS value ${name}; use ${name} instead of atom('${name}')`,
      );
    }
    checkAtomLength(name);
    const created = new Atom(name);
    atomsByIndex.push(created);
    internTable.set(name, created);
    return created;
  }

  /** The atom with this intern index, if one was created on this thread. */
  static byIndex(index: number): Atom | undefined {
    return atomsByIndex[index];
  }

  toString(): string {
    return this.name;
  }
}

/** Shorthand for `Atom.for(name)`. */
export function atom(name: string): Atom {
  return Atom.for(name);
}

/** True for the names whose atoms are JS values (`true`, `false`, `undefined`, `null`). */
export function isReservedAtomName(name: string): name is 'true' | 'false' | 'undefined' | 'null' {
  return name === 'true' || name === 'false' || name === 'undefined' || name === 'null';
}

/** The JS value of the atom with this name: a boolean, `undefined`, `null`, or an `Atom`. */
export function atomTerm(name: string): Atom | ReservedAtomValue {
  const existing = internTable.get(name);
  if (existing !== undefined) return existing;
  switch (name) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'undefined':
      return undefined;
    case 'null':
      return null;
    default:
      return Atom.for(name);
  }
}

/** The atom name of a value that is an atom in Erlang, or `undefined` if it is not one. */
export function atomName(value: unknown): string | undefined {
  if (value instanceof Atom) return value.name;
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  return undefined;
}

/** True when the value is an atom in Erlang (an `Atom`, a boolean, `undefined` or `null`). */
export function isAtom(value: unknown): value is Atom | ReservedAtomValue {
  return value instanceof Atom || value === true || value === false || value === undefined || value === null;
}

function checkAtomLength(name: string): void {
  if (name.length <= MAX_ATOM_CHARACTERS) return;
  // Count code points, not UTF-16 units: a name of 255 emoji is still a valid atom.
  let characters = 0;
  for (const _ of name) characters++;
  if (characters > MAX_ATOM_CHARACTERS) {
    throw new BeamError(
      ErrorCode.SYSTEM_LIMIT,
      `atom name is too long: ${characters} characters, the limit is ${MAX_ATOM_CHARACTERS}`,
    );
  }
}
