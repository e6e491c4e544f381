/**
 * A beamjs VM as an Erlang node, against real erl 25 nodes over loopback: the seeds' two-node
 * programs (ping/pang; the kvs name server with rpc:call in both directions), erpc and rpc from
 * erl into beamjs exports with Erlang's results, {Name, Node} ! Msg, links and monitors across
 * nodes with exit propagation and noconnection when the erl node is killed, remote spawn
 * (spawn_request) from erl. Run inline here and on 2 scheduler threads by multi/vm_dist.test.ts.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VM } from '../../src/index.js';
import { EpmdServer } from '../../src/dist/epmd_server.js';
import { Atom, P, Pid, atom, format, tuple, type Term } from '../../src/term/index.js';
import { schedulerOptions } from '../support/schedulers.js';
import { shortHost, startErl, uniqueName, type Teardown } from './support.js';

const modules = [new URL('./fixtures/dist_modules.js', import.meta.url), new URL('../../src/examples/kvs.js', import.meta.url)];
const erlDir = fs.mkdtempSync(path.join(os.tmpdir(), 'beamjs-dist-'));
execFileSync('erlc', ['-o', erlDir, new URL('../../../test/dist/fixtures/kvs.erl', import.meta.url).pathname]);
t.teardown(() => fs.rmSync(erlDir, { recursive: true, force: true }));

async function start(t: Teardown, cookie: string): Promise<{ vm: VM; epmd: number; logs: string[] }> {
  const server = await EpmdServer.start({ port: 0 });
  t.teardown(() => server.close());
  const logs: string[] = [];
  const vm = await VM.start({
    ...schedulerOptions(),
    modules,
    distribution: { name: uniqueName('js'), cookie, epmdPort: server.port, startEpmd: false, log: (_l, text) => logs.push(text) },
    logger: (_l, text) => logs.push(text),
  });
  t.teardown(() => vm.stop());
  return { vm, epmd: server.port, logs };
}

function erlNode(sname: string): Atom {
  return Atom.for(`${sname}@${shortHost()}`);
}

t.test('erl -> beamjs: ping pong, rpc:call of the kvs server, erpc:call results, rpc:cast, {Name, Node} ! Msg', async (t) => {
  const { vm, epmd } = await start(t, 'kv1');
  const js = vm.node.name;
  await vm.spawn('kvs', 'start', [vm.self]);
  await vm.receive(P.tuple(atom('kvs_started'), P.any), 5000);
  await vm.spawn('dtest', 'echo', [atom('jsecho'), vm.self]);
  await vm.receive(P.tuple(atom('echo_ready'), P.any), 5000);
  const erl = startErl(t, {
    sname: uniqueName('erlrpc'), cookie: 'kv1', epmdPort: epmd,
    eval: `J = '${js}', P = net_adm:ping(J),
      S = rpc:call(J, kvs, store, [weather, fine]),
      L = rpc:call(J, kvs, lookup, [weather]),
      M = rpc:call(J, kvs, lookup, [missing]),
      A = erpc:call(J, dtest, add, [40, 2]),
      B = rpc:call(J, dtest, add, [1, 2]),
      U = rpc:call(J, dtest, nosuch, [1]),
      E1 = try erpc:call(J, dtest, boom, [7]) catch C1:R1 -> {C1, R1} end,
      E2 = try erpc:call(J, dtest, quit, [bye]) catch C2:R2 -> {C2, R2} end,
      E3 = try erpc:call(J, dtest, toss, [ball]) catch C3:R3 -> {C3, R3} end,
      X = rpc:call(J, dtest, boom, [8]),
      T = rpc:call(J, dtest, toss, [tossed]),
      true = rpc:cast(J, dtest, echo, [casted, self()]),
      {jsecho, J} ! {self(), hello},
      H = receive {echo, _, Msg} -> Msg after 5000 -> none end,
      G = global:register_name(erlglob, self()), GW = (global:whereis_name(erlglob) =:= self()),
      io:format("GLOBAL ~p ~p ~p~n", [G, GW, nodes()]),
      io:format("RESULT ~p~n", [{P, S, L, M, A, B, U, E1, E2, E3, X, T, H}]),
      receive stop -> ok after 20000 -> ok end, halt().`,
  });
  const m = await erl.waitFor(/RESULT (\{.*\})\n/s, 15000);
  const text = m[1]!.replace(/\s+/g, '');
  t.match(text, /^\{pong,true,\{ok,fine\},undefined,42,3,/, 'ping, kvs store/lookup, erpc and rpc results');
  t.match(text, /\{badrpc,\{'EXIT',\{undef,\[\{dtest,nosuch,\[1\],\[\]\}\]\}\}\}/, 'rpc:call of an unknown export: badrpc EXIT undef');
  t.match(text, /\{error,\{exception,\{boom,7\},\[\{dtest,boom,1,\[\]\}\]\}\}/, 'erpc:call raises error:{exception, {boom,7}, Stack}');
  t.match(text, /\{exit,\{exception,bye\}\}/, 'erpc:call raises exit:{exception, bye}');
  t.match(text, /\{throw,ball\}/, 'erpc:call re-raises throw:ball');
  t.match(text, /\{badrpc,\{'EXIT',\{\{boom,8\},\[/, "rpc:call of a raising export: {badrpc, {'EXIT', {Reason, Stack}}}");
  t.match(text, /,tossed,/, 'rpc:call of a throwing export returns the thrown value (catch semantics)');
  t.match(text, /hello\}$/, '{Name, Node} ! Msg reached the registered beamjs process, which replied');
  t.equal(vm.nodes().length, 1, 'the erl node is in nodes()');
  t.match((await erl.waitFor(/GLOBAL (.*)\n/))[1], new RegExp(`^yes true \\['?${js}'?\\]$`), "erl's global keeps working (register/whereis) with the beamjs node connected");
  t.notMatch(erl.output().replace(/RESULT.*?hello\}\n/s, ''), /error|warning|\*\*/i, 'erl logged nothing (apart from the RESULT line)');
  t.match(vm.nodes()[0]!.name, /^erlrpc/);
  const reg = await vm.whereis(atom('casted'));
  t.ok(reg instanceof Pid, 'rpc:cast ran dtest:echo (it registered casted)');
});

