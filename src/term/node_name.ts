/**
 * The name of the local node, as this thread sees it, and which node names mean "this node".
 *
 * Pids, references and ports carry the name of the node that made them. Printing needs to
 * know which of them are local (erl prints `<0.42.0>` for a local pid and `<N.42.0>` for a
 * remote one), and distribution needs it to route messages. Until distribution starts, the
 * local node is `nonode@nohost`, as in an erl started without `-name`/`-sname`.
 *
 * The name can change at run time (net_kernel:start/stop, src/vm.ts startDistribution): as
 * in OTP, a local pid or ref then belongs to the new name (node(OldPid) =:= node()). Local
 * pids and refs do not store a name at all (pid.ts `home` is undefined, the `node` getter
 * reads `localNode()`), so a rename changes nothing in them. What decides that a pid being
 * built is local is `isLocalNodeName`: creation 0 (a Runtime's own, see
 * src/dist/creation_map.ts) and a name this thread has had or is about to get. Every name
 * stays in that set for the thread's life: a pid encoded by another thread of the VM just
 * before or after a rename (creation 0, the old or the new name) is still read as local.
 * Creation 0 never comes from the wire (creation_map.ts gives local ids the node's creation
 * there), so a peer that later takes a former name of this node is not mistaken for it.
 *
 * Invariants: `localNode()` is always an `Atom` (never one of the JS-valued atoms), and it is
 * always in the set `isLocalNodeName` answers for; `nonode@nohost` always is.
 *
 * Thread-safety: the values are thread-local (module variables). Every scheduler thread of
 * a VM must be told of a rename itself (src/vm.ts does it with a control record per thread,
 * first `acceptLocalNode` everywhere, then `setLocalNode` everywhere).
 *
 * Bad input: `setLocalNode` and `acceptLocalNode` throw `InvalidArgumentError` for anything
 * but an `Atom` whose name has the `name@host` shape.
 */
import { InvalidArgumentError, describeValue } from '../errors/index.js';
import { Atom } from './atom.js';

/** The node name of an Erlang node started without a name. */
export const NO_NODE_NAME = 'nonode@nohost';

const NO_NODE = Atom.for(NO_NODE_NAME);
let current: Atom = NO_NODE;
/** Every name this thread's node has had or is about to get (besides `current`). */
const formerOrPending = new Set<Atom>([NO_NODE]);

/** The local node's name (`nonode@nohost` until `setLocalNode` is called on this thread). */
export function localNode(): Atom {
  return current;
}

/**
 * True when an identifier of `node` with creation 0 is one of this node's (see the header).
 * Cheap when `node` is the current name (one comparison).
 */
export function isLocalNodeName(node: Atom): boolean {
  return node === current || formerOrPending.has(node);
}

function checkNodeName(node: Atom, where: string): void {
  if (!(node instanceof Atom)) {
    throw new InvalidArgumentError(`${where}: node must be an Atom such as atom('name@host'); received ${describeValue(node)}`);
  }
  const at = node.name.indexOf('@');
  if (at <= 0 || at === node.name.length - 1) {
    throw new InvalidArgumentError(`${where}: node must be an atom of the form 'name@host'; received '${node.name}'`);
  }
}

/**
 * First step of a rename: identifiers of `node` with creation 0 are read as local from now
 * on, before this thread takes the name (another thread may take it first).
 */
export function acceptLocalNode(node: Atom): void {
  checkNodeName(node, 'acceptLocalNode');
  formerOrPending.add(node);
}

/**
 * Makes `node` the local node of this thread. Local pids, refs and ports then report `node`
 * as their node and print with node number 0.
 */
export function setLocalNode(node: Atom): void {
  checkNodeName(node, 'setLocalNode');
  formerOrPending.add(node);
  current = node;
}
