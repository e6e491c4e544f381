/**
 * VM: the embedding API, used from ordinary (async) JS code, outside any process.
 *
 *     const vm = await VM.start({ modules: [new URL('./my_modules.js', import.meta.url)] });
 *     const pid = await vm.spawn('kvs', 'start', []);
 *     vm.send(pid, tuple(atom('store'), vm.self, atom('k'), 1));
 *     const reply = await vm.receive(P.tuple(atom('kvs'), P.capture('r')), 1000);
 *     await vm.stop();
 *
 * The caller acts like an external process: `vm.self` is the pid of its mailbox, so processes
 * can reply to it, link to it or monitor it; `vm.receive(pattern, timeoutMs)` is a selective
 * receive on that mailbox (same pattern rules as `receive`). The external process traps exits:
 * exit signals and link exits reach it as {'EXIT', From, Reason} messages; it is never killed.
 *
 * Thread-agnostic by design: today `schedulers: 1` runs the scheduler in the calling thread; the
 * next issue moves schedulers into worker threads. So the API names code by module + function +
 * args (closures cannot cross threads), and every method that needs an answer from a scheduler
 * returns a promise even though it could answer at once today. Process code must be registered
 * (defineModule) in every scheduler thread: pass the files that define it as `modules`; the VM
 * imports them in each scheduler (today: this thread) before start() resolves.
 *
 * stop(): every process ends with reason `shutdown` (no trapping, no crash reports), all timers
 * and event-loop handles are dropped so Node can exit, pending vm.receive calls reject with
 * VM_STOPPED, and every later call throws VM_STOPPED.
 *
 * Threads: the VM object belongs to the thread that started it. Ownership: the VM owns its
 * runtime(s). Bad input: InvalidArgumentError naming the argument (as the process API).
 */
import { BeamError, ErrorCode, InvalidArgumentError, describeValue } from './errors/index.js';
import {
  demonitor as demonitorBif,
  exit as exitBif,
  isProcessAlive as isProcessAliveBif,
  link as linkBif,
  monitor as monitorBif,
  processes as processesBif,
  processInfo as processInfoBif,
  registerIn,
  resolveDest,
  spawnIn,
  unlink as unlinkBif,
  type SpawnOptions,
} from './process/bifs.js';
import type { MessageMatcher } from './process/mailbox.js';
import { runAs, type Process } from './process/process.js';
import type { ProcessInfoItem } from './process/process_info.js';
import { ANY, timeoutMs, toMatcher, type ReceivePattern, type ReceiveSignatures, type Timeout } from './process/receive.js';
import { Runtime, type RuntimeOptions } from './process/runtime.js';
import { refKey, sendMessage } from './process/signals.js';
import { startTimerIn } from './process/timers.js';
import type { TimerId } from './sched/index.js';
import { Atom, atom, Pid, Ref, tuple, type Term, type Tuple } from './term/index.js';

export interface VMOptions extends RuntimeOptions {
  /** Scheduler threads. Only 1 (in the calling thread) until the multi-scheduler issue lands. */
  readonly schedulers?: number;
  /** Files (paths or URLs) that define process modules; imported before start() resolves. */
  readonly modules?: ReadonlyArray<string | URL>;
}

interface Waiter {
  readonly matcher: MessageMatcher<unknown>;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: TimerId | 0;
  done: boolean;
}

const EXTERNAL_MODULE = atom('beamjs');
const EXTERNAL_FUN = atom('external');

export class VM {
  readonly #runtime: Runtime;
  readonly #external: Process;
  readonly #waiters: Waiter[] = [];
  #stopped = false;

  private constructor(options: VMOptions) {
    this.#runtime = new Runtime(options);
    this.#external = this.#runtime.spawnExternal({ onMessage: () => this.#serveWaiters() }, EXTERNAL_MODULE, EXTERNAL_FUN);
  }

