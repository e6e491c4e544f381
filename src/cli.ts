#!/usr/bin/env node
/**
 * The beamjs command line.
 *
 *   beamjs demo [--threads N] [--seconds S]
 *
 * `demo` runs on every core: one worker thread per core (os.availableParallelism()) builds a
 * corpus of Erlang terms, encodes each to the External Term Format and decodes it back,
 * checks every round trip with `=:=`, and reports terms/s per thread and in total. Until the
 * multi-scheduler VM exists, this is the codec demo the foundation issue asks for.
 *
 * Thread-safety: the main thread only starts workers and adds up their reports; workers
 * share nothing.
 */
import os from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { binaryToTerm, termToBinary } from './codec/index.js';
import { atom, exportFun, float, ImproperList, localNode, Pid, Ref, tuple, type Term } from './term/index.js';
import { exactEquals } from './term/compare.js';
import { format } from './term/format.js';

interface DemoJob {
  readonly seconds: number;
  readonly thread: number;
}

interface DemoReport {
  readonly thread: number;
  readonly roundTrips: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly mismatches: number;
}

function demoCorpus(thread: number): Term[] {
  const node = localNode();
  const self = new Pid(node, 40 + thread, 0, 1);
  return [
    tuple(atom('ping'), self, 42),
    tuple(true, undefined, null, atom('ok')),
    [1, 2, 3, 'three', float(4), 2n ** 70n],
    { name: 'beamjs', cores: os.availableParallelism(), tags: [atom('erlang'), atom('node')] },
    new Map<Term, Term>([[tuple(1, 2), 'pair'], [3.5, new Uint8Array([1, 2, 3])]]),
    new ImproperList([1, 2], atom('tail')),
    new Ref(node, 1, [thread, 2, 3]),
    exportFun('lists', 'map', 2),
    'héllo wörld ✓',
    Array.from({ length: 64 }, (_, i) => i * thread),
  ];
}

function runWorker(job: DemoJob): DemoReport {
  const corpus = demoCorpus(job.thread);
  const deadline = performance.now() + job.seconds * 1000;
  let roundTrips = 0;
  let bytes = 0;
  let mismatches = 0;
  const start = performance.now();
  while (performance.now() < deadline) {
    for (let i = 0; i < 1000; i++) {
      const term = corpus[i % corpus.length]!;
      const encoded = termToBinary(term);
      const decoded = binaryToTerm(encoded);
      if (!exactEquals(term, decoded)) mismatches++;
      bytes += encoded.length;
      roundTrips++;
    }
  }
  return { thread: job.thread, roundTrips, bytes, seconds: (performance.now() - start) / 1000, mismatches };
}

async function demo(args: readonly string[]): Promise<number> {
  const option = (name: string, fallback: number): number => {
    const at = args.indexOf(name);
    if (at < 0) return fallback;
    const value = Number(args[at + 1]);
    if (!Number.isFinite(value) || value <= 0) {
      throw new Error(`${name} must be a positive number; received ${String(args[at + 1])}`);
    }
    return value;
  };
  const threads = Math.floor(option('--threads', os.availableParallelism()));
  const seconds = option('--seconds', 2);
  console.log(`beamjs demo: ETF round trips on ${threads} thread(s) for ${seconds} s`);
  for (const term of demoCorpus(0).slice(0, 6)) console.log(`  ${format(term)}`);
  const reports = await Promise.all(
    Array.from({ length: threads }, (_, thread) =>
      new Promise<DemoReport>((resolve, reject) => {
        const worker = new Worker(new URL(import.meta.url), { workerData: { seconds, thread } satisfies DemoJob });
        worker.once('message', (report: DemoReport) => resolve(report));
        worker.once('error', reject);
      }),
    ),
  );
  let total = 0;
  let mismatches = 0;
  for (const r of reports) {
    const rate = r.roundTrips / r.seconds;
    console.log(`thread ${r.thread}: ${Math.round(rate).toLocaleString('en')} round trips/s, ${(r.bytes / r.seconds / 1e6).toFixed(1)} MB/s encoded`);
    total += rate;
    mismatches += r.mismatches;
  }
  console.log(`all threads: ${Math.round(total).toLocaleString('en')} round trips/s, ${mismatches} mismatches`);
  return mismatches === 0 ? 0 : 1;
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo':
      return demo(rest);
    default:
      console.error(`usage: beamjs demo [--threads N] [--seconds S]${command ? `\nunknown command: ${command}` : ''}`);
      return 2;
  }
}

if (isMainThread) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
} else {
  parentPort!.postMessage(runWorker(workerData as DemoJob));
}
