/**
 * src/ets/ets.ts: Erlang's ets module, as the namespace object `ets` (Erlang's names in
 * camelCase: `ets.new`, `ets.insertNew`, `ets.updateCounter`, `ets.delete(T)` / `ets.delete(T, K)`).
 *
 * Every function is synchronous (no yield*): call it inside a process, or from the VM's main
 * thread (the embedding API: it acts as the VM's external process `vm.self`; with several VMs
 * in one thread, inside `vm.run(() => …)`). Tables live in shared memory (ets_space.ts): every
 * scheduler thread reads and writes them directly, without a message to the owner.
 *
 * Erlang -> beamjs:
 *   | Erlang                                   | beamjs                                                  |
 *   |------------------------------------------|---------------------------------------------------------|
 *   | ets:new(foo, [set, named_table, {keypos, 2}]) | ets.new(atom('foo'), [atom('set'), atom('named_table'), tuple(atom('keypos'), 2)]) |
 *   | ets:insert(T, {K, V}) / [{K, V}, …]      | ets.insert(t, tuple(k, v)) / [tuple(k, v), …]           |
 *   | ets:lookup(T, K)                          | ets.lookup(t, k) -> Tuple[]                            |
 *   | ets:update_counter(T, K, {2, 1}, {K, 0}) | ets.updateCounter(t, k, tuple(2, 1), tuple(k, 0))       |
 *   | ets:first(T) = '$end_of_table'            | ets.first(t) === atom('$end_of_table')                 |
 *   | ets:foldl(fun(O, A) -> … end, A0, T)      | ets.foldl((o, a) => …, a0, t)                          |
 *   | ets:info(T, size) / undefined            | ets.info(t, atom('size')) / undefined (Erlang's atom)  |
 *
 * Table ids: ets.new returns the name atom for a named_table, else a reference (as OTP 25:
 * `#Ref<…>`, usable from any thread and in messages). Protection is checked against the calling
 * pid: public (anyone reads and writes), protected (anyone reads, the owner writes), private
 * (only the owner). The owner's exit deletes its tables or gives them to their heir (ets_space.ts).
 *
 * Errors: as OTP 25 raises them, error:badarg (an ErlangException of class error, reason
 * badarg) whose message is OTP's extended error text, e.g. "bad argument in ets:lookup/2:
 * argument 1: the table identifier does not refer to an existing ETS table". A full heap raises
 * system_limit. Callbacks of foldl/foldr run after the table has been read (the objects are
 * copied first), so they may use the table freely.
 *
 * Threads: any thread of the VM. Atomicity and isolation per object as OTP documents; traversals
 * (tab2list, foldl, match, select) see each object whole and every object present throughout
 * exactly once, but are not a snapshot (the same as OTP without safe_fixtable).
 */
import { ErlangException } from '../process/exception.js';
import { callerProcessOrUndefined, currentProcess, currentProcessOrUndefined, embeddingCount, flushEmbedding, type Process } from '../process/process.js';
import { sendMessage } from '../process/signals.js';
import { BeamError, ErrorCode } from '../errors/index.js';
import { adoptTuple, atom, Atom, atomName, atomTerm, isInteger, localNode, Pid, Ref, tuple, Tuple, type Term } from '../term/index.js';
import { compileMatchPattern, compileMatchSpec, NO_MATCH, type CompiledMatchSpec } from './match_spec.js';
import { isAlive, spaceOf, TYPE_NAMES, type EtsSpace, type OpenedTable } from './ets_space.js';
import { storeFactory } from './store_factories.js';
import { NAME_TAKEN, TableFlag } from './table_catalog.js';
import type { TableType } from './table_store.js';
import { slotOfTid, tidOf } from './tid.js';

/** A table: its name (named_table) or its id. */
export type Tab = Atom | Ref | boolean | null | undefined;

const A_BADARG = atom('badarg');
const A_END = atom('$end_of_table');
const A_ETS_TRANSFER = atom('ETS-TRANSFER');
const A_NONE = atom('none');
const A_KEYPOS = atom('keypos');
const A_HEIR = atom('heir');
const A_AUTO = atom('auto');
const A_SELECT_CONT = atom('$beamjs_ets_select');
const PROTECTIONS = [atom('public'), atom('protected'), atom('private')] as const;
const TYPE_ATOMS = TYPE_NAMES.map((name) => atom(name));
const PUBLIC = 0;
const PROTECTED = 1;
const PRIVATE = 2;

