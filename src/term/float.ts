/**
 * Floats whose value is an integer.
 *
 * A JS number is an Erlang integer when it is a safe integer, else a float. That
 * leaves no JS number for Erlang floats such as `1.0` or `-0.0`: those are `Float`
 * objects, made by `float(x)` and by the decoder. `float(1.5)` simply returns `1.5`,
 * so a `Float` always holds an integral value (or -0) and each float has one
 * representation: a plain number, or a Float when the number alone would read as an
 * integer.
 *
 * Invariants: `Number.isSafeInteger(value)` (including -0).
 *
 * Thread-safety: immutable.
 */
import { InvalidArgumentError } from '../errors/index.js';

export class Float {
  private constructor(readonly value: number) {}

  /** @internal Use `float(x)`; this skips the normalisation. */
  static box(value: number): Float {
    return new Float(value);
  }

  valueOf(): number {
    return this.value;
  }
}

/**
 * The Erlang float with this value: a plain number when that already reads as a
 * float, else a `Float`. Throws for NaN and infinities, which Erlang does not have.
 */
export function float(value: number): number | Float {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidArgumentError(`float value must be a finite number; received ${String(value)}`);
  }
  return Number.isSafeInteger(value) ? Float.box(value) : value;
}

/** The number a float term stands for. */
export function floatValue(term: number | Float): number {
  return typeof term === 'number' ? term : term.value;
}
