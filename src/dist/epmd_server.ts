/**
 * A port mapper compatible with erts' epmd (the subset nodes use): ALIVE2_REQ answered with
 * ALIVE2_X_RESP (ALIVE2_RESP for nodes whose highest version is below 6), PORT_PLEASE2_REQ,
 * NAMES_REQ. beamjs starts one when no epmd listens (`ensureEpmd`), so a cluster of beamjs
 * nodes works on a machine without Erlang installed; erl nodes use it as they use epmd.
 * Layouts: epmd_protocol.ts.
 *
 * Invariants: a name is registered while the connection that registered it is open; one
 * entry per name (a second ALIVE2 for a live name gets result 1, as epmd answers). Creations
 * are 32-bit, never 0..3 (the values of the old 2-bit creation), and differ between
 * successive registrations of one name.
 *
 * Security: listens on 127.0.0.1 unless `host` says otherwise. KILL_REQ and other requests
 * are refused (the connection is closed), as epmd does without -relaxed_command_check.
 *
 * Bad input: a malformed or unknown request closes that connection only; the server lives on.
 * Threads: the thread that started it; Node's event loop.
 */
import net from 'node:net';
import { epmdListening } from './epmd_client.js';
import { EpmdTag, decodeAlive2, encodePort2, epmdPort, type NodeEntry } from './epmd_protocol.js';

export interface EpmdServerOptions {
  /** Default ERL_EPMD_PORT or 4369; 0 picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
}

const MAX_REQUEST = 0xffff + 2;

export class EpmdServer {
  readonly #server: net.Server;
  readonly #nodes = new Map<string, { entry: NodeEntry; socket: net.Socket }>();
  readonly #sockets = new Set<net.Socket>();
  #creation = (Math.floor(Math.random() * 0xfffffff0) >>> 0) + 4;

  private constructor(server: net.Server) {
    this.#server = server;
    server.on('connection', (socket) => this.#accept(socket));
  }

  /** Starts listening; rejects (EADDRINUSE, …) if the port is taken. */
  static start(options: EpmdServerOptions = {}): Promise<EpmdServer> {
    const server = net.createServer();
    const host = options.host ?? '127.0.0.1';
    const port = options.port === 0 ? 0 : epmdPort(options.port);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, () => {
        server.off('error', reject);
        resolve(new EpmdServer(server));
      });
    });
  }

  /** The port it listens on. */
  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  /** The registered names (alive parts), as NAMES would list them. */
  get names(): string[] {
    return [...this.#nodes.keys()];
  }

  /** Stops listening and drops every connection (their nodes become unregistered). */
  close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: net.Socket): void {
    this.#sockets.add(socket);
    let buffer = Buffer.alloc(0);
    let registered: string | undefined;
    socket.on('data', (chunk: Buffer) => {
      if (registered !== undefined) return; // a registered node sends nothing more
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length > MAX_REQUEST) return void socket.destroy();
      if (buffer.length < 2) return;
      const len = buffer.readUInt16BE(0);
      if (buffer.length < 2 + len) return;
      const body = buffer.subarray(2, 2 + len);
      buffer = Buffer.alloc(0);
      try {
        registered = this.#handle(socket, body);
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.#sockets.delete(socket);
      if (registered !== undefined && this.#nodes.get(registered)?.socket === socket) this.#nodes.delete(registered);
    });
  }

  /** Answers one request; returns the name if the connection now holds a registration. */
  #handle(socket: net.Socket, body: Buffer): string | undefined {
    switch (body[0]) {
      case EpmdTag.ALIVE2_REQ: {
        const entry = decodeAlive2(body);
        const extended = entry.highestVersion >= 6;
        const reply = Buffer.alloc(extended ? 6 : 4);
        reply[0] = extended ? EpmdTag.ALIVE2_X_RESP : EpmdTag.ALIVE2_RESP;
        if (this.#nodes.has(entry.name)) {
          reply[1] = 1;
          socket.end(reply);
          return undefined;
        }
        const creation = this.#nextCreation(extended);
        if (extended) reply.writeUInt32BE(creation, 2);
        else reply.writeUInt16BE(creation, 2);
        this.#nodes.set(entry.name, { entry, socket });
        socket.write(reply);
        return entry.name;
      }
      case EpmdTag.PORT_PLEASE2_REQ: {
        const found = this.#nodes.get(body.toString('utf8', 1));
        socket.end(found === undefined ? Buffer.of(EpmdTag.PORT2_RESP, 1) : encodePort2(found.entry));
        return undefined;
      }
      case EpmdTag.NAMES_REQ: {
        const head = Buffer.alloc(4);
        head.writeUInt32BE(this.port, 0);
        let text = '';
        for (const { entry } of this.#nodes.values()) text += `name ${entry.name} at port ${entry.port}\n`;
        socket.end(Buffer.concat([head, Buffer.from(text, 'utf8')]));
        return undefined;
      }
      default:
        socket.destroy();
        return undefined;
    }
  }

  #nextCreation(extended: boolean): number {
    if (!extended) {
      // Old nodes get a 2-bit creation 1..3.
      this.#creation = (this.#creation % 3) + 1;
      return this.#creation;
    }
    this.#creation = this.#creation >= 0xffffffff ? 4 : this.#creation + 1;
    if (this.#creation < 4) this.#creation = 4;
    return this.#creation;
  }
}

/**
 * Makes sure an epmd answers at `port` on 127.0.0.1: returns undefined if one already
 * listens (erts' epmd or another beamjs node's), else starts our own and returns it. Two
 * nodes racing to start one: the loser sees EADDRINUSE and uses the winner's.
 */
export async function ensureEpmd(options: EpmdServerOptions = {}): Promise<EpmdServer | undefined> {
  const port = epmdPort(options.port);
  const host = options.host ?? '127.0.0.1';
  if (await epmdListening({ host, port, timeoutMs: 1000 })) return undefined;
  try {
    return await EpmdServer.start({ host, port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') return undefined;
    throw error;
  }
}
