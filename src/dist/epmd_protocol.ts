/**
 * The EPMD wire protocol (Erlang Port Mapper Daemon), as erts/epmd speaks it in OTP 23+:
 * constants and the byte layouts of requests and replies, shared by epmd_client.ts and
 * epmd_server.ts. No I/O here.
 *
 * Every request is framed by a 2-byte big-endian length, then a tag byte:
 *
 * | tag | name            | request body after the tag                                   |
 * |----:|-----------------|--------------------------------------------------------------|
 * | 120 | ALIVE2_REQ      | port(2) nodeType(1) protocol(1) highest(2) lowest(2)         |
 * |     |                 | nlen(2) name(nlen) elen(2) extra(elen)                       |
 * | 122 | PORT_PLEASE2_REQ| name (the rest of the frame)                                 |
 * | 110 | NAMES_REQ       | (none)                                                       |
 * | 107 | KILL_REQ        | (none)                                                       |
 *
 * Replies are not framed:
 *
 * | tag | name          | body after the tag                                             |
 * |----:|---------------|----------------------------------------------------------------|
 * | 121 | ALIVE2_RESP   | result(1) creation(2)   (for nodes whose highest version < 6)   |
 * | 118 | ALIVE2_X_RESP | result(1) creation(4)   (OTP 23+, highest version >= 6)         |
 * | 119 | PORT2_RESP    | result(1); if result 0: port(2) nodeType(1) protocol(1)         |
 * |     |               | highest(2) lowest(2) nlen(2) name elen(2) extra                |
 * | --  | NAMES reply   | epmdPort(4) then lines "name N at port P\n" until EOF           |
 *
 * An ALIVE2 registration lasts as long as the TCP connection that made it: the node keeps
 * the socket open and closing it unregisters the node.
 *
 * Bad input: the parse functions throw DistProtocolError naming the field that was wrong.
 * Threads: stateless; any thread.
 */
import { DistProtocolError } from './errors.js';

/** The port epmd listens on unless ERL_EPMD_PORT says otherwise. */
export const EPMD_DEFAULT_PORT = 4369;

export const EpmdTag = {
  ALIVE2_REQ: 120,
  ALIVE2_RESP: 121,
  ALIVE2_X_RESP: 118,
  PORT_PLEASE2_REQ: 122,
  PORT2_RESP: 119,
  NAMES_REQ: 110,
  KILL_REQ: 107,
} as const;

/** Node types of ALIVE2 / PORT2: 77 ('M') a normal node, 72 ('H') a hidden node. */
export const NodeType = { NORMAL: 77, HIDDEN: 72 } as const;
/** The only protocol: TCP/IPv4 (0). */
export const PROTOCOL_TCP = 0;

/** What a node registers and what PORT_PLEASE2 returns. */
export interface NodeEntry {
  readonly name: string;
  readonly port: number;
  readonly nodeType: number;
  readonly protocol: number;
  readonly highestVersion: number;
  readonly lowestVersion: number;
  readonly extra: Uint8Array;
}

/** The epmd port to use: `explicit`, else ERL_EPMD_PORT, else 4369. */
export function epmdPort(explicit?: number): number {
  if (explicit !== undefined) return explicit;
  const env = process.env.ERL_EPMD_PORT;
  if (env !== undefined && /^\d+$/.test(env) && Number(env) > 0 && Number(env) < 65536) return Number(env);
  return EPMD_DEFAULT_PORT;
}

/** Frames a request body (tag first) with its 2-byte length. */
export function frameRequest(body: Uint8Array): Buffer {
  if (body.length > 0xffff) throw new DistProtocolError(`epmd request of ${body.length} bytes does not fit a 2-byte length`);
  const out = Buffer.alloc(2 + body.length);
  out.writeUInt16BE(body.length, 0);
  out.set(body, 2);
  return out;
}

