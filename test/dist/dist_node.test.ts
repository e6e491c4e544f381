/**
 * DistNode against real erl nodes (OTP 25) over loopback: net_adm:ping from erl answers pong,
 * our ping answers pong/pang, nodes() and nodeup/nodedown on both sides, a wrong cookie refused
 * and logged on both sides, messages both ways ({Name, Node} ! Msg from erl, a send to an erl
 * registered name from us, with pids and refs of both nodes surviving the round trip), a killed
 * peer detected (nodedown), disconnect_node. Each test runs its own epmd on a free port.
 */
import t from 'tap';
import { DistNode, type LocalSide } from '../../src/dist/dist_node.js';
import type { Control } from '../../src/dist/control.js';
import { EpmdServer } from '../../src/dist/epmd_server.js';
import { Atom, Pid, Tuple, atom, tuple, type Term } from '../../src/term/index.js';
import { shortHost, startErl, uniqueName, type Teardown } from './support.js';

async function ourEpmd(t: Teardown): Promise<number> {
  const server = await EpmdServer.start({ port: 0 });
  t.teardown(() => server.close());
  return server.port;
}

class Inbox implements LocalSide {
  readonly got: { peer: Atom; control: Control }[] = [];
  readonly downs: { peer: Atom; reason: string }[] = [];
  #waiters: (() => void)[] = [];
  incoming(peer: Atom, control: Control): void {
    this.got.push({ peer, control });
    for (const w of this.#waiters.splice(0)) w();
  }
  nodeDown(peer: Atom, reason: string): void {
    this.downs.push({ peer, reason });
    for (const w of this.#waiters.splice(0)) w();
  }
  unreachable(): void {}
  async until<T>(f: () => T | undefined, ms = 8000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = f();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error('timed out waiting');
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
}

async function startNode(t: Teardown, epmdPort: number, cookie: string, extra: Partial<Parameters<typeof DistNode.start>[0]> = {}): Promise<{ node: DistNode; inbox: Inbox; logs: string[] }> {
  const logs: string[] = [];
  const node = await DistNode.start({ name: uniqueName('js'), cookie, epmdPort, startEpmd: false, log: (_l, text) => logs.push(text), ...extra });
  t.teardown(() => node.stop());
  const inbox = new Inbox();
  node.attach(inbox);
  return { node, inbox, logs };
}

t.test('erl pings us (pong), we see nodeup; we ping erl (pong) and a missing node (pang)', async (t) => {
  const epmd = await ourEpmd(t);
  const { node, logs } = await startNode(t, epmd, 'c1');
  const ups: string[] = [];
  node.onNodeEvent((e) => ups.push(`${e.kind} ${e.node.name}`));
  const sname = uniqueName('erl');
  const erl = startErl(t, {
    sname, cookie: 'c1', epmdPort: epmd,
    eval: `R = net_adm:ping('${node.name.name}'), io:format("PING ~p ~p~n", [R, nodes()]), receive stop -> ok after 20000 -> ok end, halt().`,
  });
  const m = await erl.waitFor(/PING (\w+) \[(.*?)\]/);
  t.equal(m[1], 'pong');
  t.equal(m[2], node.name.name, 'erl lists us in nodes()');
  const peer = Atom.for(`${sname}@${shortHost()}`);
  t.same(node.nodes().map((a) => a.name), [peer.name]);
  t.same(ups, [`nodeup ${peer.name}`]);
  t.equal(await node.ping(peer), 'pong');
  t.equal(await node.ping(Atom.for(`nosuch${process.pid}@${shortHost()}`)), 'pang');
  t.same(logs.filter((l) => /error/i.test(l)), []);
});

t.test('a wrong cookie is refused and logged on both sides', async (t) => {
  const epmd = await ourEpmd(t);
  const { node, logs } = await startNode(t, epmd, 'right');
  const sname = uniqueName('erlbad');
  const erl = startErl(t, {
    sname, cookie: 'wrong', epmdPort: epmd,
    eval: `R = net_adm:ping('${node.name.name}'), io:format("PING ~p~n", [R]), receive stop -> ok after 20000 -> ok end, halt().`,
  });
  t.equal((await erl.waitFor(/PING (\w+)/))[1], 'pang');
  t.match(logs.join('\n'), /Connection attempt from node '.*' rejected: invalid challenge reply/);
  const peer = Atom.for(`${sname}@${shortHost()}`);
  t.equal(await node.ping(peer), 'pang', 'our ping with the wrong cookie fails too');
  t.match(logs.join('\n'), /Connection attempt to node '.*' failed/, 'logged on our side when we connect');
  await erl.waitFor(/Connection attempt (from|to) .* (disallowed|rejected|aborted)|invalid challenge|wrong cookie|\*\* Connection attempt/i).then(
    () => t.pass('erl logged the refusal'),
    () => t.fail(`erl did not log the refusal: ${erl.output()}`),
  );
  t.same(node.nodes(), []);
});

t.test('messages both ways: {Name, Node} ! Msg from erl, our reg_send to erl, pids and refs round-trip', async (t) => {
  const epmd = await ourEpmd(t);
  const { node, inbox } = await startNode(t, epmd, 'c3');
  const sname = uniqueName('erlmsg');
  const erl = startErl(t, {
    sname, cookie: 'c3', epmdPort: epmd,
    eval: `register(echo, self()), pong = net_adm:ping('${node.name.name}'), {jsbox, '${node.name.name}'} ! {hello, self(), make_ref(), <<"bin">>, [1,2.5,"str"], #{a => 1}},
      io:format("SENT~n"),
      receive {From, Ref, Term} -> From ! {echoed, Ref, Term}, io:format("ECHO ~p~n", [Term]) after 15000 -> io:format("TIMEOUT~n") end,
      receive stop -> ok after 20000 -> ok end, halt().`,
  });
  const got = await inbox.until(() => inbox.got.find((g) => g.control.kind === 'reg_send' && g.control.to === atom('jsbox')));
  const c = got.control as Extract<Control, { kind: 'reg_send' }>;
  t.equal(c.to, atom('jsbox'));
  const msg = c.message as Tuple;
  t.equal(msg.at(0), atom('hello'));
  t.ok(msg.at(1) instanceof Pid && (msg.at(1) as Pid).node.name.startsWith(sname), 'the erl pid');
  t.equal(msg.at(3), 'bin', 'a UTF-8 binary arrives as a string (the term mapping)');
  const peer = got.peer;
  const me = new Pid(node.name, 77, 3, 0);
  const ref = node.makeRef();
  node.send(peer, { kind: 'reg_send', from: me, to: atom('echo'), message: tuple(me, ref, tuple(atom('x'), [1, 2, 3])) });
  t.match((await erl.waitFor(/ECHO (.*)/))[1], /\{x,\[1,2,3\]\}/);
  const echoed = await inbox.until(() => inbox.got.find((g) => g.control.kind === 'send'));
  const e = echoed.control as Extract<Control, { kind: 'send' }>;
  t.ok(e.to.equals(me), 'erl replied to our pid, which came back with creation 0 (a local pid)');
  const body = e.message as Tuple;
  t.equal(body.at(0), atom('echoed'));
  t.ok(body.at(1) !== undefined && (body.at(1) as { equals(x: unknown): boolean }).equals(ref), 'our ref came back as the same local ref');
  t.same(body.at(2), tuple(atom('x'), [1, 2, 3]));
});

t.test('a killed erl peer is detected: nodedown and LocalSide.nodeDown', async (t) => {
  const epmd = await ourEpmd(t);
  const { node, inbox } = await startNode(t, epmd, 'c4');
  const events: string[] = [];
  node.onNodeEvent((e) => events.push(e.kind));
  const sname = uniqueName('erlkill');
  const erl = startErl(t, { sname, cookie: 'c4', epmdPort: epmd, eval: `pong = net_adm:ping('${node.name.name}'), io:format("UP~n"), receive stop -> ok after 20000 -> ok end, halt().` });
  await erl.waitFor(/UP/);
  const peer = Atom.for(`${sname}@${shortHost()}`);
  let downCalled = 0;
  node.monitorNode(peer, () => downCalled++);
  erl.child.kill('SIGKILL');
  await inbox.until(() => (inbox.downs.length > 0 ? true : undefined));
  t.equal(inbox.downs[0]!.peer, peer);
  t.same(events, ['nodeup', 'nodedown']);
  t.equal(downCalled, 1, 'monitor_node fired once');
  t.same(node.nodes(), []);
});

t.test('a silent peer is dropped after net_ticktime (net_tick_timeout)', async (t) => {
  const epmd = await ourEpmd(t);
  const { node, inbox } = await startNode(t, epmd, 'c5', { netTicktime: 1 });
  const sname = uniqueName('erlstop');
  const erl = startErl(t, { sname, cookie: 'c5', epmdPort: epmd, extra: ['-kernel', 'net_ticktime', '60'], eval: `pong = net_adm:ping('${node.name.name}'), io:format("UP ~s~n", [os:getpid()]), receive stop -> ok after 20000 -> ok end, halt().` });
  const pid = Number((await erl.waitFor(/UP (\d+)/))[1]);
  process.kill(pid, 'SIGSTOP'); // erl stops answering, its socket stays open
  t.teardown(() => {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      /* gone */
    }
  });
  const start = Date.now();
  await inbox.until(() => (inbox.downs.length > 0 ? true : undefined), 5000);
  t.equal(inbox.downs[0]!.reason, 'net_tick_timeout');
  t.ok(Date.now() - start < 2500, `detected within ~ticktime (${Date.now() - start} ms)`);
});

t.test('disconnect_node closes the connection; erl sees nodedown; the next send reconnects', async (t) => {
  const epmd = await ourEpmd(t);
  const { node, inbox } = await startNode(t, epmd, 'c6');
  const sname = uniqueName('erldisc');
  const erl = startErl(t, {
    sname, cookie: 'c6', epmdPort: epmd,
    eval: `register(box, self()), net_kernel:monitor_nodes(true), pong = net_adm:ping('${node.name.name}'), io:format("UP~n"),
      receive {nodedown, N} -> io:format("DOWN ~p~n", [N]) after 10000 -> io:format("NODOWN~n") end,
      receive {again, X} -> io:format("AGAIN ~p~n", [X]) after 10000 -> io:format("NOAGAIN~n") end,
      receive stop -> ok after 5000 -> ok end, halt().`,
  });
  await erl.waitFor(/UP/);
  const peer = Atom.for(`${sname}@${shortHost()}`);
  t.equal(node.disconnect(peer), true);
  t.equal(node.disconnect(peer), false, 'false when not connected');
  t.match((await erl.waitFor(/DOWN (\S+)/))[1], node.name.name);
  node.send(peer, { kind: 'reg_send', from: node.netKernelPid, to: atom('box'), message: tuple(atom('again'), 42) });
  t.equal((await erl.waitFor(/AGAIN (\d+)/))[1], '42');
  t.equal(inbox.downs.length, 1, 'one nodedown: the disconnect (erl stays up until the test ends)');
});

t.test('two beamjs nodes: ping, hidden node listed by nodes(hidden), simultaneous connect ends with one connection', async (t) => {
  const epmd = await ourEpmd(t);
  const a = await startNode(t, epmd, 'c7');
  const b = await startNode(t, epmd, 'c7');
  const h = await startNode(t, epmd, 'c7', { hidden: true });
  const [pa, pb] = await Promise.all([a.node.ping(b.node.name), b.node.ping(a.node.name)]);
  t.same([pa, pb], ['pong', 'pong'], 'simultaneous pings both succeed');
  t.same(a.node.nodes(), [b.node.name]);
  t.same(b.node.nodes(), [a.node.name]);
  t.equal(await h.node.ping(a.node.name), 'pong');
  t.same(a.node.nodes('hidden'), [h.node.name]);
  t.same(a.node.nodes(), [b.node.name], 'the hidden node is not in nodes()');
  t.same(h.node.nodes('hidden'), [a.node.name]);
  void ({} as Term);
});
