// supervisor (src/otp/supervisor.ts): the tree S0 -> (S1 -> P0, P1), (S2 -> P2, P3) with each
// strategy, killing children and checking the exact restart sequence; intensity; restart types;
// dynamic children and the child API. Inline, or on 2 schedulers (test/otp/multi/).
import t, { type Test } from 'tap';
import { atom, compilePattern, format, P, Pid, tuple, Tuple, VM, type PatternLike, type Term } from '../../src/index.js';
import { startOtpVM } from './fixtures/start_vm.js';

const MODULES = [new URL('./fixtures/sup_tree.js', import.meta.url)];

function start(t: Test): Promise<VM> {
  return startOtpVM(t, MODULES);
}

let tags = 0;
async function op(vm: VM, name: string, ...args: Term[]): Promise<Term> {
  const tag = ++tags;
  await vm.spawn('sup_client', 'run', [vm.self, tag, name, args]);
  const got = await vm.receive(P.tuple(atom('sup_result'), tag, P.capture('value')), 10_000);
  if (got === undefined) throw new Error(`${name}: no result within 10 s`);
  return got.value as Term;
}

async function next(vm: VM, pattern: PatternLike, ms = 5000): Promise<Term | undefined> {
  const matcher = compilePattern(pattern);
  const got = await vm.receive((m: Term) => (matcher.match(m) !== undefined ? { m } : undefined), ms);
  return got?.m;
}

/**
 * The next `count` {started, Id} / {stopped, Id, Reason} reports (waiting up to 5 s for each),
 * plus any that arrive in the next 100 ms: an extra, unexpected report then shows up in the
 * result (under load one could arrive later and be missed, never the reverse).
 */
async function events(vm: VM, count: number): Promise<string[]> {
  const out: string[] = [];
  const pattern = P.oneOf(P.tuple(atom('started'), P.any), P.tuple(atom('stopped'), P.any, P.any));
  for (let i = 0; ; i++) {
    const m = (await next(vm, pattern, i < count ? 5000 : 100)) as Tuple | undefined;
    if (m === undefined) return out;
    out.push(`${(m.at(0) as { name: string }).name} ${format(m.at(1))}`);
  }
}

async function childPid(vm: VM, sup: Pid, id: string): Promise<Pid> {
  const children = (await op(vm, 'which_children', sup)) as Tuple[];
  return children.find((c) => c.at(0) === atom(id))!.at(1) as Pid;
}

const tree = (strategy: string, rec: Pid): Term =>
  tuple(atom('one_for_one'), 3, [tuple(atom('s1'), atom(strategy), [atom('p0'), atom('p1')]), tuple(atom('s2'), atom(strategy), [atom('p2'), atom('p3')])], rec);

for (const [strategy, killed, expected] of [
  ['one_for_one', 'p0', ['started p0']],
  ['one_for_all', 'p0', ['stopped p1', 'started p0', 'started p1']],
  ['rest_for_one', 'p0', ['stopped p1', 'started p0', 'started p1']],
  ['rest_for_one', 'p1', ['started p1']],
] as const) {
  t.test(`${strategy}: killing ${killed} under S1 gives exactly ${expected.join(', ')}`, async (t) => {
    const vm = await start(t);
    const root = (await op(vm, 'start_link', tree(strategy, vm.self))) as Tuple;
    t.equal(root.at(0), atom('ok'), 'the tree started');
    t.same(await events(vm, 4), ['started p0', 'started p1', 'started p2', 'started p3'], 'children start in order, depth first');
    const s1 = await childPid(vm, root.at(1) as Pid, 's1');
    const victim = await childPid(vm, s1, killed);
    await vm.exit(victim, atom('kill'));
    t.same(await events(vm, expected.length), expected, 'the restart sequence');
    const after = await childPid(vm, s1, killed);
    t.ok(after instanceof Pid && !after.equals(victim), `${killed} is a new process`);
    const s2children = (await op(vm, 'which_children', await childPid(vm, root.at(1) as Pid, 's2'))) as Tuple[];
    t.equal(s2children.filter((c) => c.at(1) instanceof Pid).length, 2, 'S2 was not touched');
  });
}

t.test('restarts beyond the intensity stop the supervisor with shutdown, children in reverse order', async (t) => {
  const vm = await start(t);
  const sup = ((await op(vm, 'start_link', tuple(atom('one_for_one'), 1, [atom('a'), atom('b')], vm.self))) as Tuple).at(1) as Pid;
  await events(vm, 2);
  const ref = await vm.monitor(sup);
  await vm.exit(await childPid(vm, sup, 'a'), atom('kill'));
  t.same(await events(vm, 1), ['started a'], 'one restart is within the intensity');
  await vm.exit(await childPid(vm, sup, 'a'), atom('kill'));
  const down = (await next(vm, P.tuple(atom('DOWN'), ref, P.any, P.any, P.any))) as Tuple;
  t.equal(down.at(4), atom('shutdown'), 'the supervisor exits with shutdown');
  t.same(await events(vm, 1), ['stopped b'], 'the remaining child was stopped with shutdown');
});

