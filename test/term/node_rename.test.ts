/**
 * Local pids and refs through a rename of the node (src/term/node_name.ts, pid.ts, ref.ts),
 * as net_kernel:start/stop does it: a pid made before follows the new name, keeps its hash and
 * its map keys, equals the same pid decoded with the new name, prints as local; a pid read
 * with the new name before this thread takes it (the first step) is already local; pids of
 * other nodes stay theirs. Runs in its own process (the name is per thread).
 */
import t from 'tap';
import { binaryToTerm, termToBinary } from '../../src/codec/index.js';
import { pidKey, refKey } from '../../src/process/signals.js';
import { acceptLocalNode, atom, exactEquals, format, hashTerm, localNode, Pid, Ref, setLocalNode, tuple, type Atom } from '../../src/term/index.js';

const NONODE = atom('nonode@nohost');

function containsName(bytes: Uint8Array, name: Atom): boolean {
  return Buffer.from(bytes).includes(Buffer.from(name.name, 'latin1'));
}

t.test('local pids and refs follow the node through start and stop; remote ones keep theirs', (t) => {
  t.equal(localNode(), NONODE);
  const x = atom('renamed@host');
  const pid = new Pid(NONODE, 7, 1, 0);
  const ref = new Ref(NONODE, 0, [5, 0, 0]);
  const bigRef = new Ref(NONODE, 0, [5, 9, 1, 4]);
  const remote = new Pid(atom('other@host'), 3, 0, 11);
  const term = tuple(pid, ref, bigRef);
  const hash = hashTerm(term);
  const keys = [pidKey(pid), refKey(ref), refKey(bigRef)];
  const encodedBefore = termToBinary(term);
  // What another thread that took the name first would send: the name x, creation 0.
  const fromRenamedThread = termToBinary(new Pid(x, 7, 1, 0));
  t.ok(containsName(fromRenamedThread, x));

  acceptLocalNode(x);
  const early = binaryToTerm(fromRenamedThread) as Pid;
  t.equal(early.home, undefined, 'step 1: a pid with the coming name and creation 0 is read as local');
  t.ok(early.equals(pid), 'and it is the same pid');
  t.equal(pid.node, NONODE, 'this thread keeps its name until step 2');

  setLocalNode(x);
  t.equal(pid.node, x, 'after step 2 a pid made before has the new name');
  t.equal(ref.node, x, 'so has a ref');
  t.equal(format(pid), '<0.7.1>', 'and prints as local');
  t.equal(hashTerm(term), hash, 'its hash is unchanged (ETS and map keys)');
  t.same([pidKey(pid), refKey(ref), refKey(bigRef)], keys, 'and so are its link and monitor keys');
  const decoded = binaryToTerm(termToBinary(tuple(new Pid(x, 7, 1, 0), new Ref(x, 0, [5, 0, 0]), new Ref(x, 0, [5, 9, 1, 4]))));
  t.ok(exactEquals(decoded, term), 'the same ids built with the new name are =:= to those made before');
  t.ok(exactEquals(binaryToTerm(encodedBefore), term), 'bytes encoded before the rename still decode to local ids');
  t.ok(containsName(termToBinary(pid), x), 'a local pid encodes with the new name');
  t.notOk(exactEquals(new Pid(x, 7, 1, 5), pid), 'a pid of the name with another creation (an earlier incarnation) is another pid');
  t.equal(remote.node.name, 'other@host', 'a remote pid keeps its node');
  t.notOk(format(remote).startsWith('<0.'));

  setLocalNode(NONODE);
  t.equal(pid.node, NONODE, 'after stop, nonode@nohost again');
  t.equal(hashTerm(term), hash);
  t.ok(exactEquals(binaryToTerm(fromRenamedThread), pid), 'a pid encoded with the former name (creation 0) is still read as local');
  t.end();
});
