/**
 * `global` on the wire: this node's global_name_server, speaking OTP 25's global protocol
 * (global.erl, protocol version 8) with every visible peer — OTP nodes and beamjs nodes alike —
 * so that a beamjs node is one more member of global's fully connected partition: names
 * registered on any node are seen on all, global:sync() on an OTP node returns, name clashes of
 * two partitions are resolved by the names' resolve functions, and lost connections are
 * reported as OTP's "prevent overlapping partitions" does.
 *
 * Joining a partition (per new visible connection; one "session", tags tell sessions apart):
 *
 * | step | we send (to {global_name_server, Peer})                        | waits for                       |
 * |------|----------------------------------------------------------------|---------------------------------|
 * | 1    | cast {init_connect, {8, MyTag}, node(), {locker, _, #{}, Locker}} | his init_connect              |
 * | 2    | {init_connect_ack, node(), HisTag, MyTag}                      | his ack (tags checked)          |
 * | 3    | locks {global, sort([Locker, HisLocker])} on us, Peer and our known nodes (boss first), then cast {lock_set, Locker, true, Known, HisTag} | his lock_set true (false: release, retry) |
 * | 3'   | (his lock_set true came first) lock our side, answer lock_set true/false |                     |
 * | 4    | cast {exchange, node(), [{Name, Pid, Method}], [], HisTag}      | his exchange                    |
 * | 5    | cast {resolved, node(), Resolved, [{N, Vsn}], unused, [], HisTag} | his resolved                  |
 * | 6    | cast {new_nodes, node(), Ops, [], NewNodes, Extra} to our known nodes; release the lock; Peer and his known nodes join known; {in_sync, node(), true} to his known nodes | |
 *
 * Clashes (step 5, exchange_names): for a name both sides hold with different pids, the node
 * with the smaller name decides by calling the resolve method (random_exit_name,
 * random_notify_name, notify_all_name here; another fun by rpc on the node of our holder).
 *
 * Served calls: {set_lock, Id}, {del_lock, Id}, {register, Name, Pid, Method},
 * {register_ext, ...}, {unregister, Name}, get_known, get_synced, get_protocol_version,
 * {sync, Nodes}. Infos: init_connect_ack, cancel_connect, lost_connection, remove_connection.
 * Unexpected messages are logged as global_name_server logs them, and dropped.
 *
 * Names live in the ETS table GLOBAL_TABLE (global_module.ts) as {Name, Pid} (written by a
 * process of this node) or {Name, Pid, Method}; processes of every scheduler thread read it.
 * A process's register_name is decided at once on this node (ets:insert_new) and then
 * published here under the lock {global, GlobalServerPid} on every known node, as global's
 * registrar does; unregister_name the same way. Difference from OTP: a register_name on this
 * node does not wait for the other nodes; if another node registers the same name in that
 * window, the other node's registration (which overwrites ours here, as global's does) wins.
 * Names of remote pids are monitored from here and dropped when the pid dies or its node goes.
 *
 * Threads: main thread (the bridge's); table access runs as the VM's external process (`run`).
 * Bad input: messages of other shapes are logged and ignored; nothing a peer sends throws.
 */
import { Atom, ExportFun, Pid, Ref, Tuple, atom, compare, equals, exportFun, format, tuple, type Term } from '../term/index.js';
import { ets } from '../ets/index.js';
import { pidKey, refKey, type RefKey } from '../process/signals.js';
import type { DistNode } from './dist_node.js';
import { SystemCalls } from './global_calls.js';
import { GlobalLocks } from './global_locks.js';
import { A_SYNCED, GLOBAL_TABLE } from './global_module.js';

/** global.erl's protocol version (OTP 25). */
const VSN = 8;
/** Pid ids of the global server and its locker (above any id a Runtime allocates; below netKernelPid's). */
const SERVER_PID_ID = 0x7fffffe;
const LOCKER_PID_ID = 0x7fffffd;

const A = {
  server: atom('global_name_server'),
  rex: atom('rex'),
  genCall: atom('$gen_call'),
  genCast: atom('$gen_cast'),
  initConnect: atom('init_connect'),
  initConnectAck: atom('init_connect_ack'),
  locker: atom('locker'),
  noLongerAPid: atom('no_longer_a_pid'),
  lockSet: atom('lock_set'),
  exchange: atom('exchange'),
  resolved: atom('resolved'),
  unused: atom('unused'),
  newNodes: atom('new_nodes'),
  inSync: atom('in_sync'),
  cancelConnect: atom('cancel_connect'),
  lostConnection: atom('lost_connection'),
  removeConnection: atom('remove_connection'),
  asyncDelName: atom('async_del_name'),
  asyncDelLock: atom('async_del_lock'),
  setLock: atom('set_lock'),
  delLock: atom('del_lock'),
  register: atom('register'),
  registerExt: atom('register_ext'),
  unregister: atom('unregister'),
  getKnown: atom('get_known'),
  getSynced: atom('get_synced'),
  getProtocolVersion: atom('get_protocol_version'),
  sync: atom('sync'),
  global: atom('global'),
  insert: atom('insert'),
  delete: atom('delete'),
  vsn: atom('vsn'),
  lock: atom('lock'),
  yes: atom('yes'),
  ok: atom('ok'),
  none: atom('none'),
  kill: atom('kill'),
  call: atom('call'),
  resolveIt: atom('resolve_it'),
  randomExitName: atom('random_exit_name'),
  randomNotifyName: atom('random_notify_name'),
  notifyAllName: atom('notify_all_name'),
  conflict: atom('global_name_conflict'),
  badrpc: atom('badrpc'),
};

/** The default resolve method of global:register_name/2. */
const DEFAULT_METHOD = exportFun('global', 'random_exit_name', 3);

