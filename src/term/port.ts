/**
 * Port identifiers.
 *
 * beamjs has no ports of its own yet; this class carries ports received from Erlang
 * nodes (NEW_PORT_EXT, V4_PORT_EXT) so that they round-trip unchanged. `id` is a
 * bigint because V4_PORT_EXT carries 64 bits.
 *
 * Thread-safety: immutable.
 */
import { Atom } from './atom.js';

export class Port {
  constructor(
    readonly node: Atom,
    readonly id: bigint,
    readonly creation: number,
  ) {}

  equals(other: Port): boolean {
    return this === other || (this.id === other.id && this.node === other.node && this.creation === other.creation);
  }
}
