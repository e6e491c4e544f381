/**
 * src/term: the term model (what JS value is which Erlang term), equality, order,
 * hashing, printing, and the receive-pattern language. Public surface of the folder.
 */
export { Atom, atom, atomTerm, atomName, isAtom, isReservedAtomName, MAX_ATOM_CHARACTERS } from './atom.js';
export type { ReservedAtomValue } from './atom.js';
export { Tuple, tuple } from './tuple.js';
export { Pid } from './pid.js';
export { Ref } from './ref.js';
export { Port } from './port.js';
export { ExportFun, exportFun, ErlClosure } from './fun.js';
export { BitString } from './bitstring.js';
export { Float, float, floatValue } from './float.js';
export { ImproperList, improperList } from './improper_list.js';
export { TermKind, NOT_A_TERM, termKind, isPlainObject, isInteger, isFloat, isBinary } from './term.js';
export type { Term, TermObject } from './term.js';
