/**
 * gen_server calls made by the main thread's system side (global.ts) to servers of other
 * nodes: {'$gen_call', {From, Tag}, Request} sent to {Server, Node}, answered by the peer's
 * gen_server:reply as {Tag, Reply} sent to From. `From` is one of this node's pseudo-pids (the
 * global server or its locker), so the peer monitors — and, for locks, records — the right pid.
 *
 * A call settles with the reply, or with `undefined` when the connection to that node goes
 * (nodeDown), when the node cannot be reached, or after `timeoutMs`: gen_server:multi_call's
 * bad nodes. multiCall asks every node at once and gathers the replies of those that answered.
 *
 * Threads: main thread only (the bridge's).
 */
import { Atom, Pid, Ref, Tuple, tuple, type Term } from '../term/index.js';
import { refKey, type RefKey } from '../process/signals.js';
import type { DistNode } from './dist_node.js';

const A_GEN_CALL = Atom.for('$gen_call');
/** Longest wait for one reply: a peer's global answers at once, or its node goes down. */
const CALL_TIMEOUT_MS = 60_000;

interface Pending {
  readonly peer: Atom;
  readonly settle: (reply: Term | undefined) => void;
}

export class SystemCalls {
  readonly #node: DistNode;
  readonly #pending = new Map<RefKey, Pending>();

  constructor(node: DistNode) {
    this.#node = node;
  }

  /** gen_server:call({server, peer}, request) from `from`: the reply, or undefined (bad node). */
  call(peer: Atom, server: Atom, request: Term, from: Pid, timeoutMs = CALL_TIMEOUT_MS): Promise<Term | undefined> {
    if (!this.#node.isConnected(peer)) return Promise.resolve(undefined);
    const ref = this.#node.makeRef();
    const key = refKey(ref);
    return new Promise<Term | undefined>((resolve) => {
      const timer = setTimeout(() => settle(undefined), timeoutMs);
      const settle = (reply: Term | undefined): void => {
        if (!this.#pending.delete(key)) return;
        clearTimeout(timer);
        resolve(reply);
      };
      this.#pending.set(key, { peer, settle });
      this.#node.send(peer, { kind: 'reg_send', from, to: server, message: tuple(A_GEN_CALL, tuple(from, ref), request) });
    });
  }

  /** gen_server:multi_call(nodes, server, request): [node, reply] of the nodes that answered. */
  async multiCall(nodes: readonly Atom[], server: Atom, request: Term, from: Pid): Promise<[Atom, Term][]> {
    const replies = await Promise.all(nodes.map((n) => this.call(n, server, request, from)));
    const out: [Atom, Term][] = [];
    nodes.forEach((n, i) => {
      if (replies[i] !== undefined) out.push([n, replies[i]!]);
    });
    return out;
  }

  /** A message for one of the pseudo-pids: true when it was the reply {Tag, Reply} of a pending call. */
  reply(message: Term): boolean {
    if (!(message instanceof Tuple) || message.size !== 2 || !(message.at(0) instanceof Ref)) return false;
    const pending = this.#pending.get(refKey(message.at(0) as Ref));
    if (pending === undefined) return false;
    pending.settle(message.at(1));
    return true;
  }

  /** The connection to `peer` went: its pending calls settle as bad nodes. */
  nodeDown(peer: Atom): void {
    for (const p of [...this.#pending.values()]) if (p.peer === peer) p.settle(undefined);
  }
}
