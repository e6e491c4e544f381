/**
 * The scheduler mesh's side channel: how a SharedArrayBuffer crosses from a sending scheduler to
 * a receiving one when the shared memory itself cannot carry it. Two things travel here:
 *   - RING: the handover of a ring. Rings of the mesh are allocated lazily by their sender on its
 *     first send to that receiver (src/shm/scheduler_mesh.ts), so the receiver must be given the
 *     ring's SharedArrayBuffer once;
 *   - OUT_OF_BAND: the bytes of a record too large for a ring, copied into a fresh
 *     SharedArrayBuffer; the ring carries a marker (src/shm/out_of_band.ts's marker layout) in the
 *     record's place, so the record keeps its place in the pair's order.
 *
 * Why a BroadcastChannel, not a MessagePort. A MessagePort has exactly one peer and must be
 * transferred to it, so N schedulers would need N*(N-1) ports set up through the main thread,
 * and the mesh descriptor would no longer be "SharedArrayBuffers only". A BroadcastChannel is
 * addressed by name: every scheduler can open `beamjs.mesh.<meshId>.<receiver>` by itself, and
 * the receiver is the only thread that listens. One channel per receiver, any number of senders.
 *
 * Message: `{ kind, from, seq, buffer }` (plain data, structured clone; `buffer` is a
 * SharedArrayBuffer, so the clone shares it instead of copying). `seq` is the per-(from, kind)
 * counter: 0 for RING, the n-th out-of-band record of the pair for OUT_OF_BAND.
 *
 * Ordering (why `take` finds the message). The sender posts BEFORE it publishes the ring tail
 * or sets the receiver's doorbell (an Atomics store/or). Node's postMessage on a BroadcastChannel
 * appends the message to every other instance's queue before it returns (verified on Node 20;
 * the same property src/shm/out_of_band.ts relies on for MessagePort), so when the receiver sees
 * the marker or the doorbell, the message is either still in its channel's queue (then
 * `receiveMessageOnPort` takes it synchronously) or was already delivered by an event-loop turn
 * to the 'message' listener, which parks it in the stash. `take` looks in the stash first. The
 * listener is needed: an instance with no listener still receives 'message' events on each
 * event-loop turn and would drop them.
 *
 * Cost notes (measured on this machine, Node 20): opening, posting on and closing a
 * BroadcastChannel costs ~130 us; posting on an open one ~3 us. So senders keep one open
 * instance per receiver (`MeshSideChannelSender`). A sender's instance also receives other
 * senders' messages to the same receiver (a BroadcastChannel delivers to every other instance);
 * it drops them on its event loop. Out-of-band records are rare (larger than a quarter of a
 * ring) and ring handovers happen once per pair, so that waste is small.
 *
 * Threads: a MeshSideChannelInbox is used only by its receiver's thread; a
 * MeshSideChannelSender only by its sender's thread. Both are unref'd: they never keep a
 * worker's event loop alive.
 * Ownership: the receiver owns the buffers it takes; a sender must not touch a buffer after
 * posting it.
 * Bad input: a message missing when its marker or doorbell says it was posted, or a message of
 * the wrong shape, throws BeamError SHM_CORRUPT (after a bounded wait, never forever).
 */
import { BroadcastChannel, receiveMessageOnPort } from 'node:worker_threads';
import { BeamError, ErrorCode } from '../errors/index.js';

/** Kinds of side-channel messages (explicit values: they cross threads). */
export const SideChannelKind = {
  /** A ring's SharedArrayBuffer, handed over once per (sender, receiver) pair. */
  RING: 0,
  /** The bytes of one out-of-band record. */
  OUT_OF_BAND: 1,
} as const;
export type SideChannelKind = (typeof SideChannelKind)[keyof typeof SideChannelKind];

/** The message posted on a receiver's channel. */
export interface SideChannelMessage {
  readonly kind: SideChannelKind;
  readonly from: number;
  readonly seq: number;
  readonly buffer: SharedArrayBuffer;
}

