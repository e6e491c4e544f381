/**
 * The receive side of a monitored call (gen:call's shape): `{Tag, Reply}` where Tag is the
 * monitor's ref, or that monitor's `{'DOWN', Tag, process, Object, Reason}`. Used by the
 * behaviours' calls (gen_server:multi_call to other nodes, gen_statem:call, sys's system calls),
 * each building its request and handling the outcome itself.
 *
 * Threads: inside a process, on any scheduler thread. The matcher names `tag` in
 * requiredRefs, so the receive skips the messages queued before the ref was made.
 */
import type { MessageMatcher } from '../process/mailbox.js';
import { Ref, Tuple, atom, type Term } from '../term/index.js';

const DOWN = atom('DOWN');

/** The outcome of a monitored call: its reply, or the reason the monitored process went down. */
export type CallOutcome = { readonly reply: Term } | { readonly down: Term };

/** A matcher for `{Tag, Reply}` or the 'DOWN' of monitor `tag`. */
export function replyOrDown(tag: Ref): MessageMatcher<CallOutcome> {
  return {
    match: (m: Term): CallOutcome | undefined => {
      if (!(m instanceof Tuple)) return undefined;
      if (m.size === 2 && m.at(0) instanceof Ref && (m.at(0) as Ref).equals(tag)) return { reply: m.at(1) };
      if (m.size === 5 && m.at(0) === DOWN && m.at(1) instanceof Ref && (m.at(1) as Ref).equals(tag)) return { down: m.at(4) };
      return undefined;
    },
    requiredRefs: [tag],
  };
}
