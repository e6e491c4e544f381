// The ets API (src/ets/ets.ts) against OTP 25's behaviour (checked with erl): every operation's
// results, Erlang's badarg errors with OTP's texts, protection checked by the calling pid, the
// owner's death, heir and give_away, named tables. Calls come from the main thread (the VM's
// external process) and from processes (test/ets/fixtures/ets_agent.ts), inline or on 2
// scheduler threads when BEAMJS_TEST_SCHEDULERS is set (test/ets/multi/).
import t, { type Test } from 'tap';
import { atom, ErlangException, P, Pid, Ref, tuple, Tuple, VM, type Term } from '../../src/index.js';
import { ets } from '../../src/ets/index.js';
import { schedulerOptions } from '../support/schedulers.js';

const MODULES = [new URL('./fixtures/ets_agent.js', import.meta.url)];
const a = atom;
const END = a('$end_of_table');

async function start(t: Test): Promise<VM> {
  const vm = await VM.start({ ...schedulerOptions(), modules: MODULES, logger: false });
  t.teardown(() => vm.stop());
  return vm;
}

let tags = 0;

async function agent(vm: VM): Promise<Pid> {
  return vm.spawn('ets_agent', 'loop', [vm.self]);
}

/** Runs ets[op](...args) in process `pid`; resolves with {ok, R} or {error, Class, Reason, Message}. */
async function run(vm: VM, pid: Pid, op: string, ...args: Term[]): Promise<Tuple> {
  const tag = ++tags;
  vm.send(pid, tuple(a('do'), tag, a(op), args));
  const got = await vm.receive(P.tuple(a('outcome'), tag, P.capture('r')), 5000);
  if (got === undefined) throw new Error(`${op}: no outcome within 5 s`);
  return got.r as Tuple;
}

async function runOk(vm: VM, pid: Pid, op: string, ...args: Term[]): Promise<Term> {
  const r = await run(vm, pid, op, ...args);
  if (r.at(0) !== a('ok')) throw new Error(`${op} failed: ${String(r.at(3))}`);
  return r.at(1);
}

/** Waits for {got, From, Msg} from the agent `from`. */
async function got(vm: VM, from: Pid): Promise<Term> {
  const m = await vm.receive(P.tuple(a('got'), from, P.capture('m')), 5000);
  if (m === undefined) throw new Error('no message reported within 5 s');
  return m.m as Term;
}

function badargMessage(t: Test, fn: () => unknown, text: string, what: string): void {
  try {
    fn();
    t.fail(`${what}: no exception`);
  } catch (error) {
    t.ok(error instanceof ErlangException && error.class === 'error' && error.reason === a('badarg'), `${what}: error:badarg`);
    t.match((error as Error).message, text, `${what}: says "${text}"`);
  }
}

