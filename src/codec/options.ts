/**
 * Options of the codec's public functions, and their normalisation.
 *
 * The VM's own transport (rings between schedulers, ETS) uses
 * `{ jsTypes: true, minorVersion: 2 }`; term_to_binary/binary_to_term at the Erlang
 * boundary use the defaults, which produce the bytes erl 25 produces.
 *
 * Thread-safety: pure functions. Bad input: an option of the wrong type or value
 * throws InvalidArgumentError naming the option.
 */
import { InvalidArgumentError, describeValue } from '../errors/index.js';

export interface EncodeOptions {
  /**
   * As term_to_binary's `{minor_version, N}`: 0 = floats as FLOAT_EXT (text); 1 (default,
   * OTP 25's default) = floats as NEW_FLOAT_EXT, atoms as ATOM_EXT when their name is
   * Latin-1, else SMALL_ATOM_UTF8_EXT / ATOM_UTF8_EXT; 2 = every atom as
   * SMALL_ATOM_UTF8_EXT / ATOM_UTF8_EXT (OTP 26's default).
   */
  minorVersion?: 0 | 1 | 2;
  /**
   * As term_to_binary's `compressed` / `{compressed, Level}`: true = level 6, a number
   * is the zlib level 0..9 (0 = not compressed). As in erl, the compressed form is used
   * only when it is not larger than the plain one.
   */
  compressed?: boolean | number;
  /** beamjs's in-VM extension (tags.ts, JS_EXT): every JS value decodes to the same JS type. */
  jsTypes?: boolean;
}

export interface DecodeOptions {
  /**
   * How binaries decode: 'utf8' (default without jsTypes: a valid UTF-8 binary becomes a
   * string, else a Uint8Array), 'bytes' (always a Uint8Array; the default with jsTypes,
   * where strings travel as JS_EXT strings), 'string' (always a string; a binary that is
   * not valid UTF-8 is an error).
   */
  binaries?: 'utf8' | 'bytes' | 'string';
  /** Accept beamjs's in-VM extension tag (JS_EXT). Default false: the tag is rejected. */
  jsTypes?: boolean;
  /** Like binary_to_term(B, [safe]): refuse to create atoms that do not exist yet. */
  safe?: boolean;
  /** Decoded Uint8Arrays are copies (default true); false gives views into the input. */
  copyBinaries?: boolean;
}

/** How binaries decode, as a small number for the decoder's hot path. */
export const BinaryMode = { UTF8: 0, BYTES: 1, STRING: 2 } as const;
export type BinaryMode = (typeof BinaryMode)[keyof typeof BinaryMode];

export function checkMinorVersion(options: EncodeOptions | undefined): 0 | 1 | 2 {
  const minor = options?.minorVersion;
  if (minor === undefined) return 1;
  if (minor === 0 || minor === 1 || minor === 2) return minor;
  throw new InvalidArgumentError(`options.minorVersion must be 0, 1 or 2; received ${describeValue(minor)}`);
}

/** The zlib level to use, 0 meaning "do not compress". */
export function compressionLevel(options: EncodeOptions | undefined): number {
  const c = options?.compressed;
  if (c === undefined || c === false) return 0;
  if (c === true) return 6;
  if (typeof c === 'number' && Number.isInteger(c) && c >= 0 && c <= 9) return c;
  throw new InvalidArgumentError(
    `options.compressed must be a boolean or a zlib level 0..9; received ${describeValue(c)}`,
  );
}

export function binaryMode(options: DecodeOptions | undefined): BinaryMode {
  const b = options?.binaries;
  if (b === undefined) return options?.jsTypes === true ? BinaryMode.BYTES : BinaryMode.UTF8;
  if (b === 'utf8') return BinaryMode.UTF8;
  if (b === 'bytes') return BinaryMode.BYTES;
  if (b === 'string') return BinaryMode.STRING;
  throw new InvalidArgumentError(`options.binaries must be 'utf8', 'bytes' or 'string'; received ${describeValue(b)}`);
}
