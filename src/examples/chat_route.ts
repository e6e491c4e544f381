/**
 * Example: chat routing, part 1 — the route table. Users' gen_servers (chat_user.ts) find each
 * other through one ETS table, `chat_routes` ({UserName, Pid}), instead of asking a router
 * process for every message: a sender looks the receiver up in shared memory on its own
 * scheduler thread and casts to it directly.
 *
 *   chat_sup (one_for_one)
 *     ├── chat_route  gen_server: owns the protected table chat_routes, writes it, monitors users
 *     └── chat_users  supervisor (simple_one_for_one): one chat_user gen_server per user
 *
 * The table is `protected`: everyone reads it, only its owner (the chat_route server) writes
 * it, so a user registers with a call (`register_user`) and the server removes the route of a
 * user that dies (its 'DOWN'). Removal deletes the object {Name, Pid}, not the key, so a user
 * restarted by its supervisor, which registered its new pid already, keeps its route.
 *
 * Modules: `chat_sup` (start_link/0, init/1), `chat_route` (start_link/0 and the gen_server
 * callbacks), `chat_users` (start_link/0, init/1). `routeOf(Name)` is the lookup every sender
 * makes. Thread-safety: module code, loaded in every scheduler thread; the table is shared
 * memory, read from any thread.
 */
import { ets } from '../ets/index.js';
import { GenServer, Supervisor } from '../otp/index.js';
import { defineModule, monitor, type ProcessGenerator } from '../process/index.js';
import { atom, Pid, Ref, tuple, Tuple, type Term } from '../term/index.js';

export const ROUTES = atom('chat_routes');
const ROUTER = atom('chat_route');
const USERS = atom('chat_users');
const ok = atom('ok');
const DOWN = atom('DOWN');

/** The pid of user `name`, read from the route table (no message), or undefined. */
export function routeOf(name: Term): Pid | undefined {
  const found = ets.lookup(ROUTES, name);
  return found.length === 0 ? undefined : (found[0]!.at(1) as Pid);
}

/** Registers the calling user's pid under `name` (a call to the table's owner). */
export function* registerUser(name: Term, pid: Pid): ProcessGenerator<Term> {
  return yield* GenServer.call(ROUTER, tuple(atom('register_user'), name, pid));
}

/** Starts one user under chat_users: {ok, Pid} | {error, R}. */
export function* startUser(name: Term): ProcessGenerator<Term> {
  return yield* Supervisor.startChild(USERS, [name]);
}

export const CHAT_SUP = defineModule('chat_sup', {
  *start_link() {
    return yield* Supervisor.startLink('chat_sup', [], { name: atom('chat_sup') });
  },
  init(): Term {
    return tuple(ok, tuple({ strategy: atom('one_for_one'), intensity: 10, period: 5 }, [
      { id: ROUTER, start: tuple(ROUTER, atom('start_link'), []) },
      { id: USERS, start: tuple(USERS, atom('start_link'), []), type: atom('supervisor') },
    ] as unknown as Term[]));
  },
});

export const CHAT_USERS = defineModule('chat_users', {
  *start_link() {
    return yield* Supervisor.startLink('chat_users', [], { name: USERS });
  },
  init(): Term {
    const template = { id: atom('chat_user'), start: tuple(atom('chat_user'), atom('start_link'), []), restart: atom('transient') };
    return tuple(ok, tuple({ strategy: atom('simple_one_for_one'), intensity: 10, period: 5 }, [template] as unknown as Term[]));
  },
});

/** The route server's state: one {MonitorRef, Route} per registered user (a term, so the server stays portable). */
type Monitors = Tuple[];

export const CHAT_ROUTE = defineModule('chat_route', {
  *start_link() {
    return yield* GenServer.startLink('chat_route', [], { name: ROUTER });
  },
  init(): Term {
    ets.new(ROUTES, [atom('set'), atom('named_table'), atom('protected'), tuple(atom('read_concurrency'), true)]);
    return tuple(ok, []);
  },
  handle_call(request: Term, _from: Term, monitors: Monitors): Term {
    if (request instanceof Tuple && request.at(0) === atom('register_user')) {
      const route = tuple(request.at(1), request.at(2));
      ets.insert(ROUTES, route);
      return tuple(atom('reply'), ok, [...monitors, tuple(monitor('process', request.at(2) as Pid), route)]);
    }
    return tuple(atom('reply'), tuple(atom('error'), tuple(atom('unknown_call'), request)), monitors);
  },
  handle_cast(_request: Term, monitors: Monitors): Term {
    return tuple(atom('noreply'), monitors);
  },
  handle_info(info: Term, monitors: Monitors): Term {
    if (!(info instanceof Tuple && info.size === 5 && info.at(0) === DOWN)) return tuple(atom('noreply'), monitors);
    const ref = info.at(1) as Ref;
    const entry = monitors.find((m) => (m.at(0) as Ref).equals(ref));
    if (entry !== undefined) ets.deleteObject(ROUTES, entry.at(1) as Tuple);
    return tuple(atom('noreply'), monitors.filter((m) => m !== entry));
  },
});
