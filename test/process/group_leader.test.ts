// group_leader (src/process/bifs.ts): inherited at spawn by every descendant (also by processes a
// thief scheduler takes before they start, when BEAMJS_TEST_SCHEDULERS is set), set on a local
// process, badarg for a dead one; undefined for processes spawned from the embedding API.
import t from 'tap';
import { atom, compilePattern, P, Pid, tuple, Tuple, VM, type PatternLike, type Term } from '../../src/index.js';
import { schedulerOptions } from '../support/schedulers.js';

const MODULES = [new URL('./fixtures/group_leader_modules.js', import.meta.url)];

async function next(vm: VM, pattern: PatternLike): Promise<Term> {
  const matcher = compilePattern(pattern);
  const got = await vm.receive((m: Term) => (matcher.match(m) !== undefined ? { m } : undefined), 5000);
  if (got === undefined) throw new Error('no matching message within 5 s');
  return got.m;
}

t.test('a group leader is inherited by children and grandchildren; set on a local process; badarg for a dead one', async (t) => {
  const vm = await VM.start({ ...schedulerOptions(), modules: MODULES, logger: false });
  t.teardown(() => vm.stop());
  const leaves = 1000;
  const root = await vm.spawn('gl_probe', 'root', [vm.self, leaves]);
  t.same(await next(vm, P.tuple(atom('root_gl'), P.any)), tuple(atom('root_gl'), undefined), 'spawned from the embedding API: none');
  for (const depth of [2, 1, 0]) {
    t.same(await next(vm, P.tuple(atom('depth_gl'), depth, P.any)), tuple(atom('depth_gl'), depth, root), `descendant at depth ${3 - depth} inherits it`);
  }
  const threads = new Set<number>();
  let right = 0;
  for (let i = 0; i < leaves; i++) {
    const got = (await next(vm, P.tuple(atom('leaf_gl'), P.any, P.any, P.any))) as Tuple;
    if (got.at(2) instanceof Pid && (got.at(2) as Pid).equals(root)) right++;
    threads.add(got.at(3) as number);
  }
  t.equal(right, leaves, `all ${leaves} children report the root as group leader`);
  t.comment(`children ran on scheduler(s) ${[...threads].join(', ')}`);
  vm.send(root, atom('stop'));

  // Set it on a process of the setter's thread: spawn both from one parent so they share it.
  const waiter = await vm.spawn('gl_probe', 'waiter', [vm.self]);
  const setterOk = await vm.spawn('gl_probe', 'set', [vm.self, root, waiter]);
  void setterOk;
  const set = (await next(vm, P.tuple(P.any, P.any))) as Tuple;
  if (set.at(0) === atom('set')) {
    t.equal(set.at(1), true, 'groupLeader(L, Pid) returns true');
    vm.send(waiter, atom('report_gl'));
    t.same(await next(vm, P.tuple(atom('waiter_gl'), P.any)), tuple(atom('waiter_gl'), root), 'the target now reports it');
  } else {
    t.ok(vm.schedulers > 1, 'only across threads may setting be refused');
  }
  const [dead] = (await vm.spawnMonitor('gl_probe', 'child', [vm.self, 0])).elements as [Pid, Term];
  await next(vm, P.tuple(atom('DOWN'), P.any, P.any, P.any, P.any));
  await vm.spawn('gl_probe', 'set', [vm.self, root, dead]);
  const failed = (await next(vm, P.tuple(P.any, P.any))) as Tuple;
  t.ok(failed.at(0) === atom('set_failed') && (failed.at(1) === atom('badarg') || vm.schedulers > 1), 'a dead pid: badarg');
});
