/**
 * The native addon against its JS twin (issue 6): a selective receive that scans encoded
 * messages for a gen_server-style reply {reply, Ref, Value}, with the match at the end of the
 * mailbox, in three shapes, and the same scan done the way the mailbox does it today for
 * decoded messages: binaryToTerm, then the compiled pattern's closure.
 *
 *   native.scan.<shape>.native   messages scanned/s by the addon's scanMailbox
 *   native.scan.<shape>.js       messages scanned/s by the JS twin
 *   native.scan.<shape>.decode   messages/s decoded and matched in JS
 *   native.scan.<shape>.ratio    native / js (above 1: the addon wins)
 *
 * Shapes: short (4 messages), long (10,000 small messages), large (1,000 messages of 1 KiB).
 */
import { binaryToTerm, termToBinary } from '../../src/codec/index.js';
import { jsMatcher, nativeMatcher, nativeReason, type NativeMatcher } from '../../src/native/index.js';
import { atom, compilePattern, P, Ref, tuple, type Term } from '../../src/term/index.js';
import { check, measureOps, note, report } from '../harness.js';

const TRANSPORT = { jsTypes: true, minorVersion: 2 } as const;

interface Mailbox {
  readonly buffer: Uint8Array;
  readonly offsets: Int32Array;
  readonly count: number;
  readonly encoded: Uint8Array[];
}

function mailbox(count: number, payloadBytes: number, ref: Ref): Mailbox {
  const encoded: Uint8Array[] = [];
  for (let i = 0; i < count - 1; i++) encoded.push(termToBinary(tuple(atom('noise'), i, new Uint8Array(payloadBytes)), TRANSPORT));
  encoded.push(termToBinary(tuple(atom('reply'), ref, 42), TRANSPORT));
  const total = encoded.reduce((n, e) => n + e.length, 0);
  const buffer = new Uint8Array(total);
  const offsets = new Int32Array(2 * count);
  let at = 0;
  encoded.forEach((e, i) => {
    buffer.set(e, at);
    offsets[2 * i] = at;
    offsets[2 * i + 1] = at + e.length;
    at += e.length;
  });
  return { buffer, offsets, count, encoded };
}

export default function run(): void {
  const ref = new Ref(atom('nonode@nohost'), 0, [1, 2, 3]);
  const pattern = compilePattern(P.tuple(atom('reply'), ref, P.capture('value')));
  const program = pattern.program;
  const captures = new Int32Array(48);
  if (nativeMatcher === undefined) note(`the native addon is not loaded (${nativeReason}): JS figures only`);
  for (const [shape, count, payload] of [
    ['short', 4, 8],
    ['long', 10_000, 8],
    ['large', 1000, 1024],
  ] as const) {
    const box = mailbox(count, payload, ref);
    const scan = (runner: NativeMatcher): void => {
      const found = runner.scanMailbox(program, box.buffer, box.offsets, box.count, 0, captures);
      if (found !== count - 1) throw new Error(`${shape}: found ${found}`);
    };
    check((scan(jsMatcher), true), `${shape}: the JS twin finds the reply`);
    const js = measureOps(`native.scan.${shape}.js`, () => scan(jsMatcher), { opsPerCall: count });
    report(`native.scan.${shape}.js`, js, 'msgs/s');
    if (nativeMatcher !== undefined) {
      const native = measureOps(`native.scan.${shape}.native`, () => scan(nativeMatcher!), { opsPerCall: count });
      report(`native.scan.${shape}.native`, native, 'msgs/s');
      report(`native.scan.${shape}.ratio`, native / js, 'native/js');
    }
    const decode = measureOps(
      `native.scan.${shape}.decode`,
      () => {
        let hit = -1;
        for (let i = 0; i < box.count; i++) {
          if (pattern.match(binaryToTerm(box.encoded[i]!, { jsTypes: true }) as Term) !== undefined) {
            hit = i;
            break;
          }
        }
        if (hit !== count - 1) throw new Error(`${shape}: decode found ${hit}`);
      },
      { opsPerCall: count },
    );
    report(`native.scan.${shape}.decode`, decode, 'msgs/s');
  }
}
