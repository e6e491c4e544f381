/**
 * The serving beamjs node of bench/dist/round_trip.ts, in its own Node process:
 * node dist_peer.js NAME COOKIE EPMD_PORT starts a VM with distribution and an echo process
 * registered as bench_echo ({From, X} -> From ! {echo, X}), prints "READY <node>", and stops
 * on stdin EOF.
 */
import { defineModule, receive, register, self, send } from '../../src/process/index.js';
import { VM } from '../../src/index.js';
import { P, atom, tuple, type Pid, type Term } from '../../src/term/index.js';

const ECHO = atom('echo');
defineModule('bench_dist_peer', {
  *echo(caller: Pid) {
    register(atom('bench_echo'), self());
    send(caller, atom('echo_ready'));
    for (;;) {
      const m = yield* receive(P.tuple(P.capture('from', P.pid), P.capture('x')));
      send(m.from as Pid, tuple(ECHO, m.x as Term));
    }
  },
});

const [name, cookie, epmdPort] = process.argv.slice(2);
const vm = await VM.start({ inline: true, distribution: { name: name!, cookie: cookie!, epmdPort: Number(epmdPort) }, logger: false });
await vm.spawn('bench_dist_peer', 'echo', [vm.self]);
const ready = atom('echo_ready');
await vm.receive((m: Term) => (m === ready ? true : undefined), 5000);
process.stdout.write(`READY ${vm.node.name}\n`);
process.stdin.resume();
process.stdin.on('end', () => void vm.stop().then(() => process.exit(0)));