const MSG_ID = 'the table identifier does not refer to an existing ETS table';
const MSG_ACCESS = 'the table identifier refers to an ETS table with insufficient access rights';
const MSG_TYPE = 'the table identifier refers to an ETS table of a type not supported by this operation';
const MSG_BADKEY = 'not a key that exists in the table';
const MSG_KEYPOS = 'the position is the same as the key position';
const MSG_RANGE = 'the position in the update operation is out of range';
const MSG_NOT_INTEGER = 'the value in the given position, in the object, is not an integer';
const MSG_BAD_OP = 'not a valid update operation';

/** Raises OTP's error:badarg for argument `arg` of ets:`fn`/`arity`. */
function badarg(fn: string, arity: number, arg: number, text: string): never {
  throw new ErlangException('error', A_BADARG, `bad argument in ets:${fn}/${arity}: argument ${arg}: ${text}`);
}

const enum Access {
  /** info, whereis: no access needed. */
  NONE = 0,
  READ = 1,
  WRITE = 2,
  /** give_away, setopts: the owner only. */
  OWNER = 3,
}

/** One call's context: who calls, on which thread's space. */
interface Call {
  readonly fn: string;
  readonly arity: number;
  readonly proc: Process;
  readonly space: EtsSpace;
}

/** An open table inside a call (cached per thread and serial: see EtsSpace.opened). */
type Open = OpenedTable;

function callerOf(fn: string, arity: number): Process {
  const current = currentProcessOrUndefined();
  if (current !== undefined) return current.hasPendingExit ? currentProcess(`ets.${fn}`) : current;
  const proc = callerProcessOrUndefined();
  if (proc !== undefined) return proc;
  const n = embeddingCount();
  throw new BeamError(
    ErrorCode.NOT_IN_PROCESS,
    n === 0
      ? `ets:${fn}/${arity} must be called inside a process or from a thread where a VM runs (VM.start)`
      : `ets:${fn}/${arity} was called outside a process on a thread with ${n} VMs: call it inside vm.run(() => …) to say which VM`,
  );
}

/** Runs `body` as one ETS operation (between the catalog's enter and leave: see table_catalog.ts). */
function operation<R>(fn: string, arity: number, body: (call: Call) => R): R {
  const proc = callerOf(fn, arity);
  const space = spaceOf(proc.runtime);
  space.catalog.enter();
  try {
    return body({ fn, arity, proc, space });
  } finally {
    space.catalog.leave();
  }
}

/**
 * `operation` without the body closure, for the hottest calls (lookup, member, insert): the
 * caller runs its body in `try { … } finally { call.space.catalog.leave(); }` right after.
 */
function begin(fn: string, arity: number): Call {
  const proc = callerOf(fn, arity);
  const space = spaceOf(proc.runtime);
  space.catalog.enter();
  return { fn, arity, proc, space };
}

/** The live table `tab` names, checked for `access` by the caller; badarg otherwise. */
function open(call: Call, tab: unknown, access: Access): Open {
  const catalog = call.space.catalog;
  let slot: number;
  let serial: number;
  if (tab instanceof Ref) {
    const id = slotOfTid(tab);
    if (id === undefined || !catalog.isLive(id.slot, id.serial)) badarg(call.fn, call.arity, 1, MSG_ID);
    ({ slot, serial } = id);
  } else {
    const name = atomName(tab);
    if (name === undefined) badarg(call.fn, call.arity, 1, MSG_ID);
    slot = catalog.whereis(name);
    if (slot < 0) badarg(call.fn, call.arity, 1, MSG_ID);
    serial = catalog.serialOf(slot);
  }
  const opened = call.space.opened(slot, serial);
  if (opened === undefined || !catalog.isLive(slot, serial)) badarg(call.fn, call.arity, 1, MSG_ID);
  if (access !== Access.NONE) {
    const protection = opened.entry.protection;
    const open = access === Access.READ ? protection !== PRIVATE : access === Access.WRITE ? protection === PUBLIC : false;
    if (!open && !catalog.ownerIs(slot, call.proc.pid)) badarg(call.fn, call.arity, 1, MSG_ACCESS);
  }
  return opened;
}

function tidOfOpen(t: Open): Ref {
  return tidOf(t.entry.slot, t.entry.serial);
}

function typeOf(t: Open): TableType {
  return TYPE_NAMES[t.entry.type]!;
}

