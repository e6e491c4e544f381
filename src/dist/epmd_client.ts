/**
 * EPMD client: register this node (ALIVE2_REQ, keeping the socket: the registration lasts
 * as long as it), look a peer's port up (PORT_PLEASE2_REQ) and list names (NAMES_REQ).
 * Layouts: epmd_protocol.ts.
 *
 * Every request opens its own TCP connection to epmd, as erl_epmd does; registration keeps
 * its connection until `EpmdRegistration.close()` (or until epmd goes away, reported by
 * `onClose`). Each call has a timeout (default 5 s) and rejects with an Error saying which
 * request to which address timed out, or a DistProtocolError for a malformed reply.
 *
 * Threads: main thread (or whichever thread owns the node's sockets); Node's event loop.
 */
import net from 'node:net';
import { InvalidArgumentError, describeValue } from '../errors/index.js';
import {
  EpmdTag,
  NodeType,
  PROTOCOL_TCP,
  decodePort2,
  encodeAlive2,
  epmdPort,
  frameRequest,
  parseNames,
  type NodeEntry,
} from './epmd_protocol.js';
import { DistProtocolError } from './errors.js';

export interface EpmdAddress {
  /** epmd's host (default 127.0.0.1). */
  readonly host?: string;
  /** epmd's port (default ERL_EPMD_PORT or 4369). */
  readonly port?: number;
  /** Milliseconds before a request fails (default 5000). */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;

function where(address: EpmdAddress): { host: string; port: number; timeoutMs: number } {
  return { host: address.host ?? '127.0.0.1', port: epmdPort(address.port), timeoutMs: address.timeoutMs ?? DEFAULT_TIMEOUT_MS };
}

/**
 * Sends `body` framed to epmd and collects the reply until `done` says it is complete
 * (returns a value) or the peer closes (then `done(all, true)` decides).
 */
function request<T>(address: EpmdAddress, body: Uint8Array, what: string, done: (reply: Buffer, closed: boolean) => T | 'partial'): Promise<T> {
  const { host, port, timeoutMs } = where(address);
  return new Promise<T>((resolve, reject) => {
    const socket = net.connect({ host, port });
    let reply = Buffer.alloc(0);
    let finished = false;
    const finish = (error: Error | undefined, value?: T): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      if (error !== undefined) reject(error);
      else resolve(value as T);
    };
    const timer = setTimeout(() => finish(new Error(`epmd ${what} to ${host}:${port} timed out after ${timeoutMs} ms`)), timeoutMs);
    const check = (closed: boolean): void => {
      try {
        const value = done(reply, closed);
        if (value !== 'partial') finish(undefined, value);
        else if (closed) finish(new DistProtocolError(`epmd at ${host}:${port} closed the connection before a complete ${what} reply (${reply.length} bytes)`));
      } catch (error) {
        finish(error as Error);
      }
    };
    socket.on('connect', () => socket.write(frameRequest(body)));
    socket.on('data', (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
      check(false);
    });
    socket.on('end', () => check(true));
    socket.on('error', (error) => finish(new Error(`epmd ${what} to ${host}:${port} failed: ${error.message}`, { cause: error })));
  });
}

/** PORT_PLEASE2: the entry of `name` (the part before '@'), or undefined if not registered. */
export function portPlease(name: string, address: EpmdAddress = {}): Promise<NodeEntry | undefined> {
  checkAliveName(name, 'name');
  const body = Buffer.concat([Buffer.of(EpmdTag.PORT_PLEASE2_REQ), Buffer.from(name, 'utf8')]);
  return request(address, body, 'PORT_PLEASE2', (reply) => decodePort2(reply));
}

/** NAMES: epmd's port and the registered nodes, as `net_adm:names()` lists them. */
export function names(address: EpmdAddress = {}): Promise<{ epmdPort: number; nodes: { name: string; port: number }[] }> {
  return request(address, Buffer.of(EpmdTag.NAMES_REQ), 'NAMES', (reply, closed) => {
    if (!closed) return 'partial';
    if (reply.length < 4) throw new DistProtocolError(`NAMES reply must start with a 4-byte port; received ${reply.length} bytes`);
    return { epmdPort: reply.readUInt32BE(0), nodes: parseNames(reply.toString('utf8', 4)) };
  });
}

