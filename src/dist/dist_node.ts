/**
 * DistNode: this node's side of the Erlang distribution: its name and creation, the
 * listener (inet_dist_listen_min/max, 127.0.0.1 unless told otherwise), the epmd
 * registration (our own epmd is started when none listens), cookies, connections to other
 * nodes made on demand, nodes(), nodeup/nodedown, monitor_node, disconnect_node, ping, and
 * the part of net_kernel a peer talks to (is_auth, so `net_adm:ping` from erl answers pong).
 *
 * What it does not do is deliver to processes: every control message for a local process
 * goes to `LocalSide.incoming` (src/dist/vm_bridge.ts connects it to a VM; tests may use a
 * plain object), and a connection that goes down is reported to `LocalSide.nodeDown`, which
 * turns links and monitors across it into exit signals and 'DOWN's with `noconnection`.
 *
 * Connections. At most one per peer. `connect(peer)` returns the live one, or joins the
 * pending attempt, or starts one (PORT_PLEASE2 at the peer host's epmd, TCP connect, the
 * initiator handshake). Simultaneous connects are resolved in handshake.ts's acceptor hook:
 * with an attempt of ours pending, the node with the greater name keeps its own attempt.
 * Messages sent while an attempt is pending wait in a per-peer queue, in order; if the
 * attempt fails they are dropped (an Erlang send to an unreachable node is dropped) and
 * links and monitors among them fail with `noconnection` (LocalSide.unreachable).
 *
 * Hidden nodes: a connection is hidden when either side is hidden (no PUBLISHED flag);
 * nodes() lists visible connections, nodes('hidden') the hidden ones, as erlang:nodes/1.
 *
 * Security: listens on 127.0.0.1 by default (`listenHost`); peers' host names that are this
 * machine's own name resolve to 127.0.0.1.
 *
 * Threads: one thread owns a DistNode and all its sockets (the main thread of a VM).
 * Bad input: options are checked (InvalidArgumentError naming the option); bytes from peers
 * are handled as handshake.ts and connection.ts say; nothing a peer sends stops the node.
 */
import { randomBytes } from 'node:crypto';
import dns from 'node:dns/promises';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError, describeValue } from '../errors/index.js';
import { Atom, Pid, Ref, Tuple, atom, tuple, type Term } from '../term/index.js';
import { Connection, DEFAULT_NET_TICKTIME } from './connection.js';
import type { Control } from './control.js';
import { fromWire, toWire } from './creation_map.js';
import { portPlease, register, type EpmdRegistration } from './epmd_client.js';
import { epmdPort } from './epmd_protocol.js';
import { ensureEpmd, type EpmdServer } from './epmd_server.js';
import { DFlag, OUR_FLAGS } from './flags.js';
import { acceptHandshake, connectHandshake, type AcceptStatus, type HandshakeIdentity, type HandshakeResult } from './handshake.js';

export type LogLevel = 'error' | 'warning' | 'info';

export interface DistOptions {
  /** 'name' (the host is added) or 'name@host'. */
  readonly name: string;
  /** Long names (erl -name): the host part must be a fully qualified name. Default false (-sname). */
  readonly longNames?: boolean;
  /** The cookie (erl -setcookie); default: ~/.erlang.cookie, created as erl does if missing. */
  readonly cookie?: string;
  /** A hidden node (erl -hidden). */
  readonly hidden?: boolean;
  /** inet_dist_listen_min / inet_dist_listen_max: the port range to listen on (default any free port). */
  readonly listenMin?: number;
  readonly listenMax?: number;
  /** The address to listen on (default 127.0.0.1). */
  readonly listenHost?: string;
  /** epmd's port (default ERL_EPMD_PORT or 4369). */
  readonly epmdPort?: number;
  /** Start our own epmd on 127.0.0.1 when none answers (default true). */
  readonly startEpmd?: boolean;
  /** net_ticktime in seconds (default 60). */
  readonly netTicktime?: number;
  /** net_setuptime in milliseconds: the longest a connection setup may take (default 7000). */
  readonly setupTimeMs?: number;
  readonly log?: (level: LogLevel, text: string) => void;
}

