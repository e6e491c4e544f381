// native/addon.cc: the N-API surface of the beamjs native addon (target
// `beamjs_native`, loaded only through src/native/index.ts).
//
// Exports, with exactly the signatures of the JS twin (src/term/match_interpreter.ts):
//   runProgram(program: Uint8Array, message: Uint8Array, start, end, captures: Int32Array): number
//   scanMailbox(program, buffer: Uint8Array, offsets: Int32Array, count, fromIndex, captures): number
//
// Threads: both functions run on the calling JS thread (a scheduler's own worker
// thread) and block it for the duration of the call; they take no locks and call no JS.
// Each thread that loads the addon gets its own scratch space (thread_local), so the
// addon may be loaded in several worker threads at once (it is context-aware, as every
// N-API addon is). Typed arrays may be views of a SharedArrayBuffer: the caller
// guarantees that the message bytes being scanned are not written during the call
// (a mailbox buffer region is complete before its offsets are published).
//
// Bad input: the wrapper in src/native/index.ts checks argument types and ranges in JS
// first (so those errors are the twin's, word for word); the checks below are a second
// line so that a direct call can never crash the process. A malformed program throws an
// Error whose `code` is BEAMJS_ERR_BAD_PATTERN with the twin's message; the wrapper
// turns it into a BeamError.
#include <napi.h>

#include <cmath>
#include <string>

#include "match.h"

