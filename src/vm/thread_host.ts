/**
 * ThreadHost: one thread of a many-thread VM. It owns the thread's Runtime and gives it its
 * Cluster (src/process/cluster.ts) over the VM's shared structures:
 *   - the process directory (pid id -> home thread, alive), shared by every thread;
 *   - the name table, shared by every thread;
 *   - this thread's endpoint of the scheduler mesh: rings to and from every other thread.
 * A scheduler worker (scheduler_worker.ts) runs one host; the main thread runs one too, whose
 * Runtime holds only the embedding API's external mailbox (src/vm.ts).
 *
 * Records on the mesh are ETF terms (the VM transport options): a signal's wire tuple
 * (src/process/signal_codec.ts) or a control tuple {'$ctl', Op, ...} (control.ts), both in send
 * order per pair of threads.
 *
 * The thread's rhythm (the scheduler's batch hooks):
 *   - beforeBatch: drain the inbound rings (signals are handled, controls answered);
 *   - afterBatch: publish the outbound rings (flush: one store and at most one wake-up per
 *     destination for the whole batch), publish this thread's load, and when nothing is
 *     runnable: try to steal work;
 *   - busy wait (src/sched/busy_wait.ts): with nothing runnable, the scheduler keeps the event
 *     loop turning for its threshold and polls the inbound rings at each turn (busyWaitPoll);
 *   - onIdle: when the busy wait ends with nothing to do, sleep on the endpoint (it waits with
 *     Atomics.waitAsync, so the event loop keeps turning: timers, sockets, promises; with a
 *     busy wait of 0 it spins briefly first).
 *   A wake-up (another thread sent something) drains, and the scheduler runs what became
 *   runnable.
 *
 * Routing and migration (why signals to a moved process go through its home): a pid's home is
 * the thread that spawned it, recorded in the directory, and every signal for it is sent to its
 * home. A process stolen by another thread leaves a forwarding entry at home; home forwards its
 * signals in the order it receives them, and the guest accepts signals for it only from home
 * (`Signal.viaHome`). So every sender has one path to it, and the signals of each pair keep
 * their order across the migration (DESIGN.md), at the cost of one extra hop to a stolen
 * process. A process moves once (a guest is never stolen again), so that path has one hop.
 *
 * What a thief may take (the portable processes; everything else is pinned where it is):
 *   - a runnable process that has not started: it moves as its module, function and arguments;
 *   - a started process at a portable wait (src/process/portable_wait.ts; gen_server between
 *     callbacks): waiting there, or runnable because a message arrived there and its next
 *     callback has not started. It moves as its resume MFA and restarts there with the same pid.
 *   Both move with their links, monitors (held and on them), name, mailbox, dictionary,
 *   trap_exit, group leader and priority; the state must be terms (checked by encoding it when
 *   taken; a process whose state does not encode stays). Closures never move.
 * Started processes: what it sent before the move must not be overtaken by what it sends after
 * it, from the thief, to a third thread (its old path is this thread's ring there, its new path
 * the thief's). So a started process moves only when every record this thread sent to every
 * thread but the thief has been handled there (`MeshPort.consumedExcept`); what it sent to the
 * thief precedes the migrate record in the same ring, and what it sent to processes of this
 * thread was delivered at once. Otherwise it stays this time (the thief asks again later).
 * How much: half the victim's run queue length (STEAL_MAX at most), taken first from the run
 * queue (newest first), then from the processes waiting at a portable wait. A thief is woken
 * by a lasting backlog of runnable processes (BACKLOG_WAKE), and asks the thread with the
 * longest run queue, as for unstarted processes.
 *
 * Threads: a ThreadHost and its Runtime belong to one thread. Shared memory is touched only
 * through the directory, name table, mesh and load words, whose files document their rules.
 * Bad input: a record that is not a well-formed signal or control is reported to the logger
 * as an internal error and dropped; it never stops the thread.
 */