/** Where DistNode hands what concerns local processes. */
export interface LocalSide {
  /** A control message from `peer` for a local process (creations already translated). */
  incoming(peer: Atom, control: Control): void;
  /** The connection to `peer` went down (links and monitors across it fail with noconnection). */
  nodeDown(peer: Atom, reason: string): void;
  /** A control message could not be sent: `peer` is unreachable (links/monitors fail with noconnection). */
  unreachable(peer: Atom, control: Control): void;
}

export type NodeEvent = { readonly kind: 'nodeup' | 'nodedown'; readonly node: Atom; readonly hidden: boolean; readonly reason?: string };

const A_NET_KERNEL = atom('net_kernel');
const A_GEN_CALL = atom('$gen_call');
const A_IS_AUTH = atom('is_auth');
const A_YES = atom('yes');

/** The host part of node names of this machine (erl's -sname uses the short host name). */
export function localHostName(longNames: boolean): string {
  const host = os.hostname();
  return longNames ? host : host.split('.')[0]!;
}

/** Reads ~/.erlang.cookie, creating it (20 random capitals, mode 0400) as erl does when missing. */
export function defaultCookie(home: string = os.homedir()): string {
  const file = path.join(home, '.erlang.cookie');
  try {
    return fs.readFileSync(file, 'latin1').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const bytes = randomBytes(20);
  const cookie = Array.from(bytes, (b) => String.fromCharCode(65 + (b % 26))).join('');
  fs.writeFileSync(file, cookie, { mode: 0o400, flag: 'wx' });
  return cookie;
}

function checkPort(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw new InvalidArgumentError(`${what} must be a port number 0..65535; received ${describeValue(value)}`);
  }
  return value;
}

/** The full node name `options` ask for ('name@host'); InvalidArgumentError when it is not one. */
export function fullName(options: DistOptions): Atom {
  const name = options.name;
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidArgumentError(`distribution.name must be a node name such as 'js' or 'js@host'; received ${describeValue(name)}`);
  }
  const longNames = options.longNames === true;
  let full = name;
  if (!name.includes('@')) full = `${name}@${localHostName(longNames)}`;
  const at = full.indexOf('@');
  const alive = full.slice(0, at);
  const host = full.slice(at + 1);
  if (alive.length === 0 || host.length === 0 || !/^[A-Za-z0-9_-]+$/.test(alive) || host.includes('@')) {
    throw new InvalidArgumentError(`distribution.name must read 'name@host' with a name of letters, digits, '_' and '-'; received ${JSON.stringify(name)}`);
  }
  if (longNames && !host.includes('.') && !net.isIP(host)) {
    throw new InvalidArgumentError(`distribution.name: long names need a fully qualified host; received ${JSON.stringify(full)} (use longNames: false for short names)`);
  }
  if (!longNames && host.includes('.') && !net.isIP(host)) {
    throw new InvalidArgumentError(`distribution.name: short names take a host without dots; received ${JSON.stringify(full)} (use longNames: true)`);
  }
  return Atom.for(full);
}

export class DistNode implements HandshakeIdentity {
  readonly name: Atom;
  readonly creation: number;
  readonly flags: bigint;
  readonly hidden: boolean;
  readonly longNames: boolean;
  readonly netTicktime: number;
  readonly #server: net.Server;
  readonly #registration: EpmdRegistration;
  readonly #epmd: EpmdServer | undefined;
  readonly #epmdPort: number;
  readonly #setupTimeMs: number;
  readonly #log: (level: LogLevel, text: string) => void;
  #cookie: string;
  readonly #cookies = new Map<Atom, string>();
  readonly #connections = new Map<Atom, Connection>();
  readonly #pending = new Map<Atom, { promise: Promise<Connection | undefined>; queue: Control[]; waiters: ((c: Connection | undefined) => void)[] }>();
  readonly #listeners = new Set<(event: NodeEvent) => void>();
  readonly #accepted = new Set<net.Socket>();
  readonly #calls = new Map<string, (reply: Term) => void>();
  #local: LocalSide | undefined;
  #callCounter = 0;
  #stopped = false;
  /** The pid this node's net_kernel answers from and receives replies on. */
  readonly netKernelPid: Pid;

