/**
 * `global` names, as far as beamjs goes: a cluster-wide name -> pid table shared by the
 * beamjs nodes of a cluster, and what an OTP node's global_name_server is told.
 *
 * Between beamjs nodes: registerName(Name, Pid) succeeds when no node of the cluster known
 * here holds Name; the registration is sent to every connected node's global_name_server as
 * {'$beamjs_global', register, Name, Pid} (and the whole table owned by this node to a node
 * that comes up); unregisterName sends {'$beamjs_global', unregister, Name}; names whose pid
 * lives on a node that goes down are removed, as global removes them. When two nodes
 * registered one name before hearing of each other, the pid of the node with the smaller
 * name wins on both sides (a deterministic stand-in for global's resolve function; the loser
 * is not killed).
 *
 * Towards OTP nodes: an OTP node's global_name_server opens each new connection with an
 * init_connect cast and waits for the lock/exchange protocol of global.erl, which beamjs does
 * not speak. What an OTP 25 node sends (seen on the wire): to rex {Pid, features_request}
 * (answered), then to global_name_server {'$gen_cast', {init_connect, {8, HisTag}, Node,
 * {locker, no_longer_a_pid, #{{connection_id, ThisNode} => Id}, LockerPid}}}; its locker then
 * waits for ours (his_the_locker, lock_is_set, exchange, resolved). A node started hidden is
 * left out of global by OTP and keeps global:sync() there at ok (test/dist/otp_global.test.ts). It is left unanswered: the OTP node then keeps beamjs out of its global
 * partition, so its global:register_name and global:whereis_name keep working among the OTP
 * nodes and never wait for beamjs; global:sync() on the OTP node would wait for it, and its
 * global names are not visible here (the difference from OTP, stated in the README). The
 * {'$beamjs_global', ...} casts reach OTP nodes too and are ignored by their global.
 *
 * The table is the ETS table of global_module.ts (GLOBAL_TABLE), shared with every scheduler
 * thread: processes register there directly (Global / the `global` module) and send a notice
 * to the main thread, which tells the peers (localNotice); names from peers are written into
 * it here. Names may be any term.
 *
 * Threads: main thread (the bridge's); table access runs as the VM's external process (`run`).
 * Bad input: messages of other shapes are ignored.
 */
import { Atom, Pid, Tuple, atom, tuple, type Term } from '../term/index.js';
import { ets } from '../ets/index.js';
import type { DistNode } from './dist_node.js';
import { GLOBAL_TABLE } from './global_module.js';

const A_BEAMJS_GLOBAL = atom('$beamjs_global');
const A_REGISTER = atom('register');
const A_UNREGISTER = atom('unregister');
const A_GLOBAL = atom('global_name_server');

/** Runs table code as the VM's external process; undefined once the VM has stopped. */
export type RunAs = <R>(fn: () => R) => R | undefined;

export class GlobalNames {
  readonly #node: DistNode;
  readonly #run: RunAs;

  constructor(node: DistNode, run: RunAs = (fn) => fn()) {
    this.#node = node;
    this.#run = run;
    node.onNodeEvent((e) => {
      if (e.kind !== 'nodeup') return;
      for (const [name, pid] of this.#entries()) if (pid.node === node.name) this.#tell(e.node, tuple(A_BEAMJS_GLOBAL, A_REGISTER, name, pid));
    });
  }

  #entries(): [Term, Pid][] {
    return this.#run(() => ets.tab2list(GLOBAL_TABLE).map((o) => [o.at(0), o.at(1) as Pid] as [Term, Pid])) ?? [];
  }

  #lookup(name: Term): Pid | undefined {
    return this.#run(() => ets.lookup(GLOBAL_TABLE, name)[0]?.at(1) as Pid | undefined);
  }

  #tell(peer: Atom, message: Term): void {
    this.#node.send(peer, { kind: 'reg_send', from: this.#node.netKernelPid, to: A_GLOBAL, message });
  }

  #broadcast(message: Term): void {
    for (const peer of this.#node.nodes('connected')) this.#tell(peer, message);
  }

  /** global:register_name/2: 'yes' or 'no' (the name is taken somewhere in the cluster known here). */
  registerName(name: Term, pid: Pid): 'yes' | 'no' {
    if (this.#run(() => ets.insertNew(GLOBAL_TABLE, tuple(name, pid))) !== true) return 'no';
    this.#broadcast(tuple(A_BEAMJS_GLOBAL, A_REGISTER, name, pid));
    return 'yes';
  }

  /** global:unregister_name/1. */
  unregisterName(name: Term): void {
    if (this.#lookup(name) === undefined) return;
    this.#run(() => ets.delete(GLOBAL_TABLE, name));
    this.#broadcast(tuple(A_BEAMJS_GLOBAL, A_UNREGISTER, name));
  }

  /** global:whereis_name/1: the pid, or undefined. */
  whereisName(name: Term): Pid | undefined {
    return this.#lookup(name);
  }

  /** global:registered_names/0. */
  registeredNames(): Term[] {
    return this.#entries().map(([name]) => name);
  }

  /** A notice of a process of this node (global_module.ts): {register, Name, Pid} | {unregister, Name}: tells the peers. */
  localNotice(message: Tuple): void {
    if (message.at(0) === A_REGISTER) this.#broadcast(tuple(A_BEAMJS_GLOBAL, A_REGISTER, message.at(1), message.at(2)));
    else this.#broadcast(tuple(A_BEAMJS_GLOBAL, A_UNREGISTER, message.at(1)));
  }

  /** A message for global_name_server from `peer`. */
  incoming(peer: Atom, _from: Pid, message: Term): void {
    if (!(message instanceof Tuple) || message.at(0) !== A_BEAMJS_GLOBAL) return; // OTP's global protocol: left unanswered
    if (message.size === 4 && message.at(1) === A_REGISTER && message.at(3) instanceof Pid) {
      const name = message.at(2);
      const pid = message.at(3) as Pid;
      const held = this.#lookup(name);
      if (held === undefined || (!held.equals(pid) && pid.node.name < held.node.name)) this.#run(() => ets.insert(GLOBAL_TABLE, tuple(name, pid)));
    } else if (message.size === 3 && message.at(1) === A_UNREGISTER) {
      const name = message.at(2);
      if (this.#lookup(name)?.node === peer) this.#run(() => ets.delete(GLOBAL_TABLE, name));
    }
  }

  /** Names of processes on `peer` go when the connection goes. */
  nodeDown(peer: Atom): void {
    for (const [name, pid] of this.#entries()) if (pid.node === peer) this.#run(() => ets.delete(GLOBAL_TABLE, name));
  }
}
