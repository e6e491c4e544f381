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
 * Threads: `VM.start({ schedulers: N })` (default: os.availableParallelism()) starts N
 * scheduler worker threads (src/vm/scheduler_worker.ts); this thread keeps the embedding API
 * and a small Runtime of its own (src/vm/thread_host.ts) that holds the external mailbox and
 * talks to the schedulers through the mesh of rings. `{ inline: true }` instead runs one
 * scheduler in the calling thread (no worker; closures may be spawned from here; nothing runs
 * in parallel). The API names code by module + function + args (closures cannot cross
 * threads), and every method that needs an answer from a scheduler returns a promise. Process
 * code must be registered (defineModule) in every scheduler thread: pass the files that define
 * it as `modules`; each scheduler imports them before start() resolves.
 *
 * Distribution at run time (erl's net_kernel:start/stop): `vm.startDistribution({ name, ... })`
 * makes a VM started without `distribution` a node, `vm.stopDistribution()` makes it
 * `nonode@nohost` again (connections closed, so peers and local node monitors see nodedown;
 * the epmd registration dropped); a later start may take another name. Processes do the same
 * with netKernel.start/stop or net_kernel:start/1,2 and stop/0 (src/dist/net_kernel.ts). As
 * in OTP, node() changes on every thread and the processes that exist keep working: local
 * pids and refs carry no node name (src/term/pid.ts), so a pid made before the start is a pid
 * of the new node afterwards, reachable from peers, and its links and monitors stand.
 *
 * The rename, in two steps so that no thread ever reads a pid of this node as another node's
 * (a record encoded by a thread that has the new name, read by one that has not yet):
 *   1. every thread accepts the new name as local (node_name.ts acceptLocalNode): main thread
 *      first, then a `node` control to each scheduler, answered once done;
 *   2. the main thread takes the name and attaches the distribution (start) or closes it and
 *      drops it (stop), then every scheduler takes the name, with signals for other nodes
 *      routed to the main thread from then on (start) or answered as to an unreachable node
 *      (stop: messages dropped, links and monitors noconnection).
 * Nothing is added to the local send or spawn path: a local pid is told apart by one field
 * (`pid.home` undefined; signals.ts), spawn allocates pids as before, and a rename touches no
 * pid, process or table (nothing to walk, however many processes). Starts and
 * stops run one at a time, in call order. Errors are OTP's reasons in a NetKernelError:
 * {already_started, Pid} for a start on a distributed VM, not_found for a stop on one that
 * is not, not_allowed for a stop of the distribution given to VM.start (as erl refuses it for
 * a node started with -sname).
 *
 * stop(): every process ends with reason `shutdown` (no trapping, no crash reports), all timers
 * and event-loop handles are dropped so Node can exit, pending vm.receive calls reject with
 * VM_STOPPED, and every later call throws VM_STOPPED.
 *
 * Threads: the VM object belongs to the thread that started it. Ownership: the VM owns its
 * runtime(s). Bad input: InvalidArgumentError naming the argument (as the process API).
 */
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { Worker, type MessagePort } from 'node:worker_threads';
import { BeamError, ErrorCode, InvalidArgumentError, describeValue } from './errors/index.js';
import {
  demonitor as demonitorBif,
  exit as exitBif,
  isProcessAlive as isProcessAliveBif,
  link as linkBif,
  monitor as monitorBif,
  processes as processesBif,
  processInfo as processInfoBif,
  checkExportSpawn,
  registerIn,
  resolveDest,
  send as sendBif,
  spawnIn,
  unlink as unlinkBif,
  type SpawnOptions,
} from './process/bifs.js';
import type { MessageMatcher } from './process/mailbox.js';
import { registerEmbedding, runAs, unregisterEmbedding, type Process } from './process/process.js';
import { RefTable } from './process/ref_table.js';
import { processInfoOf, type ProcessInfoItem } from './process/process_info.js';
import { ANY, timeoutMs, toMatcher, type ReceivePattern, type ReceiveSignatures, type Timeout } from './process/receive.js';
import { Runtime, type LogLevel, type RuntimeOptions } from './process/runtime.js';
import { pidKey, refKey, sendMessage } from './process/signals.js';
import { startTimerIn } from './process/timers.js';
import { busyWaitMicros, coarseClockBuffer, type TimerId } from './sched/index.js';
import { acceptLocalNode, Atom, atom, localNode, NO_NODE_NAME, Pid, Ref, setLocalNode, Tuple, tuple, type Term } from './term/index.js';
import { DirtyPool } from './dirty/dirty_pool.js';
import { A_DIRTY_REPLY, type DirtyRequest } from './process/dirty_call.js';
import { caught } from './process/exception.js';
import { ControlOp, type Control } from './vm/control.js';
import { createShared, type WorkerInit } from './vm/shared_setup.js';
import { ThreadHost } from './vm/thread_host.js';
import { DistNode, fullName, type DistOptions } from './dist/dist_node.js';
import { NetKernelError } from './dist/errors.js';
import { A_NET_KERNEL_REPLY, parseNetKernelRequest } from './dist/net_kernel.js';
import { createGlobalTable } from './dist/global_module.js';
import { VmBridge } from './dist/vm_bridge.js';
import { NODES_TABLE } from './dist/node_monitor.js';
import { ets } from './ets/index.js';
import type { GlobalNames } from './dist/global.js';
import './dist/dist_modules.js'; // erpc and beamjs_dist, for processes the inline VM runs

/** Schedulers one VM may start (the mesh, directory and load words are sized for it). */
export const MAX_SCHEDULERS = 256;
/** How long stop() waits for a scheduler to end its processes before terminating its thread. */
const STOP_TIMEOUT_MS = 5000;

function defaultLog(_level: LogLevel, text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : text + '\n');
}

