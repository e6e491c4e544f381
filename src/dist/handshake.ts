/**
 * The distribution handshake, version 6 (OTP 23+), both sides, with the MD5 cookie
 * challenge. Frames have a 2-byte length during the handshake.
 *
 *   initiator (A, connects)                 acceptor (B, listens)
 *   send_name   'N' flags(8) creation(4) nlen(2) name        ->
 *                                         <- recv_status 's' ok | ok_simultaneous | nok |
 *                                                            not_allowed | alive
 *   (after alive) 's' true | false      ->
 *                                         <- send_challenge 'N' flags(8) challenge(4)
 *                                                            creation(4) nlen(2) name
 *   send_challenge_reply 'r' challenge(4) digest(16)          ->
 *                                         <- send_challenge_ack 'a' digest(16)
 *
 * digest(C) = md5(Cookie ++ integer_to_list(C)), C unsigned 32-bit in decimal. Each side
 * checks the other's digest of its own challenge: a wrong cookie makes the acceptor close
 * without an ack (and log "invalid challenge reply") and the initiator fail on a missing
 * or wrong ack (and log it), as OTP does on both sides.
 *
 * Simultaneous connect (both nodes connect at once): the acceptor asks `onPeer` of its
 * node what to answer; the node answers `nok` when it has an outgoing attempt pending to
 * that peer and its own name is greater (its own attempt wins), `ok_simultaneous` when it
 * is smaller (it drops its own attempt), `alive` when a connection is up (the initiator
 * answers `true` if it wants the old one replaced). This is dist_util's rule.
 *
 * Flags: both sides must offer MANDATORY_25 (or its digest bit) (flags.ts); the connection
 * uses the AND of both sets. A peer sending the old version-5 'n' name message is refused
 * (OTP 25 refuses version 5 too).
 *
 * Bad input: every malformed frame is a DistProtocolError naming the field; the promise
 * rejects and the caller closes the socket. Timeout: `timeoutMs` (net_setuptime, 7 s).
 * Threads: the thread owning the socket; Node's event loop.
 */
import { createHash, randomBytes } from 'node:crypto';
import type net from 'node:net';
import { Atom } from '../term/index.js';
import { DistProtocolError } from './errors.js';
import { effectiveFlags, flagNames, missingMandatory } from './flags.js';
import { FrameReader } from './frame_reader.js';

export type AcceptStatus = 'ok' | 'ok_simultaneous' | 'nok' | 'not_allowed' | 'alive';

export interface HandshakeIdentity {
  /** This node's full name ('name@host'). */
  readonly name: Atom;
  readonly creation: number;
  /** The flags offered. */
  readonly flags: bigint;
  /** The cookie to use with `peer`. */
  cookieFor(peer: Atom): string;
  /** Log line (wrong cookies, refused peers). */
  log(level: 'error' | 'warning' | 'info', text: string): void;
}

export interface HandshakeResult {
  readonly peer: Atom;
  readonly peerCreation: number;
  /** The peer's flags as sent. */
  readonly peerFlags: bigint;
  /** The AND of both sides' flags (what the connection may use). */
  readonly flags: bigint;
  /** The reader, switched to 4-byte frames, holding whatever bytes followed the handshake. */
  readonly reader: FrameReader;
}

/** The cookie digest of a challenge. */
export function digest(cookie: string, challenge: number): Buffer {
  return createHash('md5').update(cookie, 'latin1').update(String(challenge >>> 0)).digest();
}

function newChallenge(): number {
  return randomBytes(4).readUInt32BE(0);
}

/** Reads 2-byte frames off a socket, one at a time, during the handshake. */
class HandshakeChannel {
  readonly reader = new FrameReader(2);
  readonly #socket: net.Socket;
  #waiter: { resolve: (frame: Buffer) => void; reject: (e: Error) => void } | undefined;
  #failure: Error | undefined;
  readonly #onData = (chunk: Buffer): void => {
    this.reader.push(chunk);
    this.#deliver();
  };
  readonly #onEnd = (): void => this.#fail(new DistProtocolError('the peer closed the connection during the handshake'));
  readonly #onError = (e: Error): void => this.#fail(new DistProtocolError(`socket error during the handshake: ${e.message}`, { cause: e }));

  constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on('data', this.#onData);
    socket.on('close', this.#onEnd);
    socket.on('error', this.#onError);
  }

  #deliver(): void {
    if (this.#waiter === undefined) return;
    let frame: Buffer | undefined;
    try {
      frame = this.reader.next();
    } catch (e) {
      this.#fail(e as Error);
      return;
    }
    if (frame !== undefined) {
      const w = this.#waiter;
      this.#waiter = undefined;
      w.resolve(frame);
    }
  }

  #fail(e: Error): void {
    this.#failure ??= e;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.reject(e);
  }

  fail(e: Error): void {
    this.#fail(e);
  }

  read(): Promise<Buffer> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
      this.#deliver();
    });
  }

  write(body: Buffer): void {
    const head = Buffer.alloc(2);
    head.writeUInt16BE(body.length, 0);
    this.#socket.write(Buffer.concat([head, body]));
  }

  /** Detaches from the socket; the reader keeps the bytes that followed. */
  release(): FrameReader {
    this.#socket.off('data', this.#onData);
    this.#socket.off('close', this.#onEnd);
    this.#socket.off('error', this.#onError);
    this.reader.switchTo(4);
    return this.reader;
  }
}

