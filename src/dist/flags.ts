/**
 * Distribution capability flags, with the values of OTP's erts/emulator/beam/dist.h and
 * kernel/include/dist.hrl (checked against OTP 25's dist.hrl: DFLAG_MANDATORY_25_DIGEST is
 * 16#04000000, bit 26; the protocol guide gives it differently). 64 bits: the handshake of
 * version 6 sends all 8 bytes; flags are `bigint`s.
 *
 * What beamjs offers (OUR_FLAGS) and why some flags are left out:
 * - no ATOM_CACHE / DIST_HDR_ATOM_CACHE / HIDDEN_ATOM_CACHE: without them OTP sends every
 *   message in pass-through form (a 112 byte, the control term, the message term, each a
 *   plain ETF with 131), which is what connection.ts reads and writes;
 * - no FRAGMENTS: OTP then sends each message as one frame;
 * - no NAME_ME: a beamjs node always has a name;
 * - no ALIAS: beamjs processes make no aliases (ALIAS_SEND is still decoded, and dropped).
 * Everything else OTP 25 and 26 use is offered, including the mandatory set of OTP 25
 * (MANDATORY_25), the digest bit, and what OTP 26 makes mandatory (V4_NC, UNLINK_ID).
 * A peer must offer MANDATORY_25 (or the digest bit, its shorthand since OTP 25).
 *
 * Threads: constants; any thread.
 */

export const DFlag = {
  PUBLISHED: 0x01n,
  ATOM_CACHE: 0x02n,
  EXTENDED_REFERENCES: 0x04n,
  DIST_MONITOR: 0x08n,
  FUN_TAGS: 0x10n,
  DIST_MONITOR_NAME: 0x20n,
  HIDDEN_ATOM_CACHE: 0x40n,
  NEW_FUN_TAGS: 0x80n,
  EXTENDED_PIDS_PORTS: 0x100n,
  EXPORT_PTR_TAG: 0x200n,
  BIT_BINARIES: 0x400n,
  NEW_FLOATS: 0x800n,
  UNICODE_IO: 0x1000n,
  DIST_HDR_ATOM_CACHE: 0x2000n,
  SMALL_ATOM_TAGS: 0x4000n,
  UTF8_ATOMS: 0x10000n,
  MAP_TAG: 0x20000n,
  BIG_CREATION: 0x40000n,
  SEND_SENDER: 0x80000n,
  BIG_SEQTRACE_LABELS: 0x100000n,
  EXIT_PAYLOAD: 0x400000n,
  FRAGMENTS: 0x800000n,
  HANDSHAKE_23: 0x1000000n,
  UNLINK_ID: 0x2000000n,
  MANDATORY_25_DIGEST: 0x4000000n,
  SPAWN: 1n << 32n,
  NAME_ME: 1n << 33n,
  V4_NC: 1n << 34n,
  ALIAS: 1n << 35n,
} as const;

/** The flags OTP 25 requires of a peer (dist.hrl MANDATORY_DFLAGS_25). */
export const MANDATORY_25 =
  DFlag.EXTENDED_REFERENCES |
  DFlag.FUN_TAGS |
  DFlag.EXTENDED_PIDS_PORTS |
  DFlag.NEW_FUN_TAGS |
  DFlag.EXPORT_PTR_TAG |
  DFlag.BIT_BINARIES |
  DFlag.NEW_FLOATS |
  DFlag.UTF8_ATOMS |
  DFlag.MAP_TAG |
  DFlag.BIG_CREATION |
  DFlag.HANDSHAKE_23;

/** What OTP 26 requires besides MANDATORY_25. */
export const MANDATORY_26_EXTRA = DFlag.V4_NC | DFlag.UNLINK_ID;

/** The flags a beamjs node offers (PUBLISHED is added for a visible node). */
export const OUR_FLAGS =
  MANDATORY_25 |
  MANDATORY_26_EXTRA |
  DFlag.MANDATORY_25_DIGEST |
  DFlag.DIST_MONITOR |
  DFlag.DIST_MONITOR_NAME |
  DFlag.UNICODE_IO |
  DFlag.SMALL_ATOM_TAGS |
  DFlag.SEND_SENDER |
  DFlag.BIG_SEQTRACE_LABELS |
  DFlag.EXIT_PAYLOAD |
  DFlag.SPAWN;

/** The flags of a peer with the digest bit expanded to the set it stands for. */
export function effectiveFlags(peer: bigint): bigint {
  return (peer & DFlag.MANDATORY_25_DIGEST) !== 0n ? peer | MANDATORY_25 : peer;
}

/** The mandatory flags a peer did not offer (0n when it may connect). */
export function missingMandatory(peer: bigint): bigint {
  return MANDATORY_25 & ~effectiveFlags(peer);
}

/** Names of the set bits of `flags`, for log lines ("UTF8_ATOMS|BIG_CREATION"). */
export function flagNames(flags: bigint): string {
  const names: string[] = [];
  for (const [name, bit] of Object.entries(DFlag)) if ((flags & bit) !== 0n) names.push(name);
  return names.join('|') || '0';
}
