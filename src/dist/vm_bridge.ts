/**
 * VmBridge: joins a DistNode to a VM's process layer, on the VM's main thread.
 *
 * Which thread owns the sockets: the main thread. It is already an endpoint of the scheduler
 * mesh, so a scheduler thread hands every signal for another node to it through the ring of
 * that pair (runtime.remote = forward to the main endpoint, scheduler_worker.ts), in the order
 * the scheduler handles them; the main thread's runtime routes it here (signals.ts
 * routeRemote), and here it becomes a control message on the peer's connection. Incoming
 * control messages become signals posted on the main runtime, which hands each to the
 * thread of its target through the mesh, as any signal from the main thread. So signals of
 * one sender to one receiver keep one path and their order across nodes (DESIGN.md).
 *
 * Signal -> control message (outgoing):
 *
 * | signal (local -> remote)          | control                                   |
 * |-----------------------------------|-------------------------------------------|
 * | MESSAGE to a pid                  | SEND_SENDER (SEND without a sender)       |
 * | MESSAGE to {Name, Node}           | REG_SEND (remoteNameTarget, object: Name) |
 * | MESSAGE to the spawn-reply target | SPAWN_REPLY (dist_modules.ts spawned/6)   |
 * | MESSAGE to the spawn-request target | SPAWN_REQUEST (rpc.ts spawnOn)          |
 * | MESSAGE to a node-monitor target  | none: node_monitor.ts NodeWatchers        |
 * | LINK / UNLINK                     | LINK / UNLINK_ID (id from a counter)      |
 * | EXIT (exit/2)                     | PAYLOAD_EXIT2                             |
 * | EXIT_LINKED (a linked one died)   | PAYLOAD_EXIT                              |
 * | MONITOR / DEMONITOR               | MONITOR_P / DEMONITOR_P (pid or name)     |
 * | DOWN (a monitored one died)       | PAYLOAD_MONITOR_P_EXIT (name if by name)  |
 *
 * Connection loss: the bridge records the links and monitors that cross each connection;
 * when it goes down (or a link/monitor could not be sent), local processes get exit signals
 * and 'DOWN's with reason `noconnection`, and monitors held by the peer's processes on local
 * ones are dropped, as in OTP.
 *
 * Servers a peer expects on every node, answered here on the main thread:
 * - `rex` (rpc before erpc): {'$gen_call', {From, Tag}, {call, M, F, A, GL}} spawns
 *   beamjs_dist:rex_call (the reply comes from that process), {'$gen_cast', {cast, M, F, A,
 *   GL}} spawns rex_cast, {From, features_request} gets {features_reply, Node, [erpc]};
 * - `global_name_server`: OTP's global protocol, global.ts (messages, monitors and 'DOWN's for
 *   its server and locker pids stop there too);
 * - SPAWN_REQUEST: spawns beamjs_dist:spawned(ReqId, From, Flags, M, F, Args), which sends
 *   the SPAWN_REPLY itself (dist_modules.ts); the options `link` and `monitor` are honoured,
 *   others are ignored.
 * - SPAWN_REPLY (to a spawnOn of ours): {spawn_reply, ReqId, ok, Pid} | {spawn_reply, ReqId,
 *   error, Reason} to the caller, with the link/monitor of its options recorded here; a
 *   request whose node cannot be reached, or whose connection goes before the reply, gets
 *   {spawn_reply, ReqId, error, noconnection}, as in OTP.
 * Messages to an unregistered name are dropped, as erl drops them.
 *
 * Threads: main thread only. Bad input: control messages were validated by control.ts;
 * targets that are not of this node are dropped with a log line.
 */
