/**
 * The name of the local node, as this thread sees it.
 *
 * Pids, references and ports carry the name of the node that made them. Printing
 * needs to know which of them are local (erl prints `<0.42.0>` for a local pid and
 * `<N.42.0>` for a remote one), and later distribution needs it to route messages.
 * Until distribution starts, the local node is `nonode@nohost`, as in an erl started
 * without `-name`/`-sname`.
 *
 * Invariants: `localNode()` is always an `Atom` (never one of the JS-valued atoms).
 *
 * Thread-safety: the value is thread-local (a module variable). Every scheduler
 * thread that starts distribution must call `setLocalNode` itself; a value set on
 * one thread is not seen by the others.
 *
 * Bad input: `setLocalNode` throws `InvalidArgumentError` for anything but an
 * `Atom` whose name has the `name@host` shape.
 */
import { InvalidArgumentError, describeValue } from '../errors/index.js';
import { Atom } from './atom.js';

/** The node name of an Erlang node started without a name. */
export const NO_NODE_NAME = 'nonode@nohost';

let current: Atom | undefined;

/** The local node's name (`nonode@nohost` until `setLocalNode` is called on this thread). */
export function localNode(): Atom {
  if (current === undefined) current = Atom.for(NO_NODE_NAME);
  return current;
}

/**
 * Makes `node` the local node of this thread. Pids, refs and ports whose node is
 * `node` then print with node number 0.
 */
export function setLocalNode(node: Atom): void {
  if (!(node instanceof Atom)) {
    throw new InvalidArgumentError(`node must be an Atom such as atom('name@host'); received ${describeValue(node)}`);
  }
  const at = node.name.indexOf('@');
  if (at <= 0 || at === node.name.length - 1) {
    throw new InvalidArgumentError(`node must be an atom of the form 'name@host'; received '${node.name}'`);
  }
  current = node;
}