  private constructor(
    name: Atom,
    creation: number,
    options: DistOptions,
    server: net.Server,
    registration: EpmdRegistration,
    epmd: EpmdServer | undefined,
    cookie: string,
  ) {
    this.name = name;
    this.creation = creation;
    this.hidden = options.hidden === true;
    this.longNames = options.longNames === true;
    this.flags = OUR_FLAGS | (this.hidden ? 0n : DFlag.PUBLISHED);
    this.netTicktime = options.netTicktime ?? DEFAULT_NET_TICKTIME;
    this.#server = server;
    this.#registration = registration;
    this.#epmd = epmd;
    this.#epmdPort = epmdPort(options.epmdPort);
    this.#setupTimeMs = options.setupTimeMs ?? 7000;
    this.#log = options.log ?? ((level, text) => process.stderr.write(`[${level}] ${text}\n`));
    this.#cookie = cookie;
    // Id 0x7ffffff is above any id a Runtime allocates here; the node's own pseudo-process.
    this.netKernelPid = new Pid(name, 0x7ffffff, 0, 0);
    server.on('connection', (socket) => this.#accept(socket));
    registration.onClose = () => {
      if (!this.#stopped) this.#log('warning', `distribution: epmd closed the registration of '${name.name}'; peers can no longer look this node up`);
    };
  }

  /** Starts distribution: listen, register with epmd (starting our own if none runs). */
  static async start(options: DistOptions): Promise<DistNode> {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(`distribution options must be an object such as { name: 'js', cookie: 'secret' }; received ${describeValue(options)}`);
    }
    const name = fullName(options);
    if (options.cookie !== undefined && (typeof options.cookie !== 'string' || options.cookie.length === 0)) {
      throw new InvalidArgumentError(`distribution.cookie must be a non-empty string; received ${describeValue(options.cookie)}`);
    }
    const min = checkPort(options.listenMin, 'distribution.listenMin');
    const max = checkPort(options.listenMax, 'distribution.listenMax') ?? min;
    if (min !== undefined && max !== undefined && max < min) {
      throw new InvalidArgumentError(`distribution.listenMax (${max}) must not be below listenMin (${min})`);
    }
    const ticktime = options.netTicktime;
    if (ticktime !== undefined && (typeof ticktime !== 'number' || !(ticktime > 0))) {
      throw new InvalidArgumentError(`distribution.netTicktime must be a positive number of seconds; received ${describeValue(ticktime)}`);
    }
    const cookie = options.cookie ?? defaultCookie();
    const epmd = options.startEpmd === false ? undefined : await ensureEpmd({ port: epmdPort(options.epmdPort) });
    const server = await listenInRange(options.listenHost ?? '127.0.0.1', min, max);
    let registration: EpmdRegistration;
    try {
      registration = await register({
        name: name.name.slice(0, name.name.indexOf('@')),
        listenPort: (server.address() as net.AddressInfo).port,
        hidden: options.hidden === true,
        port: epmdPort(options.epmdPort),
      });
    } catch (error) {
      server.close();
      await epmd?.close();
      throw error;
    }
    return new DistNode(name, registration.creation, options, server, registration, epmd, cookie);
  }

  /** The port the distribution listener accepts on. */
  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  /** Attaches the side that delivers to local processes. */
  attach(local: LocalSide): void {
    this.#local = local;
  }

  // ---- HandshakeIdentity

  cookieFor(peer: Atom): string {
    return this.#cookies.get(peer) ?? this.#cookie;
  }

  log(level: LogLevel, text: string): void {
    this.#log(level, text);
  }

  // ---- cookies

  /** erlang:get_cookie/0,1. */
  getCookie(node?: Atom): string {
    return node === undefined ? this.#cookie : this.cookieFor(node);
  }

  /** erlang:set_cookie/1 (this node's cookie) and set_cookie/2 (the cookie for one peer). */
  setCookie(cookieOrNode: string | Atom, cookie?: string): true {
    if (cookieOrNode instanceof Atom) {
      if (typeof cookie !== 'string' || cookie.length === 0) throw new InvalidArgumentError(`cookie must be a non-empty string; received ${describeValue(cookie)}`);
      if (cookieOrNode === this.name) this.#cookie = cookie;
      else this.#cookies.set(cookieOrNode, cookie);
      return true;
    }
    if (typeof cookieOrNode !== 'string' || cookieOrNode.length === 0) {
      throw new InvalidArgumentError(`cookie must be a non-empty string; received ${describeValue(cookieOrNode)}`);
    }
    this.#cookie = cookieOrNode;
    return true;
  }

  // ---- nodes and events

  /** erlang:nodes/0,1: 'visible' (default), 'hidden', 'connected' (both). */
  nodes(which: 'visible' | 'hidden' | 'connected' = 'visible'): Atom[] {
    const out: Atom[] = [];
    for (const [peer, c] of this.#connections) {
      const hidden = this.#isHidden(c);
      if (which === 'connected' || (which === 'hidden') === hidden) out.push(peer);
    }
    return out;
  }

  /** True when a connection to `node` is up. */
  isConnected(node: Atom): boolean {
    return this.#connections.has(node);
  }

  /** Subscribes to nodeup/nodedown (net_kernel:monitor_nodes(true)); returns the unsubscribe. */
  onNodeEvent(listener: (event: NodeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * monitor_node(Node, true): `onDown` is called once when the connection to `node` goes
   * down, or soon if it cannot be set up (erl then delivers {nodedown, Node} at once).
   * Returns the cancel function (monitor_node(Node, false)).
   */
  monitorNode(node: Atom, onDown: () => void): () => void {
    let done = false;
    const fire = (): void => {
      if (done) return;
      done = true;
      off();
      onDown();
    };
    const off = this.onNodeEvent((e) => {
      if (e.kind === 'nodedown' && e.node === node) fire();
    });
    void this.connect(node).then((c) => {
      if (c === undefined) fire();
    });
    return () => {
      done = true;
      off();
    };
  }

  #isHidden(c: Connection): boolean {
    return this.hidden || (c.flags & DFlag.PUBLISHED) === 0n;
  }

  #emit(event: NodeEvent): void {
    for (const l of [...this.#listeners]) {
      try {
        l(event);
      } catch (error) {
        this.#log('error', `distribution: a ${event.kind} listener threw: ${(error as Error).message}`);
      }
    }
  }

  // ---- connections

  /** net_kernel:connect_node/1: the connection to `peer`, or undefined if it cannot be set up. */
  connect(peer: Atom): Promise<Connection | undefined> {
    if (this.#stopped) return Promise.resolve(undefined);
    if (peer === this.name) return Promise.resolve(undefined);
    const live = this.#connections.get(peer);
    if (live !== undefined) return Promise.resolve(live);
    const pending = this.#pending.get(peer);
    if (pending !== undefined) return pending.promise;
    const entry = { promise: undefined as unknown as Promise<Connection | undefined>, queue: [] as Control[], waiters: [] as ((c: Connection | undefined) => void)[] };
    entry.promise = new Promise<Connection | undefined>((resolve) => entry.waiters.push(resolve));
    this.#pending.set(peer, entry);
    void this.#attempt(peer).then((c) => {
      // A simultaneous connect may have brought the connection in through the listener.
      const up = c ?? this.#connections.get(peer);
      if (up === undefined) this.#settle(peer, undefined);
    });
    return entry.promise;
  }

  /** Settles the pending attempt to `peer`: flushes or fails its queue, wakes its waiters. */
  #settle(peer: Atom, c: Connection | undefined): void {
    const entry = this.#pending.get(peer);
    if (entry === undefined) return;
    this.#pending.delete(peer);
    for (const control of entry.queue) {
      if (c !== undefined) c.send(control);
      else this.#local?.unreachable(peer, control);
    }
    for (const w of entry.waiters) w(c);
  }

