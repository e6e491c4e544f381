/**
 * Example: ping-pong (the classic from "Programming Erlang"): a ping process and a pong process
 * exchange N round trips, then ping reports {ping_pong_done, N} to `report`.
 *
 *   pong() -> receive {ping, From} -> From ! pong, pong(); stop -> ok end.
 *   ping(0, Pong, Report) -> Pong ! stop, Report ! {ping_pong_done, N};
 *   ping(N, Pong, Report) -> Pong ! {ping, self()}, receive pong -> ok end, ping(N-1, ...).
 *
 * Module `ping_pong`, exports start(N, Report), ping(N, Pong, Report), pong().
 * Thread-safety: module-addressed process code; loadable in every scheduler thread.
 */
import { defineModule, receive, self, send, spawn } from '../process/index.js';
import { atom, compilePattern, P, tuple, type Pid } from '../term/index.js';

const PING = atom('ping');
const PONG = atom('pong');
const STOP = atom('stop');
const DONE = atom('ping_pong_done');
const PING_OR_STOP = compilePattern(P.oneOf(P.tuple(PING, P.capture('from', P.pid)), STOP));

export const PING_PONG = defineModule('ping_pong', {
  /** Spawns pong and ping; ping reports to `report` when done. */
  *start(n: number, report: Pid) {
    const pong = spawn('ping_pong', 'pong', []);
    spawn('ping_pong', 'ping', [n, pong, report]);
  },
  *ping(n: number, pong: Pid, report: Pid) {
    const me = self();
    const request = tuple(PING, me);
    for (let i = 0; i < n; i++) {
      send(pong, request);
      yield* receive(PONG);
    }
    send(pong, STOP);
    send(report, tuple(DONE, n));
  },
  *pong() {
    for (;;) {
      const m = yield* receive(PING_OR_STOP);
      if (!('from' in m)) return;
      send(m.from, PONG);
    }
  },
});
