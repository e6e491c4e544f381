/**
 * Example: a message-stack cache: a manager process, registered as `msg_stack_cache`, keeps a
 * bounded LIFO stack of messages for other processes. Clients push messages, pop the newest,
 * peek, and ask the size; when the stack is full the oldest entry is dropped.
 *
 *   push(Msg) -> ok; pop() -> {ok, Msg} | empty; peek() -> {ok, Msg} | empty; size() -> N;
 *   stop() -> ok (the manager exits normally and its name is freed).
 *
 * Module `msg_stack_cache`: start(Capacity, Caller) spawns and registers the manager and
 * reports {msg_stack_cache_started, Pid}; manager(Capacity) is the loop; the client helpers
 * are generators to use with yield* inside a process (each call uses a fresh ref).
 * Thread-safety: module-addressed process code; loadable in every scheduler thread.
 */
import { defineModule, makeRef, receive, register, self, send, spawn, type ProcessGenerator } from '../process/index.js';
import { atom, compilePattern, P, tuple, type Pid, type Term } from '../term/index.js';

const NAME = atom('msg_stack_cache');
const OK = atom('ok');
const EMPTY = atom('empty');
const REQUEST = compilePattern(P.tuple(NAME, P.capture('from', P.pid), P.capture('ref', P.ref), P.capture('op', P.atom), P.capture('arg')));

function* call(op: string, arg: Term = []): ProcessGenerator<Term> {
  const ref = makeRef();
  send(NAME, tuple(NAME, self(), ref, atom(op), arg));
  const { reply } = yield* receive(P.tuple(ref, P.capture('reply')));
  return reply as Term;
}

export const push = (message: Term): ProcessGenerator<Term> => call('push', message);
export const pop = (): ProcessGenerator<Term> => call('pop');
export const peek = (): ProcessGenerator<Term> => call('peek');
export const size = (): ProcessGenerator<Term> => call('size');
export const stop = (): ProcessGenerator<Term> => call('stop');

export const MSG_STACK_CACHE = defineModule('msg_stack_cache', {
  *start(capacity: number, caller: Pid) {
    const pid = spawn('msg_stack_cache', 'manager', [capacity]);
    register(NAME, pid);
    send(caller, tuple(atom('msg_stack_cache_started'), pid));
  },
  *manager(capacity: number) {
    const stack: Term[] = [];
    for (;;) {
      const { from, ref, op, arg } = yield* receive(REQUEST);
      let reply: Term;
      switch ((op as { name: string }).name) {
        case 'push':
          stack.push(arg as Term);
          if (stack.length > capacity) stack.shift();
          reply = OK;
          break;
        case 'pop':
          reply = stack.length === 0 ? EMPTY : tuple(OK, stack.pop()!);
          break;
        case 'peek':
          reply = stack.length === 0 ? EMPTY : tuple(OK, stack[stack.length - 1]!);
          break;
        case 'size':
          reply = stack.length;
          break;
        case 'stop':
          send(from as Pid, tuple(ref as Term, OK));
          return;
        default:
          reply = tuple(atom('error'), atom('unknown_op'));
      }
      send(from as Pid, tuple(ref as Term, reply));
    }
  },
  /** A client for tests: runs a script of ops and reports {msg_stack_cache_results, Results}. */
  *client(report: Pid, script: ReadonlyArray<readonly [string, Term]>) {
    const results: Term[] = [];
    for (const [op, arg] of script) results.push(yield* call(op, arg));
    send(report, tuple(atom('msg_stack_cache_results'), results));
  },
});
