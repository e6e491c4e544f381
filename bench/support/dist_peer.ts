/**
 * The serving beamjs node of bench/dist/round_trip.ts, in its own Node process:
 * node dist_peer.js NAME COOKIE EPMD_PORT starts a VM with distribution and echo processes
 * ({From, X} -> From ! {echo, X}) registered as bench_echo (the one-pair figure) and
 * bench_echo_1..bench_echo_64 (one per client of the many-pairs figures), as
 * bench/erl/dist_bench.erl echo/0 does; prints "READY <node>", and stops on stdin EOF.
 */
import { defineModule, receive, register, self, send } from '../../src/process/index.js';
import { VM } from '../../src/index.js';
import { P, atom, tuple, type Atom, type Pid, type Term } from '../../src/term/index.js';

const ECHO = atom('echo');
/** Built once: a pattern built inside the loop would be compiled on every receive. */
const REQUEST = P.tuple(P.capture('from', P.pid), P.capture('x'));
defineModule('bench_dist_peer', {
  *echo(caller: Pid, name: Atom) {
    register(name, self());
    send(caller, atom('echo_ready'));
    for (;;) {
      const m = yield* receive(REQUEST);
      send(m.from as Pid, tuple(ECHO, m.x as Term));
    }
  },
});

const [name, cookie, epmdPort] = process.argv.slice(2);
const vm = await VM.start({ inline: true, distribution: { name: name!, cookie: cookie!, epmdPort: Number(epmdPort) }, logger: false });
/** As MAX_PAIRS in bench/erl/dist_bench.erl. */
const MAX_PAIRS = 64;
const names = [atom('bench_echo'), ...Array.from({ length: MAX_PAIRS }, (_, j) => atom(`bench_echo_${j + 1}`))];
for (const echoName of names) await vm.spawn('bench_dist_peer', 'echo', [vm.self, echoName]);
const ready = atom('echo_ready');
for (let j = 0; j < names.length; j++) await vm.receive((m: Term) => (m === ready ? true : undefined), 5000);
process.stdout.write(`READY ${vm.node.name}\n`);
process.stdin.resume();
process.stdin.on('end', () => void vm.stop().then(() => process.exit(0)));
