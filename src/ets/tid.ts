/**
 * src/ets/tid.ts: table identifiers. An unnamed table is named by a reference, as in OTP 25
 * (`#Ref<0.Slot.Serial.TID_MARK>`): a term any thread can hold, send and compare. Its words
 * are the catalog slot, the slot's serial at creation and TID_MARK, a third word no ordinary
 * reference of this VM has (theirs is the making thread's endpoint, below 2^16).
 *
 * Threads: pure functions. Bad input: `slotOfTid` answers undefined for any other reference.
 */
import { adoptRef, localNode, Ref } from '../term/index.js';

export const TID_MARK = 0x45545300; // 'ETS\0'

export function tidOf(slot: number, serial: number): Ref {
  return adoptRef(localNode(), 0, [slot, serial, TID_MARK]);
}

/** The slot and serial of a table id, or undefined if `ref` is not one of this node's. */
export function slotOfTid(ref: Ref): { readonly slot: number; readonly serial: number } | undefined {
  const ids = ref.ids;
  if (ids.length < 3 || ids[2] !== TID_MARK || ref.node !== localNode()) return undefined;
  for (let i = 3; i < ids.length; i++) if (ids[i] !== 0) return undefined;
  return { slot: ids[0]!, serial: ids[1]! };
}
