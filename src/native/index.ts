/**
 * src/native: the ONE loader of the optional native addon (build/Release/beamjs_native.node,
 * built from binding.gyp and native/*.cc by native/build.mjs at npm install).
 *
 * What the addon provides is `NativeMatcher`: the match-program runner (`runProgram`,
 * `scanMailbox`), whose JS twin is src/term/match_interpreter.ts. At load time this
 * module picks one implementation and exports it as `matcher`:
 *
 *   | situation                               | matcher | nativeStatus | notice      |
 *   |-----------------------------------------|---------|--------------|-------------|
 *   | BEAMJS_NATIVE=0 in the environment      | twin    | 'js'         | none        |
 *   | addon built and loads                   | addon   | 'native'     | none        |
 *   | addon missing or fails to load          | twin    | 'js'         | one line    |
 *
 * `nativeReason` says why (the load error when there was one). The notice goes to
 * stderr once per process (a worker thread started after it was printed inherits the
 * marker through its environment and stays quiet).
 *
 * Both implementations behave the same, error messages included: argument types and
 * ranges are checked here in JS with the twin's own checks before the addon is called;
 * the addon validates the program and reports errors with a `code` that is rebuilt
 * here into the same BeamError class the twin throws.
 *
 * Threads: each thread that imports this module loads the addon for itself (N-API
 * addons are context-aware); every function may be called on its own thread only.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BeamError, ErrorCode, rebuildError } from '../errors/index.js';
import { checkRunShape, checkScanShape, jsRunner } from '../term/index.js';
import type { MatchProgram, ProgramRunner } from '../term/index.js';

/** What the native addon provides: exactly the JS twin's `ProgramRunner` signatures. */
export type NativeMatcher = ProgramRunner;

/** Which implementation `matcher` is. */
export type NativeStatus = 'native' | 'js';

/** The addon's raw exports (no JS argument checks). For tests and benchmarks. */
export type RawNativeAddon = NativeMatcher;

const ADDON_FILE = join('build', 'Release', 'beamjs_native.node');
const NOTICE_MARKER = 'BEAMJS_NATIVE_NOTICE_SHOWN';

/** Candidate addon paths: this file is src/native/index.ts or dist/src/native/index.js. */
function candidatePaths(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, '..', '..', ADDON_FILE), join(here, '..', '..', '..', ADDON_FILE)];
}

function loadAddon(): { addon?: RawNativeAddon; reason: string } {
  if (process.env.BEAMJS_NATIVE === '0') return { reason: 'BEAMJS_NATIVE=0' };
  const require = createRequire(import.meta.url);
  let lastError = 'the addon is not built (run `npx node-gyp rebuild`)';
  for (const path of candidatePaths()) {
    let exports: unknown;
    try {
      exports = require(path);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'MODULE_NOT_FOUND') continue;
      lastError = `${path}: ${(error as Error).message.split('\n')[0]}`;
      continue;
    }
    const addon = exports as Partial<RawNativeAddon>;
    if (typeof addon.runProgram !== 'function' || typeof addon.scanMailbox !== 'function') {
      lastError = `${path} does not export runProgram and scanMailbox`;
      continue;
    }
    return { addon: addon as RawNativeAddon, reason: `loaded ${path}` };
  }
  return { reason: lastError };
}

function printNoticeOnce(reason: string): void {
  if (process.env[NOTICE_MARKER] === '1') return;
  process.env[NOTICE_MARKER] = '1';
  process.stderr.write(`beamjs: native addon not loaded (${reason}); using the JavaScript twin (BEAMJS_NATIVE=0 chooses it quietly).\n`);
}

/** Turns an addon error (`{ code, message }`) into the class the twin would throw. */
function rebuild(error: unknown): unknown {
  if (BeamError.is(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (Object.values(ErrorCode) as string[]).includes(code)) {
    return rebuildError({ code, message: (error as Error).message });
  }
  return error;
}

function wrap(addon: RawNativeAddon): NativeMatcher {
  return Object.freeze({
    runProgram(program: MatchProgram, message: Uint8Array, start: number, end: number, captures: Int32Array): number {
      checkRunShape(program, message, start, end, captures);
      try {
        return addon.runProgram(program, message, start, end, captures);
      } catch (error) {
        throw rebuild(error);
      }
    },
    scanMailbox(
      program: MatchProgram,
      buffer: Uint8Array,
      offsets: Int32Array,
      count: number,
      fromIndex: number,
      captures: Int32Array,
    ): number {
      checkScanShape(program, buffer, offsets, count, fromIndex, captures);
      try {
        return addon.scanMailbox(program, buffer, offsets, count, fromIndex, captures);
      } catch (error) {
        throw rebuild(error);
      }
    },
  });
}

const loaded = loadAddon();
if (loaded.addon === undefined && process.env.BEAMJS_NATIVE !== '0') printNoticeOnce(loaded.reason);

/** The addon's raw exports when it loaded (tests use it to check the C++ side directly). */
export const nativeAddon: RawNativeAddon | undefined = loaded.addon;

/** The native addon (wrapped) when it loaded, else undefined. */
export const nativeMatcher: NativeMatcher | undefined = loaded.addon === undefined ? undefined : wrap(loaded.addon);

/** The JS twin (src/term/match_interpreter.ts). */
export const jsMatcher: NativeMatcher = jsRunner;

/** The implementation in use: the addon when it loaded, else the JS twin. */
export const matcher: NativeMatcher = nativeMatcher ?? jsMatcher;

/** 'native' when `matcher` is the addon, 'js' when it is the twin. */
export const nativeStatus: NativeStatus = nativeMatcher === undefined ? 'js' : 'native';

/** Why `nativeStatus` is what it is ("loaded …", "BEAMJS_NATIVE=0", or the load error). */
export const nativeReason: string = loaded.reason;
