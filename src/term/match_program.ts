/**
 * Match programs: a receive pattern compiled to a compact byte program that runs over
 * an ENCODED message (the in-VM external term format), so that a mailbox of encoded
 * messages can be scanned without decoding them. The program is run by the JS twin
 * (match_interpreter.ts) or by the native addon (native/match.cc); both follow this
 * file's definitions to the byte.
 *
 * ## Results
 *
 *   | value | name              | meaning                                                   |
 *   |------:|-------------------|-----------------------------------------------------------|
 *   | 0     | NO_MATCH          | the pattern does not match (also: the bytes are corrupt)  |
 *   | 1     | MATCH             | it matches; the capture spans are valid                   |
 *   | 2     | MATCH_NEEDS_GUARD | maybe: decode the message and run `matcher.match()`       |
 *
 * MATCH_NEEDS_GUARD is returned when the structure matched and a `P.where` guard must
 * run in JS, and also whenever the program cannot decide from the bytes alone (two
 * captures of the same name whose bytes differ only in ways the program cannot
 * normalise, e.g. maps of more than 32 keys, closures; a guard inside an alternative
 * that is not the last one). It never answers NO_MATCH for a message that `match()`
 * accepts, nor MATCH for one that `match()` rejects or binds differently: the program
 * runs the same depth-first, left-to-right, committed-choice algorithm as pattern.ts.
 *
 * ## Program layout (multi-byte program fields little-endian)
 *
 *   | offset      | bytes | field                                                   |
 *   |------------:|------:|---------------------------------------------------------|
 *   | 0           | 4     | magic "BJMP" (0x42 0x4A 0x4D 0x50)                      |
 *   | 4           | 1     | version (1)                                             |
 *   | 5           | 1     | flags: bit 0 = the pattern has guards                   |
 *   | 6           | 2     | slot count (captures; capture array needs 3 × slots)    |
 *   | 8           | 2     | register count (3 int32 words each, scratch)            |
 *   | 10          | 2     | maximum nesting of alternatives (choice-stack depth)    |
 *   | 12          | 4     | code length C                                           |
 *   | 16          | C     | code: instructions, below                               |
 *   | 16 + C      | rest  | literal pool: literal terms, in-VM ETF without the 131  |
 *
 * Jump targets are offsets from the start of the code. Literal operands are (offset,
 * length) into the pool.
 *
 * ## Interpreter state
 * `pos` (offset in the message of the term being matched), a register file (3 int32
 * words per register: a list's remaining count and kind, a map's pairs start, size and
 * end, a capture's start and kind), the capture array (caller's Int32Array), a trail of
 * slots bound (to undo a failed alternative), a choice stack (one entry per open
 * `ALT`), and the "guard pending" flag. Three matching modes exist; the compiler picks
 * the instructions of the right mode:
 * - term mode: `pos` is at a term's tag;
 * - rest mode (register L): the pattern describes the REST of the list opened into L:
 *   its L.remaining elements (at `pos`) and then its tail (LIST_EXT), or its remaining
 *   bytes (STRING_EXT, whose tail is an implicit `[]`);
 * - byte mode: `pos` is at one byte of a STRING_EXT, an element that is a small integer.
 *
 * ## Instructions
 *
 *   | op   | name               | operands                    | meaning                                          |
 *   |-----:|--------------------|-----------------------------|--------------------------------------------------|
 *   | 0x01 | MATCH              | –                           | end: pos must be the message end; result MATCH   |
 *   |      |                    |                             | (MATCH_NEEDS_GUARD if a GUARD_MARK ran)          |
 *   | 0x02 | FAIL               | –                           | fail: retry the innermost open ALT, or NO_MATCH  |
 *   | 0x03 | SKIP               | –                           | skip the term at pos                             |
 *   | 0x04 | LITERAL            | u32 off, u32 len            | term at pos =:= literal: skip it; else fail;     |
 *   |      |                    |                             | undecidable from bytes: return NEEDS_GUARD       |
 *   | 0x05 | TYPE               | u8 test                     | type test (TypeCode) on the term at pos, skip it |
 *   | 0x06 | TUPLE_OF           | u32 arity                   | term at pos is a tuple of that arity: skip it    |
 *   | 0x07 | TUPLE              | u32 arity                   | term at pos is a tuple of that arity: pos := its |
 *   |      |                    |                             | first element                                    |
 *   | 0x08 | LIST               | u16 L                       | term at pos is a list: L := (remaining, kind);   |
 *   |      |                    |                             | pos := first element ([]: pos stays, the tail)   |
 *   | 0x09 | REST_LIST          | u16 L, u32 k, u32 byteMode  | rest mode: k more elements needed (else fail);   |
 *   |      |                    |                             | L.remaining -= k; STRING_EXT: jump to byteMode   |
 *   | 0x0A | REST_SKIP          | u16 L                       | rest mode: skip the remaining elements and tail  |
 *   | 0x0B | REST_TERM          | u16 L, u8 nilOk, u32 target | rest mode, pattern never matches a non-empty     |
 *   |      |                    |                             | list: remaining > 0: fail; STRING_EXT: nilOk ?   |
 *   |      |                    |                             | jump target : fail; else term mode on the tail   |
 *   | 0x0C | REST_IS_LIST       | u16 L                       | rest mode `P.list`: remaining > 0 or STRING_EXT: |
 *   |      |                    |                             | skip the rest; else TYPE list on the tail        |
 *   | 0x0D | MAP                | u16 M                       | term at pos is a map: M := (pairs, size, end)    |
 *   | 0x0E | MAP_GET            | u16 M, u32 off, u32 len     | pos := value of the key =:= literal in M; absent:|
 *   |      |                    |                             | fail (NEEDS_GUARD if some key was undecidable)   |
 *   | 0x0F | MAP_END            | u16 M                       | pos := end of the map in M                       |
 *   | 0x10 | CAPTURE_BEGIN      | u16 R                       | R := (pos, TERM)                                 |
 *   | 0x11 | CAPTURE_BEGIN_REST | u16 R, u16 L                | R := (pos, kind of L's rest: LIST_REST, or TERM  |
 *   |      |                    |                             | when no element remains, or STRING_REST)         |
 *   | 0x12 | CAPTURE_BEGIN_BYTE | u16 R                       | R := (pos, BYTE)                                 |
 *   | 0x13 | CAPTURE_END        | u16 slot, u16 R             | span (R.kind, R.start, pos): unbound slot: bind  |
 *   |      |                    |                             | it (trail); bound: compare spans: equal: go on,  |
 *   |      |                    |                             | unequal: fail, undecidable: return NEEDS_GUARD   |
 *   | 0x14 | CAPTURE_ANY        | u16 slot                    | CAPTURE_BEGIN + SKIP + CAPTURE_END in one        |
 *   | 0x15 | BYTE_EQ            | u8 value                    | byte mode: the byte at pos == value: pos += 1    |
 *   | 0x16 | BYTE_SKIP          | –                           | byte mode: pos += 1                              |
 *   | 0x17 | ALT                | u16 L, u16 n, n × u32 target| push a choice point (pos, trail, guard flag, and |
 *   |      |                    |                             | register L unless 0xFFFF), jump to target[0];    |
 *   |      |                    |                             | a failure restores them, jumps to the next one   |
 *   | 0x18 | ALT_END            | u32 target                  | an alternative matched: pop, jump to target      |
 *   | 0x19 | GUARD_MARK         | –                           | a guard runs here: the result becomes NEEDS_GUARD|
 *   | 0x1A | NEEDS_JS           | –                           | return MATCH_NEEDS_GUARD now                     |
 *   | 0x1B | JUMP               | u32 target                  | jump                                             |
 *
 * Validity (checked by the validator before every run, identically in JS and C++):
 * header fields consistent with the length; every instruction complete and known;
 * every jump target an instruction start AFTER the instruction that jumps; register
 * and slot operands below their counts; every literal a single well-formed term that
 * fills its (offset, length); the last instruction one that does not fall through
 * (MATCH, FAIL, NEEDS_JS, JUMP, ALT_END). A compiled program runs each instruction at
 * most once per message, so a run longer than the code length is reported as a
 * malformed program instead of looping.
 *
 * ## Capture spans (3 int32 words per slot in the caller's Int32Array)
 *
 *   | word    | meaning                                                          |
 *   |--------:|------------------------------------------------------------------|
 *   | 3s + 0  | kind: 0 unbound, 1 TERM, 2 LIST_REST, 3 STRING_REST, 4 BYTE      |
 *   | 3s + 1  | start offset in the message                                      |
 *   | 3s + 2  | end offset (exclusive)                                           |
 *
 * TERM: one encoded term. LIST_REST: the remaining elements of a LIST_EXT followed by
 * its tail (decode terms up to `end`; the last is the tail). STRING_REST: remaining
 * bytes of a STRING_EXT (a proper list of small integers, `[]` when empty). BYTE: one
 * STRING_EXT byte, a small integer. `decodeCaptures` (match_interpreter.ts) turns spans
 * into terms.
 *
 * Thread-safety: compilation is pure; a program is an immutable Uint8Array that may be
 * shared with other threads. Bad input: the pattern was validated by pattern.ts; a
 * literal the codec cannot encode throws the codec's error.
 */