/** The objects of an insert argument: a tuple or a proper list of tuples, each of size >= keypos. */
function objectsOf(call: Call, value: unknown, keypos: number): Tuple[] {
  const list = value instanceof Tuple ? [value] : Array.isArray(value) ? (value as unknown[]) : undefined;
  if (list === undefined) badarg(call.fn, call.arity, 2, 'not a tuple');
  for (const object of list) {
    if (!(object instanceof Tuple)) badarg(call.fn, call.arity, 2, 'not a tuple');
    if (object.size === 0) badarg(call.fn, call.arity, 2, 'is an empty tuple');
    if (object.size < keypos) badarg(call.fn, call.arity, 2, `the tuple has fewer elements than the table's keypos (${keypos})`);
  }
  return list as Tuple[];
}

// ---- integers (numbers when safe, else bigints: the term mapping) ---------------------------------

function normalize(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

function addIntegers(a: number | bigint, b: number | bigint): number | bigint {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a + b;
    if (Number.isSafeInteger(r)) return r;
  }
  return normalize(BigInt(a) + BigInt(b));
}

function lessThan(a: number | bigint, b: number | bigint): boolean {
  return typeof a === 'number' && typeof b === 'number' ? a < b : BigInt(a) < BigInt(b);
}

function isPositiveInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

// ---- update_counter ------------------------------------------------------------------------------

interface CounterOp {
  readonly pos: number;
  readonly incr: number | bigint;
  readonly threshold?: number | bigint;
  readonly setValue?: number | bigint;
}

function counterOp(call: Call, op: unknown, keypos: number): CounterOp {
  if (isInteger(op)) return { pos: keypos + 1, incr: op };
  if (op instanceof Tuple && op.size === 2 && isInteger(op.at(1)) && typeof op.at(0) === 'number') return { pos: op.at(0) as number, incr: op.at(1) as number | bigint };
  if (op instanceof Tuple && op.size === 4 && typeof op.at(0) === 'number' && isInteger(op.at(1)) && isInteger(op.at(2)) && isInteger(op.at(3))) {
    return { pos: op.at(0) as number, incr: op.at(1) as number | bigint, threshold: op.at(2) as number | bigint, setValue: op.at(3) as number | bigint };
  }
  badarg(call.fn, call.arity, 3, MSG_BAD_OP);
}

function applyCounter(call: Call, elements: Term[], op: CounterOp, keypos: number): number | bigint {
  if (!Number.isSafeInteger(op.pos) || op.pos < 1 || op.pos > elements.length) badarg(call.fn, call.arity, 3, MSG_RANGE);
  if (op.pos === keypos) badarg(call.fn, call.arity, 3, MSG_KEYPOS);
  const old = elements[op.pos - 1];
  if (!isInteger(old)) badarg(call.fn, call.arity, 3, MSG_NOT_INTEGER);
  let value = addIntegers(old, op.incr);
  if (op.threshold !== undefined && op.setValue !== undefined) {
    const crossed = lessThan(op.incr, 0) ? lessThan(value, op.threshold) : lessThan(op.threshold, value);
    if (crossed) value = op.setValue;
  }
  elements[op.pos - 1] = value;
  return value;
}

// ---- new -------------------------------------------------------------------------------------

interface NewOptions {
  type: number;
  protection: number;
  keypos: number;
  flags: number;
  heir: Pid | undefined;
  heirData: Term;
}

function parseNewOptions(call: Call, options: unknown): NewOptions {
  const o: NewOptions = { type: 0, protection: PROTECTED, keypos: 1, flags: 0, heir: undefined, heirData: undefined };
  if (!Array.isArray(options)) badarg('new', 2, 2, 'invalid options');
  const invalid = (): never => badarg('new', 2, 2, 'invalid options');
  const flag = (bit: number, value: unknown): void => {
    if (value === true || (value === A_AUTO && bit === TableFlag.WRITE_CONCURRENCY)) o.flags |= bit;
    else if (value === false) o.flags &= ~bit;
    else invalid();
  };
  for (const option of options as unknown[]) {
    const typeIndex = TYPE_ATOMS.indexOf(option as Atom);
    const protection = PROTECTIONS.indexOf(option as (typeof PROTECTIONS)[number]);
    if (typeIndex >= 0) o.type = typeIndex;
    else if (protection >= 0) o.protection = protection;
    else if (option instanceof Atom && option.name === 'named_table') o.flags |= TableFlag.NAMED;
    else if (option instanceof Atom && option.name === 'compressed') o.flags |= TableFlag.COMPRESSED;
    else if (option instanceof Tuple && option.size === 2 && option.at(0) === A_KEYPOS) {
      if (!isPositiveInt(option.at(1))) invalid();
      o.keypos = option.at(1) as number;
    } else if (option instanceof Tuple && option.size === 2 && option.at(0) === A_HEIR && option.at(1) === A_NONE) {
      o.heir = undefined;
    } else if (option instanceof Tuple && option.size === 3 && option.at(0) === A_HEIR) {
      const heir = option.at(1);
      if (!(heir instanceof Pid) || heir.node !== localNode()) invalid();
      o.heir = heir as Pid;
      o.heirData = option.at(2);
    } else if (option instanceof Tuple && option.size === 2 && option.at(0) instanceof Atom) {
      const name = (option.at(0) as Atom).name;
      if (name === 'read_concurrency') flag(TableFlag.READ_CONCURRENCY, option.at(1));
      else if (name === 'write_concurrency') flag(TableFlag.WRITE_CONCURRENCY, option.at(1));
      else if (name === 'decentralized_counters') flag(TableFlag.DECENTRALIZED_COUNTERS, option.at(1));
      else invalid();
    } else invalid();
  }
  void call;
  return o;
}