  async #attempt(peer: Atom): Promise<Connection | undefined> {
    const at = peer.name.indexOf('@');
    if (at <= 0) return undefined;
    const alive = peer.name.slice(0, at);
    const host = peer.name.slice(at + 1);
    try {
      const address = await this.#resolve(host);
      const entry = await portPlease(alive, { host: address, port: this.#epmdPort, timeoutMs: this.#setupTimeMs });
      if (entry === undefined) return undefined;
      const socket = await connectSocket(address, entry.port, this.#setupTimeMs);
      try {
        const result = await connectHandshake(socket, this, peer, this.#setupTimeMs);
        if (this.#connections.has(peer)) {
          socket.destroy(); // the simultaneous incoming one won meanwhile
          return this.#connections.get(peer);
        }
        return this.#up(socket, result);
      } catch (error) {
        socket.destroy();
        if (/nok/.test((error as Error).message)) {
          // We lost a simultaneous connect: the peer's connection comes in through the listener.
          return await this.#waitIncoming(peer);
        }
        return undefined;
      }
    } catch {
      return undefined;
    }
  }

  #waitIncoming(peer: Atom): Promise<Connection | undefined> {
    const live = this.#connections.get(peer);
    if (live !== undefined) return Promise.resolve(live);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve(this.#connections.get(peer));
      }, this.#setupTimeMs);
      const off = this.onNodeEvent((e) => {
        if (e.kind === 'nodeup' && e.node === peer) {
          clearTimeout(timer);
          off();
          resolve(this.#connections.get(peer));
        }
      });
    });
  }

  async #resolve(host: string): Promise<string> {
    if (net.isIP(host)) return host;
    const own = os.hostname();
    if (host === 'localhost' || host === own || host === own.split('.')[0]) return '127.0.0.1';
    const found = await dns.lookup(host, { family: 4 });
    return found.address;
  }

