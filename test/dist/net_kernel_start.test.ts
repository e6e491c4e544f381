/**
 * net_kernel start/stop at run time (src/vm.ts startDistribution/stopDistribution, the
 * process side in src/dist/net_kernel.ts), against real erl 25 nodes over loopback:
 * - a VM started without distribution becomes a node; processes spawned before keep working:
 *   one sends its self() to erl, erl monitors it and sends back, it receives; a link and a
 *   monitor made before the start deliver the exit after it; node() changes on every
 *   scheduler thread;
 * - a second start is {already_started, Pid}; stop closes the connection (erl sees nodedown,
 *   a local monitor_node sees nodedown), drops the epmd registration, node() is nonode@nohost
 *   everywhere; a second stop is not_found; a restart under another name is reachable from
 *   another erl, by a name registered before the first start;
 * - the same from a process: net_kernel:start/1,2 and stop/0 with OTP's return values and
 *   argument errors; stop of a distribution given to VM.start is not_allowed.
 * Run inline here and on 2 scheduler threads by multi/net_kernel_start.test.ts.
 */
import t from 'tap';
import { VM } from '../../src/index.js';
import { EpmdServer } from '../../src/dist/epmd_server.js';
import { names } from '../../src/dist/epmd_client.js';
import { NetKernelError } from '../../src/dist/errors.js';
import { ErrorCode } from '../../src/errors/index.js';
import { Atom, P, Pid, Tuple, atom, format, tuple, type Term } from '../../src/term/index.js';
import { schedulerOptions } from '../support/schedulers.js';
import { shortHost, startErl, uniqueName, type Teardown } from './support.js';

const modules = [new URL('./fixtures/net_kernel_modules.js', import.meta.url)];
const NONODE = atom('nonode@nohost');

async function epmd(t: Teardown): Promise<number> {
  const server = await EpmdServer.start({ port: 0 });
  t.teardown(() => server.close());
  return server.port;
}

function erlNode(sname: string): Atom {
  return Atom.for(`${sname}@${shortHost()}`);
}

async function rejection(promise: Promise<unknown>): Promise<NetKernelError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof NetKernelError) return error;
    throw error;
  }
  throw new Error('expected a NetKernelError, but the call succeeded');
}

/** One process per scheduler thread, spawned now; `nodes()` asks each for node(). */
async function reporters(vm: VM, firstName: Atom): Promise<{ pids: Pid[]; nodes(): Promise<Term[]> }> {
  const pids: Pid[] = [];
  for (let i = 1; i <= vm.schedulers; i++) {
    const options = vm.schedulers > 1 ? { scheduler: i } : {};
    pids.push(await vm.spawn('nktest', 'node_of', [vm.self, i === 1 ? firstName : undefined], options));
  }
  return {
    pids,
    async nodes() {
      const out: Term[] = [];
      for (const pid of pids) {
        vm.send(pid, atom('report'));
        const r = await vm.receive(P.tuple(atom('node_is'), P.exact(pid), P.capture('node')), 10000);
        out.push(r === undefined ? 'no answer' : r.node);
      }
      return out;
    },
  };
}