  /** Starts a VM. See VMOptions. */
  static async start(options: VMOptions = {}): Promise<VM> {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError(`VM.start: options must be an object; received ${describeValue(options)}`);
    }
    const schedulers = options.schedulers ?? 1;
    if (schedulers !== 1) {
      throw new InvalidArgumentError(
        `VM.start: options.schedulers must be 1 for now (one scheduler in the calling thread; worker-thread schedulers come with the multi-scheduler issue); received ${describeValue(schedulers)}`,
      );
    }
    const modules = options.modules ?? [];
    if (!Array.isArray(modules)) {
      throw new InvalidArgumentError(`VM.start: options.modules must be an array of paths or URLs; received ${describeValue(modules)}`);
    }
    for (const module of modules) {
      if (typeof module !== 'string' && !(module instanceof URL)) {
        throw new InvalidArgumentError(`VM.start: options.modules entries must be paths or URLs; received ${describeValue(module)}`);
      }
      await import(module instanceof URL ? module.href : module);
    }
    return new VM(options);
  }

  /** The pid of the caller's external mailbox. */
  get self(): Pid {
    return this.#external.pid;
  }

  /** The local node's name. */
  get node(): Atom {
    return this.#runtime.node;
  }

  #check(where: string): void {
    if (this.#stopped) throw new BeamError(ErrorCode.VM_STOPPED, `vm.${where}: the VM is stopped`);
  }

  #as<R>(where: string, fn: () => R): R {
    this.#check(where);
    return runAs(this.#external, fn);
  }

  /**
   * spawn(Module, Function, Args[, { link, monitor, priority }]): starts a process running an
   * exported function. `link` links it to the external mailbox (its exit arrives as an
   * {'EXIT', Pid, Reason} message); for a monitor use spawnMonitor.
   */
  async spawn(module: Atom | string, fun: Atom | string, args: readonly unknown[] = [], options: SpawnOptions = {}): Promise<Pid> {
    this.#check('spawn');
    if (typeof module === 'function') {
      throw new InvalidArgumentError(
        'vm.spawn: pass a module and function name (defineModule), not a closure: closures cannot reach scheduler threads',
      );
    }
    if (options !== null && typeof options === 'object' && options.monitor === true) {
      throw new InvalidArgumentError('vm.spawn: use vm.spawnMonitor for a monitor (it returns the ref)');
    }
    return spawnIn(this.#runtime, this.#external, 'vm.spawn', [module, fun, args], options).pid;
  }

  /** spawn_monitor(M, F, A) from the external mailbox: returns {Pid, Ref}; 'DOWN' arrives at vm.receive. */
  async spawnMonitor(module: Atom | string, fun: Atom | string, args: readonly unknown[] = []): Promise<Tuple<readonly [Pid, Ref]>> {
    this.#check('spawnMonitor');
    const { pid, ref } = spawnIn(this.#runtime, this.#external, 'vm.spawnMonitor', [module, fun, args], { monitor: true });
    return tuple(pid, ref!);
  }

  /** Sends a message from the external mailbox (same rules as send: badarg for an unregistered name). */
  send(dest: Pid | Atom | Tuple, message: Term): void {
    this.#check('send');
    const pid = resolveDest(this.#runtime, dest, 'vm.send', 'badarg');
    if (pid !== undefined) sendMessage(this.#runtime, this.#external.pid, pid, message);
  }

  /**
   * Selective receive on the external mailbox: resolves with the first message the pattern
   * matches (its match result), or undefined after timeoutMs (0: look once; default: forever).
   */
  readonly receive: ReceiveSignatures<'promise'> = ((pattern?: unknown, timeout?: Timeout) =>
    this.#receive(pattern, timeout)) as unknown as ReceiveSignatures<'promise'>;

  #receive(pattern: unknown, timeout: Timeout | undefined): Promise<unknown> {
    try {
      this.#check('receive');
      const matcher = (pattern === undefined ? ANY : toMatcher(pattern as ReceivePattern<unknown>)) as MessageMatcher<unknown>;
      const ms = timeoutMs(timeout, 'vm.receive');
      const found = this.#take(matcher);
      if (found.took) return Promise.resolve(found.value);
      if (ms === 0) return Promise.resolve(undefined);
      return new Promise((resolve, reject) => {
        const waiter: Waiter = { matcher, resolve, reject, timer: 0, done: false };
        this.#waiters.push(waiter);
        if (ms > 0) {
          waiter.timer = this.#runtime.scheduler.addTimer(ms, {
            fire: () => {
              if (waiter.done) return;
              waiter.done = true;
              this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
              resolve(undefined);
            },
          });
        }
      });
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  #take(matcher: MessageMatcher<unknown>): { took: boolean; value: unknown } {
    const mailbox = this.#external.mailbox;
    mailbox.beginReceive(matcher.requiredRefs);
    if (matcher === ANY) {
      const value = mailbox.scanAny();
      return { took: mailbox.took, value };
    }
    const value = mailbox.scan(matcher);
    return { took: value !== undefined, value };
  }

  /** Called when a message reaches the external mailbox: serves waiters in call order. */
  #serveWaiters(): void {
    for (let i = 0; i < this.#waiters.length && this.#external.mailbox.length > 0; ) {
      const waiter = this.#waiters[i]!;
      let found: { took: boolean; value: unknown };
      try {
        found = this.#take(waiter.matcher);
      } catch (error) {
        this.#finish(i, waiter);
        waiter.reject(error as Error);
        continue;
      }
      if (found.took) {
        this.#finish(i, waiter);
        waiter.resolve(found.value);
      } else {
        i++;
      }
    }
  }

  #finish(index: number, waiter: Waiter): void {
    waiter.done = true;
    this.#waiters.splice(index, 1);
    if (waiter.timer !== 0) this.#runtime.scheduler.cancelTimer(waiter.timer);
  }

  /** whereis(Name). */
  async whereis(name: Atom): Promise<Pid | undefined> {
    this.#check('whereis');
    if (!(name instanceof Atom)) throw new InvalidArgumentError(`vm.whereis: name must be an Atom; received ${describeValue(name)}`);
    return this.#runtime.names.whereis(name);
  }

  /** register(Name, Pid). */
  async register(name: Atom, pid: Pid): Promise<true> {
    this.#check('register');
    return registerIn(this.#runtime, name, pid, 'vm.register');
  }

  /** registered(). */
  async registered(): Promise<Atom[]> {
    this.#check('registered');
    return this.#runtime.names.registered();
  }

  /** monitor(process, Target) from the external mailbox; the 'DOWN' arrives at vm.receive. */
  async monitor(target: Pid | Atom | Tuple): Promise<Ref> {
    return this.#as('monitor', () => monitorBif(target));
  }

  /** demonitor(Ref, { flush, info }). */
  async demonitor(ref: Ref, options: { readonly flush?: boolean; readonly info?: boolean } = {}): Promise<boolean> {
    return this.#as('demonitor', () => demonitorBif(ref, options));
  }

  /** link(Pid) from the external mailbox (which traps exits: their exit arrives as a message). */
  async link(pid: Pid): Promise<true> {
    return this.#as('link', () => linkBif(pid));
  }

  /** unlink(Pid). */
  async unlink(pid: Pid): Promise<true> {
    return this.#as('unlink', () => unlinkBif(pid));
  }

  /** exit(Pid, Reason): sends an exit signal from the external mailbox. */
  async exit(pid: Pid, reason: Term): Promise<true> {
    return this.#as('exit', () => exitBif(pid, reason));
  }

  /** is_process_alive(Pid). */
  async isProcessAlive(pid: Pid): Promise<boolean> {
    return this.#as('isProcessAlive', () => isProcessAliveBif(pid));
  }

  /** processes(). */
  async processes(): Promise<Pid[]> {
    return this.#as('processes', () => processesBif());
  }

  /** process_info(Pid[, Item | Items]) (see processInfo). */
  async processInfo(pid: Pid, item?: ProcessInfoItem | Atom | ReadonlyArray<ProcessInfoItem | Atom>): Promise<Tuple | Tuple[] | undefined> {
    return this.#as('processInfo', () => processInfoBif(pid, item as ProcessInfoItem));
  }

  /** erlang:send_after(Time, Dest, Msg) from the embedding side. */
  sendAfter(time: number, dest: Pid | Atom, message: Term): Ref {
    this.#check('sendAfter');
    return startTimerIn(this.#runtime, undefined, 'vm.sendAfter', time, dest, message, false);
  }

  /** erlang:cancel_timer(TRef). */
  cancelTimer(ref: Ref): number | false {
    this.#check('cancelTimer');
    if (!(ref instanceof Ref)) throw new InvalidArgumentError(`vm.cancelTimer: ref must be a Ref; received ${describeValue(ref)}`);
    return this.#runtime.cancelErlangTimer(refKey(ref));
  }

  /** make_ref() for the external mailbox (sets a receive marker on it). */
  makeRef(): Ref {
    this.#check('makeRef');
    return this.#runtime.makeRef(this.#external);
  }

  /** Number of live processes (the external mailbox included). */
  get processCount(): number {
    return this.#runtime.table.count;
  }

  /** Stops the VM (see the header). Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#runtime.stop();
    const waiters = this.#waiters.splice(0);
    for (const waiter of waiters) {
      waiter.done = true;
      waiter.reject(new BeamError(ErrorCode.VM_STOPPED, 'vm.receive: the VM was stopped while waiting'));
    }
  }
}
