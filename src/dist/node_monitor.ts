/**
 * monitor_node/2 and net_kernel:monitor_nodes/1,2 for beamjs processes, and their server side.
 *
 * Process side (any scheduler thread): `monitorNode(Node, true | false)` and
 * `netKernel.monitorNodes(true | false[, Options])` send a request to a stand-in target pid,
 * which the scheduler hands to the main thread like every signal for another node (the
 * main thread owns the sockets); the main thread's VmBridge gives it to NodeWatchers below.
 *
 * | request                          | stand-in target                           | message                    |
 * |----------------------------------|-------------------------------------------|----------------------------|
 * | monitor_node(Node, Flag)         | Pid(Node, NODE_MONITOR_TARGET_ID)         | {Flag, Self}               |
 * | monitor_nodes(Flag, Options)     | Pid(NET_KERNEL_NODE, NET_KERNEL_TARGET_ID)| {Flag, Self, Key, Type, R} |
 *
 * Semantics (erlang:monitor_node/2, net_kernel:monitor_nodes/2, OTP 25):
 * - monitor_node(Node, true) counts: N calls give N {nodedown, Node} messages when the
 *   connection goes; monitor_node(Node, false) takes one away. If the connection cannot be set
 *   up, {nodedown, Node} comes at once (here: when the attempt fails). On a node that is not
 *   alive every monitor_node(Node, true) of another node gives {nodedown, Node} at once.
 *   monitor_node(node(), true) is accepted and never fires.
 * - monitor_nodes(true, Opts) adds a subscription; monitor_nodes(false, Opts) ends every
 *   subscription made with the same set of options. Options: `{node_type, visible | hidden |
 *   all}` and `nodedown_reason`. With no option the messages are {nodeup, N} / {nodedown, N}
 *   for visible nodes; with any option {nodeup, N, Info} / {nodedown, N, Info}, Info holding
 *   {node_type, T} when node_type was given and {nodedown_reason, R} when nodedown_reason was.
 *   Bad options answer {error, {unknown_options, Opts}} / {error, {options_not_a_list, Opts}},
 *   a bad flag `error`, as net_kernel does.
 * - nodeup comes before any message of the new connection; nodedown after every signal the
 *   connection delivered (VmBridge posts those before DistNode emits nodedown).
 *
 * - nodes() / nodes(hidden | connected | visible) for processes: the main thread keeps the
 *   connected nodes in the ETS set NODES_TABLE ({Node, visible | hidden}), written on nodeup
 *   before any nodeup message and on nodedown before any nodedown message, as OTP orders them;
 *   processes on every thread read it directly. [] on a node that is not alive.
 *
 * - The watches of a process end with it, as in OTP: NodeWatchers monitors every process that
 *   has a monitor_node count or a monitor_nodes subscription (one monitor per process, from
 *   the stand-in pid WATCHER_PID, whose 'DOWN' VmBridge hands back here: processDown), and
 *   drops all its entries on that 'DOWN' (a monitor of a process that is already dead gets
 *   'DOWN' noproc at once). The monitor is dropped when the process has no entry left.
 *   stats() counts the entries (for tests); nodeWatchersOf(DistNode) finds the instance.
 *
 * Threads: the BIFs run in processes on any scheduler thread; NodeWatchers on the main thread.
 */
import { node, self, send } from '../process/index.js';
import { ets } from '../ets/index.js';
import type { RunAs } from './global.js';
import { ErlangException } from '../process/exception.js';
import { pidKey, post, Signal, SignalKind } from '../process/signals.js';
import type { Runtime } from '../process/runtime.js';
import { Atom, Pid, Ref, Tuple, atom, tuple, type Term } from '../term/index.js';
import type { DistNode, NodeEvent } from './dist_node.js';

/** Pid id of the stand-in target of monitor_node requests (no real pid has it). */
export const NODE_MONITOR_TARGET_ID = 0xfffffffc;
/** Pid id and node of the stand-in target of monitor_nodes requests. */
export const NET_KERNEL_TARGET_ID = 0xfffffffb;
export const NET_KERNEL_NODE = atom('$beamjs_net_kernel@localhost');
/** The stand-in pid that monitors the watching processes (its 'DOWN's come to processDown). */
export const WATCHER_PID = new Pid(NET_KERNEL_NODE, NODE_MONITOR_TARGET_ID, 0, 0);

