// Exit reasons of crashed processes (src/process/exception.ts) and crash containment, with a
// differential test against erl for the shapes of the reasons and which exits are reported.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { atom, caught, ErlangException, error, format, InvalidArgumentError, throw_, Tuple, tuple, type Term } from '../../src/index.js';
import { agent, call, cast, next, sameTerm, startVM } from './fixtures/harness.js';

/** The reason with its stack (if it has the {R, Stack} / {{nocatch, V}, Stack} shape) replaced by '_'. */
function withoutStack(reason: Term, wrapped: boolean): string {
  if (wrapped && reason instanceof Tuple && reason.size === 2) return `{${format(reason.at(0))},_}`;
  return format(reason);
}

t.test('error, throw, exit and JS errors end a process with the documented reasons', async (t) => {
  const { vm, logs } = await startVM(t);
  const cases: Array<[string, Term[], Term]> = [
    ['exit1', [atom('bye')], atom('bye')],
    ['error', [atom('bad')], tuple(atom('bad'), [tuple(atom('agent'), atom('loop'), 0, [])])],
    ['throw', [42], tuple(tuple(atom('nocatch'), 42), [tuple(atom('agent'), atom('loop'), 0, [])])],
    [
      'js_crash',
      [],
      tuple(tuple(atom('js_error'), 'TypeError', "Cannot read properties of null (reading 'x')"), [tuple(atom('agent'), atom('loop'), 0, [])]),
    ],
  ];
  for (const [op, args, expected] of cases) {
    const a = await agent(vm);
    const ref = await vm.monitor(a);
    cast(vm, a, op, ...args);
    sameTerm(t, await next(vm), tuple(atom('DOWN'), ref, atom('process'), a, expected), `${op}: reason`);
  }
  const reports = logs.filter((l) => l.level === 'error').map((l) => l.text);
  t.equal(reports.length, 3, 'error, throw and the JS error are reported; exit is not');
  t.match(reports[2]!, /JS stack:\n\s+TypeError: Cannot read properties of null/, 'the JS stack is kept in the crash report');
});

t.test('a crash never stops the scheduler or other processes', async (t) => {
  const { vm } = await startVM(t);
  const survivor = await agent(vm);
  for (let i = 0; i < 50; i++) {
    const a = await agent(vm);
    cast(vm, a, i % 2 === 0 ? 'js_crash' : 'error', atom('x'));
  }
  sameTerm(t, await call(vm, survivor, 'self'), survivor, 'the survivor still answers');
});

t.test('caught() classifies what a process catches like catch Class:Reason', async (t) => {
  const c1 = caught(new InvalidArgumentError('x'));
  t.equal(c1.class, 'error');
  sameTerm(t, c1.reason, atom('badarg'), 'argument errors are badarg');
  t.throws(() => error(atom('e')), ErlangException);
  const c2 = (() => {
    try {
      throw_(atom('v'));
    } catch (e) {
      return caught(e);
    }
  })();
  t.equal(c2.class, 'throw');
  sameTerm(t, c2.reason, atom('v'), 'throw keeps the value');
  const c3 = caught(7);
  t.equal(c3.class, 'throw', 'a JS throw of a term is a throw');
});

t.test('differential: the same crashes in erl give the same reason shapes and the same reported set', async (t) => {
  if (process.env.BEAMJS_NO_ERL === '1') {
    t.pass('BEAMJS_NO_ERL=1: differential part left out on purpose');
    return;
  }
  const probe = spawnSync('erl', ['-noshell', '-eval', 'halt().'], { timeout: 20000 });
  t.equal(probe.status, 0, 'erl must be installed for the differential tests (or set BEAMJS_NO_ERL=1)');
  if (probe.status !== 0) return;
  const script = `
    Run = fun(F) -> {P, R} = spawn_monitor(F), receive {'DOWN', R, process, P, Why} -> Why end end,
    Strip = fun({X, [_|_]}) -> io_lib:format("{~w,_}", [X]); (X) -> io_lib:format("~w", [X]) end,
    L = [Run(fun() -> exit(bye) end), Run(fun() -> error(bad) end), Run(fun() -> throw(42) end)],
    P2 = spawn(fun() -> receive _ -> ok end end), R2 = monitor(process, P2), exit(P2, kill),
    K = receive {'DOWN', R2, _, _, W} -> W end,
    timer:sleep(300),
    io:format("~s|~s|~s|~w~n", [Strip(lists:nth(1, L)), Strip(lists:nth(2, L)), Strip(lists:nth(3, L)), K]),
    halt().`;
  const erl = spawnSync('erl', ['-noshell', '-eval', script], { encoding: 'utf8', timeout: 20000 });
  const erlLine = erl.stdout.trim().split('\n').pop()!;
  const reportsInErl = ((erl.stdout + erl.stderr).match(/Error in process/g) ?? []).length;
  t.ok(reportsInErl > 0, 'erl logged crash reports');

  const { vm, logs } = await startVM(t);
  const reasons: string[] = [];
  for (const [op, arg, wrapped] of [['exit1', atom('bye'), false], ['error', atom('bad'), true], ['throw', 42, true]] as const) {
    const a = await agent(vm);
    const ref = await vm.monitor(a);
    cast(vm, a, op, arg);
    const down = (await next(vm)) as Tuple;
    sameTerm(t, down.at(1), ref, `${op}: DOWN`);
    reasons.push(withoutStack(down.at(4), wrapped));
  }
  const k = await agent(vm);
  const refK = await vm.monitor(k);
  await vm.exit(k, atom('kill'));
  const downK = (await next(vm)) as Tuple;
  sameTerm(t, downK.at(1), refK, 'kill: DOWN');
  reasons.push(format(downK.at(4)));
  t.equal(reasons.join('|'), erlLine, 'same exit reasons as erl');
  t.equal(logs.filter((l) => l.level === 'error').length, reportsInErl, 'same number of crash reports as erl');
});
