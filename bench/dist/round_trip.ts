/**
 * Distribution round trips/s over loopback, one process pair: a client sends {self(), I} to
 * {bench_echo, Node} and waits for {echo, I}. Figures, from the same run:
 *   dist.rt.js_erl  beamjs client node -> erl echo node
 *   dist.rt.js_js   beamjs client node -> beamjs echo node (bench/support/dist_peer.ts)
 *   both beside dist.rt.erl_erl (erl client node -> erl echo node, bench/erl/dist_bench.erl).
 * Every run checks the count and each echoed value. Our own epmd serves on a free loopback port.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { defineModule, receive, self, send } from '../../src/process/index.js';
import { VM } from '../../src/index.js';
import { EpmdServer } from '../../src/dist/epmd_server.js';
import { Atom, P, atom, tuple, type Pid, type Term } from '../../src/term/index.js';
import { check, erlAvailable, note, repoRoot, report } from '../harness.js';

const ECHO = atom('echo');
const REPLY = P.tuple(ECHO, P.capture('x'));

defineModule('bench_dist', {
  *client(dest: Term, n: number, report_: Pid) {
    for (let i = n; i > 0; i--) {
      send(dest as Pid, tuple(self(), i));
      const m = yield* receive(REPLY);
      if (m.x !== i) throw new Error(`echo returned ${String(m.x)} for ${i}`);
    }
    send(report_, tuple(atom('done'), n));
  },
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen({ host: '127.0.0.1', port: 0 }, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function waitLine(child: ChildProcess, re: RegExp, ms = 20000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ${re} within ${ms} ms: ${out}`)), ms);
    const on = (c: Buffer): void => {
      out += c.toString();
      const m = re.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
  });
}

async function rate(vm: VM, dest: Term, n: number): Promise<number> {
  const run = async (count: number): Promise<number> => {
    const start = performance.now();
    await vm.spawn('bench_dist', 'client', [dest, count, vm.self]);
    const done = await vm.receive(P.tuple(atom('done'), P.capture('n')), 120_000);
    check(done?.n === count, `round trips reported ${String(done?.n)}`);
    return count / ((performance.now() - start) / 1000);
  };
  await run(2000);
  return run(n);
}

export default async function run(): Promise<void> {
  const N = 20_000;
  const epmd = await EpmdServer.start({ port: await freePort() });
  const env = { ...process.env, ERL_EPMD_PORT: String(epmd.port), ERL_EPMD_ADDRESS: '127.0.0.1' };
  const host = os.hostname().split('.')[0]!;
  const children: ChildProcess[] = [];
  const dir = mkdtempSync(join(os.tmpdir(), 'beamjs-dist-bench-'));
  const vm = await VM.start({ inline: true, modules: [import.meta.url], distribution: { name: `benchjs${process.pid}`, cookie: 'bench', epmdPort: epmd.port }, logger: false });
  try {
    let erlErl: number | undefined;
    let jsErl: number | undefined;
    if (erlAvailable()) {
      execFileSync('erlc', ['-o', dir, join(repoRoot, 'bench/erl/dist_bench.erl')]);
      const common = ['-setcookie', 'bench', '-noshell', '-pa', dir, '-kernel', 'inet_dist_use_interface', '{127,0,0,1}'];
      const server = spawn('erl', ['-sname', `benchecho${process.pid}`, ...common, '-eval', 'io:format("READY~n"), dist_bench:echo().'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(server);
      await waitLine(server, /READY/);
      const echoNode = `benchecho${process.pid}@${host}`;
      const client = spawn('erl', ['-sname', `benchcli${process.pid}`, ...common, '-eval', `dist_bench:client('${echoNode}', ${N}), halt().`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(client);
      erlErl = Number((await waitLine(client, /dist\.rt\.erl_erl (\S+) round_trips\/s/, 60_000))[1]);
      jsErl = await rate(vm, tuple(atom('bench_echo'), Atom.for(echoNode)), N);
    } else {
      note('erl not installed: dist.rt.js_erl and the BEAM figure are left out');
    }
    const peer = spawn(process.execPath, [join(repoRoot, 'dist/bench/support/dist_peer.js'), `benchpeer${process.pid}`, 'bench', String(epmd.port)], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(peer);
    const peerNode = Atom.for((await waitLine(peer, /READY (\S+)/))[1]!);
    const jsJs = await rate(vm, tuple(atom('bench_echo'), peerNode), N);
    note('one process pair, loopback, beamjs node inline (one scheduler); erl nodes with default schedulers');
    if (jsErl !== undefined && erlErl !== undefined) {
      report('dist.rt.js_erl', jsErl, 'round_trips/s');
      report('dist.rt.js_erl.beam', erlErl, 'round_trips/s');
      report('dist.rt.js_erl.ratio', jsErl / erlErl, 'beamjs/BEAM');
    }
    report('dist.rt.js_js', jsJs, 'round_trips/s');
    if (erlErl !== undefined) {
      report('dist.rt.js_js.beam', erlErl, 'round_trips/s');
      report('dist.rt.js_js.ratio', jsJs / erlErl, 'beamjs/BEAM');
    }
  } finally {
    await vm.stop();
    for (const c of children) c.kill('SIGKILL');
    await epmd.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
