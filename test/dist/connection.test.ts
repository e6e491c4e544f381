/**
 * A peer that misbehaves after the handshake: garbage bytes, a frame that is not ETF, an
 * unknown control message, a truncated frame followed by silence. Each ends that connection
 * (logged), the node lives on and accepts the next connection. The peer here is a hand-made
 * node (our own handshake on a raw socket), so the bytes are exactly the ones under test.
 */
import t from 'tap';
import net from 'node:net';
import { DistNode } from '../../src/dist/dist_node.js';
import { EpmdServer } from '../../src/dist/epmd_server.js';
import { OUR_FLAGS, DFlag, MANDATORY_25 } from '../../src/dist/flags.js';
import { connectHandshake, type HandshakeIdentity } from '../../src/dist/handshake.js';
import { Connection } from '../../src/dist/connection.js';
import { Atom, atom, tuple } from '../../src/term/index.js';
import { uniqueName } from './support.js';

async function setup(t: { teardown(f: () => unknown): void }, ticktime = 60) {
  const epmd = await EpmdServer.start({ port: 0 });
  t.teardown(() => epmd.close());
  const logs: string[] = [];
  const node = await DistNode.start({ name: uniqueName('js'), cookie: 'k', epmdPort: epmd.port, startEpmd: false, netTicktime: ticktime, log: (_l, s) => logs.push(s) });
  t.teardown(() => node.stop());
  const downs: string[] = [];
  node.attach({ incoming: () => undefined, nodeDown: (_p, r) => downs.push(r), unreachable: () => undefined });
  return { node, logs, downs };
}

function fakePeer(name: string, flags = OUR_FLAGS | DFlag.PUBLISHED, cookie = 'k'): HandshakeIdentity {
  return { name: Atom.for(name), creation: 1234, flags, cookieFor: () => cookie, log: () => undefined };
}

async function connectRaw(node: DistNode, identity: HandshakeIdentity): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port: node.port });
  await new Promise((r) => socket.once('connect', r));
  const result = await connectHandshake(socket, identity, node.name);
  void result;
  return socket;
}

async function until(f: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

t.test('garbage, a non-ETF frame and an unknown control message each end only that connection', async (t) => {
  const { node, logs, downs } = await setup(t);
  const frames: [string, Buffer][] = [
    ['not pass-through', Buffer.from([0, 0, 0, 3, 1, 2, 3])],
    ['pass-through with bad ETF', Buffer.from([0, 0, 0, 4, 112, 131, 255, 0])],
    ['a distribution header that was not negotiated', Buffer.from([0, 0, 0, 3, 131, 68, 0])],
  ];
  let i = 0;
  for (const [what, bytes] of frames) {
    const peer = fakePeer(`bad${i++}@h`);
    const socket = await connectRaw(node, peer);
    await until(() => node.nodes().includes(peer.name));
    socket.write(bytes);
    await until(() => !node.nodes().includes(peer.name));
    t.pass(`${what}: disconnected`);
    socket.destroy();
  }
  // An unknown control operation, sent as a proper frame.
  const peer = fakePeer('unknown@h');
  const socket = await connectRaw(node, peer);
  await until(() => node.nodes().includes(peer.name));
  const conn = new Connection(socket, { peer: node.name, peerCreation: node.creation, peerFlags: 0n, flags: 0n, reader: new (await import('../../src/dist/frame_reader.js')).FrameReader(4) }, { onControl: () => undefined, onDown: () => undefined, log: () => undefined });
  conn.sendRaw(tuple(99, atom('what')));
  await until(() => !node.nodes().includes(peer.name));
  t.match(logs.join('\n'), /unknown control message operation 99/);
  t.equal(downs.filter((r) => r === 'invalid_message').length, 4);
  // The node still works.
  const good = fakePeer('good@h');
  await connectRaw(node, good);
  await until(() => node.nodes().includes(good.name));
  t.pass('a well-behaved peer connects afterwards');
});

t.test('a truncated frame followed by silence ends in net_tick_timeout, not a crash', async (t) => {
  const { node, downs } = await setup(t, 0.4);
  const peer = fakePeer('trunc@h');
  const socket = await connectRaw(node, peer);
  await until(() => node.nodes().includes(peer.name));
  socket.write(Buffer.from([0, 0, 1, 0, 112, 131])); // says 256 bytes, sends 2
  await until(() => downs.length > 0, 3000);
  t.same(downs, ['net_tick_timeout']);
  socket.destroy();
});

t.test('a peer without the mandatory OTP 25 flags is refused in the handshake', async (t) => {
  const { node, logs } = await setup(t);
  const old = fakePeer('old@h', (OUR_FLAGS | DFlag.PUBLISHED) & ~MANDATORY_25 & ~DFlag.MANDATORY_25_DIGEST | DFlag.HANDSHAKE_23);
  await t.rejects(connectRaw(node, old));
  t.match(logs.join('\n'), /lacks the mandatory distribution flags .*UTF8_ATOMS/);
  t.same(node.nodes(), []);
});

t.test('a handshake garbage frame is refused', async (t) => {
  const { node } = await setup(t);
  const socket = net.connect({ host: '127.0.0.1', port: node.port });
  await new Promise((r) => socket.once('connect', r));
  const closed = new Promise((r) => socket.once('close', r));
  socket.on('error', () => undefined);
  socket.write(Buffer.from([0, 5, 1, 2, 3, 4, 5]));
  await closed;
  t.pass('closed by the node');
  t.equal(await node.ping(node.name), 'pong', 'the node lives on');
});
