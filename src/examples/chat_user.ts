/**
 * Example: chat routing, part 2 — one gen_server per user. A user registers its pid in the
 * route table at init (chat_route.ts); `send` looks the receiver up in the table and casts
 * `{deliver, From, Text}` to it directly, so a message costs one ETS read and one cast however
 * many users there are, and no central process sits on the path.
 *
 *   chat_user:start_link(Name)                {ok, Pid}   (started by chat_users)
 *   gen_server:call(U, {send, To, Text})      ok | {error, {unknown_user, To}}
 *   gen_server:call(U, inbox)                 [{From, Text}] in arrival order
 *   gen_server:call(U, {listen, Pid})         ok: deliveries are also sent to Pid as
 *                                             {chat, Name, From, Text}
 *
 * `chat_client:run(Report, Name, Script)` is a client for tests and the demo: it performs the
 * script's calls on user Name's server and reports {chat_client_done, Name, Results}.
 * Thread-safety: module code, loaded in every scheduler thread.
 */
import { GenServer, Supervisor } from '../otp/index.js';
import { defineModule, receive, self, send, type ProcessGenerator } from '../process/index.js';
import { atom, Pid, tuple, Tuple, type Term } from '../term/index.js';
import { registerUser, routeOf, startUser } from './chat_route.js';

const ok = atom('ok');
const reply = atom('reply');
const noreply = atom('noreply');
const DELIVER = atom('deliver');
const CHAT = atom('chat');

/** A user's state: {Name, Inbox (arrival order; the server appends to it, nobody else sees it), Listener | undefined}. */
type UserState = Tuple<readonly [Term, Tuple[], Pid | undefined]>;

const state = (name: Term, inbox: Tuple[], listener: Pid | undefined): UserState => tuple(name, inbox, listener) as UserState;

export const CHAT_USER = defineModule('chat_user', {
  *start_link(name: Term) {
    return yield* GenServer.startLink('chat_user', name);
  },
  *init(name: Term): ProcessGenerator<Term> {
    const me = yield* registerUser(name, self());
    if (me !== ok) return tuple(atom('stop'), me);
    return tuple(ok, state(name, [], undefined));
  },
  handle_call(request: Term, _from: Term, s: UserState): Term {
    const [name, inbox] = s.elements;
    if (request === atom('inbox')) return tuple(reply, [...inbox], s);
    if (request instanceof Tuple && request.at(0) === atom('send')) {
      const to = request.at(1);
      const pid = routeOf(to);
      if (pid === undefined) return tuple(reply, tuple(atom('error'), tuple(atom('unknown_user'), to)), s);
      GenServer.cast(pid, tuple(DELIVER, name, request.at(2)));
      return tuple(reply, ok, s);
    }
    if (request instanceof Tuple && request.at(0) === atom('listen')) return tuple(reply, ok, state(name, inbox, request.at(1) as Pid));
    return tuple(reply, tuple(atom('error'), tuple(atom('unknown_call'), request)), s);
  },
  handle_cast(request: Term, s: UserState): Term {
    const [name, inbox, listener] = s.elements;
    if (request instanceof Tuple && request.at(0) === DELIVER) {
      if (listener !== undefined) send(listener, tuple(CHAT, name, request.at(1), request.at(2)));
      inbox.push(tuple(request.at(1), request.at(2)));
    }
    return tuple(noreply, s);
  },
});

export const CHAT_CLIENT = defineModule('chat_client', {
  /** Starts the chat tree (chat_sup) linked to this process, reports {chat_started, Result}, and holds it until `stop`. */
  *hold(report: Pid) {
    const started = yield* Supervisor.startLink('chat_sup', []);
    send(report, tuple(atom('chat_started'), started));
    yield* receive(atom('stop'));
  },
  /** Starts users under chat_users; reports {chat_users_started, [Result]}. */
  *add_users(report: Pid, names: readonly Term[]) {
    const results: Term[] = [];
    for (const name of names) results.push(yield* startUser(name));
    send(report, tuple(atom('chat_users_started'), results));
  },
  /** Runs each request of `script` as a call on user `name`'s server; reports the results. */
  *run(report: Pid, name: Term, script: readonly Term[]) {
    const user = routeOf(name);
    if (user === undefined) {
      send(report, tuple(atom('chat_client_done'), name, tuple(atom('error'), atom('no_such_user'))));
      return;
    }
    const results: Term[] = [];
    for (const request of script) results.push(yield* GenServer.call(user, request));
    send(report, tuple(atom('chat_client_done'), name, results));
  },
});
