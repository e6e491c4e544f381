/**
 * monitor_node/2 and net_kernel:monitor_nodes/1,2 from beamjs processes against a real erl 25
 * node: nodeup to both subscriptions (plain and [{node_type, all}, nodedown_reason]) when the
 * connection comes up, {nodedown, N} counted per monitor_node(N, true) minus the falses,
 * the immediate nodedown of a node that cannot be reached, and the answers to bad arguments.
 * Run inline here and on 2 scheduler threads by multi/node_monitor.test.ts.
 */
import t from 'tap';
import { VM } from '../../src/index.js';
import { EpmdServer } from '../../src/dist/index.js';
import { Atom, P, Pid, atom, format, type Term } from '../../src/term/index.js';
import { schedulerOptions } from '../support/schedulers.js';
import { shortHost, startErl, uniqueName } from './support.js';

const modules = [new URL('./fixtures/node_monitor_modules.js', import.meta.url)];

t.test('monitor_node and monitor_nodes: nodeup, counted nodedowns, unreachable node, bad arguments', async (t) => {
  const server = await EpmdServer.start({ port: 0 });
  t.teardown(() => server.close());
  const vm = await VM.start({ ...schedulerOptions(), modules, distribution: { name: uniqueName('jsnm'), cookie: 'nm', epmdPort: server.port, startEpmd: false, log: () => undefined }, logger: false });
  t.teardown(() => vm.stop());

  await vm.spawn('nmtest', 'errors', [vm.self]);
  t.equal(format((await vm.receive(P.tuple(atom('errors'), P.capture('e')), 5000))!.e as Term), '[error,{error,{options_not_a_list,bad}},{error,{unknown_options,[bogus]}},{error,badarg}]');

  await vm.spawn('nmtest', 'subscribe', [vm.self]);
  const sub = await vm.receive(P.tuple(atom('subscribed'), P.capture('pid'), P.capture('r')), 5000);
  t.equal(format(sub!.r as Term), '[ok,ok]');
  const subscriber = sub!.pid as Pid;
  const ordered = await vm.spawn('nmtest', 'ordered', [vm.self]);
  t.equal(format((await vm.receive(P.tuple(atom('ordered'), ordered, P.capture('n')), 5000))!.n as Term), '[[],[],[]]', 'nodes() before any connection');
  const seen = async (): Promise<string> => format((await vm.receive(P.tuple(atom('seen'), ordered, P.capture('m')), 8000))!.m as Term);

  const sname = uniqueName('erlnm');
  const erl = startErl(t, { sname, cookie: 'nm', epmdPort: server.port, eval: `io:format("READY~n"), receive stop -> ok after 15000 -> ok end, halt().` });
  await erl.waitFor(/READY/);
  const peer = Atom.for(`${sname}@${shortHost()}`);
  const got = async (from: Pid): Promise<string> => format((await vm.receive(P.tuple(atom('got'), from, P.capture('m')), 8000))!.m as Term);

  // An unreachable node: {nodedown, N} at once (once per monitor_node(N, true)).
  const nowhere = Atom.for(`nosuch${process.pid}@${shortHost()}`);
  const lost = await vm.spawn('nmtest', 'watch', [vm.self, nowhere, 2, 0]);
  t.equal(await got(lost), `{nodedown,${nowhere.name}}`);
  t.equal(await got(lost), `{nodedown,${nowhere.name}}`);

  // Three monitor_node(Peer, true), one false: two nodedowns. It sets the connection up.
  const watcher = await vm.spawn('nmtest', 'watch', [vm.self, peer, 3, 1]);
  await vm.receive(P.tuple(atom('watching'), watcher), 5000);
  const ups = [await got(subscriber), await got(subscriber)].sort();
  t.same(ups, [`{nodeup,${peer.name},[{node_type,visible}]}`, `{nodeup,${peer.name}}`].sort(), 'nodeup to both subscriptions');
  t.same(vm.nodes(), [peer]);
  t.equal(await seen(), `{{nodeup,${peer.name}},[${peer.name}],[${peer.name}],[${vm.node.name},${peer.name}]}`, 'nodes() lists the node by its nodeup');

  erl.child.kill('SIGKILL');
  const downs = [await got(subscriber), await got(subscriber)].sort();
  t.same(downs, [`{nodedown,${peer.name},[{node_type,visible},{nodedown_reason,connection_closed}]}`, `{nodedown,${peer.name}}`].sort(), 'nodedown to both subscriptions');
  t.equal(await got(watcher), `{nodedown,${peer.name}}`);
  t.equal(await got(watcher), `{nodedown,${peer.name}}`);
  t.equal(await seen(), `{{nodedown,${peer.name}},[],[],[${vm.node.name}]}`, 'nodes() has lost the node by its nodedown');
  t.equal(await vm.receive(P.tuple(atom('got'), watcher, P.any), 300), undefined, 'no third nodedown (one monitor_node(N, false))');
});
