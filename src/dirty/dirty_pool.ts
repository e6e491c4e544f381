/**
 * DirtyPool: BEAM's dirty CPU schedulers for beamjs. Long blocking CPU functions (exported
 * functions of beamjs modules, addressed module + function + args) run on a piscina pool of
 * worker threads, while the calling process waits in a receive without blocking its scheduler.
 *
 *     // in process code (a module defined with defineModule, loaded in the VM's `modules`):
 *     const digest = yield* dirtyCall('crypto_work', 'hash', [bytes]);
 *
 * One pool per VM, owned by the thread that started the VM (src/vm.ts): a scheduler thread
 * sends the request to it through the mesh, and the answer comes back to the process as a
 * message {'$beamjs_dirty', Ref, {ok, Result} | {error, Reason}} that `dirtyCall` receives
 * with a ref-marked receive (src/process/dirty_call.ts). So a dirty call costs one request and
 * one reply message, wherever the process runs, and the pool is shared by every scheduler, as
 * BEAM's dirty schedulers are.
 *
 * Size: `threads` (default: os.availableParallelism(), as BEAM's dirty CPU schedulers default
 * to the number of schedulers; the schedulers then share the cores with the dirty threads, as in
 * BEAM). piscina queues tasks beyond the threads. Workers start lazily, on the first call.
 *
 * Why piscina: it is the dirty pool the project names; bench/sched/multicore.ts shows it is the
 * wrong tool for many tiny tasks (its per-task cost is tens of µs), which is why beamjs's own
 * schedulers run ordinary processes and only long calls go here.
 *
 * Threads: the pool belongs to the thread that made it. Bad input: `run` with a module or
 * function name that is not a string throws InvalidArgumentError; args that are not terms throw
 * the codec's NOT_A_TERM error naming the argument.
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { binaryToTerm, termToBinary } from '../codec/index.js';
import { InvalidArgumentError, describeValue } from '../errors/index.js';
import type { Term } from '../term/index.js';
import type { DirtyTask } from './dirty_worker.js';

const TRANSPORT = { jsTypes: true, minorVersion: 2 } as const;

export interface DirtyPoolOptions {
  /** Module files (import specifiers) that define the dirty functions. */
  readonly modules: readonly string[];
  /** Worker threads; default os.availableParallelism(). */
  readonly threads?: number;
  /** Node options of the workers (default: this process's execArgv, as for scheduler workers). */
  readonly execArgv?: readonly string[];
}

export class DirtyPool {
  readonly threads: number;
  readonly #options: DirtyPoolOptions;
  #pool: Piscina | undefined;

  constructor(options: DirtyPoolOptions) {
    const threads = options.threads ?? os.availableParallelism();
    if (!Number.isSafeInteger(threads) || threads < 1) {
      throw new InvalidArgumentError(`dirty pool: threads must be a positive integer; received ${describeValue(threads)}`);
    }
    this.threads = threads;
    this.#options = options;
  }

  /** Runs module:fun(args...) on a dirty thread; resolves with {ok, Result} or {error, Reason}. */
  async run(module: string, fun: string, args: readonly Term[]): Promise<Term> {
    if (typeof module !== 'string' || typeof fun !== 'string') {
      throw new InvalidArgumentError(`dirty call: module and function must be names; received ${describeValue(module)}:${describeValue(fun)}`);
    }
    const encodedArgs = termToBinary(args as Term[], TRANSPORT);
    this.#pool ??= new Piscina({
      filename: fileURLToPath(new URL('./dirty_worker.js', import.meta.url)),
      maxThreads: this.threads,
      minThreads: 1,
      workerData: { modules: this.#options.modules },
      execArgv: [...(this.#options.execArgv ?? process.execArgv)],
    });
    const task: DirtyTask = { module, fun, args: encodedArgs };
    const reply = (await this.#pool.run(task)) as Uint8Array;
    return binaryToTerm(reply, { jsTypes: true });
  }

  /** Stops the workers (pending calls reject). */
  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    if (pool !== undefined) await pool.destroy();
  }
}