import { decodeFrom, encodedSize, encodeInto } from '../codec/index.js';
import { BeamError, ErrorCode } from '../errors/index.js';
import { pidKey, receiveForwarded, refKey, sendMessage, Signal } from '../process/signals.js';
import { decodeLocalMessage, encodeLocalMessageInto, localMessageKeepingBytes, isLocalMessage, isWireSignal, LOCAL_MESSAGE, signalFromWire, wireTuple } from '../process/signal_codec.js';
import type { Cluster, NameRegistry } from '../process/cluster.js';
import { Process, ProcessStatus } from '../process/process.js';
import { RefTable } from '../process/ref_table.js';
import { processInfoOf } from '../process/process_info.js';
import { lookupExport } from '../process/module_registry.js';
import { Runtime, type RuntimeOptions } from '../process/runtime.js';
import { spawnIn } from '../process/bifs.js';
import { acceptLocalNode, atom, localNode, Pid, setLocalNode, tuple, type Atom, type Ref, type Term, type Tuple } from '../term/index.js';
import { ProcessDictionary } from '../process/dictionary.js';
import { isAtPortableWait, resolveResume } from '../process/portable_wait.js';
import { cancelWaitTimer } from '../process/receive.js';

/** The message that answers a process's process_info of a process of another thread (bifs.ts). */
const A_INFO_REPLY = atom('$beamjs_info');
import { ControlOp, controlTerm, parseControl, type Control, type MigratedProcess } from './control.js';

/** The codec options of the VM's own transport. */
const TRANSPORT = { jsTypes: true, minorVersion: 2 } as const;

/** One endpoint of the scheduler mesh (src/shm/scheduler_mesh.ts), as the host uses it. */
export interface MeshPort {
  send(to: number, write: (view: Uint8Array, offset: number, limit: number) => number): void;
  flush(): void;
  drain(handler: (from: number, view: Uint8Array, offset: number, length: number) => void, max?: number): number;
  /** Sleeps until a record arrives; `spin` false: skip the short poll first (the caller just polled). */
  sleep(timeoutMs?: number, spin?: boolean): Promise<unknown>;
  /** True when some inbound ring holds a record. */
  hasInbound(): boolean;
  wakeSelf(): void;
  /** Wakes endpoint `to` if it sleeps (no-op otherwise); true when it did. */
  wake(to: number): boolean;
  /** True while some outbound record waits in a backlog (its ring was full): flush again soon. */
  backlogged(): boolean;
  /** True when every record sent to every endpoint but `except` was handled by its receiver (can be late, never early). */
  consumedExcept(except: number): boolean;
}

/** The shared process directory (src/shm/process_directory.ts), as the host uses it. */
export interface DirectoryPort {
  allocate(): { readonly id: number; readonly serial: number };
  publishAlive(id: number, serial: number, home: number): void;
  /** The home thread of a live pid, or -1. */
  lookup(id: number, serial: number): number;
  release(id: number, serial: number): void;
  alive(): Array<{ readonly id: number; readonly serial: number }>;
  aliveCount(): number;
}

/** The shared name table (src/shm/name_table.ts), as the host uses it. */
export interface NameTablePort {
  register(name: string, id: number, serial: number): boolean;
  unregister(name: string): { readonly id: number; readonly serial: number } | undefined;
  unregisterIfOwner(name: string, id: number, serial: number): void;
  whereis(name: string): { readonly id: number; readonly serial: number } | undefined;
  registered(): string[];
  entries(): Array<{ readonly name: string; readonly id: number; readonly serial: number }>;
  clear(): void;
}

export interface ThreadHostOptions extends RuntimeOptions {
  /** This thread's endpoint index. */
  readonly index: number;
  /** Endpoints that run schedulers (the main thread's endpoint is not one of them). */
  readonly schedulers: number;
  readonly mesh: MeshPort;
  readonly directory: DirectoryPort;
  readonly names: NameTablePort;
  /** One Int32 word per scheduler: its runnable count, published after each batch. */
  readonly loads: Int32Array;
  /** Steal work when idle (scheduler threads). */
  readonly steal: boolean;
  /** Called for a control this host does not handle itself (the main thread's replies). */
  readonly onControl?: (from: number, control: Control) => void;
}

/** At most this many processes move per steal request (the victim gives half its queue, up to this). */
const STEAL_MAX = 1024;
/** A scheduler with this many runnable processes wakes a sleeping one to steal from it. */
const BACKLOG_WAKE = 4;
/** Messages at least this large (record bytes) stay encoded in the mailbox until needed. */
const LAZY_DECODE_BYTES = 1024;
/** Records taken from one inbound ring per drain (the rest waits there, compact, until the next). */
const DRAIN_MAX = 4096;
/** An idle thread with records in a backlog retries its flush this often (ms). */
const BACKLOG_RETRY_MS = 1;
/** A thief asks again only this long (ms) after a refused request. */
const STEAL_BACKOFF_MS = 2;