t.test('set: insert, lookup, member, insert_new, delete, take, delete_object, traversal', async (t) => {
  const vm = await start(t);
  const tab = ets.new(a('s'), [a('set'), a('public')]);
  t.ok(tab instanceof Ref, 'an unnamed table is named by a reference');
  t.equal(ets.insert(tab, tuple(1, 'a')), true);
  t.equal(ets.insert(tab, [tuple(2, 'b'), tuple(3, 'c')]), true);
  t.equal(ets.insert(tab, tuple(1, 'A')), true, 'a set replaces the object of a key');
  t.same(ets.lookup(tab, 1), [tuple(1, 'A')]);
  t.same(ets.lookup(tab, 1.5), [], 'an absent key: []');
  t.equal(ets.member(tab, 2), true);
  t.equal(ets.member(tab, 9), false);
  t.equal(ets.insertNew(tab, [tuple(10, 'x'), tuple(1, 'y')]), false, 'insert_new: one key present, nothing inserted');
  t.same(ets.lookup(tab, 10), []);
  t.equal(ets.insertNew(tab, [tuple(10, 'x'), tuple(11, 'y')]), true);
  t.equal(ets.info(tab, a('size')), 5);
  t.equal(ets.deleteObject(tab, tuple(10, 'not this')), true);
  t.same(ets.lookup(tab, 10), [tuple(10, 'x')], 'delete_object leaves a different object');
  t.equal(ets.deleteObject(tab, tuple(10, 'x')), true);
  t.same(ets.lookup(tab, 10), []);
  t.same(ets.take(tab, 11), [tuple(11, 'y')]);
  t.same(ets.take(tab, 11), []);
  t.equal(ets.delete(tab, 3), true);
  t.equal(ets.delete(tab, 3), true, 'delete of an absent key is true');
  const keys: Term[] = [];
  for (let k = ets.first(tab); k !== END; k = ets.next(tab, k)) keys.push(k);
  t.same([...keys].sort(), [1, 2], 'first/next visit every key, then $end_of_table');
  t.equal(ets.last(tab) === END, false);
  t.same(
    ets
      .tab2list(tab)
      .map((o) => o.at(0))
      .sort(),
    [1, 2],
  );
  t.same([...ets.foldl((o: Tuple, acc: Term[]) => [...acc, o.at(0)], [] as Term[], tab)].sort(), [1, 2]);
  t.same([...ets.foldr((o: Tuple, acc: Term[]) => [...acc, o.at(0)], [] as Term[], tab)].sort(), [1, 2]);
  badargMessage(t, () => ets.next(tab, 99), 'argument 2: not a key that exists in the table', 'next of an absent key in a set');
  t.equal(ets.deleteAllObjects(tab), true);
  t.equal(ets.info(tab, a('size')), 0);
  t.equal(ets.first(tab), END);
  t.equal(ets.delete(tab), true);
  badargMessage(t, () => ets.lookup(tab, 1), 'argument 1: the table identifier does not refer to an existing ETS table', 'a deleted table');
  t.equal(ets.info(tab), undefined, 'info of a deleted table is undefined');
  void vm;
});

t.test('keys compare with =:= in hash tables; keypos; bags and duplicate bags', async (t) => {
  await start(t);
  const s = ets.new(a('k'), [a('set'), tuple(a('keypos'), 2)]);
  ets.insert(s, [tuple(a('r'), 1, 'int'), tuple(a('r'), 1.5, 'float'), tuple(a('r'), tuple(1, [2]), 'tuple')]);
  t.same(ets.lookup(s, 1), [tuple(a('r'), 1, 'int')]);
  t.same(ets.lookup(s, tuple(1, [2])), [tuple(a('r'), tuple(1, [2]), 'tuple')]);
  t.same(ets.lookup(s, 1n), [tuple(a('r'), 1, 'int')], 'the bigint 1n is =:= 1');
  badargMessage(t, () => ets.insert(s, tuple(a('too_small'))), 'argument 2', 'an object smaller than keypos');
  const b = ets.new(a('b'), [a('bag')]);
  ets.insert(b, [tuple(a('k'), 1), tuple(a('k'), 2), tuple(a('k'), 1)]);
  t.same(ets.lookup(b, a('k')), [tuple(a('k'), 1), tuple(a('k'), 2)], 'a bag keeps one of equal objects, in insertion order');
  ets.deleteObject(b, tuple(a('k'), 1));
  t.same(ets.lookup(b, a('k')), [tuple(a('k'), 2)]);
  const d = ets.new(a('d'), [a('duplicate_bag')]);
  ets.insert(d, [tuple(a('k'), 1), tuple(a('k'), 2), tuple(a('k'), 1)]);
  t.same(ets.lookup(d, a('k')), [tuple(a('k'), 1), tuple(a('k'), 2), tuple(a('k'), 1)], 'a duplicate_bag keeps duplicates');
  t.same(ets.lookupElement(d, a('k'), 2), [1, 2, 1], 'lookup_element of a bag: a list');
  ets.deleteObject(d, tuple(a('k'), 1));
  t.same(ets.lookup(d, a('k')), [tuple(a('k'), 2)], 'delete_object removes every duplicate');
  badargMessage(t, () => ets.updateCounter(d, a('k'), 1), 'argument 1: the table identifier refers to an ETS table of a type not supported by this operation', 'update_counter on a bag');
});

