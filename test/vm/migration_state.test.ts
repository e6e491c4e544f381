// The pieces work stealing of started processes relies on: the migrate record's process state
// (src/vm/control.ts: 14 fields, with the initial call, monitors held, dictionary, trap_exit)
// survives the VM transport and rejects corrupt fields; RingProducer.consumed and
// SchedulerMesh.consumedExcept (src/shm) say "everything sent was handled", never too early.
import t from 'tap';
import { binaryToTerm, termToBinary } from '../../src/codec/index.js';
import { ErrorCode } from '../../src/errors/index.js';
import { createMeshBuffers, createRingBuffer, RingConsumer, RingProducer, SchedulerMesh } from '../../src/shm/index.js';
import { atom, localNode, Pid, Ref, Tuple, tuple, type Term } from '../../src/index.js';
import { ControlOp, controlTerm, parseControl, type MigratedProcess } from '../../src/vm/control.js';

const TRANSPORT = { jsTypes: true, minorVersion: 2 } as const;

function pid(id: number): Pid {
  return new Pid(localNode(), id, 0, 0);
}

t.test('a started process state crosses the transport whole', (t) => {
  const ref = new Ref(localNode(), 0, [7, 0, 1]);
  const state: MigratedProcess = {
    pid: pid(3),
    module: atom('gen_server'),
    fun: atom('loop_resume'),
    args: [tuple(pid(1), atom('m'), undefined, new Map<Term, Term>([['k', 1]]), atom('infinity'))],
    priority: 'high',
    links: [pid(1)],
    monitoredBy: [{ ref, watcher: pid(1), object: pid(3) }],
    messages: [tuple(atom('$gen_cast'), 1)],
    name: atom('srv'),
    groupLeader: pid(0),
    initialCall: tuple(atom('gen_server'), atom('init_it'), 4),
    monitors: [
      { ref, target: pid(5), object: pid(5) },
      { ref, target: undefined, object: tuple(atom('gone'), localNode()) },
    ],
    dictionary: [tuple(atom('key'), [1, 2])],
    trapExit: true,
  };
  const back = parseControl(binaryToTerm(termToBinary(controlTerm({ op: ControlOp.MIGRATE, processes: [state] }), TRANSPORT), { jsTypes: true }));
  t.equal(back.op, ControlOp.MIGRATE);
  if (back.op !== ControlOp.MIGRATE) return t.end();
  const s = back.processes[0]!;
  t.same(s.initialCall, state.initialCall, 'initial call');
  t.same(s.monitors.map((m) => [String(m.target), String(m.object)]), [[String(pid(5)), String(pid(5))], ['undefined', String(tuple(atom('gone'), localNode()))]], 'monitors held, a by-name one without target');
  t.ok(s.monitors[0]!.ref.equals(ref), 'monitor ref');
  t.same(s.dictionary, state.dictionary, 'dictionary');
  t.equal(s.trapExit, true, 'trap_exit');
  t.same([s.module, s.fun, s.priority, s.name], [atom('gen_server'), atom('loop_resume'), 'high', atom('srv')], 'resume MFA, priority, name');
  t.end();
});

t.test('a corrupt process state names its field', (t) => {
  const good = controlTerm({
    op: ControlOp.MIGRATE,
    processes: [{ pid: pid(3), module: atom('m'), fun: atom('f'), args: [], priority: 'normal', links: [], monitoredBy: [], messages: [], name: undefined, groupLeader: undefined, initialCall: undefined, monitors: [], dictionary: [], trapExit: false }],
  });
  const withField = (i: number, value: Term): Tuple => {
    const state = ((good.at(2) as Term[])[0] as Tuple).elements.slice();
    state[i] = value;
    return tuple(good.at(0), good.at(1), [new Tuple(state)]);
  };
  t.throws(() => parseControl(withField(10, tuple(atom('m'), atom('f')))), { code: ErrorCode.SHM_CORRUPT, message: /state\.initialCall must be \{Module, Fun, Arity\}/ });
  t.throws(() => parseControl(withField(11, [tuple(1, 2, 3)])), { code: ErrorCode.SHM_CORRUPT, message: /state\.monitors\[\]\.ref must be a reference/ });
  t.throws(() => parseControl(withField(12, [atom('x')])), { code: ErrorCode.SHM_CORRUPT, message: /state\.dictionary\[\] must be \{Key, Value\}/ });
  t.throws(() => parseControl(withField(13, 1)), { code: ErrorCode.SHM_CORRUPT, message: /state\.trapExit must be a boolean/ });
  const short = tuple(good.at(0), good.at(1), [new Tuple(((good.at(2) as Term[])[0] as Tuple).elements.slice(0, 10))]);
  t.throws(() => parseControl(short), { code: ErrorCode.SHM_CORRUPT, message: /14-tuple/ });
  t.end();
});

t.test('RingProducer.consumed: true only once the consumer released every committed record', (t) => {
  const sab = createRingBuffer(1024);
  const producer = new RingProducer(sab);
  const consumer = new RingConsumer(sab);
  t.equal(producer.consumed(), true, 'empty ring');
  t.ok(producer.tryWrite(new Uint8Array([1, 2, 3])));
  t.equal(producer.consumed(), false, 'committed, not published');
  producer.flush();
  t.equal(producer.consumed(), false, 'published, not read');
  t.ok(consumer.read() !== null);
  t.equal(producer.consumed(), false, 'read, not released');
  consumer.release();
  t.equal(consumer.read(), null, 'the consumer finds the ring empty (and publishes its head)');
  t.equal(producer.consumed(), true, 'released');
  t.end();
});

t.test('SchedulerMesh.consumedExcept ignores the thief and waits for every other receiver', (t) => {
  const buffers = createMeshBuffers(3);
  const meshes = [0, 1, 2].map((i) => new SchedulerMesh(i, 3, buffers.rings, buffers.wake, buffers.portsFor(i)));
  const write = (view: Uint8Array, offset: number): number => {
    view[offset] = 9;
    return 1;
  };
  const [a, b, c] = meshes as [SchedulerMesh, SchedulerMesh, SchedulerMesh];
  t.equal(a.consumedExcept(1), true, 'nothing sent');
  a.send(1, write);
  a.flush();
  t.equal(a.consumedExcept(1), true, 'a record to the thief does not count');
  t.equal(a.consumedExcept(2), false, 'it counts when thread 1 is not the thief');
  a.send(2, write);
  a.flush();
  t.equal(a.consumedExcept(1), false, 'a record to thread 2 not yet handled');
  let handled = 0;
  c.drain(() => handled++);
  t.equal(handled, 1);
  t.equal(a.consumedExcept(1), true, 'thread 2 handled it');
  b.drain(() => handled++);
  t.equal(a.consumedExcept(0), true, 'all handled');
  for (const port of [0, 1, 2].flatMap((i) => buffers.portsFor(i))) port?.close();
  t.end();
});