class SharedNames implements NameRegistry {
  constructor(readonly table: NameTablePort) {}

  #pid(entry: { readonly id: number; readonly serial: number } | undefined): Pid | undefined {
    return entry === undefined ? undefined : new Pid(localNode(), entry.id, entry.serial, 0);
  }

  whereis(name: Atom): Pid | undefined {
    return this.#pid(this.table.whereis(name.name));
  }

  register(name: Atom, pid: Pid): boolean {
    return this.table.register(name.name, pid.id, pid.serial);
  }

  unregister(name: Atom): Pid | undefined {
    return this.#pid(this.table.unregister(name.name));
  }

  unregisterIfOwner(name: Atom, pid: Pid): void {
    this.table.unregisterIfOwner(name.name, pid.id, pid.serial);
  }

  nameOf(pid: Pid): Atom | undefined {
    for (const entry of this.table.entries()) if (entry.id === pid.id && entry.serial === pid.serial) return atom(entry.name);
    return undefined;
  }

  registered(): Atom[] {
    return this.table.registered().map((name) => atom(name));
  }

  clear(): void {
    this.table.clear();
  }
}

class ThreadCluster implements Cluster {
  readonly names: NameRegistry;
  /** Processes that moved away from this (their home) thread: id -> [serial, where]. */
  readonly moved = new Map<number, readonly [number, number]>();

  constructor(
    readonly self: number,
    readonly host: ThreadHost,
    readonly directory: DirectoryPort,
    names: NameTablePort,
  ) {
    this.names = new SharedNames(names);
  }

  /** The local node's name now (it changes at net_kernel:start/stop; src/term/node_name.ts). */
  get node(): Atom {
    return localNode();
  }

  allocate(): { readonly id: number; readonly serial: number } {
    return this.directory.allocate();
  }

  publish(id: number, serial: number): void {
    this.directory.publishAlive(id, serial, this.self);
  }

  release(id: number, serial: number): void {
    this.directory.release(id, serial);
  }

  /** The home thread of a pid (where its signals go), or -1 when it is not alive. */
  homeOf(pid: Pid): number {
    if (pid.node !== this.node) return -1;
    return this.directory.lookup(pid.id, pid.serial);
  }

  locate(pid: Pid): number {
    const home = this.homeOf(pid);
    if (home !== this.self) return home;
    const moved = this.moved.get(pid.id);
    if (moved === undefined) return home;
    if (moved[0] === pid.serial) return moved[1];
    this.moved.delete(pid.id); // a stale entry of an earlier process with this id
    return home;
  }

  forward(signal: Signal, endpoint: number): void {
    if (isLocalMessage(signal, this.node)) this.host.sendRecord(endpoint, (view, offset, limit) => encodeLocalMessageInto(signal, view, offset, limit));
    else this.host.sendTerm(endpoint, wireTuple(signal));
  }

  allPids(): Pid[] {
    return this.directory.alive().map(({ id, serial }) => new Pid(this.node, id, serial, 0));
  }

  aliveCount(): number {
    return this.directory.aliveCount();
  }

  askInfo(endpoint: number, pid: Pid, items: Term, replyTo: Pid, ref: Ref): void {
    this.host.sendControl(endpoint, { op: ControlOp.INFO, req: 0, from: this.self, pid, items, replyTo, ref });
  }
}

export class ThreadHost {
  readonly runtime: Runtime;
  readonly cluster: ThreadCluster;
  readonly index: number;
  readonly #schedulers: number;
  readonly #mesh: MeshPort;
  readonly #loads: Int32Array;
  readonly #steal: boolean;
  readonly #onControl: ((from: number, control: Control) => void) | undefined;
  #sleeping = false;
  #previousLoad = 0;
  #retry: NodeJS.Timeout | undefined = undefined;
  #stealPending = false;
  #lastRefusal = -Infinity;
  #stopped = false;

