/**
 * DistNode options: the cookie file (~/.erlang.cookie made as erl makes it), the listen port
 * range (inet_dist_listen_min/max), name shapes, and the errors that name the bad option.
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DistNode, defaultCookie } from '../../src/dist/dist_node.js';
import { EpmdServer } from '../../src/dist/epmd_server.js';
import { InvalidArgumentError } from '../../src/errors/index.js';
import { Atom } from '../../src/term/index.js';
import { freePort, uniqueName } from './support.js';

t.test('defaultCookie creates ~/.erlang.cookie (20 capitals, mode 0400) and reads it back', async (t) => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'beamjs-cookie-'));
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const made = defaultCookie(home);
  t.match(made, /^[A-Z]{20}$/);
  t.equal(fs.statSync(path.join(home, '.erlang.cookie')).mode & 0o777, 0o400);
  t.equal(defaultCookie(home), made, 'read back, not remade');
  fs.chmodSync(path.join(home, '.erlang.cookie'), 0o600);
  fs.writeFileSync(path.join(home, '.erlang.cookie'), 'SECRET\n');
  t.equal(defaultCookie(home), 'SECRET', 'trailing newline trimmed');
});

t.test('the listener takes a port of listenMin..listenMax; set_cookie per node; bad options are named', async (t) => {
  const epmd = await EpmdServer.start({ port: 0 });
  t.teardown(() => epmd.close());
  const base = await freePort();
  const node = await DistNode.start({ name: uniqueName('js'), cookie: 'c', epmdPort: epmd.port, startEpmd: false, listenMin: base, listenMax: base + 5, log: () => undefined });
  t.teardown(() => node.stop());
  t.ok(node.port >= base && node.port <= base + 5, `port ${node.port} in ${base}..${base + 5}`);
  t.equal(node.getCookie(), 'c');
  node.setCookie(Atom.for('other@h'), 'o');
  t.equal(node.getCookie(Atom.for('other@h')), 'o');
  t.equal(node.getCookie(Atom.for('third@h')), 'c');
  node.setCookie('d');
  t.equal(node.getCookie(), 'd');
  const bad: [object, RegExp][] = [
    [{ name: '' }, /distribution.name must be a node name/],
    [{ name: 'a@b@c' }, /distribution.name must read 'name@host'/],
    [{ name: 'a@host.example.com' }, /short names take a host without dots/],
    [{ name: 'a@host', longNames: true }, /long names need a fully qualified host/],
    [{ name: 'a', cookie: '' }, /distribution.cookie must be a non-empty string/],
    [{ name: 'a', cookie: 'c', listenMin: 70000 }, /distribution.listenMin must be a port number/],
    [{ name: 'a', cookie: 'c', listenMin: 9000, listenMax: 8000 }, /listenMax \(8000\) must not be below listenMin \(9000\)/],
    [{ name: 'a', cookie: 'c', netTicktime: 0 }, /netTicktime must be a positive number/],
  ];
  for (const [options, re] of bad) {
    await t.rejects(DistNode.start({ epmdPort: epmd.port, startEpmd: false, ...options } as Parameters<typeof DistNode.start>[0]), { constructor: InvalidArgumentError, message: re });
  }
  await t.rejects(DistNode.start({ name: node.name.name, cookie: 'c', epmdPort: epmd.port, startEpmd: false }), /refused to register/, 'a second node of the same name is refused by epmd');
});