function nameMessage(identity: HandshakeIdentity): Buffer {
  const name = Buffer.from(identity.name.name, 'utf8');
  const out = Buffer.alloc(15 + name.length);
  out[0] = 0x4e; // 'N'
  out.writeBigUInt64BE(identity.flags, 1);
  out.writeUInt32BE(identity.creation >>> 0, 9);
  out.writeUInt16BE(name.length, 13);
  out.set(name, 15);
  return out;
}

function challengeMessage(identity: HandshakeIdentity, challenge: number): Buffer {
  const name = Buffer.from(identity.name.name, 'utf8');
  const out = Buffer.alloc(19 + name.length);
  out[0] = 0x4e; // 'N'
  out.writeBigUInt64BE(identity.flags, 1);
  out.writeUInt32BE(challenge >>> 0, 9);
  out.writeUInt32BE(identity.creation >>> 0, 13);
  out.writeUInt16BE(name.length, 17);
  out.set(name, 19);
  return out;
}

function statusMessage(status: string): Buffer {
  return Buffer.concat([Buffer.of(0x73), Buffer.from(status, 'latin1')]);
}

function peerNodeName(bytes: Buffer, start: number, length: number, what: string): Atom {
  if (start + length !== bytes.length) {
    throw new DistProtocolError(`${what}: name length ${length} does not match the ${bytes.length}-byte frame`);
  }
  const name = bytes.toString('utf8', start, start + length);
  const at = name.indexOf('@');
  if (at <= 0 || at === name.length - 1 || name.length > 255) {
    throw new DistProtocolError(`${what}: the node name must read 'name@host'; received ${JSON.stringify(name.slice(0, 80))}`);
  }
  return Atom.for(name);
}

function checkFlags(identity: HandshakeIdentity, peer: string, flags: bigint): void {
  const missing = missingMandatory(flags);
  if (missing !== 0n) {
    const text = `** Connection with node '${peer}' refused: it lacks the mandatory distribution flags ${flagNames(missing)} (OTP 25 requires them)`;
    identity.log('error', text);
    throw new DistProtocolError(text);
  }
}

function withTimeout<T>(channel: HandshakeChannel, work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  const timer = setTimeout(() => channel.fail(new DistProtocolError(`${what} timed out after ${timeoutMs} ms`)), timeoutMs);
  return work.finally(() => clearTimeout(timer));
}

/**
 * Runs the acceptor side on a freshly accepted socket. `onPeer` decides the status for the
 * named peer (simultaneous connect, already connected); `onReplace` is called when the
 * peer answered `true` to `alive` (the node must drop its old connection).
 */
