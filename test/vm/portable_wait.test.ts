// Work stealing moves started gen_servers between callbacks (src/process/portable_wait.ts,
// src/vm/thread_host.ts): the server keeps its pid, state, name, links, monitors (held and on
// it), and the order of every sender's messages; a server whose state is not a term and a
// closure never move. See fixtures/portable.ts for the scenario, repeated here.
import t from 'tap';
import { atom, P, Tuple, tuple, VM, type Atom, type Pid, type Term } from '../../src/index.js';

const ROUNDS = 8;
const SENDERS = 3;
const PER_SENDER = 40;
const BUSY = 6;
const MAIN_CASTS = 30;

t.test('a gen_server with term state is stolen between callbacks and keeps serving with the same pid', async (t) => {
  const vm = await VM.start({ schedulers: 2, modules: [new URL('./fixtures/portable.js', import.meta.url)], workerExecArgv: [], logger: false });
  t.teardown(() => vm.stop());
  let moved = 0;
  for (let round = 0; round < ROUNDS; round++) {
    await vm.spawn('pw_scenario', 'run', [vm.self, round, SENDERS, PER_SENDER, BUSY, MAIN_CASTS, 200]);
    const got = await vm.receive(P.tuple(atom('servers'), P.capture('servers'), P.capture('names')), 10_000);
    t.ok(got !== undefined, `round ${round}: the servers started`);
    if (got === undefined) return;
    const names = got.names as Atom[];
    // The main thread's stream, by name, while the servers may be on their way.
    for (let k = 0; k < MAIN_CASTS; k++) for (const name of names) vm.send(name, tuple(atom('$gen_cast'), tuple(atom('seq'), 'main', k)));
    const res = await vm.receive(P.tuple(atom('result'), P.capture('r')), 20_000);
    t.ok(res !== undefined, `round ${round}: the scenario reported`);
    if (res === undefined) return;
    const [home, probeSeen, wheres, reports, named, infoNames, ends] = (res.r as Tuple).elements as [number, number[], number[], Tuple[], boolean[], Term[], Tuple[]];
    const servers = got.servers as Pid[];
    for (const [i, kind] of ['term', 'instance', 'timed'].entries()) {
      const [count, inOrder, seen, initOn, downs, perSender, trapExit] = reports[i]!.elements as [number, boolean, number[], number, number, Tuple[], Term];
      t.equal(count, SENDERS * PER_SENDER + MAIN_CASTS, `round ${round} ${kind}: every cast arrived`);
      t.equal(inOrder, true, `round ${round} ${kind}: each sender's casts in order`);
      t.same(
        perSender.map((p) => String(p.at(0)) + '=' + String(p.at(1))).sort(),
        [...Array.from({ length: SENDERS }, (_, s) => `s${s}=${PER_SENDER}`), `main=${MAIN_CASTS}`].sort(),
        `round ${round} ${kind}: every sender's stream complete`,
      );
      t.equal(downs, 1, `round ${round} ${kind}: the 'DOWN' of the process it monitors arrived`);
      t.same(trapExit, tuple(atom('trap_exit'), false), `round ${round} ${kind}: trap_exit kept`);
      t.equal(named[i], true, `round ${round} ${kind}: whereis(Name) is still the server`);
      t.same(infoNames[i], tuple(atom('registered_name'), names[i]), `round ${round} ${kind}: process_info registered_name`);
      t.same(ends[i], tuple(tuple(atom('pw_done'), i), tuple(atom('pw_done'), i)), `round ${round} ${kind}: the 'DOWN' and the 'EXIT' of its link carry its stop reason`);
      if (kind !== 'term') {
        t.same(seen, [initOn], `round ${round}: the ${kind} server (class-instance state, or waits with a timeout) never moved`);
        t.equal(wheres[i], initOn, `round ${round}: it answers where it started`);
      } else if (seen.length > 1 || wheres[i] !== initOn) {
        moved++;
      }
    }
    t.same(probeSeen, [home], `round ${round}: the closure at a portable wait never moved`);
    void servers;
  }
  t.comment(`the term server moved between callbacks in ${moved} of ${ROUNDS} rounds`);
  t.ok(moved >= ROUNDS / 2, `the term server moved between callbacks in most rounds (${moved} of ${ROUNDS})`);
  // The servers' abnormal stops logged error reports, which started OTP's `logger` process.
  const logger = (await vm.whereis(atom('logger'))) === undefined ? 0 : 1;
  t.equal(vm.processCount - logger, 1, 'only the external mailbox (and the logger) is left');
});

t.test('a plain process at a portable wait moves with its state, dictionary and trap_exit, and keeps every message', async (t) => {
  const vm = await VM.start({ schedulers: 2, modules: [new URL('./fixtures/portable.js', import.meta.url)], workerExecArgv: [], logger: false });
  t.teardown(() => vm.stop());
  let moved = 0;
  for (let round = 0; round < 4; round++) {
    await vm.spawn('pw_scenario', 'loop_run', [vm.self, BUSY, 150]);
    const got = (await vm.receive(P.tuple(atom('loop'), P.capture('pid'), P.capture('home')), 10_000))!;
    const loop = got.pid as Pid;
    let expected = 0;
    const where = new Set<number>();
    for (let k = 1; k <= 60; k++) {
      vm.send(loop, tuple(atom('add'), k));
      expected += k;
      if (k % 10 === 0) {
        vm.send(loop, tuple(atom('get'), vm.self));
        const r = (await vm.receive(P.tuple(atom('got'), P.capture('n'), P.capture('at'), P.capture('dict'), P.capture('trap'), P.any), 5000))!;
        t.equal(r.n, expected, `round ${round}: the state counts every message so far (${k})`);
        t.same(r.dict, tuple(atom('kept'), 0), `round ${round}: the dictionary moved with it`);
        t.same(r.trap, tuple(atom('trap_exit'), true), `round ${round}: trap_exit moved with it`);
        where.add(r.at as number);
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await vm.receive(P.tuple(atom('loop_done')), 5000);
    // An exit signal still reaches it (through its home) and is trapped.
    await vm.exit(loop, atom('bye'));
    const trapped = await vm.receive(P.tuple(atom('trapped'), P.capture('n')), 5000);
    t.equal(trapped?.n, expected, `round ${round}: a trapped exit arrives after the messages sent before it`);
    if (where.size > 1 || !where.has(got.home as number)) moved++;
    await vm.exit(loop, atom('kill'));
  }
  t.comment(`the loop moved in ${moved} of 4 rounds`);
  t.ok(moved > 0, `the loop moved in ${moved} of 4 rounds`);
});

t.test('receivePortable is a receive: patterns, timeouts, and bad resumes are badarg', async (t) => {
  const vm = await VM.start({ schedulers: 2, modules: [new URL('./fixtures/portable.js', import.meta.url)], workerExecArgv: [], logger: false });
  t.teardown(() => vm.stop());
  await vm.spawn('pw_scenario', 'basics', [vm.self]);
  const r = await vm.receive(P.tuple(atom('basics'), P.capture('r')), 5000);
  t.same(r?.r, [atom('second'), atom('first'), atom('timeout'), atom('badarg'), atom('badarg'), atom('badarg'), 0], 'selective, in order, timeout, three bad resumes, thunk never called without a thief');
});
