/**
 * One distribution connection after a successful handshake: 4-byte length framing, ticks,
 * detection of a dead peer, and control messages in and out.
 *
 * Frame layout (pass-through form: beamjs does not offer DIST_HDR_ATOM_CACHE or FRAGMENTS,
 * so OTP sends every message this way; flags.ts):
 *
 * | offset | bytes | field                                                       |
 * |-------:|------:|-------------------------------------------------------------|
 * | 0      | 4     | length N of the rest (0: a tick, nothing follows)           |
 * | 4      | 1     | 112 ('p', pass-through)                                     |
 * | 5      | c     | control term, ETF with its 131                              |
 * | 5 + c  | N-1-c | payload term (message / reason / args), ETF with 131, or none|
 *
 * Outgoing frames are queued in a FrameWriter and written once per event-loop turn
 * (frame_writer.ts), in the order they were sent.
 *
 * A frame starting 131 68 (a distribution header) or 131 69 (a fragment) was not negotiated
 * and is a protocol error.
 *
 * Ticks (net_ticktime, default 60 s, as OTP): every ticktime/4 the connection writes a tick
 * if it wrote nothing during that interval, and counts intervals in which it read nothing;
 * after 4 such intervals in a row the peer is dead (reason `net_tick_timeout`), as
 * net_kernel decides it.
 *
 * Bad input: a frame that does not decode, an unknown control operation or a malformed
 * control tuple is logged ("invalid distribution message from 'peer'") and the connection
 * is closed, as erts does; the node and its processes live on and see nodedown.
 *
 * Threads: the thread owning the socket (the main thread of a VM). Ownership: owns the
 * socket from the end of the handshake; close() and the peer closing both end in one
 * onDown call.
 */
import type net from 'node:net';
import { decodeFrom } from '../codec/index.js';
import type { Atom, Term } from '../term/index.js';
import { decodeControl, encodeControl, type Control } from './control.js';
import { DistProtocolError } from './errors.js';
import type { HandshakeResult } from './handshake.js';
import type { FrameReader } from './frame_reader.js';
import { FrameWriter, PASS_THROUGH } from './frame_writer.js';

/** net_ticktime in seconds, as OTP's default. */
export const DEFAULT_NET_TICKTIME = 60;

export interface ConnectionHooks {
  /** A decoded control message from the peer. */
  onControl(control: Control): void;
  /** Called once when the connection ends; `reason` as net_kernel would give it. */
  onDown(reason: string): void;
  log(level: 'error' | 'warning' | 'info', text: string): void;
  /** Rewrites terms before they are encoded (creation_map.ts toWire); identity by default. */
  mapOut?(term: Term): Term;
  /** Rewrites terms after they are decoded (creation_map.ts fromWire); identity by default. */
  mapIn?(term: Term): Term;
}

export class Connection {
  readonly peer: Atom;
  readonly peerCreation: number;
  readonly flags: bigint;
  readonly #socket: net.Socket;
  readonly #reader: FrameReader;
  readonly #writer: FrameWriter;
  readonly #hooks: ConnectionHooks;
  #ticker: NodeJS.Timeout | undefined;
  #wrote = false;
  #read = false;
  #silentIntervals = 0;
  #down = false;

  constructor(socket: net.Socket, handshake: HandshakeResult, hooks: ConnectionHooks, netTicktimeS = DEFAULT_NET_TICKTIME) {
    this.peer = handshake.peer;
    this.peerCreation = handshake.peerCreation;
    this.flags = handshake.flags;
    this.#socket = socket;
    this.#reader = handshake.reader;
    this.#writer = new FrameWriter(socket);
    this.#hooks = hooks;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.#read = true;
      this.#reader.push(chunk);
      this.#drain();
    });
    socket.on('close', () => this.#end('connection_closed'));
    socket.on('error', (e) => this.#end(`socket error: ${e.message}`));
    this.#ticker = setInterval(() => this.#tick(), Math.max(1, (netTicktimeS * 1000) / 4));
    this.#ticker.unref();
    if (this.#reader.buffered > 0) queueMicrotask(() => this.#drain());
  }

  get isUp(): boolean {
    return !this.#down;
  }

  /** Sends a control message. Silently dropped after the connection went down (as erl). */
  send(c: Control): void {
    if (this.#down) return;
    const { control, payload } = encodeControl(c);
    this.sendRaw(control, payload);
  }

  /** Sends a control term and optional payload as they are (tests use it for bad terms). */
  sendRaw(control: Term, payload?: Term): void {
    if (this.#down) return;
    const out = this.#hooks.mapOut;
    if (out === undefined) this.#writer.frame(control, payload);
    else this.#writer.frame(out(control), payload === undefined ? undefined : out(payload));
    this.#wrote = true;
  }

  /** Closes the connection (disconnect_node); onDown follows with `reason`. */
  close(reason = 'disconnect'): void {
    this.#end(reason);
  }

  #tick(): void {
    if (this.#down) return;
    if (!this.#read) {
      this.#silentIntervals += 1;
      if (this.#silentIntervals >= 4) {
        this.#hooks.log('warning', `** Node '${this.peer.name}' not responding **\n** Removing (timedout) connection **`);
        this.#end('net_tick_timeout');
        return;
      }
    } else {
      this.#silentIntervals = 0;
    }
    this.#read = false;
    if (!this.#wrote) this.#writer.tick();
    this.#wrote = false;
  }

  #drain(): void {
    while (!this.#down) {
      let frame: Buffer | undefined;
      try {
        frame = this.#reader.next();
      } catch (e) {
        this.#invalid(e);
        return;
      }
      if (frame === undefined) return;
      if (frame.length === 0) continue; // a tick
      let control: Control;
      try {
        control = this.#decode(frame);
      } catch (e) {
        this.#invalid(e);
        return;
      }
      try {
        this.#hooks.onControl(control);
      } catch (e) {
        this.#hooks.log('error', `distribution: handling a message from '${this.peer.name}' failed: ${(e as Error).message}`);
      }
    }
  }

  #decode(frame: Buffer): Control {
    if (frame[0] !== PASS_THROUGH) {
      if (frame[0] === 131 && (frame[1] === 68 || frame[1] === 69)) {
        throw new DistProtocolError(`a distribution header (131 ${frame[1]}) arrived, but DIST_HDR_ATOM_CACHE/FRAGMENTS were not negotiated`);
      }
      throw new DistProtocolError(`a message must start with 112 (pass-through); received ${frame[0]}`);
    }
    const head = decodeFrom(frame, 1);
    let payload: Term | undefined;
    const hasPayload = head.end < frame.length;
    if (hasPayload) {
      const body = decodeFrom(frame, head.end);
      if (body.end !== frame.length) throw new DistProtocolError(`${frame.length - body.end} bytes after the payload term`);
      payload = body.term;
    }
    const into = this.#hooks.mapIn;
    if (into === undefined) return decodeControl(head.term, payload, hasPayload);
    return decodeControl(into(head.term), payload === undefined ? undefined : into(payload), hasPayload);
  }

  #invalid(e: unknown): void {
    this.#hooks.log('error', `** invalid distribution message from '${this.peer.name}': ${(e as Error).message}; disconnecting **`);
    this.#end('invalid_message');
  }

  #end(reason: string): void {
    if (this.#down) return;
    this.#down = true;
    if (this.#ticker !== undefined) clearInterval(this.#ticker);
    // What was sent before close() still goes out (a peer that closed takes nothing).
    if (this.#socket.writable) this.#writer.flush();
    this.#socket.destroy();
    this.#hooks.onDown(reason);
  }
}