/** The body (tag first) of an ALIVE2_REQ for `entry`. */
export function encodeAlive2(entry: NodeEntry): Buffer {
  const name = Buffer.from(entry.name, 'utf8');
  const out = Buffer.alloc(13 + name.length + entry.extra.length);
  let p = out.writeUInt8(EpmdTag.ALIVE2_REQ, 0);
  p = out.writeUInt16BE(entry.port, p);
  p = out.writeUInt8(entry.nodeType, p);
  p = out.writeUInt8(entry.protocol, p);
  p = out.writeUInt16BE(entry.highestVersion, p);
  p = out.writeUInt16BE(entry.lowestVersion, p);
  p = out.writeUInt16BE(name.length, p);
  out.set(name, p);
  p += name.length;
  p = out.writeUInt16BE(entry.extra.length, p);
  out.set(entry.extra, p);
  return out;
}

/** Reads an ALIVE2_REQ body (tag first). */
export function decodeAlive2(body: Buffer): NodeEntry {
  if (body.length < 13 || body[0] !== EpmdTag.ALIVE2_REQ) {
    throw new DistProtocolError(`ALIVE2_REQ must be at least 13 bytes starting with 120; received ${body.length} bytes starting with ${body[0]}`);
  }
  const nlen = body.readUInt16BE(9);
  if (nlen === 0 || 11 + nlen + 2 > body.length) throw new DistProtocolError(`ALIVE2_REQ name length ${nlen} does not fit the ${body.length}-byte request`);
  const elen = body.readUInt16BE(11 + nlen);
  if (13 + nlen + elen !== body.length) throw new DistProtocolError(`ALIVE2_REQ extra length ${elen} does not match the ${body.length}-byte request`);
  return {
    port: body.readUInt16BE(1),
    nodeType: body[3]!,
    protocol: body[4]!,
    highestVersion: body.readUInt16BE(5),
    lowestVersion: body.readUInt16BE(7),
    name: body.toString('utf8', 11, 11 + nlen),
    extra: Uint8Array.prototype.slice.call(body, 13 + nlen, 13 + nlen + elen),
  };
}

/** The PORT2_RESP for a found entry (result 0). */
export function encodePort2(entry: NodeEntry): Buffer {
  const name = Buffer.from(entry.name, 'utf8');
  const out = Buffer.alloc(14 + name.length + entry.extra.length);
  let p = out.writeUInt8(EpmdTag.PORT2_RESP, 0);
  p = out.writeUInt8(0, p);
  p = out.writeUInt16BE(entry.port, p);
  p = out.writeUInt8(entry.nodeType, p);
  p = out.writeUInt8(entry.protocol, p);
  p = out.writeUInt16BE(entry.highestVersion, p);
  p = out.writeUInt16BE(entry.lowestVersion, p);
  p = out.writeUInt16BE(name.length, p);
  out.set(name, p);
  p += name.length;
  p = out.writeUInt16BE(entry.extra.length, p);
  out.set(entry.extra, p);
  return out;
}

/**
 * Reads a PORT2_RESP. Returns undefined for a not-found result, 'partial' when more bytes
 * are needed, or the entry.
 */
export function decodePort2(reply: Buffer): NodeEntry | undefined | 'partial' {
  if (reply.length < 2) return 'partial';
  if (reply[0] !== EpmdTag.PORT2_RESP) throw new DistProtocolError(`PORT_PLEASE2 reply must start with 119; received ${reply[0]}`);
  if (reply[1] !== 0) return undefined;
  if (reply.length < 12) return 'partial';
  const nlen = reply.readUInt16BE(10);
  if (reply.length < 12 + nlen + 2) return 'partial';
  const elen = reply.readUInt16BE(12 + nlen);
  if (reply.length < 14 + nlen + elen) return 'partial';
  return {
    port: reply.readUInt16BE(2),
    nodeType: reply[4]!,
    protocol: reply[5]!,
    highestVersion: reply.readUInt16BE(6),
    lowestVersion: reply.readUInt16BE(8),
    name: reply.toString('utf8', 12, 12 + nlen),
    extra: Uint8Array.prototype.slice.call(reply, 14 + nlen, 14 + nlen + elen),
  };
}

/** Parses the text of a NAMES reply (after the 4-byte port) into name/port pairs. */
export function parseNames(text: string): { name: string; port: number }[] {
  const out: { name: string; port: number }[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = /^name (.+) at port (\d+)$/.exec(line);
    if (m === null) throw new DistProtocolError(`NAMES reply line must read "name N at port P"; received ${JSON.stringify(line)}`);
    out.push({ name: m[1]!, port: Number(m[2]) });
  }
  return out;
}