t.test('update_counter in all its forms, update_element, lookup_element', async (t) => {
  await start(t);
  const tab = ets.new(a('c'), [a('set')]);
  ets.insert(tab, tuple(2, 10, 20));
  t.same(ets.updateCounter(tab, 2, [tuple(2, 5), tuple(3, -100, 0, 7)]), [15, 7], 'a list of ops; threshold and set value');
  t.equal(ets.updateCounter(tab, 2, 1), 16, 'Incr alone updates keypos + 1');
  t.equal(ets.updateCounter(tab, 2, tuple(3, 10, 10, 0)), 0, '{Pos, Incr, Threshold, SetValue} above the threshold');
  t.equal(ets.updateCounter(tab, 3, tuple(2, 1), tuple(3, 0)), 1, 'a default object, its key replaced by Key');
  t.same(ets.lookup(tab, 3), [tuple(3, 1)]);
  t.same(ets.updateCounter(tab, 2, []), [], 'an empty list of ops');
  t.equal(ets.updateCounter(tab, 2, Number.MAX_SAFE_INTEGER), BigInt(Number.MAX_SAFE_INTEGER) + 16n, 'overflow becomes a bigint');
  badargMessage(t, () => ets.updateCounter(tab, 9, 1), 'argument 2: not a key that exists in the table', 'no such key, no default');
  badargMessage(t, () => ets.updateCounter(tab, 2, tuple(1, 1)), 'argument 3: the position is the same as the key position', 'the key position');
  badargMessage(t, () => ets.updateCounter(tab, 2, tuple(7, 1)), 'argument 3: the position in the update operation is out of range', 'out of range');
  ets.insert(tab, tuple(5, 'x'));
  badargMessage(t, () => ets.updateCounter(tab, 5, 1), 'argument 3: the value in the given position, in the object, is not an integer', 'not an integer');
  t.equal(ets.updateElement(tab, 5, tuple(2, 'y')), true);
  t.same(ets.lookup(tab, 5), [tuple(5, 'y')]);
  t.equal(ets.updateElement(tab, 77, tuple(2, 'y')), false, 'update_element of an absent key: false');
  badargMessage(t, () => ets.updateElement(tab, 5, tuple(1, 'z')), 'the position is the same as the key position', 'update_element of the key');
  t.equal(ets.lookupElement(tab, 5, 2), 'y');
  badargMessage(t, () => ets.lookupElement(tab, 77, 2), 'argument 2: not a key that exists in the table', 'lookup_element of an absent key');
  badargMessage(t, () => ets.lookupElement(tab, 5, 3), 'argument 3: position is greater than the size of the object', 'lookup_element past the end');
});

t.test('match, match_object, select (with a limit), select_count, select_delete', async (t) => {
  await start(t);
  const b = ets.new(a('m'), [a('bag')]);
  ets.insert(b, [tuple(a('k'), 1), tuple(a('k'), 2), tuple(a('j'), 1)]);
  const sorted = (l: Term[]): string[] => l.map((x) => JSON.stringify(x, (_k, v: unknown) => (v instanceof Tuple ? v.elements : v instanceof Object && 'name' in v ? (v as { name: string }).name : v))).sort();
  t.same(sorted(ets.match(b, tuple(a('$1'), a('$2')))), sorted([[a('k'), 1], [a('k'), 2], [a('j'), 1]]));
  t.same(sorted(ets.match(b, tuple(a('k'), a('$1')))), sorted([[1], [2]]), 'a bound key: lookup');
  t.same(sorted(ets.matchObject(b, tuple(a('_'), 1))), sorted([tuple(a('k'), 1), tuple(a('j'), 1)]));
  t.same(sorted(ets.select(b, [tuple(tuple(a('$1'), a('$2')), [], [a('$$')])])), sorted([[a('k'), 1], [a('k'), 2], [a('j'), 1]]));
  const page = ets.select(b, [tuple(tuple(a('_'), a('_')), [], [a('$_')])], 2) as Tuple;
  t.equal((page.at(0) as Term[]).length, 2, 'select/3 gives Limit results');
  const page2 = ets.select(page.at(1)) as Tuple;
  t.equal((page2.at(0) as Term[]).length, 1, 'select/1 gives the rest');
  t.equal(ets.select(page2.at(1)), END, 'then $end_of_table');
  t.equal(ets.selectCount(b, [tuple(tuple(a('_'), 1), [], [true])]), 2);
  t.equal(ets.selectDelete(b, [tuple(tuple(a('_'), 1), [], [true])]), 2);
  t.same(ets.tab2list(b), [tuple(a('k'), 2)]);
  badargMessage(t, () => ets.select(b, a('bogus')), 'argument 2: not a valid match specification', 'a bad match spec');
});

