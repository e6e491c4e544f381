/**
 * Benchmark of src/codec (the External Term Format), beside erl's term_to_binary/1 and
 * binary_to_term/1 on the same terms (bench/erl/codec_bench.erl, run in the same run).
 *
 * Terms (identical bytes on both sides; checked through the encoded size erl reports):
 *   small  {ping, Pid, 12345}: the typical small message (atom, pid, integer), 44 bytes
 *   map1k  32 atom keys field_01..field_32; odd keys hold a 32-byte binary (a string
 *          here), even keys an integer: 1030 bytes
 *
 * Figures (each encode/decode figure in terms/s and, as `<name>.mb`, MB/s of encoded
 * bytes, with BEAM's figure and the ratio beamjs/BEAM; > 1 means beamjs is faster):
 *   codec.encode.small, codec.decode.small, codec.encode.map1k, codec.decode.map1k
 *     with the default options (erl-compatible bytes; binaries decode to strings)
 * and, without a BEAM twin:
 *   codec.encode_into.small   encodeInto a preallocated buffer (the scheduler ring's path)
 *   codec.encoded_size.small  encodedSize
 *   codec.encode.small.invm, codec.decode.small.invm, codec.encode_into.small.invm,
 *   codec.encode.map1k.invm, codec.decode.map1k.invm
 *     with the VM's own options { jsTypes: true, minorVersion: 2 }
 *
 * Checks: every batch adds up the encoded lengths (or counts decoded tuples/objects) and
 * compares with the expected total; after timing, the encodings are compared with the
 * reference bytes and a decoded term with the original (exactEquals), so a fast wrong
 * run throws instead of reporting.
 */
import { binaryToTerm, encodeInto, encodedSize, termToBinary } from '../../src/codec/index.js';
import type { EncodeOptions, DecodeOptions } from '../../src/codec/index.js';
import { Pid, Tuple, atom, exactEquals, tuple } from '../../src/term/index.js';
import type { Term } from '../../src/term/index.js';
import { beamFigure, check, measureOps, note, report, reportVersusBeam, runErl } from '../harness.js';

const BATCH = 1000;
const IN_VM: EncodeOptions & DecodeOptions = { jsTypes: true, minorVersion: 2 };

function small(): Term {
  return tuple(atom('ping'), new Pid(atom('nonode@nohost'), 80, 0, 0), 12345);
}

function map1k(): Term {
  const m: Record<string, Term> = {};
  for (let i = 1; i <= 32; i++) {
    const key = `field_${String(i).padStart(2, '0')}`;
    m[key] = i % 2 === 1 ? 'x'.repeat(27) + String(i).padStart(5, '0') : i * 1000;
  }
  return m;
}

function isDecoded(value: Term): boolean {
  return value instanceof Tuple || (typeof value === 'object' && value !== null);
}

interface Rates {
  encode: number;
  decode: number;
  size: number;
}

function measure(name: string, term: Term, options: (EncodeOptions & DecodeOptions) | undefined): Rates {
  const reference = termToBinary(term, options);
  const size = reference.length;
  check(encodedSize(term, options) === size, `${name}: encodedSize equals the encoding's length`);
  let sink = 0;
  const encode = measureOps(
    `${name}.encode`,
    () => {
      let total = 0;
      for (let i = 0; i < BATCH; i++) total += termToBinary(term, options).length;
      check(total === size * BATCH, `${name}: every encoding has ${size} bytes`);
      sink += total;
    },
    { opsPerCall: BATCH },
  );
  const decode = measureOps(
    `${name}.decode`,
    () => {
      let decoded = 0;
      for (let i = 0; i < BATCH; i++) if (isDecoded(binaryToTerm(reference, options))) decoded++;
      check(decoded === BATCH, `${name}: every decode gave a tuple or map`);
      sink += decoded;
    },
    { opsPerCall: BATCH },
  );
  check(sink > 0, 'the loops ran');
  check(Buffer.compare(termToBinary(term, options), reference) === 0, `${name}: encoding is stable`);
  check(exactEquals(binaryToTerm(reference, options), term), `${name}: decoded term equals the original`);
  return { encode, decode, size };
}

function measureEncodeInto(name: string, term: Term, options: EncodeOptions | undefined): number {
  const reference = termToBinary(term, options);
  const ring = new Uint8Array(new SharedArrayBuffer(64 * 1024));
  let offset = 0;
  const rate = measureOps(
    name,
    () => {
      for (let i = 0; i < BATCH; i++) {
        let end = encodeInto(term, ring, offset, options);
        if (end < 0) {
          offset = 0;
          end = encodeInto(term, ring, 0, options);
        }
        check(end - offset === reference.length, `${name}: encodeInto wrote ${reference.length} bytes`);
        offset = end;
      }
    },
    { opsPerCall: BATCH },
  );
  const end = encodeInto(term, ring, 0, options);
  check(Buffer.compare(ring.subarray(0, end), reference) === 0, `${name}: encodeInto bytes equal termToBinary's`);
  return rate;
}

export default function main(): void {
  note('codec/etf: JS only (no native counterpart); default options = erl-compatible bytes');
  const erl = runErl('codec_bench', 'run', ['1000000']);
  const terms: [string, Term][] = [
    ['small', small()],
    ['map1k', map1k()],
  ];
  for (const [name, term] of terms) {
    const r = measure(name, term, undefined);
    const beamSize = beamFigure(erl, `codec.size.${name}`);
    if (beamSize !== undefined) check(beamSize === r.size, `${name}: erl encodes ${beamSize} bytes, beamjs ${r.size}`);
    note(`${name}: ${r.size} bytes encoded`);
    const mb = (rate: number): number => (rate * r.size) / 1e6;
    for (const op of ['encode', 'decode'] as const) {
      const figure = `codec.${op}.${name}`;
      reportVersusBeam(figure, r[op], beamFigure(erl, figure), 'terms/s');
      reportVersusBeam(`${figure}.mb`, mb(r[op]), beamFigure(erl, `${figure}.mb`), 'MB/s');
    }
  }
  report('codec.encode_into.small', measureEncodeInto('encode_into.small', small(), undefined), 'terms/s');
  const s = small();
  report(
    'codec.encoded_size.small',
    measureOps('encoded_size.small', () => {
      let total = 0;
      for (let i = 0; i < BATCH; i++) total += encodedSize(s);
      check(total === 44 * BATCH, 'encodedSize of small is 44');
    }, { opsPerCall: BATCH }),
    'terms/s',
  );
  for (const [name, term] of terms) {
    const r = measure(`${name}.invm`, term, IN_VM);
    report(`codec.encode.${name}.invm`, r.encode, 'terms/s');
    report(`codec.decode.${name}.invm`, r.decode, 'terms/s');
  }
  report('codec.encode_into.small.invm', measureEncodeInto('encode_into.small.invm', small(), IN_VM), 'terms/s');
}
