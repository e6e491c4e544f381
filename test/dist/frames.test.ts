/**
 * FrameWriter and FrameReader on their own, over a real loopback socket pair: frames sent in
 * one callback leave in one write and arrive whole and in order; a frame larger than a slab,
 * ticks, a term that cannot be encoded (nothing of it is sent), and a byte stream cut at every
 * possible place (frames spanning chunks, a length prefix split between chunks).
 */
import t from 'tap';
import net from 'node:net';
import { binaryToTerm, decodeFrom, termToBinary } from '../../src/codec/index.js';
import { FrameReader } from '../../src/dist/frame_reader.js';
import { FrameWriter, PASS_THROUGH } from '../../src/dist/frame_writer.js';
import { DistProtocolError } from '../../src/dist/errors.js';
import { atom, tuple, type Term } from '../../src/term/index.js';

async function socketPair(t: { teardown(f: () => unknown): void }): Promise<{ client: net.Socket; server: net.Socket }> {
  const listener = net.createServer();
  await new Promise<void>((r) => listener.listen({ host: '127.0.0.1', port: 0 }, () => r()));
  const accepted = new Promise<net.Socket>((r) => listener.once('connection', r));
  const client = net.connect({ host: '127.0.0.1', port: (listener.address() as net.AddressInfo).port });
  await new Promise((r) => client.once('connect', r));
  const server = await accepted;
  listener.close();
  t.teardown(() => {
    client.destroy();
    server.destroy();
  });
  return { client, server };
}

/** Reads frames from `socket` into `frames` (length 0: a tick, kept as an empty buffer). */
function collect(socket: net.Socket): Buffer[] {
  const reader = new FrameReader(4);
  const frames: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => {
    reader.push(chunk);
    for (let f = reader.next(); f !== undefined; f = reader.next()) frames.push(Buffer.from(f));
  });
  return frames;
}

