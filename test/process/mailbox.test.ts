// Mailbox (src/process/mailbox.ts): selective scan, saved position, reference markers.
import t from 'tap';
import { atom, compilePattern, localNode, P, Ref, tuple, Tuple, type Term } from '../../src/index.js';
import { termToBinary } from '../../src/codec/index.js';
import { Mailbox, type MessageMatcher } from '../../src/process/mailbox.js';

const ref = (n: number): Ref => new Ref(localNode(), 0, [n, 0, 0]);
const counting = (want: Term): MessageMatcher<Term> & { calls: number } => {
  const m = { calls: 0, match: (x: Term) => (m.calls++, x === want ? x : undefined) };
  return m;
};

t.test('scan removes the first match and keeps the others in order', async (t) => {
  const box = new Mailbox();
  for (const m of [1, 2, 3, 2]) box.push(m);
  box.beginReceive(undefined);
  t.equal(box.scan(counting(2)), 2);
  t.same(box.toArray(), [1, 3, 2], 'only the first 2 was removed');
  t.equal(box.length, 3);
});

t.test('a waiting receive resumes its scan after the messages it already rejected', async (t) => {
  const box = new Mailbox();
  box.push(1);
  box.push(2);
  const m = counting(9);
  box.beginReceive(undefined);
  t.equal(box.scan(m), undefined);
  t.equal(m.calls, 2, 'looked at both');
  box.push(9);
  t.equal(box.scan(m), 9);
  t.equal(m.calls, 3, 'only the new message was looked at');
  t.same(box.toArray(), [1, 2]);
});

t.test('a marker makes a receive requiring its ref skip older messages, and survives removals', async (t) => {
  const box = new Mailbox();
  for (let i = 0; i < 100; i++) box.push(i);
  const r = ref(7);
  box.mark(r);
  box.push(atom('after'));
  const m = counting(atom('after'));
  box.beginReceive([r]);
  t.equal(box.scan(m), atom('after'));
  t.equal(m.calls, 1, 'started after the marker');
  // Remove the marked node (99): the marker moves back, still before every newer message.
  const r2 = ref(8);
  box.mark(r2);
  box.beginReceive(undefined);
  box.scan(counting(99));
  box.push(atom('late'));
  const m2 = counting(atom('late'));
  box.beginReceive([r2]);
  t.equal(box.scan(m2), atom('late'));
  t.ok(m2.calls <= 2, 'the moved marker still skips the old messages');
  t.equal(box.length, 99);
});

t.test('an unknown required ref scans from the head; removeWhere and scanAny keep the list consistent', async (t) => {
  const box = new Mailbox();
  for (const m of [1, 2, 3, 4]) box.push(m);
  const m = counting(4);
  box.beginReceive([ref(1234)]);
  t.equal(box.scan(m), 4);
  t.equal(m.calls, 4, 'from the head');
  t.equal(box.removeWhere((x) => x === 2), 1);
  box.beginReceive(undefined);
  t.equal(box.scanAny(), 1);
  t.equal(box.scanAny(), 3);
  t.equal(box.scanAny(), undefined);
  t.equal(box.took, false);
  box.push(5);
  t.same(box.toArray(), [5], 'tail was reset correctly');
});

// Messages from other threads arrive encoded and are decoded only when a receive needs them.
const encodedOf = (term: Term): Uint8Array => termToBinary(term, { jsTypes: true, minorVersion: 2 });

t.test('encoded messages: a selective receive with a pattern skips them without decoding; order is kept', async (t) => {
  const box = new Mailbox();
  box.pushEncoded(encodedOf(tuple(atom('noise'), 1)));
  box.push(tuple(atom('noise'), 2));
  box.pushEncoded(encodedOf(tuple(atom('noise'), 3, new Uint8Array(2048))));
  box.pushEncoded(encodedOf(tuple(atom('reply'), 42)));
  box.pushEncoded(encodedOf(tuple(atom('later'), 'text')));
  t.equal(box.undecoded, 4, 'four messages still encoded');
  const reply = compilePattern(P.tuple(atom('reply'), P.capture('value')));
  box.beginReceive(reply.requiredRefs);
  t.same(box.scan(reply), { value: 42 }, 'the match, with its captures');
  t.equal(box.undecoded, 3, 'only the matching message was decoded; the skipped ones stay encoded');
  const guarded = compilePattern(P.where(P.tuple(atom('later'), P.capture('s')), (c) => c.s === 'text'));
  box.beginReceive(guarded.requiredRefs);
  t.same(box.scan(guarded), { s: 'text' }, 'a guard: decoded, then matched in JS');
  box.beginReceive(undefined);
  t.same(box.scan({ match: (m: Term) => (m instanceof Tuple && (m.at(1) as number) >= 0 ? { m } : undefined) }), { m: tuple(atom('noise'), 1) }, 'a function matcher decodes what it looks at');
  t.same(box.toArray(), [tuple(atom('noise'), 2), tuple(atom('noise'), 3, new Uint8Array(2048))], 'the rest, decoded, in arrival order');
  t.equal(box.undecoded, 0, 'toArray decoded them');
});

t.test('encoded messages: scanAny and removeWhere decode what they take', async (t) => {
  const box = new Mailbox();
  box.pushEncoded(encodedOf(tuple(atom('DOWN'), 1)));
  box.pushEncoded(encodedOf(atom('keep')));
  t.equal(box.removeWhere((m) => m instanceof Tuple), 1, 'removeWhere saw the decoded tuple');
  box.beginReceive(undefined);
  t.equal(box.scanAny(), atom('keep'), 'scanAny returns the decoded term');
  t.equal(box.length, 0);
});

t.test("removeDown (demonitor's flush) removes the ref's 'DOWN's after its marker, or from the head without one", async (t) => {
  const down = (r: Ref, reason: Term): Tuple => tuple(atom('DOWN'), r, atom('process'), atom('x'), reason);
  const box = new Mailbox();
  const early = ref(7);
  box.push(down(early, atom('before_mark'))); // no marker for `early`: found from the head
  const r = ref(8);
  box.push(1);
  box.mark(r);
  box.push(2);
  box.push(down(r, atom('a')));
  box.push(down(ref(9), atom('other')));
  box.push(down(new Ref(localNode(), 0, [8, 0, 0]), atom('b'))); // the same ref by value
  box.push(tuple(atom('DOWN'), r, atom('process'))); // not a 'DOWN' message: stays
  t.equal(box.removeDown(r), 2, "both 'DOWN's of the ref");
  t.same(box.toArray(), [down(early, atom('before_mark')), 1, 2, down(ref(9), atom('other')), tuple(atom('DOWN'), r, atom('process'))], 'the rest in order');
  t.equal(box.removeDown(early), 1, 'a ref without a marker is looked for from the head');
  t.equal(box.length, 4);
  box.push(3);
  box.beginReceive(undefined);
  t.equal(box.scan(counting(3)), 3, 'the list is still consistent (tail, length)');
  t.equal(box.length, 4);
});