// The codec imports src/term/index.ts, which imports this file: use codec bindings only
// inside functions, never at module evaluation (the codec may be the module loaded first).
import { encodeTermBody } from '../codec/index.js';
import { BeamError, ErrorCode } from '../errors/index.js';
import { ImproperList } from './improper_list.js';
import { setProgramCompiler } from './pattern.js';
import type { ListNode, Matcher, PatternNode, TypeTest } from './pattern.js';
import type { Term } from './term.js';

/** A compiled match program (see the layout above). */
export type MatchProgram = Uint8Array;

/** Results of `runProgram`. These numbers cross the native boundary: do not renumber. */
export const NO_MATCH = 0;
export const MATCH = 1;
export const MATCH_NEEDS_GUARD = 2;
export type MatchResult = typeof NO_MATCH | typeof MATCH | typeof MATCH_NEEDS_GUARD;

/** Opcodes (see the table above). Shared with native/match.cc: do not renumber. */
export const Op = {
  MATCH: 0x01,
  FAIL: 0x02,
  SKIP: 0x03,
  LITERAL: 0x04,
  TYPE: 0x05,
  TUPLE_OF: 0x06,
  TUPLE: 0x07,
  LIST: 0x08,
  REST_LIST: 0x09,
  REST_SKIP: 0x0a,
  REST_TERM: 0x0b,
  REST_IS_LIST: 0x0c,
  MAP: 0x0d,
  MAP_GET: 0x0e,
  MAP_END: 0x0f,
  CAPTURE_BEGIN: 0x10,
  CAPTURE_BEGIN_REST: 0x11,
  CAPTURE_BEGIN_BYTE: 0x12,
  CAPTURE_END: 0x13,
  CAPTURE_ANY: 0x14,
  BYTE_EQ: 0x15,
  BYTE_SKIP: 0x16,
  ALT: 0x17,
  ALT_END: 0x18,
  GUARD_MARK: 0x19,
  NEEDS_JS: 0x1a,
  JUMP: 0x1b,
} as const;

