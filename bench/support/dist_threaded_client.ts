/**
 * The threaded client node of bench/dist/round_trip.ts, in its own Node process (a VM with a
 * scheduler thread per core cannot share a process with the inline client node: both would be
 * the main thread's node). node dist_threaded_client.js NAME COOKIE EPMD_PORT ECHO_NODE N
 * PAIRS [SCHEDULERS] (default: one per core) measures one client (N round trips) and PAIRS
 * clients at once against ECHO_NODE's
 * bench_echo / bench_echo_J, as the inline node does, prints "RATE rt <r>" and
 * "RATE rt<PAIRS> <r>" (round trips/s), and exits.
 */
import { VM } from '../../src/index.js';
import { atom, tuple } from '../../src/term/index.js';
import { rate, rateMany } from './dist_clients.js';

const [name, cookie, epmdPort, echoNode, n, pairs, schedulers] = process.argv.slice(2);
const vm = await VM.start({
  modules: [new URL('./dist_clients.js', import.meta.url)],
  distribution: { name: name!, cookie: cookie!, epmdPort: Number(epmdPort) },
  logger: false,
  ...(schedulers === undefined ? {} : { schedulers: Number(schedulers) }),
});
try {
  const node = atom(echoNode!);
  process.stdout.write(`RATE rt ${await rate(vm, tuple(atom('bench_echo'), node), Number(n))}\n`);
  process.stdout.write(`RATE rt${pairs} ${await rateMany(vm, node, Number(pairs), 5000)}\n`);
} finally {
  await vm.stop();
}