t.test('named tables, rename, whereis, all, info', async (t) => {
  const vm = await start(t);
  const name = ets.new(a('named1'), [a('named_table'), tuple(a('read_concurrency'), true)]);
  t.equal(name, a('named1'), 'ets:new of a named_table returns the name');
  ets.insert(a('named1'), tuple(1, 2));
  const tid = ets.whereis(a('named1'));
  t.ok(tid instanceof Ref, 'whereis gives the tid');
  t.same(ets.lookup(tid, 1), [tuple(1, 2)], 'the tid names the table too');
  t.equal(ets.whereis(a('nonexist')), undefined);
  badargMessage(t, () => ets.new(a('named1'), [a('named_table')]), 'argument 1: table name already exists', 'a name in use');
  t.ok(ets.all().includes(a('named1')), 'all() lists a named table by its name');
  const unnamed = ets.new(a('u'), []);
  t.ok(ets.all().some((x) => x instanceof Ref && x.ids[0] === (unnamed as Ref).ids[0] && x.ids[1] === (unnamed as Ref).ids[1]), 'all() lists an unnamed table by its tid');
  t.equal(ets.rename(a('named1'), a('named2')), a('named2'));
  badargMessage(t, () => ets.lookup(a('named1'), 1), 'does not refer to an existing ETS table', 'the old name is gone');
  t.same(ets.lookup(a('named2'), 1), [tuple(1, 2)]);
  ets.new(a('named3'), [a('named_table')]);
  badargMessage(t, () => ets.rename(a('named2'), a('named3')), 'argument 2: table name already exists', 'rename to a name in use');
  t.same(ets.rename(unnamed, a('x')), unnamed, 'renaming an unnamed table has no effect: its tid');
  const info = ets.info(a('named2')) as Tuple[];
  t.same(
    info.map((i) => (i.at(0) as { name: string }).name),
    ['id', 'decentralized_counters', 'read_concurrency', 'write_concurrency', 'compressed', 'memory', 'owner', 'heir', 'name', 'size', 'node', 'named_table', 'type', 'keypos', 'protection'],
    "info/1's items in OTP 25's order",
  );
  t.equal(ets.info(a('named2'), a('read_concurrency')), true);
  t.equal(ets.info(a('named2'), a('name')), a('named2'));
  t.equal(ets.info(a('named2'), a('type')), a('set'));
  t.equal(ets.info(a('named2'), a('protection')), a('protected'), 'protected by default');
  t.same(ets.info(a('named2'), a('owner')), vm.self, 'the main thread owns what it creates: vm.self');
  t.equal(ets.info(a('named2'), a('heir')), a('none'));
  t.ok((ets.info(a('named2'), a('memory')) as number) > 0, 'memory in words');
  badargMessage(t, () => ets.info(a('named2'), a('bogus')), 'argument 2: not a valid info item', 'a bad info item');
  badargMessage(t, () => ets.new(a('x'), [a('bogus')]), 'argument 2: invalid options', 'a bad option');
});