export function acceptHandshake(
  socket: net.Socket,
  identity: HandshakeIdentity,
  hooks: { onPeer(peer: Atom, flags: bigint): AcceptStatus; onReplace?(peer: Atom): void },
  timeoutMs = 7000,
): Promise<HandshakeResult> {
  const channel = new HandshakeChannel(socket);
  const run = async (): Promise<HandshakeResult> => {
    const first = await channel.read();
    if (first[0] === 0x6e) {
      throw new DistProtocolError(`the peer sent a version 5 name message ('n'); only version 6 (OTP 23+) is supported`);
    }
    if (first[0] !== 0x4e || first.length < 15) {
      throw new DistProtocolError(`send_name must be 'N' flags(8) creation(4) nlen(2) name; received ${first.length} bytes starting with ${first[0]}`);
    }
    const peerFlags = first.readBigUInt64BE(1);
    const peerCreation = first.readUInt32BE(9);
    const peer = peerNodeName(first, 15, first.readUInt16BE(13), 'send_name');
    checkFlags(identity, peer.name, peerFlags);
    const status = hooks.onPeer(peer, peerFlags);
    channel.write(statusMessage(status));
    if (status === 'nok' || status === 'not_allowed') {
      throw new DistProtocolError(`connection from '${peer.name}' answered '${status}'`);
    }
    if (status === 'alive') {
      const answer = await channel.read();
      const text = answer.toString('latin1');
      if (text === 'strue') hooks.onReplace?.(peer);
      else if (text === 'sfalse') throw new DistProtocolError(`'${peer.name}' keeps its existing connection (answered false to alive)`);
      else throw new DistProtocolError(`the answer to alive must be 'strue' or 'sfalse'; received ${JSON.stringify(text.slice(0, 20))}`);
    }
    const challenge = newChallenge();
    channel.write(challengeMessage(identity, challenge));
    const reply = await channel.read();
    if (reply[0] !== 0x72 || reply.length !== 21) {
      throw new DistProtocolError(`challenge_reply must be 'r' challenge(4) digest(16) (21 bytes); received ${reply.length} bytes starting with ${reply[0]}`);
    }
    const cookie = identity.cookieFor(peer);
    if (!reply.subarray(5, 21).equals(digest(cookie, challenge))) {
      const text = `** Connection attempt from node '${peer.name}' rejected: invalid challenge reply (wrong cookie?) **`;
      identity.log('error', text);
      throw new DistProtocolError(text);
    }
    channel.write(Buffer.concat([Buffer.of(0x61), digest(cookie, reply.readUInt32BE(1))]));
    return { peer, peerCreation, peerFlags, flags: identity.flags & effectiveFlags(peerFlags), reader: channel.release() };
  };
  return withTimeout(channel, run(), timeoutMs, 'the handshake with an accepted connection').catch((e: unknown) => {
    channel.release();
    throw e;
  });
}

/** Runs the initiator side on a socket connected to `peer`'s listener. */
export function connectHandshake(socket: net.Socket, identity: HandshakeIdentity, peer: Atom, timeoutMs = 7000): Promise<HandshakeResult> {
  const channel = new HandshakeChannel(socket);
  const run = async (): Promise<HandshakeResult> => {
    channel.write(nameMessage(identity));
    const status = (await channel.read()).toString('latin1');
    if (status === 'salive') {
      // We connect only when we hold no connection to the peer: the one it has is stale.
      channel.write(statusMessage('true'));
    } else if (status === 'snok') {
      throw new DistProtocolError(`'${peer.name}' answered nok: a simultaneous connect that the other side wins`);
    } else if (status === 'snot_allowed') {
      identity.log('error', `** Connection attempt to node '${peer.name}' not allowed **`);
      throw new DistProtocolError(`'${peer.name}' does not allow this node to connect (not_allowed)`);
    } else if (status !== 'sok' && status !== 'sok_simultaneous') {
      throw new DistProtocolError(`recv_status must be 's' followed by a status; received ${JSON.stringify(status.slice(0, 30))}`);
    }
    const ch = await channel.read();
    if (ch[0] !== 0x4e || ch.length < 19) {
      throw new DistProtocolError(`send_challenge must be 'N' flags(8) challenge(4) creation(4) nlen(2) name; received ${ch.length} bytes starting with ${ch[0]}`);
    }
    const peerFlags = ch.readBigUInt64BE(1);
    const theirChallenge = ch.readUInt32BE(9);
    const peerCreation = ch.readUInt32BE(13);
    const named = peerNodeName(ch, 19, ch.readUInt16BE(17), 'send_challenge');
    if (named !== peer) throw new DistProtocolError(`connected to '${peer.name}' but the node there is '${named.name}'`);
    checkFlags(identity, peer.name, peerFlags);
    const cookie = identity.cookieFor(peer);
    const ours = newChallenge();
    const reply = Buffer.alloc(21);
    reply[0] = 0x72; // 'r'
    reply.writeUInt32BE(ours, 1);
    reply.set(digest(cookie, theirChallenge), 5);
    channel.write(reply);
    let ack: Buffer;
    try {
      ack = await channel.read();
    } catch (e) {
      const text = `** Connection attempt to node '${peer.name}' failed: it closed the connection after our challenge reply (wrong cookie?) **`;
      identity.log('error', text);
      throw new DistProtocolError(text, { cause: e });
    }
    if (ack[0] !== 0x61 || ack.length !== 17 || !ack.subarray(1).equals(digest(cookie, ours))) {
      const text = `** Connection attempt to node '${peer.name}' failed: invalid challenge ack (wrong cookie?) **`;
      identity.log('error', text);
      throw new DistProtocolError(text);
    }
    return { peer, peerCreation, peerFlags, flags: identity.flags & effectiveFlags(peerFlags), reader: channel.release() };
  };
  return withTimeout(channel, run(), timeoutMs, `the handshake with '${peer.name}'`).catch((e: unknown) => {
    channel.release();
    throw e;
  });
}
