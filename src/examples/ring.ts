/**
 * Example: the ring benchmark ("Programming Erlang", exercise 8.11): N processes in a ring, a
 * token goes around M times (N * M messages); then a stop token goes around once, every node
 * exits, and the starter reports {ring_done, N * M} to Report.
 *
 * Module `ring`, exports start(N, M, Report) and node(). The starter is the ring's first node.
 * Thread-safety: module-addressed process code; loadable in every scheduler thread.
 */
import { defineModule, receive, self, send, spawn } from '../process/index.js';
import { atom, compilePattern, P, tuple, type Pid } from '../term/index.js';

const TOKEN = atom('token');
const STOP = atom('stop');
const NEXT = atom('next');
const DONE = atom('ring_done');
const TOKEN_OR_STOP = compilePattern(P.oneOf(P.tuple(TOKEN, P.capture('hops', P.integer)), STOP));
const NEXT_PATTERN = compilePattern(P.tuple(NEXT, P.capture('next', P.pid)));

export const RING = defineModule('ring', {
  /** Builds a ring of n processes (this one included) and passes the token n * m times. */
  *start(n: number, m: number, report: Pid) {
    let next = self();
    for (let i = 1; i < n; i++) {
      const node = spawn('ring', 'node', []);
      send(node, tuple(NEXT, next));
      next = node;
    }
    const total = n * m;
    let passed = 0;
    if (total > 0) {
      send(next, tuple(TOKEN, 1));
      for (;;) {
        const m = yield* receive(TOKEN_OR_STOP);
        passed = 'hops' in m ? Number(m.hops) : total;
        if (passed >= total) break;
        send(next, tuple(TOKEN, passed + 1));
      }
    }
    if (n > 1) {
      send(next, STOP);
      yield* receive(STOP);
    }
    send(report, tuple(DONE, passed));
  },
  /** A ring node: forwards each token with its hop count + 1; forwards stop and exits. */
  *node() {
    const { next } = yield* receive(NEXT_PATTERN);
    const to = next as Pid;
    for (;;) {
      const m = yield* receive(TOKEN_OR_STOP);
      if (!('hops' in m)) {
        send(to, STOP);
        return;
      }
      send(to, tuple(TOKEN, Number(m.hops) + 1));
    }
  },
});
