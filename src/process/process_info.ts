/**
 * process_info/1,2: what a process looks like from outside, in Erlang's shapes.
 *
 *   | item              | value                                                      |
 *   |-------------------|------------------------------------------------------------|
 *   | status            | running, runnable, waiting or exiting (an atom)            |
 *   | message_queue_len | messages in the mailbox                                    |
 *   | messages          | the mailbox, oldest first                                  |
 *   | links             | pids linked to the process                                 |
 *   | monitors          | [{process, Pid}] and [{process, {Name, Node}}] for names   |
 *   | monitored_by      | pids monitoring the process                                |
 *   | registered_name   | its name, or [] when it has none                           |
 *   | reductions        | reductions spent (cost model in process.ts)                |
 *   | current_function  | {M, F, A}: the function it was started with (JS frames are |
 *   |                   | not visible; a closure shows {js_closure, Name, 0})        |
 *   | initial_call      | {M, F, A}; {erlang, apply, 2} for a closure, as in Erlang  |
 *   | dictionary        | [{Key, Value}]                                             |
 *   | priority          | low, normal, high or max                                   |
 *   | trap_exit         | true or false                                              |
 *
 * process_info(Pid) lists registered_name (when registered), current_function,
 * initial_call, status, message_queue_len, links, dictionary, trap_exit, priority, reductions,
 * in Erlang's order. A dead pid gives undefined; an unknown item is badarg.
 * Threads: scheduler thread. Bad input: InvalidArgumentError naming the item.
 */
import { InvalidArgumentError, describeValue } from '../errors/index.js';
import { Atom, atom, tuple, type Pid, type Term, type Tuple } from '../term/index.js';
import { A_APPLY, A_ERLANG, A_PROCESS } from './atoms.js';
import { currentProcessOrUndefined, ProcessStatus, type Process } from './process.js';
import { REDUCTION_BUDGET } from './process.js';
import type { Runtime } from './runtime.js';

export type ProcessInfoItem =
  | 'status'
  | 'message_queue_len'
  | 'messages'
  | 'links'
  | 'monitors'
  | 'monitored_by'
  | 'registered_name'
  | 'reductions'
  | 'current_function'
  | 'initial_call'
  | 'dictionary'
  | 'priority'
  | 'trap_exit';

const ITEMS: ReadonlySet<string> = new Set<ProcessInfoItem>([
  'status',
  'message_queue_len',
  'messages',
  'links',
  'monitors',
  'monitored_by',
  'registered_name',
  'reductions',
  'current_function',
  'initial_call',
  'dictionary',
  'priority',
  'trap_exit',
]);

const DEFAULT_ITEMS: readonly ProcessInfoItem[] = [
  'current_function',
  'initial_call',
  'status',
  'message_queue_len',
  'links',
  'dictionary',
  'trap_exit',
  'priority',
  'reductions',
];

function itemName(item: unknown): ProcessInfoItem {
  const name = item instanceof Atom ? item.name : item;
  if (typeof name !== 'string' || !ITEMS.has(name)) {
    throw new InvalidArgumentError(`processInfo: item must be one of ${[...ITEMS].join(', ')}; received ${describeValue(item)}`);
  }
  return name as ProcessInfoItem;
}

function statusOf(proc: Process): Atom {
  switch (proc.status) {
    case ProcessStatus.RUNNING:
      return atom('running');
    case ProcessStatus.RUNNABLE:
      return atom('runnable');
    case ProcessStatus.WAITING:
      return atom('waiting');
    default:
      return atom('exiting');
  }
}

/** The value of one item. */
export function infoValue(proc: Process, item: ProcessInfoItem): Term {
  switch (item) {
    case 'status':
      return statusOf(proc);
    case 'message_queue_len':
      return proc.mailbox.length;
    case 'messages':
      return proc.mailbox.toArray();
    case 'links':
      return proc.links === undefined ? [] : [...proc.links.values()];
    case 'monitors':
      return proc.monitors === undefined ? [] : [...proc.monitors.values()].filter((m) => m.target !== undefined).map((m) => tuple(A_PROCESS, m.object));
    case 'monitored_by':
      return proc.monitoredBy === undefined ? [] : [...proc.monitoredBy.values()].map((m) => m.watcher);
    case 'registered_name':
      return proc.registeredName ?? [];
    case 'reductions':
      return currentProcessOrUndefined() === proc ? proc.reductions + (REDUCTION_BUDGET - proc.budget) : proc.reductions;
    case 'current_function':
      return tuple(proc.module, proc.fun, proc.arity);
    case 'initial_call':
      return proc.pinned ? tuple(A_ERLANG, A_APPLY, 2) : tuple(proc.module, proc.fun, proc.arity);
    case 'dictionary':
      return proc.dictionary?.entries() ?? [];
    case 'priority':
      return atom(proc.priority);
    case 'trap_exit':
      return proc.trapExit;
  }
}

/** process_info(Pid[, ItemOrItems]) for a local pid. */
export function processInfoOf(runtime: Runtime, pid: Pid, item: unknown): Tuple | Tuple[] | undefined {
  let single: ProcessInfoItem | undefined;
  let list: ProcessInfoItem[] | undefined;
  if (item === undefined) {
    list = undefined;
  } else if (Array.isArray(item)) {
    list = item.map(itemName);
  } else {
    single = itemName(item);
  }
  const proc = runtime.lookup(pid);
  if (proc === undefined) return undefined;
  if (single !== undefined) return tuple(atom(single), infoValue(proc, single));
  const items = list ?? (proc.registeredName !== undefined ? ['registered_name' as const, ...DEFAULT_ITEMS] : DEFAULT_ITEMS);
  return items.map((name) => tuple(atom(name), infoValue(proc, name)));
}
