/**
 * Errors of the distribution layer.
 *
 * DistProtocolError: bytes from a peer (epmd, another node) that break the protocol: a bad
 * frame, an unknown control message, a handshake field out of range. The connection that
 * carried them is closed; the node and its processes live on. Its code is
 * BEAMJS_ERR_DIST_PROTOCOL.
 *
 * Threads: stateless; any thread.
 */
import { BeamError, ErrorCode } from '../errors/index.js';

export class DistProtocolError extends BeamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.DIST_PROTOCOL, message, options);
    this.name = 'DistProtocolError';
  }
}