/** Size in bytes of each instruction (opcode included); ALT is 5 + 4 × n. */
export const OP_SIZE: Readonly<Record<number, number>> = Object.freeze({
  [Op.MATCH]: 1,
  [Op.FAIL]: 1,
  [Op.SKIP]: 1,
  [Op.LITERAL]: 9,
  [Op.TYPE]: 2,
  [Op.TUPLE_OF]: 5,
  [Op.TUPLE]: 5,
  [Op.LIST]: 3,
  [Op.REST_LIST]: 11,
  [Op.REST_SKIP]: 3,
  [Op.REST_TERM]: 8,
  [Op.REST_IS_LIST]: 3,
  [Op.MAP]: 3,
  [Op.MAP_GET]: 11,
  [Op.MAP_END]: 3,
  [Op.CAPTURE_BEGIN]: 3,
  [Op.CAPTURE_BEGIN_REST]: 5,
  [Op.CAPTURE_BEGIN_BYTE]: 3,
  [Op.CAPTURE_END]: 5,
  [Op.CAPTURE_ANY]: 3,
  [Op.BYTE_EQ]: 2,
  [Op.BYTE_SKIP]: 1,
  [Op.ALT]: 5,
  [Op.ALT_END]: 5,
  [Op.GUARD_MARK]: 1,
  [Op.NEEDS_JS]: 1,
  [Op.JUMP]: 5,
});

/** Operand of TYPE. Shared with native/match.cc: do not renumber. */
export const TypeCode = {
  INTEGER: 1,
  FLOAT: 2,
  NUMBER: 3,
  ATOM: 4,
  BINARY: 5,
  BITSTRING: 6,
  TUPLE: 7,
  LIST: 8,
  MAP: 9,
  PID: 10,
  REF: 11,
  PORT: 12,
  FUN: 13,
  BOOLEAN: 14,
} as const;

