/**
 * Mailbox: the message queue of one process, with selective receive and reference markers.
 *
 * Description (after ERTS erl_proc_sig_queue.h)
 *   A message reaches a process through two parts:
 *
 *   1. The inbox ("outer queue" in ERTS), where other processes append. Signals of every kind
 *      (messages, links, exits, monitors, 'DOWN's) travel one ordered path per receiver
 *      (src/process/signals.ts): a message signal, once handled, is appended here. On one
 *      thread "handled" means "at once, in send order" (signals.ts drains a FIFO), so today the
 *      inbox is simply the tail of the list below: `push` appends in O(1). When schedulers are
 *      worker threads, the inbox of a process also includes the ring of each other scheduler;
 *      the owning scheduler drains the rings in batches and appends here in arrival order.
 *
 *   2. The receive queue ("inner queue"), which only the owning process reads: a singly linked
 *      list of messages in arrival order, head = oldest. A receive scans it from the head (or
 *      from a marker, below) and removes the FIRST message its pattern matches; the messages it
 *      skips keep their places and order. The scan position is SAVED while the receive waits
 *      (`#save`, ERTS's save pointer): a message already rejected by this receive is not
 *      looked at again when new messages arrive; a new receive starts over from the head.
 *
 *   Reference markers (ERTS recv_mark / recv_marker_bind): when a process makes a reference
 *   (make_ref, monitor, a call's request id), `mark(ref)` records the queue's tail at that
 *   moment. A message queued before the ref existed cannot contain it, so a receive whose
 *   pattern requires that ref (`requiredRefs` of a compiled pattern) starts scanning after the
 *   marked node: a gen_server-style call is O(1) with 100,000 unrelated messages queued. A
 *   marker therefore never goes stale in meaning; only its node can: when the marked node is
 *   removed, the marker moves to the node before it (removal always knows that node). The last
 *   `MAX_MARKERS` markers are kept (ERTS keeps a few, too); an evicted marker only costs speed.
 *
 * Invariants: `length` counts the list; `#tail` is the last node or null when empty; `#save`
 *   is null (scan from the head) or a node still in the list; each marker's node is null
 *   (before the head) or a node still in the list.
 * Threads: owned by its process's scheduler thread; not thread-safe.
 * Ownership: the mailbox holds messages until they are received or the process dies; messages
 *   are immutable by contract and shared, not copied, between processes of one thread.
 * Bad input: none checked here (callers validate); a matcher that throws propagates to the
 *   receiving process, leaving the queue and the saved position unchanged.
 */
import { binaryToTerm } from '../codec/index.js';
import { matcher as programRunner } from '../native/index.js';
import { NO_MATCH, Ref, Tuple, type MatchProgram, type Matcher, type Term } from '../term/index.js';
import { A_DOWN } from './atoms.js';

const DECODE = { jsTypes: true } as const;

/** How many reference markers a mailbox remembers. */
export const MAX_MARKERS = 4;

/** What a receive scans with: returns the match result, or undefined for "no match". */
export interface MessageMatcher<C> {
  match(message: Term): C | undefined;
  /** Literal refs the pattern requires (see the header: reference markers). */
  readonly requiredRefs?: readonly Ref[];
}

class MessageNode {
  next: MessageNode | null = null;
  constructor(
    /** The message, once decoded (see `bytes`). */
    public message: Term,
    /** The message still encoded (ETF, VM transport options), or null once decoded. */
    public bytes: Uint8Array | null,
  ) {}
}

/** Captures scratch of the byte-program runner (3 words per slot; grown when a pattern needs more). */
let programCaptures = new Int32Array(3 * 16);

/**
 * The byte program of a matcher that has one (a compiled pattern), or undefined (a function
 * matcher, or a program the compiler refuses): then encoded messages are decoded to be matched.
 */
function programOf(matcher: MessageMatcher<unknown>): MatchProgram | undefined {
  const compiled = matcher as Partial<Matcher<unknown>>;
  if (compiled.captureNames === undefined || compiled.root === undefined) return undefined;
  try {
    const program = compiled.program!;
    if (programCaptures.length < 3 * compiled.captureNames.length) programCaptures = new Int32Array(3 * compiled.captureNames.length);
    return program;
  } catch {
    return undefined;
  }
}