/** Runs table code as the VM's external process; undefined once the VM has stopped. */
export type RunAs = <R>(fn: () => R) => R | undefined;

/** What the server does to processes: messages and exit signals to local or remote pids. */
export interface ProcessOps {
  send(from: Pid, to: Pid, message: Term): void;
  exit(from: Pid, to: Pid, reason: Term): void;
  /** Monitors a local process from the stand-in GLOBAL_WATCHER_PID; its 'DOWN' comes to localHolderDown. */
  monitorLocal?(pid: Pid): Ref;
  demonitorLocal?(pid: Pid, ref: Ref): void;
}

/** One connect session with a peer (global.erl's sync_tag_my / resolvers / wait_lock / save_ops). */
interface Session {
  readonly peer: Atom;
  readonly myTag: number;
  hisTag: Term | undefined;
  hisVsn: number;
  hisLocker: Pid | undefined;
  lockState: 'idle' | 'locking' | 'waiting' | 'set';
  /** His lock_set true arrived while our side was being locked. */
  hisLockSet: boolean;
  lockId: Tuple | undefined;
  /** Where our locker holds lockId (released when the session ends). */
  lockedNodes: Atom[];
  hisNames: Term[] | undefined;
  ops: Term[] | undefined;
  his: { readonly resolved: Term[]; readonly known: Term[] } | undefined;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
}

interface Row {
  readonly name: Term;
  readonly pid: Pid;
  readonly method: Term;
}

function asList(value: Term): Term[] | undefined {
  return Array.isArray(value) ? (value as Term[]) : undefined;
}

function retryDelay(known: number): number {
  return Math.min(1000 + 100 * known, 3000) * (0.5 + Math.random());
}