const TYPE_CODES: Readonly<Record<TypeTest, number>> = {
  integer: TypeCode.INTEGER,
  float: TypeCode.FLOAT,
  number: TypeCode.NUMBER,
  atom: TypeCode.ATOM,
  binary: TypeCode.BINARY,
  bitstring: TypeCode.BITSTRING,
  tuple: TypeCode.TUPLE,
  list: TypeCode.LIST,
  map: TypeCode.MAP,
  pid: TypeCode.PID,
  ref: TypeCode.REF,
  port: TypeCode.PORT,
  fun: TypeCode.FUN,
  boolean: TypeCode.BOOLEAN,
};

/** Capture span kinds (word 0 of a slot). Shared with native/match.cc. */
export const CaptureKind = {
  UNBOUND: 0,
  TERM: 1,
  LIST_REST: 2,
  STRING_REST: 3,
  BYTE: 4,
} as const;

/** Int32 words per capture slot. */
export const CAPTURE_WORDS = 3;
/** Int32 words per register. */
export const REGISTER_WORDS = 3;
/** Register operand of ALT meaning "no register to save". */
export const NO_REGISTER = 0xffff;

/** Header field offsets (see the layout table). */
export const Header = {
  MAGIC: 0,
  VERSION: 4,
  FLAGS: 5,
  SLOTS: 6,
  REGISTERS: 8,
  MAX_DEPTH: 10,
  CODE_LENGTH: 12,
  SIZE: 16,
} as const;
export const PROGRAM_MAGIC = [0x42, 0x4a, 0x4d, 0x50] as const;
export const PROGRAM_VERSION = 1;
export const FLAG_HAS_GUARDS = 1;

/** The in-VM encoding options (see the codec). */
const IN_VM = { jsTypes: true, minorVersion: 2 } as const;

// ---------------------------------------------------------------------------------
// The compiler

type Mode = { readonly kind: 'term' } | { readonly kind: 'byte' } | { readonly kind: 'rest'; readonly list: number };
const TERM_MODE: Mode = { kind: 'term' };
const BYTE_MODE: Mode = { kind: 'byte' };

class ProgramBuilder {
  private code: number[] = [];
  private pool: number[] = [];
  private readonly poolIndex = new Map<string, number>();
  private registers = 0;
  private depth = 0;
  private maxDepth = 0;

  constructor(private readonly slotCount: number, private readonly hasGuards: boolean) {}

  get here(): number {
    return this.code.length;
  }

  u8(value: number): void {
    this.code.push(value & 0xff);
  }

  u16(value: number): void {
    this.code.push(value & 0xff, (value >>> 8) & 0xff);
  }

  u32(value: number): void {
    this.code.push(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff);
  }

  patch32(at: number, value: number): void {
    this.code[at] = value & 0xff;
    this.code[at + 1] = (value >>> 8) & 0xff;
    this.code[at + 2] = (value >>> 16) & 0xff;
    this.code[at + 3] = (value >>> 24) & 0xff;
  }

  register(): number {
    if (this.registers >= NO_REGISTER) throw tooLarge(`more than ${NO_REGISTER - 1} registers`);
    return this.registers++;
  }

  /** Adds a literal to the pool (deduplicated) and emits its (offset, length). */
  literal(term: Term): void {
    const bytes = encodeTermBody(term, IN_VM);
    const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    let offset = this.poolIndex.get(key);
    if (offset === undefined) {
      offset = this.pool.length;
      for (const byte of bytes) this.pool.push(byte);
      this.poolIndex.set(key, offset);
    }
    this.u32(offset);
    this.u32(bytes.length);
  }

  // -- modes ------------------------------------------------------------------------

  emit(node: PatternNode, mode: Mode, nonFinal: boolean): void {
    switch (mode.kind) {
      case 'term':
        return this.term(node, nonFinal);
      case 'byte':
        return this.byte(node, nonFinal);
      case 'rest':
        return this.rest(node, mode.list, nonFinal);
    }
  }