/** Normalises `modules` to import specifiers: file URLs for paths, package names as they are. */
function moduleSpecifiers(modules: unknown): string[] {
  if (modules === undefined) return [];
  if (!Array.isArray(modules)) {
    throw new InvalidArgumentError(`VM.start: options.modules must be an array of paths or URLs; received ${describeValue(modules)}`);
  }
  return modules.map((module: unknown) => {
    if (module instanceof URL) return module.href;
    if (typeof module !== 'string' || module.length === 0) {
      throw new InvalidArgumentError(`VM.start: options.modules entries must be paths or URLs; received ${describeValue(module)}`);
    }
    if (/^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-z]:[\\/]/i.test(module)) return module; // a URL (file:, data:, node:)
    if (module.startsWith('.') || module.startsWith('/') || /^[a-z]:[\\/]/i.test(module)) return pathToFileURL(path.resolve(module)).href;
    return module; // a package specifier
  });
}

export interface VMOptions extends Omit<RuntimeOptions, 'cluster' | 'beforeBatch' | 'afterBatch' | 'busyWaitPoll' | 'onIdle'> {
  /** Scheduler worker threads. Default: os.availableParallelism(). */
  readonly schedulers?: number;
  /** Run one scheduler in the calling thread instead of worker threads (schedulers must be 1). */
  readonly inline?: boolean;
  /**
   * Files (paths, file URLs, or package specifiers) that define process modules; every
   * scheduler imports them before start() resolves. Relative paths are resolved from the
   * current directory.
   */
  readonly modules?: ReadonlyArray<string | URL>;
  /**
   * Node options of the scheduler workers (default: this process's `process.execArgv`, so a
   * loader such as `--import tsx` given to node also loads `.ts` modules in the workers).
   */
  readonly workerExecArgv?: readonly string[];
  /** Threads of the dirty pool (src/dirty; started at the first dirty call). Default: os.availableParallelism(). */
  readonly dirtyThreads?: number;
  /**
   * Makes this VM an Erlang node (src/dist): `{ name: 'js', cookie: 'secret' }` is `erl -sname
   * js -setcookie secret`. A distribution given here lasts as long as the VM (as with erl's
   * -sname, stopDistribution refuses it: not_allowed); to start and stop one at run time, leave
   * this out and use vm.startDistribution. See DistOptions.
   */
  readonly distribution?: DistOptions;
  /**
   * What net_kernel:start from a process uses besides the name, name domain, tick time and
   * hidden it gives: the cookie, epmdPort, startEpmd, listen ports, log (erl's -setcookie,
   * ERL_EPMD_PORT, inet_dist_listen_min/max). Default: none (DistOptions' defaults).
   */
  readonly netKernel?: Omit<DistOptions, 'name'>;
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
const A_OK = atom('ok');
const A_ERROR = atom('error');
const A_BADARG = atom('badarg');
const A_ALREADY_STARTED = atom('already_started');
const A_NOT_FOUND = atom('not_found');
const A_NOT_ALLOWED = atom('not_allowed');

/** Options of vm.spawn: spawn_opt's, and where to start the process. */
export interface VMSpawnOptions extends SpawnOptions {
  /**
   * The scheduler (1-based, as erlang:system_info(scheduler_id)) that starts the process;
   * default: round robin. The process may later be stolen by another scheduler if it has not
   * started yet when that one is idle.
   */
  readonly scheduler?: number;
}

/** The state of a many-thread VM kept by the main thread. */
interface Multi {
  readonly host: ThreadHost;
  readonly workers: Worker[];
  readonly schedulers: number;
  /** Pending requests to schedulers, by request id. */
  readonly pending: Map<number, (control: Control) => void>;
  nextRequest: number;
  nextScheduler: number;
  flushQueued: boolean;
}

export class VM {
  readonly #runtime: Runtime;
  readonly #external: Process;
  readonly #waiters: Waiter[] = [];
  readonly #multi: Multi | undefined;
  readonly #dirty: DirtyPool;
  readonly #lastUtilization: Array<EventLoopUtilization | undefined> = [];
  #stopped = false;
  #dist: { readonly node: DistNode; readonly bridge: VmBridge; readonly withStart: boolean } | undefined;
  /** The last distribution start or stop asked for (they run one at a time). */
  #distChange: Promise<unknown> = Promise.resolve();
  readonly #netKernelDefaults: Omit<DistOptions, 'name'>;

