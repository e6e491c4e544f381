/**
 * src/dist: the Erlang distribution protocol. Public surface.
 *
 * | file              | what                                                              |
 * |-------------------|-------------------------------------------------------------------|
 * | epmd_protocol.ts  | EPMD request/reply layouts (ALIVE2_X, PORT_PLEASE2, NAMES)        |
 * | epmd_client.ts    | register (keeps the socket), portPlease, names                   |
 * | epmd_server.ts    | our epmd (127.0.0.1) when none runs; ensureEpmd                  |
 * | flags.ts          | DFLAG_* values of OTP's dist.h, what we offer and require        |
 * | handshake.ts      | version 6 handshake, both sides, MD5 cookie challenge            |
 * | frame_reader.ts   | 2- and 4-byte length framing                                      |
 * | connection.ts     | one connection: pass-through frames, ticks, dead-peer detection |
 * | control.ts        | control messages (SEND … UNLINK_ID_ACK) with validation          |
 * | creation_map.ts   | local creation 0 <-> the node's creation at the boundary         |
 * | dist_node.ts      | the node: name, cookie, listener, connections, nodes, ping      |
 * | vm_bridge.ts      | signals <-> control messages for a VM (main thread)              |
 * | dist_modules.ts   | erpc / beamjs_dist process code (spawn requests, rex)            |
 * | rpc.ts            | rpc.call / cast / erpcCall / ping / spawnOn for beamjs processes |
 * | net_kernel.ts     | net_kernel:start/1,2, stop/0 (run-time start/stop), monitor_nodes |
 * | global.ts         | global_name_server: OTP's global protocol (+ global_locks, global_calls) |
 *
 * Threads: a DistNode and its sockets belong to one thread (a VM's main thread); rpc.ts runs
 * inside processes on any scheduler thread.
 */
export { DistNode, defaultCookie, localHostName } from './dist_node.js';
export type { DistOptions, LocalSide, NodeEvent } from './dist_node.js';
export { DistProtocolError, NetKernelError } from './errors.js';
export { EpmdServer, ensureEpmd } from './epmd_server.js';
export type { EpmdServerOptions } from './epmd_server.js';
export { register as epmdRegister, portPlease, names as epmdNames } from './epmd_client.js';
export type { EpmdAddress, EpmdRegistration, RegisterOptions } from './epmd_client.js';
export { EPMD_DEFAULT_PORT } from './epmd_protocol.js';
export type { NodeEntry } from './epmd_protocol.js';
export { DFlag, MANDATORY_25, OUR_FLAGS } from './flags.js';
export { ControlOp, decodeControl, encodeControl } from './control.js';
export type { Control } from './control.js';
export { GlobalNames } from './global.js';
export * as rpc from './rpc.js';
export { ping } from './rpc.js';
export { monitorNode, nodes, NodeWatchers, NODES_TABLE } from './node_monitor.js';
export * as netKernel from './net_kernel.js';
export { Global, GLOBAL_TABLE } from './global_module.js';
