/**
 * Two beamjs nodes on one machine with no epmd running: the first node starts our own epmd
 * (on a free loopback port standing in for 4369), the second finds it and registers. Then
 * ping both ways, rpc.call of the kvs server on the other node, a global name registered on
 * one node and seen on the other, a monitor by {Name, Node} answered with noconnection when
 * the other node is killed, and nodedown. The second node runs in a child Node process.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { VM } from '../../src/index.js';
import { names } from '../../src/dist/epmd_client.js';
import { Atom, P, Pid, atom, format, tuple, type Term } from '../../src/term/index.js';
import { schedulerOptions } from '../support/schedulers.js';
import { freePort, uniqueName } from './support.js';

t.test('two beamjs nodes without epmd installed: our epmd, ping, rpc kvs, global, noconnection', async (t) => {
  const epmdPort = await freePort();
  const vm = await VM.start({
    ...schedulerOptions(),
    modules: [new URL('./fixtures/dist_modules.js', import.meta.url)],
    distribution: { name: uniqueName('jsa'), cookie: 'two', epmdPort },
    logger: false,
  });
  t.teardown(() => vm.stop());
  t.same((await names({ port: epmdPort })).nodes.map((n) => n.name), [vm.node.name.split('@')[0]], 'our epmd answers NAMES with node A');
  const peerName = uniqueName('jsb');
  const child = spawn(process.execPath, [new URL('./fixtures/peer_node.js', import.meta.url).pathname, peerName, 'two', String(epmdPort)], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  const peer = await new Promise<Atom>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`peer node did not start: ${out}`)), 10000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /READY (\S+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Atom.for(m[1]!));
      }
    });
  });
  t.equal(await vm.ping(peer), 'pong');
  t.same(vm.nodes(), [peer]);
  const rpc = async (m: string, f: string, a: Term[]): Promise<string> => {
    await vm.spawn('dtest', 'call_out', [vm.self, peer, atom(m), atom(f), a, atom('infinity')]);
    return format((await vm.receive(P.tuple(atom('rpc_result'), P.capture('r')), 8000))!.r as Term);
  };
  t.equal(await rpc('kvs', 'store', [atom('weather'), atom('fine')]), 'true');
  t.equal(await rpc('kvs', 'lookup', [atom('weather')]), '{ok,fine}');
  t.match(await rpc('nosuch', 'fn', []), /^\{badrpc,\{'EXIT',\{undef,/);
  // The peer's global name reached this node when the connection came up.
  for (let i = 0; i < 50 && vm.global!.whereisName(atom('peer_kvs')) === undefined; i++) await new Promise((r) => setTimeout(r, 20));
  const kvs = vm.global!.whereisName(atom('peer_kvs'));
  t.ok(kvs instanceof Pid && kvs.node === peer, 'global:whereis_name(peer_kvs) is the pid on the peer');
  t.equal(vm.global!.registerName(atom('peer_kvs'), vm.self), 'no', 'the name is taken cluster-wide');
  await vm.spawn('dtest', 'watcher', [tuple(atom('kvs'), peer), vm.self]);
  await vm.receive(P.tuple(atom('watching'), P.any, P.any), 5000);
  await vm.spawn('dtest', 'linker', [kvs!, vm.self]);
  await vm.receive(P.tuple(atom('linked'), P.any), 5000);
  const downs: string[] = [];
  vm.distribution!.onNodeEvent((e) => downs.push(`${e.kind} ${e.node.name}`));
  child.kill('SIGKILL');
  const seen: string[] = [];
  for (let i = 0; i < 2; i++) seen.push(format((await vm.receive(P.tuple(atom('got'), P.capture('m')), 8000))!.m as Term));
  t.ok(seen.some((s) => /^\{'DOWN',#Ref<[\d.]+>,process,\{kvs,'?jsb\w+@\w+'?\},noconnection\}$/.test(s)), `DOWN noconnection: ${seen.join(' ')}`);
  t.ok(seen.some((s) => /^\{'EXIT',<\d+\.\d+\.\d+>,noconnection\}$/.test(s)), `EXIT noconnection: ${seen.join(' ')}`);
  t.same(downs, [`nodedown ${peer.name}`]);
  t.equal(vm.global!.whereisName(atom('peer_kvs')), undefined, 'the peer\'s global name went with it');
  t.equal(await vm.ping(peer), 'pang');
});