export class Mailbox {
  #head: MessageNode | null = null;
  #tail: MessageNode | null = null;
  #length = 0;
  /** Last node rejected by the receive in progress; null = start at the head. */
  #save: MessageNode | null = null;
  /** Marker refs and positions (ring of MAX_MARKERS), allocated on first mark. */
  #markerRefs: Array<Ref | undefined> | null = null;
  #markerNodes: Array<MessageNode | null> | null = null;
  #markerNext = 0;
  /** Messages looked at by the last scan (for the reduction count). */
  scanned = 0;
  /** Whether the last scanAny took a message (its message may be the atom `undefined`). */
  took = false;

  /** Messages still encoded (a diagnostic for tests and tools; O(n)). */
  get undecoded(): number {
    let count = 0;
    for (let node = this.#head; node !== null; node = node.next) if (node.bytes !== null) count++;
    return count;
  }

  /** Messages in the queue. */
  get length(): number {
    return this.#length;
  }

  /** Appends a message (the inbox side). O(1). */
  push(message: Term): void {
    this.#append(new MessageNode(message, null));
  }

  /**
   * Appends a message that is still encoded (ETF with the VM transport options; the mailbox
   * owns the bytes): it is decoded only when a receive must look at it as a term. A receive
   * whose pattern compiles to a byte program (src/term/match_program.ts) first runs that
   * program on the bytes (the native addon when built, else its JS twin, src/native) and skips
   * a message that cannot match without decoding it.
   */
  pushEncoded(bytes: Uint8Array): void {
    this.#append(new MessageNode(undefined, bytes));
  }

  /** The message of a node, decoding it the first time. */
  #message(node: MessageNode): Term {
    const bytes = node.bytes;
    if (bytes !== null) {
      node.message = binaryToTerm(bytes, DECODE);
      node.bytes = null;
    }
    return node.message;
  }

  #append(node: MessageNode): void {
    if (this.#tail === null) this.#head = node;
    else this.#tail.next = node;
    this.#tail = node;
    this.#length++;
  }

  /** Records a reference marker: messages queued from now on may contain `ref`. O(1). */
  mark(ref: Ref): void {
    if (this.#markerRefs === null) {
      this.#markerRefs = new Array<Ref | undefined>(MAX_MARKERS).fill(undefined);
      this.#markerNodes = new Array<MessageNode | null>(MAX_MARKERS).fill(null);
    }
    this.#markerRefs[this.#markerNext] = ref;
    this.#markerNodes![this.#markerNext] = this.#tail;
    this.#markerNext = (this.#markerNext + 1) % MAX_MARKERS;
  }