  term(node: PatternNode, nonFinal: boolean): void {
    switch (node.kind) {
      case 'any':
        this.u8(Op.SKIP);
        return;
      case 'literal': {
        const list = literalAsList(node.value);
        if (list !== undefined) return this.term(list, nonFinal);
        this.u8(Op.LITERAL);
        this.literal(node.value);
        return;
      }
      case 'type':
        if (node.test === 'tuple' && node.size >= 0) {
          this.u8(Op.TUPLE_OF);
          this.u32(node.size);
        } else {
          this.u8(Op.TYPE);
          this.u8(TYPE_CODES[node.test]);
        }
        return;
      case 'capture':
        if (node.sub.kind === 'any') {
          this.u8(Op.CAPTURE_ANY);
          this.u16(node.slot);
          return;
        }
        return this.capture(node.slot, Op.CAPTURE_BEGIN, -1, () => this.term(node.sub, nonFinal));
      case 'tuple':
        this.u8(Op.TUPLE);
        this.u32(node.elements.length);
        for (const element of node.elements) this.term(element, nonFinal);
        return;
      case 'list': {
        const list = this.register();
        this.u8(Op.LIST);
        this.u16(list);
        this.rest(node, list, nonFinal);
        return;
      }
      case 'map': {
        const map = this.register();
        this.u8(Op.MAP);
        this.u16(map);
        for (const [key, value] of node.entries) {
          this.u8(Op.MAP_GET);
          this.u16(map);
          this.literal(key);
          this.term(value, nonFinal);
        }
        this.u8(Op.MAP_END);
        this.u16(map);
        return;
      }
      case 'where':
        this.term(node.sub, nonFinal);
        this.guard(nonFinal);
        return;
      case 'oneOf':
        return this.alternatives(node.alternatives, TERM_MODE, NO_REGISTER, nonFinal);
    }
  }

  rest(node: PatternNode, list: number, nonFinal: boolean): void {
    switch (node.kind) {
      case 'any':
        this.u8(Op.REST_SKIP);
        this.u16(list);
        return;
      case 'capture':
        return this.capture(node.slot, Op.CAPTURE_BEGIN_REST, list, () => this.rest(node.sub, list, nonFinal));
      case 'list':
        return this.restList(node, list, nonFinal);
      case 'where':
        this.rest(node.sub, list, nonFinal);
        this.guard(nonFinal);
        return;
      case 'oneOf':
        return this.alternatives(node.alternatives, { kind: 'rest', list }, list, nonFinal);
      case 'type':
        if (node.test === 'list') {
          this.u8(Op.REST_IS_LIST);
          this.u16(list);
          return;
        }
        return this.restTerm(node, list, false, nonFinal);
      case 'literal': {
        const expanded = literalAsList(node.value);
        if (expanded !== undefined) return this.restList(expanded, list, nonFinal);
        const value = node.value;
        return this.restTerm(node, list, Array.isArray(value) && value.length === 0, nonFinal);
      }
      case 'tuple':
      case 'map':
        return this.restTerm(node, list, false, nonFinal);
    }
  }

  /** A pattern that never matches a non-empty list, against a list's rest. */
  restTerm(node: PatternNode, list: number, nilOk: boolean, nonFinal: boolean): void {
    this.u8(Op.REST_TERM);
    this.u16(list);
    this.u8(nilOk ? 1 : 0);
    const target = this.here;
    this.u32(0);
    this.term(node, nonFinal);
    this.patch32(target, this.here);
  }

  restList(node: ListNode, list: number, nonFinal: boolean): void {
    this.u8(Op.REST_LIST);
    this.u16(list);
    this.u32(node.elements.length);
    const byteTarget = this.here;
    this.u32(0);
    for (const element of node.elements) this.term(element, nonFinal);
    this.u8(Op.JUMP);
    const join = this.here;
    this.u32(0);
    this.patch32(byteTarget, this.here);
    for (const element of node.elements) this.byte(element, nonFinal);
    this.patch32(join, this.here);
    this.rest(node.tail, list, nonFinal);
  }

  byte(node: PatternNode, nonFinal: boolean): void {
    switch (node.kind) {
      case 'any':
        this.u8(Op.BYTE_SKIP);
        return;
      case 'literal': {
        const value = node.value;
        const small =
          (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= 255) ||
          (typeof value === 'bigint' && value >= 0n && value <= 255n);
        if (small) {
          this.u8(Op.BYTE_EQ);
          this.u8(Number(value));
        } else {
          this.u8(Op.FAIL);
        }
        return;
      }
      case 'type':
        this.u8(node.test === 'integer' || node.test === 'number' ? Op.BYTE_SKIP : Op.FAIL);
        return;
      case 'capture':
        return this.capture(node.slot, Op.CAPTURE_BEGIN_BYTE, -1, () => this.byte(node.sub, nonFinal));
      case 'where':
        this.byte(node.sub, nonFinal);
        this.guard(nonFinal);
        return;
      case 'oneOf':
        return this.alternatives(node.alternatives, BYTE_MODE, NO_REGISTER, nonFinal);
      case 'tuple':
      case 'list':
      case 'map':
        this.u8(Op.FAIL);
        return;
    }
  }

