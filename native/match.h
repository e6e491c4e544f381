// native/match.h: the match-program runner in C++, the native twin of
// src/term/match_interpreter.ts (read that file's header and src/term/match_program.ts
// for the instruction set, the program layout, the capture spans and the results).
//
// This is a line-by-line port: the same checks in the same order, the same results,
// the same error messages. A change to one side is a change to both, and the parity
// suite (test/native/matcher_parity.test.ts) runs one randomized suite on each.
//
// Threads: every function here may be called from any thread, and from several threads
// at once: all scratch state lives in a `Scratch` owned by the caller (the N-API layer
// keeps one per thread). The message bytes may be a view of a SharedArrayBuffer: the
// caller promises that [start, end) does not change during the call; if it does, the
// result is unspecified but every read stays inside [start, end).
//
// Ownership: nothing here allocates memory that outlives a call, except the scratch
// vectors, which grow to the largest program seen and are reused.
//
// Bad input: corrupt or truncated message bytes make a match fail (NO_MATCH), never
// read outside [start, end), never loop. A malformed program is reported through
// `Error` (code BAD_PATTERN) with the same message the JS twin throws.
#ifndef BEAMJS_NATIVE_MATCH_H_
#define BEAMJS_NATIVE_MATCH_H_

#include <cstdint>
#include <string>
#include <vector>

namespace beamjs {

// Results of Run (match_program.ts: NO_MATCH, MATCH, MATCH_NEEDS_GUARD).
constexpr int kNoMatch = 0;
constexpr int kMatch = 1;
constexpr int kMatchNeedsGuard = 2;
// Internal: the program is malformed (the message is in Error).
constexpr int kMalformed = -1;

// An error to throw in JS: `code` is a BeamError code string.
struct Error {
  std::string code;
  std::string message;
};

// Header fields of a validated program.
struct ProgramInfo {
  uint32_t slots = 0;
  uint32_t registers = 0;
  uint32_t max_depth = 0;
  int64_t code_start = 0;
  int64_t code_end = 0;
};

// Per-thread scratch space for Run.
struct Scratch {
  std::vector<int32_t> regs;
  std::vector<int32_t> trail;
  std::vector<int32_t> cp_pc, cp_index, cp_pos, cp_trail, cp_regs;
  std::vector<uint8_t> cp_guard;
  void Ensure(const ProgramInfo& info);
};

// Validates a program (match_program.ts, "Validity"). On failure fills `error` and
// returns false. Thread-safe (pure).
bool ValidateProgram(const uint8_t* program, int64_t length, ProgramInfo* info, Error* error);

// Runs a validated program over message[start, end). `captures` has at least
// 3 × info.slots elements. Returns kNoMatch, kMatch, kMatchNeedsGuard, or kMalformed
// (with `error` filled). Thread-safe with a scratch per thread.
int Run(const uint8_t* program, const ProgramInfo& info, const uint8_t* message, int64_t start, int64_t end,
        int32_t* captures, Scratch* scratch, Error* error);

// Skips `count` terms at p; returns the offset after them or -1 (see skipTerms in JS).
int64_t SkipTerms(const uint8_t* b, int64_t p, int64_t end, int64_t count);

}  // namespace beamjs

#endif  // BEAMJS_NATIVE_MATCH_H_
