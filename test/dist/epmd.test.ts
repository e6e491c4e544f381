/**
 * EPMD: our client against the real epmd and against our server; our server queried by erl.
 * Every epmd here listens on a free loopback port (never 4369, which other programs may use).
 */
import t from 'tap';
import net from 'node:net';
import { names, portPlease, register } from '../../src/dist/epmd_client.js';
import { EpmdServer, ensureEpmd } from '../../src/dist/epmd_server.js';
import { NodeType } from '../../src/dist/epmd_protocol.js';
import { freePort, startErl, startRealEpmd, uniqueName } from './support.js';

t.test('our client registers with the real epmd, is found by PORT_PLEASE2 and NAMES, and is gone after close', async (t) => {
  const port = await freePort();
  await startRealEpmd(t, port);
  const name = uniqueName('reg');
  const reg = await register({ name, listenPort: 40123, port });
  t.ok(reg.creation > 3, `a 32-bit creation (${reg.creation})`);
  const entry = await portPlease(name, { port });
  t.equal(entry?.port, 40123);
  t.equal(entry?.nodeType, NodeType.NORMAL);
  t.equal(entry?.highestVersion, 6);
  const listed = await names({ port });
  t.equal(listed.epmdPort, port);
  t.same(listed.nodes.find((n) => n.name === name), { name, port: 40123 });
  await t.rejects(register({ name, listenPort: 40124, port }), /refused to register/, 'a second registration of a live name is refused');
  reg.close();
  for (let i = 0; i < 50 && (await portPlease(name, { port })) !== undefined; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(await portPlease(name, { port }), undefined, 'unregistered when the socket closes');
  const again = await register({ name, listenPort: 40125, port });
  t.not(again.creation, reg.creation, 'a new registration gets a new creation');
  again.close();
});

t.test('our server answers ALIVE2, PORT_PLEASE2, NAMES as epmd does; refuses a live name; forgets on close', async (t) => {
  const server = await EpmdServer.start({ port: 0 });
  t.teardown(() => server.close());
  const port = server.port;
  const a = await register({ name: 'alpha', listenPort: 5001, port });
  const b = await register({ name: 'beta', listenPort: 5002, port, hidden: true });
  t.ok(a.creation > 3 && b.creation > 3 && a.creation !== b.creation);
  t.same((await portPlease('beta', { port }))?.nodeType, NodeType.HIDDEN);
  t.equal(await portPlease('gamma', { port }), undefined);
  t.same((await names({ port })).nodes, [{ name: 'alpha', port: 5001 }, { name: 'beta', port: 5002 }]);
  await t.rejects(register({ name: 'alpha', listenPort: 5003, port }), /refused/);
  a.close();
  for (let i = 0; i < 50 && server.names.includes('alpha'); i++) await new Promise((r) => setTimeout(r, 10));
  t.same(server.names, ['beta']);
  b.close();
});

t.test('our server survives garbage, a truncated request and an unknown request', async (t) => {
  const server = await EpmdServer.start({ port: 0 });
  t.teardown(() => server.close());
  const port = server.port;
  const send = (bytes: Buffer): Promise<Buffer> =>
    new Promise((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      let got = Buffer.alloc(0);
      s.on('connect', () => {
        s.write(bytes);
        setTimeout(() => s.end(), 50);
      });
      s.on('data', (c: Buffer) => (got = Buffer.concat([got, c])));
      s.on('close', () => resolve(got));
      s.on('error', () => undefined);
    });
  t.equal((await send(Buffer.of(0, 3, 99, 1, 2))).length, 0, 'unknown tag: closed, no reply');
  t.equal((await send(Buffer.of(0, 5, 120, 0, 1, 77, 0))).length, 0, 'ALIVE2 shorter than its fields: closed');
  t.equal((await send(Buffer.of(0, 20, 120))).length, 0, 'truncated frame: nothing');
  const reg = await register({ name: 'still', listenPort: 5004, port });
  t.equal((await portPlease('still', { port }))?.port, 5004, 'still serving');
  reg.close();
});

t.test('ensureEpmd starts our server when none listens and reuses a running one', async (t) => {
  const port = await freePort();
  const ours = await ensureEpmd({ port });
  t.ok(ours instanceof EpmdServer, 'started ours');
  t.teardown(() => ours?.close());
  t.equal(await ensureEpmd({ port }), undefined, 'the second caller uses the first one');
});

t.test('erl registers with our server and lists names through it', async (t) => {
  const server = await EpmdServer.start({ port: 0 });
  t.teardown(() => server.close());
  const reg = await register({ name: 'jsnode', listenPort: 5005, port: server.port });
  t.teardown(() => reg.close());
  const sname = uniqueName('erlepmd');
  const erl = startErl(t, {
    sname,
    cookie: 'epmdtest',
    epmdPort: server.port,
    eval: `{ok, Ns} = net_adm:names(), io:format("NAMES ~p~n", [lists:sort(Ns)]), {port, P, V} = erl_epmd:port_please("jsnode", "127.0.0.1"), io:format("PORT ~p ~p~n", [P, V]), halt().`,
  });
  const m = await erl.waitFor(/PORT (\d+) (\d+)/, 15000);
  t.equal(m[1], '5005');
  t.equal(m[2], '6');
  const names_ = (await erl.waitFor(/NAMES (\[.*\])/s)).at(1)!;
  t.match(names_, /\{"jsnode",5005\}/);
  t.match(names_, new RegExp(`\\{"${sname}",\\d+\\}`), 'erl itself registered with our server');
  t.equal(await erl.exited, 0);
});