  private constructor(runtime: Runtime, multi: Multi | undefined, dirty: DirtyPool, netKernelDefaults: Omit<DistOptions, 'name'> = {}) {
    this.#runtime = runtime;
    this.#multi = multi;
    this.#dirty = dirty;
    this.#netKernelDefaults = netKernelDefaults;
    runtime.dirty = (request) => this.#runDirty(request);
    runtime.netKernel = (request, replyTo, ref) => this.#netKernelRequest(request, replyTo, ref);
    this.#external = this.#runtime.spawnExternal({ onMessage: () => this.#serveWaiters() }, EXTERNAL_MODULE, EXTERNAL_FUN);
    registerEmbedding(this.#external, () => this.#flushSoon());
    this.run(() => createGlobalTable()); // `global` names (src/dist/global_module.ts)
  }

  /** Starts a VM. See VMOptions. */
  static async start(options: VMOptions = {}): Promise<VM> {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError(`VM.start: options must be an object; received ${describeValue(options)}`);
    }
    const inline = options.inline === true;
    const schedulers = options.schedulers ?? (inline ? 1 : os.availableParallelism());
    if (typeof schedulers !== 'number' || !Number.isSafeInteger(schedulers) || schedulers < 1 || schedulers > MAX_SCHEDULERS) {
      throw new InvalidArgumentError(`VM.start: options.schedulers must be an integer from 1 to ${MAX_SCHEDULERS}; received ${describeValue(schedulers)}`);
    }
    if (inline && schedulers !== 1) {
      throw new InvalidArgumentError(`VM.start: options.inline runs one scheduler in the calling thread, so options.schedulers must be 1; received ${schedulers}`);
    }
    if (options.busyWait !== undefined) busyWaitMicros(options.busyWait, 'VM.start: options.busyWait');
    const modules = moduleSpecifiers(options.modules);
    if (options.distribution === undefined) return VM.#startWith(options, inline, schedulers, modules, undefined);
    // The node's name must be known before any runtime exists (every pid carries it).
    const dist = await DistNode.start(options.distribution);
    try {
      setLocalNode(dist.name);
      const vm = await VM.#startWith(options, inline, schedulers, modules, dist);
      vm.#attachDistribution(dist, true);
      return vm;
    } catch (error) {
      await dist.stop();
      throw error;
    }
  }

