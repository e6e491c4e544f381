/**
 * erpc:call, spawn to an unreachable node and timers to remote pids from beamjs processes,
 * differential against real erl 25: one erl node runs each erpc case itself (erpc:call(node(),
 * M, F, A, Timeout): a Timeout other than infinity takes erpc's SPAWN_REQUEST path even to
 * node()) and prints {Class, Reason}; beamjs runs the same cases against that erl node and
 * must print the same. Then erpc:call to a beamjs peer (a child node) with the same classes
 * (and exit:{signal, killed} for a call killed by an exit signal, error:{erpc, noconnection}
 * when the peer dies during the call),
 * spawn/spawn_link/spawn_monitor to a node epmd does not know (a local pid that exits with
 * noconnection at once, as erl's spawn does; erl's answer printed for comparison; the same
 * when the node is stopped and killed before it answers), and
 * send_after/start_timer to a remote pid, and send_after to {Name, Node}: badarg in erl (OTP 25)
 * and in beamjs.
 * Last, a VM without distribution against erl without it: erpc:call to another node is
 * error:{erpc, noconnection}, spawn_link to it a local pid whose exit is noconnection.
 * Run inline here and on 2 scheduler threads by multi/erpc_spawn.test.ts.
 */
import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { VM } from '../../src/index.js';
import { EpmdServer } from '../../src/dist/index.js';
import { Atom, P, Pid, Tuple, atom, format, tuple, type Term } from '../../src/term/index.js';
import { schedulerOptions } from '../support/schedulers.js';
import { shortHost, startErl, uniqueName, type Teardown } from './support.js';

const modules = [new URL('./fixtures/gaps_modules.js', import.meta.url), new URL('./fixtures/dist_modules.js', import.meta.url)];

async function start(t: Teardown, cookie: string): Promise<{ vm: VM; epmd: number }> {
  const server = await EpmdServer.start({ port: 0 });
  t.teardown(() => server.close());
  const vm = await VM.start({
    ...schedulerOptions(),
    modules,
    // A long net_setuptime: an answer about an unreachable node must not wait for it.
    distribution: { name: uniqueName('jsgap'), cookie, epmdPort: server.port, startEpmd: false, setupTimeMs: 60000, log: () => undefined },
    logger: false,
  });
  t.teardown(() => vm.stop());
  return { vm, epmd: server.port };
}

/** One erpc case: M, F, A, Timeout (ms). */
type ErpcCase = readonly [string, string, string, number];

const cases: readonly ErpcCase[] = [
  ['lists', 'reverse', '[[1,2,3]]', 5000],
  ['erlang', 'throw', '[tossed]', 5000],
  ['erlang', 'exit', '[bye]', 5000],
  ['erlang', 'error', '[oops]', 5000],
  ['nosuchmod', 'f', '[]', 5000],
  ['timer', 'sleep', '[3000]', 200],
  ['lists', 'reverse', '[[]]', -1],
];

function argsOf(text: string): Term[] {
  const table: Record<string, Term[]> = { '[[1,2,3]]': [[1, 2, 3]], '[tossed]': [atom('tossed')], '[bye]': [atom('bye')], '[oops]': [atom('oops')], '[]': [], '[3000]': [3000], '[[]]': [[]] };
  return table[text]!;
}

/** beamjs's format and erl's ~w differ only in spaces (maps: `#{k => v}` against `#{k=>v}`). */
function squeeze(text: string): string {
  return text.replace(/\s+/g, '');
}