/** The channel name of `receiver` in mesh `meshId`. */
export function sideChannelName(meshId: string, receiver: number): string {
  return `beamjs.mesh.${meshId}.${receiver}`;
}

/** How long `take` keeps polling for a message its marker announced before calling it corruption. */
const TAKE_PATIENCE_MS = 1000;

function keyOf(kind: number, from: number, seq: number): string {
  return `${kind}:${from}:${seq >>> 0}`;
}

function isMessage(value: unknown): value is SideChannelMessage {
  const m = value as Partial<SideChannelMessage> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.kind === 'number' &&
    typeof m.from === 'number' &&
    typeof m.seq === 'number' &&
    m.buffer instanceof SharedArrayBuffer
  );
}

/** The receiving end: one per receiver, opened when its endpoint attaches. Receiver thread only. */
export class MeshSideChannelInbox {
  private readonly channel: BroadcastChannel;
  /** Messages delivered before they were asked for, by `kind:from:seq`. */
  private readonly stash = new Map<string, SharedArrayBuffer>();
  /** Messages of the wrong shape seen on the channel (reported by the next `take`). */
  private malformed = 0;

  constructor(meshId: string, receiver: number) {
    this.channel = new BroadcastChannel(sideChannelName(meshId, receiver));
    this.channel.onmessage = (event: unknown) => this.park((event as { data: unknown }).data);
    // The inbox must not keep the scheduler's thread alive by itself.
    this.channel.unref();
  }

  private park(message: unknown): void {
    if (!isMessage(message)) {
      this.malformed++;
      return;
    }
    this.stash.set(keyOf(message.kind, message.from, message.seq), message.buffer);
  }

  /** Messages delivered and not yet taken (a leak check for tests). */
  get stashed(): number {
    return this.stash.size;
  }

  /**
   * Takes the message (kind, from, seq), which the caller knows was posted (its marker or its
   * doorbell is visible). Synchronous: no event-loop turn is needed (see the header).
   */
  take(kind: SideChannelKind, from: number, seq: number): SharedArrayBuffer {
    const key = keyOf(kind, from, seq);
    let deadline = 0;
    for (;;) {
      const found = this.stash.get(key);
      if (found !== undefined) {
        this.stash.delete(key);
        return found;
      }
      const received = receiveMessageOnPort(this.channel as unknown as Parameters<typeof receiveMessageOnPort>[0]);
      if (received !== undefined) {
        this.park(received.message);
        continue;
      }
      // Not expected (see "Ordering"): poll briefly rather than misreport a hiccup, never forever.
      if (deadline === 0) deadline = Date.now() + TAKE_PATIENCE_MS;
      else if (Date.now() > deadline) {
        const what = kind === SideChannelKind.RING ? 'ring handover' : `out-of-band record ${seq >>> 0}`;
        throw new BeamError(
          ErrorCode.SHM_CORRUPT,
          `scheduler mesh: the ${what} from scheduler ${from} was announced but did not arrive on the side channel within ${TAKE_PATIENCE_MS} ms` +
            (this.malformed > 0 ? ` (${this.malformed} malformed messages were seen)` : ''),
        );
      }
    }
  }

  /** Closes the channel; later posts to this receiver are dropped by Node. */
  close(): void {
    this.channel.close();
  }
}

/** The sending end towards one receiver. Sender thread only. */
export class MeshSideChannelSender {
  private readonly channel: BroadcastChannel;

  constructor(meshId: string, receiver: number) {
    this.channel = new BroadcastChannel(sideChannelName(meshId, receiver));
    // Messages other senders post to the same receiver reach this instance too; drop them
    // explicitly (a listener makes that visible in the code; without one Node drops them anyway).
    this.channel.onmessage = () => {};
    this.channel.unref();
  }

  /** Posts a message; on return it is in the receiver's queue (see "Ordering"). */
  post(kind: SideChannelKind, from: number, seq: number, buffer: SharedArrayBuffer): void {
    const message: SideChannelMessage = { kind, from, seq: seq >>> 0, buffer };
    this.channel.postMessage(message);
  }

  close(): void {
    this.channel.close();
  }
}