  constructor(options: ThreadHostOptions) {
    this.index = options.index;
    this.#schedulers = options.schedulers;
    this.#mesh = options.mesh;
    this.#loads = options.loads;
    this.#steal = options.steal;
    this.#onControl = options.onControl;
    this.cluster = new ThreadCluster(options.index, this, options.directory, options.names);
    this.runtime = new Runtime({
      ...options,
      cluster: this.cluster,
      beforeBatch: () => this.drain(),
      afterBatch: (idle) => this.#afterBatch(idle),
      // While the scheduler busy waits (src/sched/busy_wait.ts), what other threads send is
      // picked up by polling the rings, without a wake-up; it sleeps when the wait ends.
      busyWaitPoll: () => {
        if (!this.#mesh.hasInbound()) return false;
        this.#handleInbound();
        return true;
      },
      onIdle: () => this.#sleep(),
      duringBatch: () => {
        this.drain();
        this.#publishLoad();
        this.#flushMesh();
      },
    });
  }

  /** Encodes a term into the ring to `endpoint` (published at the next flush). */
  sendTerm(endpoint: number, term: Term): void {
    this.#mesh.send(endpoint, (view, offset, limit) => {
      const end = encodeInto(term, view, offset, TRANSPORT, limit);
      return end < 0 ? -1 : end - offset;
    });
  }

  /** Writes one record with `write` into the ring to `endpoint` (published at the next flush). */
  sendRecord(endpoint: number, write: (view: Uint8Array, offset: number, limit: number) => number): void {
    this.#mesh.send(endpoint, write);
  }

  /** Sends a control to another thread. */
  sendControl(endpoint: number, control: Control): void {
    this.sendTerm(endpoint, controlTerm(control));
  }

  /** Publishes everything sent since the last flush. */
  flush(): void {
    this.#flushMesh();
  }

  /**
   * Flushes the mesh; when a ring was full and records wait in a backlog, retries every
   * BACKLOG_RETRY_MS until the backlog is gone: the receiver makes room without telling us.
   */
  #flushMesh(): void {
    this.#mesh.flush();
    if (this.#retry === undefined && this.#mesh.backlogged() && !this.#stopped) {
      this.#retry = setTimeout(() => {
        this.#retry = undefined;
        this.#flushMesh();
      }, BACKLOG_RETRY_MS);
    }
  }

  /** Handles every record waiting in the inbound rings. */
  drain(): void {
    this.#mesh.drain((from, view, offset, length) => this.#onRecord(from, view, offset, length), DRAIN_MAX);
  }

  /**
   * Work was done outside a batch (the main thread handed a socket's message to a scheduler
   * thread): busy wait as after a batch, so that the answer is seen without a wake-up.
   */
  busyWait(): void {
    this.runtime.scheduler.busyWaitNow();
  }

  /** Starts the idle loop (call once the thread is set up). */
  start(): void {
    this.#sleep();
  }

  /** Stops sleeping for good (the thread is about to exit). */
  stop(): void {
    this.#stopped = true;
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    this.#mesh.wakeSelf();
  }

  #onRecord(from: number, view: Uint8Array, offset: number, length: number): void {
    if (length > 0 && view[offset] === LOCAL_MESSAGE) {
      try {
        // A large message stays encoded until a receive needs it (mailbox.ts: a selective receive
        // skips it with the byte program, without decoding); a small one is decoded now, which
        // costs less than keeping a copy of its bytes (npm run bench -- multicore, native).
        const signal =
          length >= LAZY_DECODE_BYTES
            ? localMessageKeepingBytes(view, offset, length, this.cluster.node)
            : decodeLocalMessage(view, offset, length, this.cluster.node);
        if (this.cluster.homeOf(signal.to) === from) signal.viaHome = true;
        receiveForwarded(this.runtime, signal);
      } catch (error) {
        this.#internal(error);
      }
      return;
    }
    let term: Term;
    try {
      term = decodeFrom(view, offset, { jsTypes: true }).term;
    } catch (error) {
      this.#internal(new BeamError(ErrorCode.SHM_CORRUPT, `a record of ${length} bytes from thread ${from} does not decode: ${(error as Error).message}`));
      return;
    }
    try {
      if (isWireSignal(term)) {
        const signal = signalFromWire(term);
        if (this.cluster.homeOf(signal.to) === from) signal.viaHome = true;
        receiveForwarded(this.runtime, signal);
      } else {
        this.#control(from, parseControl(term));
      }
    } catch (error) {
      this.#internal(error);
    }
  }

  #internal(error: unknown): void {
    const logger = this.runtime.logger;
    if (logger !== undefined) logger('error', `beamjs internal error (please report): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }

  /**
   * Publishes this scheduler's runnable count; when a backlog builds (BACKLOG_WAKE or more
   * runnable), wakes one sleeping scheduler so that it comes to steal (the victim wakes a thief:
   * a sleeping scheduler costs nothing until there is work to share).
   */
  #publishLoad(): void {
    if (this.index >= this.#schedulers) return;
    const load = this.runtime.scheduler.runQueueLength;
    Atomics.store(this.#loads, this.index, load);
    // Only a backlog that lasts (two publications in a row, a millisecond or more apart) wakes
    // a thief: a burst that this scheduler clears at once (a ring being built: every new process
    // runs for a moment and waits) is cheaper kept here than spread over threads.
    const lasting = load >= BACKLOG_WAKE && this.#previousLoad >= BACKLOG_WAKE;
    this.#previousLoad = load;
    if (!lasting) return;
    for (let k = 1; k < this.#schedulers; k++) {
      const other = (this.index + k) % this.#schedulers;
      if (Atomics.load(this.#loads, other) === 0 && this.#mesh.wake(other)) return;
    }
  }

  #afterBatch(idle: boolean): void {
    this.#publishLoad();
    if (idle) this.#previousLoad = 0; // a backlog "lasts" only within one busy stretch
    if (idle && this.#steal) this.#tryToSteal();
    this.#flushMesh();
  }

  #sleep(): void {
    if (this.#sleeping || this.#stopped || this.runtime.stopped) return;
    this.#sleeping = true;
    // After a busy wait (every sleep but the first, when the threshold is not 0) the rings were
    // just polled for longer than the mesh's own spin: it is not repeated.
    this.#mesh.sleep(undefined, this.runtime.scheduler.busyWaitMicros === 0).then(
      () => this.#woken(),
      (error: unknown) => {
        this.#sleeping = false;
        this.#internal(error);
      },
    );
  }

  /** Handles what the inbound rings hold, publishes what that sent, and runs what became runnable. */
  #handleInbound(): void {
    this.drain();
    this.#flushMesh();
    this.runtime.scheduler.runNow();
  }

  #woken(): void {
    this.#sleeping = false;
    if (this.#stopped || this.runtime.stopped) return;
    // What became runnable runs now (its batch ends in a busy wait, then onIdle, which sleeps
    // again); with nothing runnable (records handled without a process to run: the main
    // thread passing messages to a socket), busy wait now, then sleep.
    this.#handleInbound();
    const scheduler = this.runtime.scheduler;
    if (scheduler.runQueueLength === 0 && !this.#sleeping && !scheduler.busyWaiting) {
      if (this.#steal) this.#tryToSteal();
      this.#flushMesh();
      scheduler.busyWaitNow();
    }
  }

  /** An idle scheduler asks the busiest one for work (one request at a time). */
  #tryToSteal(): void {
    if (this.#stealPending || performance.now() - this.#lastRefusal < STEAL_BACKOFF_MS) return;
    let victim = -1;
    let most = 1;
    for (let i = 0; i < this.#schedulers; i++) {
      if (i === this.index) continue;
      const load = Atomics.load(this.#loads, i);
      if (load > most) {
        most = load;
        victim = i;
      }
    }
    if (victim < 0) return;
    this.#stealPending = true;
    this.sendControl(victim, { op: ControlOp.STEAL, from: this.index });
  }

  #control(from: number, control: Control): void {
    switch (control.op) {
      case ControlOp.SPAWN:
        this.#spawnFor(from, control);
        return;
      case ControlOp.INFO: {
        let result: Term;
        try {
          result = processInfoOf(this.runtime, control.pid, control.items) ?? undefined;
        } catch {
          result = undefined;
        }
        if (control.replyTo !== undefined && control.ref !== undefined) {
          sendMessage(this.runtime, undefined, control.replyTo, tuple(A_INFO_REPLY, control.ref, result));
        } else {
          this.sendControl(control.from, { op: ControlOp.INFO_REPLY, req: control.req, result });
        }
        return;
      }
      case ControlOp.STOP:
        this.runtime.stop();
        this.sendControl(control.from, { op: ControlOp.STOPPED, req: control.req });
        this.#flushMesh();
        this.#stopped = true;
        return;
      case ControlOp.NODE:
        // A rename of the node (src/vm.ts startDistribution/stopDistribution): first every
        // thread accepts the new name as local, then every thread takes it (node_name.ts).
        if (control.commit) {
          setLocalNode(control.name);
          const main = control.from;
          const cluster = this.cluster;
          this.runtime.remote = control.distributed ? (signal) => cluster.forward(signal, main) : undefined;
        } else {
          acceptLocalNode(control.name);
        }
        this.sendControl(control.from, { op: ControlOp.NODE_SET, req: control.req });
        return;
      case ControlOp.STEAL:
        this.#giveWork(control.from);
        return;
      case ControlOp.MIGRATE:
        this.#stealPending = false;
        for (const state of control.processes) this.#adopt(from, state);
        return;
      case ControlOp.NO_WORK:
        this.#stealPending = false;
        this.#lastRefusal = performance.now();
        return;
      default:
        if (this.#onControl !== undefined) this.#onControl(from, control);
        else this.#internal(new Error(`thread ${this.index} got a control it does not handle: ${control.op}`));
    }
  }

  #spawnFor(from: number, control: Extract<Control, { op: typeof ControlOp.SPAWN }>): void {
    let pid: Pid | undefined;
    let error: Term = undefined;
    try {
      const options = control.priority === undefined ? { pid: control.pid } : { pid: control.pid, priority: control.priority };
      pid = spawnIn(this.runtime, undefined, 'vm.spawn', [control.module, control.fun, control.args], options).pid;
      const proc = this.runtime.lookup(pid)!;
      if (control.linkTo !== undefined) (proc.links ??= new Map()).set(pidKey(control.linkTo), control.linkTo);
      if (control.monitorRef !== undefined && control.watcher !== undefined) {
        (proc.monitoredBy ??= new RefTable()).set(refKey(control.monitorRef), { ref: control.monitorRef, watcher: control.watcher, object: pid });
      }
    } catch (thrown) {
      error = thrown instanceof Error ? thrown.message : String(thrown);
      this.cluster.release(control.pid.id, control.pid.serial);
    }
    this.sendControl(from, { op: ControlOp.SPAWNED, req: control.req, pid, error });
    this.#flushMesh();
  }

  /**
   * Answers a thief: hands over up to half its run queue's length (STEAL_MAX at most) of
   * portable processes (see the header): first runnable ones from the run queue (unstarted, or
   * woken at a portable wait), newest first; then, to fill the share, processes waiting at a
   * portable wait (not in the run queue: a busy scheduler would serve them late). A started
   * process goes only while `consumedExcept(thief)` holds (see the header, "Started processes").
   */
  #giveWork(thief: number): void {
    const moved: MigratedProcess[] = [];
    const runtime = this.runtime;
    const share = Math.min(STEAL_MAX, Math.max(1, Math.floor(runtime.scheduler.runQueueLength / 2)));
    let quiet: boolean | undefined;
    const startedMayGo = (): boolean => (quiet ??= this.#mesh.consumedExcept(thief));
    const taken = runtime.scheduler.takeForSteal(share, (item) => item instanceof Process && (isPortableUnstarted(item) || (isAtPortableWait(item) && startedMayGo())));
    const candidates = taken as Process[];
    if (candidates.length < share && runtime.portableWaiters.length > 0) {
      // Compact the list of portable waiters (entries no longer at a portable wait leave it).
      const waiters = runtime.portableWaiters;
      let keep = 0;
      for (let i = 0; i < waiters.length; i++) {
        const proc = waiters[i]!;
        const still = proc.status !== ProcessStatus.EXITED && proc.resume !== undefined;
        if (still && proc.status === ProcessStatus.WAITING && candidates.length < share && isAtPortableWait(proc) && startedMayGo()) {
          proc.portableListed = false;
          candidates.push(proc);
        } else if (still) {
          waiters[keep++] = proc;
        } else {
          proc.portableListed = false;
        }
      }
      waiters.length = keep;
    }
    for (const proc of candidates) {
      const state = migratedState(proc);
      if (state === undefined) {
        // Not portable after all (a non-term argument, state or message): it stays, untouched
        // (a waiting process keeps waiting); a started one is not offered again until its next wait.
        proc.resume = undefined;
        if (proc.status === ProcessStatus.RUNNABLE) runtime.scheduler.enqueue(proc);
        continue;
      }
      runtime.table.detach(proc);
      proc.status = ProcessStatus.EXITED; // this copy is dead; the process lives on at the thief
      proc.gen = undefined;
      proc.resume = undefined;
      proc.mailbox.clear();
      cancelWaitTimer(proc);
      proc.deadline = -1;
      this.cluster.moved.set(proc.pid.id, [proc.pid.serial, thief]);
      moved.push(state);
    }
    if (moved.length === 0) this.sendControl(thief, { op: ControlOp.NO_WORK });
    else this.sendControl(thief, { op: ControlOp.MIGRATE, processes: moved });
    this.#flushMesh();
  }

  /** Installs a process stolen from `home` (see the header). */
  #adopt(home: number, state: MigratedProcess): void {
    const runtime = this.runtime;
    let entry;
    try {
      entry = lookupExport(state.module, state.fun);
    } catch {
      entry = undefined;
    }
    // A process taken at a portable wait restarts as spawn(Module, Fun, Args) but keeps its
    // initial call (process_info, stacks).
    const initial = state.initialCall;
    const proc =
      initial === undefined
        ? new Process(runtime, state.pid, entry, state.args, state.module, state.fun, state.args.length, false)
        : new Process(runtime, state.pid, entry, state.args, initial.at(0) as Atom, initial.at(1) as Atom, initial.at(2) as number, false);
    proc.guest = true;
    proc.priority = state.priority;
    proc.trapExit = state.trapExit;
    for (const linked of state.links) (proc.links ??= new Map()).set(pidKey(linked), linked);
    for (const m of state.monitoredBy) (proc.monitoredBy ??= new RefTable()).set(refKey(m.ref), { ref: m.ref, watcher: m.watcher, object: m.object });
    for (const m of state.monitors) (proc.monitors ??= new RefTable()).set(refKey(m.ref), { ref: m.ref, target: m.target, object: m.object });
    if (state.dictionary.length > 0) {
      const dictionary = (proc.dictionary = new ProcessDictionary());
      for (const kv of state.dictionary) dictionary.put(kv.at(0), kv.at(1));
    }
    for (const message of state.messages) proc.mailbox.push(message);
    if (state.name !== undefined) proc.registeredName = state.name;
    proc.groupLeader = state.groupLeader;
    runtime.table.adopt(proc);
    void home;
    runtime.scheduler.enqueue(proc);
  }
}

/** A process a thief may take: spawned from an export, never run, no closure inside. */
function isPortableUnstarted(proc: Process): boolean {
  return !proc.pinned && proc.gen === undefined && proc.entry !== undefined && proc.external === undefined && !proc.guest && !proc.hasPendingExit && proc.status === ProcessStatus.RUNNABLE;
}

/**
 * The state of a process as terms (an unstarted one, or one at a portable wait: then it
 * resumes as its resume MFA), or undefined when some of it is not a term.
 */
function migratedState(proc: Process): MigratedProcess | undefined {
  let module = proc.module;
  let fun = proc.fun;
  let args = proc.args as Term[];
  let initialCall: Tuple | undefined;
  if (proc.gen !== undefined) {
    const resume = resolveResume(proc);
    if (resume === undefined) return undefined;
    ({ module, fun } = resume);
    args = resume.args as Term[];
    initialCall = tuple(proc.module, proc.fun, proc.arity);
  }
  const state: MigratedProcess = {
    pid: proc.pid,
    module,
    fun,
    args,
    priority: proc.priority,
    links: [...(proc.links?.values() ?? [])],
    monitoredBy: [...(proc.monitoredBy?.values() ?? [])].map((m) => ({ ref: m.ref, watcher: m.watcher, object: m.object })),
    messages: proc.mailbox.toArray(),
    name: proc.registeredName,
    groupLeader: proc.groupLeader,
    initialCall,
    monitors: [...(proc.monitors?.values() ?? [])].map((m) => ({ ref: m.ref, target: m.target, object: m.object })),
    dictionary: proc.dictionary?.entries() ?? [],
    trapExit: proc.trapExit,
  };
  try {
    // Arguments, messages and dictionary must survive the codec (a closure or a class instance
    // does not): checked here, once, when a thief takes the process.
    encodedSize(controlTerm({ op: ControlOp.MIGRATE, processes: [state] }), TRANSPORT);
  } catch {
    return undefined;
  }
  return state;
}