t.test('erpc:call from beamjs to erl matches erl itself: value, throw, exit, error, undef, timeout, badarg, noconnection', async (t) => {
  const { vm, epmd } = await start(t, 'gap1');
  const nowhere = `nosuch${process.pid}@${shortHost()}`;
  const sname = uniqueName('erlgap');
  const list = cases.map(([m, f, a, timeout]) => `{${m}, ${f}, ${a}, ${timeout}}`).join(', ');
  const erl = startErl(t, {
    sname, cookie: 'gap1', epmdPort: epmd, maxMs: 40000,
    eval: `Run = fun(N, {M, F, A, T}) -> try {ok, erpc:call(N, M, F, A, T)} catch C:R -> {C, R} end end,
      Self = [Run(node(), C) || C <- [${list}]],
      Nowhere = Run('${nowhere}', {lists, reverse, [[]], 5000}),
      io:format("ERPC ~w~n", [Self ++ [Nowhere]]),
      register(gapt, self()), io:format("READY~n"),
      receive {js, J} ->
        R1 = (catch erlang:send_after(50, J, hi)), R2 = (catch erlang:start_timer(50, J, hi)),
        R3 = (catch erlang:send_after(50, {js_name, node(J)}, hi)),
        J ! {erl_timers, self(), [element(1, element(2, R)) || R <- [R1, R2, R3]]}
      end,
      receive stop -> ok after 30000 -> ok end, halt().`,
  });
  const erlLine = (await erl.waitFor(/ERPC (.*)\n/, 20000))[1]!;
  await erl.waitFor(/READY/);
  const peer = Atom.for(`${sname}@${shortHost()}`);
  const ours: string[] = [];
  const run = async (target: Atom, m: string, f: string, a: Term[], timeout: number): Promise<string> => {
    await vm.spawn('gaps', 'erpc_out', [vm.self, target, atom(m), atom(f), a, timeout]);
    const r = (await vm.receive(P.tuple(atom('erpc'), P.capture('c'), P.capture('v')), 20000))!;
    return `{${format(r.c as Term)},${format(r.v as Term)}}`;
  };
  for (const [m, f, a, timeout] of cases) ours.push(await run(peer, m, f, argsOf(a), timeout));
  ours.push(await run(Atom.for(nowhere), 'lists', 'reverse', [[]], 5000));
  t.equal(squeeze(`[${ours.join(',')}]`), squeeze(erlLine), 'the same {Class, Reason} for every case');
  // Spelled out, so that a shared mistake on both sides cannot pass unseen.
  t.equal(ours[0], '{ok,[3,2,1]}');
  t.equal(ours[1], '{throw,tossed}', 'a remote throw is thrown in the caller');
  t.equal(ours[2], '{exit,{exception,bye}}');
  t.match(ours[3]!, /^\{error,\{exception,oops,\[\{erlang,error,\[oops\],/);
  t.equal(ours[4], '{error,{exception,undef,[{nosuchmod,f,[],[]}]}}');
  t.equal(ours[5], '{error,{erpc,timeout}}');
  t.equal(ours[6], '{error,{erpc,badarg}}', 'a negative timeout');
  t.equal(ours[7], '{error,{erpc,noconnection}}');

  // send_after / start_timer to a pid of another node: badarg in erl (OTP 25) and here.
  vm.send(tuple(atom('gapt'), peer), tuple(atom('js'), vm.self));
  const erlTimers = (await vm.receive(P.tuple(atom('erl_timers'), P.capture('erl', P.pid), P.capture('r')), 10000))!;
  t.equal(format(erlTimers.r as Term), '[badarg,badarg,badarg]', 'erl refuses a timer to a remote pid or {Name, Node}');
  await vm.spawn('gaps', 'timers_to', [vm.self, erlTimers.erl as Pid, tuple(atom('gapt'), peer)]);
  t.equal(format((await vm.receive(P.tuple(atom('timers'), P.capture('r')), 10000))!.r as Term), '[badarg,badarg,badarg]', 'beamjs refuses them the same way');
  vm.send(erlTimers.erl as Pid, atom('stop'));
});

t.test('erpc:call from beamjs to a beamjs peer: the same classes as erpc.erl, a killed call, the peer lost', async (t) => {
  const { vm, epmd } = await start(t, 'gap2');
  const child = spawn(process.execPath, [new URL('./fixtures/peer_node.js', import.meta.url).pathname, uniqueName('jsgb'), 'gap2', String(epmd)], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  const peer = await new Promise<Atom>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`peer node did not start: ${out}`)), 15000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /READY (\S+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Atom.for(m[1]!));
      }
    });
  });
  const run = async (m: string, f: string, a: Term[], timeout = 8000): Promise<string> => {
    await vm.spawn('gaps', 'erpc_out', [vm.self, peer, atom(m), atom(f), a, timeout]);
    const r = (await vm.receive(P.tuple(atom('erpc'), P.capture('c'), P.capture('v')), 20000))!;
    return `{${format(r.c as Term)},${format(r.v as Term)}}`;
  };
  t.equal(await run('dtest', 'add', [2, 3]), '{ok,5}');
  t.equal(await run('dtest', 'toss', [atom('x')]), '{throw,x}', 'a remote throw is thrown in the caller');
  t.equal(await run('dtest', 'quit', [atom('bye')]), '{exit,{exception,bye}}');
  t.match(await run('dtest', 'boom', [1]), /^\{error,\{exception,\{boom,1\},\[.*\]\}\}$/);
  t.equal(await run('nosuchmod', 'f', []), '{error,{exception,undef,[{nosuchmod,f,[],[]}]}}');
  t.equal(await run('kvs', 'store', [atom('k'), atom('v')]), '{ok,true}');
  // erpc:call to node() runs in the caller, with erpc's classes.
  await vm.spawn('gaps', 'erpc_out', [vm.self, vm.node, atom('dtest'), atom('quit'), [atom('here')], atom('infinity')]);
  const local = (await vm.receive(P.tuple(atom('erpc'), P.capture('c'), P.capture('v')), 10000))!;
  t.equal(`{${format(local.c as Term)},${format(local.v as Term)}}`, '{exit,{exception,here}}');
  // The remote process killed by an exit signal: exit:{signal, killed}.
  const answer = async (): Promise<string> => {
    const r = (await vm.receive(P.tuple(atom('erpc'), P.capture('c'), P.capture('v')), 20000))!;
    return `{${format(r.c as Term)},${format(r.v as Term)}}`;
  };
  await vm.spawn('gaps', 'erpc_out', [vm.self, peer, atom('dtest'), atom('waiter'), [vm.self], atom('infinity')]);
  const killed = (await vm.receive(P.tuple(atom('waiting'), P.capture('pid')), 10000))!.pid as Pid;
  t.equal(killed.node, peer, 'the call runs on the peer');
  await vm.exit(killed, atom('kill'));
  t.equal(await answer(), '{exit,{signal,killed}}');
  // The peer goes during a call: error:{erpc, noconnection}.
  await vm.spawn('gaps', 'erpc_out', [vm.self, peer, atom('dtest'), atom('waiter'), [vm.self], atom('infinity')]);
  await vm.receive(P.tuple(atom('waiting'), P.any), 10000);
  child.kill('SIGKILL');
  t.equal(await answer(), '{error,{erpc,noconnection}}', 'the connection lost during the call');
});

