// native/match.cc: the match-program validator and runner (see match.h). A port of
// src/term/match_interpreter.ts; section names and order follow that file.
//
// Offsets are int64_t everywhere so that "offset + length read from the bytes" cannot
// overflow: lengths in the format are at most 32 bits, messages less than 2^31 bytes.
#include "match.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>

namespace beamjs {
namespace {

// ---------------------------------------------------------------------------------
// Constants (src/codec/tags.ts, src/term/match_program.ts)

namespace tag {
constexpr uint8_t NEW_FLOAT_EXT = 70;
constexpr uint8_t JS_EXT = 74;
constexpr uint8_t BIT_BINARY_EXT = 77;
constexpr uint8_t NEW_PID_EXT = 88;
constexpr uint8_t NEW_PORT_EXT = 89;
constexpr uint8_t NEWER_REFERENCE_EXT = 90;
constexpr uint8_t SMALL_INTEGER_EXT = 97;
constexpr uint8_t INTEGER_EXT = 98;
constexpr uint8_t FLOAT_EXT = 99;
constexpr uint8_t ATOM_EXT = 100;
constexpr uint8_t REFERENCE_EXT = 101;
constexpr uint8_t PORT_EXT = 102;
constexpr uint8_t PID_EXT = 103;
constexpr uint8_t SMALL_TUPLE_EXT = 104;
constexpr uint8_t LARGE_TUPLE_EXT = 105;
constexpr uint8_t NIL_EXT = 106;
constexpr uint8_t STRING_EXT = 107;
constexpr uint8_t LIST_EXT = 108;
constexpr uint8_t BINARY_EXT = 109;
constexpr uint8_t SMALL_BIG_EXT = 110;
constexpr uint8_t LARGE_BIG_EXT = 111;
constexpr uint8_t NEW_FUN_EXT = 112;
constexpr uint8_t EXPORT_EXT = 113;
constexpr uint8_t NEW_REFERENCE_EXT = 114;
constexpr uint8_t SMALL_ATOM_EXT = 115;
constexpr uint8_t MAP_EXT = 116;
constexpr uint8_t ATOM_UTF8_EXT = 118;
constexpr uint8_t SMALL_ATOM_UTF8_EXT = 119;
constexpr uint8_t V4_PORT_EXT = 120;
constexpr uint8_t VERSION = 131;
}  // namespace tag

namespace js {
constexpr uint8_t STRING = 1;
constexpr uint8_t BIGINT = 2;
constexpr uint8_t MAP = 3;
}  // namespace js

constexpr int64_t kFlatmapMaxKeys = 32;

namespace op {
constexpr uint8_t MATCH = 0x01, FAIL = 0x02, SKIP = 0x03, LITERAL = 0x04, TYPE = 0x05, TUPLE_OF = 0x06,
                  TUPLE = 0x07, LIST = 0x08, REST_LIST = 0x09, REST_SKIP = 0x0a, REST_TERM = 0x0b,
                  REST_IS_LIST = 0x0c, MAP = 0x0d, MAP_GET = 0x0e, MAP_END = 0x0f, CAPTURE_BEGIN = 0x10,
                  CAPTURE_BEGIN_REST = 0x11, CAPTURE_BEGIN_BYTE = 0x12, CAPTURE_END = 0x13,
                  CAPTURE_ANY = 0x14, BYTE_EQ = 0x15, BYTE_SKIP = 0x16, ALT = 0x17, ALT_END = 0x18,
                  GUARD_MARK = 0x19, NEEDS_JS = 0x1a, JUMP = 0x1b;
}  // namespace op

// Instruction sizes by opcode (0 = unknown); ALT is 5 + 4n.
int OpSize(uint8_t o) {
  switch (o) {
    case op::MATCH: case op::FAIL: case op::SKIP: case op::BYTE_SKIP: case op::GUARD_MARK: case op::NEEDS_JS:
      return 1;
    case op::TYPE: case op::BYTE_EQ:
      return 2;
    case op::LIST: case op::REST_SKIP: case op::REST_IS_LIST: case op::MAP: case op::MAP_END:
    case op::CAPTURE_BEGIN: case op::CAPTURE_BEGIN_BYTE: case op::CAPTURE_ANY:
      return 3;
    case op::TUPLE_OF: case op::TUPLE: case op::CAPTURE_BEGIN_REST: case op::CAPTURE_END: case op::ALT:
    case op::ALT_END: case op::JUMP:
      return 5;
    case op::REST_TERM:
      return 8;
    case op::LITERAL:
      return 9;
    case op::REST_LIST: case op::MAP_GET:
      return 11;
    default:
      return 0;
  }
}

namespace type_code {
constexpr uint8_t INTEGER = 1, FLOAT = 2, NUMBER = 3, ATOM = 4, BINARY = 5, BITSTRING = 6, TUPLE = 7, LIST = 8,
                  MAP = 9, PID = 10, REF = 11, PORT = 12, FUN = 13, BOOLEAN = 14;
}

namespace capture_kind {
constexpr int32_t UNBOUND = 0, TERM = 1, LIST_REST = 2, STRING_REST = 3, BYTE = 4;
}

constexpr int kCaptureWords = 3;
constexpr uint32_t kNoRegister = 0xffff;
constexpr int kHeaderSize = 16;
constexpr int kHeaderSlots = 6, kHeaderRegisters = 8, kHeaderMaxDepth = 10, kHeaderCodeLength = 12,
              kHeaderVersion = 4;
constexpr uint8_t kProgramVersion = 1;

constexpr int32_t kListKind = 0;
constexpr int32_t kStringKind = 1;

// Comparison results (Cmp in JS).
constexpr int kNotEqual = 0, kEqual = 1, kUnknown = 2, kBad = 3;

// ---------------------------------------------------------------------------------
// Byte readers

inline uint32_t Be16(const uint8_t* b, int64_t p) { return (uint32_t(b[p]) << 8) | b[p + 1]; }
inline uint32_t Be32(const uint8_t* b, int64_t p) {
  return (uint32_t(b[p]) << 24) | (uint32_t(b[p + 1]) << 16) | (uint32_t(b[p + 2]) << 8) | b[p + 3];
}
inline uint32_t Le16(const uint8_t* b, int64_t p) { return uint32_t(b[p]) | (uint32_t(b[p + 1]) << 8); }
inline uint32_t Le32(const uint8_t* b, int64_t p) {
  return uint32_t(b[p]) | (uint32_t(b[p + 1]) << 8) | (uint32_t(b[p + 2]) << 16) | (uint32_t(b[p + 3]) << 24);
}

// ---------------------------------------------------------------------------------
// Skipping terms

inline bool IsAtomTag(uint8_t t) {
  return t == tag::SMALL_ATOM_UTF8_EXT || t == tag::ATOM_UTF8_EXT || t == tag::SMALL_ATOM_EXT || t == tag::ATOM_EXT;
}

inline bool IsIntegerTag(uint8_t t) {
  return t == tag::SMALL_INTEGER_EXT || t == tag::INTEGER_EXT || t == tag::SMALL_BIG_EXT || t == tag::LARGE_BIG_EXT;
}

int64_t AtomEnd(const uint8_t* b, int64_t p, int64_t end) {
  if (p >= end) return -1;
  const uint8_t t = b[p];
  int64_t next;
  if (t == tag::SMALL_ATOM_UTF8_EXT || t == tag::SMALL_ATOM_EXT) {
    if (p + 2 > end) return -1;
    next = p + 2 + b[p + 1];
  } else if (t == tag::ATOM_UTF8_EXT || t == tag::ATOM_EXT) {
    if (p + 3 > end) return -1;
    next = p + 3 + Be16(b, p + 1);
  } else {
    return -1;
  }
  return next <= end ? next : -1;
}

}  // namespace

int64_t SkipTerms(const uint8_t* b, int64_t p, int64_t end, int64_t count) {
  int64_t pending = count;
  while (pending > 0) {
    if (p >= end) return -1;
    const uint8_t t = b[p];
    pending--;
    switch (t) {
      case tag::SMALL_INTEGER_EXT: p += 2; break;
      case tag::INTEGER_EXT: p += 5; break;
      case tag::NEW_FLOAT_EXT: p += 9; break;
      case tag::FLOAT_EXT: p += 32; break;
      case tag::SMALL_ATOM_UTF8_EXT:
      case tag::ATOM_UTF8_EXT:
      case tag::SMALL_ATOM_EXT:
      case tag::ATOM_EXT:
        p = AtomEnd(b, p, end);
        if (p < 0) return -1;
        break;
      case tag::SMALL_TUPLE_EXT:
        if (p + 2 > end) return -1;
        pending += b[p + 1];
        p += 2;
        break;
      case tag::LARGE_TUPLE_EXT:
        if (p + 5 > end) return -1;
        pending += Be32(b, p + 1);
        p += 5;
        break;
      case tag::NIL_EXT: p += 1; break;
      case tag::STRING_EXT:
        if (p + 3 > end) return -1;
        p += 3 + int64_t(Be16(b, p + 1));
        break;
      case tag::LIST_EXT:
        if (p + 5 > end) return -1;
        pending += int64_t(Be32(b, p + 1)) + 1;
        p += 5;
        break;
      case tag::BINARY_EXT:
        if (p + 5 > end) return -1;
        p += 5 + int64_t(Be32(b, p + 1));
        break;
      case tag::BIT_BINARY_EXT: {
        if (p + 6 > end) return -1;
        const uint8_t bits = b[p + 5];
        const int64_t length = Be32(b, p + 1);
        if (bits < 1 || bits > 8 || length == 0) return -1;
        p += 6 + length;
        break;
      }
      case tag::SMALL_BIG_EXT:
        if (p + 3 > end) return -1;
        p += 3 + int64_t(b[p + 1]);
        break;
      case tag::LARGE_BIG_EXT:
        if (p + 6 > end) return -1;
        p += 6 + int64_t(Be32(b, p + 1));
        break;
      case tag::MAP_EXT:
        if (p + 5 > end) return -1;
        pending += 2 * int64_t(Be32(b, p + 1));
        p += 5;
        break;
      case tag::EXPORT_EXT:
        pending += 3;
        p += 1;
        break;
      case tag::NEW_FUN_EXT: {
        if (p + 5 > end) return -1;
        const int64_t size = Be32(b, p + 1);
        if (size < 4) return -1;
        p += 1 + size;
        break;
      }
      case tag::NEW_PID_EXT:
        p = AtomEnd(b, p + 1, end);
        if (p < 0) return -1;
        p += 12;
        break;
      case tag::PID_EXT:
        p = AtomEnd(b, p + 1, end);
        if (p < 0) return -1;
        p += 9;
        break;
      case tag::NEW_PORT_EXT:
        p = AtomEnd(b, p + 1, end);
        if (p < 0) return -1;
        p += 8;
        break;
      case tag::V4_PORT_EXT:
        p = AtomEnd(b, p + 1, end);
        if (p < 0) return -1;
        p += 12;
        break;
      case tag::PORT_EXT:
      case tag::REFERENCE_EXT:
        p = AtomEnd(b, p + 1, end);
        if (p < 0) return -1;
        p += 5;
        break;
      case tag::NEWER_REFERENCE_EXT:
      case tag::NEW_REFERENCE_EXT: {
        if (p + 3 > end) return -1;
        const int64_t words = Be16(b, p + 1);
        p = AtomEnd(b, p + 3, end);
        if (p < 0) return -1;
        p += (t == tag::NEWER_REFERENCE_EXT ? 4 : 1) + 4 * words;
        break;
      }
      case tag::JS_EXT: {
        if (p + 2 > end) return -1;
        const uint8_t subtype = b[p + 1];
        if (subtype == js::STRING) {
          if (p + 6 > end) return -1;
          p += 6 + int64_t(Be32(b, p + 2));
        } else if (subtype == js::BIGINT) {
          if (p + 3 > end) return -1;
          if (!IsIntegerTag(b[p + 2])) return -1;
          pending += 1;
          p += 2;
        } else if (subtype == js::MAP) {
          if (p + 3 > end || b[p + 2] != tag::MAP_EXT) return -1;
          pending += 1;
          p += 2;
        } else {
          return -1;
        }
        break;
      }
      default:
        return -1;
    }
    // Each pending term needs at least one byte.
    if (pending > end - p) return -1;
  }
  return p <= end ? p : -1;
}

namespace {

// ---------------------------------------------------------------------------------
// Type tests

const uint8_t kTrue[] = {'t', 'r', 'u', 'e'};
const uint8_t kFalse[] = {'f', 'a', 'l', 's', 'e'};

bool NameIs(const uint8_t* b, int64_t start, int64_t end, const uint8_t* name, int64_t length) {
  if (end - start != length) return false;
  for (int64_t i = 0; i < length; i++)
    if (b[start + i] != name[i]) return false;
  return true;
}

bool TypeTest(uint8_t code, const uint8_t* b, int64_t p, int64_t end) {
  if (p >= end) return false;
  const uint8_t t = b[p];
  const uint8_t subtype = (t == tag::JS_EXT && p + 1 < end) ? b[p + 1] : 0;
  switch (code) {
    case type_code::INTEGER:
      return IsIntegerTag(t) || subtype == js::BIGINT;
    case type_code::FLOAT:
      return t == tag::NEW_FLOAT_EXT || t == tag::FLOAT_EXT;
    case type_code::NUMBER:
      return IsIntegerTag(t) || subtype == js::BIGINT || t == tag::NEW_FLOAT_EXT || t == tag::FLOAT_EXT;
    case type_code::ATOM:
      return IsAtomTag(t);
    case type_code::BOOLEAN: {
      const int64_t next = AtomEnd(b, p, end);
      if (next < 0) return false;
      const int64_t name = (t == tag::SMALL_ATOM_UTF8_EXT || t == tag::SMALL_ATOM_EXT) ? p + 2 : p + 3;
      return NameIs(b, name, next, kTrue, 4) || NameIs(b, name, next, kFalse, 5);
    }
    case type_code::BINARY:
      return t == tag::BINARY_EXT || subtype == js::STRING;
    case type_code::BITSTRING:
      return t == tag::BINARY_EXT || subtype == js::STRING || t == tag::BIT_BINARY_EXT;
    case type_code::TUPLE:
      return t == tag::SMALL_TUPLE_EXT || t == tag::LARGE_TUPLE_EXT;
    case type_code::LIST:
      return t == tag::NIL_EXT || t == tag::STRING_EXT || t == tag::LIST_EXT;
    case type_code::MAP:
      return t == tag::MAP_EXT || subtype == js::MAP;
    case type_code::PID:
      return t == tag::NEW_PID_EXT || t == tag::PID_EXT;
    case type_code::REF:
      return t == tag::NEWER_REFERENCE_EXT || t == tag::NEW_REFERENCE_EXT || t == tag::REFERENCE_EXT;
    case type_code::PORT:
      return t == tag::NEW_PORT_EXT || t == tag::V4_PORT_EXT || t == tag::PORT_EXT;
    case type_code::FUN:
      return t == tag::NEW_FUN_EXT || t == tag::EXPORT_EXT;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------
// Comparing encoded terms

enum Cls { C_BAD, C_INT, C_FLOAT, C_OLD_FLOAT, C_ATOM, C_BINARY, C_BITS, C_TUPLE, C_NIL, C_LIST, C_STRING,
           C_MAP, C_PID, C_PORT, C_REF, C_EXPORT, C_FUN };

// See TermHeader in match_interpreter.ts.
struct TermHeader {
  Cls cls = C_BAD;
  int64_t next = 0;
  int64_t small = 0;
  int sign = 0;
  int64_t big = -1;
  int64_t big_len = 0;
  int64_t data = 0;
  int64_t length = 0;
  int bits = 0;
  bool latin1 = false;
  int64_t count = 0;
  uint32_t n1 = 0, n2 = 0, n3 = 0;
};

int64_t ReadNodeAtom(const uint8_t* b, int64_t p, int64_t end, TermHeader* h) {
  const int64_t next = AtomEnd(b, p, end);
  if (next < 0) return -1;
  const uint8_t t = b[p];
  h->latin1 = t == tag::ATOM_EXT || t == tag::SMALL_ATOM_EXT;
  h->data = (t == tag::SMALL_ATOM_UTF8_EXT || t == tag::SMALL_ATOM_EXT) ? p + 2 : p + 3;
  h->length = next - h->data;
  return next;
}

bool ReadHeader(const uint8_t* b, int64_t p, int64_t end, TermHeader* h) {
  h->cls = C_BAD;
  if (p >= end) return false;
  uint8_t t = b[p];
  if (t == tag::JS_EXT) {
    if (p + 2 > end) return false;
    const uint8_t subtype = b[p + 1];
    if (subtype == js::STRING) {
      if (p + 6 > end) return false;
      h->length = Be32(b, p + 2);
      h->data = p + 6;
      h->next = h->data + h->length;
      if (h->next > end) return false;
      h->cls = C_BINARY;
      return true;
    }
    if (subtype != js::BIGINT && subtype != js::MAP) return false;
    p += 2;
    if (p >= end) return false;
    t = b[p];
    if (subtype == js::BIGINT ? !IsIntegerTag(t) : t != tag::MAP_EXT) return false;
  }
  switch (t) {
    case tag::SMALL_INTEGER_EXT:
      if (p + 2 > end) return false;
      h->small = b[p + 1];
      h->big = -1;
      h->next = p + 2;
      h->cls = C_INT;
      return true;
    case tag::INTEGER_EXT:
      if (p + 5 > end) return false;
      h->small = int32_t(Be32(b, p + 1));
      h->big = -1;
      h->next = p + 5;
      h->cls = C_INT;
      return true;
    case tag::SMALL_BIG_EXT:
    case tag::LARGE_BIG_EXT: {
      const int64_t header = t == tag::SMALL_BIG_EXT ? 3 : 6;
      if (p + header > end) return false;
      const int64_t n = t == tag::SMALL_BIG_EXT ? int64_t(b[p + 1]) : int64_t(Be32(b, p + 1));
      h->big = p + header;
      h->next = h->big + n;
      if (h->next > end) return false;
      int64_t length = n;
      while (length > 0 && b[h->big + length - 1] == 0) length--;
      h->big_len = length;
      h->sign = length == 0 ? 0 : (b[p + header - 1] == 0 ? 0 : 1);
      h->cls = C_INT;
      return true;
    }
    case tag::NEW_FLOAT_EXT:
      if (p + 9 > end) return false;
      h->data = p + 1;
      h->length = 8;
      h->next = p + 9;
      h->cls = C_FLOAT;
      return true;
    case tag::FLOAT_EXT:
      if (p + 32 > end) return false;
      h->data = p + 1;
      h->length = 31;
      h->next = p + 32;
      h->cls = C_OLD_FLOAT;
      return true;
    case tag::SMALL_ATOM_UTF8_EXT:
    case tag::ATOM_UTF8_EXT:
    case tag::SMALL_ATOM_EXT:
    case tag::ATOM_EXT:
      h->next = ReadNodeAtom(b, p, end, h);
      if (h->next < 0) return false;
      h->cls = C_ATOM;
      return true;
    case tag::BINARY_EXT:
      if (p + 5 > end) return false;
      h->length = Be32(b, p + 1);
      h->data = p + 5;
      h->next = h->data + h->length;
      if (h->next > end) return false;
      h->cls = C_BINARY;
      return true;
    case tag::BIT_BINARY_EXT:
      if (p + 6 > end) return false;
      h->length = Be32(b, p + 1);
      h->bits = b[p + 5];
      h->data = p + 6;
      h->next = h->data + h->length;
      if (h->next > end || h->bits < 1 || h->bits > 8 || h->length == 0) return false;
      h->cls = C_BITS;
      return true;
    case tag::SMALL_TUPLE_EXT:
      if (p + 2 > end) return false;
      h->count = b[p + 1];
      h->next = p + 2;
      h->cls = C_TUPLE;
      return true;
    case tag::LARGE_TUPLE_EXT:
      if (p + 5 > end) return false;
      h->count = Be32(b, p + 1);
      h->next = p + 5;
      h->cls = C_TUPLE;
      return true;
    case tag::NIL_EXT:
      h->next = p + 1;
      h->cls = C_NIL;
      return true;
    case tag::STRING_EXT:
      if (p + 3 > end) return false;
      h->length = Be16(b, p + 1);
      h->data = p + 3;
      h->next = h->data + h->length;
      if (h->next > end) return false;
      h->cls = C_STRING;
      return true;
    case tag::LIST_EXT:
      if (p + 5 > end) return false;
      h->count = Be32(b, p + 1);
      h->next = p + 5;
      h->cls = C_LIST;
      return true;
    case tag::MAP_EXT:
      if (p + 5 > end) return false;
      h->count = Be32(b, p + 1);
      h->next = p + 5;
      h->cls = C_MAP;
      return true;
    case tag::EXPORT_EXT:
      h->next = p + 1;
      h->cls = C_EXPORT;
      return true;
    case tag::NEW_FUN_EXT: {
      if (p + 5 > end) return false;
      const int64_t size = Be32(b, p + 1);
      if (size < 4) return false;
      h->data = p;
      h->length = 1 + size;
      h->next = p + 1 + size;
      if (h->next > end) return false;
      h->cls = C_FUN;
      return true;
    }
    case tag::NEW_PID_EXT:
    case tag::PID_EXT: {
      const int64_t q = ReadNodeAtom(b, p + 1, end, h);
      const int64_t size = t == tag::NEW_PID_EXT ? 12 : 9;
      if (q < 0 || q + size > end) return false;
      h->n1 = Be32(b, q);
      h->n2 = Be32(b, q + 4);
      h->n3 = t == tag::NEW_PID_EXT ? Be32(b, q + 8) : b[q + 8];
      h->next = q + size;
      h->cls = C_PID;
      return true;
    }
    case tag::NEW_PORT_EXT:
    case tag::V4_PORT_EXT:
    case tag::PORT_EXT: {
      const int64_t q = ReadNodeAtom(b, p + 1, end, h);
      const int64_t size = t == tag::V4_PORT_EXT ? 12 : (t == tag::NEW_PORT_EXT ? 8 : 5);
      if (q < 0 || q + size > end) return false;
      if (t == tag::V4_PORT_EXT) {
        h->n1 = Be32(b, q);
        h->n2 = Be32(b, q + 4);
        h->n3 = Be32(b, q + 8);
      } else {
        h->n1 = 0;
        h->n2 = Be32(b, q);
        h->n3 = t == tag::NEW_PORT_EXT ? Be32(b, q + 4) : b[q + 4];
      }
      h->next = q + size;
      h->cls = C_PORT;
      return true;
    }
    case tag::NEWER_REFERENCE_EXT:
    case tag::NEW_REFERENCE_EXT:
    case tag::REFERENCE_EXT: {
      int64_t words = 1;
      int64_t q;
      if (t == tag::REFERENCE_EXT) {
        q = ReadNodeAtom(b, p + 1, end, h);
        if (q < 0 || q + 5 > end) return false;
        h->big = q;
        h->n3 = b[q + 4];
        h->next = q + 5;
      } else {
        if (p + 3 > end) return false;
        words = Be16(b, p + 1);
        q = ReadNodeAtom(b, p + 3, end, h);
        if (q < 0) return false;
        const int64_t creation = t == tag::NEWER_REFERENCE_EXT ? 4 : 1;
        if (q + creation + 4 * words > end) return false;
        h->n3 = t == tag::NEWER_REFERENCE_EXT ? Be32(b, q) : b[q];
        h->big = q + creation;
        h->next = h->big + 4 * words;
      }
      h->big_len = words;
      h->cls = C_REF;
      return true;
    }
    default:
      return false;
  }
}

bool BytesEqual(const uint8_t* a, int64_t ap, const uint8_t* b, int64_t bp, int64_t length) {
  for (int64_t i = 0; i < length; i++)
    if (a[ap + i] != b[bp + i]) return false;
  return true;
}

bool AllAscii(const uint8_t* b, int64_t p, int64_t length) {
  for (int64_t i = 0; i < length; i++)
    if (b[p + i] >= 0x80) return false;
  return true;
}

int CompareNames(const uint8_t* a, const TermHeader& ha, const uint8_t* b, const TermHeader& hb) {
  if (ha.latin1 != hb.latin1 && !(AllAscii(a, ha.data, ha.length) && AllAscii(b, hb.data, hb.length))) return kUnknown;
  return ha.length == hb.length && BytesEqual(a, ha.data, b, hb.data, ha.length) ? kEqual : kNotEqual;
}

bool CompareIntegers(const uint8_t* a, const TermHeader& ha, const uint8_t* b, const TermHeader& hb) {
  if (ha.big < 0 && hb.big < 0) return ha.small == hb.small;
  if (ha.big >= 0 && hb.big >= 0) {
    return ha.sign == hb.sign && ha.big_len == hb.big_len && BytesEqual(a, ha.big, b, hb.big, ha.big_len);
  }
  const TermHeader& small = ha.big < 0 ? ha : hb;
  const TermHeader& big = ha.big < 0 ? hb : ha;
  const uint8_t* big_bytes = ha.big < 0 ? b : a;
  if (big.big_len > 4) return false;
  int64_t magnitude = 0;
  for (int64_t i = big.big_len - 1; i >= 0; i--) magnitude = magnitude * 256 + big_bytes[big.big + i];
  return (big.sign == 1 ? -magnitude : magnitude) == small.small;
}

bool IsZeroFloat(const uint8_t* b, int64_t p) {
  if ((b[p] & 0x7f) != 0) return false;
  for (int i = 1; i < 8; i++)
    if (b[p + i] != 0) return false;
  return true;
}

bool CompareRefIds(const uint8_t* a, const TermHeader& ha, const uint8_t* b, const TermHeader& hb) {
  const int64_t words = std::max(ha.big_len, hb.big_len);
  for (int64_t i = 0; i < words; i++) {
    const uint32_t wa = i < ha.big_len ? Be32(a, ha.big + 4 * i) : 0;
    const uint32_t wb = i < hb.big_len ? Be32(b, hb.big + 4 * i) : 0;
    if (wa != wb) return false;
  }
  return true;
}

// See compareEncoded in JS. On kEqual, *end_b is the offset after term B.
int CompareEncoded(const uint8_t* a, int64_t ap, int64_t a_end, const uint8_t* b, int64_t bp, int64_t b_end,
                   int64_t* end_b) {
  int64_t pending = 1;
  bool unordered = false;
  TermHeader ha, hb;
  while (pending > 0) {
    pending--;
    if (!ReadHeader(a, ap, a_end, &ha) || !ReadHeader(b, bp, b_end, &hb)) return kBad;
    int same = kEqual;
    if (ha.cls != hb.cls) {
      const bool list_a = ha.cls == C_NIL || ha.cls == C_LIST || ha.cls == C_STRING;
      const bool list_b = hb.cls == C_NIL || hb.cls == C_LIST || hb.cls == C_STRING;
      if (list_a && list_b) return kUnknown;
      if ((ha.cls == C_FLOAT && hb.cls == C_OLD_FLOAT) || (ha.cls == C_OLD_FLOAT && hb.cls == C_FLOAT)) return kUnknown;
      same = kNotEqual;
    } else {
      switch (ha.cls) {
        case C_INT:
          if (!CompareIntegers(a, ha, b, hb)) same = kNotEqual;
          break;
        case C_FLOAT:
          if (!BytesEqual(a, ha.data, b, hb.data, 8) && !(IsZeroFloat(a, ha.data) && IsZeroFloat(b, hb.data)))
            same = kNotEqual;
          break;
        case C_OLD_FLOAT:
        case C_FUN:
          if (ha.length != hb.length || !BytesEqual(a, ha.data, b, hb.data, ha.length)) return kUnknown;
          break;
        case C_ATOM:
          same = CompareNames(a, ha, b, hb);
          break;
        case C_BINARY:
        case C_STRING:
          if (ha.length != hb.length || !BytesEqual(a, ha.data, b, hb.data, ha.length)) same = kNotEqual;
          break;
        case C_BITS:
          if (ha.bits != hb.bits || ha.length != hb.length || !BytesEqual(a, ha.data, b, hb.data, ha.length))
            same = kNotEqual;
          break;
        case C_TUPLE:
          if (ha.count != hb.count) same = kNotEqual;
          else pending += ha.count;
          break;
        case C_NIL:
          break;
        case C_LIST:
          if (ha.count != hb.count) return kUnknown;
          pending += ha.count + 1;
          break;
        case C_MAP:
          if (ha.count != hb.count) {
            same = kNotEqual;
          } else {
            if (ha.count > kFlatmapMaxKeys) unordered = true;
            pending += 2 * ha.count;
          }
          break;
        case C_EXPORT:
          pending += 3;
          break;
        case C_PID:
        case C_PORT:
          same = CompareNames(a, ha, b, hb);
          if (same == kEqual && (ha.n1 != hb.n1 || ha.n2 != hb.n2 || ha.n3 != hb.n3)) same = kNotEqual;
          break;
        case C_REF:
          same = CompareNames(a, ha, b, hb);
          if (same == kEqual && (ha.n3 != hb.n3 || !CompareRefIds(a, ha, b, hb))) same = kNotEqual;
          break;
        default:
          return kBad;
      }
    }
    if (same != kEqual) return (same == kNotEqual && unordered) ? kUnknown : same;
    if (pending > a_end - ha.next || pending > b_end - hb.next) return kBad;
    ap = ha.next;
    bp = hb.next;
  }
  *end_b = bp;
  return kEqual;
}

bool IntegerIs(const uint8_t* b, const TermHeader& h, int value) {
  if (h.cls != C_INT) return false;
  if (h.big < 0) return h.small == value;
  if (h.sign == 1 || h.big_len > 1) return false;
  return (h.big_len == 0 ? 0 : b[h.big]) == value;
}

int CompareSpans(const uint8_t* m, int32_t kind_a, int64_t a0, int64_t a1, int32_t kind_b, int64_t b0, int64_t b1) {
  using namespace capture_kind;
  if (kind_a == TERM && kind_b == TERM) {
    if (a1 - a0 == b1 - b0 && BytesEqual(m, a0, m, b0, a1 - a0)) return kEqual;
    int64_t ignored;
    return CompareEncoded(m, a0, a1, m, b0, b1, &ignored);
  }
  if (kind_a == BYTE && kind_b == BYTE) return m[a0] == m[b0] ? kEqual : kNotEqual;
  if ((kind_a == BYTE && kind_b == TERM) || (kind_a == TERM && kind_b == BYTE)) {
    const int64_t byte_at = kind_a == BYTE ? a0 : b0;
    const int64_t term_at = kind_a == BYTE ? b0 : a0;
    const int64_t term_end = kind_a == BYTE ? b1 : a1;
    TermHeader h;
    if (!ReadHeader(m, term_at, term_end, &h)) return kBad;
    return IntegerIs(m, h, m[byte_at]) ? kEqual : kNotEqual;
  }
  if (kind_a == STRING_REST && kind_b == STRING_REST) {
    return a1 - a0 == b1 - b0 && BytesEqual(m, a0, m, b0, a1 - a0) ? kEqual : kNotEqual;
  }
  if (kind_a == kind_b && a1 - a0 == b1 - b0 && BytesEqual(m, a0, m, b0, a1 - a0)) return kEqual;
  return kUnknown;
}

// ---------------------------------------------------------------------------------
// The validator

std::string Format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string Format(const char* fmt, ...) {
  char buffer[512];
  va_list args;
  va_start(args, fmt);
  vsnprintf(buffer, sizeof buffer, fmt, args);
  va_end(args);
  return buffer;
}

bool Malformed(Error* error, const std::string& what, int64_t at) {
  error->code = "BEAMJS_ERR_BAD_PATTERN";
  error->message = "match program is malformed: " + what + Format(" (at byte %lld)", static_cast<long long>(at));
  return false;
}

}  // namespace

bool ValidateProgram(const uint8_t* program, int64_t length, ProgramInfo* info, Error* error) {
  if (length < kHeaderSize) return Malformed(error, Format("shorter than its %d-byte header", kHeaderSize), 0);
  if (program[0] != 0x42 || program[1] != 0x4a || program[2] != 0x4d || program[3] != 0x50)
    return Malformed(error, "bad magic (expected \"BJMP\")", 0);
  if (program[kHeaderVersion] != kProgramVersion)
    return Malformed(error, Format("unsupported version %d", program[kHeaderVersion]), kHeaderVersion);
  const uint32_t slots = Le16(program, kHeaderSlots);
  const uint32_t registers = Le16(program, kHeaderRegisters);
  const uint32_t max_depth = Le16(program, kHeaderMaxDepth);
  const int64_t code_length = Le32(program, kHeaderCodeLength);
  const int64_t code_start = kHeaderSize;
  if (code_length == 0 || code_length > length - code_start) {
    return Malformed(error,
                     Format("code length %lld does not fit the program (%lld bytes)", static_cast<long long>(code_length),
                            static_cast<long long>(length)),
                     kHeaderCodeLength);
  }
  const int64_t code_end = code_start + code_length;
  const int64_t pool_start = code_end;
  const int64_t pool_length = length - pool_start;
  std::vector<uint8_t> starts(static_cast<size_t>(code_length), 0);
  int64_t pc = 0;
  uint8_t last = 0;
  while (pc < code_length) {
    const int64_t at = code_start + pc;
    const uint8_t o = program[at];
    const int size = OpSize(o);
    if (size == 0) return Malformed(error, Format("unknown opcode 0x%02x", o), at);
    int64_t len = size;
    if (o == op::ALT) {
      if (pc + 5 > code_length) return Malformed(error, "truncated instruction", at);
      const int64_t n = Le16(program, at + 3);
      if (n == 0) return Malformed(error, "ALT with no alternatives", at);
      len = 5 + 4 * n;
    }
    if (pc + len > code_length) return Malformed(error, "truncated instruction", at);
    starts[static_cast<size_t>(pc)] = 1;
    last = o;
    pc += len;
  }
  if (last != op::MATCH && last != op::FAIL && last != op::NEEDS_JS && last != op::JUMP && last != op::ALT_END)
    return Malformed(error, "the last instruction falls through the end of the code", code_start + code_length - 1);

  auto target = [&](int64_t from, int64_t value, int64_t at) {
    if (value <= from || value >= code_length || starts[static_cast<size_t>(value)] != 1)
      return Malformed(error, Format("bad jump target %lld", static_cast<long long>(value)), at);
    return true;
  };
  auto reg = [&](uint32_t value, int64_t at) {
    if (value >= registers) return Malformed(error, Format("register %u out of range (%u registers)", value, registers), at);
    return true;
  };
  auto literal = [&](int64_t offset, int64_t len, int64_t at) {
    if (len == 0 || offset > pool_length || len > pool_length - offset)
      return Malformed(error,
                       Format("literal (%lld, %lld) outside the pool (%lld bytes)", static_cast<long long>(offset),
                              static_cast<long long>(len), static_cast<long long>(pool_length)),
                       at);
    if (SkipTerms(program, pool_start + offset, pool_start + offset + len, 1) != pool_start + offset + len)
      return Malformed(error,
                       Format("literal (%lld, %lld) is not one well-formed term", static_cast<long long>(offset),
                              static_cast<long long>(len)),
                       at);
    return true;
  };
  auto slot_ok = [&](uint32_t slot, int64_t at) {
    if (slot >= slots) return Malformed(error, Format("capture slot %u out of range (%u slots)", slot, slots), at);
    return true;
  };

  pc = 0;
  while (pc < code_length) {
    const int64_t at = code_start + pc;
    const uint8_t o = program[at];
    int64_t len = OpSize(o);
    switch (o) {
      case op::LITERAL:
        if (!literal(Le32(program, at + 1), Le32(program, at + 5), at)) return false;
        break;
      case op::TYPE: {
        const uint8_t code = program[at + 1];
        if (code < type_code::INTEGER || code > type_code::BOOLEAN)
          return Malformed(error, Format("unknown type test %d", code), at);
        break;
      }
      case op::LIST: case op::REST_SKIP: case op::REST_IS_LIST: case op::MAP: case op::MAP_END:
      case op::CAPTURE_BEGIN: case op::CAPTURE_BEGIN_BYTE:
        if (!reg(Le16(program, at + 1), at)) return false;
        break;
      case op::REST_LIST:
        if (!reg(Le16(program, at + 1), at)) return false;
        if (!target(pc, Le32(program, at + 7), at)) return false;
        break;
      case op::REST_TERM:
        if (!reg(Le16(program, at + 1), at)) return false;
        if (program[at + 3] > 1) return Malformed(error, Format("bad flag %d", program[at + 3]), at);
        if (!target(pc, Le32(program, at + 4), at)) return false;
        break;
      case op::MAP_GET:
        if (!reg(Le16(program, at + 1), at)) return false;
        if (!literal(Le32(program, at + 3), Le32(program, at + 7), at)) return false;
        break;
      case op::CAPTURE_BEGIN_REST:
        if (!reg(Le16(program, at + 1), at)) return false;
        if (!reg(Le16(program, at + 3), at)) return false;
        break;
      case op::CAPTURE_END:
        if (!slot_ok(Le16(program, at + 1), at)) return false;
        if (!reg(Le16(program, at + 3), at)) return false;
        break;
      case op::CAPTURE_ANY:
        if (!slot_ok(Le16(program, at + 1), at)) return false;
        break;
      case op::ALT: {
        const uint32_t saved = Le16(program, at + 1);
        if (saved != kNoRegister && !reg(saved, at)) return false;
        const int64_t n = Le16(program, at + 3);
        if (max_depth == 0) return Malformed(error, "ALT in a program whose maximum nesting is 0", at);
        for (int64_t i = 0; i < n; i++)
          if (!target(pc, Le32(program, at + 5 + 4 * i), at)) return false;
        len = 5 + 4 * n;
        break;
      }
      case op::ALT_END:
      case op::JUMP:
        if (!target(pc, Le32(program, at + 1), at)) return false;
        break;
      default:
        break;
    }
    pc += len;
  }
  info->slots = slots;
  info->registers = registers;
  info->max_depth = max_depth;
  info->code_start = code_start;
  info->code_end = code_end;
  return true;
}

void Scratch::Ensure(const ProgramInfo& info) {
  if (regs.size() < 3 * size_t(info.registers)) regs.resize(3 * size_t(info.registers));
  if (trail.size() < size_t(info.slots)) trail.resize(info.slots);
  if (cp_pc.size() < size_t(info.max_depth)) {
    const size_t n = info.max_depth;
    cp_pc.resize(n);
    cp_index.resize(n);
    cp_pos.resize(n);
    cp_trail.resize(n);
    cp_guard.resize(n);
    cp_regs.resize(3 * n);
  }
}

// ---------------------------------------------------------------------------------
// The interpreter

int Run(const uint8_t* program, const ProgramInfo& info, const uint8_t* m, int64_t start, int64_t end,
        int32_t* captures, Scratch* scratch, Error* error) {
  using namespace capture_kind;
  scratch->Ensure(info);
  int32_t* regs = scratch->regs.data();
  int32_t* trail = scratch->trail.data();
  int32_t* cp_pc = scratch->cp_pc.data();
  int32_t* cp_index = scratch->cp_index.data();
  int32_t* cp_pos = scratch->cp_pos.data();
  int32_t* cp_trail = scratch->cp_trail.data();
  uint8_t* cp_guard = scratch->cp_guard.data();
  int32_t* cp_regs = scratch->cp_regs.data();

  const int64_t cs = info.code_start;
  const int64_t code_length = info.code_end - cs;
  const int64_t pool_start = info.code_end;
  for (int64_t i = 0; i < kCaptureWords * int64_t(info.slots); i++) captures[i] = 0;
  // Registers start at zero (see the twin): no state leaks from an earlier run.
  std::fill(regs, regs + 3 * int64_t(info.registers), 0);
  int64_t pos = start;
  if (pos < end && m[pos] == tag::VERSION) pos++;
  int64_t pc = 0;
  uint32_t depth = 0;
  int64_t trail_length = 0;
  bool guard_pending = false;
  int64_t steps = 0;
  bool failed = false;
  for (;;) {
    if (failed) {
      failed = false;
      bool resumed = false;
      while (depth > 0) {
        const uint32_t top = depth - 1;
        pos = cp_pos[top];
        guard_pending = cp_guard[top] == 1;
        while (trail_length > cp_trail[top]) captures[kCaptureWords * trail[--trail_length]] = UNBOUND;
        const int64_t alt_at = cs + cp_pc[top];
        const uint32_t saved = Le16(program, alt_at + 1);
        if (saved != kNoRegister) {
          regs[3 * saved] = cp_regs[3 * top];
          regs[3 * saved + 1] = cp_regs[3 * top + 1];
          regs[3 * saved + 2] = cp_regs[3 * top + 2];
        }
        const int32_t next = cp_index[top] + 1;
        if (uint32_t(next) < Le16(program, alt_at + 3)) {
          cp_index[top] = next;
          pc = Le32(program, alt_at + 5 + 4 * int64_t(next));
          resumed = true;
          break;
        }
        depth--;
      }
      if (!resumed) return kNoMatch;
    }
    if (++steps > code_length) {
      Malformed(error, "it runs more instructions than it has bytes (a loop)", cs + pc);
      return kMalformed;
    }
    const int64_t at = cs + pc;
    const uint8_t o = program[at];
    switch (o) {
      case op::MATCH:
        if (pos != end) {
          failed = true;
          break;
        }
        return guard_pending ? kMatchNeedsGuard : kMatch;
      case op::FAIL:
        failed = true;
        break;
      case op::SKIP:
        pos = SkipTerms(m, pos, end, 1);
        if (pos < 0) failed = true;
        pc += 1;
        break;
      case op::LITERAL: {
        const int64_t offset = pool_start + Le32(program, at + 1);
        int64_t after = 0;
        const int result = CompareEncoded(program, offset, offset + Le32(program, at + 5), m, pos, end, &after);
        if (result == kUnknown) return kMatchNeedsGuard;
        if (result != kEqual) failed = true;
        else pos = after;
        pc += 9;
        break;
      }
      case op::TYPE:
        if (!TypeTest(program[at + 1], m, pos, end)) {
          failed = true;
        } else {
          pos = SkipTerms(m, pos, end, 1);
          if (pos < 0) failed = true;
        }
        pc += 2;
        break;
      case op::TUPLE_OF:
      case op::TUPLE: {
        const int64_t arity = Le32(program, at + 1);
        int64_t actual = -1;
        int64_t next = 0;
        if (pos < end && m[pos] == tag::SMALL_TUPLE_EXT && pos + 2 <= end) {
          actual = m[pos + 1];
          next = pos + 2;
        } else if (pos < end && m[pos] == tag::LARGE_TUPLE_EXT && pos + 5 <= end) {
          actual = Be32(m, pos + 1);
          next = pos + 5;
        }
        if (actual != arity) {
          failed = true;
        } else if (o == op::TUPLE) {
          pos = next;
        } else {
          pos = SkipTerms(m, pos, end, 1);
          if (pos < 0) failed = true;
        }
        pc += 5;
        break;
      }
      case op::LIST: {
        const int64_t r = 3 * int64_t(Le16(program, at + 1));
        const int t = pos < end ? m[pos] : -1;
        if (t == tag::NIL_EXT) {
          regs[r] = 0;
          regs[r + 1] = kListKind;
        } else if (t == tag::LIST_EXT && pos + 5 <= end && int64_t(Be32(m, pos + 1)) <= end - pos - 5) {
          regs[r] = int32_t(Be32(m, pos + 1));
          regs[r + 1] = kListKind;
          pos += 5;
        } else if (t == tag::STRING_EXT && pos + 3 <= end && int64_t(Be16(m, pos + 1)) <= end - pos - 3) {
          regs[r] = int32_t(Be16(m, pos + 1));
          regs[r + 1] = kStringKind;
          pos += 3;
        } else {
          failed = true;
        }
        pc += 3;
        break;
      }
      case op::REST_LIST: {
        const int64_t r = 3 * int64_t(Le16(program, at + 1));
        const int64_t need = Le32(program, at + 3);
        const int64_t remaining = regs[r];
        if (remaining >= need) {
          regs[r] = int32_t(remaining - need);
          pc = regs[r + 1] == kStringKind ? int64_t(Le32(program, at + 7)) : pc + 11;
          break;
        }
        if (regs[r + 1] == kListKind) {
          const int64_t tail = SkipTerms(m, pos, end, remaining);
          if (tail >= 0 && tail < end && (m[tail] == tag::LIST_EXT || m[tail] == tag::STRING_EXT)) return kMatchNeedsGuard;
        }
        failed = true;
        break;
      }
      case op::REST_SKIP: {
        const int64_t r = 3 * int64_t(Le16(program, at + 1));
        if (regs[r + 1] == kStringKind) {
          pos += regs[r];
          if (pos > end) failed = true;
        } else {
          pos = SkipTerms(m, pos, end, int64_t(regs[r]) + 1);
          if (pos < 0) failed = true;
        }
        regs[r] = 0;
        pc += 3;
        break;
      }
      case op::REST_TERM: {
        const int64_t r = 3 * int64_t(Le16(program, at + 1));
        if (regs[r] > 0) {
          failed = true;
        } else if (regs[r + 1] == kStringKind) {
          if (program[at + 3] == 1) pc = Le32(program, at + 4);
          else failed = true;
        } else {
          pc += 8;
        }
        break;
      }
      case op::REST_IS_LIST: {
        const int64_t r = 3 * int64_t(Le16(program, at + 1));
        if (regs[r + 1] == kStringKind) {
          pos += regs[r];
          if (pos > end) failed = true;
        } else if (regs[r] > 0) {
          pos = SkipTerms(m, pos, end, int64_t(regs[r]) + 1);
          if (pos < 0) failed = true;
        } else if (!TypeTest(type_code::LIST, m, pos, end)) {
          failed = true;
        } else {
          pos = SkipTerms(m, pos, end, 1);
          if (pos < 0) failed = true;
        }
        regs[r] = 0;
        pc += 3;
        break;
      }
      case op::MAP: {
        const int64_t r = 3 * int64_t(Le16(program, at + 1));
        int64_t p = pos;
        if (p + 2 < end && m[p] == tag::JS_EXT && m[p + 1] == js::MAP) p += 2;
        const int64_t map_end = (p < end && m[p] == tag::MAP_EXT) ? SkipTerms(m, pos, end, 1) : -1;
        if (map_end < 0) {
          failed = true;
        } else {
          regs[r] = int32_t(p + 5);
          regs[r + 1] = int32_t(Be32(m, p + 1));
          regs[r + 2] = int32_t(map_end);
        }
        pc += 3;
        break;
      }
      case op::MAP_GET: {
        const int64_t r = 3 * int64_t(Le16(program, at + 1));
        const int64_t offset = pool_start + Le32(program, at + 3);
        const int64_t literal_end = offset + Le32(program, at + 7);
        const int64_t map_end = regs[r + 2];
        int64_t p = regs[r];
        int64_t found = -1;
        bool unknown = false;
        for (int64_t i = regs[r + 1]; i > 0; i--) {
          int64_t after = 0;
          const int result = CompareEncoded(program, offset, literal_end, m, p, map_end, &after);
          if (result == kEqual) {
            found = after;
            break;
          }
          if (result == kUnknown) unknown = true;
          p = SkipTerms(m, p, map_end, 2);
          if (p < 0) break;
        }
        if (found >= 0) pos = found;
        else if (unknown) return kMatchNeedsGuard;
        else failed = true;
        pc += 11;
        break;
      }
      case op::MAP_END:
        pos = regs[3 * int64_t(Le16(program, at + 1)) + 2];
        pc += 3;
        break;
      case op::CAPTURE_BEGIN:
      case op::CAPTURE_BEGIN_BYTE: {
        const int64_t r = 3 * int64_t(Le16(program, at + 1));
        regs[r] = int32_t(pos);
        regs[r + 1] = o == op::CAPTURE_BEGIN ? TERM : BYTE;
        pc += 3;
        break;
      }
      case op::CAPTURE_BEGIN_REST: {
        const int64_t r = 3 * int64_t(Le16(program, at + 1));
        const int64_t l = 3 * int64_t(Le16(program, at + 3));
        regs[r] = int32_t(pos);
        regs[r + 1] = regs[l + 1] == kStringKind ? STRING_REST : (regs[l] > 0 ? LIST_REST : TERM);
        pc += 5;
        break;
      }
      case op::CAPTURE_END:
      case op::CAPTURE_ANY: {
        const uint32_t slot = Le16(program, at + 1);
        int32_t kind;
        int64_t from;
        if (o == op::CAPTURE_END) {
          const int64_t r = 3 * int64_t(Le16(program, at + 3));
          from = regs[r];
          kind = regs[r + 1];
          pc += 5;
        } else {
          from = pos;
          kind = TERM;
          pos = SkipTerms(m, pos, end, 1);
          pc += 3;
          if (pos < 0) {
            failed = true;
            break;
          }
        }
        const int64_t c = kCaptureWords * int64_t(slot);
        if (captures[c] == UNBOUND) {
          captures[c] = kind;
          captures[c + 1] = int32_t(from);
          captures[c + 2] = int32_t(pos);
          trail[trail_length++] = int32_t(slot);
        } else {
          const int result = CompareSpans(m, captures[c], captures[c + 1], captures[c + 2], kind, from, pos);
          if (result == kUnknown) return kMatchNeedsGuard;
          if (result != kEqual) failed = true;
        }
        break;
      }
      case op::BYTE_EQ:
        if (pos < end && m[pos] == program[at + 1]) pos++;
        else failed = true;
        pc += 2;
        break;
      case op::BYTE_SKIP:
        if (pos < end) pos++;
        else failed = true;
        pc += 1;
        break;
      case op::ALT: {
        if (depth >= info.max_depth) {
          Malformed(error, "alternatives nest deeper than the header says", at);
          return kMalformed;
        }
        const uint32_t saved = Le16(program, at + 1);
        cp_pc[depth] = int32_t(pc);
        cp_index[depth] = 0;
        cp_pos[depth] = int32_t(pos);
        cp_trail[depth] = int32_t(trail_length);
        cp_guard[depth] = guard_pending ? 1 : 0;
        if (saved != kNoRegister) {
          cp_regs[3 * depth] = regs[3 * saved];
          cp_regs[3 * depth + 1] = regs[3 * saved + 1];
          cp_regs[3 * depth + 2] = regs[3 * saved + 2];
        }
        depth++;
        pc = Le32(program, at + 5);
        break;
      }
      case op::ALT_END:
        if (depth == 0) {
          Malformed(error, "ALT_END outside an alternative", at);
          return kMalformed;
        }
        depth--;
        pc = Le32(program, at + 1);
        break;
      case op::GUARD_MARK:
        guard_pending = true;
        pc += 1;
        break;
      case op::NEEDS_JS:
        return kMatchNeedsGuard;
      case op::JUMP:
        pc = Le32(program, at + 1);
        break;
      default:
        Malformed(error, Format("unknown opcode 0x%02x", o), at);
        return kMalformed;
    }
  }
}

}  // namespace beamjs
