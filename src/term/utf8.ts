/**
 * UTF-8 views of JS strings, for the term operations that treat a string as the
 * binary of its UTF-8 bytes (compare, equality, hashing, printing).
 *
 * A string term is a binary: its bytes are the string's UTF-8 encoding. Comparing
 * two binaries compares bytes, and UTF-8 byte order is code point order, which is
 * not the UTF-16 order JS's `<` gives (a surrogate pair sorts below U+E000..U+FFFF
 * there). The functions here walk strings by code point and never build the byte
 * array unless they say so.
 *
 * Lone surrogates: a string holding an unpaired surrogate has no UTF-8 encoding.
 * Here, as in `TextEncoder` and `Buffer.from(s, 'utf8')`, each one stands for
 * U+FFFD (bytes EF BF BD), so `'\uD800'` and `'\uFFFD'` are the same binary.
 *
 * Internal to src/term (not exported from the folder's index).
 *
 * Thread-safety: pure functions.
 */

/** The code point at `i` (a lone surrogate reads as U+FFFD). Advance by 2 when > 0xFFFF. */
export function codePointAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c < 0xd800 || c > 0xdfff) return c;
  if (c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
  }
  return 0xfffd;
}

/** Compares two strings as binaries (their UTF-8 bytes). */
export function compareStrings(a: string, b: string): -1 | 0 | 1 {
  const n = a.length < b.length ? a.length : b.length;
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) {
    // Equal code units up to the shorter length. A shorter string is then a prefix in
    // UTF-8 too: a lone high surrogate at its end reads U+FFFD (EF..), below any
    // supplementary code point (F0..) the longer string may continue with.
    return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
  }
  // The first difference may be inside a surrogate pair: step back to its start.
  if (i > 0) {
    const prev = a.charCodeAt(i - 1);
    if (prev >= 0xd800 && prev <= 0xdbff) i--;
  }
  let ia = i;
  let ib = i;
  for (;;) {
    if (ia >= a.length) return ib >= b.length ? 0 : -1;
    if (ib >= b.length) return 1;
    const ca = codePointAt(a, ia);
    const cb = codePointAt(b, ib);
    if (ca !== cb) return ca < cb ? -1 : 1;
    ia += ca > 0xffff ? 2 : 1;
    ib += cb > 0xffff ? 2 : 1;
  }
}

/** Compares a string's UTF-8 bytes with `bytes`, without encoding the string. */
export function compareStringToBytes(s: string, bytes: Uint8Array): -1 | 0 | 1 {
  const len = bytes.length;
  let j = 0;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (j >= len) return 1;
      const d = bytes[j]!;
      if (c !== d) return c < d ? -1 : 1;
      i++;
      j++;
      continue;
    }
    const cp = codePointAt(s, i);
    i += cp > 0xffff ? 2 : 1;
    let b0: number;
    let b1: number;
    let b2 = 0;
    let b3 = 0;
    let count: number;
    if (cp < 0x800) {
      b0 = 0xc0 | (cp >> 6);
      b1 = 0x80 | (cp & 0x3f);
      count = 2;
    } else if (cp < 0x10000) {
      b0 = 0xe0 | (cp >> 12);
      b1 = 0x80 | ((cp >> 6) & 0x3f);
      b2 = 0x80 | (cp & 0x3f);
      count = 3;
    } else {
      b0 = 0xf0 | (cp >> 18);
      b1 = 0x80 | ((cp >> 12) & 0x3f);
      b2 = 0x80 | ((cp >> 6) & 0x3f);
      b3 = 0x80 | (cp & 0x3f);
      count = 4;
    }
    for (let k = 0; k < count; k++) {
      if (j >= len) return 1;
      const e = k === 0 ? b0 : k === 1 ? b1 : k === 2 ? b2 : b3;
      const d = bytes[j]!;
      if (e !== d) return e < d ? -1 : 1;
      j++;
    }
  }
  return j < len ? -1 : 0;
}

/** The UTF-8 bytes of a string (a new array; lone surrogates become EF BF BD). */
export function utf8Bytes(s: string): Uint8Array {
  return Buffer.from(s, 'utf8');
}

/** Compares byte arrays as Erlang compares binaries: bytes, then length. */
export function compareBytes(a: Uint8Array, b: Uint8Array): -1 | 0 | 1 {
  const n = a.length < b.length ? a.length : b.length;
  if (n > 32) {
    // memcmp in native code beats a JS loop on longer inputs.
    return Buffer.compare(a, b) as -1 | 0 | 1;
  }
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}