  capture(slot: number, beginOp: number, list: number, sub: () => void): void {
    const register = this.register();
    this.u8(beginOp);
    this.u16(register);
    if (beginOp === Op.CAPTURE_BEGIN_REST) this.u16(list);
    sub();
    this.u8(Op.CAPTURE_END);
    this.u16(slot);
    this.u16(register);
  }

  guard(nonFinal: boolean): void {
    // In an alternative that is not the last, the guard's failure would choose another
    // alternative (with other bindings): only JS can decide, so hand over at once.
    this.u8(nonFinal ? Op.NEEDS_JS : Op.GUARD_MARK);
  }

  alternatives(alternatives: readonly PatternNode[], mode: Mode, saveRegister: number, nonFinal: boolean): void {
    const n = alternatives.length;
    this.u8(Op.ALT);
    this.u16(saveRegister);
    this.u16(n);
    const targets = this.here;
    for (let i = 0; i < n; i++) this.u32(0);
    this.depth++;
    this.maxDepth = Math.max(this.maxDepth, this.depth);
    const ends: number[] = [];
    alternatives.forEach((alternative, i) => {
      this.patch32(targets + 4 * i, this.here);
      this.emit(alternative, mode, nonFinal || i < n - 1);
      this.u8(Op.ALT_END);
      ends.push(this.here);
      this.u32(0);
    });
    this.depth--;
    for (const at of ends) this.patch32(at, this.here);
  }

  finish(): Uint8Array {
    this.u8(Op.MATCH);
    if (this.maxDepth > 0xffff) throw tooLarge('P.oneOf nested more than 65535 deep');
    if (this.slotCount > 0xffff) throw tooLarge('more than 65535 capture names');
    const program = new Uint8Array(Header.SIZE + this.code.length + this.pool.length);
    program.set(PROGRAM_MAGIC, Header.MAGIC);
    const view = new DataView(program.buffer);
    view.setUint8(Header.VERSION, PROGRAM_VERSION);
    view.setUint8(Header.FLAGS, this.hasGuards ? FLAG_HAS_GUARDS : 0);
    view.setUint16(Header.SLOTS, this.slotCount, true);
    view.setUint16(Header.REGISTERS, this.registers, true);
    view.setUint16(Header.MAX_DEPTH, this.maxDepth, true);
    view.setUint32(Header.CODE_LENGTH, this.code.length, true);
    program.set(this.code, Header.SIZE);
    program.set(this.pool, Header.SIZE + this.code.length);
    return program;
  }
}

function tooLarge(what: string): BeamError {
  return new BeamError(ErrorCode.BAD_PATTERN, `bad pattern: too large for a match program (${what})`);
}

/**
 * A literal list (from `P.exact`) as a list pattern of literal elements, so that it can
 * be matched against a list's rest and against either list encoding.
 */
function literalAsList(value: Term): ListNode | undefined {
  if (Array.isArray(value)) {
    const items = value as readonly Term[];
    if (items.length === 0) return undefined;
    return {
      kind: 'list',
      elements: items.map((item) => ({ kind: 'literal', value: item })),
      tail: { kind: 'literal', value: [] },
    };
  }
  if (value instanceof ImproperList) {
    return {
      kind: 'list',
      elements: value.head.map((item) => ({ kind: 'literal', value: item })),
      tail: { kind: 'literal', value: value.tail },
    };
  }
  return undefined;
}

/**
 * Compiles a normalised pattern into a match program.
 * `slotCount` is the number of distinct capture names.
 */
export function compileProgram(root: PatternNode, slotCount: number, hasGuards: boolean): MatchProgram {
  const builder = new ProgramBuilder(slotCount, hasGuards);
  builder.term(root, false);
  return builder.finish();
}

/** The program of a compiled matcher (also reachable as `matcher.program`). */
export function programOf(matcher: Matcher<unknown>): MatchProgram {
  return compileProgram(matcher.root, matcher.captureNames.length, matcher.hasGuards);
}

setProgramCompiler(programOf);