  #accept(socket: net.Socket): void {
    if (this.#stopped) return void socket.destroy();
    this.#accepted.add(socket);
    socket.on('close', () => this.#accepted.delete(socket));
    socket.on('error', () => socket.destroy());
    acceptHandshake(
      socket,
      this,
      {
        onPeer: (peer) => this.#acceptStatus(peer),
        onReplace: (peer) => this.#connections.get(peer)?.close('replaced'),
      },
      this.#setupTimeMs,
    ).then(
      (result) => {
        this.#accepted.delete(socket);
        if (this.#stopped || this.#connections.has(result.peer)) return void socket.destroy();
        this.#up(socket, result);
      },
      () => socket.destroy(),
    );
  }

  #acceptStatus(peer: Atom): AcceptStatus {
    if (peer === this.name) return 'not_allowed';
    if (this.#connections.has(peer)) return 'alive';
    if (this.#pending.has(peer)) {
      // dist_util: the node with the greater name keeps its own attempt.
      return this.name.name > peer.name ? 'nok' : 'ok_simultaneous';
    }
    return 'ok';
  }

  #up(socket: net.Socket, result: HandshakeResult): Connection {
    const peer = result.peer;
    const connection: Connection = new Connection(
      socket,
      result,
      {
        onControl: (control) => this.#incoming(peer, control),
        onDown: (reason) => this.#down(peer, connection, reason),
        log: (level, text) => this.#log(level, text),
        mapOut: (term) => toWire(term, this.name, this.creation),
        mapIn: (term) => fromWire(term, this.name, this.creation),
      },
      this.netTicktime,
    );
    this.#connections.set(peer, connection);
    this.#emit({ kind: 'nodeup', node: peer, hidden: this.#isHidden(connection) });
    this.#settle(peer, connection);
    return connection;
  }

  #down(peer: Atom, connection: Connection, reason: string): void {
    if (this.#connections.get(peer) !== connection) return;
    this.#connections.delete(peer);
    for (const [key, resolve] of this.#calls) if (key.startsWith(`${peer.name} `)) resolve(undefined);
    this.#local?.nodeDown(peer, reason);
    this.#emit({ kind: 'nodedown', node: peer, hidden: this.#isHidden(connection), reason });
  }

  /** erlang:disconnect_node/1: true if a connection was closed, false if none was up. */
  disconnect(peer: Atom): boolean {
    const c = this.#connections.get(peer);
    if (c === undefined) return false;
    c.close('disconnect');
    return true;
  }

  // ---- sending

  /** Sends a control message to `peer`, connecting on demand (queued in order meanwhile). */
  send(peer: Atom, control: Control): void {
    const live = this.#connections.get(peer);
    if (live !== undefined) return void live.send(control);
    if (this.#stopped || peer === this.name) return void this.#local?.unreachable(peer, control);
    void this.connect(peer);
    const pending = this.#pending.get(peer);
    if (pending !== undefined) pending.queue.push(control);
    else {
      const now = this.#connections.get(peer);
      if (now !== undefined) now.send(control);
      else this.#local?.unreachable(peer, control);
    }
  }

  #incoming(peer: Atom, control: Control): void {
    if (control.kind === 'reg_send' && control.to === A_NET_KERNEL) return void this.#netKernel(peer, control.from, control.message);
    if (control.kind === 'send' && control.to.equals(this.netKernelPid)) return void this.#reply(peer, control.message);
    // net_kernel lives as long as the node: a monitor of it needs no record (the 'DOWN' a
    // watcher gets when the connection goes is the watcher's node's business).
    if ((control.kind === 'monitor' || control.kind === 'demonitor') && (control.to === A_NET_KERNEL || (control.to instanceof Pid && control.to.equals(this.netKernelPid)))) return;
    if (this.#local === undefined) {
      this.#log('warning', `distribution: a ${control.kind} message from '${peer.name}' arrived before the node was attached to a VM; dropped`);
      return;
    }
    this.#local.incoming(peer, control);
  }

  /** The part of net_kernel a peer calls: {'$gen_call', {From, Tag}, {is_auth, Node}} -> {Tag, yes}. */
  #netKernel(peer: Atom, from: Pid, message: Term): void {
    if (message instanceof Tuple && message.size === 3 && message.at(0) === A_GEN_CALL) {
      const fromTag = message.at(1);
      const request = message.at(2);
      if (fromTag instanceof Tuple && fromTag.size === 2 && fromTag.at(0) instanceof Pid) {
        const replyTo = fromTag.at(0) as Pid;
        // gen:call since OTP 24 sends [alias | Ref] as the tag; the reply is {Tag, Reply} to the pid.
        const tag = fromTag.at(1);
        if (request instanceof Tuple && request.size === 2 && request.at(0) === A_IS_AUTH) {
          this.send(peer, { kind: 'send', from: this.netKernelPid, to: replyTo, message: tuple(tag, A_YES) });
          return;
        }
      }
    }
    this.#log('info', `distribution: net_kernel got an unsupported request from ${peer.name} (${String(from.id)}); ignored`);
  }

  #reply(peer: Atom, message: Term): void {
    if (message instanceof Tuple && message.size === 2 && message.at(0) instanceof Ref) {
      const key = `${peer.name} ${(message.at(0) as Ref).ids.join('.')}`;
      const waiter = this.#calls.get(key);
      if (waiter !== undefined) {
        this.#calls.delete(key);
        waiter(message.at(1));
      }
    }
  }