t.test('spawn to a node that cannot be reached (or goes before it answers): a local pid that exits with noconnection, as in erl', async (t) => {
  const { vm, epmd } = await start(t, 'gap3');
  const nowhere = `nosuch${process.pid}@${shortHost()}`;
  const erl = startErl(t, {
    sname: uniqueName('erlgsp'), cookie: 'gap3', epmdPort: epmd,
    eval: `process_flag(trap_exit, true), N = '${nowhere}',
      L = spawn_link(N, lists, reverse, [[]]),
      E = receive {'EXIT', L, R} -> R after 10000 -> none end,
      {P, Ref} = spawn_monitor(N, lists, reverse, [[]]),
      D = receive {'DOWN', Ref, process, P, R2} -> R2 after 10000 -> none end,
      Q = spawn(N, lists, reverse, [[]]),
      RId = spawn_request(N, lists, reverse, [[]], []),
      S = receive {spawn_reply, RId, error, R3} -> R3 after 10000 -> none end,
      io:format("SPAWN ~w ~w ~w ~w ~w ~w~n", [node(L) =:= node(), E, node(P) =:= node(), D, node(Q) =:= node(), S]), halt().`,
  });
  const m = await erl.waitFor(/SPAWN (.*)\n/, 20000);
  t.equal(m[1], 'true noconnection true noconnection true noconnection', "erl's spawn to an unknown node");
  const target = Atom.for(nowhere);
  const reason = async (): Promise<string> => format((await vm.receive(P.tuple(atom('got'), P.capture('m')), 15000))!.m as Term);

  await vm.spawn('gaps', 'spawn_out', [vm.self, target, atom('lists'), atom('reverse'), [[]], true, false]);
  const linked = (await vm.receive(P.tuple(atom('spawned'), P.capture('r'), P.capture('local')), 15000))!;
  t.equal(linked.local, true, 'spawn_link: a local pid');
  t.equal(await reason(), `{'EXIT',${format(linked.r as Term)},noconnection}`, 'its exit through the link is noconnection');

  await vm.spawn('gaps', 'spawn_out', [vm.self, target, atom('lists'), atom('reverse'), [[]], false, true]);
  const monitored = (await vm.receive(P.tuple(atom('spawned'), P.capture('r'), P.capture('local')), 15000))!;
  t.equal(monitored.local, true, 'spawn_monitor: a local pid');
  const [pid, ref] = [(monitored.r as Tuple).at(0), (monitored.r as Tuple).at(1)];
  t.equal(await reason(), `{'DOWN',${format(ref)},process,${format(pid)},noconnection}`, "its 'DOWN' is noconnection");

  await vm.spawn('gaps', 'spawn_out', [vm.self, target, atom('lists'), atom('reverse'), [[]], false, false]);
  const plain = (await vm.receive(P.tuple(atom('spawned'), P.capture('r'), P.capture('local')), 15000))!;
  t.equal(plain.local, true, 'spawn: a local pid');
  for (let i = 0; i < 200 && (await vm.isProcessAlive(plain.r as Pid)); i++) await new Promise((r) => setTimeout(r, 25));
  t.equal(await vm.isProcessAlive(plain.r as Pid), false, 'that exits at once');

  // A node that goes before it answers (stopped, then killed): the request ends the same way.
  const sname = uniqueName('erlgst');
  const erl2 = startErl(t, { sname, cookie: 'gap3', epmdPort: epmd, eval: `io:format("READY~n"), receive stop -> ok after 30000 -> ok end, halt().` });
  await erl2.waitFor(/READY/);
  const silent = Atom.for(`${sname}@${shortHost()}`);
  t.equal(await vm.ping(silent), 'pong');
  erl2.child.kill('SIGSTOP');
  await vm.spawn('gaps', 'spawn_out', [vm.self, silent, atom('lists'), atom('reverse'), [[]], true, false]);
  await new Promise((r) => setTimeout(r, 300)); // lets the request reach the connection (either way the answer is the same)
  t.equal(await vm.receive(P.tuple(atom('spawned'), P.any, P.any), 0), undefined, 'no answer from a stopped node');
  erl2.child.kill('SIGKILL');
  const lost = (await vm.receive(P.tuple(atom('spawned'), P.capture('r'), P.capture('local')), 15000))!;
  t.equal(lost.local, true, 'the connection lost before the reply: a local pid');
  t.equal(await reason(), `{'EXIT',${format(lost.r as Term)},noconnection}`, 'that exits with noconnection');
});