t.test('protection is checked against the calling process', async (t) => {
  const vm = await start(t);
  const other = await agent(vm);
  const prot = ets.new(a('p1'), [a('protected')]);
  const priv = ets.new(a('p2'), [a('private')]);
  const pub = ets.new(a('p3'), [a('public')]);
  ets.insert(prot, tuple(1, 'p'));
  ets.insert(priv, tuple(1, 'q'));
  t.same(await runOk(vm, other, 'lookup', prot, 1), [tuple(1, 'p')], 'anyone reads a protected table');
  const denied = await run(vm, other, 'insert', prot, tuple(2));
  t.equal(denied.at(2), a('badarg'));
  t.match(denied.at(3), 'insufficient access rights', 'only the owner writes a protected table');
  t.match((await run(vm, other, 'lookup', priv, 1)).at(3), 'insufficient access rights', 'only the owner reads a private table');
  t.same(await runOk(vm, other, 'insert', pub, tuple(7, 'from other')), true, 'anyone writes a public table');
  t.same(ets.lookup(pub, 7), [tuple(7, 'from other')], 'and the owner sees it');
  t.equal(await runOk(vm, other, 'info', priv, a('size')), 1, 'info needs no access');
  t.match((await run(vm, other, 'giveAway', pub, other, 0)).at(3), 'insufficient access rights', 'only the owner gives a table away');
});

t.test("the owner's death deletes its tables; an heir inherits them", async (t) => {
  const vm = await start(t);
  const owner = await agent(vm);
  const heir = await agent(vm);
  const lone = (await runOk(vm, owner, 'new', a('lone'), [a('public')])) as Ref;
  const kept = (await runOk(vm, owner, 'new', a('kept'), [a('named_table'), a('public'), tuple(a('heir'), heir, a('hdata'))])) as Term;
  t.equal(kept, a('kept'));
  ets.insert(a('kept'), tuple(1, 'survives'));
  t.same(ets.info(a('kept'), a('owner')), owner);
  t.same(ets.info(a('kept'), a('heir')), heir);
  const mon = await vm.monitor(owner);
  vm.send(owner, tuple(a('exit'), a('boom')));
  const transfer = (await got(vm, heir)) as Tuple;
  t.equal(transfer.at(0), a('ETS-TRANSFER'));
  t.same(transfer.at(1), ets.whereis(a('kept')), "'ETS-TRANSFER' names the table by its tid");
  t.same(transfer.at(2), owner, 'from the dead owner');
  t.equal(transfer.at(3), a('hdata'), 'with the heir data');
  await vm.receive(P.tuple(a('DOWN'), mon, P.any, P.any, P.any), 5000);
  t.same(ets.info(a('kept'), a('owner')), heir, 'the heir owns it now');
  t.same(ets.info(a('kept'), a('heir')), heir, 'and stays its heir (as OTP)');
  t.same(ets.lookup(a('kept'), 1), [tuple(1, 'survives')], 'with its objects');
  t.equal(ets.info(lone), undefined, 'a table without heir died with its owner');
  vm.send(heir, a('stop'));
  const mon2 = await vm.monitor(heir);
  await vm.receive(P.tuple(a('DOWN'), mon2, P.any, P.any, P.any), 5000);
  t.equal(ets.info(a('kept'), a('size')), undefined, "the heir's own death (heir itself) deletes it");
});

t.test('give_away and setopts heir', async (t) => {
  const vm = await start(t);
  const p1 = await agent(vm);
  const tab = ets.new(a('g'), [a('private')]);
  ets.insert(tab, tuple(1, 'x'));
  badargMessage(t, () => ets.giveAway(tab, vm.self, 0), 'argument 2: the process is already the owner of the table', 'to itself');
  t.equal(ets.giveAway(tab, p1, a('gift')), true);
  const m = (await got(vm, p1)) as Tuple;
  t.same(m, tuple(a('ETS-TRANSFER'), tab, vm.self, a('gift')), "{'ETS-TRANSFER', Tid, From, Gift}");
  badargMessage(t, () => ets.lookup(tab, 1), 'insufficient access rights', 'the giver lost a private table');
  t.same(await runOk(vm, p1, 'lookup', tab, 1), [tuple(1, 'x')], 'the new owner reads it');
  t.equal(await runOk(vm, p1, 'setopts', tab, tuple(a('heir'), vm.self, a('back'))), true);
  vm.send(p1, a('stop'));
  const back = await vm.receive(P.tuple(a('ETS-TRANSFER'), P.any, p1, a('back')), 5000);
  t.ok(back !== undefined, 'the heir set by setopts inherits it');
  t.same(ets.lookup(tab, 1), [tuple(1, 'x')], 'and reads its private table again');
  const dead = await agent(vm);
  vm.send(dead, a('stop'));
  const mon = await vm.monitor(dead);
  await vm.receive(P.tuple(a('DOWN'), mon, P.any, P.any, P.any), 5000);
  badargMessage(t, () => ets.giveAway(tab, dead, 0), 'argument 2', 'to a dead process');
});