async function until(f: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The control term and payload of a pass-through frame. */
function parse(frame: Buffer): { control: Term; payload: Term | undefined } {
  if (frame[0] !== PASS_THROUGH) throw new Error(`frame starts with ${frame[0]}`);
  const head = decodeFrom(frame, 1);
  if (head.end === frame.length) return { control: head.term, payload: undefined };
  const body = decodeFrom(frame, head.end);
  if (body.end !== frame.length) throw new Error('bytes after the payload');
  return { control: head.term, payload: body.term };
}

t.test('frames queued in one callback leave in one write, whole and in order', async (t) => {
  const { client, server } = await socketPair(t);
  const frames = collect(server);
  const writes: number[] = [];
  const write = client.write.bind(client) as (chunk: Uint8Array) => boolean;
  client.write = ((chunk: Uint8Array) => {
    writes.push(chunk.length);
    return write(chunk);
  }) as typeof client.write;
  const writer = new FrameWriter(client);
  for (let i = 0; i < 100; i++) writer.frame(tuple(6, atom('to'), i), i % 2 === 0 ? tuple(atom('msg'), i) : undefined);
  t.equal(writes.length, 0, 'nothing written while the sending code runs');
  t.ok(writer.queued > 0, 'the frames are queued');
  await until(() => frames.length === 100);
  t.equal(writes.length, 1, 'one socket write for the 100 frames');
  t.equal(writer.queued, 0);
  for (let i = 0; i < 100; i++) {
    const { control, payload } = parse(frames[i]!);
    t.same(control, tuple(6, atom('to'), i), `frame ${i}: control in order`);
    if (i % 2 === 0) t.same(payload, tuple(atom('msg'), i), `frame ${i}: payload`);
    else t.equal(payload, undefined, `frame ${i}: no payload`);
  }
});

t.test('a frame larger than a slab, between small ones, and ticks', async (t) => {
  const { client, server } = await socketPair(t);
  const frames = collect(server);
  const writer = new FrameWriter(client);
  const big = Buffer.alloc(300_000, 7);
  writer.frame(atom('before'));
  writer.tick();
  writer.frame(atom('big'), big);
  writer.frame(atom('after'), 1);
  await until(() => frames.length === 4);
  writer.tick();
  writer.frame(atom('last'));
  await until(() => frames.length === 6);
  t.same(parse(frames[0]!).control, atom('before'));
  t.equal(frames[1]!.length, 0, 'a tick is an empty frame');
  const expected = Buffer.concat([Buffer.from([PASS_THROUGH]), termToBinary(atom('big')), termToBinary(big)]);
  t.equal(frames[2]!.length, expected.length, 'the big frame has its full length');
  t.ok(Buffer.compare(frames[2]!, expected) === 0, 'the big frame arrives byte for byte');
  t.same(parse(frames[3]!), { control: atom('after'), payload: 1 });
  t.equal(frames[4]!.length, 0);
  t.same(parse(frames[5]!).control, atom('last'));
});

t.test('a payload that is not a term throws, and nothing of that frame is sent', async (t) => {
  const { client, server } = await socketPair(t);
  const frames = collect(server);
  const writer = new FrameWriter(client);
  writer.frame(atom('one'));
  t.throws(() => writer.frame(atom('bad'), (() => 1) as unknown as Term));
  writer.frame(atom('two'));
  await until(() => frames.length === 2);
  t.same(parse(frames[0]!).control, atom('one'));
  t.same(parse(frames[1]!).control, atom('two'));
});

t.test('FrameReader: a stream cut at every place yields the same frames', async (t) => {
  const terms: Term[] = [atom('a'), tuple(1, 2, 3), Buffer.alloc(1000, 1), 'text', [1, 2, 3]];
  const parts = terms.map((term) => {
    const body = termToBinary(term);
    const frame = Buffer.alloc(4 + body.length);
    frame.writeUInt32BE(body.length, 0);
    frame.set(body, 4);
    return frame;
  });
  const stream = Buffer.concat([Buffer.alloc(4), ...parts]); // a tick first
  for (let cut1 = 1; cut1 < stream.length; cut1 += 7) {
    for (const cut2 of [cut1 + 1, cut1 + 3, Math.floor((cut1 + stream.length) / 2)]) {
      if (cut2 >= stream.length) continue;
      const reader = new FrameReader(4);
      const got: Buffer[] = [];
      for (const chunk of [stream.subarray(0, cut1), stream.subarray(cut1, cut2), stream.subarray(cut2)]) {
        reader.push(chunk);
        for (let f = reader.next(); f !== undefined; f = reader.next()) got.push(f);
      }
      if (got.length !== terms.length + 1 || reader.buffered !== 0) {
        t.fail(`cuts ${cut1}/${cut2}: ${got.length} frames, ${reader.buffered} bytes left`);
        return;
      }
      if (got[0]!.length !== 0 || got.slice(1).some((f, i) => Buffer.compare(f, parts[i]!.subarray(4)) !== 0)) {
        t.fail(`cuts ${cut1}/${cut2}: frames differ`);
        return;
      }
    }
  }
  t.pass('every cut gave the tick and the five frames, byte for byte, nothing left over');
  t.same(binaryToTerm(parts[1]!.subarray(4)), tuple(1, 2, 3), 'the frames are the terms (sanity check of the fixture)');
});

t.test('FrameReader: 2-byte lengths, switchTo(4) keeps what follows, and the length limit', async (t) => {
  const reader = new FrameReader(2, 100);
  reader.push(Buffer.from([0, 2, 9, 9, 0, 0]));
  reader.push(Buffer.from([0, 1, 5]));
  t.same(reader.next(), Buffer.from([9, 9]));
  reader.switchTo(4);
  t.same(reader.next(), Buffer.from([5]), 'the 4-byte frame split after its first two length bytes');
  t.equal(reader.next(), undefined);
  reader.push(Buffer.from([0, 0, 1, 0]));
  t.throws(() => reader.next(), DistProtocolError, 'a frame over the limit is a protocol error');
});