t.test('restart types, and the child API', async (t) => {
  const vm = await start(t);
  const sup = ((await op(vm, 'start_link', tuple(atom('one_for_one'), 10, [], vm.self))) as Tuple).at(1) as Pid;
  const spec = (id: string, restart: string): Term => ({ id: atom(id), start: tuple(atom('sup_child'), atom('start_link'), [atom(id), vm.self]), restart: atom(restart) });
  for (const [id, restart] of [['perm', 'permanent'], ['trans', 'transient'], ['temp', 'temporary']] as const) {
    const r = (await op(vm, 'start_child', sup, spec(id, restart))) as Tuple;
    t.equal(r.at(0), atom('ok'), `start_child ${id}`);
  }
  t.same(await op(vm, 'start_child', sup, spec('perm', 'permanent')), tuple(atom('error'), tuple(atom('already_started'), await childPid(vm, sup, 'perm'))), 'a running id: already_started');
  await events(vm, 3);
  // The children trap exits and stop with the reason of an exit signal from us (see the fixture).
  for (const id of ['perm', 'trans', 'temp']) await vm.exit(await childPid(vm, sup, id), atom('shutdown'));
  t.same((await events(vm, 4)).sort(), ['started perm', 'stopped perm', 'stopped temp', 'stopped trans'], 'shutdown: all three stop, only the permanent child restarts');
  const ids = ((await op(vm, 'which_children', sup)) as Tuple[]).map((c) => (c.at(0) as { name: string }).name);
  t.same(ids, ['perm', 'trans'], 'the temporary child is gone; the transient one stays, not running');
  t.same(await op(vm, 'count_children', sup), [tuple(atom('specs'), 2), tuple(atom('active'), 1), tuple(atom('supervisors'), 0), tuple(atom('workers'), 2)], 'count_children');
  t.same(await op(vm, 'terminate_child', sup, atom('perm')), atom('ok'), 'terminate_child');
  t.same(await events(vm, 1), ['stopped perm'], 'it was stopped with its terminate/2');
  t.same(await op(vm, 'delete_child', sup, atom('trans')), atom('ok'), 'delete_child of a stopped child');
  t.same(await op(vm, 'restart_child', sup, atom('perm')), tuple(atom('ok'), await childPid(vm, sup, 'perm')), 'restart_child');
  t.same(await op(vm, 'delete_child', sup, atom('perm')), tuple(atom('error'), atom('running')), 'delete_child of a running child: running');
  t.same(await op(vm, 'terminate_child', sup, atom('nope')), tuple(atom('error'), atom('not_found')), 'unknown id: not_found');
  const bad = (await op(vm, 'start_child', sup, { id: atom('x'), start: atom('nope') })) as Tuple;
  t.same(bad, tuple(atom('error'), tuple(atom('invalid_mfa'), atom('nope'))), 'a bad spec is refused with its reason');
});

t.test('simple_one_for_one: children from a template with extra args; transient restarts', async (t) => {
  const vm = await start(t);
  const sup = ((await op(vm, 'start_link', tuple(atom('simple_one_for_one'), 5, [], vm.self))) as Tuple).at(1) as Pid;
  const pids: Pid[] = [];
  for (const extra of [1, 2, 3]) {
    const r = (await op(vm, 'start_child', sup, [extra])) as Tuple;
    t.equal(r.at(0), atom('ok'), `start_child with extra arg ${extra}`);
    pids.push(r.at(1) as Pid);
  }
  const started = (await events(vm, 3)).length;
  t.equal(started, 3, 'three instances of the template started');
  t.same(await op(vm, 'count_children', sup), [tuple(atom('specs'), 1), tuple(atom('active'), 3), tuple(atom('supervisors'), 0), tuple(atom('workers'), 3)], 'count_children');
  await vm.exit(pids[0]!, atom('kill'));
  t.same(await events(vm, 1), ['started {w,1}'], 'a killed transient child restarts, with its extra args');
  await vm.exit(pids[1]!, atom('normal'));
  t.same(await events(vm, 1), ['stopped {w,2}'], 'a normal exit of a transient child: no restart');
  t.equal(((await op(vm, 'which_children', sup)) as Tuple[]).length, 2, 'it is gone from which_children');
  t.same(await op(vm, 'terminate_child', sup, pids[2]!), atom('ok'), 'terminate_child by pid');
  t.same(await events(vm, 1), ['stopped {w,3}'], 'stopped');
});