function newTable(name: Atom | boolean | null | undefined, options: readonly Term[]): Atom | Ref | boolean | null | undefined {
  return operation('new', 2, (call) => {
    const text = atomName(name);
    if (text === undefined) badarg('new', 2, 1, 'not an atom');
    const o = parseNewOptions(call, options);
    const type = TYPE_NAMES[o.type]!;
    const factory = storeFactory(type);
    if (factory === undefined) badarg('new', 2, 2, `the ${type} storage is not loaded in this build (src/ets registers it)`);
    const space = call.space;
    const store = factory.create(space.heap, type, o.keypos, {
      read: (o.flags & TableFlag.READ_CONCURRENCY) !== 0,
      write: (o.flags & TableFlag.WRITE_CONCURRENCY) !== 0,
    });
    let id: { readonly slot: number; readonly serial: number };
    try {
      id = space.catalog.create({
        name: text,
        owner: call.proc.pid,
        heir: o.heir,
        heirData: o.heirData,
        protection: o.protection,
        type: o.type,
        keypos: o.keypos,
        flags: o.flags,
        root: store.root,
      });
    } catch (error) {
      store.destroy();
      if (error === NAME_TAKEN) badarg('new', 2, 1, 'table name already exists');
      throw error;
    }
    return (o.flags & TableFlag.NAMED) !== 0 ? name : tidOf(id.slot, id.serial);
  });
}

// ---- reads ---------------------------------------------------------------------------------

function lookup(tab: Tab, key: Term): Tuple[] {
  const call = begin('lookup', 2);
  try {
    return open(call, tab, Access.READ).store.lookup(key);
  } finally {
    call.space.catalog.leave();
  }
}

function member(tab: Tab, key: Term): boolean {
  const call = begin('member', 2);
  try {
    return open(call, tab, Access.READ).store.member(key);
  } finally {
    call.space.catalog.leave();
  }
}

function lookupElement(tab: Tab, key: Term, pos: number): Term {
  return operation('lookup_element', 3, (call) => {
    const t = open(call, tab, Access.READ);
    if (!isPositiveInt(pos)) badarg('lookup_element', 3, 3, 'not a valid position');
    const objects = t.store.lookup(key);
    if (objects.length === 0) badarg('lookup_element', 3, 2, MSG_BADKEY);
    for (const object of objects) if (object.size < pos) badarg('lookup_element', 3, 3, 'position is greater than the size of the object');
    const type = typeOf(t);
    return type === 'set' || type === 'ordered_set' ? objects[0]!.at(pos - 1) : objects.map((object) => object.at(pos - 1));
  });
}

function keyOrEnd(found: { readonly key: Term } | undefined): Term {
  return found === undefined ? A_END : found.key;
}

function first(tab: Tab): Term {
  return operation('first', 1, (call) => keyOrEnd(open(call, tab, Access.READ).store.first()));
}

function last(tab: Tab): Term {
  return operation('last', 1, (call) => keyOrEnd(open(call, tab, Access.READ).store.last()));
}

function step(fn: 'next' | 'prev', tab: Tab, key: Term): Term {
  return operation(fn, 2, (call) => {
    const t = open(call, tab, Access.READ);
    const found = fn === 'next' ? t.store.next(key) : t.store.prev(key);
    if (found === undefined && typeOf(t) !== 'ordered_set' && !t.store.member(key)) badarg(fn, 2, 2, MSG_BADKEY);
    return keyOrEnd(found);
  });
}

