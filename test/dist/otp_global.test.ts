/**
 * An OTP 25 node's `global` beside a hidden beamjs node (a visible one joins global's partition:
 * otp_global_partition.test.ts). A beamjs node
 * started `hidden: true` stays out of erl's global: erl registers a global name, the beamjs node
 * connects, global:sync() on erl returns ok, whereis_name there still works, erl logs nothing.
 */
import t from 'tap';
import { VM } from '../../src/index.js';
import { EpmdServer } from '../../src/dist/index.js';
import { startErl, uniqueName } from './support.js';

t.test('erl global:sync() with a hidden beamjs node connected: ok, names intact, quiet', async (t) => {
  const server = await EpmdServer.start({ port: 0 });
  t.teardown(() => server.close());
  const vm = await VM.start({ inline: true, distribution: { name: uniqueName('jsog'), cookie: 'og', epmdPort: server.port, startEpmd: false, hidden: true, log: () => undefined }, logger: false });
  t.teardown(() => vm.stop());
  const sname = uniqueName('erlog');
  const erl = startErl(t, {
    sname, cookie: 'og', epmdPort: server.port,
    eval: `yes = global:register_name(erl_name, self()), pong = net_adm:ping('${vm.node.name}'), Self = self(), ` +
      `spawn(fun() -> Self ! {sync, global:sync()} end), ` +
      `receive {sync, R} -> io:format("SYNC ~p ~p ~p~n", [R, global:whereis_name(erl_name) =:= self(), nodes(hidden)]) after 4000 -> io:format("SYNC timeout~n") end, ` +
      `receive after 200 -> ok end, halt().`,
  });
  const m = await erl.waitFor(/SYNC (.*)\n/, 10000);
  t.equal(m[1], `ok true ['${vm.node.name}']`.replace(/'([a-z][A-Za-z0-9_@]*)'/, '$1'));
  await erl.exited;
  t.equal(erl.output().replace(/SYNC .*\n/, '').trim(), '', 'erl logged nothing');
  for (let i = 0; i < 100 && vm.nodes('connected').length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  t.same(vm.nodes('connected'), [], 'the connection went with erl');
});