namespace {

thread_local beamjs::Scratch scratch;

const char kInvalidArgument[] = "BEAMJS_ERR_INVALID_ARGUMENT";

Napi::Value Throw(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.ThrowAsJavaScriptException();
  return env.Undefined();
}

// The data pointer and element count of a typed array of `type` (a SharedArrayBuffer
// view too: napi_get_typedarray_info does not care what backs the view).
template <typename T>
bool GetTypedArray(const Napi::Value& value, napi_typedarray_type type, T** data, int64_t* length) {
  if (!value.IsTypedArray()) return false;
  napi_typedarray_type actual;
  size_t element_length = 0;
  size_t byte_offset = 0;
  void* base = nullptr;
  napi_value array_buffer;
  if (napi_get_typedarray_info(value.Env(), value, &actual, &element_length, &base, &array_buffer, &byte_offset) !=
      napi_ok)
    return false;
  if (actual != type) return false;
  if (base == nullptr && element_length != 0) return false;
  *data = static_cast<T*>(base);  // already points at the view's first element
  *length = static_cast<int64_t>(element_length);
  return true;
}

bool GetIndex(const Napi::Value& value, int64_t* out) {
  if (!value.IsNumber()) return false;
  const double d = value.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 9007199254740991.0 || std::floor(d) != d) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

std::string CapturesTooShort(const beamjs::ProgramInfo& info, int64_t length) {
  return "captures must have at least " + std::to_string(3 * int64_t(info.slots)) +
         " elements (3 per capture slot); received an Int32Array of " + std::to_string(length);
}

// runProgram(program, message, start, end, captures). Runs on the calling thread.
Napi::Value RunProgram(const Napi::CallbackInfo& args) {
  Napi::Env env = args.Env();
  const uint8_t* program = nullptr;
  const uint8_t* message = nullptr;
  int32_t* captures = nullptr;
  int64_t program_length = 0, message_length = 0, captures_length = 0, start = 0, end = 0;
  uint8_t* program_mut = nullptr;
  uint8_t* message_mut = nullptr;
  if (args.Length() < 5 || !GetTypedArray(args[0], napi_uint8_array, &program_mut, &program_length))
    return Throw(env, kInvalidArgument, "program must be a Uint8Array (a match program)");
  if (!GetTypedArray(args[1], napi_uint8_array, &message_mut, &message_length))
    return Throw(env, kInvalidArgument, "message must be a Uint8Array");
  program = program_mut;
  message = message_mut;
  if (!GetIndex(args[2], &start) || !GetIndex(args[3], &end) || start > end || end > message_length)
    return Throw(env, kInvalidArgument, "start and end must be integers with 0 <= start <= end <= message.length");
  if (!GetTypedArray(args[4], napi_int32_array, &captures, &captures_length))
    return Throw(env, kInvalidArgument, "captures must be an Int32Array (3 elements per capture slot)");
  beamjs::ProgramInfo info;
  beamjs::Error error;
  if (!beamjs::ValidateProgram(program, program_length, &info, &error)) return Throw(env, error.code, error.message);
  if (captures_length < 3 * int64_t(info.slots)) return Throw(env, kInvalidArgument, CapturesTooShort(info, captures_length));
  const int result = beamjs::Run(program, info, message, start, end, captures, &scratch, &error);
  if (result == beamjs::kMalformed) return Throw(env, error.code, error.message);
  return Napi::Number::New(env, result);
}

// scanMailbox(program, buffer, offsets, count, fromIndex, captures). Runs on the calling thread.
Napi::Value ScanMailbox(const Napi::CallbackInfo& args) {
  Napi::Env env = args.Env();
  uint8_t* program = nullptr;
  uint8_t* buffer = nullptr;
  int32_t* offsets = nullptr;
  int32_t* captures = nullptr;
  int64_t program_length = 0, buffer_length = 0, offsets_length = 0, captures_length = 0, count = 0, from = 0;
  if (args.Length() < 6 || !GetTypedArray(args[0], napi_uint8_array, &program, &program_length))
    return Throw(env, kInvalidArgument, "program must be a Uint8Array (a match program)");
  if (!GetTypedArray(args[1], napi_uint8_array, &buffer, &buffer_length))
    return Throw(env, kInvalidArgument, "buffer must be a Uint8Array");
  if (!GetTypedArray(args[2], napi_int32_array, &offsets, &offsets_length))
    return Throw(env, kInvalidArgument, "offsets must be an Int32Array of (start, end) pairs");
  if (!GetIndex(args[3], &count) || 2 * count > offsets_length)
    return Throw(env, kInvalidArgument, "count must be an integer with 0 <= count <= offsets.length / 2");
  if (!GetIndex(args[4], &from) || from > count)
    return Throw(env, kInvalidArgument, "fromIndex must be an integer with 0 <= fromIndex <= count");
  if (!GetTypedArray(args[5], napi_int32_array, &captures, &captures_length))
    return Throw(env, kInvalidArgument, "captures must be an Int32Array (3 elements per capture slot)");
  beamjs::ProgramInfo info;
  beamjs::Error error;
  if (!beamjs::ValidateProgram(program, program_length, &info, &error)) return Throw(env, error.code, error.message);
  if (captures_length < 3 * int64_t(info.slots)) return Throw(env, kInvalidArgument, CapturesTooShort(info, captures_length));
  for (int64_t i = from; i < count; i++) {
    const int64_t start = offsets[2 * i];
    const int64_t end = offsets[2 * i + 1];
    if (start < 0 || start > end || end > buffer_length) {
      return Throw(env, kInvalidArgument,
                   "message " + std::to_string(i) + " (offsets[" + std::to_string(2 * i) + "] = " + std::to_string(start) +
                       ", offsets[" + std::to_string(2 * i + 1) + "] = " + std::to_string(end) +
                       ") is outside the buffer (length " + std::to_string(buffer_length) + ")");
    }
    const int result = beamjs::Run(program, info, buffer, start, end, captures, &scratch, &error);
    if (result == beamjs::kMalformed) return Throw(env, error.code, error.message);
    if (result != beamjs::kNoMatch) return Napi::Number::New(env, static_cast<double>(i));
  }
  return Napi::Number::New(env, -1);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("runProgram", Napi::Function::New(env, RunProgram, "runProgram"));
  exports.Set("scanMailbox", Napi::Function::New(env, ScanMailbox, "scanMailbox"));
  return exports;
}

}  // namespace

NODE_API_MODULE(beamjs_native, Init)