function collect(t: Open, reverse = false): Tuple[] {
  const out: Tuple[] = [];
  t.store.scan((object) => {
    out.push(object);
  }, reverse);
  return out;
}

function tab2list(tab: Tab): Tuple[] {
  return operation('tab2list', 1, (call) => collect(open(call, tab, Access.READ)));
}

function fold<A>(fn: 'foldl' | 'foldr', f: (object: Tuple, acc: A) => A, acc: A, tab: Tab): A {
  if (typeof f !== 'function') throw new ErlangException('error', A_BADARG, `bad argument in ets:${fn}/3: argument 1: not a fun of arity 2`);
  const objects = operation(fn, 3, (call) => collect(open(call, tab, Access.READ), fn === 'foldr'));
  let a = acc;
  for (const object of objects) a = f(object, a);
  return a;
}

/** The objects a compiled spec may match: by key when the spec binds it, else all. */
function candidates(t: Open, spec: CompiledMatchSpec): Tuple[] {
  const bound = spec.boundKey(t.entry.keypos);
  return bound === undefined ? collect(t) : t.store.lookup(bound.key);
}

function runSpec(t: Open, spec: CompiledMatchSpec): Term[] {
  const out: Term[] = [];
  for (const object of candidates(t, spec)) {
    const r = spec.run(object);
    if (r !== NO_MATCH) out.push(r);
  }
  return out;
}

function compileSpecArg(fn: string, arity: number, spec: Term): CompiledMatchSpec {
  try {
    return compileMatchSpec(spec);
  } catch (error) {
    if (error instanceof ErlangException) badarg(fn, arity, 2, 'not a valid match specification');
    throw error;
  }
}

function match(tab: Tab, pattern: Term): Term[] {
  return operation('match', 2, (call) => runSpec(open(call, tab, Access.READ), compileMatchPattern(pattern, 'bindings')));
}

function matchObject(tab: Tab, pattern: Term): Term[] {
  return operation('match_object', 2, (call) => runSpec(open(call, tab, Access.READ), compileMatchPattern(pattern, 'object')));
}

/** ets:select/2, select/3 (-> {Results, Continuation} | '$end_of_table') and select/1 (a continuation). */
function select(tab: Tab, spec: Term): Term[];
function select(tab: Tab, spec: Term, limit: number): Term;
function select(continuation: Term): Term;
function select(...args: [Tab, Term] | [Tab, Term, number] | [Term]): Term {
  if (args.length === 1) {
    const cont = args[0];
    if (cont === A_END) return A_END;
    if (!(cont instanceof Tuple) || cont.size !== 3 || cont.at(0) !== A_SELECT_CONT || !Array.isArray(cont.at(2)) || !isPositiveInt(cont.at(1))) {
      throw new ErlangException('error', A_BADARG, 'bad argument in ets:select/1: argument 1: not a valid continuation');
    }
    return page(cont.at(2) as Term[], cont.at(1) as number);
  }
  if (args.length === 3) {
    const [tab, spec, limit] = args;
    if (!isPositiveInt(limit)) throw new ErlangException('error', A_BADARG, 'bad argument in ets:select/3: argument 3: not a positive integer');
    const results = operation('select', 3, (call) => runSpec(open(call, tab, Access.READ), compileSpecArg('select', 3, spec)));
    return page(results, limit);
  }
  const [tab, spec] = args;
  return operation('select', 2, (call) => runSpec(open(call, tab, Access.READ), compileSpecArg('select', 2, spec)));
}

/**
 * One page of a select/3: {Results, Continuation}, or '$end_of_table' when nothing is left.
 * The continuation carries the rest of the results (read when select/3 ran): unlike OTP's, later
 * changes to the table are not seen by select/1.
 */
function page(results: readonly Term[], limit: number): Term {
  if (results.length === 0) return A_END;
  const rest = results.slice(limit);
  return tuple(results.slice(0, limit), tuple(A_SELECT_CONT, limit, rest));
}

function selectCount(tab: Tab, spec: Term): number {
  return operation('select_count', 2, (call) => {
    const t = open(call, tab, Access.READ);
    const compiled = compileSpecArg('select_count', 2, spec);
    let n = 0;
    for (const object of candidates(t, compiled)) if (compiled.run(object) === true) n++;
    return n;
  });
}

// ---- writes --------------------------------------------------------------------------------

