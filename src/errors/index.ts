/**
 * Typed errors of the beamjs API.
 *
 * Every error thrown by the embedding API or by a decoder is a `BeamError` with a
 * stable `code` (match on `code`, never on the message text) and a message that names
 * the argument, what was expected and what arrived. Errors lose their prototype when
 * they cross a thread (structured clone keeps only `message`/`name`), so
 * `rebuildError` makes the right class again from `{ code, message }`.
 *
 * Thread-safety: stateless; usable from any thread.
 */

/** Stable error codes. Other packages and other threads match on these strings. */
export const ErrorCode = {
  /** A function argument had the wrong type or value. */
  INVALID_ARGUMENT: 'BEAMJS_ERR_INVALID_ARGUMENT',
  /** An atom name is not valid (too long, or a name reserved for a JS value). */
  INVALID_ATOM: 'BEAMJS_ERR_INVALID_ATOM',
  /** A JS value has no Erlang term mapping (a function, a symbol, a class instance, …). */
  NOT_A_TERM: 'BEAMJS_ERR_NOT_A_TERM',
  /** Bytes given to the ETF decoder are not a valid external term. */
  BAD_EXTERNAL_TERM: 'BEAMJS_ERR_BAD_EXTERNAL_TERM',
  /** A caller-provided buffer region is too small for the encoded term. */
  BUFFER_TOO_SMALL: 'BEAMJS_ERR_BUFFER_TOO_SMALL',
  /** A receive pattern is malformed. */
  BAD_PATTERN: 'BEAMJS_ERR_BAD_PATTERN',
  /** A limit of the system was reached (Erlang's `system_limit`). */
  SYSTEM_LIMIT: 'BEAMJS_ERR_SYSTEM_LIMIT',
  /** A process-context function (`self()`, `send()`, `receive()`, …) was called outside a process. */
  NOT_IN_PROCESS: 'BEAMJS_ERR_NOT_IN_PROCESS',
  /** An Erlang exception (`error/1`, `exit/1`, `throw/1`) raised inside a process; see `ErlangException`. */
  EXCEPTION: 'BEAMJS_ERR_EXCEPTION',
  /** The VM was stopped (or is stopping) and cannot do what was asked. */
  VM_STOPPED: 'BEAMJS_ERR_VM_STOPPED',
  /** A shared-memory structure (a ring, a table) holds bytes its invariants rule out: a bug or a stray write. */
  SHM_CORRUPT: 'BEAMJS_ERR_SHM_CORRUPT',
  /** A peer of the Erlang distribution (epmd, another node) sent bytes the protocol rules out. */
  DIST_PROTOCOL: 'BEAMJS_ERR_DIST_PROTOCOL',
  /** net_kernel start/stop refused: already started ({already_started, Pid}), not_found, not_allowed. */
  NET_KERNEL: 'BEAMJS_ERR_NET_KERNEL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const BRAND = Symbol.for('beamjs.error');

/** The base class of every error beamjs throws on purpose. */
export class BeamError extends Error {
  readonly code: ErrorCode;
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'BeamError';
  }

  /** True for any beamjs error, also one from another copy of the package. */
  static is(value: unknown): value is BeamError {
    return typeof value === 'object' && value !== null && (value as { [BRAND]?: boolean })[BRAND] === true;
  }
}

/** Thrown when an argument has the wrong type or value. */
export class InvalidArgumentError extends BeamError {
  constructor(message: string) {
    super(ErrorCode.INVALID_ARGUMENT, message);
    this.name = 'InvalidArgumentError';
  }
}

/** Thrown by the ETF decoder for bytes that are not a valid external term. */
export class BadExternalTermError extends BeamError {
  /** Byte offset in the input where the problem was found. */
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(ErrorCode.BAD_EXTERNAL_TERM, `${message} (at byte ${offset})`);
    this.name = 'BadExternalTermError';
    this.offset = offset;
  }
}

/** Describes a received value for an error message: its type and a short preview. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
    case 'number':
    case 'bigint':
    case 'boolean':
      return `${typeof value} ${String(value)}${typeof value === 'bigint' ? 'n' : ''}`;
    case 'function':
      return `function ${value.name || '(anonymous)'}`;
    case 'symbol':
      return `symbol ${String(value)}`;
    default: {
      const ctor = (value as { constructor?: { name?: string } }).constructor?.name;
      return `an instance of ${ctor ?? 'Object'}`;
    }
  }
}

/** Rebuilds a beamjs error that crossed a thread as `{ code, message }`. */
export function rebuildError(data: { code?: string; message?: string; name?: string }): Error {
  const message = data.message ?? 'unknown error';
  switch (data.code) {
    case ErrorCode.INVALID_ARGUMENT:
      return new InvalidArgumentError(message);
    case undefined:
      return new Error(message);
    default:
      if ((Object.values(ErrorCode) as string[]).includes(data.code)) {
        return new BeamError(data.code as ErrorCode, message);
      }
      return new Error(message);
  }
}
