/**
 * src/term: the term model (what JS value is which Erlang term), equality, order,
 * hashing, printing, and the receive-pattern language. Public surface of the folder.
 */
export { Atom, atom, atomTerm, atomName, isAtom, isReservedAtomName, MAX_ATOM_CHARACTERS } from './atom.js';
export type { ReservedAtomValue } from './atom.js';
export { Tuple, tuple, adoptTuple } from './tuple.js';
export { Pid } from './pid.js';
export { Ref, adoptRef } from './ref.js';
export { Port } from './port.js';
export { ExportFun, exportFun, ErlClosure } from './fun.js';
export { BitString } from './bitstring.js';
export { Float, float, floatValue } from './float.js';
export { ImproperList, improperList } from './improper_list.js';
export { TermKind, NOT_A_TERM, termKind, isPlainObject, isInteger, isFloat, isBinary } from './term.js';
export type { Term, TermObject } from './term.js';
export { compare, compareExact, equals, exactEquals } from './compare.js';
export type { Ordering } from './compare.js';
export { hashTerm, hashTermWithSeed } from './hash.js';
export { format, formatAtom, formatFloat } from './format.js';
export type { FormatOptions } from './format.js';
export { acceptLocalNode, isLocalNodeName, localNode, setLocalNode, NO_NODE_NAME } from './node_name.js';
export { P, Pattern, compilePattern, normalizePattern } from './pattern.js';
export type { Matcher, PatternLike, CapturesOf, ValueOf, Guard, TypeTest, Simplify, PatternNode } from './pattern.js';
export {
  compileProgram,
  NO_MATCH,
  MATCH,
  MATCH_NEEDS_GUARD,
  CAPTURE_WORDS,
  CaptureKind,
} from './match_program.js';
export type { MatchProgram, MatchResult } from './match_program.js';
export {
  runProgram,
  scanMailbox,
  validateProgram,
  decodeCaptures,
  matchEncoded,
  jsRunner,
  checkRunShape,
  checkScanShape,
} from './match_interpreter.js';
export type { ProgramRunner } from './match_interpreter.js';