function insert(tab: Tab, objects: Tuple | readonly Tuple[]): true {
  const call = begin('insert', 2);
  try {
    const t = open(call, tab, Access.WRITE);
    t.store.insert(objectsOf(call, objects, t.entry.keypos));
    return true;
  } finally {
    call.space.catalog.leave();
  }
}

function insertNew(tab: Tab, objects: Tuple | readonly Tuple[]): boolean {
  return operation('insert_new', 2, (call) => {
    const t = open(call, tab, Access.WRITE);
    return t.store.insertNew(objectsOf(call, objects, t.entry.keypos));
  });
}

function deleteObject(tab: Tab, object: Tuple): true {
  return operation('delete_object', 2, (call) => {
    const t = open(call, tab, Access.WRITE);
    t.store.deleteObject(objectsOf(call, object, t.entry.keypos)[0]!);
    return true;
  });
}

function deleteAllObjects(tab: Tab): true {
  return operation('delete_all_objects', 1, (call) => {
    open(call, tab, Access.WRITE).store.deleteAll();
    return true;
  });
}

function take(tab: Tab, key: Term): Tuple[] {
  return operation('take', 2, (call) => open(call, tab, Access.WRITE).store.take(key));
}

/** ets:delete(Tab) deletes the table; ets:delete(Tab, Key) the objects of Key. */
function delete_(tab: Tab, ...key: [] | [Term]): true {
  if (key.length === 1) {
    return operation('delete', 2, (call) => {
      open(call, tab, Access.WRITE).store.delete(key[0]);
      return true;
    });
  }
  return operation('delete', 1, (call) => {
    const t = open(call, tab, Access.WRITE);
    call.space.deleteTable(t.entry.slot, t.entry.serial);
    return true;
  });
}

function selectDelete(tab: Tab, spec: Term): number {
  return operation('select_delete', 2, (call) => {
    const t = open(call, tab, Access.WRITE);
    const compiled = compileSpecArg('select_delete', 2, spec);
    return t.store.deleteWhere((object) => compiled.run(object) === true);
  });
}

/** ets:update_counter/3,4: Incr | {Pos, Incr} | {Pos, Incr, Threshold, SetValue} | a list of those; Default inserted when Key is absent. */
function updateCounter(tab: Tab, key: Term, op: Term, ...default_: [] | [Tuple]): number | bigint | Array<number | bigint> {
  const arity = 3 + default_.length;
  return operation('update_counter', arity, (call) => {
    const t = open(call, tab, Access.WRITE);
    const type = typeOf(t);
    if (type !== 'set' && type !== 'ordered_set') badarg('update_counter', arity, 1, MSG_TYPE);
    const keypos = t.entry.keypos;
    const many = Array.isArray(op);
    // One op (the common case): parsed once, no ops or results array.
    const ops = many ? (op as unknown[]).map((o) => counterOp(call, o, keypos)) : undefined;
    const single = many ? undefined : counterOp(call, op, keypos);
    const dflt = default_[0];
    if (default_.length === 1 && (!(dflt instanceof Tuple) || dflt.size < keypos)) badarg('update_counter', arity, 4, 'not a tuple with a key position');
    return t.store.modify(key, (current) => {
      const base = current[0] ?? dflt;
      if (base === undefined) badarg('update_counter', arity, 2, MSG_BADKEY);
      // A fresh array the new tuple adopts (no second copy, no freeze); `base` is untouched.
      const elements = base.elements.slice();
      if (current.length === 0) elements[keypos - 1] = key;
      const result = single !== undefined ? applyCounter(call, elements, single, keypos) : ops!.map((o) => applyCounter(call, elements, o, keypos));
      return { objects: [adoptTuple(elements)], result };
    });
  });
}

/** ets:update_element/3: {Pos, Value} or a list of those; false when Key is absent. */
function updateElement(tab: Tab, key: Term, change: Term): boolean {
  return operation('update_element', 3, (call) => {
    const t = open(call, tab, Access.WRITE);
    const type = typeOf(t);
    if (type !== 'set' && type !== 'ordered_set') badarg('update_element', 3, 1, MSG_TYPE);
    const list = Array.isArray(change) ? (change as unknown[]) : [change];
    const changes = list.map((c) => {
      if (!(c instanceof Tuple) || c.size !== 2 || !isPositiveInt(c.at(0))) badarg('update_element', 3, 3, 'not a valid update operation');
      return { pos: c.at(0) as number, value: c.at(1) };
    });
    const keypos = t.entry.keypos;
    return t.store.modify(key, (current) => {
      const object = current[0];
      if (object === undefined) return { result: false }; // OTP: an absent key is false before the positions are checked
      const elements = [...object.elements];
      for (const c of changes) {
        if (c.pos === keypos) badarg('update_element', 3, 3, MSG_KEYPOS);
        if (c.pos > elements.length) badarg('update_element', 3, 3, MSG_RANGE);
        elements[c.pos - 1] = c.value;
      }
      return { objects: [new Tuple(elements)], result: true };
    });
  });
}

