/**
 * Distribution round trips/s over loopback. A client sends {self(), I} to {bench_echo, Node}
 * and waits for {echo, I}. Figures, from the same run:
 *   dist.rt.js_erl  beamjs client node -> erl echo node, one process pair
 *   dist.rt.js_js   beamjs client node -> beamjs echo node (bench/support/dist_peer.ts)
 *   both beside dist.rt.erl_erl (erl client node -> erl echo node, bench/erl/dist_bench.erl).
 * Many pairs: dist.rtK.js_erl / dist.rtK.js_js beside dist.rtK.erl_erl for K = 8 and 64: K
 * clients at once, client J talking to its own echo process {bench_echo_J, Node}, each doing
 * the same number of round trips; the figure is the aggregate (all round trips over the wall
 * time from the first spawn to the last report). Same shape on the erl side (clients/3).
 * Those beamjs nodes are inline (one scheduler, on the thread that owns the sockets);
 * dist.rt.js_erl_threads / dist.rt8.js_erl_threads are the same clients on a VM with a
 * scheduler thread per core (bench/support/dist_threaded_client.ts, its own process), whose
 * main thread owns the sockets: each message takes one more hop each way, through the rings.
 * Every run checks the counts and each echoed value (in order, per client). Our own epmd
 * serves on a free loopback port.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { VM } from '../../src/index.js';
import { EpmdServer } from '../../src/dist/epmd_server.js';
import { Atom, atom, tuple } from '../../src/term/index.js';
import { rate, rateMany } from '../support/dist_clients.js';
import { freePort, waitLine } from '../support/child_io.js';
import { check, erlAvailable, note, repoRoot, report } from '../harness.js';

/** Client counts of the many-pairs figures (at most MAX_PAIRS in bench/erl/dist_bench.erl). */
const PAIRS = [8, 64] as const;
/** Round trips per client in the many-pairs figures, by client count. */
const PER_CLIENT: Record<(typeof PAIRS)[number], number> = { 8: 5000, 64: 1000 };

/** Reports a beamjs figure beside erl<->erl (as `.beam` and `.ratio`, when erl ran). */
function reportBeside(name: string, beamjs: number, erlErl: number | undefined): void {
  report(name, beamjs, 'round_trips/s');
  if (erlErl === undefined) return;
  report(`${name}.beam`, erlErl, 'round_trips/s');
  report(`${name}.ratio`, beamjs / erlErl, 'beamjs/BEAM');
}

export default async function run(): Promise<void> {
  const N = 20_000;
  const epmd = await EpmdServer.start({ port: await freePort() });
  const env = { ...process.env, ERL_EPMD_PORT: String(epmd.port), ERL_EPMD_ADDRESS: '127.0.0.1' };
  const host = os.hostname().split('.')[0]!;
  const children: ChildProcess[] = [];
  const dir = mkdtempSync(join(os.tmpdir(), 'beamjs-dist-bench-'));
  const vm = await VM.start({ inline: true, modules: [new URL('../support/dist_clients.js', import.meta.url)], distribution: { name: `benchjs${process.pid}`, cookie: 'bench', epmdPort: epmd.port }, logger: false });
  try {
    const erlErl = new Map<string, number>();
    const jsErl = new Map<string, number>();
    if (erlAvailable()) {
      execFileSync('erlc', ['-o', dir, join(repoRoot, 'bench/erl/dist_bench.erl')]);
      const common = ['-setcookie', 'bench', '-noshell', '-pa', dir, '-kernel', 'inet_dist_use_interface', '{127,0,0,1}'];
      const server = spawn('erl', ['-sname', `benchecho${process.pid}`, ...common, '-eval', 'io:format("READY~n"), dist_bench:echo().'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(server);
      await waitLine(server, /READY/);
      const echoNode = Atom.for(`benchecho${process.pid}@${host}`);
      const many = PAIRS.map((k) => `dist_bench:clients('${echoNode.name}', ${k}, ${PER_CLIENT[k]}), `).join('');
      const client = spawn('erl', ['-sname', `benchcli${process.pid}`, ...common, '-eval', `dist_bench:client('${echoNode.name}', ${N}), ${many}halt().`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(client);
      // The last figure erl prints; `input` of the match is all it printed up to there.
      const erlOut = (await waitLine(client, new RegExp(`dist\\.rt${PAIRS[PAIRS.length - 1]}\\.erl_erl \\S+ round_trips/s`), 90_000)).input;
      for (const m of erlOut.matchAll(/dist\.(rt\d*)\.erl_erl (\S+) round_trips\/s/g)) erlErl.set(m[1]!, Number(m[2]));
      check(erlErl.size === 1 + PAIRS.length, `erl client figures: ${erlOut}`);
      jsErl.set('rt', await rate(vm, tuple(atom('bench_echo'), echoNode), N));
      for (const k of PAIRS) jsErl.set(`rt${k}`, await rateMany(vm, echoNode, k, PER_CLIENT[k]));
      const threaded = spawn(process.execPath, [join(repoRoot, 'dist/bench/support/dist_threaded_client.js'), `benchjst${process.pid}`, 'bench', String(epmd.port), echoNode.name, String(N), '8'], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(threaded);
      const threadedOut = (await waitLine(threaded, /RATE rt8 \S+/, 180_000)).input;
      for (const m of threadedOut.matchAll(/RATE (rt\d*) (\S+)/g)) jsErl.set(`${m[1]!}_threads`, Number(m[2]));
      check(jsErl.has('rt_threads') && jsErl.has('rt8_threads'), `threaded client figures: ${threadedOut}`);
    } else {
      note('erl not installed: dist.rt*.js_erl and the BEAM figures are left out');
    }
    const peer = spawn(process.execPath, [join(repoRoot, 'dist/bench/support/dist_peer.js'), `benchpeer${process.pid}`, 'bench', String(epmd.port)], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(peer);
    const peerNode = Atom.for((await waitLine(peer, /READY (\S+)/))[1]!);
    const jsJs = new Map<string, number>();
    jsJs.set('rt', await rate(vm, tuple(atom('bench_echo'), peerNode), N));
    for (const k of PAIRS) jsJs.set(`rt${k}`, await rateMany(vm, peerNode, k, PER_CLIENT[k]));
    note(`process pairs: 1, ${PAIRS.join(', ')}; loopback; beamjs nodes inline (one scheduler); erl nodes with default schedulers`);
    for (const figure of ['rt', ...PAIRS.map((k) => `rt${k}`)]) {
      const js = jsErl.get(figure);
      if (js !== undefined) reportBeside(`dist.${figure}.js_erl`, js, erlErl.get(figure));
      reportBeside(`dist.${figure}.js_js`, jsJs.get(figure)!, erlErl.get(figure));
    }
    for (const figure of ['rt', 'rt8']) {
      const js = jsErl.get(`${figure}_threads`);
      if (js !== undefined) reportBeside(`dist.${figure}.js_erl_threads`, js, erlErl.get(figure));
    }
  } finally {
    await vm.stop();
    for (const c of children) c.kill('SIGKILL');
    await epmd.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
