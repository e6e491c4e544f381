/**
 * erpc:call/5 calls/s over loopback, one calling process, each result checked:
 *   dist.erpc.js_erl  a beamjs process (rpc.ts erpcCall) -> an erl node
 * beside dist.erpc.erl_erl (an erl client node -> the same erl node, bench/erl/erpc_bench.erl),
 * from the same run. Each call is a SPAWN_REQUEST of erpc:execute_call on the erl node and
 * its monitor's 'DOWN' (erpc.erl's protocol on both sides).
 * Also the time spawn(Node, M, F, A) takes to answer for a node epmd does not know (a local
 * pid exiting noconnection): dist.spawn_unreachable beside erl's, in ms (one sample each, a
 * first connection attempt answered by epmd's "no such name"; it took 7 s, net_setuptime,
 * before rpc.ts answered noconnection at once).
 * Our own epmd serves on a free loopback port.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { defineModule, send } from '../../src/process/index.js';
import { erpcCall, spawnOn } from '../../src/dist/rpc.js';
import { VM } from '../../src/index.js';
import { EpmdServer } from '../../src/dist/epmd_server.js';
import { Atom, P, Pid, Tuple, atom, tuple } from '../../src/term/index.js';
import { freePort, waitLine } from '../support/child_io.js';
import { check, erlAvailable, note, repoRoot, reportVersusBeam } from '../harness.js';

const A_ERLANG = atom('erlang');
const A_ABS = atom('abs');

defineModule('bench_erpc', {
  *client(target: Atom, n: number, replyTo: Pid) {
    for (let k = n; k > 0; k--) {
      const r = yield* erpcCall(target, A_ERLANG, A_ABS, [-k]);
      if (r !== k) throw new Error(`erpc:call(abs, [-${k}]) returned ${String(r)}`);
    }
    send(replyTo, tuple(atom('done'), n));
  },
  *spawner(target: Atom, replyTo: Pid) {
    const start = performance.now();
    const pid = yield* spawnOn(target, atom('lists'), atom('reverse'), [[]]);
    send(replyTo, tuple(atom('spawned'), pid instanceof Tuple ? pid.at(0) : pid, performance.now() - start));
  },
});

async function rate(vm: VM, target: Atom, n: number): Promise<number> {
  const run = async (count: number): Promise<number> => {
    const start = performance.now();
    await vm.spawn('bench_erpc', 'client', [target, count, vm.self]);
    const done = await vm.receive(P.tuple(atom('done'), P.capture('n')), 120_000);
    check(done?.n === count, `erpc calls reported ${String(done?.n)}`);
    return count / ((performance.now() - start) / 1000);
  };
  await run(1000);
  return run(n);
}

export default async function run(): Promise<void> {
  if (!erlAvailable()) {
    note('erl not installed: dist/erpc_call needs an erl node to call; skipped');
    return;
  }
  const N = 5000;
  const epmd = await EpmdServer.start({ port: await freePort() });
  const env = { ...process.env, ERL_EPMD_PORT: String(epmd.port), ERL_EPMD_ADDRESS: '127.0.0.1' };
  const host = os.hostname().split('.')[0]!;
  const children: ChildProcess[] = [];
  const dir = mkdtempSync(join(os.tmpdir(), 'beamjs-erpc-bench-'));
  const vm = await VM.start({ inline: true, modules: [import.meta.url], distribution: { name: `benchejs${process.pid}`, cookie: 'bench', epmdPort: epmd.port }, logger: false });
  try {
    execFileSync('erlc', ['-o', dir, join(repoRoot, 'bench/erl/erpc_bench.erl')]);
    const common = ['-setcookie', 'bench', '-noshell', '-pa', dir, '-kernel', 'inet_dist_use_interface', '{127,0,0,1}'];
    const server = spawn('erl', ['-sname', `benchesrv${process.pid}`, ...common, '-eval', 'io:format("READY~n"), receive stop -> ok end.'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(server);
    await waitLine(server, /READY/);
    const serverNode = `benchesrv${process.pid}@${host}`;
    const client = spawn('erl', ['-sname', `benchecli${process.pid}`, ...common, '-eval', `erpc_bench:client('${serverNode}', ${N}, 'nosuche${process.pid}@${host}'), halt().`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(client);
    const erlRate = Number((await waitLine(client, /dist\.erpc\.erl_erl (\S+) calls\/s/, 60_000))[1]);
    const erlSpawnMs = Number((await waitLine(client, /dist\.spawn_unreachable\.erl_erl (\S+) ms/))[1]);
    const jsRate = await rate(vm, Atom.for(serverNode), N);
    await vm.spawn('bench_erpc', 'spawner', [Atom.for(`nosuchj${process.pid}@${host}`), vm.self]);
    const spawned = await vm.receive(P.tuple(atom('spawned'), P.capture('pid'), P.capture('ms')), 60_000);
    check(spawned !== undefined && (spawned.pid as Pid).node === vm.node, 'spawn to an unknown node gives a local pid');
    note('one calling process, loopback, beamjs node inline (one scheduler); erl nodes with default schedulers');
    reportVersusBeam('dist.erpc.js_erl', jsRate, erlRate, 'calls/s');
    reportVersusBeam('dist.spawn_unreachable', spawned.ms as number, erlSpawnMs, 'ms');
  } finally {
    await vm.stop();
    for (const c of children) c.kill('SIGKILL');
    await epmd.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