// ---- tables ----------------------------------------------------------------------------------

function rename(tab: Tab, name: Atom | boolean | null | undefined): Term {
  return operation('rename', 2, (call) => {
    const t = open(call, tab, Access.WRITE);
    const text = atomName(name);
    if (text === undefined) badarg('rename', 2, 2, 'not an atom');
    if ((t.entry.flags & TableFlag.NAMED) === 0) return tidOfOpen(t); // OTP: renaming an unnamed table has no effect
    try {
      if (!call.space.catalog.rename(t.entry.slot, t.entry.serial, text)) badarg('rename', 2, 1, MSG_ID);
    } catch (error) {
      if (error === NAME_TAKEN) badarg('rename', 2, 2, 'table name already exists');
      throw error;
    }
    return name;
  });
}

function all(): Term[] {
  return operation('all', 0, (call) => {
    const catalog = call.space.catalog;
    const out: Term[] = [];
    for (const slot of catalog.liveSlots()) {
      const entry = catalog.entry(slot);
      out.push((entry.flags & TableFlag.NAMED) !== 0 ? atomTerm(catalog.nameOf(slot)) : tidOf(slot, entry.serial));
    }
    return out;
  });
}

function whereis(name: Atom | boolean | null | undefined): Ref | undefined {
  return operation('whereis', 1, (call) => {
    const text = atomName(name);
    if (text === undefined) badarg('whereis', 1, 1, 'not an atom');
    const slot = call.space.catalog.whereis(text);
    return slot < 0 ? undefined : tidOf(slot, call.space.catalog.serialOf(slot));
  });
}

function pidOf(runtimeNode: Atom, creation: number, words: { readonly id: number; readonly serial: number }): Pid {
  return new Pid(runtimeNode, words.id, words.serial, creation);
}

const INFO_ITEMS = [
  'id',
  'decentralized_counters',
  'read_concurrency',
  'write_concurrency',
  'compressed',
  'memory',
  'owner',
  'heir',
  'name',
  'size',
  'node',
  'named_table',
  'type',
  'keypos',
  'protection',
] as const;
const EXTRA_ITEMS = ['fixed', 'safe_fixed', 'safe_fixed_monotonic_time', 'stats'] as const;
type InfoItem = (typeof INFO_ITEMS)[number] | (typeof EXTRA_ITEMS)[number];

function infoItem(call: Call, t: Open, item: InfoItem): Term {
  const e = t.entry;
  const runtime = call.proc.runtime;
  switch (item) {
    case 'id':
      return tidOfOpen(t);
    case 'decentralized_counters':
      return (e.flags & TableFlag.DECENTRALIZED_COUNTERS) !== 0;
    case 'read_concurrency':
      return (e.flags & TableFlag.READ_CONCURRENCY) !== 0;
    case 'write_concurrency':
      return (e.flags & TableFlag.WRITE_CONCURRENCY) !== 0;
    case 'compressed':
      return (e.flags & TableFlag.COMPRESSED) !== 0;
    case 'memory':
      return Math.ceil(t.store.memoryBytes() / 8); // words, as OTP
    case 'owner':
      return pidOf(runtime.node, runtime.creation, call.space.catalog.entry(e.slot).owner); // owner and heir change: read now
    case 'heir': {
      const heir = call.space.catalog.entry(e.slot).heir;
      return heir === undefined ? A_NONE : pidOf(runtime.node, runtime.creation, heir);
    }
    case 'name':
      return atomTerm(call.space.catalog.nameOf(e.slot));
    case 'size':
      return t.store.size();
    case 'node':
      return runtime.node;
    case 'named_table':
      return (e.flags & TableFlag.NAMED) !== 0;
    case 'type':
      return TYPE_ATOMS[e.type]!;
    case 'keypos':
      return e.keypos;
    case 'protection':
      return PROTECTIONS[e.protection]!;
    case 'fixed':
    case 'safe_fixed':
    case 'safe_fixed_monotonic_time':
      return false;
    case 'stats':
      return tuple(0, 0, 0, 0, 0, 0, 0, 0, 0);
  }
}