const A_BADARG = atom('badarg');
const A_NODEUP = atom('nodeup');
const A_NODEDOWN = atom('nodedown');
const A_NODE_TYPE = atom('node_type');
const A_NODEDOWN_REASON = atom('nodedown_reason');
const A_VISIBLE = atom('visible');
const A_HIDDEN = atom('hidden');
const A_ALL = atom('all');
const A_NONODE = atom('nonode@nohost');
const A_OK = atom('ok');
const A_ERROR = atom('error');
const A_UNKNOWN_OPTIONS = atom('unknown_options');
const A_OPTIONS_NOT_A_LIST = atom('options_not_a_list');

/** The ETS table of connected nodes ({Node, visible | hidden}), kept by the main thread. */
export const NODES_TABLE = atom('$beamjs_nodes');

// ---- process side

/** erlang:nodes() / nodes(visible | hidden | connected | this | known): the nodes of this node's connections. */
export function nodes(which: 'visible' | 'hidden' | 'connected' | 'this' | 'known' = 'visible'): Atom[] {
  const here = node();
  if (which === 'this') return here === A_NONODE ? [] : [here];
  if (here === A_NONODE) return [];
  const out: Atom[] = which === 'known' ? [here] : [];
  for (const o of ets.tab2list(NODES_TABLE)) {
    const type = o.at(1);
    if (which === 'connected' || which === 'known' || (which === 'visible' ? type === A_VISIBLE : type === A_HIDDEN)) out.push(o.at(0) as Atom);
  }
  return out;
}

/** erlang:monitor_node(Node, Flag): true; badarg for a node that is not an atom or a flag that is not a boolean. */
export function monitorNode(target: Atom, flag: boolean): true {
  if (!(target instanceof Atom)) throw new ErlangException('error', A_BADARG, `monitorNode: Node must be an atom, got ${String(target)}`);
  if (typeof flag !== 'boolean') throw new ErlangException('error', A_BADARG, `monitorNode: Flag must be true or false, got ${String(flag)}`);
  const here = node();
  if (target === here) return true;
  if (here === A_NONODE) {
    if (flag) send(self(), tuple(A_NODEDOWN, target));
    return true;
  }
  send(new Pid(target, NODE_MONITOR_TARGET_ID, 0, 0), tuple(flag, self()));
  return true;
}

export type NodeTypeOption = 'visible' | 'hidden' | 'all';

/** net_kernel:monitor_nodes(Flag[, Options]): ok, or error / {error, ...} as net_kernel answers. */
export function monitorNodes(flag: boolean, options: Term = []): Term {
  if (typeof flag !== 'boolean') return A_ERROR;
  if (!Array.isArray(options)) return tuple(A_ERROR, tuple(A_OPTIONS_NOT_A_LIST, options));
  let type: Atom | undefined;
  let reason = false;
  for (const o of options as Term[]) {
    if (o === A_NODEDOWN_REASON) reason = true;
    else if (o instanceof Tuple && o.size === 2 && o.at(0) === A_NODE_TYPE && (o.at(1) === A_VISIBLE || o.at(1) === A_HIDDEN || o.at(1) === A_ALL) && (type === undefined || type === o.at(1))) type = o.at(1) as Atom;
    else return tuple(A_ERROR, tuple(A_UNKNOWN_OPTIONS, options));
  }
  const key = `${type?.name ?? '-'}/${reason ? 'r' : '-'}`;
  if (node() !== A_NONODE) send(new Pid(NET_KERNEL_NODE, NET_KERNEL_TARGET_ID, 0, 0), tuple(flag, self(), key, type ?? [], reason));
  return A_OK;
}

// ---- main thread

interface Subscription {
  count: number;
  readonly type: Atom | undefined;
  readonly reason: boolean;
}

/** Counts of NodeWatchers entries (stats()); each can be late by what the mesh still carries. */
export interface NodeWatcherStats {
  /** (process, node) pairs with a monitor_node count above 0. */
  readonly monitorNode: number;
  /** Processes with a monitor_nodes subscription. */
  readonly subscribers: number;
  /** Processes monitored because they have an entry (should equal the processes above). */
  readonly monitored: number;
  /** nodeup/nodedown messages delivered so far. */
  readonly delivered: number;
}

const instances = new WeakMap<DistNode, NodeWatchers>();