/** A live registration: close() unregisters (closes the socket). */
export interface EpmdRegistration {
  /** The node's creation as epmd assigned it (32 bits with ALIVE2_X_RESP). */
  readonly creation: number;
  /** Called once if epmd closes the connection (the node is then no longer registered). */
  onClose: (() => void) | undefined;
  close(): void;
}

export interface RegisterOptions extends EpmdAddress {
  /** The alive part of the node name (before '@'). */
  readonly name: string;
  /** The port the node's distribution listener accepts on. */
  readonly listenPort: number;
  readonly hidden?: boolean;
}

/** ALIVE2: registers `name` with `listenPort`; the result holds the socket open. */
export function register(options: RegisterOptions): Promise<EpmdRegistration> {
  checkAliveName(options.name, 'options.name');
  if (!Number.isInteger(options.listenPort) || options.listenPort <= 0 || options.listenPort > 0xffff) {
    throw new InvalidArgumentError(`options.listenPort must be a port number 1..65535; received ${describeValue(options.listenPort)}`);
  }
  const { host, port, timeoutMs } = where(options);
  const body = encodeAlive2({
    name: options.name,
    port: options.listenPort,
    nodeType: options.hidden === true ? NodeType.HIDDEN : NodeType.NORMAL,
    protocol: PROTOCOL_TCP,
    highestVersion: 6,
    lowestVersion: 6,
    extra: new Uint8Array(0),
  });
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let reply = Buffer.alloc(0);
    let registration: (EpmdRegistration & { closed: boolean }) | undefined;
    const timer = setTimeout(() => fail(new Error(`epmd ALIVE2 to ${host}:${port} timed out after ${timeoutMs} ms`)), timeoutMs);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (registration === undefined) reject(error);
    };
    socket.on('connect', () => socket.write(frameRequest(body)));
    socket.on('data', (chunk: Buffer) => {
      if (registration !== undefined) return; // epmd sends nothing more; ignore stray bytes
      reply = Buffer.concat([reply, chunk]);
      if (reply.length < 2) return;
      const tag = reply[0];
      if (tag !== EpmdTag.ALIVE2_X_RESP && tag !== EpmdTag.ALIVE2_RESP) {
        fail(new DistProtocolError(`ALIVE2 reply must start with 118 or 121; received ${tag}`));
        return;
      }
      if (reply[1] !== 0) {
        fail(new Error(`epmd at ${host}:${port} refused to register '${options.name}' (result ${reply[1]}): is a node of that name already running?`));
        return;
      }
      const need = tag === EpmdTag.ALIVE2_X_RESP ? 6 : 4;
      if (reply.length < need) return;
      clearTimeout(timer);
      const creation = tag === EpmdTag.ALIVE2_X_RESP ? reply.readUInt32BE(2) : reply.readUInt16BE(2);
      const reg = {
        creation,
        closed: false,
        onClose: undefined as (() => void) | undefined,
        close(): void {
          reg.closed = true;
          socket.destroy();
        },
      };
      registration = reg;
      resolve(reg);
    });
    socket.on('close', () => {
      if (registration === undefined) {
        fail(new DistProtocolError(`epmd at ${host}:${port} closed the connection before answering ALIVE2 for '${options.name}'`));
      } else if (!registration.closed) {
        registration.closed = true;
        registration.onClose?.();
      }
    });
    socket.on('error', (error) => {
      if (registration === undefined) fail(new Error(`epmd ALIVE2 to ${host}:${port} failed: ${error.message}`, { cause: error }));
    });
  });
}

/** True when something accepts connections at epmd's address (it may not be epmd). */
export function epmdListening(address: EpmdAddress = {}): Promise<boolean> {
  const { host, port, timeoutMs } = where(address);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => done(false), timeoutMs);
    const done = (up: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(up);
    };
    socket.on('connect', () => done(true));
    socket.on('error', () => done(false));
  });
}

function checkAliveName(name: unknown, what: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.includes('@') || Buffer.byteLength(name) > 255) {
    throw new InvalidArgumentError(`${what} must be the alive part of a node name (1..255 bytes, no '@'); received ${describeValue(name)}`);
  }
}