export class GlobalNames {
  readonly #node: DistNode;
  readonly #run: RunAs;
  readonly #ops: ProcessOps;
  readonly #calls: SystemCalls;
  readonly #locks = new GlobalLocks();
  /** The pid global_name_server answers from (calls, casts, monitors). */
  readonly serverPid: Pid;
  /** The pid of this node's locker (in lock ids and lock_set messages). */
  readonly lockerPid: Pid;
  /** Nodes of our partition, with their protocol versions (global.erl's known). */
  readonly #known = new Map<Atom, number>();
  readonly #synced = new Set<Atom>();
  readonly #sessions = new Map<Atom, Session>();
  /** init_connects that came before our session with that node (pre_connect). */
  readonly #preConnect = new Map<Atom, Tuple>();
  /** Nodes we are disconnecting to prevent overlapping partitions (no lost_connection for them). */
  readonly #removing = new Set<Atom>();
  readonly #lostConnections = new Map<string, { readonly creation: Term; readonly opId: Term }>();
  /** Monitors of remote name and lock holders, by ref key. */
  readonly #monitors = new Map<RefKey, Pid>();
  readonly #monitorOf = new Map<string, Ref>();
  /** Monitors of local name holders (pid key -> ref), so their names go when they exit. */
  readonly #localHolders = new Map<string, Ref>();
  #syncWaiters: { readonly nodes: Set<Atom>; readonly done: () => void }[] = [];
  #lockerBusy: Session | undefined;
  #tag = 0;
  #opId = 0;
  /** Publishing of this node's own registrations, one at a time (global's registrar). */
  #registrar: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(node: DistNode, run: RunAs = (fn) => fn(), ops?: ProcessOps) {
    this.#node = node;
    this.#run = run;
    this.#ops = ops ?? { send: (from, to, message) => node.send(to.node, { kind: 'send', from, to, message }), exit: (from, to, reason) => node.send(to.node, { kind: 'exit2', from, to, reason }) };
    this.#calls = new SystemCalls(node);
    this.serverPid = new Pid(node.name, SERVER_PID_ID, 0, 0);
    this.lockerPid = new Pid(node.name, LOCKER_PID_ID, 0, 0);
    node.onNodeEvent((e) => {
      if (e.kind === 'nodeup' && !e.hidden) this.#nodeUp(e.node);
    });
  }

  /** True for the pids of this server and its locker (messages, monitors and links to them stop here). */
  isOwnPid(pid: Pid): boolean {
    return pid.equals(this.serverPid) || pid.equals(this.lockerPid);
  }

  // ---- the process-facing API (main thread)

  #rows(): Row[] {
    return (
      this.#run(() =>
        ets.tab2list(GLOBAL_TABLE).map((o) => ({ name: o.at(0), pid: o.at(1) as Pid, method: o.size > 2 ? o.at(2) : DEFAULT_METHOD })),
      ) ?? []
    );
  }

  #row(name: Term): Row | undefined {
    const o = this.#run(() => ets.lookup(GLOBAL_TABLE, name)[0]);
    return o === undefined ? undefined : { name: o.at(0), pid: o.at(1) as Pid, method: o.size > 2 ? o.at(2) : DEFAULT_METHOD };
  }

  /** global:register_name/2 (decided here, then published): 'yes' or 'no' (the name is taken). */
  registerName(name: Term, pid: Pid, method: Term = DEFAULT_METHOD): 'yes' | 'no' {
    if (this.#run(() => ets.insertNew(GLOBAL_TABLE, tuple(name, pid, method))) !== true) return 'no';
    if (pid.node === this.#node.name) this.#watchLocal(pid);
    this.#publish(A.register, name);
    return 'yes';
  }

  /** global:unregister_name/1. */
  unregisterName(name: Term): void {
    const row = this.#row(name);
    if (row === undefined) return;
    this.#run(() => ets.delete(GLOBAL_TABLE, name));
    this.#forgetHolder(row.pid);
    this.#publish(A.unregister, name);
  }

  /** global:whereis_name/1: the pid, or undefined. */
  whereisName(name: Term): Pid | undefined {
    return this.#row(name)?.pid;
  }

  /** global:registered_names/0. */
  registeredNames(): Term[] {
    return this.#rows().map((r) => r.name);
  }

  /** global:sync/0: resolves when every visible node connected now is synced with us (or gone). */
  sync(): Promise<void> {
    const nodes = new Set(this.#node.nodes('visible').filter((n) => !this.#synced.has(n)));
    if (nodes.size === 0 || this.#node.hidden) return Promise.resolve();
    return new Promise((done) => this.#syncWaiters.push({ nodes, done }));
  }

  /** The nodes global knows (global:get_known/0 of OTP's internals; for tests). */
  known(): Atom[] {
    return [...this.#known.keys()];
  }

  /** The locks set on this node ([resource, requester, holders]; for tests). */
  locks(): [Term, Term, Pid[]][] {
    return this.#locks.list();
  }

  /** A notice of a process of this node (global_module.ts): {register, Name, Pid} | {unregister, Name} | {sync, Pid, Ref}. */
  localNotice(message: Tuple): void {
    if (message.at(0) === A.sync) {
      const [pid, ref] = [message.at(1) as Pid, message.at(2) as Ref];
      return void this.sync().then(() => this.#ops.send(this.serverPid, pid, tuple(A_SYNCED, ref)));
    }
    if (message.at(0) === A.register && message.at(2) instanceof Pid) this.#watchLocal(message.at(2) as Pid);
    this.#publish(message.at(0) === A.register ? A.register : A.unregister, message.at(1));
  }

  stop(): void {
    this.#stopped = true;
    for (const s of this.#sessions.values()) this.#endSession(s);
  }

  /** Runs a step of the protocol that waits on peers; a failure is logged, never thrown at the event loop. */
  #task(step: Promise<void>): void {
    step.catch((error: unknown) => this.#node.log('error', `global: ${(error as Error).stack ?? String(error)}`));
  }

  // ---- publishing this node's registrations (the registrar)

  #publish(what: Atom, name: Term): void {
    this.#registrar = this.#registrar.then(() => this.#publishNow(what, name)).catch((error: unknown) => {
      this.#node.log('error', `global: publishing ${format(name)} failed: ${(error as Error).message}`);
    });
  }

  async #publishNow(what: Atom, name: Term): Promise<void> {
    if (this.#known.size === 0 || this.#stopped) return;
    const id = tuple(A.global, this.serverPid);
    const nodes = await this.#lockKnown(id);
    try {
      const others = nodes.filter((n) => n !== this.#node.name);
      if (what === A.register) {
        const row = this.#row(name);
        if (row === undefined || row.pid.node !== this.#node.name) return; // gone, or taken over meanwhile
        await this.#calls.multiCall(others, A.server, tuple(A.register, name, row.pid, row.method), this.serverPid);
      } else if (this.#row(name) === undefined) {
        await this.#calls.multiCall(others, A.server, tuple(A.unregister, name), this.serverPid);
      }
    } finally {
      await this.#deleteLock(id, nodes, this.serverPid);
    }
  }

  /** set_lock_known: the lock on this node and every known one (boss first), retried until set; the nodes locked. */
  async #lockKnown(id: Tuple): Promise<Atom[]> {
    for (let times = 1; ; times++) {
      const nodes = [this.#node.name, ...this.#known.keys()];
      if (await this.#setLock(id, nodes, this.serverPid)) return nodes;
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(8000, 250 * times)));
    }
  }

  // ---- locks across nodes

  /** Sets `id` on `nodes` for `holder`, the boss (greatest name) first: true, or false with nothing left set. */
  async #setLock(id: Tuple, nodes: readonly Atom[], holder: Pid): Promise<boolean> {
    const [resource, requester] = [id.at(0), id.at(1)];
    const boss = nodes.reduce((a, b) => (b.name > a.name ? b : a));
    const set: Atom[] = [];
    const one = async (n: Atom): Promise<boolean> => {
      if (n === this.#node.name) return this.#locks.set(resource, requester, holder);
      return (await this.#calls.call(n, A.server, tuple(A.setLock, id), holder)) !== false; // a bad node counts as set (check_replies)
    };
    let ok = await one(boss);
    if (ok) set.push(boss);
    if (ok) {
      const rest = nodes.filter((n) => n !== boss);
      const results = await Promise.all(rest.map(one));
      rest.forEach((n, i) => results[i] && set.push(n));
      ok = results.every((r) => r);
    }
    if (!ok) await this.#deleteLock(id, set, holder);
    return ok;
  }

  /** del_lock on `nodes`, the boss last (delete_global_lock). */
  async #deleteLock(id: Tuple, nodes: readonly Atom[], holder: Pid): Promise<void> {
    if (nodes.length === 0) return;
    const [resource, requester] = [id.at(0), id.at(1)];
    const boss = nodes.reduce((a, b) => (b.name > a.name ? b : a));
    const one = async (n: Atom): Promise<void> => {
      if (n === this.#node.name) this.#locks.delete(resource, requester, holder);
      else await this.#calls.call(n, A.server, tuple(A.delLock, id), holder);
    };
    await Promise.all(nodes.filter((n) => n !== boss).map(one));
    await one(boss);
  }

  // ---- sending to peers' global_name_server

  #cast(peer: Atom, message: Term): void {
    this.#node.send(peer, { kind: 'reg_send', from: this.serverPid, to: A.server, message: tuple(A.genCast, message) });
  }

  /** A plain message to {global_name_server, Peer}, only on a live connection (gns_volatile_send). */
  #volatile(peer: Atom, message: Term): void {
    if (this.#node.isConnected(peer)) this.#node.send(peer, { kind: 'reg_send', from: this.serverPid, to: A.server, message });
  }

  #knownList(): Tuple[] {
    return [...this.#known].map(([n, v]) => tuple(n, v));
  }

  // ---- sessions: joining a new node's partition

  #nodeUp(peer: Atom): void {
    if (this.#node.hidden || this.#stopped || this.#known.has(peer) || this.#sessions.has(peer)) return;
    const s: Session = {
      peer,
      myTag: ++this.#tag,
      hisTag: undefined,
      hisVsn: 0,
      hisLocker: undefined,
      lockState: 'idle',
      hisLockSet: false,
      lockId: undefined,
      lockedNodes: [],
      hisNames: undefined,
      ops: undefined,
      his: undefined,
      timer: undefined,
      done: false,
    };
    this.#sessions.set(peer, s);
    this.#cast(peer, tuple(A.initConnect, tuple(VSN, s.myTag), this.#node.name, tuple(A.locker, A.noLongerAPid, new Map<Term, Term>(), this.lockerPid)));
    const pre = this.#preConnect.get(peer);
    if (pre !== undefined) {
      this.#preConnect.delete(peer);
      this.#initConnect(pre);
    }
  }

  #session(peer: Term, tag: Term): Session | undefined {
    if (!(peer instanceof Atom)) return undefined;
    const s = this.#sessions.get(peer);
    return s !== undefined && equals(s.myTag, tag) ? s : undefined;
  }

  /** {init_connect, {Vsn, HisTag}, Node, {locker, _, _, HisLocker}}. */
  #initConnect(message: Tuple): void {
    const [vsn, peer, init] = [message.at(1), message.at(2), message.at(3)];
    if (!(vsn instanceof Tuple) || vsn.size < 2 || typeof vsn.at(0) !== 'number' || !(peer instanceof Atom) || !(init instanceof Tuple) || init.size !== 4 || !(init.at(3) instanceof Pid)) {
      this.#node.log('info', `global: illegal global protocol message ${format(message)}`);
      return;
    }
    const s = this.#sessions.get(peer);
    if (s === undefined) {
      if (!this.#known.has(peer)) this.#preConnect.set(peer, message);
      return;
    }
    if (s.hisTag !== undefined) {
      // A second attempt within one session: cancel both and start over (global.erl init_connect).
      this.#volatile(peer, tuple(A.cancelConnect, this.#node.name, vsn.at(1)));
      this.#restart(s);
      return;
    }
    const hisVsn = vsn.at(0) as number;
    s.hisTag = vsn.at(1);
    s.hisVsn = Math.min(hisVsn, VSN);
    s.hisLocker = init.at(3) as Pid;
    this.#volatile(peer, tuple(A.initConnectAck, this.#node.name, s.hisTag, s.myTag));
    this.#scheduleLock(s, this.#known.size === 0 ? 200 : retryDelay(this.#known.size));
  }

  /** {init_connect_ack, Node, HisMyTag, HisHisTag}: both sides must name the same session. */
  #initConnectAck(message: Tuple): void {
    const peer = message.at(1);
    if (!(peer instanceof Atom)) return;
    const s = this.#sessions.get(peer);
    if (s === undefined) return;
    if (equals(message.at(2), s.myTag) && s.hisTag !== undefined && equals(message.at(3), s.hisTag)) return;
    this.#volatile(peer, tuple(A.cancelConnect, this.#node.name, message.at(3)));
    this.#restart(s);
  }

  #scheduleLock(s: Session, ms: number): void {
    if (s.timer !== undefined) clearTimeout(s.timer);
    s.timer = setTimeout(() => {
      s.timer = undefined;
      this.#task(this.#tryLock(s));
    }, ms);
    s.timer.unref?.();
  }

  #lockId(s: Session): Tuple {
    const pair = [this.lockerPid, s.hisLocker!].sort((a, b) => compare(a, b));
    return tuple(A.global, pair);
  }

  /** Our locker's select_node: lock us, the peer and our known nodes, then tell the peer's locker. */
  async #tryLock(s: Session): Promise<void> {
    if (s.done || s.hisLocker === undefined || s.lockState !== 'idle') return;
    if (this.#lockerBusy !== undefined && this.#lockerBusy !== s) return void this.#scheduleLock(s, retryDelay(this.#known.size));
    this.#lockerBusy = s;
    s.lockState = 'locking';
    const id = this.#lockId(s);
    const nodes = [this.#node.name, s.peer, ...[...this.#known.keys()].filter((n) => n !== s.peer)];
    const ok = await this.#setLock(id, nodes, this.lockerPid);
    if (s.done) {
      if (ok) await this.#deleteLock(id, nodes, this.lockerPid);
      return;
    }
    if (!ok) {
      s.lockState = 'idle';
      if (s.hisLockSet) this.#cast(s.peer, tuple(A.lockSet, this.lockerPid, false, [...this.#known.keys()], s.hisTag!));
      s.hisLockSet = false;
      this.#lockerBusy = undefined;
      this.#scheduleLock(s, retryDelay(this.#known.size));
      return;
    }
    s.lockId = id;
    s.lockedNodes = nodes;
    s.lockState = 'waiting';
    this.#cast(s.peer, tuple(A.lockSet, this.lockerPid, true, [...this.#known.keys()], s.hisTag!));
    if (s.hisLockSet) this.#lockIsSet(s);
  }

  /** {lock_set, HisLocker, IsSet, HisKnown[, MyTag]}, forwarded to our locker. */
  async #lockSet(message: Tuple): Promise<void> {
    const locker = message.at(1);
    if (!(locker instanceof Pid)) return;
    const s = message.size === 5 ? this.#session(locker.node, message.at(4)) : this.#sessions.get(locker.node);
    if (s === undefined || s.done) return;
    const isSet = message.at(2) === true;
    switch (s.lockState) {
      case 'waiting':
        if (isSet) return void this.#lockIsSet(s);
        await this.#deleteLock(s.lockId!, s.lockedNodes, this.lockerPid);
        s.lockState = 'idle';
        s.lockId = undefined;
        s.lockedNodes = [];
        if (this.#lockerBusy === s) this.#lockerBusy = undefined;
        if (!s.done) this.#scheduleLock(s, retryDelay(this.#known.size));
        return;
      case 'locking':
        if (isSet) s.hisLockSet = true;
        return;
      case 'set':
        return;
      case 'idle': {
        if (!isSet || s.hisLocker === undefined) return;
        if (this.#lockerBusy !== undefined && this.#lockerBusy !== s) {
          this.#cast(s.peer, tuple(A.lockSet, this.lockerPid, false, [...this.#known.keys()], s.hisTag!));
          return;
        }
        // His locker locked both partitions' meeting point: lock ours and answer (spontaneous).
        this.#lockerBusy = s;
        s.lockState = 'locking';
        const id = this.#lockId(s);
        const nodes = [this.#node.name, ...[...this.#known.keys()].filter((n) => n !== s.peer)];
        const ok = await this.#setLock(id, nodes, this.lockerPid);
        if (s.done) {
          if (ok) await this.#deleteLock(id, nodes, this.lockerPid);
          return;
        }
        this.#cast(s.peer, tuple(A.lockSet, this.lockerPid, ok, [...this.#known.keys()], s.hisTag!));
        if (!ok) {
          s.lockState = 'idle';
          this.#lockerBusy = undefined;
          this.#scheduleLock(s, retryDelay(this.#known.size));
          return;
        }
        s.lockId = id;
        s.lockedNodes = nodes;
        this.#lockIsSet(s);
        return;
      }
    }
  }

  /** The lock is set in both partitions: send our names (lock_is_set). */
  #lockIsSet(s: Session): void {
    s.lockState = 'set';
    if (s.timer !== undefined) clearTimeout(s.timer);
    const names = this.#rows().map((r) => tuple(r.name, r.pid, r.method));
    this.#cast(s.peer, tuple(A.exchange, this.#node.name, names, [], s.hisTag!));
    if (s.hisNames !== undefined) this.#task(this.#resolve(s, s.hisNames));
  }

  /** {exchange, Node, Names, _, MyTag}. */
  #exchange(message: Tuple): void {
    const s = this.#session(message.at(1), message.at(4));
    const names = asList(message.at(2));
    if (s === undefined || names === undefined) return;
    if (s.lockState === 'set') this.#task(this.#resolve(s, names));
    else s.hisNames = names;
  }

  /** exchange_names: his names against ours; the ops for us and those for him (Resolved). */
  async #resolve(s: Session, names: Term[]): Promise<void> {
    s.hisNames = undefined;
    const ops: Term[] = [];
    const resolved: Term[] = [];
    for (const entry of names) {
      if (!(entry instanceof Tuple) || entry.size !== 3 || !(entry.at(1) instanceof Pid)) continue;
      const [name, pid, method] = [entry.at(0), entry.at(1) as Pid, entry.at(2)];
      const mine = this.#row(name);
      if (mine === undefined) ops.push(tuple(A.insert, tuple(name, pid, method)));
      else if (mine.pid.equals(pid) || this.#node.name.name >= s.peer.name) continue; // same, or he resolves it
      else {
        const winner = await this.#resolveClash(mine.method, name, pid, mine.pid);
        if (winner instanceof Pid && winner.equals(pid)) ops.push(tuple(A.insert, tuple(name, pid, method)));
        else if (winner instanceof Pid && winner.equals(mine.pid)) resolved.push(tuple(A.insert, tuple(name, mine.pid, mine.method)));
        else {
          if (winner !== A.none) this.#node.log('info', `global: Resolve method ${format(mine.method)} for conflicting name ${format(name)} returned ${format(winner)}`);
          ops.push(tuple(A.delete, name));
          resolved.push(tuple(A.delete, name));
        }
      }
    }
    if (s.done) return;
    s.ops = ops;
    this.#cast(s.peer, tuple(A.resolved, this.#node.name, resolved, this.#knownList(), A.unused, [], s.hisTag!));
    if (s.his !== undefined) this.#resolvedBoth(s);
  }

  /** global:resolve_it(Method, Name, Pid1, Pid2) for a clash; Pid1 is his holder, Pid2 ours. */
  async #resolveClash(method: Term, name: Term, pid1: Pid, pid2: Pid): Promise<Term> {
    const [min, max] = pid1.node.name < pid2.node.name ? [pid1, pid2] : [pid2, pid1];
    if (method instanceof ExportFun && method.module === A.global && method.arity === 3) {
      if (method.name === A.randomExitName) {
        this.#node.log('info', `global: Name conflict terminating ${format(tuple(name, max))}`);
        this.#ops.exit(this.serverPid, max, A.kill);
        return min;
      }
      if (method.name === A.randomNotifyName) {
        this.#ops.send(this.serverPid, max, tuple(A.conflict, name));
        return min;
      }
      if (method.name === A.notifyAllName) {
        this.#ops.send(this.serverPid, pid1, tuple(A.conflict, name, pid2));
        this.#ops.send(this.serverPid, pid2, tuple(A.conflict, name, pid1));
        return A.none;
      }
    }
    if (pid2.node === this.#node.name) {
      this.#node.log('info', `global: Resolve method ${format(method)} for conflicting name ${format(name)} cannot run on a beamjs node; the name is removed`);
      return A.none;
    }
    // Another fun: global:resolve_it on our holder's node, as global.erl's rpc:call.
    const reply = await this.#calls.call(pid2.node, A.rex, tuple(A.call, A.global, A.resolveIt, [method, name, pid1, pid2], this.serverPid), this.serverPid);
    return reply === undefined ? pid1 : reply; // badrpc: his name is kept
  }

  /** {resolved, Node, HisResolved, HisKnown, _, _, MyTag}. */
  #resolvedMessage(message: Tuple): void {
    const s = this.#session(message.at(1), message.at(6));
    const resolved = asList(message.at(2));
    const known = asList(message.at(3));
    if (s === undefined || resolved === undefined || known === undefined) return;
    s.his = { resolved, known };
    if (s.ops !== undefined) this.#resolvedBoth(s);
  }

  #vsnOf(n: Atom): number {
    return this.#known.get(n) ?? this.#sessions.get(n)?.hisVsn ?? 0;
  }

  /** Both sides resolved: apply the ops, tell our partition, release the lock, grow known. */
  #resolvedBoth(s: Session): void {
    const his = s.his!;
    const ops = [...s.ops!, ...his.resolved];
    const newNodes: Tuple[] = [tuple(s.peer, s.hisVsn)];
    for (const k of his.known) {
      if (k instanceof Atom) newNodes.push(tuple(k, this.#vsnOf(k)));
      else if (k instanceof Tuple && k.size === 2 && k.at(0) instanceof Atom) newNodes.push(k);
    }
    const hisKnownNodes = newNodes.slice(1).map((t) => t.at(0) as Atom);
    const extra = [tuple(A.vsn, s.hisVsn), tuple(A.lock, s.lockId!)];
    this.#syncOthers(hisKnownNodes);
    this.#doOps(ops);
    this.#markSynced(s.peer);
    for (const n of hisKnownNodes) {
      const other = this.#sessions.get(n);
      if (other !== undefined) this.#endSession(other);
    }
    for (const n of this.#known.keys()) this.#cast(n, tuple(A.newNodes, this.#node.name, ops, [], newNodes, extra));
    this.#endSession(s);
    this.#addToKnown(newNodes);
  }

  /** {new_nodes, Node, Ops, _, Nodes, _}: the other partition joined ours through Node. */
  #newNodes(message: Tuple): void {
    const ops = asList(message.at(2));
    const nodes = asList(message.at(4));
    if (ops === undefined || nodes === undefined) return;
    const added = this.#addToKnown(nodes);
    this.#syncOthers(added);
    this.#doOps(ops);
  }

  /** {in_sync, Node, _}: Node (of a partition that joined ours) is synced with us. */
  #inSync(message: Tuple): void {
    const peer = message.at(1);
    if (!(peer instanceof Atom)) return;
    this.#markSynced(peer);
    const s = this.#sessions.get(peer);
    if (s !== undefined) this.#endSession(s);
  }

  #addToKnown(nodes: Term[]): Atom[] {
    const added: Atom[] = [];
    for (const entry of nodes) {
      const [n, v] = entry instanceof Atom ? [entry, 0] : entry instanceof Tuple && entry.at(0) instanceof Atom ? [entry.at(0) as Atom, entry.at(1)] : [undefined, 0];
      if (n === undefined || n === this.#node.name) continue;
      if (!this.#known.has(n)) added.push(n);
      if (!this.#known.has(n) || (this.#known.get(n) ?? 0) < 0) this.#known.set(n, typeof v === 'number' ? v : 0);
    }
    return added;
  }

  /** sync_other: connect to each node of the other partition and tell it we are in sync. */
  #syncOthers(nodes: readonly Atom[]): void {
    for (const n of nodes) {
      if (n === this.#node.name) continue;
      void this.#node.connect(n).then((c) => {
        if (c !== undefined) this.#cast(n, tuple(A.inSync, this.#node.name, true));
        else {
          this.#node.log('warning', `'global' at ${this.#node.name.name} failed to connect to ${n.name}`);
          this.#nodeDownState(n, false);
        }
      });
    }
  }

  #markSynced(peer: Atom): void {
    this.#synced.add(peer);
    this.#settleWaiters(peer);
  }

  #settleWaiters(peer: Atom): void {
    this.#syncWaiters = this.#syncWaiters.filter((w) => {
      w.nodes.delete(peer);
      if (w.nodes.size > 0) return true;
      w.done();
      return false;
    });
  }

  /** Ends a session: timers off, our locker's lock released. */
  #endSession(s: Session): void {
    if (s.done) return;
    s.done = true;
    if (s.timer !== undefined) clearTimeout(s.timer);
    if (this.#sessions.get(s.peer) === s) this.#sessions.delete(s.peer);
    if (this.#lockerBusy === s) this.#lockerBusy = undefined;
    if (s.lockId !== undefined) this.#task(this.#deleteLock(s.lockId, s.lockedNodes.filter((n) => n === this.#node.name || this.#node.isConnected(n)), this.lockerPid));
  }

  #restart(s: Session): void {
    this.#endSession(s);
    if (this.#node.isConnected(s.peer) && !this.#known.has(s.peer)) this.#nodeUp(s.peer);
  }

  // ---- names

  /** do_ops: {insert, {Name, Pid, Method}} and {delete, Name}. */
  #doOps(ops: Term[]): void {
    for (const op of ops) {
      if (!(op instanceof Tuple) || op.size !== 2) continue;
      if (op.at(0) === A.insert && op.at(1) instanceof Tuple) {
        const e = op.at(1) as Tuple;
        if (e.size === 3 && e.at(1) instanceof Pid) this.#insertName(e.at(0), e.at(1) as Pid, e.at(2));
      } else if (op.at(0) === A.delete) this.#deleteName(op.at(1));
    }
  }

  #insertName(name: Term, pid: Pid, method: Term): void {
    const old = this.#row(name);
    this.#run(() => ets.insert(GLOBAL_TABLE, tuple(name, pid, method)));
    if (old !== undefined && !old.pid.equals(pid)) this.#forgetHolder(old.pid);
    if (pid.node !== this.#node.name) this.#watch(pid);
    else this.#watchLocal(pid);
  }

  #deleteName(name: Term): void {
    const old = this.#row(name);
    if (old === undefined) return;
    this.#run(() => ets.delete(GLOBAL_TABLE, name));
    this.#forgetHolder(old.pid);
  }

  /** Monitors a remote holder of a name or lock (once). */
  #watch(pid: Pid): void {
    const key = pidKey(pid);
    if (this.#monitorOf.has(key) || this.isOwnPid(pid)) return;
    const ref = this.#node.makeRef();
    this.#monitorOf.set(key, ref);
    this.#monitors.set(refKey(ref), pid);
    this.#node.send(pid.node, { kind: 'monitor', from: this.serverPid, to: pid, ref });
  }

  /** Monitors a local holder (once), so that its names go when it exits, as global's monitors do. */
  #watchLocal(pid: Pid): void {
    const key = pidKey(pid);
    if (this.#localHolders.has(key) || this.isOwnPid(pid) || this.#ops.monitorLocal === undefined) return;
    this.#localHolders.set(key, this.#ops.monitorLocal(pid));
  }

  /** The 'DOWN' of a local holder: its names go here (the other nodes watch it themselves). */
  localHolderDown(pid: Pid, ref: Ref): void {
    const key = pidKey(pid);
    const held = this.#localHolders.get(key);
    if (held === undefined || !held.equals(ref)) return;
    this.#localHolders.delete(key);
    for (const r of this.#rows()) if (r.pid.equals(pid)) this.#run(() => ets.delete(GLOBAL_TABLE, r.name));
  }

  /** Drops the monitor of `pid` when it holds no name and no lock any more. */
  #forgetHolder(pid: Pid): void {
    if (pid.node === this.#node.name) {
      const key = pidKey(pid);
      const ref = this.#localHolders.get(key);
      if (ref === undefined || this.#rows().some((r) => r.pid.equals(pid))) return;
      this.#localHolders.delete(key);
      this.#ops.demonitorLocal?.(pid, ref);
      return;
    }
    const key = pidKey(pid);
    const ref = this.#monitorOf.get(key);
    if (ref === undefined || this.#locks.holds(pid) || this.#rows().some((r) => r.pid.equals(pid))) return;
    this.#monitorOf.delete(key);
    this.#monitors.delete(refKey(ref));
    if (this.#node.isConnected(pid.node)) this.#node.send(pid.node, { kind: 'demonitor', from: this.serverPid, to: pid, ref });
  }

  /** A 'DOWN' for the server: the holder died; its names and locks go. */
  monitorDown(ref: Ref): void {
    const pid = this.#monitors.get(refKey(ref));
    if (pid === undefined) return;
    this.#monitors.delete(refKey(ref));
    this.#monitorOf.delete(pidKey(pid));
    this.#locks.dropHolder(pid);
    for (const r of this.#rows()) if (r.pid.equals(pid)) this.#run(() => ets.delete(GLOBAL_TABLE, r.name));
  }

  // ---- what peers send

  /** A message for {global_name_server, this node} from `peer`. */
  incoming(peer: Atom, from: Pid, message: Term): void {
    if (this.#stopped) return;
    if (message instanceof Tuple && message.size === 3 && message.at(0) === A.genCall && message.at(1) instanceof Tuple) {
      const fromTag = message.at(1) as Tuple;
      if (fromTag.size === 2 && fromTag.at(0) instanceof Pid) return void this.#call(peer, fromTag.at(0) as Pid, fromTag.at(1), message.at(2));
    }
    if (message instanceof Tuple && message.size === 2 && message.at(0) === A.genCast) return void this.#castIn(message.at(1));
    if (message instanceof Tuple && message.size > 0) {
      const op = message.at(0);
      if (op === A.initConnectAck && message.size === 4) return void this.#initConnectAck(message);
      if (op === A.cancelConnect && message.size === 3) return void this.#cancelConnect(message);
      if (op === A.lostConnection && message.size === 5) return void this.#lostConnection(message);
      if (op === A.removeConnection && message.size === 2) return void this.#removeConnection(message);
    }
    this.#node.log('warning', `The global_name_server received an unexpected message from ${peer.name}: handle_info(${format(message)}, _) (from ${format(from)})`);
  }

  /** A message sent to the server's or the locker's pid: replies to our calls. */
  incomingSend(_peer: Atom, message: Term): void {
    this.#calls.reply(message);
  }

  #castIn(m: Term): void {
    if (!(m instanceof Tuple) || m.size === 0) return void this.#node.log('warning', `The global_name_server received an unexpected message: handle_cast(${format(m)}, _)`);
    const op = m.at(0);
    if (op === A.initConnect && m.size === 4) return void this.#initConnect(m);
    if (op === A.lockSet && (m.size === 5 || m.size === 4)) return void this.#task(this.#lockSet(m));
    if (op === A.exchange && m.size === 5) return void this.#exchange(m);
    if (op === A.resolved && m.size === 7) return void this.#resolvedMessage(m);
    if (op === A.newNodes && m.size === 6) return void this.#newNodes(m);
    if (op === A.inSync && m.size === 3) return void this.#inSync(m);
    if (op === A.asyncDelName || op === A.asyncDelLock) return; // pre-R14 messages, ignored as global.erl does
    this.#node.log('warning', `The global_name_server received an unexpected message: handle_cast(${format(m)}, _)`);
  }

  #call(peer: Atom, from: Pid, tag: Term, request: Term): void {
    const reply = (value: Term): void => this.#node.send(peer, { kind: 'send', from: this.serverPid, to: from, message: tuple(tag, value) });
    if (request instanceof Tuple && request.size >= 2) {
      const op = request.at(0);
      const id = request.at(1);
      if ((op === A.setLock || op === A.delLock) && request.size === 2 && id instanceof Tuple && id.size === 2) {
        if (op === A.delLock) {
          this.#locks.delete(id.at(0), id.at(1), from);
          this.#forgetHolder(from);
          return reply(true);
        }
        const ok = this.#locks.set(id.at(0), id.at(1), from);
        if (ok) this.#watch(from);
        return reply(ok);
      }
      if (op === A.register && request.size === 4 && request.at(2) instanceof Pid) {
        this.#insertName(request.at(1), request.at(2) as Pid, request.at(3));
        return reply(A.yes);
      }
      if (op === A.registerExt && request.size === 5 && request.at(2) instanceof Pid) {
        this.#insertName(request.at(1), request.at(2) as Pid, request.at(3));
        return reply(A.yes);
      }
      if (op === A.unregister && request.size === 2) {
        this.#deleteName(request.at(1));
        return reply(A.ok);
      }
      if (op === A.sync && request.size === 2 && Array.isArray(request.at(1))) {
        const nodes = new Set((request.at(1) as Term[]).filter((n): n is Atom => n instanceof Atom && n !== this.#node.name && !this.#synced.has(n)));
        if (nodes.size === 0) return reply(A.ok);
        this.#syncWaiters.push({ nodes, done: () => reply(A.ok) });
        return;
      }
    }
    if (request === A.getKnown) return reply([...this.#known.keys()]);
    if (request === A.getSynced) return reply([...this.#synced]);
    if (request === A.getProtocolVersion) return reply(VSN);
    this.#node.log('warning', `The global_name_server received an unexpected message: handle_call(${format(request)}, ${format(tuple(from, tag))}, _)`);
  }

  /** {cancel_connect, Node, MyTag}: the peer gave up this session; start a new one. */
  #cancelConnect(message: Tuple): void {
    const s = this.#session(message.at(1), message.at(2));
    if (s !== undefined) this.#restart(s);
  }

  /** {lost_connection, NodeA, XCreationA, OpIdA, NodeB}: NodeA lost NodeB; we drop NodeB too (prevent overlapping partitions). */
  #lostConnection(message: Tuple): void {
    const [nodeA, creation, opId, nodeB] = [message.at(1), message.at(2), message.at(3), message.at(4)];
    if (!(nodeA instanceof Atom) || !(nodeB instanceof Atom)) return;
    const key = `${nodeA.name} ${nodeB.name}`;
    const seen = this.#lostConnections.get(key);
    if (seen !== undefined && equals(seen.creation, creation) && compare(opId, seen.opId) <= 0) return;
    for (const n of this.#known.keys()) if (n !== nodeA && (this.#known.get(n) ?? 0) >= 7) this.#volatile(n, message);
    this.#lostConnections.set(key, { creation, opId });
    const rm = nodeB === this.#node.name ? nodeA : nodeB;
    if (!this.#known.has(rm) && !this.#sessions.has(rm)) return;
    this.#volatile(rm, tuple(A.removeConnection, this.#node.name));
    this.#node.log('warning', `'global' at node ${this.#node.name.name} requested disconnect from node ${rm.name} in order to prevent overlapping partitions`);
    this.#removing.add(rm);
    this.#nodeDownState(rm, true);
  }

  /** {remove_connection, Node}: Node asks us to leave it (prevent overlapping partitions). */
  #removeConnection(message: Tuple): void {
    const peer = message.at(1);
    if (!(peer instanceof Atom) || (!this.#known.has(peer) && !this.#sessions.has(peer))) return;
    this.#removing.add(peer);
    this.#node.log('warning', `'global' at node ${this.#node.name.name} disconnected node ${peer.name} in order to prevent overlapping partitions`);
    this.#nodeDownState(peer, true);
    this.#node.disconnect(peer);
  }

  /** The connection to `peer` went: its session, names, locks and pending calls go. */
  nodeDown(peer: Atom): void {
    this.#calls.nodeDown(peer);
    this.#preConnect.delete(peer);
    this.#locks.dropNode(peer);
    for (const r of this.#rows()) if (r.pid.node === peer) this.#run(() => ets.delete(GLOBAL_TABLE, r.name));
    for (const [k, pid] of [...this.#monitors]) {
      if (pid.node !== peer) continue;
      this.#monitors.delete(k);
      this.#monitorOf.delete(pidKey(pid));
    }
    const removing = this.#removing.delete(peer);
    const wasKnown = this.#known.has(peer) || this.#sessions.has(peer);
    this.#nodeDownState(peer, removing);
    if (wasKnown && !removing && !this.#stopped) this.#informConnectionLoss(peer);
  }

  #nodeDownState(peer: Atom, _removing: boolean): void {
    const s = this.#sessions.get(peer);
    if (s !== undefined) this.#endSession(s);
    this.#known.delete(peer);
    this.#synced.delete(peer);
    this.#settleWaiters(peer);
  }

  #informConnectionLoss(peer: Atom): void {
    const message = tuple(A.lostConnection, this.#node.name, this.#node.creation, ++this.#opId, peer);
    for (const [n, v] of this.#known) if (n !== peer && v >= 7) this.#volatile(n, message);
    for (const s of this.#sessions.values()) if (s.peer !== peer && s.hisVsn >= 7 && s.hisTag !== undefined) this.#volatile(s.peer, message);
  }
}

