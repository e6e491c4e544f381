// gen_server between callbacks is portable (src/process/portable_wait.ts): inline (one
// scheduler) nothing can move and the server behaves as before; on 2 scheduler threads
// (test/otp/multi/gen_server_portable.test.ts) work stealing moves the server with term state
// between callbacks, and neither the class-instance server nor the closure moves. Every run
// checks the casts of several senders (complete, in order), the name, the monitors held and on
// the server, and its link. Scenario: test/vm/fixtures/portable.ts.
import t from 'tap';
import { atom, P, Tuple, tuple, type Atom, type Term } from '../../src/index.js';
import { startOtpVM } from './fixtures/start_vm.js';

const MODULES = [new URL('../vm/fixtures/portable.js', import.meta.url)];
const SCHEDULERS = Number(process.env.BEAMJS_TEST_SCHEDULERS ?? '1');
const ROUNDS = 5;
const SENDERS = 3;
const PER_SENDER = 32;
const MAIN_CASTS = 20;

t.test(`gen_servers under load on ${SCHEDULERS} scheduler(s): portable between callbacks, nothing lost or reordered`, async (t) => {
  const vm = await startOtpVM(t, MODULES);
  let moved = 0;
  for (let round = 0; round < ROUNDS; round++) {
    await vm.spawn('pw_scenario', 'run', [vm.self, 100 + round, SENDERS, PER_SENDER, 6, MAIN_CASTS, SCHEDULERS < 2 ? 0 : 200]);
    const got = await vm.receive(P.tuple(atom('servers'), P.any, P.capture('names')), 10_000);
    if (got === undefined) return t.fail(`round ${round}: the servers did not start`);
    for (let k = 0; k < MAIN_CASTS; k++) for (const name of got.names as Atom[]) vm.send(name, tuple(atom('$gen_cast'), tuple(atom('seq'), 'main', k)));
    const res = await vm.receive(P.tuple(atom('result'), P.capture('r')), 20_000);
    if (res === undefined) return t.fail(`round ${round}: no result`);
    const [home, probeSeen, wheres, reports, named, , ends] = (res.r as Tuple).elements as [number, number[], number[], Tuple[], boolean[], Term[], Tuple[]];
    for (const [i, kind] of ['term', 'instance', 'timed'].entries()) {
      const [count, inOrder, seen, initOn, downs] = reports[i]!.elements as [number, boolean, number[], number, number];
      t.same([count, inOrder, downs, named[i]], [SENDERS * PER_SENDER + MAIN_CASTS, true, 1, true], `round ${round} ${kind}: all casts in order, the 'DOWN' it monitored, its name`);
      t.same(ends[i], tuple(tuple(atom('pw_done'), i), tuple(atom('pw_done'), i)), `round ${round} ${kind}: 'DOWN' and 'EXIT' with its stop reason`);
      if (kind !== 'term') t.same([seen, wheres[i]], [[initOn], initOn], `round ${round}: the ${kind} server never moved`);
      else if (seen.length > 1 || wheres[i] !== initOn) moved++;
    }
    t.same(probeSeen, [home], `round ${round}: the closure never moved`);
  }
  t.comment(`the term server moved in ${moved} of ${ROUNDS} rounds`);
  if (SCHEDULERS < 2) t.equal(moved, 0, 'one scheduler: nothing moves');
  else t.ok(moved >= ROUNDS / 2, `the term server moved between callbacks in most rounds (${moved} of ${ROUNDS})`);
});
