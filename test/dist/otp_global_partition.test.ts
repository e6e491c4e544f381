/**
 * A visible beamjs node in OTP 25's global partition (global.ts speaks global's protocol).
 *
 * Two nodes: names registered on each side before the connection are seen on both after it;
 * global:sync() on erl returns ok; a name clash is resolved by random_exit_name on the node
 * with the smaller name — run twice, once with beamjs deciding (erl's holder is killed) and
 * once with erl deciding (beamjs's holder is killed); after the sync, erl's register_name /
 * unregister_name reach beamjs, beamjs's register_name reaches erl, and a name goes from both
 * sides when its holder exits. erl logs nothing but the conflict line of its own resolution.
 *
 * Three nodes: erl A and erl B connected; beamjs connects to A only; global makes it connect
 * to B too (in_sync), B's global:sync() returns ok and B sees beamjs's name, beamjs sees B's.
 *
 * {global, Name} servers: erl's gen_server:call({global, js_counter}, …) reaches a beamjs
 * gen_server named {global, js_counter}, and beamjs's GenServer.call of {global, erl_srv} reaches
 * a server registered globally on erl.
 *
 * Bad input: garbage, unknown casts and calls, malformed protocol messages from erl are logged
 * as global_name_server logs them and dropped; the connection and global go on.
 *
 * Lost connections (OTP 25's prevent_overlapping_partitions): erl A disconnects B, A's
 * lost_connection makes beamjs leave B as well (logged as OTP logs it); then beamjs disconnects B
 * and A, told by beamjs, leaves B.
 * Run inline here and on 2 scheduler threads by multi/otp_global_partition.test.ts.
 */
import t from 'tap';
import { VM } from '../../src/index.js';
import { EpmdServer } from '../../src/dist/index.js';
import { Atom, P, Pid, atom, format, tuple, type Term } from '../../src/term/index.js';
import { schedulerOptions } from '../support/schedulers.js';
import { shortHost, startErl, uniqueName } from './support.js';

const modules = [new URL('./fixtures/global_modules.js', import.meta.url)];

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 10000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function holder(vm: VM, name: Term): Promise<Pid> {
  const p = await vm.spawn('gtest', 'race', [vm.self, name]);
  const m = (await vm.receive(P.tuple(atom('raced'), p, P.capture('r')), 8000))!;
  if (m.r !== atom('yes')) throw new Error(`register_name(${format(name)}) answered ${format(m.r as Term)}`);
  return p;
}

/** erl's side: `W(Name)` waits for a global name; prints lines the test waits for. */
const ERL_WAIT = `W = fun Wf(N, 0) -> timeout; Wf(N, K) -> case global:whereis_name(N) of undefined -> timer:sleep(25), Wf(N, K - 1); P -> P end end, `;
const ERL_GONE = `G = fun Gf(N, 0) -> still_there; Gf(N, K) -> case global:whereis_name(N) of undefined -> gone; _ -> timer:sleep(25), Gf(N, K - 1) end end, `;
const ERL_SYNC = `Self = self(), spawn(fun() -> Self ! {sync, global:sync()} end), Sync = receive {sync, R} -> R after 8000 -> timeout end, `;

