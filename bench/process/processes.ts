/**
 * Processes on one scheduler, against BEAM with `erl +S 1` in the same run (issue 3):
 *
 *   process.ping_pong      local ping-pong round trips/s (two processes, N round trips)
 *   process.ring           messages/s around a ring of 1,000 processes
 *   process.spawn          microseconds per spawn of a process that then waits in receive
 *   process.idle_bytes     bytes per idle process, with 1,000,000 of them alive
 *   process.ref_receive    ref-marked receives/s with 100,000 unrelated messages queued
 *
 * Each workload reports its own count back to the caller, and the benchmark throws when the
 * count is wrong. The Erlang twin is bench/erl/process_bench.erl.
 */
import v8 from 'node:v8';
import vmContext from 'node:vm';
import { VM, atom, defineModule, makeRef, P, receive, self, send, spawn, tuple, Tuple, type Pid, type ProcessGenerator, type Term } from '../../src/index.js';
import { beamFigure, check, reportVersusBeam, runErl } from '../harness.js';

const GO = atom('go');
const STOP = atom('stop');
const DONE = atom('done');

defineModule('bench_process', {
  /** Spawns `count` processes that wait for `stop`, then reports {done, count}. */
  *spawn_idle(count: number, report: Pid) {
    const pids: Pid[] = new Array<Pid>(count);
    for (let i = 0; i < count; i++) pids[i] = spawn('bench_process', 'idle', []);
    send(report, tuple(DONE, count));
    yield* receive(STOP);
    for (const pid of pids) send(pid, STOP);
    send(report, tuple(DONE, 0));
  },
  *idle() {
    yield* receive(STOP);
  },
  /**
   * Queues `queued` unrelated messages and does `warmup` ref-marked request/replies to itself
   * (the JIT's warm-up; erl does the same), then, on `go`, `rounds` timed ones.
   */
  *ref_receive(queued: number, warmup: number, rounds: number, report: Pid) {
    const me = self();
    for (let i = 0; i < queued; i++) send(me, tuple(atom('noise'), i));
    yield* refRounds(me, warmup);
    yield* receive(GO);
    const sum = yield* refRounds(me, rounds);
    send(report, tuple(DONE, sum));
  },
});

function* refRounds(me: Pid, rounds: number): ProcessGenerator<number> {
  let sum = 0;
  for (let i = 0; i < rounds; i++) {
    const ref = makeRef();
    send(me, tuple(ref, i));
    // A hand-written matcher naming its ref, as a gen_server call does internally: a
    // P-built pattern around a fresh ref would be compiled again on every call.
    const reply = yield* receive({
      match: (m: Term) => (m instanceof Tuple && m.size === 2 && m.at(0) === ref ? m.at(1) : undefined),
      requiredRefs: [ref],
    });
    sum += Number(reply);
  }
  return sum;
}

function gc(): void {
  v8.setFlagsFromString('--expose-gc');
  (vmContext.runInNewContext('gc') as () => void)();
}

async function time(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export default async function run(): Promise<void> {
  const erl = runErl('process_bench', 'run', [], { schedulers: 1, extraFlags: ['+P', '2000000'] });
  const vm = await VM.start({ modules: [new URL('../../src/examples/index.js', import.meta.url)], logger: false, inline: true });
  const doneWith = P.tuple(DONE, P.capture('n'));
  try {
    // Ping-pong (after a warm-up run, as in erl).
    const roundTrips = 1_000_000;
    await vm.spawn('ping_pong', 'start', [100_000, vm.self]);
    await vm.receive(P.tuple(atom('ping_pong_done'), P.any), 60_000);
    const pingPongSeconds = await time(async () => {
      await vm.spawn('ping_pong', 'start', [roundTrips, vm.self]);
      const done = await vm.receive(P.tuple(atom('ping_pong_done'), P.capture('n')), 120_000);
      check(done?.n === roundTrips, `ping-pong reported ${String(done?.n)} round trips`);
    });
    reportVersusBeam('process.ping_pong', roundTrips / pingPongSeconds, beamFigure(erl, 'process.ping_pong'), 'round_trips/s');

    // Ring of 1,000 processes (after a warm-up run, as in erl).
    const ringSize = 1000;
    await vm.spawn('ring', 'start', [ringSize, 100, vm.self]);
    await vm.receive(P.tuple(atom('ring_done'), P.any), 60_000);
    const laps = 1000;
    const ringSeconds = await time(async () => {
      await vm.spawn('ring', 'start', [ringSize, laps, vm.self]);
      const done = await vm.receive(P.tuple(atom('ring_done'), P.capture('passed')), 120_000);
      check(done?.passed === ringSize * laps, `ring reported ${String(done?.passed)} messages`);
    });
    reportVersusBeam('process.ring', (ringSize * laps) / ringSeconds, beamFigure(erl, 'process.ring'), 'msgs/s');

    // Spawn time and bytes per idle process (1,000,000 processes).
    const idleCount = 1_000_000;
    gc();
    const before = process.memoryUsage().heapUsed;
    let spawner: Pid | undefined;
    const spawnSeconds = await time(async () => {
      spawner = await vm.spawn('bench_process', 'spawn_idle', [idleCount, vm.self]);
      const done = await vm.receive(doneWith, 300_000);
      check(done?.n === idleCount, `spawned ${String(done?.n)} processes`);
    });
    gc();
    const bytesPerProcess = (process.memoryUsage().heapUsed - before) / idleCount;
    check(vm.processCount >= idleCount, `only ${vm.processCount} processes alive`);
    reportVersusBeam('process.spawn', (spawnSeconds * 1e6) / idleCount, beamFigure(erl, 'process.spawn'), 'us/process');
    reportVersusBeam('process.idle_bytes', bytesPerProcess, beamFigure(erl, 'process.idle_bytes'), 'bytes/process');
    vm.send(spawner!, STOP);
    await vm.receive(P.tuple(DONE, 0), 300_000);

    // Ref-marked receive with 100,000 unrelated messages queued.
    const queued = 100_000;
    const rounds = 300_000;
    const worker = await vm.spawn('bench_process', 'ref_receive', [queued, 100_000, rounds, vm.self]);
    const queueLength = async (): Promise<Term> => ((await vm.processInfo(worker, 'message_queue_len')) as Tuple).at(1);
    while ((await queueLength()) !== queued) await new Promise((r) => setTimeout(r, 5));
    const refSeconds = await time(async () => {
      vm.send(worker, GO);
      const done = await vm.receive(doneWith, 300_000);
      check(done?.n === (rounds * (rounds - 1)) / 2, `ref receive checksum ${String(done?.n)}`);
    });
    reportVersusBeam('process.ref_receive', rounds / refSeconds, beamFigure(erl, 'process.ref_receive'), 'receives/s');
  } finally {
    await vm.stop();
  }
}
