/**
 * monitor_node and monitor_nodes entries of processes that exit are dropped, as OTP drops
 * them (net_kernel monitors its subscribers; erts cleans a dead process's node monitors):
 * against a real erl 25 peer, 100 processes each call monitor_node(Peer, true) twice and
 * net_kernel:monitor_nodes(true), then end; the entry counts go back to the one live
 * watcher's, a process that calls monitor_node(Peer, false) loses its entry (and monitor)
 * while alive, and when the peer goes only the live watcher gets a nodedown (no delivery to
 * a dead pid). Run inline here and on 2 scheduler threads by multi/node_monitor_cleanup.test.ts.
 */
import t from 'tap';
import { VM } from '../../src/index.js';
import { EpmdServer } from '../../src/dist/index.js';
import { nodeWatchersOf, type NodeWatcherStats } from '../../src/dist/node_monitor.js';
import { Atom, P, Pid, atom, format, type Term } from '../../src/term/index.js';
import { schedulerOptions } from '../support/schedulers.js';
import { shortHost, startErl, uniqueName } from './support.js';

const modules = [new URL('./fixtures/gaps_modules.js', import.meta.url)];
const DEAD_WATCHERS = 100;

async function until(what: string, condition: () => boolean | Promise<boolean>, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

t.test('the monitor_node and monitor_nodes entries of exited processes are dropped; no nodedown for them', async (t) => {
  const server = await EpmdServer.start({ port: 0 });
  t.teardown(() => server.close());
  const vm = await VM.start({ ...schedulerOptions(), modules, distribution: { name: uniqueName('jsnmc'), cookie: 'nmc', epmdPort: server.port, startEpmd: false, log: () => undefined }, logger: false });
  t.teardown(() => vm.stop());
  const watchers = nodeWatchersOf(vm.distribution!)!;
  t.ok(watchers !== undefined, 'the VM has NodeWatchers');
  const stats = (): NodeWatcherStats => watchers.stats();
  const counts = (): string => {
    const s = stats();
    return `monitor_node=${s.monitorNode} subscribers=${s.subscribers} monitored=${s.monitored}`;
  };

  const sname = uniqueName('erlnmc');
  const erl = startErl(t, { sname, cookie: 'nmc', epmdPort: server.port, maxMs: 40000, eval: `io:format("READY~n"), receive stop -> ok after 30000 -> ok end, halt().` });
  await erl.waitFor(/READY/);
  const peer = Atom.for(`${sname}@${shortHost()}`);

  // One live watcher; it sets the connection up.
  await vm.spawn('gaps', 'watch_forward', [vm.self, peer]);
  const live = (await vm.receive(P.tuple(atom('watching'), P.capture('pid')), 10000))!.pid as Pid;
  await until('the connection', () => vm.nodes().includes(peer));
  await until('the live watcher counted', () => counts() === 'monitor_node=1 subscribers=0 monitored=1');

  // Processes that watch the peer and end.
  for (let i = 0; i < DEAD_WATCHERS; i++) await vm.spawn('gaps', 'watch_and_quit', [vm.self, peer, 2]);
  for (let i = 0; i < DEAD_WATCHERS; i++) await vm.receive(P.tuple(atom('quitting'), P.any), 10000);
  await until(`the dead watchers' entries dropped (${counts()})`, () => counts() === 'monitor_node=1 subscribers=0 monitored=1');
  t.equal(counts(), 'monitor_node=1 subscribers=0 monitored=1', 'only the live watcher is left');

  // monitor_node(Peer, false) ends the entry of a live process, and its monitor.
  const unwatching = await vm.spawn('gaps', 'watch_and_unwatch', [vm.self, peer]);
  await vm.receive(P.tuple(atom('unwatched'), unwatching), 10000);
  await until(`the unwatched entry dropped (${counts()})`, () => counts() === 'monitor_node=1 subscribers=0 monitored=1');
  t.equal(await vm.isProcessAlive(unwatching), true, 'the process that unwatched is alive');
  vm.send(unwatching, atom('stop'));

  // The peer goes: one nodedown, to the live watcher.
  const before = stats().delivered;
  erl.child.kill('SIGKILL');
  t.equal(format((await vm.receive(P.tuple(atom('got'), live, P.capture('m')), 15000))!.m as Term), `{nodedown,${format(peer)}}`);
  await until('no connection', () => !vm.nodes().includes(peer));
  t.equal(stats().delivered - before, 1, 'one nodedown delivered: none to the processes that exited');
  t.equal(counts(), 'monitor_node=0 subscribers=0 monitored=0', 'nothing left once the nodedown is delivered');
});