t.test('on a node that is not alive: erpc:call is error:{erpc, noconnection}, spawn a local pid exiting noconnection, as in erl', async (t) => {
  const erlSays = execFileSync('erl', ['-noshell', '-eval', `R = try erpc:call(foo@bar, lists, reverse, [[]], 1000) catch C:E -> {C, E} end,
    process_flag(trap_exit, true), P = spawn_link(foo@bar, lists, reverse, [[]]), X = receive {'EXIT', P, Y} -> Y after 10000 -> none end,
    io:format("~w ~w ~w~n", [R, node(P) =:= node(), X]), halt().`], { encoding: 'utf8', timeout: 30000 }).trim();
  t.equal(erlSays, '{error,{erpc,noconnection}} true noconnection', "erl without distribution");
  const vm = await VM.start({ ...schedulerOptions(), modules, logger: false });
  t.teardown(() => vm.stop());
  await vm.spawn('gaps', 'erpc_out', [vm.self, atom('foo@bar'), atom('lists'), atom('reverse'), [[]], 1000]);
  const r = (await vm.receive(P.tuple(atom('erpc'), P.capture('c'), P.capture('v')), 10000))!;
  await vm.spawn('gaps', 'spawn_out', [vm.self, atom('foo@bar'), atom('lists'), atom('reverse'), [[]], true, false]);
  const s = (await vm.receive(P.tuple(atom('spawned'), P.capture('r'), P.capture('local')), 10000))!;
  const exit = (await vm.receive(P.tuple(atom('got'), P.capture('m')), 10000))!.m as Term;
  const ours = `{${format(r.c as Term)},${format(r.v as Term)}} ${format(s.local as Term)} ${format((exit as Tuple).at(2))}`;
  t.equal(ours, erlSays, 'beamjs without distribution answers the same');
  t.equal(format(exit), `{'EXIT',${format(s.r as Term)},noconnection}`);
});