for (const decider of ['beamjs', 'erl'] as const) {
  t.test(`a visible beamjs node joins erl's global partition (clash decided by ${decider})`, async (t) => {
    const server = await EpmdServer.start({ port: 0 });
    t.teardown(() => server.close());
    // The node with the smaller name resolves a clash: choose the prefixes accordingly.
    const jsName = uniqueName(decider === 'beamjs' ? 'aajs' : 'zzjs');
    const logs: string[] = [];
    const vm = await VM.start({ ...schedulerOptions(), modules, distribution: { name: jsName, cookie: 'gp', epmdPort: server.port, startEpmd: false, log: (level, text) => void logs.push(`${level}: ${text}`) }, logger: false });
    t.teardown(() => vm.stop());
    const jsPid = await holder(vm, atom('js_name'));
    const jsClash = await holder(vm, atom('clash'));
    const erl = startErl(t, {
      sname: uniqueName('mmerl'), cookie: 'gp', epmdPort: server.port, maxMs: 40000,
      eval: ERL_WAIT + ERL_GONE +
        `yes = global:register_name(erl_name, self()), ` +
        `Clash = spawn(fun() -> receive stop -> ok end end), yes = global:register_name(clash, Clash), ` +
        `pong = net_adm:ping('${vm.node.name}'), ` + ERL_SYNC +
        `JsPid = W(js_name, 400), ` +
        `io:format("SYNC ~p ~p ~p~n", [Sync, node(JsPid), global:whereis_name(clash) =:= Clash]), ` +
        `Later = spawn(fun() -> receive stop -> ok end end), yes = global:register_name(erl_later, Later), io:format("LATER ~p~n", [Later]), ` +
        `JsLater = W(js_later, 400), io:format("JSLATER ~p~n", [node(JsLater)]), ` +
        `Later ! stop, global:unregister_name(erl_name), io:format("UNREG~n"), ` +
        `io:format("JSGONE ~p~n", [G(js_name, 400)]), ` +
        `io:format("NAMES ~p~n", [lists:sort(global:registered_names())]), ` +
        `receive after 300 -> ok end, halt().`,
    });
    const synced = await erl.waitFor(/SYNC (\S+) (\S+) (\S+)\n/, 20000);
    t.equal(synced[1], 'ok', "erl's global:sync() returns ok");
    t.equal(synced[2].replace(/'/g, ''), vm.node.name, "erl sees beamjs's name, on beamjs");
    const syncer = await vm.spawn('gtest', 'sync', [vm.self]);
    t.equal(format((await vm.receive(P.tuple(atom('synced'), syncer, P.capture('r')), 15000))!.r as Term), 'ok', "a beamjs process's global:sync() returns ok");
    t.ok(vm.global!.whereisName(atom('erl_name')) instanceof Pid, "after the sync erl's name is here");
    const erlNode = (await until('erl_name here', () => vm.global!.whereisName(atom('erl_name')))).node;
    t.not(erlNode.name, vm.node.name, "beamjs sees erl's name, on erl");
    t.same([...vm.global!.known()], [erlNode], 'global knows erl');

    // The clash: random_exit_name keeps the holder on the node with the smaller name, kills the other.
    const kept = await until('clash resolved', () => {
      const p = vm.global!.whereisName(atom('clash'));
      return p !== undefined && !p.equals(jsClash) ? p : decider === 'erl' ? undefined : p;
    });
    if (decider === 'beamjs') {
      t.ok(kept.equals(jsClash), 'beamjs decided: its holder (the smaller node name) keeps the name');
      t.equal(synced[3], 'false', "and erl's table agrees");
      t.ok(logs.some((l) => /Name conflict terminating \{clash,/.test(l)), 'beamjs logged the conflict');
    } else {
      t.equal(kept.node, erlNode, "erl decided: erl's holder keeps the name");
      t.equal(synced[3], 'true', "and erl's table agrees");
      await until('the beamjs holder killed', async () => ((await vm.isProcessAlive(jsClash)) ? undefined : true));
      t.pass('the beamjs holder was killed');
    }

    // After the sync: erl registers, beamjs sees it; beamjs registers, erl sees it.
    const later = await erl.waitFor(/LATER (\S+)\n/);
    const erlLater = await until('erl_later here', () => vm.global!.whereisName(atom('erl_later')));
    t.equal(erlLater.node, erlNode, `erl's new name arrived (${later[1]})`);
    await holder(vm, atom('js_later'));
    const jsLater = await erl.waitFor(/JSLATER (\S+)\n/, 15000);
    t.not(jsLater[1], 'timeout', "beamjs's new name reached erl");
    await erl.waitFor(/UNREG\n/);
    await until('erl_name gone', () => (vm.global!.whereisName(atom('erl_name')) === undefined ? true : undefined));
    await until('erl_later gone with its holder', () => (vm.global!.whereisName(atom('erl_later')) === undefined ? true : undefined));
    t.pass("erl's unregister_name and its holder's exit removed the names here");
    vm.send(jsPid, tuple(atom('stop')));
    await until('js_name gone here when its holder stopped', () => (vm.global!.registeredNames().some((n) => n === atom('js_name')) ? undefined : true));
    t.pass('the holder\'s exit removed its name here (no look-up needed)');
    const gone = await erl.waitFor(/JSGONE (\S+)\n/, 15000);
    t.equal(gone[1], 'gone', "js_name went from erl when its holder stopped");
    const names = await erl.waitFor(/NAMES (.*)\n/);
    t.equal(names[1], '[clash,js_later]', "erl's final names");
    await erl.exited;
    const erlLog = erl.output().split('\n').filter((l) => l.trim() !== '' && !/^(SYNC|LATER|JSLATER|UNREG|JSGONE|NAMES) /.test(l + ' '));
    if (decider === 'erl') t.ok(erlLog.every((l) => /Name conflict terminating|^\s*$/.test(l) || l.startsWith('=INFO') || l.trim() === ''), `erl logged only its conflict: ${erlLog.join(' | ')}`);
    else t.same(erlLog, [], 'erl logged nothing');
    t.same(logs.filter((l) => l.startsWith('warning') || l.startsWith('error')), [], 'beamjs logged no warning');
  });
}

t.test('three nodes: beamjs connects to erl A, global brings in erl B', async (t) => {
  const server = await EpmdServer.start({ port: 0 });
  t.teardown(() => server.close());
  const vm = await VM.start({ ...schedulerOptions(), modules, distribution: { name: uniqueName('jsg3'), cookie: 'g3', epmdPort: server.port, startEpmd: false, log: () => undefined }, logger: false });
  t.teardown(() => vm.stop());
  await holder(vm, atom('js3'));
  const bName = uniqueName('erlb');
  const b = startErl(t, {
    sname: bName, cookie: 'g3', epmdPort: server.port, maxMs: 40000,
    eval: ERL_WAIT + `yes = global:register_name(b_name, self()), io:format("BUP~n"), ` +
      `JsPid = W(js3, 600), ` +
      `WN = fun WNf(0) -> false; WNf(K) -> case lists:member('${vm.node.name}', nodes()) of true -> true; false -> timer:sleep(25), WNf(K - 1) end end, Conn = WN(400), ` + ERL_SYNC +
      `io:format("B ~p ~p ~p~n", [node(JsPid), Sync, Conn]), receive after 3000 -> ok end, halt().`,
  });
  await b.waitFor(/BUP\n/, 15000);
  const aName = uniqueName('erla');
  const a = startErl(t, {
    sname: aName, cookie: 'g3', epmdPort: server.port, maxMs: 40000,
    eval: `pong = net_adm:ping('${bName}@${shortHost()}'), ok = global:sync(), io:format("AUP~n"), receive after 8000 -> ok end, halt().`,
  });
  await a.waitFor(/AUP\n/, 15000);
  const aNode = Atom.for(`${aName}@${shortHost()}`);
  t.equal(await vm.ping(aNode), 'pong');
  const bSeen = await b.waitFor(/B (\S+) (\S+) (\S+)\n/, 20000);
  t.equal(bSeen[1].replace(/'/g, ''), vm.node.name, "B sees beamjs's name");
  t.equal(bSeen[2], 'ok', "B's global:sync() returns ok");
  t.equal(bSeen[3], 'true', 'global connected B and beamjs');
  const bPid = await until('b_name here', () => vm.global!.whereisName(atom('b_name')));
  t.equal(bPid.node.name, `${bName}@${shortHost()}`, "beamjs sees B's name");
  t.same(vm.global!.known().map((n) => n.name).sort(), [aNode.name, bPid.node.name].sort(), 'global knows A and B');
});

t.test('lost connections: overlapping partitions are prevented both ways (erl reports, beamjs reports)', async (t) => {
  const server = await EpmdServer.start({ port: 0 });
  t.teardown(() => server.close());
  const logs: string[] = [];
  const vm = await VM.start({ ...schedulerOptions(), modules, distribution: { name: uniqueName('jslc'), cookie: 'lc', epmdPort: server.port, startEpmd: false, log: (level, text) => void logs.push(`${level}: ${text}`) }, logger: false });
  t.teardown(() => vm.stop());
  const bName = uniqueName('erlb');
  const bNode = Atom.for(`${bName}@${shortHost()}`);
  const b = startErl(t, { sname: bName, cookie: 'lc', epmdPort: server.port, maxMs: 60000, eval: `io:format("BUP~n"), receive stop -> ok end.` });
  await b.waitFor(/BUP\n/, 15000);
  const aName = uniqueName('erla');
  const aNode = Atom.for(`${aName}@${shortHost()}`);
  const a = startErl(t, {
    sname: aName, cookie: 'lc', epmdPort: server.port, maxMs: 60000,
    eval: `B = '${bNode.name}', pong = net_adm:ping(B), ok = global:sync(), register(ctl, self()), io:format("AUP~n"), ` +
      `Gone = fun GoneF(0) -> still_connected; GoneF(K) -> case lists:member(B, nodes()) of false -> gone; true -> timer:sleep(25), GoneF(K - 1) end end, ` +
      `receive disconnect_b -> true = erlang:disconnect_node(B), io:format("ADISC~n") end, ` +
      `receive reconnect_b -> pong = net_adm:ping(B), ok = global:sync(), io:format("ARECON~n") end, ` +
      `receive watch_b -> io:format("AWATCH ~p~n", [Gone(400)]) end, ` +
      `receive stop -> ok end.`,
  });
  await a.waitFor(/AUP\n/, 15000);
  t.equal(await vm.ping(aNode), 'pong');
  await until('beamjs connected to B by global', () => (vm.nodes().includes(bNode) ? true : undefined));
  await vm.global!.sync();
  t.same(vm.global!.known().map((n) => n.name).sort(), [aNode.name, bNode.name].sort(), 'one partition of three');

  // erl A drops B: A's global tells us (lost_connection); we leave B too, as OTP's nodes do.
  vm.send(tuple(atom('ctl'), aNode), atom('disconnect_b'));
  await a.waitFor(/ADISC\n/);
  await until('beamjs left B', () => (vm.nodes().includes(bNode) ? undefined : true));
  // (B reports losing A as well, so we may leave A for a moment too: OTP's nodes do the same.)
  t.notOk(vm.global!.known().includes(bNode), 'B left our partition');
  t.ok(logs.some((l) => l.includes(`requested disconnect from node ${bNode.name} in order to prevent overlapping partitions`)), 'logged as OTP logs it');

  // B reports losing A too, so we may have left A (and A us) as well: let that settle, and be
  // in one partition with A again before the next step.
  await new Promise((r) => setTimeout(r, 1000));
  await until('back in a partition with A', async () => ((await vm.ping(aNode)) === 'pong' && vm.global!.known().includes(aNode) ? true : undefined), 15000);
  // A reconnects B; global brings B back to us; then we drop B: A is told and drops B too.
  vm.send(tuple(atom('ctl'), aNode), atom('reconnect_b'));
  await a.waitFor(/ARECON\n/, 15000);
  await until('B back in our partition', () => (vm.global!.known().includes(bNode) && vm.nodes().includes(bNode) ? true : undefined), 15000);
  t.equal(vm.distribution!.disconnect(bNode), true);
  vm.send(tuple(atom('ctl'), aNode), atom('watch_b'));
  const watched = await a.waitFor(/AWATCH (\S+)\n/, 15000);
  t.equal(watched[1], 'gone', 'erl A left B when beamjs reported the lost connection');
  t.match(a.output(), /'global' at node \S+ requested disconnect from node \S+ in order to prevent overlapping partitions/, "A's global acted on our lost_connection");
  vm.send(tuple(atom('ctl'), aNode), atom('stop'));
  b.child.kill('SIGKILL');
});

t.test('malformed global messages from a peer are logged and dropped; global goes on', async (t) => {
  const server = await EpmdServer.start({ port: 0 });
  t.teardown(() => server.close());
  const logs: string[] = [];
  const vm = await VM.start({ ...schedulerOptions(), modules, distribution: { name: uniqueName('jsbad'), cookie: 'gb', epmdPort: server.port, startEpmd: false, log: (level, text) => void logs.push(`${level}: ${text}`) }, logger: false });
  t.teardown(() => vm.stop());
  const js = vm.node.name;
  const erlName = uniqueName('erlbad');
  const erl = startErl(t, {
    sname: erlName, cookie: 'gb', epmdPort: server.port, maxMs: 30000,
    eval: `JS = '${js}', pong = net_adm:ping(JS), ok = global:sync(), GS = {global_name_server, JS}, ` +
      `GS ! garbage, GS ! {lost_connection, 1, 2, 3, 4}, GS ! {init_connect_ack, 1, 2, 3}, ` +
      `gen_server:cast(GS, {init_connect, bad, x, y}), gen_server:cast(GS, {lock_set, notapid, true, [], 1}), ` +
      `gen_server:cast(GS, {exchange, JS, notalist, [], 1}), gen_server:cast(GS, {new_nodes, x, notalist, [], y, []}), gen_server:cast(GS, 42), ` +
      `{'EXIT', {timeout, _}} = (catch gen_server:call(GS, {set_lock, not_a_lock}, 300)), ` +
      `yes = global:register_name(after_garbage, self()), io:format("REGISTERED~n"), receive after 5000 -> ok end, halt().`,
  });
  await erl.waitFor(/REGISTERED\n/, 20000);
  const pid = await until('after_garbage here', () => vm.global!.whereisName(atom('after_garbage')));
  t.not(pid.node.name, js, "erl's registration after the garbage reached beamjs");
  t.ok(logs.some((l) => /unexpected message.*garbage/.test(l)), 'a plain garbage message is logged');
  t.ok(logs.some((l) => /handle_cast\(42, _\)/.test(l)), 'an unknown cast is logged');
  t.ok(logs.some((l) => /illegal global protocol message/.test(l)), 'a bad init_connect is logged');
  t.ok(logs.some((l) => /handle_call\(\{set_lock,not_a_lock\}/.test(l)), 'a bad call is logged (and, as global, not answered)');
  t.equal(await vm.ping(Atom.for(`${erlName}@${shortHost()}`)), 'pong', 'the connection is still up');
});

t.test('{global, Name} servers across erl and beamjs: gen_server calls both ways', async (t) => {
  const server = await EpmdServer.start({ port: 0 });
  t.teardown(() => server.close());
  const vm = await VM.start({ ...schedulerOptions(), modules, distribution: { name: uniqueName('jsgs'), cookie: 'gs', epmdPort: server.port, startEpmd: false, log: () => undefined }, logger: false });
  t.teardown(() => vm.stop());
  const counter = await vm.spawn('gtest', 'start', [vm.self, atom('js_counter')]);
  t.match(format((await vm.receive(P.tuple(atom('started'), counter, P.capture('r')), 8000))!.r as Term), /^\{ok,/);
  const erl = startErl(t, {
    sname: uniqueName('erlgs'), cookie: 'gs', epmdPort: server.port, maxMs: 30000,
    eval: ERL_WAIT +
      // A server speaking the gen_server call protocol by hand, registered globally.
      `Srv = spawn(fun Loop() -> receive {'$gen_call', {From, Tag}, Req} -> From ! {Tag, {erl_reply, Req}}, Loop() end end), ` +
      `yes = global:register_name(erl_srv, Srv), pong = net_adm:ping('${vm.node.name}'), ` + ERL_SYNC +
      `_ = W(js_counter, 400), ok = gen_server:call({global, js_counter}, inc), ok = gen_server:call({global, js_counter}, inc), ` +
      `io:format("ERLCALLS ~p ~p ~p~n", [Sync, gen_server:call({global, js_counter}, get), gen_server:call({global, js_counter}, where)]), ` +
      `receive after 4000 -> ok end, halt().`,
  });
  const calls = await erl.waitFor(/ERLCALLS (\S+) (\S+) (\S+)\n/, 20000);
  t.equal(calls[1], 'ok', 'synced');
  t.equal(calls[2], '2', "erl's gen_server:call({global, js_counter}, ...) reached the beamjs server twice");
  t.equal(calls[3].replace(/'/g, ''), vm.node.name, 'and it runs on beamjs');
  await until('erl_srv here', () => vm.global!.whereisName(atom('erl_srv')));
  const c = await vm.spawn('gtest', 'call', [vm.self, atom('erl_srv'), atom('hello')]);
  t.equal(format((await vm.receive(P.tuple(atom('called'), c, P.capture('r')), 8000))!.r as Term), '{erl_reply,hello}', "beamjs's GenServer.call({global, erl_srv}) reached the erl server");
});
