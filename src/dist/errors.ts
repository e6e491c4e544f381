/**
 * Errors of the distribution layer.
 *
 * DistProtocolError: bytes from a peer (epmd, another node) that break the protocol: a bad
 * frame, an unknown control message, a handshake field out of range. The connection that
 * carried them is closed; the node and its processes live on. Its code is
 * BEAMJS_ERR_DIST_PROTOCOL.
 *
 * NetKernelError: vm.startDistribution / vm.stopDistribution refused, for the reasons OTP's
 * net_kernel:start/stop return as {error, Reason}: `reason` is that Reason as a term,
 * {already_started, Pid} (the node is distributed already), not_found (stop on a node that
 * is not distributed) or not_allowed (stop of a distribution started with the VM, as erl
 * refuses it for a node started with -sname/-name). Its code is BEAMJS_ERR_NET_KERNEL.
 *
 * Threads: stateless; any thread.
 */
import { BeamError, ErrorCode } from '../errors/index.js';
import type { Term } from '../term/index.js';

export class DistProtocolError extends BeamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.DIST_PROTOCOL, message, options);
    this.name = 'DistProtocolError';
  }
}

export class NetKernelError extends BeamError {
  constructor(
    readonly reason: Term,
    message: string,
  ) {
    super(ErrorCode.NET_KERNEL, message);
    this.name = 'NetKernelError';
  }
}