import { pidKey, post, refKey, remoteNameTarget, sendMessage, NAME_TARGET_ID, Signal, SignalKind, type RefKey } from '../process/signals.js';
import type { Runtime } from '../process/runtime.js';
import { Atom, Pid, Ref, Tuple, atom, tuple, type Term } from '../term/index.js';
import type { Control } from './control.js';
import { SpawnReplyFlag } from './control.js';
import { SPAWN_REPLY_TARGET_ID } from './dist_modules.js';
import type { DistNode, LocalSide } from './dist_node.js';
import { GlobalNames, type RunAs } from './global.js';
import { GLOBAL_TARGET_ID, GLOBAL_WATCHER_PID, isGlobalNotice } from './global_module.js';
import { NET_KERNEL_NODE, NET_KERNEL_TARGET_ID, NODE_MONITOR_TARGET_ID, NodeWatchers } from './node_monitor.js';
import { SPAWN_REQUEST_TARGET_ID } from './rpc.js';

const A_NOCONNECTION = atom('noconnection');
const A_NOPROC = atom('noproc');
const A_REX = atom('rex');
const A_GLOBAL = atom('global_name_server');
const A_GEN_CALL = atom('$gen_call');
const A_GEN_CAST = atom('$gen_cast');
const A_CALL = atom('call');
const A_CAST = atom('cast');
const A_FEATURES_REQUEST = atom('features_request');
const A_FEATURES_REPLY = atom('features_reply');
const A_ERPC = atom('erpc');
const A_LINK = atom('link');
const A_MONITOR = atom('monitor');
const A_BEAMJS_DIST = atom('beamjs_dist');
const A_SPAWNED = atom('spawned');
const A_REX_CALL = atom('rex_call');
const A_REX_CAST = atom('rex_cast');
const A_SPAWN_REPLY = atom('spawn_reply');
const A_OK = atom('ok');
const A_ERROR = atom('error');

export type SpawnFn = (module: Atom, fun: Atom, args: readonly Term[]) => Promise<Pid>;

interface OutMonitor {
  readonly watcher: Pid;
  readonly ref: Ref;
  readonly object: Term;
  readonly remote: Pid | undefined;
}

interface InMonitor {
  readonly watcher: Pid;
  readonly target: Pid;
  readonly ref: Ref;
}

/** The key of a link between a local and a remote pid (pidKey of each, as the process layer keys them). */
function linkKey(local: Pid, remote: Pid): string {
  return `${pidKey(local)} ${pidKey(remote)}`;
}

/** Per-peer records of what crosses one connection. */
class PeerState {
  /** local pid id + remote pid id -> the pair. */
  readonly links = new Map<string, { local: Pid; remote: Pid }>();
  readonly outMonitors = new Map<RefKey, OutMonitor>();
  readonly inMonitors = new Map<RefKey, InMonitor>();
  /** SPAWN_REQUESTs of local processes still without a SPAWN_REPLY: ReqId -> requester. */
  readonly spawnRequests = new Map<RefKey, { reqId: Ref; from: Pid }>();
}

export class VmBridge implements LocalSide {
  readonly #node: DistNode;
  readonly #runtime: Runtime;
  readonly #spawn: SpawnFn;
  readonly #flush: () => void;
  readonly #peers = new Map<Atom, PeerState>();
  readonly global: GlobalNames;
  readonly #watchers: NodeWatchers;
  #unlinkId = 0;

  constructor(node: DistNode, runtime: Runtime, spawn: SpawnFn, flush: () => void = () => undefined, run?: RunAs) {
    this.#node = node;
    this.#runtime = runtime;
    this.#spawn = spawn;
    this.#flush = flush;
    this.global = new GlobalNames(node, run, {
      send: (from, to, message) => {
        if (to.node === runtime.node) this.#deliver(from, to, message);
        else node.send(to.node, { kind: 'send', from, to, message });
        flush();
      },
      exit: (from, to, reason) => {
        if (to.node === runtime.node) this.#post(new Signal(SignalKind.EXIT, from, to, reason, undefined, undefined));
        else node.send(to.node, { kind: 'exit2', from, to, reason });
        flush();
      },
      monitorLocal: (pid) => {
        const ref = runtime.makeRef(undefined);
        this.#post(new Signal(SignalKind.MONITOR, GLOBAL_WATCHER_PID, pid, undefined, ref, pid));
        flush();
        return ref;
      },
      demonitorLocal: (pid, ref) => {
        this.#post(new Signal(SignalKind.DEMONITOR, GLOBAL_WATCHER_PID, pid, undefined, ref, undefined));
        flush();
      },
    });
    this.#watchers = new NodeWatchers(node, (to, message) => this.#deliver(undefined, to, message), flush, run, runtime);
  }