t.test('vm.startDistribution / stopDistribution: processes from before keep working, nodedown, restart under another name', async (t) => {
  const epmdPort = await epmd(t);
  const vm = await VM.start({ ...schedulerOptions(), modules, logger: false });
  t.teardown(() => vm.stop());
  t.equal(vm.node, NONODE, 'not distributed at first');
  const threads = await reporters(vm, atom('nkrep'));
  t.same(await threads.nodes(), threads.pids.map(() => NONODE), 'node() is nonode@nohost on every thread');
  t.equal((await rejection(vm.stopDistribution())).reason, atom('not_found'), 'stop on a node that is not distributed: not_found');

  const relay = await vm.spawn('nktest', 'relay', [vm.self, atom('nkrelay')]);
  const printed = format(relay);
  const ref = await vm.monitor(relay);
  await vm.link(relay);

  const erlName = uniqueName('erlnk');
  const erl = startErl(t, {
    sname: erlName, cookie: 'nk', epmdPort, maxMs: 60000,
    eval: `register(nk, self()), io:format("READY~n"),
      P = receive {hello, X} -> X after 30000 -> halt(3) end,
      J = node(P), R = erlang:monitor(process, P), monitor_node(J, true),
      io:format("HELLO ~p~n", [J]),
      P ! {from_erl, J},
      receive {'DOWN', R, process, P, Why} -> io:format("DOWN ~p~n", [Why]) after 30000 -> io:format("NODOWN~n") end,
      receive {nodedown, J} -> io:format("NODEDOWN~n") after 30000 -> io:format("NONODEDOWN~n") end,
      halt().`,
  });
  await erl.waitFor(/READY/);

  const first = await vm.startDistribution({ name: uniqueName('jsnk'), cookie: 'nk', epmdPort, startEpmd: false, log: () => undefined });
  t.equal(vm.node, first, 'startDistribution resolves with the node name, which vm.node reports');
  t.equal(relay.node, first, 'a pid made before the start is a pid of the new node (node(OldPid) =:= node())');
  t.equal(format(relay), printed, 'and it still prints as a local pid');
  t.same(await threads.nodes(), threads.pids.map(() => first), 'node() changed on every scheduler thread');
  t.ok((await names({ port: epmdPort })).nodes.some((n) => `${n.name}@${first.name.split('@')[1]}` === first.name), 'registered with epmd');

  vm.send(relay, tuple(atom('send_self'), tuple(atom('nk'), erlNode(erlName))));
  t.match((await erl.waitFor(/HELLO (\S+)\n/))[1], first.name, "erl got the pid, and node(P) is the new node's name");
  const got = await vm.receive(P.tuple(atom('got'), P.capture('x'), P.capture('node')), 15000);
  t.same(got, { x: first, node: first }, 'the process made before the start received what erl sent to its pid');

  const again = await rejection(vm.startDistribution({ name: uniqueName('jsnk'), cookie: 'nk', epmdPort, startEpmd: false }));
  t.equal(again.code, ErrorCode.NET_KERNEL);
  t.ok(again.reason instanceof Tuple && again.reason.at(0) === atom('already_started') && again.reason.at(1) instanceof Pid, 'a second start: {already_started, Pid}');
  t.equal(vm.node, first, 'and the name stays');

  vm.send(relay, atom('stop'));
  const exit = await vm.receive(P.tuple(atom('EXIT'), P.capture('pid'), atom('done')), 10000);
  t.ok(exit !== undefined && (exit.pid as Pid).equals(relay), 'a link made before the start carries the exit');
  const down = await vm.receive(P.tuple(atom('DOWN'), P.exact(ref), atom('process'), P.capture('pid'), atom('done')), 10000);
  t.ok(down !== undefined && (down.pid as Pid).equals(relay), "a monitor made before the start gets its 'DOWN'");
  t.match((await erl.waitFor(/DOWN (\S+)\n/))[1], 'done', "erl's monitor of the pid got its 'DOWN' too");

  const watcher = await vm.spawn('nktest', 'watch_node', [vm.self, erlNode(erlName)]);
  t.ok(watcher instanceof Pid);
  await vm.receive(atom('watching'), 10000);
  await vm.stopDistribution();
  t.equal(vm.node, NONODE, 'after stop the node is nonode@nohost');
  t.same(await threads.nodes(), threads.pids.map(() => NONODE), 'on every scheduler thread');
  t.equal(threads.pids[0]!.node, NONODE, 'and old pids follow');
  t.same(vm.nodes(), [], 'no connections left');
  t.ok(await vm.receive(P.tuple(atom('nodedown_seen'), erlNode(erlName)), 10000), 'a local monitor_node got nodedown');
  await erl.waitFor(/NODEDOWN/, 15000);
  t.pass('erl saw nodedown');
  t.notOk((await names({ port: epmdPort })).nodes.some((n) => first.name.startsWith(`${n.name}@`)), 'the epmd registration is gone');
  t.equal((await rejection(vm.stopDistribution())).reason, atom('not_found'), 'a second stop: not_found');

  const second = await vm.startDistribution({ name: uniqueName('jsnk2'), cookie: 'nk', epmdPort, startEpmd: false, log: () => undefined });
  t.not(second, first);
  t.same(await threads.nodes(), threads.pids.map(() => second), 'a restart under another name: node() is the new name on every thread');
  const erl2 = startErl(t, {
    sname: uniqueName('erlnk2'), cookie: 'nk', epmdPort, maxMs: 30000,
    eval: `J = '${second.name}', pong = net_adm:ping(J), {nkrep, J} ! {ping_from, self()},
      receive {pong_from, P, N} -> io:format("PONG ~p ~p~n", [node(P) =:= J, N =:= J]) after 15000 -> io:format("NOPONG~n") end,
      halt().`,
  });
  t.equal((await erl2.waitFor(/(N?O?PONG.*)\n/, 20000))[1], 'PONG true true', 'erl reaches a process registered before the first start, by name, on the new node');
});