  /** A new reference of this node (creation 0 inside the VM, as the Runtime's). */
  makeRef(): Ref {
    this.#callCounter = (this.#callCounter + 1) >>> 0;
    return new Ref(this.name, 0, [this.#callCounter, randomBytes(4).readUInt32BE(0) >>> 14, 0x3ffff]);
  }

  /** net_adm:ping/1: 'pong' if `node` answers is_auth, else 'pang'. */
  async ping(node: Atom, timeoutMs = this.#setupTimeMs): Promise<'pong' | 'pang'> {
    if (!(node instanceof Atom)) throw new InvalidArgumentError(`node must be an Atom such as atom('erl@host'); received ${describeValue(node)}`);
    if (node === this.name) return 'pong';
    const c = await this.connect(node);
    if (c === undefined) return 'pang';
    const ref = this.makeRef();
    const key = `${node.name} ${ref.ids.join('.')}`;
    const reply = new Promise<Term>((resolve) => {
      const timer = setTimeout(() => {
        this.#calls.delete(key);
        resolve(undefined);
      }, timeoutMs);
      this.#calls.set(key, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
    this.send(node, {
      kind: 'reg_send',
      from: this.netKernelPid,
      to: A_NET_KERNEL,
      message: tuple(A_GEN_CALL, tuple(this.netKernelPid, ref), tuple(A_IS_AUTH, this.name)),
    });
    return (await reply) === A_YES ? 'pong' : 'pang';
  }

  /** Stops distribution: closes every connection (nodedown), unregisters, stops listening. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const c of [...this.#connections.values()]) c.close('net_kernel_terminated');
    for (const s of this.#accepted) s.destroy();
    for (const peer of [...this.#pending.keys()]) this.#settle(peer, undefined);
    this.#registration.close();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await this.#epmd?.close();
  }
}

function listenInRange(host: string, min: number | undefined, max: number | undefined): Promise<net.Server> {
  const tryPort = (port: number): Promise<net.Server> =>
    new Promise((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, () => {
        server.off('error', reject);
        resolve(server);
      });
    });
  if (min === undefined) return tryPort(0);
  return (async () => {
    for (let port = min; port <= max!; port++) {
      try {
        return await tryPort(port);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      }
    }
    throw new InvalidArgumentError(`distribution: no free port in inet_dist_listen_min..max (${min}..${max}) on ${host}`);
  })();
}

function connectSocket(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${host}:${port} timed out`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