/** The NodeWatchers of a DistNode (tests and diagnostics; main thread). */
export function nodeWatchersOf(node: DistNode): NodeWatchers | undefined {
  return instances.get(node);
}

/** The watchers of one node (main thread): monitor_node counts and monitor_nodes subscriptions. */
export class NodeWatchers {
  readonly #node: DistNode;
  readonly #deliver: (to: Pid, message: Term) => void;
  readonly #flush: () => void;
  /** node -> watcher key -> {pid, count}. */
  readonly #monitors = new Map<Atom, Map<string, { pid: Pid; count: number }>>();
  /** watcher key -> {pid, option key -> subscription}. */
  readonly #subscribers = new Map<string, { pid: Pid; subs: Map<string, Subscription> }>();

  /** watcher key -> the ref of WATCHER_PID's monitor of that process. */
  readonly #monitored = new Map<string, Ref>();
  readonly #runtime: Runtime | undefined;
  #delivered = 0;

  readonly #run: RunAs;

  /** `runtime` (the main thread's) lets the watchers of exited processes be dropped; without it they stay. */
  constructor(node: DistNode, deliver: (to: Pid, message: Term) => void, flush: () => void, run: RunAs = (fn) => fn(), runtime?: Runtime) {
    this.#node = node;
    this.#deliver = (to, message) => {
      this.#delivered++;
      deliver(to, message);
    };
    this.#flush = flush;
    this.#run = run;
    this.#runtime = runtime;
    instances.set(node, this);
    run(() => ets.new(NODES_TABLE, [atom('set'), atom('public'), atom('named_table'), tuple(atom('read_concurrency'), true)]));
    for (const n of node.nodes('connected')) run(() => ets.insert(NODES_TABLE, tuple(n, node.nodes('hidden').includes(n) ? A_HIDDEN : A_VISIBLE)));
    node.onNodeEvent((e) => this.#event(e));
  }

  /** A request at one of the stand-in targets; false when `to` is none of them. */
  request(to: Pid, message: Term): boolean {
    if (to.id === NODE_MONITOR_TARGET_ID && message instanceof Tuple && message.size === 2 && message.at(1) instanceof Pid) {
      this.#monitorNode(to.node, message.at(0) === true, message.at(1) as Pid);
      return true;
    }
    if (to.id === NET_KERNEL_TARGET_ID && to.node === NET_KERNEL_NODE && message instanceof Tuple && message.size === 5 && message.at(1) instanceof Pid) {
      const type = message.at(3);
      this.#monitorNodes(message.at(0) === true, message.at(1) as Pid, String(message.at(2)), type instanceof Atom ? type : undefined, message.at(4) === true);
      return true;
    }
    return false;
  }

