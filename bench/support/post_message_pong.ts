/**
 * The worker of the postMessage baseline in bench/sched/multicore.ts: answers every message on
 * its port with the same message (the Node way to ping-pong between threads, without beamjs).
 */
import { parentPort } from 'node:worker_threads';

parentPort!.on('message', (message: unknown) => {
  if (message === 'stop') process.exit(0);
  parentPort!.postMessage(message);
});
