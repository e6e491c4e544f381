/**
 * `global` for processes: on a VM without distribution, {via, global, Name} names a gen_server,
 * a name is given once when many processes race for it (on every scheduler thread), send to an
 * unknown name exits {badarg, {Name, Msg}}, a dead holder's name is free again. Between two
 * beamjs nodes: a gen_server started as {via, global, counter} on node B (a child Node process)
 * is called from processes of node A, A sees B's name, cannot take it, and a second server of
 * that name on A gets {error, {already_started, Pid}}. A clash of two beamjs nodes (both hold
 * `counter` before they meet): OTP's protocol resolves it on the node with the smaller name
 * (random_exit_name kills the other holder, across nodes). Run inline here and on 2 scheduler
 * threads by multi/global.test.ts.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { VM } from '../../src/index.js';
import { Atom, P, Pid, atom, format, tuple, type Term } from '../../src/term/index.js';
import { schedulerOptions } from '../support/schedulers.js';
import { freePort, uniqueName, type Teardown } from './support.js';

const modules = [new URL('./fixtures/global_modules.js', import.meta.url)];

async function result(vm: VM, tag: string, from: Pid): Promise<string> {
  return format((await vm.receive(P.tuple(atom(tag), from, P.capture('r')), 8000))!.r as Term);
}

/** The second beamjs node (fixtures/global_peer.ts, its own Node process): [child, node, start result]. */
async function startPeer(t: Teardown, name: string, epmdPort: number): Promise<[ChildProcess, Atom, string]> {
  const child = spawn(process.execPath, [new URL('./fixtures/global_peer.js', import.meta.url).pathname, name, 'glob', String(epmdPort)], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  const [peer, started] = await new Promise<[Atom, string]>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`peer node did not start: ${out}`)), 10000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /READY (\S+) (\S+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve([Atom.for(m[1]!), m[2]!]);
      }
    });
  });
  return [child, peer, started];
}