t.test('net_kernel:start/stop from a process: OTP return values and errors', async (t) => {
  const epmdPort = await epmd(t);
  const vm = await VM.start({ ...schedulerOptions(), modules, logger: false, netKernel: { cookie: 'nkp', epmdPort, startEpmd: false, log: () => undefined } });
  t.teardown(() => vm.stop());
  const last = vm.schedulers > 1 ? { scheduler: vm.schedulers } : {};
  const nk = async (fun: string, args: Term[]): Promise<Term> => {
    await vm.spawn('nktest', 'nk', [vm.self, atom(fun), args], last);
    const r = await vm.receive(P.tuple(atom('nk'), P.capture('r')), 20000);
    return r === undefined ? 'no answer' : (r.r as Term);
  };
  const threads = await reporters(vm, atom('nkrep'));
  t.same(await nk('stop', []), tuple(atom('error'), atom('not_found')), 'stop/0 when not distributed: {error, not_found}');

  const alias = uniqueName('jsp');
  const result = (await nk('start', [[atom(alias), atom('shortnames')]])) as Tuple;
  t.equal(result.at(0), atom('ok'), 'start/1 with [Name, shortnames]: {ok, Pid}');
  t.ok(result.at(1) instanceof Pid);
  t.equal(vm.node.name, `${alias}@${shortHost()}`, 'the VM is now that node');
  t.same(await threads.nodes(), threads.pids.map(() => vm.node), 'on every thread');
  const erl = startErl(t, { sname: uniqueName('erlnkp'), cookie: 'nkp', epmdPort, maxMs: 30000, eval: `io:format("PING ~p~n", [net_adm:ping('${vm.node.name}')]), halt().` });
  t.equal((await erl.waitFor(/PING (\S+)\n/, 20000))[1], 'pong', 'erl pings it');

  const twice = (await nk('start', [[atom(uniqueName('jsp')), atom('shortnames')]])) as Tuple;
  t.equal(twice.at(0), atom('error'));
  t.ok(twice.at(1) instanceof Tuple && (twice.at(1) as Tuple).at(0) === atom('already_started'), 'a second start: {error, {already_started, Pid}}');

  t.equal(await nk('stop', []), atom('ok'), 'stop/0: ok');
  t.equal(vm.node, NONODE);
  t.same(await threads.nodes(), threads.pids.map(() => NONODE), 'nonode@nohost on every thread');

  const viaMap = (await nk('start', [atom(uniqueName('jsq')), new Map<Term, Term>([[atom('name_domain'), atom('shortnames')], [atom('hidden'), true]])])) as Tuple;
  t.equal(viaMap.at(0), atom('ok'), 'start/2 with #{name_domain => shortnames, hidden => true}');
  t.equal(vm.distribution?.hidden, true, 'hidden as asked');
  t.equal(await nk('stop', []), atom('ok'));

  const caughtOf = async (args: Term[]): Promise<string> => format(await nk('start', args));
  t.equal(await caughtOf([[42]]), '{caught,error,function_clause}', 'start/1 with a non-atom name: error function_clause');
  t.equal(await caughtOf([atom('x'), 7]), '{caught,error,invalid_options}', 'start/2 with options that are not a map: invalid_options');
  t.equal(await caughtOf([atom('x'), new Map<Term, Term>([[atom('bogus'), 1]])]), '{caught,error,{invalid_option,bogus,1}}', 'start/2 with an unknown option: {invalid_option, bogus, 1}');
  t.equal(vm.node, NONODE, 'failed starts change nothing');
});

t.test('a distribution given to VM.start cannot be stopped at run time (not_allowed, as erl -sname)', async (t) => {
  const epmdPort = await epmd(t);
  const vm = await VM.start({ ...schedulerOptions(), modules, logger: false, distribution: { name: uniqueName('jsst'), cookie: 'st', epmdPort, startEpmd: false, log: () => undefined } });
  t.teardown(() => vm.stop());
  const denied = await rejection(vm.stopDistribution());
  t.equal(denied.reason, atom('not_allowed'));
  t.match(denied.message, /not_allowed/);
  await vm.spawn('nktest', 'nk', [vm.self, atom('stop'), []]);
  t.same(await vm.receive(P.tuple(atom('nk'), P.capture('r')), 20000), { r: tuple(atom('error'), atom('not_allowed')) }, 'net_kernel:stop() from a process: {error, not_allowed}');
  t.not(vm.node, NONODE, 'still distributed');
});
