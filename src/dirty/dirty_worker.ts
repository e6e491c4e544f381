/**
 * The worker of the dirty pool (a piscina worker thread): runs one exported function of a
 * beamjs module per task, as a BEAM dirty CPU scheduler runs a dirty NIF.
 *
 * A task is `{ module, fun, args }`, the args ETF-encoded (VM transport options: piscina's
 * structured clone would turn an Atom or a Tuple into a plain object). The worker imports the
 * VM's modules once (workerData.modules), looks the function up in the module registry, calls it
 * with the decoded args, and returns the ETF of {ok, Result} or {error, Reason}:
 *   - an unknown module or function: {error, {undef, [{M, F, Args, []}]}};
 *   - a function that throws: {error, Reason} with the reason a crashing process would have
 *     (a JS Error becomes {js_error, <<"Name">>, <<"Message">>}, see src/process/exception.ts);
 *   - a result that is not a term: {error, {bad_return, <<"description">>}}.
 * A generator function (process code) is refused the same way: dirty functions return a value.
 *
 * Threads: runs only in piscina's worker threads; nothing is shared with the schedulers.
 */
import { workerData } from 'node:worker_threads';
import { binaryToTerm, termToBinary } from '../codec/index.js';
import { caught } from '../process/exception.js';
import { lookupExport } from '../process/module_registry.js';
import { describeValue } from '../errors/index.js';
import { atom, tuple, type Term } from '../term/index.js';

const TRANSPORT = { jsTypes: true, minorVersion: 2 } as const;

let loaded: Promise<void> | undefined;

function load(): Promise<void> {
  loaded ??= (async () => {
    const modules = (workerData as { modules?: readonly string[] } | undefined)?.modules ?? [];
    for (const module of modules) await import(module);
  })();
  return loaded;
}

export interface DirtyTask {
  readonly module: string;
  readonly fun: string;
  readonly args: Uint8Array;
}

export default async function runTask(task: DirtyTask): Promise<Uint8Array> {
  await load();
  const args = binaryToTerm(task.args, { jsTypes: true }) as Term[];
  const fn = lookupExport(atom(task.module), atom(task.fun));
  let outcome: Term;
  if (fn === undefined) {
    outcome = tuple(atom('error'), tuple(atom('undef'), [tuple(atom(task.module), atom(task.fun), args, [])]));
  } else {
    try {
      const value = (fn as (...a: readonly Term[]) => unknown)(...args);
      if (value !== null && typeof value === 'object' && typeof (value as { next?: unknown }).next === 'function') {
        outcome = tuple(atom('error'), tuple(atom('bad_return'), `${task.module}:${task.fun} is process code (a generator); a dirty function returns its result`));
      } else {
        outcome = tuple(atom('ok'), value as Term);
      }
    } catch (error) {
      outcome = tuple(atom('error'), caught(error).reason);
    }
  }
  try {
    return termToBinary(outcome, TRANSPORT);
  } catch {
    return termToBinary(tuple(atom('error'), tuple(atom('bad_return'), describeValue((outcome as { elements: readonly unknown[] }).elements[1]))), TRANSPORT);
  }
}