t.test('beamjs -> erl: rpc.call of the erl kvs server, badrpc nodedown and timeout, ping pong/pang from a process', async (t) => {
  const { vm, epmd } = await start(t, 'kv2');
  const sname = uniqueName('erlkvs');
  const erl = startErl(t, {
    sname, cookie: 'kv2', epmdPort: epmd, extra: ['-pa', erlDir],
    eval: `kvs:start(), io:format("READY~n"), receive stop -> ok after 20000 -> ok end, halt().`,
  });
  await erl.waitFor(/READY/);
  const node = erlNode(sname);
  const rpc = async (m: string, f: string, a: Term[], timeout: number | Atom = atom('infinity'), target: Atom = node): Promise<string> => {
    await vm.spawn('dtest', 'call_out', [vm.self, target, atom(m), atom(f), a, timeout]);
    const r = await vm.receive(P.tuple(atom('rpc_result'), P.capture('r')), 10000);
    return format(r!.r as Term);
  };
  t.equal(await rpc('kvs', 'store', [atom('weather'), atom('fine')]), 'true');
  t.equal(await rpc('kvs', 'lookup', [atom('weather')]), '{ok,fine}');
  t.equal(await rpc('lists', 'reverse', [[1, 2, 3]]), '[3,2,1]');
  t.match(await rpc('erlang', 'error', [atom('oops')]), /^\{badrpc,\{'EXIT',\{oops,\[/);
  t.equal(await rpc('timer', 'sleep', [3000], 200), '{badrpc,timeout}');
  t.equal(await rpc('lists', 'reverse', [[]], atom('infinity'), Atom.for(`nosuch${process.pid}@${shortHost()}`)), '{badrpc,nodedown}');
  await vm.spawn('dtest', 'pinger', [node, vm.self]);
  t.same((await vm.receive(P.tuple(atom('ping_result'), P.capture('r')), 10000))?.r, atom('pong'));
  await vm.spawn('dtest', 'pinger', [Atom.for(`nosuch${process.pid}@${shortHost()}`), vm.self]);
  t.same((await vm.receive(P.tuple(atom('ping_result'), P.capture('r')), 10000))?.r, atom('pang'));
  t.equal(await vm.ping(node), 'pong');
  await vm.spawn('dtest', 'gs_remote', [vm.self, node]);
  const gs = (await vm.receive(P.tuple(atom('gs_remote'), P.capture('r')), 15000))?.r as Term;
  t.equal(format(gs), `[[3,2,1],{[{${format(node)},[3,2,1]}],[nosuch${process.pid}@nohost]},abcast]`, "gen_server:call({rex, Node}), multi_call and abcast reach erl's rex; an unreachable node is a bad node");
});

t.test('links and monitors across nodes: exit propagation both ways, DOWN by pid and by name, noconnection when erl is killed', async (t) => {
  const { vm, epmd } = await start(t, 'ln1');
  const js = vm.node.name;
  const sname = uniqueName('erlln');
  const waiter = await vm.spawn('dtest', 'waiter', [vm.self]);
  await vm.receive(P.tuple(atom('waiting'), P.any), 5000);
  await vm.register(atom('jswaiter'), waiter);
  const erl = startErl(t, {
    sname, cookie: 'ln1', epmdPort: epmd,
    eval: `register(erlbox, self()), process_flag(trap_exit, true), pong = net_adm:ping('${js}'),
      Victim = spawn(fun() -> receive die -> exit(boom) end end), register(victim, Victim),
      io:format("READY ~p~n", [Victim]),
      receive {link_me, JsPid} -> link(JsPid), JsPid ! linked_back end,
      Ref = erlang:monitor(process, {jswaiter, '${js}'}),
      io:format("MONITORING~n"),
      receive {'DOWN', Ref, process, Obj, Why} -> io:format("DOWN ~p ~p~n", [Obj, Why]) after 10000 -> io:format("NODOWN~n") end,
      receive {'EXIT', From, R} -> io:format("EXIT ~p ~p~n", [node(From), R]) after 10000 -> io:format("NOEXIT~n") end,
      receive stop -> ok after 20000 -> ok end, halt().`,
  });
  await erl.waitFor(/READY/);
  const node = erlNode(sname);
  // A beamjs process links to the erl victim (found by name through a watcher monitoring it by name).
  await vm.spawn('dtest', 'watcher', [tuple(atom('victim'), node), vm.self]);
  await vm.receive(P.tuple(atom('watching'), P.any, P.any), 5000);
  // Get the victim's pid: ask erl via rpc (rex).
  await vm.spawn('dtest', 'call_out', [vm.self, node, atom('erlang'), atom('whereis'), [atom('victim')], atom('infinity')]);
  const victim = (await vm.receive(P.tuple(atom('rpc_result'), P.capture('r')), 5000))!.r as Pid;
  t.ok(victim instanceof Pid && victim.node === node, 'a pid of the erl node');
  await vm.spawn('dtest', 'linker', [victim, vm.self]);
  const linker = (await vm.receive(P.tuple(atom('linked'), P.capture('p')), 5000))!.p as Pid;
  vm.send(tuple(atom('victim'), node), atom('die'));
  const exitMsg = await vm.receive(P.tuple(atom('got'), P.capture('m', P.tuple(atom('EXIT'), P.any, P.any))), 5000);
  t.equal(format(exitMsg!.m as Term), `{'EXIT',${format(victim)},boom}`, 'the trapping linker got {EXIT, Victim, boom} from the erl node');
  const gotExit = await vm.receive(P.tuple(atom('got'), P.capture('m', P.tuple(atom('DOWN'), P.any, P.any, P.any, P.any))), 5000);
  t.match(format(gotExit!.m as Term), /^\{'DOWN',#Ref<.*>,process,\{victim,'?erlln\w+@\w+'?\},boom\}$/, "'DOWN' of a monitor by {Name, Node} names {Name, Node}");
  // erl links to the beamjs linker process, then monitors jswaiter by name; the waiter exits.
  vm.send(tuple(atom('erlbox'), node), tuple(atom('link_me'), linker));
  await vm.receive(P.tuple(atom('got'), atom('linked_back')), 5000);
  await erl.waitFor(/MONITORING/);
  vm.send(waiter, tuple(atom('stop'), atom('finished')));
  t.match((await erl.waitFor(/DOWN (.*)\n/))[1], /\{jswaiter,'?js\w+@\w+'?\} finished/, "erl's monitor by name saw the beamjs exit reason");
  await vm.exit(linker, atom('kill'));
  t.match((await erl.waitFor(/EXIT (\S+) (\S+)\n/))[2], /killed/, 'the beamjs link exit reached erl as killed');
  // Now monitors and a link to erl processes, then the erl node is killed: noconnection.
  await vm.spawn('dtest', 'watcher', [tuple(atom('erlbox'), node), vm.self]);
  await vm.receive(P.tuple(atom('watching'), P.any, P.any), 5000);
  await vm.spawn('dtest', 'call_out', [vm.self, node, atom('erlang'), atom('whereis'), [atom('erlbox')], atom('infinity')]);
  const box = (await vm.receive(P.tuple(atom('rpc_result'), P.capture('r')), 5000))!.r as Pid;
  await vm.spawn('dtest', 'linker', [box, vm.self]);
  await vm.receive(P.tuple(atom('linked'), P.any), 5000);
  erl.child.kill('SIGKILL');
  const seen: string[] = [];
  for (let i = 0; i < 2; i++) {
    const g = await vm.receive(P.tuple(atom('got'), P.capture('m')), 8000);
    seen.push(format(g!.m as Term));
  }
  t.ok(seen.some((s) => /^\{'DOWN',#Ref<.*>,process,\{erlbox,'?erlln\w+@\w+'?\},noconnection\}$/.test(s)), `DOWN noconnection: ${seen.join(' ')}`);
  t.ok(seen.some((s) => /^\{'EXIT',<\d+\.\d+\.\d+>,noconnection\}$/.test(s)), `EXIT noconnection: ${seen.join(' ')}`);
  t.same(vm.nodes(), []);
});

t.test('spawn on a beamjs node from erl (spawn_request): the pid, link and monitor options, the exit reason', async (t) => {
  const { vm, epmd } = await start(t, 'sp1');
  const js = vm.node.name;
  const erl = startErl(t, {
    sname: uniqueName('erlsp'), cookie: 'sp1', epmdPort: epmd,
    eval: `process_flag(trap_exit, true), J = '${js}',
      {Pid, Ref} = spawn_monitor(J, dtest, quit, [done]),
      D = receive {'DOWN', Ref, process, Pid, R} -> R after 5000 -> none end,
      L = spawn_link(J, dtest, boom, [1]),
      E = receive {'EXIT', L, R2} -> R2 after 5000 -> none end,
      io:format("SPAWN ~p ~p ~p~n", [node(Pid), D, E]), receive stop -> ok after 20000 -> ok end, halt().`,
  });
  const m = await erl.waitFor(/SPAWN (\S+) (\S+) (.*)\n/, 15000);
  const node = vm.nodes()[0]!;
  // And the other way: a beamjs process spawns on the erl node (spawn_request from beamjs).
  await vm.spawn('dtest', 'spawner', [node, atom('timer'), atom('sleep'), [50], false, true, vm.self]);
  const s1 = (await vm.receive(P.tuple(atom('spawned'), P.capture('r')), 8000))!.r as Term;
  t.match(format(s1), /^\{<\d+\.\d+\.\d+>,#Ref<[\d.]+>\}$/, 'spawn_opt(Node, M, F, A, [monitor]) gives {Pid, Ref}');
  const d1 = (await vm.receive(P.tuple(atom('got'), P.capture('m')), 8000))!.m as Term;
  t.match(format(d1), /^\{'DOWN',#Ref<[\d.]+>,process,<\d+\.\d+\.\d+>,normal\}$/, "the remote process's 'DOWN' normal");
  await vm.spawn('dtest', 'spawner', [node, atom('erlang'), atom('exit'), [atom('bye')], true, false, vm.self]);
  const p2 = (await vm.receive(P.tuple(atom('spawned'), P.capture('r')), 8000))!.r as Pid;
  t.ok(p2 instanceof Pid && p2.node === node, 'a pid on the erl node');
  const e2 = (await vm.receive(P.tuple(atom('got'), P.capture('m')), 8000))!.m as Term;
  t.equal(format(e2), `{'EXIT',${format(p2)},bye}`, 'spawn_link on the erl node: the exit reason arrives through the link');
  t.equal(m[1], js.includes('@') ? (js.match(/^[a-z0-9_]+@[a-z0-9_]+$/) ? js : `'${js}'`) : js);
  t.equal(m[2], 'done');
  t.match(m[3], /^\{\{boom,1\},\[/, 'the linked process crashed with {{boom,1}, Stack}');
});