t.test('errors: bad table ids and arguments raise badarg in a process too', async (t) => {
  const vm = await start(t);
  const p = await agent(vm);
  const r = await run(vm, p, 'lookup', a('no_such_table'), 1);
  t.equal(r.at(0), a('error'));
  t.equal(r.at(1), a('error'));
  t.equal(r.at(2), a('badarg'));
  t.equal(r.at(3), 'bad argument in ets:lookup/2: argument 1: the table identifier does not refer to an existing ETS table');
  t.equal((await run(vm, p, 'insert', a('no_such_table'), 'not a tuple')).at(2), a('badarg'));
  const tab = ets.new(a('e'), [a('public')]);
  t.equal((await run(vm, p, 'insert', tab, 'x')).at(3), 'bad argument in ets:insert/2: argument 2: not a tuple');
  t.equal((await run(vm, p, 'insert', tab, tuple())).at(3), 'bad argument in ets:insert/2: argument 2: is an empty tuple');
  t.equal((await run(vm, p, 'insert', tab, [tuple(1), a('x')])).at(2), a('badarg'), 'a list with a non-tuple');
  t.same(ets.tab2list(tab), [], 'nothing was inserted');
  t.same(await runOk(vm, p, 'foldl_keys', tab), [], 'foldl in a process');
});

t.test('update_counter from 8 processes (on every scheduler) sums exactly; a table deleted under readers', async (t) => {
  const vm = await start(t);
  const tab = ets.new(a('hot'), [a('public'), tuple(a('write_concurrency'), true), tuple(a('read_concurrency'), true)]);
  const agents = await Promise.all(Array.from({ length: 8 }, () => agent(vm)));
  const n = 500;
  const keys = [a('x'), a('y'), 1, 2];
  const outcomes = await Promise.all(agents.map((p, i) => run(vm, p, 'bump', tab, keys[i % keys.length]!, n)));
  t.same(
    outcomes.map((o) => o.at(0)),
    agents.map(() => a('ok')),
    'every process ran its increments',
  );
  const total = keys.reduce((sum: number, k) => sum + (ets.lookupElement(tab, k, 2) as number), 0);
  t.equal(total, 8 * n, 'no increment lost');
  t.same(keys.map((k) => ets.lookupElement(tab, k, 2)), [2 * n, 2 * n, 2 * n, 2 * n], 'each key counted by its two processes');
  // Readers on the scheduler threads while the main thread deletes the table: each sees it whole,
  // then gone. Only with scheduler threads: inline, a reader that never yields holds the one thread.
  if (vm.schedulers < 2 || schedulerOptions().inline === true) return;
  const reading = ets.new(a('doomed'), [a('public'), tuple(a('read_concurrency'), true)]);
  ets.insert(reading, tuple(7, 7));
  const readers = agents.slice(0, 4).map((p) => run(vm, p, 'read_until_gone', reading, 7));
  await new Promise((resolve) => setTimeout(resolve, 30));
  t.equal(ets.delete(reading), true);
  const seen = await Promise.all(readers);
  t.same(
    seen.map((o) => o.at(0)),
    [a('ok'), a('ok'), a('ok'), a('ok')],
    'every reader stopped with "does not refer to an existing ETS table"',
  );
  t.same(
    seen.map((o) => (o.at(1) as Tuple).at(1)),
    [0, 0, 0, 0],
    'and never read a torn object',
  );
});
