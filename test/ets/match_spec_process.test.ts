// Match specifications run inside processes (src/ets/match_spec.ts): {self} is the calling
// process, and many processes compile and run specs at once, inline or on 2 scheduler threads
// (test/ets/multi/), each getting exactly its own results.
import t from 'tap';
import { atom, compilePattern, P, Pid, tuple, Tuple, VM, type Term } from '../../src/index.js';
import { startOtpVM } from '../otp/fixtures/start_vm.js';

const MODULES = [new URL('./fixtures/ms_procs.js', import.meta.url)];
const A = atom;

async function result(vm: VM, tag: number): Promise<{ pid: Pid; results: Term[]; scheduler: number }> {
  const matcher = compilePattern(P.tuple(P.any, tag, P.any, P.any, P.any));
  const got = await vm.receive((m: Term) => (matcher.match(m) !== undefined ? { m } : undefined), 10_000);
  if (got === undefined) throw new Error(`no result for ${tag} within 10 s`);
  const m = got.m as Tuple;
  if (m.at(0) !== A('ms_result')) throw new Error(`ms_runner ${tag} failed: ${String(m.at(2))}`);
  return { pid: m.at(2) as Pid, results: m.at(3) as Term[], scheduler: m.at(4) as number };
}

t.test('{self} in a spec is the process that runs it', async (t) => {
  const vm = await startOtpVM(t, MODULES);
  const spec = [tuple(tuple(A('$1')), [tuple(A('is_pid'), tuple(A('self')))], [tuple(tuple(tuple(A('self')), A('$1')))])];
  const pid = await vm.spawn('ms_runner', 'run', [vm.self, 1, spec, [tuple(A('x'))]]);
  const r = await result(vm, 1);
  t.equal(r.pid.id, pid.id, 'the reporting process is the spawned one');
  t.equal(r.results.length, 1);
  const out = r.results[0] as Tuple;
  t.ok(out.at(0) instanceof Pid && (out.at(0) as Pid).id === pid.id, '{self} gave the pid of the running process');
  t.equal(out.at(1), A('x'));
});

t.test('40 processes run specs concurrently; each gets its own results, none lost or mixed', async (t) => {
  const vm = await startOtpVM(t, MODULES);
  const N = 40;
  const objects: Term[] = [];
  for (let i = 0; i < 200; i++) objects.push(tuple(i, i % 7));
  const schedulers = new Set<number>();
  for (let round = 0; round < 2; round++) {
    const pids = new Map<number, Pid>();
    for (let k = 0; k < N; k++) {
      // Keep objects whose second element is k mod 7, and return {First * Tag, self()}.
      const tag = round * 1000 + k;
      const spec = [tuple(tuple(A('$1'), k % 7), [], [tuple(tuple(tuple(A('*'), A('$1'), tag), tuple(A('self'))))])];
      pids.set(tag, await vm.spawn('ms_runner', 'run', [vm.self, tag, spec, objects]));
    }
    for (const [tag, pid] of pids) {
      const r = await result(vm, tag);
      schedulers.add(r.scheduler);
      const k = tag % 1000;
      const expected = objects.filter((o) => (o as Tuple).at(1) === k % 7).map((o) => ((o as Tuple).at(0) as number) * tag);
      const got = r.results.map((x) => (x as Tuple).at(0));
      t.same(got, expected, `process ${tag}: its objects in order, each multiplied by its tag`);
      t.ok(r.results.every((x) => ((x as Tuple).at(1) as Pid).id === pid.id), `process ${tag}: {self} is itself in every result`);
    }
  }
  t.comment(`ran on schedulers ${[...schedulers].sort().join(', ')}`);
});
