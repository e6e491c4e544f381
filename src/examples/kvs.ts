/**
 * Example: a key-value name server ("Programming Erlang" ch. 14, kvs.erl) keeping its data in
 * the process dictionary, registered as `kvs`.
 *
 *   start() -> register(kvs, spawn(fun() -> loop() end)).
 *   store(Key, Value) -> rpc({store, Key, Value}).
 *   lookup(Key) -> rpc({lookup, Key}).          %% {ok, Value} | undefined
 *   loop() -> receive {From, {store, K, V}} -> put(K, {ok, V}), From ! {kvs, true}, loop();
 *                     {From, {lookup, K}} -> From ! {kvs, get(K)}, loop() end.
 *
 * Module `kvs`: exports start() (spawns and registers the server, reports {kvs_started, Pid}
 * to the caller given), loop(), and the client helpers store/lookup (generators to use with
 * yield* inside a process). Each client call uses a fresh ref, so the reply is matched with the
 * reference-marker optimisation even when the client's mailbox is long.
 * Thread-safety: module-addressed process code; loadable in every scheduler thread.
 */
import { defineModule, get, makeRef, put, receive, register, self, send, spawn, type ProcessGenerator } from '../process/index.js';
import { atom, compilePattern, P, tuple, type Pid, type Ref, type Term } from '../term/index.js';

const KVS = atom('kvs');
const STORE = atom('store');
const LOOKUP = atom('lookup');
const OK = atom('ok');
const REQUEST = compilePattern(
  P.tuple(P.capture('from', P.pid), P.capture('ref', P.ref), P.oneOf(P.tuple(STORE, P.capture('key'), P.capture('value')), P.tuple(LOOKUP, P.capture('key')))),
);

function* rpc(request: Term): ProcessGenerator<Term> {
  const ref: Ref = makeRef();
  send(KVS, tuple(self(), ref, request));
  const { reply } = yield* receive(P.tuple(KVS, ref, P.capture('reply')));
  return reply as Term;
}

/** Client: store(Key, Value) -> true. Use inside a process: `yield* store(k, v)`. */
export function store(key: Term, value: Term): ProcessGenerator<Term> {
  return rpc(tuple(STORE, key, value));
}

/** Client: lookup(Key) -> {ok, Value} | undefined. */
export function lookup(key: Term): ProcessGenerator<Term> {
  return rpc(tuple(LOOKUP, key));
}

export const KVS_MODULE = defineModule('kvs', {
  /** Starts the server registered as `kvs`; replies {kvs_started, Pid} to `caller`. */
  *start(caller: Pid) {
    const pid = spawn('kvs', 'loop', []);
    register(KVS, pid);
    send(caller, tuple(atom('kvs_started'), pid));
  },
  *loop() {
    for (;;) {
      const m = yield* receive(REQUEST);
      const from = m.from as Pid;
      if ('value' in m) {
        put(m.key as Term, tuple(OK, m.value as Term));
        send(from, tuple(KVS, m.ref as Term, true));
      } else {
        send(from, tuple(KVS, m.ref as Term, get(m.key as Term)));
      }
    }
  },
  /** kvs:store/2 and kvs:lookup/1 as exports, as in kvs.erl (rpc:call(Node, kvs, store, [K, V]) from another node). */
  store,
  lookup,
  /** A client process for tests: stores the pairs, looks up the keys, reports {kvs_results, Results}. */
  *client(report: Pid, pairs: ReadonlyArray<readonly [Term, Term]>, keys: readonly Term[]) {
    for (const [k, v] of pairs) yield* store(k, v);
    const results: Term[] = [];
    for (const k of keys) results.push(yield* lookup(k));
    send(report, tuple(atom('kvs_results'), results));
  },
});
