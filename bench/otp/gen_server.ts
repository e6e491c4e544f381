/**
 * gen_server:call round trips/s (issue 5's benchmark), client and server on one scheduler
 * (otp.call.same, against `erl +S 1`) and on two schedulers (otp.call.cross, against `erl +S 2`
 * with the processes bound to two schedulers), BEAM from the same run
 * (bench/erl/otp_bench.erl). Each run checks its count.
 */
import { atom, defineModule, GenServer, P, send, tuple, VM, type Pid, type Term } from '../../src/index.js';
import { beamFigure, check, reportVersusBeam, runErl } from '../harness.js';

defineModule('bench_gs', {
  init: (): Term => tuple(atom('ok'), 0),
  handle_call: (_request: Term, _from: Term, n: number): Term => tuple(atom('reply'), atom('pong'), n + 1),
  handle_cast: (_request: Term, n: number): Term => tuple(atom('noreply'), n),
  /** Starts the server on this scheduler and reports {server, Pid}. */
  *start(report: Pid) {
    const started = (yield* GenServer.start('bench_gs')) as { at(i: number): Term };
    send(report, tuple(atom('server'), (started.at(1) as Term)));
  },
  /** Makes `n` calls and reports {calls_done, n}. */
  *client(server: Pid, n: number, report: Pid) {
    for (let i = 0; i < n; i++) {
      const reply = yield* GenServer.call(server, atom('ping'));
      if (reply !== atom('pong')) throw new Error('bad reply');
    }
    send(report, tuple(atom('calls_done'), n));
  },
});

async function rate(vm: VM, serverScheduler: number, clientScheduler: number, n: number): Promise<number> {
  await vm.spawn('bench_gs', 'start', [vm.self], { scheduler: serverScheduler });
  const { pid } = (await vm.receive(P.tuple(atom('server'), P.capture('pid')), 10_000))!;
  const run = async (count: number): Promise<number> => {
    const start = performance.now();
    await vm.spawn('bench_gs', 'client', [pid, count, vm.self], { scheduler: clientScheduler });
    const done = await vm.receive(P.tuple(atom('calls_done'), P.capture('n')), 120_000);
    check(done?.n === count, `gen_server calls reported ${String(done?.n)}`);
    return count / ((performance.now() - start) / 1000);
  };
  await run(20_000);
  return run(n);
}

export default async function run(): Promise<void> {
  const erlSame = runErl('otp_bench', 'same', [], { schedulers: 1 });
  const erlCross = runErl('otp_bench', 'cross', [], { schedulers: 2 });
  const modules = [import.meta.url];
  const one = await VM.start({ inline: true, modules, logger: false });
  try {
    reportVersusBeam('otp.call.same', await rate(one, 1, 1, 300_000), beamFigure(erlSame, 'otp.call.same'), 'round_trips/s');
  } finally {
    await one.stop();
  }
  const two = await VM.start({ schedulers: 2, modules, logger: false });
  try {
    reportVersusBeam('otp.call.cross', await rate(two, 1, 2, 100_000), beamFigure(erlCross, 'otp.call.cross'), 'round_trips/s');
  } finally {
    await two.stop();
  }
}