/** ets:info/1 (list of {Item, Value}) and info/2; undefined (Erlang's atom) when the table does not exist. */
function info(tab: Tab): Tuple[] | undefined;
function info(tab: Tab, item: Atom): Term;
function info(tab: Tab, ...item: [] | [Atom]): Term {
  const arity = 1 + item.length;
  return operation('info', arity, (call) => {
    let t: Open;
    try {
      t = open(call, tab, Access.NONE);
    } catch (error) {
      if (error instanceof ErlangException && (tab instanceof Ref || atomName(tab) !== undefined)) return undefined;
      throw error;
    }
    if (item.length === 0) return INFO_ITEMS.map((name) => tuple(atom(name), infoItem(call, t, name)));
    const name = item[0] instanceof Atom ? item[0].name : undefined;
    if (name === undefined || !((INFO_ITEMS as readonly string[]).includes(name) || (EXTRA_ITEMS as readonly string[]).includes(name))) {
      badarg('info', 2, 2, 'not a valid info item');
    }
    return infoItem(call, t, name as InfoItem);
  });
}

/** ets:give_away/3: the owner gives the table to a living local process, which gets {'ETS-TRANSFER', Tid, From, GiftData}. */
function giveAway(tab: Tab, pid: Pid, giftData: Term): true {
  const sent = operation('give_away', 3, (call) => {
    const t = open(call, tab, Access.OWNER);
    if (!(pid instanceof Pid) || pid.node !== call.proc.runtime.node) badarg('give_away', 3, 2, 'not a pid of a local process');
    if (pid.id === call.proc.pid.id && pid.serial === call.proc.pid.serial) badarg('give_away', 3, 2, 'the process is already the owner of the table');
    if (!isAlive(call.proc.runtime, pid)) badarg('give_away', 3, 2, 'not a living local process');
    if (!call.space.catalog.setOwner(t.entry.slot, t.entry.serial, pid, false)) badarg('give_away', 3, 1, MSG_ID);
    return { call, t };
  });
  const { call, t } = sent;
  const runtime = call.proc.runtime;
  sendMessage(runtime, call.proc.pid, pid, tuple(A_ETS_TRANSFER, tidOfOpen(t), call.proc.pid, giftData));
  flushEmbedding(call.proc);
  // The receiver may have died after the check: then it is the owner that exited.
  if (!isAlive(runtime, pid)) call.space.ownerGone(runtime, t.entry.slot, t.entry.serial, pid);
  return true;
}

/** ets:setopts/2: {heir, Pid, Data} | {heir, none}, or a list of those (the owner only). */
function setopts(tab: Tab, opts: Term): true {
  return operation('setopts', 2, (call) => {
    const t = open(call, tab, Access.OWNER);
    const list = Array.isArray(opts) ? (opts as unknown[]) : [opts];
    for (const opt of list) {
      if (opt instanceof Tuple && opt.size === 2 && opt.at(0) === A_HEIR && opt.at(1) === A_NONE) {
        call.space.catalog.setHeir(t.entry.slot, t.entry.serial, undefined, undefined);
      } else if (opt instanceof Tuple && opt.size === 3 && opt.at(0) === A_HEIR && opt.at(1) instanceof Pid && (opt.at(1) as Pid).node === call.proc.runtime.node) {
        call.space.catalog.setHeir(t.entry.slot, t.entry.serial, opt.at(1) as Pid, opt.at(2));
      } else {
        badarg('setopts', 2, 2, 'not a valid option');
      }
    }
    return true;
  });
}

/** Erlang's ets module (see the header). */
export const ets = {
  new: newTable,
  insert,
  insertNew,
  lookup,
  lookupElement,
  member,
  delete: delete_,
  deleteObject,
  deleteAllObjects,
  take,
  updateCounter,
  updateElement,
  first,
  next: (tab: Tab, key: Term): Term => step('next', tab, key),
  last,
  prev: (tab: Tab, key: Term): Term => step('prev', tab, key),
  tab2list,
  foldl: <A>(f: (object: Tuple, acc: A) => A, acc: A, tab: Tab): A => fold('foldl', f, acc, tab),
  foldr: <A>(f: (object: Tuple, acc: A) => A, acc: A, tab: Tab): A => fold('foldr', f, acc, tab),
  match,
  matchObject,
  select,
  selectCount,
  selectDelete,
  info,
  rename,
  all,
  whereis,
  giveAway,
  setopts,
} as const;
