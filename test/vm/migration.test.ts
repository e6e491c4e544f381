// Work stealing moves processes between scheduler threads in the middle of their conversations;
// no message, link, monitor or name may be lost or reordered (issue 4). See fixtures/migration.ts.
import t from 'tap';
import { atom, P, Tuple, tuple, VM, type Pid } from '../../src/index.js';

const SEQ = atom('seq');
const WORKERS = 120;
const PER_STREAM = 40;

t.test('processes stolen before they start keep every message, link, monitor and name, in order', async (t) => {
  const vm = await VM.start({ schedulers: 2, modules: [new URL('./fixtures/migration.js', import.meta.url)], workerExecArgv: [], logger: false });
  t.teardown(() => vm.stop());
  let migrated = 0;
  for (let round = 0; round < 3; round++) {
    await vm.spawn('migration', 'start', [vm.self, WORKERS, PER_STREAM]);
    const { pids } = (await vm.receive(P.tuple(atom('pids'), P.capture('pids')), 10_000))!;
    const workers = pids as Pid[];
    // The second stream: some of it is in flight while workers move. Named workers get it by name.
    for (let k = 0; k < PER_STREAM; k++) {
      workers.forEach((pid, i) => vm.send(i < 5 ? atom(`migration_w${i}`) : pid, tuple(SEQ, atom('main'), k)));
    }
    const report = await vm.receive(P.tuple(atom('outcomes'), P.capture('outcomes'), P.capture('exits')), 30_000);
    t.ok(report !== undefined, `round ${round}: the spawner reported`);
    if (report === undefined) return;
    const outcomes = report.outcomes as Tuple[];
    t.equal(outcomes.length, WORKERS, `round ${round}: a 'DOWN' for every worker`);
    t.equal(report.exits, WORKERS / 2, `round ${round}: an 'EXIT' for every linked worker`);
    const bad = outcomes.filter((o) => {
      const reason = o.at(1) as Tuple;
      return !(reason instanceof Tuple && reason.at(0) === atom('done') && reason.at(3) === true);
    });
    t.same(bad.map((o) => String(o.at(1))), [], `round ${round}: every worker got both streams complete and in order`);
    migrated += outcomes.filter((o) => (o.at(1) as Tuple).at(1) !== (o.at(1) as Tuple).at(2)).length;
    t.same(await vm.registered(), [], `round ${round}: the names died with their workers`);
  }
  t.ok(migrated > 0, `${migrated} workers ran on another scheduler than their spawner's`);
  t.equal(vm.processCount, 1, 'only the external mailbox is left');
});