  #peer(node: Atom): PeerState {
    let s = this.#peers.get(node);
    if (s === undefined) this.#peers.set(node, (s = new PeerState()));
    return s;
  }

  #post(signal: Signal): void {
    post(this.#runtime, signal);
  }

  #deliver(from: Pid | undefined, to: Pid, message: Term): void {
    sendMessage(this.#runtime, from, to, message);
  }

  // ---- outgoing: signals of local processes for other nodes (runtime.remote)

  readonly outgoing = (signal: Signal): void => {
    const peer = signal.to.node;
    const node = this.#node;
    const from = signal.from;
    switch (signal.kind) {
      case SignalKind.MESSAGE: {
        const message = signal.data;
        if (signal.to.id === GLOBAL_TARGET_ID && signal.to.node === NET_KERNEL_NODE && isGlobalNotice(message)) return void this.global.localNotice(message);
        if (signal.to.id >= NET_KERNEL_TARGET_ID && signal.to.id <= NODE_MONITOR_TARGET_ID && this.#watchers.request(signal.to, message)) return;
        if (signal.to.id === NAME_TARGET_ID && signal.object instanceof Atom) {
          node.send(peer, { kind: 'reg_send', from: from ?? node.netKernelPid, to: signal.object, message });
        } else if (signal.to.id === SPAWN_REPLY_TARGET_ID && message instanceof Tuple && message.size === 4) {
          node.send(peer, { kind: 'spawn_reply', reqId: message.at(0) as Ref, to: message.at(1) as Pid, flags: message.at(2) as number, result: message.at(3) });
          const flags = message.at(2) as number;
          const spawned = message.at(3) as Pid;
          const requester = message.at(1) as Pid;
          if ((flags & SpawnReplyFlag.LINK) !== 0) this.#peer(peer).links.set(linkKey(spawned, requester), { local: spawned, remote: requester });
          if ((flags & SpawnReplyFlag.MONITOR) !== 0) this.#peer(peer).inMonitors.set(refKey(message.at(0) as Ref), { watcher: requester, target: spawned, ref: message.at(0) as Ref });
        } else if (signal.to.id === SPAWN_REQUEST_TARGET_ID && message instanceof Tuple && message.size === 6) {
          // rpc.ts spawnOn: {ReqId, From, M, F, Args, Opts}
          const args = message.at(4) as Term[];
          this.#peer(peer).spawnRequests.set(refKey(message.at(0) as Ref), { reqId: message.at(0) as Ref, from: message.at(1) as Pid });
          node.send(peer, {
            kind: 'spawn_request',
            reqId: message.at(0) as Ref,
            from: message.at(1) as Pid,
            groupLeader: message.at(1) as Pid,
            module: message.at(2) as Atom,
            function: message.at(3) as Atom,
            arity: args.length,
            options: message.at(5) as Term[],
            args,
          });
        } else {
          node.send(peer, { kind: 'send', from, to: signal.to, message });
        }
        return;
      }
      case SignalKind.LINK:
        if (from === undefined) return;
        this.#peer(peer).links.set(linkKey(from, signal.to), { local: from, remote: signal.to });
        node.send(peer, { kind: 'link', from, to: signal.to });
        return;
      case SignalKind.UNLINK:
        if (from === undefined) return;
        this.#peer(peer).links.delete(linkKey(from, signal.to));
        this.#unlinkId = (this.#unlinkId + 1) >>> 0;
        node.send(peer, { kind: 'unlink_id', id: this.#unlinkId, from, to: signal.to });
        return;
      case SignalKind.EXIT:
        if (from === undefined) return;
        node.send(peer, { kind: 'exit2', from, to: signal.to, reason: signal.data });
        return;
      case SignalKind.EXIT_LINKED:
        if (from === undefined) return;
        this.#peer(peer).links.delete(linkKey(from, signal.to));
        node.send(peer, { kind: 'exit', from, to: signal.to, reason: signal.data });
        return;
      case SignalKind.MONITOR: {
        if (from === undefined || signal.ref === undefined) return;
        const byName = signal.to.id === NAME_TARGET_ID && signal.object instanceof Tuple;
        const to = byName ? ((signal.object as Tuple).at(0) as Atom) : signal.to;
        this.#peer(peer).outMonitors.set(refKey(signal.ref), { watcher: from, ref: signal.ref, object: signal.object, remote: byName ? undefined : signal.to });
        node.send(peer, { kind: 'monitor', from, to, ref: signal.ref });
        return;
      }
      case SignalKind.DEMONITOR: {
        if (from === undefined || signal.ref === undefined) return;
        const entry = this.#peer(peer).outMonitors.get(refKey(signal.ref));
        if (entry === undefined) return;
        this.#peer(peer).outMonitors.delete(refKey(signal.ref));
        const to = entry.remote ?? ((entry.object as Tuple).at(0) as Atom);
        node.send(peer, { kind: 'demonitor', from, to, ref: signal.ref });
        return;
      }
      case SignalKind.DOWN: {
        if (from === undefined || signal.ref === undefined) return;
        if (signal.to.node === NET_KERNEL_NODE && signal.to.id === GLOBAL_TARGET_ID) return void this.global.localHolderDown(from, signal.ref);
        if (signal.to.node === NET_KERNEL_NODE) return void this.#watchers.processDown(from, signal.ref);
        this.#peer(peer).inMonitors.delete(refKey(signal.ref));
        const object = signal.object;
        const fromProc = object instanceof Tuple && object.size === 2 && object.at(0) instanceof Atom ? (object.at(0) as Atom) : from;
        node.send(peer, { kind: 'monitor_exit', from: fromProc, to: signal.to, ref: signal.ref, reason: signal.data });
        return;
      }
      default:
        return;
    }
  };

  // ---- LocalSide: what arrives from peers

  incoming(peer: Atom, c: Control): void {
    this.#incoming(peer, c);
    this.#flush(); // publish what was posted for scheduler threads
  }

  #incoming(peer: Atom, c: Control): void {
    const here = this.#runtime.node;
    switch (c.kind) {
      case 'send':
        if (this.global.isOwnPid(c.to)) return void this.global.incomingSend(peer, c.message);
        if (c.to.node === here) this.#deliver(c.from, c.to, c.message);
        return;
      case 'reg_send':
        this.#regSend(peer, c.from, c.to, c.message);
        return;
      case 'alias_send':
        return; // process aliases are not implemented: dropped, as a send to a dead alias
      case 'link':
        if (c.to.node !== here || this.global.isOwnPid(c.to)) return;
        this.#peer(peer).links.set(linkKey(c.to, c.from), { local: c.to, remote: c.from });
        this.#post(new Signal(SignalKind.LINK, c.from, c.to, undefined, undefined, undefined));
        return;
      case 'unlink':
      case 'unlink_id':
        if (c.to.node !== here) return;
        this.#peer(peer).links.delete(linkKey(c.to, c.from));
        this.#post(new Signal(SignalKind.UNLINK, c.from, c.to, undefined, undefined, undefined));
        if (c.kind === 'unlink_id') this.#node.send(peer, { kind: 'unlink_id_ack', id: c.id, from: c.to, to: c.from });
        return;
      case 'unlink_id_ack':
        return; // the link was forgotten on this side when unlink/1 ran (signals.ts)
      case 'exit':
        if (c.to.node !== here) return;
        this.#peer(peer).links.delete(linkKey(c.to, c.from));
        this.#post(new Signal(SignalKind.EXIT_LINKED, c.from, c.to, c.reason, undefined, undefined));
        return;
      case 'exit2':
        if (c.to.node !== here) return;
        this.#post(new Signal(SignalKind.EXIT, c.from, c.to, c.reason, undefined, undefined));
        return;
      case 'monitor': {
        // The global server and its locker live as long as the node (as rex below).
        if (c.to instanceof Pid && this.global.isOwnPid(c.to)) return;
        let target: Pid | undefined;
        let object: Term;
        if (c.to instanceof Atom) {
          // rex and global_name_server are served here on the main thread and live as long as
          // the node: a monitor of them needs no record (the connection's loss is the 'DOWN').
          if ((c.to === A_REX || c.to === A_GLOBAL) && this.#runtime.names.whereis(c.to) === undefined) return;
          target = this.#runtime.names.whereis(c.to);
          object = tuple(c.to, here);
        } else {
          target = c.to.node === here ? c.to : undefined;
          object = c.to;
        }
        if (target === undefined) {
          this.#node.send(peer, { kind: 'monitor_exit', from: c.to, to: c.from, ref: c.ref, reason: A_NOPROC });
          return;
        }
        this.#peer(peer).inMonitors.set(refKey(c.ref), { watcher: c.from, target, ref: c.ref });
        this.#post(new Signal(SignalKind.MONITOR, c.from, target, undefined, c.ref, object));
        return;
      }
      case 'demonitor': {
        const entry = this.#peer(peer).inMonitors.get(refKey(c.ref));
        if (entry === undefined) return;
        this.#peer(peer).inMonitors.delete(refKey(c.ref));
        this.#post(new Signal(SignalKind.DEMONITOR, c.from, entry.target, undefined, c.ref, undefined));
        return;
      }
      case 'monitor_exit': {
        if (this.global.isOwnPid(c.to)) return void this.global.monitorDown(c.ref);
        const entry = this.#peer(peer).outMonitors.get(refKey(c.ref));
        if (entry === undefined) return;
        this.#peer(peer).outMonitors.delete(refKey(c.ref));
        this.#post(new Signal(SignalKind.DOWN, entry.remote, entry.watcher, c.reason, c.ref, entry.object));
        return;
      }
      case 'spawn_request':
        this.#spawnRequest(peer, c);
        return;
      case 'spawn_reply': {
        // The answer to rpc.ts spawnOn: {spawn_reply, ReqId, ok, Pid} | {spawn_reply, ReqId, error, Reason}.
        if (c.to.node !== here) return;
        this.#peer(peer).spawnRequests.delete(refKey(c.reqId));
        const ok = c.result instanceof Pid;
        if (ok) {
          const pid = c.result as Pid;
          if ((c.flags & SpawnReplyFlag.LINK) !== 0) {
            this.#peer(peer).links.set(linkKey(c.to, pid), { local: c.to, remote: pid });
            this.#post(new Signal(SignalKind.LINK, pid, c.to, undefined, undefined, undefined)); // records the caller's side only
          }
          if ((c.flags & SpawnReplyFlag.MONITOR) !== 0) this.#peer(peer).outMonitors.set(refKey(c.reqId), { watcher: c.to, ref: c.reqId, object: pid, remote: pid });
        }
        this.#deliver(undefined, c.to, tuple(A_SPAWN_REPLY, c.reqId, ok ? A_OK : A_ERROR, c.result));
        return;
      }
      case 'group_leader':
      case 'node_link':
        return;
    }
  }

  #regSend(peer: Atom, from: Pid, name: Atom, message: Term): void {
    if (name === A_REX) return void this.#rex(peer, from, message);
    if (name === A_GLOBAL) return void this.global.incoming(peer, from, message);
    const pid = this.#runtime.names.whereis(name);
    if (pid !== undefined) this.#deliver(from, pid, message);
  }

  #rex(_peer: Atom, from: Pid, message: Term): void {
    if (!(message instanceof Tuple)) return;
    if (message.size === 2 && message.at(1) === A_FEATURES_REQUEST && message.at(0) instanceof Pid) {
      this.#deliverRemote(message.at(0) as Pid, tuple(A_FEATURES_REPLY, this.#runtime.node, [A_ERPC]));
      return;
    }
    if (message.size === 3 && message.at(0) === A_GEN_CALL) {
      const fromTag = message.at(1);
      const request = message.at(2);
      if (fromTag instanceof Tuple && fromTag.size === 2 && fromTag.at(0) instanceof Pid && request instanceof Tuple && request.size === 5 && request.at(0) === A_CALL) {
        const [m, f, a] = [request.at(1), request.at(2), request.at(3)];
        if (m instanceof Atom && f instanceof Atom && Array.isArray(a)) {
          void this.#spawn(A_BEAMJS_DIST, A_REX_CALL, [fromTag.at(0) as Pid, fromTag.at(1), m, f, a as Term[]]);
        }
      }
      return;
    }
    if (message.size === 2 && message.at(0) === A_GEN_CAST) {
      const request = message.at(1);
      if (request instanceof Tuple && request.size === 5 && request.at(0) === A_CAST) {
        const [m, f, a] = [request.at(1), request.at(2), request.at(3)];
        if (m instanceof Atom && f instanceof Atom && Array.isArray(a)) void this.#spawn(A_BEAMJS_DIST, A_REX_CAST, [m, f, a as Term[]]);
      }
    }
    void from;
  }

  /** A message from this node's system side (net_kernel's pid) to a remote pid. */
  #deliverRemote(to: Pid, message: Term): void {
    this.#node.send(to.node, { kind: 'send', from: this.#node.netKernelPid, to, message });
  }

  #spawnRequest(peer: Atom, c: Extract<Control, { kind: 'spawn_request' }>): void {
    let flags = 0;
    for (const option of c.options) {
      if (option === A_LINK) flags |= SpawnReplyFlag.LINK;
      else if (option === A_MONITOR) flags |= SpawnReplyFlag.MONITOR;
    }
    this.#spawn(A_BEAMJS_DIST, A_SPAWNED, [c.reqId, c.from, flags, c.module, c.function, c.args as Term[]]).catch((error: unknown) => {
      // The spawn itself failed (system_limit, a VM stopping): the reply carries the error atom.
      this.#node.log('error', `distribution: spawn request from '${peer.name}' failed: ${(error as Error).message}`);
      this.#node.send(peer, { kind: 'spawn_reply', reqId: c.reqId, to: c.from, flags: 0, result: atom('system_limit') });
    });
  }

  nodeDown(peer: Atom, _reason: string): void {
    this.#nodeDown(peer);
    this.#flush();
  }

  #nodeDown(peer: Atom): void {
    const s = this.#peers.get(peer);
    this.global.nodeDown(peer);
    if (s === undefined) return;
    this.#peers.delete(peer);
    for (const { local, remote } of s.links.values()) this.#post(new Signal(SignalKind.EXIT_LINKED, remote, local, A_NOCONNECTION, undefined, undefined));
    for (const m of s.outMonitors.values()) this.#post(new Signal(SignalKind.DOWN, m.remote ?? remoteNameTarget(peer), m.watcher, A_NOCONNECTION, m.ref, m.object));
    for (const m of s.inMonitors.values()) this.#post(new Signal(SignalKind.DEMONITOR, m.watcher, m.target, undefined, m.ref, undefined));
    for (const r of s.spawnRequests.values()) this.#deliver(undefined, r.from, tuple(A_SPAWN_REPLY, r.reqId, A_ERROR, A_NOCONNECTION));
  }

  unreachable(peer: Atom, c: Control): void {
    this.#unreachable(peer, c);
    this.#flush();
  }

  #unreachable(peer: Atom, c: Control): void {
    const s = this.#peer(peer);
    if (c.kind === 'link') {
      s.links.delete(linkKey(c.from, c.to));
      this.#post(new Signal(SignalKind.EXIT_LINKED, c.to, c.from, A_NOCONNECTION, undefined, undefined));
    } else if (c.kind === 'monitor') {
      const entry = s.outMonitors.get(refKey(c.ref));
      s.outMonitors.delete(refKey(c.ref));
      if (entry !== undefined) this.#post(new Signal(SignalKind.DOWN, entry.remote ?? remoteNameTarget(peer), entry.watcher, A_NOCONNECTION, c.ref, entry.object));
    } else if (c.kind === 'spawn_request' && s.spawnRequests.delete(refKey(c.reqId))) {
      this.#deliver(undefined, c.from, tuple(A_SPAWN_REPLY, c.reqId, A_ERROR, A_NOCONNECTION));
    }
  }
}