  static async #startWith(options: VMOptions, inline: boolean, schedulers: number, modules: string[], dist: DistNode | undefined): Promise<VM> {
    const dirty = new DirtyPool({
      modules,
      ...(options.dirtyThreads === undefined ? {} : { threads: options.dirtyThreads }),
      ...(options.workerExecArgv === undefined ? {} : { execArgv: options.workerExecArgv }),
    });
    if (inline) {
      for (const module of modules) await import(module);
      return new VM(new Runtime(options), undefined, dirty, options.netKernel);
    }
    return VM.#startThreads(options, schedulers, modules, dirty, dist !== undefined);
  }

  #attachDistribution(node: DistNode, withStart: boolean): void {
    const bridge = new VmBridge(node, this.#runtime, (module, fun, args) => this.spawn(module, fun, args), () => this.#flushSoon(), (fn) => (this.#stopped ? undefined : this.run(fn)));
    this.#runtime.remote = bridge.outgoing;
    node.attach(bridge);
    this.#dist = { node, bridge, withStart };
  }

  /**
   * net_kernel:start: makes this VM the node `options.name` (see the header); resolves with the
   * node's name once every thread has it. Rejects with a NetKernelError {already_started, Pid}
   * when the VM is distributed already, InvalidArgumentError for bad options, the DistNode's
   * error when listening or the epmd registration fails (the VM then stays as it was).
   */
  startDistribution(options: DistOptions): Promise<Atom> {
    return this.#oneAtATime(() => this.#startDistribution(options));
  }

  /**
   * net_kernel:stop: closes every connection (peers and local node monitors see nodedown),
   * drops the epmd registration, and makes the node `nonode@nohost` on every thread. Rejects
   * with a NetKernelError not_found when the VM is not distributed, not_allowed when its
   * distribution came with VM.start (vm.stop() ends that one).
   */
  stopDistribution(): Promise<void> {
    return this.#oneAtATime(() => this.#stopDistribution());
  }