t.test('global on a VM without distribution: via gen_server, one winner of a race, badarg send, dead holder', async (t) => {
  const vm = await VM.start({ ...schedulerOptions(), modules, logger: false });
  t.teardown(() => vm.stop());
  const server = await vm.spawn('gtest', 'start', [vm.self, atom('counter')]);
  t.match(await result(vm, 'started', server), /^\{ok,<\d+\.\d+\.\d+>\}$/);
  for (let i = 0; i < 3; i++) {
    const c = await vm.spawn('gtest', 'call', [vm.self, atom('counter'), atom('inc')]);
    t.equal(await result(vm, 'called', c), 'ok');
  }
  const g = await vm.spawn('gtest', 'call', [vm.self, atom('counter'), atom('get')]);
  t.equal(await result(vm, 'called', g), '3');
  const again = await vm.spawn('gtest', 'start', [vm.self, atom('counter')]);
  t.match(await result(vm, 'started', again), /^\{error,\{already_started,<\d+\.\d+\.\d+>\}\}$/);
  const ops = await vm.spawn('gtest', 'ops', [vm.self, atom('counter')]);
  t.match(await result(vm, 'ops', ops), /^\[<\d+\.\d+\.\d+>,no,\{exit,\{badarg,\{\{no,such\},hello\}\}\}\]$/);
  const syncer = await vm.spawn('gtest', 'sync', [vm.self]);
  t.equal(await result(vm, 'synced', syncer), 'ok', 'global:sync() without distribution returns ok at once');
  const none = await vm.spawn('gtest', 'call', [vm.self, atom('nobody'), atom('get')]);
  t.match(await result(vm, 'called', none), /^\{exit,\{noproc,/);

  // Races: 5 rounds of 12 processes for one name (a tuple name): exactly one yes per round.
  for (let round = 0; round < 5; round++) {
    const name = tuple(atom('race'), round);
    const racers: Pid[] = [];
    for (let i = 0; i < 12; i++) racers.push(await vm.spawn('gtest', 'race', [vm.self, name]));
    const answers: string[] = [];
    for (const r of racers) answers.push(await result(vm, 'raced', r));
    t.equal(answers.filter((a) => a === 'yes').length, 1, `round ${round}: one yes of ${answers.join(' ')}`);
    t.equal(answers.filter((a) => a === 'no').length, 11);
    const winner = racers[answers.indexOf('yes')]!;
    vm.send(winner, tuple(atom('stop')));
    for (const r of racers) if (r !== winner) vm.send(r, tuple(atom('stop')));
  }
  // The winner of round 0 has stopped: the name is free again.
  for (let i = 0; i < 50; i++) {
    const r = await vm.spawn('gtest', 'race', [vm.self, tuple(atom('race'), 0)]);
    const a = await result(vm, 'raced', r);
    vm.send(r, tuple(atom('stop')));
    if (a === 'yes') break;
    t.ok(i < 49, 'a dead holder\'s name becomes free');
    await new Promise((res) => setTimeout(res, 20));
  }
});

t.test('global between two beamjs nodes: {via, global, counter} on B called from A', async (t) => {
  const epmdPort = await freePort();
  const vm = await VM.start({ ...schedulerOptions(), modules, distribution: { name: uniqueName('jsga'), cookie: 'glob', epmdPort }, logger: false });
  t.teardown(() => vm.stop());
  const [child, peer, started] = await startPeer(t, uniqueName('jsgb'), epmdPort);
  t.match(started, /^\{ok,<\d+\.\d+\.\d+>\}$/);
  t.equal(await vm.ping(peer), 'pong');
  for (let i = 0; i < 50 && vm.global!.whereisName(atom('counter')) === undefined; i++) await new Promise((r) => setTimeout(r, 20));
  const where = await vm.spawn('gtest', 'call', [vm.self, atom('counter'), atom('where')]);
  t.equal(await result(vm, 'called', where), peer.name, 'the call reached the server on B');
  const inc = await vm.spawn('gtest', 'call', [vm.self, atom('counter'), atom('inc')]);
  t.equal(await result(vm, 'called', inc), 'ok');
  const get = await vm.spawn('gtest', 'call', [vm.self, atom('counter'), atom('get')]);
  t.equal(await result(vm, 'called', get), '1');
  const ops = await vm.spawn('gtest', 'ops', [vm.self, atom('counter')]);
  const seen = await result(vm, 'ops', ops);
  t.match(seen, /^\[<\d+\.\d+\.\d+>,no,/, 'A sees B\'s name and cannot take it');
  t.equal((vm.global!.whereisName(atom('counter')) as Pid).node, peer);
  const again = await vm.spawn('gtest', 'start', [vm.self, atom('counter')]);
  t.match(await result(vm, 'started', again), /^\{error,\{already_started,<\d+\.\d+\.\d+>\}\}$/);
  // A name registered by a process of A (through the shared table) survives B's going.
  const mine = await vm.spawn('gtest', 'race', [vm.self, atom('from_a')]);
  t.equal(await result(vm, 'raced', mine), 'yes');
  child.kill('SIGKILL');
  for (let i = 0; i < 100 && vm.global!.whereisName(atom('counter')) !== undefined; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(vm.global!.whereisName(atom('counter')), undefined, 'B\'s name went with B');
  t.ok(vm.global!.whereisName(atom('from_a')) instanceof Pid, 'A\'s own name stays');
  vm.send(mine, tuple(atom('stop')));
});

t.test('a name clash between two beamjs nodes: the node with the smaller name keeps its holder, the other is killed', async (t) => {
  const epmdPort = await freePort();
  // 'zz…' sorts after the peer's 'jsgb…': the peer resolves the clash (random_exit_name) and kills our holder.
  const vm = await VM.start({ ...schedulerOptions(), modules, distribution: { name: uniqueName('zzga'), cookie: 'glob', epmdPort }, logger: false });
  t.teardown(() => vm.stop());
  const mine = await vm.spawn('gtest', 'race', [vm.self, atom('counter')]);
  t.equal(await result(vm, 'raced', mine), 'yes', 'our holder registered counter before the nodes met');
  const [, peer] = await startPeer(t, uniqueName('jsgb'), epmdPort);
  t.equal(await vm.ping(peer), 'pong');
  await vm.global!.sync();
  for (let i = 0; i < 200 && (await vm.isProcessAlive(mine)); i++) await new Promise((r) => setTimeout(r, 20));
  t.notOk(await vm.isProcessAlive(mine), 'our holder was killed by the peer');
  t.equal((vm.global!.whereisName(atom('counter')) as Pid).node, peer, "the name is the peer's server's");
  const where = await vm.spawn('gtest', 'call', [vm.self, atom('counter'), atom('where')]);
  t.equal(await result(vm, 'called', where), peer.name, 'calls reach the kept server');
  t.same(vm.global!.known(), [peer], 'global knows the peer');
});