  /**
   * Starts a new receive: the scan begins at the head, or after the marker of one of
   * `requiredRefs` when one is known (the latest such position wins: all refs are required).
   */
  beginReceive(requiredRefs: readonly Ref[] | undefined): void {
    this.#save = null;
    if (requiredRefs === undefined || requiredRefs.length === 0 || this.#markerRefs === null) return;
    const refs = this.#markerRefs;
    const nodes = this.#markerNodes!;
    // Every required ref must be in the message, so any marker of one is a valid start. The
    // usual case is the ref this process just made, the same object: look for it by identity
    // first, newest marker first, then by value (a ref that came back in a message).
    for (const required of requiredRefs) {
      for (let k = 1; k <= MAX_MARKERS; k++) {
        const i = (this.#markerNext - k + MAX_MARKERS) % MAX_MARKERS;
        if (refs[i] === required) {
          this.#save = nodes[i]!;
          return;
        }
      }
    }
    for (const required of requiredRefs) {
      for (let i = 0; i < MAX_MARKERS; i++) {
        const marked = refs[i];
        if (marked !== undefined && marked.equals(required)) {
          this.#save = nodes[i]!;
          return;
        }
      }
    }
  }

  /**
   * Scans from the saved position; removes and returns the first match (C), or returns
   * undefined and saves the position after the last message looked at. `scanned` tells how
   * many messages were looked at.
   */
  scan<C>(matcher: MessageMatcher<C>): C | undefined {
    let prev = this.#save;
    let node = prev === null ? this.#head : prev.next;
    let scanned = 0;
    let program: MatchProgram | undefined | null = null; // null: not looked up yet
    while (node !== null) {
      scanned++;
      const bytes = node.bytes;
      if (bytes !== null) {
        if (program === null) program = programOf(matcher as MessageMatcher<unknown>);
        if (program !== undefined && programRunner.runProgram(program, bytes, 0, bytes.length, programCaptures) === NO_MATCH) {
          prev = node;
          node = node.next;
          continue;
        }
      }
      const result = matcher.match(this.#message(node));
      if (result !== undefined) {
        this.scanned = scanned;
        this.#unlink(prev, node);
        this.#save = null;
        return result;
      }
      prev = node;
      node = node.next;
    }
    this.scanned = scanned;
    this.#save = prev;
    return undefined;
  }

  /** Takes the first message after the saved position (receive with no pattern). */
  scanAny(): Term | undefined {
    const prev = this.#save;
    const node = prev === null ? this.#head : prev.next;
    if (node === null) {
      this.took = false;
      this.scanned = 0;
      return undefined;
    }
    this.#unlink(prev, node);
    this.#save = null;
    this.took = true;
    this.scanned = 1;
    return this.#message(node);
  }

  /**
   * demonitor's flush: removes every {'DOWN', Ref, _, _, _} message of `ref`. Such a message was
   * queued after the ref was made, so the scan starts at the ref's marker when one is known
   * (O(messages queued since), usually none), else at the head.
   */
  removeDown(ref: Ref): number {
    let prev = this.#markerOf(ref);
    let node = prev === null ? this.#head : prev.next;
    let removed = 0;
    while (node !== null) {
      const next = node.next;
      const m = this.#message(node);
      if (m instanceof Tuple && m.size === 5 && m.at(0) === A_DOWN && m.at(1) instanceof Ref && (m.at(1) as Ref).equals(ref)) {
        this.#unlink(prev, node);
        removed++;
      } else {
        prev = node;
      }
      node = next;
    }
    this.#save = null;
    return removed;
  }

  /** The marked node of `ref` (by identity, then by value), or null: scan from the head. */
  #markerOf(ref: Ref): MessageNode | null {
    const refs = this.#markerRefs;
    if (refs === null) return null;
    for (let i = 0; i < MAX_MARKERS; i++) if (refs[i] === ref) return this.#markerNodes![i]!;
    for (let i = 0; i < MAX_MARKERS; i++) {
      const marked = refs[i];
      if (marked !== undefined && marked.equals(ref)) return this.#markerNodes![i]!;
    }
    return null;
  }

  /** Removes every message for which `drop` returns true. O(n). */
  removeWhere(drop: (message: Term) => boolean): number {
    let removed = 0;
    let prev: MessageNode | null = null;
    let node = this.#head;
    while (node !== null) {
      const next = node.next;
      if (drop(this.#message(node))) {
        this.#unlink(prev, node);
        removed++;
      } else {
        prev = node;
      }
      node = next;
    }
    this.#save = null;
    return removed;
  }

  /** The queued messages, oldest first (process_info messages). O(n). */
  toArray(): Term[] {
    const out: Term[] = [];
    for (let node = this.#head; node !== null; node = node.next) out.push(this.#message(node));
    return out;
  }

  /** Drops every message (process exit). */
  clear(): void {
    this.#head = this.#tail = this.#save = null;
    this.#length = 0;
    this.#markerRefs = null;
    this.#markerNodes = null;
  }

  #unlink(prev: MessageNode | null, node: MessageNode): void {
    if (prev === null) this.#head = node.next;
    else prev.next = node.next;
    if (this.#tail === node) this.#tail = prev;
    this.#length--;
    const nodes = this.#markerNodes;
    if (nodes !== null) {
      for (let i = 0; i < MAX_MARKERS; i++) if (nodes[i] === node) nodes[i] = prev;
    }
  }
}