  #monitorNode(peer: Atom, flag: boolean, pid: Pid): void {
    const key = pidKey(pid);
    let watchers = this.#monitors.get(peer);
    if (!flag) {
      const w = watchers?.get(key);
      if (w !== undefined && --w.count === 0) {
        watchers!.delete(key);
        if (watchers!.size === 0) this.#monitors.delete(peer);
        this.#releaseIfIdle(pid);
      }
      return;
    }
    this.#track(pid);
    if (watchers === undefined) this.#monitors.set(peer, (watchers = new Map()));
    const w = watchers.get(key);
    if (w === undefined) watchers.set(key, { pid, count: 1 });
    else w.count++;
    if (this.#node.isConnected(peer)) return;
    void this.#node.connect(peer).then((c) => {
      if (c !== undefined) return;
      // The connection could not be set up: this request's nodedown now.
      const peerWatchers = this.#monitors.get(peer);
      const entry = peerWatchers?.get(key);
      if (entry === undefined) return;
      if (--entry.count === 0) {
        peerWatchers!.delete(key);
        if (peerWatchers!.size === 0) this.#monitors.delete(peer);
        this.#releaseIfIdle(pid);
      }
      this.#deliver(pid, tuple(A_NODEDOWN, peer));
      this.#flush();
    });
  }

  #monitorNodes(flag: boolean, pid: Pid, optionKey: string, type: Atom | undefined, reason: boolean): void {
    const key = pidKey(pid);
    let entry = this.#subscribers.get(key);
    if (!flag) {
      entry?.subs.delete(optionKey);
      if (entry !== undefined && entry.subs.size === 0) {
        this.#subscribers.delete(key);
        this.#releaseIfIdle(pid);
      }
      return;
    }
    this.#track(pid);
    if (entry === undefined) this.#subscribers.set(key, (entry = { pid, subs: new Map() }));
    const sub = entry.subs.get(optionKey);
    if (sub === undefined) entry.subs.set(optionKey, { count: 1, type, reason });
    else sub.count++;
  }

  #event(e: NodeEvent): void {
    const up = e.kind === 'nodeup';
    this.#run(() => (up ? ets.insert(NODES_TABLE, tuple(e.node, e.hidden ? A_HIDDEN : A_VISIBLE)) : ets.delete(NODES_TABLE, e.node)));
    for (const { pid, subs } of this.#subscribers.values()) {
      for (const sub of subs.values()) {
        const wanted = sub.type === A_ALL || (sub.type === A_HIDDEN ? e.hidden : !e.hidden);
        if (!wanted) continue;
        let message: Term;
        if (sub.type === undefined && !sub.reason) message = tuple(up ? A_NODEUP : A_NODEDOWN, e.node);
        else {
          const info: Term[] = [];
          if (sub.type !== undefined) info.push(tuple(A_NODE_TYPE, e.hidden ? A_HIDDEN : A_VISIBLE));
          if (sub.reason && !up) info.push(tuple(A_NODEDOWN_REASON, nodedownReason(e.reason)));
          message = tuple(up ? A_NODEUP : A_NODEDOWN, e.node, info);
        }
        for (let i = 0; i < sub.count; i++) this.#deliver(pid, message);
      }
    }
    if (!up) {
      const watchers = this.#monitors.get(e.node);
      if (watchers !== undefined) {
        this.#monitors.delete(e.node);
        for (const { pid, count } of watchers.values()) {
          for (let i = 0; i < count; i++) this.#deliver(pid, tuple(A_NODEDOWN, e.node));
          this.#releaseIfIdle(pid);
        }
      }
    }
    this.#flush();
  }

  /** WATCHER_PID's monitor of `pid` fired (VmBridge): the process is gone; drops its entries. */
  processDown(pid: Pid, ref: Ref): void {
    const key = pidKey(pid);
    const mine = this.#monitored.get(key);
    if (mine === undefined || !mine.equals(ref)) return; // a monitor since released
    this.#monitored.delete(key);
    this.#subscribers.delete(key);
    for (const [peer, watchers] of this.#monitors) {
      watchers.delete(key);
      if (watchers.size === 0) this.#monitors.delete(peer);
    }
  }

  /** The counts of the entries (see NodeWatcherStats). */
  stats(): NodeWatcherStats {
    let monitorNode = 0;
    for (const watchers of this.#monitors.values()) monitorNode += watchers.size;
    return { monitorNode, subscribers: this.#subscribers.size, monitored: this.#monitored.size, delivered: this.#delivered };
  }

  /** Monitors `pid` from WATCHER_PID unless it is monitored already. */
  #track(pid: Pid): void {
    const runtime = this.#runtime;
    const key = pidKey(pid);
    if (runtime === undefined || this.#monitored.has(key)) return;
    const ref = runtime.makeRef(undefined);
    this.#monitored.set(key, ref);
    post(runtime, new Signal(SignalKind.MONITOR, WATCHER_PID, pid, undefined, ref, pid));
    this.#flush();
  }

  /** Drops the monitor of `pid` once it has no monitor_node count and no subscription left. */
  #releaseIfIdle(pid: Pid): void {
    const runtime = this.#runtime;
    const key = pidKey(pid);
    const ref = this.#monitored.get(key);
    if (runtime === undefined || ref === undefined || this.#subscribers.has(key)) return;
    for (const watchers of this.#monitors.values()) if (watchers.has(key)) return;
    this.#monitored.delete(key);
    post(runtime, new Signal(SignalKind.DEMONITOR, WATCHER_PID, pid, undefined, ref, undefined));
    this.#flush();
  }
}

/** DistNode's reason strings as net_kernel's nodedown_reason atoms. */
function nodedownReason(reason: string | undefined): Atom {
  if (reason === undefined) return atom('connection_closed');
  if (/disconnect/.test(reason)) return atom('disconnect');
  if (/tick/.test(reason)) return atom('net_tick_timeout');
  if (reason === 'net_kernel_terminated') return atom('net_kernel_terminated');
  return atom('connection_closed');
}