  #oneAtATime<R>(change: () => Promise<R>): Promise<R> {
    const run = this.#distChange.then(change, change);
    this.#distChange = run.catch(() => undefined);
    return run;
  }

  async #startDistribution(options: DistOptions): Promise<Atom> {
    this.#check('startDistribution');
    const current = this.#dist;
    if (current !== undefined) {
      throw new NetKernelError(
        tuple(A_ALREADY_STARTED, current.node.netKernelPid),
        `vm.startDistribution: this VM is the node '${current.node.name.name}' already (net_kernel's {error, {already_started, Pid}}); stopDistribution() first`,
      );
    }
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError(`vm.startDistribution: options must be an object such as { name: 'js', cookie: 'secret' }; received ${describeValue(options)}`);
    }
    const name = fullName(options);
    await this.#renameThreads(name, false, false); // step 1: every thread accepts the name
    const node = await DistNode.start(options);
    if (this.#stopped) {
      await node.stop();
      throw new BeamError(ErrorCode.VM_STOPPED, 'vm.startDistribution: the VM was stopped meanwhile');
    }
    setLocalNode(name); // step 2: this thread, then the schedulers
    this.#attachDistribution(node, false);
    await this.#renameThreads(name, true, true);
    return name;
  }

  async #stopDistribution(): Promise<void> {
    this.#check('stopDistribution');
    const dist = this.#dist;
    if (dist === undefined) throw new NetKernelError(A_NOT_FOUND, "vm.stopDistribution: this VM is not distributed (net_kernel's {error, not_found})");
    if (dist.withStart) {
      throw new NetKernelError(
        A_NOT_ALLOWED,
        `vm.stopDistribution: the distribution of '${dist.node.name.name}' came with VM.start (net_kernel's {error, not_allowed}, as for erl -sname); vm.stop() ends it, or start the VM without it and use startDistribution`,
      );
    }
    dist.bridge.global.stop();
    await dist.node.stop(); // nodedown everywhere, before the name goes
    this.#flushSoon();
    const noNode = Atom.for(NO_NODE_NAME); // accepted on every thread from the start
    this.#dist = undefined;
    this.#runtime.remote = undefined;
    setLocalNode(noNode);
    await this.#renameThreads(noNode, true, false);
    // The node table of erlang:nodes() (node_monitor.ts) goes with the distribution that made
    // it; a later start makes a new one. Every thread reads nonode@nohost now, and nodes()
    // there no longer reads the table.
    if (!this.#stopped) this.run(() => ets.delete(NODES_TABLE));
  }

  /** Step 1 (commit false) or 2 (commit true) of a rename, on the scheduler threads (and step 1 here). */
  async #renameThreads(name: Atom, commit: boolean, distributed: boolean): Promise<void> {
    if (!commit) acceptLocalNode(name);
    const multi = this.#multi;
    if (multi === undefined) return;
    const done: Array<Promise<unknown>> = [];
    for (let i = 0; i < multi.schedulers; i++) done.push(this.#request(i, (req) => ({ op: ControlOp.NODE, req, from: multi.host.index, name, commit, distributed })));
    await Promise.all(done);
  }

  /** @internal net_kernel:start/stop of a process of a scheduler thread (the answer is a message). */
  netKernelFor(request: Term, replyTo: Pid, ref: Ref): void {
    this.#netKernelRequest(request, replyTo, ref);
  }

  /** Runs a process's net_kernel request; answers {'$beamjs_net_kernel', Ref, Result} (OTP's return value). */
  #netKernelRequest(request: Term, replyTo: Pid, ref: Ref): void {
    const answer = (result: Term): void => {
      if (this.#stopped) return;
      sendMessage(this.#runtime, undefined, replyTo, tuple(A_NET_KERNEL_REPLY, ref, result));
      this.#flushSoon();
    };
    const failed = (error: unknown): void => answer(tuple(A_ERROR, error instanceof NetKernelError ? error.reason : caught(error).reason));
    const parsed = parseNetKernelRequest(request);
    if (parsed === undefined) return answer(tuple(A_ERROR, A_BADARG));
    if (parsed.kind === 'stop') {
      this.stopDistribution().then(() => answer(A_OK), failed);
      return;
    }
    const options: DistOptions = { ...this.#netKernelDefaults, ...parsed.options };
    this.#oneAtATime(async () => {
      await this.#startDistribution(options);
      return this.#dist!.node.netKernelPid;
    }).then((pid) => answer(tuple(A_OK, pid)), failed);
  }

  /** The distribution of this node (src/dist DistNode), or undefined when the VM was started without it. */
  get distribution(): DistNode | undefined {
    return this.#dist?.node;
  }

  /** This node's `global` names (src/dist/global.ts); undefined without distribution. */
  get global(): GlobalNames | undefined {
    return this.#dist?.bridge.global;
  }

  /** net_adm:ping(Node): 'pong' when a connection to `node` is up or can be set up, else 'pang'. */
  async ping(node: Atom | string): Promise<'pong' | 'pang'> {
    this.#check('ping');
    const dist = this.#dist;
    const target = typeof node === 'string' ? atom(node) : node;
    if (!(target instanceof Atom)) throw new InvalidArgumentError(`vm.ping: node must be an atom or a string 'name@host'; received ${describeValue(node)}`);
    if (dist === undefined) return target === this.#runtime.node ? 'pong' : 'pang';
    return dist.node.ping(target);
  }

  /** erlang:nodes/0,1. Empty without distribution. */
  nodes(which: 'visible' | 'hidden' | 'connected' = 'visible'): Atom[] {
    return this.#dist?.node.nodes(which) ?? [];
  }

  static async #startThreads(options: VMOptions, schedulers: number, modules: string[], dirty: DirtyPool, distributed: boolean): Promise<VM> {
    const logger = options.logger;
    const shared = createShared({ schedulers, processLimit: options.processLimit });
    const workers: Worker[] = [];
    const ready: Array<Promise<void>> = [];
    for (let index = 0; index < schedulers; index++) {
      const { portsFor, ...common } = shared.init;
      const ports = portsFor(index);
      const init: WorkerInit = {
        ...common,
        ports,
        index,
        modules,
        node: localNode().name,
        distributed,
        clock: coarseClockBuffer(),
        log: logger !== false,
        ...(options.processLimit === undefined ? {} : { processLimit: options.processLimit }),
        ...(options.longScheduleMs === undefined ? {} : { longScheduleMs: options.longScheduleMs }),
        ...(options.batchMs === undefined ? {} : { batchMs: options.batchMs }),
        ...(options.busyWait === undefined ? {} : { busyWait: options.busyWait }),
      };
      const worker = new Worker(new URL('./vm/scheduler_worker.js', import.meta.url), {
        workerData: init,
        transferList: ports.filter((port): port is MessagePort => port !== undefined),
        execArgv: [...(options.workerExecArgv ?? process.execArgv)],
      });
      workers.push(worker);
      ready.push(
        new Promise<void>((resolve, reject) => {
          worker.on('message', (message: { ready?: true; failed?: string; log?: { level: LogLevel; text: string } }) => {
            if (message.ready === true) resolve();
            else if (message.failed !== undefined) reject(new BeamError(ErrorCode.INVALID_ARGUMENT, `VM.start: ${message.failed}`));
            else if (message.log !== undefined) (logger === undefined ? defaultLog : logger || undefined)?.(message.log.level, message.log.text);
          });
          worker.once('error', (error) => reject(error));
          worker.once('exit', (code) => reject(new Error(`VM.start: scheduler ${index} exited with code ${code} before it was ready`)));
        }),
      );
    }
    try {
      await Promise.all(ready);
    } catch (error) {
      await Promise.all(workers.map((worker) => worker.terminate()));
      throw error;
    }
    const pending = new Map<number, (control: Control) => void>();
    let vm: VM | undefined;
    const host = new ThreadHost({
      ...options,
      index: schedulers,
      schedulers,
      mesh: shared.main.mesh,
      directory: shared.main.directory,
      names: shared.main.names,
      loads: shared.main.loads,
      ets: shared.main.ets,
      steal: false,
      onControl: (_from, control) => {
        if (control.op === ControlOp.LOG) {
          if (logger !== false) (logger ?? defaultLog)(control.level, control.text);
        } else if (control.op === ControlOp.DIRTY) {
          vm?.runDirtyFor(control);
        } else if (control.op === ControlOp.NET_KERNEL) {
          vm?.netKernelFor(control.request, control.replyTo, control.ref);
        } else if ('req' in control) {
          const resolve = pending.get(control.req);
          if (resolve !== undefined) {
            pending.delete(control.req);
            resolve(control);
          }
        }
      },
    });
    host.start();
    vm = new VM(host.runtime, { host, workers, schedulers, pending, nextRequest: 1, nextScheduler: 0, flushQueued: false }, dirty, options.netKernel);
    return vm;
  }

  /** @internal A scheduler thread's dirty request (runs it, answers the process with a message). */
  runDirtyFor(request: DirtyRequest): void {
    this.#runDirty(request);
  }

  /** Runs a dirty call on the pool; the outcome goes to the calling process as a message. */
  #runDirty(request: DirtyRequest): void {
    const answer = (outcome: Term): void => {
      if (this.#stopped) return;
      sendMessage(this.#runtime, undefined, request.replyTo, tuple(A_DIRTY_REPLY, request.ref, outcome));
      this.#flushSoon();
    };
    this.#dirty.run(request.module, request.fun, request.args).then(answer, (error: unknown) => {
      answer(tuple(atom('error'), caught(error).reason));
    });
  }

  /** Publishes what this thread sent to the schedulers, once per turn of the event loop. */
  #flushSoon(): void {
    const multi = this.#multi;
    if (multi === undefined || multi.flushQueued) return;
    multi.flushQueued = true;
    queueMicrotask(() => {
      multi.flushQueued = false;
      multi.host.flush();
      multi.host.busyWait();
    });
  }

  /** Sends a request to scheduler `to` and waits for its reply. */
  #request<R extends Control>(to: number, make: (req: number) => Control): Promise<R> {
    const multi = this.#multi!;
    const req = multi.nextRequest++;
    return new Promise<R>((resolve) => {
      multi.pending.set(req, (control) => resolve(control as R));
      multi.host.sendControl(to, make(req));
      this.#flushSoon();
    });
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
    try {
      return runAs(this.#external, fn);
    } finally {
      this.#flushSoon();
    }
  }

  /**
   * Runs synchronous process-API code (ets, …) as this VM's external process (`vm.self`) and
   * returns its result. Needed only when several VMs run in one thread; with one, ets calls
   * made outside any process act as its external process already.
   */
  run<R>(fn: () => R): R {
    return this.#as('run', fn);
  }

  /**
   * spawn(Module, Function, Args[, { link, monitor, priority }]): starts a process running an
   * exported function. `link` links it to the external mailbox (its exit arrives as an
   * {'EXIT', Pid, Reason} message); for a monitor use spawnMonitor.
   */
  async spawn(module: Atom | string, fun: Atom | string, args: readonly unknown[] = [], options: VMSpawnOptions = {}): Promise<Pid> {
    this.#check('spawn');
    if (typeof module === 'function') {
      throw new InvalidArgumentError(
        'vm.spawn: pass a module and function name (defineModule), not a closure: closures cannot reach scheduler threads',
      );
    }
    if (options !== null && typeof options === 'object' && options.monitor === true) {
      throw new InvalidArgumentError('vm.spawn: use vm.spawnMonitor for a monitor (it returns the ref)');
    }
    if (this.#multi !== undefined) return (await this.#spawnThere(module, fun, args, options)).pid;
    return spawnIn(this.#runtime, this.#external, 'vm.spawn', [module, fun, args], options).pid;
  }

  /** spawn on a scheduler thread: round robin; the pid is allocated here so links and monitors exist before the process. */
  async #spawnThere(module: Atom | string, fun: Atom | string, args: readonly unknown[], options: VMSpawnOptions): Promise<{ pid: Pid; ref: Ref | undefined }> {
    const multi = this.#multi!;
    const { module: moduleAtom, fun: funAtom } = checkExportSpawn('vm.spawn', module, fun, args, options);
    const external = this.#external;
    let to = multi.nextScheduler;
    if (options.scheduler !== undefined) {
      if (!Number.isSafeInteger(options.scheduler) || options.scheduler < 1 || options.scheduler > multi.schedulers) {
        throw new InvalidArgumentError(`vm.spawn: options.scheduler must be an integer from 1 to ${multi.schedulers}; received ${describeValue(options.scheduler)}`);
      }
      to = options.scheduler - 1;
    } else {
      multi.nextScheduler = (multi.nextScheduler + 1) % multi.schedulers;
    }
    // The pid is allocated here, and the external side of a link or monitor is set before the
    // request leaves: an exit or 'DOWN' can then never arrive before the link it is for.
    const pid = this.#runtime.cluster!.allocate();
    const child = new Pid(this.#runtime.node, pid.id, pid.serial, this.#runtime.creation);
    let ref: Ref | undefined;
    if (options.link === true) (external.links ??= new Map()).set(pidKey(child), child);
    if (options.monitor === true) {
      ref = this.#runtime.makeRef(external);
      (external.monitors ??= new RefTable()).set(refKey(ref), { ref, target: child, object: child });
    }
    const reply = await this.#request<Extract<Control, { op: 'spawned' }>>(to, (req) => ({
      op: ControlOp.SPAWN,
      req,
      from: multi.host.index,
      pid: child,
      module: moduleAtom,
      fun: funAtom,
      args: args as Term[],
      linkTo: options.link === true ? external.pid : undefined,
      monitorRef: ref,
      watcher: ref === undefined ? undefined : external.pid,
      priority: options.priority,
    }));
    if (reply.pid === undefined) {
      external.links?.delete(pidKey(child));
      if (ref !== undefined) external.monitors?.delete(refKey(ref));
      throw new BeamError(ErrorCode.INVALID_ARGUMENT, `vm.spawn: ${typeof reply.error === 'string' ? reply.error : 'the scheduler refused the spawn'}`);
    }
    return { pid: child, ref };
  }

  /** spawn_monitor(M, F, A) from the external mailbox: returns {Pid, Ref}; 'DOWN' arrives at vm.receive. */
  async spawnMonitor(module: Atom | string, fun: Atom | string, args: readonly unknown[] = []): Promise<Tuple<readonly [Pid, Ref]>> {
    this.#check('spawnMonitor');
    const { pid, ref } =
      this.#multi !== undefined
        ? await this.#spawnThere(module, fun, args, { monitor: true })
        : spawnIn(this.#runtime, this.#external, 'vm.spawnMonitor', [module, fun, args], { monitor: true });
    return tuple(pid, ref!);
  }

  /** Sends a message from the external mailbox (same rules as send: badarg for an unregistered name). */
  send(dest: Pid | Atom | Tuple, message: Term): void {
    this.#check('send');
    if (dest instanceof Tuple && dest.size === 2 && dest.at(1) !== this.#runtime.node && this.#runtime.remote !== undefined) {
      runAs(this.#external, () => sendBif(dest, message)); // {Name, OtherNode}: a REG_SEND
    } else {
      const pid = resolveDest(this.#runtime, dest, 'vm.send', 'badarg');
      if (pid !== undefined) sendMessage(this.#runtime, this.#external.pid, pid, message);
    }
    this.#flushSoon();
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
    const multi = this.#multi;
    if (multi !== undefined && pid instanceof Pid && this.#runtime.lookup(pid) === undefined) {
      this.#check('processInfo');
      // Validate the item here (same errors as in-thread), then ask the thread that holds the process.
      processInfoOf(this.#runtime, this.#external.pid, item);
      const where = this.#runtime.cluster!.locate(pid);
      if (where < 0) return undefined;
      const reply = await this.#request<Extract<Control, { op: 'info_reply' }>>(where, (req) => ({
        op: ControlOp.INFO,
        req,
        from: multi.host.index,
        pid,
        items: (item ?? undefined) as Term,
      }));
      return reply.result as Tuple | Tuple[] | undefined;
    }
    return this.#as('processInfo', () => {
      const step = processInfoBif(pid, item as ProcessInfoItem)[Symbol.iterator]().next();
      // Local (or dead) here: the answer is immediate.
      return step.done === true ? step.value : undefined;
    });
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
    return this.#runtime.cluster !== undefined ? this.#runtime.cluster.aliveCount() : this.#runtime.table.count;
  }

  /**
   * The share of wall time each scheduler thread was busy (its event loop utilisation: running
   * slices, or spinning before it sleeps) since the previous call, or since start: one number
   * from 0 to 1 per scheduler. An inline VM reports its (the calling) thread.
   */
  schedulerUtilization(): number[] {
    const multi = this.#multi;
    if (multi === undefined) {
      const now = performance.eventLoopUtilization();
      const share = performance.eventLoopUtilization(now, this.#lastUtilization[0]).utilization;
      this.#lastUtilization[0] = now;
      return [share];
    }
    return multi.workers.map((worker, i) => {
      const now = worker.performance.eventLoopUtilization();
      const previous = this.#lastUtilization[i];
      this.#lastUtilization[i] = now;
      return previous === undefined ? now.utilization : worker.performance.eventLoopUtilization(now, previous).utilization;
    });
  }

  /** Scheduler threads of this VM (1 for an inline VM). */
  get schedulers(): number {
    return this.#multi?.schedulers ?? 1;
  }

  /** Stops the VM (see the header). Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    unregisterEmbedding(this.#external);
    // Peers see nodedown first (net_kernel stops before the processes, as in init:stop/0).
    this.#dist?.bridge.global.stop();
    await this.#dist?.node.stop();
    const multi = this.#multi;
    if (multi !== undefined) {
      const stopped: Array<Promise<unknown>> = [];
      for (let i = 0; i < multi.schedulers; i++) {
        stopped.push(
          Promise.race([
            this.#request(i, (req) => ({ op: ControlOp.STOP, req, from: multi.host.index })),
            new Promise((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS).unref()),
          ]),
        );
      }
      await Promise.all(stopped);
      multi.host.stop();
      await Promise.all(multi.workers.map((worker) => worker.terminate()));
    }
    this.#runtime.stop();
    // The node name was set for this thread by VM.start; a later VM here starts unnamed again.
    if (this.#dist !== undefined && localNode() === this.#dist.node.name) setLocalNode(Atom.for(NO_NODE_NAME));
    await this.#dirty.close();
    const waiters = this.#waiters.splice(0);
    for (const waiter of waiters) {
      waiter.done = true;
      waiter.reject(new BeamError(ErrorCode.VM_STOPPED, 'vm.receive: the VM was stopped while waiting'));
    }
  }
}
