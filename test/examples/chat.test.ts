// The chat routing example (src/examples/chat_route.ts, chat_user.ts): users find each other
// through the ETS table chat_routes; the table's owner keeps it right when users die and are
// restarted. Inline, and on 2 scheduler threads from test/examples/multi/chat.test.ts (users
// then live on both threads and read the table from both).
import t, { type Test } from 'tap';
import { atom, ets, P, Pid, tuple, Tuple, type Term, type VM } from '../../src/index.js';
import { startExamplesVM } from './start_vm.js';

const ok = atom('ok');
const ROUTES = atom('chat_routes');

async function startChat(t: Test): Promise<VM> {
  const vm = await startExamplesVM(t);
  await vm.spawn('chat_client', 'hold', [vm.self]);
  const started = (await vm.receive(P.tuple(atom('chat_started'), P.capture('r')), 5000))!;
  t.equal(((started.r as Tuple).at(0) as Term), ok, 'chat_sup started');
  return vm;
}

async function addUsers(vm: VM, names: readonly Term[]): Promise<Pid[]> {
  await vm.spawn('chat_client', 'add_users', [vm.self, names]);
  const got = (await vm.receive(P.tuple(atom('chat_users_started'), P.capture('results')), 5000))!;
  return (got.results as Tuple[]).map((r) => {
    if (r.at(0) !== ok) throw new Error(`a user did not start: ${String(r)}`);
    return r.at(1) as Pid;
  });
}

/** Runs `script` as user `name`'s client; resolves with the call results. */
async function client(vm: VM, name: Term, script: readonly Term[]): Promise<Term[]> {
  await vm.spawn('chat_client', 'run', [vm.self, name, script]);
  const got = (await vm.receive(P.tuple(atom('chat_client_done'), name, P.capture('results')), 10_000))!;
  return got.results as Term[];
}

const route = (vm: VM, name: Term): Term[] => vm.run(() => ets.lookup(ROUTES, name));
const say = (to: Term, text: string): Tuple => tuple(atom('send'), to, text);

t.test('users register in the route table and messages reach the right inbox, in order per sender', async (t) => {
  const vm = await startChat(t);
  const [alice, bob, carol] = await addUsers(vm, [atom('alice'), atom('bob'), atom('carol')]);
  t.same(route(vm, atom('bob')), [tuple(atom('bob'), bob!)], 'bob is in chat_routes, read from the main thread');
  t.equal(vm.run(() => ets.info(ROUTES, atom('size'))), 3, 'three routes');
  const n = 100;
  const fromAlice = Array.from({ length: n }, (_, i) => say(atom('bob'), `a${i}`));
  const fromCarol = Array.from({ length: n }, (_, i) => say(atom('bob'), `c${i}`));
  const [ra, rc] = await Promise.all([client(vm, atom('alice'), fromAlice), client(vm, atom('carol'), fromCarol)]);
  t.ok(ra.every((r) => r === ok) && rc.every((r) => r === ok), 'every send returned ok');
  const [inbox] = await client(vm, atom('bob'), [atom('inbox')]);
  const got = inbox as Tuple[];
  t.equal(got.length, 2 * n, 'bob got every message');
  const texts = (from: string): string[] => got.filter((m) => m.at(0) === atom(from)).map((m) => m.at(1) as string);
  t.same(texts('alice'), fromAlice.map((m) => m.at(2)), "alice's messages in the order she sent them");
  t.same(texts('carol'), fromCarol.map((m) => m.at(2)), "carol's messages in the order she sent them");
  t.same(await client(vm, atom('alice'), [atom('inbox')]), [[]], 'alice got nothing');
  t.ok(alice instanceof Pid && carol instanceof Pid, 'alice and carol have pids');
});

t.test('an unknown user is an error; the table is written only by its owner', async (t) => {
  const vm = await startChat(t);
  await addUsers(vm, [atom('alice')]);
  t.same(await client(vm, atom('alice'), [say(atom('dave'), 'hi')]), [tuple(atom('error'), tuple(atom('unknown_user'), atom('dave')))], '{error, {unknown_user, dave}}');
  t.throws(() => vm.run(() => ets.insert(ROUTES, tuple(atom('mallory'), vm.self))), /insufficient access rights/, 'protected: the main thread cannot write it');
  t.same(route(vm, atom('mallory')), [], 'nothing was inserted');
});

t.test('a killed user is restarted by chat_users and its route follows the new pid', async (t) => {
  const vm = await startChat(t);
  const [, bob] = await addUsers(vm, [atom('alice'), atom('bob')]);
  await vm.exit(bob!, atom('kill'));
  let fresh: Term[] = [];
  for (let i = 0; i < 500; i++) {
    fresh = route(vm, atom('bob'));
    if (fresh.length === 1 && !((fresh[0] as Tuple).at(1) as Pid).equals(bob!)) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  t.equal(fresh.length, 1, 'bob has one route');
  const bob2 = (fresh[0] as Tuple).at(1) as Pid;
  t.notOk(bob2.equals(bob!), 'the route names the restarted bob');
  t.same(await client(vm, atom('alice'), [say(atom('bob'), 'again')]), [ok], 'alice reaches the new bob');
  t.same(await client(vm, atom('bob'), [atom('inbox')]), [[tuple(atom('alice'), 'again')]], 'the new bob has the message');
  t.ok(await vm.isProcessAlive(bob2), 'the new bob is alive');
  t.notOk(await vm.isProcessAlive(bob!), 'the killed bob is not');
});
